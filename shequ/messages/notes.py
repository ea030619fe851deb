"""Notes a run leaves for the user (``shequ.i18n.Note``): printed in the user's language, kept
in English in ``run.json``; and the siting models' messages.
"""

MESSAGES: dict[str, tuple[str, str]] = {
    # why a home has no walk time to a kind (homes.unreachable_<kind>, map popups)
    "unreachable.no_street": (
        "no walkable street within {limit:g} m",
        "{limit:g} 米内没有可步行的街道",
    ),
    "unreachable.no_facility": (
        "no {kind} facility in the study area",
        "研究区内没有“{kind}”类设施",
    ),
    "unreachable.not_connected": (
        "no walking route to any {kind} facility",
        "没有通往任何“{kind}”类设施的步行路线",
    ),
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
        "{n} of {total} edits applied: {atoms} atoms, {households:.0f} households moved",
        "已应用 {n} 处修改（共 {total} 处）：{atoms} 个单元，调整 {households:.0f} 户",
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
    "n.res_memory": (
        "resolution {res}: resolution {finer} (the finest at which occupied cells hold enough "
        "incidents) would make more cells over the study area than fit in this machine's memory",
        "分辨率 {res}：分辨率 {finer}（有事件网格事件数足够的最细分辨率）在研究区内的网格数"
        "超出本机内存",
    ),
    "n.fdr_none": (
        "no cell passes the FDR cut: with {perms} permutations the smallest p is {floor:g}, and "
        "{cells} cells need {need} such cells; raise risk.permutations in the profile for "
        "FDR-controlled bins",
        "没有网格通过 FDR 检验：{perms} 次置换的最小 p 值为 {floor:g}，{cells} 个网格需要 {need} "
        "个这样的网格；请在配置中提高 risk.permutations",
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
