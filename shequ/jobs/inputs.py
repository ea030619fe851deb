"""The shared front half of every job: OSM file → metric CRS → walk network → homes, facilities.

The living-circle audit and facility siting start from the same inputs and must see the same
network, homes and attachments (siting's coverage is the audit's walk time), so the loading lives
here once: :func:`load_inputs` reads and normalises, :func:`attach` joins every point layer to the
street network in one pass so the network is split once and its ``node_id``s hold for all layers.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import geopandas as gpd
import numpy as np
import pyproj
import shapely

from shequ.errors import InputError
from shequ.geo.basemap import Basemap, around, basemap_from_osm, check_tiles
from shequ.geo.checks import Warning_, point_checks
from shequ.geo.completeness import Completeness, measure_completeness
from shequ.geo.coords import metric_crs
from shequ.geo.facilities import combine_facilities, facilities_from_layer, facilities_from_osm
from shequ.geo.homes import (
    building_footprints,
    compounds_from_osm,
    demand_from_population,
    homes_from_layer,
    homes_from_osm,
)
from shequ.geo.landuse_homes import with_landuse_homes
from shequ.geo.network import WalkNetwork, build_walk_network, keep_components
from shequ.geo.osm_file import OsmData, read_osm
from shequ.geo.outputs import plain_layer
from shequ.geo.points_file import PointLayer, crs_note, read_points_file
from shequ.geo.population_raster import distribute
from shequ.geo.snapping import attach_points, island_of_points
from shequ.geo.study_area import StudyArea, area_from_file, area_of_extract
from shequ.i18n import Note
from shequ.profile import FacilityKind, Profile, load_profile
from shequ.rejects import Rejects

RASTER_COLUMNS = ("population", "elderly", "children")

# progress(step_key, total) -> advance(n); the CLI passes tqdm bars, the library none.
Progress = Callable[[str, int], Callable[[int], None]]


def no_progress(_key: str, _total: int) -> Callable[[int], None]:
    return lambda _n: None


@dataclass(frozen=True)
class InputOptions:
    """Where the area's data comes from (the flags every ``shequ`` job shares).

    Frozen, as every job's options: a job derives what it needs with ``dataclasses.replace``
    and never changes its caller's options.
    """

    osm: Path
    homes: Path | None = None
    facilities: list[tuple[Path, str | None]] = field(default_factory=list)
    profile: Path | None = None
    crs: str | None = None  # coordinate system of user files without one
    metric: str = "utm"  # or "cgcs2000_gk"
    kinds: list[str] | None = None
    osm_facilities: bool = True
    population_rasters: list[Path] = field(default_factory=list)  # summed, spread by floor area
    raster_column: str = "population"  # or "elderly" / "children"
    area: Path | None = None  # the study area's polygon file (a 街道/社区 boundary)
    landuse_homes: bool = True  # estimate homes on residential land mapped without buildings
    basemap_tiles: str | None = None  # a tile URL template the maps draw instead (--basemap)
    with_basemap: bool = True  # False: the caller draws its own (hotspots: around its own area)


@dataclass
class AreaInputs:
    """Loaded, projected and validated inputs of one study area (not yet attached)."""

    profile: Profile
    osm: OsmData
    crs: pyproj.CRS
    network: WalkNetwork
    homes: gpd.GeoDataFrame
    facilities: gpd.GeoDataFrame
    compounds: gpd.GeoDataFrame
    kinds: list[FacilityKind]
    rejects: Rejects
    warnings: list[Warning_]
    notes: list[str]
    study_area: StudyArea
    files: list[dict] = field(default_factory=list)  # run.json "input_files" (see file_record)
    footprints: np.ndarray | None = None  # every building footprint, projected once a run
    basemap: Basemap | None = None  # what the maps draw under the results (geo/basemap.py)


def file_record(layer: PointLayer, role: str) -> dict:
    """What ``run.json`` keeps of a user file: its path, role, and the coordinate system it was
    read in and why (``crs_from``: given / file / amap / baidu / default), since an Amap or
    Baidu export read in its own system moves every point by 0.5–1.3 km."""
    return {
        "path": layer.source,
        "role": role,
        "crs": layer.crs_used,
        "crs_from": layer.crs_from,
        "export": layer.poi_source,
    }


def read_user_points(
    path: Path, crs: str | None, rejects: Rejects, role: str, notes: list, files: list[dict]
) -> PointLayer:
    """:func:`read_points_file` for a job: the coordinate system used is noted (an Amap or
    Baidu export) and recorded in ``files``."""
    layer = read_points_file(path, crs, rejects, layer=role)
    note = crs_note(layer)
    if note is not None:
        notes.append(note)
    files.append(file_record(layer, role))
    return layer


def load_inputs(opts: InputOptions, progress: Progress = no_progress) -> AreaInputs:
    """Read the OSM file, build the walk network, and load homes and facilities of ``kinds``."""
    profile = load_profile(opts.profile)
    tiles = check_tiles(opts.basemap_tiles)  # a bad --basemap fails before any reading
    kinds = [profile.kind(k) for k in (opts.kinds or list(profile.kinds))]
    rejects = Rejects()
    warnings: list[Warning_] = []

    step = progress("step.load", 1)
    osm = read_osm(opts.osm)
    step(1)
    crs = metric_crs(*osm.bounds, kind=opts.metric)
    step = progress("step.network", 1)
    net = build_walk_network(osm, crs)
    step(1)
    notes = list(osm.notes)
    files: list[dict] = []

    step = progress("step.demand", 2)
    compounds = compounds_from_osm(osm, crs)
    footprints = building_footprints(osm, crs)  # estimate, completeness and grid atoms share it
    if opts.homes is not None:
        layer = read_user_points(opts.homes, opts.crs, rejects, "homes", notes, files)
        warnings += layer_checks(layer, net)
        homes = homes_from_layer(layer, crs, profile, rejects)
        del layer  # its WGS-84 points: ~180 bytes a home, not needed past here
        homes = _assign_compounds(homes, compounds)
    else:
        homes = homes_from_osm(osm, crs, profile, compounds, rejects, notes)
        if opts.landuse_homes:  # blind spots, not blank spots: land mapped without buildings
            homes = with_landuse_homes(homes, compounds, footprints, profile)
    if "estimated_from" not in homes:  # the same column with or without the estimate
        homes = homes.assign(estimated_from="file" if opts.homes is not None else "building")
    step(1)
    parts = [facilities_from_osm(osm, crs, kinds, notes)] if opts.osm_facilities else []
    for path, kind in opts.facilities:
        layer = read_user_points(path, opts.crs, rejects, "facilities", notes, files)
        parts.append(facilities_from_layer(layer, crs, profile, rejects, kind=kind))
        warnings += layer_checks(layer, net)
    facilities = _keep_kinds(combine_facilities(parts, crs, kinds, notes), kinds, rejects)
    study = choose_study_area(opts, net, [homes, facilities], rejects, notes)
    net.area = study.metric  # "outside the study area" means outside this one
    homes = clip_homes(homes, study, rejects, notes)
    if opts.population_rasters:  # the pixels of the study area, on the homes inside it
        homes = _apply_rasters(homes, opts, profile, study.lonlat(), notes)
    net = keep_islands(net, homes, facilities, profile.max_access_m, notes)
    basemap = (
        basemap_from_osm(osm, around(study.lonlat().bounds), tiles=tiles)
        if opts.with_basemap
        else None
    )
    step(1)
    return AreaInputs(
        profile,
        osm,
        crs,
        net,
        homes,
        facilities,
        compounds,
        kinds,
        rejects,
        warnings,
        notes,
        study,
        files,
        footprints,
        basemap,
    )


def area_completeness(
    area: AreaInputs, homes: gpd.GeoDataFrame, facilities: gpd.GeoDataFrame, kinds: list[str]
) -> Completeness:
    """What the area's data probably lacks (:mod:`shequ.geo.completeness`), its notes added to
    the run's: every command that shows a number says where the data behind it is thin."""
    compounds = area.compounds  # the residential land of the study area, cut at its edge
    if len(compounds):
        cut = shapely.intersection(compounds.geometry.values, area.study_area.metric)
        compounds = compounds.assign(geometry=cut)[~shapely.is_empty(cut)]
    found = measure_completeness(
        area.osm,
        area.crs,
        homes,
        compounds,
        facilities,
        kinds,
        area.profile.completeness,
        footprints=area.footprints,
    )
    area.notes.extend(found.notes())
    return found


