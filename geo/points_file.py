"""Read a user's point or polygon layer (homes, facilities) and bring it to WGS-84.

Formats: GeoJSON, GeoPackage, Shapefile (through pyogrio) and CSV with lon/lat columns. The
coordinate system comes from the file when it has one, else from ``--crs`` (GCJ-02 and BD-09
files from Amap or Baidu are often labelled WGS-84, so an explicit ``--crs gcj02|bd09`` wins over
a plain EPSG:4326 label). Headers are matched through :mod:`shequ.geo.column_names` (``经度``,
``户数`` …) and renamed to the canonical names the readers use. An Amap or Baidu POI export is
recognised from its header and category paths (:func:`poi_source`) and, with no ``--crs`` and
no label, read in its web map's own system (GCJ-02, BD-09); :attr:`PointLayer.crs_from` and
:func:`crs_note` say which system was used and why.

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
import warnings
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
from shequ.geo.column_names import LAYER_COLUMNS, canonical_names, normalise_header
from shequ.geo.coords import normalise_crs_name, to_wgs84
from shequ.geo.csv_table import (
    CHUNK_ROWS,
    CSV_SUFFIXES,
    SPARE_FIELDS,
    Table,
    describe_columns,
    peek_table,
    read_table,
)
from shequ.i18n import Bilingual, Note
from shequ.rejects import Rejects

__all__ = [
    "CHUNK_ROWS",
    "CRS_FROM",
    "CSV_SUFFIXES",
    "GEOGRAPHIC_NAMES",
    "SPARE_FIELDS",
    "VECTOR_SUFFIXES",
    "PointLayer",
    "check_degrees",
    "choose_crs",
    "crs_note",
    "describe_columns",
    "is_geographic",
    "no_usable_rows",
    "poi_source",
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
    against the streets); ``crs_from`` says why (:data:`CRS_FROM`: ``given`` by ``--crs``,
    the ``file``'s own label, the ``amap``/``baidu`` export's own system, or the ``default``
    WGS-84); ``poi_source`` is ``amap``/``baidu`` for a recognised export (see
    :func:`poi_source`), else None; ``columns`` is the file's own header, ``renamed`` maps a
    file header to its canonical name.
    """

    frame: gpd.GeoDataFrame
    source: str
    crs_used: str
    columns: list[str] = field(default_factory=list)
    renamed: dict[str, str] = field(default_factory=dict)
    crs_from: str = "default"
    poi_source: str | None = None


# ------------------------------------------------------------------------------------------
# Messages shared by the readers
# ------------------------------------------------------------------------------------------


def _reason_kind(reason: str) -> str:
    """The kind of a reason, to count rows rejected for the same problem: a note's catalogue
    key, else the text with its values blanked."""
    key = getattr(reason, "key", None)
    return f"\x00{key}" if key else _VALUE.sub("…", reason)


def no_usable_rows(
    source: str | Path,
    reasons: Sequence[str],
    columns: Sequence[object],
    hint: Note | None = None,
) -> InputError:
    """The error for a file none of whose rows could be used.

    A user who named a file expects it to be used: the error says why its rows were not, so
    the file can be fixed in one go.

    Parameters
    ----------
    source : the file, as the user named it
    reasons : the reason of every rejected row (notes are grouped by their key, plain texts by
        their words with the values blanked)
    columns : the file's header
    hint : what would have been accepted (e.g. the known facility kinds), when it helps

    Returns
    -------
    InputError
        The most common reason (with an example), how many rows had it, and the columns the
        file has.
    """
    kinds = Counter(_reason_kind(r) for r in reasons)
    kind, count = kinds.most_common(1)[0]
    example = next(r for r in reasons if _reason_kind(r) == kind)
    share = "all" if count == len(reasons) else "some"
    params: dict[str, object] = {"example": example, "columns": describe_columns(columns)}
    if share == "some":
        params.update(count=count, total=len(reasons))
    if hint:
        return InputError(Note(f"e.no_usable_rows_{share}_hint", hint=hint, **params), path=source)
    return InputError(Note(f"e.no_usable_rows_{share}", **params), path=source)


