"""The risk-hotspot map (风险热点): H3 cells by warning level, with the statistics behind them.

It draws what ``shequ hotspots`` hands it: every H3 cell coloured by its warning level
(红橙黄蓝, or 红黄蓝 in the three-colour scheme), and, to switch on, the Gi* confidence bins
(hot and cold spots at 90/95/99 %), the kernel density of incidents, the emerging trends and the
per-grid roll-up. Hovering a cell shows its level, index and incidents; a click opens the full
record: incidents and rate, Gi* z and p and class (also after FDR correction), local Moran's I,
density, trend, exposure, and the factor breakdown of the risk index (each factor's raw value
and its 0–1 percentile rank). The legend shows the scheme of every layer switched on, and under the
levels the rule that set them in one sentence (significance and index, or shares of cells: see
:mod:`shequ.analyses.risk_index`), so the reader of a printed map knows what a colour claims.

Keeping the page lean
---------------------
A study area has thousands of cells and the themes draw the same hexagons, so everything about
the cells is written once, in one shared table in the page head (``shequHotspotCells``): each
cell's geometry (coordinates rounded to 6 decimals) and every popup text, already escaped.
Each theme is then one Leaflet GeoJSON layer (:class:`CellLayer`) listed as (cell row, style
number) pairs and built in the page from the table; tooltips and popups are made from it when
they open. For the 3,624 Sacramento cells the page is 1.6 MB, where embedding each theme's
GeoJSON made 4.2 MB. The Gi* and density overlays skip cells with no incidents and a zero
index (nothing to show), the trend overlay skips cells without a trend.

A city holds millions of cells: above :data:`shequ.maps.hotspot_large.MAX_CELL_FEATURES` the
map is built by :mod:`shequ.maps.hotspot_large` instead (the blue majority drawn as one area,
the other cells packed and drawn as canvas tiles, popups built in the page from numbers, the
density per parent cell); on the 16 × 16 mosaic's 2.05 M cells its page is 25 MB, where this
table would take about 900 MB.

Every text from the data (cell ids, level, trend, factor and grid names) is HTML-escaped
(:mod:`shequ.maps.escape`); the fixed words come from :mod:`shequ.maps.labels`.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import folium
import geopandas as gpd
import numpy as np
import shapely
from branca.element import MacroElement
from folium.map import Layer
from folium.template import Template
from shapely.geometry import mapping

from shequ.i18n import render_note
from shequ.maps.escape import as_float, esc, fmt_number, is_missing, script_json
from shequ.maps.features import (
    COORD_DIGITS,
    collection,
    column,
    feature,
    require_columns,
    to_wgs84,
)
from shequ.maps.labels import check_lang, label
from shequ.maps.overlays import HtmlBox, RawHtml, title_box
from shequ.maps.page import add_panes, fit_to_data, label_tooltip, new_map, style_by_id
from shequ.maps.style import (
    GI_BIN_COLORS,
    LEVEL_COLORS,
    LEVEL_OUTLINES,
    LEVEL_WEIGHTS,
    NO_DATA_COLOR,
    RISK_GRID_OUTLINE,
    RISK_LEVELS,
    THREE_COLOUR_LEVELS,
    TREND_COLORS,
    gi_bin_style,
    kde_color,
    kde_style,
    level_style,
    risk_grid_style,
    trend_style,
)

# Drawing order whatever order layers are switched on in (Leaflet's overlayPane is 400):
# levels, density, Gi* bins, trends, grids on top.
PANE_LEVELS = ("shequ-hs-levels", 390)
PANE_KDE = ("shequ-hs-kde", 392)
PANE_GI = ("shequ-hs-gi", 394)
PANE_TREND = ("shequ-hs-trend", 396)
PANE_GRIDS = ("shequ-hs-grids", 398)

CELL_REQUIRED = ("h3", "count", "index", "level")
GRID_REQUIRED = ("grid_id", "level")

TABLE_JS_NAME = "shequHotspotCells"
"""The page's shared cell table (see the module docstring)."""

CELL_FIELDS = (
    ("h3", "hs_h3"),
    ("lv", "hs_level"),
    ("ix", "hs_index"),
    ("n", "hs_incidents"),
    ("rt", "hs_rate_cell"),  # "hs_rate_households" when the cells have households
    ("z", "hs_gi_z"),
    ("p", "hs_gi_p"),
    ("b", "hs_gi_bin"),
    ("bf", "hs_gi_bin_fdr"),
    ("mi", "hs_moran_i"),
    ("mp", "hs_moran_p"),
    ("kd", "hs_kde"),
    ("tr", "hs_trend"),
    ("hh", "households"),
    ("pop", "population"),
    ("el", "elderly"),
    ("es", "hs_elderly_share"),
)
"""The rows of a cell's popup: (key, label key); the first (the H3 id) heads it."""
TIP_FIELDS = ("lv", "ix", "n")
"""The rows of a cell's tooltip."""

