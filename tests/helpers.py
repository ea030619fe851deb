"""Helpers shared by test modules: reading a map page, a headless Chromium that is offline, and
finding English sentences in what a ``--lang zh`` run printed.

Chromium runs with every host name unresolvable (``--host-resolver-rules``), as on an intranet
machine without internet, and with a fresh profile. From one run we read the DOM after load
(``--dump-dom``), console messages and the network log. ``PROBE`` is a script a test appends
to a page: it switches on every layer, opens every tooltip and records ``typeof window.__xss``.
"""

from __future__ import annotations

import html
import json
import re
import shutil
import subprocess
from dataclasses import dataclass, replace
from functools import cache
from html.parser import HTMLParser
from pathlib import Path
from typing import Any
from urllib.parse import unquote

import folium
import geopandas as gpd
import numpy as np
import pytest
import shapely
from shapely.geometry import Point

from shequ.geo.atoms import build_atoms
from shequ.geo.blocks import border_lines, street_blocks
from shequ.geo.coords import metric_crs
from shequ.geo.osm_file import read_osm
from shequ.jobs.access import AccessOptions
from shequ.jobs.inputs import AreaInputs, load_inputs
from tests.conftest import shared_file


def in_page(text: str, page: str) -> bool:
    """``text`` appears as is (HTML) or as folium writes it inside scripts (ASCII JSON with
    ``<``, ``>``, ``&`` and ``'`` as ``\\u`` escapes)."""
    as_json = json.dumps(text)[1:-1]
    script_safe = as_json
    for char in "<>&'":
        script_safe = script_safe.replace(char, f"\\u{ord(char):04x}")
    return any(form in page for form in (text, as_json, script_safe))


CHROME_FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--host-resolver-rules=MAP * ~NOTFOUND",
    "--enable-logging=stderr",
    "--v=0",
    "--virtual-time-budget=5000",
]
TILE_HOST = "https://tile.openstreetmap.org/"
CAPTURE_DOWNLOADS = """
  /* a page's downloads, kept: the Blob's text (read synchronously) and each file name */
  var RealBlob = window.Blob;
  window.Blob = function (parts, options) {
    exported = parts.join('');
    return new RealBlob(parts, options);
  };
  URL.createObjectURL = function () { return 'blob:shequ-probe'; };
  URL.revokeObjectURL = function () {};
  var realClick = HTMLAnchorElement.prototype.click;
  HTMLAnchorElement.prototype.click = function () {
    if (this.download) { downloads.push(this.download); return; }
    return realClick.call(this);
  };
"""
"""JS for a probe that declared ``exported`` and ``downloads``: keeps what the page downloads."""


def probe(popups: bool = False) -> str:
    """A script for the end of a page: every layer on, every tooltip (and popup) opened —
    they set their text as HTML — then ``typeof window.__xss`` and the number opened are
    written on a ``#shequ-probe`` element for the dumped DOM."""
    popup = (
        "if (layer.getPopup && layer.getPopup()) { layer.openPopup(); opened += 1; }"
        if popups
        else ""
    )
    return (
        """
<script>
(function () {
  var opened = 0;
  document.querySelectorAll('.leaflet-control-layers-selector').forEach(function (box) {
    if (!box.checked) { box.click(); }
  });
  Object.keys(window).forEach(function (key) {
    var map = window[key];
    if (!/^map_/.test(key) || !(map instanceof L.Map)) { return; }
    map.eachLayer(function (layer) {
      if (layer.getTooltip && layer.getTooltip()) { layer.openTooltip(); opened += 1; }
      POPUP
    });
  });
  setTimeout(function () {
    var out = document.createElement('div');
    out.id = 'shequ-probe';
    out.setAttribute('data-xss', typeof window.__xss);
    out.setAttribute('data-opened', String(opened));
    document.body.appendChild(out);
  }, 1000);
})();
</script>
"""
    ).replace("POPUP", popup)


PROBE = probe()
OPEN_ALL_PROBE = probe(popups=True)


