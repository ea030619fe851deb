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
import numpy as np
import pandas as pd
import shapely
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


PARQUET_MIN_ROWS = 50_000
"""Layers with at least this many rows are also written as GeoParquet beside the GeoPackage."""


def write_gpkg(
    path: str | Path,
    layers: dict[str, gpd.GeoDataFrame],
    *,
    parquet_min_rows: int | None = PARQUET_MIN_ROWS,
) -> Path:
    """All layers into one GeoPackage, replaced atomically; large ones also as GeoParquet.

    A district's layers (70k homes, millions of incidents) are slow to open from a GeoPackage
    in pandas, DuckDB or Dask, and a GeoPackage cannot be read by column or by row group. So
    every layer of at least ``parquet_min_rows`` rows is also written beside it as
    ``<layer>.parquet`` (:func:`write_geoparquet`); small runs write the GeoPackage alone.

    Parameters
    ----------
    path : str or Path
        The GeoPackage.
    layers : dict
        Layer name → GeoDataFrame (already plain: :func:`plain_layer`).
    parquet_min_rows : int or None
        Rows from which a layer is also written as GeoParquet; None: never.

    Returns
    -------
    Path
        The GeoPackage.
    """
    path = Path(path)
    with atomic_path(path) as tmp:
        for name, frame in layers.items():
            frame.to_file(tmp, layer=name, driver="GPKG", engine="pyogrio")
    if parquet_min_rows is not None:
        for name, frame in layers.items():
            if len(frame) >= parquet_min_rows:
                write_geoparquet(path.with_name(f"{name}.parquet"), frame)
    return path


def write_geoparquet(path: str | Path, frame: gpd.GeoDataFrame) -> Path:
    """One layer as GeoParquet (geometry as WKB, CRS in the metadata), replaced atomically.

    Written with pyarrow (zstd-compressed, row groups of 64k rows) and a ``bbox`` covering
    column (GeoParquet 1.1), so a reader can skip the row groups outside an area (DuckDB,
    GDAL ≥ 3.9, ``geopandas.read_parquet(bbox=...)``).

    The frame's ``attrs`` (what a run keeps beside a layer in memory, e.g. the study area's
    polygon) are not written: geopandas would put them in the file's metadata as JSON, and a
    geometry there stopped ``shequ site`` on the 337k-node mosaic.
    """
    if frame.attrs:
        frame = frame.copy(deep=False)
        frame.attrs = {}
    with atomic_path(path) as tmp:
        frame.to_parquet(
            tmp,
            index=False,
            compression="zstd",
            geometry_encoding="WKB",
            write_covering_bbox=True,
            row_group_size=65_536,  # passed on to pyarrow.parquet.write_table
        )
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


POLYGONAL = ("Polygon", "MultiPolygon")
SLIVER_SHARE = 1e-6  # a repaired polygon's parts smaller than this share of it are crossing loops


def _polygonal(geom: shapely.Geometry) -> shapely.Geometry:
    """The polygons of a repaired geometry (make_valid may add lines and points where a ring
    touched itself): one Polygon when one is left."""
    if geom is None or geom.geom_type == "Polygon":
        return geom
    parts = [p for p in shapely.get_parts(geom) if p.geom_type in POLYGONAL]
    parts = [q for p in parts for q in shapely.get_parts(p)]
    if not parts:
        return shapely.Polygon()
    total = sum(p.area for p in parts)
    parts = [p for p in parts if p.area >= SLIVER_SHARE * total] or parts
    return parts[0] if len(parts) == 1 else shapely.multipolygons(parts)


def valid_polygons(
    frame: gpd.GeoDataFrame, crs: object | None = None, *, grid_size: float | None = None
) -> gpd.GeoDataFrame:
    """``frame`` (in ``crs`` when given) with every polygon valid: repair after reprojecting.

    Polygons valid in a metric CRS can become invalid in WGS-84 — a ring that nearly touches
    itself or a neighbour's spike crosses once the coordinates are transformed, and more so once
    they are rounded (the map's 6 decimals): a reader (the grid platform, QGIS, ``--existing``)
    then rejects or "repairs" the grid. Here invalid polygons go through GEOS ``make_valid``
    keeping only their polygonal parts, so the area is kept and no line or point is added to a
    polygon layer; the tiny loops a repair cuts off a crossing (under :data:`SLIVER_SHARE` of
    the polygon's area) are dropped, so a repaired grid stays one Polygon. With ``grid_size``
    (e.g. ``1e-6`` degrees, what a reader rounds to), the polygons that plain rounding to that
    grid would make invalid are snapped with GEOS' topology-preserving precision reduction,
    which keeps valid input valid; the others are left exactly as they are.
    Rows that are not polygons are left alone.

    Parameters
    ----------
    frame : GeoDataFrame
        Any layer with a CRS when ``crs`` is given.
    crs : optional
        Target CRS (``4326`` for WGS-84); None keeps the frame's.
    grid_size : float, optional
        Snap grid in the target CRS's units.

    Returns
    -------
    GeoDataFrame
        A copy, reprojected and repaired.
    """
    out = frame.to_crs(crs) if crs is not None and frame.crs is not None else frame.copy()
    if len(out) == 0:
        return out
    geoms = np.asarray(out.geometry.array, dtype=object)
    poly = np.array([g is not None and g.geom_type in POLYGONAL for g in geoms])
    if not poly.any():
        return out
    fixed = geoms.copy()
    bad = poly & ~shapely.is_valid(geoms)
    if bad.any():
        fixed[bad] = shapely.make_valid(geoms[bad])
    fixed[poly] = [_polygonal(g) for g in fixed[poly]]  # one part: a Polygon
    if grid_size:
        # only the polygons that plain rounding to the grid would break are snapped with
        # topology kept (set_precision also reorders rings: the others stay as they are)
        idx = np.flatnonzero(poly)
        rounded = shapely.set_precision(fixed[idx], grid_size, mode="pointwise")
        idx = idx[~shapely.is_valid(rounded)]
        if len(idx):
            snapped = shapely.set_precision(fixed[idx], grid_size)
            bad = ~shapely.is_valid(snapped)
            if bad.any():
                snapped[bad] = shapely.make_valid(snapped[bad])
            fixed[idx] = [_polygonal(g) for g in snapped]
    out[out.geometry.name] = gpd.GeoSeries(fixed, index=out.index, crs=out.crs)
    return out
