"""Errors and reasons of management grids (``shequ grids``).

``e.grid_*``   errors (an :class:`~shequ.errors.InputError` the CLI prints in one line)
``r.grid_*``   reasons an edit is rejected (``rejects.csv``)
``g.*``        the method of a plan (``plan_summary.csv``) and where a redraw started
"""

MESSAGES: dict[str, tuple[str, str]] = {
    # options and inputs of the command (shequ/jobs/grids.py)
    "e.grid_households_per_grid": (
        "--households-per-grid must be positive, got {value}",
        "--households-per-grid 必须为正数，实际为 {value}",
    ),
    "e.grid_tolerance": (
        "--tolerance must be between 0 and 1, got {value}",
        "--tolerance 必须在 0 到 1 之间，实际为 {value}",
    ),
    "e.grid_no_homes": (
        "no homes with households in the area: nothing to divide into grids",
        "区域内没有住户数大于 0 的住宅：无法划分网格",
    ),
    "e.grid_too_few_streets": (
        "too few streets to delineate blocks (empty area?)",
        "街道太少，无法划出街廓（区域是否为空？）",
    ),
    "e.grid_existing_duplicate_ids": (
        "duplicate grid_id values in the existing grids",
        "现有网格中有重复的 grid_id",
    ),
    "e.grid_existing_no_column": (
        "{option} {column}: no such column in the existing grids (columns: {names})",
        "{option} {column}：现有网格文件中没有这一列（现有列：{names}）",
    ),
    # the grid register (网格台账) after a redraw (shequ/jobs/grids.py)
    "n.grids_retired": (
        "{n} existing grids did not continue (retired; where their households went: "
        "retired_grids.csv): {codes}",
        "{n} 个现有网格不再延续（撤销，其住户的去向见 retired_grids.csv）：{codes}",
    ),
    "n.grids_new": (
        "{n} new grids, coded after the register's last number in their sequence: {codes}",
        "新增 {n} 个网格，编码接续台账中同一序列的最后一个编号：{codes}",
    ),
    "n.redraw_declined": (
        "the existing grids are kept as they are: bringing their few households outside the band "
        "into it would move {households:.0f} households",
        "现有网格保持不变：若要把略超容差的网格调回容差范围，需调整 {households:.0f} 户",
    ),
    "n.existing_no_codes": (
        "the existing grids have no code column (code, 网格编码, or --code-column): codes are "
        "numbered anew",
        "现有网格文件中没有编码列（code、网格编码，或用 --code-column 指定）：网格编码将重新编排",
    ),
    # locked grids (--lock, the register's locked column): left as they are by the redraw
    "e.grid_lock_without_existing": (
        "--lock needs --existing: only grids of an existing register can be locked",
        "--lock 需与 --existing 一起使用：只能锁定现有网格台账中的网格",
    ),
    "e.grid_lock_unknown": (
        "--lock {code}: no existing grid has this code (codes: {codes})",
        "--lock {code}：现有网格中没有这个编码（现有编码：{codes}）",
    ),
    "e.grid_locked_value": (
        "locked {value} is neither yes (1, true, yes, 是) nor no (0, false, no, 否, or blank)",
        "locked 列的值 {value} 无法识别：锁定填 1、true、yes 或 是，不锁定填 0、false、no、否"
        "或留空",
    ),
    "n.grids_locked": (
        "{n} grids locked and left as they are: {codes}",
        "{n} 个网格已锁定，保持不变：{codes}",
    ),
    "n.edit_rejected": (
        "edit on row {row} of {file} not applied: {reason}",
        "{file} 第 {row} 行的修改未应用：{reason}",
    ),
    "e.grid_edits_no_to_grid": (
        "edits need a 'to_grid' or 'to_code' property per polygon (the grid it goes to)",
        "修改文件中每个多边形都需要 'to_grid' 或 'to_code' 属性（划入的网格）",
    ),
    # reasons an edit drawn on the map is not applied (rejects.csv)
    "r.grid_edit_not_whole": (
        "to_grid {value} is not a whole grid id",
        "to_grid {value} 不是整数网格编号",
    ),
    "r.grid_edit_other_plan": (
        "to_code {code} does not match grid {grid} (code {known}): the edits were drawn on "
        "another plan",
        "to_code {code} 与网格 {grid}（编码 {known}）不符：这些修改是在另一版网格方案上画的",
    ),
    "r.grid_edit_unknown_code": (
        "to_code {code} is not a grid of this plan: the edits were drawn on another plan",
        "to_code {code} 不是本方案中的网格：这些修改是在另一版网格方案上画的",
    ),
    "r.grid_edit_locked": (
        "grid {code} is locked (--lock or the locked column): edits do not change it",
        "网格 {code} 已锁定（--lock 或 locked 列），不能通过修改调整",
    ),
    "r.grid_edit_unknown_grid": (
        "to_grid {grid} is not a grid of this plan",
        "to_grid {grid} 不是本方案中的网格",
    ),
    "r.grid_edit_no_atom": (
        "the drawn polygon contains no atom of another grid",
        "所画范围内没有属于其他网格的单元",
    ),
    # parameters of the planning models (GridPlanner, GridRedrawer), checked when they fit
    "e.grid_param_positive": (
        "{name} must be positive, got {value}",
        "{name} 必须为正数，实际为 {value}",
    ),
    "e.grid_param_tolerance": (
        "{name} must be in [0, 1), got {value}",
        "{name} 必须在 [0, 1) 区间内，实际为 {value}",
    ),
    "e.grid_param_whole": (
        "{name} must be a whole number ≥ {least}, got {value}",
        "{name} 必须是不小于 {least} 的整数，实际为 {value}",
    ),
    "e.grid_param_n_jobs": (
        "n_jobs must be None, -1 (every core) or a whole number ≥ 1, got {value}",
        "n_jobs 必须为 None、-1（全部核心）或不小于 1 的整数，实际为 {value}",
    ),
    "e.grid_param_border_cost": (
        "border_cost must map border classes to costs ≥ 0, got {value}",
        "border_cost 必须为每类边界给出不小于 0 的代价，实际为 {value}",
    ),
    "e.grid_param_weights": (
        "weights must be SearchWeights with every weight a number ≥ 0, got {value}",
        "weights 必须是 SearchWeights，且每个权重都是不小于 0 的数，实际为 {value}",
    ),
    "e.grid_no_atoms": (
        "no atoms to divide into grids",
        "没有可划入网格的单元",
    ),
    "e.grid_locked_length": (
        "locked must hold one yes/no per atom ({atoms}), got {got}",
        "locked 必须为每个单元给出一个是否锁定的值（共 {atoms} 个），实际为 {got} 个",
    ),
    "e.grid_origin_length": (
        "origin must hold one grid id per atom ({atoms}), got {got}",
        "origin 必须为每个单元给出一个网格编号（共 {atoms} 个），实际为 {got} 个",
    ),
    # the grid map's inputs (maps/grid_map.py)
    "e.grid_map_target": (
        "target: households per grid must be a positive number, got {value}",
        "target：每格户数必须为正数，实际为 {value}",
    ),
    "e.grid_map_tolerance": (
        "tolerance must be a number from 0 to below 1, got {value}",
        "tolerance 必须是不小于 0 且小于 1 的数，实际为 {value}",
    ),
    # methods (plan_summary.csv "method") and where a redraw's search started
    "g.method_plan": (
        "seeded region growing + local search with chain and ejection moves (multi-start) + "
        "exact neighbourhood repair (HiGHS) where a grid stays outside the band",
        "种子区域生长 + 局部搜索（链式移动与逐出链，多起点）+ 对仍超出容差的网格做邻域精确修复"
        "（HiGHS）",
    ),
    "g.method_redraw": (
        "redraw with the fewest households moved, starting from {start}",
        "按调整户数最少重划网格，起点：{start}",
    ),
    "g.method_redraw_from": (
        "redraw from {file}: {start}",
        "依据 {file} 重划：{start}",
    ),
    "g.start_existing": ("existing grids", "现有网格"),
    "g.start_fresh": (
        "fresh plan matched to existing ids",
        "重新划分，并按现有网格编号对应",
    ),
    "n.grid_workload": (
        "grids balanced on workload (households plus the profile's weights times the key "
        "people of the homes file: grid.workload_weights, assumptions): {workload_out} outside "
        "±{tol:.0%} on workload, {households_out} on households",
        "网格按工作量平衡（户数加住宅文件中重点人员数乘以配置权重：grid.workload_weights，"
        "为假设值）：{workload_out} 个网格的工作量超出 ±{tol:.0%}，"
        "{households_out} 个网格的户数超出",
    ),
}
