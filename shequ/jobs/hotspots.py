"""Risk hotspots end to end: incidents → H3 cells → Gi*, Moran, KDE, trends → index → levels.

The Python API behind ``shequ hotspots``: :func:`compute_hotspots` runs in memory and
:func:`write_hotspot_outputs` writes ``shequ.gpkg`` (``cells``, ``grids``), ``summary.csv``,
``rejects.csv``, ``run.json`` and ``map.html``. Incidents are read with their time and type
(:mod:`shequ.geo.incidents`); the study area is the OSM extract when one is given (homes give
each cell its exposure, OSM gives distances to fire stations, hydrants, charging and cameras),
else the incidents' own hull. The job reads the inputs and hands arrays to the analyses:
:mod:`~shequ.analyses.hotspot_cells` (area, resolution, counts),
:mod:`~shequ.analyses.hotspot_local` (Gi*, FDR, Moran), :mod:`~shequ.analyses.hotspot_density`,
:mod:`~shequ.analyses.hotspot_trends`, :mod:`~shequ.analyses.hotspot_exposure`,
:mod:`~shequ.analyses.risk_index` and :mod:`~shequ.analyses.hotspot_rollup`.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from functools import partial
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pyproj
import shapely

from shequ.analyses.access import all_access
from shequ.analyses.grid_audit import assign_points
from shequ.analyses.hotspot_cells import (
    IncidentCells,
    check_cell_memory,
    choose_resolution,
    fitting_resolution,
    incident_cells,
    study_area,
)
from shequ.analyses.hotspot_density import kernel_density
from shequ.analyses.hotspot_exposure import building_age, distance_factors, exposure
from shequ.analyses.hotspot_local import STAGES, LocalStatistics, local_statistics
from shequ.analyses.hotspot_rollup import grid_rollup
from shequ.analyses.hotspot_stats import check_enough
from shequ.analyses.hotspot_trends import SlicePlan, cell_trends, choose_slices
from shequ.analyses.risk_index import (
    LEVEL_RULES,
    Factor,
    LevelRule,
    risk_index,
    rule_levels,
    three_colour,
)
from shequ.errors import InputError
from shequ.geo.basemap import Basemap, around, basemap_from_osm, check_tiles, empty_basemap
from shequ.geo.checks import Warning_, point_checks
from shequ.geo.completeness import Completeness
from shequ.geo.coords import metric_crs
from shequ.geo.h3cells import AUTO_RES_RANGE, cell_polygons, to_hex
from shequ.geo.incidents import Incidents, read_incidents
from shequ.geo.output_folder import write_outputs
from shequ.geo.outputs import plain_layer
from shequ.geo.polygons_file import read_polygon_file
from shequ.geo.study_area import StudyArea, area_from_file, area_of_extract, hull_polygon
from shequ.i18n import Note
from shequ.jobs.inputs import (
    AreaInputs,
    InputOptions,
    Progress,
    area_completeness,
    attach,
    load_inputs,
    no_progress,
)
from shequ.profile import Profile, load_profile
from shequ.profile_schema import RiskLevels, TrendSlices
from shequ.rejects import Rejects
from shequ.settings import RiskSettings

CHARGING_KIND = "ebike_charging"
"""The facility kind whose walk reach gives each cell its ``charging_gap``."""


@dataclass(frozen=True)
class HotspotOptions:
    """Inputs of a hotspot run (every flag of ``shequ hotspots``); a job never changes them.

    Parameters
    ----------
    incidents : Path
        Incident points (CSV with lon/lat, GeoJSON, GPKG …), one row per incident.
    osm : Path, optional
        OSM extract: study area, homes (exposure) and the features of distance factors.
    grids : Path, optional
        Grid polygons for the per-grid roll-up (e.g. a ``shequ grids`` output); it must hold
        at least one incident.
    area : Path, optional
        The study area (polygons); default: the OSM extract's (:mod:`shequ.geo.study_area`),
        else the incidents' hull. Incidents outside it are rejected rows; cells stay inside.
    profile : Path, optional
        YAML merged onto the default profile (``risk`` section).
    crs : str, optional
        Coordinates of the incident file: ``wgs84``, ``gcj02``, ``bd09`` or ``EPSG:n``.
    res : int, optional
        H3 resolution 0-15; None: the finest at which occupied cells hold enough incidents.
    time_col, type_col : str, optional
        Time and type columns; default: found by name.
    types : list of str
        Keep only these incident types (all when empty).
    trends : bool
        Mann-Kendall space-time trends over as many time slices as the data supports
        (profile ``risk.trend_slices``).
    levels : str, optional
        ``significance`` or ``quota``: the warning-level rule instead of the profile's
        ``risk.levels.rule`` (:mod:`shequ.analyses.risk_index`).
    three_colour : bool
        Fold the four warning levels into red/yellow/blue.
    seed : int
        Permutation seed (results repeat).
    reach_m : float, optional
        How far beyond the study area the OSM extract is known to hold every feature (a
        ``shequ batch`` area's halo). When it covers the distance cap, a distance factor with
        no feature in the extract is measured (every cell at the cap), not left out.

    Examples
    --------
    >>> opts = HotspotOptions(incidents=Path("calls.csv"), crs="gcj02")  # doctest: +SKIP
    >>> write_hotspot_outputs(compute_hotspots(opts), "hot", lang="zh")  # doctest: +SKIP
    """

    incidents: Path
    osm: Path | None = None
    grids: Path | None = None  # grid polygons for the roll-up (e.g. shequ grids output)
    area: Path | None = None  # the study area's polygon file (a 街道/社区 boundary)
    landuse_homes: bool = True  # exposure counts homes estimated on land without buildings
    profile: Path | None = None
    crs: str | None = None
    res: int | None = None  # H3 resolution; None = automatic
    time_col: str | None = None
    type_col: str | None = None
    types: list[str] = field(default_factory=list)  # keep only these incident types
    trends: bool = True
    levels: str | None = None  # "significance" | "quota": overrides risk.levels.rule
    three_colour: bool = False
    seed: int = 0
    basemap_tiles: str | None = None  # tiles the map draws instead of the extract (--basemap)
    reach_m: float | None = None  # the extract holds every feature this far beyond the area


@dataclass
class HotspotResult:
    """What a hotspot run found, ready to write.

    Attributes
    ----------
    profile : Profile
        The profile the run used.
    cells : GeoDataFrame
        One row per H3 cell (WGS-84 hexagons): counts, statistics, density, trend, factors,
        ``index``, ``level`` and the factors' ranks.
    grids : GeoDataFrame or None
        The per-grid roll-up (``--grids``): incidents by point-in-polygon, density and a
        level of each grid's own (:mod:`shequ.analyses.hotspot_rollup`).
    summary : DataFrame
        One row: incidents, cells, resolution, weights, FDR cut, hot cells, cells per level.
    rejects : DataFrame
        Incident and grid rows left out, with their reasons.
    notes : list of str
        Notes for the user (:class:`~shequ.i18n.Note`).
    warnings : list of Warning_
        Input warnings (coordinates that look shifted against the OSM streets).
    study_area : StudyArea or None
        The area given or taken from the OSM extract; None: the incidents' own hull.
    level_rule : LevelRule
        The rule that gave the cells' and grids' levels.
    slices : SlicePlan or None
        The trend's time slices; None when there were no trends.
    """

    profile: Profile
    cells: gpd.GeoDataFrame
    grids: gpd.GeoDataFrame | None
    summary: pd.DataFrame
    rejects: pd.DataFrame
    notes: list[str]
    warnings: list[Warning_] = field(default_factory=list)
    study_area: StudyArea | None = None
    input_files: list[dict] = field(default_factory=list)
    completeness: Completeness | None = None  # of the OSM area's homes (exposure)
    level_rule: LevelRule = field(default_factory=LevelRule)
    slices: SlicePlan | None = None
    basemap: Basemap | None = None  # drawn under the map (geo/basemap.py)


def compute_hotspots(opts: HotspotOptions, progress: Progress = no_progress) -> HotspotResult:
    """Run the hotspot analysis in memory.

    Parameters
    ----------
    opts : HotspotOptions
        The run's inputs (left as given).
    progress : Progress
        ``progress(step_key, total)`` → ``advance(n)``: the CLI's progress bars.

    Returns
    -------
    HotspotResult

    Raises
    ------
    InputError
        For an unreadable file, no incident of the ``--types``, all incidents outside the OSM
        extract, too few incidents, or a resolution that is out of range or would not fit.
    ValueError
        For ``opts.levels`` other than ``significance`` or ``quota``.
    """
    if opts.levels is not None and opts.levels not in LEVEL_RULES:
        msg = f"levels must be one of {', '.join(LEVEL_RULES)}, got {opts.levels!r}"
        raise ValueError(msg)
    tiles = check_tiles(opts.basemap_tiles)  # a bad --basemap fails before any reading
    rejects = Rejects()
    inc = _read_incidents(opts, rejects, progress)
    # the profile is read once: by load_inputs with an OSM area, else here
    area = _area_inputs(opts, progress)
    profile = area.profile if area is not None else load_profile(opts.profile)
    settings = profile.risk
    rule = _level_rule(profile, opts.levels)
    notes: list[str] = []
    completeness = (
        area_completeness(area, area.homes, area.facilities.iloc[:0], []) if area else None
    )
    study = _study_area(opts, inc, area, rejects, notes)
    frame, hull, warnings = _incidents_in_area(inc, area, study, rejects)
    lon, lat = frame.geometry.x.to_numpy(), frame.geometry.y.to_numpy()
    res, why = _resolution(opts, hull, lon, lat, settings.min_incidents, inc.source)
    notes.insert(0, why)
    step = progress("step.hs_cells", 1)
    grid = incident_cells(hull, lon, lat, res)
    step(1)
    polygons, incident_xy = _read_grids(opts, grid.crs, lon, lat, rejects, notes)

    step = progress("step.statistics", STAGES)
    local = local_statistics(
        grid.count,
        grid.cells,
        grid.centres,
        grid.crs,
        rings=settings.weights_rings,
        distance_m=settings.weights_distance_m,
        permutations=settings.permutations,
        fdr_alpha=settings.fdr_alpha,
        seed=opts.seed,
        advance=step,
    )
    notes += local.notes
    table = pd.DataFrame({"h3": to_hex(grid.cells), "count": grid.count})
    table = pd.concat([table, local.table], axis=1)
    step = progress("step.density", len(grid.cells))
    table["kde"] = kernel_density(lon, lat, grid.centres, grid.crs, advance=step)
    table["trend"] = ""
    plan = None
    if opts.trends and inc.time_column is not None and frame["time"].notna().all():
        step = progress("step.hs_trends", 1)
        plan = _slice_plan(profile, frame["time"])
        table["trend"], trend_notes = cell_trends(
            grid.where, frame["time"], len(grid.cells), plan, local.w_star
        )
        notes += trend_notes
        step(1)
    elif opts.trends and inc.time_column is None:
        notes.append(Note("n.no_time"))
    factors, factor_notes = _factors(area, grid, settings, progress, opts.reach_m)
    notes += factor_notes
    table = _index_and_levels(
        pd.concat([table, factors], axis=1), settings, rule, opts.three_colour
    )

    step = progress("step.hs_outlines", 1)
    cells = gpd.GeoDataFrame(table, geometry=list(cell_polygons(grid.cells)), crs="EPSG:4326")
    step(1)
    grids = None
    if polygons is not None:
        step = progress("step.hs_rollup", 1)
        grids = grid_rollup(
            polygons,
            cells,
            grid.crs,
            incident_xy,
            rule,
            three_colours=opts.three_colour,
            fdr_alpha=settings.fdr_alpha,
        )
        step(1)
    summary = _summary(len(frame), res, why, settings, local, table, rule, plan)
    if grids is not None:
        summary["grids"] = len(grids)
        summary["incidents_in_grids"] = int(grids["incidents"].sum())
        summary["incidents_outside_grids"] = len(frame) - int(grids["incidents"].sum())
    return HotspotResult(
        profile,
        cells,
        grids,
        summary,
        rejects.frame(),
        notes,
        warnings,
        study_area=study,
        input_files=_input_files(inc, area),
        completeness=completeness,
        level_rule=rule,
        slices=plan,
        basemap=_basemap(area, study, tiles),
    )


def _basemap(area: AreaInputs | None, study: StudyArea | None, tiles: str | None) -> Basemap | None:
    """The map's basemap: the OSM extract's around the hotspots' own study area (it may
    reach beyond the homes' when incidents do), or only ``tiles`` without an extract."""
    if area is None:
        return empty_basemap(tiles=tiles) if tiles else None
    box = around(study.lonlat().bounds) if study is not None else None
    return basemap_from_osm(area.osm, box, tiles=tiles)


def _level_rule(profile: Profile, override: str | None) -> LevelRule:
    """The warning-level rule of the profile's ``risk.levels`` (validated again from the merged
    YAML, which the typed settings do not carry), with ``opts.levels`` on top."""
    levels = RiskLevels.model_validate(profile.raw["risk"]["levels"])
    return LevelRule(
        rule=override or levels.rule,
        tested_by=levels.tested_by,
        index_top_share=float(levels.index_top_share),
        top_share=dict(profile.risk.top_share),
    )


def _slice_plan(profile: Profile, times: pd.Series) -> SlicePlan:
    """The trend's time slices from the profile's ``risk.trend_slices`` (see
    :func:`shequ.analyses.hotspot_trends.choose_slices`)."""
    spec = TrendSlices.model_validate(profile.raw["risk"].get("trend_slices") or {})
    return choose_slices(
        times,
        min_slices=int(spec.min_slices),
        max_slices=int(spec.max_slices),
        min_incidents_per_slice=int(spec.min_incidents_per_slice),
        fixed=profile.risk.time_slices if spec.rule == "fixed" else None,
    )


def _read_grids(
    opts: HotspotOptions,
    crs: pyproj.CRS,
    lon: np.ndarray,
    lat: np.ndarray,
    rejects: Rejects,
    notes: list[str],
) -> tuple[gpd.GeoDataFrame | None, np.ndarray]:
    """The ``--grids`` polygons in ``crs`` and the incidents there, read before the long steps.

    A grids file holding none of the incidents is an error: every grid would come out with 0
    incidents and blue, which reads as a finding when it is the wrong file (or ``--crs``).
    Incidents outside every grid are a note; the summary counts them.
    """
    to_metric = pyproj.Transformer.from_crs("EPSG:4326", crs, always_xy=True)
    xy = np.column_stack(to_metric.transform(lon, lat))
    if opts.grids is None:
        return None, xy
    polygons, repaired = read_polygon_file(opts.grids, opts.crs, crs, rejects, layer="grids")
    if repaired:
        notes.append(Note("n.hs_grids_repaired", n=repaired))
    inside = assign_points(xy, polygons.geometry.to_numpy()) >= 0
    if not inside.any():
        raise InputError(
            Note("e.hs_grids_no_incidents", grids=len(polygons), n=len(xy)), path=opts.grids
        )
    if not inside.all():
        notes.append(Note("n.hs_outside_grids", n=int((~inside).sum()), total=len(xy)))
    return polygons, xy


def _input_files(inc: Incidents, area: AreaInputs | None) -> list[dict]:
    """run.json's ``input_files``: the incidents and the OSM area's user files."""
    record = {"path": inc.source, "role": "incidents", "crs": inc.crs_used}
    record |= {"crs_from": inc.crs_from, "export": None}
    return [record, *(area.files if area is not None else [])]


def _read_incidents(opts: HotspotOptions, rejects: Rejects, progress: Progress) -> Incidents:
    """The incidents of ``--incidents``, keeping only the ``--types`` when given."""
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
    if not opts.types:
        return inc
    frame = inc.frame
    keep = frame["type"].isin(opts.types).to_numpy()
    reason = Note("r.hs_type_not_selected")
    for r in frame["row"].to_numpy()[~keep]:
        rejects.add(inc.source, "incidents", int(r), None, reason)
    if not keep.any():
        found = frame["type"].value_counts().head(5)
        raise InputError(
            Note("e.hs_types_absent", given=", ".join(opts.types), found=_counted(found)),
            path=inc.source,
        )
    return replace(inc, frame=frame[keep].reset_index(drop=True))


def _counted(found: pd.Series) -> Note:
    """``盗窃 (200), 电动车火灾 (100)``: names and counts as one note (a chain of notes, so the
    Chinese text quotes each name and joins them with 、)."""
    items = [Note("hs.type_count", name=str(name), n=int(n)) for name, n in found.items()]
    if not items:
        return Note("hs.no_types")
    listed = items[-1]
    for item in reversed(items[:-1]):
        listed = Note("hs.list", first=item, rest=listed)
    return listed


def _area_inputs(opts: HotspotOptions, progress: Progress) -> AreaInputs | None:
    """The OSM area (profile, streets, homes, charging points, features), when ``--osm``."""
    if opts.osm is None:
        return None
    options = InputOptions(
        osm=opts.osm,
        profile=opts.profile,
        kinds=[CHARGING_KIND],
        area=opts.area,
        crs=opts.crs,
        landuse_homes=opts.landuse_homes,
        with_basemap=False,  # drawn around the hotspots' own study area (_basemap)
    )
    return load_inputs(options, progress)


def _study_area(
    opts: HotspotOptions,
    inc: Incidents,
    area: AreaInputs | None,
    rejects: Rejects,
    notes: list[str],
) -> StudyArea | None:
    """The OSM run's study area, else ``--area`` alone (in a metric CRS of the incidents),
    else None (the incidents' own hull)."""
    if area is not None:  # what the OSM area's loading noted and left out is this run's too
        notes += area.notes
        rejects.rows += area.rejects.rows
        if area.study_area.source not in ("hull", "streets"):
            return area.study_area
        # no declared bounds: the incidents on the extract's streets belong to the study as
        # much as its homes (the hull of homes alone left 39 % of Nanjing's street incidents
        # outside)
        to_metric = pyproj.Transformer.from_crs("EPSG:4326", area.crs, always_xy=True)
        lonlat = shapely.get_coordinates(inc.frame.geometry.values)
        points = [np.column_stack(to_metric.transform(lonlat[:, 0], lonlat[:, 1]))]
        points += [
            np.column_stack([g.geometry.x, g.geometry.y]) for g in (area.homes, area.facilities)
        ]
        said: list = []
        study = area_of_extract(opts.osm, area.crs, area.network.node_xy, np.vstack(points), said)
        notes += [n for n in said if getattr(n, "key", "") != "n.area_bounds_ignored"]
        notes.append(Note("n.area_with_incidents", km2=study.km2))
        return study
    if opts.area is None:
        return None
    lonlat = shapely.get_coordinates(inc.frame.geometry.values)
    metric = metric_crs(*lonlat.min(axis=0), *lonlat.max(axis=0))
    to_metric = pyproj.Transformer.from_crs("EPSG:4326", metric, always_xy=True)
    xy = np.column_stack(to_metric.transform(lonlat[:, 0], lonlat[:, 1]))
    extent = hull_polygon(xy)
    study = area_from_file(opts.area, opts.crs, metric, rejects, extent, notes)
    notes.append(Note("n.area", source=Note("area.file"), km2=study.km2))
    return study


def _incidents_in_area(
    inc: Incidents, area: AreaInputs | None, study: StudyArea | None, rejects: Rejects
) -> tuple[gpd.GeoDataFrame, shapely.Geometry, list[Warning_]]:
    """The incidents of the study area, the area (lon/lat), and the warnings about them.

    With a study area (:mod:`shequ.geo.study_area`: ``--area``, or the OSM extract's bounds
    or homes' hull) incidents outside it are rejected rows and the cells are those of the
    area; with an OSM area, coordinates that look shifted against the streets (GCJ-02/BD-09
    read as WGS-84, or the reverse) are warned about. Without either, the area is the
    incidents' hull and there are no streets to compare with.
    """
    frame = inc.frame
    lon, lat = frame.geometry.x.to_numpy(), frame.geometry.y.to_numpy()
    warnings = (
        []
        if area is None
        else point_checks(inc.source, lon, lat, area.network, inc.crs_used, inc.crs_from)
    )
    if study is None:
        return frame, study_area(np.column_stack([lon, lat])), warnings
    hull = study.lonlat()
    inside = shapely.intersects_xy(hull, lon, lat)
    if not inside.any():
        raise InputError(Note("e.hs_all_outside", n=len(frame)), path=inc.source)
    reason = Note("r.hs_outside")
    for r in frame["row"].to_numpy()[~inside]:
        rejects.add(inc.source, "incidents", int(r), None, reason)
    return frame[inside].reset_index(drop=True), hull, warnings


def _resolution(
    opts: HotspotOptions,
    hull: shapely.Geometry,
    lon: np.ndarray,
    lat: np.ndarray,
    min_incidents: int,
    source: str,
) -> tuple[int, Note]:
    """The H3 resolution and why, once there are enough incidents and its cells fit."""
    try:
        check_enough(len(lon), min_incidents)
    except ValueError as exc:
        raise InputError(exc.args[0], path=source) from None
    try:
        res, why = choose_resolution(lon, lat, opts.res)
    except ValueError as exc:
        raise InputError(exc.args[0]) from None
    if opts.res is not None:
        check_cell_memory(hull, res, len(lon), given=True)
        return res, why
    res, coarser = fitting_resolution(hull, res, lon, lat, AUTO_RES_RANGE[0])
    return res, (coarser or why)


def _factors(
    area: AreaInputs | None,
    grid: IncidentCells,
    settings: RiskSettings,
    progress: Progress,
    reach_m: float | None = None,
) -> tuple[pd.DataFrame, list[str]]:
    """Exposure and local factors of the cells: the incident rate per household, the charging
    gap, building age and OSM distances with an OSM area; the incidents per cell without."""
    if area is None:
        return exposure(grid.cells, grid.count), []
    step = progress("step.hs_exposure", 3)
    homes, served = _charging_reach(area)
    parts = [exposure(grid.cells, grid.count, homes, served)]
    step(1)
    age, note = building_age(area.osm.features, grid.cells)
    if age is not None:
        parts.append(pd.DataFrame({"building_age": age}))
    step(1)
    parts.append(
        distance_factors(
            area.osm.features,
            grid.centres,
            grid.crs,
            settings.osm_features,
            settings.distance_cap_m,
            absent_is_far=reach_m is not None and reach_m >= settings.distance_cap_m,
        )
    )
    step(1)
    return pd.concat(parts, axis=1), [note]


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


def _index_and_levels(
    table: pd.DataFrame, settings: RiskSettings, rule: LevelRule, three_colours: bool
) -> pd.DataFrame:
    """The table with the risk ``index``, the warning ``level`` (by ``rule``) and each
    factor's rank."""
    index, ranks = risk_index(table, [Factor(k, v) for k, v in settings.factor_weights.items()])
    table = table.assign(index=index)
    levels = rule_levels(table, rule)
    table["level"] = three_colour(levels) if three_colours else levels
    return pd.concat([table, ranks], axis=1)


def _summary(
    incidents: int,
    res: int,
    why: Note,
    settings: RiskSettings,
    local: LocalStatistics,
    table: pd.DataFrame,
    rule: LevelRule,
    plan: SlicePlan | None,
) -> pd.DataFrame:
    """The one row of ``summary.csv``: the run, the rule that gave the levels and the cells
    per level, and the trend's slices (empty without trends)."""
    levels = table["level"]
    return pd.DataFrame(
        [
            {
                "incidents": incidents,
                "cells": len(table),
                "resolution": res,
                "resolution_choice": why,
                "weights": local.weights,
                "permutations": settings.permutations,
                "fdr_alpha": settings.fdr_alpha,
                "fdr_cut": local.fdr_cut,
                "hot_cells_95": int((table["bin"] >= 2).sum()),
                "cold_cells_95": int((table["bin"] <= -2).sum()),
                "hot_cells_fdr": int((table["bin_fdr"] > 0).sum()),
                "ties": Note("hs.ties"),
                "red": int((levels == "red").sum()),
                "orange": int((levels == "orange").sum()),
                "yellow": int((levels == "yellow").sum()),
                "blue": int((levels == "blue").sum()),
                "level_rule": rule.rule,
                "level_rule_text": rule.describe(),
                "trend_slices": plan.slices if plan else None,
                "trend_slice_unit": f"{plan.units} {plan.unit}" if plan else None,
                "trend_min_p": plan.min_p if plan else None,
                "trend_reachable": plan.reachable if plan else None,
            }
        ]
    )


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

    Parameters
    ----------
    result : HotspotResult
        What :func:`compute_hotspots` returned.
    out_dir : str or Path
        The output folder; replaced as a whole, all or nothing (see
        :func:`shequ.geo.output_folder.write_outputs`).
    lang : {"en", "zh"}
        Language of the map (files keep English).
    three_colour : bool
        Draw red/yellow/blue levels.
    with_map : bool
        Write ``map.html`` too.

    Returns
    -------
    dict
        File key → path in ``out_dir``.
    """
    out = Path(out_dir)
    layers = {"cells": plain_layer(result.cells)}
    if result.grids is not None:
        layers["grids"] = plain_layer(result.grids)
    run = {
        "profile": result.profile.source,
        "levels": result.level_rule.record(),
    }
    tables = {
        "summary": ("summary.csv", result.summary),
    }
    page = partial(_write_map, result, lang, three_colour) if with_map else None
    return write_outputs(out, "hotspots", result, layers=layers, tables=tables, run=run, page=page)


def _write_map(result: HotspotResult, lang: str, three_colour: bool, path: Path) -> Path:
    from shequ.maps import build_hotspot_map, write_map
    from shequ.maps.basemap import add_basemap, datum_for
    from shequ.maps.features import map_datum

    with map_datum(datum_for(result.basemap)):
        fmap = build_hotspot_map(
            result.cells,
            grids=result.grids,
            lang=lang,
            three_colour=three_colour,
            level_rule=result.level_rule.describe(three_colour),
        )
    add_basemap(fmap, result.basemap, lang)
    return write_map(fmap, path)
