"""The access map without a browser: offline page, escaping, labels, layers, atomic writes.

``sample_inputs`` is also used by ``test_map_browser.py``, which opens the same page in Chromium.
"""

from __future__ import annotations

import html
import math
import os
import re
from importlib import resources
from pathlib import Path
from typing import Any

import folium
import geopandas as gpd
import pytest

from shequ.errors import InputError
from shequ.maps import build_access_map, render_html, write_map
from shequ.maps.assets import LEAFLET_VERSION, leaflet_css, strip_external_resources
from shequ.maps.style import UNREACHABLE, UNREACHABLE_COLOR, bin_color, minute_bin
from tests.helpers import (
    EXPECTED,
    KINDS,
    LAT0,
    LON0,
    XSS_IMG,
    XSS_SCRIPT,
    english_sentences,
    geojson_layers,
    in_page,
    sample_inputs,
)


def script_text(markup: str) -> str:
    """``markup`` as :func:`shequ.maps.escape.script_json` writes it inside a JSON string."""
    return markup.replace('"', '\\"').replace("<", "\\u003c").replace(">", "\\u003e")


def empty_frames() -> tuple[gpd.GeoDataFrame, gpd.GeoDataFrame, gpd.GeoDataFrame]:
    homes, facilities, isochrones = sample_inputs()
    return homes.iloc[:0], facilities.iloc[:0], isochrones.iloc[:0]


def build(**kwargs: Any) -> folium.Map:
    homes, facilities, isochrones = sample_inputs()
    return build_access_map(homes, facilities, isochrones, KINDS, **kwargs)


# --- assets -----------------------------------------------------------------------------------


def test_vendored_leaflet_matches_folium() -> None:
    folium_js = dict(folium.folium._default_js)["leaflet"]
    assert f"leaflet@{LEAFLET_VERSION}/" in folium_js, "folium moved Leaflet: re-vendor it"
    vendor = resources.files("shequ.data").joinpath("vendor")
    js = vendor.joinpath(f"leaflet-{LEAFLET_VERSION}.js").read_text(encoding="utf-8")
    assert f'version="{LEAFLET_VERSION}"' in js
    assert "BSD 2-Clause" in vendor.joinpath("LICENSE-leaflet.txt").read_text(encoding="utf-8")


def test_leaflet_css_has_no_file_references() -> None:
    css = leaflet_css()
    assert "url(images/" not in css
    assert "url(data:image/png;base64," in css


def test_strip_external_resources() -> None:
    page = (
        '<head><script src="https://cdn.example/x.js"></script>'
        "<link rel='stylesheet' href='//cdn.example/x.css'/>"
        "<script>var tiles = 'https://tile.openstreetmap.org/{z}/{x}/{y}.png';</script></head>"
    )
    cleaned = strip_external_resources(page)
    assert "cdn.example" not in cleaned
    assert "tile.openstreetmap.org" in cleaned


# --- the page ---------------------------------------------------------------------------------


def test_page_is_self_contained() -> None:
    page = render_html(build())
    assert not re.search(r"<script[^>]*\bsrc\s*=", page, re.IGNORECASE)
    assert not re.search(r"<link[^>]*\bhref\s*=", page, re.IGNORECASE)
    for cdn in ("cdn.jsdelivr", "cdnjs", "code.jquery", "bootstrapcdn", "fontawesome"):
        assert cdn not in page
    assert f"Leaflet {LEAFLET_VERSION}" in page and "L.version" not in page[:100]
    assert "tile.openstreetmap.org" not in page  # no basemap tiles unless asked for
    # The charset declaration must come within the first 1024 bytes, before any CJK text.
    assert page.encode("utf-8").find(b"charset=UTF-8") < 1024


