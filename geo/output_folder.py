"""One output folder (``--out``), written whole or not at all.

A command's outputs (``shequ.gpkg``, the CSVs, ``run.json``, ``map.html``) belong together: a
map of one run beside the GeoPackage of another is wrong without looking wrong. So every writer
works inside :func:`output_folder`::

    with output_folder(out_dir, "access") as staging:
        write_gpkg(staging / "shequ.gpkg", layers)
        ...

It locks the folder against a second shequ run, has the writer fill a hidden staging folder
beside it, and on success swaps the staging folder in whole: ``out_dir`` then holds this run's
files and nothing else (stale files of another command are gone). On any error, Ctrl-C or
SIGTERM (the CLI turns it into ``SystemExit``), the staging folder is removed and ``out_dir``
is left as it was. A folder holding files shequ did not write is never replaced: ``run.json``
records the command and the files of each output folder, and anything else in the folder
(a sub-folder included) stops the run; a file browser's ``.DS_Store`` or ``Thumbs.db`` does not.
The CLI takes the lock for the whole run with :func:`reserve_output_folder`, so a second run
on the same folder stops at its start; :func:`output_folder` reuses a lock this process holds.
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import secrets
import shutil
import signal
import threading
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import Any, Protocol

import geopandas as gpd
import pandas as pd

from shequ import __version__
from shequ.errors import InputError
from shequ.geo.outputs import OutputError, write_csv, write_error, write_gpkg, write_text
from shequ.i18n import Note

try:
    import fcntl
except ImportError:  # Windows
    fcntl = None  # type: ignore[assignment]
    import msvcrt

log = logging.getLogger(__name__)

RUN_FILE = "run.json"
LOCK_SUFFIX = ".shequ.lock"
STAGING_TAG = ".shequ-new-"
ASIDE_TAG = ".shequ-old-"

# What shequ wrote before run.json listed its files: such folders may be replaced too.
LEGACY_OUTPUTS = frozenset(
    {
        "shequ.gpkg",
        "summary.csv",
        "compounds.csv",
        "rejects.csv",
        "site_summary.csv",
        "site_curve.csv",
        "grid_summary.csv",
        "plan_summary.csv",
        RUN_FILE,
        "map.html",
    }
)
# Files a file browser leaves in any folder it shows: not the user's data, replaced freely.
OS_CLUTTER = frozenset({".DS_Store", "Thumbs.db", "desktop.ini"})
# Files SQLite leaves beside a GeoPackage that QGIS (or another reader) has open.
_SQLITE_SIDE_FILES = ("-wal", "-shm", "-journal")


@contextlib.contextmanager
def output_folder(out_dir: str | Path, command: str) -> Iterator[Path]:
    """Write a command's outputs into ``out_dir`` as one whole: all of them, or none.

    Parameters
    ----------
    out_dir
        The output folder. It may be absent, empty, or hold earlier shequ outputs (of any
        command); a file, or a folder holding other files, is refused.
    command
        The command writing the folder (``"access"``, ``"site"``, ``"grids"``, ``"hotspots"``);
        recorded in ``run.json``.

    Yields
    ------
    Path
        A hidden staging folder beside ``out_dir`` (same filesystem): write every output in it.
        On success ``run.json`` in it gets ``"command"`` and ``"files"`` (created if the writer
        wrote none), files replacing older ones keep their modes, and it becomes ``out_dir``;
        the previous folder is removed.

    Raises
    ------
    InputError
        Another shequ run is writing to ``out_dir`` (its pid is named when known); ``out_dir``
        is a file, the current folder or a mount point, or holds files shequ did not write.
    OutputError
        A write failed (disk full, no permission …): names the file as it would be in
        ``out_dir``. An ``InputError`` and an ``OSError``.
    """
    shown = Path(out_dir)
    target = _target(shown)
    with _folder_lock(target, shown):
        _clear_leftovers(target)
        previous = _check_replaceable(target, shown)
        staging = _new_staging(target)
        try:
            yield staging
            _write_run_file(staging, command)
            if previous and previous != command:
                log.info("replacing the outputs of `shequ %s` in %s", previous, shown)
            _swap_in(staging, target, shown)
        except BaseException as exc:
            with _signals_held():
                shutil.rmtree(staging, ignore_errors=True)
            relocated = _relocated(exc, staging, shown)
            if relocated is None:
                raise
            raise relocated from exc


class JobResult(Protocol):
    """What every command's result carries that :func:`write_outputs` writes the same way."""

    notes: Sequence[str]
    warnings: Sequence[Any]
    rejects: pd.DataFrame


