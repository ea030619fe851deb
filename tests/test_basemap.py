"""The basemap drawn from the data (issue 14, item 1): streets, buildings, water and names from the
extract the analysis read, on every map, with no request to any other host.

What an official on an intranet sees is checked in headless Chromium with every host name
unresolvable: the page requests nothing, logs nothing, and its default view shows the basemap.
"Shows" is measured, not assumed: the same page is screenshotted twice, once as written and once
with the basemap's panes hidden, and the share of pixels that differ is the basemap's visible part
of the default view (0 without a basemap, by construction). On the shared extracts that share is
well above :data:`MIN_VISIBLE` (measured values in the closing note of issue 14): the threshold is
set low enough for a map whose results cover most of the view (grids are filled) and high enough
that a page with only a scale bar, an attribution or a blank tile would fail.
"""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from shequ.cli import main
from shequ.geo.basemap import STREET_CLASSES, basemap_from_osm, check_tiles
from shequ.geo.osm_file import read_osm
from shequ.maps.access_map import render_html
from shequ.maps.basemap import DataBasemap, add_basemap, is_gcj02_tiles
from shequ.maps.page import new_map
from tests.conftest import shared_file
from tests.helpers import CHROME_FLAGS, XSS_IMG, chromium, open_page, probe_attrs, with_probe

NANJING = "osm/nanjing_xinjiekou_small.osm"
MIN_VISIBLE = 0.03  # share of the default view's pixels the basemap must change
HIDE_BASEMAP = (
    "<style>.leaflet-shequ-basemap-pane, .leaflet-shequ-basemap-labels-pane"
    " { display: none !important; }</style>"
)


def test_layers_from_the_extract():
    osm = read_osm(shared_file(NANJING))
    base = basemap_from_osm(osm)
    counts = base.counts()
    assert counts["streets"] > 300 and counts["buildings"] > 1000 and counts["water"] >= 1
    assert set(base.streets["cls"]) <= set(STREET_CLASSES)
    assert {"major", "minor"} <= set(base.streets["cls"])
    # names verbatim, each label on its street, text never upside down
    named = set(base.streets["name"].dropna())
    assert set(base.labels["name"]) <= named and len(base.labels) > 50
    assert base.labels["angle"].between(-90, 90).all()
    streets = base.streets.to_crs(3857)
    near = base.labels.to_crs(3857).distance(streets.union_all())
    assert near.max() < 1.0
    # a box keeps only what meets it
    w, s, e, n = osm.bounds
    half = basemap_from_osm(osm, (w, s, (w + e) / 2, n))
    assert 0 < half.counts()["buildings"] < counts["buildings"]


def test_tile_urls_are_checked():
    assert check_tiles(None) is None
    url = "https://t0.tianditu.gov.cn/vec_w/wmts?x={x}&y={y}&l={z}"
    assert check_tiles(url) == url
    for bad in ("tiles.png", "ftp://host/{z}/{x}/{y}.png", "https://host/{z}/{x}.png"):
        with pytest.raises(Exception, match="tile URL"):
            check_tiles(bad)
    with pytest.raises(Exception, match="webrd01"):
        check_tiles("https://webrd0{s}.is.autonavi.com/appmaptile?x={x}&y={y}&z={z}")
    assert is_gcj02_tiles("https://webrd01.is.autonavi.com/appmaptile?x={x}&y={y}&z={z}")
    assert is_gcj02_tiles("https://rt0.map.gtimg.com/tile?z={z}&x={x}&y={y}")
    assert not is_gcj02_tiles(url)