# ------------------------------------------------------------------------------------------
# Amap (高德) and Baidu (百度) exports
# ------------------------------------------------------------------------------------------

#: why a layer is read in its coordinate system (:attr:`PointLayer.crs_from`): ``--crs`` was
#: given, the file's own label, the web map the file is an export of, or the plain default
CRS_FROM = ("given", "file", "amap", "baidu", "default")
#: the system each web map publishes its POIs in: Amap (and Tencent) GCJ-02, Baidu BD-09 (the
#: coordinates its place API returns unless asked for ``ret_coordtype=gcj02ll``)
EXPORT_CRS = {"amap": "gcj02", "baidu": "bd09"}
#: the layers whose files may be web-map exports read in the map's own system by default
EXPORT_LAYERS = frozenset({"facilities", "candidates"})
EXPORT_NAMES = {"amap": Bilingual("Amap", "高德"), "baidu": Bilingual("Baidu", "百度")}
_CRS_NAMES = {"wgs84": "WGS-84", "cgcs2000": "CGCS2000", "gcj02": "GCJ-02", "bd09": "BD-09"}
#: headers only Amap's place API results have (web service v3/v5 ``place/text`` and
#: ``place/around``: ``typecode`` 141204, ``pcode``/``citycode``, ``pname``/``cityname``/
#: ``adname`` province, city and district names, ``biz_type``, ``business_area``), compared
#: after :func:`~shequ.geo.column_names.normalise_header`. Not ``adcode``: Baidu has it too.
_AMAP_HEADERS = frozenset(
    {"typecode", "pcode", "citycode", "pname", "cityname", "adname", "biz_type",
     "business_area", "navi_poiid", "entr_location", "gridcode"}
)  # fmt: skip
#: headers only Baidu's place API results have (``place/v2/search``: ``uid``, ``street_id``,
#: ``detail_info`` flattened, ``classified_poi_tag``); not ``province``/``city``/``area``,
#: which a planner's own table may have
_BAIDU_HEADERS = frozenset(
    {"uid", "street_id", "detail_info", "detail_info.tag", "detail_info_tag",
     "classified_poi_tag", "detail_url"}
)  # fmt: skip
#: the first segment of a category path: Amap's top-level categories (its POI classification
#: table, 2021 edition) and Baidu's first-level industry tags, without the few both use
#: (生活服务, 汽车服务, 公司企业), so a path names its web map
_TOP_CATEGORIES = {
    "amap": frozenset(
        {"汽车销售", "汽车维修", "摩托车服务", "餐饮服务", "购物服务", "体育休闲服务",
         "医疗保健服务", "住宿服务", "风景名胜", "商务住宅", "政府机构及社会团体", "科教文化服务",
         "交通设施服务", "金融保险服务", "道路附属设施", "地名地址信息", "公共设施", "事件活动",
         "室内设施", "通行设施"}
    ),
    "baidu": frozenset(
        {"美食", "酒店", "购物", "丽人", "旅游景点", "休闲娱乐", "运动健身", "教育培训",
         "文化传媒", "医疗", "交通设施", "金融", "房地产", "政府机构", "出入口", "自然地物",
         "行政地标", "门址"}
    ),
}  # fmt: skip
#: the header of each web map's category path (Baidu's ``type`` is an industry word, ``cater``)
_CATEGORY_HEADERS = {
    "amap": ("type",),
    "baidu": ("tag", "detail_info.tag", "detail_info_tag"),
}


