"""Apply a grid manager's hand edits (drawn on the map) to a plan, then check what they broke.

The map (``shequ.maps.grid_map``) exports a GeoJSON FeatureCollection in WGS-84: each drawn
polygon carries ``to_grid`` (the grid id its area should belong to; ``to_code`` is informative).
Every atom whose interior point lies inside a drawn polygon moves to that grid. Edits are the
manager's decision, so they are applied as drawn; what they cost is reported — households
moved, grids that are no longer contiguous, grids pushed out of tolerance — and an edit naming a
grid that does not exist is rejected with its reason.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import shapely
from scipy.sparse import csgraph

from shequ.geo.atoms import Atoms


def apply_edits(
    atoms: Atoms, labels: np.ndarray, edits: list[tuple[int, shapely.Geometry, int]]
) -> tuple[np.ndarray, pd.DataFrame, list[tuple[int, str]]]:
    """``edits`` = (row, polygon in the atoms' CRS, to_grid). Returns new labels, the moves
    (atom_id, households, from_grid, to_grid, edit_row) and rejected (row, reason)."""
    labels = labels.copy()
    known = set(np.unique(labels).tolist())
    inner = shapely.point_on_surface(atoms.frame.geometry.values)
    hh = atoms.frame["households"].to_numpy()
    rows, rejected = [], []
    for row, polygon, to_grid in edits:
        if to_grid not in known:
            rejected.append((row, f"to_grid {to_grid} is not a grid of this plan"))
            continue
        hit = np.flatnonzero(shapely.contains(polygon, inner) & (labels != to_grid))
        if len(hit) == 0:
            rejected.append((row, "the drawn polygon contains no atom of another grid"))
            continue
        for a in hit:
            rows.append((int(atoms.frame["atom_id"].iat[a]), hh[a], labels[a], to_grid, row))
        labels[hit] = to_grid
    moves = pd.DataFrame(
        rows, columns=["atom_id", "households", "from_grid", "to_grid", "edit_row"]
    )
    return labels, moves, rejected


def broken_grids(atoms: Atoms, labels: np.ndarray) -> list[int]:
    """Grids whose atoms no longer form one connected piece."""
    graph = atoms.graph()
    out = []
    for g in np.unique(labels):
        members = np.flatnonzero(labels == g)
        n, _ = csgraph.connected_components(graph[members][:, members], directed=False)
        if n > 1:
            out.append(int(g))
    return out
