"""Errors, unserved reasons and solver words of facility siting (``shequ site``).

``e.site_*``   option and input errors of the siting job (:mod:`shequ.jobs.siting`)
``e.model_*``  parameters a siting model refuses (``SitingError``, shown as an input error)
``e.siting_map_*``  inputs the siting map refuses
``unserved.*`` why a home is not served (``homes.unserved_reason``)
``excluded.*`` why a candidate site is left out (``candidates.excluded``)
``status.*``   solver status words: the English text is the status id kept in the files
``unit.*``     the objective's unit in ``site_summary.csv``
``site.*``     parts of the messages above (lists, counts, memory advice), the capacitated
               headline note
``sitemap.*``  words of the siting map's headline box

Homes (住宅, counted in 处) are buildings or estimated points; households (户) live in them:
a count of homes is never written with 户.
"""

MESSAGES: dict[str, tuple[str, str]] = {
    # key: (en, zh)
    # --- options and inputs of the job ----------------------------------------------------
    "e.site_positive": (
        "{flag} must be a positive number, got {value}",
        "{flag} 必须是正数，实际为 {value}",
    ),
    "e.site_whole": (
        "{flag} must be a whole number, got {value}",
        "{flag} 必须是整数，实际为 {value}",
    ),
    "e.site_at_least": (
        "{flag} must be at least {least}, got {value}",
        "{flag} 不能小于 {least}，实际为 {value}",
    ),
    "e.site_gap": (
        "--gap must be a share from 0 to below 1, got {value}",
        "--gap 必须是 0 到 1 之间（不含 1）的比例，实际为 {value}",
    ),
    "e.site_no_kind": (
        "give the facility kind to site (--kind)",
        "请用 --kind 指定要选址的设施类型",
    ),
    "e.site_one_goal": (
        "give exactly one of --p N, --cover-all or --budget B",
        "--p N、--cover-all 和 --budget B 须且只能给出其中一个",
    ),
    "e.site_model": (
        "--model must be one of {models}, got {value}",
        "--model 必须是 {models} 之一，实际为 {value}",
    ),
    "e.site_budget_model": (
        "--budget works with maximal cover (--model mclp)",
        "--budget 只适用于最大覆盖模型（--model mclp）",
    ),
    "e.site_lscp_p": (
        "set cover chooses its own number of sites: use --cover-all, not --p",
        "集合覆盖模型自行确定设施数量：请使用 --cover-all，而不是 --p",
    ),
    "e.site_heuristic": (
        "--heuristic covers uncapacitated maximal cover (--p) and set cover (--cover-all); for "
        "the others use the exact model with --time-limit (it reports its gap)",
        "--heuristic 仅适用于无容量约束的最大覆盖（--p）和集合覆盖（--cover-all）；"
        "其他模型请使用精确模型并设置 --time-limit（结果会报告最优间隙）",
    ),
    "e.site_candidate_file_empty": (
        "the candidate file has no usable rows (see rejects)",
        "候选点文件中没有可用的行（详见 rejects.csv）",
    ),
    "e.site_no_candidates": (
        "no candidate sites: give --candidates FILE, or use OSM candidates (parking, vacant "
        "land, community buildings) or --street-candidates",
        "没有候选点：请用 --candidates 给出候选点文件，或使用 OSM 候选点（停车场、空地、"
        "社区用房），或使用 --street-candidates 沿街布点",
    ),
    "e.site_spacing": (
        "--spacing must be at least {least} m (a site is metres wide), got {value}",
        "--spacing 不能小于 {least} 米（一处设施本身就有几米宽），实际为 {value}",
    ),
    "e.site_none_usable": (
        "none of the {n} candidate sites is usable ({why})",
        "{n} 个候选点均不可用（{why}）",
    ),
    "e.site_p_too_large": (
        "--p {p} is larger than the {usable} usable candidate sites ({excluded} excluded)",
        "--p {p} 超过了可用候选点的数量（可用 {usable} 个，已排除 {excluded} 个）",
    ),
    "e.site_demand_column": (
        "homes have no {column} column for {kind} demand",
        "住宅数据缺少 {column} 列，无法计算 {kind} 的需求",
    ),
    # parts of the messages above
    "site.reasons": ("{head}; {tail}", "{head}；{tail}"),
    "site.reason_count": ("{n} × {reason}", "{n} 个：{reason}"),
    "site.reason_count_data": ("{n} × {reason}", "{n} 个：“{reason}”"),
    "site.street_candidates": ("street candidates", "沿街候选点"),
    "site.larger_spacing": (
        "use a larger --spacing (streets: {km} km)",
        "请增大 --spacing（街道总长 {km} 公里）",
    ),
    # the capacitated headline (terminal note; the same figures as site_summary.csv)
    "site.headline_capacitated": (
        "capacitated: {filled:,.0f} of {places:,.0f} places filled ({filled_share:.1%}); "
        "demand served {served:,.0f} of {total:,.0f} ({served_share:.1%}); of {homes} homes "
        "with demand {full} fully served, {partly} partly",
        "容量约束：已用名额 {filled:,.0f} / {places:,.0f}（{filled_share:.1%}）；"
        "已服务需求 {served:,.0f} / {total:,.0f}（{served_share:.1%}）；"
        "{homes} 处有需求的住宅中 {full} 处完全得到服务，{partly} 处部分得到服务",
    ),
    # --- parameters a model refuses (SitingError) -------------------------------------------
    "e.model_time_limit": (
        "time_limit_s must be positive, got {value}",
        "time_limit_s 必须是正数，实际为 {value}",
    ),
    "e.model_mip_gap": (
        "mip_gap must be in [0, 1), got {value}",
        "mip_gap 必须在 [0, 1) 范围内，实际为 {value}",
    ),
    "e.model_p_or_budget": (
        "give exactly one of p (number of new sites) or budget",
        "p（新增设施数）和 budget（预算）须且只能给出其中一个",
    ),
    "e.model_p_whole": (
        "p must be a whole number ≥ 0, got {value}",
        "p 必须是不小于 0 的整数，实际为 {value}",
    ),
    "e.model_budget": ("budget must be ≥ 0, got {value}", "budget 不能小于 0，实际为 {value}"),
    "e.model_max_walk": (
        "max_walk_min must be positive, got {value}",
        "max_walk_min 必须是正数，实际为 {value}",
    ),
    "e.model_max_walk_search": (
        "max_walk_min={minutes:g} is beyond the problem's search distance ({search:g} min); "
        "build the problem with a larger search_m",
        "max_walk_min={minutes:g} 超出了问题的搜索距离（{search:g} 分钟）；"
        "请用更大的 search_m 构建问题",
    ),
    "e.model_p_too_large": (
        "p={p} is larger than the {n} candidate sites",
        "p={p} 超过了候选点的数量（{n} 个）",
    ),
    "e.model_max_p": (
        "max_p must be between 1 and the {n} candidate sites, got {value}",
        "max_p 必须在 1 到候选点数量（{n} 个）之间，实际为 {value}",
    ),
    "e.model_cost_missing": (
        "cost missing for {n} of {total} sites of kind {kind} (first: site {first}); give a "
        "'cost' column in the candidates/facilities file or a default in the profile",
        "{kind} 类的 {total} 个设施点中有 {n} 个缺少费用（第一个：设施点 {first}）；"
        "请在候选点或设施文件中提供 'cost' 列，或在配置中设定默认值",
    ),
    "e.model_capacity_missing": (
        "capacity missing for {n} of {total} sites of kind {kind} (first: site {first}); give a "
        "'capacity' column in the candidates/facilities file or a default in the profile",
        "{kind} 类的 {total} 个设施点中有 {n} 个缺少容量（第一个：设施点 {first}）；"
        "请在候选点或设施文件中提供 'capacity' 列，或在配置中设定默认值",
    ),
    # --- inputs the siting map refuses ------------------------------------------------------
    "e.siting_map_kind": (
        "kind needs a non-empty string 'id', got {kind}",
        "设施类型需要非空的字符串 'id'，实际为 {kind}",
    ),
    "e.siting_map_curve": (
        "curve: missing column(s) {columns}",
        "覆盖曲线缺少列：{columns}",
    ),
    # --- the siting map's headline box (numbers come formatted, rounded for display) ------
    "sitemap.headline": ("Result", "选址结果"),
    "sitemap.demand_served": (
        "demand served: {served} of {total} ({share})",
        "已服务需求：{served} / {total}（{share}）",
    ),
    "sitemap.homes_served": (
        "homes fully served: {full} of {homes} with demand",
        "完全得到服务的住宅：{full} / {homes} 处（有需求）",
    ),
    "sitemap.homes_partly": (
        "homes partly served: {partly}",
        "部分得到服务的住宅：{partly} 处",
    ),
    "sitemap.places_filled": (
        "places filled: {filled} of {places} ({share})",
        "已用名额：{filled} / {places}（{share}）",
    ),
    "sitemap.no_name": ("no name", "未命名"),
    # --- why a home is not served (homes.unserved_reason) -----------------------------------
    "unserved.out_of_reach": (
        "no candidate or existing site within {minutes:g} min ({metres:.0f} m) walk",
        "步行 {minutes:g} 分钟（{metres:.0f} 米）内没有候选点或现有设施",
    ),
    "unserved.no_street": (
        "no walkable street near the home",
        "住宅附近没有可步行的街道",
    ),
    "unserved.not_chosen": (
        "not covered by the chosen sites",
        "不在选定设施的覆盖范围内",
    ),
    "unserved.full": (
        "only partly served: the chosen sites within reach are full",
        "仅部分得到服务：可达的选定设施容量已满",
    ),
    "unserved.beyond": (
        "assigned site is {minutes:.1f} min away, beyond the {threshold:g} min threshold",
        "分配的设施需步行 {minutes:.1f} 分钟，超出 {threshold:g} 分钟的标准",
    ),
    "unserved.no_demand": ("no demand of this kind", "没有此类设施的需求"),
    # --- why a candidate site is left out (candidates.excluded) -----------------------------
    "excluded.unattached": (
        "no walkable street within {m:g} m (outside the study area?)",
        "{m:g} 米内没有可步行的街道（是否在研究区外？）",
    ),
    "excluded.no_cost": (
        "no cost given (--budget needs one per candidate)",
        "未给出费用（--budget 要求每个候选点都有费用）",
    ),
    "excluded.no_capacity": (
        "no capacity given (--capacitated needs one per candidate)",
        "未给出容量（--capacitated 要求每个候选点都有容量）",
    ),
    # --- solver status (the English text is the id written to the files) -------------------
    "status.optimal": ("optimal", "最优"),
    "status.time_limit": ("time_limit", "达到时间上限"),
    "status.infeasible": ("infeasible", "无可行解"),
    "status.iteration_limit": ("iteration_limit", "达到迭代上限"),
    "status.solution_limit": ("solution_limit", "达到解数上限"),
    "status.interrupted": ("interrupted", "已中断"),
    "status.memory_limit": ("memory_limit", "内存不足"),
    "status.unknown": ("unknown", "状态未知"),
    "status.heuristic": ("heuristic", "启发式"),
    "status.existing": ("existing", "仅现有设施"),
    # --- the objective's unit (site_summary.csv) --------------------------------------------
    "unit.walk_minutes": ("weighted walk minutes", "加权步行分钟"),
    "unit.new_sites": ("new sites", "新增设施数"),
    "unit.covered_weight": ("covered demand weight", "覆盖的需求权重"),
}
