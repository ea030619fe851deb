"""The access map answers the question it is opened for (issue 14): one kind at a time.

On the real Nanjing extract: the map opens on the worst-served kind that the data can measure,
its title names it, one select box lists every kind (those with no facility in the data as "no
data", not selectable), every home is written once, households are whole, and the standards
are worded in metres where the norm is a distance. The browser side (switching kinds) is in
``test_map_browser.py``.
"""

from __future__ import annotations

import json
import re
from typing import Any

import folium
import numpy as np
import pandas as pd
import pytest

from shequ.geo.osm_file import read_osm
from shequ.jobs.access import (
    AccessOptions,
    compute_access,
    distance_standard,
    map_kinds,
    norm_metres,
)
from shequ.maps import build_access_map, render_html
from shequ.maps.access_map import _KindSwitch
from shequ.maps.style import no_data_home_style
from shequ.profile import load_profile
from tests.conftest import shared_file
from tests.helpers import KINDS, geojson_layers, sample_inputs

NANJING = "osm/nanjing_xinjiekou_small.osm"


def switch_config(m: folium.Map) -> dict[str, Any]:
    """What the kind panel's script is given (names, info, the select box, initial kind)."""
    (switch,) = [child for child in m._children.values() if isinstance(child, _KindSwitch)]
    return json.loads(switch.config)


@pytest.fixture(scope="module")
def nanjing():
    result = compute_access(AccessOptions(osm=shared_file(NANJING)))
    return result, map_kinds(result)


def nanjing_map(nanjing, lang: str = "en", **kwargs: Any) -> folium.Map:
    result, kinds = nanjing
    return build_access_map(
        result.homes, result.facilities, result.isochrones, kinds, lang=lang, **kwargs
    )


def test_opens_on_the_worst_served_kind_with_data(nanjing) -> None:
    result, _ = nanjing
    table = result.summary[result.summary["is_threshold"] & (result.summary["data_status"] == "ok")]
    worst = table.sort_values("households_share").iloc[0]
    assert worst["kind"] == "clinic"  # 6 % of households: below kindergartens and schools
    m = nanjing_map(nanjing)
    layers = geojson_layers(m)
    assert layers[f"{worst['kind_en']} — facilities"].show
    shown = [name for name, layer in layers.items() if layer.show and "—" in name]
    assert all(name.startswith(worst["kind_en"]) for name in shown)
    page = render_html(m)
    assert f"<title>15-minute living-circle audit: {worst['kind_en']}</title>" in page
    assert switch_config(m)["names"][switch_config(m)["initial"]] == worst["kind_en"]


def test_roads_only_shanghai_with_amap_kindergartens_opens_on_kindergartens(tmp_path) -> None:
    # issue 14: on the roads-only Shanghai extract the map opened empty; with the Amap
    # kindergartens (the only kind with data there) and a homes file (the extract has no
    # buildings: 400 homes at street nodes, seeded), it opens on kindergartens
    osm = shared_file("osm/shanghai_center_roads_large.osm")
    amap = shared_file("poi/shanghai_amap/kindergarten.csv")
    nodes = np.concatenate([way.lonlat for way in read_osm(osm).highways])
    picked = nodes[np.random.default_rng(14).choice(len(nodes), 400, replace=False)]
    homes = tmp_path / "homes.csv"
    pd.DataFrame({"lon": picked[:, 0], "lat": picked[:, 1], "households": 120}).to_csv(
        homes, index=False
    )
    result = compute_access(
        AccessOptions(
            osm=osm,
            homes=homes,
            facilities=[(amap, "kindergarten")],
            kinds=["kindergarten", "clinic"],
        )
    )
    kinds = map_kinds(result)
    assert [k["data_status"] for k in kinds] == ["ok", "no_facilities"]
    m = build_access_map(result.homes, result.facilities, result.isochrones, kinds, lang="zh")
    config = switch_config(m)
    assert config["names"][config["initial"]] == "幼儿园"
    assert "<title>15分钟生活圈评估：幼儿园</title>" in render_html(m)


