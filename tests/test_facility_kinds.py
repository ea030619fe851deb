"""Facility kinds from tags, names as a hint, one place counted once (issue 12, item 1).

On the shared extracts: the Beijing car park 原幼儿园停车场 (``amenity=parking``) and the planned
site 0803-633规划幼儿园 (``landuse=construction``) are no kindergartens, and each Nanjing school
mapped several times (石鼓路小学 ×2, 五老村小学 ×3) counts once. The rules themselves are checked
on tags written here, and the profile refuses rules that would silently do nothing or too much.
"""

from __future__ import annotations

from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely

from shequ.errors import InputError
from shequ.geo.coords import metric_crs
from shequ.geo.facilities import _text, facilities_from_osm, kind_name, match_kind, merge_same_place
from shequ.geo.osm_file import OsmData, read_osm
from shequ.i18n import Note, render_note
from shequ.jobs.access import AccessOptions, compute_access, write_access_outputs
from shequ.profile import load_profile
from tests.conftest import shared_file

BEIJING = "osm/beijing_haidian_liudaokou_small.osm"
NANJING = "osm/nanjing_xinjiekou_small.osm"


def _osm_facilities(relative: str) -> tuple[gpd.GeoDataFrame, list[str]]:
    osm = read_osm(shared_file(relative))
    notes: list[str] = []
    kinds = list(load_profile().kinds.values())
    return facilities_from_osm(osm, metric_crs(*osm.bounds), kinds, notes), notes


@pytest.fixture(scope="module")
def beijing() -> tuple[gpd.GeoDataFrame, list[str]]:
    return _osm_facilities(BEIJING)


@pytest.fixture(scope="module")
def nanjing() -> tuple[gpd.GeoDataFrame, list[str]]:
    return _osm_facilities(NANJING)


def test_beijing_car_park_and_planned_site_are_not_kindergartens(beijing):
    facilities, notes = beijing
    kindergartens = facilities[facilities["kind"] == "kindergarten"]
    # the two amenity=kindergarten features stay; the car park and the construction site go
    assert sorted(kindergartens["source_ref"]) == ["node/1785669301", "way/1192949960"]
    assert (kindergartens["matched_by"] == "tag").all()
    assert "way/594882341" not in set(facilities["source_ref"])  # 原幼儿园停车场, for any kind
    assert "way/982189445" not in set(facilities["source_ref"])  # 0803-633规划幼儿园
    refused = [n for n in notes if n.key == "n.facilities_refused"]
    assert len(refused) == 1 and refused[0].params["n"] == 2
    assert "原幼儿园停车场 (way/594882341: tagged amenity=parking)" in refused[0]
    assert "landuse=construction" in refused[0]
    assert "标签为 amenity=parking" in render_note(refused[0], "zh")


def test_beijing_schools_named_but_tagged_school_are_added_by_name(beijing):
    facilities, _ = beijing
    schools = facilities[facilities["kind"] == "primary_school"]
    # amenity=school without isced:level: the name 小学 adds them, and says so
    assert sorted(schools["source_ref"]) == ["way/1393226242", "way/167304641"]
    assert (schools["matched_by"] == "name").all()


def test_nanjing_schools_mapped_several_times_count_once(nanjing):
    facilities, notes = nanjing
    schools = facilities[facilities["kind"] == "primary_school"]
    shigu = schools[schools["name"] == "石鼓路小学"]
    assert len(shigu) == 1  # amenity=school area + building=yes outline of the same name
    assert shigu["source_ref"].iloc[0] == "way/147399444"  # the tagged school grounds
    assert shigu["duplicates"].iloc[0] == 1
    assert shigu["merged_refs"].iloc[0] == "way/680512978"
    wulao = schools[schools["name"].str.contains("五老村小学")]
    assert list(wulao["source_ref"]) == ["way/223942597"]  # office=yes nodes are not schools
    assert len(schools) == 5 and schools["duplicates"].sum() == 1
    merged = [n for n in notes if n.key == "n.facilities_merged"]
    assert len(merged) == 1 and merged[0].params["n"] == 1
    assert "石鼓路小学 way/147399444 (primary_school) absorbed way/680512978" in merged[0]
    refused = next(n for n in notes if n.key == "n.facilities_refused")
    assert "南京市五老村小学旧教学楼 (node/7174066485: tagged office=yes" in refused


