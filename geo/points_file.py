"""Read a user's point or polygon layer (homes, facilities) and bring it to WGS-84.

Formats: GeoJSON, GeoPackage, Shapefile (through pyogrio) and CSV with lon/lat columns. The
coordinate system comes from the file when it has one, else from ``--crs`` (GCJ-02 and BD-09
files from Amap or Baidu are often labelled WGS-84, so an explicit ``--crs gcj02|bd09`` wins over
a plain EPSG:4326 label). Headers are matched through :mod:`shequ.geo.column_names` (``经度``,
``户数`` …) and renamed to the canonical names the readers use.

What a planner's files do to a reader, and what happens here:

- a workbook renamed ``.csv``, binary data, a file in neither UTF-8 nor GBK/GB18030: one
  :class:`InputError` saying what the file looks like and how to save it;
- a row with more fields than the header (an unquoted comma in a name), an empty row, missing
  or non-numeric coordinates, coordinates out of range: that row goes to the rejects list with
  its reason and the others are kept, so rows in = rows kept + rows rejected;
- a problem with the whole file (no coordinate columns, lat/lon swapped, coordinates in metres
  read as degrees, no row left): one :class:`InputError` naming the file.

Text tables (CSV/TSV) are read by :func:`shequ.geo.csv_table.read_table` (file type, encoding,
header, separator, ragged rows, chunked parsing); vector files here, through pyogrio. Both give
a :class:`~shequ.geo.csv_table.Table` of raw coordinates, row numbers and row reasons, which
:func:`read_points_file` checks (degrees or metres, swapped lat/lon, range) and brings to WGS-84.
"""

from __future__ import annotations

import logging
import re
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pyogrio
import pyproj
import shapely

from shequ.errors import InputError
from shequ.geo.column_names import LAYER_COLUMNS, canonical_names
from shequ.geo.coords import normalise_crs_name, to_wgs84
from shequ.geo.csv_table import (
    CHUNK_ROWS,
    CSV_SUFFIXES,
    SPARE_FIELDS,
    Table,
    describe_columns,
    read_table,
)
from shequ.rejects import Rejects

__all__ = [
    "CHUNK_ROWS",
    "CSV_SUFFIXES",
    "GEOGRAPHIC_NAMES",
    "SPARE_FIELDS",
    "VECTOR_SUFFIXES",
    "PointLayer",
    "check_degrees",
    "choose_crs",
    "describe_columns",
    "is_geographic",
    "no_usable_rows",
    "read_points_file",
    "read_vector",
    "vector_fields",
]

log = logging.getLogger(__name__)

VECTOR_SUFFIXES = (".geojson", ".json", ".gpkg", ".shp", ".fgb", ".parquet")
GEOGRAPHIC_NAMES = ("wgs84", "cgcs2000", "gcj02", "bd09")

#: coordinates larger than this cannot be degrees, even mistyped: the file is in metres
_METRES_ABOVE = 1000.0

_VALUE = re.compile(r"'[^']*'|\"[^\"]*\"|[-+]?\d[\d.,]*(?:e[-+]?\d+)?|\d")


@dataclass
class PointLayer:
    """A user layer in WGS-84 with the 1-based row number of every kept record.

    ``frame`` holds the columns the layer's reader uses under their canonical names (see
    :data:`shequ.geo.column_names.LAYER_COLUMNS`), plus ``row`` and the geometry (EPSG:4326);
    ``crs_used`` is the system the file was read in (``wgs84``, ``cgcs2000``, ``gcj02``,
    ``bd09`` or ``EPSG:n``: :func:`shequ.geo.checks.point_checks` tests the other systems
    against the streets); ``columns`` is the file's own header, ``renamed`` maps a file
    header to its canonical name.
    """

    frame: gpd.GeoDataFrame
    source: str
    crs_used: str
    columns: list[str] = field(default_factory=list)
    renamed: dict[str, str] = field(default_factory=dict)


# ------------------------------------------------------------------------------------------
# Messages shared by the readers
# ------------------------------------------------------------------------------------------


def _reason_kind(reason: str) -> str:
    """A reason with its values blanked, to count rows rejected for the same problem."""
    return _VALUE.sub("…", reason)


