"""Hostile text in every field that reaches a map: shown verbatim, never run (all four commands).

Anyone can edit an OSM name, and homes, facility, candidate, grid and incident files come from
spreadsheets. branca re-renders rendered output as a Jinja2 template, so before the single-pass
renderer (:mod:`shequ.maps.render`) a name such as ``{{ lipsum.__globals__.os.makedirs(…) }}``
created a folder on the planner's machine and ``{{ 7*7 }}`` showed as 49. Here every text field
of every input (OSM ``name`` and another tag, homes and facilities names, candidate names, grid
codes and names, incident types) carries template syntax, ``</script>``, quotes and an
``<img onerror>``; each command must run, create nothing, and put the text on its page verbatim.
A browser pass opens every tooltip of every page and checks that no script ran.
"""

from __future__ import annotations

import contextlib
import html
import io
import re
from pathlib import Path
from xml.sax.saxutils import quoteattr

import folium
import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
from branca.element import Element

from shequ.cli import main
from shequ.maps.overlays import title_box
from shequ.maps.render import render_page
from tests.conftest import shared_file
from tests.helpers import PROBE, count, in_page, open_page

NANJING = "osm/nanjing_xinjiekou_small.osm"


def payloads(marker: Path, field: str) -> list[str]:
    """Two hostile texts for one field: one that runs code and computes if templated, one that
    breaks markup; each starts with the field's name, so every field is checked on its own.

    They are kept apart because an unclosed ``{#`` would make a template fail to compile before
    the code in the first could run: the first proves evaluation, the second parsing and markup.
    """
    run_code = (
        f"{field}:RUN{{{{ lipsum.__globals__.os.makedirs('{marker}', exist_ok=True) }}}}"
        "{{ 7*7 }}{% if true %}IF{% endif %}名称"
    )
    markup = (
        f'{field}:MARKUP{{# comment <img src=x onerror="window.__xss=1">'
        "</script><script>window.__xss=2</script> 'single' \"double\" `tick` &amp; {{"
    )
    return [run_code, markup]


def hostile_osm(source: Path, target: Path, texts: list[str]) -> Path:
    """The extract with every ``name`` (and ``operator``) value replaced by a hostile text."""
    xml = source.read_text(encoding="utf-8")
    counter = iter(range(10**9))

    def swap(match: re.Match[str]) -> str:
        text = texts[next(counter) % len(texts)]
        return f"<tag k={match.group(1)} v={quoteattr(text)}/>"

    xml = re.sub(r"<tag k=(\"(?:name|name:zh|operator)\") v=\"[^\"]*\"\s*/>", swap, xml)
    target.write_text(xml, encoding="utf-8")
    return target


def points_csv(path: Path, lon: np.ndarray, lat: np.ndarray, texts: list[str], **cols) -> Path:
    names = [texts[i % len(texts)] for i in range(len(lon))]
    pd.DataFrame({"name": names, "lon": lon, "lat": lat, **cols}).to_csv(path, index=False)
    return path


@pytest.fixture(scope="module")
def hostile(tmp_path_factory) -> dict[str, object]:
    """Hostile inputs around Nanjing Xinjiekou, and the folder a template would create."""
    work = tmp_path_factory.mktemp("payloads")
    marker = work / "PWNED"
    fields = ("osm", "homes", "facilities", "candidates", "grid_code", "grid_name", "type")
    texts = {field: payloads(marker, field) for field in fields}
    osm = hostile_osm(shared_file(NANJING), work / "nanjing_hostile.osm", texts["osm"])
    rng = np.random.default_rng(7)
    lon = 118.7790 + rng.uniform(0, 0.012, 12)
    lat = 32.0380 + rng.uniform(0, 0.010, 12)
    return {
        "work": work,
        "marker": marker,
        "texts": texts,
        "osm": osm,
        "homes": points_csv(work / "homes.csv", lon, lat, texts["homes"], households=40),
        "facilities": points_csv(work / "fac.csv", lon[:4] + 3e-4, lat[:4], texts["facilities"]),
        "candidates": points_csv(
            work / "cand.csv", lon[4:10] - 3e-4, lat[4:10], texts["candidates"]
        ),
    }


def _page(out: Path) -> str:
    return (out / "map.html").read_text(encoding="utf-8")


# The text fields each page shows (others reach the command but not its map: incident types
# and grid names are not drawn on the hotspot map). OSM names: see the test after.
SHOWN = {
    "access": ("homes", "facilities"),
    "site": ("homes", "candidates"),
    "grids": ("homes",),
    "hotspots": ("grid_code",),
}


def _assert_verbatim(page: str, texts: list[str], marker: Path) -> None:
    assert not marker.exists(), "a template in the data ran code"
    for text in texts:
        assert in_page(html.escape(text), page), f"not shown verbatim: {text[:40]}"


def _run(args: list[str]) -> None:
    err = io.StringIO()
    with contextlib.redirect_stderr(err), contextlib.redirect_stdout(io.StringIO()):
        code = main([*args, "--quiet", "--lang", "en"])
    assert code == 0, err.getvalue()


