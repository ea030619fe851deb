"""The access map in a real browser: headless Chromium, offline, no extra Python dependency.

Chromium runs with every host name unresolvable (``--host-resolver-rules``), as on an intranet
machine without internet, and with a fresh profile. From one run we read:

- the DOM after load (``--dump-dom``, with ``--virtual-time-budget`` so timers and tile errors
  settle first): the number of ``path.leaflet-interactive`` SVG elements is the number of
  features Leaflet actually drew in the visible layers;
- console messages (``--enable-logging=stderr``): Chromium logs every ``console.*`` call and
  uncaught exception as a ``CONSOLE`` line, without its level, so the page must log nothing;
- the network log (``--log-net-log``): every request the page made; only basemap tiles may go
  to the network.

A second run adds a probe script that switches on every layer, opens every tooltip (tooltips
set their text through ``innerHTML``) and records ``typeof window.__xss``.
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from dataclasses import dataclass
from html.parser import HTMLParser
from pathlib import Path

import pytest

from shequ.maps import build_access_map, write_map
from shequ.maps.style import FACILITY_COLOR, MINUTE_BINS, UNREACHABLE_COLOR
from tests.test_map import EXPECTED, KINDS, XSS_IMG, sample_inputs

pytestmark = pytest.mark.browser

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

PROBE = """
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


def write_sample(path: Path, **kwargs: object) -> Path:
    homes, facilities, isochrones = sample_inputs()
    return write_map(build_access_map(homes, facilities, isochrones, KINDS, **kwargs), path)


@pytest.mark.parametrize("selected", ["canteen", "clinic"])
def test_page_draws_visible_features_offline(tmp_path: Path, selected: str) -> None:
    page = write_sample(tmp_path / "map.html", selected=selected)
    run = open_page(page, tmp_path)

    assert run.console == [], "\n".join(run.console)
    assert 'class="leaflet-container' in run.dom or "leaflet-container " in run.dom
    assert "leaflet-control-layers" in run.dom and "shequ-legend" in run.dom
    homes, blind, facilities, unions, _per_facility = EXPECTED[selected]
    drawn = count(run.dom)
    assert drawn.paths == homes + blind + facilities + unions
    # canteen minutes are 3, 7.5, 12, 22, NaN: one home per bin, then an unreachable one
    home_fills = (
        [minute_bin.color for minute_bin in MINUTE_BINS] + [UNREACHABLE_COLOR]
        if selected == "canteen"
        else [UNREACHABLE_COLOR] * homes
    )
    assert drawn.fills.get("leaflet-shequ-homes-pane", []) == home_fills
    assert drawn.fills.get("leaflet-shequ-blind-spots-pane", []) == ["none"] * blind
    assert drawn.fills.get("leaflet-shequ-facilities-pane", []) == [FACILITY_COLOR] * facilities
    assert len(drawn.fills.get("leaflet-shequ-isochrones-pane", [])) == unions
    assert [url for url in run.requests if not url.startswith(TILE_HOST)] == []


def test_hostile_names_do_not_run(tmp_path: Path) -> None:
    page = write_sample(tmp_path / "map.html", lang="en")
    probed = tmp_path / "probed.html"
    probed.write_text(
        page.read_text(encoding="utf-8").replace("</html>", PROBE + "</html>"), encoding="utf-8"
    )
    run = open_page(probed, tmp_path)

    assert run.console == [], "\n".join(run.console)
    result = count(run.dom)
    assert result.probe.get("data-xss") == "undefined"
    opened = int(result.probe.get("data-opened") or 0)
    # Every feature of every layer has a tooltip: all layers are on now.
    assert opened == sum(sum(counts) for counts in EXPECTED.values())
    assert result.tooltips == opened
    # The hostile name is shown as text inside the tooltip, not parsed as markup.
    assert XSS_IMG.replace("<", "&lt;").replace(">", "&gt;") in run.dom
    assert re.search(r"<img[^>]*onerror", run.dom) is None
