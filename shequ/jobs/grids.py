"""Management grids end to end: area inputs → blocks → atoms → plan → metrics, codes, outputs.

The Python API behind ``shequ grids``: :func:`compute_grids` runs in memory and
:func:`write_grid_outputs` writes ``shequ.gpkg`` (``grids``, ``atoms``, ``homes``, ``borders``),
``grid_summary.csv`` (one row per grid), ``plan_summary.csv`` (one row for the plan),
``rejects.csv`` and ``run.json``. Homes and streets come from :mod:`shequ.jobs.inputs`, the same as
the living-circle audit, so a grid's households are the audit's households.

The job reads what the models return (a :class:`~shequ.analyses.grid_result.GridPlan`) and never
changes a fitted model or the options it is given; each step returns the notes it has for the
user, and :func:`compute_grids` keeps them in order.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from functools import partial
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from shequ.analyses.grid_codes import grid_codes
from shequ.analyses.grid_edits import broken_grids, edit_plan
from shequ.analyses.grid_metrics import add_grid_metrics, grid_polygons, plan_summary
from shequ.analyses.grid_plan import DEFAULT_BORDER_COST, GridPlanner
from shequ.analyses.grid_redraw import GridRedrawer, existing_labels
from shequ.analyses.grid_result import GridPlan
from shequ.errors import InputError
from shequ.geo.atoms import Atoms, atom_of_points, build_atoms, through_crossed
from shequ.geo.blocks import border_lines, secondary_lines, street_blocks
from shequ.geo.checks import Warning_
from shequ.geo.completeness import Completeness
from shequ.geo.homes import building_footprints
from shequ.geo.output_folder import write_outputs
from shequ.geo.outputs import plain_layer
from shequ.geo.polygons_file import read_polygon_file
from shequ.geo.study_area import StudyArea
from shequ.i18n import Note
from shequ.jobs.inputs import (
    AreaInputs,
    InputOptions,
    Progress,
    area_completeness,
    load_inputs,
    no_progress,
)
from shequ.profile import Profile
from shequ.settings import GridSettings


@dataclass(frozen=True)
class GridOptions(InputOptions):
    """Inputs of a grid delineation (every flag of ``shequ grids``).

    Parameters
    ----------
    osm, homes, facilities, profile, crs, metric, kinds, osm_facilities, population_rasters, \
