"""The management-grid map: layers, colours, labels, popups, languages, escaping, the inlined
Leaflet.draw tool, and the same page in headless Chromium (offline, no console errors, a
polygon drawn with the mouse and exported as the GeoJSON that ``shequ grids --edits`` reads).

The sample is a small plan in central Beijing, in UTM 50N as ``shequ grids`` hands it over:
24 units of 150 m × 150 m (compounds and street blocks, one home each) in six grids of four,
target 300 households ±15 %. The grids cover every colour class: 300 and 330 households
(within tolerance), 360 (over), 420 (far over, holding an oversized 320-household compound),
240 (under) and 150 (far under, outside every community). Two units moved in a redraw.
"""

from __future__ import annotations

import html
import json
import re
from pathlib import Path
from typing import Any

import folium
import geopandas as gpd
import numpy as np
import pandas as pd
import pyproj
import pytest
import shapely
from shapely.geometry import LineString, Point, box, shape

from shequ.errors import InputError
from shequ.geo.polygons_file import read_polygon_file
from shequ.maps import build_grid_map, render_html, write_map
from shequ.maps.assets import (
    LEAFLET_DRAW_VERSION,
    leaflet_draw_css,
    leaflet_draw_js,
    leaflet_draw_license,
)
from shequ.maps.grid_map import label_zooms, short_codes
from shequ.maps.style import (
    DEVIATION_COLORS,
    DEVIATION_OK,
    NO_DATA,
    deviation_class,
    far_deviation,
)
from shequ.rejects import Rejects
from tests.helpers import (
    CAPTURE_DOWNLOADS,
    OPEN_ALL_PROBE,
    TILE_HOST,
    count,
    geojson_layers,
    in_page,
    open_page,
    probe_attrs,
    with_probe,
)

XSS_IMG = '<img src=x onerror="window.__xss=1">'
XSS_SCRIPT = "</script><script>window.__xss=2</script>"

LON0, LAT0 = 116.40, 39.91  # Tiananmen; the frames are in UTM 50N to exercise reprojection
UTM = 32650
UNIT_M = 150.0
TARGET, TOLERANCE = 300.0, 0.15

GRID_IDS = [10, 11, 12, 13, 14, 15]
HOUSEHOLDS = {  # households of each grid's four units
    10: [75, 75, 75, 75],
    11: [90, 80, 80, 80],
    12: [90, 90, 90, 90],
    13: [320, 40, 30, 30],  # the 320-household compound alone exceeds the target
    14: [60, 60, 60, 60],
    15: [40, 40, 40, 30],
}
OVERSIZED, OUTSIDE = 13, 15
CODES = {
    gid: f"110108001{'000' if gid == OUTSIDE else '001'}{seq:03d}"
    for seq, gid in enumerate(GRID_IDS, start=1)
}
# colour class per grid: 0 far under, 1 under, 2 within tolerance, 3 over, 4 far over
CLASSES = {10: 2, 11: 2, 12: 3, 13: 4, 14: 1, 15: 0}
MOVED_UNITS = {4: (10, 11), 6: (11, 10)}  # unit -> (from grid, to grid)

# Layer (English name) -> number of features, and whether it starts switched on.
EXPECTED = {
    "grids (households vs target)": (6, True),
    "grids holding an oversized unit (hatched)": (1, True),
    "grids outside any community (back-hatched)": (1, True),
    "minor streets": (2, False),
    "main borders (major roads, rivers, rail, community edges)": (4, True),
    "units (compounds, street blocks)": (24, False),
    "moved units": (2, True),
    "homes": (24, False),
    "grid labels (code, households)": (6, True),
}


def _origin() -> Point:
    return gpd.GeoSeries([Point(LON0, LAT0)], crs=4326).to_crs(UTM).iloc[0]


