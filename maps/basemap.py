"""The basemap drawn from the data: streets, buildings, water, railways and street names.

Every shequ map is opened offline, often on an intranet that blocks or logs requests to other
hosts. So by default a map draws its own basemap from the OSM extract the analysis read
(:class:`shequ.geo.basemap.Basemap`) and requests nothing: light, quiet colours under the
results, one Leaflet canvas for every layer (a district's tens of thousands of outlines stay
fluid, where one SVG element per outline would not), street names only from zoom 16 on.
External tiles are drawn instead only on request (:func:`add_basemap` ``tiles=``: an intranet
tile server, Tianditu); for a GCJ-02 tile service (Amap, Tencent) the map's data must be drawn
in GCJ-02 too (:func:`shequ.maps.features.map_datum`) and the attribution says so.

The layers enter the page as JSON inside a script (:func:`shequ.maps.escape.script_json`); street
names are set as text (``textContent``), never as HTML. Drawn by hand on Leaflet's own canvas
renderer because no folium layer takes a renderer or draws names along streets.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlparse

import folium
import numpy as np
import shapely
from branca.element import MacroElement
from folium.template import Template

from shequ.geo.basemap import Basemap
from shequ.maps.escape import esc, script_json
from shequ.maps.labels import label

BASEMAP_DIGITS = 5
"""Decimals of the basemap's coordinates (about 1 m): the outlines are simplified to 0.5 m."""
LABEL_ZOOM = 16
"""Street names appear from this zoom on (a 3 km neighbourhood fills the screen at about 15)."""
WIDTH_ZOOM = 15
"""Zoom at which street widths are as styled; they double every two zoom levels (0.6× to 3×)."""
BACKGROUND = "#f4f1ec"
OSM_ATTRIBUTION = (
    '&copy; <a href="https://www.openstreetmap.org/copyright">OpenStreetMap</a> contributors (ODbL)'
)

STYLES: dict[str, list[dict[str, Any]]] = {
    # per layer: drawn in this order, each entry one pass (a casing under a fill)
    "water": [{"stroke": False, "fillColor": "#bcd6e6", "fillOpacity": 1.0}],
    "waterways": [{"color": "#a9c9dc", "weight": 2, "opacity": 1.0}],
    "buildings": [{"color": "#d6cbbd", "weight": 0.6, "fillColor": "#e6ddd2", "fillOpacity": 1.0}],
    "railways": [{"color": "#a3a3a3", "weight": 1.5, "dashArray": "5 4", "opacity": 1.0}],
    "path": [{"color": "#c9c2b8", "weight": 1, "dashArray": "3 3", "opacity": 1.0}],
    "minor": [
        {"color": "#d9d3ca", "weight": 4, "opacity": 1.0, "lineCap": "round"},
        {"color": "#ffffff", "weight": 2.5, "opacity": 1.0, "lineCap": "round"},
    ],
    "medium": [
        {"color": "#cfc6b8", "weight": 6, "opacity": 1.0, "lineCap": "round"},
        {"color": "#ffffff", "weight": 4.5, "opacity": 1.0, "lineCap": "round"},
    ],
    "major": [
        {"color": "#d8c49a", "weight": 8, "opacity": 1.0, "lineCap": "round"},
        {"color": "#fbf0d2", "weight": 6, "opacity": 1.0, "lineCap": "round"},
    ],
}
"""Quiet colours (the results carry the strong ones), widest streets drawn last (on top)."""

GCJ02_HOSTS = ("autonavi.com", "amap.com", "gtimg.com", "map.qq.com", "tencent.com")
"""Tile hosts whose tiles are in GCJ-02 (Amap/Gaode, Tencent): the data must be shifted to match."""

_CSS = """
.shequ-street-label { background: none; border: none; }
.shequ-street-label span { display: inline-block; transform-origin: center;
  white-space: nowrap; font-size: 11px; color: #6b645b; pointer-events: none;
  text-shadow: 0 0 2px #fff, 0 0 2px #fff, 0 0 3px #fff; translate: -50% -50%; }
"""

_SCRIPT = """
{% macro header(this, kwargs) %}
<style>{{ this.css }}</style>
{% endmacro %}
{% macro script(this, kwargs) %}
(function () {
  var map = {{ this._parent.get_name() }};
  var cfg = {{ this.config }};
  function pane(name, z) {
    var p = map.createPane(name);
    p.style.zIndex = String(z);
    p.style.pointerEvents = 'none';
    return p;
  }
  pane('shequ-basemap', 150);
  pane('shequ-basemap-labels', 390);
  map.getContainer().style.background = cfg.background;
  var renderer = L.canvas({pane: 'shequ-basemap', padding: 0.5});
  var drawn = [], lines = [];
  cfg.layers.forEach(function (layer) {
    layer.styles.forEach(function (style) {
      var one = L.geoJSON(layer.data, {
        renderer: renderer, pane: 'shequ-basemap', interactive: false,
        style: function () { return style; }
      });
      drawn.push(one);
      if (style.weight && style.stroke !== false) { lines.push([one, style.weight]); }
    });
  });
  var base = L.layerGroup(drawn).addTo(map);
  /* streets widen as one zooms in (about their width on the ground from zoom 17 on) */
  function widths() {
    var f = Math.min(3, Math.max(0.6, Math.pow(2, (map.getZoom() - cfg.widthZoom) / 2)));
    lines.forEach(function (item) { item[0].setStyle({weight: item[1] * f}); });
  }
  map.on('zoomend', widths);
  map.whenReady(widths);
  var names = L.layerGroup();
  cfg.labels.forEach(function (item) {
    var text = document.createElement('span');
    text.textContent = item[2];
    text.style.transform = 'rotate(' + item[3] + 'deg)';
    var holder = document.createElement('div');
    holder.appendChild(text);
    L.marker([item[0], item[1]], {
      icon: L.divIcon({html: holder, className: 'shequ-street-label', iconSize: null}),
      interactive: false, keyboard: false, pane: 'shequ-basemap-labels'
    }).addTo(names);
  });
  function showNames() {
    if (map.getZoom() >= cfg.labelZoom) { names.addTo(map); } else { names.remove(); }
  }
  map.on('zoomend', showNames);
  showNames();
  map.attributionControl.addAttribution(cfg.attribution);
  window.shequBasemap = {layers: base, names: names, counts: cfg.counts};
})();
{% endmacro %}
"""


