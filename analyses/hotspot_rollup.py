"""Hotspots per management grid (网格汇总): the incidents inside each grid and its own level.

A grid officer reads risk per grid, so every figure of a grid comes from the grid itself:

- ``incidents``: the incidents inside the grid, by point-in-polygon
  (:func:`shequ.analyses.grid_audit.assign_points`: an incident on a shared border or in two
  overlapping grids counts for the first grid of the file, so no incident counts twice). H3
  cells are not used for counting: a 250 m grid can lie inside one res-8 cell (about 460 m
  across) without holding its centre, and giving whole cells to the grid holding the centre
  reported 137 of Sacramento's 306 grids with incidents as holding none.
- ``incidents_per_km2``: incidents over the grid's area, so a large grid is not ranked high
  for its size alone.
- ``level``: the profile's top-share scheme (``risk.levels.top_share``, the same red 5 % /
  orange 10 % / yellow 20 % the cells use, :func:`shequ.analyses.risk_index.warning_levels`)
  applied to the grids' ``incidents_per_km2``: the densest 5 % of grids are red, and so on. A
  grid with no incident is blue whatever its rank. Gi* is not used: it is a statistic of a cell
  against its neighbours at one cell size, not of a grid with its own boundary, and a grid
  smaller than a cell would inherit a neighbourhood it does not have. Per household would
  suit grids of unequal population better, but homes are only known with an OSM extract; the
  density works with incidents alone. Grids tied at a cut-off all take the higher level
  (:func:`grid_levels`): many grids hold one or two incidents on equal areas, and two grids
  with the same figures must not differ in colour because of their order in the file.
- ``mean_index``: the cells' risk index averaged over the grid, weighted by the area each cell
  shares with it (context for the level, not its source); ``cells`` and ``hot_cells`` (Gi* bin
  ≥ 2) count the cells overlapping the grid.
"""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pyproj
import shapely

from shequ.analyses.grid_audit import assign_points
from shequ.analyses.risk_index import three_colour

LEVEL_RANK = {"blue": 0, "yellow": 1, "orange": 2, "red": 3}
"""Warning levels from lowest to highest."""


def grid_rollup(
    grids: gpd.GeoDataFrame,
    cells: gpd.GeoDataFrame,
    crs: pyproj.CRS,
    incident_xy: np.ndarray,
    top_share: dict[str, float] | None = None,
    *,
    three_colours: bool = False,
) -> gpd.GeoDataFrame:
    """The grids with their incidents, density, level and the overlap-weighted cell index.

    Parameters
    ----------
    grids : GeoDataFrame
        Grid polygons in ``crs``; a ``grid_id`` column is kept, else one is numbered from 0.
    cells : GeoDataFrame
        The run's cells with ``index`` and ``bin`` (any CRS; taken to ``crs``).
    crs : pyproj.CRS
        The metric CRS of ``grids`` and ``incident_xy``.
    incident_xy : ndarray, shape (n, 2)
        The incidents of the study area, in ``crs``.
    top_share : dict, optional
        Share of grids per level (``red``, ``orange``, ``yellow``); default: the cells'.
    three_colours : bool
        Fold orange into red (红黄蓝).

    Returns
    -------
    GeoDataFrame
        A copy of ``grids`` with ``incidents``, ``area_km2``, ``incidents_per_km2``, ``level``,
        ``mean_index`` (NaN where no cell overlaps), ``cells`` and ``hot_cells``. The sum of
        ``incidents`` is the number of incidents inside any grid.
    """
    out = grids.copy()
    if "grid_id" not in out.columns:
        out["grid_id"] = np.arange(len(out))
    geoms = out.geometry.to_numpy()
    which = assign_points(np.asarray(incident_xy, dtype=float).reshape(-1, 2), geoms)
    incidents = np.bincount(which[which >= 0], minlength=len(out)).astype(float)
    area_km2 = shapely.area(geoms) / 1e6
    density = np.divide(incidents, area_km2, out=np.zeros(len(out)), where=area_km2 > 0)
    levels = grid_levels(density, top_share)
    out["incidents"] = incidents
    out["area_km2"] = area_km2
    out["incidents_per_km2"] = density
    out["level"] = three_colour(levels) if three_colours else levels
    out["mean_index"], out["cells"], out["hot_cells"] = _cell_overlap(geoms, cells, crs)
    return out


def grid_levels(value: np.ndarray, top_share: dict[str, float] | None = None) -> np.ndarray:
    """red/orange/yellow/blue by the top-share scheme, ties at a cut-off taking the higher level.

    Parameters
    ----------
    value : ndarray
        Each grid's figure (incidents per km²); higher is riskier.
    top_share : dict, optional
        Share of grids per level, from the highest (``red``, ``orange``, ``yellow``); default
        red 0.05, orange 0.10, yellow 0.20 (the profile's ``risk.levels.top_share``).

    Returns
    -------
    ndarray of str
        The level of each grid. A level's cut-off is the figure of the last grid within its
        cumulative share (rounded to whole grids); every grid at or above it with a figure
        above 0 takes the level, so ties (equal to 4 significant digits) never split and the
        share may exceed the profile's by the tied grids. A grid with figure 0 is always blue.
    """
    # figures equal to 4 significant digits are ties: equal squares drawn in one CRS and read
    # back through another differ in area by about 1e-6, which must not split a tie
    value = np.array([float(f"{v:.4g}") for v in np.asarray(value, dtype=float)])
    shares = top_share or {"red": 0.05, "orange": 0.10, "yellow": 0.20}
    out = np.full(len(value), "blue", dtype=object)
    ranked = np.sort(value)[::-1]
    taken = np.zeros(len(value), dtype=bool)
    cumulative = 0.0
    for level in ("red", "orange", "yellow"):
        cumulative += float(shares.get(level, 0.0))
        n = round(cumulative * len(value))
        if n == 0:
            continue
        chosen = (value >= ranked[n - 1]) & (value > 0) & ~taken
        out[chosen] = level
        taken |= chosen
    return out


def _cell_overlap(
    geoms: np.ndarray, cells: gpd.GeoDataFrame, crs: pyproj.CRS
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Per grid: the cells' index weighted by shared area, the cells and hot cells it overlaps
    (an overlap of less than 1 m², a shared edge, is not counted)."""
    polys = cells.to_crs(crs).geometry.to_numpy()
    g_idx, c_idx = shapely.STRtree(polys).query(geoms, predicate="intersects")
    shared = shapely.area(shapely.intersection(geoms[g_idx], polys[c_idx]))
    real = shared >= 1.0
    g_idx, c_idx, shared = g_idx[real], c_idx[real], shared[real]
    n = len(geoms)
    weight = np.bincount(g_idx, weights=shared, minlength=n)
    index = cells["index"].to_numpy(dtype=float)[c_idx]
    weighted = np.bincount(g_idx, weights=shared * index, minlength=n)
    mean_index = np.divide(weighted, weight, out=np.full(n, np.nan), where=weight > 0)
    n_cells = np.bincount(g_idx, minlength=n).astype(float)
    hot = (cells["bin"].to_numpy()[c_idx] >= 2).astype(float)
    return mean_index, n_cells, np.bincount(g_idx, weights=hot, minlength=n)