def sample_atoms() -> gpd.GeoDataFrame:
    """Grids in two rows of three, each 2 × 2 units, numbered west→east, north→south."""
    origin = _origin()
    rows = []
    atom_id = 1
    for index, gid in enumerate(GRID_IDS):
        col, row = index % 3, index // 3
        for k, households in enumerate(HOUSEHOLDS[gid]):
            cx, cy = 2 * col + k % 2, 2 * row + k // 2
            geom = box(
                origin.x + cx * UNIT_M,
                origin.y - (cy + 1) * UNIT_M,
                origin.x + (cx + 1) * UNIT_M,
                origin.y - cy * UNIT_M,
            )
            compound = k % 2 == 0
            rows.append(
                {
                    "atom_id": atom_id,
                    "origin": "compound" if compound else "block",
                    "compound_id": atom_id if compound else -1,
                    "block_id": 100 + atom_id,
                    "area_m2": geom.area,
                    "homes": 1,
                    "households": float(households),
                    "population": households * 2.6,
                    "elderly": households * 0.5,
                    "community_id": -1 if gid == OUTSIDE else 0,
                    "grid_id": gid,
                    "geometry": geom,
                }
            )
            atom_id += 1
    return gpd.GeoDataFrame(rows, crs=UTM)


def sample_grids() -> gpd.GeoDataFrame:
    atoms = sample_atoms()
    sums = atoms.dissolve(
        "grid_id",
        aggfunc={
            "homes": "sum",
            "households": "sum",
            "population": "sum",
            "elderly": "sum",
            "area_m2": "sum",
            "community_id": "first",
            "atom_id": "count",
        },
    )
    grids = sums.reset_index().rename(columns={"atom_id": "atoms"})
    geoms = grids.geometry.values
    area, perimeter = shapely.area(geoms), shapely.length(geoms)
    grids["code"] = grids["grid_id"].map(CODES)
    grids["seq"] = range(1, len(grids) + 1)
    grids["deviation"] = grids["households"] / TARGET - 1.0
    grids["within_tolerance"] = grids["deviation"].abs() <= TOLERANCE + 1e-9
    grids["polsby_popper"] = 4 * np.pi * area / perimeter**2
    grids["inertia_compactness"] = 0.95
    grids["patrol_m"] = 1234.5
    grids["oversized"] = grids["grid_id"] == OVERSIZED
    grids["outside_community"] = grids["community_id"] < 0
    return grids


def sample_homes() -> gpd.GeoDataFrame:
    atoms = sample_atoms()
    names: list[str | None] = [f"小区{i}" for i in atoms["atom_id"]]
    names[1] = XSS_IMG
    names[2] = XSS_SCRIPT
    names[3] = None
    return gpd.GeoDataFrame(
        {
            "home_id": atoms["atom_id"],
            "households": atoms["households"],
            "population": atoms["population"],
            "grid_id": atoms["grid_id"],
            "grid_code": atoms["grid_id"].map(CODES),
            "name": names,
        },
        geometry=atoms.geometry.centroid,
        crs=UTM,
    )


def sample_borders() -> gpd.GeoDataFrame:
    o = _origin()
    width, height = 6 * UNIT_M, 4 * UNIT_M
    lines = {
        "edge": [(0, 0), (width, 0), (width, -height), (0, -height), (0, 0)],
        "major": [(-50, -height / 2), (width + 50, -height / 2)],
        "river": [(2 * UNIT_M, 50), (2 * UNIT_M, -height - 50)],
        "rail": [(4 * UNIT_M, 50), (4 * UNIT_M, -height - 50)],
        "medium": [(UNIT_M, 0), (UNIT_M, -height)],
        "minor": [(0, -UNIT_M), (width, -UNIT_M)],
    }
    return gpd.GeoDataFrame(
        {"border": list(lines)},
        geometry=[LineString([(o.x + x, o.y + y) for x, y in xy]) for xy in lines.values()],
        crs=UTM,
    )


def sample_moves(*, with_geometry: bool = True) -> pd.DataFrame:
    atoms = sample_atoms().set_index("atom_id")
    ids = list(MOVED_UNITS)
    frame = pd.DataFrame(
        {
            "atom_id": ids,
            "households": [atoms.loc[i, "households"] for i in ids],
            "from_grid": [MOVED_UNITS[i][0] for i in ids],
            "to_grid": [MOVED_UNITS[i][1] for i in ids],
        }
    )
    if not with_geometry:
        return frame
    return gpd.GeoDataFrame(frame, geometry=list(atoms.loc[ids].geometry), crs=UTM)


