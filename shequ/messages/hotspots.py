"""Errors and reasons of risk hotspots (``shequ hotspots``).

``e.hs_*`` are errors (:class:`shequ.errors.InputError`), ``r.hs_*`` reasons in ``rejects.csv``,
``hs.*`` the words of the run's summary and of its messages, ``step.hs_*`` its progress steps.
The notes a run leaves (``n.res_*``, ``n.fdr_none``, ``n.trends`` …) are in the ``notes``
section, the result line and the first steps in ``run``.
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
}
