"""A district's access map (issue 15, item 3): homes as H3 cells zoomed out, the homes in view
zoomed in, every home written once, packed; the basemap packed and drawn as in-page tiles.

On the real Nanjing extract (761 homes) with the cell threshold lowered to 100, so the district
path runs on data small enough for a test: the cells' sums are checked against the homes' own
``meets_<kind>`` and households (cells found again here with h3 directly), the page holds no
GeoJSON copy of the homes, and in headless Chromium (offline) the page shows cells zoomed out,
only the homes in view zoomed in, and a name from the data as text, never markup.
"""

from __future__ import annotations

import base64
import json

import h3
import numpy as np
import pytest
import shapely

from shequ.geo.basemap import basemap_from_osm
from shequ.geo.osm_file import read_osm
from shequ.jobs.access import AccessOptions, compute_access, map_kinds
from shequ.maps import build_access_map, render_html
from shequ.maps.access_cells import CELL_RESOLUTION, DETAIL_ZOOM, AccessCells
from shequ.maps.basemap import BASEMAP_DIGITS, DataBasemap
from shequ.maps.packed import (
    _read_varints,
    pack_geometries,
    pack_points,
    unpack,
    varints,
    zigzag,
)
from shequ.maps.style import NO_SHARE, share_class
from tests.conftest import shared_file
from tests.helpers import XSS_IMG, geojson_layers, open_page, probe_attrs, with_probe

NANJING = "osm/nanjing_xinjiekou_small.osm"


@pytest.fixture(scope="module")
def nanjing():
    result = compute_access(AccessOptions(osm=shared_file(NANJING)))
    return result, map_kinds(result)


def cells_of(m) -> dict:
    (element,) = [c for c in m._children.values() if isinstance(c, AccessCells)]
    return json.loads(element.config)


def uints(text: str) -> np.ndarray:
    """Decode :func:`shequ.maps.packed.pack_uints` (as the page does)."""
    return _read_varints(np.frombuffer(base64.b64decode(text), dtype=np.uint8))


def test_varints_and_zigzag_by_hand() -> None:
    assert varints(np.array([0, 1, 127, 128, 300])) == bytes([0, 1, 127, 0x80, 1, 0xAC, 2])
    assert zigzag(np.array([0, -1, 1, -2, 2])).tolist() == [0, 1, 2, 3, 4]
    with pytest.raises(ValueError, match="non-negative"):
        varints(np.array([-1]))
    assert varints(np.array([(1 << 35) - 1])) == bytes([0xFF, 0xFF, 0xFF, 0xFF, 0x7F])
    with pytest.raises(ValueError, match="2\\*\\*35"):  # six bytes the page would misread
        varints(np.array([1 << 35]))


def test_packed_layers_give_back_the_rounded_outlines() -> None:
    base = basemap_from_osm(read_osm(shared_file(NANJING)))
    buildings = base.buildings.geometry.values
    packed = pack_geometries(buildings, BASEMAP_DIGITS)
    back = unpack(packed)
    polys = shapely.get_parts(buildings)
    assert packed["kind"] == "polygon" and len(back) == len(polys) > 1000
    for poly, rings in zip(polys[:200], back[:200], strict=True):
        source = [poly.exterior, *poly.interiors]
        assert len(rings) == len(source)
        for ring, drawn in zip(source, rings, strict=True):
            expect = np.round(np.asarray(ring.coords)[:-1], BASEMAP_DIGITS)  # closed by the page
            assert np.abs(drawn - expect).max() < 1e-9
    streets = base.streets.geometry.values
    lines = unpack(pack_geometries(streets, BASEMAP_DIGITS))
    assert sum(len(f[0]) for f in lines) == len(shapely.get_coordinates(streets))
    # about a fifth of the GeoJSON text it replaces (measured: 31.6 MB -> 6 MB on a district)
    geojson = json.dumps(shapely.geometry.mapping(shapely.multipolygons(polys)))
    assert len(packed["data"]) < 0.35 * len(geojson)
    xy = np.array([[118.78, 32.04], [118.781234, 32.039876]])
    assert pack_points(xy, 6) != pack_points(xy[::-1], 6)


def test_the_basemap_is_packed_with_its_level_of_detail() -> None:
    base = basemap_from_osm(read_osm(shared_file(NANJING)))
    config = json.loads(DataBasemap(base, "en").config)
    zooms = {}
    for layer in config["layers"]:
        assert set(layer["data"]) == {"kind", "n", "digits", "data"}  # no GeoJSON left
        zooms.setdefault(layer["minZoom"], 0)
        zooms[layer["minZoom"]] += layer["data"]["n"]
    buildings = [layer for layer in config["layers"] if layer["minZoom"] == 14]
    assert sum(layer["data"]["n"] for layer in buildings) == len(base.buildings)
    assert zooms[0] > 0  # water and major streets from the first zoom on