def write_outputs(
    out_dir: str | Path,
    command: str,
    result: JobResult,
    *,
    layers: dict[str, gpd.GeoDataFrame],
    tables: dict[str, tuple[str, pd.DataFrame]],
    run: dict,
    page: Callable[[Path], Path] | None = None,
) -> dict[str, Path]:
    """Write one command's outputs into ``out_dir``, whole or not at all: the one writer.

    Parameters
    ----------
    out_dir, command
        As for :func:`output_folder`.
    result
        The command's result: its ``rejects`` become ``rejects.csv``; ``run.json`` keeps its
        ``notes`` (English text, and the catalogue keys of :class:`shequ.i18n.Note` in
        ``note_keys``; "" for plain text) and its input ``warnings`` (``key`` and params);
        its ``study_area``, when it has one, becomes run.json's ``study_area`` and the
        ``study_area`` layer; its ``completeness`` run.json's ``completeness``; its
        ``input_files`` (path, role, coordinate system and why) go
        to run.json's ``input_files``; its ``basemap`` gives run.json's ``osm`` (the extract's
        path and ``snapshot``: when its data was taken). ``shequ_version`` is always recorded.
    layers
        GeoPackage layers of ``shequ.gpkg`` (already plain: see ``outputs.plain_layer``).
    tables
        CSV files: key → (file name, table), written in UTF-8 with a BOM.
    run
        What ``run.json`` records (``command`` and ``files`` are added).
    page
        Writes the map to the path it is given and returns it (None: no map).

    Returns
    -------
    dict
        ``gpkg``, each table's key, ``run`` and ``map`` → the path in ``out_dir``.
    """
    out = Path(out_dir)
    study = getattr(result, "study_area", None)  # the run's one study area, when it has one
    if study is not None:
        layers = {**layers, "study_area": study.layer()}
        run = {**run, "study_area": study.to_json()}
    completeness = getattr(result, "completeness", None)  # where the data behind it is thin
    if completeness is not None:
        run = {**run, "completeness": completeness.to_json()}
    files = getattr(result, "input_files", None)  # user files and the CRS each was read in
    if files:
        run = {**run, "input_files": files}
    basemap = getattr(result, "basemap", None)  # drawn from the OSM extract the run read
    if basemap is not None and basemap.source:
        run = {**run, "osm": {"path": basemap.source, "snapshot": basemap.snapshot}}
    run = {"shequ_version": __version__, **run}
    with output_folder(out, command) as staging:
        paths = {"gpkg": write_gpkg(staging / "shequ.gpkg", layers)}
        for key, (name, table) in {**tables, "rejects": ("rejects.csv", result.rejects)}.items():
            paths[key] = write_csv(staging / name, table)
        notes = result.notes
        run = {
            **run,
            "notes": [str(note) for note in notes],
            "note_keys": [getattr(note, "key", "") for note in notes],
            "warnings": [{"key": w.key, **w.params} for w in result.warnings],
        }
        text = json.dumps(run, ensure_ascii=False, indent=2)
        paths["run"] = write_text(staging / RUN_FILE, text)
        if page is not None:
            paths["map"] = page(staging / "map.html")
    return {key: out / path.name for key, path in paths.items()}


@contextlib.contextmanager
def reserve_output_folder(out_dir: str | Path, *, replaced: bool = True) -> Iterator[None]:
    """Lock ``out_dir`` for a whole run and refuse it at once if it cannot be replaced.

    The CLI holds this around the computing, so a second run on the same folder stops at the
    start, not after minutes of work, and a folder of the user's own files is refused before
    any work. :func:`output_folder` inside the run reuses the lock. ``replaced=False``: the
    run does not replace the folder but resumes it and checks it itself (``shequ batch``,
    whose folder is its own ``batch.json``'s); only the lock is taken.
    """
    shown = Path(out_dir)
    target = _target(shown)
    with _folder_lock(target, shown, reserve=True):
        if replaced:
            _check_replaceable(target, shown)
        yield


# --- where, and may we ---------------------------------------------------------------------


def _target(shown: Path) -> Path:
    """The real folder to replace (symlinks followed), its parent created; or why not."""
    if shown.exists() and not shown.is_dir():
        raise InputError(Note("e.out_is_a_file"), path=shown)
    target = shown.resolve()
    try:
        here = Path.cwd().resolve()
    except OSError:  # the current folder was removed
        here = None
    if target == here:
        raise InputError(Note("e.out_is_current"), path=shown)
    if target.parent == target or os.path.ismount(target):
        raise InputError(Note("e.out_is_mount"), path=shown)
    if target.parent.exists() and not target.parent.is_dir():
        raise InputError(Note("e.out_parent_is_a_file"), path=target.parent)
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise write_error(target.parent, exc) from exc
    return target


