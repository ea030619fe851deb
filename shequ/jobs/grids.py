"""Management grids end to end: area inputs → blocks → atoms → plan → metrics, codes, outputs.

The Python API behind ``shequ grids``: :func:`compute_grids` runs in memory and
:func:`write_grid_outputs` writes ``shequ.gpkg`` (``grids``, ``atoms``, ``homes``, ``borders``),
``grid_summary.csv`` (one row per grid), ``plan_summary.csv`` (one row for the plan),
``rejects.csv`` and ``run.json``. Homes and streets come from :mod:`shequ.jobs.inputs`, the same as
the living-circle audit, so a grid's households are the audit's households.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from functools import partial
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from shequ.analyses.grid_codes import grid_codes
from shequ.analyses.grid_edits import apply_edits, broken_grids
from shequ.analyses.grid_metrics import add_grid_metrics, grid_polygons, plan_summary
from shequ.analyses.grid_plan import DEFAULT_BORDER_COST, GridPlanner
from shequ.analyses.grid_redraw import GridRedrawer, existing_labels
from shequ.errors import InputError
from shequ.geo.atoms import Atoms, atom_of_points, build_atoms, through_crossed
from shequ.geo.blocks import border_lines, secondary_lines, street_blocks, study_area
from shequ.geo.checks import Warning_
from shequ.geo.homes import building_footprints
from shequ.geo.output_folder import write_outputs
from shequ.geo.outputs import plain_layer
from shequ.geo.polygons_file import read_polygon_file
from shequ.i18n import Note
from shequ.jobs.inputs import InputOptions, Progress, load_inputs, no_progress
from shequ.profile import Profile
from shequ.settings import GridSettings

PLAN_METHOD = (
    "seeded region growing + local search with chain and ejection moves (multi-start) + exact "
    "neighbourhood repair (HiGHS) where a grid stays outside the band"
)


@dataclass
class GridOptions(InputOptions):
    """Inputs of a grid delineation (every flag of ``shequ grids``)."""

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


def _grid_settings(profile: Profile, opts: GridOptions) -> GridSettings:
    """The profile's grid settings with ``--households-per-grid`` and ``--tolerance`` applied."""
    settings = profile.grid
    if opts.households_per_grid:
        settings = replace(settings, households_per_grid=float(opts.households_per_grid))
    if opts.tolerance is not None:
        settings = replace(settings, tolerance=float(opts.tolerance))
    if not settings.households_per_grid > 0:
        raise InputError(
            f"--households-per-grid must be positive, got {settings.households_per_grid!r}"
        )
    if not 0 <= settings.tolerance < 1:
        raise InputError(f"--tolerance must be between 0 and 1, got {settings.tolerance!r}")
    return settings


def _communities(opts: GridOptions, area, rejects) -> tuple[gpd.GeoDataFrame | None, dict]:
    if opts.communities is None:
        return None, {}
    frame, repaired = read_polygon_file(
        opts.communities, opts.crs, area.crs, rejects, layer="communities"
    )
    frame["community_id"] = np.arange(len(frame), dtype=np.int64)
    codes = {}
    if "code" in frame.columns:
        numeric = pd.to_numeric(frame["code"], errors="coerce")
        codes = {
            int(i): int(c) for i, c in zip(frame["community_id"], numeric, strict=True) if c == c
        }
    if repaired:
        area.notes.append(Note("n.communities_repaired", n=repaired))
    overlap = _overlap_m2(frame.geometry.values)
    if overlap > 1.0:
        area.notes.append(Note("n.communities_overlap", m2=overlap))
    return frame, codes


