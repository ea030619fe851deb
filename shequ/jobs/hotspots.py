"""Risk hotspots end to end: incidents → H3 cells → Gi*, Moran, KDE, trends → index → levels.

The Python API behind ``shequ hotspots``. Incidents are read with their time and type
(:mod:`shequ.geo.incidents`); the study area is the OSM extract when one is given (homes give
each cell its exposure, OSM gives distances to fire stations, hydrants, charging and cameras),
else the incidents' own hull. Every cell of the area enters the statistics, empty ones included:
a hot spot is only hot relative to the cells around it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import partial
from pathlib import Path

import geopandas as gpd
import h3
import numpy as np
import pandas as pd
import pyproj
import shapely
from scipy.spatial import ConvexHull, QhullError
from sklearn.neighbors import KernelDensity

from shequ.analyses.access import all_access
from shequ.analyses.hotspot_stats import (
    check_enough,
    confidence_bins,
    fdr_cut,
    gi_star,
    local_moran,
    permutation_p,
    ring_weights,
)
from shequ.analyses.hotspot_trends import emerging_categories, slice_counts
from shequ.analyses.risk_index import Factor, risk_index, three_colour, warning_levels
from shequ.errors import InputError
from shequ.geo.checks import Warning_, point_checks
from shequ.geo.coords import metric_crs
from shequ.geo.facilities import matches_tags
from shequ.geo.h3cells import (
    AUTO_MIN_PER_CELL,
    AUTO_RES_RANGE,
    auto_resolution,
    cell_centres,
    cell_polygons,
    check_resolution,
    points_to_cells,
    polygon_to_cells,
    ring_pairs,
    to_hex,
)
from shequ.geo.incidents import read_incidents
from shequ.geo.osm_file import OsmData
from shequ.geo.output_folder import write_outputs
from shequ.geo.outputs import plain_layer
from shequ.geo.polygons_file import read_polygon_file
from shequ.i18n import Note
from shequ.jobs.inputs import AreaInputs, InputOptions, Progress, attach, load_inputs, no_progress
from shequ.machine import check_fits
from shequ.profile import Profile, load_profile
from shequ.rejects import Rejects

OUTSIDE = "outside the study area (the OSM extract)"
CHARGING_KIND = "ebike_charging"


@dataclass
class HotspotOptions:
    """Inputs of a hotspot run (every flag of ``shequ hotspots``)."""

    incidents: Path
    osm: Path | None = None
    grids: Path | None = None  # grid polygons for the roll-up (e.g. shequ grids output)
    profile: Path | None = None
    crs: str | None = None
    res: int | None = None  # H3 resolution; None = automatic
    time_col: str | None = None
    type_col: str | None = None
    types: list[str] = field(default_factory=list)  # keep only these incident types
    trends: bool = True
    three_colour: bool = False
    seed: int = 0


@dataclass
class HotspotResult:
    profile: Profile
    cells: gpd.GeoDataFrame
    grids: gpd.GeoDataFrame | None
    summary: pd.DataFrame
    rejects: pd.DataFrame
    notes: list[str]
    warnings: list[Warning_] = field(default_factory=list)


def compute_hotspots(opts: HotspotOptions, progress: Progress = no_progress) -> HotspotResult:
    profile = load_profile(opts.profile)
    settings = profile.risk
    rejects = Rejects()
    notes: list[str] = []
    step = progress("step.incidents", 1)
    inc = read_incidents(
        opts.incidents,
        rejects,
        crs=opts.crs,
        time_col=opts.time_col,
        type_col=opts.type_col,
        need_time=False,
    )
    step(1)
    frame = inc.frame
    if opts.types:
        keep = frame["type"].isin(opts.types).to_numpy()
        for r in frame["row"].to_numpy()[~keep]:
            rejects.add(inc.source, "incidents", int(r), None, "type not selected (--types)")
        if not keep.any():
            found = frame["type"].value_counts().head(5)
            listed = ", ".join(f"{name} ({n})" for name, n in found.items()) or "none"
            raise InputError(
                f"no incident has the types given with --types ({', '.join(opts.types)}); "
                f"types in the file: {listed}",
                path=inc.source,
            )
        frame = frame[keep].reset_index(drop=True)
    # the OSM area is read once: study area, homes, charging points and OSM factor features
    area_inputs = (
        load_inputs(InputOptions(osm=opts.osm, profile=opts.profile, kinds=[CHARGING_KIND]))
        if opts.osm is not None
        else None
    )
    osm = area_inputs.osm if area_inputs is not None else None
    lon, lat = frame.geometry.x.to_numpy(), frame.geometry.y.to_numpy()
    # shifted coordinates (GCJ-02/BD-09 read as WGS-84, or the reverse) show against the
    # streets; without --osm there are no streets to compare with
    warnings = (
        point_checks(inc.source, lon, lat, area_inputs.network, inc.crs_used) if area_inputs else []
    )
    area = _area(osm, lon, lat)
    inside = shapely.contains_xy(area, lon, lat)
    if osm is not None:
        if not inside.any():
            raise InputError(
                f"all {len(frame)} incidents lie outside the OSM extract's area "
                "(wrong file, or coordinates in GCJ-02/BD-09 without --crs?)",
                path=inc.source,
            )
        for r in frame["row"].to_numpy()[~inside]:
            rejects.add(inc.source, "incidents", int(r), None, OUTSIDE)
        frame = frame[inside].reset_index(drop=True)
        lon, lat = lon[inside], lat[inside]
    try:
        check_enough(len(frame), settings.min_incidents)
    except ValueError as exc:
        raise InputError(str(exc), path=inc.source) from None
    if opts.res is None:
        res, _ = auto_resolution(lon, lat)
        why = Note(
            "n.res_auto",
            res=res,
            lo=AUTO_RES_RANGE[0],
            hi=AUTO_RES_RANGE[1],
            least=AUTO_MIN_PER_CELL,
        )
    else:
        try:
            res = check_resolution(opts.res)
        except ValueError as exc:
            raise InputError(str(exc)) from None
        why = Note("n.res_given", res=res)
    _check_cells(area, res, len(frame), given=opts.res is not None)
    notes.append(why)
    point_cells = points_to_cells(lon, lat, res)
    cells = np.union1d(polygon_to_cells(area, res), point_cells)
    where = np.searchsorted(cells, point_cells)
    count = np.bincount(where, minlength=len(cells)).astype(float)
    centres = cell_centres(cells)
    crs = metric_crs(*np.r_[centres.min(axis=0), centres.max(axis=0)])
    i, j, weights_text = _neighbour_pairs(cells, centres, crs, settings)
    w_star = ring_weights(len(cells), i, j, self_weight=True)
    w_plain = ring_weights(len(cells), i, j, self_weight=False)
    step = progress("step.statistics", 1)
    gi = gi_star(count, w_star)
    gi_p = permutation_p(count, w_star, permutations=settings.permutations, seed=opts.seed)
    cut = fdr_cut(gi_p, settings.fdr_alpha)
    floor = 1.0 / (settings.permutations + 1)
    if cut < floor:
        need = int(np.ceil(floor * len(cells) / settings.fdr_alpha))
        notes.append(
            Note(
                "n.fdr_none",
                perms=settings.permutations,
                floor=floor,
                cells=len(cells),
                need=need,
            )
        )
    moran = local_moran(count, w_plain)
    # with binary ring weights both statistics are monotone in the neighbours' sum, so their
    # folded permutation p-values coincide (same draws); both are kept for the record
    moran_p = permutation_p(
        count, w_plain, statistic="moran", permutations=settings.permutations, seed=opts.seed
    )
    table = pd.DataFrame(
        {
            "h3": to_hex(cells),
            "count": count,
            "gi_z": gi.z,
            "gi_p": gi_p,
            "bin": confidence_bins(gi.z, gi_p),
            "bin_fdr": confidence_bins(gi.z, gi_p, cut),
            "moran_i": moran,
            "moran_p": moran_p,
        }
    )
    step(1)
    table["kde"] = _kde(lon, lat, centres, crs, progress)
    table["trend"] = ""
    if opts.trends and inc.time_column is not None and frame["time"].notna().all():
        counts_t, _ = slice_counts(where, frame["time"], len(cells), settings.time_slices)
        table["trend"], info = emerging_categories(counts_t, w_star)
        notes.append(Note("n.trends", slices=info["slices"]))
    elif opts.trends and inc.time_column is None:
        notes.append(Note("n.no_time"))
    _exposure_and_factors(table, area_inputs, cells, centres, crs, settings, notes)
    factors = [Factor(k, v) for k, v in settings.factor_weights.items()]
    index, ranks = risk_index(table, factors)
    table["index"] = index
    levels = warning_levels(index, quantiles=settings.top_share)
    table["level"] = three_colour(levels) if opts.three_colour else levels
    table = pd.concat([table, ranks], axis=1)
    geoms = cell_polygons(cells)
    cells_gdf = gpd.GeoDataFrame(table, geometry=list(geoms), crs="EPSG:4326")
    grids = _grid_rollup(opts, cells_gdf, crs, rejects) if opts.grids else None
    summary = pd.DataFrame(
        [
            {
                "incidents": len(frame),
                "cells": len(cells),
                "resolution": res,
                "resolution_choice": why,
                "weights": weights_text,
                "permutations": settings.permutations,
                "fdr_alpha": settings.fdr_alpha,
                "fdr_cut": cut,
                "hot_cells_95": int((table["bin"] >= 2).sum()),
                "cold_cells_95": int((table["bin"] <= -2).sum()),
                "hot_cells_fdr": int((table["bin_fdr"] > 0).sum()),
                "ties": "mid-p; empty neighbourhoods never significant",
                "red": int((table["level"] == "red").sum()),
                "orange": int((table["level"] == "orange").sum()),
                "yellow": int((table["level"] == "yellow").sum()),
                "blue": int((table["level"] == "blue").sum()),
            }
        ]
    )
    return HotspotResult(profile, cells_gdf, grids, summary, rejects.frame(), notes, warnings)


def _neighbour_pairs(cells, centres, crs, settings) -> tuple[np.ndarray, np.ndarray, str]:
    """Neighbours by H3 rings (default) or by a distance band between cell centres."""
    if settings.weights_distance_m:
        d = settings.weights_distance_m
        to_m = pyproj.Transformer.from_crs("EPSG:4326", crs, always_xy=True)
        x, y = to_m.transform(centres[:, 0], centres[:, 1])
        pts = shapely.points(x, y)
        i, j = shapely.STRtree(pts).query(pts, predicate="dwithin", distance=d)
        keep = i != j
        text = f"distance band {d:g} m between cell centres, binary, self included for Gi*"
        return i[keep].astype(np.int64), j[keep].astype(np.int64), text
    i, j = ring_pairs(cells, settings.weights_rings)
    return i, j, f"H3 rings k={settings.weights_rings}, binary, self included for Gi*"


# Peak memory per H3 cell: 1.4 KB measured without the map (300 incidents, --res 13 → 14:
# 29,381 → 203,950 cells, +237 MB), ×3 for the map page and the layers written.
BYTES_PER_CELL = 4_000


def _check_cells(area: shapely.Geometry, res: int, incidents: int, *, given: bool) -> None:
    """Refuse a resolution whose cells over the study area would not fit in memory."""
    area_m2 = abs(pyproj.Geod(ellps="WGS84").geometry_area_perimeter(area)[0])
    cells = area_m2 / h3.average_hexagon_area(res, unit="m^2") + incidents
    option = f"--res {res}" if given else f"resolution {res}"
    check_fits(option, cells, BYTES_PER_CELL, "H3 cells", "choose a lower --res")


def _area(osm: OsmData | None, lon: np.ndarray, lat: np.ndarray) -> shapely.Geometry:
    """Convex hull of the streets (or of the incidents), via scipy's Qhull: a shapely
    multipoint of a million incidents costs seconds and hundreds of MB before the hull."""
    if osm is not None and osm.highways:
        xy = np.concatenate([w.lonlat for w in osm.highways])
    else:
        xy = np.column_stack([lon, lat])
    xy = np.unique(xy[:, 0] + 1j * xy[:, 1])
    xy = np.column_stack([xy.real, xy.imag])
    if len(xy) < 3:
        return shapely.convex_hull(shapely.multipoints(xy))
    try:
        hull = ConvexHull(xy)
    except QhullError:  # all points on a line
        return shapely.convex_hull(shapely.multipoints(xy))
    return shapely.Polygon(xy[hull.vertices])


# Cells scored per progress step: small enough that a long density step shows it is moving.
_KDE_CHUNK = 2_000


def _kde(lon, lat, centres, crs, progress: Progress = no_progress) -> np.ndarray:
    """Incidents per km² at each cell centre (Gaussian kernel, Scott's bandwidth).

    Exact, so its cost grows with incidents × cells: scored in chunks of cells, each one a
    step of the progress bar, so a large file shows where the time goes.
    """
    to_m = pyproj.Transformer.from_crs("EPSG:4326", crs, always_xy=True)
    px, py = to_m.transform(lon, lat)
    cx, cy = to_m.transform(centres[:, 0], centres[:, 1])
    pts = np.column_stack([px, py])
    n = len(pts)
    bandwidth = float(np.mean(pts.std(axis=0)) * n ** (-1 / 6)) if n > 1 else 100.0
    kde = KernelDensity(bandwidth=max(bandwidth, 1.0)).fit(pts)
    where = np.column_stack([cx, cy])
    step = progress("step.density", len(where))
    log_density = np.empty(len(where))
    for start in range(0, len(where), _KDE_CHUNK):
        chunk = where[start : start + _KDE_CHUNK]
        log_density[start : start + len(chunk)] = kde.score_samples(chunk)
        step(len(chunk))
    return np.exp(log_density) * n * 1e6  # per m², integrates to 1 → incidents per km²


def _cell_of(cells: np.ndarray, lon: np.ndarray, lat: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Position of each point's cell among ``cells`` and whether it is one of them."""
    res = int(h3.api.numpy_int.get_resolution(int(cells[0])))
    hc = points_to_cells(lon, lat, res)
    pos = np.searchsorted(cells, hc)
    ok = (pos < len(cells)) & (cells[np.minimum(pos, len(cells) - 1)] == hc)
    return np.minimum(pos, len(cells) - 1), ok


def _charging_reach(area: AreaInputs) -> tuple[gpd.GeoDataFrame, np.ndarray]:
    """Homes and whether each has an e-bike charging point within the kind's walk (the audit's
    attachment and multi-source search, on the same network)."""
    profile = area.profile
    net, (homes, facilities) = attach(
        area.network, [area.homes, area.facilities], profile.max_access_m
    )
    facilities = facilities[facilities["node_id"] >= 0]
    reach = all_access(net, profile, area.kinds, facilities, homes)[CHARGING_KIND]
    within = np.nan_to_num(reach.walk_min, nan=np.inf) <= reach.kind.max_walk_min
    return homes, within


def _exposure_and_factors(table, area, cells, centres, crs, settings, notes) -> None:
    if area is None:
        table["rate"] = table["count"]
        return
    osm = area.osm
    homes, within = _charging_reach(area)
    if len(homes):
        ll = homes.to_crs("EPSG:4326")
        pos, ok = _cell_of(cells, ll.geometry.x.to_numpy(), ll.geometry.y.to_numpy())
        for col in ("households", "population", "elderly"):
            table[col] = np.bincount(
                pos[ok], weights=homes[col].to_numpy()[ok], minlength=len(cells)
            )
        gap = ~within
        unserved = np.bincount(
            pos[ok], weights=(homes["households"].to_numpy() * gap)[ok], minlength=len(cells)
        )
        with np.errstate(divide="ignore", invalid="ignore"):
            table["rate"] = np.where(
                table["households"] > 0, table["count"] / table["households"], np.nan
            )
            table["elderly_share"] = np.where(
                table["population"] > 0, table["elderly"] / table["population"], np.nan
            )
            table["charging_gap"] = np.where(
                table["households"] > 0, unserved / table["households"], np.nan
            )
    else:
        table["rate"] = table["count"]
    _building_age(table, osm, cells, notes)
    to_m = pyproj.Transformer.from_crs("EPSG:4326", crs, always_xy=True)
    cx, cy = to_m.transform(centres[:, 0], centres[:, 1])
    centre_pts = shapely.points(cx, cy)
    feats = osm.features
    for name, alternatives in settings.osm_features.items():
        hit = feats["tags"].map(lambda t, a=alternatives: matches_tags(t, a)).to_numpy(bool)
        if not hit.any():
            continue
        geoms = feats.loc[hit].to_crs(crs).geometry.values
        _, dist = shapely.STRtree(geoms).query_nearest(
            centre_pts, return_distance=True, all_matches=False
        )
        table[name] = dist


def _building_age(table: pd.DataFrame, osm: OsmData, cells: np.ndarray, notes: list) -> None:
    """Mean building age per cell where buildings carry ``start_date`` / ``building:age``."""
    feats = osm.features
    year = feats["tags"].map(_build_year).to_numpy(dtype=float)
    dated = np.isfinite(year)
    if not dated.any():
        notes.append(Note("n.no_age"))
        return
    pts = feats.loc[dated].geometry.representative_point()
    pos, ok = _cell_of(cells, pts.x.to_numpy(), pts.y.to_numpy())
    age = pd.Timestamp.now().year - year[dated]
    total = np.bincount(pos[ok], weights=age[ok], minlength=len(cells))
    count = np.bincount(pos[ok], minlength=len(cells))
    table["building_age"] = np.where(count > 0, total / np.maximum(count, 1), np.nan)
    notes.append(Note("n.age_from", n=int(dated.sum())))


def _build_year(tags: dict) -> float:
    if "building" not in tags:
        return np.nan
    text = tags.get("start_date") or tags.get("building:age") or ""
    digits = "".join(ch if ch.isdigit() else " " for ch in str(text)).split()
    years = [int(d) for d in digits if len(d) == 4 and 1800 <= int(d) <= 2100]
    return float(years[0]) if years else np.nan


def _grid_rollup(opts, cells: gpd.GeoDataFrame, crs, rejects: Rejects) -> gpd.GeoDataFrame:
    grids, _ = read_polygon_file(opts.grids, opts.crs, crs, rejects, layer="grids")
    if "grid_id" not in grids.columns:
        grids["grid_id"] = np.arange(len(grids))
    centres = cells.to_crs(crs).geometry.centroid
    g_idx, c_idx = shapely.STRtree(grids.geometry.values).query(centres.values, predicate="within")[
        ::-1
    ]
    rank = {"blue": 0, "yellow": 1, "orange": 2, "red": 3}
    df = pd.DataFrame(
        {
            "grid": g_idx,
            "count": cells["count"].to_numpy()[c_idx],
            "index": cells["index"].to_numpy()[c_idx],
            "level_rank": [rank[v] for v in cells["level"].to_numpy()[c_idx]],
            "hot": cells["bin"].to_numpy()[c_idx] >= 2,
        }
    )
    agg = df.groupby("grid").agg(
        incidents=("count", "sum"),
        cells=("count", "size"),
        mean_index=("index", "mean"),
        max_level_rank=("level_rank", "max"),
        hot_cells=("hot", "sum"),
    )
    out = grids.copy()
    for col in agg.columns:
        out[col] = agg[col].reindex(range(len(grids))).fillna(0).to_numpy()
    names = {v: k for k, v in rank.items()}
    out["level"] = [names[int(v)] for v in out["max_level_rank"]]
    return out.drop(columns=["max_level_rank"])


def write_hotspot_outputs(
    result: HotspotResult,
    out_dir: str | Path,
    *,
    lang: str = "en",
    three_colour: bool = False,
    with_map: bool = True,
) -> dict[str, Path]:
    """Write ``shequ.gpkg`` (``cells``, ``grids``), ``summary.csv``, ``rejects.csv``,
    ``run.json`` and ``map.html`` (cells by level; Gi* bins, density, trends as overlays).

    All or nothing: ``out_dir`` is replaced as a whole (see
    :func:`shequ.geo.output_folder.output_folder`). Returns the paths in ``out_dir``.
    """
    out = Path(out_dir)
    layers = {"cells": plain_layer(result.cells)}
    if result.grids is not None:
        layers["grids"] = plain_layer(result.grids)
    run = {
        "profile": result.profile.source,
        "notes": result.notes,
        "warnings": [{"key": w.key, **w.params} for w in result.warnings],
    }
    tables = {
        "summary": ("summary.csv", result.summary),
        "rejects": ("rejects.csv", result.rejects),
    }
    page = partial(_write_map, result, lang, three_colour) if with_map else None
    return write_outputs(out, "hotspots", layers=layers, tables=tables, run=run, page=page)


def _write_map(result: HotspotResult, lang: str, three_colour: bool, path: Path) -> Path:
    from shequ.maps import build_hotspot_map, write_map

    fmap = build_hotspot_map(result.cells, grids=result.grids, lang=lang, three_colour=three_colour)
    return write_map(fmap, path)
