"""Data completeness checks (issue 12, item 4): what the OSM data of an area probably lacks.

The measures are checked against an independent computation on the shared extracts: a geopandas
overlay of the residential polygons with the building footprints (which polygons hold no
building, and their area), a spatial join of the homes (households per km² of built residential
land), and the OSM tags of each home's building (storeys from ``building:levels``/``height``).
The notes must appear in English and in Chinese, and ``run.json`` must carry the section.
"""

from __future__ import annotations

import json
import re

import geopandas as gpd
import numpy as np
import pytest

from shequ.cli import main
from shequ.errors import InputError
from shequ.geo.completeness import empty_residential_land, measure_completeness
from shequ.i18n import render_note
from shequ.jobs.access import AccessOptions, compute_access, write_access_outputs
from shequ.jobs.inputs import AreaInputs
from shequ.profile import load_profile
from tests.conftest import shared_file
from tests.helpers import (
    area_inputs,
    building_frame,
    english_sentences,
    mapped_homes,
    reference_empty_land,
)

BEIJING = "osm/beijing_haidian_liudaokou_small.osm"
NANJING = "osm/nanjing_xinjiekou_small.osm"
ROADS_ONLY = "osm/shanghai_center_roads_large.osm"
TAICHUNG = "osm/taichung_tunghai_small.osm.gz"
HONG_KONG = "osm/hongkong_tsimshatsui_small.osm"
EXTRACTS = [BEIJING, NANJING, ROADS_ONLY, TAICHUNG, HONG_KONG]

# What each extract raises with the default profile (the closing note):
# (polygons without buildings, residential buildings, of them with levels/height, findings)
EXPECTED = {
    BEIJING: (
        0,
        98,
        2,
        ["residential_land_mapped_sparsely", "few_levels_tags", "kinds_without_facilities"],
    ),
    NANJING: (
        2,
        516,
        74,
        [
            "residential_land_without_buildings",
            "residential_land_mapped_sparsely",
            "few_levels_tags",
            "kinds_without_facilities",
        ],
    ),
    ROADS_ONLY: (0, 0, 0, ["kinds_without_facilities"]),
    TAICHUNG: (
        12,
        185,
        23,
        ["residential_land_without_buildings", "few_levels_tags", "kinds_without_facilities"],
    ),
    HONG_KONG: (0, 44, 44, ["kinds_without_facilities"]),
}
_NUMBER = re.compile(r"[-+]?\d+(?:\.\d+)?")


def _measure(area: AreaInputs, settings=None):
    return measure_completeness(
        area.osm,
        area.crs,
        area.homes,
        area.compounds,
        area.facilities,
        list(area.profile.kinds),
        settings or area.profile.completeness,
    )


@pytest.mark.parametrize("relative", EXTRACTS)
def test_residential_land_without_buildings_matches_an_overlay(relative):
    area = area_inputs(relative)
    found = _measure(area)
    empty = reference_empty_land(area)
    assert set(found.empty_land_refs) == empty
    assert found.empty_land_areas == EXPECTED[relative][0] == len(empty)
    comp = area.compounds.assign(
        ref=area.compounds["osm_type"] + "/" + area.compounds["osm_id"].astype(str)
    )
    ha = comp[comp["ref"].isin(empty)].dissolve().area.sum() / 1e4 if empty else 0.0
    assert found.empty_land_ha == pytest.approx(ha, rel=1e-9, abs=1e-9)
    per_ha = area.profile.completeness.households_per_ha
    assert found.empty_land_households == pytest.approx(ha * per_ha, rel=1e-9, abs=1e-9)


@pytest.mark.parametrize("relative", EXTRACTS)
def test_households_per_km2_of_built_residential_land_matches_a_spatial_join(relative):
    area = area_inputs(relative)
    found = _measure(area)
    comp = area.compounds.assign(
        ref=area.compounds["osm_type"] + "/" + area.compounds["osm_id"].astype(str)
    )
    built = comp[~comp["ref"].isin(reference_empty_land(area))]
    if built.empty:
        assert found.households_per_km2 is None  # nothing to measure: no number at all
        return
    joined = gpd.sjoin(mapped_homes(area), built[["geometry"]], predicate="within")
    households = joined[~joined.index.duplicated()]["households"].sum()
    km2 = built.dissolve().area.sum() / 1e6
    assert found.households_per_km2 == pytest.approx(households / km2, rel=1e-9)


