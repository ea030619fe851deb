"""Messages in Chinese and English (``--lang zh|en``).

Library code raises and logs in English; what the CLI prints to a user goes through :func:`t`.
"""

from __future__ import annotations

import os

MESSAGES: dict[str, tuple[str, str]] = {
    # key: (en, zh)
    "step.load": ("Reading OSM file", "读取 OSM 文件"),
    "step.network": ("Building walk network", "构建步行路网"),
    "step.demand": ("Homes and facilities", "住宅与设施"),
    "step.attach": ("Attaching to streets", "接入街道"),
    "step.access": ("Walk times", "步行时间"),
    "step.isochrones": ("Isochrones", "等时圈"),
    "step.outputs": ("Writing outputs", "写出结果"),
    "step.candidates": ("Candidate sites", "候选选址"),
    "step.problem": ("Walk coverage of candidate sites", "候选点步行覆盖关系"),
    "step.solve": ("Solving (HiGHS)", "求解（HiGHS）"),
    "step.curve": ("Coverage curve p = 1…P", "覆盖曲线 p = 1…P"),
    "hotspot.line": (
        "{incidents} incidents on {cells} H3 cells (resolution {res}): {hot} hot cells at 95 %, "
        "{red} red cells",
        "{incidents} 起事件，{cells} 个 H3 网格（分辨率 {res}）："
        "95% 置信热点 {hot} 个，红色 {red} 个",
    ),
    "step.incidents": ("Reading incidents", "读取事件"),
    "step.statistics": (
        "Hot-spot statistics (Gi*, Moran, permutations)",
        "热点统计（Gi*、Moran、置换检验）",
    ),
    "step.density": ("Kernel density per cell", "逐单元核密度"),
    "step.atoms": ("Street blocks and compounds", "街廓与小区"),
    "step.grids": ("Delineating grids", "划分网格"),
    "grid.line": (
        "{grids} grids for {households:.0f} households (target {target:g} ± {tol:.0%}); "
        "max deviation {maxdev:.0%}, {out} outside tolerance",
        "共 {grids} 个网格，{households:.0f} 户（目标 {target:g} 户 ± {tol:.0%}）；"
        "最大偏差 {maxdev:.0%}，{out} 个超出容差",
    ),
    "site.line": (
        "{kind}: {model} opened {p} new sites; covered {before:.1%} → {after:.1%} of demand "
        "({status}, gap {gap:.2%}, {seconds:.1f} s)",
        "{kind}：{model} 新增 {p} 处设施；需求覆盖率 {before:.1%} → {after:.1%}"
        "（{status}，间隙 {gap:.2%}，{seconds:.1f} 秒）",
    ),
    "site.unserved": (
        "{n} homes with demand remain unserved (reasons in shequ.gpkg homes.unserved_reason)",
        "仍有 {n} 户有需求的住宅未被服务（原因见 shequ.gpkg 的 homes.unserved_reason）",
    ),
    "done": ("Done: outputs in {out}", "完成：结果已写入 {out}"),
    "error": ("error: {msg}", "错误：{msg}"),
    "opt.number": ("expected a number, got '{text}'", "应为数字，实际为“{text}”"),
    "opt.whole": ("expected a whole number, got '{text}'", "应为整数，实际为“{text}”"),
    "opt.finite": ("expected a finite number, got '{text}'", "应为有限数值，实际为“{text}”"),
    "opt.above": ("must be > {least}, got {text}", "必须大于 {least}，实际为 {text}"),
    "opt.at_least": ("must be ≥ {least}, got {text}", "必须不小于 {least}，实际为 {text}"),
    "opt.below": ("must be below {below}, got {text}", "必须小于 {below}，实际为 {text}"),
    "opt.h3_res": (
        "H3 resolution must be a whole number from 0 to 15, got {text}",
        "H3 分辨率必须是 0 到 15 之间的整数，实际为 {text}",
    ),
    "opt.crs": (
        "unknown coordinate system '{text}'; accepted: wgs84, cgcs2000, gcj02 (amap), "
        "bd09 (baidu) or EPSG:<code>",
        "未知坐标系“{text}”；可用：wgs84、cgcs2000、gcj02（高德）、bd09（百度）或 EPSG:<代码>",
    ),
    "opt.argument": ("argument {name}: {detail}", "参数 {name}：{detail}"),
    "opt.choice": (
        "argument {name}: invalid choice: {text} (choose from {choices})",
        "参数 {name}：无效取值 {text}（可选：{choices}）",
    ),
    "opt.not_with": (
        "argument {name}: not allowed with argument {other}",
        "参数 {name}：不能与参数 {other} 同时使用",
    ),
    "opt.needs_value": ("argument {name}: expected one value", "参数 {name}：需要一个取值"),
    "opt.required": (
        "the following arguments are required: {names}",
        "缺少必需参数：{names}",
    ),
    "opt.one_of": ("one of the arguments {names} is required", "需要以下参数之一：{names}"),
    "opt.unrecognized": ("unrecognized arguments: {names}", "无法识别的参数：{names}"),
    "interrupted": (
        "interrupted: nothing was written to {out} (the previous outputs, if any, are intact)",
        "已中断：未写入 {out}（原有结果如有，保持不变）",
    ),
    "warn.outside": (
        "warning: {n} of {total} points in {file} lie more than {km:g} km outside "
        "the study area{cause}",
        "警告：{file} 中 {total} 个点有 {n} 个位于研究区外 {km:g} 公里以上{cause}",
    ),
    "cause.swapped": (" — latitude and longitude look swapped", "——经纬度疑似颠倒"),
    "cause.gcj": (
        " — the file looks like GCJ-02/BD-09 coordinates: pass --crs gcj02 or --crs bd09",
        "——坐标疑似为 GCJ-02/BD-09，请使用 --crs gcj02 或 --crs bd09",
    ),
    "warn.offset": (
        "warning: points in {file} lie a median {now:.0f} m from the nearest street; "
        "converted from {crs} they would lie {then:.0f} m away: "
        "the file is probably {crs} (pass --crs {crs})",
        "警告：{file} 中的点距最近街道的中位距离为 {now:.0f} 米；"
        "若按 {crs} 转换则为 {then:.0f} 米，文件很可能是 {crs} 坐标（请使用 --crs {crs}）",
    ),
    "warn.crs_not_declared": (
        "warning: points in {file}, read as {read}, lie a median {now:.0f} m from the nearest "
        "street; read as {name} they would lie {then:.0f} m away: the file is probably {name} "
        "(pass --crs {crs})",
        "警告：{file} 中的点按 {read} 读取，距最近街道的中位距离为 {now:.0f} 米；若按 {name} "
        "读取则为 {then:.0f} 米，文件很可能是 {name} 坐标（请使用 --crs {crs}）",
    ),
    "warn.crs_wrongly_declared": (
        "warning: points in {file} lie a median {now:.0f} m from the nearest street after the "
        "{name} conversion; without it they would lie {then:.0f} m away: the file is probably "
        "WGS-84 already, not {name} (do not pass --crs {crs})",
        "警告：{file} 中的点经 {name} 转换后距最近街道的中位距离为 {now:.0f} 米；不转换则为 "
        "{then:.0f} 米，文件很可能已是 WGS-84 坐标而非 {name}（请勿使用 --crs {crs}）",
    ),
    "note": ("note: {msg}", "提示：{msg}"),
    # notes (shequ.i18n.Note): printed in the user's language, kept in English in run.json
    "n.network_fragments": (
        "kept the largest connected street network; dropped {components} fragments ({nodes} "
        "nodes, {metres:.0f} m of street)",
        "保留最大的连通街道网络；删除 {components} 个碎片（{nodes} 个节点，{metres:.0f} 米街道）",
    ),
    "n.raster_population": (
        "{column}: {total:.0f} people from {rasters} raster(s) spread over homes by floor area",
        "{column}：{rasters} 个栅格的 {total:.0f} 人按建筑面积分配到住宅",
    ),
    "n.osm_unsorted": (
        "objects were not sorted by id; read through a sorted copy",
        "OSM 对象未按 id 排序；已通过排序后的副本读取",
    ),
    "n.osm_ways_cut": (
        "{cut} highway ways cut where the extract was clipped ({dropped} dropped: fewer than two "
        "nodes present)",
        "{cut} 条道路在数据裁剪边界处被截断（{dropped} 条不足两个节点，已丢弃）",
    ),
    "n.osm_areas_failed": (
        "{n} areas could not be assembled (clipped multipolygons)",
        "{n} 个面无法组装（被裁剪的多边形）",
    ),
    "n.communities_repaired": (
        "{n} community polygons were invalid and have been repaired",
        "{n} 个社区多边形无效，已修复",
    ),
    "n.communities_overlap": (
        "community polygons overlap by {m2:.0f} m2; each atom goes to the community holding most "
        "of it",
        "社区多边形重叠 {m2:.0f} 平方米；每个单元归入占其面积最多的社区",
    ),
    "n.compounds_repaired": (
        "{n} compound polygons were invalid and have been repaired",
        "{n} 个小区多边形无效，已修复",
    ),
    "n.residential_zones": (
        "{n} landuse=residential areas have a medium/major road, river or railway through them: "
        "treated as residential zones (divided along their streets), not as gated compounds "
        "({names})",
        "{n} 个 landuse=residential 区域内有主次干路、河流或铁路穿过：视为居住片区（沿街道划分），"
        "而非封闭小区（{names}）",
    ),
    "n.blocks_divided": (
        "{blocks} crowded street blocks were divided into {groups} groups of whole buildings (no "
        "path to divide them along)",
        "{blocks} 个住户过多的街廓被划分为 {groups} 组整栋楼（内部没有可依的道路）",
    ),
    "n.compounds_divided": (
        "{compounds} compounds above a grid's ceiling were divided into {groups} groups of whole "
        "buildings (--split-large-compounds)",
        "{compounds} 个超过网格上限的小区被划分为 {groups} 组整栋楼（--split-large-compounds）",
    ),
    "n.existing_ids_renumbered": (
        "the {n} existing grids have grid_id values that are not whole numbers ({first} …): "
        "they are numbered from 0 in file order",
        "{n} 个现有网格的 grid_id 不是整数（{first} …）：已按文件顺序从 0 起编号",
    ),
    "n.existing_repaired": (
        "{n} existing grid polygons were invalid and have been repaired",
        "{n} 个现有网格多边形无效，已修复",
    ),
    "n.existing_overlap": (
        "existing grids overlap in {n} places ({m2:.0f} m2): each atom stays with the grid "
        "holding most of it",
        "现有网格有 {n} 处重叠（{m2:.0f} 平方米）：每个单元留在占其面积最多的网格",
    ),
    "n.existing_gaps": (
        "{n} atoms ({households:.0f} households) lay in gaps between the existing grids: each "
        "joined the neighbour it shares most border with",
        "{n} 个单元（{households:.0f} 户）位于现有网格之间的空隙：各自并入共享边界最长的相邻网格",
    ),
    "n.split_merged": (
        "grids split: {split}; merged away: {merged}",
        "拆分的网格：{split}；被合并的网格：{merged}",
    ),
    "n.edits_applied": (
        "{n} edits applied: {atoms} atoms, {households:.0f} households moved",
        "已应用 {n} 处修改：{atoms} 个单元，调整 {households:.0f} 户",
    ),
    "n.edits_broken": (
        "after the edits these grids are no longer contiguous: {grids}",
        "修改后以下网格不再连续：{grids}",
    ),
    "n.oversized": (
        "{n} compounds or buildings hold more than {ceiling:.0f} households alone (up to "
        "{most:.0f}); each is one grid (never split; --split-large-compounds divides compounds), "
        "flagged 'oversized'",
        "{n} 个小区或楼栋单独超过 {ceiling:.0f} 户（最多 {most:.0f} 户）；各自单独成格（不拆分；"
        "--split-large-compounds 可拆分小区），标记为 oversized",
    ),
    "n.out_of_tolerance": (
        "{n} grids stay outside ±{tol:.0%}: their atoms (compounds, blocks cut off by large "
        "compounds or communities) allow no better split",
        "{n} 个网格超出 ±{tol:.0%}：其单元（小区、被大型小区或社区边界隔开的街廓）无法更好地划分",
    ),
    "n.outside_community": (
        "{n} atoms lie outside every community: their grids are flagged",
        "{n} 个单元不在任何社区内：其网格已标记",
    ),
    "s.lscp": (
        "{groups} demand groups need a site; {sites} candidates can help",
        "{groups} 个需求组需要设施；{sites} 个候选点可提供覆盖",
    ),
    "s.no_reach": (
        "no candidate site reaches any uncovered home",
        "没有候选点能覆盖任何未覆盖的住宅",
    ),
    "s.no_budget": (
        "no candidate is affordable within the budget or reaches uncovered homes",
        "没有候选点在预算内或能覆盖未覆盖的住宅",
    ),
    "s.saturated": (
        "{n} new sites already cover every home a candidate can reach; more sites add nothing",
        "{n} 处新设施已覆盖所有候选点可达的住宅；再增加设施没有收益",
    ),
    "s.capacitated": (
        "{groups} demand groups, {sites} sites, {pairs} assignment pairs",
        "{groups} 个需求组，{sites} 个设施点，{pairs} 个分配对",
    ),
    "s.capacity_short": (
        "the sites within reach do not have the capacity to serve every coverable home; add "
        "candidates or capacity, or use maximal cover",
        "可达设施的容量不足以服务所有可覆盖住宅；请增加候选点或容量，或改用最大覆盖模型",
    ),
    "s.greedy_mclp": (
        "greedy heuristic; bound from submodularity (Nemhauser-Wolsey-Fisher)",
        "贪心启发式；上界来自次模性（Nemhauser-Wolsey-Fisher）",
    ),
    "s.greedy_lscp": (
        "greedy heuristic; bound = LP relaxation rounded up",
        "贪心启发式；下界 = 线性松弛向上取整",
    ),
    "s.walk_infeasible": (
        "no choice of sites brings every home within {minutes:g} min",
        "任何设施组合都无法使所有住宅在 {minutes:g} 分钟内可达",
    ),
    "s.capacity_infeasible": (
        "infeasible: capacities cannot hold the demand",
        "无可行解：容量无法满足需求",
    ),
    "s.full_sites": (
        "{n} homes are not fully assigned: the open sites within {metres:.0f} m are full; they "
        "count at that distance (a lower bound)",
        "{n} 处住宅未完全分配：{metres:.0f} 米内的设施已满；按该距离计（下界）",
    ),
    "s.beyond_search": (
        "{n} homes have no open site within the search distance ({metres:.0f} m); they count at "
        "that distance (a lower bound)",
        "{n} 处住宅在搜索距离（{metres:.0f} 米）内没有设施；按该距离计（下界）",
    ),
    "n.empty_isochrones": (
        "{n} facility isochrones are empty (door beyond the band's reach): flagged 'empty' with "
        "a reason in the isochrones layer",
        "{n} 个设施等时圈为空（入口到街道的距离超出该时段步行范围）："
        "已在 isochrones 图层标记 empty 并注明原因",
    ),
    "n.res_given": ("resolution {res}: given with --res", "分辨率 {res}：由 --res 指定"),
    "n.res_auto": (
        "resolution {res}: the finest of {lo}-{hi} at which occupied cells hold at least "
        "{least:g} incidents on average",
        "分辨率 {res}：{lo}-{hi} 中有事件网格平均至少 {least:g} 起事件的最细分辨率",
    ),
    "n.fdr_none": (
        "no cell passes the FDR cut: with {perms} permutations the smallest p is {floor:g}, and "
        "{cells} cells need {need} such cells; raise risk.permutations in the profile for "
        "FDR-controlled bins",
        "没有网格通过 FDR 检验：{perms} 次置换的最小 p 值为 {floor:g}，{cells} 个网格需要 {need} "
        "个这样的网格；请在配置中提高 risk.permutations",
    ),
    "n.trends": (
        "trends over {slices} equal time slices (Mann-Kendall, Gi* 95 %)",
        "趋势：{slices} 个等长时间段（Mann-Kendall，Gi* 95%）",
    ),
    "n.no_time": (
        "no time column: trends skipped (name it with --time-col)",
        "没有时间列：跳过趋势分析（用 --time-col 指定）",
    ),
    "n.no_age": (
        "no building carries start_date or building:age: age factor skipped",
        "没有建筑带有 start_date 或 building:age：跳过房龄因子",
    ),
    "n.age_from": ("building age from {n} dated buildings", "房龄来自 {n} 栋标有年份的建筑"),
    "summary.line": (
        "{kind}: {share:.0%} of households within {minutes:g} min ({walker}, {speed:g} m/s)",
        "{kind}：{minutes:g} 分钟内覆盖 {share:.0%} 的住户（{walker}，{speed:g} 米/秒）",
    ),
}


def default_lang() -> str:
    """zh when the environment's locale is Chinese, else en."""
    env = os.environ.get("SHEQU_LANG") or os.environ.get("LANG", "")
    return "zh" if env.lower().startswith("zh") else "en"


def t(key: str, lang: str, **params: object) -> str:
    en, zh = MESSAGES[key]
    return (zh if lang == "zh" else en).format(**params)


class Note(str):
    """A note for the user: the English text (it *is* that string, for run.json and logs) plus
    the message key and parameters, so the CLI can print it in the user's language."""

    key: str
    params: dict

    def __new__(cls, key: str, **params: object) -> Note:
        note = super().__new__(cls, MESSAGES[key][0].format(**params))
        note.key, note.params = key, params
        return note

    def render(self, lang: str) -> str:
        return t(self.key, lang, **self.params)


def render_note(note: str, lang: str) -> str:
    """A note in ``lang`` (plain strings, e.g. solver messages, stay as they are)."""
    return note.render(lang) if isinstance(note, Note) else note
