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
- ``level``: by the cells' level rule (:class:`shequ.analyses.risk_index.LevelRule`), applied
  to the grid's own figures, so a grid and a cell of the same colour mean the same thing:

  * ``significance`` (default): significance **and** the top of the ranking, as for cells
    (:func:`shequ.analyses.risk_index.significance_levels`). A grid's significance is its own
    excess of incidents (:func:`grid_excess`): the incidents the grids' mean density predicts
    for its area are compared with its count, with the variance widened by the over-dispersion
    the grids themselves show (quasi-Poisson), and binned at 99/95/90 % like Gi*
    (``grid_z``, ``grid_p``, ``grid_bin``); "the top of the index" is the top
    ``index_top_share`` of grids by incidents per km². Red: excess at 99 % and among the
    densest; orange: any other excess at 95 %; yellow: excess at 90 %, or among the densest
    with no significant excess; blue: the rest. Gi* is not used for grids: it is a statistic
    of a cell against its neighbours at one cell size, not of a grid with its own boundary,
    and a grid smaller than a cell would inherit a neighbourhood it does not have. The
    over-dispersion matters: incidents cluster at addresses, so a plain Poisson test would
    call nearly every grid above the mean significant.
  * ``quota``: the profile's top-share scheme (``risk.levels.top_share``, the same red 5 % /
    orange 10 % / yellow 20 % the cells use) applied to the grids' ``incidents_per_km2``: the
    densest 5 % of grids are red, and so on (:func:`grid_levels`). Grids tied at a cut-off
    all take the higher level: many grids hold one or two incidents on equal areas, and two
    grids with the same figures must not differ in colour because of their order in the file.

  A grid with no incident is blue under both rules. Per household would suit grids of unequal
  population better, but homes are only known with an OSM extract; the density works with
  incidents alone.
- ``mean_index``: the cells' risk index averaged over the grid, weighted by the area each cell
  shares with it (context for the level, not its source); ``cells`` and ``hot_cells`` (Gi* bin
  ≥ 2) count the cells overlapping the grid.
"""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pyproj
import shapely
from scipy import stats

from shequ.analyses.grid_audit import assign_points
from shequ.analyses.hotspot_stats import confidence_bins, fdr_cut
from shequ.analyses.risk_index import LevelRule, significance_levels, three_colour

LEVEL_RANK = {"blue": 0, "yellow": 1, "orange": 2, "red": 3}
"""Warning levels from lowest to highest."""


def grid_rollup(
    grids: gpd.GeoDataFrame,
    cells: gpd.GeoDataFrame,
    crs: pyproj.CRS,
    incident_xy: np.ndarray,
    rule: LevelRule | None = None,
    *,
    three_colours: bool = False,
    fdr_alpha: float = 0.05,
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
    rule : LevelRule, optional
        The cells' level rule; default :class:`~shequ.analyses.risk_index.LevelRule` (the
        significance rule).
    three_colours : bool
        Fold orange into red (红黄蓝).
    fdr_alpha : float
        The false-discovery rate when ``rule.tested_by`` is ``fdr``.

    Returns
    -------
    GeoDataFrame
        A copy of ``grids`` with ``incidents``, ``area_km2``, ``incidents_per_km2``,
        ``grid_z``, ``grid_p``, ``grid_bin`` (:func:`grid_excess`), ``level``,
        ``level_rule``, ``mean_index`` (NaN where no cell overlaps), ``cells`` and
        ``hot_cells``. The sum of ``incidents`` is the number of incidents inside any grid.
    """
    out = grids.copy()
    if "grid_id" not in out.columns:
        out["grid_id"] = np.arange(len(out))
    geoms = out.geometry.to_numpy()
    which = assign_points(np.asarray(incident_xy, dtype=float).reshape(-1, 2), geoms)
    incidents = np.bincount(which[which >= 0], minlength=len(out)).astype(float)
    area_km2 = shapely.area(geoms) / 1e6
    density = np.divide(incidents, area_km2, out=np.zeros(len(out)), where=area_km2 > 0)
    rule = rule or LevelRule()
    z, p, bins = grid_excess(incidents, area_km2, fdr=rule.tested_by == "fdr", alpha=fdr_alpha)
    if rule.rule == "quota":
        levels = grid_levels(density, rule.top_share)
    else:
        levels = significance_levels(bins, _tie_rounded(density), incidents, rule.index_top_share)
    out["incidents"] = incidents
    out["area_km2"] = area_km2
    out["incidents_per_km2"] = density
    out["grid_z"], out["grid_p"], out["grid_bin"] = z, p, bins
    out["level"] = three_colour(levels) if three_colours else levels
    out["level_rule"] = rule.rule
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
    value = _tie_rounded(value)
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


def _tie_rounded(value: np.ndarray) -> np.ndarray:
    """Figures rounded to 4 significant digits: equal squares drawn in one CRS and read back
    through another differ in area by about 1e-6, which must not split a tie."""
    return np.array([float(f"{v:.4g}") for v in np.asarray(value, dtype=float)])


def grid_excess(
    incidents: np.ndarray, area_km2: np.ndarray, *, fdr: bool = False, alpha: float = 0.05
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Each grid's excess of incidents over the grids' mean density, as z, p and a bin.

    Parameters
    ----------
    incidents : ndarray
        Incidents inside each grid.
    area_km2 : ndarray
        Each grid's area.
    fdr : bool
        Keep a bin only where p also passes the Benjamini–Hochberg cut over the grids.
    alpha : float
        The false-discovery rate of that cut.

    Returns
    -------
    (ndarray, ndarray, ndarray)
        z = (x − e) / √(φ·e), with e = N·a/A the incidents the grid's area would hold at the
        grids' mean density (N incidents in grids of total area A) and φ ≥ 1 the Pearson
        dispersion Σ(x − e)²/e / (G − 1) over the G grids with an area (quasi-Poisson: without
        it, clustered incidents make almost every grid above the mean "significant"); p the
        one-sided normal p of |z| (as Gi*'s folded p); the bin 3/2/1 at p ≤ 0.01/0.05/0.10
        with the sign of z (:func:`shequ.analyses.hotspot_stats.confidence_bins`). A grid
        without area has z NaN, p 1 and bin 0.
    """
    x = np.asarray(incidents, dtype=float)
    a = np.asarray(area_km2, dtype=float)
    real = a > 0
    total_area = a[real].sum()
    e = np.zeros(len(x))
    if total_area > 0:
        e[real] = x[real].sum() * a[real] / total_area
    ok = e > 0
    dispersion = 1.0
    if ok.sum() > 1:
        dispersion = max(1.0, float(((x[ok] - e[ok]) ** 2 / e[ok]).sum() / (ok.sum() - 1)))
    z = np.full(len(x), np.nan)
    z[ok] = (x[ok] - e[ok]) / np.sqrt(dispersion * e[ok])
    p = np.where(ok, stats.norm.sf(np.abs(np.nan_to_num(z))), 1.0)
    cut = fdr_cut(p, alpha) if fdr and len(p) else None
    return z, p, confidence_bins(z, p, cut)


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
