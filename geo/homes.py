"""Homes (demand): residential buildings with households, population, elderly and children.

From OSM, a home is a building tagged as a dwelling type, or any ``building=yes`` inside a
residential compound (``landuse=residential``), the usual way Chinese compounds are mapped.
Households are estimated from floor area: footprint × levels ÷ floor area per household, with
defaults (92.17 m² per urban household, 2.62 persons per household, census shares of elderly
and children) taken from the profile, which states their sources. The profile's building types
change them where the census does not fit the building (issue 12): a student dormitory holds
rooms of 4 students with no children and no elderly, a house holds at most 2 households. A
building's type is its ``building=*`` tag unless a name rule of the profile says otherwise
(a ``building=yes`` named 学生公寓 is a dormitory, one named 职工食堂 no home at all). Each
home records its type and whether a cap or the large-outline flag applied, so a figure can be
traced to the rule that made it. A user homes file overrides the estimate row by row.
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
from shequ.profile_schema import KEY_PERSONS as KEY_PERSON_COLUMNS
from shequ.rejects import Rejects

DEMAND_COLUMNS = ("households", "population", "elderly", "children")
#: Key people a grid worker follows (重点人群), read from a homes file as counts per home and
#: weighed into ``workload`` by the profile's ``grid.workload_weights``.
KEY_PERSONS = KEY_PERSON_COLUMNS

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
    # key people: within the population bound (a rented flat is a household: the households bound)
    "elderly_alone": 150_000,
    "disabled": 150_000,
    "mental_illness": 150_000,
    "rented": 50_000,
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


def demand_types(
    building: pd.Series, names: pd.Series, profile: Profile
) -> tuple[np.ndarray, np.ndarray]:
    """The building type each building's demand is estimated as, and what decided it.

    Parameters
    ----------
    building : Series
        ``building=*`` values.
    names : Series
        OSM names (missing: no name).
    profile : Profile
        Its ``building_types`` and ``name_rules``.

    Returns
    -------
    types : ndarray of object
        A key of ``profile.building_types`` (a tag without an entry of its own is ``yes``), or
        None where a name rule says the building is no home.
    decided_by : ndarray of str
        ``"name"`` where a name rule matched (the first in the profile's order), else ``"tag"``.
    """
    n = len(building)
    tag = building.to_numpy(dtype=object)
    types = np.array([b if b in profile.building_types else "yes" for b in tag], dtype=object)
    decided_by = np.full(n, "tag", dtype=object)
    text = names.astype("string").fillna("").to_numpy(dtype=object)
    free = np.ones(n, dtype=bool)
    for rule in profile.name_rules:
        hit = free & building.isin(rule.buildings).to_numpy()
        if not hit.any():
            continue
        found = re.compile(rule.pattern).search  # groups in a user's pattern are fine
        hit[hit] = [found(name) is not None for name in text[hit]]
        types[hit] = rule.type
        decided_by[hit] = "name"
        free &= ~hit
    return types, decided_by


def _levels(tags: pd.Series, types: np.ndarray, profile: Profile) -> tuple[np.ndarray, np.ndarray]:
    tagged = tags.map(lambda t: _first_number(t.get("building:levels"))).to_numpy(dtype=float)
    height = tags.map(lambda t: _first_number(t.get("height"))).to_numpy(dtype=float)
    default = np.array([profile.building_type(t).levels for t in types], dtype=float)
    levels = np.where(
        tagged > 0,
        tagged,
        np.where(height > 0, np.maximum(1.0, np.round(height / profile.level_height_m)), default),
    )
    source = np.where(tagged > 0, "osm", np.where(height > 0, "height", "default"))
    return levels, source


def demand_from_population(
    population: np.ndarray, profile: Profile, types: np.ndarray | None = None
) -> pd.DataFrame:
    """Households, elderly and children from a head count (a raster's people in each home).

    Parameters
    ----------
    population : array
        Residents of each home.
    profile : Profile
        Census household size and shares.
    types : array of str, optional
        Each home's building type (the ``demand_type`` column of OSM homes): its household
        size and shares replace the census ones, so a raster's people in a student dormitory
        stay students. No household cap: the head count is measured, not guessed.

    Returns
    -------
    DataFrame
        ``households``, ``population``, ``elderly``, ``children``.
    """
    population = np.asarray(population, dtype=float)
    if types is None:
        size = profile.persons_per_household
        elderly, children = profile.elderly_share, profile.children_share
    else:
        spec = [profile.building_type(t) for t in types]
        size = np.array([s.persons_per_household for s in spec], dtype=float)
        elderly = np.array([s.elderly_share for s in spec], dtype=float)
        children = np.array([s.children_share for s in spec], dtype=float)
    return pd.DataFrame(
        {
            "households": population / size,
            "population": population,
            "elderly": population * elderly,
            "children": population * children,
        }
    )


def estimate_demand(
    floor_area_m2: np.ndarray, profile: Profile, types: np.ndarray | None = None
) -> pd.DataFrame:
    """Households and people from floor area (÷ floor area per household).

    Parameters
    ----------
    floor_area_m2 : array
        Floor area of each home (m²).
    profile : Profile
        Census values, and the building types.
    types : array of str, optional
        The building type of each home (:func:`demand_types`): its floor area and size of a
        household, its shares of elderly and children, and its cap on households replace the
        census values. None: census values for every home, no cap.

    Returns
    -------
    DataFrame
        ``households``, ``population``, ``elderly``, ``children`` and ``capped`` (True where
        the type's ``max_households`` cut the estimate).
    """
    area = np.asarray(floor_area_m2, dtype=float)
    if types is None:
        households = area / profile.floor_area_per_household_m2
        demand = demand_from_population(households * profile.persons_per_household, profile)
        demand["capped"] = False
        return demand
    spec = [profile.building_type(t) for t in types]

    def per_home(name: str) -> np.ndarray:
        return np.array([getattr(s, name) for s in spec], dtype=float)

    households = area / per_home("floor_area_per_household_m2")
    cap = np.array([np.inf if s.max_households is None else s.max_households for s in spec])
    capped = households > cap
    households = np.minimum(households, cap)
    population = households * per_home("persons_per_household")
    return pd.DataFrame(
        {
            "households": households,
            "population": population,
            "elderly": population * per_home("elderly_share"),
            "children": population * per_home("children_share"),
            "capped": capped,
        }
    )


def building_footprints(osm: OsmData, crs: pyproj.CRS) -> np.ndarray:
    """Every building footprint of the OSM file (any ``building`` value) in ``crs``: the shapes
    a grid border must go around."""
    feats = osm.features
    is_building = feats["tags"].map(lambda t: "building" in t and t["building"] != "no")
    polygonal = feats.geom_type.isin(["Polygon", "MultiPolygon"])
    return feats.loc[is_building & polygonal].to_crs(crs).geometry.to_numpy()


def homes_from_osm(
    osm: OsmData,
    crs: pyproj.CRS,
    profile: Profile,
    compounds: gpd.GeoDataFrame,
    rejects: Rejects,
    notes: list[Note] | None = None,
) -> gpd.GeoDataFrame:
    """Residential buildings of the OSM file as homes (point at the footprint, metric CRS).

    Parameters
    ----------
    osm : OsmData
        The area's OSM data.
    crs : pyproj.CRS
        The run's metric CRS (footprint areas are measured in it).
    profile : Profile
        Residential building types, name rules, levels and floor area per household.
    compounds : GeoDataFrame
        Residential compounds: a ``building=yes`` inside one counts as a home.
    rejects : Rejects
        Footprints too small to be a dwelling, and buildings whose name says they are none
        (a canteen in a compound), are added here, with the reason.
    notes : list of Note, optional
        The run's notes: large outlines without a storey tag are noted here.

    Returns
    -------
    GeoDataFrame
        One home per building with its estimated households, population, elderly, children;
        ``demand_type`` (the building type the estimate used) and ``demand_type_by``
        (``tag`` or ``name``: what decided it), ``capped`` (the type's household cap cut the
        estimate) and ``large_outline`` (footprint above ``demand.large_outline_m2`` with the
        default storeys: the estimate is a guess times a large area).
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
    types, decided_by = demand_types(building, cand["name"], profile)
    no_home = pd.isna(types)
    for osm_type, osm_id, name in zip(
        cand["osm_type"][no_home], cand["osm_id"][no_home], cand["name"][no_home], strict=True
    ):
        rejects.add(
            osm.source, "homes", f"{osm_type}/{osm_id}", None, Note("r.not_a_home_name", name=name)
        )
    cand, building, in_compound, area = (
        cand.loc[~no_home],
        building.loc[~no_home],
        in_compound[~no_home],
        area[~no_home],
    )
    types, decided_by = types[~no_home], decided_by[~no_home]
    levels, levels_source = _levels(cand["tags"], types, profile)
    demand = estimate_demand(area * levels, profile, types)
    large = (area > profile.large_outline_m2) & (levels_source == "default")
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
            "demand_type": types.astype(str),
            "demand_type_by": decided_by.astype(str),
            "capped": demand["capped"].to_numpy(dtype=bool),
            "large_outline": large,
            "compound_id": in_compound,
        },
        geometry=cand.geometry.representative_point().to_numpy(),
        crs=crs,
    )
    if notes is not None and large.any():
        notes.append(large_outline_note(homes, profile))
    return homes


def large_outline_note(homes: gpd.GeoDataFrame, profile: Profile) -> Note:
    """The run note on homes flagged ``large_outline``: how many, the households they were
    given and the largest, so that a planner checks them before trusting a grid or a share.

    The estimate is kept, not cut: an outline above ``demand.large_outline_m2`` may be one
    real building (then its estimate is right) or a podium, a whole compound or a campus
    building drawn as one shape; a cap would be one more guess, the note says where to look.
    """
    large = homes.loc[homes["large_outline"].to_numpy(dtype=bool)]
    top = large.loc[large["households"].idxmax()]
    return Note(
        "n.large_outlines",
        n=len(large),
        m2=profile.large_outline_m2,
        households=round(float(large["households"].sum())),
        ref=top["osm_ref"],
        top=round(float(top["households"])),
    )


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
    ``home_id`` column with no value at all is ignored: homes are numbered 1..n). Key-person
    counts (:data:`KEY_PERSONS`, e.g. ``独居老人``) are read as the other counts (an elderly,
    disabled or mentally ill count above the row's population rejects the row); with any of
    them the homes carry those counts and a ``workload`` (:func:`_workload`). A file with
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
    counted = (*DEMAND_COLUMNS, *KEY_PERSONS)
    values = {col: _counts(frame, col, why) for col in counted if col in frame.columns}
    for col in ("elderly", "children", "elderly_alone", "disabled", "mental_illness"):
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
        area = footprint_area * profile.building_type("yes").levels
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
    columns.update(_workload(values, households, profile, keep))
    return gpd.GeoDataFrame(columns, geometry=shapely.points(x, y), crs=crs, copy=False)


def _workload(
    values: dict[str, np.ndarray],
    households: np.ndarray,
    profile: Profile,
    keep: slice | np.ndarray,
) -> dict[str, np.ndarray]:
    """The key-person counts a homes file gives (blank: 0, none of that kind recorded) and the
    ``workload`` they make: households + Σ weight × count (``grid.workload_weights``, an
    assumption of the profile). Empty when the file has no key-person column: then grids
    balance on households alone."""
    given = [col for col in KEY_PERSONS if col in values]
    if not given:
        return {}
    weights = profile.grid.workload_weights
    out = {col: np.nan_to_num(values[col][keep]) for col in given}
    workload = households[keep] + sum(weights.get(col, 0.0) * out[col] for col in given)
    return {**out, "workload": workload}


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