def test_matched_by_reaches_the_facilities_layer(tmp_path: Path):
    result = compute_access(AccessOptions(osm=shared_file(BEIJING), isochrones=False))
    paths = write_access_outputs(result, tmp_path / "out", with_map=False)
    layer = gpd.read_file(paths["gpkg"], layer="facilities")
    assert {"matched_by", "duplicates", "merged_refs"} <= set(layer.columns)
    by_ref = dict(zip(layer["source_ref"], layer["matched_by"], strict=True))
    assert by_ref["node/1785669301"] == "tag" and by_ref["way/167304641"] == "name"
    assert set(layer.loc[layer["kind"] == "kindergarten", "source_ref"]) <= {
        "node/1785669301",
        "way/1192949960",
    }


@pytest.fixture(scope="module")
def kinds():
    return load_profile().kinds


@pytest.mark.parametrize(
    ("tags", "kind", "expected"),
    [
        ({"amenity": "kindergarten"}, "kindergarten", "tag"),
        ({"name": "阳光幼儿园"}, "kindergarten", "name"),  # no primary tag: the name decides
        ({"name": "阳光幼儿园", "amenity": "school"}, "kindergarten", "name"),  # name_allows
        ({"name": "阳光幼儿园", "landuse": "residential"}, "kindergarten", "name"),  # neutral
        ({"name": "阳光幼儿园", "shop": "clothes"}, "kindergarten", None),  # a shop
        ({"name": "阳光幼儿园", "amenity": "parking"}, "kindergarten", None),
        # 原 at the start refuses a name-only match; a tagged one counts (原安中医门诊部 is open)
        ({"amenity": "kindergarten", "name": "原阳光幼儿园"}, "kindergarten", "tag"),
        ({"name": "原阳光幼儿园"}, "kindergarten", None),
        ({"amenity": "kindergarten", "name": "市规划局机关幼儿园"}, "kindergarten", "tag"),
        (
            {"amenity": "kindergarten", "name": "育蕾幼儿园(松江区规划和土地管理局叶榭所南)"},
            "kindergarten",
            "tag",
        ),
        ({"amenity": "clinic", "name": "原安中医门诊部"}, "clinic", "tag"),
        ({"landuse": "residential", "name": "石鼓路小学宿舍"}, "primary_school", None),
        ({"landuse": "residential", "name": "实验幼儿园家属院"}, "kindergarten", None),
        ({"amenity": "kindergarten", "name": "阳光幼儿园(原停车场)"}, "kindergarten", "tag"),
        ({"amenity": "kindergarten", "name": "阳光幼儿园旧址"}, "kindergarten", None),
        ({"amenity": "kindergarten", "name": "拟建幼儿园"}, "kindergarten", None),
        ({"amenity": "kindergarten", "construction": "yes"}, "kindergarten", None),
        ({"amenity": "kindergarten", "disused": "yes"}, "kindergarten", None),
        ({"disused:amenity": "kindergarten", "name": "阳光幼儿园"}, "kindergarten", None),
        ({"amenity": "school", "name": "太原路小学"}, "primary_school", "name"),  # 原 inside
        ({"amenity": "school", "name": "新街小学(原新街口小学)"}, "primary_school", "name"),
        ({"office": "yes", "name": "五老村小学旧教学楼"}, "primary_school", None),
        ({"amenity": "hospital", "name": "东区社区卫生服务中心"}, "clinic", "name"),
        ({"amenity": "veterinary", "name": "宠物诊所"}, "clinic", None),
        # a car charger is no e-bike shed (review): 充电桩 counts only without 汽车 around it
        ({"amenity": "charging_station", "name": "国家电网汽车充电桩"}, "ebike_charging", None),
        ({"name": "新能源充电桩"}, "ebike_charging", None),
        ({"name": "小区电瓶车充电桩"}, "ebike_charging", "name"),
    ],
)
def test_tags_decide_and_names_only_add(kinds, tags, kind, expected):
    assert match_kind(tags, kinds[kind]) == expected