def _check_replaceable(target: Path, shown: Path) -> str | None:
    """Refuse a folder holding files shequ did not write; the command that wrote it, if any."""
    if not target.exists():
        return None
    try:
        entries = sorted(name for name in os.listdir(target) if name not in OS_CLUTTER)
    except OSError as exc:
        raise write_error(shown, exc) from exc
    if not entries:
        return None
    run = _read_run_file(target / RUN_FILE)
    listed = _listed_files(run)
    if listed is None:
        raise InputError(Note("e.out_not_shequ"), path=shown)
    foreign = [
        name
        for name in entries
        if not (
            f"{name}/" in listed  # a folder of shequ outputs the run listed (the demo's)
            if (target / name).is_dir()
            else _is_listed(name, listed)
        )
    ]
    for name in entries:  # a listed folder is replaceable only if it holds only shequ's files
        if (target / name).is_dir() and f"{name}/" in listed:
            _check_replaceable(target / name, shown / name)
    if foreign:
        names = ", ".join(foreign[:3])
        if len(foreign) > 3:
            msg = Note("e.out_foreign_more", names=names, more=len(foreign) - 3)
        else:
            msg = Note("e.out_foreign", names=names)
        raise InputError(msg, path=shown)
    command = run.get("command") if run else None
    return command if isinstance(command, str) else None


def _read_run_file(path: Path) -> dict | None:
    try:
        run = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return run if isinstance(run, dict) else None


def _listed_files(run: dict | None) -> frozenset[str] | None:
    """The files a shequ ``run.json`` says its folder holds (None: not a shequ folder)."""
    if run is None:
        return None
    files = run.get("files")
    if isinstance(run.get("command"), str) and isinstance(files, list):
        return frozenset(str(name) for name in files) | {RUN_FILE}
    if "notes" in run and "profile" in run:  # written before run.json listed its files
        return LEGACY_OUTPUTS
    return None


def _is_listed(name: str, listed: frozenset[str]) -> bool:
    if name in listed:
        return True
    return any(name.endswith(side) and name[: -len(side)] in listed for side in _SQLITE_SIDE_FILES)


# --- the lock --------------------------------------------------------------------------------

# Folders locked for a whole run by reserve_output_folder: flock conflicts between two
# descriptors even in one process, so output_folder reuses that lock when the run writes.
_RESERVED: set[Path] = set()


@contextlib.contextmanager
def _folder_lock(target: Path, shown: Path, *, reserve: bool = False) -> Iterator[None]:
    """Hold an exclusive lock on ``<parent>/.<name>.shequ.lock``; removed when released.

    The lock file sits beside the folder because the folder itself is replaced. A run that
    opened the file just before its holder removed it finds it is no longer the file at that
    path and opens the new one, so removing it is safe.
    """
    if target in _RESERVED and not reserve:  # held for this whole run: reserve_output_folder
        yield
        return
    lock = target.parent / f".{target.name}{LOCK_SUFFIX}"
    while True:
        try:
            fd = os.open(lock, os.O_RDWR | os.O_CREAT | getattr(os, "O_CLOEXEC", 0), 0o644)
        except OSError as exc:
            raise write_error(target.parent, exc) from exc
        if not _try_lock(fd):
            pid = _read_pid(fd)
            os.close(fd)
            msg = Note("e.out_locked_pid", pid=pid) if pid else Note("e.out_locked")
            raise InputError(msg, path=shown)
        if _is_file_at(fd, lock):
            break
        os.close(fd)
    try:
        os.ftruncate(fd, 0)
        os.write(fd, f"{os.getpid()}\n".encode())
        if reserve:
            _RESERVED.add(target)
        yield
    finally:
        if reserve:
            _RESERVED.discard(target)
        if fcntl is not None:
            lock.unlink(missing_ok=True)  # while still locked: see the docstring
            os.close(fd)
        else:  # Windows: an open file cannot be removed
            os.close(fd)
            with contextlib.suppress(OSError):
                lock.unlink()


def _try_lock(fd: int) -> bool:
    try:
        if fcntl is not None:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        else:
            msvcrt.locking(fd, msvcrt.LK_NBLCK, 1)
    except (BlockingIOError, PermissionError):
        return False
    return True


def _read_pid(fd: int) -> int | None:
    try:
        text = os.pread(fd, 32, 0).decode("ascii", "replace").strip()
    except (OSError, AttributeError):
        return None
    return int(text) if text.isdigit() else None


