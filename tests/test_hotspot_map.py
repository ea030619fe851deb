"""The risk-hotspot map: layers, colours, popups, languages, the three-colour scheme, escaping,
page size for thousands of cells, the real Sacramento cells, and the page in headless Chromium.

The sample is 37 H3 cells (resolution 9) around Tiananmen, built ring by ring with h3 v4: the
centre is red, a hot spot at 99 % and a new hot spot; ring 1 is orange and hot at 95 %
(three intensifying, three persistent); ring 2 is yellow, half of it hot at 90 % (two
diminishing); ring 3 is blue and cold, except three cells with no incidents and a zero index,
which the overlays leave out. Two grids split the area west and east.
"""

from __future__ import annotations

import html
import json
import re
from pathlib import Path
from typing import Any

import folium
import geopandas as gpd
import h3
import numpy as np
import pandas as pd
import pytest
from shapely.geometry import Polygon, box

from shequ.errors import InputError
from shequ.jobs.hotspots import HotspotOptions, compute_hotspots
from shequ.maps import build_hotspot_map, render_html, write_map
from shequ.maps.hotspot_map import CellLayer, cell_table, kde_breaks
from shequ.maps.style import GI_BIN_COLORS, LEVEL_COLORS, TREND_COLORS
from tests.conftest import shared_file
from tests.helpers import TILE_HOST, count, open_page, probe_attrs, with_probe

XSS_IMG = '<img src=x onerror="window.__xss=1">'
XSS_SCRIPT = "</script><script>window.__xss=2</script>"

LAT0, LON0 = 39.9087, 116.3975  # Tiananmen
RES = 9
CENTRE = h3.latlng_to_cell(LAT0, LON0, RES)
UTM = 32650
SACRAMENTO = "incidents/sacramento_crime_jan2006.csv"

FACTORS = ("rate", "gi_z", "dist_fire_station_m")

# Layer (English name) -> number of features, and whether it starts switched on.
EXPECTED = {
    "risk level (H3 cells)": (37, True),
    "Gi* hot and cold spots (confidence)": (34, False),
    "kernel density (incidents per km²)": (34, False),
    "emerging trends": (9, False),
    "grids (level from their own incident density)": (2, False),
}
LEVEL_COUNTS = {"red": 1, "orange": 6, "yellow": 12, "blue": 18}
BIN_COUNTS = {3: 1, 2: 6, 1: 6, 0: 6, -1: 6, -2: 6, -3: 3}  # drawn: blank cells left out
TREND_COUNTS = {"new": 1, "intensifying": 3, "persistent": 3, "diminishing": 2}


def ring_of(cell: str) -> int:
    return h3.grid_distance(CENTRE, cell)


def hexagon(cell: str) -> Polygon:
    return Polygon([(lng, lat) for lat, lng in h3.cell_to_boundary(cell)])


def _ring_record(ring: int, position: int) -> dict[str, Any]:
    """The sample's values for the cell at ``position`` (0-based) within ring ``ring``."""
    if ring == 0:
        return {"level": "red", "bin": 3, "bin_fdr": 3, "trend": "new", "count": 25.0,
                "index": 0.97, "gi_z": 3.1, "gi_p": 0.001, "moran_i": 2.5, "kde": 60.0}  # fmt: skip
    if ring == 1:
        trend = "intensifying" if position < 3 else "persistent"
        return {"level": "orange", "bin": 2, "bin_fdr": 0, "trend": trend, "count": 12.0,
                "index": 0.85, "gi_z": 2.2, "gi_p": 0.02, "moran_i": 1.2,
                "kde": 40.0 + position}  # fmt: skip
    if ring == 2:
        hot = position < 6
        return {"level": "yellow", "bin": 1 if hot else 0, "bin_fdr": 0,
                "trend": "diminishing" if position < 2 else "", "count": 5.0, "index": 0.6,
                "gi_z": 1.7 if hot else 0.9, "gi_p": 0.08 if hot else 0.3, "moran_i": 0.4,
                "kde": 20.0 + position}  # fmt: skip
    bins = [-1] * 6 + [-2] * 6 + [-3] * 3 + [0] * 3
    p_values = {-1: 0.07, -2: 0.03, -3: 0.005, 0: 1.0}
    blank = bins[position] == 0
    return {"level": "blue", "bin": bins[position], "bin_fdr": -3 if bins[position] == -3 else 0,
            "trend": "", "count": 0.0 if blank else 1.0, "index": 0.0 if blank else 0.2,
            "gi_z": -1.0, "gi_p": p_values[bins[position]], "moran_i": -0.3,
            "kde": 5.0 + 0.1 * position}  # fmt: skip