GI_BIN_KEYS = (
    "hs_gi_cold99",
    "hs_gi_cold95",
    "hs_gi_cold90",
    "hs_gi_ns",
    "hs_gi_hot90",
    "hs_gi_hot95",
    "hs_gi_hot99",
)
"""Label key per Gi* bin −3 … 3 (index ``bin + 3``)."""

LEVEL_DRAW_ORDER = (None, *reversed(RISK_LEVELS))
"""Style numbers of the levels layer: no data, blue … red; drawn in this order, so the heavier
outlines of higher levels lie on top."""
TREND_ORDER = tuple(TREND_COLORS)
"""Style numbers of the trend layer."""

KDE_CLASSES = 6
"""Density classes: quantiles of the drawn cells' densities, rounded to 2 significant digits."""

GRID_TIP = (
    ("c", "grid_code"),
    ("id", "grid_id"),
    ("lv", "hs_level"),
    ("n", "hs_incidents"),
    ("nc", "hs_grid_cells"),
    ("mi", "hs_mean_index"),
    ("hc", "hs_hot_cells"),
)

_CSS = """
.shequ-legend .shequ-note { color: #555; }
.shequ-legend .shequ-hs-sec + .shequ-hs-sec { margin-top: 8px; }
.shequ-popup h4 { margin: 0 0 4px; font-size: 13px; }
.shequ-popup h5 { margin: 8px 0 2px; font-size: 12px; }
.shequ-popup th { text-align: left; padding-right: 8px; font-weight: normal; color: #555; }
.shequ-popup td { white-space: nowrap; padding-right: 6px; }
.shequ-hs-sw { display: inline-block; width: 11px; height: 11px; margin-right: 4px;
  vertical-align: -1px; box-sizing: border-box; border: 2px solid; }
.shequ-hs-bar { display: inline-block; width: 48px; height: 8px; margin-right: 4px;
  background: #eee; border: 1px solid #bbb; vertical-align: 0; }
.shequ-hs-bar b { display: block; height: 100%; background: #6a51a3; }
"""

_CELL_JS = (
    """
function shequHsText(value) { return value === null || value === undefined ? '' : value; }
function shequHsLevel(t, row) {
  /* The level's text with a swatch of its fill and outline (texts were escaped in Python). */
  var text = shequHsText(row[1]), cls = row[t.fields.length];
  if (!text || cls < 0) { return text; }
  var c = t.levels[cls];
  return '<i class="shequ-hs-sw" style="background:' + c[0] + ';border-color:' + c[1]
    + '"></i>' + text;
}
function shequHsRows(t, row, keys) {
  var body = '';
  for (var k = 0; k < t.fields.length; k++) {
    if (keys && keys.indexOf(t.fields[k][0]) < 0) { continue; }
    var value = k === 1 ? shequHsLevel(t, row) : shequHsText(row[k]);
    if (value === '' || k === 0) { continue; }
    body += '<tr><th>' + t.fields[k][1] + '</th><td>' + value + '</td></tr>';
  }
  return body;
}
function shequHsTip(i) {
  var t = window.TABLE, body = shequHsRows(t, t.rows[i], t.tip);
  return body ? '<table>' + body + '</table>' : '';
}
function shequHsPopup(i) {
  var t = window.TABLE, row = t.rows[i], n = t.fields.length;
  var html = '<div class="shequ-popup"><h4>' + t.fields[0][1] + ' ' + shequHsText(row[0])
    + '</h4><table>' + shequHsRows(t, row, null) + '</table>';
  var factors = '';
  for (var j = 0; j < t.factors.length; j++) {
    var value = row[n + 1 + 2 * j], rank = row[n + 2 + 2 * j];
    if ((value === null || value === undefined) && (rank === null || rank === undefined)) {
      continue;
    }
    var r = parseFloat(rank), bar = '';
    if (!isNaN(r)) {
      bar = '<span class="shequ-hs-bar"><b style="width:'
        + Math.round(Math.max(0, Math.min(1, r)) * 100) + '%"></b></span>';
    }
    factors += '<tr><th>' + t.factors[j] + '</th><td>' + (shequHsText(value) || '–')
      + '</td><td>' + bar + (shequHsText(rank) || '–') + '</td></tr>';
  }
  if (factors) {
    html += '<h5>' + t.labels.factors + '</h5><table class="shequ-hs-factors"><tr><th>'
      + t.labels.factor + '</th><th>' + t.labels.value + '</th><th>' + t.labels.rank
      + '</th></tr>' + factors + '</table>';
  }
  return html + '</div>';
}
function shequHsFeatures(pairs) {
  /* GeoJSON features of one theme from its (cell row, style number) pairs. */
  var t = window.TABLE, out = [];
  for (var k = 0; k < pairs.length; k++) {
    out.push({type: 'Feature', id: k, geometry: t.geoms[pairs[k][0]],
      properties: {i: pairs[k][0], s: pairs[k][1]}});
  }
  return out;
}
function shequHsStyle(styles) {
  return function (feature) { return styles[feature.properties.s]; };
}
function shequHsCell() {
  /* onEachFeature of every cell layer: tooltip and popup from the shared table, made when
     they open; a dark outline under the mouse. */
  return function (feature, layer) {
    var i = feature.properties.i, saved = null;
    layer.bindTooltip(function () { return shequHsTip(i); },
      {sticky: true, className: 'shequ-tip'});
    layer.bindPopup(function () { return shequHsPopup(i); }, {maxWidth: 420});
    layer.on('mouseover', function () {
      var o = layer.options;
      saved = {stroke: o.stroke, color: o.color, weight: o.weight, opacity: o.opacity};
      layer.setStyle({stroke: true, color: '#000000', weight: 3, opacity: 1});
    });
    layer.on('mouseout', function () {
      if (saved) { layer.setStyle(saved); saved = null; }
    });
  };
}
"""
).replace("TABLE", TABLE_JS_NAME)