def _is_file_at(fd: int, path: Path) -> bool:
    try:
        here, there = os.fstat(fd), os.stat(path)
    except FileNotFoundError:
        return False
    return (here.st_dev, here.st_ino) == (there.st_dev, there.st_ino)


# --- staging and the swap ------------------------------------------------------------------


def _hidden_name(target: Path, tag: str) -> Path:
    return target.parent / f".{target.name}{tag}{secrets.token_hex(4)}"


def _clear_leftovers(target: Path) -> None:
    """Tidy after a run that was killed outright (SIGKILL, power cut); called under the lock.

    Staging folders are removed; if the run died between moving the old folder aside and
    moving the new one in, the old one is put back.
    """
    try:
        names = os.listdir(target.parent)
    except OSError:
        return
    staged = [target.parent / n for n in names if n.startswith(f".{target.name}{STAGING_TAG}")]
    aside = [target.parent / n for n in names if n.startswith(f".{target.name}{ASIDE_TAG}")]
    aside.sort(key=lambda p: p.stat().st_mtime)
    if aside and not target.exists():
        os.rename(aside.pop(), target)
    for path in staged + aside:
        shutil.rmtree(path, ignore_errors=True)


def _new_staging(target: Path) -> Path:
    staging = _hidden_name(target, STAGING_TAG)
    try:
        staging.mkdir()  # mode from the umask, as a folder made by the user's own mkdir
    except OSError as exc:
        raise write_error(target.parent, exc) from exc
    return staging


def _write_run_file(staging: Path, command: str) -> None:
    """Record in ``run.json`` which command wrote the folder and which files it holds."""
    path = staging / RUN_FILE
    run = _read_run_file(path) if path.exists() else {}
    if run is None:
        msg = f"{path.name} is not a JSON object"
        raise ValueError(msg)
    names = set(os.listdir(staging)) | {RUN_FILE}
    # a folder of shequ outputs inside (the demo's access/, grids/ …) is listed as "name/"
    files = sorted(f"{n}/" if (staging / n / RUN_FILE).is_file() else n for n in names)
    run = {"command": command, **{k: v for k, v in run.items() if k not in ("command", "files")}}
    run["files"] = files
    write_text(path, json.dumps(run, ensure_ascii=False, indent=2))


def _swap_in(staging: Path, target: Path, shown: Path) -> None:
    """Move the staging folder to ``target``; the previous folder is moved aside, then removed."""
    with _signals_held():
        try:
            if not target.exists():
                os.rename(staging, target)
                return
            _keep_modes(target, staging)
            aside = _hidden_name(target, ASIDE_TAG)
            os.rename(target, aside)
            try:
                os.rename(staging, target)
            except BaseException:
                os.rename(aside, target)
                raise
            shutil.rmtree(aside, ignore_errors=True)
        except OSError as exc:
            raise write_error(shown, exc) from exc


def _keep_modes(old: Path, new: Path) -> None:
    """The new folder and its files keep the modes of those they replace (e.g. a web share)."""
    with contextlib.suppress(OSError):
        os.chmod(new, old.stat().st_mode & 0o777)
    for name in os.listdir(new):
        with contextlib.suppress(OSError):
            mode = (old / name).stat().st_mode & 0o777
            os.chmod(new / name, mode)


@contextlib.contextmanager
def _signals_held() -> Iterator[None]:
    """Hold Ctrl-C and SIGTERM for a few renames, then deliver them: never half a swap."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    caught: list[int] = []

    def hold(signum: int, _frame: object) -> None:
        caught.append(signum)

    held = (signal.SIGINT, signal.SIGTERM)
    previous = {signum: signal.getsignal(signum) for signum in held}
    for signum in held:
        signal.signal(signum, hold)
    try:
        yield
    finally:
        for signum, handler in previous.items():
            signal.signal(signum, signal.SIG_DFL if handler is None else handler)
        if caught:
            signal.raise_signal(caught[0])


def _relocated(exc: BaseException, staging: Path, shown: Path) -> OutputError | None:
    """A write error naming a file in the staging folder, renamed to name it in ``out_dir``."""
    if isinstance(exc, InputError):
        where = exc.path
    elif isinstance(exc, OSError):
        where = exc.filename
    else:
        return None
    if not isinstance(where, str | os.PathLike):
        return None
    try:
        inside = Path(where).relative_to(staging)
    except ValueError:
        return None
    if isinstance(exc, OutputError):
        error = OutputError(exc.message, path=shown / inside)
        error.errno = exc.errno
        return error
    if isinstance(exc, InputError):
        return None
    return write_error(shown / inside, exc)