@pytest.mark.parametrize("relative", EXTRACTS)
def test_levels_share_matches_the_buildings_tags(relative):
    area = area_inputs(relative)
    found = _measure(area)
    feats = area.osm.features
    tags = dict(
        zip(feats["osm_type"] + "/" + feats["osm_id"].astype(str), feats["tags"], strict=True)
    )

    def storeys_tagged(ref: str) -> bool:
        for key in ("building:levels", "height"):
            match = _NUMBER.search(str(tags[ref].get(key, "")))
            if match and float(match.group()) > 0:
                return True
        return False

    refs = list(mapped_homes(area)["osm_ref"]) if len(area.homes) else []
    tagged = sum(storeys_tagged(r) for r in refs)
    _, buildings, expected_tagged, _ = EXPECTED[relative]
    assert (found.residential_buildings, found.levels_tagged) == (len(refs), tagged)
    assert (len(refs), tagged) == (buildings, expected_tagged)
    if buildings == 0:
        assert found.levels_tagged_share is None  # never "0 %" of no building
    else:
        assert found.levels_tagged_share == pytest.approx(tagged / buildings)


@pytest.mark.parametrize("relative", EXTRACTS)
def test_kinds_without_facilities_are_the_kinds_with_none_loaded(relative):
    area = area_inputs(relative)
    found = _measure(area)
    present = set(area.facilities["kind"]) if len(area.facilities) else set()
    assert set(found.kinds_without_facilities) == set(area.profile.kinds) - present
    assert found.findings() == EXPECTED[relative][3]


def test_a_home_from_a_file_inside_residential_land_is_not_missing():
    area = area_inputs(TAICHUNG)
    mapped = mapped_homes(area)
    empty = empty_residential_land(area.compounds, building_frame(area).geometry.to_numpy(), mapped)
    first = int(np.flatnonzero(empty)[0])
    home = area.compounds.geometry.iloc[[first]].representative_point()
    homes = gpd.GeoDataFrame({"households": [40.0]}, geometry=home.to_numpy(), crs=area.crs)
    again = empty_residential_land(area.compounds, building_frame(area).geometry.to_numpy(), homes)
    assert empty[first] and not again[first]
    assert again.sum() == empty.sum() - 1


def test_low_density_is_noted_against_the_profile_floor():
    area = area_inputs(BEIJING)
    settings = area.profile.completeness
    found = _measure(area)
    assert found.households_per_km2 == pytest.approx(7913.64, abs=0.01)
    assert not found.low_density
    strict = type(settings)(settings.households_per_ha, 10000.0, settings.min_levels_tagged_share)
    raised = _measure(area, strict)
    keys = [n.key for n in raised.notes()]
    assert "n.completeness_low_density" in keys
    assert "low_household_density" in raised.findings()


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_notes_read_in_the_chosen_language(lang):
    notes = _measure(area_inputs(NANJING, landuse_homes=False)).notes()  # --no-landuse-homes
    assert [n.key for n in notes] == [
        "n.completeness_empty_land",
        "n.completeness_sparse_land",
        "n.completeness_levels",
    ]
    text = [render_note(n, lang) for n in notes]
    if lang == "zh":
        assert "2 处居住用地（3.9 公顷）在数据中没有建筑：约 251 户未纳入本次评估" in text[0]
        assert "2 处居住用地的已绘建筑远少于配置预期的密度" in text[1]
        assert "其中 56.7 公顷距任何建筑超过 25 米，约 3629 户未纳入本次评估" in text[1]
        assert "仅 14.3% 的居住建筑（516 栋中的 74 栋）" in text[2]
        assert not any(english_sentences(t) for t in text)
    else:
        assert "2 residential areas (3.9 ha) have no building in the data: about 251 " in text[0]
        assert "56.7 ha of them lie over 25 m from any building, about 3629 households" in text[1]
        assert "only 14.3 % of residential buildings (74 of 516)" in text[2]