def _points(*xy: tuple[float, float]) -> np.ndarray:
    return shapely.points(np.array(xy, dtype=float))


def test_same_name_merges_within_the_distance_only():
    names = np.array(["石鼓路小学", "石鼓路小学", "石鼓路 小学", "汉中门小学"], dtype=object)
    by_tag = np.array([False, True, False, False])
    keep, absorbed = merge_same_place(
        _points((0, 0), (90, 0), (180, 0), (10, 0)), names, by_tag, 100.0
    )
    # 0-1 are 90 m apart, 1-2 are 90 m apart (spaces ignored): one chain, kept at the tagged one
    assert list(keep) == [1, 3] and absorbed == [[0, 2], []]
    keep, absorbed = merge_same_place(_points((0, 0), (110, 0)), names[:2], by_tag[:2], 100.0)
    assert list(keep) == [0, 1] and absorbed == [[], []]  # 110 m apart: two schools


def test_a_point_inside_an_area_of_the_kind_is_that_place():
    grounds = shapely.box(0, 0, 300, 300)  # a large school: its node lies 150 m inside
    geoms = np.array([shapely.Point(150, 150), grounds, shapely.Point(400, 150)], dtype=object)
    names = np.array(["实验小学", "实验小学(本部)", None], dtype=object)
    keep, absorbed = merge_same_place(geoms, names, np.array([True, False, True]), 100.0)
    # the node merges into the grounds whatever its name; the node 100 m outside stays apart
    assert list(keep) == [0, 2] and absorbed == [[1], []]  # the tagged node is kept
    keep, _ = merge_same_place(geoms, names, np.array([True, True, True]), 100.0)
    assert list(keep) == [1, 2]  # both tagged: the area is kept


