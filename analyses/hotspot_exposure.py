"""Exposure and local factors of each cell (暴露度与风险因子) from an OSM extract.

With an OSM extract a cell's risk is more than its incidents: who lives there (households,
population, elderly — the incident rate is incidents per household), how many of its households
have no e-bike charging point within walking distance (``charging_gap``), how old its buildings
are, and how far its centre is from fire stations, hydrants, charging points and cameras. Each
function here returns columns of the cell table; the risk index weighs those the profile names
(:mod:`shequ.analyses.risk_index`).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import pyproj
import shapely

from shequ.analyses.hotspot_cells import cell_of
from shequ.geo.tag_index import TagIndex
from shequ.i18n import Note

HOME_COLUMNS = ("households", "population", "elderly")
"""Demand columns of the homes summed per cell."""


def exposure(
    cells: np.ndarray,
    count: np.ndarray,
    homes: gpd.GeoDataFrame | None = None,
    served: np.ndarray | None = None,
) -> pd.DataFrame:
    """Households, population and elderly per cell; incident rate, elderly share, charging gap.

    Parameters
    ----------
    cells : ndarray of uint64
        The run's sorted cells.
    count : ndarray of float
        Incidents per cell.
    homes : GeoDataFrame, optional
        Homes (any CRS) with ``households``, ``population`` and ``elderly``.
    served : ndarray of bool, optional
        Per home: an e-bike charging point within the kind's walk.

    Returns
    -------
    DataFrame
        One row per cell. Without homes only ``rate`` = the incidents per cell; with homes
        ``households``, ``population``, ``elderly``, ``rate`` (incidents per household),
        ``elderly_share`` and ``charging_gap`` (share of households without a charging point
        in reach), NaN where a cell has no household (no population for the share).
    """
    if homes is None or not len(homes):
        return pd.DataFrame({"rate": count.copy()})
    lonlat = homes.to_crs("EPSG:4326")
    pos, ok = cell_of(cells, lonlat.geometry.x.to_numpy(), lonlat.geometry.y.to_numpy())
    out = pd.DataFrame(
        {
            col: np.bincount(pos[ok], weights=homes[col].to_numpy()[ok], minlength=len(cells))
            for col in HOME_COLUMNS
        }
    )
    gap = np.ones(len(homes), dtype=bool) if served is None else ~served
    unserved = np.bincount(
        pos[ok], weights=(homes["households"].to_numpy() * gap)[ok], minlength=len(cells)
    )
    households = out["households"].to_numpy()
    population = out["population"].to_numpy()
    with np.errstate(divide="ignore", invalid="ignore"):
        out["rate"] = np.where(households > 0, count / households, np.nan)
        out["elderly_share"] = np.where(population > 0, out["elderly"] / population, np.nan)
        out["charging_gap"] = np.where(households > 0, unserved / households, np.nan)
    return out


def building_age(
    features: gpd.GeoDataFrame, cells: np.ndarray, *, year: int | None = None
) -> tuple[np.ndarray | None, Note]:
    """Mean building age per cell where buildings carry ``start_date`` / ``building:age``.

    Parameters
    ----------
    features : GeoDataFrame
        OSM features in lon/lat with their ``tags`` (:attr:`shequ.geo.osm_file.OsmData.features`).
    cells : ndarray of uint64
        The run's sorted cells.
    year : int, optional
        The year ages are counted to; default: this year.

    Returns
    -------
    (ndarray or None, Note)
        The mean age per cell (NaN where no dated building) and ``n.age_from``; None and
        ``n.no_age`` when no building is dated.
    """
    built = features["tags"].map(build_year).to_numpy(dtype=float)
    dated = np.isfinite(built)
    if not dated.any():
        return None, Note("n.no_age")
    pts = features.loc[dated].geometry.representative_point()
    pos, ok = cell_of(cells, pts.x.to_numpy(), pts.y.to_numpy())
    age = (pd.Timestamp.now().year if year is None else year) - built[dated]
    total = np.bincount(pos[ok], weights=age[ok], minlength=len(cells))
    count = np.bincount(pos[ok], minlength=len(cells))
    mean = np.where(count > 0, total / np.maximum(count, 1), np.nan)
    return mean, Note("n.age_from", n=int(dated.sum()))


def build_year(tags: Mapping[str, Any]) -> float:
    """The year a building was built, from ``start_date`` or ``building:age``.

    Parameters
    ----------
    tags : mapping
        An OSM feature's tags.

    Returns
    -------
    float
        The first four-digit year 1800–2100 in the tag (``"1987"``, ``"~1950"``,
        ``"1990-05-01"``); NaN for a feature that is no building or has no such year.
    """
    if "building" not in tags:
        return np.nan
    text = tags.get("start_date") or tags.get("building:age") or ""
    digits = "".join(ch if ch.isdigit() else " " for ch in str(text)).split()
    years = [int(d) for d in digits if len(d) == 4 and 1800 <= int(d) <= 2100]
    return float(years[0]) if years else np.nan


def distance_factors(
    features: gpd.GeoDataFrame,
    centres: np.ndarray,
    crs: pyproj.CRS,
    wanted: Mapping[str, list[dict[str, Any]]],
    cap_m: float = np.inf,
    absent_is_far: bool = False,
) -> pd.DataFrame:
    """Distance in metres from each cell centre to the nearest feature of each factor, at most
    ``cap_m`` (the profile's ``risk.distance_cap_m``: beyond it a cell is out of every feature's
    reach, and a far-away feature makes the same risk as a farther one; it also lets an area
    cut from a city with a halo of that width measure what the city run measures).

    Parameters
    ----------
    features : GeoDataFrame
        OSM features with their ``tags`` (any CRS).
    centres : ndarray, shape (n, 2)
        lon/lat of the cell centres.
    crs : pyproj.CRS
        The metric CRS distances are measured in.
    wanted : mapping
        Factor column (``dist_fire_station_m`` …) → tag alternatives of its features (the
        profile's ``risk.osm_features``; see :func:`shequ.geo.facilities.matches_tags`).
    cap_m : float
        The distance every factor saturates at.
    absent_is_far : bool
        The extract is known to hold every feature within ``cap_m`` of the cells (a batch
        area cut with a halo wider than the cap): a factor without any feature is then
        measured, every cell at ``cap_m``, as the run on the whole region measures it.

    Returns
    -------
    DataFrame
        One row per cell and one column per factor with at least one feature in the extract
        (a factor without any is left out, not filled with a made-up distance), or, with
        ``absent_is_far`` and a finite cap, one column per factor.
    """
    to_m = pyproj.Transformer.from_crs("EPSG:4326", crs, always_xy=True)
    cx, cy = to_m.transform(centres[:, 0], centres[:, 1])
    centre_pts = shapely.points(cx, cy)
    out = pd.DataFrame(index=pd.RangeIndex(len(centres)))
    index = TagIndex(features["tags"].to_numpy(dtype=object))
    for name, alternatives in wanted.items():
        hit = index.matching(alternatives)
        if not hit.any():
            if absent_is_far and np.isfinite(cap_m):
                out[name] = np.full(len(centres), float(cap_m))
            continue
        geoms = features.loc[hit].to_crs(crs).geometry.values
        _, dist = shapely.STRtree(geoms).query_nearest(
            centre_pts, return_distance=True, all_matches=False
        )
        out[name] = np.minimum(dist, cap_m)
    return out