class CellLayer(Layer):
    """One theme of the cells: a Leaflet GeoJSON layer built in the page from the shared cell
    table (see the module docstring).

    ``features`` lists (cell row, style number) pairs in drawing order; ``styles`` the Leaflet
    path styles they number. ``name`` must be escaped.
    """

    _template = Template(
        """
        {% macro script(this, kwargs) %}
        var {{ this.get_name() }} = L.geoJson(shequHsFeatures({{ this.features_json }}), {
            pane: {{ this.pane_json }},
            style: shequHsStyle({{ this.styles_json }}),
            onEachFeature: shequHsCell()
        });
        {% endmacro %}
        """
    )

    def __init__(
        self,
        features: Sequence[tuple[int, int]],
        styles: Sequence[dict[str, Any]],
        *,
        name: str,
        pane: str,
        show: bool = True,
    ) -> None:
        super().__init__(name=name, overlay=True, control=True, show=show)
        self._name = "CellLayer"
        self.features = [(int(row), int(number)) for row, number in features]
        self.styles = list(styles)
        self.pane = pane
        self.features_json = script_json([list(pair) for pair in self.features])
        self.styles_json = script_json(self.styles)
        self.pane_json = script_json(pane)


class _LegendSync(MacroElement):
    """Shows each legend section only while its layer is on the map."""

    _template = Template(
        """
        {% macro script(this, kwargs) %}
        (function () {
          var map = {{ this._parent.get_name() }}, links = {{ this.links }};
          function update() {
            links.forEach(function (link) {
              var section = document.getElementById(link[0]), layer = window[link[1]];
              if (section && layer) {
                section.style.display = map.hasLayer(layer) ? '' : 'none';
              }
            });
          }
          map.on('overlayadd overlayremove', update);
          update();
        })();
        {% endmacro %}
        """
    )

    def __init__(self, links: Sequence[tuple[str, str]]) -> None:
        super().__init__()
        self._name = "LegendSync"
        self.links = script_json([list(link) for link in links])


