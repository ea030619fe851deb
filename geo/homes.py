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

from shequ.errors import InputError
from shequ.geo.cells import cell_text
from shequ.geo.column_names import accepted
from shequ.geo.osm_file import OsmData
from shequ.geo.points_file import PointLayer, describe_columns, no_usable_rows
from shequ.i18n import Note
from shequ.profile import Profile
from shequ.rejects import Rejects

DEMAND_COLUMNS = ("households", "population", "elderly", "children")

#: The most a single home (one point of a homes file: a building, or a whole compound drawn as
#: one point) can plausibly hold. An ASSUMPTION, not a standard: the largest compounds given as
#: one point (天通苑-like ones in Beijing) exceed 10,000 households, so the bound is set a few
#: times above them; a row above it is taken for a unit or column error (a district total in one
#: row, 1e12) and rejected with the reason rather than letting one point outweigh a district.
#: The limits are inclusive.
PLAUSIBLE_PER_HOME: dict[str, float] = {
    "households": 50_000,
    "population": 150_000,  # ≈ 3 persons a household (2.62 in the 7th census), rounded up
    "elderly": 150_000,  # no more than the population bound
    "children": 150_000,
}
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
    """Residential buildings of the OSM file as homes (point at the footprint, metric CRS).

    Parameters
    ----------
    osm : OsmData
        The area's OSM data.
    crs : pyproj.CRS
        The run's metric CRS (footprint areas are measured in it).
    profile : Profile
        Residential building types, levels and floor area per household.
    compounds : GeoDataFrame
        Residential compounds: a ``building=yes`` inside one counts as a home.
    rejects : Rejects
        Footprints too small to be a dwelling are added here, with the reason.

    Returns
    -------
    GeoDataFrame
        One home per building with its estimated households, population, elderly, children.
    """
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
            Note("r.footprint_small", m2=profile.min_footprint_m2),
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

    Parameters
    ----------
    layer : the file as read by :func:`~shequ.geo.points_file.read_points_file` (columns under
        their canonical names: ``户数`` is ``households``, ``人口`` ``population`` …)
    crs : the metric CRS of the run
    profile : persons per household, census shares, floor area per household
    rejects : rows that cannot be used are added here with the reason

    Returns
    -------
    GeoDataFrame of the usable rows (metric CRS). A row needs ``households`` or
    ``population`` (or a footprint to estimate from); a count that is not a number, not
    finite, negative or above :data:`PLAUSIBLE_PER_HOME`, an ``elderly``/``children`` count
    above the row's population, an empty or repeated ``home_id`` rejects the row (a
    ``home_id`` column with no value at all is ignored: homes are numbered 1..n). A file with
    neither column (and no footprints), or with no usable row, is an :class:`InputError`: an
    audit without its homes would report 0 % coverage as if it were a finding.

    Raises
    ------
    InputError
        When the file has no households or population column (nor footprints), or no row
        can be used (the message gives the most common reason).
    """
    frame = layer.frame
    src = layer.source
    n = len(frame)
    has_footprints = "footprint" in frame.columns
    if not has_footprints and not {"households", "population"} & set(frame.columns):
        message = Note(
            "e.homes_no_demand",
            households=accepted("households"),
            population=accepted("population"),
            columns=describe_columns(layer.columns),
        )
        raise InputError(message, path=src)
    why = np.full(n, None, dtype=object)
    values = {col: _counts(frame, col, why) for col in DEMAND_COLUMNS if col in frame.columns}
    for col in ("elderly", "children"):
        if col in values and "population" in values:
            part, whole = values[col], values["population"]
            over = (part > whole) & pd.isna(why)
            for i in np.flatnonzero(over):
                why[i] = Note("r.part_over_population", col=col, part=part[i], whole=whole[i])
    ids = _ids(frame, "home_id", why)
    footprint_area = np.full(n, np.nan)
    if has_footprints:
        fp = gpd.GeoSeries(frame["footprint"].to_numpy(), crs="EPSG:4326").to_crs(crs)
        footprint_area = fp.area.to_numpy()
    # Given households win, then households from a given population, then the footprint estimate.
    population = values.get("population", np.full(n, np.nan))
    households = values.get("households", np.full(n, np.nan))
    households = np.where(
        np.isfinite(households), households, population / profile.persons_per_household
    )
    if has_footprints:
        area = footprint_area * profile.default_levels.get("yes", 1.0)
        est = estimate_demand(area, profile)["households"].to_numpy()
        households = np.where(np.isfinite(households), households, est)
    none = ~np.isfinite(households) & pd.isna(why)
    why[none] = Note("r.no_demand")
    population = np.where(
        np.isfinite(population), population, households * profile.persons_per_household
    )
    # elderly/children: the file's value where given, else the census share of the population
    elderly = _given_or(values.get("elderly"), population * profile.elderly_share)
    children = _given_or(values.get("children"), population * profile.children_share)
    ok = pd.isna(why)
    rows = frame["row"].to_numpy()
    for i in np.flatnonzero(~ok):
        rejects.add(src, "homes", int(rows[i]), ids[i], why[i])
    if not ok.any():
        raise no_usable_rows(src, list(why), layer.columns)
    keep = slice(None) if ok.all() else ok  # a full boolean mask would copy every column
    xy = shapely.get_coordinates(frame.geometry.to_numpy()[keep])
    x, y = pyproj.Transformer.from_crs("EPSG:4326", crs, always_xy=True).transform(
        xy[:, 0], xy[:, 1]
    )
    del xy
    name = frame["name"].to_numpy()[keep] if "name" in frame.columns else None
    columns = {
        "home_id": ids[keep],
        "source": src,
        "osm_ref": None,
        "input_row": rows[keep],
        "name": name,
        "households": households[keep],
        "population": population[keep],
        "elderly": elderly[keep],
        "children": children[keep],
        "compound_id": -1,
    }
    return gpd.GeoDataFrame(columns, geometry=shapely.points(x, y), crs=crs, copy=False)


def _counts(frame: pd.DataFrame, col: str, why: np.ndarray) -> np.ndarray:
    """A count column as floats, NaN where the cell is empty ("not given": estimated from the
    other columns); a value that is there but is not a finite number in
    0..:data:`PLAUSIBLE_PER_HOME` marks its row in ``why`` (the first problem of a row wins)."""
    text, blank = cell_text(frame[col])
    num = pd.to_numeric(text, errors="coerce").to_numpy(dtype=float)
    limit = PLAUSIBLE_PER_HOME[col]
    free = pd.isna(why) & ~blank
    problems = (
        (np.isnan(num), "r.count_not_number"),
        (np.isinf(num), "r.count_not_finite"),
        (num < 0, "r.count_negative"),
        (num > limit, "r.count_implausible"),
    )
    for mask, key in problems:
        for i in np.flatnonzero(free & mask):
            why[i] = Note(key, col=col, v=text.iat[i][:40], limit=limit)
            free[i] = False
    return np.where(blank, np.nan, num)


def _given_or(given: np.ndarray | None, default: np.ndarray) -> np.ndarray:
    if given is None:
        return default
    return np.where(np.isfinite(given), given, default)


def _ids(frame: pd.DataFrame, column: str, why: np.ndarray) -> np.ndarray:
    """The id column (1..n when absent, or when every cell is blank: the NULL field QGIS gives a
    new layer); an empty id among given ones, or a repeated one after its first row, marks the
    row in ``why``."""
    if column not in frame.columns:
        return np.arange(1, len(frame) + 1, dtype=np.int64)
    ids, empty = cell_text(frame[column])
    if empty.all():
        return np.arange(1, len(frame) + 1, dtype=np.int64)
    repeat = ids.duplicated(keep="first").to_numpy() & ~empty
    for i in np.flatnonzero(empty & pd.isna(why)):
        why[i] = Note("r.id_empty", column=column)
    if repeat.any():
        rows = frame["row"].to_numpy()
        first_row = pd.Series(rows[~repeat & ~empty], index=ids[~repeat & ~empty].to_numpy())
        for i in np.flatnonzero(repeat & pd.isna(why)):
            ident = ids.iat[i]
            why[i] = Note("r.id_duplicate", column=column, ident=ident, first=first_row[ident])
    return ids.to_numpy(dtype=object)