def test_a_bad_basemap_url_is_one_line_and_exit_2(tmp_path, capsys):
    osm = str(shared_file(NANJING))
    args = ["grids", "--osm", osm, "--basemap", "tiles.png", "--out", str(tmp_path / "o")]
    assert main([*args, "--lang", "zh"]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "tiles.png" in err[0] and "瓦片" in err[0]
    assert not (tmp_path / "o").exists()


def test_street_names_are_text_never_markup(tmp_path):
    osm = read_osm(shared_file(NANJING))
    base = basemap_from_osm(osm)
    base.labels.loc[base.labels.index[0], "name"] = XSS_IMG
    m = new_map("test", "en")
    add_basemap(m, base, "en")
    y, x = float(base.labels.geometry.y.iloc[0]), float(base.labels.geometry.x.iloc[0])
    m.fit_bounds([[y - 0.001, x - 0.001], [y + 0.001, x + 0.001]])  # zoom 17: names shown
    page = render_html(m)
    assert XSS_IMG not in page  # inside the script as JSON, "<" escaped
    path = tmp_path / "names.html"
    path.write_text(page, encoding="utf-8")
    run = open_page(with_probe(path, _LABEL_PROBE), tmp_path)
    assert run.console == [], "\n".join(run.console)
    result = probe_attrs(run.dom)
    assert result["data-xss"] == "undefined"
    assert XSS_IMG in json.loads(result["data-names"])  # shown as the text it is


_LABEL_PROBE = """
<script>
setTimeout(function () {
  var out = document.createElement('div');
  out.id = 'shequ-probe';
  var names = Array.prototype.map.call(
    document.querySelectorAll('.shequ-street-label span'), function (s) { return s.textContent; });
  out.setAttribute('data-names', encodeURIComponent(JSON.stringify(names)));
  out.setAttribute('data-xss', typeof window.__xss);
  document.body.appendChild(out);
}, 800);
</script>
"""


def test_external_tiles_only_on_request():
    osm = read_osm(shared_file(NANJING))
    base = basemap_from_osm(osm)
    m = new_map("t", "zh")
    add_basemap(m, base, "zh")
    page = render_html(m)
    assert "tile.openstreetmap.org" not in page and "{z}" not in page
    assert '<html lang="zh-CN">' in page and "imperial: false" in page
    tiles = "https://intranet.example/tiles/{z}/{x}/{y}.png"
    base.tiles = tiles
    m = new_map("t", "en")
    add_basemap(m, base, "en")
    page = render_html(m)
    assert tiles in page and not any(isinstance(c, DataBasemap) for c in m._children.values())


def screenshot(page: Path, out: Path) -> np.ndarray:
    """The page's default view (1200 × 800) as RGB pixels, offline."""
    subprocess.run(
        [
            chromium(),
            *CHROME_FLAGS,
            f"--user-data-dir={out.parent / 'shot-profile'}",
            "--window-size=1200,800",
            "--hide-scrollbars",
            f"--screenshot={out}",
            page.resolve().as_uri(),
        ],
        capture_output=True,
        timeout=180,
        check=True,
    )
    return np.asarray(Image.open(out).convert("RGB")).astype(int)


def basemap_share(page: Path, work: Path) -> float:
    """Share of the default view's pixels that change when the basemap panes are hidden."""
    hidden = page.with_name("hidden.html")
    text = page.read_text(encoding="utf-8")
    hidden.write_text(text.replace("</head>", HIDE_BASEMAP + "</head>", 1), encoding="utf-8")
    shown = screenshot(page, work / "shown.png")
    gone = screenshot(hidden, work / "hidden.png")
    return float((np.abs(shown - gone).max(axis=2) > 8).mean())


@pytest.mark.browser
def test_grid_map_offline_shows_its_basemap(tmp_path):
    osm = str(shared_file(NANJING))
    out = tmp_path / "grids"
    args = ["grids", "--quiet", "--osm", osm, "--time-limit", "3", "--out", str(out)]
    assert main(args) == 0
    page = out / "map.html"
    run = open_page(page, tmp_path)
    assert run.requests == []  # no request to any host
    assert run.console == [], "\n".join(run.console)
    share = basemap_share(page, tmp_path)
    assert share >= MIN_VISIBLE, share


@pytest.fixture(scope="module")
def demo(tmp_path_factory):
    """The bundled demo: the four commands' maps on one real extract."""
    out = tmp_path_factory.mktemp("demo") / "demo"
    assert main(["demo", "--out", str(out), "--quiet", "--lang", "zh"]) == 0
    return out


@pytest.mark.browser
@pytest.mark.parametrize("command", ["access", "site", "grids", "hotspots"])
def test_every_map_is_offline_and_shows_its_basemap(demo, tmp_path, command):
    page = demo / command / "map.html"
    text = page.read_text(encoding="utf-8")
    assert "OpenStreetMap</a> contributors (ODbL)" in text or "contributors (ODbL)" in text
    run = open_page(page, tmp_path)
    assert run.requests == []
    assert run.console == [], "\n".join(run.console)
    share = basemap_share(page, tmp_path)
    assert share >= MIN_VISIBLE, (command, share)


AMAP = "https://webrd01.is.autonavi.com/appmaptile?style=8&x={x}&y={y}&z={z}"

_UNSHIFT_PROBE = """
<script>
setTimeout(function () {
  var input = ANSWERS[0], E = window.shequGridEdits;
  var poly = L.polygon(input.ring.map(function (p) { return [p[1], p[0]]; }));
  E.assign(poly, E.find(input.code));
  E.layers.addLayer(poly);
  var out = document.createElement('div');
  out.id = 'shequ-probe';
  out.setAttribute('data-edits', encodeURIComponent(JSON.stringify(E.collect())));
  document.body.appendChild(out);
}, 500);
</script>
"""


@pytest.mark.browser
def test_gcj02_tiles_shift_the_data_and_exports_come_back_in_wgs84(tmp_path):
    import geopandas as gpd
    import shapely

    from shequ.geo.coords import gcj02_to_wgs84, wgs84_to_gcj02

    osm = str(shared_file(NANJING))
    out = tmp_path / "g"
    args = ["grids", "--quiet", "--osm", osm, "--time-limit", "3", "--basemap", AMAP]
    assert main([*args, "--out", str(out)]) == 0
    page = out / "map.html"
    text = page.read_text(encoding="utf-8")
    assert AMAP.replace("&", "&amp;") in text or AMAP in text or "autonavi" in text
    assert "GCJ-02" in text
    run = open_page(page, tmp_path)
    assert all("autonavi.com" in url for url in run.requests)  # the tiles, nothing else
    grids = gpd.read_file(out / "shequ.gpkg", layer="grids").to_crs(4326)
    first = grids.iloc[0]
    # the drawn grid is shifted into GCJ-02: its first vertex is not the file's
    lon, lat = shapely.get_coordinates(first.geometry)[0]
    g_lon, _ = wgs84_to_gcj02(lon, lat)
    assert f"{round(float(g_lon), 6)}" in text  # the grid as drawn, in GCJ-02
    # a shape drawn on the GCJ-02 map is exported in WGS-84
    centre = first.geometry.representative_point()
    ring_wgs = [
        (centre.x + dx, centre.y + dy)
        for dx, dy in ((-2e-4, -2e-4), (2e-4, -2e-4), (2e-4, 2e-4), (-2e-4, 2e-4), (-2e-4, -2e-4))
    ]
    ring_gcj = [[float(v) for v in wgs84_to_gcj02(x, y)] for x, y in ring_wgs]
    probe = with_probe(page, _UNSHIFT_PROBE, [{"ring": ring_gcj, "code": first["code"]}])
    run = open_page(probe, tmp_path)
    assert run.console == [], "\n".join(run.console)
    result = probe_attrs(run.dom)
    edits = json.loads(result["data-edits"])
    exported = edits["features"][0]["geometry"]["coordinates"][0]
    expect = [gcj02_to_wgs84(x, y) for x, y in ring_gcj]
    for (x, y), (ex, ey) in zip(exported, expect, strict=True):
        assert abs(x - float(ex)) < 2e-6 and abs(y - float(ey)) < 2e-6
    # the exported plan is in WGS-84 too (fed back with --existing it lines up)
    assert f"{round(lon, 6)}" in text


@pytest.mark.browser
def test_the_report_is_offline(demo, tmp_path):
    page = demo / "report" / "report.html"
    run = open_page(page, tmp_path)
    assert run.requests == []
    assert run.console == [], "\n".join(run.console)
    assert run.dom.count("<svg") >= 4  # the sections' maps, drawn inline
