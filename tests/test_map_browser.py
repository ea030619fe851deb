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

A probe script chooses each kind in the panel's select box in turn, as a user would, opens every
tooltip then on the map (tooltips set their text through ``innerHTML``) and records
``typeof window.__xss`` and the title.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from shequ.maps import build_access_map, write_map
from shequ.maps.style import BLIND_SPOT_COLOR, FACILITY_COLOR, MINUTE_BINS, UNREACHABLE_COLOR
from tests.helpers import (
    EXPECTED,
    KINDS,
    XSS_IMG,
    count,
    open_page,
    probe_attrs,
    sample_inputs,
    with_probe,
)

pytestmark = pytest.mark.browser

SWITCH_PROBE = """
<script>
(function () {
  /* Choose each kind of the panel's select in turn (as a user would), open every tooltip of
     what is then on the map, and report; then show the kind KIND. */
  var opened = 0, select = document.querySelector('.shequ-kinds select'), map = null;
  Object.keys(window).forEach(function (key) {
    if (/^map_/.test(key) && window[key] instanceof L.Map) { map = window[key]; }
  });
  function choose(value) { select.value = value; select.dispatchEvent(new Event('change')); }
  Array.prototype.forEach.call(select.options, function (option) {
    if (option.disabled) { return; }
    choose(option.value);
    map.eachLayer(function (layer) {
      if (layer.getTooltip && layer.getTooltip()) { layer.openTooltip(); opened += 1; }
    });
  });
  choose('KIND');
  setTimeout(function () {
    var out = document.createElement('div');
    out.id = 'shequ-probe';
    out.setAttribute('data-xss', typeof window.__xss);
    out.setAttribute('data-opened', String(opened));
    out.setAttribute('data-title', document.querySelector('.shequ-title').textContent);
    document.body.appendChild(out);
  }, 1000);
})();
</script>
"""
INDEX = {"canteen": 0, "clinic": 1}  # the sample's kinds, in the select box


def write_sample(path: Path, **kwargs: object) -> Path:
    homes, facilities, isochrones = sample_inputs()
    return write_map(build_access_map(homes, facilities, isochrones, KINDS, **kwargs), path)


def assert_drawn(dom: str, kind: str) -> None:
    """What the map shows for ``kind``: its homes' colours and rings, facilities, areas."""
    homes, blind, facilities, unions, _per_facility = EXPECTED[kind]
    drawn = count(dom)
    assert drawn.paths == homes + facilities + unions
    # canteen minutes are 3, 7.5, 12, 22, NaN: one home per bin, then an unreachable one
    home_fills = (
        [minute_bin.color for minute_bin in MINUTE_BINS] + [UNREACHABLE_COLOR]
        if kind == "canteen"
        else [UNREACHABLE_COLOR] * homes
    )
    assert drawn.fills.get("leaflet-shequ-homes-pane", []) == home_fills
    # a blind spot is the home itself, ringed red: no second marker
    assert len(re.findall(f'stroke="{BLIND_SPOT_COLOR}"', dom)) == blind
    assert drawn.fills.get("leaflet-shequ-facilities-pane", []) == [FACILITY_COLOR] * facilities
    assert len(drawn.fills.get("leaflet-shequ-isochrones-pane", [])) == unions


@pytest.mark.parametrize("selected", ["canteen", "clinic"])
def test_page_draws_visible_features_offline(tmp_path: Path, selected: str) -> None:
    page = write_sample(tmp_path / "map.html", selected=selected)
    run = open_page(page, tmp_path)

    assert run.console == [], "\n".join(run.console)
    assert 'class="leaflet-container' in run.dom or "leaflet-container " in run.dom
    assert "shequ-kinds" in run.dom and "shequ-legend" in run.dom
    assert re.search(r"<input[^>]*checkbox", run.dom) is None  # one select box, no checkboxes
    assert len(re.findall(r"<select", run.dom)) == 1
    assert_drawn(run.dom, selected)
    assert run.requests == []


@pytest.mark.parametrize(("first", "then"), [("canteen", "clinic"), ("clinic", "canteen")])
def test_the_select_switches_the_kind_shown(tmp_path: Path, first: str, then: str) -> None:
    page = write_sample(tmp_path / "map.html", selected=first, lang="en")
    run = open_page(with_probe(page, SWITCH_PROBE.replace("KIND", str(INDEX[then]))), tmp_path)

    assert run.console == [], "\n".join(run.console)
    assert_drawn(run.dom, then)
    names = {"canteen": "Elderly meal point", "clinic": "Community clinic"}
    assert probe_attrs(run.dom)["data-title"] == f"15-minute living-circle audit: {names[then]}"
    assert f'data-kind="{INDEX[then]}"' in run.dom


def test_hostile_names_do_not_run(tmp_path: Path) -> None:
    page = write_sample(tmp_path / "map.html", lang="en")
    run = open_page(with_probe(page, SWITCH_PROBE.replace("KIND", "0")), tmp_path)

    assert run.console == [], "\n".join(run.console)
    probe = probe_attrs(run.dom)
    assert probe["data-xss"] == "undefined"
    # every feature of every kind had its tooltip opened: homes once per kind, the rest
    homes = EXPECTED["canteen"][0]
    expected = sum(homes + counts[2] + counts[3] for counts in EXPECTED.values())
    assert int(probe["data-opened"]) == expected
    # the homes' tooltips stay open; the canteen's facility and areas left the map with it
    assert count(run.dom).tooltips == homes
    # The hostile name is shown as text inside the tooltip, not parsed as markup.
    assert XSS_IMG.replace("<", "&lt;").replace(">", "&gt;") in run.dom
    assert re.search(r"<img[^>]*onerror", run.dom) is None
