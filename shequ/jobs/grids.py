"""Management grids end to end: area inputs → blocks → atoms → plan → metrics, codes, outputs.

The Python API behind ``shequ grids``: :func:`compute_grids` runs in memory and
:func:`write_grid_outputs` writes ``shequ.gpkg`` (``grids``, ``atoms``, ``homes``, ``borders``),
``grid_summary.csv`` (one row per grid), ``plan_summary.csv`` (one row for the plan),
``rejects.csv`` and ``run.json``; a redraw adds the ``moves`` layer (from and to grid and code,
households, home by home summed per atom) and ``retired_grids.csv`` (existing grids that did not
continue, and where their households went).
Homes and streets come from :mod:`shequ.jobs.inputs`, the same as
the living-circle audit, so a grid's households are the audit's households.

The job reads what the models return (a :class:`~shequ.analyses.grid_result.GridPlan`) and never
changes a fitted model or the options it is given; each step returns the notes it has for the
user, and :func:`compute_grids` keeps them in order.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field, replace
from functools import partial
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from shequ.analyses.grid_codes import grid_codes, next_free_codes
from shequ.analyses.grid_edits import broken_grids, edit_plan
from shequ.analyses.grid_metrics import add_grid_metrics, grid_polygons, plan_summary, shape_notes
from shequ.analyses.grid_plan import DEFAULT_BORDER_COST, GridPlanner
from shequ.analyses.grid_redraw import GridRedrawer, existing_labels, match_grids
from shequ.analyses.grid_result import MOVE_COLUMNS, GridPlan
from shequ.errors import InputError
from shequ.geo.atoms import Atoms, atom_of_points, build_atoms, through_crossed
from shequ.geo.basemap import Basemap
from shequ.geo.blocks import border_lines, secondary_lines, street_blocks
from shequ.geo.checks import Warning_
from shequ.geo.column_names import LAYER_COLUMNS, canonical_names
from shequ.geo.completeness import Completeness
from shequ.geo.network import WalkNetwork
from shequ.geo.output_folder import write_outputs
from shequ.geo.outputs import plain_layer
from shequ.geo.points_file import read_vector
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
        An existing grid register (网格台账) as polygons: redraw it with the fewest households
        moved, keeping the code and name of every grid that continues.
    code_column, name_column : str, optional
        The headers of the register's codes and names in ``existing``; default: found among
        the common headers (``code``/``网格编码``, ``name``/``网格名称``, …).
    lock : tuple of str
        Codes of existing grids the redraw leaves as they are (with the grids whose
        ``locked`` column in ``existing`` says yes): no atom leaves them, none joins them, and
        an edit does not change them.
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
    code_column: str | None = None  # the register's code header in ``existing``
    name_column: str | None = None  # the register's name header in ``existing``
    lock: tuple[str, ...] = ()  # codes of existing grids left as they are (--lock)
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
    retired: pd.DataFrame | None = None  # redraw: existing grids that did not continue
    plan: GridPlan | None = None
    study_area: StudyArea | None = None  # the grids' outline (no grid reaches beyond it)
    input_files: list[dict] = field(default_factory=list)
    completeness: Completeness | None = None  # what the area's data probably lacks
    basemap: Basemap | None = None  # drawn under the map (geo/basemap.py)


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
        footprints=area.footprints,
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
    if opts.lock and opts.existing is None:
        raise InputError(Note("e.grid_lock_without_existing"))
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
        lines = _with_edges(lines, communities.geometry.values)
    existing, locked = None, frozenset()
    if opts.existing is not None:
        existing, said = _read_existing(opts, area)
        locked = _locked_ids(opts, existing)  # checked before the atoms: an unknown code fails fast
        notes += said
        # atoms never straddle an existing border, so every home's grid is known exactly
        lines = _with_edges(lines, existing.geometry.values, "none")
    outline = area.study_area.metric  # the run's one study area: no grid reaches beyond it
    blocks = street_blocks(lines, outline)
    atoms, said = grid_atoms(opts, area, settings, blocks, lines, outline, communities)
    notes += said
    step(1)
    step = progress("step.grids", 1)
    home_atom = atom_of_points(atoms.frame, homes.geometry.values)
    register, before = None, None
    if existing is not None:
        plan, said = _redraw(opts, area, atoms, settings, existing, locked)
        notes += said
        start = plan.search["start"]
        method = Note("g.method_redraw_from", file=Path(opts.existing).name, start=start)
        before = _home_origin(existing, homes, plan.origin[home_atom])
        plan, register = _continue_register(plan, atoms, homes, home_atom, before, existing, locked)
    else:
        plan = (
            GridPlanner(
                target,
                tol,
                border_cost={**DEFAULT_BORDER_COST, **settings.border_cost},
                random_state=opts.random_state,
                time_limit_s=opts.time_limit_s,
                # key people in the homes file: balance the workload, households in their band
                demand="workload" if "workload" in atoms.frame.columns else "households",
                n_jobs=-1,  # a city-scale plan searches its windows on every core
            )
            .fit(atoms)
            .result_
        )
        method = plan.method
    step(1)
    if opts.edits is not None:
        table = _grid_table(atoms, plan, settings, None, comm_codes, register)
        codes = dict(zip(table["grid_id"].tolist(), table["code"].tolist(), strict=True))
        plan, said = _edits(opts, area, atoms, plan, codes, register is not None, locked)
        notes += said
        if register is None:  # a fresh plan numbers grids by position: keep the numbers edits named
            register = {"codes": codes, "names": None, "parents": {}, "continues": set(codes)}
        if before is not None:  # one row per home group moved, from its grid before the redraw
            plan = _home_moves(plan, atoms, homes, home_atom, before)
    atoms.frame["grid_id"] = plan.labels
    grids = _grid_table(
        atoms,
        plan,
        settings,
        area.network.edge_geoms,
        comm_codes,
        register,
        network=area.network,
        speed_mps=area.profile.speeds["general"],
    )
    if existing is not None:  # fed back as --existing, the output keeps its locks
        grids["locked"] = grids["grid_id"].isin(locked)
    homes["grid_id"] = plan.labels[home_atom]
    code_of = grids.set_index("grid_id")["code"]
    homes["grid_code"] = code_of.loc[homes["grid_id"]].to_numpy()
    retired = None
    if existing is not None:
        retired = _retired(existing, register, before, homes, code_of)
        if len(retired):
            notes.append(Note("n.grids_retired", n=len(retired), codes=_short(retired["code"])))
        new = grids.loc[~grids["grid_id"].isin(existing["grid_id"]), "code"]
        if len(new):
            notes.append(Note("n.grids_new", n=len(new), codes=_short(new)))
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
        moves=_moves_layer(atoms, plan.moves, code_of),
        retired=retired,
        plan=plan,
        study_area=area.study_area,
        input_files=area.files,
        completeness=completeness,
        basemap=area.basemap,
    )


def _with_edges(
    lines: gpd.GeoDataFrame, polygons: np.ndarray, border: str = "edge"
) -> gpd.GeoDataFrame:
    """``lines`` with the outlines of ``polygons`` added as ``border`` lines: blocks and atoms
    are cut along them. Community edges are ``edge`` (the strongest class: no grid crosses
    them); an existing grid's outline is ``none``, so a border keeps the class of the street
    it runs along and the redraw's objective is the new plan's."""
    rings = list(shapely.boundary(polygons))
    edges = gpd.GeoDataFrame({"border": [border] * len(rings)}, geometry=rings, crs=lines.crs)
    return gpd.GeoDataFrame(pd.concat([lines, edges], ignore_index=True), crs=lines.crs)


def _read_existing(opts: GridOptions, area: AreaInputs) -> tuple[gpd.GeoDataFrame, list[Note]]:
    """The existing grids (网格台账) with a whole ``grid_id`` and the register's ``code`` and
    ``name`` as text, verbatim (None where blank), and the notes on reading them.

    The code is the column ``--code-column`` names, else a common header for it (``code``,
    ``网格编码``, …), else text grid ids (``网格编号``) when they are not small whole numbers.

    Raises
    ------
    InputError
        A named column is not in the file, or whole grid ids repeat.
    """
    path = opts.existing
    frame, repaired = read_polygon_file(
        path, opts.crs, area.crs, area.rejects, layer="existing_grids"
    )
    notes = [Note("n.existing_repaired", n=repaired)] if repaired else []
    for option, column in (("--code-column", "code"), ("--name-column", "name")):
        header = opts.code_column if column == "code" else opts.name_column
        if header is None:
            continue
        found = header if header in frame.columns else None
        if found is None:  # renamed to its canonical name when read
            found = canonical_names([header], LAYER_COLUMNS["existing_grids"]).get(header)
            found = found if found in frame.columns else None
        if found is None:
            names = ", ".join(str(c) for c in read_vector(path)[0].columns)  # as in the file
            note = Note("e.grid_existing_no_column", option=option, column=header, names=names)
            raise InputError(note, path=path)
        frame[column] = frame[found]
    whole = "grid_id" in frame.columns and pd.api.types.is_integer_dtype(frame["grid_id"])
    if whole and frame["grid_id"].duplicated().any():
        raise InputError(Note("e.grid_existing_duplicate_ids"), path=path)
    if "code" not in frame.columns and "grid_id" in frame.columns and not whole:
        frame["code"] = frame["grid_id"]  # 网格编号 G001 …: the register's own code
    if not whole:
        if "grid_id" in frame.columns:  # text ids: the codes (above) keep them, said so
            first = frame["grid_id"].iloc[0]
            notes.append(Note("n.existing_ids_renumbered", n=len(frame), first=first))
        frame["grid_id"] = np.arange(len(frame), dtype=np.int64)
    for column in ("code", "name"):
        if column in frame.columns:
            frame[column] = [_text(v) for v in frame[column]]
    if "locked" in frame.columns:
        frame["locked"] = [
            _yes(v, path, row) for v, row in zip(frame["locked"], frame["row"], strict=True)
        ]
    if "code" not in frame.columns or all(c is None for c in frame["code"]):
        notes.append(Note("n.existing_no_codes"))
    return frame, notes


_YES = frozenset({"1", "true", "yes", "y", "t", "是", "锁定"})
_NO = frozenset({"0", "false", "no", "n", "f", "否", ""})


def _yes(value: object, path: Path, row: int) -> bool:
    """A ``locked`` cell as a yes/no: 1/true/yes/是 lock the grid; 0/false/no/否 and blanks do
    not. Anything else is an error naming the row: a typo must not unlock a grid silently.

    Raises
    ------
    InputError
        The cell is neither yes nor no.
    """
    if isinstance(value, (bool, np.bool_)):
        return bool(value)
    text = _text(value)
    text = "" if text is None else text.lower()
    if text in _YES or text in _NO:
        return text in _YES
    raise InputError(Note("e.grid_locked_value", value=repr(value)), path=path, row=int(row))


def _locked_ids(opts: GridOptions, existing: gpd.GeoDataFrame) -> frozenset[int]:
    """The ids of the existing grids to leave as they are: ``--lock`` codes and the grids
    whose ``locked`` column says yes.

    Raises
    ------
    InputError
        A ``--lock`` code is no code of the existing grids.
    """
    ids = set()
    if "locked" in existing.columns:
        ids |= set(existing.loc[existing["locked"].astype(bool), "grid_id"].tolist())
    codes = existing["code"] if "code" in existing.columns else pd.Series([None] * len(existing))
    by_code = {c: g for c, g in zip(codes, existing["grid_id"], strict=True) if c is not None}
    for code in opts.lock:
        if code not in by_code:
            known = _short(pd.Series(sorted(by_code)), most=8) or "-"
            raise InputError(
                Note("e.grid_lock_unknown", code=code, codes=known), path=opts.existing
            )
        ids.add(by_code[code])
    return frozenset(int(i) for i in ids)


def _text(value: object) -> str | None:
    """A register cell as text, verbatim: whole numbers without ``.0``, blanks as None."""
    if value is None or (not isinstance(value, str) and pd.isna(value)):
        return None
    if isinstance(value, (float, np.floating)) and not np.isfinite(value):
        return None
    if isinstance(value, (float, np.floating)) and float(value).is_integer():
        return str(int(value))
    text = str(value).strip()
    return text or None


def _short(codes: pd.Series, most: int = 5) -> str:
    items = [str(c) for c in codes]
    return ", ".join(items[:most]) + (" …" if len(items) > most else "")


def _redraw(
    opts: GridOptions,
    area: AreaInputs,
    atoms: Atoms,
    settings: GridSettings,
    frame: gpd.GeoDataFrame,
    locked: frozenset[int] = frozenset(),
) -> tuple[GridPlan, list[Note]]:
    """Existing grids → atom labels (overlaps and gaps reported) → fewest-moves redraw, the
    ``locked`` grids (ids) left as they are.

    Returns the redrawn plan and the notes on the existing grids and the redraw.
    """
    notes = []
    origin, report = existing_labels(atoms, frame, locked=locked)
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
        .fit(atoms, origin, locked=np.isin(origin, sorted(locked)))
        .result_
    )
    if locked:
        codes = frame.loc[frame["grid_id"].isin(locked)]
        codes = codes["code"] if "code" in codes.columns else codes["grid_id"]
        notes.append(Note("n.grids_locked", n=len(locked), codes=_short(codes)))
    if plan.search.get("declined_moves"):
        notes.append(Note("n.redraw_declined", households=plan.search["declined_moves"]))
    if plan.split or plan.merged:
        split, merged = list(plan.split) or "-", list(plan.merged) or "-"
        notes.append(Note("n.split_merged", split=split, merged=merged))
    return plan, notes


def _home_origin(
    existing: gpd.GeoDataFrame, homes: gpd.GeoDataFrame, atom_origin: np.ndarray
) -> np.ndarray:
    """The existing grid of every home: the grid polygon it lies inside, else (a home on a
    border line, in an overlap or a gap) the existing grid of its atom."""
    points = homes.geometry.values
    p, g = shapely.STRtree(existing.geometry.values).query(points, predicate="within")
    hits = np.bincount(p, minlength=len(points))
    out = np.asarray(atom_origin, dtype=np.int64).copy()
    one = hits[p] == 1
    out[p[one]] = existing["grid_id"].to_numpy()[g[one]]
    return out


def _continue_register(
    plan: GridPlan,
    atoms: Atoms,
    homes: gpd.GeoDataFrame,
    home_atom: np.ndarray,
    before: np.ndarray,
    existing: gpd.GeoDataFrame,
    locked: frozenset[int] = frozenset(),
) -> tuple[GridPlan, dict]:
    """The redrawn plan with the register's identities and moves counted home by home.

    A new grid that keeps most of an existing grid's households is that grid (same id, code
    and name: :func:`~shequ.analyses.grid_redraw.match_grids`); a locked grid is itself, with
    households or none (the redraw kept its atoms); the others get ids above every existing
    one. Returns the plan and the register: ``{"codes": {id: code}, "names": {id:
    name}, "parents": {new id: existing id it took most households from}, "continues": {id}}``.
    """
    hh = homes["households"].to_numpy(float)
    after = plan.labels[home_atom]
    continues, flows = match_grids(before, after, hh)
    labels = np.unique(plan.labels)
    for grid in sorted(locked & set(labels.tolist())):  # kept whole by the redraw
        continues = {new: old for new, old in continues.items() if grid not in (new, old)}
        continues[grid] = grid
    top = int(max(existing["grid_id"].max(), labels.max())) + 1
    new_id = {}
    for label in labels:
        if int(label) in continues:
            new_id[int(label)] = continues[int(label)]
        else:
            new_id[int(label)] = top
            top += 1
    relabel = np.vectorize(new_id.__getitem__, otypes=[np.int64])
    flows["to_grid"] = relabel(flows["to_grid"].to_numpy()) if len(flows) else flows["to_grid"]
    parents = (
        flows.sort_values("households").groupby("to_grid")["from_grid"].last().to_dict()
        if len(flows)
        else {}
    )
    ids = existing["grid_id"].to_numpy()
    register = {
        "codes": dict(zip(ids, existing.get("code", pd.Series([None] * len(ids))), strict=True)),
        "names": (
            dict(zip(ids, existing["name"], strict=True)) if "name" in existing.columns else None
        ),
        "parents": {int(k): int(v) for k, v in parents.items()},
        "continues": set(continues.values()),
        "flows": flows,
    }
    plan = replace(plan, labels=relabel(plan.labels))
    return _home_moves(plan, atoms, homes, home_atom, before), register


def _home_moves(
    plan: GridPlan, atoms: Atoms, homes: gpd.GeoDataFrame, home_atom: np.ndarray, before: np.ndarray
) -> GridPlan:
    """``plan`` with its moves counted from the homes: one row per atom and (from, to) pair
    for every home whose grid changed, so ``households_moved`` is exactly the households whose
    grid is not the one they were in (an edit's row kept where an edit moved the atom)."""
    after = plan.labels[home_atom]
    moved = (before >= 0) & (after != before)
    rows = pd.DataFrame(
        {
            "atom_id": atoms.frame["atom_id"].to_numpy()[home_atom[moved]],
            "households": homes["households"].to_numpy(float)[moved],
            "from_grid": before[moved],
            "to_grid": after[moved],
        }
    )
    moves = rows.groupby(["atom_id", "from_grid", "to_grid"], as_index=False)["households"].sum()
    moves = moves[list(MOVE_COLUMNS)]
    if plan.moves is not None and "edit_row" in plan.moves.columns:
        edited = plan.moves[plan.moves["edit_row"] >= 0].groupby("atom_id")["edit_row"].last()
        moves["edit_row"] = moves["atom_id"].map(edited).fillna(-1).astype(np.int64)
    return replace(plan, moves=moves, households_moved=float(moves["households"].sum()))


def _retired(
    existing: gpd.GeoDataFrame,
    register: dict,
    before: np.ndarray,
    homes: gpd.GeoDataFrame,
    code_of: pd.Series,
) -> pd.DataFrame:
    """The existing grids that did not continue and where their households went now."""
    gone = existing.loc[~existing["grid_id"].isin(register["continues"])]
    hh = homes["households"].to_numpy(float)
    after = homes["grid_id"].to_numpy()
    rows = []
    for _, grid in gone.iterrows():
        mine = before == grid["grid_id"]
        went = pd.Series(hh[mine]).groupby(after[mine]).sum().sort_values(ascending=False)
        rows.append(
            {
                "grid_id": int(grid["grid_id"]),
                "code": register["codes"].get(grid["grid_id"]),
                "name": grid.get("name"),
                "households": float(hh[mine].sum()),
                "went_to": "; ".join(f"{code_of.get(g, g)}: {h:.1f}" for g, h in went.items()),
            }
        )
    columns = ["grid_id", "code", "name", "households", "went_to"]
    return pd.DataFrame(rows, columns=columns)


def _edits(
    opts: GridOptions,
    area: AreaInputs,
    atoms: Atoms,
    plan: GridPlan,
    codes: dict[int, str],
    by_code: bool = False,
    locked: frozenset[int] = frozenset(),
) -> tuple[GridPlan, list[Note]]:
    """The plan after the edits file (rows that cannot apply go to the rejects, with the
    reason, and each is a note), and the notes on what the edits did.

    With ``by_code`` (a redraw of a register) an edit names its grid by ``to_code``, the
    register's code: the map it was drawn on may have numbered the grids otherwise (an
    export read without its ``grid_id``), the code is what stays. Without it, or without a
    ``to_code``, by ``to_grid``; a ``to_code`` alone names its grid in either case. Edits never
    change a ``locked`` grid.
    """
    frame, _ = read_polygon_file(opts.edits, "wgs84", area.crs, area.rejects, layer="edits")
    if "to_grid" not in frame.columns and "to_code" not in frame.columns:
        raise InputError(Note("e.grid_edits_no_to_grid"), path=opts.edits)
    blank = pd.Series([None] * len(frame), index=frame.index)
    raw_grid = frame["to_grid"] if "to_grid" in frame.columns else blank
    to_grid = pd.to_numeric(raw_grid, errors="coerce").astype(float)
    to_code = frame["to_code"] if "to_code" in frame.columns else blank
    edits, refused = [], []
    grid_of = {c: g for g, c in codes.items() if c is not None}
    rows = zip(frame["row"], frame.geometry, raw_grid, to_grid, to_code, strict=True)
    for row, geom, raw, grid, code in rows:
        code = _text(code)
        if code is not None and (by_code or _text(raw) is None):
            if code not in grid_of:
                refused.append((int(row), Note("r.grid_edit_unknown_code", code=code)))
            else:
                edits.append((int(row), geom, int(grid_of[code])))
            continue
        if not (np.isfinite(grid) and grid == round(grid)):
            refused.append((int(row), Note("r.grid_edit_not_whole", value=repr(raw))))
            continue
        known = codes.get(int(grid))
        if code and known and code != known:
            reason = Note("r.grid_edit_other_plan", code=code, grid=int(grid), known=known)
            refused.append((int(row), reason))
            continue
        edits.append((int(row), geom, int(grid)))
    edited, rejected = edit_plan(plan, atoms, edits, locked=locked, codes=codes)
    name = Path(opts.edits).name
    said = []
    for row, reason in sorted(refused + rejected, key=lambda r: r[0]):
        area.rejects.add(str(opts.edits), "edits", row, None, reason)
        said.append(Note("n.edit_rejected", row=row, file=name, reason=reason))
    moved = edited.moves[edited.moves["edit_row"] >= 0]  # the edits' moves, not the redraw's
    notes = [
        Note(
            "n.edits_applied",
            n=len(edits) - len(rejected),
            total=len(frame),
            atoms=len(moved),
            households=moved["households"].sum(),
        )
    ]
    broken = broken_grids(atoms, edited.labels)
    if broken:
        notes.append(Note("n.edits_broken", grids=broken))
    return edited, notes + said


def _moves_layer(
    atoms: Atoms, moves: pd.DataFrame | None, code_of: pd.Series
) -> gpd.GeoDataFrame | None:
    if moves is None:
        return None
    geom = atoms.frame.set_index("atom_id").geometry
    moves = moves.reset_index(drop=True)
    moves.insert(3, "from_code", moves["from_grid"].map(code_of).to_numpy())
    moves.insert(5, "to_code", moves["to_grid"].map(code_of).to_numpy())
    return gpd.GeoDataFrame(
        moves,
        geometry=geom.loc[moves["atom_id"]].to_numpy(),
        crs=atoms.frame.crs,
    )


def _grid_table(
    atoms: Atoms,
    plan: GridPlan,
    settings: GridSettings,
    streets: np.ndarray | None,
    comm_codes: dict[int, int],
    register: dict | None = None,
    *,
    network: WalkNetwork | None = None,
    speed_mps: float | None = None,
) -> gpd.GeoDataFrame:
    """One row per grid of ``plan``: polygon, demand, metrics, code and flags.

    With the ``network`` and a walking speed, each grid also gets the walk across it
    (``walk_across_m``/``_min``); with the atoms, a grid under the compactness floor gets the
    reason (``compact_reason``: :func:`~shequ.analyses.grid_metrics.add_grid_metrics`).

    Codes follow the pattern (reading order in each community) unless a ``register`` is
    given: then a continuing grid keeps its code and name verbatim, and a new grid takes the
    next free number of its parent grid's sequence
    (:func:`~shequ.analyses.grid_codes.next_free_codes`).
    """
    labels = plan.labels
    grids = grid_polygons(atoms, labels)
    grids = add_grid_metrics(
        grids,
        settings.households_per_grid,
        settings.tolerance,
        streets,
        atoms=atoms,
        labels=labels,
        network=network,
        speed_mps=speed_mps,
        demand=plan.search.get("demand", "households"),
    )
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
    if register is not None:
        _register_codes(grids, register)
    grids["oversized"] = np.isin(grids["grid_id"], labels[plan.oversized])
    grids["outside_community"] = grids["community_id"] < 0
    grids = grids.sort_values(["community_id", "seq"]).reset_index(drop=True)
    first = ["grid_id", "code", "community_id", "seq", "households", "deviation"]
    return grids[first + [c for c in grids.columns if c not in first]]


def _register_codes(grids: gpd.GeoDataFrame, register: dict) -> None:
    """Put the register's codes and names on ``grids`` (in place; see :func:`_grid_table`)."""
    known, ids = register["codes"], grids["grid_id"].to_numpy()
    code = [known.get(g) for g in ids]
    new = [i for i, g in enumerate(ids) if g not in known or code[i] is None]
    parents = [known.get(register["parents"].get(int(ids[i]))) for i in new]
    taken = [c for c in known.values() if c is not None]
    fresh = next_free_codes(taken, parents, grids["code"].to_numpy()[new].tolist())
    for i, c in zip(new, fresh, strict=True):
        code[i] = c
    grids["code"] = code
    seq = [re.match(r"^.*?(\d{1,3})$", c) for c in code]
    grids["seq"] = [int(m.group(1)) if m else s for m, s in zip(seq, grids["seq"], strict=True)]
    if register["names"] is not None:
        grids["name"] = [register["names"].get(g) for g in ids]


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
    if plan.search.get("demand") == "workload":  # key people in the homes file
        regular = grids[~grids["oversized"]]
        notes.append(
            Note(
                "n.grid_workload",
                tol=plan.tolerance,
                workload_out=int((~regular["workload_within_tolerance"]).sum()),
                households_out=int((~regular["within_tolerance"]).sum()),
            )
        )
    return notes + shape_notes(grids)


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
    if result.retired is not None:
        tables["retired"] = ("retired_grids.csv", result.retired)
    page = partial(_write_map, result, lang) if with_map else None
    return write_outputs(out, "grids", result, layers=layers, tables=tables, run=run, page=page)


def _write_map(result: GridResult, lang: str, path: Path) -> Path:
    from shequ.maps import build_grid_map, write_map
    from shequ.maps.basemap import add_basemap, datum_for
    from shequ.maps.features import map_datum

    with map_datum(datum_for(result.basemap)):
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
    add_basemap(fmap, result.basemap, lang)
    return write_map(fmap, path)