def build_hotspot_map(
    cells: gpd.GeoDataFrame,
    *,
    grids: gpd.GeoDataFrame | None = None,
    lang: str = "zh",
    three_colour: bool = False,
    title: str | None = None,
    level_rule: str | None = None,
    max_cells: int | None = None,
) -> folium.Map:
    """Build the interactive risk-hotspot map (风险热点).

    Parameters
    ----------
    cells : GeoDataFrame
        H3 hexagons (any CRS; drawn in WGS-84) with ``h3``, ``count``, ``index`` (0–1) and
        ``level`` ("red", "orange", "yellow", "blue"); optional ``gi_z``, ``gi_p``, ``bin``
        and ``bin_fdr`` (ArcGIS Gi_Bin, −3 … 3), ``moran_i``, ``moran_p``, ``kde`` (incidents
        per km²), ``trend`` ("", "new", "intensifying", "persistent", "diminishing"),
        ``households``, ``population``, ``elderly``, ``rate``, ``elderly_share``,
        raw factor columns (``dist_fire_station_m`` …) and ``rank_<factor>``, the 0–1
        percentile rank of each factor of the index (shown with the raw ``<factor>`` value).
        A missing optional column leaves its popup row out; without ``bin``, ``kde`` or
        ``trend`` that overlay is empty.
    grids : GeoDataFrame, optional
        Grid polygons of the roll-up: ``grid_id``, ``level``; optional ``code``,
        ``incidents``, ``cells``, ``mean_index``, ``hot_cells``. Hidden at first.
    lang : {"zh", "en"}
        Language of every fixed text.
    three_colour : bool
        Draw the three-colour scheme (红黄蓝): orange cells and grids are drawn, counted and
        named as red.
    title : str, optional
        Replaces the default title.
    level_rule : str, optional
        The rule that set the levels in one sentence, shown under the level legend: a
        :class:`~shequ.i18n.Note` (``hs.rule_significance`` / ``hs.rule_quota``, from
        :meth:`shequ.analyses.risk_index.LevelRule.describe`) is rendered in ``lang``. The
        grids' note follows the grids' ``level_rule`` column (``significance``: their own
        excess of incidents; else their density rank).
    max_cells : int, optional
        Above this many cells (default
        :data:`shequ.maps.hotspot_large.MAX_CELL_FEATURES`) the map of a city is built
        (:func:`shequ.maps.hotspot_large.build_large_hotspot_map`): the blue cells drawn as
        one area, the density per parent cell, popups built in the page from numbers.

    Returns
    -------
    folium.Map
        Write it with :func:`shequ.maps.write_map`. The cell levels are shown; the Gi* bins,
        density, trends and grids start hidden, each with its legend section.
    """
    check_lang(lang)
    three_colour = bool(three_colour)
    from shequ.maps.hotspot_large import MAX_CELL_FEATURES, build_large_hotspot_map

    limit = MAX_CELL_FEATURES if max_cells is None else int(max_cells)
    if cells is not None and len(cells) > limit:
        require_columns(cells, CELL_REQUIRED, "cells")
        if grids is not None and len(grids):
            require_columns(grids, GRID_REQUIRED, "grids")
        return build_large_hotspot_map(
            cells,
            grids=grids,
            lang=lang,
            three_colour=three_colour,
            title_text=esc(title) or esc(label("hs_title", lang)) or "",
            level_rule=level_rule,
        )
    cells_4326 = to_wgs84(cells, "cells")
    grids_4326 = to_wgs84(grids, "grids")
    if cells_4326 is not None:
        require_columns(cells_4326, CELL_REQUIRED, "cells")
    if grids_4326 is not None:
        require_columns(grids_4326, GRID_REQUIRED, "grids")

    title_text = esc(title) or esc(label("hs_title", lang)) or ""
    m = new_map(title_text, lang)
    table = cell_table(cells_4326, lang, three_colour=three_colour)
    header = m.get_root().header
    header.add_child(RawHtml(f"<style>{_CSS}</style>"), name="shequ_hotspot_style")
    header.add_child(
        RawHtml(f"<script>var {TABLE_JS_NAME} = {script_json(table)};\n{_CELL_JS}</script>"),
        name="shequ_hotspot_js",
    )
    add_panes(m, (PANE_LEVELS, PANE_KDE, PANE_GI, PANE_TREND, PANE_GRIDS))

    drawn = [geom is not None for geom in table["geoms"]]
    scheme = THREE_COLOUR_LEVELS if three_colour else RISK_LEVELS
    levels = [level_key(value, three_colour) for value in column_or_empty(cells_4326, "level")]
    counts: dict[str | None, int] = {level: levels.count(level) for level in scheme}
    if None in levels:
        counts[None] = levels.count(None)

    layers: dict[str, Layer] = {}
    pairs = level_features(levels, drawn)
    styles = [level_style(level) for level in LEVEL_DRAW_ORDER]
    layers["levels"] = _cell_layer(m, pairs, styles, "hs_levels_layer", PANE_LEVELS, lang, True)
    pairs = gi_features(cells_4326, drawn)
    bins = [number - 3 for _, number in pairs]
    styles = [gi_bin_style(value) for value in range(-3, 4)]
    layers["gi"] = _cell_layer(m, pairs, styles, "hs_gi_layer", PANE_GI, lang, False)
    pairs, breaks = kde_features(cells_4326, drawn)
    styles = [kde_style(value, len(breaks) + 1) for value in range(len(breaks) + 1)]
    layers["kde"] = _cell_layer(m, pairs, styles, "hs_kde_layer", PANE_KDE, lang, False)
    pairs = trend_features(cells_4326, drawn)
    trends = [TREND_ORDER[number] for _, number in pairs]
    styles = [trend_style(value) for value in TREND_ORDER]
    layers["trend"] = _cell_layer(m, pairs, styles, "hs_trend_layer", PANE_TREND, lang, False)
    if grids is not None:
        data, grid_levels = grid_features(grids_4326, lang, three_colour=three_colour)
        layers["grids"] = folium.GeoJson(
            data,
            name=esc(label("hs_grids_layer_own", lang)),
            show=False,
            style_function=style_by_id([risk_grid_style(level) for level in grid_levels]),
            on_each_feature=label_tooltip(GRID_TIP, lang),
            pane=PANE_GRIDS[0],
        )
        layers["grids"].add_to(m)

    folium.LayerControl(collapsed=False).add_to(m)
    title_box(title_text).add_to(m)
    sections = {
        "levels": level_legend(
            counts, cells_4326, lang, three_colour=three_colour, rule=level_rule
        ),
        "gi": gi_legend(bins, cells_4326, lang),
        "kde": kde_legend(breaks, lang),
        "trend": trend_legend(trends, lang),
    }
    if "grids" in layers:
        significance = "significance" in column_or_empty(grids_4326, "level_rule")
        sections["grids"] = grids_legend(lang, three_colour=three_colour, significance=significance)
    add_legend_sections(m, sections, layers)
    fit_to_data(m, [cells_4326, grids_4326])
    return m


