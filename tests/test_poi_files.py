"""Amap (高德) and Baidu (百度) POI exports as first-class input (issue 12, item 2).

An export is recognised from its header and its category paths; with no ``--crs`` it is read in
the system its web map publishes (Amap GCJ-02, Baidu BD-09); its categories decide the kind
(profile ``poi_categories``), so it needs no ``kind`` column; and a point from a file that is
the same place as an OSM feature counts once. Bad exports (GBK/GB18030 or a BOM, a missing
category column, unknown categories) keep rows in = rows kept + rows in rejects.csv, in both
languages.

The exports built here hold points inside the Beijing extract, written in the exporting map's
own system (``wgs84_to_gcj02`` / ``wgs84_to_bd09`` of WGS-84 points), as a real export would.
"""

from __future__ import annotations

from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely

from shequ.geo.coords import metric_crs, wgs84_to_bd09, wgs84_to_gcj02
from shequ.geo.csv_table import peek_table
from shequ.geo.facilities import (
    combine_facilities,
    facilities_from_layer,
    facilities_from_osm,
    name_key,
    similar_names,
)
from shequ.geo.osm_file import read_osm
from shequ.geo.points_file import crs_note, poi_source, read_points_file
from shequ.i18n import render_note
from shequ.profile import load_profile
from shequ.rejects import Rejects
from tests.conftest import shared_file
from tests.helpers import english_sentences
from tests.test_bad_input_corpus import Balance, Case, access, beijing, points, run_case

AMAP_KINDERGARTENS = "poi/shanghai_amap/kindergarten.csv"
NANJING = "osm/nanjing_xinjiekou_small.osm"
BEIJING = "osm/beijing_haidian_liudaokou_small.osm"

KG = "科教文化服务;学校;幼儿园"
#: (name, Amap type, Baidu tag, kept as) of the rows of every export built here: 5 of 8 kept
ROWS = [
    ("阳光幼儿园", "科教文化服务;学校;幼儿园", "教育培训;幼儿园", "kindergarten"),
    ("小太阳幼儿园(双清路)", "科教文化服务;学校;幼儿园", "教育培训;幼儿园", "kindergarten"),
    ("清华附小幼儿园", f"{KG}|科教文化服务;培训机构;培训机构", "教育培训;幼儿园", "kindergarten"),
    ("东升社区卫生服务站", "医疗保健服务;诊所;诊所", "医疗;诊所", "clinic"),
    ("学院路诊所", "医疗保健服务;诊所;诊所", "医疗;诊所", "clinic"),
    ("爱宠动物医院", "医疗保健服务;动物医疗场所;宠物诊所", "宠物服务;宠物医院", None),
    ("便利蜂", "购物服务;便利店;便利店", "购物;便利店", None),
    ("无分类", "", "", None),
]  # fmt: skip
KEPT = sum(kind is not None for *_, kind in ROWS)


def amap_frame(with_type: bool = True) -> pd.DataFrame:
    """An Amap place-API export (columns of the shared Shanghai files), in GCJ-02."""
    lon, lat = wgs84_to_gcj02(*points(len(ROWS), seed=3))
    frame = pd.DataFrame(
        {
            "name": [r[0] for r in ROWS],
            "address": "学院路",
            "adname": "海淀区",
            "pname": "北京市",
            "type": [r[1] for r in ROWS],
            "lon": lon.round(6),
            "lat": lat.round(6),
        }
    )
    return frame if with_type else frame.drop(columns="type")


def amap_api_frame(with_type: bool = True) -> pd.DataFrame:
    """Amap's place API fields as they come (``place/text``): ``location`` "lng,lat" in one
    column, ``typecode``, ``pname``/``cityname``/``adname``, in GCJ-02."""
    lon, lat = wgs84_to_gcj02(*points(len(ROWS), seed=3))
    frame = pd.DataFrame(
        {
            "id": [f"B0FFG{i:05d}" for i in range(len(ROWS))],
            "name": [r[0] for r in ROWS],
            "type": [r[1] for r in ROWS],
            "typecode": "141204",
            "address": "学院路",
            "location": [f"{x:.6f},{y:.6f}" for x, y in zip(lon, lat, strict=True)],
            "pname": "北京市",
            "cityname": "北京市",
            "adname": "海淀区",
        }
    )
    return frame if with_type else frame.drop(columns="type")


def baidu_frame(with_tag: bool = True) -> pd.DataFrame:
    """A Baidu place-API export flattened: ``tag`` is the category path, ``type`` Baidu's
    industry word; coordinates in BD-09 under ``location.lat``/``location.lng``."""
    lon, lat = wgs84_to_bd09(*points(len(ROWS), seed=3))
    frame = pd.DataFrame(
        {
            "uid": [f"a{i:023d}" for i in range(len(ROWS))],
            "name": [r[0] for r in ROWS],
            "province": "北京市",
            "city": "北京市",
            "area": "海淀区",
            "tag": [r[2] for r in ROWS],
            "type": ["education"] * 3 + ["medical"] * 3 + ["shopping", ""],
            "location.lat": lat.round(6),
            "location.lng": lon.round(6),
        }
    )
    return frame if with_tag else frame.drop(columns="tag")