def sample_cells() -> gpd.GeoDataFrame:
    """The 37 cells, centre first, then ring by ring (cells of a ring in id order)."""
    ids = sorted(h3.grid_disk(CENTRE, 3), key=lambda cell: (ring_of(cell), cell))
    rows, seen = [], {0: 0, 1: 0, 2: 0, 3: 0}
    for cell in ids:
        ring = ring_of(cell)
        record = _ring_record(ring, seen[ring])
        seen[ring] += 1
        record |= {
            "h3": cell,
            "moran_p": record["gi_p"],
            "households": 50.0,
            "population": 120.0,
            "elderly": 30.0,
            "elderly_share": 0.25,
            "rate": record["count"] / 50.0,
            "dist_fire_station_m": 300.0 * ring + 50.0,
            "rank_rate": 1.0 - 0.25 * ring,
            "rank_gi_z": 1.0 - 0.3 * ring,
            "rank_dist_fire_station_m": ring / 3.0,
            "geometry": hexagon(cell),
        }
        rows.append(record)
    return gpd.GeoDataFrame(rows, crs=4326)


def sample_grids() -> gpd.GeoDataFrame:
    west, south, east, north = sample_cells().total_bounds
    return gpd.GeoDataFrame(
        {
            "grid_id": [1, 2],
            "code": ["110101001001001", "110101001001002"],
            "incidents": [60.0, 45.0],
            "cells": [19.0, 18.0],
            "mean_index": [0.62, 0.41],
            "hot_cells": [5.0, 2.0],
            "level": ["red", "orange"],
        },
        geometry=[box(west, south, LON0, north), box(LON0, south, east, north)],
        crs=4326,
    )


def build(**kwargs: Any) -> folium.Map:
    cells = kwargs.pop("cells", None)
    grids = kwargs.pop("grids", None)
    return build_hotspot_map(
        sample_cells() if cells is None else cells,
        grids=sample_grids() if grids is None else grids,
        **{"lang": "en"} | kwargs,
    )


def layers(m: folium.Map) -> dict[str, CellLayer | folium.GeoJson]:
    """The map's data layers by (unescaped) layer name."""
    return {
        html.unescape(child.layer_name): child
        for child in m._children.values()
        if isinstance(child, CellLayer | folium.GeoJson)
    }


def n_features(layer: CellLayer | folium.GeoJson) -> int:
    if isinstance(layer, CellLayer):
        return len(layer.features)
    return len(layer.data["features"])


def fills(layer: CellLayer) -> list[str]:
    """The fill colour of each feature of a cell layer, in drawing order."""
    return [layer.styles[number]["fillColor"] for _, number in layer.features]


def page_table(page: str) -> dict[str, Any]:
    """The shared cell table as written in the page."""
    match = re.search(r"var shequHotspotCells = (\{.*?\});\n", page)
    assert match is not None
    return json.loads(match.group(1))


def row_of(table: dict[str, Any], row: int) -> dict[str, Any]:
    """A cell's popup texts by field key, plus its factor (value, rank) pairs by label."""
    values = table["rows"][row]
    n = len(table["fields"])
    record = {key: values[k] for k, (key, _) in enumerate(table["fields"])}
    record["level_number"] = values[n]
    record["factors"] = {
        name: (values[n + 1 + 2 * j], values[n + 2 + 2 * j])
        for j, name in enumerate(table["factors"])
    }
    return record


# --- layers, colours, features ----------------------------------------------------------------


def test_layers_features_and_visibility() -> None:
    found = layers(build())
    assert {name: (n_features(layer), layer.show) for name, layer in found.items()} == EXPECTED


