"""Apply a grid manager's hand edits (drawn on the map) to a plan, then check what they broke.

The map (``shequ.maps.grid_map``) exports a GeoJSON FeatureCollection in WGS-84: each drawn
polygon carries ``to_grid`` (the grid id its area should belong to; ``to_code`` is informative).
Every atom whose interior point lies inside a drawn polygon moves to that grid. Edits are the
manager's decision, so they are applied as drawn; what they cost is reported — households
moved, grids that are no longer contiguous, grids pushed out of tolerance — and an edit naming a
grid that does not exist is rejected with its reason. A locked grid (``shequ grids --lock``) is
the manager's earlier decision that it stays as it is: no edit moves an atom into or out of it.
"""

from __future__ import annotations

import time
from dataclasses import replace

import numpy as np
import pandas as pd
import shapely
from scipy.sparse import csgraph

from shequ.analyses.grid_objective import objective_terms
from shequ.analyses.grid_plan import atom_data
from shequ.analyses.grid_result import GridPlan
from shequ.geo.atoms import Atoms
from shequ.i18n import Note

Edit = tuple[int, shapely.Geometry, int]
"""One drawn shape: (row in the edits file, polygon in the atoms' CRS, ``to_grid``)."""


def apply_edits(
    atoms: Atoms,
    labels: np.ndarray,
    edits: list[Edit],
    *,
    locked: frozenset[int] = frozenset(),
    codes: dict[int, str] | None = None,
) -> tuple[np.ndarray, pd.DataFrame, list[tuple[int, Note]]]:
    """Move the atoms inside each drawn shape to its grid, shape after shape.

    Parameters
    ----------
    atoms : Atoms
        The plan's atoms.
    labels : ndarray of int
        Grid id per atom (not changed).
    edits : list of (int, Polygon, int)
        (row, polygon in the atoms' CRS, to_grid), in the order drawn: where shapes overlap,
        the later one wins.
    locked : frozenset of int
        Grids no edit changes: an edit into one is rejected, and a shape over one moves only
        the atoms of other grids (rejected when it holds no other).
    codes : dict of int to str, optional
        Grid codes, to name a locked grid in the reason (default: its id).

    Returns
    -------
    labels : ndarray of int
        Grid id per atom after the edits.
    moves : DataFrame
        atom_id, households, from_grid, to_grid, edit_row: one row per atom moved.
    rejected : list of (int, Note)
        The rows not applied, with the reason.
    """
    labels = labels.copy()
    known = set(np.unique(labels).tolist())
    inner = shapely.point_on_surface(atoms.frame.geometry.values)
    hh = atoms.frame["households"].to_numpy()
    codes = codes or {}
    shut = np.isin(labels, sorted(locked))  # atoms of locked grids (never relabelled here)
    rows, rejected = [], []
    for row, polygon, to_grid in edits:
        if to_grid not in known:
            rejected.append((row, Note("r.grid_edit_unknown_grid", grid=to_grid)))
            continue
        if to_grid in locked:
            code = codes.get(to_grid) or to_grid
            rejected.append((row, Note("r.grid_edit_locked", code=code)))
            continue
        inside = shapely.contains(polygon, inner) & (labels != to_grid)
        hit = np.flatnonzero(inside & ~shut)
        if len(hit) == 0:
            if (inside & shut).any():
                g = int(labels[np.flatnonzero(inside & shut)[0]])
                rejected.append((row, Note("r.grid_edit_locked", code=codes.get(g) or g)))
            else:
                rejected.append((row, Note("r.grid_edit_no_atom")))
            continue
        for a in hit:
            rows.append((int(atoms.frame["atom_id"].iat[a]), hh[a], labels[a], to_grid, row))
        labels[hit] = to_grid
    moves = pd.DataFrame(
        rows, columns=["atom_id", "households", "from_grid", "to_grid", "edit_row"]
    )
    return labels, moves, rejected


def edit_plan(
    plan: GridPlan,
    atoms: Atoms,
    edits: list[Edit],
    *,
    locked: frozenset[int] = frozenset(),
    codes: dict[int, str] | None = None,
) -> tuple[GridPlan, list[tuple[int, Note]]]:
    """The plan after the manager's edits, re-scored (:func:`apply_edits`).

    Parameters
    ----------
    plan : GridPlan
        The plan the edits were drawn on (not changed).
    atoms : Atoms
        Its atoms.
    edits : list of (int, Polygon, int)
        (row, polygon in the atoms' CRS, to_grid), in the order drawn.
    locked, codes
        Grids no edit changes, and the codes naming them (:func:`apply_edits`).

    Returns
    -------
    plan : GridPlan
        The edited plan: new labels, the objective of those labels, and ``moves`` with an
        ``edit_row`` column: the plan's own moves first (a redraw's, ``edit_row`` -1), then
        the edits' (their row). Method, oversized atoms and search statistics are the plan's;
        ``seconds`` gains ``edits``.
    rejected : list of (int, Note)
        The rows not applied, with the reason.
    """
    t0 = time.perf_counter()
    labels, edit_moves, rejected = apply_edits(
        atoms, plan.labels, edits, locked=locked, codes=codes
    )
    moves = edit_moves
    if plan.moves is not None and len(plan.moves):
        moves = pd.concat([plan.moves.assign(edit_row=-1), edit_moves], ignore_index=True)
    data = atom_data(atoms, plan.border_cost)
    objective = objective_terms(
        data,
        labels,
        target=plan.target,
        tol=plan.tolerance,
        weights=plan.weights,
        origin=plan.origin,
    )
    edited = replace(
        plan,
        labels=labels,
        objective=objective,
        moves=moves,
        households_moved=float(moves["households"].sum()),
        seconds={**plan.seconds, "edits": time.perf_counter() - t0},
    )
    return edited, rejected


def broken_grids(atoms: Atoms, labels: np.ndarray) -> list[int]:
    """Grids whose atoms no longer form one connected piece.

    Parameters
    ----------
    atoms : Atoms
        The plan's atoms.
    labels : ndarray of int
        Grid id per atom.

    Returns
    -------
    list of int
        The ids of the grids in more than one piece, ascending.
    """
    graph = atoms.graph()
    out = []
    for g in np.unique(labels):
        members = np.flatnonzero(labels == g)
        n, _ = csgraph.connected_components(graph[members][:, members], directed=False)
        if n > 1:
            out.append(int(g))
    return out
