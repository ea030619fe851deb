"""Data completeness checks: what the OSM data of a study area probably lacks (issue 12).

Walk times and coverage shares are exact for the homes and facilities the data holds; they
mislead when the data holds too little. OSM in China is complete for main streets and patchy for
buildings inside compounds (小区): a ``landuse=residential`` polygon with no building mapped in it
yields no home and no note, and buildings without ``building:levels`` get the profile's default
storeys. These measures say so, so that a blind spot is not read as a finding:

- residential land with no building (nor home) inside: polygons, area, and the households it
  would hold at the profile's density (``completeness.households_per_ha``);
- residential land mapped far below the profile's density (a 42 ha compound with one
  building): polygons, and the area and households of their part away from any building (the
  rule is :func:`under_mapped_land`);
- households per km² of the residential land that has buildings, against the profile's floor
  (``completeness.min_households_per_km2``);
- the share of residential buildings whose storeys come from ``building:levels`` or ``height``;
- the kinds with no facility in the data.

The functions measure; they change no home, facility or result. :mod:`shequ.geo.landuse_homes`
fills the land found here with estimated homes (``estimated_from = "landuse"``); those are left
out of every measure here, and counted apart (``estimated_homes``).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import geopandas as gpd
import numpy as np
import pyproj
import shapely

from shequ.geo.homes import building_footprints
from shequ.geo.osm_file import OsmData
from shequ.i18n import Note
from shequ.settings import CompletenessSettings

__all__ = [
    "BUILDING_REACH_M",
    "ESTIMATED_FROM",
    "LATTICE_M",
    "Completeness",
    "empty_residential_land",
    "measure_completeness",
    "under_mapped_land",
]

M2_PER_HA = 10_000.0
M2_PER_KM2 = 1_000_000.0

#: Spacing of the estimated points. An ASSUMPTION: 50 m is under a minute's walk (at the
#: profile's ~1 m/s), finer than the 5-minute tier the audit reads, and a 42 ha compound gets
#: ~170 points, so walk times vary across it without making a run on a city much heavier.
LATTICE_M = 50.0

#: How far from a mapped building its own yard reaches: land farther than this in an
#: under-mapped compound is taken for land whose buildings are missing. An ASSUMPTION: about the
#: spacing between the rows of 6-storey slab blocks that make most older compounds (half the
#: lattice), so a mapped building claims the land up to the next row.
BUILDING_REACH_M = 25.0

#: The flag on every estimated point; homes read from buildings or a file carry none.
ESTIMATED_FROM = "landuse"


@dataclass(frozen=True)
class Completeness:
    """What the data of one study area probably lacks; see the module docstring.

    Attributes
    ----------
    residential_land_ha : float
        Area of all ``landuse=residential`` polygons (their union: overlaps count once).
    empty_land_areas : int
        Residential polygons with no building footprint over their interior and no home inside.
    empty_land_ha : float
        Area of the union of those polygons.
    empty_land_refs : tuple of str
        Their OSM references (``way/123``), for the planner to look at.
    empty_land_households : float
        Households that land would hold at ``households_per_ha``.
    sparse_land_areas : int
        Residential polygons with buildings, but whose homes hold fewer households per km² than
        ``min_households_per_km2``, and with land away from any building.
    sparse_land_ha : float
        Area of their land farther than :data:`BUILDING_REACH_M` from a building.
    sparse_land_refs : tuple of str
        Their OSM references.
    sparse_land_households : float
        Households that land would hold at ``households_per_ha``.
    built_land_ha : float
        Area of the union of the other residential polygons.
    households_on_land : float
        Households of the homes inside residential land (``compound_id`` ≥ 0).
    households_per_km2 : float or None
        ``households_on_land`` per km² of built residential land; None when there is none.
    residential_buildings : int or None
        Homes estimated from OSM buildings; None when the homes came from a file (their
        households do not depend on storeys).
    levels_tagged : int or None
        Of those, the ones whose storeys come from ``building:levels`` or ``height``.
    kinds_without_facilities : tuple of str
        Kinds of the run with no facility in the data.
    estimated_homes : int
        Homes of the run estimated over residential land (``estimated_from = "landuse"``).
    estimated_households : float
        Their households.
    settings : CompletenessSettings
        The profile's thresholds the findings were judged against.
    """

    residential_land_ha: float
    empty_land_areas: int
    empty_land_ha: float
    empty_land_refs: tuple[str, ...]
    empty_land_households: float
    sparse_land_areas: int
    sparse_land_ha: float
    sparse_land_refs: tuple[str, ...]
    sparse_land_households: float
    built_land_ha: float
    households_on_land: float
    households_per_km2: float | None
    residential_buildings: int | None
    levels_tagged: int | None
    kinds_without_facilities: tuple[str, ...]
    estimated_homes: int
    estimated_households: float
    settings: CompletenessSettings

    @property
    def levels_tagged_share(self) -> float | None:
        """Share of residential buildings with levels/height tags; None with nothing to count
        (never 0 % of no building)."""
        if not self.residential_buildings:
            return None
        return (self.levels_tagged or 0) / self.residential_buildings

    @property
    def low_density(self) -> bool:
        """Households per km² of built residential land below the profile's floor."""
        density = self.households_per_km2
        return density is not None and density < self.settings.min_households_per_km2

    @property
    def few_levels(self) -> bool:
        """Fewer residential buildings with levels/height than the profile's share."""
        share = self.levels_tagged_share
        return share is not None and share < self.settings.min_levels_tagged_share

    def to_json(self) -> dict[str, Any]:
        """The ``completeness`` entry of ``run.json``: plain numbers (null where nothing was
        measured) and, under ``findings``, the checks that fired."""
        share = self.levels_tagged_share
        return {
            "residential_land_ha": round(self.residential_land_ha, 3),
            "residential_land_without_buildings": {
                "areas": self.empty_land_areas,
                "ha": round(self.empty_land_ha, 3),
                "households_estimate": round(self.empty_land_households, 1),
                "households_per_ha": self.settings.households_per_ha,
                "osm_refs": list(self.empty_land_refs),
            },
            "residential_land_mapped_sparsely": {
                "areas": self.sparse_land_areas,
                "unbuilt_ha": round(self.sparse_land_ha, 3),
                "households_estimate": round(self.sparse_land_households, 1),
                "building_reach_m": BUILDING_REACH_M,
                "osm_refs": list(self.sparse_land_refs),
            },
            "estimated_homes": {
                "estimated_from": ESTIMATED_FROM,
                "points": self.estimated_homes,
                "households": round(self.estimated_households, 1),
                "lattice_m": LATTICE_M,
            },
            "households_per_km2_residential_land": {
                "value": None
                if self.households_per_km2 is None
                else round(self.households_per_km2, 1),
                "households": round(self.households_on_land, 1),
                "built_land_ha": round(self.built_land_ha, 3),
                "min_plausible": self.settings.min_households_per_km2,
            },
            "levels_tags": {
                "residential_buildings": self.residential_buildings,
                "tagged": self.levels_tagged,
                "share": None if share is None else round(share, 4),
                "min_share": self.settings.min_levels_tagged_share,
            },
            "kinds_without_facilities": list(self.kinds_without_facilities),
            "findings": self.findings(),
        }

    def findings(self) -> list[str]:
        """Names of the checks that fired, for programs reading ``run.json``."""
        fired = {
            "residential_land_without_buildings": self.empty_land_areas > 0,
            "residential_land_mapped_sparsely": self.sparse_land_areas > 0,
            "low_household_density": self.low_density,
            "few_levels_tags": self.few_levels,
            "kinds_without_facilities": bool(self.kinds_without_facilities),
        }
        return [name for name, on in fired.items() if on]

    def notes(self) -> list[Note]:
        """One note per finding that matters to a reader of the terminal.

        Land without (or with too few) buildings is noted as missing households, or, when the
        run estimated homes over it, as estimated households. Kinds without facilities get
        none here: the summary line of each such kind says so.
        """
        out = []
        if self.estimated_homes:
            out.append(
                Note(
                    "n.completeness_estimated_homes",
                    households=self.estimated_households,
                    ha=self.empty_land_ha + self.sparse_land_ha,
                    n=self.empty_land_areas + self.sparse_land_areas,
                    per_ha=self.settings.households_per_ha,
                    points=self.estimated_homes,
                )
            )
        elif self.empty_land_areas:
            out.append(
                Note(
                    "n.completeness_empty_land",
                    n=self.empty_land_areas,
                    ha=self.empty_land_ha,
                    households=self.empty_land_households,
                    per_ha=self.settings.households_per_ha,
                )
            )
        if self.sparse_land_areas and not self.estimated_homes:
            out.append(
                Note(
                    "n.completeness_sparse_land",
                    n=self.sparse_land_areas,
                    ha=self.sparse_land_ha,
                    households=self.sparse_land_households,
                    reach=BUILDING_REACH_M,
                )
            )
        if self.low_density:
            out.append(
                Note(
                    "n.completeness_low_density",
                    per_km2=self.households_per_km2,
                    low=self.settings.min_households_per_km2,
                )
            )
        if self.few_levels:
            out.append(
                Note(
                    "n.completeness_levels",
                    share=100.0 * (self.levels_tagged_share or 0.0),
                    tagged=self.levels_tagged,
                    n=self.residential_buildings,
                )
            )
        return out