def build(lang: str = "en", **changes: Any) -> folium.Map:
    inputs: dict[str, Any] = {
        "grids": sample_grids(),
        "atoms": sample_atoms(),
        "homes": sample_homes(),
        "borders": sample_borders(),
        "moves": sample_moves(),
        "target": TARGET,
        "tolerance": TOLERANCE,
    } | changes
    return build_grid_map(
        inputs.pop("grids"),
        inputs.pop("atoms"),
        inputs.pop("homes"),
        inputs.pop("borders"),
        lang=lang,
        **inputs,
    )


def props_by_code(layer: folium.GeoJson) -> dict[str, dict[str, Any]]:
    return {f["properties"]["c"]: f["properties"] for f in layer.data["features"]}


# --- layers, colours, metrics -----------------------------------------------------------------


def test_layers_counts_and_visibility() -> None:
    m = build()
    layers = geojson_layers(m)
    assert set(layers) == set(EXPECTED)
    for name, (features, show) in EXPECTED.items():
        assert len(layers[name].data["features"]) == features, name
        assert layers[name].show is show, name
    groups = [c for c in m._children.values() if type(c) is folium.FeatureGroup]
    assert [html.unescape(g.layer_name) for g in groups] == ["drawn edits"]
    assert any(isinstance(child, folium.LayerControl) for child in m._children.values())


def test_grids_coloured_by_deviation() -> None:
    layer = geojson_layers(build())["grids (households vs target)"]
    fills = {
        f["properties"]["c"]: layer.style_function(f)["fillColor"] for f in layer.data["features"]
    }
    assert fills == {CODES[gid]: DEVIATION_COLORS[CLASSES[gid]] for gid in GRID_IDS}
    assert fills[CODES[10]] == fills[CODES[11]] == "#f7f7f7"  # within tolerance: neutral


def test_deviation_classes() -> None:
    assert deviation_class(0.1, True, TOLERANCE) == DEVIATION_OK
    assert deviation_class(0.1, None, TOLERANCE) == DEVIATION_OK  # flag missing: |0.1| ≤ 0.15
    assert deviation_class(0.1, False, TOLERANCE) == 3  # the data's flag wins
    assert deviation_class(0.30, False, TOLERANCE) == 3
    assert deviation_class(0.31, False, TOLERANCE) == 4
    assert deviation_class(-0.31, False, TOLERANCE) == 0
    assert deviation_class(float("nan"), None, TOLERANCE) == NO_DATA
    assert deviation_class(None, True, TOLERANCE) == DEVIATION_OK
    assert far_deviation(0.15) == pytest.approx(0.30)
    assert far_deviation(0.0) == pytest.approx(0.05)  # zero tolerance: still two shades


def test_grid_popup_metrics() -> None:
    layer = geojson_layers(build())["grids (households vs target)"]
    assert props_by_code(layer)[CODES[OVERSIZED]] == {
        "c": "110108001001004",
        "id": "13",
        "cm": "0",
        "sq": "4",
        "hh": "420",
        "dv": "+40%",
        "wt": "no",
        "hm": "4",
        "pop": "1092",
        "el": "210",
        "ar": "9.00",  # 4 units of 150 m × 150 m
        "at": "4",
        "pp": "0.79",  # a square: π/4
        "ic": "0.95",
        "pk": "1.23",
        "ov": "yes",
        "oc": "no",
    }
    outside = props_by_code(layer)[CODES[OUTSIDE]]
    assert (outside["dv"], outside["oc"], outside["cm"]) == ("−50%", "yes", "-1")
    assert props_by_code(layer)[CODES[10]]["dv"] == "±0%"


def test_flagged_grids_are_hatched() -> None:
    layers = geojson_layers(build())
    oversized = layers["grids holding an oversized unit (hatched)"]
    outside = layers["grids outside any community (back-hatched)"]
    assert [f["properties"]["c"] for f in oversized.data["features"]] == [CODES[OVERSIZED]]
    assert [f["properties"]["c"] for f in outside.data["features"]] == [CODES[OUTSIDE]]
    style = oversized.style_function(oversized.data["features"][0])
    assert style["fillColor"] == "url(#shequ-hatch-oversized)"
    assert outside.style_function(outside.data["features"][0])["dashArray"]
    assert oversized.options["interactive"] is False  # clicks reach the grid below
    page = render_html(build())
    assert '<pattern id="shequ-hatch-oversized"' in page
    assert '<pattern id="shequ-hatch-outside"' in page