def no_usable_rows(
    source: str | Path, reasons: Sequence[str], columns: Sequence[object], hint: str = ""
) -> InputError:
    """The error for a file none of whose rows could be used: the most common reason (with an
    example), how many rows had it, and the columns the file has."""
    kinds = Counter(_reason_kind(r) for r in reasons)
    kind, count = kinds.most_common(1)[0]
    example = next(r for r in reasons if _reason_kind(r) == kind)
    share = "all" if count == len(reasons) else f"{count} of the {len(reasons)}"
    message = (
        f"no row could be used ({share} rejected for: {example}"
        + (f"; {hint}" if hint else "")
        + f"); columns found: {describe_columns(columns)}"
    )
    return InputError(message, path=source)


# ------------------------------------------------------------------------------------------
# Vector files
# ------------------------------------------------------------------------------------------

_VECTOR_ERRORS = (
    pyogrio.errors.DataSourceError,
    pyogrio.errors.DataLayerError,
    pyogrio.errors.FieldError,
    pyogrio.errors.FeatureError,
    pyogrio.errors.GeometryError,
    pyogrio.errors.CRSError,
    ValueError,
    UnicodeDecodeError,
    ImportError,
    shapely.errors.GEOSException,
)


def read_vector(
    path: Path, columns: Sequence[str] | None = None
) -> tuple[pd.DataFrame, gpd.GeoSeries, str | None]:
    """Attributes (only ``columns`` when given), geometry and CRS (``EPSG:n`` when it has
    one, else its text) of a vector file; an unreadable file is an :class:`InputError`."""
    try:
        if path.suffix.lower() == ".parquet":
            gdf = gpd.read_parquet(path)
        else:
            gdf = gpd.read_file(path, columns=list(columns) if columns is not None else None)
    except _VECTOR_ERRORS as exc:
        text = str(exc).strip().splitlines()
        raise InputError(
            f"cannot read the layer ({text[0] if text else type(exc).__name__})", path=path
        ) from exc
    if not isinstance(gdf, gpd.GeoDataFrame) or gdf.geometry.name not in gdf.columns:
        raise InputError("the file has no geometry column", path=path)
    crs = None
    if gdf.crs is not None:
        code = gdf.crs.to_epsg(min_confidence=70)
        crs = f"EPSG:{code}" if code else gdf.crs.to_string()
    attrs = pd.DataFrame(gdf.drop(columns=gdf.geometry.name))
    return attrs, gdf.geometry, crs


def vector_fields(path: Path) -> list[str] | None:
    """The attribute names of a vector file (None when they cannot be listed cheaply)."""
    if path.suffix.lower() == ".parquet":
        return None
    try:
        return [str(f) for f in pyogrio.read_info(path)["fields"]]
    except _VECTOR_ERRORS as exc:
        text = str(exc).strip().splitlines()
        raise InputError(
            f"cannot read the layer ({text[0] if text else type(exc).__name__})", path=path
        ) from exc


def _read_points_vector(path: Path, wanted: Sequence[str], extra: Sequence[str]) -> Table:
    fields = vector_fields(path)
    keep = None
    if fields is not None:
        renamed = canonical_names(fields, wanted)
        keep = [c for c in fields if c in renamed or c in extra]
    attrs, geometry, file_crs = read_vector(path, keep)
    columns = fields if fields is not None else list(attrs.columns)
    if keep is None:
        renamed = canonical_names(columns, wanted)
        attrs = attrs[[c for c in columns if c in renamed or c in extra]]
    n = len(attrs)
    geoms = geometry.to_numpy()
    x = np.full(n, np.nan)
    y = np.full(n, np.nan)
    why = np.full(n, None, dtype=object)
    missing = shapely.is_missing(geoms) | shapely.is_empty(geoms)
    bounds = shapely.bounds(geoms)
    finite = ~missing & np.isfinite(bounds).all(axis=1)
    if finite.any():
        pts = shapely.get_coordinates(shapely.point_on_surface(geoms[finite]))
        x[finite], y[finite] = pts[:, 0], pts[:, 1]
    why[missing] = "no geometry (empty or missing)"
    why[~missing & ~finite] = "the geometry has non-numeric (NaN/infinite) coordinates"
    return Table(
        attrs.rename(columns=renamed).reset_index(drop=True),
        x,
        y,
        np.arange(1, n + 1, dtype=np.int64),
        why,
        [],
        columns,
        renamed,
        file_crs,
        geometry.reset_index(drop=True),
    )


