"""The living-circle audit end to end: OSM file → network → homes, facilities → access → outputs.

This is the Python API behind ``shequ access`` and ``shequ demo``: :func:`compute_access` runs the
pipeline in memory and :func:`write_access_outputs` writes ``shequ.gpkg``, the CSVs and
``map.html``. Data flows one way and nothing here downloads: an online extract is fetched before,
by :mod:`shequ.geo.osm_online`, into a local file.
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from shequ.analyses.access import KindAccess, all_access
from shequ.analyses.audit import compound_rollup, home_columns, summary
from shequ.analyses.grid_audit import assign_points, grid_audit, outside_homes
from shequ.analyses.isochrones import agree_with_homes, facility_isochrones, union_by_kind
from shequ.errors import InputError
from shequ.geo.basemap import Basemap
from shequ.geo.checks import Warning_
from shequ.geo.completeness import Completeness
from shequ.geo.network import WalkNetwork
from shequ.geo.output_folder import write_outputs
from shequ.geo.outputs import plain_layer
from shequ.geo.polygons_file import read_polygon_file
from shequ.geo.study_area import StudyArea
from shequ.i18n import Note
from shequ.jobs.inputs import (
    RASTER_COLUMNS,
    AreaInputs,
    InputOptions,
    Progress,
    area_completeness,
    attach,
    load_inputs,
    network_layers,
    no_progress,
    reject_unattached,
    require_homes,
)
from shequ.profile import FacilityKind, Profile

__all__ = [
    "RASTER_COLUMNS",
    "AccessOptions",
    "AccessResult",
    "compute_access",
    "distance_standard",
    "map_kinds",
]

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class AccessOptions(InputOptions):
    """Inputs of a living-circle audit (every CLI flag of ``shequ access``).

    Parameters
    ----------
    osm, homes, facilities, profile, crs, metric, kinds, osm_facilities, population_rasters, \
