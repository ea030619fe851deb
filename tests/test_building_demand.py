"""Demand that fits the building (issue 12): building types, name rules, caps and flags.

Census shares of children and elderly were put on student dormitories, a president's residence
became dozens of households and canteens inside compounds became homes. The profile's
``demand.building_types`` and ``demand.name_rules`` decide, per building, what it holds; each
home says which type was used, whether a cap cut it and whether its outline is suspiciously
large. The figures below are checked against the OSM buildings of the shared extracts.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from shequ.errors import InputError
from shequ.geo.coords import metric_crs
from shequ.geo.homes import (
    compounds_from_osm,
    demand_from_population,
    demand_types,
    estimate_demand,
    homes_from_osm,
)
from shequ.geo.osm_file import read_osm
from shequ.i18n import Note
from shequ.profile import load_profile
from shequ.rejects import Rejects
from tests.conftest import shared_file
from tests.helpers import english_sentences

LIUDAOKOU = "osm/beijing_haidian_liudaokou_small.osm"
TUNGHAI = "osm/taichung_tunghai_small.osm.gz"


def _homes(relative: str, profile_path: Path | None = None):
    osm = read_osm(shared_file(relative))
    crs = metric_crs(*osm.bounds)
    rejects, notes = Rejects(), []
    profile = load_profile(profile_path)
    homes = homes_from_osm(osm, crs, profile, compounds_from_osm(osm, crs), rejects, notes)
    return homes.set_index("osm_ref"), rejects, notes


@pytest.fixture(scope="module")
def liudaokou():
    return _homes(LIUDAOKOU)


@pytest.fixture(scope="module")
def tunghai():
    return _homes(TUNGHAI)


def test_a_student_dormitory_holds_rooms_of_four_students_and_no_children(liudaokou):
    homes = liudaokou[0]
    dorm = homes.loc["way/154079756"]  # 学生公寓3号楼, building=dormitory, no storey tag
    assert (dorm["demand_type"], dorm["demand_type_by"]) == ("dormitory", "name")
    # 10 m2 of floor area per student (建标 191-2018), 4 students a room (one household)
    assert dorm["population"] == pytest.approx(dorm["floor_area_m2"] / 10.0)
    assert dorm["households"] == pytest.approx(dorm["floor_area_m2"] / 40.0)
    assert dorm["elderly"] == 0 and dorm["children"] == 0
    family = homes.loc["way/950323928"]  # 静淑东里9号楼, building=residential: census shares
    assert family["demand_type"] == "residential"
    assert family["elderly"] / family["population"] == pytest.approx(0.187)
    assert family["children"] / family["population"] == pytest.approx(0.1795)


def test_no_dormitory_in_the_campus_extract_gets_census_children(tunghai):
    homes = tunghai[0]
    dorms = homes[homes["demand_type"].isin(["dormitory", "staff_dormitory"])]
    # 31 named 男生/女生/學生宿舍 and 13 unnamed or bare 宿舍30棟 (tag), 3 單身宿舍 (name),
    # 4 named 男生宿舍 but tagged building=residential; 27 教師宿舍 are family housing
    assert len(dorms) == 51
    assert homes.loc["relation/11031919", "demand_type_by"] == "tag"  # 宿舍30棟
    assert dorms["children"].sum() == 0 and dorms["elderly"].sum() == 0
    # and every one of them is a dormitory by its tag or its name, none by chance
    named = dorms["name"].fillna("")
    assert ((dorms["building"] == "dormitory") | named.str.contains("宿舍|公寓")).all()


def test_a_name_decides_what_a_generic_or_mistagged_building_holds(tunghai):
    homes = tunghai[0]
    single = homes.loc["way/227126768"]  # 男單身宿舍 (building=dormitory): single staff
    assert (single["demand_type"], single["demand_type_by"]) == ("staff_dormitory", "name")
    assert single["population"] == pytest.approx(2 * single["households"])
    family = homes.loc["way/227024177"]  # 教師宿舍 (building=dormitory): teachers' families
    assert (family["demand_type"], family["demand_type_by"]) == ("staff_housing", "name")
    assert family["elderly"] / family["population"] == pytest.approx(0.187)
    assert family["households"] == pytest.approx(family["floor_area_m2"] / 92.17)
    boys = homes.loc["way/129849177"]  # 男生宿舍5棟 tagged building=residential
    assert (boys["demand_type"], boys["children"]) == ("dormitory", 0)


def test_a_residence_holds_two_households_whatever_its_footprint(tunghai):
    homes = tunghai[0]
    residence = homes.loc["way/227124380"]  # 康敦樓（校長公館）, mapped as a dormitory
    assert residence["demand_type"] == "house" and residence["capped"]
    assert residence["floor_area_m2"] / 92.17 > 2  # the area alone would say more
    assert residence["households"] == 2
    assert residence["population"] == pytest.approx(2 * 2.62)
    houses = homes[homes["building"] == "house"]
    assert houses["households"].max() == 2
    assert not homes.loc[homes["demand_type"] == "apartments", "capped"].any()


def test_a_canteen_in_a_compound_is_no_home_and_its_reason_is_kept(liudaokou):
    homes, rejects, _ = liudaokou
    refused = rejects.frame()
    refused = refused[refused["reason_key"] == "r.not_a_home_name"]
    assert sorted(refused["row"]) == [
        "way/594886647",  # 招待所
        "way/594889495",  # 石科院职工食堂
        "way/595098584",  # 二食堂
        "way/595098649",  # 动力楼
        "way/595098663",  # 科技活动中心
    ]
    assert not set(refused["row"]) & set(homes.index)
    assert "named '二食堂': not a dwelling (demand.name_rules)" in set(refused["reason"])
    # numbered blocks in the same compound stay homes (the dwelling-name rule comes first)
    assert homes.loc["way/595098650", "demand_type"] == "yes"  # 21号楼, building=yes


def test_a_large_outline_without_storeys_is_flagged_and_noted(tmp_path):
    local = tmp_path / "local.yaml"
    local.write_text("demand:\n  large_outline_m2: 3000\n", encoding="utf-8")
    homes, _, notes = _homes(LIUDAOKOU, local)
    footprint = homes["floor_area_m2"] / homes["levels"]
    expected = (footprint > 3000) & (homes["levels_source"] == "default")
    assert sorted(homes.index[homes["large_outline"]]) == ["way/154079756", "way/167303953"]
    assert (homes["large_outline"] == expected).all()
    [note] = [n for n in notes if n.key == "n.large_outlines"]
    assert note.params["n"] == 2
    assert note.params["ref"] == "way/154079756"  # the dormitory: 396 rooms
    assert note.params["households"] == round(homes.loc[expected, "households"].sum())
    assert "2 building outlines over 3,000 m2 have no storey tag" in note
    assert "个基底面积超过 3,000 平方米" in note.render("zh")


def test_no_note_when_no_outline_is_large(liudaokou):
    homes, _, notes = liudaokou
    assert not homes["large_outline"].any()
    assert not [n for n in notes if n.key == "n.large_outlines"]


def test_name_rules_read_simplified_and_traditional_names():
    profile = load_profile()
    names = pd.Series(
        [
            "学生公寓",
            "學生宿舍",
            "研究生公寓",
            "单身宿舍",
            "家属楼",
            "家屬院",
            "校长公馆",
            "二食堂",
            "3号楼",
            None,
        ]
    )
    building = pd.Series(["yes"] * len(names))
    types, by = demand_types(building, names, profile)
    assert list(types) == [
        "dormitory",
        "dormitory",
        "graduate_dormitory",
        "staff_dormitory",
        "staff_housing",
        "staff_housing",
        "house",
        None,
        "yes",
        "yes",
    ]
    assert list(by) == ["name"] * 9 + ["tag"]
    # a tag outside a rule's buildings keeps its own type: a house named 学生宿舍 is a house
    types, by = demand_types(pd.Series(["house"]), pd.Series(["学生宿舍"]), profile)
    assert (types[0], by[0]) == ("house", "tag")


def test_without_types_the_estimate_is_the_census_one():
    profile = load_profile()
    census = estimate_demand(np.array([921.7]), profile)
    assert census["households"].iloc[0] == pytest.approx(10)
    assert census["children"].iloc[0] == pytest.approx(10 * 2.62 * 0.1795)
    typed = estimate_demand(np.array([921.7]), profile, np.array(["dormitory"]))
    assert typed["population"].iloc[0] == pytest.approx(92.17)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (
            "demand:\n  name_rules:\n    rules:\n      - {name_regex: 宿舍, type: hostel, "
            "buildings: ['yes']}\n",
            "demand.name_rules.rules[0].type: unknown building type (known: apartments,",
        ),
        (
            "demand:\n  building_types:\n    types:\n      house: {levels: 2, max_households: 0}\n",
            "demand.building_types.types.house.max_households: expected a number > 0, got 0",
        ),
        (
            "demand:\n  building_types:\n    types:\n      dormitory: {levels: 5, "
            "elderly_share: 0.9, children_share: 0.2}\n",
            "demand.building_types.types.dormitory: elderly_share + children_share = 1.1",
        ),
        (
            "demand:\n  building_types:\n    types:\n      house: {levls: 3}\n",
            "demand.building_types.types.house.levls: unknown key, did you mean levels?",
        ),
    ],
    ids=["unknown-type", "zero-cap", "shares-over-one", "typo"],
)
def test_a_bad_building_type_is_one_line_naming_the_key(tmp_path, text, message):
    path = tmp_path / "local.yaml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(InputError) as info:
        load_profile(path)
    assert info.value.message.startswith(message), info.value.message
    assert "\n" not in info.value.one_line()
    zh = info.value.one_line("zh")
    assert not english_sentences(zh.replace(str(path), "")), zh


def test_a_user_type_and_rule_load(tmp_path):
    path = tmp_path / "local.yaml"
    path.write_text(
        "demand:\n  building_types:\n    types:\n      yes: {levels: 4}\n"
        "      hostel: {levels: 3, max_households: 20, children_share: 0}\n",
        encoding="utf-8",
    )
    profile = load_profile(path)
    assert profile.building_types["yes"].levels == 4  # unquoted yes: is the tag value "yes"
    hostel = profile.building_types["hostel"]
    assert (hostel.max_households, hostel.children_share, hostel.elderly_share) == (20, 0, 0.187)
    assert isinstance(Note("r.not_a_home_name", name="x"), str)


def test_a_head_count_in_a_dormitory_stays_students():
    """A raster's people put in a dormitory keep its demography (no children, 4 a room)."""
    profile = load_profile()
    people = np.array([400.0, 262.0])
    demand = demand_from_population(people, profile, np.array(["dormitory", "residential"]))
    assert demand["households"].tolist() == pytest.approx([100.0, 100.0])
    assert demand["children"].tolist() == pytest.approx([0.0, 262.0 * 0.1795])
    census = demand_from_population(people, profile)
    assert census["children"].iloc[0] == pytest.approx(400.0 * 0.1795)


def test_a_generic_building_named_as_a_dormitory_takes_its_storeys(liudaokou):
    homes = liudaokou[0]
    named = homes[(homes["building"] == "yes") & (homes["demand_type"] != "yes")]
    assert named.empty  # Liudaokou's generic buildings are numbered blocks, not dormitories
    profile = load_profile()
    types, _ = demand_types(pd.Series(["yes"]), pd.Series(["研究生公寓2号楼"]), profile)
    assert profile.building_type(types[0]).levels == 5
    assert profile.building_type("no_such_type") == profile.building_types["yes"]