@pytest.fixture(scope="module")
def pages(hostile, tmp_path_factory) -> dict[str, Path]:
    """The four commands on the hostile inputs; each page's path."""
    out = tmp_path_factory.mktemp("pages")
    osm, homes = str(hostile["osm"]), str(hostile["homes"])
    runs = {
        "access": [
            "access", "--osm", osm, "--homes", homes, "--kinds", "clinic,kindergarten",
            "--facilities", str(hostile["facilities"]), "--kind", "clinic",
        ],
        "site": [
            "site", "--osm", osm, "--homes", homes, "--kind", "ebike_charging", "--p", "2",
            "--candidates", str(hostile["candidates"]), "--curve", "3",
        ],
        "grids": ["grids", "--osm", osm, "--homes", homes, "--households-per-grid", "120"],
    }  # fmt: skip
    for name, args in runs.items():
        _run([*args, "--out", str(out / name)])
    grids = gpd.read_file(out / "grids" / "shequ.gpkg", layer="grids")
    texts = hostile["texts"]
    grids["code"] = [texts["grid_code"][i % 2] + str(i) for i in range(len(grids))]
    grids["name"] = [texts["grid_name"][i % 2] for i in range(len(grids))]
    grids_file = hostile["work"] / "hostile_grids.geojson"
    grids[["code", "name", "geometry"]].to_crs("EPSG:4326").to_file(grids_file)
    homes_layer = gpd.read_file(out / "grids" / "shequ.gpkg", layer="homes").to_crs("EPSG:4326")
    rng = np.random.default_rng(3)
    pick = rng.choice(len(homes_layer), 400)
    incidents = pd.DataFrame(
        {
            "lon": homes_layer.geometry.x.to_numpy()[pick] + rng.normal(0, 2e-4, 400),
            "lat": homes_layer.geometry.y.to_numpy()[pick] + rng.normal(0, 2e-4, 400),
            "time": pd.date_range("2025-01-01", periods=400, freq="5h").strftime("%Y-%m-%d"),
            "type": [texts["type"][i % 2] for i in range(400)],
        }
    )
    incidents_file = hostile["work"] / "incidents.csv"
    incidents.to_csv(incidents_file, index=False)
    hot = [
        "hotspots", "--incidents", str(incidents_file), "--osm", osm, "--grids",
        str(grids_file), "--res", "10",
    ]  # fmt: skip
    _run([*hot, "--out", str(out / "hotspots")])
    return {name: out / name for name in ("access", "site", "grids", "hotspots")}


@pytest.mark.parametrize("command", ["access", "site", "grids", "hotspots"])
def test_hostile_text_is_verbatim_and_inert(pages, hostile, command):
    page = _page(pages[command])
    for field in SHOWN[command]:
        _assert_verbatim(page, hostile["texts"][field], hostile["marker"])
    assert "RUN49" not in page and "RUNIF" not in page  # no field, shown or not, was evaluated
    assert not list(Path.cwd().glob("PWNED*"))


def test_hostile_osm_names_are_verbatim_on_the_pages(pages, hostile):
    """Which OSM feature gets which of the two texts depends on the extract: each text must be
    shown verbatim on at least one page (the facilities' and exclusion reasons' names)."""
    all_pages = "".join(_page(path) for path in pages.values())
    _assert_verbatim(all_pages, hostile["texts"]["osm"], hostile["marker"])


@pytest.mark.browser
@pytest.mark.parametrize("command", ["access", "site", "grids", "hotspots"])
def test_hostile_text_does_not_run_in_the_browser(pages, hostile, command, tmp_path):
    probed = tmp_path / "probed.html"
    probed.write_text(_page(pages[command]).replace("</html>", PROBE + "</html>"), "utf-8")
    run = open_page(probed, tmp_path)
    result = count(run.dom)
    assert result.probe.get("data-xss") == "undefined"
    assert re.search(r"<img[^>]*onerror", run.dom) is None
    assert not hostile["marker"].exists()


def test_an_element_that_renders_twice_is_refused():
    """folium.Popup re-renders its output as a template: such an element never reaches a page."""
    m = folium.Map(tiles=None)
    folium.Marker([32.0, 118.8], popup=folium.Popup("{{ 7*7 }}")).add_to(m)
    with pytest.raises(TypeError, match="Popup"):
        render_page(m)


def test_a_shequ_element_renders_its_text_once():
    m = folium.Map(tiles=None)
    title_box(html.escape("{{ 7*7 }}{% if true %}x{% endif %}")).add_to(m)
    page = render_page(m)
    assert "{{ 7*7 }}{% if true %}x{% endif %}" in page


def test_template_text_in_the_page_head_is_refused():
    """The head, body and script containers are checked too, not only the map's children."""
    m = folium.Map(tiles=None)
    m.get_root().html.add_child(Element("X{{ 7*7 }}X"))
    with pytest.raises(TypeError, match="Element"):
        render_page(m)


def test_a_page_can_be_rendered_again():
    """Rendering adds folium helpers (Marker.SetIcon) to the tree; a second render accepts them
    and still shows the text once per place it is used (title and icon)."""
    m = folium.Map(tiles=None)
    title_box(html.escape("{{ 7*7 }}")).add_to(m)
    folium.Marker([32.0, 118.8], icon=folium.DivIcon(html="{{ 7*7 }}")).add_to(m)
    assert render_page(m).count("{{ 7*7 }}") == 2
    again = render_page(m)
    assert again.count("{{ 7*7 }}") == 2


def test_other_folium_pages_render_as_before():
    """Outside render_page folium keeps its own two-pass rendering (other users unaffected)."""
    render_page(folium.Map(tiles=None))  # the wrapper is installed now
    m = folium.Map(tiles=None)
    folium.Marker([32.0, 118.8], popup=folium.Popup("plain")).add_to(m)
    assert "plain" in m.get_root().render()
