"""The page every shequ map is drawn on, and the small helpers its layers share.

An offline folium map (Leaflet inlined, :mod:`shequ.maps.assets`) with the page title and
language, the shared CSS and tooltip helper (:mod:`shequ.maps.overlays`) and a metric scale bar;
no basemap tiles (the basemap is drawn from the data, :mod:`shequ.maps.basemap`); plus the
helpers each GeoJSON layer uses: a style function keyed on feature ids, a tooltip of labelled
rows, and fitting the view to the data drawn.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import folium
import geopandas as gpd
from branca.element import MacroElement
from folium.template import Template

from shequ.maps.assets import make_offline
from shequ.maps.escape import esc
from shequ.maps.labels import label
from shequ.maps.overlays import PageStyle, RawHtml, tooltip_js

DEFAULT_VIEW = ([35.0, 105.0], 4)  # all of China, for a map with no data at all
MAX_FIT_ZOOM = 17


PAGE_LANG = {"zh": "zh-CN", "en": "en"}
"""The page's ``<html lang>`` per language (screen readers, fonts, translation prompts)."""


class MetricScale(MacroElement):
    """Leaflet's scale bar in metres only (folium's ``control_scale`` adds feet and miles)."""

    _template = Template(
        """
        {% macro script(this, kwargs) %}
        L.control.scale({metric: true, imperial: false}).addTo({{ this._parent.get_name() }});
        {% endmacro %}
        """
    )


def new_map(title_text: str, lang: str) -> folium.Map:
    """An empty offline map titled ``title_text`` (already escaped), in ``lang``.

    The ``<title>`` goes after the charset ``<meta>`` (branca's ``Figure.title`` would precede
    it, and the charset must come before any CJK text). The page has no basemap until one is
    added (:func:`shequ.maps.basemap.add_basemap`): by default it requests nothing.
    """
    location, zoom = DEFAULT_VIEW
    m = folium.Map(location=location, zoom_start=zoom, tiles=None, control_scale=False)
    make_offline(m)
    root = m.get_root()
    root.shequ_lang = PAGE_LANG[lang]  # written on <html> by shequ.maps.render.render_page
    root.header.add_child(RawHtml(f"<title>{title_text}</title>"), name="title", index=1)
    root.header.add_child(PageStyle(), name="shequ_page_style")
    MetricScale().add_to(m)
    return m


def add_panes(m: folium.Map, panes: Sequence[tuple[str, int]]) -> None:
    """Leaflet panes (name, z-index) that fix the drawing order of the layers."""
    for pane, z_index in panes:
        folium.map.CustomPane(pane, z_index=z_index, pointer_events=True).add_to(m)


def style_by_id(styles: Sequence[dict[str, Any]]) -> Callable[[dict[str, Any]], dict[str, Any]]:
    """Style function for folium keyed on the feature ids that ``features.collection`` set."""
    return lambda feature: styles[feature["id"]]


def tooltip_rows(rows: Sequence[tuple[str, str]], lang: str) -> list[tuple[str, str]]:
    """(property, label key) rows as (property, escaped label in ``lang``)."""
    return [(key, esc(label(name, lang)) or "") for key, name in rows]


def label_tooltip(rows: Sequence[tuple[str, str]], lang: str) -> folium.JsCode:
    """``onEachFeature`` JS: a tooltip of (GeoJSON property, label key) rows in ``lang``."""
    return folium.JsCode(tooltip_js(tooltip_rows(rows, lang)))


def frames_bounds(frames: Sequence[gpd.GeoDataFrame | None]) -> list[list[float]] | None:
    """[[south, west], [north, east]] around every non-empty geometry, or None if there is none."""
    boxes = []
    for frame in frames:
        if frame is None:
            continue
        geoms = frame.geometry[~(frame.geometry.isna() | frame.geometry.is_empty)]
        if len(geoms):
            boxes.append(geoms.total_bounds)
    if not boxes:
        return None
    west = min(float(box[0]) for box in boxes)
    south = min(float(box[1]) for box in boxes)
    east = max(float(box[2]) for box in boxes)
    north = max(float(box[3]) for box in boxes)
    return [[south, west], [north, east]]


def fit_to_data(m: folium.Map, frames: Sequence[gpd.GeoDataFrame | None]) -> None:
    """Zoom the map to the data in ``frames`` (EPSG:4326); keep the default view if none."""
    bounds = frames_bounds(frames)
    if bounds is not None:
        m.fit_bounds(bounds, padding=(20, 20), max_zoom=MAX_FIT_ZOOM)
