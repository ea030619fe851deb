"""``shequ batch``: the analyses of many areas of one region, each in a Dask task.

A province (millions of street nodes) does not fit one pass, and a district's 街道 are planned
one by one anyway. The batch cuts each area (a polygon of ``--areas``, or an automatic tile of at
most ``--tile-nodes`` street nodes) out of the regional OSM file with a walking halo
(:mod:`shequ.geo.osm_clip`), and runs the chosen analyses on that extract with the area as the
study area (``--area``): homes, candidates, grids and cells outside it are left out, walks may
cross it. A run of one area is therefore the single run ``shequ <analysis> --osm REGION --area
AREA``, for every walk up to the halo; longer walks may be overstated (they may leave the
extract), which ``batch.json`` and the terminal state. Hotspots use one H3 resolution in every
area (``--res``, or the automatic choice on all the incidents inside the areas), so the merged
cells are of one size; the default halo grows with that resolution's cells (a cell's centre may
lie a cell's radius outside its area), and a halo given too small for them is said in
``areas.csv`` (``hotspots_note``).

The tasks run on Dask (``dask.distributed``): a ``LocalCluster`` of ``--workers`` processes,
one thread each, by default, or an existing cluster (``--scheduler tcp://HOST:PORT``; its
workers must see ``--out`` and the region's path). A task that raises is retried
(``--retries``); an area whose input is unusable (an :class:`~shequ.errors.InputError`, e.g. no
homes in it) is reported at once, since a retry would say the same.

Layout of ``--out``::

    batch.json                parameters and their fingerprint (a re-run with other ones stops)
    areas.gpkg, areas.csv     each area: id, status, seconds, the error of a failed one,
                              why an analysis was skipped and any caveat of its results
    areas/<key>/              area.geojson, extract.osm.pbf, incidents.csv, area.json and one
                              folder per analysis, exactly what the single command writes
    merged/<analysis>/<layer>/area_key=<key>/part.parquet
                              GeoParquet (WGS-84) of each area's result layers, partitioned
                              by area: ``geopandas.read_parquet("merged/access/homes")``
    <analysis>_summary.csv    each area's summary row(s) and the region's totals
    rejects.csv               incident rows outside every area or unreadable (rows in =
                              rows in the areas + rows here)

A re-run with the same parameters skips the areas whose ``area.json`` records success (their
outputs are whole: each analysis folder is written whole or not at all) and only redoes the
rest; the summaries are rebuilt from every area's files.
"""

from __future__ import annotations

import hashlib
import json
import logging
import time
import uuid
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pyogrio
import shapely

from shequ import __version__
from shequ.errors import InputError
from shequ.geo.batch_areas import BatchArea, halo_box, read_areas, tile_areas
from shequ.geo.coords import metric_crs
from shequ.geo.facilities import kind_name
from shequ.geo.h3cells import auto_resolution, check_resolution
from shequ.geo.incidents import read_incidents
from shequ.geo.osm_clip import clip_osm, street_node_lonlat
from shequ.geo.osm_file import check_osm_path
from shequ.geo.outputs import atomic_path, write_csv, write_gpkg, write_text
from shequ.i18n import Note
from shequ.jobs.inputs import Progress, no_progress
from shequ.profile import Profile, load_profile
from shequ.rejects import Rejects

log = logging.getLogger(__name__)

ANALYSES = ("access", "site", "grids", "hotspots")
BATCH_FILE = "batch.json"
AREA_FILE = "area.json"
EXTRACT = "extract.osm.pbf"
HALO_FACTOR = 2.0  # walks up to twice the longest threshold are exact
CELL_MARGIN_M = 1_000.0  # an H3 cell's centre outside its area, at least (res 8: 0.5 km edge)
CELL_REACH = 1.25  # a cell's centre to its farthest point, in average edge lengths (with room)
DEFAULT_TILE_NODES = 40_000  # street nodes per automatic tile (a 街道 or two; ~1 GB per worker)

#: the result layers merged into GeoParquet, per analysis (the network layers stay per area)
MERGED_LAYERS = {
    "access": ("homes", "facilities", "isochrones"),
    "site": ("proposed_sites", "service_areas", "candidates"),
    "grids": ("grids", "homes"),
    "hotspots": ("cells",),
}

#: each analysis' summary file and the columns its region row sums (shares are recomputed)
SUMMARY_FILES = {
    "access": "summary.csv",
    "site": "site_summary.csv",
    "grids": "plan_summary.csv",
    "hotspots": "summary.csv",
}


