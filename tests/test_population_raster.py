"""WorldPop rasters spread over homes: each pixel counts by its share of the study area, is split
by floor area among its homes or the homes near it, and what cannot be placed is reported."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pyproj
import pytest
import rasterio
import rasterio.windows
import shapely
from rasterio.transform import from_origin

from shequ.cli import main
from shequ.errors import InputError
from shequ.geo import population_raster
from shequ.geo.population_raster import distribute
from shequ.jobs.inputs import InputOptions, load_inputs
from tests.conftest import shared_file
from tests.helpers import english_sentences

BOUNDS = (114.25, 30.55, 114.32, 30.60)  # central Wuhan (lon/lat)
BANDS = [f"raster/wuhan_worldpop_age/pop_{a}_{s}_wuhan.tif" for a in (65, 70, 75, 80) for s in "fm"]
UTM50 = pyproj.CRS.from_epsg(32650)


def _overlap_1d(lo: np.ndarray, hi: np.ndarray, a: float, b: float) -> np.ndarray:
    return np.clip(np.minimum(hi, b) - np.maximum(lo, a), 0, None)


def _area_weighted_sum(path: Path, bounds) -> float:
    """Independent total: a full read, each pixel weighted by the share of it inside the box,
    from the overlap of its column and row intervals (the rasters are in lon/lat)."""
    with rasterio.open(path) as src:
        band = src.read(1, masked=True).filled(0).astype(np.float64)
        t = src.transform
        cols, rows = np.arange(src.width), np.arange(src.height)
    x0 = t.c + cols * t.a
    y1 = t.f + rows * t.e  # north edge (t.e < 0)
    fx = _overlap_1d(x0, x0 + t.a, bounds[0], bounds[2]) / t.a
    fy = _overlap_1d(y1 + t.e, y1, bounds[1], bounds[3]) / -t.e
    band[~np.isfinite(band) | (band < 0)] = 0
    return float(fy @ band @ fx)


def _whole_pixel_sum(path: Path, bounds) -> float:
    """What the reader counted before: every pixel that meets the box, whole."""
    with rasterio.open(path) as src:
        band = src.read(1, masked=True).filled(0).astype(np.float64)
        t = src.transform
    x0 = t.c + np.arange(band.shape[1]) * t.a
    y1 = t.f + np.arange(band.shape[0]) * t.e
    fx = _overlap_1d(x0, x0 + t.a, bounds[0], bounds[2]) > 0
    fy = _overlap_1d(y1 + t.e, y1, bounds[1], bounds[3]) > 0
    return float(band[np.ix_(fy, fx)].sum())


def _homes(n: int, seed: int = 7):
    rng = np.random.default_rng(seed)
    lon = rng.uniform(BOUNDS[0], BOUNDS[2], n)
    lat = rng.uniform(BOUNDS[1], BOUNDS[3], n)
    x, y = pyproj.Transformer.from_crs(4326, UTM50, always_xy=True).transform(lon, lat)
    return np.column_stack([x, y]), UTM50, rng.uniform(200, 5000, n)


def _write_tif(path: Path, west: float, north: float, shape, px: float, values=1.0) -> Path:
    """A lon/lat GeoTIFF of ``shape`` pixels of ``px`` degrees from (west, north)."""
    data = np.broadcast_to(np.asarray(values, dtype="float32"), shape)
    profile = dict(driver="GTiff", width=shape[1], height=shape[0], count=1, dtype="float32")
    profile.update(crs="EPSG:4326", transform=from_origin(west, north, px, px), nodata=-1)
    with rasterio.open(path, "w", **profile) as dst:
        dst.write(data, 1)
    return path


def _moved_bands(path: Path, bounds, origin=(114.25, 30.60), margin: int = 3) -> Path:
    """The eight Wuhan 65+ bands, summed, from ``origin`` on, written over ``bounds``.

    The shared rasters cover Wuhan only and the shared extracts are elsewhere: this puts real
    WorldPop values (with their empty and crowded pixels) under a real extract's homes.
    """
    paths = [shared_file(b) for b in BANDS]
    with rasterio.open(paths[0]) as src:
        px = src.transform.a
        r0, c0 = src.index(*origin)
        ncol = int(np.ceil((bounds[2] - bounds[0]) / px)) + 2 * margin
        nrow = int(np.ceil((bounds[3] - bounds[1]) / px)) + 2 * margin
        window = rasterio.windows.Window(c0, r0, ncol, nrow)
    total = np.zeros((nrow, ncol))
    for p in paths:
        with rasterio.open(p) as src:
            total += src.read(1, window=window, masked=True).filled(0)
    west, north = bounds[0] - margin * px, bounds[3] + margin * px
    return _write_tif(path, west, north, total.shape, px, total)


def _pixel(path: Path):
    """The most populated pixel of central Wuhan: value and (west, south, east, north)."""
    with rasterio.open(path) as src:
        band = src.read(1, masked=True).filled(0)
        r0, c0 = src.index(BOUNDS[0], BOUNDS[3])
        r1, c1 = src.index(BOUNDS[2], BOUNDS[1])
        sub = band[r0:r1, c0:c1]
        dr, dc = np.unravel_index(np.argmax(sub), sub.shape)
        row, col = r0 + dr, c0 + dc
        (w, n), (e, s) = src.transform @ (col, row), src.transform @ (col + 1, row + 1)
        return float(band[row, col]), (w, s, e, n)


def test_total_is_the_area_weighted_sum_over_eight_age_bands():
    paths = [shared_file(b) for b in BANDS]
    xy, crs, area = _homes(300)
    shares = distribute(xy, crs, area, paths, BOUNDS)
    expected = sum(_area_weighted_sum(p, BOUNDS) for p in paths)
    whole = sum(_whole_pixel_sum(p, BOUNDS) for p in paths)
    assert expected > 1000  # central Wuhan has thousands of people aged 65+
    assert whole > expected * 1.005  # pixels that only touch the box no longer count whole
    assert shares.total == pytest.approx(expected, rel=1e-9)
    assert shares.values.sum() + shares.unplaced == pytest.approx(expected, rel=1e-6)
    assert shares.overlap == pytest.approx(1.0)


def test_a_boundary_polygon_counts_pixels_by_their_exact_overlap():
    """A 街道 boundary with a hole (a lake, say): against brute force, every pixel of the
    window intersected with the polygon."""
    path = shared_file(BANDS[0])
    centre = shapely.Point(114.285, 30.575)
    area = centre.buffer(0.02).difference(centre.buffer(0.006))
    xy, crs, floor = _homes(200)
    shares = distribute(xy, crs, floor, [path], area)
    with rasterio.open(path) as src:
        window = rasterio.windows.from_bounds(*area.bounds, src.transform).round_offsets()
        window = rasterio.windows.Window(window.col_off - 1, window.row_off - 1, 60, 60)
        band = src.read(1, window=window, masked=True).filled(0).astype(np.float64)
        t = src.window_transform(window)
    rows, cols = np.indices(band.shape)
    boxes = shapely.box(
        t.c + cols * t.a, t.f + (rows + 1) * t.e, t.c + (cols + 1) * t.a, t.f + rows * t.e
    )
    inside = shapely.area(shapely.intersection(boxes, area)) / shapely.area(boxes)
    expected = float((band * inside).sum())
    assert inside.sum() * t.a * -t.e == pytest.approx(area.area, rel=1e-9)  # window holds it
    assert shares.total == pytest.approx(expected, rel=1e-9)
    assert shares.values.sum() + shares.unplaced == pytest.approx(expected, rel=1e-6)


def test_homes_in_one_pixel_split_by_floor_area():
    path = shared_file(BANDS[0])
    value, (w, s, e, n) = _pixel(path)
    assert value > 0
    to_m = pyproj.Transformer.from_crs(4326, UTM50, always_xy=True)
    cx, cy = (w + e) / 2, (s + n) / 2
    pts = np.array([to_m.transform(cx - 1e-5, cy), to_m.transform(cx + 1e-5, cy)])
    shares = distribute(pts, UTM50, np.array([100.0, 300.0]), [path], (w, s, e, n))
    assert shares.total == pytest.approx(value, rel=1e-9)
    np.testing.assert_allclose(shares.values, [value * 0.25, value * 0.75], rtol=1e-9)
    assert shares.spread_pixels == shares.unplaced_pixels == 0


def test_a_pixel_counts_by_the_share_of_it_inside_the_area():
    path = shared_file(BANDS[0])
    value, (w, s, e, n) = _pixel(path)
    to_m = pyproj.Transformer.from_crs(4326, UTM50, always_xy=True)
    home = np.array([to_m.transform(w + (e - w) * 0.1, (s + n) / 2)])
    west_fifth = (w, s, w + (e - w) * 0.2, n)
    shares = distribute(home, UTM50, np.array([500.0]), [path], west_fifth)
    assert shares.values == pytest.approx([value * 0.2], rel=1e-6)


def test_people_of_a_pixel_with_no_home_go_to_the_homes_within_the_radius():
    path = shared_file(BANDS[0])
    value, (w, s, e, n) = _pixel(path)
    to_m = pyproj.Transformer.from_crs(4326, UTM50, always_xy=True)
    cx, cy = to_m.transform((w + e) / 2, (s + n) / 2)
    # outside the pixel (~80 × 92 m): 60 m east, 150 m west, 300 m north
    pts = np.array([[cx + 60, cy], [cx - 150, cy], [cx, cy + 300]])
    floor = np.array([100.0, 300.0, 1000.0])
    shares = distribute(pts, UTM50, floor, [path], (w, s, e, n), radius_m=200)
    np.testing.assert_allclose(shares.values, [value / 4, value * 3 / 4, 0], rtol=1e-9)
    assert (shares.spread, shares.spread_pixels, shares.unplaced) == (pytest.approx(value), 1, 0)
    # with a radius no home is within, they are reported, not given to the nearest home
    shares = distribute(pts, UTM50, floor, [path], (w, s, e, n), radius_m=50)
    assert shares.values.tolist() == [0, 0, 0]
    assert (shares.unplaced, shares.unplaced_pixels) == (pytest.approx(value), 1)
    (note,) = shares.notes("elderly")
    assert note.key == "n.raster_unplaced" and note.params["pixels"] == 1


def test_nanjing_homes_under_real_worldpop_values(tmp_path, monkeypatch):
    """516 OSM homes of Xinjiekou under Wuhan's 65+ counts (moved): nothing is lost or invented,
    no home takes the people of far-away pixels, and what has no home near is reported."""
    osm = shared_file("osm/nanjing_xinjiekou_small.osm")
    inputs = load_inputs(InputOptions(osm=osm, landuse_homes=False))  # the buildings alone
    homes, bounds = inputs.homes, inputs.osm.bounds
    tif = _moved_bands(tmp_path / "elderly.tif", bounds)
    xy = np.column_stack([homes.geometry.x, homes.geometry.y])
    shares = distribute(xy, homes.crs, homes["floor_area_m2"].to_numpy(), [tif], bounds)
    expected = _area_weighted_sum(tif, bounds)
    assert len(homes) == 516
    assert shares.total == pytest.approx(expected, rel=1e-9)
    assert shares.values.sum() + shares.unplaced == pytest.approx(expected, rel=1e-6)
    # before: the nearest home took whole pixels far from it, one home 14 % of the total
    assert shares.values.max() < 0.05 * shares.values.sum()
    assert shares.unplaced_pixels > 0 and shares.spread_pixels > 0
    assert [n.key for n in shares.notes("elderly")] == ["n.raster_spread", "n.raster_unplaced"]
    # pixels without a home are paired with homes a chunk at a time: the same answer
    monkeypatch.setattr(population_raster, "_CHUNK", 37)
    again = distribute(xy, homes.crs, homes["floor_area_m2"].to_numpy(), [tif], bounds)
    np.testing.assert_allclose(again.values, shares.values, rtol=1e-12)
    assert again.unplaced == pytest.approx(shares.unplaced, rel=1e-12)


def test_a_raster_over_part_of_the_area_is_reported(tmp_path):
    # 0.1° pixels from lon 114.28 east: covers 4/7 of the box's width
    tif = _write_tif(tmp_path / "east.tif", 114.28, 30.7, (3, 3), 0.1, 10.0)
    xy, crs, area = _homes(50)
    shares = distribute(xy, crs, area, [tif], BOUNDS)
    assert shares.overlap == pytest.approx(4 / 7, rel=1e-6)
    assert shares.total == pytest.approx(_area_weighted_sum(tif, BOUNDS), rel=1e-9)
    assert shares.notes("population")[0].key == "n.raster_overlap"
    # homes west of the raster are not measured (not "0 people"): none gets a value, and no
    # pixel's people are spread to them
    lon = pyproj.Transformer.from_crs(UTM50, 4326, always_xy=True).transform(*xy.T)[0]
    assert (shares.covered == (lon >= 114.28)).all() and 0 < shares.covered.sum() < len(xy)
    assert (shares.values[~shares.covered] == 0).all()
    assert shares.notes("population")[0].params["n"] == int((~shares.covered).sum())
    tif = _write_tif(tmp_path / "edge.tif", 114.31, 30.7, (3, 3), 0.1, 10.0)  # 1/7 of it
    with pytest.raises(InputError, match=r"covers only 14\.3 % of the study area") as err:
        distribute(xy, crs, area, [tif], BOUNDS)
    assert err.value.path == str(tif)


def _run(args: list[str], tmp_path: Path, capsys, lang: str) -> tuple[int, list[str]]:
    out = tmp_path / "out"
    code = main([*args, "--out", str(out), "--quiet", "--lang", lang])
    err = capsys.readouterr().err
    assert "Traceback" not in err
    if lang == "zh":
        assert english_sentences(err) == [], err
    return code, err.strip().splitlines()


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_the_wuhan_raster_on_a_beijing_extract_is_one_line_exit_2(tmp_path, capsys, lang):
    osm = str(shared_file("osm/beijing_haidian_liudaokou_small.osm"))
    tif = str(shared_file(BANDS[0]))
    args = ["access", "--no-map", "--osm", osm, "--population-raster", tif]
    code, lines = _run(args, tmp_path, capsys, lang)
    assert code == 2
    assert len(lines) == 1 and tif in lines[0]
    says = "does not cover the study area" if lang == "en" else "栅格未覆盖研究范围"
    assert says in lines[0] and "113.692–115.077" in lines[0]


def test_a_raster_far_away_is_one_line_exit_2_in_chinese(tmp_path, capsys):
    osm = str(shared_file("osm/nanjing_xinjiekou_small.osm"))
    tif = str(_write_tif(tmp_path / "lhasa.tif", 91.0, 29.7, (20, 20), 0.001, 5.0))
    args = ["access", "--osm", osm, "--population-raster", tif]
    code, lines = _run(args, tmp_path, capsys, "zh")
    assert code == 2
    assert len(lines) == 1 and lines[0].startswith("错误") and "lhasa.tif" in lines[0]
    assert "栅格未覆盖研究范围" in lines[0]


def test_homes_off_a_partial_raster_keep_their_building_estimate(tmp_path):
    """A raster over the east of Nanjing's study area: homes on it take its people, homes off
    it keep what their buildings give (before, they were set to 0 people)."""
    osm = shared_file("osm/nanjing_xinjiekou_small.osm")
    plain = load_inputs(InputOptions(osm=osm, landuse_homes=False))
    west, _south, east, north = plain.study_area.lonlat().bounds
    mid = west + 0.4 * (east - west)  # over half of the (hull-shaped) area
    tif = _write_tif(tmp_path / "east.tif", mid, north + 0.01, (30, 30), 0.002, 50.0)
    rastered = load_inputs(InputOptions(osm=osm, landuse_homes=False, population_rasters=[tif]))
    lon = plain.homes.to_crs(4326).geometry.x.to_numpy()
    off = lon < mid
    assert 0 < off.sum() < len(off)
    before, after = plain.homes["population"].to_numpy(), rastered.homes["population"].to_numpy()
    np.testing.assert_allclose(after[off], before[off], rtol=1e-12)
    assert not np.allclose(after[~off], before[~off])
    notes = [n for n in rastered.notes if getattr(n, "key", "") == "n.raster_overlap"]
    assert len(notes) == 1 and notes[0].params["n"] == int(off.sum())