def test_borders_main_and_minor() -> None:
    layers = geojson_layers(build())
    main = layers["main borders (major roads, rivers, rail, community edges)"]
    streets = layers["minor streets"]
    kinds = [f["properties"]["b"] for f in main.data["features"]]
    assert kinds == ["rail", "river", "major", "edge"]  # community edges drawn last, on top
    assert sorted(f["properties"]["b"] for f in streets.data["features"]) == ["medium", "minor"]
    styles = {
        kind: main.style_function(f) for kind, f in zip(kinds, main.data["features"], strict=True)
    }
    assert len({(s["color"], s.get("dashArray")) for s in styles.values()}) == 4  # all distinct
    assert styles["major"]["weight"] > streets.style_function(streets.data["features"][0])["weight"]


def test_labels_short_code_and_households() -> None:
    for lang, unit in (("en", " hh"), ("zh", "户")):
        layer = geojson_layers(build(lang=lang))[
            "grid labels (code, households)" if lang == "en" else "网格标签 (编码、户数)"
        ]
        html_by_code = {
            f["properties"]["c"]: layer.style_function(f)["html"] for f in layer.data["features"]
        }
        assert html_by_code[CODES[13]] == f"<div><b>004</b><span>420{unit}</span></div>"
        assert len(html_by_code) == 6
    # the label sits inside its grid (the pole of inaccessibility of a square: its centre)
    grids = sample_grids().to_crs(4326)
    label_layer = geojson_layers(build())["grid labels (code, households)"]
    for feature in label_layer.data["features"]:
        point = shape(feature["geometry"])
        grid = grids[grids["code"] == feature["properties"]["c"]].geometry.iloc[0]
        assert grid.contains(point)
        assert point.distance(grid.centroid) < 1e-5


def test_short_codes() -> None:
    assert short_codes(list(CODES.values())) == ["001", "002", "003", "004", "005", "006"]
    two_communities = ["110108001001001", "110108001002001"]
    assert short_codes(two_communities) == ["001001", "002001"]
    assert short_codes(["7", "8"]) == ["7", "8"]  # too short to cut
    two_streets = ["110108001001001", "110108002001001"]
    assert short_codes(two_streets) == two_streets  # the same last 6 digits: the full codes


def test_label_zooms_follow_grid_size() -> None:
    full, brief = label_zooms(sample_grids().to_crs(4326))
    # 300 m grids at 39.9° N: 70 px need ≤ 4.3 m per pixel, first reached at zoom 15 (3.7 m);
    # 36 px need ≤ 8.3 m, first reached at zoom 14 (7.3 m)
    assert (full, brief) == (15, 14)
    assert label_zooms(None) == (0, 0)


def test_moved_units_with_and_without_geometry() -> None:
    for moves in (sample_moves(), sample_moves(with_geometry=False)):
        layer = geojson_layers(build(moves=moves))["moved units"]
        props = [f["properties"] for f in layer.data["features"]]
        assert props == [
            {"a": "4", "hh": "75", "f": CODES[10], "t": CODES[11]},
            {"a": "6", "hh": "80", "f": CODES[11], "t": CODES[10]},
        ]
        atom = sample_atoms().to_crs(4326).set_index("atom_id").geometry.loc[4]
        assert shape(layer.data["features"][0]["geometry"]).equals_exact(atom, 1e-6)
    page = render_html(build())
    assert "moved units (2, 155 hh)" in page
    assert "moved units" not in geojson_layers(build(moves=None))


def test_units_and_homes_tooltips() -> None:
    layers = geojson_layers(build())
    units = [f["properties"] for f in layers["units (compounds, street blocks)"].data["features"]]
    assert units[0] == {"a": "1", "k": "compound", "hh": "75", "pop": "195", "g": CODES[10]}
    assert units[1]["k"] == "street block"
    homes = [f["properties"] for f in layers["homes"].data["features"]]
    assert homes[0] == {"n": "小区1", "hh": "75", "pop": "195", "g": CODES[10]}
    assert homes[3]["n"] == "#4"  # no name: its id


def test_reprojects_to_wgs84() -> None:
    layer = geojson_layers(build())["units (compounds, street blocks)"]
    ring = layer.data["features"][0]["geometry"]["coordinates"][0]
    # the first unit's north-west corner is the origin (UTM grid north is not true north, so
    # it is the corner nearest the origin rather than the one farthest north)
    lon, lat = min(ring, key=lambda xy: (xy[0] - LON0) ** 2 + (xy[1] - LAT0) ** 2)
    assert lon == pytest.approx(LON0, abs=1e-6)
    assert lat == pytest.approx(LAT0, abs=1e-6)


