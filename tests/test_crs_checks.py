"""The coordinate-shift check (issue 12, item 8) on real data, both directions.

The Shanghai Amap files in the shared data are WGS-84 already (PROVENANCE.md: the author had
converted Amap's GCJ-02; bus stops lie a median 5 m from an OSM road as given, ~40 m after a
GCJ-02 inverse). So "Amap read as WGS-84" is the *correct* reading of these files and must stay
silent, "read with --crs gcj02" is the mistake to catch, and the GCJ-02 file a user really gets
from Amap is the forward transform of these points (``wgs84_to_gcj02``), which read as WGS-84
must be caught.

What the streets can and cannot tell: points that sit on or by the street (bus stops, metro
entrances, restaurants, OSM amenity nodes) fit the streets far better than chance in the right
system; kindergartens and schools, set back inside blocks of a roads-only extract, fit no
better than chance in any system, so the check says nothing about them rather than guess.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from shequ.geo.checks import (
    COVER_M,
    MIN_POINTS,
    crs_offset,
    measure_fit,
    point_checks,
)
from shequ.geo.coords import (
    gcj02_to_wgs84,
    metric_crs,
    to_wgs84,
    wgs84_to_bd09,
    wgs84_to_gcj02,
)
from shequ.geo.network import build_walk_network
from shequ.geo.osm_file import read_osm
from shequ.geo.points_file import read_points_file
from shequ.i18n import t
from shequ.jobs.inputs import layer_checks
from shequ.rejects import Rejects
from tests.conftest import shared_file
from tests.helpers import english_sentences

SHANGHAI = "osm/shanghai_center_roads_large.osm"
BEIJING = "osm/beijing_haidian_liudaokou_small.osm"
NANJING = "osm/nanjing_xinjiekou_small.osm"
HONGKONG = "osm/hongkong_tsimshatsui_small.osm"
AMAP = "poi/shanghai_amap/{}.csv"
AMAP_FILES = [
    "bus_stops",
    "food",
    "hospital",
    "hotpot",
    "kindergarten",
    "metro_stations",
    "middle_school",
    "primary_school",
    "school",
    "theatre_cinema",
    "university",
]
#: files whose points sit by the street, so that the right system shows (measured: 0.18-0.72
#: more of the points near a street than chance, wrong systems 0-0.06)
ON_STREET = ["bus_stops", "food", "hotpot"]
CRS_KEYS = {"warn.crs_not_declared", "warn.crs_wrongly_declared"}
SHIFT = {"wgs84": lambda x, y: (x, y), "gcj02": wgs84_to_gcj02, "bd09": wgs84_to_bd09}


class Area:
    def __init__(self, relative: str) -> None:
        self.osm = read_osm(shared_file(relative))
        self.net = build_walk_network(self.osm, metric_crs(*self.osm.bounds))


_AREAS: dict[str, Area] = {}


def area(relative: str) -> Area:
    if relative not in _AREAS:
        _AREAS[relative] = Area(relative)
    return _AREAS[relative]


def amap(name: str) -> tuple[np.ndarray, np.ndarray]:
    """An Amap file's points as stored (WGS-84, see the module docstring)."""
    frame = pd.read_csv(shared_file(AMAP.format(name)))
    return frame["lon"].to_numpy(float), frame["lat"].to_numpy(float)


def crs_warnings(net, file_lon, file_lat, read_as: str):
    """The CRS warnings for points stored as (file_lon, file_lat), read in ``read_as``."""
    lon, lat = to_wgs84(file_lon, file_lat, read_as)
    return [w for w in point_checks("f.csv", lon, lat, net, read_as) if w.key in CRS_KEYS]


def feature_nodes(osm) -> tuple[np.ndarray, np.ndarray]:
    """The extract's own tagged nodes (amenities, shops, crossings): true WGS-84."""
    nodes = osm.features[osm.features.geometry.geom_type == "Point"].geometry
    return nodes.x.to_numpy(), nodes.y.to_numpy()


