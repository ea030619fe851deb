"""One offline report of an area from the outputs of earlier runs (``shequ report``).

A street office (街道) reads the living-circle audit, the proposed sites, the grids and the
warning levels together, often on paper. :func:`compute_report` reads the output folders of
``shequ access``, ``site``, ``grids`` and ``hotspots`` (any of them; a ``shequ demo`` folder
stands for its four sub-folders), checks that each is a shequ output and that no command comes
twice, and, given community (社区) and/or grid (网格) polygons, counts every figure per unit
with an "outside every unit" row, so the units add up to the area. :func:`write_report` writes
``report.html`` (one self-contained page, :mod:`shequ.maps.report_page`) and ``run.json``
through :func:`shequ.geo.output_folder.output_folder`: all of it or nothing.

Nothing is recomputed: the figures are the runs' own (``summary.csv``, ``site_summary.csv``,
``plan_summary.csv``, the GeoPackage layers), so the report and the runs cannot disagree.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import pyogrio
import pyproj
import shapely

import shequ
from shequ.analyses.grid_audit import assign_points
from shequ.errors import InputError
from shequ.geo.output_folder import RUN_FILE, output_folder
from shequ.geo.outputs import write_text
from shequ.geo.polygons_file import read_polygon_file
from shequ.i18n import Note
from shequ.maps.report_page import report_page
from shequ.profile import load_profile
from shequ.rejects import Rejects

COMMANDS: tuple[str, ...] = ("access", "site", "grids", "hotspots")
"""The commands whose outputs the report reads, in the order of its sections."""

LEVELS: tuple[str, ...] = ("red", "orange", "yellow", "blue")
"""Warning levels, highest first (as ``hotspots`` writes them)."""

WGS84 = "EPSG:4326"
_READ_ERRORS = (
    OSError,
    ValueError,
    KeyError,
    pyogrio.errors.DataSourceError,
    pyogrio.errors.DataLayerError,
)


@dataclass(frozen=True)
class ReportOptions:
    """Inputs of a report (every flag of ``shequ report``).

    Parameters
    ----------
    runs : list of Path
        Output folders of ``shequ access``, ``site``, ``grids``, ``hotspots`` or ``demo``;
        at most one of each command.
    communities : Path, optional
        Community (社区) polygons: a section per community.
    grids : Path, optional
        Grid (网格) polygons (e.g. a grids run's ``shequ.gpkg``, whose first layer is
        ``grids``): a section per grid.
    crs : str, optional
        Coordinates of the polygon files when they declare none (``wgs84``, ``gcj02`` …).
    """

    runs: list[Path]
    communities: Path | None = None
    grids: Path | None = None
    crs: str | None = None


@dataclass(frozen=True)
class RunFolder:
    """One run read: the command that wrote it, its folder and its ``run.json``."""

    command: str
    path: Path
    run: dict[str, Any]


@dataclass
class AccessPart:
    """The living-circle audit: ``summary.csv``, homes and facilities (WGS-84)."""

    summary: pd.DataFrame
    homes: gpd.GeoDataFrame
    facilities: gpd.GeoDataFrame
    worst_kind: str | None  # the kind with data whose threshold tier covers the fewest


@dataclass
class SitePart:
    """Facility siting: the one row of ``site_summary.csv``, proposed sites and homes."""

    summary: dict[str, Any]
    sites: gpd.GeoDataFrame
    homes: gpd.GeoDataFrame


@dataclass
class GridsPart:
    """Management grids: ``plan_summary.csv``'s row, the grids and their homes."""

    plan: dict[str, Any]
    grids: gpd.GeoDataFrame
    homes: gpd.GeoDataFrame


@dataclass
class HotspotsPart:
    """Risk hotspots: ``summary.csv``'s row and the H3 cells with their level."""

    summary: dict[str, Any]
    cells: gpd.GeoDataFrame


@dataclass
class UnitSet:
    """Communities or grids given to the report, with their figures.

    ``figures`` has one row per unit in file order, then the "outside every unit" row
    (``outside`` True): ``label``, ``anchor``, ``homes``, ``households``, ``grids``,
    ``grids_in_band``, ``pp_min``, ``pp_mean``, ``incidents``, ``hot_cells``, ``level``
    (missing where the run that has the figure was not given). ``coverage`` has one row per
    figures row, kind and tier: ``row`` (position in ``figures``), ``kind``, ``tier_min``,
    ``households_covered``, ``households_total`` and ``status`` (``ok``, ``no_facilities``,
    ``no_homes``).
    """

    layer: str  # "communities" or "grids"
    path: Path
    units: gpd.GeoDataFrame  # WGS-84, with ``label`` and ``anchor``
    figures: pd.DataFrame
    coverage: pd.DataFrame


