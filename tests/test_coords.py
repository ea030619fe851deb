"""Tests for shequ.geo.coords: GCJ-02 / BD-09 conversions, CRS names and metric CRS choice.

Reference values come from two independent places: a second, scalar, plain-``math`` copy of the
textbook formulas written below, and the published example output of wandergis/coordtransform
(test/app.js, input 116.404, 39.915).
"""

from __future__ import annotations

import math

import numpy as np
import pyproj
import pytest

from shequ.errors import InputError
from shequ.geo import coords

GEOD = pyproj.Geod(ellps="WGS84")

HELSINKI = (24.94, 60.17)
SACRAMENTO = (-121.5, 38.5)

# WGS-84 city centres (approximate; the offsets vary slowly, so a few hundred metres of error
# in the centre does not matter).
CITIES = {
    "Beijing": (116.397, 39.909),
    "Shanghai": (121.473, 31.230),
    "Guangzhou": (113.264, 23.129),
    "Shenzhen": (114.058, 22.543),
    "Chengdu": (104.066, 30.573),
    "Wuhan": (114.305, 30.593),
    "Xian": (108.940, 34.341),
    "Hangzhou": (120.155, 30.274),
}

ALL_CONVERSIONS = [
    coords.wgs84_to_gcj02,
    coords.gcj02_to_wgs84,
    coords.gcj02_to_bd09,
    coords.bd09_to_gcj02,
    coords.wgs84_to_bd09,
    coords.bd09_to_wgs84,
]


# --- independent scalar reference (written separately from the module, plain math) ----------


def ref_wgs_to_gcj(lon: float, lat: float) -> tuple[float, float]:
    """Textbook one-point WGS-84 -> GCJ-02 (eviltransform / coordtransform)."""
    if lon < 72.004 or lon > 137.8347 or lat < 0.8293 or lat > 55.8271:
        return lon, lat
    a = 6378245.0
    ee = 0.00669342162296594323
    x, y = lon - 105.0, lat - 35.0
    pi = math.pi
    t_lat = -100.0 + 2.0 * x + 3.0 * y + 0.2 * y * y + 0.1 * x * y + 0.2 * math.sqrt(abs(x))
    t_lat += (20.0 * math.sin(6.0 * x * pi) + 20.0 * math.sin(2.0 * x * pi)) * 2.0 / 3.0
    t_lat += (20.0 * math.sin(y * pi) + 40.0 * math.sin(y / 3.0 * pi)) * 2.0 / 3.0
    t_lat += (160.0 * math.sin(y / 12.0 * pi) + 320.0 * math.sin(y * pi / 30.0)) * 2.0 / 3.0
    t_lon = 300.0 + x + 2.0 * y + 0.1 * x * x + 0.1 * x * y + 0.1 * math.sqrt(abs(x))
    t_lon += (20.0 * math.sin(6.0 * x * pi) + 20.0 * math.sin(2.0 * x * pi)) * 2.0 / 3.0
    t_lon += (20.0 * math.sin(x * pi) + 40.0 * math.sin(x / 3.0 * pi)) * 2.0 / 3.0
    t_lon += (150.0 * math.sin(x / 12.0 * pi) + 300.0 * math.sin(x / 30.0 * pi)) * 2.0 / 3.0
    rad = lat / 180.0 * pi
    magic = 1 - ee * math.sin(rad) ** 2
    sqrt_magic = math.sqrt(magic)
    d_lat = (t_lat * 180.0) / ((a * (1 - ee)) / (magic * sqrt_magic) * pi)
    d_lon = (t_lon * 180.0) / (a / sqrt_magic * math.cos(rad) * pi)
    return lon + d_lon, lat + d_lat


def ref_gcj_to_bd(lon: float, lat: float) -> tuple[float, float]:
    """Textbook one-point GCJ-02 -> BD-09."""
    x_pi = math.pi * 3000.0 / 180.0
    z = math.sqrt(lon * lon + lat * lat) + 0.00002 * math.sin(lat * x_pi)
    theta = math.atan2(lat, lon) + 0.000003 * math.cos(lon * x_pi)
    return z * math.cos(theta) + 0.0065, z * math.sin(theta) + 0.006