def add_legend_sections(m: folium.Map, sections: dict[str, str], layers: dict) -> None:
    """One legend box of ``sections`` (escaped HTML per layer key), the levels' shown and each
    other one shown while its layer is on."""
    hidden = ' style="display:none"'
    html = [
        f'<div id="shequ-hs-sec-{key}" class="shequ-hs-sec"{"" if key == "levels" else hidden}>'
        f"{body}</div>"
        for key, body in sections.items()
    ]
    HtmlBox("\n".join(html), "shequ-legend").add_to(m)
    _LegendSync([(f"shequ-hs-sec-{key}", layers[key].get_name()) for key in sections]).add_to(m)


def _cell_layer(
    m: folium.Map,
    pairs: list[tuple[int, int]],
    styles: list[dict[str, Any]],
    key: str,
    pane: tuple[str, int],
    lang: str,
    show: bool,
) -> CellLayer:
    layer = CellLayer(pairs, styles, name=esc(label(key, lang)) or key, pane=pane[0], show=show)
    layer.add_to(m)
    return layer


# --- values and texts -------------------------------------------------------------------------


def column_or_empty(frame: gpd.GeoDataFrame | None, name: str) -> list[Any]:
    """Values of an optional column; none when the frame is missing."""
    return [] if frame is None else column(frame, name)


def level_key(value: Any, three_colour: bool) -> str | None:
    """The warning level a cell or grid is drawn at: one of :data:`RISK_LEVELS` (orange
    becomes red in the three-colour scheme), or None for a missing or unknown value."""
    if is_missing(value):
        return None
    text = str(value).strip().lower()
    if text not in RISK_LEVELS:
        return None
    return "red" if three_colour and text == "orange" else text


def level_text(value: Any, lang: str, three_colour: bool) -> str | None:
    """The level's escaped name ("橙色 (二级)", "red (high)" …), or the data's own escaped
    text when it is not a known level."""
    key = level_key(value, three_colour)
    if key is None:
        return esc(value)
    return esc(label(f"hs_level3_{key}" if three_colour else f"hs_level_{key}", lang))


def gi_bin(value: Any) -> int | None:
    """A Gi* bin −3 … 3, or None when the value is missing or out of range."""
    number = as_float(value)
    if number is None or number != round(number) or abs(number) > 3:
        return None
    return int(number)


def gi_bin_text(value: Any, lang: str) -> str | None:
    """A Gi* bin's escaped name ("hot spot, 99% confidence" …), else the value escaped."""
    b = gi_bin(value)
    return esc(value) if b is None else esc(label(GI_BIN_KEYS[b + 3], lang))


def trend_key(value: Any) -> str | None:
    """An emerging-trend category of :data:`~shequ.maps.style.TREND_COLORS`, or None."""
    if is_missing(value):
        return None
    text = str(value).strip().lower()
    return text if text in TREND_COLORS else None


def trend_text(value: Any, lang: str) -> str | None:
    key = trend_key(value)
    return esc(value) if key is None else esc(label(f"hs_trend_{key}", lang))


def significant(value: Any, digits: int = 3) -> str | None:
    """A number with ``digits`` significant digits, trailing zeros dropped (0.001, 9.77,
    1250)."""
    number = as_float(value)
    if number is None:
        return None
    if number == 0:
        return "0"
    decimals = digits - 1 - math.floor(math.log10(abs(number)))
    number = round(number, decimals)
    text = f"{number:.{max(decimals, 0)}f}"
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    return "0" if text in ("-0", "") else text


def fixed(value: Any, decimals: int) -> str | None:
    number = as_float(value)
    return None if number is None else f"{number:.{decimals}f}"


def percent(value: Any) -> str | None:
    number = as_float(value)
    return None if number is None else f"{number:.0%}"


def factor_names(cells: gpd.GeoDataFrame | None) -> list[str]:
    """The factors of the index, in column order: every ``rank_<factor>`` column."""
    if cells is None:
        return []
    return [str(name)[5:] for name in cells.columns if str(name).startswith("rank_")]


def factor_label(name: str, lang: str) -> str:
    """The factor's escaped display name (到消防站距离 …); an unknown factor by its name."""
    try:
        return esc(label(f"hs_factor_{name}", lang)) or ""
    except KeyError:
        return esc(name) or ""


def factor_value(name: str, value: Any) -> str | None:
    """A factor's raw value: metres whole, shares in per cent, z-scores with 2 decimals."""
    if name.endswith("_m"):
        return fmt_number(value, 0)
    if name.endswith("_share"):
        return percent(value)
    if name.endswith("_z"):
        return fixed(value, 2)
    return significant(value)


# --- the shared cell table --------------------------------------------------------------------