@dataclass(frozen=True)
class BatchOptions:
    """Every flag of ``shequ batch``; a job never changes them.

    Parameters
    ----------
    osm : Path
        The regional OSM file.
    out : Path
        The batch folder.
    analyses : tuple of str
        Which of ``access``, ``site``, ``grids``, ``hotspots`` to run in every area.
    areas : Path, optional
        Area polygons (街道 or districts); default: tiles of at most ``tile_nodes`` street nodes.
    id_column : str, optional
        The areas' id column; default ``code``, else ``name``, else the row number.
    tile_nodes : int
        Street nodes per automatic tile.
    halo_m : float, optional
        The walking halo around each area; default: twice the longest walk threshold of the
        profile at the fastest walker, plus the profile's access distance.
    profile, crs, homes
        As for the single commands (``homes`` is read whole by every area and cut to it).
    kind, p, cover_all
        ``site``: the kind sited and the model (``p`` new sites, or cover every home).
    grid_time_limit_s : float
        ``grids``: the search's time limit per area.
    incidents : Path, optional
        ``hotspots``: the incident file; it is split by area once, here.
    incidents_crs : str, optional
        Its coordinates when they differ from ``crs`` (hotline exports are often GCJ-02 while
        area polygons are CGCS2000); default ``crs``.
    res : int, optional
        ``hotspots``: the H3 resolution of every area; default: chosen once on all the
        incidents inside the areas (as ``shequ hotspots`` chooses it for one area).
    workers : int
        Worker processes of the local cluster.
    scheduler : str, optional
        An existing Dask scheduler's address instead of a local cluster.
    retries : int
        How often a task that raised is run again.
    with_map, lang
        As for the single commands.
    """

    osm: Path
    out: Path
    analyses: tuple[str, ...] = ("access",)
    areas: Path | None = None
    id_column: str | None = None
    tile_nodes: int = DEFAULT_TILE_NODES
    halo_m: float | None = None
    profile: Path | None = None
    crs: str | None = None
    homes: Path | None = None
    res: int | None = None
    kind: str = "canteen"
    p: int | None = None
    cover_all: bool = False
    grid_time_limit_s: float = 60.0
    incidents: Path | None = None
    incidents_crs: str | None = None
    workers: int = 2
    scheduler: str | None = None
    retries: int = 2
    with_map: bool = True
    lang: str = "en"


@dataclass(frozen=True)
class AreaTask:
    """What one Dask task needs (picklable: paths and options, never loaded data)."""

    key: str
    label: str
    folder: Path
    opts: BatchOptions
    incidents: Path | None
    fingerprint: str
    halo_m: float  # the batch's halo (batch.json), so a task need not read it back
    res: int | None = None  # the batch's H3 resolution for hotspots


@dataclass
class BatchResult:
    """What a batch did."""

    out: Path
    areas: list[dict]  # one record per area (area.json), in area order
    halo_m: float
    skipped: int = 0  # finished in an earlier run
    summaries: dict[str, Path] = field(default_factory=dict)

    @property
    def failed(self) -> list[dict]:
        return [a for a in self.areas if a["status"] != "done"]


def default_halo_m(
    profile: Profile, analyses: tuple[str, ...] = ("access",), res: int | None = None
) -> float:
    """Twice the longest walk any kind or tier is audited at, at the fastest walker, plus the
    distance a home may be from its street: every walk a threshold looks at, with room. With
    ``hotspots``, at least the distance factors' cap (``risk.distance_cap_m``) plus the cells'
    margin at resolution ``res`` (:func:`cell_margin_m`: a cell's centre may lie outside the
    area), so a cell's distance to the nearest fire station is measured as in the region."""
    minutes = max([k.max_walk_min for k in profile.kinds.values()] + list(profile.tiers_min))
    walk = HALO_FACTOR * minutes * 60.0 * max(profile.speeds.values()) + profile.max_access_m
    if "hotspots" in analyses:
        return max(walk, profile.risk.distance_cap_m + cell_margin_m(res))
    return walk


def cell_margin_m(res: int | None) -> float:
    """How far an H3 cell holding a point of an area may reach outside it: its centre to its
    farthest corner, :data:`CELL_REACH` average edge lengths (H3's cells vary in size), and
    never below :data:`CELL_MARGIN_M`: resolution 7 (sparse incidents) about 1.8 km, 6 about
    4.7 km."""
    if res is None:
        return CELL_MARGIN_M
    import h3

    return max(CELL_MARGIN_M, CELL_REACH * h3.average_hexagon_edge_length(res, unit="m"))