def test_roads_only_extract_measures_nothing_it_has_no_data_for():
    found = _measure(area_inputs(ROADS_ONLY))
    assert found.residential_land_ha == 0.0
    assert found.households_per_km2 is None and found.levels_tagged_share is None
    assert found.notes() == []
    entry = found.to_json()
    assert entry["households_per_km2_residential_land"]["value"] is None
    assert entry["levels_tags"]["share"] is None
    assert len(entry["kinds_without_facilities"]) == len(load_profile().kinds)


def test_profile_density_sets_the_missing_households(tmp_path):
    local = tmp_path / "local.yaml"
    local.write_text("completeness:\n  households_per_ha: 200\n", encoding="utf-8")
    settings = load_profile(local).completeness
    found = _measure(area_inputs(TAICHUNG), settings)
    assert found.empty_land_households == pytest.approx(found.empty_land_ha * 200, rel=1e-12)
    assert settings.min_households_per_km2 == 3000.0  # the rest stays the default


def test_a_bad_completeness_value_is_one_line_naming_the_key(tmp_path):
    local = tmp_path / "local.yaml"
    local.write_text("completeness:\n  min_levels_tagged_share: 1.5\n", encoding="utf-8")
    with pytest.raises(InputError) as info:
        load_profile(local)
    assert info.value.message.startswith("completeness.min_levels_tagged_share: expected ")
    assert "1.5" in info.value.message


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_access_writes_completeness_to_run_json_and_the_terminal(tmp_path, capsys, lang):
    out = tmp_path / "out"
    args = ["access", "--osm", str(shared_file(NANJING)), "--out", str(out), "--lang", lang]
    code = main([*args, "--no-map", "--no-isochrones", "--quiet"])
    err = capsys.readouterr().err
    assert code == 0
    run = json.loads((out / "run.json").read_text(encoding="utf-8"))
    entry = run["completeness"]
    land = entry["residential_land_without_buildings"]
    assert land["areas"] == 2 and land["osm_refs"] == ["way/333038082", "way/467860120"]
    assert land["households_estimate"] == pytest.approx(land["ha"] * 64, rel=1e-3)
    assert entry["levels_tags"]["tagged"] == 74
    # the land is estimated by default: one note says so instead of "households missing"
    assert "n.completeness_estimated_homes" in run["note_keys"]
    assert "n.completeness_empty_land" not in run["note_keys"]
    assert any(n.startswith("3880 households on 60.6 ha") for n in run["notes"])  # English
    said = "4 处未绘或少绘建筑的居住用地" if lang == "zh" else "3880 households on 60.6 ha"
    assert said in err
    if lang == "zh":
        assert "residential areas" not in err


def test_run_json_section_is_the_measure(tmp_path):
    result = compute_access(AccessOptions(osm=shared_file(TAICHUNG), isochrones=False))
    write_access_outputs(result, tmp_path / "out", with_map=False)
    run = json.loads((tmp_path / "out" / "run.json").read_text(encoding="utf-8"))
    assert run["completeness"] == json.loads(json.dumps(result.completeness.to_json()))
    assert run["completeness"]["residential_land_without_buildings"]["areas"] == 12


def test_homes_from_a_file_get_no_storeys_note():
    """A homes file gives households directly: storeys do not enter them, so no share and no
    note (the same buildings estimated from OSM raise one)."""
    area = area_inputs(NANJING)
    from_file = area.homes.drop(columns=["levels_source"])
    found = measure_completeness(
        area.osm,
        area.crs,
        from_file,
        area.compounds,
        area.facilities,
        list(area.profile.kinds),
        area.profile.completeness,
    )
    assert found.residential_buildings is None and found.levels_tagged_share is None
    assert "n.completeness_levels" not in [n.key for n in found.notes()]
    assert found.to_json()["levels_tags"]["share"] is None
    # nor land "mapped far below density": the file says what the land holds
    assert "residential_land_mapped_sparsely" in _measure(area).findings()
    assert "residential_land_mapped_sparsely" not in found.findings()