def _profile_file(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "profile.yaml"
    path.write_text(text, encoding="utf-8")
    return path


@pytest.mark.parametrize(
    ("text", "where"),
    [
        (
            "facilities:\n  kindergarten:\n    name_allows: {building: school}\n",
            "facilities.kindergarten.name_allows.building",
        ),
        ('facility_matching:\n  exclude_name_regex: {value: ""}\n', "exclude_name_regex"),
        ("facility_matching:\n  exclude_tag_prefixes: {values: [disused]}\n", "prefixes"),
        ("facility_matching:\n  merge_within_m: -5\n", "merge_within_m"),
        ("facilities:\n  kindergarten:\n    name_regex: '.*'\n", "name_regex"),
    ],
)
def test_profile_refuses_rules_that_would_do_nothing_or_everything(tmp_path, text, where):
    with pytest.raises(InputError) as err:
        load_profile(_profile_file(tmp_path, text))
    assert where in str(err.value)


def test_profile_rules_can_be_relaxed(tmp_path: Path):
    """A planner who wants planned sites counted (a future scenario) switches the names off."""
    text = (
        "facility_matching:\n  exclude_name_regex: {value: null}\n"
        "  exclude_name_only_regex: {value: null}\n"
        "  exclude_tags: {values: [{amenity: parking}]}\n  merge_within_m: 0\n"
    )
    profile = load_profile(_profile_file(tmp_path, text))
    assert profile.facility_matching.exclude_name_regex is None
    planned = {"landuse": "construction", "name": "0803-633规划幼儿园"}
    # landuse=construction is no longer excluded, but it still contradicts a kindergarten
    assert match_kind(planned, profile.kinds["kindergarten"]) is None
    assert match_kind({"name": "规划幼儿园"}, profile.kinds["kindergarten"]) == "name"


def _osm(features: list[tuple[str, int, dict[str, str], shapely.Geometry]]) -> OsmData:
    osm_type, osm_id, tags, geoms = zip(*features, strict=True)
    frame = gpd.GeoDataFrame(
        {
            "osm_type": list(osm_type),
            "osm_id": np.asarray(osm_id, dtype=np.int64),
            "name": [t.get("name") for t in tags],
            "tags": list(tags),
        },
        geometry=list(geoms),
        crs="EPSG:4326",
    )
    return OsmData("test.osm", [], frame)


def test_notes_say_what_was_refused_and_merged_and_only_that():
    school = {"amenity": "school", "name": "新街口小学"}
    features = [
        # a kindergarten named after its school: 小学 in the name, but amenity=kindergarten
        (
            "node",
            1,
            {"amenity": "kindergarten", "name": "新街口小学附属幼儿园"},
            shapely.Point(118.78, 32.04),
        ),
        ("node", 2, school, shapely.Point(118.79, 32.04)),
        ("node", 3, school, shapely.Point(118.7905, 32.04)),  # ~47 m east: mapped twice
        (
            "node",
            4,
            {"amenity": "parking", "name": "新街口小学停车场"},
            shapely.Point(118.8, 32.04),
        ),
    ]
    osm = _osm(features)
    notes: list[str] = []
    kinds = list(load_profile().kinds.values())
    found = facilities_from_osm(osm, metric_crs(*osm.features.total_bounds), kinds, notes)
    assert sorted(zip(found["kind"], found["source_ref"], strict=True)) == [
        ("kindergarten", "node/1"),
        ("primary_school", "node/2"),
    ]
    assert found.set_index("source_ref").loc["node/2", "merged_refs"] == "node/3"
    refused = next(n for n in notes if n.key == "n.facilities_refused")
    assert refused.params["n"] == 1 and "node/4" in refused and "node/1" not in refused
    merged = next(n for n in notes if n.key == "n.facilities_merged")
    assert merged.params["n"] == 1


def test_a_chain_of_same_named_points_is_not_one_place():
    """Ten 垃圾分类投放点 80 m apart along 720 m: each merges only with a kept point within
    100 m of itself, so the row stays five places, not one (review of issue 12)."""
    xy = [(80.0 * i, 0.0) for i in range(10)]
    names = np.array(["垃圾分类投放点"] * 10, dtype=object)
    keep, absorbed = merge_same_place(_points(*xy), names, np.zeros(10, dtype=bool), 100.0)
    assert list(keep) == [0, 2, 4, 6, 8]
    assert absorbed == [[1], [3], [5], [7], [9]]


def test_notes_name_the_kind_in_the_users_language_and_never_nan():
    from shequ.i18n import render_note
    from shequ.profile import load_profile

    kind = load_profile().kind("primary_school")
    note = Note("kinds.why_contradicts", tag="office=yes", kind=kind_name(kind))
    assert "primary_school" in note and "primary_school" not in render_note(note, "zh")
    assert "小学" in render_note(note, "zh")
    assert _text(float("nan")) == "" and _text(None) == "" and _text("石鼓路小学") == "石鼓路小学"


# --- Amap / Baidu exports: categories decide the kind (item 2) -------------------------------

AMAP = "poi/shanghai_amap/"
SHANGHAI = "osm/shanghai_center_roads_large.osm"


def _amap_run(tmp_path: Path, name: str, *extra: str) -> tuple[pd.DataFrame, pd.DataFrame]:
    from shequ.cli import main

    homes = tmp_path / "homes.csv"
    pd.DataFrame({"lon": [121.47, 121.48], "lat": [31.23, 31.22], "households": [100, 80]}).to_csv(
        homes, index=False
    )
    out = tmp_path / "out"
    # the shared Amap files are WGS-84 already (PROVENANCE.md): read them as such
    args = ["access", "--osm", str(shared_file(SHANGHAI)), "--homes", str(homes), "--crs", "wgs84"]
    args += ["--facilities", str(shared_file(AMAP + name)), *extra, "--no-osm-facilities"]
    assert main([*args, "--quiet", "--no-map", "--no-isochrones", "--out", str(out)]) == 0
    facilities = gpd.read_file(out / "shequ.gpkg", layer="facilities")
    rejects = pd.read_csv(out / "rejects.csv", encoding="utf-8-sig", keep_default_na=False)
    return facilities, rejects[rejects["source"].str.endswith(name)]


def test_the_amap_kindergarten_file_needs_no_kind_column(tmp_path: Path):
    facilities, rejects = _amap_run(tmp_path, "kindergarten.csv")
    rows = len(pd.read_csv(shared_file(AMAP + "kindergarten.csv")))
    assert len(facilities) > 0 and set(facilities["kind"]) == {"kindergarten"}
    assert set(facilities["matched_by"]) == {"category"}
    assert len(facilities) + len(rejects) == rows  # rows in = kept + rejected


def test_amap_animal_hospitals_are_not_clinics(tmp_path: Path):
    facilities, rejects = _amap_run(tmp_path, "hospital.csv", "--kinds", "clinic")
    source = pd.read_csv(shared_file(AMAP + "hospital.csv"))
    assert len(facilities) + len(rejects) == len(source)
    kept = source.set_index("name").loc[facilities["name"].dropna().unique(), "type"]
    assert not kept.astype(str).str.contains("动物医疗场所|宠物").any()
    pets = rejects[rejects["reason_key"] == "r.category_excluded"]
    assert pets["reason"].str.contains("宠物诊所|动物医疗场所").any()
    assert (rejects["reason_key"] == "r.category_unmapped").any()  # 综合医院 is no 社区卫生服务站


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("科教文化服务;学校;幼儿园", ("kindergarten", None)),
        ("科教文化服务;学校;幼儿园|科教文化服务;培训机构;培训机构", ("kindergarten", None)),
        ("医疗保健服务;动物医疗场所;宠物诊所", (None, "动物医疗场所")),
        ("医疗保健服务;专科医院;口腔医院|医疗保健服务;诊所;诊所", ("clinic", None)),
        ("医疗保健服务;综合医院;三级甲等医院", (None, None)),
        ("教育培训;幼儿园", ("kindergarten", None)),  # Baidu
        ("教育培训;培训机构", (None, "培训机构")),
    ],
)
def test_category_paths(value, expected):
    assert load_profile().poi_categories.classify(value) == expected


