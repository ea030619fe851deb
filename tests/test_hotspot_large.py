"""The hotspot map of a city (issue 15, item 3): above a cell count the red, orange and yellow
cells are drawn packed, the blue rest as one area, the density per parent cell, popups from
numbers.

On the 3,600 synthetic H3 cells of :func:`tests.test_hotspot_map.many_cells` (resolution 9
around Tiananmen, levels cycling red/orange/yellow/blue) with the threshold lowered to 1,000, so
the city path runs on data small enough for a test. What is drawn is checked against the cells
themselves (ids decoded as the page does, shapes within the 1e-6° rounding, popup texts equal to
the small map's, density means against h3's own parents), and in headless Chromium (offline) the
page draws, shows a red cell's tooltip and popup, and shows hostile text as text.
"""

from __future__ import annotations

import base64
import html
import json
from pathlib import Path
from typing import Any

import h3
import numpy as np
import pytest
import shapely

from shequ.maps import build_hotspot_map, render_html, write_map
from shequ.maps.hotspot_large import (
    BigCellLayer,
    cells_outline,
    h3_ints,
    h3_parents,
    pack_cells,
    unpack_cells,
)
from shequ.maps.hotspot_map import CellLayer, cell_table
from shequ.maps.packed import _read_varints
from shequ.maps.style import LEVEL_COLORS
from tests.helpers import XSS_IMG, open_page, probe_attrs, with_probe
from tests.test_hotspot_map import hexagon, many_cells, sample_grids

LIMIT = 1000


def big(cells=None, **kwargs: Any):
    return build_hotspot_map(
        many_cells() if cells is None else cells, **{"lang": "en", "max_cells": LIMIT} | kwargs
    )


def uints(text: str) -> np.ndarray:
    return _read_varints(np.frombuffer(base64.b64decode(text), dtype=np.uint8))


def deltas(text: str) -> np.ndarray:
    z = uints(text)
    return np.cumsum((z >> 1) ^ -(z & 1))


def shared(m) -> dict[str, Any]:
    page = render_html(m)
    start = page.index("shequHsBig(", page.index("var shequHsBigState")) + len("shequHsBig(")
    return json.loads(page[start : page.index(");</script>", start)])


def themes(m) -> dict[str, dict[str, Any]]:
    return {
        html.unescape(child.layer_name): child.spec
        for child in m._children.values()
        if isinstance(child, BigCellLayer)
    }


def page_ids(config: dict[str, Any]) -> list[str]:
    """The drawn cells' H3 ids as the page writes them back from the four limbs."""
    limbs = [deltas(text) for text in config["cells"]["h3"]]
    return [f"{a:x}" + "".join(f"{v:04x}" for v in rest) for a, *rest in zip(*limbs, strict=True)]


def code_of(config: dict[str, Any], key: str, i: int) -> int:
    """A field's code for cell ``i``, found as the page finds it (alias, joint or own)."""
    codes = config["codes"]
    own = codes["alias"].get(key, key)
    if own in codes["joint"]["keys"]:
        joint = uints(codes["joint"]["codes"])[i]
        return codes["joint"]["table"][joint][codes["joint"]["keys"].index(own)]
    return int(uints(codes["fields"][own])[i])


def text_of(config: dict[str, Any], key: str, i: int) -> str:
    code = code_of(config, key, i)
    table = config["texts"][config["codes"]["alias"].get(key, key)]
    return table[code - 1] if code else ""


def test_small_maps_keep_the_geojson_layers() -> None:
    m = build_hotspot_map(many_cells(), lang="en")
    assert any(isinstance(child, CellLayer) for child in m._children.values())
    assert not any(isinstance(child, BigCellLayer) for child in m._children.values())


def test_only_non_blue_cells_are_drawn_and_blue_is_one_area() -> None:
    cells = many_cells()
    m = big(cells)
    config = shared(m)
    found = themes(m)
    levels = found["risk level (H3 cells)"]
    non_blue = set(cells.loc[cells["level"] != "blue", "h3"])
    ids = page_ids(config)
    drawn_levels = {ids[row] for row in deltas(levels["rows"])}
    assert drawn_levels == non_blue and len(non_blue) == 2700
    # red drawn last (on top): style numbers never decrease
    styles = uints(levels["st"])
    assert (np.diff(styles) >= 0).all() and levels["styles"][styles[-1]][
        "fillColor"
    ] == LEVEL_COLORS["red"]
    # the rest: one area, the union of every cell
    outline = unpack_cells(levels["background"])
    area = shapely.Polygon(outline[0]).area
    assert area == pytest.approx(shapely.area(cells.geometry.to_numpy()).sum(), rel=1e-4)