def choose_study_area(
    opts: InputOptions,
    net: WalkNetwork,
    points: list[gpd.GeoDataFrame],
    rejects: Rejects,
    notes: list[str],
) -> StudyArea:
    """The run's one study area (:mod:`shequ.geo.study_area`): ``--area``, else the extract's
    declared bounds, else the hull of ``points`` (homes, facilities); noted with its km².

    Facilities outside the area are kept: they still serve homes inside it.
    """
    if opts.area is not None:
        study = area_from_file(opts.area, opts.crs, net.crs, rejects, net.area, notes)
    else:
        xy = [np.column_stack([g.geometry.x, g.geometry.y]).reshape(-1, 2) for g in points]
        study = area_of_extract(opts.osm, net.crs, net.node_xy, np.vstack(xy), notes)
    notes.append(Note("n.area", source=Note(f"area.{study.source}"), km2=study.km2))
    return study


def clip_homes(
    homes: gpd.GeoDataFrame, study: StudyArea, rejects: Rejects, notes: list[str]
) -> gpd.GeoDataFrame:
    """The homes inside the study area; those outside are noted (OSM buildings) or go to
    ``rejects.csv`` with their row (a homes file), so rows in = rows kept + rows rejected.

    An extract cut with whole ways (``osmium extract --strategy complete_ways``) holds buildings
    reaching past its bounds; their households would be audited as if they lived in the area.
    """
    inside = study.contains(np.column_stack([homes.geometry.x, homes.geometry.y]))
    if inside.all():
        return homes
    out = homes[~inside]
    from_file = out["source"].to_numpy() != "osm"
    rows = out["input_row"].to_numpy(dtype=float, na_value=np.nan) if "input_row" in out else None
    for i in np.flatnonzero(from_file):
        row = rows[i] if rows is not None else np.nan
        rejects.add(
            str(out["source"].iloc[i]),
            "homes",
            int(row) if np.isfinite(row) else None,
            out["name"].iloc[i] if "name" in out else None,
            Note("r.outside_area"),
        )
    if (~from_file).any():
        osm_out = out[~from_file]
        notes.append(
            Note(
                "n.area_homes_outside",
                n=len(osm_out),
                households=float(np.nansum(osm_out["households"].to_numpy(dtype=float))),
            )
        )
    return homes[inside].reset_index(drop=True)


