"""The living-circle audit per management grid (网格): who is served, grid by grid.

A grid worker answers for the homes of their own grid, so the audit's summary
(:func:`shequ.analyses.audit.summary`) is repeated for the homes inside each grid: per kind and
tier, households, population, elderly and children covered and in total, their shares and the
blind-spot homes. Walk times are those of the whole run: a facility outside a grid still serves
its homes, so whether a kind can be measured (``data_status``) is decided on the run's usable
facilities, and on the grid's own homes (a grid with no home is ``no_homes``, its shares empty).

Homes are given to grids by point-in-polygon (:func:`assign_points`): a home on a border shared
by two grids, or inside two overlapping grids, goes to the first of them in the file, so it is
counted once; a home in no grid is counted in the rows of :data:`OUTSIDE` ("outside every
grid"), never dropped. The totals over all rows therefore equal the run's summary.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from shequ.analyses.access import KindAccess
from shequ.analyses.audit import summary

OUTSIDE = 0
"""``grid_row`` of the rows that count the homes lying in no grid (grid rows are 1-based)."""

GRID_KEYS: tuple[str, ...] = ("grid_id", "code", "name")
"""Columns of the grids file copied to every audit row, when the file has them."""


def assign_points(xy: np.ndarray, polygons: np.ndarray) -> np.ndarray:
    """The position of the first polygon holding each point, -1 for a point in none.

    Parameters
    ----------
    xy : ndarray, shape (n, 2)
        Point coordinates, in the CRS of ``polygons``.
    polygons : ndarray of shapely geometries
        The grids, in file order.

    Returns
    -------
    ndarray of int, shape (n,)
        Index into ``polygons``; -1 when no polygon holds the point. ``intersects`` is used, so
        a point on a border belongs to a grid (the first of the two), never to none; taking the
        first polygon makes every point count once even where grids overlap.
    """
    out = np.full(len(xy), -1, dtype=np.int64)
    if len(xy) == 0 or len(polygons) == 0:
        return out
    points = shapely.points(np.asarray(xy, dtype=float))
    point_idx, poly_idx = shapely.STRtree(polygons).query(points, predicate="intersects")
    first = np.full(len(xy), np.iinfo(np.int64).max, dtype=np.int64)
    np.minimum.at(first, point_idx, poly_idx)
    found = first < np.iinfo(np.int64).max
    out[found] = first[found]
    return out


def _subset(acc: KindAccess, mask: np.ndarray) -> KindAccess:
    """The kind's access for the homes of ``mask`` (node distances stay the run's)."""
    return replace(
        acc,
        walk_min=acc.walk_min[mask],
        nearest_facility=acc.nearest_facility[mask],
        reason=acc.reason[mask],
    )


def grid_audit(
    homes: gpd.GeoDataFrame,
    access: dict[str, KindAccess],
    tiers_min: tuple[float, ...],
    grids: gpd.GeoDataFrame,
    facilities_per_kind: Mapping[str, int] | None = None,
) -> gpd.GeoDataFrame:
    """One row per grid, kind and tier: the audit's summary of the homes inside the grid.

    Parameters
    ----------
    homes : GeoDataFrame
        The run's homes (points) with their demand columns, in the CRS of ``grids``.
    access : dict
        Per kind, its :class:`~shequ.analyses.access.KindAccess` (one entry per home).
    tiers_min : tuple of float
        The minute tiers reported besides each kind's own threshold.
    grids : GeoDataFrame
        Grid polygons (metric CRS); ``grid_id``, ``code`` and ``name`` are copied when present.
    facilities_per_kind : mapping, optional
        Usable facilities per kind in the whole run (see :func:`~shequ.analyses.audit.summary`).

    Returns
    -------
    GeoDataFrame
        ``grid_row`` (the grid's 1-based row in its file, the reader's ``row``, else its
        position; :data:`OUTSIDE` for homes in no grid), ``outside`` (True on those rows),
        the grid's keys, then every column of :func:`~shequ.analyses.audit.summary` computed
        on the grid's homes; the geometry is the grid polygon (None outside). Rows outside
        every grid appear only when a home lies outside. Shares are NaN where ``data_status``
        is not ``ok`` or the total is 0.
    """
    xy = np.column_stack([homes.geometry.x.to_numpy(), homes.geometry.y.to_numpy()])
    which = assign_points(xy, grids.geometry.to_numpy())
    keys = [k for k in GRID_KEYS if k in grids.columns]
    file_rows = grids["row"].to_numpy() if "row" in grids else np.arange(1, len(grids) + 1)
    parts = []
    positions = list(range(len(grids)))
    if (which < 0).any():
        positions.append(-1)
    for pos in positions:
        mask = which == pos
        part = summary(
            homes.loc[mask],
            {k: _subset(a, mask) for k, a in access.items()},
            tiers_min,
            facilities_per_kind,
        )
        part.insert(0, "grid_row", OUTSIDE if pos < 0 else int(file_rows[pos]))
        part.insert(1, "outside", pos < 0)
        for i, key in enumerate(keys):
            part.insert(2 + i, key, None if pos < 0 else grids[key].iloc[pos])
        part["geometry"] = None if pos < 0 else grids.geometry.iloc[pos]
        parts.append(part)
    table = pd.concat(parts, ignore_index=True)
    return gpd.GeoDataFrame(table, geometry="geometry", crs=grids.crs)


def outside_homes(audit: pd.DataFrame) -> tuple[int, float]:
    """Homes and households in no grid (read from the audit's rows outside every grid)."""
    rows = audit[audit["outside"].to_numpy(dtype=bool)]
    if rows.empty:
        return 0, 0.0
    first = rows.iloc[0]
    return int(first["homes_total"]), float(first["households_total"])
