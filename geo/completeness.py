"""Data completeness checks: what the OSM data of a study area probably lacks (issue 12).

Walk times and coverage shares are exact for the homes and facilities the data holds; they
mislead when the data holds too little. OSM in China is complete for main streets and patchy for
buildings inside compounds (小区): a ``landuse=residential`` polygon with no building mapped in it
yields no home and no note, and buildings without ``building:levels`` get the profile's default
storeys. These measures say so, so that a blind spot is not read as a finding:

- residential land with no building (nor home) inside: polygons, area, and the households it
  would hold at the profile's density (``completeness.households_per_ha``);
- households per km² of the residential land that has buildings, against the profile's floor
  (``completeness.min_households_per_km2``);
- the share of residential buildings whose storeys come from ``building:levels`` or ``height``;
- the kinds with no facility in the data.

The functions measure; they change no home, facility or result (estimating demand over empty
residential land is a later step).
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

__all__ = ["Completeness", "measure_completeness"]

M2_PER_HA = 10_000.0
M2_PER_KM2 = 1_000_000.0


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
    settings : CompletenessSettings
        The profile's thresholds the findings were judged against.
    """

    residential_land_ha: float
    empty_land_areas: int
    empty_land_ha: float
    empty_land_refs: tuple[str, ...]
    empty_land_households: float
    built_land_ha: float
    households_on_land: float
    households_per_km2: float | None
    residential_buildings: int | None
    levels_tagged: int | None
    kinds_without_facilities: tuple[str, ...]
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
            "low_household_density": self.low_density,
            "few_levels_tags": self.few_levels,
            "kinds_without_facilities": bool(self.kinds_without_facilities),
        }
        return [name for name, on in fired.items() if on]

    def notes(self) -> list[Note]:
        """One note per finding that matters to a reader of the terminal.

        Kinds without facilities get none here: the summary line of each such kind says so.
        """
        out = []
        if self.empty_land_areas:
            out.append(
                Note(
                    "n.completeness_empty_land",
                    n=self.empty_land_areas,
                    ha=self.empty_land_ha,
                    households=self.empty_land_households,
                    per_ha=self.settings.households_per_ha,
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


def measure_completeness(
    osm: OsmData,
    crs: pyproj.CRS,
    homes: gpd.GeoDataFrame,
    compounds: gpd.GeoDataFrame,
    facilities: gpd.GeoDataFrame,
    kinds: list[str],
    settings: CompletenessSettings,
) -> Completeness:
    """Measure what the area's data probably lacks (see the module docstring).

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
    empty = empty_residential_land(compounds, building_footprints(osm, crs), homes)
    land = _valid(compounds.geometry.to_numpy())
    empty_m2 = float(shapely.area(shapely.union_all(land[empty]))) if empty.any() else 0.0
    built_m2 = float(shapely.area(shapely.union_all(land[~empty]))) if (~empty).any() else 0.0
    all_m2 = float(shapely.area(shapely.union_all(land))) if len(land) else 0.0
    types, ids = compounds["osm_type"].to_numpy()[empty], compounds["osm_id"].to_numpy()[empty]
    refs = tuple(f"{t}/{i}" for t, i in zip(types, ids, strict=True))
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
        built_land_ha=built_m2 / M2_PER_HA,
        households_on_land=on_land,
        households_per_km2=on_land / (built_m2 / M2_PER_KM2) if built_m2 > 0 else None,
        residential_buildings=buildings,
        levels_tagged=tagged,
        kinds_without_facilities=tuple(k for k in kinds if k not in present),
        settings=settings,
    )