raster_column
        Where the area's data comes from: see :class:`shequ.jobs.inputs.InputOptions`.
    bands : list of float, optional
        Isochrone minutes; default: each kind's walk threshold from the profile.
    isochrones : bool
        Draw street-following isochrones (the walk times are computed either way).
    grids : Path, optional
        Grid polygons (e.g. the ``grids`` layer of a ``shequ grids`` output): the audit is
        repeated per grid (:mod:`shequ.analyses.grid_audit`), written as ``grid_audit``.

    Examples
    --------
    >>> opts = AccessOptions(osm=Path("nanjing.osm"), kinds=["kindergarten"])  # doctest: +SKIP
    >>> result = compute_access(opts)  # doctest: +SKIP
    >>> write_access_outputs(result, "out", lang="zh")  # doctest: +SKIP
    """

    bands: list[float] | None = None  # isochrone minutes; default: each kind's threshold
    isochrones: bool = True
    grids: Path | None = None  # grid polygons for the per-grid audit


@dataclass
class AccessResult:
    """What :func:`compute_access` found, in memory, before anything is written.

    Attributes
    ----------
    profile : Profile
        The checked profile the run used.
    network : WalkNetwork
        The walk graph, with the nodes inserted where homes and facilities attach.
    homes, facilities : GeoDataFrame
        Homes with ``walk_min_<kind>``, ``meets_<kind>``, ``unreachable_<kind>`` per kind;
        facilities with their attachment (``node_id``, ``access_m``). Metric CRS.
    isochrones : GeoDataFrame
        Per facility and the union per kind, with ``empty`` and ``reason``.
    compounds : GeoDataFrame
        Residential compounds (OSM ``landuse=residential``).
    summary, compound_summary : DataFrame
        Coverage per kind and tier; per compound.
    rejects : DataFrame
        Every input row not used, with its reason (``reason_key`` for programs).
    access : dict
        Per kind, the walk distances behind the columns (:class:`KindAccess`).
    warnings : list of Warning_
        Input warnings (points outside the area, coordinate-system shifts).
    notes : list of str
        Notes for the user (:class:`shequ.i18n.Note`, English in files).
    facilities_read : dict
        Facilities of each kind read (OSM and files) before those with no street within reach
        were rejected: "none in the data" and "none within reach" are different findings.
    study_area : StudyArea, optional
        The run's study area (:mod:`shequ.geo.study_area`).
    completeness : Completeness, optional
        What the data probably lacks (residential land without buildings, low household
        density, storeys from defaults, kinds without facilities); ``run.json`` records it.
    grid_audit : GeoDataFrame, optional
        With ``--grids``: the summary per grid, kind and tier, and for the homes outside
        every grid (:func:`shequ.analyses.grid_audit.grid_audit`).
    """

    profile: Profile
    network: WalkNetwork
    homes: gpd.GeoDataFrame
    facilities: gpd.GeoDataFrame
    isochrones: gpd.GeoDataFrame
    compounds: gpd.GeoDataFrame
    summary: pd.DataFrame
    compound_summary: pd.DataFrame
    rejects: pd.DataFrame
    access: dict[str, KindAccess]
    warnings: list[Warning_]
    notes: list[str]
    completeness: Completeness | None = None
    basemap: Basemap | None = None  # drawn under the map (geo/basemap.py)
    facilities_read: dict[str, int] = field(default_factory=dict)
    study_area: StudyArea | None = None
    input_files: list[dict] = field(default_factory=list)
    grid_audit: gpd.GeoDataFrame | None = None


def compute_access(opts: AccessOptions, progress: Progress = no_progress) -> AccessResult:
    """Run the living-circle audit in memory: inputs, attachment, walk times, isochrones.

    Parameters
    ----------
    opts : AccessOptions
        The inputs; not modified.
    progress : Progress, optional
        ``progress(step_key, total)`` returns ``advance(n)``; the CLI passes progress bars.

    Returns
    -------
    AccessResult
        Everything :func:`write_access_outputs` writes.

    Raises
    ------
    InputError
        Bad input (a file, a row, a profile key): one line naming it; also when the area
        has no homes at all (:func:`require_homes`), or when ``--grids`` holds none of them.
    """
    area = load_inputs(opts, progress)
    require_homes(area.homes, opts)
    grid_polygons = None
    if opts.grids is not None:  # read before the long steps: a bad file fails at once
        grid_polygons, repaired = read_polygon_file(
            opts.grids, opts.crs, area.crs, area.rejects, layer="grids"
        )
        if repaired:
            area.notes.append(Note("n.audit_grids_repaired", n=repaired))
        home_xy = shapely.get_coordinates(area.homes.geometry.to_numpy())
        if (assign_points(home_xy, grid_polygons.geometry.to_numpy()) < 0).all():
            raise InputError(
                Note("e.audit_grids_no_homes", grids=len(grid_polygons), homes=len(area.homes)),
                path=opts.grids,
            )
    profile, kinds = area.profile, area.kinds
    read = area.facilities["kind"].value_counts() if len(area.facilities) else pd.Series()
    step = progress("step.attach", 1)
    net, (homes, facilities) = attach(
        area.network, [area.homes, area.facilities], profile.max_access_m
    )
    facilities = reject_unattached(
        facilities, "facilities", Note("word.facility"), area.rejects, profile.max_access_m
    )
    step(1)

    per_kind = facilities["kind"].value_counts() if "kind" in facilities else pd.Series(dtype=int)
    usable = {kind.id: int(per_kind.get(kind.id, 0)) for kind in kinds}
    completeness = area_completeness(area, homes, facilities, [kind.id for kind in kinds])

    step = progress("step.access", len(kinds))
    access = {}
    for kind in kinds:
        access.update(all_access(net, profile, [kind], facilities, homes))
        step(1)
    homes = pd.concat([homes.reset_index(drop=True), home_columns(access)], axis=1)
    homes = gpd.GeoDataFrame(homes, geometry="geometry", crs=area.crs)

    # the extract, the footprints and the walk graph before attachment are not read after this
    # point: released before the isochrones, the run's memory peak (337k-node mosaic, a
    # synthetic arrangement: 1.54 -> 1.37 GB peak RSS)
    area.osm = None
    area.footprints = None
    area.network = None
    minutes = {kind_id: acc.walk_min for kind_id, acc in access.items()}
    home_xy = np.column_stack([homes.geometry.x, homes.geometry.y])  # NaN: no point
    isochrones = _isochrones(net, profile, kinds, facilities, opts, progress, (home_xy, minutes))
    empty = int(isochrones["empty"].sum()) if "empty" in isochrones else 0
    if empty:
        area.notes.append(Note("n.empty_isochrones", n=empty))
    per_grid = None
    if grid_polygons is not None:
        step = progress("step.grid_audit", 1)
        per_grid = _grid_audit(grid_polygons, homes, access, area, usable)
        step(1)
    return AccessResult(
        profile=profile,
        network=net,
        homes=homes,
        facilities=facilities,
        isochrones=isochrones,
        compounds=area.compounds,
        summary=summary(homes, access, profile.tiers_min, usable),
        compound_summary=compound_rollup(homes, access, usable),
        rejects=area.rejects.frame(),
        access=access,
        warnings=area.warnings,
        notes=area.notes,
        completeness=completeness,
        facilities_read={kind.id: int(read.get(kind.id, 0)) for kind in kinds},
        study_area=area.study_area,
        input_files=area.files,
        grid_audit=per_grid,
        basemap=area.basemap,
    )


def _grid_audit(
    polygons: gpd.GeoDataFrame,
    homes: gpd.GeoDataFrame,
    access: dict[str, KindAccess],
    area: AreaInputs,
    usable: dict[str, int],
) -> gpd.GeoDataFrame:
    """The audit per grid of ``--grids``; the homes outside every grid are a note."""
    table = grid_audit(homes, access, area.profile.tiers_min, polygons, usable)
    n_out, hh_out = outside_homes(table)
    if n_out:
        area.notes.append(Note("n.audit_outside_grids", homes=n_out, households=hh_out))
    return table


def _flag_empty(
    polygons: gpd.GeoDataFrame, facilities: gpd.GeoDataFrame, speed: dict[str, float]
) -> gpd.GeoDataFrame:
    """``empty`` and ``reason`` per facility isochrone: a facility whose door is farther from
    the street than the band reaches has no isochrone, and the layer says so instead of
    silently holding an empty polygon."""
    polygons = polygons.copy()
    empty = polygons.geometry.is_empty.to_numpy() | (polygons.geometry.area.to_numpy() <= 0)
    access = facilities.set_index(["kind", "facility_id"])["access_m"]
    keys = pd.MultiIndex.from_arrays([polygons["kind"], polygons["facility_id"]])
    door = access.reindex(keys).to_numpy(dtype=float)
    reach = polygons["minutes"].to_numpy(float) * 60.0 * polygons["kind"].map(speed).to_numpy()
    polygons["empty"] = empty
    polygons["reason"] = [
        (
            f"door {d:.0f} m from the nearest street, beyond the {r:.0f} m this band walks"
            if d > r
            else "no street reachable within the band"
        )
        if e
        else ""
        for e, d, r in zip(empty, door, reach, strict=True)
    ]
    return polygons


def _isochrones(net, profile, kinds, facilities, opts, progress, homes) -> gpd.GeoDataFrame:
    """Per facility and band the street-following polygons; per kind and band their union,
    made to agree with the homes' own minutes (``homes`` = (coordinates, minutes per kind),
    :func:`shequ.analyses.isochrones.agree_with_homes`): a home is in a kind's N-minute area
    exactly when it is served within N minutes."""
    empty = gpd.GeoDataFrame(
        {"kind": [], "minutes": [], "scope": [], "facility_id": [], "empty": [], "reason": []},
        geometry=gpd.GeoSeries([], crs=net.crs),
        crs=net.crs,
    )
    if not opts.isochrones or facilities.empty:
        return empty
    step = progress("step.isochrones", len(facilities))
    parts = []
    for kind in kinds:
        fac = facilities[facilities["kind"] == kind.id]
        if fac.empty:
            continue
        parts.append(
            facility_isochrones(
                net,
                kind.id,
                profile.speed(kind),
                fac["facility_id"].to_numpy(),
                fac["node_id"].to_numpy(),
                fac["access_m"].to_numpy(),
                np.column_stack([fac.geometry.x, fac.geometry.y]),
                opts.bands or [kind.max_walk_min],
                profile.isochrone_buffer_m,
                progress=step,
            )
        )
    if not parts:
        return empty
    per_facility = gpd.GeoDataFrame(pd.concat(parts, ignore_index=True), crs=net.crs)
    per_facility = _flag_empty(per_facility, facilities, {k.id: profile.speed(k) for k in kinds})
    home_xy, minutes = homes
    union = agree_with_homes(
        union_by_kind(per_facility), home_xy, minutes, profile.isochrone_buffer_m
    )
    out = gpd.GeoDataFrame(pd.concat([union, per_facility], ignore_index=True), crs=net.crs)
    out["empty"] = out["empty"].fillna(False).astype(bool) | out.geometry.is_empty
    out["reason"] = out["reason"].fillna("")
    return out


def write_access_outputs(
    result: AccessResult, out_dir: str | Path, *, lang: str = "en", with_map: bool = True
) -> dict[str, Path]:
    """Write ``shequ.gpkg``, ``summary.csv``, ``compounds.csv``, ``rejects.csv``, ``map.html``.

    Parameters
    ----------
    result : AccessResult
        From :func:`compute_access`.
    out_dir : str or Path
        The output folder. All or nothing: it is replaced as a whole (see
        :func:`shequ.geo.output_folder.write_outputs`).
    lang : {"en", "zh"}
        Language of the map's words.
    with_map : bool
        Write ``map.html``.

    Returns
    -------
    dict
        File name → path in ``out_dir``.
    """
    out = Path(out_dir)
    net = result.network
    layers = {
        "homes": plain_layer(result.homes),
        "facilities": plain_layer(result.facilities),
        "isochrones": plain_layer(result.isochrones),
        "compounds": plain_layer(result.compounds),
        **network_layers(net),
    }
    run = {
        "crs": net.crs.to_string(),
        "profile": result.profile.source,
        "nodes": net.n_nodes,
        "edges": net.n_edges,
        "network": vars(net.report),
        "homes": len(result.homes),
        "facilities": len(result.facilities),
        "rejects": len(result.rejects),
    }
    tables = {
        "summary": ("summary.csv", result.summary),
        "compounds": ("compounds.csv", result.compound_summary),
    }
    if result.grid_audit is not None:
        layers["grid_audit"] = plain_layer(result.grid_audit)
        tables["grid_audit"] = ("grid_audit.csv", result.grid_audit.drop(columns="geometry"))
    page = partial(_write_map, result, lang) if with_map else None
    return write_outputs(out, "access", result, layers=layers, tables=tables, run=run, page=page)


_RADIUS = re.compile(r"\b(?:radius|within)\D{0,25}(\d+(?:\.\d+)?)\s*m\b")


def distance_standard(kind: FacilityKind) -> bool:
    """Whether the kind's norm is a distance (a service radius in metres, 服务半径), read from
    the ``src`` the profile gives for its ``max_walk_min``.

    The profile keeps every threshold in minutes (the audit walks the streets), converting a
    radius at the walking speed: "幼托 radius <= 300 m … at 1.0 m/s", "within 200 m … = 3.33
    min". A planner checks such a norm in metres, so the map states it in metres first
    (垃圾分类投放点 "≤ 200 m", not "≤ 3.3 min"). A kind whose norm is a time (老年助餐点, the
    15-minute circle) or whose source says nothing is worded in minutes.

    Parameters
    ----------
    kind : FacilityKind
        A kind of the profile.

    Returns
    -------
    bool
        True when the source names a radius or a "within N m" distance.
    """
    return norm_metres(kind) is not None


def norm_metres(kind: FacilityKind) -> float | None:
    """The norm's distance in metres when it is one (:func:`distance_standard`), else None.

    The audit walks ``max_walk_min`` at the kind's walker's speed, which for the elderly
    (0.83 m/s) is less than the norm's radius (社区卫生服务站 ≤ 300 m is audited as 5 min,
    249 m): the map states the norm and, beside it, what was audited.
    """
    source = kind.source.get("src") if isinstance(kind.source, dict) else None
    found = _RADIUS.search(source) if isinstance(source, str) else None
    return float(found.group(1)) if found else None


def map_kinds(result: AccessResult) -> list[dict]:
    """The kinds as the access map takes them (:func:`shequ.maps.build_access_map`): names,
    threshold, walking speed, whether the norm is a distance, and the summary's
    ``data_status``."""
    status = result.summary.groupby("kind")["data_status"].first().to_dict()
    return [
        {
            "id": a.kind.id,
            "zh": a.kind.zh,
            "en": a.kind.en,
            "threshold_min": a.kind.max_walk_min,
            "speed_mps": a.speed_mps,
            "distance_standard": distance_standard(a.kind),
            "norm_m": norm_metres(a.kind),
            "data_status": status.get(a.kind.id, "ok"),
        }
        for a in result.access.values()
    ]


def _write_map(result: AccessResult, lang: str, path: Path) -> Path:
    from shequ.maps import build_access_map, write_map
    from shequ.maps.basemap import add_basemap, datum_for
    from shequ.maps.features import map_datum

    kinds = map_kinds(result)
    completeness = result.completeness.to_json() if result.completeness is not None else None
    with map_datum(datum_for(result.basemap)):
        fmap = build_access_map(
            result.homes,
            result.facilities,
            result.isochrones,
            kinds,
            lang=lang,
            completeness=completeness,
        )
    add_basemap(fmap, result.basemap, lang)
    return write_map(fmap, path)