def run_batch(opts: BatchOptions, progress: Progress = no_progress) -> BatchResult:
    """Cut, run and merge every area; see the module's docstring.

    Raises
    ------
    InputError
        Unusable options, region, areas or incidents (before any area runs), or a batch
        folder holding another batch's results.
    """
    _check_options(opts)
    check_osm_path(Path(opts.osm))
    profile = load_profile(opts.profile)
    halo = float(opts.halo_m) if opts.halo_m is not None else default_halo_m(profile, opts.analyses)
    out = Path(opts.out)
    rejects = Rejects()
    if opts.areas is not None:
        areas = read_areas(Path(opts.areas), opts.id_column, opts.crs, rejects, halo)
    else:
        areas = tile_areas(street_node_lonlat(Path(opts.osm)), opts.tile_nodes, halo)
    incidents, res = None, None
    if "hotspots" in opts.analyses:
        incidents = _assign_incidents(opts, areas, rejects)
        res = _batch_resolution(opts, incidents)
        grown = default_halo_m(profile, opts.analyses, res)  # never below the first
        if opts.halo_m is None and grown > halo:
            halo = grown
            areas = [replace(a, box=halo_box(a.polygon, halo)) for a in areas]
    fingerprint = _fingerprint(opts, halo)
    _claim_folder(out, fingerprint, opts, halo, len(areas))
    records: dict[str, dict] = {}
    todo = []
    for area in areas:
        done = _finished(out / "areas" / area.key, fingerprint)
        if done is not None:
            records[area.key] = done
        else:
            todo.append(area)
    skipped = len(areas) - len(todo)
    split = _write_incidents(incidents, areas, todo, out) if incidents is not None else {}
    _cut_extracts(opts, todo, out)
    tasks = [
        AreaTask(
            a.key, a.label, out / "areas" / a.key, opts, split.get(a.key), fingerprint, halo, res
        )
        for a in todo
    ]
    records.update(_run_tasks(tasks, opts, progress))
    ordered = [records[a.key] for a in areas]
    result = BatchResult(out, ordered, halo, skipped)
    _write_region(result, areas, rejects, opts)
    return result


def _check_options(opts: BatchOptions) -> None:
    unknown = [a for a in opts.analyses if a not in ANALYSES]
    if unknown or not opts.analyses:
        raise InputError(Note("e.batch_analyses", names=", ".join(unknown) or "-"))
    if "hotspots" in opts.analyses and opts.incidents is None:
        raise InputError(Note("e.batch_no_incidents"))
    if opts.workers < 1 or opts.retries < 0:
        raise InputError(Note("e.batch_workers", workers=opts.workers, retries=opts.retries))


def _fingerprint(opts: BatchOptions, halo: float) -> str:
    """What makes two batches the same: every option that changes an area's results, and the
    size and modification time of every input file (hashing a province's PBF would take
    minutes)."""
    fields = asdict(opts)
    for name in ("out", "workers", "scheduler", "retries"):
        fields.pop(name)
    for name in ("osm", "areas", "profile", "homes", "incidents"):
        path = fields[name]
        if path is not None:
            fields[name] = [_file_stamp(p) for p in _with_sidecars(Path(path))]
    fields["halo_m"] = halo
    fields["shequ_version"] = __version__
    text = json.dumps(fields, sort_keys=True, default=str)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:16]


SIDECARS = (".dbf", ".shx", ".prj", ".cpg")  # a shapefile's attributes, index, CRS, encoding


def _with_sidecars(path: Path) -> list[Path]:
    """The file and, for a shapefile, the files beside it that hold its attributes and CRS
    (editing the .dbf changes the areas' ids without touching the .shp)."""
    if path.suffix.lower() != ".shp":
        return [path]
    return [path, *(p for s in SIDECARS if (p := path.with_suffix(s)).is_file())]


def _file_stamp(path: Path) -> list:
    stat = path.stat()
    return [str(path.resolve()), stat.st_size, stat.st_mtime_ns]


def _claim_folder(out: Path, fingerprint: str, opts: BatchOptions, halo: float, n: int) -> None:
    """Start or resume the batch folder: a folder of another batch (other parameters) or of
    anything else is refused, since its results would mix with this one's."""
    meta = out / BATCH_FILE
    if out.exists() and not out.is_dir():
        raise InputError(Note("e.batch_out_not_folder"), path=out)
    if meta.is_file():
        old = json.loads(meta.read_text(encoding="utf-8"))
        if old.get("fingerprint") != fingerprint:
            raise InputError(Note("e.batch_other_batch"), path=out)
    elif out.is_dir() and any(p.name not in (".DS_Store", "Thumbs.db") for p in out.iterdir()):
        raise InputError(Note("e.batch_out_not_empty"), path=out)
    out.mkdir(parents=True, exist_ok=True)
    record = {
        "command": "batch",
        "shequ_version": __version__,
        "fingerprint": fingerprint,
        "options": json.loads(json.dumps(asdict(opts), default=str)),
        "halo_m": halo,
        "halo_note": str(Note("n.batch_halo", halo=halo)),
        "areas": n,
    }
    write_text(meta, json.dumps(record, ensure_ascii=False, indent=1))


