"""Estimated homes over residential land with no (or too few) buildings mapped (issue 12, item 4).

The land estimated and its households are checked against an independent geopandas computation
on the shared extracts: an overlay of the residential polygons with the building footprints
(polygons with no building at all), a spatial join of the homes (households per km² of each
polygon against the profile's floor), and the polygon minus 25 m buffers of the buildings
(the unbuilt part of a sparsely mapped polygon). Nanjing ``way/468699278`` (42 ha, one
building) is the case the first version of the check missed.
"""

from __future__ import annotations

import json

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely

from shequ.geo.completeness import BUILDING_REACH_M, LATTICE_M, measure_completeness
from shequ.geo.homes import building_footprints
from shequ.geo.landuse_homes import landuse_homes, with_landuse_homes
from shequ.i18n import render_note
from shequ.maps.data_completeness import completeness_lines
from tests.helpers import area_inputs, building_frame, english_sentences, reference_empty_land

BEIJING = "osm/beijing_haidian_liudaokou_small.osm"
NANJING = "osm/nanjing_xinjiekou_small.osm"
TAICHUNG = "osm/taichung_tunghai_small.osm.gz"
HONG_KONG = "osm/hongkong_tsimshatsui_small.osm"
EXTRACTS = [BEIJING, NANJING, "osm/shanghai_center_roads_large.osm", TAICHUNG, HONG_KONG]

BIG_COMPOUND = "way/468699278"  # Nanjing: 42 ha of residential land with one building


def _refs(frame: gpd.GeoDataFrame) -> pd.Series:
    return frame["osm_type"] + "/" + frame["osm_id"].astype(str)


def _columns(frame: gpd.GeoDataFrame) -> list[str]:
    return [c for c in frame.columns if c != "geometry"]


def _estimate(relative: str, **kw) -> gpd.GeoDataFrame:
    area = area_inputs(relative, landuse_homes=False)
    fp = building_footprints(area.osm, area.crs)
    return landuse_homes(area.compounds, fp, area.homes, area.profile, **kw)


def _reference_land(relative: str, sparse: bool = True) -> dict[str, float]:
    """Per polygon ref, the m² to estimate: all of an empty polygon; in a polygon whose homes
    hold < min_households_per_km2, the pieces (≥ one lattice cell) over 25 m from a building."""
    area = area_inputs(relative, landuse_homes=False)
    comp = area.compounds.assign(ref=_refs(area.compounds))
    empty = reference_empty_land(area)
    out = {r: g.area for r, g in zip(comp["ref"], comp.geometry, strict=True) if r in empty}
    if not sparse:
        return out
    joined = gpd.sjoin(area.homes[["households", "geometry"]], comp, predicate="within")
    held = joined.groupby("ref")["households"].sum()
    # circles drawn with 8 segments a quarter, as shapely's default (geopandas' is 16)
    yards = building_frame(area).buffer(BUILDING_REACH_M, quad_segs=8).union_all()
    floor = area.profile.completeness.min_households_per_km2
    for ref, geom in zip(comp["ref"], comp.geometry, strict=True):
        if ref in empty or held.get(ref, 0.0) / (geom.area / 1e6) >= floor:
            continue
        pieces = gpd.GeoSeries([geom.difference(yards)]).explode(index_parts=False)
        kept = pieces[pieces.area >= LATTICE_M**2].area.sum()
        if kept > 0:
            out[ref] = kept
    return out


@pytest.mark.parametrize("relative", EXTRACTS)
def test_households_are_the_unbuilt_land_at_the_profile_density(relative):
    found = _estimate(relative)
    per_ha = area_inputs(relative, landuse_homes=False).profile.completeness.households_per_ha
    expected = {ref: m2 / 1e4 * per_ha for ref, m2 in _reference_land(relative).items()}
    got = found.groupby("osm_ref")["households"].sum().to_dict()
    assert set(got) == set(expected)
    for ref, households in expected.items():
        assert got[ref] == pytest.approx(households, rel=1e-6), ref


def test_the_big_nanjing_compound_with_one_building_is_estimated():
    found = _estimate(NANJING)
    big = found[found["osm_ref"] == BIG_COMPOUND]
    # 42.3 ha less the yard of its one building: 166 points 50 m apart, 41.65 ha × 64
    assert len(big) == 166
    assert big["households"].sum() == pytest.approx(2665.6, abs=0.1)
    # the polygons of the extract (before: 2 empty ones, 251 households; after: 4, 3,880)
    assert set(found["osm_ref"]) == {
        BIG_COMPOUND,
        "way/468699279",
        "way/467860120",
        "way/333038082",
    }
    assert found["households"].sum() == pytest.approx(3879.9, abs=0.1)