def test_cells_coloured_by_level_highest_drawn_last() -> None:
    cells = sample_cells()
    level_layer = layers(build())["risk level (H3 cells)"]
    assert sorted(row for row, _ in level_layer.features) == list(range(37))
    drawn = fills(level_layer)
    assert drawn == (
        [LEVEL_COLORS["blue"]] * 18
        + [LEVEL_COLORS["yellow"]] * 12
        + [LEVEL_COLORS["orange"]] * 6
        + [LEVEL_COLORS["red"]]
    )
    for row, number in level_layer.features:  # each cell's own level, with an outline
        style = level_layer.styles[number]
        assert style["fillColor"] == LEVEL_COLORS[cells["level"].iloc[row]]
        assert style["weight"] > 0 and style["color"] != style["fillColor"]
    weights = [level_layer.styles[number]["weight"] for _, number in level_layer.features]
    assert weights == sorted(weights)  # heavier outlines for higher levels


def test_gi_bins_leave_blank_cells_out() -> None:
    cells = sample_cells()
    gi = layers(build())["Gi* hot and cold spots (confidence)"]
    bins = [number - 3 for _, number in gi.features]
    assert {value: bins.count(value) for value in BIN_COUNTS} == BIN_COUNTS
    blank = set(np.flatnonzero((cells["count"] == 0) & (cells["index"] == 0)))
    assert len(blank) == 3 and not blank & {row for row, _ in gi.features}
    for (row, _), fill in zip(gi.features, fills(gi), strict=True):
        assert fill == GI_BIN_COLORS[cells["bin"].iloc[row] + 3]
    assert [abs(value) for value in bins] == sorted(abs(value) for value in bins)


def test_density_classes_and_breaks() -> None:
    assert kde_breaks([float(value) for value in range(1, 13)]) == [2.8, 4.7, 6.5, 8.3, 10.0]
    assert kde_breaks([7.0] * 5) == [] and kde_breaks([]) == []
    cells = sample_cells()
    kde = layers(build())["kernel density (incidents per km²)"]
    classes = {row: number for row, number in kde.features}
    assert classes[0] == max(classes.values()) == len(kde.styles) - 1  # the centre: 60 / km²
    density = cells["kde"].to_numpy()
    for a in classes:
        for b in classes:
            if density[a] < density[b]:
                assert classes[a] <= classes[b]
    drawn = [density[row] for row in classes]
    breaks = kde_breaks(drawn)
    assert len(kde.styles) == len(breaks) + 1 == 6
    page = render_html(build())  # open-ended lowest and highest classes in the legend
    assert f"&lt; {breaks[0]:g}</div>" in page and f"≥ {breaks[-1]:g}</div>" in page


def test_trend_layer_holds_only_cells_with_a_trend() -> None:
    trend = layers(build())["emerging trends"]
    names = list(TREND_COLORS)
    drawn = [names[number] for _, number in trend.features]
    assert {name: drawn.count(name) for name in names} == TREND_COUNTS
    assert fills(trend) == [TREND_COLORS[name] for name in drawn]


def test_grids_layer_tooltips() -> None:
    grids = layers(build())["grids (level from their own incident density)"]
    props = [item["properties"] for item in grids.data["features"]]
    assert props[0] == {
        "c": "110101001001001",
        "id": "1",
        "lv": "red (level 1, highest)",
        "n": "60",
        "nc": "19",
        "mi": "0.62",
        "hc": "5",
    }
    assert props[1]["lv"] == "orange (level 2)"
    styles = [grids.style_function(item)["fillColor"] for item in grids.data["features"]]
    assert styles == [LEVEL_COLORS["red"], LEVEL_COLORS["orange"]]


def test_no_grids_no_grid_layer() -> None:
    m = build_hotspot_map(sample_cells(), lang="en")
    assert "grids (level from their own incident density)" not in layers(m)
    assert "shequ-hs-sec-grids" not in render_html(m)


# --- popups: the shared table -----------------------------------------------------------------


def test_popup_of_the_centre_cell() -> None:
    table = page_table(render_html(build()))
    assert [label for _, label in table["fields"]][:5] == [
        "H3 cell",
        "risk level",
        "risk index (0–1)",
        "incidents",
        "incidents per household",
    ]
    assert table["factors"] == [
        "incident rate",
        "Gi* z-score",
        "distance to fire station (m)",
    ]
    centre = row_of(table, 0)
    assert centre == {
        "h3": CENTRE,
        "lv": "red (level 1, highest)",
        "ix": "0.97",
        "n": "25",
        "rt": "0.5",
        "z": "3.10",
        "p": "0.001",
        "b": "hot spot, 99% confidence",
        "bf": "hot spot, 99% confidence",
        "mi": "2.50",
        "mp": "0.001",
        "kd": "60",
        "tr": "new hot spot",
        "hh": "50",
        "pop": "120",
        "el": "30",
        "es": "25%",
        "level_number": 0,
        "factors": {
            "incident rate": ("0.5", "1.00"),
            "Gi* z-score": ("3.10", "1.00"),
            "distance to fire station (m)": ("50", "0.00"),
        },
    }
    cold = row_of(table, 36)  # a blank ring-3 cell: still in the table and the level layer
    assert cold["lv"] == "blue (level 4, lowest)" and cold["n"] == "0" and cold["tr"] is None
    assert cold["b"] == "not significant" and cold["factors"]["distance to fire station (m)"] == (
        "950",
        "1.00",
    )