def _finished(folder: Path, fingerprint: str) -> dict | None:
    """The area's record when an earlier run of this batch finished it."""
    path = folder / AREA_FILE
    if not path.is_file():
        return None
    try:
        record = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    if record.get("fingerprint") == fingerprint and record.get("status") == "done":
        return record
    return None


def _cut_extracts(opts: BatchOptions, areas: list[BatchArea], out: Path) -> None:
    """Each area's polygon and extract, cut in one pass over the region."""
    if not areas:
        return
    for area in areas:
        folder = out / "areas" / area.key
        folder.mkdir(parents=True, exist_ok=True)
        frame = gpd.GeoDataFrame({"id": [area.label]}, geometry=[area.polygon], crs=4326)
        with atomic_path(folder / "area.geojson") as tmp:
            frame.to_file(tmp, driver="GeoJSON")
    clip_osm(
        Path(opts.osm),
        {a.key: a.box for a in areas},
        {a.key: out / "areas" / a.key / EXTRACT for a in areas},
    )


def _assign_incidents(
    opts: BatchOptions, areas: list[BatchArea], rejects: Rejects
) -> tuple[pd.DataFrame, np.ndarray]:
    """Read the incidents once and give each an area: the first area covering a point takes it,
    so none is counted twice. Unreadable rows and rows outside every area go to the batch's
    ``rejects.csv``. Returns the table (WGS-84 ``lon``/``lat``, ``time`` and ``type`` as read,
    the source ``row``) and each row's area (its index in ``areas``, -1 outside)."""
    inc = read_incidents(Path(opts.incidents), rejects, crs=opts.incidents_crs or opts.crs)
    frame = inc.frame
    xy = np.column_stack([frame.geometry.x, frame.geometry.y])
    owner = np.full(len(frame), -1, dtype=np.int64)
    points = shapely.points(xy)
    for i, area in enumerate(areas):
        free = owner < 0
        shapely.prepare(area.polygon)  # millions of points against one polygon
        inside = shapely.covers(area.polygon, points[free])
        owner[np.flatnonzero(free)[inside]] = i
    for row in frame["row"].to_numpy()[owner < 0]:
        rejects.add(str(opts.incidents), "incidents", int(row), None, Note("r.batch_outside"))
    table = pd.DataFrame(
        {"row": frame["row"].to_numpy(), "lon": np.round(xy[:, 0], 7), "lat": np.round(xy[:, 1], 7)}
    )
    if inc.time_column is not None:  # a file without times stays without (no trends)
        table["time"] = frame["time"].dt.strftime("%Y-%m-%d %H:%M:%S").to_numpy()
    if inc.type_column is not None:
        table["type"] = frame["type"].to_numpy()
    return table, owner


def _batch_resolution(opts: BatchOptions, incidents: tuple[pd.DataFrame, np.ndarray]) -> int | None:
    """The H3 resolution of every area's hotspots: ``--res``, else the automatic choice on all
    the incidents inside the areas (one cell size for the merged layer and for the halo; each
    area choosing its own drew cells of several sizes side by side). None without incidents
    (every area then says it has too few)."""
    if opts.res is not None:
        try:
            return check_resolution(opts.res)
        except ValueError as exc:
            raise InputError(exc.args[0]) from None
    table, owner = incidents
    inside = table[owner >= 0]
    if inside.empty:
        return None
    return auto_resolution(inside["lon"].to_numpy(), inside["lat"].to_numpy())[0]


def _write_incidents(
    incidents: tuple[pd.DataFrame, np.ndarray],
    areas: list[BatchArea],
    todo: list[BatchArea],
    out: Path,
) -> dict[str, Path]:
    """Each area still to run gets its incidents' file, ``areas/<key>/incidents.csv``."""
    table, owner = incidents
    wanted = {a.key for a in todo}
    paths = {}
    for i, area in enumerate(areas):
        if area.key not in wanted:
            continue
        path = out / "areas" / area.key / "incidents.csv"
        path.parent.mkdir(parents=True, exist_ok=True)
        write_csv(path, table[owner == i])
        paths[area.key] = path
    return paths


