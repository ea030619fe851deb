"""Facility kinds from tags and names, duplicates merged, POI categories (issue 12)."""

MESSAGES: dict[str, tuple[str, str]] = {
    # Amap / Baidu exports: the category path decides the kind (profile poi_categories)
    "r.category_empty": ("no category (type/tag) in this row", "该行没有分类（type/tag）"),
    "r.category_excluded": (
        "category {category} is not a facility of any kind ({path})",
        "分类“{category}”不属于任何一类设施（{path}）",
    ),
    "r.category_unmapped": (
        "category {path} is not mapped to a facility kind (profile poi_categories; or pass --kind)",
        "分类“{path}”未对应任何设施类型（见配置 poi_categories；或使用 --kind 指定）",
    ),
    "x.regex_not_empty": (
        "a regular expression that does not match an empty name",
        "不能匹配空名称的正则表达式",
    ),
    "x.tag_prefix": (
        "an OSM key prefix ending in a colon, e.g. disused:",
        "以冒号结尾的 OSM 键前缀，例如 disused:",
    ),
    "x.not_primary_key": (
        "not one of facility_matching.primary_keys ({known}), so it would never be checked",
        "不在 facility_matching.primary_keys（{known}）之中，永远不会被检查",
    ),
    "n.facilities_merged": (
        "{n} OSM features mapped the same place as another feature of the same kind (one "
        "inside the other's area, or the same name within {metres:.0f} m) and count once, "
        "e.g. {examples}",
        "有 {n} 个 OSM 要素与同类设施的另一要素是同一处的重复标注（位于其范围内，或 "
        "{metres:.0f} 米内同名），已合并，只计一次，例如：{examples}",
    ),
    "n.facilities_refused": (
        "{n} OSM features matching a facility kind by tag or name are not counted (tagged or "
        "named as parking, construction, planned, former or closed, or tagged as something "
        "else), e.g. {examples}",
        "有 {n} 个按标签或名称符合某类设施的 OSM 要素未计入（标签或名称表明是停车场、在建、"
        "规划、原址或已关闭，或标签表明是其他用途），例如：{examples}",
    ),
    "kinds.and": ("{a}; {b}", "{a}；{b}"),
    "kinds.merged_example": ("{kept} ({kind}) absorbed {refs}", "{kept}（{kind}）合并了 {refs}"),
    "kinds.refused_example": ("{name} ({ref}: {why})", "{name}（{ref}：{why}）"),
    "kinds.why_excluded_tag": ("tagged {tag}", "标签为 {tag}"),
    "kinds.why_excluded_name": ("name says {word}", "名称含“{word}”"),
    "kinds.why_contradicts": (
        "tagged {tag}, not a {kind} facility",
        "标签为 {tag}，不属于“{kind}”类设施",
    ),
    # a file's point and an OSM feature that are one place (geo/facilities.py merge_file_and_osm)
    "n.facilities_merged_sources": (
        "{n} OSM features are the same place as a facility from a file (same kind, within "
        "{metres:.0f} m, similar name) and count once, as the file's row: {kinds}; e.g. "
        "{examples}",
        "有 {n} 个 OSM 要素与文件中的设施是同一处（同类、相距 {metres:.0f} 米以内、名称相近），"
        "已合并，以文件中的记录为准，只计一次：{kinds}；例如：{examples}",
    ),
    "kinds.count": ("{n} {kind}", "“{kind}” {n} 处"),
    "e.export_no_category": (
        "looks like an export from {source} but has no category column ({accepted}) to tell "
        "each row's facility kind; export it with its category, or pass --kind with one of: "
        "{kinds}; columns found: {columns}",
        "看起来是{source}导出的数据，但没有用来判断设施类型的分类列（列名可为{accepted}）；"
        "请连同分类一起导出，或用 --kind 指定以下类型之一：“{kinds}”；文件中的列：{columns}",
    ),
}