def test_optional_columns_missing() -> None:
    cells = sample_cells()[["h3", "count", "index", "level", "geometry"]]
    m = build_hotspot_map(cells, lang="en")
    found = layers(m)
    assert n_features(found["risk level (H3 cells)"]) == 37
    assert n_features(found["Gi* hot and cold spots (confidence)"]) == 0
    assert n_features(found["emerging trends"]) == 0
    table = page_table(render_html(m))
    assert table["factors"] == []
    centre = row_of(table, 0)
    assert {key: value for key, value in centre.items() if value not in (None, {})} == {
        "h3": CENTRE,
        "lv": "red (level 1, highest)",
        "ix": "0.97",
        "n": "25",
        "level_number": 0,
    }
    assert table["fields"][4][1] == "incidents per cell"  # no households: the rate is per cell


def test_geometry_rounded_and_reprojected() -> None:
    table_4326 = cell_table(sample_cells(), "en")
    projected = sample_cells().to_crs(UTM)
    page = render_html(build_hotspot_map(projected, lang="en"))
    table_utm = page_table(page)
    ring = table_utm["geoms"][0]["coordinates"][0]
    assert len(ring) == 7  # a closed hexagon
    assert all(len(repr(value).split(".")[-1]) <= 6 for xy in ring for value in xy)
    expected = np.array(table_4326["geoms"][0]["coordinates"][0])
    assert np.abs(np.array(ring) - expected).max() < 2e-6
    assert 116.3 < ring[0][0] < 116.5 and 39.8 < ring[0][1] < 40.0


# --- languages and schemes --------------------------------------------------------------------


def test_chinese_labels() -> None:
    m = build(lang="zh")
    assert set(layers(m)) == {
        "风险等级 (H3 单元)",
        "Gi* 热点与冷点 (置信度)",
        "核密度 (起/平方公里)",
        "时空趋势 (新增、加剧、持续、减弱)",
        "网格汇总 (按网格自身事件密度定级)",
    }
    page = render_html(m)
    table = page_table(page)
    assert table["factors"] == ["发案率", "Gi* z 值", "到消防站距离 (米)"]
    assert table["labels"]["factors"] == "风险因子分解"
    centre = row_of(table, 0)
    assert centre["lv"] == "红色 (一级, 最高)" and centre["b"] == "热点 (99% 置信度)"
    assert centre["tr"] == "新热点"
    assert "<title>社区风险热点</title>" in page
    for level, number in LEVEL_COUNTS.items():
        text = {"red": "红色 (一级, 最高)", "orange": "橙色 (二级)", "yellow": "黄色 (三级)",
                "blue": "蓝色 (四级, 最低)"}[level]  # fmt: skip
        assert f"{text} ({number})" in page
    assert "37 个 H3 单元，172 起事件" in page


def test_english_legend_counts() -> None:
    page = render_html(build())
    assert "red (level 1, highest) (1)" in page and "blue (level 4, lowest) (18)" in page
    assert "37 H3 cells, 172 incidents" in page
    assert "hot spot, 99% confidence (1)" in page and "cold spot, 99% confidence (3)" in page
    assert "still significant after FDR correction: 1 hot, 3 cold" in page
    assert "persistent hot spot (3)" in page
    # only the levels section shows at first; the others follow their layers
    assert '<div id="shequ-hs-sec-levels" class="shequ-hs-sec">' in page
    for key in ("gi", "kde", "trend", "grids"):
        assert f'<div id="shequ-hs-sec-{key}" class="shequ-hs-sec" style="display:none">' in page