def _run_tasks(
    tasks: list[AreaTask],
    opts: BatchOptions,
    progress: Progress,
) -> dict[str, dict]:
    """Run the tasks on Dask; a task that still raises after its retries becomes a failed
    record with the error's first line."""
    if not tasks:
        return {}
    from dask.distributed import Client, LocalCluster, as_completed

    advance = progress("progress.batch", len(tasks))
    records: dict[str, dict] = {}
    if opts.scheduler:
        client = Client(opts.scheduler)
        cluster = None
    else:
        quiet = logging.INFO if log.isEnabledFor(logging.INFO) else logging.ERROR
        logging.getLogger("distributed").setLevel(quiet)  # its INFO lines would bury the bar
        cluster = LocalCluster(
            n_workers=opts.workers,
            threads_per_worker=1,
            processes=True,
            dashboard_address=None,
            silence_logs=quiet,
        )
        client = Client(cluster)
    try:
        futures = {
            client.submit(run_area, task, key=_task_key(task), retries=opts.retries): task
            for task in tasks
        }
        for future in as_completed(futures):
            task = futures[future]
            try:
                records[task.key] = future.result()
            except Exception as exc:  # the task's own error, after its retries
                record = _record(task, "failed", {}, error=_first_line(exc))
                _write_record(task, record)
                records[task.key] = record
            advance(1)
    finally:
        client.close()
        if cluster is not None:
            cluster.close()
    return records


def _task_key(task: AreaTask) -> str:
    """A Dask key of this run's task: a shared scheduler keeps a key's result while any client
    holds it, so two batches (or a re-run) naming their areas alike must not share keys."""
    return f"shequ-area-{task.fingerprint}-{task.key}-{uuid.uuid4().hex[:12]}"


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()
    return f"{type(exc).__name__}: {text[0] if text else ''}"


def run_area(task: AreaTask) -> dict:
    """One area's analyses (in a Dask worker): each written whole to ``<area>/<analysis>``,
    its result layers to ``merged/``, then ``area.json``. An unusable input fails the analysis
    with its message in the batch's language; other errors propagate (Dask retries them)."""
    opts = task.opts
    runs: dict[str, dict] = {}
    for name in opts.analyses:
        start = time.perf_counter()
        try:
            note = _RUNNERS[name](task, no_progress)
            _merge_layers(task, name)
            runs[name] = {"status": "done", "seconds": round(time.perf_counter() - start, 2)}
            if note is not None:  # a caveat of this area's results, in areas.csv
                runs[name]["note"] = note.render(opts.lang)
        except NothingHere as why:
            runs[name] = {"status": "skipped", "seconds": 0.0, "reason": why.one_line(opts.lang)}
        except InputError as exc:
            runs[name] = {
                "status": "failed",
                "seconds": round(time.perf_counter() - start, 2),
                "error": exc.one_line(opts.lang),
            }
    failed = [n for n, r in runs.items() if r["status"] == "failed"]
    record = _record(task, "failed" if failed else "done", runs)
    _write_record(task, record)
    return record


class NothingHere(InputError):
    """An analysis with nothing to work on in this area (no incident in a 街道 of a province):
    a finding about the area, not a failure of the batch; ``areas.csv`` gives the reason."""


def _record(task: AreaTask, status: str, runs: dict, error: str | None = None) -> dict:
    return {
        "key": task.key,
        "id": task.label,
        "status": status,
        "analyses": runs,
        "error": error or "; ".join(f"{n}: {r['error']}" for n, r in runs.items() if "error" in r),
        "fingerprint": task.fingerprint,
    }


def _write_record(task: AreaTask, record: dict) -> None:
    write_text(task.folder / AREA_FILE, json.dumps(record, ensure_ascii=False, indent=1))


def _area_inputs(task: AreaTask) -> dict:
    opts = task.opts
    return {
        "osm": task.folder / EXTRACT,
        "area": task.folder / "area.geojson",
        "profile": opts.profile,
        "crs": opts.crs,
        "homes": opts.homes,
    }


def _run_access(task: AreaTask, progress) -> None:
    from shequ.jobs.access import AccessOptions, compute_access, write_access_outputs

    result = compute_access(AccessOptions(**_area_inputs(task)), progress)
    beyond_halo(result, task.halo_m)
    write_access_outputs(
        result, task.folder / "access", lang=task.opts.lang, with_map=task.opts.with_map
    )


