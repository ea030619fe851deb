"""The living-circle audit end to end: OSM file → network → homes, facilities → access → outputs.

This is the Python API behind ``shequ access`` and ``shequ demo``: :func:`compute_access` runs the
pipeline in memory and :func:`write_access_outputs` writes ``shequ.gpkg``, the CSVs and
``map.html``. Data flows one way and nothing here downloads: an online extract is fetched before,
by :mod:`shequ.geo.osm_online`, into a local file.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd

from shequ.analyses.access import KindAccess, all_access
from shequ.analyses.audit import compound_rollup, home_columns, summary
from shequ.analyses.isochrones import facility_isochrones, union_by_kind
from shequ.errors import InputError
from shequ.geo.checks import Warning_, crs_offset, outside_area
from shequ.geo.coords import metric_crs
from shequ.geo.facilities import combine_facilities, facilities_from_layer, facilities_from_osm
from shequ.geo.homes import (
    compounds_from_osm,
    demand_from_population,
    homes_from_layer,
    homes_from_osm,
)
from shequ.geo.network import WalkNetwork, build_walk_network
from shequ.geo.osm_file import read_osm
from shequ.geo.outputs import write_csv, write_gpkg, write_text
from shequ.geo.points_file import read_points_file
from shequ.geo.population_raster import distribute
from shequ.geo.snapping import attach_points
from shequ.profile import Profile, load_profile
from shequ.rejects import Rejects

log = logging.getLogger(__name__)

RASTER_COLUMNS = ("population", "elderly", "children")

# progress(step_key, total) -> advance(n); the CLI passes tqdm bars, the library none.
Progress = Callable[[str, int], Callable[[int], None]]


def _no_progress(_key: str, _total: int) -> Callable[[int], None]:
    return lambda _n: None


@dataclass
class AccessOptions:
    """Inputs of a living-circle audit (every CLI flag of ``shequ access``)."""

    osm: Path
    homes: Path | None = None
    facilities: list[tuple[Path, str | None]] = field(default_factory=list)
    profile: Path | None = None
    crs: str | None = None  # coordinate system of user files without one
    metric: str = "utm"  # or "cgcs2000_gk"
    kinds: list[str] | None = None
    bands: list[float] | None = None  # isochrone minutes; default: each kind's threshold
    osm_facilities: bool = True
    isochrones: bool = True
    population_rasters: list[Path] = field(
        default_factory=list
    )  # summed, then spread by floor area
    raster_column: str = "population"  # or "elderly" / "children"


@dataclass
class AccessResult:
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


def compute_access(opts: AccessOptions, progress: Progress = _no_progress) -> AccessResult:
    """Run the audit in memory."""
    profile = load_profile(opts.profile)
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
    rep = net.report
    if rep.components_dropped:
        notes.append(
            f"kept the largest connected street network; dropped {rep.components_dropped} "
            f"fragments ({rep.nodes_dropped} nodes, {rep.length_dropped_m:.0f} m of street)"
        )

    step = progress("step.demand", 2)
    compounds = compounds_from_osm(osm, crs)
    if opts.homes is not None:
        layer = read_points_file(opts.homes, opts.crs, rejects, layer="homes")
        homes = homes_from_layer(layer, crs, profile, rejects)
        warnings += _layer_checks(layer.source, layer.frame, net)
        homes = _assign_compounds(homes, compounds)
    else:
        homes = homes_from_osm(osm, crs, profile, compounds, rejects)
    if opts.population_rasters:
        homes = _apply_rasters(homes, opts, profile, osm.bounds, notes)
    step(1)
    parts = [facilities_from_osm(osm, crs, kinds)] if opts.osm_facilities else []
    for path, kind in opts.facilities:
        layer = read_points_file(path, opts.crs, rejects, layer="facilities")
        parts.append(facilities_from_layer(layer, crs, profile, rejects, kind=kind))
        warnings += _layer_checks(layer.source, layer.frame, net)
    facilities = combine_facilities(parts, crs)
    facilities = facilities[facilities["kind"].isin([k.id for k in kinds])].reset_index(drop=True)
    step(1)

    step = progress("step.attach", 1)
    net, homes, facilities = _attach(net, homes, facilities, profile, rejects)
    step(1)

    step = progress("step.access", len(kinds))
    access = {}
    for kind in kinds:
        access.update(all_access(net, profile, [kind], facilities, homes))
        step(1)
    homes = pd.concat([homes.reset_index(drop=True), home_columns(access)], axis=1)
    homes = gpd.GeoDataFrame(homes, geometry="geometry", crs=crs)

    isochrones = _isochrones(net, profile, kinds, facilities, opts, progress)
    return AccessResult(
        profile=profile,
        network=net,
        homes=homes,
        facilities=facilities,
        isochrones=isochrones,
        compounds=compounds,
        summary=summary(homes, access, profile.tiers_min),
        compound_summary=compound_rollup(homes, access),
        rejects=rejects.frame(),
        access=access,
        warnings=warnings,
        notes=notes,
    )


def _apply_rasters(
    homes: gpd.GeoDataFrame,
    opts: AccessOptions,
    profile: Profile,
    bounds: tuple[float, float, float, float],
    notes: list[str],
) -> gpd.GeoDataFrame:
    """Replace a demand column by the rasters' counts, spread over homes by floor area."""
    if opts.raster_column not in RASTER_COLUMNS:
        raise InputError(
            f"raster column must be one of {', '.join(RASTER_COLUMNS)}, not {opts.raster_column!r}"
        )
    xy = np.column_stack([homes.geometry.x, homes.geometry.y])
    area = homes["floor_area_m2"].to_numpy() if "floor_area_m2" in homes else np.ones(len(homes))
    values, total = distribute(xy, homes.crs, area, opts.population_rasters, bounds)
    homes = homes.copy()
    if opts.raster_column == "population":
        for col, column in demand_from_population(values, profile).items():
            homes[col] = column.to_numpy()
    else:
        homes[opts.raster_column] = values
    notes.append(
        f"{opts.raster_column}: {total:.0f} people from {len(opts.population_rasters)} "
        "raster(s) spread over homes by floor area"
    )
    return homes


