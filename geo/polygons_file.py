"""Read a user's polygon layer (communities, existing grids) and bring it to the metric CRS.

Same coordinate rules as point files (:mod:`shequ.geo.points_file`): the file's own CRS, else
``--crs``; GCJ-02 and BD-09 polygons are converted vertex by vertex. Rows without a usable
polygon go to the rejects list with their reason; invalid rings are repaired with
``shapely.make_valid`` and the repair is counted.
"""

from __future__ import annotations

from pathlib import Path

import geopandas as gpd
import numpy as np
import pyproj
import shapely

from shequ.errors import InputError
from shequ.geo.coords import normalise_crs_name, to_wgs84
from shequ.geo.points_file import VECTOR_SUFFIXES, choose_crs, read_vector
from shequ.rejects import Rejects


def read_polygon_file(
    path: str | Path, crs: str | None, metric: pyproj.CRS, rejects: Rejects, *, layer: str
) -> tuple[gpd.GeoDataFrame, int]:
    """Polygons of ``path`` in ``metric`` with a 1-based ``row``; returns (frame, repaired)."""
    path = Path(path)
    if not path.exists():
        raise InputError("file not found", path=path)
    if path.suffix.lower() not in VECTOR_SUFFIXES:
        raise InputError("polygons must come as .geojson, .gpkg, .shp or .parquet", path=path)
    attrs, geometry, file_crs = read_vector(path)
    if len(attrs) == 0:
        raise InputError("the file has no rows", path=path)
    crs_used = choose_crs(normalise_crs_name(crs) if crs else None, file_crs)
    rows = np.arange(1, len(attrs) + 1)
    geoms = geometry.to_numpy()
    polygonal = np.array(
        [
            g is not None and not g.is_empty and g.geom_type in ("Polygon", "MultiPolygon")
            for g in geoms
        ]
    )
    for r in rows[~polygonal]:
        rejects.add(str(path), layer, int(r), None, "not a polygon (or empty geometry)")
    kept = attrs.loc[polygonal].copy()
    kept["row"] = rows[polygonal]
    geoms = geoms[polygonal]
    if crs_used in ("gcj02", "bd09"):
        geoms = shapely.transform(
            geoms, lambda xy: np.column_stack(to_wgs84(xy[:, 0], xy[:, 1], crs_used))
        )
        source_crs = "EPSG:4326"
    elif crs_used in ("wgs84", "cgcs2000"):
        source_crs = "EPSG:4326"
    else:
        source_crs = crs_used
    invalid = ~shapely.is_valid(geoms)
    geoms = np.where(invalid, shapely.make_valid(geoms), geoms)
    frame = gpd.GeoDataFrame(kept.reset_index(drop=True), geometry=list(geoms), crs=source_crs)
    frame = frame.to_crs(metric)
    frame["geometry"] = frame.geometry.map(_polygonal_part)
    return frame, int(invalid.sum())


def _polygonal_part(geom: shapely.Geometry) -> shapely.Geometry:
    """make_valid may return a collection: keep its polygons."""
    if geom.geom_type in ("Polygon", "MultiPolygon"):
        return geom
    parts = [p for p in shapely.get_parts(geom) if p.geom_type in ("Polygon", "MultiPolygon")]
    return shapely.union_all(parts) if parts else shapely.Polygon()
