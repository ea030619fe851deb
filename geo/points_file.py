"""Read a user's point or polygon layer (homes, facilities) and bring it to WGS-84.

Formats: GeoJSON, GeoPackage, Shapefile (through pyogrio) and CSV with lon/lat columns. The
coordinate system comes from the file when it has one, else from ``--crs`` (GCJ-02 and BD-09
files from Amap or Baidu are often labelled WGS-84, so an explicit ``--crs gcj02|bd09`` wins over
a plain EPSG:4326 label). Rows that cannot be used go to the rejects list with their reason; a
problem with the whole file (missing, unreadable, no coordinate columns, lat/lon swapped) is one
:class:`InputError`.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pyogrio
import shapely

from shequ.errors import InputError
from shequ.geo.coords import normalise_crs_name, to_wgs84
from shequ.rejects import Rejects

log = logging.getLogger(__name__)

LON_NAMES = ("lon", "lng", "longitude", "long", "x", "经度")
LAT_NAMES = ("lat", "latitude", "y", "纬度")
VECTOR_SUFFIXES = (".geojson", ".json", ".gpkg", ".shp", ".fgb", ".parquet")


@dataclass
class PointLayer:
    """A user layer in WGS-84 with the 1-based row number of every kept record."""

    frame: gpd.GeoDataFrame  # columns as in the file + "row"; geometry in EPSG:4326
    source: str
    crs_used: str


def _find_column(columns: list[str], names: tuple[str, ...]) -> str | None:
    lower = {c.lower().strip(): c for c in columns}
    for name in names:
        if name in lower:
            return lower[name]
    return None


def _read_csv(path: Path) -> tuple[pd.DataFrame, np.ndarray, np.ndarray]:
    try:
        df = pd.read_csv(path, dtype=str, keep_default_na=False, encoding="utf-8-sig")
    except UnicodeDecodeError:
        df = pd.read_csv(path, dtype=str, keep_default_na=False, encoding="gb18030")
    except (pd.errors.ParserError, pd.errors.EmptyDataError) as exc:
        raise InputError(f"cannot read CSV ({str(exc).splitlines()[0]})", path=path) from exc
    lon_col = _find_column(list(df.columns), LON_NAMES)
    lat_col = _find_column(list(df.columns), LAT_NAMES)
    if lon_col is None or lat_col is None:
        raise InputError(
            f"CSV needs longitude and latitude columns (one of {LON_NAMES} and {LAT_NAMES}); "
            f"found {list(df.columns)}",
            path=path,
        )
    lon = pd.to_numeric(df[lon_col].str.strip(), errors="coerce").to_numpy(dtype=float)
    lat = pd.to_numeric(df[lat_col].str.strip(), errors="coerce").to_numpy(dtype=float)
    return df.drop(columns=[lon_col, lat_col]), lon, lat


def read_vector(path: Path) -> tuple[pd.DataFrame, gpd.GeoSeries, str | None]:
    try:
        gdf = gpd.read_parquet(path) if path.suffix == ".parquet" else gpd.read_file(path)
    except (pyogrio.errors.DataSourceError, pyogrio.errors.DataLayerError, ValueError) as exc:
        raise InputError(f"cannot read the layer ({str(exc).splitlines()[0]})", path=path) from exc
    crs = None if gdf.crs is None else gdf.crs.to_string()
    return pd.DataFrame(gdf.drop(columns=gdf.geometry.name)), gdf.geometry, crs


def read_points_file(
    path: str | Path, crs: str | None, rejects: Rejects, *, layer: str
) -> PointLayer:
    """Read a homes/facilities file into WGS-84; unusable rows go to ``rejects``."""
    path = Path(path)
    if not path.exists():
        raise InputError("file not found", path=path)
    if path.stat().st_size == 0:
        raise InputError("the file is empty", path=path)
    stated = normalise_crs_name(crs) if crs else None
    suffix = path.suffix.lower()
    if suffix in (".csv", ".txt", ".tsv"):
        attrs, x, y = _read_csv(path)
        file_crs = None
        geometry = None
    elif suffix in VECTOR_SUFFIXES:
        attrs, geometry, file_crs = read_vector(path)
        x = np.full(len(attrs), np.nan)
        y = np.full(len(attrs), np.nan)
        has = ~(geometry.isna() | geometry.is_empty).to_numpy()
        if has.any():
            pts = shapely.get_coordinates(geometry[has].representative_point())
            x[has], y[has] = pts[:, 0], pts[:, 1]
    else:
        raise InputError(
            "unsupported file type: use .csv (lon/lat columns), .geojson, .gpkg or .shp", path=path
        )
    if len(attrs) == 0:
        raise InputError("the file has no rows", path=path)
    crs_used = choose_crs(stated, file_crs)
    rows = np.arange(1, len(attrs) + 1)
    bad = ~(np.isfinite(x) & np.isfinite(y))
    for r in rows[bad]:
        rejects.add(str(path), layer, int(r), None, "missing or non-numeric coordinates")
    geographic = crs_used in ("wgs84", "cgcs2000", "gcj02", "bd09", "EPSG:4326", "EPSG:4490")
    if geographic:
        _check_swapped(path, x[~bad], y[~bad])
        out_of_range = ~bad & ((np.abs(y) > 90) | (np.abs(x) > 180))
        for r in rows[out_of_range]:
            rejects.add(
                str(path), layer, int(r), None, "coordinates out of range (lat/lon swapped?)"
            )
        bad |= out_of_range
    lon, lat = to_wgs84(x[~bad], y[~bad], crs_used)
    kept = attrs.loc[~bad].copy()
    kept["row"] = rows[~bad]
    geoms = shapely.points(np.column_stack([lon, lat])) if len(kept) else []
    frame = gpd.GeoDataFrame(kept.reset_index(drop=True), geometry=geoms, crs="EPSG:4326")
    if geometry is not None and file_crs is not None and crs_used not in ("gcj02", "bd09"):
        footprints = geometry[~bad].reset_index(drop=True).to_crs("EPSG:4326")
        polygonal = footprints.geom_type.isin(["Polygon", "MultiPolygon"])
        if polygonal.any():
            frame["footprint"] = footprints.where(polygonal, None)
    log.info("%s: %d rows read, %d rejected", path.name, len(attrs), int(bad.sum()))
    return PointLayer(frame, str(path), crs_used)


def choose_crs(stated: str | None, file_crs: str | None) -> str:
    if file_crs is None:
        return stated or "wgs84"
    file_name = normalise_crs_name(file_crs) if file_crs.upper().startswith("EPSG:") else None
    if stated in ("gcj02", "bd09") and file_name in ("wgs84", "EPSG:4326", None):
        return stated  # Chinese web-map coordinates labelled as WGS-84
    if file_name is None:
        raise InputError(f"the file's coordinate system {file_crs!r} has no EPSG code; pass --crs")
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
