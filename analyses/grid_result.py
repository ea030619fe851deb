"""What every grid model returns: a plan (网格划分方案) with its objective, moves and timings.

One result shape for a new plan (:class:`~shequ.analyses.grid_plan.GridPlanner`), a redraw of
existing grids (:class:`~shequ.analyses.grid_redraw.GridRedrawer`) and a plan after a grid
manager's hand edits (:func:`~shequ.analyses.grid_edits.edit_plan`), as every siting model
returns a :class:`~shequ.analyses.siting_result.SitingResult`: the grid of every atom, the
objective term by term, the atoms no grid can split, every household moved and why the plan is
what it is (its method). Callers read the plan; nothing patches a fitted model.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from shequ.analyses.grid_objective import SearchWeights
from shequ.i18n import Note

MOVE_COLUMNS = ("atom_id", "households", "from_grid", "to_grid")
"""Columns of :attr:`GridPlan.moves` (edits add ``edit_row``: the edit's row, -1 for a move the
redraw made)."""


@dataclass(frozen=True)
class GridPlan:
    """A grid plan over atoms, as a model fitted it (or as edits left it).

    Attributes
    ----------
    labels : ndarray of int
        Grid id per atom, in the atoms' order: 0 … k−1 for a new plan; for a redraw the existing
        ids are kept and new grids get ids above them.
    oversized : ndarray of int
        Positions of the atoms that alone hold more households than the ceiling
        (``target × (1 + tolerance)``): each is a grid of its own, never split, and flagged.
    objective : dict of str to float
        The objective F of ``labels``, term by term
        (:data:`~shequ.analyses.grid_objective.OBJECTIVE_TERMS`) and ``total``.
    method : Note
        How the plan was made, in words (``plan_summary.csv``, ``method``).
    target : float
        Households per grid.
    tolerance : float
        Allowed relative deviation from ``target`` (0.15 for ±15 %).
    border_cost : dict of str to float
        Cost per metre of each border class left inside a grid.
    weights : SearchWeights
        The weights of the search objective.
    moves : DataFrame, optional
        Every atom that changed grid (:data:`MOVE_COLUMNS`, plus ``edit_row`` after edits);
        None for a new plan.
    origin : ndarray of int, optional
        The grid each atom started in (redraw: the existing grids; -1 in no grid); None for a
        new plan.
    households_moved : float
        Households in ``moves`` (0 for a new plan).
    split, merged : tuple of int
        Existing grids a redraw split in two, and merged into a neighbour.
    search : dict
        Statistics of the search: rounds, moves, path moves, exact repairs, the start kept.
    seconds : dict of str to float
        Wall-clock seconds per stage; ``fit`` is the model's whole fit.
    """

    labels: np.ndarray
    oversized: np.ndarray
    objective: dict[str, float]
    method: Note
    target: float
    tolerance: float
    border_cost: dict[str, float]
    weights: SearchWeights
    moves: pd.DataFrame | None = None
    origin: np.ndarray | None = None
    households_moved: float = 0.0
    split: tuple[int, ...] = ()
    merged: tuple[int, ...] = ()
    search: dict = field(default_factory=dict)
    seconds: dict[str, float] = field(default_factory=dict)

    @property
    def n_grids(self) -> int:
        """Number of grids in the plan."""
        return len(np.unique(self.labels))

    @property
    def ceiling(self) -> float:
        """Most households a grid may hold within the tolerance."""
        return self.target * (1 + self.tolerance)