# --- recognising an export ----------------------------------------------------------------


def test_the_shared_amap_file_is_recognised_from_its_header_and_categories():
    header, rows = peek_table(shared_file(AMAP_KINDERGARTENS))
    assert header == ["name", "address", "adname", "pname", "type", "lat", "lon"]
    assert len(rows) == 200 and rows[0][4] == "科教文化服务;学校;幼儿园"
    assert poi_source(header, rows) == "amap"
    assert poi_source(header) == "amap"  # pname + adname alone


@pytest.mark.parametrize(
    ("header", "rows", "expected"),
    [
        (["id", "name", "type", "typecode", "location"], [], "amap"),
        (["uid", "street_id", "name", "lat", "lng"], [], "baidu"),
        (["name", "tag", "lat", "lng"], [["幼儿园", "教育培训;幼儿园", "1", "2"]], "baidu"),
        (["name", "type", "lat", "lon"], [["园", "科教文化服务;学校;幼儿园", "1", "2"]], "amap"),
        # a planner's own tables: nothing to recognise, so the plain default stays
        (["name", "lon", "lat", "kind"], [["园", "1", "2", "kindergarten"]], None),
        (["name", "city", "area", "lon", "lat", "households"], [], None),
        (["time", "type", "lon", "lat"], [["2024-01-01", "盗窃", "1", "2"]], None),
        # both maps' marks: a tie is no export
        (["uid", "pname", "lon", "lat"], [], None),
    ],
)
def test_poi_source(header, rows, expected):
    assert poi_source(header, rows) == expected


def test_an_amap_export_is_read_as_gcj02_unless_crs_is_given(tmp_path: Path):
    path = tmp_path / "amap.csv"
    amap_frame().to_csv(path, index=False, encoding="gbk")
    layer = read_points_file(path, None, Rejects(), layer="facilities")
    assert (layer.crs_used, layer.crs_from, layer.poi_source) == ("gcj02", "amap", "amap")
    # back where the WGS-84 points were (the GCJ-02 inverse is good to ~1e-7 degrees)
    lon, lat = points(len(ROWS), seed=3)
    geoms = layer.frame.geometry.values
    assert np.abs(geoms.x - lon).max() < 2e-6 and np.abs(geoms.y - lat).max() < 2e-6
    note = crs_note(layer)
    assert note.key == "n.crs_export_default" and "GCJ-02" in note and "--crs wgs84" in note
    zh = render_note(note, "zh")
    assert "高德" in zh and "GCJ-02" in zh and english_sentences(zh) == []
    given = read_points_file(path, "wgs84", Rejects(), layer="facilities")
    assert (given.crs_used, given.crs_from) == ("wgs84", "given")
    assert crs_note(given).key == "n.crs_export_given"


def test_amap_location_lng_lat_in_one_column(tmp_path: Path):
    frame = amap_api_frame()
    frame.loc[6, "location"] = "121.47"  # half a coordinate: that row is rejected, with why
    path = tmp_path / "amap_api.csv"
    frame.to_csv(path, index=False, encoding="gb18030")
    rejects = Rejects()
    layer = read_points_file(path, None, rejects, layer="facilities")
    assert (layer.crs_used, layer.crs_from) == ("gcj02", "amap")
    assert list(layer.frame["row"]) == [1, 2, 3, 4, 5, 6, 8]
    (reason,) = rejects.frame()["reason_key"]
    assert reason == "r.no_coordinates"
    lon, lat = points(len(ROWS), seed=3)
    geoms = layer.frame.geometry.values
    assert np.abs(geoms.x - np.delete(lon, 6)).max() < 2e-6
    assert np.abs(geoms.y - np.delete(lat, 6)).max() < 2e-6


def test_a_baidu_export_is_read_as_bd09_and_its_tag_is_the_category(tmp_path: Path):
    path = tmp_path / "baidu.csv"
    baidu_frame().to_csv(path, index=False, encoding="utf-8-sig")
    layer = read_points_file(path, None, Rejects(), layer="facilities")
    assert (layer.crs_used, layer.crs_from, layer.poi_source) == ("bd09", "baidu", "baidu")
    assert layer.renamed["tag"] == "category"  # not the industry word in `type`
    lon, lat = points(len(ROWS), seed=3)
    geoms = layer.frame.geometry.values
    assert np.abs(geoms.x - lon).max() < 2e-5 and np.abs(geoms.y - lat).max() < 2e-5
    assert "BD-09" in crs_note(layer)