def _valid(geoms: np.ndarray) -> np.ndarray:
    bad = ~shapely.is_valid(geoms)
    if bad.any():
        geoms = geoms.copy()
        geoms[bad] = shapely.make_valid(geoms[bad])
    return geoms


def empty_residential_land(
    compounds: gpd.GeoDataFrame, footprints: np.ndarray, homes: gpd.GeoDataFrame
) -> np.ndarray:
    """Which residential polygons have no building over their interior and no home inside.

    A footprint that only touches a polygon's edge (a building on the other side of the
    compound wall) does not count; one that overlaps it by any area does. A home point inside
    counts too, so that homes given with ``--homes`` are not called missing.

    Parameters
    ----------
    compounds : GeoDataFrame
        ``landuse=residential`` polygons (metric CRS).
    footprints : ndarray of shapely geometries
        Every building footprint of the data, in the same CRS.
    homes : GeoDataFrame
        The run's homes (points), same CRS.

    Returns
    -------
    ndarray of bool
        Per compound, True when it is empty.
    """
    land = _valid(compounds.geometry.to_numpy())
    used = np.zeros(len(land), dtype=bool)
    if len(land) == 0:
        return used
    if len(footprints):
        footprints = _valid(footprints)
        comp, fp = shapely.STRtree(footprints).query(land, predicate="intersects")
        overlap = shapely.area(shapely.intersection(land[comp], footprints[fp]))
        used[comp[overlap > 0]] = True
    if len(homes):
        comp, _ = shapely.STRtree(homes.geometry.to_numpy()).query(land, predicate="contains")
        used[comp] = True
    return ~used