def test_data_text_is_escaped() -> None:
    kinds = [{**KINDS[0], "zh": "<b>助餐</b>"}, KINDS[1]]
    homes, facilities, isochrones = sample_inputs()
    m = build_access_map(homes, facilities, isochrones, kinds, title="{{ 7*7 }} <i>t</i>")
    page = render_html(m)
    for raw in ("<img src=x", "window.__xss=2</script>", "<b>助餐</b>", "<b>no bridge", "<i>t</i>"):
        assert not in_page(raw, page), raw
    assert in_page(html.escape(XSS_IMG), page)
    assert in_page(html.escape(XSS_SCRIPT), page)
    assert in_page("&lt;b&gt;助餐&lt;/b&gt;", page)
    # not run as a template; the kind shown (the worst served: the clinic) is in the title
    assert "<title>{{ 7*7 }} &lt;i&gt;t&lt;/i&gt;：社区卫生服务站</title>" in page
    names = [
        feature["properties"].get("n")
        for layer in geojson_layers(m).values()
        for feature in layer.data["features"]
    ]
    assert html.escape(XSS_IMG) in names and XSS_IMG not in names


@pytest.mark.parametrize(
    ("lang", "words", "absent"),
    [
        (
            "zh",
            ["步行分钟", "盲区", "设施", "步行可达范围", "不可达", "老年助餐点", "15分钟生活圈评估",
             "住宅点"],
            "blind spots",
        ),
        (
            "en",
            ["walk minutes", "blind spots", "facilities", "area served", "unreachable",
             "Elderly meal point", "15-minute living-circle audit"],
            "盲区",
        ),
    ],
)  # fmt: skip
def test_labels_follow_language(lang: str, words: list[str], absent: str) -> None:
    page = render_html(build(lang=lang))
    for word in words:
        assert in_page(word, page), word
    assert not in_page(absent, page)


def test_layers_per_kind_and_visibility() -> None:
    """Each kind has its served area and its facilities, shown only with it; the homes are one
    layer, drawn once, styled per kind by the panel."""
    m = build(lang="en", selected="clinic")
    layers = geojson_layers(m)
    for kind, label in (("canteen", "Elderly meal point"), ("clinic", "Community clinic")):
        homes, _blind, facilities, unions, _per_facility = EXPECTED[kind]
        assert len(layers[f"{label} — facilities"].data["features"]) == facilities
        assert len(layers[f"{label} — isochrones"].data["features"]) == unions
        for theme in ("facilities", "isochrones"):
            assert layers[f"{label} — {theme}"].show == (kind == "clinic")
            assert not layers[f"{label} — {theme}"].control  # no checkbox per layer
        assert len(layers["homes (walk minutes)"].data["features"]) == homes
    assert len(layers) == 5
    assert not any(isinstance(child, folium.LayerControl) for child in m._children.values())


def test_opens_on_the_worst_served_kind() -> None:
    """Canteen serves 3 of 5 homes (245 of 605 households), the clinic none: the clinic."""
    m = build(lang="en")
    layers = geojson_layers(m)
    assert layers["Community clinic — facilities"].show
    assert not layers["Elderly meal point — facilities"].show
    assert "<title>15-minute living-circle audit: Community clinic</title>" in render_html(m)
    kinds = [{**KINDS[0], "data_status": "ok"}, {**KINDS[1], "data_status": "no_facilities"}]
    homes, facilities, isochrones = sample_inputs()
    m = build_access_map(homes, facilities, isochrones, kinds, lang="en")
    assert geojson_layers(m)["Elderly meal point — facilities"].show


def test_unreachable_home_is_grey_with_reason() -> None:
    m = build(lang="en", selected="canteen")
    layer = geojson_layers(m)["homes (walk minutes)"]
    last = layer.data["features"][-1]
    assert last["properties"]["m"] == ["unreachable", "unreachable"]
    assert last["properties"]["r"] == ["river &lt;b&gt;no bridge&lt;/b&gt;", "no clinic"]
    assert layer.style_function(last)["fillColor"] == UNREACHABLE_COLOR
    first = layer.data["features"][0]["properties"]
    assert {key: first[key] for key in ("n", "hh", "m")} == {
        "n": "幸福小区",
        "hh": "120",
        "m": ["3", "unreachable"],
    }


def test_reprojects_to_wgs84() -> None:
    layer = geojson_layers(build(lang="en"))["Elderly meal point — facilities"]
    lon, lat = layer.data["features"][0]["geometry"]["coordinates"]
    assert lon == pytest.approx(LON0 + 0.006, abs=1e-6)
    assert lat == pytest.approx(LAT0 + 0.001, abs=1e-6)


