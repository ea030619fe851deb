"""Write results atomically: a reader never sees a half-written GeoPackage, CSV or map.

Each file is written to a temporary name in the destination folder and moved into place with
``os.replace`` (atomic on one filesystem), so an interrupted run leaves the previous outputs intact.
A write that fails (disk full, no permission, read-only disk …) ends as one :class:`OutputError`
naming the file. Whole output folders (``--out``) are written with
:func:`shequ.geo.output_folder.output_folder`, which uses these helpers inside a staging folder.
"""

from __future__ import annotations

import contextlib
import errno
import os
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path

import geopandas as gpd
import pandas as pd
from pyogrio.errors import DataSourceError, FeatureError

from shequ.errors import InputError
from shequ.i18n import Note, os_note

# What a failed write raises: the OS, and GDAL through pyogrio (a full disk shows up as "Failed
# to commit transaction" or "database or disk is full", with no errno).
WRITE_ERRORS = (OSError, DataSourceError, FeatureError)

# Below this much free space a GDAL error without an errno is taken to be a full disk.
_NEARLY_FULL_BYTES = 1 << 20


class OutputError(InputError, OSError):
    """An output file could not be written: names the file and says why.

    An :class:`~shequ.errors.InputError`, so the CLI prints one line and exits with status 2
    (the user can act: free some space, choose another folder), and an :class:`OSError`, so
    callers that catch ``OSError`` around a write keep working. ``errno`` is set when known.
    """


def write_error(path: str | Path, exc: BaseException) -> OutputError:
    """The :class:`OutputError` for ``exc`` raised while writing ``path``.

    Parameters
    ----------
    path
        The file (or folder) being written, as it should be shown to the user.
    exc
        An ``OSError`` or a pyogrio error.

    Returns
    -------
    OutputError
        E.g. ``out/shequ.gpkg: no space left on device``; the problem is a
        :class:`~shequ.i18n.Note` (an errno's catalogue entry, see
        :func:`shequ.i18n.os_note`), so the CLI says it in the user's language.
    """
    path = Path(path)
    code = getattr(exc, "errno", None)
    text = str(exc)
    if code is None and _says_disk_full(text):
        code = errno.ENOSPC
        why = Note("e.disk_full_detail", detail=text)  # the library's own words, as evidence
    elif code is None and _disk_nearly_full(path.parent):
        code = errno.ENOSPC  # GDAL often says something else ("no such table …")
        why = os_note(code)
    elif isinstance(code, int) and code > 0:
        why = os_note(code)
    elif text:
        why = Note("e.write_failed", detail=text)
    else:
        why = Note("e.write_failed_kind", kind=type(exc).__name__)
    error = OutputError(why, path=path)
    error.errno = code
    return error


def _says_disk_full(text: str) -> bool:
    lowered = text.lower()
    return "no space left" in lowered or "disk is full" in lowered or "disk full" in lowered


def _disk_nearly_full(folder: Path) -> bool:
    try:
        return shutil.disk_usage(folder).free < _NEARLY_FULL_BYTES
    except OSError:
        return False


@contextlib.contextmanager
def atomic_path(path: str | Path, *, mode: int | None = None) -> Iterator[Path]:
    """Yield a temporary path beside ``path``; on success move it over ``path``.

    The writer creates the file at the yielded path (GDAL wants to create it itself). On
    success the file is flushed to disk (``fsync``), given the mode of the file it replaces
    (else ``mode``, when given; else the mode it was created with) and moved over ``path`` with
    ``os.replace``. On any error, Ctrl-C included, the temporary file is removed and ``path`` is
    left as it was; a failed write (``OSError``, pyogrio's errors) is raised as one
    :class:`OutputError` naming ``path``.
    """
    path = Path(path)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=path.suffix, dir=path.parent)
    except OSError as exc:
        raise write_error(path, exc) from exc
    os.close(fd)
    os.unlink(tmp)
    tmp_path = Path(tmp)
    try:
        yield tmp_path
        _settle(tmp_path, path, mode)
        os.replace(tmp_path, path)
    except OutputError:
        raise
    except WRITE_ERRORS as exc:
        raise write_error(path, exc) from exc
    finally:
        tmp_path.unlink(missing_ok=True)


def _settle(tmp: Path, path: Path, mode: int | None) -> None:
    """Flush ``tmp`` to disk and give it the mode of ``path`` (or ``mode``)."""
    with contextlib.suppress(FileNotFoundError):
        mode = path.stat().st_mode & 0o777
    if mode is not None:
        os.chmod(tmp, mode)
    fd = os.open(tmp, os.O_RDWR)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def write_gpkg(path: str | Path, layers: dict[str, gpd.GeoDataFrame]) -> Path:
    """All layers into one GeoPackage, replaced atomically."""
    with atomic_path(path) as tmp:
        for name, frame in layers.items():
            frame.to_file(tmp, layer=name, driver="GPKG", engine="pyogrio")
    return Path(path)


def write_csv(path: str | Path, frame: pd.DataFrame) -> Path:
    """CSV in UTF-8 with a BOM, so Excel on Chinese Windows opens the Chinese text correctly."""
    with atomic_path(path) as tmp:
        frame.to_csv(tmp, index=False, encoding="utf-8-sig")
    return Path(path)


def write_text(path: str | Path, text: str) -> Path:
    with atomic_path(path) as tmp:
        tmp.write_text(text, encoding="utf-8")
    return Path(path)


def plain_layer(frame: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """GeoPackage columns must be plain: drop helper objects, stringify object columns."""
    out = frame.drop(columns=[c for c in ("tags", "footprint") if c in frame.columns])
    for col in out.columns:
        if col != out.geometry.name and out[col].dtype == object:
            out[col] = out[col].map(lambda v: None if v is None else str(v))
    return out