@dataclass(frozen=True)
class ProfileValue:
    """A profile value that carries its source: dotted key, value, confidence, source."""

    key: str
    value: Any
    confidence: str | None
    src: str | None


@dataclass(frozen=True)
class Provenance:
    """Where one run's figures come from (run.json): OSM file, inputs, profile, version."""

    command: str
    path: Path
    osm_path: str | None
    osm_snapshot: str | None
    input_files: list[dict[str, Any]]
    profile: str
    version: str


@dataclass
class ReportResult:
    """Everything ``report.html`` shows, read from the runs (maps are drawn from WGS-84)."""

    runs: dict[str, RunFolder]
    access: AccessPart | None = None
    site: SitePart | None = None
    grids: GridsPart | None = None
    hotspots: HotspotsPart | None = None
    context: gpd.GeoSeries | None = None  # light lines under every map (streets, borders)
    units: list[UnitSet] = field(default_factory=list)
    provenance: list[Provenance] = field(default_factory=list)
    profiles: dict[str, list[ProfileValue] | str] = field(default_factory=dict)
    bounds: tuple[float, float, float, float] | None = None  # WGS-84 extent of the maps


# --- the run folders ---------------------------------------------------------------------


def _read_run(path: Path) -> dict[str, Any]:
    """The ``run.json`` of ``path`` as a dict, or an InputError naming the folder."""
    run_file = path / RUN_FILE
    if not path.is_dir() or not run_file.is_file():
        raise InputError(Note("e.report_not_run"), path=path)
    try:
        run = json.loads(run_file.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError):
        raise InputError(Note("e.report_not_run"), path=path) from None
    if not isinstance(run, dict) or not isinstance(run.get("command"), str):
        raise InputError(Note("e.report_not_run"), path=path)
    return run


def expand_runs(paths: list[Path]) -> dict[str, RunFolder]:
    """The run folders by command; a demo folder stands for its sub-folders.

    Raises
    ------
    InputError
        No folder given; a folder without a shequ ``run.json``; one written by a command
        the report does not read; two runs of the same command (naming the second).
    """
    if not paths:
        raise InputError(Note("e.report_no_runs"))
    found: dict[str, RunFolder] = {}
    for path in map(Path, paths):
        for folder in _folders_of(path):
            previous = found.get(folder.command)
            if previous is not None:
                note = Note("e.report_same_command", command=folder.command, first=previous.path)
                raise InputError(note, path=folder.path)
            found[folder.command] = folder
    return {command: found[command] for command in COMMANDS if command in found}


def _folders_of(path: Path) -> list[RunFolder]:
    run = _read_run(path)
    command = run["command"]
    if command in COMMANDS:
        return [RunFolder(command, path, run)]
    if command != "demo":
        raise InputError(Note("e.report_command", command=command), path=path)
    names = [str(name).rstrip("/") for name in run.get("files", []) if str(name).endswith("/")]
    # the demo's own report/ is an output of the runs, not one of them
    names = [name for name in names if _read_run(path / name).get("command") != "report"]
    inside = [_folders_of(path / name) for name in names]
    return [folder for folders in inside for folder in folders]


def _need(folder: RunFolder, name: str) -> Path:
    path = folder.path / name
    if not path.is_file():
        note = Note("e.report_missing_file", name=name, command=folder.command)
        raise InputError(note, path=folder.path)
    return path


def _layer(folder: RunFolder, layer: str, optional: bool = False) -> gpd.GeoDataFrame | None:
    """A layer of the run's ``shequ.gpkg`` in WGS-84 (None when optional and absent)."""
    gpkg = _need(folder, "shequ.gpkg")
    try:
        names = {name for name, _ in pyogrio.list_layers(gpkg)}
        if layer not in names:
            if optional:
                return None
            note = Note("e.report_missing_file", name=f"shequ.gpkg:{layer}", command=folder.command)
            raise InputError(note, path=folder.path)
        frame = gpd.read_file(gpkg, layer=layer)
    except _READ_ERRORS as exc:
        raise InputError(Note("e.report_not_run"), path=folder.path) from exc
    return frame.to_crs(WGS84) if frame.crs is not None else frame.set_crs(WGS84)