# --- languages, legend, escaping --------------------------------------------------------------


@pytest.mark.parametrize(
    ("lang", "words", "absent"),
    [
        (
            "zh",
            ["社区网格划分：每格 300 户 (±15%)", "网格 (户数偏差)", "网格标签 (编码、户数)",
             "主要边界", "次要道路", "调整的单元", "住宅", "手绘调整", "图例",
             "户数相对目标 (300 户)", "在容差内: ±15% (255–345)", "2/6 个网格在容差内",
             "导出修改 (GeoJSON)", "画多边形", "网格编码", "巡查道路长度 (公里)"],
            "households vs target",
        ),
        (
            "en",
            ["Management grids: 300 households each (±15%)", "grids (households vs target)",
             "grid labels (code, households)", "minor streets", "moved units", "drawn edits",
             "households vs target (300)", "within tolerance: ±15% (255–345)",
             "over target: +15% … +30% (345–390)", "far over target: > +30% (> 390)",
             "under target: −30% … −15% (210–255)", "far under target: < −30% (< 210)",
             "2 of 6 grids within tolerance", "Export edits (GeoJSON)", "grid code",
             "streets to patrol (km)"],
            "户数相对目标",
        ),
    ],
)  # fmt: skip
def test_labels_follow_language(lang: str, words: list[str], absent: str) -> None:
    page = render_html(build(lang=lang))
    for word in words:
        assert in_page(word, page) or in_page(html.escape(word), page), word
    assert not in_page(absent, page)
    assert "<title>" + html.escape(words[0]) + "</title>" in page


def test_data_text_is_escaped() -> None:
    grids = sample_grids()
    grids.loc[grids["grid_id"] == 12, "code"] = XSS_SCRIPT
    atoms = sample_atoms()
    atoms.loc[0, "origin"] = XSS_IMG
    m = build(grids=grids, atoms=atoms, title="{{ 7*7 }} <i>t</i>")
    page = render_html(m)
    for raw in (XSS_IMG, "window.__xss=2</script>", "<i>t</i>"):
        assert raw not in page, raw
    assert "<title>{{ 7*7 }} &lt;i&gt;t&lt;/i&gt;</title>" in page  # not run as a template
    props = [
        value
        for layer in geojson_layers(m).values()
        for item in layer.data["features"]
        for value in item["properties"].values()
    ]
    for raw in (XSS_IMG, XSS_SCRIPT):
        assert html.escape(raw) in props and raw not in props, raw
    labels = geojson_layers(m)["grid labels (code, households)"]
    assert all("<img" not in labels.style_function(f)["html"] for f in labels.data["features"])
    # the edit tool exports the code as data (raw text, JSON-escaped inside its script)
    assert '"code":"\\u003c/script\\u003e\\u003cscript\\u003ewindow.__xss=2' in page


# --- the editing tool and its offline assets --------------------------------------------------


def test_leaflet_draw_is_vendored() -> None:
    js = leaflet_draw_js()
    assert f'L.drawVersion="{LEAFLET_DRAW_VERSION}"' in js
    assert "</script" not in js.lower()
    css = leaflet_draw_css()
    assert "url('images/" not in css and "url(images/" not in css
    assert css.count("url(data:image/svg+xml;base64,") == 2
    assert "Permission is hereby granted" in leaflet_draw_license()
    assert "MIT" in leaflet_draw_license()


def test_page_is_self_contained_with_draw_tool(tmp_path: Path) -> None:
    page = write_map(build(), tmp_path / "grid_map.html").read_text(encoding="utf-8")
    assert not re.search(r"<script[^>]*\bsrc\s*=", page, re.IGNORECASE)
    assert not re.search(r"<link[^>]*\bhref\s*=", page, re.IGNORECASE)
    for cdn in ("cdnjs", "cdn.jsdelivr", "unpkg", "leaflet.draw/1.0"):
        assert cdn not in page, cdn
    assert f"Leaflet.draw {LEAFLET_DRAW_VERSION} (MIT" in page
    assert page.index("L.drawVersion=") > page.index("Leaflet 1.9.3")  # after Leaflet
    assert "new L.Control.Draw(" in page and "shequ-edit-export" in page
    assert "window.shequGridEdits" in page and '"filename":"grid_edits.geojson"' in page
    assert page.encode("utf-8").find(b"charset=UTF-8") < 1024