def poi_source(columns: Sequence[str], rows: Sequence[Sequence[str]] = ()) -> str | None:
    """Which web map a file is an export of: ``"amap"``, ``"baidu"`` or None.

    An export is recognised by what its author could not have chosen: headers of the web
    map's place API that no planner's table has (Amap's ``typecode``, ``pname``/``adname``;
    Baidu's ``uid``, ``street_id``), one point each, and category paths whose first segment
    is one of that map's top-level categories (``科教文化服务;学校;幼儿园`` is Amap's,
    ``教育培训;幼儿园`` Baidu's) in at least half of the sampled rows, two points. The map
    with more points wins; none, or a tie, is no export (the file keeps the plain default),
    since reading a WGS-84 table as GCJ-02 or BD-09 would move every point 0.5-1.3 km.

    Parameters
    ----------
    columns : the file's header
    rows : a sample of its data rows (e.g. from :func:`~shequ.geo.csv_table.peek_table`);
        empty: the header alone decides

    Returns
    -------
    str or None
    """
    keys = [normalise_header(c) for c in columns]
    score = {
        "amap": len(_AMAP_HEADERS.intersection(keys)),
        "baidu": len(_BAIDU_HEADERS.intersection(keys)),
    }
    for source, names in _CATEGORY_HEADERS.items():  # an API header and the category column
        if score[source] and any(k in names for k in keys):
            score[source] += 1
    category = set(_CATEGORY_HEADERS["amap"] + _CATEGORY_HEADERS["baidu"])
    where = [i for i, k in enumerate(keys) if k in category]
    tops = [
        row[i].split("|")[0].split(";")[0].strip()
        for row in rows
        for i in where
        if i < len(row) and ";" in row[i]
    ]
    if tops:
        for source, names in _TOP_CATEGORIES.items():
            if sum(t in names for t in tops) >= 0.5 * len(tops):
                score[source] += 2
    best = max(score, key=lambda k: score[k])
    # two points at least: the category paths, two API headers, or one with the map's
    # category column. One header alone (a planner's ``uid`` or ``cityname`` column) would
    # move a WGS-84 table by 0.5-1.3 km.
    if score[best] < 2 or score["amap"] == score["baidu"]:
        return None
    return best


def _category_preference(columns: Sequence[str], source: str | None) -> dict[str, str]:
    """The header to read as ``category`` for a recognised export (its own category path);
    ``""`` when the export has none."""
    if source is None:
        return {}
    by_key = {normalise_header(c): c for c in reversed(list(columns))}
    for key in _CATEGORY_HEADERS[source]:
        if key in by_key:
            return {"category": by_key[key]}
    # a Baidu export without its tag: its ``type`` is an industry word (cater, education),
    # no category path, so the export has no category to read
    return {"category": ""} if source == "baidu" else {}


def crs_note(layer: PointLayer) -> Note | None:
    """What a run should say about the system a layer was read in, or None.

    A recognised Amap or Baidu export is always named with the system it was read in and why,
    because that choice moves every point by 0.5-1.3 km and a planner must be able to see and
    undo it (an export already converted to WGS-84 needs ``--crs wgs84``). A plain table read
    in the default WGS-84, or as ``--crs`` or its own label says, needs no note.

    Parameters
    ----------
    layer : PointLayer
        As read by :func:`read_points_file`.

    Returns
    -------
    Note or None
        ``n.crs_export_default`` (read in the web map's own system), ``n.crs_export_given``
        or ``n.crs_export_file``; None for a file that is no export.
    """
    if layer.poi_source is None:
        return None
    params = {
        "file": Path(layer.source).name,
        "source": EXPORT_NAMES[layer.poi_source],
        "name": _CRS_NAMES.get(layer.crs_used, layer.crs_used),
    }
    if layer.crs_from == layer.poi_source:
        return Note("n.crs_export_default", **params)
    if layer.crs_from == "given":
        return Note("n.crs_export_given", **params)
    return Note("n.crs_export_file", **params)


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
    """Attributes, geometry and CRS of a vector file, read once for every reader.

    Parameters
    ----------
    path : Path
        A GeoJSON, GeoPackage, Shapefile, FlatGeobuf or GeoParquet file.
    columns : sequence of str, optional
        The attributes to read (all when None): a wide layer is not read whole for two columns.

    Returns
    -------
    (DataFrame, GeoSeries, str or None)
        The attributes, the geometry, and the CRS (``EPSG:n`` when it has a code, else its
        text; None when the file has none).

    Raises
    ------
    InputError
        When GDAL cannot read the file (its first line of words is shown as evidence) or the
        file has no geometry column.
    """
    try:
        if path.suffix.lower() == ".parquet":
            gdf = gpd.read_parquet(path)
        else:
            with warnings.catch_warnings():
                # a GeoPackage of several layers (e.g. a shequ.gpkg): the first layer is read,
                # as GDAL's default; pyogrio's English "more than one layer" warning would
                # reach a --lang zh terminal
                warnings.filterwarnings("ignore", message="More than one layer found")
                # GDAL's English warnings on a damaged file ("GPKG: bad application_id"): the
                # error that follows is reported in the user's language instead
                warnings.filterwarnings("ignore", category=RuntimeWarning, module="pyogrio")
                gdf = gpd.read_file(path, columns=list(columns) if columns is not None else None)
    except _VECTOR_ERRORS as exc:
        raise _unreadable_layer(path, exc) from exc
    if not isinstance(gdf, gpd.GeoDataFrame) or gdf.geometry.name not in gdf.columns:
        raise InputError(Note("e.no_geometry_column"), path=path)
    crs = None
    if gdf.crs is not None:
        code = gdf.crs.to_epsg(min_confidence=70)
        crs = f"EPSG:{code}" if code else gdf.crs.to_string()
    attrs = pd.DataFrame(gdf.drop(columns=gdf.geometry.name))
    return attrs, gdf.geometry, crs


