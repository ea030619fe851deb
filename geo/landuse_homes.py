"""Estimated homes over residential land the data holds no (or too few) buildings on (issue 12).

OSM in China often draws a compound (小区, ``landuse=residential``) and none of its buildings, or
one building in 42 ha (Nanjing ``way/468699278``). Homes read from buildings then leave that land
blank: its residents are neither served nor unserved, they are not there, and a coverage share
reads better than it is. Here demand points are spread over that land at the profile's density
(``completeness.households_per_ha``), flagged ``estimated_from = "landuse"``, so that a blind spot
in the data shows as estimated homes rather than as nobody.

Which land is estimated (the rule):

- a residential polygon with no building footprint over its interior and no home inside
  (:func:`shequ.geo.completeness.empty_residential_land`): all of it;
- a residential polygon whose mapped homes hold fewer households per km² than the profile's
  plausible floor (``completeness.min_households_per_km2``, the same floor as the low-density
  note): its part farther than :data:`BUILDING_REACH_M` from any building footprint, in pieces of
  at least one lattice cell. The density gate keeps a well-mapped compound's lawns and car parks
  from being filled; the distance keeps the yard of a mapped building to that building.

Points lie on a square lattice every :data:`LATTICE_M` metres (cell centres, anchored at the
metric CRS's origin, not at each polygon, so neighbouring polygons share one lattice), so that
walk times vary across a large polygon instead of all starting from its centre; a piece too
small to hold a lattice point gets one point on its surface. Households = area × density, split
equally over the piece's points (the profile calls its density a floor, so the estimate leans
low); population, elderly and children follow from the census defaults
(:func:`shequ.geo.homes.demand_from_population`).
"""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from shequ.geo.completeness import (
    BUILDING_REACH_M,
    ESTIMATED_FROM,
    LATTICE_M,
    M2_PER_HA,
    under_mapped_land,
)
from shequ.geo.homes import demand_from_population
from shequ.profile import Profile

__all__ = [
    "BUILDING_REACH_M",
    "ESTIMATED_FROM",
    "LATTICE_M",
    "landuse_homes",
    "with_landuse_homes",
]


def _lattice(piece: shapely.Geometry, spacing: float) -> np.ndarray:
    """Cell centres of the CRS-anchored lattice inside ``piece``; its representative point when
    none falls inside."""
    x0, y0, x1, y1 = shapely.bounds(piece)
    xs = (np.arange(np.floor(x0 / spacing), np.ceil(x1 / spacing)) + 0.5) * spacing
    ys = (np.arange(np.floor(y0 / spacing), np.ceil(y1 / spacing)) + 0.5) * spacing
    gx, gy = np.meshgrid(xs, ys)
    pts = shapely.points(gx.ravel(), gy.ravel())
    shapely.prepare(piece)
    pts = pts[shapely.contains(piece, pts)]
    if len(pts) == 0:
        pts = np.array([shapely.point_on_surface(piece)], dtype=object)
    return pts