def test_three_colour_folds_orange_into_red() -> None:
    m = build(three_colour=True)
    level_layer = layers(m)["risk level (H3 cells)"]
    assert set(fills(level_layer)) == {LEVEL_COLORS[name] for name in ("red", "yellow", "blue")}
    assert fills(level_layer).count(LEVEL_COLORS["red"]) == 7
    page = render_html(m)
    table = page_table(page)
    assert len(table["levels"]) == 3
    assert row_of(table, 0)["lv"] == row_of(table, 1)["lv"] == "red (high)"
    assert "red (high) (7)" in page and "yellow (medium) (12)" in page
    assert "blue (low) (18)" in page and "orange (level 2)" not in page
    grids = layers(m)["grids (level from their own incident density)"]
    assert grids.data["features"][1]["properties"]["lv"] == "red (high)"


# --- escaping and bad input -------------------------------------------------------------------


def hostile_inputs() -> tuple[gpd.GeoDataFrame, gpd.GeoDataFrame]:
    cells = sample_cells()
    cells.loc[1, "h3"] = XSS_SCRIPT
    cells.loc[2, "trend"] = XSS_IMG
    cells.loc[3, "level"] = XSS_IMG
    cells[f"rank_{XSS_IMG}"] = 0.5
    cells[XSS_IMG] = 7.0
    grids = sample_grids()
    grids.loc[0, "code"] = XSS_IMG
    grids.loc[1, "level"] = XSS_SCRIPT
    return cells, grids


def test_data_text_is_escaped() -> None:
    cells, grids = hostile_inputs()
    page = render_html(build(cells=cells, grids=grids, title=XSS_IMG))
    for raw in (XSS_IMG, XSS_SCRIPT, "<script>window.__xss"):
        assert raw not in page
    assert f"<title>{html.escape(XSS_IMG)}</title>" in page
    table = page_table(page)
    assert row_of(table, 1)["h3"] == html.escape(XSS_SCRIPT)
    assert row_of(table, 2)["tr"] == html.escape(XSS_IMG)
    hostile_level = row_of(table, 3)
    assert hostile_level["lv"] == html.escape(XSS_IMG) and hostile_level["level_number"] == -1
    assert table["factors"][-1] == html.escape(XSS_IMG)
    assert row_of(table, 0)["factors"][html.escape(XSS_IMG)] == ("7", "0.50")
    m = build(cells=cells, grids=grids)
    level_layer = layers(m)["risk level (H3 cells)"]
    assert fills(level_layer)[0] == "#bdbdbd"  # the unknown level: grey, drawn first
    assert "no data (1)" in render_html(m)
    assert n_features(layers(m)["emerging trends"]) == 8  # the hostile trend is not a category
    grid_layer = layers(m)["grids (level from their own incident density)"]
    props = [item["properties"] for item in grid_layer.data["features"]]
    assert props[0]["c"] == html.escape(XSS_IMG) and props[1]["lv"] == html.escape(XSS_SCRIPT)


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"lang": "fr"}, "language"),
        ({"cells": sample_cells().drop(columns="level")}, "level"),
        ({"cells": sample_cells().drop(columns=["h3", "index"])}, "h3, index"),
        ({"grids": sample_grids().drop(columns="grid_id")}, "grid_id"),
        ({"cells": sample_cells().set_crs(None, allow_override=True)}, "no CRS"),
    ],
)
def test_bad_inputs(changes: dict[str, Any], message: str) -> None:
    with pytest.raises(InputError, match=message):
        build(**changes)


def test_no_cells_still_builds() -> None:
    empty = sample_cells().iloc[:0]
    m = build_hotspot_map(empty, grids=sample_grids().iloc[:0], lang="en")
    assert all(n_features(layer) == 0 for layer in layers(m).values())
    page = render_html(m)
    assert "0 H3 cells, 0 incidents" in page and page_table(page)["rows"] == []


# --- thousands of cells -----------------------------------------------------------------------


def many_cells(n: int = 3600) -> gpd.GeoDataFrame:
    """``n`` cells around the centre with cycling values; every 100th is blank."""
    ids = sorted(h3.grid_disk(CENTRE, 35), key=lambda cell: (ring_of(cell), cell))[:n]
    row = np.arange(n)
    return gpd.GeoDataFrame(
        {
            "h3": ids,
            "count": (row % 5).astype(float),
            "index": (row % 100) / 100.0,
            "level": np.array(["red", "orange", "yellow", "blue"])[row % 4],
            "gi_z": (row % 7 - 3) * 1.1,
            "gi_p": 0.5,
            "bin": row % 7 - 3,
            "bin_fdr": 0,
            "moran_i": 0.1,
            "moran_p": 0.5,
            "kde": row * 0.01,
            "trend": np.where(row % 10 == 0, "persistent", ""),
            "rate": (row % 5).astype(float),
            "rank_rate": (row % 5) / 4.0,
        },
        geometry=[hexagon(cell) for cell in ids],
        crs=4326,
    )