def beyond_halo(result, halo_m: float) -> None:
    """Walks longer than the halo are not measured in an area's extract (they may leave it):
    such a home gets no walk time and the reason "no <kind> within <halo> m" instead of a
    too-long time or "no route"; the summary's ``unreachable_homes`` counts them. Homes with no
    street within reach keep their own reason. Coverage is untouched: every threshold is
    within the halo."""
    homes = result.homes
    for kind_id, acc in result.access.items():
        column = f"walk_min_{kind_id}"
        if column not in homes:
            continue
        metres = acc.walk_min * 60.0 * acc.speed_mps
        no_street = np.array(
            [getattr(r, "key", None) == "unreachable.no_street" for r in acc.reason], dtype=bool
        )
        cut = ~no_street & ~(metres <= halo_m)
        if not cut.any():
            continue
        reason = Note("unreachable.beyond_halo", kind=kind_name(acc.kind), halo=halo_m)
        acc.walk_min[cut] = np.nan
        acc.nearest_facility[cut] = -1
        acc.reason[cut] = reason
        homes.loc[cut, column] = np.nan
        homes.loc[cut, f"nearest_{kind_id}"] = -1
        homes.loc[cut, f"unreachable_{kind_id}"] = reason
        rows = result.summary["kind"] == kind_id
        result.summary.loc[rows, "unreachable_homes"] = int(np.isnan(acc.walk_min).sum())


def _run_site(task: AreaTask, progress) -> None:
    from shequ.jobs.siting import SiteOptions, compute_siting, write_siting_outputs

    opts = task.opts
    site = SiteOptions(
        **_area_inputs(task),
        kind=opts.kind,
        p=opts.p,
        cover_all=opts.cover_all,
        model="lscp" if opts.cover_all else "mclp",
    )
    result = compute_siting(site, progress)
    write_siting_outputs(result, task.folder / "site", lang=opts.lang, with_map=opts.with_map)


def _run_grids(task: AreaTask, progress) -> None:
    from shequ.jobs.grids import GridOptions, compute_grids, write_grid_outputs

    opts = task.opts
    grid = GridOptions(**_area_inputs(task), time_limit_s=opts.grid_time_limit_s)
    result = compute_grids(grid, progress)
    write_grid_outputs(result, task.folder / "grids", lang=opts.lang, with_map=opts.with_map)


def _run_hotspots(task: AreaTask, progress) -> None:
    from shequ.jobs.hotspots import HotspotOptions, compute_hotspots, write_hotspot_outputs

    opts = task.opts
    if task.incidents is None:
        raise InputError(Note("e.batch_no_incidents"))
    least = load_profile(opts.profile).risk.min_incidents
    rows = len(pd.read_csv(task.incidents, usecols=["row"]))
    if rows < least:
        raise NothingHere(Note("batch.few_incidents", n=rows, least=least))
    hot = HotspotOptions(
        incidents=task.incidents,
        osm=task.folder / EXTRACT,
        area=task.folder / "area.geojson",
        profile=opts.profile,
        crs="wgs84",
        res=task.res,
        reach_m=task.halo_m - cell_margin_m(task.res),  # a cell's centre may lie outside the area
    )
    result = compute_hotspots(hot, progress)
    write_hotspot_outputs(result, task.folder / "hotspots", lang=opts.lang, with_map=opts.with_map)
    return _coarse_cells(task, result.cells, result.summary)


def _coarse_cells(task: AreaTask, cells: gpd.GeoDataFrame, summary: pd.DataFrame) -> Note | None:
    """Cells are measured from their centres, which lie up to a cell's radius outside the area:
    within :data:`CELL_MARGIN_M` the halo holds every feature a capped distance needs. Coarse
    cells (resolution 7 and below, chosen for sparse incidents) can reach farther: said, with
    how far, rather than left unnoticed."""
    if cells is None or len(cells) == 0:
        return None
    area = gpd.read_file(task.folder / "area.geojson").to_crs(4326).geometry.union_all()
    crs = metric_crs(*area.bounds)
    centres = gpd.GeoSeries(cells.geometry.values, crs=cells.crs).to_crs(crs).centroid
    shape = gpd.GeoSeries([area], crs=4326).to_crs(crs).iat[0]
    far = float(shapely.distance(shape, centres.values).max())
    margin = task.halo_m - load_profile(task.opts.profile).risk.distance_cap_m
    if far <= margin:
        return None
    res = int(summary["resolution"].iat[0]) if "resolution" in summary else -1
    return Note("batch.coarse_cells", res=res, far=round(far), margin=round(margin))


_RUNNERS = {
    "access": _run_access,
    "site": _run_site,
    "grids": _run_grids,
    "hotspots": _run_hotspots,
}


def _merge_layers(task: AreaTask, name: str) -> None:
    """The area's result layers as GeoParquet partitions (WGS-84, the area's id verbatim)."""
    gpkg = task.folder / name / "shequ.gpkg"
    present = set(pyogrio.list_layers(gpkg)[:, 0]) if gpkg.is_file() else set()
    root = task.folder.parent.parent / "merged" / name
    for layer in MERGED_LAYERS[name]:
        if layer not in present:
            continue
        frame = gpd.read_file(gpkg, layer=layer)
        frame = frame.to_crs(4326) if frame.crs is not None else frame
        frame.insert(0, "area_id", task.label)
        frame = arrow_friendly(frame)
        path = root / layer / f"area_key={task.key}" / "part.parquet"
        path.parent.mkdir(parents=True, exist_ok=True)
        with atomic_path(path) as tmp:
            frame.to_parquet(tmp, index=False)