def test_other_maps_do_not_carry_leaflet_draw() -> None:
    from tests.test_map import build as build_access

    assert "L.drawVersion" not in render_html(build_access())


def test_edit_tool_knows_every_grid() -> None:
    page = render_html(build())
    match = re.search(r'"grids":(\[[^\]]*\])', page)
    assert match is not None
    grids = json.loads(match.group(1))
    assert grids == [{"id": gid, "code": CODES[gid], "tail": CODES[gid][-3:]} for gid in GRID_IDS]


# --- bad and empty inputs ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"lang": "fr"}, "language"),
        ({"target": 0}, "target"),
        ({"target": float("nan")}, "target"),
        ({"tolerance": 1.5}, "tolerance"),
        ({"tolerance": -0.1}, "tolerance"),
        ({"grids": sample_grids().drop(columns="deviation")}, "deviation"),
        ({"borders": sample_borders().drop(columns="border")}, "border"),
        ({"moves": sample_moves(with_geometry=False).drop(columns="to_grid")}, "to_grid"),
        ({"grids": sample_grids().set_crs(None, allow_override=True)}, "no CRS"),
    ],
)
def test_bad_inputs(changes: dict[str, Any], message: str) -> None:
    lang = changes.pop("lang", "en")
    with pytest.raises(InputError, match=message):
        build(lang=lang, **changes)


def test_empty_frames_still_build() -> None:
    bare = gpd.GeoDataFrame(geometry=[], crs=4326)
    m = build_grid_map(bare, bare, bare, bare, target=TARGET, tolerance=TOLERANCE, lang="en")
    assert all(not layer.data["features"] for layer in geojson_layers(m).values())
    page = render_html(m)
    assert "0 of 0 grids within tolerance" in page and "new L.Control.Draw(" in page


def test_optional_columns_missing() -> None:
    grids = sample_grids()[["grid_id", "code", "households", "deviation", "within_tolerance",
                            "geometry"]]  # fmt: skip
    homes = sample_homes()[["geometry"]]
    m = build(grids=grids, homes=homes, atoms=sample_atoms()[["geometry"]])
    layers = geojson_layers(m)
    props = props_by_code(layers["grids (households vs target)"])[CODES[12]]
    assert props == {"c": CODES[12], "id": "12", "hh": "360", "dv": "+20%", "wt": "no"}
    assert not layers["grids holding an oversized unit (hatched)"].data["features"]
    assert layers["homes"].data["features"][0]["properties"] == {}
    assert layers["units (compounds, street blocks)"].data["features"][0]["properties"] == {}


# --- in a browser -----------------------------------------------------------------------------

DRAW_PROBE = """
<script>
(function () {
  /* Draw a polygon with (synthetic) mouse events, answer the prompt, export. */
  var answers = ANSWERS, asked = 0, exported = null, downloads = [];
  window.prompt = function () { asked += 1; return answers.length ? answers.shift() : null; };
  CAPTURE_DOWNLOADS
  var map = null;
  Object.keys(window).forEach(function (key) {
    if (/^map_/.test(key) && window[key] instanceof L.Map) { map = window[key]; }
  });
  var out = document.createElement('div');
  out.id = 'shequ-probe';
  function report(name, value) { out.setAttribute(name, encodeURIComponent(String(value))); }
  function fire(target, type, point) {
    var rect = map.getContainer().getBoundingClientRect();
    target.dispatchEvent(new MouseEvent(type, {bubbles: true, cancelable: true, view: window,
      clientX: rect.left + point.x, clientY: rect.top + point.y, button: 0}));
  }
  var steps = [];
  function polygon(corners) {
    steps.push(function () { document.querySelector('.leaflet-draw-draw-polygon').click(); });
    corners.forEach(function (corner) {
      steps.push(function () {
        var size = map.getSize(), point = L.point(size.x * corner[0], size.y * corner[1]);
        fire(map.getContainer(), 'mousemove', point);
        var marker = document.querySelector('.leaflet-mouse-marker');
        fire(marker, 'mousedown', point);
        fire(marker, 'mouseup', point);
      });
    });
    steps.push(function () {
      report('data-vertices', document.querySelectorAll('.leaflet-editing-icon').length);
      Array.prototype.forEach.call(document.querySelectorAll('.leaflet-draw-actions a'),
        function (link) { if (/finish|完成/i.test(link.title)) { link.click(); } });
    });
  }
  polygon([[0.30, 0.25], [0.40, 0.25], [0.40, 0.35], [0.30, 0.35]]);
  polygon([[0.55, 0.55], [0.65, 0.55], [0.60, 0.65]]);
  steps.push(function () { document.querySelector('.shequ-edit-export').click(); });
  steps.push(function () {
    report('data-toolbar', String(
      document.querySelectorAll('.leaflet-draw-toolbar a').length));
    report('data-export', exported || '');
    report('data-downloads', JSON.stringify(downloads));
    report('data-asked', String(asked));
    report('data-tags', String(document.querySelectorAll('.shequ-edit-tag').length));
    report('data-status', document.querySelector('.shequ-edit-status').textContent);
    report('data-xss', typeof window.__xss);
    document.body.appendChild(out);
  });
  function run() {
    var step = steps.shift();
    if (step) { step(); setTimeout(run, 150); }
  }
  setTimeout(run, 300);
})();
</script>
""".replace("CAPTURE_DOWNLOADS", CAPTURE_DOWNLOADS)