def _csv(folder: RunFolder, name: str) -> pd.DataFrame:
    try:
        return pd.read_csv(_need(folder, name), encoding="utf-8-sig")
    except (pd.errors.ParserError, pd.errors.EmptyDataError, UnicodeDecodeError) as exc:
        raise InputError(Note("e.report_not_run"), path=folder.path) from exc


def _first_row(table: pd.DataFrame) -> dict[str, Any]:
    return table.iloc[0].to_dict() if len(table) else {}


# --- each command's part -----------------------------------------------------------------


def _access(folder: RunFolder) -> AccessPart:
    summary = _csv(folder, "summary.csv")
    homes = _layer(folder, "homes")
    facilities = _layer(folder, "facilities")
    return AccessPart(summary, homes, facilities, worst_kind(summary))


def worst_kind(summary: pd.DataFrame) -> str | None:
    """The kind with facilities whose threshold tier covers the smallest share of households.

    Kinds without data (``no_facilities``) are left out: a share of nothing is not "worst".
    """
    ok = summary[(summary["data_status"] == "ok") & summary["is_threshold"].astype(bool)]
    ok = ok.dropna(subset=["households_share"])
    if ok.empty:
        return None
    return str(ok.sort_values("households_share", kind="stable").iloc[0]["kind"])


def _site(folder: RunFolder) -> SitePart:
    summary = _first_row(_csv(folder, "site_summary.csv"))
    sites = _layer(folder, "proposed_sites")
    homes = _layer(folder, "homes")
    return SitePart(summary, sites.sort_values("rank", kind="stable"), homes)


def _grids(folder: RunFolder) -> GridsPart:
    plan = _first_row(_csv(folder, "plan_summary.csv"))
    return GridsPart(plan, _layer(folder, "grids"), _layer(folder, "homes"))


def _hotspots(folder: RunFolder) -> HotspotsPart:
    summary = _first_row(_csv(folder, "summary.csv"))
    return HotspotsPart(summary, _layer(folder, "cells"))


def _context(runs: dict[str, RunFolder]) -> gpd.GeoSeries | None:
    """Light lines under the maps: the walk network's streets, else the grid borders."""
    for command, layer in (("access", "network_edges"), ("site", "network_edges")):
        if command in runs:
            edges = _layer(runs[command], layer, optional=True)
            if edges is not None and len(edges):
                return edges.geometry
    if "grids" in runs:
        borders = _layer(runs["grids"], "borders", optional=True)
        if borders is not None and len(borders):
            return borders.geometry
    return None


# --- units (社区, 网格) ------------------------------------------------------------------


def _metric_crs(runs: dict[str, RunFolder], homes: gpd.GeoDataFrame | None) -> pyproj.CRS:
    """The runs' metric CRS (run.json ``crs``), else the UTM zone of the homes."""
    for folder in runs.values():
        crs = folder.run.get("crs")
        if isinstance(crs, str) and crs:
            return pyproj.CRS.from_user_input(crs)
    if homes is not None and len(homes):
        return homes.estimate_utm_crs()
    return pyproj.CRS.from_epsg(3857)


def _unit_labels(units: gpd.GeoDataFrame) -> list[str]:
    """Each unit's name, else its code, else its grid id, else its row in the file."""
    labels = []
    for index, row in enumerate(units.itertuples(index=False), start=1):
        label = None
        for column in ("name", "code", "grid_id"):
            value = getattr(row, column, None)
            if value is not None and not pd.isna(value) and str(value).strip():
                label = str(value).strip()
                break
        labels.append(label or f"#{index}")
    return labels


def read_units(path: Path, layer: str, crs: str | None, metric: pyproj.CRS) -> gpd.GeoDataFrame:
    """Communities or grids from a polygon file, in WGS-84, with ``label`` and ``anchor``.

    Parameters
    ----------
    path : a polygon file (GeoJSON, GeoPackage — its first layer —, Shapefile …)
    layer : ``communities`` or ``grids`` (decides the headers read as name and code)
    crs : the coordinates of a file that declares none
    metric : the CRS the reader repairs polygons in
    """
    frame, _ = read_polygon_file(path, crs, metric, Rejects(), layer=layer)
    frame = frame.to_crs(WGS84).reset_index(drop=True)
    frame["label"] = _unit_labels(frame)
    prefix = "c" if layer == "communities" else "g"
    frame["anchor"] = [f"{prefix}{i + 1}" for i in range(len(frame))]
    return frame