def chromium() -> str:
    for name in ("chromium", "chromium-browser", "google-chrome"):
        path = shutil.which(name)
        if path:
            return path
    pytest.skip(
        "headless Chromium not found: install it with `apt-get install chromium` (Debian)"
        " to run the map browser test"
    )


@dataclass
class PageRun:
    dom: str
    console: list[str]
    requests: list[str]


def open_page(page: Path, work: Path) -> PageRun:
    """Load ``page`` in a fresh, offline headless Chromium and collect DOM, console, requests."""
    net_log = work / "net.json"
    result = subprocess.run(
        [
            chromium(),
            *CHROME_FLAGS,
            f"--user-data-dir={work / 'profile'}",
            f"--log-net-log={net_log}",
            "--dump-dom",
            page.resolve().as_uri(),
        ],
        capture_output=True,
        text=True,
        timeout=180,
        check=False,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    console = [
        line for line in result.stderr.splitlines() if ":CONSOLE" in line or "Uncaught" in line
    ]
    return PageRun(result.stdout, console, page_requests(net_log))


def page_requests(net_log: Path) -> list[str]:
    """URLs the page (a file:// document) asked the network for; Chromium's own are skipped."""
    log = json.loads(net_log.read_text(encoding="utf-8"))
    start_job = log["constants"]["logEventTypes"]["URL_REQUEST_START_JOB"]
    return [
        event["params"]["url"]
        for event in log["events"]
        if event["type"] == start_job
        and "url" in event.get("params", {})
        and event["params"].get("network_isolation_key", "").startswith("file://")
    ]


class _Counter(HTMLParser):
    """Counts drawn features in a dumped DOM, with their fill colour per Leaflet pane."""

    def __init__(self) -> None:
        super().__init__()
        self.paths = 0
        self.fills: dict[str, list[str]] = {}  # pane -> fill of each drawn path, in order
        self.tooltips = 0
        self.probe: dict[str, str | None] = {}
        self._pane = ""

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = dict(attrs)
        classes = (values.get("class") or "").split()
        if "leaflet-pane" in classes:  # panes are siblings: a path belongs to the last one
            self._pane = next(name for name in classes if name != "leaflet-pane")
        if tag == "path" and "leaflet-interactive" in classes:
            self.paths += 1
            self.fills.setdefault(self._pane, []).append(values.get("fill") or "")
        if "leaflet-tooltip" in classes:
            self.tooltips += 1
        if values.get("id") == "shequ-probe":
            self.probe = values


def count(dom: str) -> _Counter:
    counter = _Counter()
    counter.feed(dom)
    return counter


# --- English left in Chinese output -----------------------------------------------------------

_QUOTED = re.compile("'[^']*'|\"[^\"]*\"|“[^”]*”|‘[^’]*’|「[^」]*」")
_WORD = re.compile(r"^[(\[]?[A-Za-z]+(?:['’-][A-Za-z]+)*[)\],.;:!?]*$")


def english_sentences(text: str, words: int = 3) -> list[str]:
    """Runs of ``words`` or more English words in ``text`` (what ``--lang zh`` must not print).

    File paths, options (``--kind``), ids with ``_`` or ``=``, numbers and quoted data values
    (names from OSM or a CSV cell are shown verbatim and may well be English) are not words;
    a token holding a Chinese character ends a run, and so does a comma (``walking, demand,
    grid`` lists keys, it is not a sentence). Proper names of methods (``Mann-Kendall``,
    ``Gi*``, ``HiGHS``) are single tokens and never make a run on their own.
    """
    found = []
    for line in text.splitlines():
        run: list[str] = []
        for token in _QUOTED.sub(" 「」 ", line).split():
            if _WORD.match(token) and "/" not in token:
                run.append(token)
                if not token.endswith(","):  # "walking, demand, grid": a list of keys
                    continue
            if len(run) >= words:
                found.append(" ".join(run))
            run = []
        if len(run) >= words:
            found.append(" ".join(run))
    return found


# --- map samples and page probes shared by the map tests ---------------------------------------

XSS_IMG = '<img src=x onerror="window.__xss=1">'


XSS_SCRIPT = "</script><script>window.__xss=2</script>"


KINDS: list[dict[str, Any]] = [
    {"id": "canteen", "zh": "老年助餐点", "en": "Elderly meal point", "threshold_min": 15.0},
    {"id": "clinic", "zh": "社区卫生服务站", "en": "Community clinic", "threshold_min": 15.0},
]


LON0, LAT0 = 116.40, 39.91  # Beijing; the frames are given in UTM 50N to exercise reprojection


UTM = 32650


# What the sample draws, per kind: (homes, blind spots, facilities, union isochrones,
# per-facility isochrones). The browser test counts SVG paths against these.
EXPECTED = {"canteen": (5, 2, 1, 3, 1), "clinic": (5, 5, 0, 0, 0)}


def sample_inputs() -> tuple[gpd.GeoDataFrame, gpd.GeoDataFrame, gpd.GeoDataFrame]:
    """Five homes (one unreachable, two with hostile names), one canteen, none for clinic."""
    homes = gpd.GeoDataFrame(
        {
            "home_id": [1, 2, 3, 4, 5],
            "name": ["幸福小区", XSS_IMG, XSS_SCRIPT, None, "北园"],
            "households": [120.0, 80.0, 45.0, 300.0, 60.0],
            "population": [300.0, 200.0, 100.0, 800.0, 150.0],
            "walk_min_canteen": [3.0, 7.5, 12.0, 22.0, np.nan],
            "meets_canteen": [True, True, True, False, False],
            "unreachable_canteen": [None, None, None, None, "river <b>no bridge</b>"],
            "walk_min_clinic": [np.nan] * 5,
            "meets_clinic": [False] * 5,
            "unreachable_clinic": ["no clinic"] * 5,
        },
        geometry=[Point(LON0 + 0.004 * i, LAT0 + 0.002 * (i % 3)) for i in range(5)],
        crs=4326,
    ).to_crs(UTM)
    facilities = gpd.GeoDataFrame(
        {
            "facility_id": [10],
            "kind": ["canteen"],
            "name": [XSS_IMG],
            "node_id": [7],
            "access_m": [12.3],
        },
        geometry=[Point(LON0 + 0.006, LAT0 + 0.001)],
        crs=4326,
    ).to_crs(UTM)
    centre = facilities.geometry.iloc[0]
    rings = [centre.buffer(radius) for radius in (300.0, 600.0, 900.0)]
    isochrones = gpd.GeoDataFrame(
        {
            "kind": ["canteen"] * 4,
            "minutes": [5.0, 10.0, 15.0, 15.0],
            "scope": ["union", "union", "union", "facility"],
            "facility_id": [-1, -1, -1, 10],
        },
        geometry=[*rings, rings[2]],
        crs=UTM,
    )
    return homes, facilities, isochrones


def geojson_layers(m: folium.Map) -> dict[str, folium.GeoJson]:
    """The map's GeoJson layers by (unescaped) layer name."""
    return {
        html.unescape(child.layer_name): child
        for child in m._children.values()
        if isinstance(child, folium.GeoJson)
    }


def probe_attrs(dom: str) -> dict[str, str]:
    """The probe's report: its ``data-*`` attributes (URI-encoded by the probe)."""
    match = re.search(r'<div id="shequ-probe"([^>]*)>', dom)
    assert match is not None, "the probe did not finish"
    found = re.findall(r'(data-[a-z]+)="([^"]*)"', match.group(1))
    return {key: unquote(html.unescape(value)) for key, value in found}


def with_probe(page: Path, probe: str, answers: list[str | None] | None = None) -> Path:
    """``page`` with ``probe`` run after the map; ANSWERS become the prompt's answers."""
    probed = page.with_name("probed.html")
    script_safe = json.dumps(answers or []).replace("<", "\\u003c").replace(">", "\\u003e")
    probe = probe.replace("ANSWERS", script_safe)
    text = page.read_text(encoding="utf-8").replace("</html>", probe + "</html>")
    probed.write_text(text, encoding="utf-8")
    return probed


def shanghai_window(half_m: float):
    """Real Shanghai street blocks (a square window) with households spread over them by area:
    fine atoms, as a district with complete building data would have."""
    osm = read_osm(shared_file("osm/shanghai_center_roads_large.osm"))
    crs = metric_crs(*osm.bounds)
    lines = border_lines(osm, crs)
    centre = shapely.centroid(shapely.union_all(lines.geometry.values))
    window = centre.buffer(half_m, cap_style="square")
    lines = lines[lines.intersects(window)]
    blocks = street_blocks(lines, window)
    rng = np.random.default_rng(1)
    hh = np.clip(blocks.area.to_numpy() / 400 * rng.lognormal(0, 0.5, len(blocks)), 0, 250)
    homes = gpd.GeoDataFrame(
        {"households": hh, "population": hh * 2.62, "elderly": hh * 0.49},
        geometry=blocks.geometry.representative_point().to_numpy(),
        crs=crs,
    )
    empty = gpd.GeoDataFrame({"compound_id": []}, geometry=[], crs=crs)
    return build_atoms(blocks, empty, homes, lines, window)


# --- completeness and land-use estimates on the shared extracts -------------------------------


@cache
def area_inputs(relative: str, landuse_homes: bool = True) -> AreaInputs:
    options = AccessOptions(osm=shared_file(relative), isochrones=False)
    return load_inputs(replace(options, landuse_homes=landuse_homes))


def mapped_homes(area: AreaInputs) -> gpd.GeoDataFrame:
    """The homes the data maps (buildings), not the estimate over land without buildings: the
    measures are of the data."""
    return area.homes[area.homes["estimated_from"] != "landuse"]


def building_frame(area: AreaInputs) -> gpd.GeoDataFrame:
    """Every building footprint of the extract, read from the tags here (not by shequ)."""
    feats = area.osm.features
    keep = feats["tags"].map(lambda t: t.get("building", "no") != "no") & feats.geom_type.isin(
        ["Polygon", "MultiPolygon"]
    )
    return feats.loc[keep, ["geometry"]].to_crs(area.crs)


def reference_empty_land(area: AreaInputs) -> set[str]:
    """Residential polygons that no building overlaps by any area and no home lies in."""
    comp = area.compounds[["osm_type", "osm_id", "geometry"]].copy()
    comp["ref"] = comp["osm_type"] + "/" + comp["osm_id"].astype(str)
    if comp.empty:
        return set()
    pieces = gpd.overlay(comp, building_frame(area), how="intersection", keep_geom_type=True)
    built = set(pieces.loc[pieces.area > 0, "ref"])
    joined = gpd.sjoin(mapped_homes(area)[["geometry"]], comp, predicate="within")
    return set(comp["ref"]) - built - set(joined["ref"])


def beijing_register(root: Path, run) -> tuple[gpd.GeoDataFrame, gpd.GeoDataFrame, Any]:
    """A grid register as a platform holds it, from a plan of the Beijing extract: ``run``
    (the test's ``shequ grids`` runner, called with ``--out``) plans into ``root / "base"``;
    codes are a permutation (as the platform numbered the grids) with names, written to
    ``root / "register.geojson"``; the plan's homes to ``root / "homes.csv"`` (a user's homes
    file). Returns the plan's grids (with ``code`` and ``网格名称``), its homes layer and the
    homes table."""
    import pandas as pd

    assert run("--out", str(root / "base")) in (0, None)
    grids = gpd.read_file(root / "base" / "shequ.gpkg", layer="grids")
    seq = np.random.default_rng(3).permutation(len(grids)) + 1
    grids["code"] = [f"110108012003{s:03d}" for s in seq]
    grids["网格名称"] = [f"六道口第{s}网格" for s in seq]
    grids.to_crs("EPSG:4326")[["code", "网格名称", "geometry"]].to_file(root / "register.geojson")
    homes = gpd.read_file(root / "base" / "shequ.gpkg", layer="homes")
    wgs = homes.to_crs("EPSG:4326")
    table = pd.DataFrame(
        {
            "home_id": homes["home_id"],
            "households": homes["households"],
            "lon": wgs.geometry.x,
            "lat": wgs.geometry.y,
        }
    )
    table.to_csv(root / "homes.csv", index=False)
    return grids, homes, table