def grid_atoms(
    opts: GridOptions, area, settings: dict, blocks, lines, outline, communities=None
) -> Atoms:
    """The atoms of a plan as ``shequ grids`` builds them: gated compounds whole (or divided
    with ``--split-large-compounds``), crowded pieces divided along paths, then by buildings."""
    target = settings.households_per_grid
    ceiling = target * (1 + settings.tolerance)
    return build_atoms(
        blocks,
        _gated_compounds(opts, area, lines, settings),
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


def _gated_compounds(
    opts: GridOptions, area, lines: gpd.GeoDataFrame, settings: dict
) -> gpd.GeoDataFrame:
    """The compounds no grid may split: the user's file as given, else OSM ``landuse=
    residential`` polygons without a through road, river or railway inside them."""
    if opts.compounds is not None:
        frame, repaired = read_polygon_file(
            opts.compounds, opts.crs, area.crs, area.rejects, layer="compounds"
        )
        if repaired:
            area.notes.append(Note("n.compounds_repaired", n=repaired))
        frame["compound_id"] = np.arange(len(frame), dtype=np.int64)
        return frame
    crossed = through_crossed(area.compounds, lines, list(settings.zones_crossed_by))
    if crossed.any():
        names = area.compounds.loc[crossed, "name"].dropna().astype(str).tolist()[:3]
        area.notes.append(
            Note("n.residential_zones", n=int(crossed.sum()), names=", ".join(names) or "-")
        )
    return area.compounds.loc[~crossed]


def _division_notes(atoms: Atoms) -> list[str]:
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
    """Delineate a new grid plan in memory."""
    area = load_inputs(replace(opts, osm_facilities=False), progress)  # caller's opts untouched
    settings = _grid_settings(area.profile, opts)
    target, tol = settings.households_per_grid, settings.tolerance
    homes = area.homes.reset_index(drop=True)
    if homes.empty or not homes["households"].sum() > 0:
        raise InputError("no homes with households in the area: nothing to divide into grids")
    step = progress("step.atoms", 1)
    communities, comm_codes = _communities(opts, area, area.rejects)
    lines = border_lines(area.osm, area.crs)
    if communities is not None:
        rings = list(communities.geometry.boundary)
        edges = gpd.GeoDataFrame({"border": ["edge"] * len(rings)}, geometry=rings, crs=area.crs)
        lines = gpd.GeoDataFrame(pd.concat([lines, edges], ignore_index=True), crs=area.crs)
    homes_xy = np.column_stack([homes.geometry.x, homes.geometry.y])
    outline = study_area(lines, homes_xy)
    blocks = street_blocks(lines, outline)
    atoms = grid_atoms(opts, area, settings, blocks, lines, outline, communities)
    area.notes += _division_notes(atoms)
    step(1)
    step = progress("step.grids", 1)
    notes = list(area.notes)
    if opts.existing is not None:
        planner, moves = _redraw(opts, area, atoms, settings, notes)
    else:
        planner = GridPlanner(
            target,
            tol,
            border_cost={**DEFAULT_BORDER_COST, **settings.border_cost},
            random_state=opts.random_state,
            time_limit_s=opts.time_limit_s,
        ).fit(atoms)
        moves = None
    step(1)
    if opts.edits is not None:
        before = _grid_table(atoms, planner.labels_, planner, settings, None, comm_codes)
        codes = dict(zip(before["grid_id"].tolist(), before["code"].tolist(), strict=True))
        planner.labels_, moves = _edits(opts, area, atoms, planner.labels_, moves, codes, notes)
    labels = planner.labels_
    atoms.frame["grid_id"] = labels
    grids = _grid_table(atoms, labels, planner, settings, area.network.edge_geoms, comm_codes)
    homes["grid_id"] = labels[atom_of_points(atoms.frame, homes.geometry.values)]
    homes["grid_code"] = grids.set_index("grid_id").loc[homes["grid_id"], "code"].to_numpy()
    notes += _plan_notes(atoms, grids, planner, target, tol)
    summary = plan_summary(
        grids,
        tol,
        target=target,
        atoms=atoms.n,
        oversized_atoms=len(planner.oversized_),
        homes=len(homes),
        seconds=planner.seconds_,
        method=getattr(planner, "method", PLAN_METHOD),
        households_moved=float(moves["households"].sum()) if moves is not None else 0.0,
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
        moves=_moves_layer(atoms, moves),
    )


def _redraw(opts: GridOptions, area, atoms: Atoms, settings: dict, notes: list[str]):
    """Existing grids → atom labels (overlaps and gaps reported) → fewest-moves redraw."""
    frame, repaired = read_polygon_file(
        opts.existing, opts.crs, area.crs, area.rejects, layer="existing_grids"
    )
    if "grid_id" in frame.columns and pd.api.types.is_integer_dtype(frame["grid_id"]):
        if frame["grid_id"].duplicated().any():
            raise InputError("duplicate grid_id values in the existing grids", path=opts.existing)
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
    redrawer = GridRedrawer(
        settings.households_per_grid,
        settings.tolerance,
        border_cost={**DEFAULT_BORDER_COST, **settings.border_cost},
        random_state=opts.random_state,
        time_limit_s=opts.time_limit_s,
    ).fit(atoms, origin)
    redrawer.oversized_ = np.flatnonzero(
        atoms.frame["households"].to_numpy()
        > settings.households_per_grid * (1 + settings.tolerance)
    )
    redrawer.method = f"redraw from {Path(opts.existing).name}: " + redrawer.log_["start"]
    if redrawer.split_ or redrawer.merged_:
        notes.append(
            Note("n.split_merged", split=redrawer.split_ or "-", merged=redrawer.merged_ or "-")
        )
    return redrawer, redrawer.moves_


def _edits(opts: GridOptions, area, atoms: Atoms, labels, moves, codes, notes: list[str]):
    frame, _ = read_polygon_file(opts.edits, "wgs84", area.crs, area.rejects, layer="edits")
    if "to_grid" not in frame.columns:
        raise InputError("edits need a 'to_grid' property per polygon", path=opts.edits)
    to_grid = pd.to_numeric(frame["to_grid"], errors="coerce").astype(float)
    to_code = frame["to_code"] if "to_code" in frame.columns else pd.Series([None] * len(frame))
    edits = []
    rows = zip(frame["row"], frame.geometry, frame["to_grid"], to_grid, to_code, strict=True)
    for row, geom, raw, grid, code in rows:
        if not (np.isfinite(grid) and grid == round(grid)):
            reason = f"to_grid {raw!r} is not a whole grid id"
            area.rejects.add(str(opts.edits), "edits", int(row), None, reason)
            continue
        known = codes.get(int(grid))
        if code and known and str(code) != known:
            area.rejects.add(
                str(opts.edits),
                "edits",
                int(row),
                None,
                f"to_code {code} does not match grid {int(grid)} (code {known}): the edits "
                "were drawn on another plan",
            )
            continue
        edits.append((int(row), geom, int(grid)))
    labels, edit_moves, rejected = apply_edits(atoms, labels, edits)
    for row, reason in rejected:
        area.rejects.add(str(opts.edits), "edits", row, None, reason)
    notes.append(
        Note(
            "n.edits_applied",
            n=len(edits) - len(rejected),
            atoms=len(edit_moves),
            households=edit_moves["households"].sum(),
        )
    )
    broken = broken_grids(atoms, labels)
    if broken:
        notes.append(Note("n.edits_broken", grids=broken))
    if moves is not None and len(moves):
        edit_moves = pd.concat([moves.assign(edit_row=-1), edit_moves], ignore_index=True)
    return labels, edit_moves


def _moves_layer(atoms: Atoms, moves: pd.DataFrame | None) -> gpd.GeoDataFrame | None:
    if moves is None:
        return None
    geom = atoms.frame.set_index("atom_id").geometry
    return gpd.GeoDataFrame(
        moves.reset_index(drop=True),
        geometry=geom.loc[moves["atom_id"]].to_numpy(),
        crs=atoms.frame.crs,
    )


def _grid_table(atoms, labels, planner, settings, streets, comm_codes) -> gpd.GeoDataFrame:
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
    grids["oversized"] = np.isin(grids["grid_id"], labels[planner.oversized_])
    grids["outside_community"] = grids["community_id"] < 0
    grids = grids.sort_values(["community_id", "seq"]).reset_index(drop=True)
    first = ["grid_id", "code", "community_id", "seq", "households", "deviation"]
    return grids[first + [c for c in grids.columns if c not in first]]


def _plan_notes(atoms: Atoms, grids, planner, target: float, tol: float) -> list[str]:
    notes = []
    if len(planner.oversized_):
        h = atoms.frame["households"].to_numpy()[planner.oversized_]
        notes.append(
            Note("n.oversized", n=len(planner.oversized_), ceiling=target * (1 + tol), most=h.max())
        )
    out = grids[~grids["within_tolerance"] & ~grids["oversized"]]
    if len(out):
        notes.append(Note("n.out_of_tolerance", n=len(out), tol=tol))
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
    :func:`shequ.geo.output_folder.output_folder`). Returns the paths in ``out_dir``.
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
        "notes": result.notes,
        "warnings": [{"key": w.key, **w.params} for w in result.warnings],
    }
    tables = {
        "grids": ("grid_summary.csv", table),
        "plan": ("plan_summary.csv", result.summary),
        "rejects": ("rejects.csv", result.rejects),
    }
    page = partial(_write_map, result, lang) if with_map else None
    return write_outputs(out, "grids", layers=layers, tables=tables, run=run, page=page)


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
    )
    return write_map(fmap, path)