def test_district_cells_sum_the_homes_truthfully(nanjing) -> None:
    result, kinds = nanjing
    m = build_access_map(
        result.homes, result.facilities, result.isochrones, kinds, max_home_markers=100
    )
    assert "homes (walk minutes)" not in geojson_layers(m)  # no GeoJSON copy of the homes
    config = cells_of(m)
    active = [kind["id"] for kind in kinds if kind["data_status"] == "ok"]
    assert config["kinds"] == len(active) == 3
    homes = result.homes.to_crs(4326)
    cells = np.array(
        [h3.latlng_to_cell(p.y, p.x, CELL_RESOLUTION) for p in homes.geometry], dtype=object
    )
    order = sorted(set(cells), key=h3.str_to_int)  # the page's cells, by their number
    cell = {code: i for i, code in enumerate(order)}
    levels = {level["res"]: level for level in config["cells"]}
    assert [level["res"] for level in config["cells"]] == [7, 8, 9]  # coarser farther out
    for level in config["cells"]:  # every level holds every home once
        assert uints(level["homes"]).sum() == 761
    finest = levels[CELL_RESOLUTION]
    n_cells = finest["n"]
    assert n_cells == len(order)
    got_homes = uints(finest["homes"])
    expect_homes = np.bincount([cell[c] for c in cells], minlength=n_cells)
    assert got_homes.tolist() == expect_homes.tolist() and got_homes.sum() == 761
    served = uints(finest["served"]).reshape(n_cells, len(active))
    hh_served = uints(finest["hh_served"]).reshape(n_cells, len(active))
    classes = uints(finest["s"]).reshape(n_cells, len(active))
    households = homes["households"].to_numpy(float)
    where = np.array([cell[c] for c in cells])
    for k, kind in enumerate(active):
        met = homes[f"meets_{kind}"].fillna(False).to_numpy(bool)
        assert served[:, k].sum() == met.sum()
        per_cell = np.bincount(where[met], weights=households[met], minlength=n_cells)
        assert np.array_equal(hh_served[:, k], np.round(per_cell))
        totals = np.bincount(where, weights=households, minlength=n_cells)
        shares = per_cell / totals
        assert [share_class(s) for s in shares] == classes[:, k].tolist()
    # the homes are all there once, packed, with their minutes per kind
    assert len(uints(config["homes"]["s"])) == 761 * len(active)
    assert len(uints(config["homes"]["m"])) == 761 * len(active)


def test_no_kind_with_data_gives_grey_cells(nanjing) -> None:
    result, kinds = nanjing
    kinds = [{**kind, "data_status": "no_facilities"} for kind in kinds]
    m = build_access_map(
        result.homes, result.facilities, result.isochrones, kinds, max_home_markers=100
    )
    config = cells_of(m)
    assert config["kinds"] == 0 and config["initial"] == -1
    assert config["cellStyles"][config["noShare"]]["fillColor"] == "#9e9e9e"
    assert config["noShare"] == NO_SHARE
    assert config["styles"][config["none"]]["color"] != "#d7191c"  # no blind-spot ring


def test_a_district_page_is_smaller(nanjing) -> None:
    result, kinds = nanjing
    small = build_access_map(result.homes, result.facilities, result.isochrones, kinds)
    large = build_access_map(
        result.homes, result.facilities, result.isochrones, kinds, max_home_markers=100
    )
    assert len(render_html(large)) < 0.8 * len(render_html(small))


_CELLS_PROBE = """
<script>
var M = Object.keys(window).filter(function (k) { return k.indexOf('map_') === 0; })
  .map(function (k) { return window[k]; })[0];
var C = window.shequAccessCells, out = document.createElement('div'), A = ANSWERS[0];
out.id = 'shequ-probe';
M.setZoom(A.low, {animate: false});
out.setAttribute('data-low', JSON.stringify({cells: M.hasLayer(C.cells), homes: C.shown()}));
M.setView([A.lat, A.lon], 17, {animate: false});
var first = C.homes.getLayers().filter(function (m) { return m.shequHome === A.index; })[0];
first.openTooltip();
var tip = document.querySelector('.leaflet-tooltip');
out.setAttribute('data-high', JSON.stringify({cells: M.hasLayer(C.cells), homes: C.shown(),
  all: C.count, tip: tip ? tip.textContent : null, xss: typeof window.__xss}));
document.body.appendChild(out);
</script>
"""


@pytest.mark.browser
def test_cells_zoomed_out_homes_of_the_view_zoomed_in(nanjing, tmp_path) -> None:
    result, kinds = nanjing
    homes = result.homes.copy()
    homes["name"] = homes["name"].astype(object)
    homes.loc[homes.index[0], "name"] = XSS_IMG
    m = build_access_map(homes, result.facilities, result.isochrones, kinds, max_home_markers=100)
    page = tmp_path / "map.html"
    page.write_text(render_html(m), encoding="utf-8")
    assert XSS_IMG not in page.read_text(encoding="utf-8")
    first = homes.to_crs(4326).geometry.iloc[0]
    answers = [{"low": DETAIL_ZOOM - 2, "lat": first.y, "lon": first.x, "index": 0}]
    run = open_page(with_probe(page, _CELLS_PROBE, answers), tmp_path)
    assert run.requests == []
    assert run.console == [], "\n".join(run.console)
    found = probe_attrs(run.dom)
    low, high = json.loads(found["data-low"]), json.loads(found["data-high"])
    assert low == {"cells": True, "homes": 0}
    assert not high["cells"] and 0 < high["homes"] < high["all"] == 761
    assert XSS_IMG in high["tip"] and high["xss"] == "undefined"  # shown as the text it is
