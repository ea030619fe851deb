"""A district's grid map: units, homes and borders packed, drawn the same as on a small map.

Above ``pack_above`` features the units, homes and border layers are written packed
(:mod:`shequ.maps.packed_overlay`). The sample plan of ``test_grid_map`` is built both ways
(``pack_above=0`` forces the packed page) and the two must hold the same layers, in the same
order and visibility, the same shapes (to the page's 6 decimals), styles and tooltip values;
hostile text stays escaped; and in headless Chromium every packed layer draws and its
tooltips open with no script run. On the 337k-node mosaic's plan the page falls from 83.6 MB
(see ``benchmarks/scale.py``).
"""

from __future__ import annotations

import html
import json
import re
from pathlib import Path

import folium
import numpy as np
import pytest
import shapely

from shequ.maps import render_html, write_map
from shequ.maps.packed import unpack, unpack_points, unpack_uints
from shequ.maps.packed_overlay import PackedOverlay, packed_spec
from shequ.maps.style import border_style
from tests.helpers import OPEN_ALL_PROBE, geojson_layers, open_page, probe_attrs, with_probe
from tests.test_grid_map import EXPECTED, XSS_IMG, XSS_SCRIPT, build, sample_atoms

PACKED = {
    "minor streets",
    "main borders (major roads, rivers, rail, community edges)",
    "units (compounds, street blocks)",
    "homes",
}


def packed_layers(m: folium.Map) -> dict[str, PackedOverlay]:
    return {
        html.unescape(child.layer_name): child
        for child in m._children.values()
        if isinstance(child, PackedOverlay)
    }


def layer_order(m: folium.Map) -> list[tuple[str, bool]]:
    return [
        (html.unescape(child.layer_name), child.show)
        for child in m._children.values()
        if isinstance(child, folium.GeoJson | PackedOverlay)
    ]


def _rings(geometry: dict) -> list[np.ndarray]:
    """A GeoJSON feature's parts as the packer writes them (polygon rings without their
    closing point, lines whole)."""
    if geometry["type"] == "Polygon":
        return [np.asarray(ring)[:-1] for ring in geometry["coordinates"]]
    return [np.asarray(geometry["coordinates"])]


def test_a_small_map_stays_geojson():
    m = build()
    assert packed_layers(m) == {}
    assert set(geojson_layers(m)) == set(EXPECTED)


def test_packed_layers_are_the_same_layers_in_the_same_order():
    small, large = build(), build(pack_above=0)
    assert set(packed_layers(large)) == PACKED
    assert layer_order(large) == layer_order(small)
    assert set(geojson_layers(large)) == set(EXPECTED) - PACKED


@pytest.mark.parametrize("name", sorted(PACKED - {"homes"}))
def test_packed_shapes_styles_and_tooltips_equal_the_geojson(name):
    geo = geojson_layers(build())[name]
    spec = packed_layers(build(pack_above=0))[name].spec
    features = geo.data["features"]
    shapes = unpack(spec["geom"])
    assert len(shapes) == len(features)
    for parts, item in zip(shapes, features, strict=True):
        want = _rings(item["geometry"])
        assert len(parts) == len(want)
        for got, ring in zip(parts, want, strict=True):
            np.testing.assert_allclose(got, ring, atol=1.5e-6)
    styles = spec["styles"]
    index = unpack_uints(spec["style"]) if "style" in spec else np.zeros(len(features), int)
    for k, item in enumerate(features):
        assert styles[index[k]] == geo.style_function(item)
    for key, values in spec.get("props", {}).items():
        assert values == [item["properties"].get(key) for item in features]


def test_packed_homes_equal_the_geojson_points():
    geo = geojson_layers(build())["homes"]
    spec = packed_layers(build(pack_above=0))["homes"].spec
    features = geo.data["features"]
    xy = unpack_points(spec["points"], spec["digits"])
    want = np.array([item["geometry"]["coordinates"] for item in features])
    np.testing.assert_allclose(xy, want, atol=1.5e-6)
    index = unpack_uints(spec["style"])
    for k, item in enumerate(features):
        assert {**spec["styles"][index[k]], "pane": "shequ-grid-homes"} == geo.style_function(item)
    for key, values in spec["props"].items():
        assert values == [item["properties"].get(key) for item in features]


def test_hostile_text_in_packed_layers_stays_escaped():
    atoms = sample_atoms()
    atoms.loc[0, "origin"] = XSS_IMG
    m = build(atoms=atoms, pack_above=0)
    page = render_html(m)
    for raw in (XSS_IMG, "window.__xss=2</script>"):
        assert raw not in page, raw
    layers = packed_layers(m)
    assert layers["units (compounds, street blocks)"].spec["props"]["k"][0] == html.escape(XSS_IMG)
    names = layers["homes"].spec["props"]["n"]
    assert html.escape(XSS_IMG) in names and html.escape(XSS_SCRIPT) in names
    assert XSS_IMG not in names and XSS_SCRIPT not in names


def test_multipart_and_empty_geometries_keep_their_rows():
    a, b = shapely.box(0, 0, 1, 1), shapely.box(2, 0, 3, 1)
    geoms = np.array([shapely.MultiPolygon([a, b]), shapely.Polygon(), a], dtype=object)
    props = [{"x": "one"}, {"x": "none"}, {"x": "three"}]
    spec = packed_spec(
        geoms, pane="p", styles=[{}, {}], style_index=np.array([1, 0, 0]), props=props, keys="x"
    )
    assert spec["geom"]["n"] == 3  # two parts of the first feature, the third; not the empty one
    assert spec["props"]["x"] == ["one", "one", "three"]
    assert unpack_uints(spec["style"]).tolist() == [1, 1, 0]
    with pytest.raises(ValueError, match="one kind"):
        packed_spec(np.array([a, shapely.Point(0, 0)], dtype=object), pane="p", styles=[{}])


def test_border_styles_follow_their_class():
    spec = packed_layers(build(pack_above=0))[
        "main borders (major roads, rivers, rail, community edges)"
    ].spec
    assert border_style("edge") in spec["styles"] and border_style("river") in spec["styles"]


@pytest.mark.browser
def test_packed_page_draws_and_opens_its_tooltips_in_browser(tmp_path: Path) -> None:
    atoms = sample_atoms()
    atoms.loc[0, "origin"] = XSS_IMG
    page = write_map(build(atoms=atoms, pack_above=0), tmp_path / "grid_map.html")
    run = open_page(with_probe(page, OPEN_ALL_PROBE), tmp_path)

    assert run.console == [], "\n".join(run.console)
    result = probe_attrs(run.dom)
    assert result["data-xss"] == "undefined"
    # every layer on: 24 units and 24 homes built from the packed data, with their tooltips,
    # besides the 6 grids' own
    assert int(result["data-opened"]) >= 24 + 24 + 6
    assert re.search(r"<img[^>]*onerror", run.dom) is None
    assert "<canvas" in run.dom  # the packed layers draw on canvas


def test_the_spec_is_json():
    spec = packed_layers(build(pack_above=0))["homes"].spec
    assert json.loads(json.dumps(spec)) == spec