@pytest.mark.parametrize("relative", [NANJING, BEIJING, TAICHUNG])
def test_points_lie_on_the_unbuilt_land_of_their_polygon(relative):
    area = area_inputs(relative, landuse_homes=False)
    found = _estimate(relative)
    comp = area.compounds.set_index(_refs(area.compounds))
    polygon = comp.loc[found["osm_ref"]].geometry.to_numpy()
    assert shapely.covers(polygon, found.geometry.to_numpy()).all()
    # points of partly built polygons keep off the buildings' yards
    partly = ~found["osm_ref"].isin(reference_empty_land(area)).to_numpy()
    if partly.any():
        yards = building_frame(area).buffer(BUILDING_REACH_M).union_all()
        assert not shapely.intersects(found.geometry.to_numpy()[partly], yards).any()
    assert (found["compound_id"].to_numpy() == comp.loc[found["osm_ref"], "compound_id"]).all()


def test_points_are_a_50_m_lattice_so_walk_times_vary_across_a_big_polygon():
    found = _estimate(NANJING)
    xy = shapely.get_coordinates(found[found["osm_ref"] == BIG_COMPOUND].geometry.to_numpy())
    gaps = np.hypot(*(xy[:, None, :] - xy[None, :, :]).transpose(2, 0, 1))
    np.fill_diagonal(gaps, np.inf)
    nearest = gaps.min(axis=1)
    assert nearest.min() == pytest.approx(LATTICE_M)  # no two points closer than the lattice
    assert np.median(nearest) == pytest.approx(LATTICE_M)
    assert np.allclose(np.mod(xy - LATTICE_M / 2, LATTICE_M), 0.0, atol=1e-6)
    spread = xy.max(axis=0) - xy.min(axis=0)
    assert (spread > 400).all()  # one point at the centre would have made every home equal


def test_demand_columns_follow_the_census_defaults_and_match_osm_homes():
    area = area_inputs(NANJING, landuse_homes=False)
    found = _estimate(NANJING)
    profile = area.profile
    pop = found["population"].to_numpy()
    assert np.allclose(pop, found["households"] * profile.persons_per_household)
    assert np.allclose(found["elderly"], pop * profile.elderly_share)
    assert np.allclose(found["children"], pop * profile.children_share)
    assert np.allclose(
        found["floor_area_m2"], found["households"] * profile.floor_area_per_household_m2
    )
    # the columns of OSM homes the estimate has a value for, plus the flag
    assert set(_columns(found)) - {"estimated_from"} <= set(area.homes.columns)
    merged = with_landuse_homes(
        area.homes, area.compounds, building_footprints(area.osm, area.crs), profile
    )
    assert _columns(merged) == _columns(area.homes)  # estimated_from was there already
    for name in area.homes.columns:  # flags stay flags, numbers stay numbers
        assert merged[name].dtype.kind == area.homes[name].dtype.kind
    assert set(found["estimated_from"]) == {"landuse"}
    assert found["levels"].isna().all() and set(found["levels_source"]) == {"landuse"}
    # ids follow the buildings' ids
    assert found["home_id"].min() == area.homes["home_id"].max() + 1
    assert found["home_id"].is_unique


def test_without_sparse_only_land_with_no_building_is_estimated():
    area = area_inputs(NANJING, landuse_homes=False)
    found = _estimate(NANJING, sparse=False)
    assert set(found["osm_ref"]) == reference_empty_land(area)
    per_ha = area.profile.completeness.households_per_ha
    assert found["households"].sum() == pytest.approx(
        measure_completeness(
            area.osm,
            area.crs,
            area.homes,
            area.compounds,
            area.facilities,
            list(area.profile.kinds),
            area.profile.completeness,
        ).empty_land_ha
        * per_ha,
        rel=1e-9,
    )


def test_a_well_mapped_area_gets_no_estimate_but_the_same_columns():
    area = area_inputs(HONG_KONG, landuse_homes=False)
    found = _estimate(HONG_KONG)
    assert found.empty
    assert "estimated_from" in found and "households" in found
    merged = with_landuse_homes(
        area.homes, area.compounds, building_footprints(area.osm, area.crs), area.profile
    )
    assert len(merged) == len(area.homes) and set(merged["estimated_from"]) == {"building"}


