"""Errors and reasons of risk hotspots (``shequ hotspots``).

``e.hs_*`` are errors (:class:`shequ.errors.InputError`), ``r.hs_*`` reasons in ``rejects.csv``,
``hs.*`` the words of the run's summary and of its messages, ``step.hs_*`` its progress steps.
The notes a run leaves (``n.res_*``, ``n.fdr_none`` …) are in the ``notes`` section, except
the trend-slice notes (``n.hs_trends_*``), which are here; the result line and the first steps
are in ``run``. ``hs.rule_*`` say the warning-level rule in one sentence (map legend,
``summary.csv``, ``run.json``).
"""

MESSAGES: dict[str, tuple[str, str]] = {
    # errors (shequ.errors.InputError)
    "e.hs_types_absent": (
        "no incident has the types given with --types ({given}); types in the file: {found}",
        "没有事件属于 --types 指定的类型（“{given}”）；文件中的事件类型：{found}",
    ),
    "e.hs_all_outside": (
        "all {n} incidents lie outside the OSM extract's area "
        "(wrong file, or coordinates in GCJ-02/BD-09 without --crs?)",
        "全部 {n} 起事件都在 OSM 数据范围之外"
        "（是否选错了文件？或坐标为 GCJ-02/BD-09 而未指定 --crs？）",
    ),
    "e.hs_too_few": (
        "only {n} incidents: hot-spot statistics need at least {least} "
        "(a larger area, a longer period or a coarser resolution)",
        "仅有 {n} 起事件：热点统计至少需要 {least} 起（请扩大区域、延长时段或选用更粗的分辨率）",
    ),
    "e.hs_resolution": (
        "H3 resolution must be a whole number from {lo} to {hi}, got {value}",
        "H3 分辨率必须是 {lo} 到 {hi} 之间的整数，实际为 {value}",
    ),
    # reasons (rejects.csv)
    "r.hs_type_not_selected": ("type not selected (--types)", "事件类型不在 --types 所选范围内"),
    "r.hs_outside": (
        "outside the study area (--area, or the OSM extract's)",
        "位于研究区域（--area 或 OSM 数据范围）之外",
    ),
    # the incident types found in a file: "盗窃 (200), 电动车火灾 (100)"
    "hs.type_count": ("{name} ({n})", "“{name}”（{n} 起）"),
    "hs.list": ("{first}, {rest}", "{first}、{rest}"),
    "hs.no_types": ("none", "无"),
    # the memory check of a resolution (m.too_big: option, what, advice)
    "hs.res_option": ("resolution {res}", "分辨率 {res}"),
    "hs.cells_what": ("H3 cells", "H3 单元"),
    "hs.lower_res": ("choose a lower --res", "请选用更低的 --res"),
    # summary.csv: how the statistics were computed
    "hs.weights_rings": (
        "H3 rings k={k}, binary, self included for Gi*",
        "H3 邻接环 k={k}，二值权重，Gi* 计入单元自身",
    ),
    "hs.weights_band": (
        "distance band {d:g} m between cell centres, binary, self included for Gi*",
        "单元中心间距 {d:g} 米以内为邻接，二值权重，Gi* 计入单元自身",
    ),
    "hs.ties": (
        "mid-p; empty neighbourhoods never significant",
        "并列值按 mid-p 计；邻域内没有事件的单元不判为显著",
    ),
    # progress steps
    "step.hs_cells": ("H3 cells of the study area", "划分研究区域的 H3 单元"),
    "step.hs_trends": ("Space-time trends (Mann-Kendall)", "时空趋势（Mann-Kendall）"),
    "step.hs_exposure": (
        "Exposure and distance factors (charging, building age, OSM)",
        "暴露度与距离因子（充电设施、房龄、OSM）",
    ),
    "step.hs_outlines": ("Cell outlines", "单元边界"),
    "step.hs_rollup": ("Roll-up per grid", "按网格汇总"),
    # the roll-up per grid (--grids, analyses/hotspot_rollup.py)
    "e.hs_grids_no_incidents": (
        "none of the {n} incidents lies inside any of the {grids} grids: the grids file does "
        "not cover the incidents (wrong file, or --crs?)",
        "{n} 起事件没有一起落在这 {grids} 个网格内：网格文件与事件范围不重合"
        "（是否选错了文件，或需指定 --crs？）",
    ),
    "n.hs_outside_grids": (
        "{n} of {total} incidents lie outside every grid: they count in the cells, not in "
        "any grid (summary.csv: incidents_outside_grids)",
        "{total} 起事件中有 {n} 起不在任何网格内：计入 H3 单元，不计入任何网格"
        "（见 summary.csv 的 incidents_outside_grids）",
    ),
    "n.hs_grids_repaired": (
        "{n} grid polygons were invalid and have been repaired",
        "{n} 个网格多边形无效，已自动修复",
    ),
    # the map's grid layer (maps/hotspot_map.py): a grid's level is its own, not its cells'
    "map.hs_grids_layer_own": (
        "grids (level from their own incident density)",
        "网格汇总 (按网格自身事件密度定级)",
    ),
    "map.hs_grids_note_own": (
        "a grid's incidents are those inside it; its level ranks its incidents per km² "
        "among all grids, with the cells' shares per level",
        "网格事件数为落在网格内的事件；风险等级按各网格每平方公里事件数排序，"
        "各等级占比与 H3 单元相同",
    ),
    # warning-level rules (analyses/risk_index.py LevelRule): the map legend, summary.csv and
    # run.json say the rule in one sentence
    "hs.rule_significance": (
        "Red: a Gi* hot spot at 99 % confidence ({tested}) and in the top {top} % of the "
        "risk index; orange: any other hot spot at 95 %; yellow: a hot spot at 90 %, or the "
        "top {top} % of the index with an incident but no significant cluster; blue: the rest.",
        "红色：Gi* 热点置信度 99%（{tested}）且风险指数居前 {top}%；橙色：其他置信度 95% 的热点；"
        "黄色：置信度 90% 的热点，或风险指数居前 {top}%、有事件但未形成显著聚集；蓝色：其余。",
    ),
    "hs.rule_significance3": (
        "Red: a Gi* hot spot at 95 % or 99 % confidence ({tested}; the red and orange of the "
        "four levels); yellow: a hot spot at 90 %, or the top {top} % of the risk index with an "
        "incident but no significant cluster; blue: the rest.",
        "红色：Gi* 热点置信度 95% 或 99%（{tested}；即四级中的红色与橙色）；"
        "黄色：置信度 90% 的热点，或风险指数居前 {top}%、有事件但未形成显著聚集；蓝色：其余。",
    ),
    "hs.rule_quota3": (
        "Levels by share of cells, with no significance test: the {red} % with the highest "
        "risk index red, the next {yellow} % yellow, the rest blue.",
        "按单元比例定级，未做显著性检验：风险指数最高的 {red}% 为红色，其后 {yellow}% 为黄色，"
        "其余为蓝色。",
    ),
    "hs.rule_quota": (
        "Levels by share of cells, with no significance test: the {red} % with the highest "
        "risk index red, the next {orange} % orange, the next {yellow} % yellow, the rest blue.",
        "按单元比例定级，未做显著性检验：风险指数最高的 {red}% 为红色，其后 {orange}% 为橙色，"
        "再其后 {yellow}% 为黄色，其余为蓝色。",
    ),
    "hs.tested_per_cell": ("permutation test per cell", "逐单元置换检验"),
    "hs.tested_fdr": ("after the FDR correction", "经 FDR 多重检验校正"),
    "map.hs_rule_heading": ("How levels are set", "定级规则"),
    "map.hs_grids_note_excess": (
        "a grid's incidents are those inside it; its level uses the cells' rule, with the "
        "grid's own excess of incidents over the mean density (allowing for clustering) as "
        "its significance and its incidents per km² as its index",
        "网格事件数为落在网格内的事件；网格定级规则与 H3 单元相同：显著性为网格事件数"
        "高出平均密度的程度（已考虑事件聚集），指数为每平方公里事件数",
    ),
    # trend slices (analyses/hotspot_trends.py choose_slices)
    "n.hs_trends_slices": (
        "trends over {slices} equal time slices of about {unit} (Mann-Kendall, Gi* 95 %)",
        "趋势：{slices} 个等长时间段，每段约{unit}（Mann-Kendall，Gi* 95%）",
    ),
    "n.hs_trends_unreachable": (
        "with {slices} time slices the smallest possible Mann-Kendall p is {p:.3f}, not below "
        "{alpha:g}: no cell can be intensifying or diminishing (a longer period or more "
        "incidents give more slices; summary.csv: trend_reachable)",
        "只有 {slices} 个时间段时 Mann-Kendall 检验的最小 p 值为 {p:.3f}，不低于 {alpha:g}："
        "任何单元都不可能判为“加剧”或“减弱”（延长时段或增加事件可得到更多时间段；"
        "见 summary.csv 的 trend_reachable）",
    ),
    "hs.unit_month": ("one month", "一个月"),
    "hs.unit_week": ("one week", "一周"),
    "hs.unit_day": ("one day", "一天"),
    "hs.unit_hour": ("one hour", "一小时"),
    "hs.units_month": ("{k} months", "{k}个月"),
    "hs.units_week": ("{k} weeks", "{k}周"),
    "hs.units_day": ("{k} days", "{k}天"),
    "hs.units_hour": ("{k} hours", "{k}小时"),
    "hs.unit_fixed": (
        "the profile's fixed length (risk.time_slices)",
        "配置文件规定的长度（risk.time_slices）",
    ),
    "hs.unit_equal": ("an equal share of the span", "整个时段等分后的长度"),
    # profile schema (shequ/profile_schema.py, risk section)
    "x.level_rule": (
        "significance (Gi* bin and risk index together) or quota (shares of cells)",
        "significance（Gi* 置信等级与风险指数共同定级）或 quota（按单元比例定级）",
    ),
    "x.tested_by": (
        "per_cell (each cell's permutation test) or fdr (after the FDR correction)",
        "per_cell（逐单元置换检验）或 fdr（经 FDR 校正）",
    ),
    "x.max_slices": (
        "at least min_slices ({least})",
        "不小于 min_slices（{least}）",
    ),
    "x.slice_rule": (
        "auto (as many slices as the data supports) or fixed (risk.time_slices)",
        "auto（按数据可支持的最多时间段）或 fixed（使用 risk.time_slices）",
    ),
}