def metres(lon1, lat1, lon2, lat2) -> np.ndarray:
    """Geodesic distance in metres on WGS-84."""
    return np.asarray(GEOD.inv(lon1, lat1, lon2, lat2)[2])


@pytest.fixture(scope="module")
def china_grid() -> tuple[np.ndarray, np.ndarray]:
    """Lon 73..135, lat 18..53, every 0.5 degrees (8,875 points)."""
    lon, lat = np.meshgrid(np.arange(73.0, 135.001, 0.5), np.arange(18.0, 53.001, 0.5))
    return lon.ravel(), lat.ravel()


# --- round trips ----------------------------------------------------------------------------


def test_gcj02_round_trip_over_china_is_micrometres(china_grid):
    lon, lat = china_grid
    back = coords.gcj02_to_wgs84(*coords.wgs84_to_gcj02(lon, lat))
    err = metres(lon, lat, *back).max()
    assert err < 0.5
    # The one-step public inverse is off by up to ~5 m and a single refinement still leaves
    # ~3 cm; only iterating to convergence gets below 10 micrometres.
    assert err < 1e-5


def test_bd09_round_trip_over_china_is_micrometres(china_grid):
    lon, lat = china_grid
    back = coords.bd09_to_wgs84(*coords.wgs84_to_bd09(lon, lat))
    err = metres(lon, lat, *back).max()
    assert err < 0.5
    assert err < 1e-5


def test_gcj02_bd09_round_trip_over_china_is_micrometres(china_grid):
    lon, lat = china_grid
    back = coords.bd09_to_gcj02(*coords.gcj02_to_bd09(lon, lat))
    assert metres(lon, lat, *back).max() < 1e-5


def test_round_trip_holds_where_the_shift_crosses_the_rectangle_edge():
    # The shift is always north-east, so points just inside the north and east edges are
    # moved outside the rectangle; the inverse must still bring them back.
    lat = np.linspace(1.0, 55.8, 200)
    lon_east = np.full_like(lat, 137.834)
    lon = np.linspace(73.0, 137.8, 200)
    lat_north = np.full_like(lon, 55.827)
    for x, y in ((lon_east, lat), (lon, lat_north)):
        shifted = coords.wgs84_to_bd09(x, y)
        assert coords.out_of_china(*shifted).all()
        assert metres(x, y, *coords.bd09_to_wgs84(*shifted)).max() < 1e-3
        gcj = coords.wgs84_to_gcj02(x, y)
        assert metres(x, y, *coords.gcj02_to_wgs84(*gcj)).max() < 1e-3


# --- independent reference values -----------------------------------------------------------


def test_wgs84_to_gcj02_matches_independent_scalar_formula(china_grid):
    lon, lat = (v[::37] for v in china_grid)
    got_lon, got_lat = coords.wgs84_to_gcj02(lon, lat)
    want = np.array([ref_wgs_to_gcj(float(x), float(y)) for x, y in zip(lon, lat, strict=True)])
    np.testing.assert_allclose(got_lon, want[:, 0], rtol=0, atol=1e-9)
    np.testing.assert_allclose(got_lat, want[:, 1], rtol=0, atol=1e-9)


def test_gcj02_to_bd09_matches_independent_scalar_formula(china_grid):
    lon, lat = (v[::37] for v in china_grid)
    got_lon, got_lat = coords.gcj02_to_bd09(lon, lat)
    want = np.array([ref_gcj_to_bd(float(x), float(y)) for x, y in zip(lon, lat, strict=True)])
    np.testing.assert_allclose(got_lon, want[:, 0], rtol=0, atol=1e-9)
    np.testing.assert_allclose(got_lat, want[:, 1], rtol=0, atol=1e-9)