def _estimated(homes: gpd.GeoDataFrame) -> np.ndarray:
    """Which homes were estimated over residential land (not mapped)."""
    if "estimated_from" in homes and len(homes):
        return homes["estimated_from"].to_numpy() == ESTIMATED_FROM
    return np.zeros(len(homes), dtype=bool)


def _observed(homes: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """The homes the data holds (estimated ones do not count as mapped)."""
    estimated = _estimated(homes)
    return homes[~estimated] if estimated.any() else homes


def under_mapped_land(
    compounds: gpd.GeoDataFrame,
    footprints: np.ndarray,
    homes: gpd.GeoDataFrame,
    settings: CompletenessSettings,
    *,
    sparse: bool = True,
    reach_m: float = BUILDING_REACH_M,
    min_piece_m2: float = LATTICE_M * LATTICE_M,
) -> np.ndarray:
    """The part of each residential polygon whose homes the data lacks.

    The rule (stated with its reasons in :mod:`shequ.geo.landuse_homes`): all of a polygon with
    no building nor home; in a polygon whose homes hold fewer households per km² than
    ``min_households_per_km2``, the land farther than ``reach_m`` from any building.

    Parameters
    ----------
    compounds : GeoDataFrame
        ``landuse=residential`` polygons (metric CRS).
    footprints : ndarray of shapely geometries
        Every building footprint of the data, same CRS (any ``building`` value: a school
        occupies land too).
    homes : GeoDataFrame
        The run's homes (points with ``households``), same CRS.
    settings : CompletenessSettings
        ``min_households_per_km2`` gates sparse polygons.
    sparse : bool
        Also estimate the unbuilt part of polygons mapped far below the profile's density; False
        estimates only polygons with no building nor home at all (use it when the homes come
        from the planner's file: they are the authority on what the compound holds).
    reach_m : float
        Land within this distance of a footprint belongs to that building.
    min_piece_m2 : float
        In a sparse polygon, smaller leftover pieces (a strip between a building's yard and
        the compound wall) are not estimated.

    Returns
    -------
    ndarray of shapely geometries
        Per compound, the land to estimate, empty geometry where none. Where polygons overlap,
        the land is given to the first one only, so no household is counted twice.
    """
    homes = _observed(homes)
    land = _valid(compounds.geometry.to_numpy())
    out = np.array([shapely.Polygon()] * len(land), dtype=object)
    if len(land) == 0:
        return out
    footprints = _valid(np.asarray(footprints, dtype=object))
    empty = empty_residential_land(compounds, footprints, homes)
    todo = empty.copy()
    if sparse and (~empty).any():
        held = np.zeros(len(land))
        if len(homes):
            comp, home = shapely.STRtree(homes.geometry.to_numpy()).query(
                land, predicate="contains"
            )
            held = np.bincount(
                comp,
                weights=homes["households"].to_numpy(dtype=float)[home],
                minlength=len(land),
            )
        density = held / (shapely.area(land) / M2_PER_KM2)
        floor = settings.min_households_per_km2
        sparse_land = ~empty & (density < floor)
        todo |= sparse_land
        tree = shapely.STRtree(footprints) if len(footprints) else None
        for i in np.flatnonzero(sparse_land):
            rest = land[i]
            if tree is not None:
                near = tree.query(land[i], predicate="dwithin", distance=reach_m)
                yards = shapely.union_all(shapely.buffer(footprints[near], reach_m))
                rest = shapely.difference(land[i], yards)
            parts = shapely.get_parts(rest)
            parts = parts[shapely.area(parts) >= min_piece_m2]
            out[i] = shapely.union_all(parts) if len(parts) else shapely.Polygon()
    out[empty] = land[empty]
    # overlapping polygons: each m² once, to the first polygon holding it
    idx = np.flatnonzero(todo & ~shapely.is_empty(out))
    if len(idx) > 1:
        tree = shapely.STRtree(out[idx])
        for pos, i in enumerate(idx):
            earlier = [idx[j] for j in tree.query(out[i], predicate="intersects") if j < pos]
            if earlier:
                out[i] = shapely.difference(out[i], shapely.union_all(out[earlier]))
    return out


def measure_completeness(
    osm: OsmData,
    crs: pyproj.CRS,
    homes: gpd.GeoDataFrame,
    compounds: gpd.GeoDataFrame,
    facilities: gpd.GeoDataFrame,
    kinds: list[str],
    settings: CompletenessSettings,
    footprints: np.ndarray | None = None,
) -> Completeness:
    """Measure what the area's data probably lacks (see the module docstring).

    ``footprints`` are the extract's building footprints in ``crs`` when the caller has them
    already (:func:`shequ.geo.homes.building_footprints`); None projects them here.

    Parameters
    ----------
    osm : OsmData
        The area's OSM data (its building footprints).
    crs : pyproj.CRS
        The run's metric CRS (areas are measured in it).
    homes : GeoDataFrame
        The run's homes: from OSM buildings (with ``levels_source``) or from a file.
    compounds : GeoDataFrame
        ``landuse=residential`` polygons in ``crs`` (:func:`shequ.geo.homes.compounds_from_osm`).
    facilities : GeoDataFrame
        The facilities the run measures access to (with ``kind``).
    kinds : list of str
        The run's kind ids.
    settings : CompletenessSettings
        The profile's density and thresholds.

    Returns
    -------
    Completeness
        The measures; :meth:`Completeness.notes` and :meth:`Completeness.to_json` report them.
    """
    estimated = _estimated(homes)
    est_households = float(homes["households"].to_numpy(dtype=float)[estimated].sum())
    homes = homes[~estimated] if estimated.any() else homes
    if footprints is None:
        footprints = building_footprints(osm, crs)
    empty = empty_residential_land(compounds, footprints, homes)
    rest = under_mapped_land(compounds, footprints, homes, settings)
    if "levels_source" not in homes:  # a homes file is the authority on what land holds
        rest = np.array([shapely.Polygon()] * len(rest), dtype=object)
    sparse = ~empty & ~shapely.is_empty(rest)
    sparse_m2 = float(shapely.area(rest[sparse]).sum())
    land = _valid(compounds.geometry.to_numpy())
    empty_m2 = float(shapely.area(shapely.union_all(land[empty]))) if empty.any() else 0.0
    built_m2 = float(shapely.area(shapely.union_all(land[~empty]))) if (~empty).any() else 0.0
    all_m2 = float(shapely.area(shapely.union_all(land))) if len(land) else 0.0
    types, ids = compounds["osm_type"].to_numpy()[empty], compounds["osm_id"].to_numpy()[empty]
    refs = tuple(f"{t}/{i}" for t, i in zip(types, ids, strict=True))
    types, ids = compounds["osm_type"].to_numpy()[sparse], compounds["osm_id"].to_numpy()[sparse]
    sparse_refs = tuple(f"{t}/{i}" for t, i in zip(types, ids, strict=True))
    if len(homes) and "compound_id" in homes:
        inside = homes["compound_id"].to_numpy() >= 0
        on_land = float(homes["households"].to_numpy(dtype=float)[inside].sum())
    else:
        on_land = 0.0
    if "levels_source" in homes:
        source = homes["levels_source"].to_numpy()
        buildings, tagged = len(source), int(np.isin(source, ["osm", "height"]).sum())
    else:
        buildings = tagged = None
    present = set(facilities["kind"]) if "kind" in facilities and len(facilities) else set()
    return Completeness(
        residential_land_ha=all_m2 / M2_PER_HA,
        empty_land_areas=int(empty.sum()),
        empty_land_ha=empty_m2 / M2_PER_HA,
        empty_land_refs=refs,
        empty_land_households=empty_m2 / M2_PER_HA * settings.households_per_ha,
        sparse_land_areas=int(sparse.sum()),
        sparse_land_ha=sparse_m2 / M2_PER_HA,
        sparse_land_refs=sparse_refs,
        sparse_land_households=sparse_m2 / M2_PER_HA * settings.households_per_ha,
        built_land_ha=built_m2 / M2_PER_HA,
        households_on_land=on_land,
        households_per_km2=on_land / (built_m2 / M2_PER_KM2) if built_m2 > 0 else None,
        residential_buildings=buildings,
        levels_tagged=tagged,
        kinds_without_facilities=tuple(k for k in kinds if k not in present),
        estimated_homes=int(estimated.sum()),
        estimated_households=est_households,
        settings=settings,
    )