def test_a_plain_table_keeps_the_wgs84_default_and_gets_no_note(tmp_path: Path):
    path = tmp_path / "mine.csv"
    lon, lat = points(3)
    pd.DataFrame({"name": ["a", "b", "c"], "kind": "clinic", "lon": lon, "lat": lat}).to_csv(
        path, index=False
    )
    layer = read_points_file(path, None, Rejects(), layer="facilities")
    assert (layer.crs_used, layer.crs_from, layer.poi_source) == ("wgs84", "default", None)
    assert crs_note(layer) is None


def test_the_amap_kindergarten_file_needs_no_kind_column():
    """Read as WGS-84 (which the shared file is): every row a kindergarten or rejected."""
    rejects = Rejects()
    layer = read_points_file(shared_file(AMAP_KINDERGARTENS), "wgs84", rejects, layer="facilities")
    profile = load_profile()
    crs = metric_crs(121.2, 31.0, 121.7, 31.4)
    out = facilities_from_layer(layer, crs, profile, rejects, kind=None)
    rows = len(pd.read_csv(shared_file(AMAP_KINDERGARTENS)))
    assert set(out["kind"]) == {"kindergarten"} and set(out["matched_by"]) == {"category"}
    assert len(out) + len(rejects.frame()) == rows


# --- bad exports through the CLI, in English and Chinese -----------------------------------


def _export(frame_of, encoding: str, with_category: bool = True):
    def build(work: Path) -> list[str]:
        path = work / "pois.csv"
        path.write_bytes(frame_of(with_category).to_csv(index=False).encode(encoding))
        return access("--osm", beijing(), "--facilities", str(path), "--no-osm-facilities")

    return build


ENCODINGS = {"gbk": "gbk", "gb18030": "gb18030", "bom": "utf-8-sig"}
CASES = [
    Case(
        f"{source}-{label}",
        _export(frame_of, encoding),
        "ok",
        ("宠物", "便利店", "no category"),  # the reasons name the categories
        (Balance("pois.csv", "facilities", len(ROWS), kept=KEPT),),
    )
    for source, frame_of in (
        ("amap", amap_frame),
        ("amap-api", amap_api_frame),
        ("baidu", baidu_frame),
    )
    for label, encoding in ENCODINGS.items()
]
CASES += [
    # an Amap export without its `type`: one line naming the file, nothing read
    Case("amap-no-type", _export(amap_frame, "gbk", False), "error", ("pois.csv", "type")),
    # a Baidu export without its `tag`: `uid` alone does not prove an export (a planner's
    # table may have one), so it is a plain table with no kind: one line naming the file
    Case("baidu-no-tag", _export(baidu_frame, "gb18030", False), "error", ("pois.csv", "kind")),
]


@pytest.mark.parametrize("lang", ["en", "zh"])
@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_bad_exports(case: Case, lang: str, tmp_path: Path, capsys):
    run_case(case, tmp_path, capsys, lang=lang)


def test_an_export_of_only_unknown_categories_is_one_error(tmp_path: Path, capsys):
    def build(work: Path) -> list[str]:
        frame = amap_frame()
        frame["type"] = ["购物服务;便利店;便利店"] * 4 + ["餐饮服务;中餐厅;火锅店"] * 4
        path = work / "pois.csv"
        path.write_bytes(frame.to_csv(index=False).encode("gb18030"))
        return access("--osm", beijing(), "--facilities", str(path), "--no-osm-facilities")

    case = Case("amap-unknown", build, "error", ("pois.csv", "便利店"))
    run_case(case, tmp_path, capsys)


# --- a file's point and an OSM feature that are one place count once -----------------------


def test_similar_names():
    assert name_key("思南路幼儿园（皋兰路）") == name_key("思南路幼儿园") == "思南路幼儿园"
    assert similar_names(name_key("南京市五老村小学"), name_key("五老村小学 "))
    assert not similar_names(name_key("蓬莱路幼儿园分园"), name_key("蓬莱路幼儿园"))
    assert not similar_names(name_key("复旦中学南校区"), name_key("复旦中学"))
    assert not similar_names(name_key("石鼓路小学"), name_key("汉中门小学"))
    assert not similar_names(None, "石鼓路小学")