def test_wgs84_to_bd09_matches_reference_composition():
    lon, lat = CITIES["Shanghai"]
    got = coords.wgs84_to_bd09(lon, lat)
    want = ref_gcj_to_bd(*ref_wgs_to_gcj(lon, lat))
    np.testing.assert_allclose(got, want, rtol=0, atol=1e-9)


def test_forward_matches_published_coordtransform_example():
    # wandergis/coordtransform test/app.js, input (116.404, 39.915).
    np.testing.assert_allclose(
        coords.wgs84_to_gcj02(116.404, 39.915),
        (116.41024449916938, 39.91640428150164),
        rtol=0,
        atol=1e-9,
    )
    np.testing.assert_allclose(
        coords.gcj02_to_bd09(116.404, 39.915),
        (116.41036949371029, 39.92133699351021),
        rtol=0,
        atol=1e-9,
    )


def test_gcj02_inverse_beats_published_one_step_inverse():
    published = (116.39775550083061, 39.91359571849836)  # one-step gcj02towgs84(116.404, 39.915)
    ours = coords.gcj02_to_wgs84(116.404, 39.915)
    assert metres(*ours, *published) < 0.5  # same answer to within the one-step's error
    assert metres(*ref_wgs_to_gcj(*map(float, ours)), 116.404, 39.915) < 1e-6
    assert metres(*ref_wgs_to_gcj(*published), 116.404, 39.915) > 0.01


def test_bd09_inverse_beats_published_one_step_inverse():
    published = (116.39762729119315, 39.90865673957631)  # one-step bd09togcj02(116.404, 39.915)
    ours = coords.bd09_to_gcj02(116.404, 39.915)
    assert metres(*ours, *published) < 0.5
    assert metres(*ref_gcj_to_bd(*map(float, ours)), 116.404, 39.915) < 1e-6
    assert metres(*ref_gcj_to_bd(*published), 116.404, 39.915) > 0.01


# --- domain facts about the size of the offsets ---------------------------------------------


def test_beijing_offsets_are_hundreds_of_metres_and_about_a_kilometre():
    lon, lat = CITIES["Beijing"]
    assert 400 < metres(lon, lat, *coords.wgs84_to_gcj02(lon, lat)) < 700
    assert 900 < metres(lon, lat, *coords.wgs84_to_bd09(lon, lat)) < 1500


@pytest.mark.parametrize("city", sorted(CITIES))
def test_major_city_offsets_are_in_the_known_ranges(city):
    lon, lat = CITIES[city]
    assert 250 < metres(lon, lat, *coords.wgs84_to_gcj02(lon, lat)) < 650
    assert 900 < metres(lon, lat, *coords.wgs84_to_bd09(lon, lat)) < 1450


# --- outside China ----------------------------------------------------------------------------


@pytest.mark.parametrize("point", [HELSINKI, SACRAMENTO], ids=["Helsinki", "Sacramento"])
@pytest.mark.parametrize("func", ALL_CONVERSIONS, ids=lambda f: f.__name__)
def test_conversions_are_identity_outside_china(func, point):
    lon, lat = func(*point)
    assert (float(lon), float(lat)) == point


def test_out_of_china_uses_the_public_rectangle():
    lon = np.array([72.003, 72.005, 137.834, 137.835, 100.0, 100.0, 100.0, 100.0])
    lat = np.array([30.0, 30.0, 30.0, 30.0, 0.8292, 0.8294, 55.827, 55.8272])
    expected = [True, False, False, True, True, False, False, True]
    assert coords.out_of_china(lon, lat).tolist() == expected


# --- shapes and types -----------------------------------------------------------------------


def test_scalar_input_gives_zero_dim_float64():
    lon, lat = coords.gcj02_to_wgs84(121, 31)
    assert lon.shape == () and lat.shape == ()
    assert lon.dtype == np.float64 and lat.dtype == np.float64


def test_array_input_keeps_shape_and_broadcasts():
    lon = np.array([[116.4, 121.5], [24.94, 113.3]])
    lon_out, lat_out = coords.wgs84_to_bd09(lon, 30.0)
    assert lon_out.shape == (2, 2) and lat_out.shape == (2, 2)
    assert lon_out[1, 0] == 24.94  # Finland's longitude at lat 30 is outside the rectangle


