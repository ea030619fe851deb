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
}