def test_3600_cells_make_a_lean_page() -> None:
    m = build_hotspot_map(many_cells(), lang="en")
    found = layers(m)
    assert n_features(found["risk level (H3 cells)"]) == 3600
    assert n_features(found["Gi* hot and cold spots (confidence)"]) == 3600 - 36
    assert n_features(found["kernel density (incidents per km²)"]) == 3600 - 36
    assert n_features(found["emerging trends"]) == 360
    page = render_html(m)
    # geometry is written once, in the table, not once per layer
    assert len(page_table(page)["geoms"]) == 3600
    assert page.count("[[[116.") == 3600
    assert len(page.encode("utf-8")) < 2_000_000


# --- the real Sacramento cells ----------------------------------------------------------------


@pytest.fixture(scope="module")
def sacramento() -> gpd.GeoDataFrame:
    return compute_hotspots(HotspotOptions(incidents=shared_file(SACRAMENTO))).cells


def test_real_sacramento_cells(sacramento: gpd.GeoDataFrame) -> None:
    cells = sacramento
    m = build_hotspot_map(cells, lang="en")
    found = layers(m)
    assert n_features(found["risk level (H3 cells)"]) == len(cells) > 3000
    gi = found["Gi* hot and cold spots (confidence)"]
    drawn = pd.Series([number - 3 for _, number in gi.features]).value_counts()
    blank = (cells["count"] == 0) & (cells["index"] == 0)
    assert drawn.to_dict() == cells.loc[~blank, "bin"].value_counts().to_dict()
    assert n_features(found["emerging trends"]) == int((cells["trend"] != "").sum()) > 0
    page = render_html(m)
    for level in ("red", "orange", "yellow", "blue"):
        name = {"red": "red (level 1, highest)", "orange": "orange (level 2)",
                "yellow": "yellow (level 3)", "blue": "blue (level 4, lowest)"}[level]  # fmt: skip
        assert f"{name} ({int((cells['level'] == level).sum())})" in page
    table = page_table(page)
    assert table["factors"] == ["incident rate", "Gi* z-score"]  # no OSM: two factors
    top = row_of(table, int(cells["index"].to_numpy().argmax()))
    assert top["lv"] == "red (level 1, highest)" and top["ix"] == "1.00"
    assert top["factors"]["incident rate"][0] == top["n"]  # no homes: the rate is the count
    assert len(page.encode("utf-8")) < 2_500_000


# --- in a browser -----------------------------------------------------------------------------

PANES = ("shequ-hs-levels", "shequ-hs-gi", "shequ-hs-kde", "shequ-hs-trend", "shequ-hs-grids")

PROBE = """
<script>
(function () {
  /* Counts drawn cells per pane, switches every layer on, opens every tooltip and popup. */
  var panes = PANES, out = document.createElement('div');
  out.id = 'shequ-probe';
  function report(name, value) { out.setAttribute(name, encodeURIComponent(String(value))); }
  function paths() {
    return panes.map(function (pane) {
      return document.querySelectorAll('.leaflet-' + pane + '-pane path.leaflet-interactive')
        .length;
    }).join(',');
  }
  function legend() {
    return Array.prototype.filter.call(document.querySelectorAll('.shequ-hs-sec'),
      function (section) { return section.style.display !== 'none'; })
      .map(function (section) { return section.id; }).join(' ');
  }
  report('data-before', paths());
  report('data-legendbefore', legend());
  document.querySelectorAll('.leaflet-control-layers-selector').forEach(function (box) {
    if (!box.checked) { box.click(); }
  });
  report('data-after', paths());
  report('data-legendafter', legend());
  var map = null, opened = 0, centre = '';
  Object.keys(window).forEach(function (key) {
    if (/^map_/.test(key) && window[key] instanceof L.Map) { map = window[key]; }
  });
  map.eachLayer(function (layer) {
    if (layer.getTooltip && layer.getTooltip()) { layer.openTooltip(); opened += 1; }
    if (layer.getPopup && layer.getPopup()) {
      layer.openPopup(); opened += 1;
      if (!centre && layer.feature && layer.feature.properties.i === 0) {
        centre = layer.getPopup().getElement().textContent;
      }
    }
  });
  report('data-opened', opened);
  report('data-popup', centre);
  setTimeout(function () {
    report('data-xss', typeof window.__xss);
    document.body.appendChild(out);
  }, 1000);
})();
</script>
""".replace("PANES", json.dumps(list(PANES)))