def test_isochrones_drawn_largest_first() -> None:
    layer = geojson_layers(build(lang="en"))["Elderly meal point — isochrones"]
    assert [feature["properties"]["m"] for feature in layer.data["features"]] == ["15", "10", "5"]


def test_empty_frames_still_build() -> None:
    homes, facilities, isochrones = empty_frames()
    page = render_html(build_access_map(homes, facilities, isochrones, KINDS))
    # no homes: no share to show, the kinds are still listed
    assert script_text('<option value="0">老年助餐点</option>') in page
    bare = gpd.GeoDataFrame(geometry=[], crs=4326)  # zero rows, not even the columns
    assert "leaflet" in render_html(build_access_map(bare, bare, bare, KINDS, lang="en"))
    assert "leaflet" in render_html(build_access_map(bare, bare, bare, []))


def test_only_isochrones_empty() -> None:
    homes, facilities, _ = sample_inputs()
    _, _, isochrones = empty_frames()
    layers = geojson_layers(build_access_map(homes, facilities, isochrones, KINDS, lang="en"))
    assert layers["Elderly meal point — isochrones"].data["features"] == []
    assert len(layers["homes (walk minutes)"].data["features"]) == 5


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [({"lang": "fr"}, "language"), ({"selected": "park"}, "park")],
)
def test_bad_options(kwargs: dict[str, Any], message: str) -> None:
    with pytest.raises(InputError, match=message):
        build(**kwargs)


def test_bad_frames() -> None:
    homes, facilities, isochrones = sample_inputs()
    with pytest.raises(InputError, match="meets_clinic"):
        build_access_map(homes.drop(columns="meets_clinic"), facilities, isochrones, KINDS)
    with pytest.raises(InputError, match="geometry column"):
        build_access_map(homes, gpd.GeoDataFrame({"kind": ["canteen"]}), isochrones, KINDS)
    with pytest.raises(InputError, match="no CRS"):
        build_access_map(homes.set_crs(None, allow_override=True), facilities, isochrones, KINDS)


def test_minute_bins() -> None:
    minutes = (0.0, 5.0, 5.01, 10.0, 15.0, 15.1, 90.0)
    assert [minute_bin(value) for value in minutes] == [0, 0, 1, 1, 2, 3, 3]
    assert {minute_bin(v) for v in (None, math.nan, math.inf, -1.0)} == {UNREACHABLE}


# --- writing ----------------------------------------------------------------------------------


