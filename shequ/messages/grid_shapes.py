"""Notes on grid shapes (``shequ grids``): grids left under the compactness floor, and why.

``n.thin_*``   one note per reason in ``compact_reason`` (``grid_summary.csv``), written by
               :func:`shequ.analyses.grid_metrics.shape_notes`
"""

MESSAGES: dict[str, tuple[str, str]] = {
    "n.thin_single_atom": (
        "{n} grids stay under Polsby-Popper {floor}: each is one compound or block, so it has "
        "that atom's shape (compact_reason 'single_atom')",
        "{n} 个网格的紧凑度（Polsby-Popper）低于 {floor}：各由单个小区或街廓构成，形状即该单元的"
        "形状（compact_reason 为 'single_atom'）",
    ),
    "n.thin_balance": (
        "{n} grids stay under Polsby-Popper {floor}: no atom can leave or join them without "
        "taking a grid out of the household band or cutting one in two (compact_reason "
        "'balance')",
        "{n} 个网格的紧凑度（Polsby-Popper）低于 {floor}：任何单元调入或调出都会使网格超出户数"
        "允许范围或被分成两块（compact_reason 为 'balance'）",
    ),
    "n.thin_neighbours": (
        "{n} grids stay under Polsby-Popper {floor}: rounding them off would leave a "
        "neighbouring grid thinner still (compact_reason 'neighbours')",
        "{n} 个网格的紧凑度（Polsby-Popper）低于 {floor}：若使其更规整，相邻网格会变得更狭长"
        "（compact_reason 为 'neighbours'）",
    ),
    "n.thin_movable": (
        "{n} grids stay under Polsby-Popper {floor} although moving atoms would round them off "
        "(hand edits, or the search ran out of time; compact_reason 'movable')",
        "{n} 个网格的紧凑度（Polsby-Popper）低于 {floor}，但调整单元仍可使其更规整（可能因手工"
        "调整或搜索超时；compact_reason 为 'movable'）",
    ),
}
