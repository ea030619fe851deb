"""Read a user's polygon layer (communities, existing grids) and bring it to the metric CRS.

Same coordinate rules as point files (:mod:`shequ.geo.points_file`): the file's own CRS, else
``--crs``; GCJ-02 and BD-09 polygons are converted vertex by vertex. Headers are matched through
:mod:`shequ.geo.column_names` (``编码`` is ``code``, ``网格编号`` ``grid_id`` …) and renamed to
the canonical names; a blank text cell (NULL, empty or only whitespace) is read as None. Rows
without a usable polygon (not a polygon, empty, NaN/infinite coordinates, not convertible) go
to the rejects list with their reason; invalid rings are repaired with ``shapely.make_valid``
and the repair is counted. A file in metres read as degrees (a shapefile without its
``.prj``), or with no usable polygon, is one :class:`InputError` naming the file.
"""

from __future__ import annotations

from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pyproj
import shapely

from shequ.errors import InputError
from shequ.geo.cells import cell_text
from shequ.geo.column_names import LAYER_COLUMNS, canonical_names
from shequ.geo.coords import normalise_crs_name, to_wgs84
from shequ.geo.points_file import (
    VECTOR_SUFFIXES,
    check_degrees,
    choose_crs,
    is_geographic,
    no_usable_rows,
    read_vector,
)
from shequ.i18n import Note
from shequ.rejects import Rejects

_POLYGONAL = (shapely.GeometryType.POLYGON, shapely.GeometryType.MULTIPOLYGON)


def read_polygon_file(
    path: str | Path, crs: str | None, metric: pyproj.CRS, rejects: Rejects, *, layer: str
) -> tuple[gpd.GeoDataFrame, int]:
    """Polygons of ``path`` in ``metric`` with a 1-based ``row``; returns (frame, repaired).

    Parameters
    ----------
    path : a vector file (.geojson, .gpkg, .shp, .parquet)
    crs : ``--crs`` (used when the file has none)
    metric : the run's metric CRS
    rejects : unusable rows are added here with their reason
    layer : the input kind (``communities``, ``compounds``, ``existing_grids``, ``grids``,
        ``edits``): its columns are renamed to their canonical names

    Returns
    -------
    (GeoDataFrame with at least one polygon, number of polygons repaired)

    Raises
    ------
    InputError
        For a missing, unreadable or empty file, a file type that holds no polygons, a CRS
        without an EPSG code (and no ``crs``), metres read as degrees, or no usable polygon.
    """
    path = Path(path)
    if not path.exists():
        raise InputError(Note("e.input_not_found"), path=path)
    if path.suffix.lower() not in VECTOR_SUFFIXES:
        raise InputError(Note("e.polygons_file_type"), path=path)
    attrs, geometry, file_crs = read_vector(path)
    if len(attrs) == 0:
        raise InputError(Note("e.input_no_rows"), path=path)
    columns = list(attrs.columns)
    attrs = attrs.rename(columns=canonical_names(columns, LAYER_COLUMNS.get(layer, ())))
    crs_used = choose_crs(normalise_crs_name(crs) if crs else None, file_crs, path)
    rows = np.arange(1, len(attrs) + 1)
    geoms = geometry.to_numpy()
    why = np.full(len(geoms), None, dtype=object)
    polygonal = np.isin(shapely.get_type_id(geoms), _POLYGONAL) & ~shapely.is_empty(geoms)
    why[~polygonal] = Note("r.not_polygon")
    bounds = shapely.bounds(geoms)
    finite = np.isfinite(bounds).all(axis=1)
    why[polygonal & ~finite] = Note("r.polygon_not_finite")
    ok = polygonal & finite
    if is_geographic(crs_used) and ok.any():
        # every vertex must be degrees; the bounds hold the extreme ones
        corners = bounds[ok]
        x = np.r_[corners[:, 0], corners[:, 2]]
        y = np.r_[corners[:, 1], corners[:, 3]]
        check_degrees(path, x, y, crs_used, file_crs)
        out = (np.abs(bounds[:, [0, 2]]) > 180).any(axis=1) | (np.abs(bounds[:, [1, 3]]) > 90).any(
            axis=1
        )
        why[ok & out] = Note("r.polygon_out_of_range")
        ok &= ~out
    if crs_used in ("gcj02", "bd09"):
        geoms = geoms.copy()
        geoms[ok] = shapely.transform(
            geoms[ok], lambda xy: np.column_stack(to_wgs84(xy[:, 0], xy[:, 1], crs_used))
        )
        source_crs = "EPSG:4326"
    elif crs_used in ("wgs84", "cgcs2000"):
        source_crs = "EPSG:4326"
    else:
        source_crs = crs_used
    fixed = geoms[ok]
    invalid = ~shapely.is_valid(fixed)
    fixed[invalid] = shapely.make_valid(fixed[invalid])
    moved = gpd.GeoSeries(fixed, crs=source_crs).to_crs(metric).to_numpy()
    converted = np.isfinite(shapely.bounds(moved)).all(axis=1)
    idx = np.flatnonzero(ok)
    why[idx[~converted]] = Note("r.polygon_not_convertible", crs=crs_used)
    ok[idx[~converted]] = False
    moved, invalid = moved[converted], invalid[converted]
    reasons = list(why[~ok])
    for r, reason in zip(rows[~ok], reasons, strict=True):
        rejects.add(str(path), layer, int(r), None, reason)
    if not ok.any():
        raise no_usable_rows(path, reasons, columns)
    kept = _blank_text_as_none(attrs.loc[ok].reset_index(drop=True))
    kept["row"] = rows[ok]
    frame = gpd.GeoDataFrame(kept, geometry=list(moved), crs=metric)
    frame["geometry"] = frame.geometry.map(_polygonal_part)
    return frame, int(invalid.sum())


def _blank_text_as_none(attrs: pd.DataFrame) -> pd.DataFrame:
    """Text columns with every blank cell (NULL, empty or only whitespace) as None, so that a
    reader's ``if code`` means "a code was given" (a NULL is NaN, and NaN is true)."""
    for column in attrs.columns:
        cells = attrs[column]
        if pd.api.types.is_string_dtype(cells) or cells.dtype == object:
            _, blank = cell_text(cells)
            if blank.any():
                attrs[column] = cells.astype(object).where(~blank, None)
    return attrs


def _polygonal_part(geom: shapely.Geometry) -> shapely.Geometry:
    """make_valid may return a collection: keep its polygons."""
    if geom.geom_type in ("Polygon", "MultiPolygon"):
        return geom
    parts = [p for p in shapely.get_parts(geom) if p.geom_type in ("Polygon", "MultiPolygon")]
    return shapely.union_all(parts) if parts else shapely.Polygon()