def test_write_map_is_atomic(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    target = tmp_path / "out" / "map.html"
    assert write_map(build(), target) == target
    first = target.read_text(encoding="utf-8")
    assert first.startswith("<!DOCTYPE html>")
    assert oct(target.stat().st_mode & 0o777) == oct(0o644)

    inode = target.stat().st_ino
    write_map(build(lang="en"), str(target))
    assert target.read_text(encoding="utf-8") != first
    assert target.stat().st_ino != inode  # replaced by a new file, not rewritten in place
    assert os.listdir(target.parent) == ["map.html"]

    def fail(*args: object) -> None:
        raise OSError("disk full")

    before = target.read_text(encoding="utf-8")
    monkeypatch.setattr(os, "replace", fail)
    with pytest.raises(OSError, match="disk full"):
        write_map(build(), target)
    assert target.read_text(encoding="utf-8") == before
    assert os.listdir(target.parent) == ["map.html"]


# --- data completeness (issue 12) -----------------------------------------------------------

COMPLETENESS = {
    "residential_land_without_buildings": {"areas": 2, "ha": 3.925, "households_estimate": 251.2},
    "residential_land_mapped_sparsely": {
        "areas": 2,
        "unbuilt_ha": 56.699,
        "households_estimate": 3628.7,
    },
    "estimated_homes": {"estimated_from": "landuse", "points": 245, "households": 3879.9},
    "households_per_km2_residential_land": {"value": 2500.4, "min_plausible": 3000.0},
    "levels_tags": {"residential_buildings": 518, "tagged": 74, "share": 0.1429},
    "kinds_without_facilities": ["clinic", "<b>x</b>"],
    "findings": [
        "residential_land_without_buildings",
        "residential_land_mapped_sparsely",
        "low_household_density",
        "few_levels_tags",
        "kinds_without_facilities",
    ],
}


def _with_estimated_home() -> tuple[gpd.GeoDataFrame, gpd.GeoDataFrame, gpd.GeoDataFrame]:
    homes, facilities, isochrones = sample_inputs()
    origin = ["building", "landuse", "building", "building", "building"]
    return homes.assign(estimated_from=origin), facilities, isochrones


def _box(m: folium.Map) -> str | None:
    boxes = [
        child.markup
        for child in m._children.values()
        if getattr(child, "css_class", None) == "shequ-completeness"
    ]
    assert len(boxes) <= 1
    return boxes[0] if boxes else None


def test_estimated_homes_are_hollow_with_their_own_legend_line() -> None:
    homes, facilities, isochrones = _with_estimated_home()
    m = build_access_map(homes, facilities, isochrones, KINDS, lang="en", selected="canteen")
    layer = geojson_layers(m)["homes (walk minutes)"]
    mapped, estimated = layer.data["features"][:2]
    said = "estimated from residential land, buildings not mapped"
    assert estimated["properties"]["e"] == said and "e" not in mapped["properties"]
    filled, hollow = layer.style_function(mapped), layer.style_function(estimated)
    assert filled["fillColor"] == minute_bin_color(3.0)  # 3 min: a filled dot
    assert hollow["color"] == minute_bin_color(7.5)  # 7.5 min: the class colour as its ring
    assert hollow["fillColor"] == "#ffffff" and hollow["pane"] == filled["pane"]
    page = render_html(m)
    assert in_page(f'<i class="hollow"></i>{said}', page)
    # without estimated homes there is no such line
    assert '<i class="hollow">' not in render_html(build(lang="en"))


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_completeness_box_lists_the_findings_in_the_language(lang: str) -> None:
    homes, facilities, isochrones = _with_estimated_home()
    m = build_access_map(homes, facilities, isochrones, KINDS, lang=lang, completeness=COMPLETENESS)
    box = _box(m)
    assert box is not None
    if lang == "zh":
        expected = [
            "<h4>数据完整性</h4>",
            "未绘建筑的居住用地：2 处，3.9 公顷，约 251 户",
            "建筑绘制过少的居住用地：2 处，其中 56.7 公顷远离已绘建筑，约 3629 户",
            "已在上述用地估算 3880 户（245 个空心点）",
            "居住用地住户密度：每平方公里 2500 户，低于预期的 3000 户",
            "仅 14.3% 的居住建筑标注了层数（518 栋中的 74 栋）",
            "数据中没有以下设施：社区卫生服务站、&lt;b&gt;x&lt;/b&gt;",
        ]
        assert not english_sentences(re.sub(r"<[^>]+>", " ", box))
    else:
        expected = [
            "<h4>data completeness</h4>",
            "residential land with no building mapped: 2 areas, 3.9 ha, about 251 households",
            "too few buildings mapped: 2 areas, 56.7 ha away from any building, about 3629",
            "3880 households estimated there as 245 hollow points",
            "homes on residential land: 2500 households per km², below the 3000 expected",
            "storeys tagged on 14.3 % of residential buildings (74 of 518)",
            "no facility in the data: Community clinic, &lt;b&gt;x&lt;/b&gt;",
        ]
    for text in expected:
        assert text in box, text
    assert "<b>x</b>" not in box and in_page(box, render_html(m))


def test_completeness_box_only_when_something_is_lacking() -> None:
    assert _box(build(lang="en")) is None  # no entry: no box
    quiet = {**COMPLETENESS, "findings": [], "estimated_homes": {"points": 0}}
    assert _box(build(lang="en", completeness=quiet)) is None
    # land left blank (estimate off) says its households are not in the audit
    off = {**COMPLETENESS, "findings": ["residential_land_without_buildings"]}
    off["estimated_homes"] = {"points": 0, "households": 0.0}
    box = _box(build(lang="en", completeness=off))
    assert box is not None and "these households are not in the audit" in box
    assert "storeys" not in box


def minute_bin_color(minutes: float) -> str:
    return bin_color(minute_bin(minutes))