ISLANDS_LISTED = 5  # kept islands noted one by one; the smaller ones in one line


def keep_islands(
    net: WalkNetwork,
    homes: gpd.GeoDataFrame,
    facilities: gpd.GeoDataFrame,
    max_access_m: float,
    notes: list[str],
) -> WalkNetwork:
    """Drop the street islands that hold no home and no facility; note kept and dropped ones.

    Keeping only the largest component put whole districts out of reach: in
    ``shanghai_center_roads_large.osm`` the largest dropped fragment is Pudong (758 street
    nodes), and the 30 Amap kindergartens along its streets were rejected as "outside the
    study area?". A point holds the largest island with a
    street within ``max_access_m`` (:func:`~shequ.geo.snapping.island_of_points`: a footway
    fragment beside a street does not capture the homes around it); islands holding none are
    dropped, since no walk time starts or ends there. Walk distances within a kept island are
    unchanged (no edge is added or removed).

    Parameters
    ----------
    net : WalkNetwork
        Every island (:func:`~shequ.geo.network.build_walk_network`).
    homes, facilities : GeoDataFrame
        The run's points, metric CRS.
    max_access_m : float
        The attachment reach.
    notes : list
        The run's notes: kept islands (when more than one) and dropped ones are added.

    Returns
    -------
    WalkNetwork
        The kept islands.
    """
    n_comp = int(net.component.max()) + 1 if net.n_nodes else 0
    xy = [np.column_stack([g.geometry.x, g.geometry.y]).reshape(-1, 2) for g in (homes, facilities)]
    held, island = island_of_points(net, np.vstack(xy), max_access_m)
    at_home, at_facility = island[: len(xy[0])], island[len(xy[0]) :]
    n_homes = np.bincount(at_home[at_home >= 0], minlength=n_comp)
    n_facilities = np.bincount(at_facility[at_facility >= 0], minlength=n_comp)
    kept_labels = np.flatnonzero(held)
    new = keep_components(net, held)
    rep = new.report
    sizes = rep.islands_kept_sizes
    if len(sizes) > 1:
        order = kept_labels[np.argsort(-net.island_street_nodes()[kept_labels], kind="stable")]
        notes.append(
            Note(
                "n.islands_kept",
                n=len(sizes),
                nodes=sum(s["nodes"] for s in sizes),
                metres=sum(s["metres"] for s in sizes),
            )
        )
        for size, c in zip(sizes[:ISLANDS_LISTED], order[:ISLANDS_LISTED], strict=True):
            notes.append(
                Note(
                    "n.island",
                    nodes=size["nodes"],
                    metres=size["metres"],
                    homes=int(n_homes[c]),
                    facilities=int(n_facilities[c]),
                )
            )
        rest = order[ISLANDS_LISTED:]
        if len(rest):
            notes.append(
                Note(
                    "n.islands_more",
                    n=len(rest),
                    nodes=sum(s["nodes"] for s in sizes[ISLANDS_LISTED:]),
                    metres=sum(s["metres"] for s in sizes[ISLANDS_LISTED:]),
                    homes=int(n_homes[rest].sum()),
                    facilities=int(n_facilities[rest].sum()),
                )
            )
    if rep.components_dropped:
        notes.append(
            Note(
                "n.islands_dropped",
                components=rep.components_dropped,
                nodes=rep.nodes_dropped,
                metres=rep.length_dropped_m,
            )
        )
    return new