def test_nan_stays_nan():
    lon, lat = coords.bd09_to_wgs84([np.nan, 116.4], [39.9, 39.9])
    assert np.isnan(lon[0]) and np.isnan(lat[0])
    assert np.isfinite(lon[1]) and np.isfinite(lat[1])


# --- CRS names ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("alias", "canonical"),
    [
        ("WGS-84", "wgs84"),
        ("wgs84", "wgs84"),
        ("epsg:4326", "wgs84"),
        ("EPSG:4326", "wgs84"),
        ("4326", "wgs84"),
        ("CGCS2000", "cgcs2000"),
        ("epsg:4490", "cgcs2000"),
        ("gcj-02", "gcj02"),
        ("GCJ02", "gcj02"),
        ("amap", "gcj02"),
        ("bd-09", "bd09"),
        ("bd09", "bd09"),
        ("Baidu", "bd09"),
        ("epsg:4547", "EPSG:4547"),
        ("4547", "EPSG:4547"),
        ("EPSG:32650", "EPSG:32650"),
    ],
)
def test_normalise_crs_name_aliases(alias, canonical):
    assert coords.normalise_crs_name(alias) == canonical


def test_crs_names_are_the_canonical_named_systems():
    assert set(coords.CRS_NAMES) == {"wgs84", "cgcs2000", "gcj02", "bd09"}
    assert all(coords.normalise_crs_name(n) == n for n in coords.CRS_NAMES)


@pytest.mark.parametrize("bad", ["mars", "bd09mc", "EPSG:999999", "", "EPSG:4978", "EPSG:5773"])
def test_unknown_crs_name_raises_one_line_input_error(bad):
    with pytest.raises(InputError) as info:
        coords.normalise_crs_name(bad)
    message = str(info.value)
    assert "\n" not in message
    assert "gcj02" in message and "bd09" in message and "EPSG" in message


# --- to_wgs84 / from_wgs84 ------------------------------------------------------------------


def test_to_wgs84_epsg4490_keeps_lon_lat_order():
    lon, lat = coords.to_wgs84([116.4, 121.47], [39.9, 31.23], "EPSG:4490")
    np.testing.assert_allclose(lon, [116.4, 121.47], rtol=0, atol=1e-9)
    np.testing.assert_allclose(lat, [39.9, 31.23], rtol=0, atol=1e-9)


def test_to_wgs84_epsg4547_gauss_kruger_easting_northing():
    # Shenzhen in CGCS2000 / 3-degree GK CM 114E, projected independently with pyproj.
    to_gk = pyproj.Transformer.from_crs("EPSG:4490", "EPSG:4547", always_xy=True)
    easting, northing = to_gk.transform(114.06, 22.54)
    assert 490_000 < easting < 510_000 and 2_400_000 < northing < 2_600_000
    lon, lat = coords.to_wgs84(easting, northing, "EPSG:4547")
    assert metres(lon, lat, 114.06, 22.54) < 0.01


def test_from_wgs84_epsg4547_returns_easting_first():
    x, y = coords.from_wgs84(114.06, 22.54, "epsg:4547")
    assert 490_000 < x < 510_000 and 2_400_000 < y < 2_600_000


@pytest.mark.parametrize("crs", ["wgs84", "cgcs2000", "EPSG:4326"])
def test_to_wgs84_is_identity_for_wgs84_like_systems(crs):
    lon, lat = coords.to_wgs84(121.47, 31.23, crs)
    assert (float(lon), float(lat)) == (121.47, 31.23)


def test_to_wgs84_dispatches_gcj02_and_bd09():
    lon, lat = CITIES["Hangzhou"]
    gcj = coords.wgs84_to_gcj02(lon, lat)
    bd = coords.wgs84_to_bd09(lon, lat)
    assert metres(lon, lat, *coords.to_wgs84(*gcj, "amap")) < 1e-3
    assert metres(lon, lat, *coords.to_wgs84(*bd, "baidu")) < 1e-3