def _positions(points: np.ndarray, units: gpd.GeoDataFrame) -> np.ndarray:
    """The unit of each point (first holder), ``len(units)`` for a point in none."""
    where = assign_points(points, units.geometry.to_numpy())
    return np.where(where < 0, len(units), where)


def _xy(geoms: gpd.GeoSeries) -> np.ndarray:
    return shapely.get_coordinates(geoms.to_numpy()) if len(geoms) else np.empty((0, 2))


def unit_figures(
    units: gpd.GeoDataFrame, result: ReportResult
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The figures and coverage of each unit and of "outside every unit" (see UnitSet)."""
    n = len(units)
    figures = pd.DataFrame(
        {
            "label": [*units["label"], None],
            "anchor": [*units["anchor"], "outside"],
            "outside": [False] * n + [True],
        }
    )
    coverage = pd.DataFrame()
    homes = result.access.homes if result.access is not None else None
    if homes is None and result.grids is not None:
        homes = result.grids.homes
    if homes is not None:
        pos = _positions(_xy(homes.geometry), units)
        households = homes["households"].fillna(0.0).to_numpy(dtype=float)
        figures["homes"] = np.bincount(pos, minlength=n + 1)
        figures["households"] = np.bincount(pos, weights=households, minlength=n + 1)
        if result.access is not None:
            coverage = _coverage(result.access, pos, households, figures["homes"].to_numpy())
    if result.grids is not None:
        _add_grid_balance(figures, result.grids.grids, units)
    if result.hotspots is not None:
        _add_incidents(figures, result.hotspots.cells, units)
    return figures, coverage


def _coverage(
    access: AccessPart, pos: np.ndarray, households: np.ndarray, homes_per_row: np.ndarray
) -> pd.DataFrame:
    """Households within each kind's tiers per row: walk minutes ≤ tier, as the audit counts."""
    rows = []
    size = len(homes_per_row)
    totals = np.bincount(pos, weights=households, minlength=size)
    for item in access.summary.itertuples(index=False):
        column = f"walk_min_{item.kind}"
        minutes = access.homes[column].to_numpy(dtype=float) if column in access.homes else None
        if minutes is None:
            continue
        inside = np.nan_to_num(minutes, nan=np.inf) <= float(item.tier_min)
        covered = np.bincount(pos, weights=households * inside, minlength=size)
        for row in range(size):
            status = str(item.data_status)
            if status == "ok" and homes_per_row[row] == 0:
                status = "no_homes"
            rows.append(
                {
                    "row": row,
                    "kind": item.kind,
                    "tier_min": float(item.tier_min),
                    "households_covered": covered[row],
                    "households_total": totals[row],
                    "status": status,
                }
            )
    return pd.DataFrame(rows)


def _add_grid_balance(
    figures: pd.DataFrame, grids: gpd.GeoDataFrame, units: gpd.GeoDataFrame
) -> None:
    """Grids of the grids run per unit, by their centre: count, in band, Polsby–Popper."""
    size = len(figures)
    centres = shapely.point_on_surface(grids.geometry.to_numpy())
    pos = _positions(shapely.get_coordinates(centres), units)
    within = grids["within_tolerance"].fillna(False).astype(bool).to_numpy()
    figures["grids"] = np.bincount(pos, minlength=size)
    figures["grids_in_band"] = np.bincount(pos, weights=within, minlength=size).astype(int)
    pp = pd.Series(grids["polsby_popper"].to_numpy(dtype=float)).groupby(pos)
    figures["pp_min"] = pp.min().reindex(range(size)).to_numpy()
    figures["pp_mean"] = pp.mean().reindex(range(size)).to_numpy()


def _add_incidents(figures: pd.DataFrame, cells: gpd.GeoDataFrame, units: gpd.GeoDataFrame) -> None:
    """Incidents, hot cells and the highest warning level per unit, H3 cells by their centre."""
    size = len(figures)
    pos = _positions(shapely.get_coordinates(shapely.centroid(cells.geometry.to_numpy())), units)
    counts = cells["count"].fillna(0.0).to_numpy(dtype=float)
    hot = cells["bin"].fillna(0).to_numpy(dtype=float) >= 2
    figures["incidents"] = np.bincount(pos, weights=counts, minlength=size)
    figures["hot_cells"] = np.bincount(pos, weights=hot, minlength=size).astype(int)
    rank = cells["level"].map({level: i for i, level in enumerate(LEVELS)}).to_numpy(dtype=float)
    best = pd.Series(rank).groupby(pos).min().reindex(range(size))
    figures["level"] = [None if pd.isna(r) else LEVELS[int(r)] for r in best]


# --- provenance ----------------------------------------------------------------------------


def profile_values(raw: dict[str, Any], prefix: tuple[str, ...] = ()) -> list[ProfileValue]:
    """Every profile entry that carries ``src`` or ``confidence``, with its dotted key."""
    found = []
    for key, value in raw.items():
        if not isinstance(value, dict):
            continue
        path = (*prefix, str(key))
        if "src" in value or "confidence" in value:
            found.append(
                ProfileValue(
                    ".".join(path), value.get("value"), value.get("confidence"), value.get("src")
                )
            )
        rest = {k: v for k, v in value.items() if k not in ("value", "src", "confidence")}
        found.extend(profile_values(rest, path))
    return found


def _provenance(folder: RunFolder) -> Provenance:
    run = folder.run
    osm = run.get("osm") if isinstance(run.get("osm"), dict) else {}
    files = [f for f in run.get("input_files", []) if isinstance(f, dict)]
    version = run.get("shequ_version") or shequ.__version__
    profile = str(run.get("profile") or "default")
    return Provenance(
        folder.command,
        folder.path,
        osm.get("path"),
        osm.get("snapshot"),
        files,
        profile,
        str(version),
    )


def _profiles(provenance: list[Provenance]) -> dict[str, list[ProfileValue] | str]:
    """The values of each profile the runs used; an unreadable profile keeps its error."""
    out: dict[str, list[ProfileValue] | str] = {}
    for item in provenance:
        if item.profile in out:
            continue
        try:
            profile = load_profile(None if item.profile == "default" else item.profile)
        except InputError as exc:
            out[item.profile] = exc.one_line()
            continue
        out[item.profile] = profile_values(profile.raw)
    return out


def _bounds(result: ReportResult) -> tuple[float, float, float, float] | None:
    frames = [
        part
        for part in (
            result.access.homes if result.access else None,
            result.site.homes if result.site else None,
            result.grids.grids if result.grids else None,
            result.hotspots.cells if result.hotspots else None,
        )
        if part is not None and len(part)
    ]
    if not frames:
        return None
    boxes = np.array([frame.total_bounds for frame in frames])
    return (boxes[:, 0].min(), boxes[:, 1].min(), boxes[:, 2].max(), boxes[:, 3].max())


# --- the API -------------------------------------------------------------------------------


def compute_report(opts: ReportOptions) -> ReportResult:
    """Read and check the runs, and count the units' figures.

    Parameters
    ----------
    opts : ReportOptions

    Returns
    -------
    ReportResult

    Raises
    ------
    InputError
        A folder that is not a shequ output (or lacks a file its command writes), two runs
        of one command, or a unusable polygon file.
    """
    runs = expand_runs(list(opts.runs))
    readers = {"access": _access, "site": _site, "grids": _grids, "hotspots": _hotspots}
    result = ReportResult(runs)
    for command, folder in runs.items():
        setattr(result, command, readers[command](folder))
    result.context = _context(runs)
    result.provenance = [_provenance(folder) for folder in runs.values()]
    result.profiles = _profiles(result.provenance)
    result.bounds = _bounds(result)
    homes = result.access.homes if result.access else None
    for layer, path in (("communities", opts.communities), ("grids", opts.grids)):
        if path is None:
            continue
        units = read_units(Path(path), layer, opts.crs, _metric_crs(runs, homes))
        figures, coverage = unit_figures(units, result)
        result.units.append(UnitSet(layer, Path(path), units, figures, coverage))
    return result


def write_report(result: ReportResult, out: Path, lang: str = "en") -> dict[str, Path]:
    """Write ``report.html`` and ``run.json`` into ``out``, whole or not at all.

    Returns
    -------
    dict
        ``report`` and ``run`` → their paths in ``out``.
    """
    out = Path(out)
    run = {
        "shequ_version": shequ.__version__,
        "lang": lang,
        "runs": {command: str(folder.path) for command, folder in result.runs.items()},
        "units": {unit.layer: str(unit.path) for unit in result.units},
    }
    with output_folder(out, "report") as staging:
        write_text(staging / "report.html", report_page(result, lang))
        write_text(staging / RUN_FILE, json.dumps(run, ensure_ascii=False, indent=2))
    return {"report": out / "report.html", "run": out / RUN_FILE}


__all__ = [
    "ReportOptions",
    "ReportResult",
    "compute_report",
    "expand_runs",
    "profile_values",
    "write_report",
]
