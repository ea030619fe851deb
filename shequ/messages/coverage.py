"""What is missing where a number is shown: no facilities, no homes (issue 12).

A share of 0 % reads as a finding about the area; where the data holds nothing to measure, the
terminal, ``summary.csv`` and the map say what is missing and how to supply it instead.
"""

MESSAGES: dict[str, tuple[str, str]] = {
    "e.no_homes": (
        "no homes in the study area (the extract has no residential buildings to estimate "
        "them from): pass your homes with --homes FILE (.csv with lon, lat and households "
        "or population; or .geojson / .gpkg / .shp)",
        "研究范围内没有住宅（该数据中没有可用于估算住户的居住建筑）：请用 --homes 文件"
        "提供住宅点（.csv 需含 lon、lat 及 households 或 population 列；也可用 "
        ".geojson / .gpkg / .shp）",
    ),
    "summary.no_facilities": (
        "{kind}: none in the data, so no coverage to measure: add them with --facilities FILE",
        "{kind}：数据中没有此类设施，无法计算覆盖率：请用 --facilities 文件补充",
    ),
    "map.kind_no_data": ("{kind} (no data)", "{kind}（无数据）"),
    # data completeness checks (geo/completeness.py): what the OSM data probably lacks
    "n.completeness_empty_land": (
        "{n} residential areas ({ha:.1f} ha) have no building in the data: about "
        "{households:.0f} households are missing from the audit (at {per_ha:g} households per "
        "ha, completeness.households_per_ha); pass your homes with --homes FILE",
        "{n} 处居住用地（{ha:.1f} 公顷）在数据中没有建筑：约 {households:.0f} 户未纳入本次评估"
        "（按每公顷 {per_ha:g} 户估算，见配置项 completeness.households_per_ha）；"
        "可用 --homes 文件补充住宅",
    ),
    "n.completeness_sparse_land": (
        "{n} residential areas are mapped far below the profile's density "
        "(completeness.min_households_per_km2): {ha:.1f} ha of them lie over {reach:g} m from "
        "any building, about {households:.0f} households missing from the audit; pass your "
        "homes with --homes FILE",
        "{n} 处居住用地的已绘建筑远少于配置预期的密度（completeness.min_households_per_km2）："
        "其中 {ha:.1f} 公顷距任何建筑超过 {reach:g} 米，约 {households:.0f} 户未纳入本次评估；"
        "可用 --homes 文件补充住宅",
    ),
    "n.completeness_estimated_homes": (
        "{households:.0f} households on {ha:.1f} ha of residential land with no or too few "
        "buildings mapped ({n} areas) are estimated at {per_ha:g} households per ha "
        "(completeness.households_per_ha), as {points} points marked estimated_from=landuse: "
        "their walk times are approximate; pass your homes with --homes FILE, or leave the "
        "estimate out with --no-landuse-homes",
        "{n} 处未绘或少绘建筑的居住用地（{ha:.1f} 公顷）按每公顷 {per_ha:g} 户"
        "（completeness.households_per_ha）估算约 {households:.0f} 户，以 {points} 个估算点"
        "（estimated_from=landuse）计入评估，其步行时间仅为近似；可用 --homes 文件补充住宅，"
        "或用 --no-landuse-homes 不作估算",
    ),
    "n.completeness_low_density": (
        "homes on residential land hold {per_km2:.0f} households per km2, far below the "
        "{low:.0f} the profile expects (completeness.min_households_per_km2): buildings are "
        "probably missing from the data or their storeys under-estimated; pass your homes "
        "with --homes FILE",
        "居住用地上的住户密度为每平方公里 {per_km2:.0f} 户，远低于配置预期的 {low:.0f} 户"
        "（completeness.min_households_per_km2）：数据中可能缺少建筑或低估了层数；"
        "可用 --homes 文件补充住宅",
    ),
    "n.completeness_levels": (
        "only {share:.1f} % of residential buildings ({tagged} of {n}) carry building:levels "
        "or height: the households of the others are estimated with the profile's default "
        "storeys (demand.building_types)",
        "仅 {share:.1f}% 的居住建筑（{n} 栋中的 {tagged} 栋）标注了 building:levels 或 "
        "height：其余建筑的户数按配置中的默认层数（demand.building_types）估算",
    ),
    # the audit per grid (shequ access --grids, analyses/grid_audit.py)
    "e.audit_grids_no_homes": (
        "none of the {homes} homes lies inside any of the {grids} grids: the grids file does "
        "not cover the study area (wrong file, or --crs?)",
        "{homes} 处住宅没有一处落在这 {grids} 个网格内：网格文件与研究范围不重合"
        "（是否选错了文件，或需指定 --crs？）",
    ),
    "n.audit_outside_grids": (
        "{homes} homes ({households:.0f} households) lie outside every grid: grid_audit.csv "
        "counts them in the rows with outside=True",
        "{homes} 处住宅（{households:.0f} 户）不在任何网格内：grid_audit.csv 中 outside=True "
        "的行单独统计这部分住户",
    ),
    "n.audit_grids_repaired": (
        "{n} grid polygons were invalid and have been repaired",
        "{n} 个网格多边形无效，已自动修复",
    ),
    "step.grid_audit": ("Audit per grid", "按网格汇总覆盖情况"),
}