@pytest.mark.browser
@pytest.mark.parametrize("lang", ["zh", "en"])
def test_page_draws_in_browser_offline(tmp_path: Path, lang: str) -> None:
    page = write_map(build(lang=lang), tmp_path / "grid_map.html")
    run = open_page(page, tmp_path)

    assert run.console == [], "\n".join(run.console)
    assert "leaflet-control-layers" in run.dom and "shequ-legend" in run.dom
    assert "leaflet-draw-draw-polygon" in run.dom and "leaflet-draw-draw-rectangle" in run.dom
    assert "leaflet-draw-edit-edit" in run.dom and "leaflet-draw-edit-remove" in run.dom
    assert 'class="shequ-edit-export"' in run.dom
    drawn = count(run.dom)
    fills = drawn.fills
    assert sorted(fills["leaflet-shequ-grids-pane"]) == sorted(
        DEVIATION_COLORS[CLASSES[gid]] for gid in GRID_IDS
    )
    assert len(fills["leaflet-shequ-moved-pane"]) == 2
    assert drawn.paths == 6 + 2  # grids and moved units; hatching and borders let clicks through
    assert len(re.findall(r'fill="url\(#shequ-hatch-[a-z]+\)"', run.dom)) == 2
    assert len(re.findall(r'class="leaflet-marker-icon shequ-grid-label', run.dom)) == 6
    assert [url for url in run.requests if not url.startswith(TILE_HOST)] == []


@pytest.mark.browser
def test_draw_a_change_and_export_it(tmp_path: Path) -> None:
    page = write_map(build(lang="zh"), tmp_path / "grid_map.html")
    # first shape: a wrong answer, then grid 002 by its short code; second shape: cancelled
    run = open_page(with_probe(page, DRAW_PROBE, ["999999", "002", None]), tmp_path)

    assert run.console == [], "\n".join(run.console)
    result = probe_attrs(run.dom)
    assert result["data-toolbar"] == "4"  # polygon, rectangle, edit, delete
    assert result["data-asked"] == "3"
    assert result["data-tags"] == "1"  # the kept shape is labelled with its grid
    assert json.loads(result["data-downloads"]) == ["grid_edits.geojson"]
    assert result["data-status"] == "已导出 1 处调整。"
    edits = json.loads(result["data-export"])
    assert edits["type"] == "FeatureCollection"
    assert len(edits["features"]) == 1
    only = edits["features"][0]
    assert only["properties"] == {"to_grid": 11, "to_code": CODES[11]}
    assert only["geometry"]["type"] == "Polygon"
    ring = only["geometry"]["coordinates"][0]
    assert len(ring) == 5 and ring[0] == ring[-1]
    assert all(len(f"{value}".split(".")[-1]) <= 6 for xy in ring for value in xy)
    drawn_shape = shape(only["geometry"])
    assert drawn_shape.is_valid and drawn_shape.area > 0
    plan = sample_grids().to_crs(4326)
    assert plan.geometry.intersects(drawn_shape).any()  # WGS-84 lon/lat, on the plan

    # the file is what `shequ grids --edits` reads
    saved = tmp_path / "grid_edits.geojson"
    saved.write_text(result["data-export"], encoding="utf-8")
    frame, _ = read_polygon_file(saved, "wgs84", pyproj.CRS(UTM), Rejects(), layer="edits")
    assert frame["to_grid"].tolist() == [11] and frame["to_code"].tolist() == [CODES[11]]
    assert frame.geometry.iloc[0].area == pytest.approx(
        gpd.GeoSeries([drawn_shape], crs=4326).to_crs(UTM).iloc[0].area, rel=1e-6
    )