# --- the Amap files as they are (WGS-84) ---------------------------------------------------


@pytest.mark.parametrize("name", AMAP_FILES)
def test_amap_files_in_wgs84_read_as_wgs84_raise_no_crs_warning(name):
    lon, lat = amap(name)
    assert crs_warnings(area(SHANGHAI).net, lon, lat, "wgs84") == []


@pytest.mark.parametrize("name", AMAP_FILES)
def test_amap_files_are_never_told_to_take_a_wrong_crs(name):
    """Whatever they are read in, the only advice may be the truth: WGS-84."""
    lon, lat = amap(name)
    for read_as in ("gcj02", "bd09"):
        for warning in crs_warnings(area(SHANGHAI).net, lon, lat, read_as):
            assert warning.key == "warn.crs_wrongly_declared"
            assert warning.params["crs"] == read_as


@pytest.mark.parametrize("name", ON_STREET)
def test_amap_wgs84_read_with_crs_gcj02_is_told_not_to_pass_it(name):
    lon, lat = amap(name)
    (warning,) = crs_warnings(area(SHANGHAI).net, lon, lat, "gcj02")
    assert warning.key == "warn.crs_wrongly_declared" and warning.params["crs"] == "gcj02"
    assert warning.params["then"] < warning.params["now"]
    assert "do not pass --crs gcj02" in t(warning.key, "en", **warning.params)


# --- the same points as Amap really publishes them (GCJ-02) and as Baidu does (BD-09) --------


@pytest.mark.parametrize("name", ON_STREET)
def test_amap_gcj02_read_as_wgs84_is_told_to_pass_crs_gcj02(name):
    net = area(SHANGHAI).net
    lon, lat = wgs84_to_gcj02(*amap(name))
    (warning,) = crs_warnings(net, lon, lat, "wgs84")
    assert warning.key == "warn.crs_not_declared" and warning.params["crs"] == "gcj02"
    assert "pass --crs gcj02" in t(warning.key, "en", **warning.params)
    # read as the user is told to: silent
    assert crs_warnings(net, lon, lat, "gcj02") == []


def test_bus_stops_in_bd09_are_told_to_pass_crs_bd09_whatever_they_were_read_in():
    net = area(SHANGHAI).net
    lon, lat = wgs84_to_bd09(*amap("bus_stops"))
    for read_as in ("wgs84", "gcj02"):
        (warning,) = crs_warnings(net, lon, lat, read_as)
        assert warning.key == "warn.crs_not_declared" and warning.params["crs"] == "bd09"
    assert crs_warnings(net, lon, lat, "bd09") == []


def test_amap_gcj02_converted_to_true_wgs84_raises_no_warning():
    """GCJ-02 points taken back with the inverse (what ``--crs gcj02`` does on reading) and
    passed on as WGS-84 are where they belong (to ~1e-7 degrees, coords.py)."""
    net = area(SHANGHAI).net
    for name in ON_STREET:
        lon, lat = gcj02_to_wgs84(*wgs84_to_gcj02(*amap(name)))
        assert crs_warnings(net, lon, lat, "wgs84") == []


def test_a_file_read_through_the_reader_and_layer_checks(tmp_path):
    """End to end through read_points_file and shequ.jobs.inputs.layer_checks: a GCJ-02 bus
    stop file with no --crs warns, with --crs gcj02 it does not."""
    lon, lat = wgs84_to_gcj02(*amap("bus_stops"))
    path = tmp_path / "stops.csv"
    pd.DataFrame({"name": "站", "lon": lon, "lat": lat}).to_csv(path, index=False)
    net = area(SHANGHAI).net
    plain = read_points_file(path, None, Rejects(), layer="candidates")
    keys = [w.key for w in layer_checks(plain, net)]
    assert "warn.crs_not_declared" in keys
    declared = read_points_file(path, "gcj02", Rejects(), layer="candidates")
    assert not CRS_KEYS & {w.key for w in layer_checks(declared, net)}


