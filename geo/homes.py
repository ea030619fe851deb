"""Homes (demand): residential buildings with households, population, elderly and children.

From OSM, a home is a building tagged as a dwelling type, or any ``building=yes`` inside a
residential compound (``landuse=residential``), the usual way Chinese compounds are mapped.
Households are estimated from floor area: footprint × levels ÷ floor area per household, with
defaults (levels by building type, 92.17 m² per urban household, 2.62 persons per household,
census shares of elderly and children) taken from the profile, which states their sources. A
user homes file overrides the estimate row by row.
"""

from __future__ import annotations

import re

import geopandas as gpd
import numpy as np
import pandas as pd
import pyproj
import shapely

from shequ.geo.osm_file import OsmData
from shequ.geo.points_file import PointLayer
from shequ.profile import Profile
from shequ.rejects import Rejects

DEMAND_COLUMNS = ("households", "population", "elderly", "children")
_NUMBER = re.compile(r"[-+]?\d+(?:\.\d+)?")


def _first_number(text: object) -> float:
    if not isinstance(text, str):
        return np.nan
    match = _NUMBER.search(text)
    return float(match.group()) if match else np.nan


def compounds_from_osm(osm: OsmData, crs: pyproj.CRS) -> gpd.GeoDataFrame:
    """Residential compounds (小区, ``landuse=residential``) as polygons in ``crs``."""
    feats = osm.features
    is_compound = feats["tags"].map(lambda t: t.get("landuse") == "residential")
    polygonal = feats.geom_type.isin(["Polygon", "MultiPolygon"])
    comp = feats.loc[is_compound & polygonal, ["osm_type", "osm_id", "name", "geometry"]]
    comp = comp.to_crs(crs).reset_index(drop=True)
    comp.insert(0, "compound_id", np.arange(len(comp), dtype=np.int64))
    return comp


def _levels(
    tags: pd.Series, building: pd.Series, profile: Profile
) -> tuple[np.ndarray, np.ndarray]:
    tagged = tags.map(lambda t: _first_number(t.get("building:levels"))).to_numpy(dtype=float)
    height = tags.map(lambda t: _first_number(t.get("height"))).to_numpy(dtype=float)
    defaults = profile.default_levels
    fallback = defaults.get("yes", 1.0)
    default = building.map(lambda b: defaults.get(b, fallback)).to_numpy(dtype=float)
    levels = np.where(
        tagged > 0,
        tagged,
        np.where(height > 0, np.maximum(1.0, np.round(height / profile.level_height_m)), default),
    )
    source = np.where(tagged > 0, "osm", np.where(height > 0, "height", "default"))
    return levels, source


def demand_from_population(population: np.ndarray, profile: Profile) -> pd.DataFrame:
    """Households, elderly and children from a head count, with the profile's census defaults."""
    population = np.asarray(population, dtype=float)
    return pd.DataFrame(
        {
            "households": population / profile.persons_per_household,
            "population": population,
            "elderly": population * profile.elderly_share,
            "children": population * profile.children_share,
        }
    )


def estimate_demand(floor_area_m2: np.ndarray, profile: Profile) -> pd.DataFrame:
    """Households and people from floor area (÷ floor area per household)."""
    households = np.asarray(floor_area_m2, dtype=float) / profile.floor_area_per_household_m2
    return demand_from_population(households * profile.persons_per_household, profile)


def building_footprints(osm: OsmData, crs: pyproj.CRS) -> np.ndarray:
    """Every building footprint of the OSM file (any ``building`` value) in ``crs``: the shapes
    a grid border must go around."""
    feats = osm.features
    is_building = feats["tags"].map(lambda t: "building" in t and t["building"] != "no")
    polygonal = feats.geom_type.isin(["Polygon", "MultiPolygon"])
    return feats.loc[is_building & polygonal].to_crs(crs).geometry.to_numpy()


def homes_from_osm(
    osm: OsmData, crs: pyproj.CRS, profile: Profile, compounds: gpd.GeoDataFrame, rejects: Rejects
) -> gpd.GeoDataFrame:
    """Residential buildings of the OSM file as homes (point at the footprint, metric CRS)."""
    feats = osm.features
    building = feats["tags"].map(lambda t: t.get("building"))
    polygonal = feats.geom_type.isin(["Polygon", "MultiPolygon"]).to_numpy()
    typed = building.isin(profile.residential_buildings).to_numpy()
    generic = (building == "yes").to_numpy()
    cand = feats.loc[polygonal & (typed | generic)].to_crs(crs)
    building = building.loc[cand.index]
    if len(cand) and len(compounds):
        inside = shapely.STRtree(compounds.geometry.values).query(
            cand.geometry.representative_point().values, predicate="within"
        )
        in_compound = np.full(len(cand), -1, dtype=np.int64)
        in_compound[inside[0]] = compounds["compound_id"].to_numpy()[inside[1]]
    else:
        in_compound = np.full(len(cand), -1, dtype=np.int64)
    keep = building.isin(profile.residential_buildings).to_numpy() | (in_compound >= 0)
    cand, building, in_compound = cand.loc[keep], building.loc[keep], in_compound[keep]
    area = cand.geometry.area.to_numpy()
    small = area < profile.min_footprint_m2
    for osm_type, osm_id in zip(cand["osm_type"][small], cand["osm_id"][small], strict=True):
        rejects.add(
            osm.source,
            "homes",
            f"{osm_type}/{osm_id}",
            None,
            f"footprint under {profile.min_footprint_m2:g} m2: not a dwelling",
        )
    cand, building, in_compound, area = (
        cand.loc[~small],
        building.loc[~small],
        in_compound[~small],
        area[~small],
    )
    levels, levels_source = _levels(cand["tags"], building, profile)
    demand = estimate_demand(area * levels, profile)
    homes = gpd.GeoDataFrame(
        {
            "home_id": np.arange(len(cand), dtype=np.int64),
            "source": "osm",
            "osm_ref": [f"{t}/{i}" for t, i in zip(cand["osm_type"], cand["osm_id"], strict=True)],
            "name": cand["name"].to_numpy(),
            "building": building.to_numpy(),
            "levels": levels,
            "levels_source": levels_source,
            "floor_area_m2": area * levels,
            **{c: demand[c].to_numpy() for c in DEMAND_COLUMNS},
            "compound_id": in_compound,
        },
        geometry=cand.geometry.representative_point().to_numpy(),
        crs=crs,
    )
    return homes