def test_one_select_lists_every_kind_and_no_data_is_not_selectable(nanjing) -> None:
    result, kinds = nanjing
    panel = switch_config(nanjing_map(nanjing))["panel"]
    options = re.findall(r"<option value=\"(-?\d+)\"( disabled)?>([^<]*)</option>", panel)
    assert len(options) == len(kinds) == 9
    assert panel.count("<select") == 1
    assert "L.control.layers(" not in render_html(nanjing_map(nanjing))  # no checkbox list
    for kind, (value, disabled, text) in zip(kinds, options, strict=True):
        if kind["data_status"] == "ok":
            assert not disabled and int(value) >= 0
            share = result.summary[
                result.summary["is_threshold"] & (result.summary["kind"] == kind["id"])
            ]
            percent = round(100 * float(share["households_share"].iloc[0]))
            assert text == f"{kind['en']}: {percent} % of households served"
        else:
            assert disabled and value == "-1" and text == f"{kind['en']} (no data)"
    assert sum(kind["data_status"] == "ok" for kind in kinds) == 3


def test_every_home_is_written_once_with_whole_households(nanjing) -> None:
    result, kinds = nanjing
    layers = geojson_layers(nanjing_map(nanjing))
    points = {
        name: sum(f["geometry"]["type"] == "Point" for f in layer.data["features"])
        for name, layer in layers.items()
    }
    with_data = [kind for kind in kinds if kind["data_status"] == "ok"]
    facilities = result.facilities["kind"].isin([kind["id"] for kind in with_data]).sum()
    assert points.pop("homes (walk minutes)") == len(result.homes) == 761
    assert sum(points.values()) == facilities  # no other copy of any home
    homes = layers["homes (walk minutes)"].data["features"]
    households = [feature["properties"]["hh"] for feature in homes]
    assert all(re.fullmatch(r"\d+", value) for value in households)
    assert any(abs(h - round(h)) > 0.05 for h in result.homes["households"])  # fractions exist
    assert [len(feature["properties"]["m"]) for feature in homes] == [len(with_data)] * 761


def test_the_page_stays_small(nanjing) -> None:
    """Every home was drawn twice per kind (homes and blind spots, nine kinds): 2.6 MB."""
    size = len(render_html(nanjing_map(nanjing)).encode("utf-8"))
    assert size < 600_000, size


def test_served_figures_are_whole_households(nanjing) -> None:
    result, kinds = nanjing
    m = nanjing_map(nanjing, lang="zh")
    info = switch_config(m)["info"]
    with_data = [kind for kind in kinds if kind["data_status"] == "ok"]
    for kind, text in zip(with_data, info, strict=True):
        row = result.summary[
            result.summary["is_threshold"] & (result.summary["kind"] == kind["id"])
        ]
        row = row.iloc[0]
        served, total = round(row["households_covered"]), round(row["households_total"])
        assert f"{total} 户中的 {served} 户" in text
        assert f"住宅点 {int(row['homes_total'])} 个中的 {int(row['homes_covered'])} 个" in text
        assert not re.search(r"\d\.\d+ ?户", text)


def test_the_standard_is_in_metres_where_it_is_a_distance() -> None:
    profile = load_profile(None)
    distance = {kind.id: distance_standard(kind) for kind in profile.kinds.values()}
    assert distance["waste_sorting"] and distance["kindergarten"]  # "within 200 m", "radius"
    assert not distance["canteen"] and not distance["ebike_charging"]  # 15-min circle; none
    kinds = [
        {"id": "canteen", "zh": "老年助餐点", "en": "Elderly meal point", "threshold_min": 15.0,
         "speed_mps": 0.83, "distance_standard": False},
        {"id": "clinic", "zh": "垃圾分类投放点", "en": "Waste sorting point",
         "threshold_min": 3.33, "speed_mps": 1.0, "distance_standard": True},
    ]  # fmt: skip
    homes, facilities, isochrones = sample_inputs()
    for lang, waste, meals in (
        ("en", "standard: within 200 m walk (3.3 min at 1 m/s)",
         "standard: within 15 min walk (about 747 m at 0.83 m/s)"),
        ("zh", "标准：步行 200 米以内（按每秒 1 米约 3.3 分钟）",
         "标准：步行 15 分钟以内（按每秒 0.83 米约 747 米）"),
    ):  # fmt: skip
        info = switch_config(build_access_map(homes, facilities, isochrones, kinds, lang=lang))
        assert info["info"][0].startswith(f"<div>{meals}</div>")
        assert info["info"][1].startswith(f"<div>{waste}</div>")
        assert "3.33" not in info["info"][1]


