"""The facility siting map: layers, counts, languages, escaping, the curve chart, empty inputs,
and the same page in headless Chromium (offline, no console errors, features drawn).

The sample is a small siting run for elderly meal points (老年助餐点) in central Shanghai, in
UTM 51N as the siting workflow hands it over: 30 homes on a 150 m grid, 2 existing sites, 12
candidates (3 chosen, 3 excluded), the open sites' service areas and a curve for p = 0 … 6.
"""

from __future__ import annotations

import html
import re
from collections import Counter
from pathlib import Path
from typing import Any

import folium
import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
from shapely.geometry import Point

from shequ.errors import InputError
from shequ.i18n import Note
from shequ.maps import build_siting_map, render_html, write_map
from shequ.maps.siting_map import curve_svg, home_status, model_label
from shequ.maps.style import (
    CANDIDATE_COLOR,
    EXISTING_COLOR,
    SITING_HOME_FILLS,
)
from tests.helpers import PROBE, TILE_HOST, count, geojson_layers, in_page, open_page

XSS_IMG = "<img src=x onerror=alert(1)>"
XSS_PROBE = '<img src=x onerror="window.__xss=1">'
XSS_SCRIPT = "</script><script>window.__xss=2</script>"

KIND: dict[str, Any] = {
    "id": "canteen",
    "zh": "老年助餐点",
    "en": "Elderly meal point",
    "threshold_min": 15.0,
}
LON0, LAT0 = 121.47, 31.23  # People's Square, Shanghai
UTM = 32651
STEP_M = 150.0

# Homes by what the chosen sites do for them (the sample's ground truth).
HOMES_BEFORE = {1, 2, 3, 7, 8, 9, 13}  # within reach of an existing site
HOMES_LOST = {14}  # was within reach of an existing site, but it is full now (capacitated)
HOMES_NEW = {4, 5, 6, 10, 11, 12, 16, 17, 18, 22, 23, 24}
HOMES_NO_DEMAND = {25, 26, 27}
HOMES_UNSERVED = {15, 19, 20, 21, 28, 29, 30}  # with 14: still unserved

EXISTING_IDS = [0, 1]
CHOSEN_IDS = [5, 4, 6]  # proposed frame order; ranks 2, 1, 3
EXCLUDED_IDS = [3, 9, 12]
OTHER_IDS = [2, 7, 8, 10, 11, 13]

# Layer (English name) -> number of features, and whether it starts switched on.
EXPECTED = {
    "service areas (existing sites)": (2, True),
    "service areas (proposed sites)": (3, True),
    "homes newly covered": (12, True),
    "homes already covered": (7, True),
    "homes still unserved": (8, True),
    "homes with no demand of this kind": (3, False),
    "other candidates": (6, False),
    "excluded candidates": (3, True),
    "existing sites": (2, True),
    "proposed sites (by rank)": (3, True),
}
CURVE_SHARES = [0.42, 0.61, 0.74, 0.83, 0.88, 0.91, 0.93]


def utm(points: list[tuple[float, float]]) -> gpd.GeoSeries:
    """Points given in metres east/north of People's Square, in UTM 51N."""
    origin = gpd.GeoSeries([Point(LON0, LAT0)], crs=4326).to_crs(UTM).iloc[0]
    return gpd.GeoSeries([Point(origin.x + dx, origin.y + dy) for dx, dy in points], crs=UTM)


