"""Hotspots per management grid (网格汇总): the cells whose centre lies in each grid.

A grid officer reads risk per grid: how many incidents, how many cells, their mean risk index,
how many are hot spots at 95 % confidence, and the highest warning level among them (a grid is
red when one of its cells is red). A cell belongs to the grid holding its centre, so each
cell counts once; a grid with no cell centre gets zeros and ``blue``.
"""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd
import pyproj
import shapely

LEVEL_RANK = {"blue": 0, "yellow": 1, "orange": 2, "red": 3}
"""Warning levels from lowest to highest."""


def grid_rollup(
    grids: gpd.GeoDataFrame, cells: gpd.GeoDataFrame, crs: pyproj.CRS
) -> gpd.GeoDataFrame:
    """The grids with the roll-up of their cells.

    Parameters
    ----------
    grids : GeoDataFrame
        Grid polygons in ``crs``; a ``grid_id`` column is kept, else one is numbered from 0.
    cells : GeoDataFrame
        The run's cells with ``count``, ``index``, ``level`` and ``bin``.
    crs : pyproj.CRS
        The metric CRS of ``grids`` (cell centres are taken in it).

    Returns
    -------
    GeoDataFrame
        A copy of ``grids`` with ``incidents``, ``cells``, ``mean_index``, ``hot_cells``
        (Gi* bin ≥ 2) and ``level`` (the highest level of its cells).
    """
    out = grids.copy()
    if "grid_id" not in out.columns:
        out["grid_id"] = np.arange(len(out))
    centres = cells.to_crs(crs).geometry.centroid
    g_idx, c_idx = shapely.STRtree(out.geometry.values).query(centres.values, predicate="within")[
        ::-1
    ]
    df = pd.DataFrame(
        {
            "grid": g_idx,
            "count": cells["count"].to_numpy()[c_idx],
            "index": cells["index"].to_numpy()[c_idx],
            "level_rank": [LEVEL_RANK[v] for v in cells["level"].to_numpy()[c_idx]],
            "hot": cells["bin"].to_numpy()[c_idx] >= 2,
        }
    )
    agg = df.groupby("grid").agg(
        incidents=("count", "sum"),
        cells=("count", "size"),
        mean_index=("index", "mean"),
        max_level_rank=("level_rank", "max"),
        hot_cells=("hot", "sum"),
    )
    for col in agg.columns:
        out[col] = agg[col].reindex(range(len(out))).fillna(0).to_numpy()
    names = {v: k for k, v in LEVEL_RANK.items()}
    out["level"] = [names[int(v)] for v in out["max_level_rank"]]
    return out.drop(columns=["max_level_rank"])