def test_a_norm_walked_slower_says_what_was_audited() -> None:
    # 社区卫生服务站 ≤ 300 m, audited as 5 min at the elderly's 0.83 m/s (249 m): the map states
    # the norm and what was measured, never "standard: 249 m" (a review finding)
    profile = load_profile(None)
    assert norm_metres(profile.kinds["clinic"]) == 300.0
    kinds = [{"id": "clinic", "zh": "社区卫生服务站", "en": "Community clinic",
              "threshold_min": 5.0, "speed_mps": 0.83, "distance_standard": True,
              "norm_m": 300.0}]  # fmt: skip
    homes, facilities, isochrones = sample_inputs()
    for lang, text in (
        ("en", "standard: within 300 m walk; audited as 5 min at 0.83 m/s, about 249 m"),
        ("zh", "标准：步行 300 米以内；评估按每秒 0.83 米步行 5 分钟，约 249 米"),
    ):
        info = switch_config(build_access_map(homes, facilities, isochrones, kinds, lang=lang))
        assert info["info"][0].startswith(f"<div>{text}</div>")


def test_selected_is_kept_when_it_has_data() -> None:
    homes, facilities, isochrones = sample_inputs()
    for selected, initial in (("canteen", 0), ("clinic", 1), (None, 1)):
        m = build_access_map(homes, facilities, isochrones, KINDS, selected=selected)
        assert switch_config(m)["initial"] == initial


def test_no_kind_with_data_draws_no_red_map() -> None:
    """No facility of any kind: grey homes, no ring, a title and a panel that say so."""
    homes, facilities, isochrones = sample_inputs()
    kinds = [{**kind, "data_status": "no_facilities"} for kind in KINDS]
    m = build_access_map(homes, facilities, isochrones, kinds, lang="en", selected="canteen")
    config = switch_config(m)
    assert config["initial"] == -1 and config["names"] == [] and config["info"] == []
    layer = geojson_layers(m)["homes (walk minutes)"]
    styles = [layer.style_function(feature) for feature in layer.data["features"]]
    expected = no_data_home_style()
    assert all(style["fillColor"] == expected["fillColor"] for style in styles)
    assert all(style["color"] == expected["color"] for style in styles)  # no red ring
    assert all("m" not in feature["properties"] for feature in layer.data["features"])
    page = render_html(m)
    assert "<title>15-minute living-circle audit: no facility data</title>" in page
    assert "add them with --facilities FILE" in config["empty"]
    assert [layer for layer in geojson_layers(m) if layer != "homes (walk minutes)"] == []
    assert config["panel"].count("disabled") == 2


def test_a_kind_without_data_is_not_measured_even_if_listed_first() -> None:
    homes, facilities, isochrones = sample_inputs()
    kinds = [{**KINDS[1], "data_status": "no_facilities"}, KINDS[0]]
    for selected in (None, "clinic"):
        m = build_access_map(homes, facilities, isochrones, kinds, lang="en", selected=selected)
        config = switch_config(m)
        assert config["names"] == ["Elderly meal point"] and config["initial"] == 0
        assert '<option value="-1" disabled>Community clinic (no data)</option>' in config["panel"]
        homes_layer = geojson_layers(m)["homes (walk minutes)"]
        assert len(homes_layer.data["features"][0]["properties"]["m"]) == 1


def test_summary_of_the_run_is_unchanged_by_the_map(nanjing) -> None:
    """The map reads the run; it computes nothing the summary would disagree with."""
    result, _ = nanjing
    before = result.summary.copy()
    nanjing_map(nanjing)
    pd.testing.assert_frame_equal(before, result.summary)
