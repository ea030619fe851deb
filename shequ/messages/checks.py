"""Coordinate-shift and street-island checks (issue 12)."""

MESSAGES: dict[str, tuple[str, str]] = {
    # --- street islands (geo/network.py keep_components, shequ/jobs/inputs.py) ----------------
    "n.islands_kept": (
        "kept {n} separate street islands that hold homes or facilities ({nodes} nodes, "
        "{metres:.0f} m of street); walk times are computed within each island",
        "保留 {n} 个含有住宅或设施的独立街道孤岛（{nodes} 个节点，{metres:.0f} 米街道）；"
        "步行时间在各孤岛内分别计算",
    ),
    "n.island": (
        "street island of {nodes} nodes and {metres:.0f} m of street: {homes} homes, "
        "{facilities} facilities",
        "街道孤岛：{nodes} 个节点，{metres:.0f} 米街道，{homes} 处住宅，{facilities} 处设施",
    ),
    "n.islands_more": (
        "{n} smaller street islands ({nodes} nodes, {metres:.0f} m of street): {homes} homes, "
        "{facilities} facilities",
        "另有 {n} 个较小的街道孤岛（{nodes} 个节点，{metres:.0f} 米街道）：{homes} 处住宅，"
        "{facilities} 处设施",
    ),
    "n.islands_dropped": (
        "dropped {components} street islands that hold no home or facility ({nodes} nodes, "
        "{metres:.0f} m of street)",
        "删除 {components} 个不含住宅或设施的街道孤岛（{nodes} 个节点，{metres:.0f} 米街道）",
    ),
    # why a home has no walk time to a kind (analyses/access.py)
    "unreachable.island": (
        "no {kind} reachable on its street island ({n} nodes)",
        "所在街道孤岛（{n} 个节点）上没有可步行到达的“{kind}”类设施",
    ),
    # reject / exclusion reasons for a point inside the extract's bounds (no guess at the area)
    "r.no_street_inside": (
        "{what}: no walkable street within {m:g} m",
        "{what}：{m:g} 米内没有可步行的街道",
    ),
    "excluded.no_street_inside": (
        "no walkable street within {m:g} m",
        "{m:g} 米内没有可步行的街道",
    ),
    # an Amap / Baidu export read in its map's own system by default (geo/checks.py crs_offset)
    "warn.crs_amap_default": (
        "warning: {file} looks like an Amap export and was read as GCJ-02, the system Amap "
        "publishes in; its points lie a median {now:.0f} m from the nearest street, but read "
        "as WGS-84 they would lie {then:.0f} m away: the file fits the streets as WGS-84 "
        "(converted already): pass --crs wgs84",
        "警告：{file} 看起来是高德导出的数据，已按高德使用的 GCJ-02 坐标读取，其中的点距最近街道"
        "的中位距离为 {now:.0f} 米；若按 WGS-84 读取则为 {then:.0f} 米，说明文件已是 WGS-84 坐标"
        "（已转换过）：请使用 --crs wgs84",
    ),
    "warn.crs_baidu_default": (
        "warning: {file} looks like a Baidu export and was read as BD-09, the system Baidu "
        "publishes in; its points lie a median {now:.0f} m from the nearest street, but read "
        "as WGS-84 they would lie {then:.0f} m away: the file fits the streets as WGS-84 "
        "(converted already): pass --crs wgs84",
        "警告：{file} 看起来是百度导出的数据，已按百度使用的 BD-09 坐标读取，其中的点距最近街道"
        "的中位距离为 {now:.0f} 米；若按 WGS-84 读取则为 {then:.0f} 米，说明文件已是 WGS-84 坐标"
        "（已转换过）：请使用 --crs wgs84",
    ),
}
