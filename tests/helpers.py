"""Helpers shared by test modules: reading a map page, a headless Chromium that is offline, and
finding English sentences in what a ``--lang zh`` run printed.

Chromium runs with every host name unresolvable (``--host-resolver-rules``), as on an intranet
machine without internet, and with a fresh profile. From one run we read the DOM after load
(``--dump-dom``), console messages and the network log. ``PROBE`` is a script a test appends
to a page: it switches on every layer, opens every tooltip and records ``typeof window.__xss``.
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