def drawn_per_pane(text: str) -> dict[str, int]:
    return dict(zip(PANES, (int(value) for value in text.split(",")), strict=True))


@pytest.mark.browser
@pytest.mark.parametrize("lang", ["zh", "en"])
def test_page_draws_in_browser_offline(tmp_path: Path, lang: str) -> None:
    page = write_map(build(lang=lang), tmp_path / "hotspot_map.html")
    run = open_page(with_probe(page, PROBE), tmp_path)

    assert run.console == [], "\n".join(run.console)
    assert "leaflet-control-layers" in run.dom and "shequ-legend" in run.dom
    result = probe_attrs(run.dom)
    assert drawn_per_pane(result["data-before"]) == dict.fromkeys(PANES, 0) | {
        "shequ-hs-levels": 37
    }
    assert drawn_per_pane(result["data-after"]) == {
        "shequ-hs-levels": 37,
        "shequ-hs-gi": 34,
        "shequ-hs-kde": 34,
        "shequ-hs-trend": 9,
        "shequ-hs-grids": 2,
    }
    assert result["data-legendbefore"] == "shequ-hs-sec-levels"
    assert result["data-legendafter"].split() == [
        f"shequ-hs-sec-{key}" for key in ("levels", "gi", "kde", "trend", "grids")
    ]
    popup = result["data-popup"]
    if lang == "zh":
        for text in ("红色 (一级, 最高)", "风险因子分解", "到消防站距离 (米)", "热点 (99% 置信度)"):
            assert text in popup, text
    else:
        for text in ("red (level 1, highest)", "factor breakdown", "distance to fire station (m)",
                     "hot spot, 99% confidence", "new hot spot"):  # fmt: skip
            assert text in popup, text
    assert int(result["data-opened"]) == 2 * (37 + 34 + 34 + 9) + 2
    drawn = count(run.dom)
    assert sorted(drawn.fills["leaflet-shequ-hs-levels-pane"]) == sorted(
        [LEVEL_COLORS[level] for level, number in LEVEL_COUNTS.items() for _ in range(number)]
    )
    assert [url for url in run.requests if not url.startswith(TILE_HOST)] == []


@pytest.mark.browser
def test_hostile_text_does_not_run(tmp_path: Path) -> None:
    cells, grids = hostile_inputs()
    page = write_map(build(cells=cells, grids=grids), tmp_path / "hotspot_map.html")
    run = open_page(with_probe(page, PROBE), tmp_path)

    assert run.console == [], "\n".join(run.console)
    result = probe_attrs(run.dom)
    assert result["data-xss"] == "undefined"
    assert int(result["data-opened"]) == 2 * (37 + 34 + 34 + 8) + 2
    assert re.search(r"<img[^>]*onerror", run.dom) is None
    assert html.escape(XSS_IMG, quote=False) in run.dom  # shown as text in a tooltip


@pytest.mark.browser
def test_3600_cells_render_in_browser(tmp_path: Path) -> None:
    page = write_map(build_hotspot_map(many_cells(), lang="zh"), tmp_path / "hotspot_map.html")
    run = open_page(page, tmp_path)

    assert run.console == [], "\n".join(run.console)
    drawn = count(run.dom)
    assert drawn.paths == 3600
    assert len(drawn.fills["leaflet-shequ-hs-levels-pane"]) == 3600


@pytest.mark.browser
def test_real_sacramento_cells_render_in_browser(
    tmp_path: Path, sacramento: gpd.GeoDataFrame
) -> None:
    page = write_map(build_hotspot_map(sacramento, lang="en"), tmp_path / "hotspot_map.html")
    run = open_page(page, tmp_path)

    assert run.console == [], "\n".join(run.console)
    assert count(run.dom).paths == len(sacramento)