@pytest.mark.parametrize("crs", ["gcj02", "bd09", "EPSG:4547", "EPSG:32650"])
def test_from_wgs84_then_to_wgs84_round_trips(crs):
    lon, lat = np.array([114.06, 113.26]), np.array([22.54, 23.13])
    back = coords.to_wgs84(*coords.from_wgs84(lon, lat, crs), crs)
    assert metres(lon, lat, *back).max() < 1e-3


def test_to_wgs84_unknown_crs_raises_input_error():
    with pytest.raises(InputError):
        coords.to_wgs84(1.0, 2.0, "web mercator please")


# --- metric_crs -----------------------------------------------------------------------------


def point_bbox(lon: float, lat: float) -> tuple[float, float, float, float]:
    return lon - 0.05, lat - 0.05, lon + 0.05, lat + 0.05


@pytest.mark.parametrize(
    ("lon", "lat", "code"),
    [
        (121.47, 31.23, 32651),  # Shanghai
        (116.35, 40.0, 32650),  # Beijing
        (24.94, 60.17, 32635),  # Helsinki
        (151.21, -33.87, 32756),  # Sydney: southern hemisphere
    ],
)
def test_metric_crs_utm_zone(lon, lat, code):
    assert coords.metric_crs(*point_bbox(lon, lat)).to_epsg() == code


def test_metric_crs_utm_uses_bbox_centre():
    # Spans zones 50 and 51; the centre (120.5E) is in zone 51.
    assert coords.metric_crs(119.0, 30.0, 122.0, 31.0).to_epsg() == 32651


def test_metric_crs_gk_shanghai_is_cm_120e():
    crs = coords.metric_crs(*point_bbox(121.47, 31.23), kind="cgcs2000_gk")
    assert crs.to_epsg() == 4549
    assert "CM 120E" in crs.name


def test_metric_crs_gk_beijing_is_cm_117e():
    crs = coords.metric_crs(*point_bbox(116.35, 40.0), kind="cgcs2000_gk")
    assert crs.to_epsg() == 4548
    assert "CM 117E" in crs.name


@pytest.mark.parametrize("cm", range(75, 136, 3))
def test_metric_crs_gk_code_names_the_nearest_central_meridian(cm):
    for lon in (cm - 1.4, cm, cm + 1.4):
        crs = coords.metric_crs(*point_bbox(lon, 35.0), kind="cgcs2000_gk")
        assert crs.name == f"CGCS2000 / 3-degree Gauss-Kruger CM {cm}E"


@pytest.mark.parametrize("lon", [24.94, 70.0, 137.0, 150.0])
def test_metric_crs_gk_outside_china_longitudes_raises(lon):
    with pytest.raises(InputError):
        coords.metric_crs(*point_bbox(lon, 35.0), kind="cgcs2000_gk")


def test_metric_crs_unknown_kind_raises():
    with pytest.raises(InputError):
        coords.metric_crs(*point_bbox(121.47, 31.23), kind="mercator")


@pytest.mark.parametrize(
    "bbox",
    [(122.0, 31.0, 121.0, 32.0), (121.0, 31.0, float("nan"), 32.0), (0.0, 0.0, 500000.0, 1.0)],
)
def test_metric_crs_bad_bbox_raises(bbox):
    with pytest.raises(InputError):
        coords.metric_crs(*bbox)


def test_metric_crs_utm_distances_agree_with_geodesic():
    # 1 km east-west in Shanghai: the UTM scale error must be well under 0.1 %.
    crs = coords.metric_crs(*point_bbox(121.47, 31.23))
    to_utm = pyproj.Transformer.from_crs("EPSG:4326", crs, always_xy=True)
    lon2, lat2, _ = GEOD.fwd(121.47, 31.23, 90.0, 1000.0)
    x1, y1 = to_utm.transform(121.47, 31.23)
    x2, y2 = to_utm.transform(lon2, lat2)
    assert math.hypot(x2 - x1, y2 - y1) == pytest.approx(1000.0, rel=1e-3)