def cell_table(
    cells: gpd.GeoDataFrame | None, lang: str, *, three_colour: bool = False
) -> dict[str, Any]:
    """Everything a cell's tooltip and popup show, as one JSON-ready table.

    ``fields`` lists (key, escaped label) per popup row (:data:`CELL_FIELDS`); ``factors`` the
    escaped factor names; ``levels`` (fill, outline) per level of the scheme; ``rows`` one
    list per cell, in the frame's order: the escaped text of each field (None when missing),
    the cell's level number in ``levels`` (−1 for none), then (raw value, rank) per factor;
    ``geoms`` each cell's GeoJSON geometry (None when missing or empty).
    """
    households = cells is not None and "households" in cells.columns
    fields = []
    for key, name in CELL_FIELDS:
        if key == "rt" and households:
            name = "hs_rate_households"
        fields.append([key, esc(label(name, lang)) or ""])
    factors = factor_names(cells)
    scheme = THREE_COLOUR_LEVELS if three_colour else RISK_LEVELS
    table: dict[str, Any] = {
        "fields": fields,
        "tip": list(TIP_FIELDS),
        "factors": [factor_label(name, lang) for name in factors],
        "levels": [[LEVEL_COLORS[level], LEVEL_OUTLINES[level]] for level in scheme],
        "labels": {
            key: esc(label(name, lang)) or ""
            for key, name in (
                ("factors", "hs_factors"),
                ("factor", "hs_factor"),
                ("value", "hs_factor_value"),
                ("rank", "hs_factor_rank"),
            )
        },
        "rows": [],
        "geoms": cell_geometries(cells),
    }
    if cells is None:
        return table
    values = {
        "h3": [esc(value) for value in cells["h3"].tolist()],
        "lv": [level_text(value, lang, three_colour) for value in cells["level"].tolist()],
        "ix": [fixed(value, 2) for value in cells["index"].tolist()],
        "n": [fmt_number(value) for value in cells["count"].tolist()],
        "rt": [significant(value) for value in column(cells, "rate")],
        "z": [fixed(value, 2) for value in column(cells, "gi_z")],
        "p": [significant(value) for value in column(cells, "gi_p")],
        "b": [gi_bin_text(value, lang) for value in column(cells, "bin")],
        "bf": [gi_bin_text(value, lang) for value in column(cells, "bin_fdr")],
        "mi": [fixed(value, 2) for value in column(cells, "moran_i")],
        "mp": [significant(value) for value in column(cells, "moran_p")],
        "kd": [significant(value) for value in column(cells, "kde")],
        "tr": [trend_text(value, lang) for value in column(cells, "trend")],
        "hh": [fmt_number(value, 0) for value in column(cells, "households")],
        "pop": [fmt_number(value, 0) for value in column(cells, "population")],
        "el": [fmt_number(value, 0) for value in column(cells, "elderly")],
        "es": [percent(value) for value in column(cells, "elderly_share")],
    }
    position = {level: number for number, level in enumerate(scheme)}
    level_numbers = [
        position.get(level_key(value, three_colour) or "", -1) for value in cells["level"].tolist()
    ]
    factor_columns = []
    for name in factors:
        raw = [factor_value(name, value) for value in column(cells, name)]
        ranks = [fixed(value, 2) for value in cells[f"rank_{name}"].tolist()]
        factor_columns.extend([raw, ranks])
    for row in range(len(cells)):
        record: list[Any] = [values[key][row] for key, _ in CELL_FIELDS]
        record.append(level_numbers[row])
        record.extend(factor_column[row] for factor_column in factor_columns)
        table["rows"].append(record)
    return table


# --- features per layer -----------------------------------------------------------------------


def cell_geometries(cells: gpd.GeoDataFrame | None) -> list[dict[str, Any] | None]:
    """Each cell's GeoJSON geometry with coordinates rounded to 6 decimals (None if empty)."""
    if cells is None:
        return []
    array = np.asarray(cells.geometry.array, dtype=object)
    usable = ~(shapely.is_missing(array) | shapely.is_empty(array))
    rounded = array.copy()
    rounded[usable] = shapely.transform(array[usable], lambda xy: np.round(xy, COORD_DIGITS))
    return [mapping(geom) if ok else None for geom, ok in zip(rounded, usable, strict=True)]


def _in_order(keyed: list[tuple[int, int, int]]) -> list[tuple[int, int]]:
    """(row, style number) pairs from (sort key, row, style number), sorted by key (stable)."""
    keyed.sort(key=lambda item: item[0])
    return [(row, number) for _, row, number in keyed]


def _blank_rows(cells: gpd.GeoDataFrame) -> list[bool]:
    """Per cell: no incidents and a zero index, so nothing for an overlay to show."""
    return [
        (as_float(count) or 0.0) == 0.0 and (as_float(index) or 0.0) == 0.0
        for count, index in zip(cells["count"].tolist(), cells["index"].tolist(), strict=True)
    ]


