"""WorldPop rasters spread over homes: the study-area total is preserved, split by floor area."""

from __future__ import annotations

import numpy as np
import pyproj
import pytest
import rasterio

from shequ.geo.population_raster import distribute
from tests.conftest import shared_file

BOUNDS = (114.25, 30.55, 114.32, 30.60)  # central Wuhan (lon/lat)


def _window_sum(path, bounds) -> float:
    """Independent total: pixels whose extent meets the bounds, from a full read."""
    with rasterio.open(path) as src:
        band = src.read(1, masked=True).filled(0)
        (r0, r1), (c0, c1) = (
            sorted(src.index(x, y)[0] for x, y in [(bounds[0], bounds[1]), (bounds[2], bounds[3])]),
            sorted(src.index(x, y)[1] for x, y in [(bounds[0], bounds[1]), (bounds[2], bounds[3])]),
        )
        return float(band[r0 : r1 + 1, c0 : c1 + 1].astype(np.float64).sum())


def _homes(n: int, seed: int = 7):
    rng = np.random.default_rng(seed)
    lon = rng.uniform(BOUNDS[0], BOUNDS[2], n)
    lat = rng.uniform(BOUNDS[1], BOUNDS[3], n)
    crs = pyproj.CRS.from_epsg(32650)
    x, y = pyproj.Transformer.from_crs(4326, crs, always_xy=True).transform(lon, lat)
    return np.column_stack([x, y]), crs, rng.uniform(200, 5000, n)


def test_total_preserved_over_eight_age_bands():
    paths = [
        shared_file(f"raster/wuhan_worldpop_age/pop_{a}_{s}_wuhan.tif")
        for a in (65, 70, 75, 80)
        for s in ("f", "m")
    ]
    xy, crs, area = _homes(300)
    values, total = distribute(xy, crs, area, paths, BOUNDS)
    expected = sum(_window_sum(p, BOUNDS) for p in paths)
    assert total == pytest.approx(expected, rel=1e-9)
    assert values.sum() == pytest.approx(expected, rel=1e-9)
    assert expected > 1000  # central Wuhan has thousands of people aged 65+


def test_homes_in_one_pixel_split_by_floor_area():
    path = shared_file("raster/wuhan_worldpop_age/pop_65_f_wuhan.tif")
    with rasterio.open(path) as src:
        band = src.read(1, masked=True).filled(0)
        r0, c0 = src.index(BOUNDS[0], BOUNDS[3])
        r1, c1 = src.index(BOUNDS[2], BOUNDS[1])
        sub = band[r0:r1, c0:c1]
        dr, dc = np.unravel_index(np.argmax(sub), sub.shape)  # the most populated pixel
        row, col = r0 + dr, c0 + dc
        x, y = src.xy(row, col)  # pixel centre
        pixel_value = float(band[row, col])
    assert pixel_value > 0
    crs = pyproj.CRS.from_epsg(32650)
    to_m = pyproj.Transformer.from_crs(4326, crs, always_xy=True)
    pts = np.array([to_m.transform(x - 1e-5, y), to_m.transform(x + 1e-5, y)])
    bounds = (x - 1e-4, y - 1e-4, x + 1e-4, y + 1e-4)  # only this pixel
    values, total = distribute(pts, crs, np.array([100.0, 300.0]), [path], bounds)
    assert total == pytest.approx(pixel_value)
    np.testing.assert_allclose(values, [pixel_value * 0.25, pixel_value * 0.75])