# ------------------------------------------------------------------------------------------
# Coordinate checks and the public reader
# ------------------------------------------------------------------------------------------


def is_geographic(crs_used: str) -> bool:
    """True for lon/lat systems (the named Chinese ones, or a geographic EPSG code)."""
    if crs_used in GEOGRAPHIC_NAMES:
        return True
    return bool(pyproj.CRS.from_user_input(crs_used).is_geographic)


def _range_text(v: np.ndarray) -> str:
    def num(a: float) -> str:
        return f"{a:.0f}" if abs(a) >= 1e5 else f"{a:.6g}"

    return f"{num(np.nanmin(v))} to {num(np.nanmax(v))}"


def check_degrees(
    path: Path, x: np.ndarray, y: np.ndarray, crs_used: str, file_crs: str | None
) -> np.ndarray:
    """For a lon/lat CRS: fail when most coordinates are metres (a projected file without its
    ``.prj``, or with a wrong one); returns which rows look like metres."""
    metres = (np.abs(x) > _METRES_ABOVE) | (np.abs(y) > _METRES_ABOVE)
    if len(x) and metres.mean() > 0.5:
        seen = f"x {_range_text(x[metres])}, y {_range_text(y[metres])}"
        if file_crs is not None:
            why = (
                f"the file's coordinate system {file_crs} is in degrees but its coordinates "
                f"look like metres ({seen}): fix the file's CRS (.prj)"
            )
        else:
            why = (
                f"coordinates are not degrees ({seen}: metres?) and the file has no CRS; "
                "give --crs EPSG:n (e.g. EPSG:4547 for CGCS2000 Gauss-Krüger 114°E, "
                "EPSG:32650 for UTM 50N)"
            )
        raise InputError(why, path=path)
    return metres


def _check_not_degrees(path: Path, x: np.ndarray, y: np.ndarray, crs_used: str) -> None:
    """For a projected CRS: fail when every coordinate is a plausible lon/lat."""
    if len(x) and ((np.abs(x) <= 180) & (np.abs(y) <= 90)).all():
        raise InputError(
            f"coordinates look like degrees (lon {_range_text(x)}, lat {_range_text(y)}) but "
            f"{crs_used} is a projected CRS in metres: give --crs wgs84 (or the right CRS)",
            path=path,
        )