def test_gi_and_trend_layers_hold_their_cells() -> None:
    cells = many_cells()
    m = big(cells)
    config, found = shared(m), themes(m)
    ids = page_ids(config)
    gi = found["Gi* hot and cold spots (confidence)"]
    blank = (cells["count"] == 0) & (cells["index"] == 0)
    expected = cells.loc[(cells["bin"] != 0) & ~blank]
    drawn = {
        ids[row]: int(st) - 3 for row, st in zip(deltas(gi["rows"]), uints(gi["st"]), strict=True)
    }
    assert drawn == dict(zip(expected["h3"], expected["bin"], strict=True))
    trend = found["emerging trends"]
    assert {ids[row] for row in deltas(trend["rows"])} == set(
        cells.loc[cells["trend"] == "persistent", "h3"]
    )
    page = render_html(m)
    assert "not significant (" in page and "Not-significant cells are not drawn" in page


def test_packed_shapes_are_the_cells_rounded() -> None:
    cells = many_cells()
    config = shared(big(cells))
    shapes = unpack_cells(config["cells"]["shape"])
    ids = page_ids(config)
    by_id = dict(zip(cells["h3"], cells.geometry, strict=True))
    assert config["cells"]["shape"]["kind"] == "hex" and len(shapes) == len(ids) > 2700
    for cell, ring in zip(ids[:300], shapes[:300], strict=True):
        expect = np.asarray(by_id[cell].exterior.coords)[:-1]
        assert np.abs(ring - expect).max() <= 1.5e-6  # centre and offsets each rounded
    # not hexagons: packed as polygons, same shapes back
    squares = [shapely.box(116 + i * 0.01, 39, 116.005 + i * 0.01, 39.005) for i in range(5)]
    back = unpack_cells(pack_cells(np.asarray(squares, dtype=object)))
    assert np.allclose(back[2], np.asarray(squares[2].exterior.coords)[:-1], atol=1e-6)


def test_popup_texts_are_the_small_maps() -> None:
    cells = many_cells()
    config = shared(big(cells))
    small = cell_table(cells, "en")
    row_of = {cell: k for k, cell in enumerate(cells["h3"])}
    keys = [key for key, _ in config["fields"]]
    ids = page_ids(config)
    for i in range(0, len(ids), 97):
        expect = small["rows"][row_of[ids[i]]]
        for k, key in enumerate(keys[1:], start=1):
            assert text_of(config, key, i) == html.unescape(expect[k] or ""), key
        n = len(keys)
        assert text_of(config, "f0", i) == (expect[n + 1] or "")  # raw value of rank_rate's factor
        assert text_of(config, "r0", i) == (expect[n + 2] or "")
        assert code_of(config, "lvn", i) - 1 == expect[n]


def test_density_per_parent_cell_is_the_mean_of_its_cells() -> None:
    cells = many_cells()
    found = themes(big(cells))
    kde = found["kernel density (incidents per km²)"]
    parents = [h3.cell_to_parent(cell, 7) for cell in cells["h3"]]
    means = cells.assign(p=parents).groupby("p")["kde"].mean()
    order = deltas(kde["rows"])
    shapes = unpack_cells(kde["own"])
    centres = [h3.latlng_to_cell(ring[:, 1].mean(), ring[:, 0].mean(), 7) for ring in shapes]
    texts = kde["tipRows"][0][2]
    shown = [texts[c - 1] for c in uints(kde["kd"])]
    sizes = uints(kde["nc"])
    for k, row in enumerate(order):
        parent = centres[row]
        assert float(shown[k]) == pytest.approx(means[parent], rel=5e-3)
        assert sizes[k] == parents.count(parent)
    ints = h3_ints(list(cells["h3"]))
    assert [h3.int_to_str(int(x)) for x in h3_parents(ints[:50], 7)] == parents[:50]


def test_legend_counts_every_cell_and_says_where_the_data_is() -> None:
    page = render_html(big(lang="zh"))
    for name, number in (("红色 (一级, 最高)", 900), ("蓝色 (四级, 最低)", 900)):
        assert f"{name} ({number})" in page
    assert "cells.parquet" in page and "3600 个 H3 单元" in page


def test_three_colour_and_grids() -> None:
    m = big(three_colour=True, grids=sample_grids())
    page = render_html(m)
    assert "red (high) (1800)" in page and "orange (level 2)" not in page
    assert len(shared(m)["levels"]) == 3
    assert "grids (level from their own incident density)" in {
        html.unescape(child.layer_name)
        for child in m._children.values()
        if hasattr(child, "layer_name")
    }


def test_outline_of_cells_without_h3_ids_is_their_union() -> None:
    cells = many_cells(200)
    geoms = cells.geometry.to_numpy()
    assert h3_ints(["not a cell"]) is None
    union = cells_outline(None, geoms)
    assert union.area == pytest.approx(cells_outline(h3_ints(list(cells["h3"])), geoms).area)


# --- in a browser -----------------------------------------------------------------------------