def _osm_and_file(relative: str, tmp_path: Path):
    """The extract's OSM facilities, and a user file built from them: each named feature
    once as the same place (moved 5 m, its name with a branch in brackets or a city
    prefix), once as another site (分园, moved 5 m), and once as the same name 150 m away."""
    osm = read_osm(shared_file(relative))
    crs = metric_crs(*osm.bounds)
    profile = load_profile()
    kinds = [profile.kind(k) for k in profile.kinds]
    from_osm = facilities_from_osm(osm, crs, kinds)
    named = from_osm[from_osm["name"].notna()]
    xy = np.column_stack([named.geometry.x, named.geometry.y])
    rows = []
    for (x, y), name, kind in zip(xy, named["name"], named["kind"], strict=True):
        rows.append((x + 3.0, y + 4.0, f"{name}（东门）", kind))  # 5 m: one place
        rows.append((x - 3.0, y - 4.0, f"{name}分园", kind))  # 5 m, but another site
        rows.append((x + 150.0, y, name, kind))  # same name, 150 m: another place
    frame = pd.DataFrame(rows, columns=["x", "y", "name", "kind"])
    where = gpd.GeoSeries(shapely.points(frame["x"], frame["y"]), crs=crs).to_crs(4326)
    lonlat = shapely.get_coordinates(where.to_numpy())
    path = tmp_path / "mine.csv"
    out = frame.assign(lon=lonlat[:, 0], lat=lonlat[:, 1]).drop(columns=["x", "y"])
    out.to_csv(path, index=False)
    rejects = Rejects()
    layer = read_points_file(path, None, rejects, layer="facilities")
    from_file = facilities_from_layer(layer, crs, profile, rejects, kind=None)
    return from_osm, from_file, named, crs, kinds


@pytest.mark.parametrize("relative", [NANJING, BEIJING])
def test_a_file_point_and_the_osm_feature_of_one_place_count_once(relative, tmp_path: Path):
    from_osm, from_file, named, crs, kinds = _osm_and_file(relative, tmp_path)
    assert len(named) >= 5  # Nanjing: 7 named facilities, Beijing: 5
    notes: list[str] = []
    out = combine_facilities([from_osm, from_file], crs, kinds, notes)
    # every named OSM feature merged into the file's 东门 row, nothing else
    assert len(out) == len(from_osm) + len(from_file) - len(named)
    assert (out["facility_id"] == np.arange(len(out))).all()
    kept = out[out["merged_refs"].str.contains("/")]
    assert (kept["source"] != "osm").all() and kept["name"].str.endswith("（东门）").all()
    # the OSM ref first, then those the OSM feature had absorbed itself (a node inside a way)
    carried = [
        f"{ref}; {more}" if more else ref
        for ref, more in zip(named["source_ref"], named["merged_refs"], strict=True)
    ]
    assert sorted(kept["merged_refs"]) == sorted(carried)
    assert kept["duplicates"].sum() == len(named) + named["duplicates"].sum()
    assert kept["input_row"].notna().all()
    assert not out["source_ref"].isin(named["source_ref"]).any()
    (note,) = notes
    assert note.key == "n.facilities_merged_sources" and note.params["n"] == len(named)
    for kind, n in named["kind"].value_counts().items():
        assert f"{n} {kind}" in note
    zh = render_note(note, "zh")
    assert english_sentences(zh) == [], zh


def test_without_kinds_nothing_is_merged_across_sources(tmp_path: Path):
    from_osm, from_file, _, crs, _ = _osm_and_file(NANJING, tmp_path)
    out = combine_facilities([from_osm, from_file], crs)
    assert len(out) == len(from_osm) + len(from_file)


@pytest.mark.parametrize("layer", ["homes", "facilities", "incidents"])
def test_a_planners_table_with_one_api_like_column_stays_wgs84(tmp_path: Path, layer: str):
    """A ``uid`` (or ``cityname``) column alone is no proof of an export: read as BD-09 a
    WGS-84 table moved 1.3 km and 249 of 258 Beijing homes fell outside the study area."""
    path = tmp_path / "table.csv"
    pd.DataFrame(
        {
            "uid": ["a1", "a2"],
            "cityname": ["北京市", "北京市"],
            "kind": ["kindergarten"] * 2,
            "lon": [116.35, 116.351],
            "lat": [40.002, 40.003],
            "households": [40, 50],
        }
    ).to_csv(path, index=False)
    read = read_points_file(path, None, Rejects(), layer=layer)
    assert (read.crs_used, read.crs_from, read.poi_source) == ("wgs84", "default", None)
    assert crs_note(read) is None
    assert poi_source(["uid", "lon", "lat"]) is None
    assert poi_source(["uid", "street_id", "lon", "lat"]) == "baidu"  # two API headers
    assert poi_source(["name", "typecode", "type", "location"]) == "amap"  # header + category


def test_an_export_read_as_homes_is_not_moved(tmp_path: Path):
    """The web map's own system is the default for facilities and candidates only."""
    amap = read_points_file(
        shared_file("poi/shanghai_amap/bus_stops.csv"), None, Rejects(), layer="homes"
    )
    assert (amap.crs_used, amap.crs_from) == ("wgs84", "default")