def _unreadable_layer(path: Path, exc: BaseException) -> InputError:
    """The library's first line of words (GDAL, sqlite …) as evidence in the user's message."""
    text = str(exc).strip().splitlines()
    detail = text[0] if text else type(exc).__name__
    return InputError(Note("e.layer_unreadable", detail=detail), path=path)


def vector_fields(path: Path) -> list[str] | None:
    """The attribute names of a vector file, to read only the columns a reader needs.

    Parameters
    ----------
    path : Path
        A vector file.

    Returns
    -------
    list of str or None
        The names in file order; None for GeoParquet (not listed without reading it).

    Raises
    ------
    InputError
        When GDAL cannot open the file.
    """
    if path.suffix.lower() == ".parquet":
        return None
    try:
        return [str(f) for f in pyogrio.read_info(path)["fields"]]
    except _VECTOR_ERRORS as exc:
        raise _unreadable_layer(path, exc) from exc


def _read_points_vector(
    path: Path, wanted: Sequence[str], extra: Sequence[str], prefer: dict[str, str]
) -> Table:
    fields = vector_fields(path)
    keep = None
    if fields is not None:
        renamed = canonical_names(fields, wanted, prefer)
        keep = [c for c in fields if c in renamed or c in extra]
    attrs, geometry, file_crs = read_vector(path, keep)
    columns = fields if fields is not None else list(attrs.columns)
    if keep is None:
        renamed = canonical_names(columns, wanted, prefer)
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
    why[missing] = Note("r.no_geometry")
    why[~missing & ~finite] = Note("r.geometry_not_finite")
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


def _range_text(v: np.ndarray) -> Note:
    def num(a: float) -> str:
        return f"{a:.0f}" if abs(a) >= 1e5 else f"{a:.6g}"

    return Note("in.range", low=num(np.nanmin(v)), high=num(np.nanmax(v)))