def homes_from_layer(
    layer: PointLayer, crs: pyproj.CRS, profile: Profile, rejects: Rejects
) -> gpd.GeoDataFrame:
    """Homes from a user file: its household/population columns override the estimate.

    A row needs ``households`` or ``population`` (or a footprint to estimate from); a row with a
    negative, non-numeric or missing count is rejected with the column named. Duplicate
    ``home_id`` values are rejected after the first.
    """
    frame = layer.frame
    src = layer.source
    n = len(frame)
    reasons: list[str | None] = [None] * n
    values: dict[str, np.ndarray] = {}
    for col in DEMAND_COLUMNS:
        if col not in frame.columns:
            continue
        raw = frame[col].astype(str).str.strip()
        num = pd.to_numeric(raw, errors="coerce").to_numpy(dtype=float)
        # An empty cell means "not given" (estimated from the other columns); a value that is
        # there but NaN, text or negative is an error in the row.
        given = (raw.ne("") & frame[col].notna() & raw.ne("None")).to_numpy()
        for i in np.flatnonzero(given & ~(num >= 0)):
            reasons[i] = reasons[i] or f"{col} is {frame[col].iloc[i]!r}: must be a number >= 0"
        values[col] = np.where(given, num, np.nan)
    ids = _ids(frame, "home_id", reasons)
    metric = frame.to_crs(crs)
    footprint_area = np.full(n, np.nan)
    if "footprint" in frame.columns:
        fp = gpd.GeoSeries(frame["footprint"], crs="EPSG:4326").to_crs(crs)
        footprint_area = fp.area.to_numpy()
    est = estimate_demand(footprint_area * profile.default_levels.get("yes", 1.0), profile)
    # Given households win, then households from a given population, then the footprint estimate.
    population = values.get("population", np.full(n, np.nan))
    households = values.get("households", np.full(n, np.nan))
    households = np.where(
        np.isfinite(households), households, population / profile.persons_per_household
    )
    households = np.where(np.isfinite(households), households, est["households"].to_numpy())
    for i in np.flatnonzero(~np.isfinite(households)):
        reasons[i] = (
            reasons[i] or "no households or population column, and no footprint to estimate from"
        )
    population = np.where(
        np.isfinite(population), population, households * profile.persons_per_household
    )
    derived = demand_from_population(population, profile)
    # elderly/children: the file's value where given, else the census share of the population
    elderly = _given_or(values.get("elderly"), derived["elderly"].to_numpy())
    children = _given_or(values.get("children"), derived["children"].to_numpy())
    ok = np.array([r is None for r in reasons])
    for i in np.flatnonzero(~ok):
        rejects.add(src, "homes", int(frame["row"].iloc[i]), ids[i], str(reasons[i]))
    name = frame["name"] if "name" in frame.columns else pd.Series([None] * n)
    homes = gpd.GeoDataFrame(
        {
            "home_id": ids[ok],
            "source": src,
            "osm_ref": None,
            "input_row": frame["row"].to_numpy()[ok],
            "name": name.to_numpy()[ok],
            "households": households[ok],
            "population": population[ok],
            "elderly": elderly[ok],
            "children": children[ok],
            "compound_id": -1,
        },
        geometry=metric.geometry.to_numpy()[ok],
        crs=crs,
    )
    return homes


def _given_or(given: np.ndarray | None, default: np.ndarray) -> np.ndarray:
    if given is None:
        return default
    return np.where(np.isfinite(given), given, default)


def _ids(frame: pd.DataFrame, column: str, reasons: list[str | None]) -> np.ndarray:
    """The id column (1..n when absent); repeated ids are marked as rejected after the first."""
    if column not in frame.columns:
        return np.arange(1, len(frame) + 1, dtype=object)
    ids = frame[column].astype(str).str.strip().to_numpy(dtype=object)
    first_row: dict[object, int] = {}
    for i, ident in enumerate(ids):
        if ident in ("", "nan", "None"):
            reasons[i] = reasons[i] or f"{column} is empty"
        elif ident in first_row:
            reasons[i] = (
                reasons[i] or f"duplicate {column} {ident!r} (first at row {first_row[ident]})"
            )
        else:
            first_row[ident] = int(frame["row"].iloc[i])
    return ids