def unify_merged(root: Path) -> None:
    """Give every partition of a merged layer the same columns: an area without a kind's
    facilities (or a factor's features) writes no column for it, and a reader taking the
    first partition's schema would drop that column from every area. A partition missing
    columns is rewritten with them empty (typed as in the others); the others stay as they
    are."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    if not root.is_dir():
        return
    for layer in sorted({p.parent.parent for p in root.glob("*/*/area_key=*/part.parquet")}):
        parts = sorted(layer.glob("area_key=*/part.parquet"))
        schemas = [pq.read_schema(p) for p in parts]
        names = [f.name for f in schemas[0]]
        for schema in schemas[1:]:
            names += [f.name for f in schema if f.name not in names]
        if all(len(schema.names) == len(names) for schema in schemas):
            continue
        types = {}
        for schema in schemas:
            for f in schema:
                if f.name not in types or pa.types.is_null(types[f.name]):
                    types[f.name] = f.type
        for path, schema in zip(parts, schemas, strict=True):
            if len(schema.names) == len(names):
                continue
            table = pq.read_table(path)
            for name in names:
                if name not in table.column_names:
                    table = table.append_column(
                        pa.field(name, types[name]), pa.nulls(table.num_rows, types[name])
                    )
            table = table.select(names).replace_schema_metadata(schema.metadata)
            with atomic_path(path) as tmp:
                pq.write_table(table, tmp)


def arrow_friendly(frame: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """Columns typed the same in every area's partition, so the merged dataset reads as one
    table: an area where a text column is all empty would otherwise write Arrow's ``null``
    type, and one with a missing flag an ``object`` column, which other areas' ``string`` or
    ``bool`` cannot be cast to. Text becomes ``string``, flags ``boolean``, whole numbers
    ``Int64`` (pandas' nullable types, written with nulls)."""
    out = frame.copy()
    for column in out.columns:
        if column == out.geometry.name:
            continue
        values = out[column]
        if values.dtype == bool:
            out[column] = values.astype("boolean")
        elif pd.api.types.is_integer_dtype(values.dtype):
            out[column] = values.astype("Int64")
        elif values.dtype == object:
            present = values.dropna()
            if len(present) and present.map(lambda v: isinstance(v, bool | np.bool_)).all():
                out[column] = values.astype("boolean")
            else:
                out[column] = values.map(lambda v: None if v is None else str(v)).astype("string")
    return out


def _write_region(
    result: BatchResult, areas: list[BatchArea], rejects: Rejects, opts: BatchOptions
) -> None:
    """``areas.gpkg``/``areas.csv``, the summaries per analysis and ``rejects.csv``."""
    out = result.out
    rows = []
    for area, record in zip(areas, result.areas, strict=True):
        row = {"area_key": area.key, "area_id": area.label, "status": record["status"]}
        for name in opts.analyses:
            run = record.get("analyses", {}).get(name, {})
            row[f"{name}_status"] = run.get("status", "failed")
            row[f"{name}_seconds"] = run.get("seconds")
            if run.get("reason"):
                row[f"{name}_reason"] = run["reason"]
            if run.get("note"):
                row[f"{name}_note"] = run["note"]
        row["error"] = record.get("error") or None
        rows.append(row)
    table = pd.DataFrame(rows)
    write_csv(out / "areas.csv", table)
    frame = gpd.GeoDataFrame(table, geometry=[a.polygon for a in areas], crs=4326)
    write_gpkg(out / "areas.gpkg", {"areas": frame})
    unify_merged(out / "merged")
    for name in opts.analyses:
        done = [
            a
            for a, r in zip(areas, result.areas, strict=True)
            if r.get("analyses", {}).get(name, {}).get("status") == "done"
        ]
        summary = region_summary(out, done, name)
        if summary is not None:
            path = out / f"{name}_summary.csv"
            write_csv(path, summary)
            result.summaries[name] = path
    write_csv(out / "rejects.csv", rejects.frame())


def region_summary(out: Path, areas: list[BatchArea], name: str) -> pd.DataFrame | None:
    """The summary rows of ``areas`` (``scope`` = ``area``; the caller passes those whose
    analysis finished: a failed one may have left an earlier run's files) and the region's
    (``scope`` = ``region``): counts summed over the areas, shares recomputed from the sums
    (never averaged), and no share where the sums hold nothing to measure.

    Only counts of things each belonging to one area are summed (homes, households, demand,
    incidents, grids). Facilities, candidate sites and H3 cells near an edge lie in the halo
    of the next area too and are counted by both; their region cells are left empty, not
    overstated (``merged/`` holds each area's layers, with such duplicates)."""
    parts = []
    for area in areas:
        path = out / "areas" / area.key / name / SUMMARY_FILES[name]
        if path.is_file():
            frame = pd.read_csv(path, encoding="utf-8-sig")
            frame.insert(0, "area_id", area.label)
            frame.insert(0, "area_key", area.key)
            parts.append(frame)
    if not parts:
        return None
    frame = pd.concat(parts, ignore_index=True)
    frame.insert(0, "scope", "area")
    region = _region_rows(frame, name)
    return pd.concat([frame, region], ignore_index=True)


_KEYS = {
    "access": ["kind", "kind_zh", "kind_en", "tier_min", "is_threshold", "walker", "speed_mps",
               "distance_m"],
    "site": ["model", "kind", "threshold_min", "walker", "speed_mps"],
    "grids": ["tolerance", "target"],
    "hotspots": [],
}  # fmt: skip
_SUMS = {
    "access": ["blind_spot_homes", "unreachable_homes"],
    "site": ["p", "homes", "demand_total", "covered_before", "covered_after", "demand_served",
             "demand_fully_served", "homes_with_demand", "homes_fully_served",
             "homes_partly_served", "places_total", "places_filled", "homes_unserved",
             "cost_of_new_sites"],
    "grids": ["grids", "households", "out_of_tolerance", "atoms", "oversized_atoms", "homes",
              "households_moved"],
    "hotspots": ["incidents"],
}  # fmt: skip
_SHARES = {
    "site": {
        "covered_share_before": ("covered_before", "demand_total"),
        "covered_share_after": ("covered_after", "demand_total"),
        "demand_served_share": ("demand_served", "demand_total"),
        "places_filled_share": ("places_filled", "places_total"),
    },
}


def _none_within_halo(frame: pd.DataFrame, keys: list[str]) -> None:
    """An area whose extract holds no facility of a kind that other areas' extracts hold has
    measured 0 % (no home within the halo, wider than any threshold), not "no data": its rows
    say ``none_within_halo`` and get their shares back. A kind no extract holds stays
    "no data" in every area."""
    ok = frame["data_status"].eq("ok").groupby([frame[k] for k in keys], sort=False)
    somewhere = ok.transform("any")
    rows = somewhere & frame["data_status"].eq("no_facilities")
    frame.loc[rows, "data_status"] = "none_within_halo"
    for column in frame.columns:
        if column.endswith("_covered"):
            stem = column[: -len("_covered")]
            total = frame[f"{stem}_total"].astype(float)
            measured = rows & (total > 0)
            frame.loc[measured, f"{stem}_share"] = frame.loc[measured, column] / total[measured]


def _region_rows(frame: pd.DataFrame, name: str) -> pd.DataFrame:
    keys = [k for k in _KEYS[name] if k in frame.columns]
    sums = [c for c in _SUMS[name] if c in frame.columns]
    shares = dict(_SHARES.get(name, {}))
    if name == "access":
        for column in frame.columns:
            if column.endswith("_covered"):
                stem = column[: -len("_covered")]
                sums += [column, f"{stem}_total"]
                shares[f"{stem}_share"] = (column, f"{stem}_total")
    numeric = frame[sums].apply(pd.to_numeric, errors="coerce")
    grouped = numeric.groupby([frame[k] for k in keys], sort=False, dropna=False) if keys else None
    region = (
        grouped.sum(min_count=1).reset_index()
        if grouped is not None
        else numeric.sum(min_count=1).to_frame().T
    )
    for share, (num, den) in shares.items():
        if num in region and den in region:
            total = region[den].astype(float)
            region[share] = np.where(total > 0, region[num] / total.where(total > 0), np.nan)
    if name == "access" and "data_status" in frame.columns:
        _none_within_halo(frame, keys)
        # a kind with data in one area has data in the region; else the areas' own word
        status = frame.groupby([frame[k] for k in keys], sort=False, dropna=False)["data_status"]
        has_data = status.agg(lambda s: s.eq("ok").any()).to_numpy()
        first = status.agg(lambda s: s.mode().iat[0]).to_numpy()
        region["data_status"] = np.where(has_data, "ok", first)
        for share in shares:
            region.loc[~has_data, share] = np.nan
    region.insert(0, "scope", "region")
    return region[[c for c in frame.columns if c in region.columns]]


__all__ = [
    "ANALYSES",
    "AreaTask",
    "BatchOptions",
    "BatchResult",
    "default_halo_m",
    "region_summary",
    "run_area",
    "run_batch",
]