def _keep_kinds(
    facilities: gpd.GeoDataFrame, kinds: list[FacilityKind], rejects: Rejects
) -> gpd.GeoDataFrame:
    """Facilities of the kinds in the run; user rows of other kinds are reported, not lost.

    OSM features are only read for the run's kinds, so the rows dropped here come from
    ``--facilities`` files of several kinds filtered by ``--kinds`` (or by ``site --kind``);
    each is reported by its data row in the file (``input_row``) and its name, as the reader
    reports the rows it rejects.
    """
    wanted = [k.id for k in kinds]
    keep = facilities["kind"].isin(wanted).to_numpy()
    dropped = facilities[~keep]
    rows = dropped["input_row"].to_numpy(dtype=float, na_value=np.nan)
    for source, row, name, kind in zip(
        dropped["source"], rows, dropped["name"], dropped["kind"], strict=True
    ):
        rejects.add(
            source,
            "facilities",
            int(row) if np.isfinite(row) else None,
            name,
            Note("r.kind_filtered", kind=kind, kinds=", ".join(wanted)),
        )
    return facilities[keep].reset_index(drop=True)


def _apply_rasters(
    homes: gpd.GeoDataFrame,
    opts: InputOptions,
    profile: Profile,
    area: shapely.Geometry,
    notes: list[str],
) -> gpd.GeoDataFrame:
    """Replace a demand column by the rasters' counts, spread over homes by floor area.

    Only on the homes the rasters cover: a home off their extent keeps the estimate from its
    building (0 people would be an invented measurement), and the note says how many.
    """
    if opts.raster_column not in RASTER_COLUMNS:
        message = Note(
            "e.raster_column", choices=", ".join(RASTER_COLUMNS), column=opts.raster_column
        )
        raise InputError(message)
    xy = np.column_stack([homes.geometry.x, homes.geometry.y])
    weights = homes["floor_area_m2"].to_numpy() if "floor_area_m2" in homes else np.ones(len(homes))
    shares = distribute(xy, homes.crs, weights, opts.population_rasters, area)
    values, total = shares.values, float(shares.values.sum())  # placed; the rest is noted
    homes = homes.copy()
    if opts.raster_column == "population":
        # a raster's people in a student dormitory stay students (the home's building type)
        types = homes["demand_type"].to_numpy() if "demand_type" in homes else None
        for col, column in demand_from_population(values, profile, types).items():
            homes[col] = np.where(shares.covered, column.to_numpy(), homes[col].to_numpy())
    else:
        homes[opts.raster_column] = np.where(
            shares.covered, values, homes[opts.raster_column].to_numpy()
        )
    notes.append(
        Note(
            "n.raster_population",
            column=opts.raster_column,
            total=total,
            rasters=len(opts.population_rasters),
        )
    )
    notes += shares.notes(opts.raster_column)
    return homes