def test_a_baidu_export_in_gbk_with_unknown_categories_balances(tmp_path: Path):
    """A Baidu-style export (``tag`` column) in GB18030: every row kept or rejected with why."""
    from shequ.cli import main

    osm = shared_file(BEIJING)
    rows = pd.DataFrame(
        {
            "name": ["阳光幼儿园", "快乐宠物医院", "某某驾校", "无分类", "中关村小学"],
            "tag": ["教育培训;幼儿园", "宠物服务;宠物医院", "教育培训;驾校", "", "教育培训;小学"],
            "lon": [116.350, 116.351, 116.352, 116.353, 116.354],
            "lat": [40.002, 40.003, 40.004, 40.005, 40.006],
        }
    )
    path = tmp_path / "baidu.csv"
    path.write_bytes(rows.to_csv(index=False).encode("gb18030"))
    out = tmp_path / "out"
    args = ["access", "--osm", str(osm), "--facilities", str(path), "--no-osm-facilities"]
    # recognised as a Baidu export (BD-09 by default); these made-up points are WGS-84
    args += ["--crs", "wgs84"]
    assert main([*args, "--quiet", "--no-map", "--no-isochrones", "--out", str(out)]) == 0
    kept = gpd.read_file(out / "shequ.gpkg", layer="facilities")
    rejects = pd.read_csv(out / "rejects.csv", encoding="utf-8-sig", keep_default_na=False)
    mine = rejects[rejects["source"].str.endswith("baidu.csv")]
    assert len(kept) + len(mine) == 5
    assert sorted(kept["kind"]) == ["kindergarten", "primary_school"]
    assert sorted(mine["reason_key"]) == [
        "r.category_empty",
        "r.category_excluded",
        "r.category_excluded",
    ]