def check_degrees(
    path: Path, x: np.ndarray, y: np.ndarray, crs_used: str, file_crs: str | None
) -> np.ndarray:
    """For a lon/lat CRS: fail when most coordinates are metres.

    A projected file without its ``.prj`` (or with a wrong one) read as degrees would put
    every point far off the earth; one clear error is better than every row rejected.

    Parameters
    ----------
    path : Path
        The file, for the message.
    x, y : ndarray
        The coordinates as read.
    crs_used : str
        The lon/lat system the file is read in.
    file_crs : str or None
        The file's own CRS (None: it has none, so ``--crs`` is the fix to suggest).

    Returns
    -------
    ndarray of bool
        Which coordinates look like metres (a few such rows are rejected, not the file).

    Raises
    ------
    InputError
        When more than half of the coordinates look like metres, with their range.
    """
    metres = (np.abs(x) > _METRES_ABOVE) | (np.abs(y) > _METRES_ABOVE)
    if len(x) and metres.mean() > 0.5:
        seen = Note("in.xy_range", x=_range_text(x[metres]), y=_range_text(y[metres]))
        if file_crs is not None:
            why = Note("e.crs_degrees_but_metres", crs=file_crs, seen=seen)
        else:
            why = Note("e.not_degrees_no_crs", seen=seen)
        raise InputError(why, path=path)
    return metres