def layer_checks(layer: PointLayer, net: WalkNetwork) -> list[Warning_]:
    """Warnings for a user layer that lies outside the area or looks read in the wrong one of
    WGS-84/GCJ-02/BD-09, given the system it was read in (``layer.crs_used``)."""
    geoms = layer.frame.geometry.values
    lon, lat = shapely.get_x(geoms), shapely.get_y(geoms)
    return point_checks(layer.source, lon, lat, net, layer.crs_used, layer.crs_from)


def _assign_compounds(homes: gpd.GeoDataFrame, compounds: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """Each home's compound (the first one holding it), by one STRtree query.

    A spatial join would build a joined frame of every home first: on 3.75 M homes that is
    ~0.4 GB more at the run's peak.
    """
    if compounds.empty or homes.empty:
        return homes
    tree = shapely.STRtree(compounds.geometry.values)
    home, comp = tree.query(homes.geometry.values, predicate="within")
    order = np.lexsort((comp, home))
    home, comp = home[order], comp[order]
    first = np.r_[True, home[1:] != home[:-1]] if len(home) else np.zeros(0, dtype=bool)
    ids = compounds["compound_id"].to_numpy()
    homes = homes.copy()
    homes.loc[homes.index[home[first]], "compound_id"] = ids[comp[first]]
    return homes


def attach(
    net: WalkNetwork, layers: list[gpd.GeoDataFrame], max_access_m: float
) -> tuple[WalkNetwork, list[gpd.GeoDataFrame]]:
    """Attach every layer's points in one pass; each layer gains ``node_id`` and ``access_m``.

    Each layer also carries the extract's bounds (``attrs["study_area"]``, metric CRS), so a
    point that found no street is said to be outside the study area only when it is
    (:func:`no_street_reason`).
    """
    xy = [np.column_stack([g.geometry.x, g.geometry.y]).reshape(-1, 2) for g in layers]
    net, att = attach_points(net, np.vstack(xy) if xy else np.empty((0, 2)), max_access_m)
    out, start = [], 0
    for layer, pts in zip(layers, xy, strict=True):
        end = start + len(pts)
        layer = layer.copy()
        layer["node_id"] = att.node_id[start:end]
        layer["access_m"] = att.access_m[start:end]
        layer.attrs["study_area"] = net.area  # for the reason of an unattached point
        out.append(layer)
        start = end
    return net, out


def require_homes(homes: gpd.GeoDataFrame, opts: InputOptions) -> None:
    """Stop when the area has no home at all: every share would be 0 % of nothing.

    A roads-only extract (``shanghai_center_roads_large.osm``) has streets but no residential
    buildings, so no home can be estimated; an audit or a siting run on it would report 0 %
    for every kind and exit 0. The error names the file and says how to pass ``--homes``.

    Parameters
    ----------
    homes : DataFrame
        The homes as loaded (from ``--homes`` or estimated from the OSM buildings).
    opts : InputOptions
        The run's inputs, to name the file the homes were looked for in.

    Raises
    ------
    InputError
        When ``homes`` has no row.
    """
    if len(homes) == 0 and opts.homes is not None:  # every usable row lies outside the area
        raise InputError(Note("e.homes_all_outside"), path=str(opts.homes))
    if len(homes) == 0:
        source = opts.osm
        raise InputError(Note("e.no_homes"), path=str(source) if source is not None else None)


def reject_unattached(
    frame: gpd.GeoDataFrame,
    layer: str,
    what: str,
    rejects: Rejects,
    max_access_m: float,
    area: shapely.Geometry | None = None,
) -> gpd.GeoDataFrame:
    """Rows with no street within reach go to rejects (with their kind); the rest are kept.

    Parameters
    ----------
    frame : GeoDataFrame
        Attached points (``node_id`` < 0: no street within reach) with ``source``,
        ``source_ref``, ``name`` and optionally ``kind``.
    layer : str
        The rejects' layer (``facilities`` …).
    what : str
        What a row is, when it has no ``kind``; first in the reason.
    rejects : Rejects
        The unattached rows are added here.
    max_access_m : float
        The reach, for the reason.
    area : shapely geometry, optional
        The study area in the frame's CRS (default: ``frame.attrs["study_area"]`` from
        :func:`attach`). A point inside it is not guessed to be outside the study area.

    Returns
    -------
    GeoDataFrame
        The attached rows, re-indexed.
    """
    far = frame["node_id"].to_numpy() < 0
    inside = inside_area(frame[far], area)
    for (_, row), within in zip(frame[far].iterrows(), inside, strict=True):
        key = "r.no_street_inside" if within else "r.no_street"
        rejects.add(
            row["source"],
            layer,
            row["source_ref"],
            row["name"],
            Note(key, what=row.get("kind", what), m=max_access_m),
        )
    return frame[~far].reset_index(drop=True)


def inside_area(frame: gpd.GeoDataFrame, area: shapely.Geometry | None = None) -> np.ndarray:
    """Per row, True where the point lies inside the study area (the extract's bounds).

    ``area`` defaults to the bounds :func:`attach` left in ``frame.attrs["study_area"]``;
    without either nothing is known to be inside, and the reasons keep their guess.
    """
    if area is None:
        area = frame.attrs.get("study_area")
    if area is None or frame.empty:
        return np.zeros(len(frame), dtype=bool)
    return shapely.covers(area, frame.geometry.values)


def no_street_reason(
    frame: gpd.GeoDataFrame, max_access_m: float, area: shapely.Geometry | None = None
) -> np.ndarray:
    """Per row, the ``candidates.excluded`` reason of an unattached candidate site.

    Inside the study area: "no walkable street within N m"; outside it the old reason that
    also asks whether it is outside the study area.
    """
    inside = inside_area(frame, area)
    here = Note("excluded.no_street_inside", m=max_access_m)
    away = Note("excluded.unattached", m=max_access_m)
    return np.array([here if i else away for i in inside], dtype=object)


def network_layers(net: WalkNetwork) -> dict[str, gpd.GeoDataFrame]:
    """The ``network_nodes`` / ``network_edges`` layers: exactly the graph a job used."""
    return {"network_nodes": net.nodes_frame(), "network_edges": plain_layer(net.edges_frame())}