def read_points_file(
    path: str | Path,
    crs: str | None,
    rejects: Rejects,
    *,
    layer: str,
    extra_columns: Sequence[str] = (),
) -> PointLayer:
    """Read a homes/facilities/candidates/incidents file into WGS-84.

    Parameters
    ----------
    path : the file (.csv/.txt/.tsv with lon/lat columns, or a vector format)
    crs : ``--crs`` (used when the file has none; gcj02/bd09 also override a WGS-84 label)
    rejects : unusable rows are added here with their reason
    layer : the input kind; its columns (:data:`~shequ.geo.column_names.LAYER_COLUMNS`) are
        kept under their canonical names
    extra_columns : more file columns to keep as they are (e.g. ``--time-col``)

    Returns
    -------
    PointLayer with at least one row; a file with none usable is an :class:`InputError`.
    """
    path = Path(path)
    if not path.exists():
        raise InputError("file not found", path=path)
    if not path.is_file():
        raise InputError("not a file", path=path)
    if path.stat().st_size == 0:
        raise InputError("the file is empty", path=path)
    stated = normalise_crs_name(crs) if crs else None
    suffix = path.suffix.lower()
    wanted = LAYER_COLUMNS.get(layer, ())
    if suffix in CSV_SUFFIXES:
        table = read_table(path, wanted, extra_columns)
    elif suffix in VECTOR_SUFFIXES:
        table = _read_points_vector(path, wanted, extra_columns)
    else:
        raise InputError(
            "unsupported file type: use .csv (lon/lat columns), .geojson, .gpkg or .shp", path=path
        )
    total = len(table.attrs) + len(table.lost)
    if total == 0:
        raise InputError(
            f"the file has no rows; columns found: {describe_columns(table.columns)}", path=path
        )
    crs_used = choose_crs(stated, table.file_crs, path)
    x, y, why = table.x, table.y, table.why
    ok = pd.isna(why)
    if is_geographic(crs_used):
        metres = check_degrees(path, x[ok], y[ok], crs_used, table.file_crs)
        _check_swapped(path, x[ok], y[ok])
        idx = np.flatnonzero(ok)
        for i in idx[metres]:
            why[i] = f"coordinates ({x[i]:.10g}, {y[i]:.10g}) look like metres, not degrees"
        out = ok & ((np.abs(y) > 90) | (np.abs(x) > 180)) & pd.isna(why)
        for i in np.flatnonzero(out):
            why[i] = f"coordinates ({x[i]:.10g}, {y[i]:.10g}) out of range (lat/lon swapped?)"
    else:
        _check_not_degrees(path, x[ok], y[ok], crs_used)
    ok = pd.isna(why)
    lon = np.full(len(x), np.nan)
    lat = np.full(len(x), np.nan)
    lon[ok], lat[ok] = to_wgs84(x[ok], y[ok], crs_used)
    bad_conv = ok & ~(np.isfinite(lon) & np.isfinite(lat) & (np.abs(lat) <= 90))
    for i in np.flatnonzero(bad_conv):
        why[i] = f"coordinates ({x[i]:.10g}, {y[i]:.10g}) cannot be converted from {crs_used}"
    ok &= ~bad_conv
    reasons = [(row, text) for row, text in table.lost]
    reasons += [(int(table.rows[i]), str(why[i])) for i in np.flatnonzero(~ok)]
    for row, text in sorted(reasons):
        rejects.add(str(path), layer, row, None, text)
    if not ok.any():
        # For every input kind read here (homes, facilities, candidates, incidents) a file with
        # no usable row is an error, not an empty layer: the user named the file to be used,
        # and a run without it would report 0 % coverage, no facility or no hotspot as if it
        # were a finding. (Rows dropped later for reasons of the area, e.g. no street within
        # reach, are results, and the run goes on.)
        raise no_usable_rows(path, [t for _, t in reasons], table.columns)
    kept = table.attrs.loc[ok].reset_index(drop=True) if not ok.all() else table.attrs
    kept["row"] = table.rows[ok]
    frame = gpd.GeoDataFrame(
        kept, geometry=shapely.points(lon[ok], lat[ok]), crs="EPSG:4326", copy=False
    )
    geometry = table.geometry
    if geometry is not None and table.file_crs is not None and crs_used not in ("gcj02", "bd09"):
        footprints = gpd.GeoSeries(geometry.to_numpy()[ok], crs=geometry.crs).to_crs("EPSG:4326")
        polygonal = footprints.geom_type.isin(["Polygon", "MultiPolygon"]).to_numpy()
        if polygonal.any():
            frame["footprint"] = footprints.where(polygonal, None).to_numpy()
    log.info("%s: %d rows read, %d rejected", path.name, total, len(reasons))
    return PointLayer(frame, str(path), crs_used, list(table.columns), dict(table.renamed))


def choose_crs(stated: str | None, file_crs: str | None, path: str | Path | None = None) -> str:
    """The CRS to read a file in: its own, else ``--crs``, else WGS-84 (see the module doc)."""
    if file_crs is None:
        return stated or "wgs84"
    file_name = normalise_crs_name(file_crs) if file_crs.upper().startswith("EPSG:") else None
    if stated in ("gcj02", "bd09") and file_name in ("wgs84", "EPSG:4326", None):
        return stated  # Chinese web-map coordinates labelled as WGS-84
    if file_name is None:
        if stated is not None:
            return stated  # the user says what the file's unnamed CRS is
        raise InputError(
            f"the file's coordinate system {file_crs[:80]!r} has no EPSG code; pass --crs",
            path=path,
        )
    return file_name


def _check_swapped(path: Path, lon: np.ndarray, lat: np.ndarray) -> None:
    """Fail fast when most rows have latitude and longitude exchanged."""
    if len(lon) == 0:
        return
    impossible = np.abs(lat) > 90
    looks_swapped = impossible & (np.abs(lon) <= 90)
    if looks_swapped.mean() > 0.5:
        raise InputError(
            f"latitude and longitude look swapped ({int(looks_swapped.sum())} of {len(lon)} rows "
            "have |lat| > 90 but a valid latitude in the longitude column); swap the columns",
            path=path,
        )