def test_kindergartens_alone_fit_no_system_and_get_no_warning():
    """Set back from the vehicle roads of a roads-only extract, kindergartens lie no nearer the
    streets than chance readings in any system: neither hypothesis fits, so no advice either
    way, also for the GCJ-02 file (the check cannot tell, and says so by staying silent)."""
    net = area(SHANGHAI).net
    for shift in ("wgs84", "gcj02"):
        file_lon, file_lat = SHIFT[shift](*amap("kindergarten"))
        for read_as in ("wgs84", "gcj02"):
            lon, lat = to_wgs84(file_lon, file_lat, read_as)
            fit = measure_fit(lon, lat, net, read_as)
            best = max((h[2] for h in fit.hypotheses), key=lambda r: r.excess)
            assert max(best.excess, fit.as_read.excess) < fit.threshold(best)
            assert crs_offset("f", lon, lat, net, read_as) == []


# --- true WGS-84 points of the extracts themselves --------------------------------------------


@pytest.mark.parametrize("relative", [SHANGHAI, BEIJING, NANJING])
def test_osm_own_nodes_raise_no_warning(relative):
    a = area(relative)
    lon, lat = feature_nodes(a.osm)
    assert len(lon) >= MIN_POINTS
    assert crs_warnings(a.net, lon, lat, "wgs84") == []
    streets = np.concatenate([w.lonlat for w in a.osm.highways])[::7]
    assert crs_warnings(a.net, streets[:, 0], streets[:, 1], "wgs84") == []


@pytest.mark.parametrize("relative", [BEIJING, NANJING, SHANGHAI])
def test_osm_nodes_shifted_to_gcj02_are_flagged(relative):
    a = area(relative)
    lon, lat = wgs84_to_gcj02(*feature_nodes(a.osm))
    (warning,) = crs_warnings(a.net, lon, lat, "wgs84")
    assert warning.key == "warn.crs_not_declared" and warning.params["crs"] == "gcj02"
    assert warning.params["now"] > warning.params["then"]
    assert crs_warnings(a.net, lon, lat, "gcj02") == []
    # the originals declared GCJ-02 by mistake: told so where the nodes fit clearly enough
    # (Beijing, Shanghai), never told anything else (Nanjing: 0.29 above chance, but chance
    # readings there differ by up to 0.17 among themselves, so 0.34 is needed)
    warnings = crs_warnings(a.net, *feature_nodes(a.osm), "gcj02")
    assert len(warnings) == (relative != NANJING)
    for warning in warnings:
        assert warning.key == "warn.crs_wrongly_declared" and warning.params["crs"] == "gcj02"


@pytest.mark.parametrize("relative", [SHANGHAI, BEIJING, NANJING, HONGKONG])
@pytest.mark.parametrize("n", [12, 30, 200])
def test_random_points_inside_the_extract_raise_no_warning(relative, n):
    """Points with no relation to the streets fit no system (the old check, comparing medians,
    told 12 such points to pass --crs gcj02)."""
    a = area(relative)
    x0, y0, x1, y1 = a.osm.bounds
    for seed in range(8):
        rng = np.random.default_rng(seed)
        lon, lat = rng.uniform(x0, x1, n), rng.uniform(y0, y1, n)
        for read_as in ("wgs84", "gcj02", "bd09"):
            assert crs_warnings(a.net, lon, lat, read_as) == [], (seed, read_as)


# --- limits -----------------------------------------------------------------------------------


def test_too_few_points_are_not_judged():
    """Street nodes (a perfect fit) shifted to GCJ-02: MIN_POINTS of them are flagged, one
    fewer is not tested at all."""
    a = area(BEIJING)
    xy = np.concatenate([w.lonlat for w in a.osm.highways])
    x0, y0, x1, y1 = a.osm.bounds
    mid = (np.abs(xy[:, 0] - (x0 + x1) / 2) < 0.004) & (np.abs(xy[:, 1] - (y0 + y1) / 2) < 0.004)
    pick = np.random.default_rng(0).choice(np.flatnonzero(mid), MIN_POINTS, replace=False)
    lon, lat = wgs84_to_gcj02(xy[pick, 0], xy[pick, 1])
    (warning,) = crs_warnings(a.net, lon, lat, "wgs84")
    assert warning.params["crs"] == "gcj02"
    assert measure_fit(lon[1:], lat[1:], a.net, "wgs84") is None
    assert crs_warnings(a.net, lon[1:], lat[1:], "wgs84") == []