class DataBasemap(MacroElement):
    """The data's basemap on a folium map (see the module docstring)."""

    _template = Template(_SCRIPT)

    def __init__(self, basemap: Basemap, lang: str) -> None:
        super().__init__()
        self._name = "DataBasemap"
        self.css = _CSS
        layers = []
        for name in ("water", "waterways", "buildings", "railways"):
            frame = getattr(basemap, name)
            layers.append({"data": _collection(frame.geometry.values), "styles": STYLES[name]})
        streets = basemap.streets
        for cls in ("path", "minor", "medium", "major"):
            geoms = (
                streets.geometry.values[streets["cls"].to_numpy() == cls] if len(streets) else []
            )
            layers.append(
                {"data": _collection(np.asarray(geoms, dtype=object)), "styles": STYLES[cls]}
            )
        labels = [
            [round(p.y, BASEMAP_DIGITS), round(p.x, BASEMAP_DIGITS), str(name), float(angle)]
            for p, name, angle in zip(
                basemap.labels.geometry.values,
                basemap.labels["name"],
                basemap.labels["angle"],
                strict=True,
            )
        ]
        self.config = script_json(
            {
                "layers": layers,
                "labels": labels,
                "labelZoom": LABEL_ZOOM,
                "widthZoom": WIDTH_ZOOM,
                "background": BACKGROUND,
                "attribution": f"{OSM_ATTRIBUTION} · {esc(label('basemap_from_data', lang))}",
                "counts": basemap.counts(),
            }
        )


def _collection(geoms: np.ndarray) -> dict[str, Any]:
    """One feature holding every geometry of a layer (one canvas path batch, not thousands of
    layers), coordinates rounded to :data:`BASEMAP_DIGITS`."""
    if len(geoms) == 0:
        return {"type": "FeatureCollection", "features": []}
    rounded = shapely.transform(
        np.asarray(geoms, dtype=object), lambda xy: np.round(xy, BASEMAP_DIGITS)
    )
    parts = shapely.get_parts(rounded)
    parts = parts[~shapely.is_empty(parts)]
    kind = shapely.get_type_id(parts)
    features = []
    lines = parts[kind == 1]
    polys = parts[kind == 3]
    if len(lines):
        geometry = shapely.geometry.mapping(shapely.multilinestrings(lines))
        features.append({"type": "Feature", "properties": {}, "geometry": geometry})
    if len(polys):
        geometry = shapely.geometry.mapping(shapely.multipolygons(polys))
        features.append({"type": "Feature", "properties": {}, "geometry": geometry})
    return {"type": "FeatureCollection", "features": features}


def is_gcj02_tiles(url: str) -> bool:
    """True for a tile URL template of a GCJ-02 service (Amap/Gaode, Tencent)."""
    host = urlparse(url.replace("{s}", "a")).hostname or ""
    return any(host == h or host.endswith("." + h) for h in GCJ02_HOSTS)


def datum_for(basemap: Basemap | None) -> str:
    """The datum a map must be built in under ``basemap``: ``"gcj02"`` for Amap or Tencent
    tiles (:func:`shequ.maps.features.map_datum`), else ``"wgs84"``."""
    tiles = basemap.tiles if basemap is not None else None
    return "gcj02" if tiles and is_gcj02_tiles(tiles) else "wgs84"


def add_basemap(m: folium.Map, basemap: Basemap | None, lang: str) -> None:
    """Put the basemap under ``m``'s layers: the data's own (default), or its ``tiles``.

    Parameters
    ----------
    m : folium.Map
        A map from :func:`shequ.maps.page.new_map`.
    basemap : Basemap or None
        The layers drawn from the extract (None or empty: no basemap; the background stays
        plain). With ``basemap.tiles`` (``https://host/{z}/{x}/{y}.png``, ``--basemap``) the
        tiles are drawn instead, the only request the page then makes; for a GCJ-02 service the
        map's data must already be in GCJ-02 (:func:`shequ.maps.features.map_datum`).
    lang : {"zh", "en"}
        Language of the attribution.
    """
    tiles = basemap.tiles if basemap is not None else None
    if tiles:
        note = label("basemap_gcj02" if is_gcj02_tiles(tiles) else "basemap_external", lang)
        layer = folium.TileLayer(
            tiles=tiles,
            attr=esc(note) or "",
            name=esc(label("basemap", lang)),
            max_zoom=19,
            overlay=True,
            control=True,
        )
        # first among the map's children: its script must define the layer before a layer
        # control (built earlier by the map builder) refers to it
        m.add_child(layer, index=0)
        return
    if basemap is not None and not basemap.empty:
        DataBasemap(basemap, lang).add_to(m)


__all__ = ["LABEL_ZOOM", "DataBasemap", "add_basemap", "datum_for", "is_gcj02_tiles"]
