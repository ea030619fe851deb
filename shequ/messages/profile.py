"""Errors of the profile (``--profile``) and of the machine's limits (the base modules).

``p.*`` are whole messages; ``x.*`` say what a key expects and fill ``{expected}`` of
``p.expected`` (the schema's checks in :mod:`shequ.profile_schema`); ``m.*`` are memory limits.
The profile's demand rules (building types, name rules, ``geo/homes.py``) leave a reject reason
(``r.not_a_home_name``) and a run note (``n.large_outlines``) kept here with the keys they use.
"""

MESSAGES: dict[str, tuple[str, str]] = {
    "p.not_found": ("profile file not found", "找不到配置文件"),
    "p.not_yaml": ("not a valid YAML profile ({detail})", "不是有效的 YAML 配置文件（“{detail}”）"),
    "p.empty": (
        "a profile must be a YAML mapping of sections ({sections}), got an empty file",
        "配置文件必须是由各节（{sections}）组成的 YAML 映射，实际为空文件",
    ),
    "p.not_mapping": (
        "a profile must be a YAML mapping of sections ({sections}), got {got}",
        "配置文件必须是由各节（{sections}）组成的 YAML 映射，实际为 {got}",
    ),
    "p.unknown_kind": (
        "unknown facility kind {kind}; known kinds: {known}",
        "未知设施类型 {kind}；已知类型：{known}",
    ),
    "p.and_more": ("{message} (and {n} more)", "{message}（另有 {n} 处错误）"),
    "p.key_problem": ("{where}: {problem}", "{where}：{problem}"),
    "p.unknown_key": ("{where}: unknown key (known: {known})", "{where}：未知键（已知：{known}）"),
    "p.unknown_key_hint": (
        "{where}: unknown key, did you mean {close}? (known: {known})",
        "{where}：未知键，是否应为 {close}？（已知：{known}）",
    ),
    "p.missing": ("{where}: required key missing", "{where}：缺少必需的键"),
    "p.expected": (
        "{where}: expected {expected}, got {got}",
        "{where}：应为{expected}，实际为 {got}",
    ),
    # what a key expects (fills {expected})
    "x.positive": ("a number > 0", "大于 0 的数"),
    "x.non_negative": ("a number ≥ 0", "不小于 0 的数"),
    "x.share": ("a share from 0 to 1", "0 到 1 之间的比例"),
    "x.tolerance": ("a share from 0 to below 1", "不小于 0 且小于 1 的比例"),
    "x.probability": ("a probability above 0 and at most 1", "大于 0 且不超过 1 的概率"),
    "x.multiple": (
        "a number ≥ 1 (a multiple of the kind's walk threshold)",
        "不小于 1 的数（该类设施步行时间标准的倍数）",
    ),
    "x.count": ("a whole number ≥ 1", "不小于 1 的整数"),
    "x.slices": (
        "a whole number ≥ 2 (a trend needs two time slices)",
        "不小于 2 的整数（趋势至少需要两个时间段）",
    ),
    "x.digits": ("a whole number ≥ 0", "不小于 0 的整数"),
    "x.one_of": ("one of {options}", "以下之一：{options}"),
    "x.text": (
        "text (in quotes if it looks like a number or yes/no)",
        "文本（形似数字或 yes/no 时请加引号）",
    ),
    "x.snake_id": (
        "a lower_snake_case id (a-z, 0-9 and _, starting with a letter)",
        "小写下划线格式的标识（a-z、0-9 和 _，以字母开头）",
    ),
    "x.tiers": (
        "a list of increasing minutes > 0, e.g. [5, 10, 15]",
        "递增且大于 0 的分钟数列表，例如 [5, 10, 15]",
    ),
    "x.tag_value": (
        'a tag value: text, a list of texts or "*" for any (write "yes"/"no" in quotes)',
        '标签值：文本、文本列表或表示任意值的 "*"（yes/no 请加引号）',
    ),
    "x.tag_key": ("an OSM tag key (text)", "OSM 标签键（文本）"),
    "x.tags_nonempty": (
        "at least one tag condition, e.g. {{amenity: clinic}}",
        "至少一个标签条件，例如 {{amenity: clinic}}",
    ),
    "x.regex_text": ("a regular expression (text)", "正则表达式（文本）"),
    "x.regex_valid": ("a valid regular expression ({detail})", "有效的正则表达式（“{detail}”）"),
    "x.code_pattern": (
        "a code pattern using only {fields}, e.g. '{{admin:06d}}{{seq:03d}}'",
        "只使用 {fields} 的编码格式，例如 '{{admin:06d}}{{seq:03d}}'",
    ),
    "x.building_tag": ("a building tag value (text)", "building 标签值（文本）"),
    "x.flag": ("true or false", "true 或 false"),
    "x.schema_version": (
        "{version} (the profile format this version of shequ reads)",
        "{version}（本版本 shequ 读取的配置格式）",
    ),
    "x.scheme": (
        "four_level (--three-colour folds it to three)",
        "four_level（--three-colour 可合并为三级）",
    ),
    "x.top_share": ("shares of cells adding up to at most 1", "合计不超过 1 的网格比例"),
    "x.mapping": ("a mapping", "映射"),
    "x.mapping_with": ("a mapping with keys {keys}", "含以下键的映射：{keys}"),
    "x.list": ("a list", "列表"),
    "x.pydantic": ("{detail}", "“{detail}”"),
    "x.shares_total": (
        "elderly_share + children_share = {total}, expected at most 1",
        "elderly_share + children_share = {total}，应不超过 1",
    ),
    "x.building_type": (
        "unknown building type (known: {known}; not_a_home: the name says it is no dwelling)",
        "未知建筑类型（已知：{known}；not_a_home 表示按名称判定不是住宅）",
    ),
    # demand rules applied to OSM buildings (geo/homes.py)
    "r.not_a_home_name": (
        "named {name!r}: not a dwelling (demand.name_rules)",
        "名称“{name}”表明不是住宅（demand.name_rules）",
    ),
    "n.large_outlines": (
        "{n} building outlines over {m2:,.0f} m2 have no storey tag (building:levels or height): "
        "{households:,} households were estimated for them from the default storeys, the largest "
        "{top:,} ({ref}); check them in OSM (a podium, a compound or a campus building drawn as "
        "one shape) or give a homes file",
        "{n} 个基底面积超过 {m2:,.0f} 平方米的建筑轮廓没有层数标签（building:levels 或 height）："
        "按默认层数共估算 {households:,} 户，最大一栋 {top:,} 户（{ref}）；"
        "请在 OSM 中核实（可能是裙房、整个小区或整栋校园建筑画成了一个轮廓），或提供住户文件",
    ),
    "x.risk_factor": (
        "unknown risk factor (known: {known}; a distance factor needs an entry in "
        "risk.osm_features)",
        "未知风险因子（已知：{known}；距离类因子需在 risk.osm_features 中配置）",
    ),
    "x.unknown_kind": (
        "unknown facility kind{what} (known: {known})",
        "未知设施类型{what}（已知：{known}）",
    ),
    "x.unknown_kind_hint": (
        "unknown facility kind{what}, did you mean {close}? (known: {known})",
        "未知设施类型{what}，是否应为 {close}？（已知：{known}）",
    ),
    # the machine's limits (shequ.machine.check_fits)
    "m.too_big": (
        "{option} would make about {objects} {what} (≈ {need} GB estimated); this machine has "
        "{free} GB free: {advice}",
        "{option} 将产生约 {objects} 个{what}（估计约需 {need} GB 内存）；"
        "本机可用内存 {free} GB：{advice}",
    ),
    # grid workload (``grid.workload_weights``): the planner's balance measure
    "e.grid_param_demand": (
        "demand must be households or a column of the atoms such as workload, got {value}",
        "demand 必须为 households 或划分单元的某一列（如 workload），实际为 {value}",
    ),
}