def sample_homes() -> gpd.GeoDataFrame:
    ids = list(range(1, 31))
    grid = [((i - 1) % 6 * STEP_M, (i - 1) // 6 * STEP_M) for i in ids]
    before = [i in HOMES_BEFORE or i in HOMES_LOST for i in ids]
    after = [(i in HOMES_BEFORE) or (i in HOMES_NEW) for i in ids]
    served = [
        (0 if i % 2 else 1) if i in HOMES_BEFORE else 4 if i < 12 else 5 if i in HOMES_NEW else -1
        for i in ids
    ]
    reasons: list[str | None] = [None if a else "not covered by the chosen sites" for a in after]
    reasons[14 - 1] = "only partly served: the chosen sites within reach are full"
    reasons[20 - 1] = "river <b>no bridge</b>"
    for i in HOMES_NO_DEMAND:
        reasons[i - 1] = "no demand of this kind"
    names: list[str | None] = [f"小区{i}" for i in ids]
    names[2 - 1] = XSS_PROBE
    names[3 - 1] = XSS_SCRIPT
    names[4 - 1] = None
    households = [40.0 + 10 * (i % 7) for i in ids]
    return gpd.GeoDataFrame(
        {
            "home_id": ids,
            "name": names,
            "households": households,
            "population": [h * 2.6 for h in households],
            "demand": [
                0.0 if i in HOMES_NO_DEMAND else h * 0.4
                for i, h in zip(ids, households, strict=True)
            ],
            "covered_before": before,
            "covered_after": after,
            "served_by": served,
            "walk_min_after": [
                4.0 + (i % 10) if a else np.nan for i, a in zip(ids, after, strict=True)
            ],
            "unserved_reason": reasons,
        },
        geometry=utm(grid),
        crs=UTM,
    )


def sample_sites() -> gpd.GeoDataFrame:
    ids = list(range(14))
    spots = [(100.0 * (i % 5) + 30, 90.0 * (i // 5) + 40) for i in ids]
    origins = ["existing", "existing"] + ["file", "osm", "street"] * 4
    sources = ["amap_canteens.csv", "shanghai.osm.pbf"]
    sources += ["candidates.csv", "shanghai.osm.pbf", "network"] * 4
    sources[6] = XSS_SCRIPT  # a file name is data too
    names: list[str | None] = ["静安助餐点", XSS_IMG] + [f"候选点{i}" for i in ids[2:]]
    names[7] = None
    excluded = [""] * 14
    excluded[3] = "within 50 m of a kindergarten (way 123)"
    excluded[9] = "no walkable street within 200 m"
    excluded[12] = XSS_PROBE
    return gpd.GeoDataFrame(
        {
            "site_id": ids,
            "name": names,
            "existing": [i in EXISTING_IDS for i in ids],
            "excluded": excluded,
            "chosen": [i in CHOSEN_IDS for i in ids],
            "origin": origins,
            "source": sources,
            "capacity_used": [150.0, 64.5] + [0.0] * 12,
            "capacity": [150.0, np.nan] + [np.nan] * 12,
        },
        geometry=utm(spots),
        crs=UTM,
    )


def sample_proposed() -> gpd.GeoDataFrame:
    sites = sample_sites().set_index("site_id")
    return gpd.GeoDataFrame(
        {
            "site_id": CHOSEN_IDS,
            "name": [sites.loc[i, "name"] for i in CHOSEN_IDS],
            "rank": [2, 1, 3],
            "marginal_weight": [96.0, 180.4, 40.0],
            "capacity_used": [96.0, 120.0, 40.0],
            "capacity": [np.nan, 150.0, 150.0],
        },
        geometry=list(sites.loc[CHOSEN_IDS].geometry),
        crs=UTM,
    )


def sample_areas() -> gpd.GeoDataFrame:
    sites = sample_sites()
    open_sites = sites[sites["existing"] | sites["chosen"]]
    return gpd.GeoDataFrame(
        {
            "site_id": open_sites["site_id"].tolist(),
            "existing": open_sites["existing"].tolist(),
            "minutes": [15.0] * len(open_sites),
        },
        geometry=[geom.buffer(250.0 + 20 * i) for i, geom in enumerate(open_sites.geometry)],
        crs=UTM,
    )


def sample_curve() -> pd.DataFrame:
    p = list(range(len(CURVE_SHARES)))
    status = ["existing"] + ["optimal"] * 5 + ["time_limit"]
    return pd.DataFrame(
        {
            "p": p,
            "covered_weight": [share * 1500 for share in CURVE_SHARES],
            "covered_share": CURVE_SHARES,
            "bound": [share * 1500 for share in CURVE_SHARES],
            "gap": [0.0] * 6 + [0.01],
            "status": status,
            "seconds": [0.0] + [0.1] * 6,
        }
    )


def sample_inputs() -> dict[str, Any]:
    return {
        "homes": sample_homes(),
        "sites": sample_sites(),
        "proposed": sample_proposed(),
        "service_areas": sample_areas(),
        "curve": sample_curve(),
        "kind": KIND,
        "model": "mclp",
    }


def build(lang: str = "zh", **changes: Any) -> folium.Map:
    inputs = sample_inputs() | changes
    return build_siting_map(**inputs, lang=lang)


def chart_points(page: str) -> int:
    return len(re.findall(r'<circle class="shequ-curve-pt"', page))


# --- layers -----------------------------------------------------------------------------------


def test_layers_counts_and_visibility() -> None:
    m = build(lang="en")
    layers = geojson_layers(m)
    assert set(layers) == set(EXPECTED)
    for name, (features, show) in EXPECTED.items():
        assert len(layers[name].data["features"]) == features, name
        assert layers[name].show is show, name
    assert any(isinstance(child, folium.LayerControl) for child in m._children.values())


def test_homes_split_by_what_the_sites_do() -> None:
    layers = geojson_layers(build(lang="en"))

    def names(layer: str) -> set[str]:
        return {f["properties"]["n"] for f in layers[layer].data["features"]}

    assert names("homes newly covered") == {"#4" if i == 4 else f"小区{i}" for i in HOMES_NEW}
    assert names("homes still unserved") == {f"小区{i}" for i in HOMES_UNSERVED | HOMES_LOST}
    assert names("homes with no demand of this kind") == {f"小区{i}" for i in HOMES_NO_DEMAND}
    # the home an existing site can no longer serve says why, in its tooltip
    lost = next(
        f["properties"]
        for f in layers["homes still unserved"].data["features"]
        if f["properties"]["n"] == "小区14"
    )
    assert lost["r"] == "only partly served: the chosen sites within reach are full"
    assert "m" not in lost and "s" not in lost  # no walk time, served by nobody
    assert home_status(True, False, 12.0) == "unserved"
    assert home_status(False, True, np.nan) == "new"
    assert home_status(True, True, 0.0) == "no_demand"


def test_home_tooltip_values() -> None:
    layer = geojson_layers(build(lang="en"))["homes newly covered"]
    props = next(f["properties"] for f in layer.data["features"] if f["properties"]["n"] == "#4")
    # home 4: 40 + 10·4 households, 2.6 people each, demand 0.4 per household, served by site 4
    assert props == {
        "n": "#4",
        "hh": "80",
        "pop": "208",
        "d": "32",
        "m": "8",
        "s": "候选点4",
    }


def test_proposed_sites_by_rank() -> None:
    layer = geojson_layers(build(lang="en"))["proposed sites (by rank)"]
    features = layer.data["features"]
    # last rank first, so rank 1 is drawn on top
    assert [f["properties"]["rk"] for f in features] == ["3", "2", "1"]
    assert [layer.style_function(f)["html"] for f in features] == ["3", "2", "1"]
    first = features[-1]["properties"]
    assert first == {
        "rk": "1",
        "n": "候选点4",
        "i": "4",
        "o": "point along a street",  # origin and source taken from the sites table
        "mw": "180.4",
        "c": "120 / 150",
    }
    assert features[1]["properties"]["c"] == "96"  # no capacity: the load alone
    assert features[1]["properties"]["o"] == "candidate file (candidates.csv)"


def test_candidates_and_existing_sites() -> None:
    layers = geojson_layers(build(lang="en"))
    excluded = [f["properties"] for f in layers["excluded candidates"].data["features"]]
    assert [p["i"] for p in excluded] == ["3", "9", "12"]
    assert excluded[0]["r"] == "within 50 m of a kindergarten (way 123)"
    assert excluded[0]["o"] == "OpenStreetMap (shanghai.osm.pbf)"
    others = [f["properties"] for f in layers["other candidates"].data["features"]]
    assert [p["i"] for p in others] == [str(i) for i in OTHER_IDS]
    assert others[1]["n"] == "no name" and others[1]["i"] == "7"  # never "nan" or "#7" twice
    assert others[0]["o"] == "candidate file (candidates.csv)"
    existing = [f["properties"] for f in layers["existing sites"].data["features"]]
    assert existing[0]["c"] == "150 / 150" and existing[1]["c"] == "64.5"
    assert (
        layers["existing sites"].style_function(layers["existing sites"].data["features"][0])[
            "fillColor"
        ]
        == EXISTING_COLOR
    )


def test_service_areas_name_their_site() -> None:
    layers = geojson_layers(build(lang="zh"))
    proposed = layers["服务范围 (新增选址)"].data["features"]
    # largest first: the buffers grow with the site's position in the table
    assert [f["properties"]["s"] for f in proposed] == ["候选点6", "候选点5", "候选点4"]
    assert {f["properties"]["t"] for f in proposed} == {"新增"}
    assert {f["properties"]["m"] for f in proposed} == {"15"}
    style = layers["服务范围 (新增选址)"].style_function(proposed[0])
    assert style["dashArray"] and "dashArray" not in layers["服务范围 (现有设施)"].style_function(
        layers["服务范围 (现有设施)"].data["features"][0]
    )


def test_reprojects_to_wgs84() -> None:
    layer = geojson_layers(build(lang="en"))["homes already covered"]
    lon, lat = layer.data["features"][0]["geometry"]["coordinates"]  # home 1, at the origin
    assert lon == pytest.approx(LON0, abs=1e-6)
    assert lat == pytest.approx(LAT0, abs=1e-6)


# --- languages, title, escaping ---------------------------------------------------------------


@pytest.mark.parametrize(
    ("lang", "words", "absent"),
    [
        (
            "zh",
            ["老年助餐点选址 — 最大覆盖 (MCLP)", "现有设施", "新增选址 (按序号)",
             "排除的候选点", "其他候选点", "服务范围 (现有设施)", "新覆盖住宅",
             "原已覆盖住宅", "仍未覆盖住宅", "覆盖曲线", "新增站点数", "图例", "本方案"],
            "homes still unserved",
        ),
        (
            "en",
            ["Elderly meal point siting — maximal covering (MCLP)", "existing sites",
             "proposed sites (by rank)", "excluded candidates", "other candidates",
             "service areas (proposed sites)", "homes newly covered", "homes already covered",
             "homes still unserved", "coverage curve", "new sites", "legend", "this plan"],
            "仍未覆盖住宅",
        ),
    ],
)  # fmt: skip
def test_labels_follow_language(lang: str, words: list[str], absent: str) -> None:
    page = render_html(build(lang=lang))
    for word in words:
        assert in_page(word, page), word
    assert not in_page(absent, page)
    assert "<title>" + words[0] + "</title>" in page


def test_legend_counts_each_layer() -> None:
    page = render_html(build(lang="en"))
    for text in (
        "existing sites (2)",
        "proposed sites (by rank) (3)",
        "excluded candidates (3)",
        "homes newly covered (12)",
        "homes still unserved (8)",
        "Elderly meal point ≤ 15 min",
    ):
        assert text in page, text


@pytest.mark.parametrize(
    ("model", "lang", "text"),
    [
        ("mclp-capacitated", "en", "maximal covering (MCLP), capacitated"),
        ("lscp", "zh", "集合覆盖 (LSCP)"),
        ("p-median", "en", "p-median"),
        ("mclp-budget", "zh", "预算约束最大覆盖 (MCLP)"),
        ("new-model", "en", "new-model"),
    ],
)
def test_model_names(model: str, lang: str, text: str) -> None:
    assert model_label(model, lang) == text


def test_data_text_is_escaped() -> None:
    title = "{{ 7*7 }} <i>t</i>"
    page = render_html(build(lang="en", kind={**KIND, "en": "<b>meals</b>"}, model="<u>m</u>"))
    for raw in (XSS_IMG, XSS_PROBE, "window.__xss=2</script>", "<b>no bridge", "<b>meals",
                "<u>m</u>"):  # fmt: skip
        assert not in_page(raw, page), raw
    for raw in (XSS_IMG, XSS_PROBE, XSS_SCRIPT, "river <b>no bridge</b>", "<b>meals</b>"):
        assert in_page(html.escape(raw), page), raw
    titled = render_html(build(lang="en", title=title))
    assert "<title>{{ 7*7 }} &lt;i&gt;t&lt;/i&gt;</title>" in titled  # not run as a template
    props = [
        value
        for layer in geojson_layers(build(lang="en")).values()
        for feature in layer.data["features"]
        for value in feature["properties"].values()
    ]
    assert html.escape(XSS_IMG) in props and XSS_IMG not in props
    assert f"OpenStreetMap ({html.escape(XSS_SCRIPT)})" in props  # sources are escaped too
    assert html.escape(XSS_PROBE) in props  # an exclusion reason


@pytest.mark.parametrize(
    ("lang", "unserved", "lost", "excluded", "status"),
    [
        ("zh", "仍未覆盖住宅", "仅部分得到服务：可达的选定设施容量已满", "未给出费用", "最优"),
        ("en", "homes still unserved", str(Note("unserved.full")), "no cost given", "optimal"),
    ],
)
def test_reasons_and_statuses_that_are_notes_are_in_the_maps_language(
    lang: str, unserved: str, lost: str, excluded: str, status: str
) -> None:
    """The siting job hands reasons and statuses over as notes (English in its files)."""
    homes = sample_homes()
    homes["unserved_reason"] = homes["unserved_reason"].astype(object)
    homes.loc[homes["home_id"] == 14, "unserved_reason"] = Note("unserved.full")
    sites = sample_sites()
    sites["excluded"] = sites["excluded"].astype(object)
    sites.loc[sites["site_id"] == 3, "excluded"] = Note("excluded.no_cost")
    statuses = [Note("status.existing"), *[Note("status.optimal")] * 5, "time_limit"]
    curve = sample_curve().assign(status=pd.Series(statuses, dtype=object))
    layers = geojson_layers(build(lang=lang, homes=homes, sites=sites, curve=curve))
    reasons = {
        f["properties"]["n"]: f["properties"]["r"] for f in layers[unserved].data["features"]
    }
    assert reasons["小区14"] == html.escape(lost)
    excluded_layer = "排除的候选点" if lang == "zh" else "excluded candidates"
    first = layers[excluded_layer].data["features"][0]["properties"]
    assert first["i"] == "3" and first["r"].startswith(excluded)
    svg = curve_svg(curve, lang)
    assert svg is not None and "p = 3: 83.0%" in svg
    assert re.search(rf"<title>p = 3: [^<]*: {status}</title>", svg)


def test_curve_status_is_escaped() -> None:
    curve = sample_curve().assign(status=["existing", *["optimal"] * 5, XSS_PROBE])
    svg = curve_svg(curve, "en")
    assert svg is not None and XSS_PROBE not in svg and html.escape(XSS_PROBE) in svg


# --- the curve chart --------------------------------------------------------------------------


def test_curve_chart_points() -> None:
    page = render_html(build(lang="en"))
    assert 'class="shequ-box shequ-chart"' in page
    assert chart_points(page) == len(CURVE_SHARES)
    svg = curve_svg(sample_curve(), "en", plan_p=3)
    assert svg is not None
    circles = re.findall(r'<circle class="shequ-curve-pt" data-p="(\d+)"[^>]*fill="([^"]+)"', svg)
    assert [int(p) for p, _ in circles] == list(range(7))
    assert [fill for _, fill in circles].count("#ffffff") == 1  # p = 6 hit the time limit
    assert "hollow: not proven optimal" in svg
    assert "<title>p = 3: 83.0%; demand covered 1245; solver status: optimal</title>" in svg
    assert 'class="shequ-curve-plan"' in svg and "this plan: p = 3" in svg
    # y runs 0–100 %: 42 % sits 58 % of the plot height below the top
    y0 = float(re.search(r'data-p="0" cx="[\d.]+" cy="([\d.]+)"', svg).group(1))
    y100 = 8.0
    height = 140 - 8 - 30
    assert y0 == pytest.approx(y100 + (1 - 0.42) * height, abs=0.06)


def test_curve_rows_unsorted_and_bad_are_handled() -> None:
    curve = pd.DataFrame(
        {"p": [3, 1, 2, 2.5, None, 4], "covered_share": [0.9, 0.5, 0.7, 0.8, 0.6, np.nan]}
    )
    svg = curve_svg(curve, "zh", plan_p=9)
    assert svg is not None
    assert re.findall(r'data-p="(\d+)"', svg) == ["1", "2", "3"]
    assert "shequ-curve-plan" not in svg and "空心点" not in svg


def test_empty_curve_draws_no_chart() -> None:
    for curve in (sample_curve().iloc[:0], None, pd.DataFrame()):
        page = render_html(build(lang="en", curve=curve))
        assert 'class="shequ-box shequ-chart"' not in page
        assert chart_points(page) == 0
        assert "homes newly covered" in html.unescape(page)


def test_empty_proposed() -> None:
    sites = sample_sites().assign(chosen=False)
    areas = sample_areas()
    homes = sample_homes()
    homes["covered_after"] = homes["covered_before"] & ~homes["home_id"].isin(HOMES_LOST)
    m = build(
        lang="en",
        homes=homes,
        sites=sites,
        proposed=sample_proposed().iloc[:0],
        service_areas=areas[areas["existing"]],
    )
    layers = geojson_layers(m)
    assert layers["proposed sites (by rank)"].data["features"] == []
    assert layers["service areas (proposed sites)"].data["features"] == []
    assert layers["homes newly covered"].data["features"] == []
    assert len(layers["other candidates"].data["features"]) == len(OTHER_IDS) + 3
    page = render_html(m)
    assert "proposed sites (by rank) (0)" in page
    assert 'class="shequ-curve-plan"' not in page  # no plan to mark on the curve


def test_empty_frames_still_build() -> None:
    bare = gpd.GeoDataFrame(geometry=[], crs=4326)  # zero rows, not even the columns
    m = build_siting_map(bare, bare, bare, bare, pd.DataFrame(), KIND, "mclp", lang="en")
    layers = geojson_layers(m)
    assert all(not layer.data["features"] for layer in layers.values())
    assert "homes with no demand of this kind" not in layers  # only shown when there are some
    assert "leaflet" in render_html(m)


def test_missing_optional_columns() -> None:
    homes = sample_homes().drop(
        columns=["name", "demand", "served_by", "walk_min_after", "unserved_reason"]
    )
    proposed = sample_proposed()[["geometry"]]
    sites = sample_sites().drop(columns=["name", "excluded", "origin", "source"])
    layers = geojson_layers(build(lang="en", homes=homes, proposed=proposed, sites=sites))
    assert len(layers["homes still unserved"].data["features"]) == 11  # no demand column
    assert len(layers["excluded candidates"].data["features"]) == 0
    ranks = [f["properties"]["rk"] for f in layers["proposed sites (by rank)"].data["features"]]
    assert ranks == ["3", "2", "1"]  # no rank column: the row order


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"lang": "fr"}, "language"),
        ({"homes": sample_homes().drop(columns="covered_after")}, "covered_after"),
        ({"sites": sample_sites().drop(columns="chosen")}, "chosen"),
        ({"service_areas": sample_areas().drop(columns="existing")}, "existing"),
        ({"curve": sample_curve().drop(columns="covered_share")}, "covered_share"),
        ({"homes": sample_homes().set_crs(None, allow_override=True)}, "no CRS"),
        ({"kind": {"zh": "助餐"}}, "id"),
    ],
)
def test_bad_inputs(changes: dict[str, Any], message: str) -> None:
    lang = changes.pop("lang", "zh")
    with pytest.raises(InputError, match=message):
        build(lang=lang, **changes)


def test_written_page_is_self_contained(tmp_path: Path) -> None:
    page = write_map(build(), tmp_path / "site_map.html").read_text(encoding="utf-8")
    assert not re.search(r"<script[^>]*\bsrc\s*=", page, re.IGNORECASE)
    assert not re.search(r"<link[^>]*\bhref\s*=", page, re.IGNORECASE)
    assert page.encode("utf-8").find(b"charset=UTF-8") < 1024


# --- in a browser -----------------------------------------------------------------------------


def _drawn(dom: str) -> tuple[Any, list[str]]:
    """Paths per pane (from the shared counter) and the rank badges, in DOM order."""
    badges = re.findall(r'<div class="[^"]*\bshequ-rank\b[^"]*"[^>]*>(\d+)</div>', dom)
    return count(dom), badges


@pytest.mark.browser
def test_page_draws_in_browser_offline(tmp_path: Path) -> None:
    page = write_map(build(lang="zh"), tmp_path / "site_map.html")
    run = open_page(page, tmp_path)

    assert run.console == [], "\n".join(run.console)
    assert "leaflet-control-layers" in run.dom and "shequ-legend" in run.dom
    drawn, badges = _drawn(run.dom)
    fills = {pane: Counter(values) for pane, values in drawn.fills.items()}
    assert fills["leaflet-shequ-homes-pane"] == Counter(
        {
            SITING_HOME_FILLS["new"]: len(HOMES_NEW),
            SITING_HOME_FILLS["covered"]: len(HOMES_BEFORE),
            SITING_HOME_FILLS["unserved"]: len(HOMES_UNSERVED | HOMES_LOST),
        }
    )  # the no-demand layer starts hidden
    assert fills["leaflet-shequ-candidates-pane"] == Counter({"#ffffff": 3})  # only excluded
    assert fills["leaflet-shequ-sites-pane"] == Counter({EXISTING_COLOR: 2})
    assert sum(fills["leaflet-shequ-service-areas-pane"].values()) == 5
    assert drawn.paths == 12 + 7 + 8 + 3 + 2 + 5
    assert sorted(badges) == ["1", "2", "3"]
    assert len(re.findall(r'<circle class="shequ-curve-pt"', run.dom)) == len(CURVE_SHARES)
    assert [url for url in run.requests if not url.startswith(TILE_HOST)] == []


@pytest.mark.browser
def test_every_layer_and_tooltip_in_browser(tmp_path: Path) -> None:
    page = write_map(build(lang="en"), tmp_path / "site_map.html")
    probed = tmp_path / "probed.html"
    probed.write_text(
        page.read_text(encoding="utf-8").replace("</html>", PROBE + "</html>"), encoding="utf-8"
    )
    run = open_page(probed, tmp_path)

    assert run.console == [], "\n".join(run.console)
    drawn, badges = _drawn(run.dom)
    assert drawn.probe.get("data-xss") == "undefined"
    total = sum(features for features, _ in EXPECTED.values())
    assert int(drawn.probe.get("data-opened") or 0) == total  # every feature has a tooltip
    assert drawn.tooltips == total
    assert drawn.paths == total - 3  # all but the badges, now that every layer is on
    assert sorted(badges) == ["1", "2", "3"]
    fills = Counter(fill for values in drawn.fills.values() for fill in values)
    assert fills[CANDIDATE_COLOR] == len(OTHER_IDS)
    assert fills[SITING_HOME_FILLS["no_demand"]] == len(HOMES_NO_DEMAND)
    assert re.search(r"<img[^>]*onerror", run.dom) is None


# --- data completeness (issue 12) -----------------------------------------------------------


@pytest.mark.parametrize(
    ("lang", "said", "heading"),
    [
        ("en", "estimated from residential land, buildings not mapped", "data completeness"),
        ("zh", "按居住用地估算（建筑未绘）", "数据完整性"),
    ],
)
def test_estimated_homes_are_hollow_and_the_completeness_box_is_shown(
    lang: str, said: str, heading: str
) -> None:
    homes = sample_homes()
    homes["estimated_from"] = ["landuse" if i in (15, 16) else "building" for i in homes["home_id"]]
    entry = {
        "residential_land_without_buildings": {"areas": 1, "ha": 2.5, "households_estimate": 160},
        "estimated_homes": {"points": 2, "households": 160.0},
        "findings": ["residential_land_without_buildings"],
    }
    m = build(lang=lang, homes=homes, completeness=entry)
    styles = {}
    for layer in geojson_layers(m).values():
        for item in layer.data["features"]:
            if "e" in item["properties"]:
                assert item["properties"]["e"] == said
                styles[item["properties"]["n"]] = layer.style_function(item)
    assert set(styles) == {"小区15", "小区16"}  # one unserved, one newly covered
    assert all(style["fillColor"] == "#ffffff" for style in styles.values())
    page = render_html(m)
    assert in_page(f'<i class="hollow"></i>{said}', page)
    assert in_page(f"<h4>{heading}</h4>", page)
    line = "约 160 户" if lang == "zh" else "about 160 households"
    assert in_page(line, page)
    # no estimate, no entry: no hollow line, no box
    plain = render_html(build(lang=lang))
    assert '<i class="hollow">' not in plain and not in_page(f"<h4>{heading}</h4>", plain)