def level_features(levels: Sequence[str | None], drawn: Sequence[bool]) -> list[tuple[int, int]]:
    """Every cell with a geometry as (row, number in :data:`LEVEL_DRAW_ORDER`), lowest level
    first."""
    number = {level: position for position, level in enumerate(LEVEL_DRAW_ORDER)}
    return _in_order(
        [(number[level], row, number[level]) for row, level in enumerate(levels) if drawn[row]]
    )


def gi_features(cells: gpd.GeoDataFrame | None, drawn: Sequence[bool]) -> list[tuple[int, int]]:
    """Cells with a Gi* bin (not blank ones) as (row, bin + 3), not significant first and
    99 % last."""
    if cells is None:
        return []
    bins = [gi_bin(value) for value in column(cells, "bin")]
    blank = _blank_rows(cells)
    return _in_order(
        [
            (abs(value), row, value + 3)
            for row, value in enumerate(bins)
            if value is not None and drawn[row] and not blank[row]
        ]
    )


def kde_breaks(values: Sequence[float]) -> list[float]:
    """Upper bounds of the density classes but the last: the 1/6 … 5/6 quantiles of
    ``values``, rounded to 2 significant digits, without repeats (fewer classes when many
    values are equal)."""
    finite = np.asarray([value for value in values if math.isfinite(value)], dtype=float)
    if finite.size == 0:
        return []
    quantiles = np.quantile(finite, np.arange(1, KDE_CLASSES) / KDE_CLASSES)
    breaks: list[float] = []
    for value in quantiles:
        rounded = float(significant(value, 2) or 0.0)
        inside = finite.min() < rounded <= finite.max()
        if inside and (not breaks or rounded > breaks[-1]):
            breaks.append(rounded)
    return breaks


def kde_features(
    cells: gpd.GeoDataFrame | None, drawn: Sequence[bool]
) -> tuple[list[tuple[int, int]], list[float]]:
    """Cells with a density (not blank ones) as (row, class), lowest class first; and the
    class breaks (:func:`kde_breaks`)."""
    if cells is None:
        return [], []
    density = [as_float(value) for value in column(cells, "kde")]
    blank = _blank_rows(cells)
    rows = [
        row
        for row, value in enumerate(density)
        if value is not None and drawn[row] and not blank[row]
    ]
    values = [density[row] or 0.0 for row in rows]
    breaks = kde_breaks(values)
    classes = np.searchsorted(breaks, values, side="right").tolist()
    return _in_order([(c, row, c) for row, c in zip(rows, classes, strict=True)]), breaks


def trend_features(cells: gpd.GeoDataFrame | None, drawn: Sequence[bool]) -> list[tuple[int, int]]:
    """Cells with an emerging trend as (row, number in :data:`TREND_ORDER`)."""
    if cells is None:
        return []
    trends = [trend_key(value) for value in column(cells, "trend")]
    return _in_order(
        [
            (TREND_ORDER.index(value), row, TREND_ORDER.index(value))
            for row, value in enumerate(trends)
            if value is not None and drawn[row]
        ]
    )


def grid_features(
    grids: gpd.GeoDataFrame | None, lang: str, *, three_colour: bool = False
) -> tuple[dict[str, Any], list[str | None]]:
    """Grid polygons with their roll-up (escaped texts); returns the collection and each
    grid's level (None when unknown)."""
    if grids is None:
        return collection([]), []
    features, levels = [], []
    rows = zip(
        grids.geometry,
        grids["grid_id"].tolist(),
        column(grids, "code"),
        grids["level"].tolist(),
        column(grids, "incidents"),
        column(grids, "cells"),
        column(grids, "mean_index"),
        column(grids, "hot_cells"),
        strict=True,
    )
    for geom, ident, code, level, incidents, n_cells, mean_index, hot in rows:
        if geom is None or geom.is_empty:
            continue
        rounded = shapely.transform(geom, lambda xy: np.round(xy, COORD_DIGITS))
        props = {
            "c": esc(code),
            "id": fmt_number(ident) or esc(ident),
            "lv": level_text(level, lang, three_colour),
            "n": fmt_number(incidents),
            "nc": fmt_number(n_cells),
            "mi": fixed(mean_index, 2),
            "hc": fmt_number(hot),
        }
        features.append(feature(mapping(rounded), props))
        levels.append(level_key(level, three_colour))
    return collection(features), levels


# --- legend -----------------------------------------------------------------------------------


def _swatch(fill: str, outline: str = "#555555", weight: float = 1.0) -> str:
    width = max(1, round(weight))
    return f'<i style="background:{fill};border:{width}px solid {outline}"></i>'