@pytest.mark.browser
def test_hostile_text_does_not_run(tmp_path: Path) -> None:
    grids = sample_grids()
    grids.loc[grids["grid_id"] == 12, "code"] = XSS_IMG
    atoms = sample_atoms()
    atoms.loc[0, "origin"] = XSS_IMG
    page = write_map(build(grids=grids, atoms=atoms), tmp_path / "grid_map.html")
    run = open_page(with_probe(page, OPEN_ALL_PROBE), tmp_path)

    assert run.console == [], "\n".join(run.console)
    result = probe_attrs(run.dom)
    assert result["data-xss"] == "undefined"
    assert int(result["data-opened"]) > 24 + 24 + 6
    assert re.search(r"<img[^>]*onerror", run.dom) is None

    # the prompt answered with the hostile code: the shape's tag shows it as text
    run = open_page(with_probe(page, DRAW_PROBE, [XSS_IMG, None]), tmp_path)
    assert run.console == [], "\n".join(run.console)
    result = probe_attrs(run.dom)
    assert result["data-xss"] == "undefined"
    edits = json.loads(result["data-export"])
    assert edits["features"][0]["properties"] == {"to_grid": 12, "to_code": XSS_IMG}
    tag = re.search(r'<div class="[^"]*shequ-edit-tag[^"]*"[^>]*>(.*?)</div>', run.dom)
    assert tag is not None and tag.group(1).endswith(html.escape('1">', quote=False))
    assert re.search(r"<img[^>]*onerror", run.dom) is None


def test_unit_popups_say_how_a_unit_was_divided():
    from shequ.maps.grid_map import atom_features

    atoms = gpd.GeoDataFrame(
        {
            "atom_id": [0, 1, 2, 3],
            "origin": ["block", "block", "compound", "block"],
            "divided": ["buildings", "paths", "buildings", ""],
            "households": [90.0, 120.0, 80.0, 40.0],
            "grid_id": [0, 0, 1, 1],
        },
        geometry=[shapely.box(i, 0, i + 1, 1) for i in range(4)],
        crs="EPSG:4326",
    )
    kinds = [f["properties"]["k"] for f in atom_features(atoms, {}, "zh")["features"]]
    assert kinds == ["街块（按楼栋分组）", "街块（沿内部道路划分）", "小区（按楼栋分组）", "街块"]
    kinds = [f["properties"]["k"] for f in atom_features(atoms, {}, "en")["features"]]
    assert kinds[0] == "street block (building group)" and kinds[3] == "street block"


# --- data completeness (issue 12) -----------------------------------------------------------


def test_estimated_homes_are_hollow_and_the_completeness_box_is_shown() -> None:
    homes = sample_homes()
    homes["estimated_from"] = ["landuse"] + ["building"] * (len(homes) - 1)
    entry = {
        "levels_tags": {"residential_buildings": 24, "tagged": 3, "share": 0.125},
        "findings": ["few_levels_tags"],
    }
    m = build(homes=homes, completeness=entry)
    layer = geojson_layers(m)["homes"]
    first, second = layer.data["features"][:2]
    said = "estimated from residential land, buildings not mapped"
    assert first["properties"]["e"] == said and "e" not in second["properties"]
    assert layer.style_function(first)["fillColor"] == "#ffffff"
    assert layer.style_function(second)["fillColor"] != "#ffffff"
    page = render_html(m)
    assert in_page(f'<i class="hollow"></i>{said}', page)
    assert in_page("storeys tagged on 12.5 % of residential buildings (3 of 24)", page)
    assert '<i class="hollow">' not in render_html(build())