def test_points_off_the_streets_in_every_reading_say_nothing():
    """Points in the void (here 2 km beyond the extract's streets, but within reach of the
    tested extent) are not among the streets in any reading: nothing to compare."""
    a = area(NANJING)
    x0, _, x1, y1 = a.osm.bounds
    lon = np.linspace(x0, x1, 50)
    lat = np.full(50, y1 + 0.012)  # ~1.3 km north of the northernmost street node
    fit = measure_fit(lon, lat, a.net, "wgs84")
    assert fit is None or (fit.as_read.gaps >= COVER_M).all()
    assert crs_offset("f", lon, lat, a.net, "wgs84") == []


def test_a_whole_city_file_gets_both_the_outside_and_the_crs_warning():
    """Most of the Amap bus stops lie outside the central extract: the outside warning no
    longer hides the CRS check, which looks at the points near the streets."""
    lon, lat = wgs84_to_gcj02(*amap("bus_stops"))
    keys = [w.key for w in point_checks("f.csv", lon, lat, area(SHANGHAI).net, "wgs84")]
    assert keys == ["warn.outside", "warn.crs_not_declared"]


def test_message_medians_are_over_points_among_the_streets():
    """``now``/``then`` are medians over points within COVER_M of a street in both readings:
    plausible street distances, not kilometres to points across the city."""
    lon, lat = wgs84_to_gcj02(*amap("bus_stops"))
    (warning,) = crs_warnings(area(SHANGHAI).net, lon, lat, "wgs84")
    assert 20 < warning.params["now"] < COVER_M
    assert warning.params["then"] < 10


# --- an Amap export read as GCJ-02 by default (no --crs): the shared files contradict it -----


def test_defaulted_amap_reading_of_wgs84_bus_stops_is_told_to_pass_crs_wgs84():
    """The shared bus stops are recognised as an Amap export and read as GCJ-02 since no
    ``--crs`` is given; they are WGS-84 already, so the check must say which flag to pass
    (``--crs wgs84``), not to leave out one the user never gave."""
    path = shared_file(AMAP.format("bus_stops"))
    layer = read_points_file(path, None, Rejects(), layer="facilities")
    assert (layer.crs_used, layer.crs_from, layer.poi_source) == ("gcj02", "amap", "amap")
    geoms = layer.frame.geometry.values
    lon, lat = geoms.x, geoms.y
    net = area(SHANGHAI).net
    found = point_checks(layer.source, lon, lat, net, layer.crs_used, layer.crs_from)
    (warning,) = [w for w in found if w.key != "warn.outside"]
    assert warning.key == "warn.crs_amap_default"
    assert warning.params["then"] < 10 < warning.params["now"]  # 3-5 m as WGS-84, ~40 m not
    english, chinese = (t(warning.key, lang, **warning.params) for lang in ("en", "zh"))
    assert "pass --crs wgs84" in english and "do not pass" not in english
    assert "--crs wgs84" in chinese and english_sentences(chinese) == []
    # the same file with --crs given is told the other way round, as before
    given = point_checks(layer.source, lon, lat, net, "gcj02", "given")
    assert [w.key for w in given if w.key != "warn.outside"] == ["warn.crs_wrongly_declared"]
    # read as the user is told to: silent
    plain = read_points_file(
        shared_file(AMAP.format("bus_stops")), "wgs84", Rejects(), layer="homes"
    )
    assert plain.crs_from == "given"
    xy = plain.frame.geometry.values
    assert crs_warnings(net, xy.x, xy.y, "wgs84") == []