PROBE = """
<script>
(function () {
  var out = document.createElement('div'), S = shequHsBigState, map = null;
  out.id = 'shequ-probe';
  function report(name, value) { out.setAttribute(name, encodeURIComponent(String(value))); }
  Object.keys(window).forEach(function (key) {
    if (/^map_/.test(key) && window[key] instanceof L.Map) { map = window[key]; }
  });
  var lv = S.layers[0].shequ;
  lv.ready();
  var f = lv.rows[lv.rows.length - 1], d = lv.d, lat = 0, lon = 0;
  for (var q = d.pointStart[f]; q < d.pointStart[f + 1]; q++) {
    lat += d.lat[q]; lon += d.lon[q];
  }
  var k = d.pointStart[f + 1] - d.pointStart[f];
  map.setView([lat / k, lon / k], 15, {animate: false});
  map.fire('mousemove', {latlng: L.latLng(lat / k, lon / k)});
  var tip = document.querySelector('.leaflet-tooltip');
  report('data-tip', tip ? tip.textContent : '');
  map.fire('click', {latlng: L.latLng(lat / k, lon / k)});
  var popup = document.querySelector('.leaflet-popup-content');
  report('data-popup', popup ? popup.textContent : '');
  report('data-id', S.h3(f));
  report('data-tiles', document.querySelectorAll('.leaflet-shequ-hs-levels-pane canvas').length);
  map.closePopup();
  map.fire('mousemove', {latlng: L.latLng(ANSWERS[0], ANSWERS[1])});
  tip = document.querySelector('.leaflet-tooltip');
  report('data-rest', tip ? tip.textContent : '');
  S.layers.filter(function (l) { return l.shequ.spec.own; })[0].addTo(map);
  map.fire('mousemove', {latlng: L.latLng(lat / k, lon / k)});
  tip = document.querySelector('.leaflet-tooltip');
  report('data-kde', tip ? tip.textContent : '');
  setTimeout(function () {
    report('data-xss', typeof window.__xss);
    document.body.appendChild(out);
  }, 500);
})();
</script>
"""


@pytest.mark.browser
def test_city_page_draws_offline_with_tooltips_and_popups(tmp_path: Path) -> None:
    cells = many_cells()
    cells["trend"] = cells["trend"].astype(object)
    cells.loc[cells.index[-4], "trend"] = XSS_IMG  # a blue cell: drawn only for its trend
    m = big(cells)
    page = write_map(m, tmp_path / "hotspot_map.html")
    assert XSS_IMG not in page.read_text(encoding="utf-8")
    blue = cells.loc[(cells["level"] == "blue") & (cells["trend"] == "")].geometry.iloc[5]
    centre = blue.centroid
    run = open_page(with_probe(page, PROBE, [centre.y, centre.x]), tmp_path)
    assert run.requests == []
    assert run.console == [], "\n".join(run.console)
    found = probe_attrs(run.dom)
    assert int(found["data-tiles"]) > 0
    red = cells.loc[cells["h3"] == found["data-id"]].iloc[0]
    assert red["level"] == "red"
    assert "red (level 1, highest)" in found["data-tip"]
    assert f"H3 cell {red['h3']}" in found["data-popup"]
    assert "factor breakdown" in found["data-popup"]
    assert found["data-rest"] == (
        "blue (level 4, lowest): one of the other 900 cells; its values are in shequ.gpkg / "
        "cells.parquet"
    )
    assert found["data-kde"].startswith("kernel density (per km²)")
    assert "cells averaged" in found["data-kde"]
    assert found["data-xss"] == "undefined"


HOSTILE_PROBE = """
<script>
(function () {
  var out = document.createElement('div'), S = shequHsBigState;
  out.id = 'shequ-probe';
  var texts = [];
  for (var i = 0; i < S.cfg.cells.shape.n; i++) { texts.push(S.popup(i).textContent); }
  var hostile = texts.findIndex(function (t) { return t.indexOf('onerror') >= 0; });
  out.setAttribute('data-hostile', hostile);
  document.body.appendChild(S.popup(hostile));
  setTimeout(function () {
    out.setAttribute('data-xss', typeof window.__xss);
    document.body.appendChild(out);
  }, 500);
})();
</script>
"""


@pytest.mark.browser
def test_hostile_text_in_a_city_page_is_text(tmp_path: Path) -> None:
    cells = many_cells()
    cells["trend"] = cells["trend"].astype(object)
    cells.loc[cells.index[0], "trend"] = XSS_IMG
    cells.loc[cells.index[1], "h3"] = XSS_IMG  # not H3 ids: the ids go as text
    cells.loc[cells.index[1], "geometry"] = hexagon(many_cells()["h3"].iloc[1])
    page = write_map(big(cells), tmp_path / "hotspot_map.html")
    run = open_page(with_probe(page, HOSTILE_PROBE), tmp_path)
    assert run.console == [], "\n".join(run.console)
    found = probe_attrs(run.dom)
    assert found["data-xss"] == "undefined" and int(found["data-hostile"]) >= 0
    assert html.escape(XSS_IMG, quote=False) in run.dom  # shown as the text it is