raster_column
        Where the area's data comes from: see :class:`shequ.jobs.inputs.InputOptions`.
    communities : Path, optional
        Community (社区) polygons; grids nest inside them.
    compounds : Path, optional
        Gated compound (小区) polygons, trusted as given; default: OSM ``landuse=residential``
        polygons that no medium/major road, river or railway crosses.
    split_large_compounds : bool
        Divide compounds above a grid's ceiling into groups of whole buildings.
    existing : Path, optional
        An existing grid register: redraw it with the fewest households moved.
    edits : Path, optional
        GeoJSON of edits drawn on the grid map: reassign units, then re-score.
    households_per_grid, tolerance : float, optional
        Target households per grid and allowed deviation; default: the profile's ``grid``.
    random_state : int
        Seed of the search (results repeat).
    time_limit_s : float
        Search seconds.

    Examples
    --------
    >>> result = compute_grids(GridOptions(osm=Path("nanjing.osm")))  # doctest: +SKIP
    >>> write_grid_outputs(result, "grids", lang="zh")  # doctest: +SKIP
    """

    communities: Path | None = None
    compounds: Path | None = None  # gated compounds (小区) polygons; default: OSM landuse
    split_large_compounds: bool = False  # divide compounds above the ceiling by buildings
    existing: Path | None = None  # existing grid polygons: redraw with fewest moves
    edits: Path | None = None  # GeoJSON drawn on the map: reassign atoms, then re-score
    households_per_grid: float | None = None  # default: profile
    tolerance: float | None = None  # default: profile
    random_state: int = 0
    time_limit_s: float = 60.0


@dataclass
class GridResult:
    """A grid plan with everything ``shequ grids`` writes.

    ``plan`` is what the model returned (after edits, when given); ``grids`` its grids with
    metrics and codes, ``summary`` the one-row plan summary, ``notes`` what the run tells the
    user (English :class:`~shequ.i18n.Note`, printed in the user's language), ``moves`` the
    moved atoms as polygons (redraw and edits).
    """

    profile: Profile
    atoms: Atoms
    grids: gpd.GeoDataFrame
    homes: gpd.GeoDataFrame
    borders: gpd.GeoDataFrame
    summary: pd.DataFrame
    rejects: pd.DataFrame
    warnings: list[Warning_]
    notes: list[str]
    target: float
    tolerance: float
    moves: gpd.GeoDataFrame | None = None  # redraw / edit moves (atom polygons)
    plan: GridPlan | None = None
    study_area: StudyArea | None = None  # the grids' outline (no grid reaches beyond it)
    input_files: list[dict] = field(default_factory=list)
    completeness: Completeness | None = None  # what the area's data probably lacks


def _grid_settings(profile: Profile, opts: GridOptions) -> GridSettings:
    """The profile's grid settings with ``--households-per-grid`` and ``--tolerance`` applied.

    Raises
    ------
    InputError
        The target is not positive or the tolerance not in [0, 1), naming the option.
    """
    settings = profile.grid
    if opts.households_per_grid:
        settings = replace(settings, households_per_grid=float(opts.households_per_grid))
    if opts.tolerance is not None:
        settings = replace(settings, tolerance=float(opts.tolerance))
    if not settings.households_per_grid > 0:
        value = repr(settings.households_per_grid)
        raise InputError(Note("e.grid_households_per_grid", value=value))
    if not 0 <= settings.tolerance < 1:
        raise InputError(Note("e.grid_tolerance", value=repr(settings.tolerance)))
    return settings


def _communities(
    opts: GridOptions, area: AreaInputs
) -> tuple[gpd.GeoDataFrame | None, dict[int, int], list[Note]]:
    """The communities file (if any) with a ``community_id``, the community codes it gives,
    and the notes on it (repaired polygons, overlaps)."""
    if opts.communities is None:
        return None, {}, []
    frame, repaired = read_polygon_file(
        opts.communities, opts.crs, area.crs, area.rejects, layer="communities"
    )
    frame["community_id"] = np.arange(len(frame), dtype=np.int64)
    codes = {}
    if "code" in frame.columns:
        numeric = pd.to_numeric(frame["code"], errors="coerce")
        codes = {
            int(i): int(c) for i, c in zip(frame["community_id"], numeric, strict=True) if c == c
        }
    notes = []
    if repaired:
        notes.append(Note("n.communities_repaired", n=repaired))
    overlap = _overlap_m2(frame.geometry.values)
    if overlap > 1.0:
        notes.append(Note("n.communities_overlap", m2=overlap))
    return frame, codes, notes


def grid_atoms(
    opts: GridOptions,
    area: AreaInputs,
    settings: GridSettings,
    blocks: gpd.GeoDataFrame,
    lines: gpd.GeoDataFrame,
    outline: shapely.Geometry,
    communities: gpd.GeoDataFrame | None = None,
) -> tuple[Atoms, list[Note]]:
    """The atoms of a plan as ``shequ grids`` builds them: gated compounds whole (or divided
    with ``--split-large-compounds``), crowded pieces divided along paths, then by buildings.

    Parameters
    ----------
    opts : GridOptions
        The run's options (``compounds``, ``split_large_compounds``).
    area : AreaInputs
        The loaded area (homes, OSM, compounds, rejects).
    settings : GridSettings
        Target, tolerance and the division shares.
    blocks, lines : GeoDataFrame
        Street blocks and the border lines they were cut along.
    outline : Polygon
        The study area.
    communities : GeoDataFrame, optional
        Community polygons with ``community_id``.

    Returns
    -------
    atoms : Atoms
        The atoms with their demand and adjacency.
    notes : list of Note
        What the user is told: compounds repaired or treated as residential zones, blocks and
        compounds divided.
    """
    target = settings.households_per_grid
    ceiling = target * (1 + settings.tolerance)
    compounds, notes = _gated_compounds(opts, area, lines, settings)
    atoms = build_atoms(
        blocks,
        compounds,
        area.homes.reset_index(drop=True),
        lines,
        outline,
        communities,
        secondary=secondary_lines(area.osm, area.crs),
        split_above=settings.split_block_above_share * target,
        footprints=building_footprints(area.osm, area.crs),
        split_compounds_above=ceiling if opts.split_large_compounds else None,
        group_limit=settings.building_group_share * target,
    )
    return atoms, notes + _division_notes(atoms)


def _gated_compounds(
    opts: GridOptions, area: AreaInputs, lines: gpd.GeoDataFrame, settings: GridSettings
) -> tuple[gpd.GeoDataFrame, list[Note]]:
    """The compounds no grid may split: the user's file as given, else OSM ``landuse=
    residential`` polygons without a through road, river or railway inside them; and the
    notes on them."""
    if opts.compounds is not None:
        frame, repaired = read_polygon_file(
            opts.compounds, opts.crs, area.crs, area.rejects, layer="compounds"
        )
        frame["compound_id"] = np.arange(len(frame), dtype=np.int64)
        return frame, [Note("n.compounds_repaired", n=repaired)] if repaired else []
    crossed = through_crossed(area.compounds, lines, list(settings.zones_crossed_by))
    if not crossed.any():
        return area.compounds.loc[~crossed], []
    names = area.compounds.loc[crossed, "name"].dropna().astype(str).tolist()[:3]
    note = Note("n.residential_zones", n=int(crossed.sum()), names=", ".join(names) or "-")
    return area.compounds.loc[~crossed], [note]


def _division_notes(atoms: Atoms) -> list[Note]:
    fr = atoms.frame
    notes = []
    blocks = fr[(fr["origin"] == "block") & fr["divided"].str.contains("buildings")]
    if len(blocks):
        notes.append(
            Note("n.blocks_divided", blocks=blocks["block_id"].nunique(), groups=len(blocks))
        )
    comps = fr[(fr["origin"] == "compound") & (fr["divided"] != "")]
    if len(comps):
        notes.append(
            Note("n.compounds_divided", compounds=comps["compound_id"].nunique(), groups=len(comps))
        )
    return notes


def _overlap_m2(geoms: np.ndarray) -> float:
    i, j = shapely.STRtree(geoms).query(geoms, predicate="intersects")
    keep = i < j
    return float(shapely.area(shapely.intersection(geoms[i[keep]], geoms[j[keep]])).sum())


def compute_grids(opts: GridOptions, progress: Progress = no_progress) -> GridResult:
    """Delineate a new grid plan in memory (or redraw existing grids, then apply edits).

    Parameters
    ----------
    opts : GridOptions
        The run's options; never changed.
    progress : Progress
        Reports each step (the CLI's progress bar).

    Returns
    -------
    GridResult
        The plan, its grids, homes, borders, summary, rejects and notes.

    Raises
    ------
    InputError
        Bad options, unreadable files, or no homes with households in the area.
    """
    area = load_inputs(replace(opts, osm_facilities=False), progress)  # caller's opts untouched
    settings = _grid_settings(area.profile, opts)
    target, tol = settings.households_per_grid, settings.tolerance
    homes = area.homes.reset_index(drop=True)
    if homes.empty or not homes["households"].sum() > 0:
        raise InputError(Note("e.grid_no_homes"))
    completeness = area_completeness(area, homes, area.facilities.iloc[:0], [])
    notes = list(area.notes)
    step = progress("step.atoms", 1)
    communities, comm_codes, said = _communities(opts, area)
    notes += said
    lines = border_lines(area.osm, area.crs)
    if communities is not None:
        rings = list(communities.geometry.boundary)
        edges = gpd.GeoDataFrame({"border": ["edge"] * len(rings)}, geometry=rings, crs=area.crs)
        lines = gpd.GeoDataFrame(pd.concat([lines, edges], ignore_index=True), crs=area.crs)
    outline = area.study_area.metric  # the run's one study area: no grid reaches beyond it
    blocks = street_blocks(lines, outline)
    atoms, said = grid_atoms(opts, area, settings, blocks, lines, outline, communities)
    notes += said
    step(1)
    step = progress("step.grids", 1)
    if opts.existing is not None:
        plan, said = _redraw(opts, area, atoms, settings)
        notes += said
        start = plan.search["start"]
        method = Note("g.method_redraw_from", file=Path(opts.existing).name, start=start)
    else:
        plan = (
            GridPlanner(
                target,
                tol,
                border_cost={**DEFAULT_BORDER_COST, **settings.border_cost},
                random_state=opts.random_state,
                time_limit_s=opts.time_limit_s,
            )
            .fit(atoms)
            .result_
        )
        method = plan.method
    step(1)
    if opts.edits is not None:
        before = _grid_table(atoms, plan, settings, None, comm_codes)
        codes = dict(zip(before["grid_id"].tolist(), before["code"].tolist(), strict=True))
        plan, said = _edits(opts, area, atoms, plan, codes)
        notes += said
    atoms.frame["grid_id"] = plan.labels
    grids = _grid_table(atoms, plan, settings, area.network.edge_geoms, comm_codes)
    homes["grid_id"] = plan.labels[atom_of_points(atoms.frame, homes.geometry.values)]
    homes["grid_code"] = grids.set_index("grid_id").loc[homes["grid_id"], "code"].to_numpy()
    notes += _plan_notes(atoms, grids, plan)
    summary = plan_summary(
        grids,
        tol,
        target=target,
        atoms=atoms.n,
        oversized_atoms=len(plan.oversized),
        homes=len(homes),
        seconds=plan.seconds["fit"],
        method=method,
        households_moved=plan.households_moved,
    )
    return GridResult(
        profile=area.profile,
        atoms=atoms,
        grids=grids,
        homes=homes,
        borders=lines,
        summary=summary,
        rejects=area.rejects.frame(),
        warnings=area.warnings,
        notes=notes,
        target=target,
        tolerance=tol,
        moves=_moves_layer(atoms, plan.moves),
        plan=plan,
        study_area=area.study_area,
        input_files=area.files,
        completeness=completeness,
    )


def _redraw(
    opts: GridOptions, area: AreaInputs, atoms: Atoms, settings: GridSettings
) -> tuple[GridPlan, list[Note]]:
    """Existing grids → atom labels (overlaps and gaps reported) → fewest-moves redraw.

    Returns the redrawn plan and the notes on the existing grids and the redraw.
    """
    frame, repaired = read_polygon_file(
        opts.existing, opts.crs, area.crs, area.rejects, layer="existing_grids"
    )
    notes = []
    if "grid_id" in frame.columns and pd.api.types.is_integer_dtype(frame["grid_id"]):
        if frame["grid_id"].duplicated().any():
            raise InputError(Note("e.grid_existing_duplicate_ids"), path=opts.existing)
    else:
        if "grid_id" in frame.columns:  # text ids (G001 …): numbered in file order, said so
            first = frame["grid_id"].iloc[0]
            notes.append(Note("n.existing_ids_renumbered", n=len(frame), first=first))
        frame["grid_id"] = np.arange(len(frame), dtype=np.int64)
    origin, report = existing_labels(atoms, frame)
    if repaired:
        notes.append(Note("n.existing_repaired", n=repaired))
    if report["overlaps"]:
        total = sum(o["overlap_m2"] for o in report["overlaps"])
        notes.append(Note("n.existing_overlap", n=len(report["overlaps"]), m2=total))
    if report["gap_atoms"]:
        hh = atoms.frame["households"].to_numpy()[report["gap_atoms"]].sum()
        notes.append(Note("n.existing_gaps", n=len(report["gap_atoms"]), households=hh))
    plan = (
        GridRedrawer(
            settings.households_per_grid,
            settings.tolerance,
            border_cost={**DEFAULT_BORDER_COST, **settings.border_cost},
            random_state=opts.random_state,
            time_limit_s=opts.time_limit_s,
        )
        .fit(atoms, origin)
        .result_
    )
    if plan.split or plan.merged:
        split, merged = list(plan.split) or "-", list(plan.merged) or "-"
        notes.append(Note("n.split_merged", split=split, merged=merged))
    return plan, notes


def _edits(
    opts: GridOptions, area: AreaInputs, atoms: Atoms, plan: GridPlan, codes: dict[int, str]
) -> tuple[GridPlan, list[Note]]:
    """The plan after the edits file (rows that cannot apply go to the rejects, with the
    reason), and the notes on what the edits did."""
    frame, _ = read_polygon_file(opts.edits, "wgs84", area.crs, area.rejects, layer="edits")
    if "to_grid" not in frame.columns:
        raise InputError(Note("e.grid_edits_no_to_grid"), path=opts.edits)
    to_grid = pd.to_numeric(frame["to_grid"], errors="coerce").astype(float)
    to_code = frame["to_code"] if "to_code" in frame.columns else pd.Series([None] * len(frame))
    edits = []
    rows = zip(frame["row"], frame.geometry, frame["to_grid"], to_grid, to_code, strict=True)
    for row, geom, raw, grid, code in rows:
        if not (np.isfinite(grid) and grid == round(grid)):
            reason = Note("r.grid_edit_not_whole", value=repr(raw))
            area.rejects.add(str(opts.edits), "edits", int(row), None, reason)
            continue
        known = codes.get(int(grid))
        if code and known and str(code) != known:
            reason = Note("r.grid_edit_other_plan", code=code, grid=int(grid), known=known)
            area.rejects.add(str(opts.edits), "edits", int(row), None, reason)
            continue
        edits.append((int(row), geom, int(grid)))
    edited, rejected = edit_plan(plan, atoms, edits)
    for row, reason in rejected:
        area.rejects.add(str(opts.edits), "edits", row, None, reason)
    moved = edited.moves[edited.moves["edit_row"] >= 0]  # the edits' moves, not the redraw's
    notes = [
        Note(
            "n.edits_applied",
            n=len(edits) - len(rejected),
            atoms=len(moved),
            households=moved["households"].sum(),
        )
    ]
    broken = broken_grids(atoms, edited.labels)
    if broken:
        notes.append(Note("n.edits_broken", grids=broken))
    return edited, notes


def _moves_layer(atoms: Atoms, moves: pd.DataFrame | None) -> gpd.GeoDataFrame | None:
    if moves is None:
        return None
    geom = atoms.frame.set_index("atom_id").geometry
    return gpd.GeoDataFrame(
        moves.reset_index(drop=True),
        geometry=geom.loc[moves["atom_id"]].to_numpy(),
        crs=atoms.frame.crs,
    )


def _grid_table(
    atoms: Atoms,
    plan: GridPlan,
    settings: GridSettings,
    streets: np.ndarray | None,
    comm_codes: dict[int, int],
) -> gpd.GeoDataFrame:
    """One row per grid of ``plan``: polygon, demand, metrics, code and flags."""
    labels = plan.labels
    grids = grid_polygons(atoms, labels)
    grids = add_grid_metrics(grids, settings.households_per_grid, settings.tolerance, streets)
    cent = grids.geometry.centroid
    codes = grid_codes(
        grids["community_id"].to_numpy(),
        cent.x.to_numpy(),
        cent.y.to_numpy(),
        grids.geometry.area.to_numpy(),
        community_codes=comm_codes,
        admin=settings.code_admin,
        jiedao=settings.code_jiedao,
        pattern=settings.code_pattern,
    )
    grids["seq"] = codes["seq"].to_numpy()
    grids["code"] = codes["code"].to_numpy()
    grids["oversized"] = np.isin(grids["grid_id"], labels[plan.oversized])
    grids["outside_community"] = grids["community_id"] < 0
    grids = grids.sort_values(["community_id", "seq"]).reset_index(drop=True)
    first = ["grid_id", "code", "community_id", "seq", "households", "deviation"]
    return grids[first + [c for c in grids.columns if c not in first]]


def _plan_notes(atoms: Atoms, grids: gpd.GeoDataFrame, plan: GridPlan) -> list[Note]:
    """Notes on the final plan: oversized atoms, grids left outside the band, atoms outside
    every community."""
    notes = []
    if len(plan.oversized):
        h = atoms.frame["households"].to_numpy()[plan.oversized]
        notes.append(Note("n.oversized", n=len(plan.oversized), ceiling=plan.ceiling, most=h.max()))
    out = grids[~grids["within_tolerance"] & ~grids["oversized"]]
    if len(out):
        notes.append(Note("n.out_of_tolerance", n=len(out), tol=plan.tolerance))
    outside = int((atoms.frame["community_id"] < 0).sum())
    if outside:
        notes.append(Note("n.outside_community", n=outside))
    return notes


def write_grid_outputs(
    result: GridResult, out_dir: str | Path, *, lang: str = "en", with_map: bool = True
) -> dict[str, Path]:
    """Write ``shequ.gpkg``, ``grid_summary.csv``, ``plan_summary.csv``, ``rejects.csv``,
    ``run.json`` and ``map.html`` (grids by deviation, with the edit tool).

    All or nothing: ``out_dir`` is replaced as a whole (see
    :func:`shequ.geo.output_folder.output_folder`).

    Parameters
    ----------
    result : GridResult
        What :func:`compute_grids` returned.
    out_dir : str or Path
        The output folder.
    lang : {"en", "zh"}
        Language of the map (files keep English).
    with_map : bool
        Write ``map.html`` too.

    Returns
    -------
    dict of str to Path
        The files written, by name.
    """
    out = Path(out_dir)
    atoms = result.atoms.frame
    layers = {
        "grids": plain_layer(result.grids),
        "atoms": plain_layer(atoms),
        "homes": plain_layer(result.homes),
        "borders": plain_layer(result.borders),
    }
    if result.moves is not None:
        layers["moves"] = plain_layer(result.moves)
    table = pd.DataFrame(result.grids.drop(columns="geometry"))
    run = {
        "crs": str(result.grids.crs),
        "profile": result.profile.source,
        "households_per_grid": result.target,
        "tolerance": result.tolerance,
        "atoms": len(atoms),
        "grids": len(result.grids),
    }
    tables = {
        "grids": ("grid_summary.csv", table),
        "plan": ("plan_summary.csv", result.summary),
    }
    page = partial(_write_map, result, lang) if with_map else None
    return write_outputs(out, "grids", result, layers=layers, tables=tables, run=run, page=page)


def _write_map(result: GridResult, lang: str, path: Path) -> Path:
    from shequ.maps import build_grid_map, write_map

    fmap = build_grid_map(
        result.grids,
        result.atoms.frame,
        result.homes,
        result.borders,
        moves=result.moves,
        target=result.target,
        tolerance=result.tolerance,
        lang=lang,
        completeness=result.completeness.to_json() if result.completeness else None,
    )
    return write_map(fmap, path)