def _check_not_degrees(path: Path, x: np.ndarray, y: np.ndarray, crs_used: str) -> None:
    """For a projected CRS: fail when every coordinate is a plausible lon/lat."""
    if len(x) and ((np.abs(x) <= 180) & (np.abs(y) <= 90)).all():
        message = Note("e.looks_like_degrees", lon=_range_text(x), lat=_range_text(y), crs=crs_used)
        raise InputError(message, path=path)


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
    crs : ``--crs`` (used when the file has none; gcj02/bd09 also override a WGS-84 label);
        None: the file's label, else GCJ-02 for an Amap export and BD-09 for a Baidu export
        (:func:`poi_source`), else WGS-84 (``crs_from`` of the result says which)
    rejects : unusable rows are added here with their reason
    layer : the input kind; its columns (:data:`~shequ.geo.column_names.LAYER_COLUMNS`) are
        kept under their canonical names
    extra_columns : more file columns to keep as they are (e.g. ``--time-col``)

    Returns
    -------
    PointLayer
        At least one row, in WGS-84.

    Raises
    ------
    InputError
        For a missing, empty, unreadable or unsupported file, a file with no coordinate
        columns, metres read as degrees (or the reverse), latitude and longitude swapped in
        most rows, or no usable row (the user named the file to be used).
    """
    path = Path(path)
    if not path.exists():
        raise InputError(Note("e.input_not_found"), path=path)
    if not path.is_file():
        raise InputError(Note("e.input_not_a_file"), path=path)
    if path.stat().st_size == 0:
        raise InputError(Note("e.input_empty"), path=path)
    stated = normalise_crs_name(crs) if crs else None
    suffix = path.suffix.lower()
    wanted = LAYER_COLUMNS.get(layer, ())
    if suffix in CSV_SUFFIXES:
        header, sample = peek_table(path)
        source = poi_source(header, sample)
        prefer = _category_preference(header, source)
        table = read_table(path, wanted, extra_columns, prefer)
    elif suffix in VECTOR_SUFFIXES:
        header = vector_fields(path) or []
        source = poi_source(header)
        table = _read_points_vector(
            path, wanted, extra_columns, _category_preference(header, source)
        )
    else:
        raise InputError(Note("e.points_file_type"), path=path)
    total = len(table.attrs) + len(table.lost)
    if total == 0:
        message = Note("e.input_no_rows_columns", columns=describe_columns(table.columns))
        raise InputError(message, path=path)
    # the web map's own system is the default for its POIs only: homes and incidents are the
    # planner's tables, and a column named like an API field says nothing about them
    export_default = source if layer in EXPORT_LAYERS else None
    crs_used, crs_from = _crs_and_origin(stated, table.file_crs, export_default, path)
    x, y, why = table.x, table.y, table.why
    ok = pd.isna(why)
    if is_geographic(crs_used):
        metres = check_degrees(path, x[ok], y[ok], crs_used, table.file_crs)
        _check_swapped(path, x[ok], y[ok])
        idx = np.flatnonzero(ok)
        for i in idx[metres]:
            why[i] = Note("r.coords_metres", x=x[i], y=y[i])
        out = ok & ((np.abs(y) > 90) | (np.abs(x) > 180)) & pd.isna(why)
        for i in np.flatnonzero(out):
            why[i] = Note("r.coords_out_of_range", x=x[i], y=y[i])
    else:
        _check_not_degrees(path, x[ok], y[ok], crs_used)
    ok = pd.isna(why)
    lon = np.full(len(x), np.nan)
    lat = np.full(len(x), np.nan)
    lon[ok], lat[ok] = to_wgs84(x[ok], y[ok], crs_used)
    bad_conv = ok & ~(np.isfinite(lon) & np.isfinite(lat) & (np.abs(lat) <= 90))
    for i in np.flatnonzero(bad_conv):
        why[i] = Note("r.coords_not_convertible", x=x[i], y=y[i], crs=crs_used)
    ok &= ~bad_conv
    reasons = [(row, text) for row, text in table.lost]
    reasons += [(int(table.rows[i]), why[i]) for i in np.flatnonzero(~ok)]
    reasons.sort(key=lambda item: item[0])
    for row, text in reasons:
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
    return PointLayer(
        frame,
        str(path),
        crs_used,
        list(table.columns),
        dict(table.renamed),
        crs_from,
        export_default,
    )


def _crs_and_origin(
    stated: str | None, file_crs: str | None, source: str | None, path: Path
) -> tuple[str, str]:
    """The system to read a file in and why (:data:`CRS_FROM`).

    ``--crs`` and a file's own label decide as in :func:`choose_crs`; an Amap or Baidu export
    with neither is read in the system its web map publishes (:data:`EXPORT_CRS`), as that is
    what a raw export holds. The label wins over the export default: a vector file written by
    a GIS says what it holds, and an export converted to WGS-84 (as the shared Shanghai files
    are) is usually saved so. Either way :func:`shequ.geo.checks.point_checks` compares the
    other systems against the streets and names the flag to pass when one fits clearly better.
    """
    crs_used = choose_crs(stated, file_crs, path)
    if stated is not None and crs_used == stated:
        return crs_used, "given"
    if file_crs is not None:
        return crs_used, "file"
    if source is not None:
        return EXPORT_CRS[source], source
    return crs_used, "default"


def choose_crs(stated: str | None, file_crs: str | None, path: str | Path | None = None) -> str:
    """The CRS to read a file in: its own, else ``--crs``, else WGS-84 (see the module doc).

    Parameters
    ----------
    stated : str or None
        ``--crs``, normalised (``gcj02``/``bd09`` also override a WGS-84 label, as Amap and
        Baidu exports are often labelled WGS-84).
    file_crs : str or None
        The file's own CRS (``EPSG:n`` or its text).
    path : str or Path, optional
        The file, for the message.

    Returns
    -------
    str
        ``wgs84``, ``cgcs2000``, ``gcj02``, ``bd09`` or ``EPSG:n``.

    Raises
    ------
    InputError
        When the file's CRS has no EPSG code and no ``--crs`` says what it is.
    """
    if file_crs is None:
        return stated or "wgs84"
    file_name = normalise_crs_name(file_crs) if file_crs.upper().startswith("EPSG:") else None
    if stated in ("gcj02", "bd09") and file_name in ("wgs84", "EPSG:4326", None):
        return stated  # Chinese web-map coordinates labelled as WGS-84
    if file_name is None:
        if stated is not None:
            return stated  # the user says what the file's unnamed CRS is
        raise InputError(Note("e.crs_no_epsg", crs=file_crs[:80]), path=path)
    return file_name


def _check_swapped(path: Path, lon: np.ndarray, lat: np.ndarray) -> None:
    """Fail fast when most rows have latitude and longitude exchanged."""
    if len(lon) == 0:
        return
    impossible = np.abs(lat) > 90
    looks_swapped = impossible & (np.abs(lon) <= 90)
    if looks_swapped.mean() > 0.5:
        message = Note("e.lat_lon_swapped", n=int(looks_swapped.sum()), total=len(lon))
        raise InputError(message, path=path)
