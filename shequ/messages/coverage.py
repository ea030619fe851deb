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
}
