"""Grid polygons and the numbers a grid manager is judged by.

Per grid: households, residents, elderly, area, the street length a worker patrols inside it,
two compactness measures (Polsby–Popper 4πA/P², which punishes ragged borders, and the moment-
of-inertia measure A²/(2πJ), which punishes stretched shapes; both 1 for a disc) and the
deviation from the target. Per plan: the largest |deviation|, the coefficient of variation and
the number of grids out of tolerance.
"""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from shequ.analyses.grid_plan import polygon_inertia
from shequ.geo.atoms import Atoms


def grid_polygons(atoms: Atoms, labels: np.ndarray) -> gpd.GeoDataFrame:
    """One (multi)polygon per grid, dissolved from its atoms, with demand totals."""
    fr = atoms.frame.assign(grid=labels)
    cols = ["homes", "households", "population", "elderly", "area_m2"]
    sums = fr.groupby("grid")[cols].sum()
    geoms = [shapely.union_all(fr.geometry.values[labels == g]) for g in sums.index]
    comm = fr.groupby("grid")["community_id"].first()
    out = gpd.GeoDataFrame(sums.reset_index(), geometry=geoms, crs=atoms.frame.crs)
    out["community_id"] = comm.to_numpy()
    out["atoms"] = np.bincount(labels)[sums.index.to_numpy()]
    return out.rename(columns={"grid": "grid_id"})


def add_grid_metrics(
    grids: gpd.GeoDataFrame,
    target: float,
    tolerance: float,
    street_geoms: np.ndarray | None = None,
) -> gpd.GeoDataFrame:
    """Deviation, compactness and patrol length columns."""
    grids = grids.copy()
    geoms = grids.geometry.values
    area = shapely.area(geoms)
    perim = shapely.length(shapely.boundary(geoms))
    grids["deviation"] = grids["households"] / target - 1.0
    grids["within_tolerance"] = grids["deviation"].abs() <= tolerance + 1e-9
    grids["polsby_popper"] = np.where(perim > 0, 4 * np.pi * area / perim**2, np.nan)
    inertia = polygon_inertia(geoms)
    grids["inertia_compactness"] = np.where(inertia > 0, area**2 / (2 * np.pi * inertia), np.nan)
    grids["patrol_m"] = _street_length(geoms, street_geoms)
    return grids


def _street_length(geoms: np.ndarray, streets: np.ndarray | None) -> np.ndarray:
    if streets is None or len(streets) == 0:
        return np.zeros(len(geoms))
    g_idx, s_idx = shapely.STRtree(streets).query(geoms, predicate="intersects")
    inside = shapely.length(shapely.intersection(streets[s_idx], geoms[g_idx]))
    return np.bincount(g_idx, weights=inside, minlength=len(geoms))


def plan_summary(grids: gpd.GeoDataFrame, tolerance: float, **extra: object) -> pd.DataFrame:
    """One row: grid count, max |deviation|, CV of households, out-of-tolerance count …"""
    h = grids["households"].to_numpy(dtype=float)
    dev = grids["deviation"].to_numpy(dtype=float)
    row = {
        "grids": len(grids),
        "households": float(h.sum()),
        "max_abs_deviation": float(np.abs(dev).max()) if len(dev) else 0.0,
        "mean_abs_deviation": float(np.abs(dev).mean()) if len(dev) else 0.0,
        "cv_households": float(h.std() / h.mean()) if len(h) and h.mean() > 0 else 0.0,
        "out_of_tolerance": int((np.abs(dev) > tolerance + 1e-9).sum()),
        "mean_polsby_popper": float(grids["polsby_popper"].mean()),
        "mean_inertia_compactness": float(grids["inertia_compactness"].mean()),
        "tolerance": tolerance,
    }
    row.update(extra)
    return pd.DataFrame([row])