def level_legend(
    counts: dict[str | None, int],
    cells: gpd.GeoDataFrame | None,
    lang: str,
    *,
    three_colour: bool,
    rule: str | None = None,
    totals: tuple[int, float] | None = None,
    note: str | None = None,
) -> str:
    """The level scheme with the number of cells at each level (``None``: no or an unknown
    level, drawn grey), the cells' total and the rule that set the levels (escaped).

    ``totals`` (cells, incidents) stands in for ``cells`` when the map does not hold them all
    (:mod:`shequ.maps.hotspot_large`), and ``note`` says what is drawn (plain text)."""
    lines = [f"<h4>{esc(label('hs_levels_heading', lang))}</h4>"]
    for level, number in counts.items():
        if level is None:
            swatch, text = _swatch(NO_DATA_COLOR, "#636363"), esc(label("no_data", lang))
        else:
            weight = LEVEL_WEIGHTS[level] + 0.5
            swatch = _swatch(LEVEL_COLORS[level], LEVEL_OUTLINES[level], weight)
            text = level_text(level, lang, three_colour)
        lines.append(f"<div>{swatch}{text} ({number})</div>")
    if totals is None:
        total = 0 if cells is None else len(cells)
        incidents = sum(as_float(value) or 0.0 for value in column_or_empty(cells, "count"))
    else:
        total, incidents = totals
    counted = label("hs_cells_note", lang).format(cells=total, incidents=fmt_number(incidents))
    lines.append(f'<div class="shequ-note">{esc(counted)}</div>')
    if note:
        lines.append(f'<div class="shequ-note shequ-hs-big">{esc(note)}</div>')
    if three_colour:
        lines.append(f'<div class="shequ-note">{esc(label("hs_three_colour_note", lang))}</div>')
    if rule:
        heading = esc(label("hs_rule_heading", lang))
        text = esc(render_note(rule, lang))
        lines.append(f'<div class="shequ-note shequ-hs-rule"><b>{heading}</b><br>{text}</div>')
    return "\n".join(lines)


def gi_legend(bins: Sequence[int], cells: gpd.GeoDataFrame | None, lang: str) -> str:
    """The seven Gi* classes, hot first, with their numbers of cells drawn; and how many
    remain significant after the FDR correction (when the cells have ``bin_fdr``)."""
    lines = [f"<h4>{esc(label('hs_gi_layer', lang))}</h4>"]
    for value in range(3, -4, -1):
        swatch = _swatch(GI_BIN_COLORS[value + 3], "#737373")
        text = esc(label(GI_BIN_KEYS[value + 3], lang))
        lines.append(f"<div>{swatch}{text} ({list(bins).count(value)})</div>")
    if cells is not None and "bin_fdr" in cells.columns:
        fdr = [gi_bin(value) or 0 for value in cells["bin_fdr"].tolist()]
        note = label("hs_gi_fdr_note", lang).format(
            hot=sum(value >= 2 for value in fdr), cold=sum(value <= -2 for value in fdr)
        )
        lines.append(f'<div class="shequ-note">{esc(note)}</div>')
    return "\n".join(lines)


def kde_legend(breaks: Sequence[float], lang: str) -> str:
    """The density classes with their ranges (incidents per km²), highest first."""
    lines = [f"<h4>{esc(label('hs_kde_layer', lang))}</h4>"]
    classes = len(breaks) + 1
    texts = [significant(value, 2) for value in breaks]
    for index in reversed(range(classes)):
        if classes == 1:
            text = "—"
        elif index == 0:
            text = f"&lt; {texts[0]}"
        elif index == classes - 1:
            text = f"≥ {texts[-1]}"
        else:
            text = f"{texts[index - 1]}–{texts[index]}"
        swatch = _swatch(kde_color(index, classes), "#bbbbbb")
        lines.append(f"<div>{swatch}{text}</div>")
    return "\n".join(lines)


def trend_legend(trends: Sequence[str], lang: str) -> str:
    """The emerging-trend categories with their numbers of cells."""
    lines = [f"<h4>{esc(label('hs_trend_layer', lang))}</h4>"]
    for name, color in TREND_COLORS.items():
        swatch = _swatch(color, "#252525", 1.5)
        text = esc(label(f"hs_trend_{name}", lang))
        lines.append(f"<div>{swatch}{text} ({list(trends).count(name)})</div>")
    return "\n".join(lines)


def grids_legend(lang: str, *, three_colour: bool, significance: bool = False) -> str:
    """The grid roll-up: the level colours again, under a dark outline, and how a grid's level
    is set (``significance``: the cells' rule on the grid's own excess of incidents)."""
    scheme = THREE_COLOUR_LEVELS if three_colour else RISK_LEVELS
    lines = [f"<h4>{esc(label('hs_grids_layer_own', lang))}</h4>"]
    for level in scheme:
        swatch = _swatch(LEVEL_COLORS[level], RISK_GRID_OUTLINE, 2)
        lines.append(f"<div>{swatch}{level_text(level, lang, three_colour)}</div>")
    lines.append(
        f"<div>{_swatch(NO_DATA_COLOR, RISK_GRID_OUTLINE, 2)}{esc(label('no_data', lang))}</div>"
    )
    note = "hs_grids_note_excess" if significance else "hs_grids_note_own"
    lines.append(f'<div class="shequ-note">{esc(label(note, lang))}</div>')
    return "\n".join(lines)


__all__ = ["CellLayer", "build_hotspot_map", "cell_table", "kde_breaks"]