def test_homes_from_a_file_get_text_ids_and_only_empty_land():
    area = area_inputs(NANJING, landuse_homes=False)
    homes = area.homes.drop(columns=["levels_source", "estimated_from"]).assign(
        home_id=[f"H{i}" for i in range(len(area.homes))]
    )
    fp = building_footprints(area.osm, area.crs)
    merged = with_landuse_homes(homes, area.compounds, fp, area.profile)
    added = merged[merged["estimated_from"] == "landuse"]
    assert set(added["osm_ref"]) == reference_empty_land(area)  # a file: no sparse filling
    assert list(added["home_id"][:2]) == ["L1", "L2"]
    assert set(merged["estimated_from"][: len(homes)]) == {"file"}
    assert "levels_source" not in merged  # still reads as homes from a file


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_completeness_counts_estimated_homes_apart(lang):
    area = area_inputs(NANJING, landuse_homes=False)
    fp = building_footprints(area.osm, area.crs)
    merged = with_landuse_homes(area.homes, area.compounds, fp, area.profile)
    assert set(merged["estimated_from"]) == {"building", "landuse"}

    def measure(homes):
        return measure_completeness(
            area.osm,
            area.crs,
            homes,
            area.compounds,
            area.facilities,
            list(area.profile.kinds),
            area.profile.completeness,
        )

    before, after = measure(area.homes), measure(merged)
    # the estimate hides no finding: the land is still reported empty / sparse
    assert after.empty_land_refs == before.empty_land_refs
    assert after.sparse_land_refs == before.sparse_land_refs == (BIG_COMPOUND, "way/468699279")
    assert after.levels_tagged == before.levels_tagged
    assert after.residential_buildings == before.residential_buildings
    assert after.households_on_land == pytest.approx(before.households_on_land)
    assert after.estimated_homes == 245
    assert after.estimated_households == pytest.approx(
        before.empty_land_households + before.sparse_land_households, rel=1e-9
    )
    keys = [n.key for n in after.notes()]
    assert keys[0] == "n.completeness_estimated_homes"
    assert "n.completeness_empty_land" not in keys and "n.completeness_sparse_land" not in keys
    text = render_note(after.notes()[0], lang)
    if lang == "zh":
        assert "4 处未绘或少绘建筑的居住用地（60.6 公顷）按每公顷 64 户" in text
        assert "约 3880 户，以 245 个估算点" in text
        assert not english_sentences(text)
    else:
        assert text.startswith("3880 households on 60.6 ha of residential land with no or too few")
        assert "as 245 points marked estimated_from=landuse" in text


def test_the_maps_box_reads_the_measured_entry():
    """The map's "data completeness" box reads ``Completeness.to_json`` as run.json holds it."""
    area = area_inputs(NANJING, landuse_homes=False)
    fp = building_footprints(area.osm, area.crs)
    merged = with_landuse_homes(area.homes, area.compounds, fp, area.profile)
    found = measure_completeness(
        area.osm,
        area.crs,
        merged,
        area.compounds,
        area.facilities,
        list(area.profile.kinds),
        area.profile.completeness,
    )
    entry = json.loads(json.dumps(found.to_json()))
    lines = completeness_lines(entry, "en")
    assert lines[0] == (
        "residential land with no building mapped: 2 areas, 3.9 ha, about 251 households"
    )
    assert lines[1].startswith("residential land with too few buildings mapped: 2 areas, 56.7")
    assert lines[2] == "3880 households estimated there as 245 hollow points"
    zh = completeness_lines(entry, "zh")
    assert zh[2] == "已在上述用地估算 3880 户（245 个空心点）"


def test_estimated_ids_never_repeat_a_files_own_text_ids():
    area = area_inputs(NANJING, landuse_homes=False)
    homes = area.homes.drop(columns=["levels_source", "estimated_from"]).assign(
        home_id=[f"L{i}" for i in range(1, len(area.homes) + 1)]  # the file uses L1 … Ln
    )
    merged = with_landuse_homes(
        homes, area.compounds, building_footprints(area.osm, area.crs), area.profile
    )
    assert (merged["estimated_from"] == "landuse").any()
    assert merged["home_id"].is_unique
