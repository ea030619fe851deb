"""Distribute a population raster (e.g. WorldPop age bands) to homes by floor area.

Gridded counts (people per ~100 m pixel) are the best demand data many cities have for the
elderly or for children; audits need them per building. Each pixel's count is split among the
homes whose point falls in it, in proportion to their floor area; a pixel with people but no home
gives its count to the nearest home, so the total over the study area is preserved exactly.
Several rasters on the same grid (the eight 65+ age/sex bands, say) are summed first.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pyproj
import rasterio
import rasterio.windows
from scipy.spatial import cKDTree

from shequ.errors import InputError
from shequ.i18n import Note


def _read_sum(paths: list[Path], bounds_lonlat: tuple[float, float, float, float]):
    total = None
    ref = None
    for path in paths:
        if not Path(path).exists():
            raise InputError(Note("e.raster_not_found"), path=path)
        try:
            src = rasterio.open(path)
        except rasterio.errors.RasterioIOError as exc:
            raise InputError(Note("e.raster_unreadable", detail=str(exc)), path=path) from exc
        with src:
            to_src = pyproj.Transformer.from_crs("EPSG:4326", src.crs, always_xy=True)
            x0, y0, x1, y1 = to_src.transform_bounds(*bounds_lonlat)
            window = rasterio.windows.from_bounds(x0, y0, x1, y1, src.transform)
            c0, r0 = np.floor(window.col_off), np.floor(window.row_off)
            c1 = np.ceil(window.col_off + window.width)
            r1 = np.ceil(window.row_off + window.height)
            window = rasterio.windows.Window(int(c0), int(r0), int(c1 - c0), int(r1 - r0))
            window = window.intersection(rasterio.windows.Window(0, 0, src.width, src.height))
            data = src.read(1, window=window, masked=True).filled(0).astype(np.float64)
            data[~np.isfinite(data) | (data < 0)] = 0.0
            grid = (src.crs, src.window_transform(window), data.shape)
        if ref is None:
            ref, total = grid, data
        elif grid[0] != ref[0] or grid[1] != ref[1] or grid[2] != ref[2]:
            raise InputError(Note("e.raster_grids"), path=path)
        else:
            total = total + data
    return total, ref


def distribute(
    home_xy: np.ndarray,
    home_crs: pyproj.CRS,
    floor_area_m2: np.ndarray,
    rasters: list[Path],
    bounds_lonlat: tuple[float, float, float, float],
) -> tuple[np.ndarray, float]:
    """Per-home share of the rasters' total over ``bounds_lonlat``.

    Parameters
    ----------
    home_xy : ndarray, shape (n, 2)
        Home points in ``home_crs``.
    home_crs : pyproj.CRS
        The homes' metric CRS.
    floor_area_m2 : ndarray
        The weight of each home within its pixel (1 where not positive).
    rasters : list of Path
        Rasters on one grid, summed (e.g. the age and sex bands of WorldPop).
    bounds_lonlat : (west, south, east, north)
        The study area: only this window of the rasters is read.

    Returns
    -------
    (ndarray, float)
        Each home's count, and the rasters' total over the window (equal to the sum of the
        counts: people in a pixel without a home go to the nearest home).

    Raises
    ------
    InputError
        When there are no homes, a raster is missing or unreadable, or the rasters are not
        on one grid.
    """
    if len(home_xy) == 0:
        raise InputError(Note("e.raster_no_homes"))
    data, (crs, transform, shape) = _read_sum(rasters, bounds_lonlat)
    to_raster = pyproj.Transformer.from_crs(home_crs, crs, always_xy=True)
    rx, ry = to_raster.transform(home_xy[:, 0], home_xy[:, 1])
    col, row = ~transform * (np.asarray(rx), np.asarray(ry))
    row = np.floor(row).astype(np.int64)
    col = np.floor(col).astype(np.int64)
    inside = (row >= 0) & (row < shape[0]) & (col >= 0) & (col < shape[1])
    pixel = np.where(inside, row * shape[1] + col, -1)
    weight = np.where(np.asarray(floor_area_m2) > 0, floor_area_m2, 1.0)
    flat = data.ravel()
    pixel_weight = np.bincount(pixel[inside], weights=weight[inside], minlength=flat.size)
    values = np.zeros(len(home_xy))
    values[inside] = flat[pixel[inside]] * weight[inside] / pixel_weight[pixel[inside]]
    # People in pixels without a home go to the nearest home (in the homes' metric CRS).
    orphan = np.flatnonzero((flat > 0) & (pixel_weight == 0))
    if len(orphan):
        orow, ocol = np.divmod(orphan, shape[1])
        cx, cy = transform * (ocol + 0.5, orow + 0.5)
        hx, hy = to_raster.transform(np.asarray(cx), np.asarray(cy), direction="INVERSE")
        _, nearest = cKDTree(home_xy).query(np.column_stack([hx, hy]))
        np.add.at(values, nearest, flat[orphan])
    return values, float(flat.sum())