def _layer_checks(name: str, frame: gpd.GeoDataFrame, net: WalkNetwork) -> list[Warning_]:
    xy = np.column_stack([frame.geometry.x, frame.geometry.y]) if len(frame) else np.empty((0, 2))
    found = outside_area(name, xy[:, 0], xy[:, 1], net)
    return found or crs_offset(name, xy[:, 0], xy[:, 1], net)


def _assign_compounds(homes: gpd.GeoDataFrame, compounds: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    if compounds.empty or homes.empty:
        return homes
    joined = gpd.sjoin(
        homes[["geometry"]], compounds[["compound_id", "geometry"]], predicate="within"
    )
    joined = joined[~joined.index.duplicated()]
    homes = homes.copy()
    homes.loc[joined.index, "compound_id"] = joined["compound_id"].to_numpy()
    return homes


def _attach(
    net: WalkNetwork,
    homes: gpd.GeoDataFrame,
    facilities: gpd.GeoDataFrame,
    profile: Profile,
    rejects: Rejects,
) -> tuple[WalkNetwork, gpd.GeoDataFrame, gpd.GeoDataFrame]:
    """Attach homes and facilities in one pass so the network is split once."""
    xy = np.vstack(
        [
            np.column_stack([homes.geometry.x, homes.geometry.y]).reshape(-1, 2),
            np.column_stack([facilities.geometry.x, facilities.geometry.y]).reshape(-1, 2),
        ]
    )
    net, att = attach_points(net, xy, profile.max_access_m)
    n_h = len(homes)
    homes = homes.copy()
    homes["node_id"] = att.node_id[:n_h]
    homes["access_m"] = att.access_m[:n_h]
    facilities = facilities.copy()
    facilities["node_id"] = att.node_id[n_h:]
    facilities["access_m"] = att.access_m[n_h:]
    far = facilities["node_id"].to_numpy() < 0
    for _, row in facilities[far].iterrows():
        rejects.add(
            row["source"],
            "facilities",
            row["source_ref"],
            row["name"],
            f"{row['kind']}: no walkable street within {profile.max_access_m:g} m "
            "(outside the study area?)",
        )
    return net, homes, facilities[~far].reset_index(drop=True)


def _isochrones(net, profile, kinds, facilities, opts, progress) -> gpd.GeoDataFrame:
    empty = gpd.GeoDataFrame(
        {"kind": [], "minutes": [], "scope": [], "facility_id": []},
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
    return gpd.GeoDataFrame(
        pd.concat([union_by_kind(per_facility), per_facility], ignore_index=True), crs=net.crs
    )


def _layer_for_gpkg(frame: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """GeoPackage columns must be plain: drop helper objects, stringify object columns."""
    out = frame.drop(columns=[c for c in ("tags", "footprint") if c in frame.columns])
    for col in out.columns:
        if col != out.geometry.name and out[col].dtype == object:
            out[col] = out[col].map(lambda v: None if v is None else str(v))
    return out


def write_access_outputs(
    result: AccessResult, out_dir: str | Path, *, lang: str = "en", with_map: bool = True
) -> dict[str, Path]:
    """Write ``shequ.gpkg``, ``summary.csv``, ``compounds.csv``, ``rejects.csv``, ``map.html``."""
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    net = result.network
    layers = {
        "homes": _layer_for_gpkg(result.homes),
        "facilities": _layer_for_gpkg(result.facilities),
        "isochrones": _layer_for_gpkg(result.isochrones),
        "compounds": _layer_for_gpkg(result.compounds),
        "network_nodes": net.nodes_frame(),
        "network_edges": _layer_for_gpkg(net.edges_frame()),
    }
    paths = {"gpkg": write_gpkg(out / "shequ.gpkg", layers)}
    paths["summary"] = write_csv(out / "summary.csv", result.summary)
    paths["compounds"] = write_csv(out / "compounds.csv", result.compound_summary)
    paths["rejects"] = write_csv(out / "rejects.csv", result.rejects)
    run = {
        "crs": net.crs.to_string(),
        "profile": result.profile.source,
        "nodes": net.n_nodes,
        "edges": net.n_edges,
        "network": vars(net.report),
        "homes": len(result.homes),
        "facilities": len(result.facilities),
        "rejects": len(result.rejects),
        "notes": result.notes,
        "warnings": [{"key": w.key, **w.params} for w in result.warnings],
    }
    paths["run"] = write_text(out / "run.json", json.dumps(run, ensure_ascii=False, indent=2))
    if with_map:
        from shequ.maps import build_access_map, write_map

        kinds = [
            {
                "id": a.kind.id,
                "zh": a.kind.zh,
                "en": a.kind.en,
                "threshold_min": a.kind.max_walk_min,
            }
            for a in result.access.values()
        ]
        fmap = build_access_map(
            result.homes, result.facilities, result.isochrones, kinds, lang=lang
        )
        paths["map"] = write_map(fmap, out / "map.html")
    return paths
