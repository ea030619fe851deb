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

import re
from pathlib import Path

import pytest

from shequ.maps import build_access_map, write_map
from shequ.maps.style import FACILITY_COLOR, MINUTE_BINS, UNREACHABLE_COLOR
from tests.helpers import (
    EXPECTED,
    KINDS,
    PROBE,
    TILE_HOST,
    XSS_IMG,
    count,
    open_page,
    sample_inputs,
)

pytestmark = pytest.mark.browser


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
