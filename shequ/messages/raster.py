"""Population rasters spread over homes (issue 12)."""

MESSAGES: dict[str, tuple[str, str]] = {
    "e.raster_off_area": (
        "the raster does not cover the study area (raster lon/lat {raster}; study area {area}):"
        " pass a raster of this city",
        "栅格未覆盖研究范围（栅格经纬度 {raster}；研究范围 {area}）：请使用本市的人口栅格",
    ),
    "e.raster_little_overlap": (
        "the raster covers only {share:.1f} % of the study area (at least {least:.0f} % needed;"
        " raster lon/lat {raster}; study area {area}): pass a raster of the whole area",
        "栅格只覆盖研究范围的 {share:.1f}%（至少需要 {least:.0f}%；栅格经纬度 {raster}；"
        "研究范围 {area}）：请使用覆盖整个研究范围的人口栅格",
    ),
    "n.raster_overlap": (
        "{column}: the rasters cover {share:.1f} % of the study area; the {n} homes off them "
        "keep the estimate from their buildings (no measured value there)",
        "{column}：栅格只覆盖研究范围的 {share:.1f}%，栅格以外的 {n} 处住宅"
        "沿用按建筑估算的数值（该处无栅格数据）",
    ),
    "n.raster_spread": (
        "{column}: {people:.0f} people in {pixels} raster pixels with no home were spread over"
        " the homes within {radius:.0f} m by floor area",
        "{column}：{pixels} 个像元内没有住宅，其中的 {people:.0f} 人按建筑面积"
        "分配给 {radius:.0f} 米内的住宅",
    ),
    "n.raster_unplaced": (
        "{column}: {people:.0f} of {total:.0f} people, in {pixels} raster pixels with no home"
        " within {radius:.0f} m, are left out (homes missing from the data?)",
        "{column}：{pixels} 个像元 {radius:.0f} 米内没有住宅，其中的 {people:.0f} 人"
        "（共 {total:.0f} 人）未分配到住宅，不计入需求（数据中缺少住宅？）",
    ),
}
