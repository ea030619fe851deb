"""The study area (``geo/study_area.py``): where it came from, what was left outside it.

Lon/lat boxes (``{area}``, ``{data}``) are written by the program, not translated.
"""

MESSAGES: dict[str, tuple[str, str]] = {
    # key: (en, zh)
    "e.area_outside": (
        "the study area ({area}) lies outside the data ({data}): is it the right file, or in "
        "another coordinate system (--crs)?",
        "研究区域（{area}）不在数据范围（{data}）内：文件是否正确，或坐标系是否有误（--crs）？",
    ),
    "e.area_no_area": (
        "the study area file holds no polygon with an area (only lines, points or collapsed rings)",
        "研究区域文件中没有具有面积的多边形（只有线、点或退化的环）",
    ),
    "e.homes_all_outside": (
        "none of the file's homes lies in the study area: is --area the right boundary, or "
        "the file in another coordinate system (--crs)?",
        "文件中没有任何住宅位于研究区域内：--area 边界是否正确，或文件坐标系是否有误（--crs）？",
    ),
    "n.area_partly_outside": (
        "only {share:.0%} of the study area (--area) lies where the data is (the streets of "
        "the OSM extract, or the incidents): results cover that part only",
        "研究区域（--area）只有 {share:.0%} 位于数据范围内（OSM 数据的街道或事件点）："
        "结果只覆盖这一部分",
    ),
    "n.area_bounds_ignored": (
        "the bounds the OSM file declares hold none of its streets: the study area is the "
        "hull of the homes and facilities instead",
        "OSM 文件声明的范围（bounds）内没有任何街道：研究区域改用住宅和设施的外包范围",
    ),
    "n.area": (
        "study area: {source}, {km2:.2f} km²",
        "研究区域：{source}，{km2:.2f} 平方公里",
    ),
    "n.area_with_incidents": (
        "the study area takes in the incidents on the extract's streets too (no bounds "
        "declared): {km2:.2f} km²",
        "研究区域同时包含 OSM 数据街道范围内的事件点（文件未声明范围）：{km2:.2f} 平方公里",
    ),
    "area.file": ("the --area boundary", "--area 边界"),
    "area.bounds": ("the bounds the OSM extract declares", "OSM 数据声明的范围"),
    "area.hull": (
        "the hull of the homes and facilities (the OSM file declares no bounds)",
        "住宅和设施的外包范围（OSM 文件未声明范围）",
    ),
    "area.streets": (
        "the box of the streets (no bounds, homes or facilities)",
        "街道的外接矩形（无范围声明、住宅或设施）",
    ),
    "n.area_homes_outside": (
        "{n} homes ({households:,.0f} households) lie outside the study area and are left out",
        "{n} 处住宅（{households:,.0f} 户）位于研究区域之外，未计入",
    ),
    "r.outside_area": ("outside the study area", "位于研究区域之外"),
    "excluded.outside_area": ("outside the study area", "位于研究区域之外"),
}