def landuse_homes(
    compounds: gpd.GeoDataFrame,
    footprints: np.ndarray,
    homes: gpd.GeoDataFrame,
    profile: Profile,
    *,
    sparse: bool = True,
    spacing_m: float = LATTICE_M,
) -> gpd.GeoDataFrame:
    """Demand points over residential land the data holds no (or too few) buildings on.

    Parameters
    ----------
    compounds : GeoDataFrame
        ``landuse=residential`` polygons in the run's metric CRS
        (:func:`shequ.geo.homes.compounds_from_osm`: ``compound_id``, ``osm_type``, ``osm_id``,
        ``name``).
    footprints : ndarray of shapely geometries
        Every building footprint, same CRS (:func:`shequ.geo.homes.building_footprints`).
    homes : GeoDataFrame
        The run's homes, same CRS; estimated points already among them are ignored.
    profile : Profile
        ``completeness.households_per_ha`` (density of the estimate),
        ``completeness.min_households_per_km2`` (which polygons are under-mapped), and the
        census defaults that turn households into people.
    sparse : bool
        See :func:`under_mapped_land`.
    spacing_m : float
        Lattice spacing of the points (:data:`LATTICE_M`).

    Returns
    -------
    GeoDataFrame
        One row per point, with the columns of :func:`shequ.geo.homes.homes_from_osm`:
        ``home_id`` (numbers after the homes' largest when theirs are numbers, else ``L1``,
        ``L2`` …), ``source`` ``"osm"``, ``osm_ref`` the polygon's (``way/468699278``), its
        ``name``, ``building`` None, ``levels`` NaN, ``levels_source`` ``"landuse"``,
        ``floor_area_m2`` (households × the profile's floor area per household, so that a
        raster spreads over them as over buildings), the demand columns, ``compound_id``; and
        ``estimated_from`` = ``"landuse"``. Empty (same columns) when nothing is missing.
    """
    if spacing_m <= 0:
        msg = f"spacing_m must be positive, got {spacing_m}"
        raise ValueError(msg)
    pieces = under_mapped_land(
        compounds,
        footprints,
        homes,
        profile.completeness,
        sparse=sparse,
        min_piece_m2=spacing_m**2,
    )
    per_ha = profile.completeness.households_per_ha
    points, households, owner = [], [], []
    for i, piece in enumerate(pieces):
        if shapely.is_empty(piece) or shapely.area(piece) <= 0:
            continue
        pts = _lattice(piece, spacing_m)
        total = shapely.area(piece) / M2_PER_HA * per_ha
        points.append(pts)
        households.append(np.full(len(pts), total / len(pts)))
        owner.append(np.full(len(pts), i, dtype=np.int64))
    geoms = np.concatenate(points) if points else np.array([], dtype=object)
    hh = np.concatenate(households) if households else np.array([], dtype=float)
    row = np.concatenate(owner) if owner else np.array([], dtype=np.int64)
    demand = demand_from_population(hh * profile.persons_per_household, profile)
    comp = compounds.iloc[row]
    refs = [f"{t}/{i}" for t, i in zip(comp["osm_type"], comp["osm_id"], strict=True)]
    names = comp["name"].to_numpy() if "name" in comp else np.full(len(row), None, dtype=object)
    frame = gpd.GeoDataFrame(
        {
            "home_id": _new_ids(homes, len(row)),
            "source": "osm",
            "osm_ref": pd.array(refs, dtype=object),
            "name": names,
            "building": pd.array([None] * len(row), dtype=object),
            "levels": np.full(len(row), np.nan),
            "levels_source": ESTIMATED_FROM,
            "floor_area_m2": hh * profile.floor_area_per_household_m2,
            **{c: demand[c].to_numpy() for c in demand.columns},
            "compound_id": comp["compound_id"].to_numpy(dtype=np.int64),
            "estimated_from": ESTIMATED_FROM,
            # no building, so no type: census demography (profile.building_type falls back)
            "demand_type": ESTIMATED_FROM,
            "demand_type_by": ESTIMATED_FROM,
            "capped": False,
            "large_outline": False,
        },
        geometry=geoms,
        crs=compounds.crs,
    )
    return frame


def _new_ids(homes: gpd.GeoDataFrame, n: int) -> np.ndarray:
    ids = homes["home_id"] if "home_id" in homes and len(homes) else pd.Series([], dtype=np.int64)
    numeric = pd.to_numeric(ids, errors="coerce")
    if len(ids) and numeric.notna().all() and (numeric == numeric.round()).all():
        start = int(numeric.max()) + 1
        return np.arange(start, start + n, dtype=np.int64)
    if len(ids):  # text ids of a file: L1, L2 … past any L-number the file already uses
        taken = set(ids.astype(str))
        fresh = (f"L{k}" for k in range(1, n + len(taken) + 2) if f"L{k}" not in taken)
        return np.array([next(fresh) for _ in range(n)], dtype=object)
    return np.arange(n, dtype=np.int64)


def with_landuse_homes(
    homes: gpd.GeoDataFrame,
    compounds: gpd.GeoDataFrame,
    footprints: np.ndarray,
    profile: Profile,
    *,
    sparse: bool | None = None,
) -> gpd.GeoDataFrame:
    """``homes`` plus :func:`landuse_homes`, with ``estimated_from`` set on every row.

    ``estimated_from`` is ``"building"`` for homes read from OSM buildings (they carry
    ``levels_source``), ``"file"`` for a homes file, ``"landuse"`` for the estimate, so that
    outputs and maps can tell them apart. ``sparse`` defaults to True for homes from buildings
    and False for a homes file (the planner's file is the authority on what a compound holds;
    only land with no home at all is filled).
    """
    from_buildings = "levels_source" in homes
    if sparse is None:
        sparse = from_buildings
    added = landuse_homes(compounds, footprints, homes, profile, sparse=sparse)
    homes = homes.copy()
    if "estimated_from" not in homes:
        homes["estimated_from"] = "building" if from_buildings else "file"
    if added.empty:
        return homes
    added = added[[c for c in added.columns if c in homes.columns or c == "geometry"]]
    for name in homes.columns.difference(added.columns):
        # a column the estimate has no value for keeps its type: False for a flag (a bool
        # column with NaN would turn to objects), NaN for a number, None for text
        kind = homes[name].dtype.kind
        added[name] = False if kind == "b" else np.nan if kind in "fiu" else None
    merged = pd.concat([homes, added[homes.columns]], ignore_index=True)
    return gpd.GeoDataFrame(merged, geometry="geometry", crs=homes.crs)
