"""The basemap drawn from the data: streets, buildings, water, railways and street names.

Every shequ map is opened offline, often on an intranet that blocks or logs requests to other
hosts. So by default a map draws its own basemap from the OSM extract the analysis read
(:class:`shequ.geo.basemap.Basemap`) and requests nothing: light, quiet colours under the
results, drawn by the page as canvas tiles (:class:`DataBasemap`: only the tiles in view, each
layer from its zoom, :data:`MIN_ZOOM`), street names only from zoom 16 on and only in view. A
district's 143k buildings and 100k streets are packed (:mod:`shequ.maps.packed`): 5 MB of the
page instead of 32 MB of GeoJSON, opened in about a second.
External tiles are drawn instead only on request (:func:`add_basemap` ``tiles=``: an intranet
tile server, Tianditu); for a GCJ-02 tile service (Amap, Tencent) the map's data must be drawn
in GCJ-02 too (:func:`shequ.maps.features.map_datum`) and the attribution says so.

The layers enter the page as JSON inside a script (:func:`shequ.maps.escape.script_json`), their
coordinates packed; street names are set as text (``textContent``), never as HTML. Drawn by hand
on a Leaflet ``GridLayer`` because no folium layer draws packed outlines as tiles or names along
streets.
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
from shequ.maps.packed import add_decoder, pack_geometries

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

MIN_ZOOM: dict[str, int] = {
    "water": 0,
    "waterways": 12,
    "railways": 10,
    "buildings": 14,
    "path": 15,
    "minor": 13,
    "medium": 11,
    "major": 0,
}
"""Zoom from which each layer is drawn: a district's view (zoom 11–12) shows water and the
main streets, a neighbourhood's (15) everything. Below it a layer costs nothing."""
INDEX_ZOOM = 14
"""The page indexes features by the map tiles of this zoom they meet (its in-page tile index)."""

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
  var PI = Math.PI, IZ = Math.pow(2, cfg.indexZoom);
  /* each layer: decoded once into Web-Mercator units (0..1 over the world), with each
     feature's box and an index of the zoom-cfg.indexZoom tiles it meets */
  var layers = cfg.layers.map(function (layer) {
    var d = shequUnpack(layer.data), np = d.lon.length, n = d.n;
    var mx = new Float64Array(np), my = new Float64Array(np);
    for (var i = 0; i < np; i++) {
      var s = Math.sin(d.lat[i] * PI / 180);
      mx[i] = (d.lon[i] + 180) / 360;
      my[i] = 0.5 - Math.log((1 + s) / (1 - s)) / (4 * PI);
    }
    var box = new Float64Array(4 * n), cells = new Map();
    for (var f = 0; f < n; f++) {
      var a = d.pointStart[d.partStart[f]], b = d.pointStart[d.partStart[f + 1]];
      var x0 = Infinity, y0 = Infinity, x1 = -Infinity, y1 = -Infinity;
      for (var j = a; j < b; j++) {
        if (mx[j] < x0) { x0 = mx[j]; } if (mx[j] > x1) { x1 = mx[j]; }
        if (my[j] < y0) { y0 = my[j]; } if (my[j] > y1) { y1 = my[j]; }
      }
      box[4 * f] = x0; box[4 * f + 1] = y0; box[4 * f + 2] = x1; box[4 * f + 3] = y1;
      for (var cy = Math.floor(y0 * IZ); cy <= Math.floor(y1 * IZ); cy++) {
        for (var cx = Math.floor(x0 * IZ); cx <= Math.floor(x1 * IZ); cx++) {
          var key = cy * IZ + cx, list = cells.get(key);
          if (list) { list.push(f); } else { cells.set(key, [f]); }
        }
      }
    }
    var widest = 0;
    layer.styles.forEach(function (st) { widest = Math.max(widest, st.weight || 0); });
    return {d: d, mx: mx, my: my, box: box, cells: cells, seen: new Uint32Array(n), stamp: 0,
            styles: layer.styles, minZoom: layer.minZoom, widest: widest,
            polygon: layer.data.kind === 'polygon'};
  });
  function widthFactor(z) {
    /* streets widen as one zooms in (about their width on the ground from zoom 17 on) */
    return Math.min(3, Math.max(0.6, Math.pow(2, (z - cfg.widthZoom) / 2)));
  }
  function features(L_, x0, y0, x1, y1) {
    /* the features of layer L_ whose box meets [x0, x1] x [y0, y1] (Mercator units) */
    var out = [], box = L_.box, stamp = ++L_.stamp;
    function take(f) {
      if (L_.seen[f] === stamp) { return; }
      L_.seen[f] = stamp;
      if (box[4 * f] <= x1 && box[4 * f + 2] >= x0 && box[4 * f + 1] <= y1
          && box[4 * f + 3] >= y0) { out.push(f); }
    }
    var cx0 = Math.floor(x0 * IZ), cx1 = Math.floor(x1 * IZ);
    var cy0 = Math.floor(y0 * IZ), cy1 = Math.floor(y1 * IZ);
    if ((cx1 - cx0 + 1) * (cy1 - cy0 + 1) > L_.cells.size) {
      L_.cells.forEach(function (list) { list.forEach(take); });
    } else {
      for (var cy = cy0; cy <= cy1; cy++) {
        for (var cx = cx0; cx <= cx1; cx++) {
          var list = L_.cells.get(cy * IZ + cx);
          if (list) { list.forEach(take); }
        }
      }
    }
    out.sort(function (a, b) { return a - b; });
    return out;
  }
  function drawTile(canvas, coords, size) {
    var r = window.devicePixelRatio || 1, z = coords.z, scale = size.x * Math.pow(2, z);
    canvas.width = size.x * r; canvas.height = size.y * r;
    canvas.style.width = size.x + 'px'; canvas.style.height = size.y + 'px';
    var ctx = canvas.getContext('2d');
    ctx.scale(r, r);
    ctx.lineJoin = 'round';
    var ox = coords.x * size.x, oy = coords.y * size.y, k = widthFactor(z);
    layers.forEach(function (L_) {
      if (z < L_.minZoom || L_.d.n === 0) { return; }
      var pad = (L_.widest * k / 2 + 1) / scale;
      var ids = features(L_, ox / scale - pad, oy / scale - pad,
                         (ox + size.x) / scale + pad, (oy + size.y) / scale + pad);
      if (!ids.length) { return; }
      var d = L_.d, mx = L_.mx, my = L_.my;
      ctx.beginPath();
      ids.forEach(function (f) {
        for (var p = d.partStart[f]; p < d.partStart[f + 1]; p++) {
          var a = d.pointStart[p], b = d.pointStart[p + 1];
          ctx.moveTo(mx[a] * scale - ox, my[a] * scale - oy);
          for (var j = a + 1; j < b; j++) { ctx.lineTo(mx[j] * scale - ox, my[j] * scale - oy); }
          if (L_.polygon) { ctx.closePath(); }
        }
      });
      L_.styles.forEach(function (st) {
        if (L_.polygon && st.fill !== false) {
          ctx.globalAlpha = st.fillOpacity === undefined ? 0.2 : st.fillOpacity;
          ctx.fillStyle = st.fillColor || st.color;
          ctx.fill('evenodd');
        }
        if (st.stroke !== false && st.weight) {
          ctx.globalAlpha = st.opacity === undefined ? 1 : st.opacity;
          ctx.strokeStyle = st.color;
          ctx.lineWidth = L_.polygon ? st.weight : st.weight * k;
          ctx.lineCap = st.lineCap || 'round';
          ctx.setLineDash(st.dashArray ? st.dashArray.split(' ').map(Number) : []);
          ctx.stroke();
        }
      });
    });
    return canvas;
  }
  var Tiles = L.GridLayer.extend({
    createTile: function (coords) {
      return drawTile(document.createElement('canvas'), coords, this.getTileSize());
    }
  });
  var base = new Tiles({pane: 'shequ-basemap', updateWhenZooming: false, keepBuffer: 1});
  base.addTo(map);
  /* street names: markers only for the labels in view (a district has tens of thousands) */
  var names = L.layerGroup(), made = {};
  function marker(i) {
    var item = cfg.labels[i];
    var text = document.createElement('span');
    text.textContent = item[2];
    text.style.transform = 'rotate(' + item[3] + 'deg)';
    var holder = document.createElement('div');
    holder.appendChild(text);
    return L.marker([item[0], item[1]], {
      icon: L.divIcon({html: holder, className: 'shequ-street-label', iconSize: null}),
      interactive: false, keyboard: false, pane: 'shequ-basemap-labels'
    });
  }
  function showNames() {
    names.clearLayers();
    if (map.getZoom() < cfg.labelZoom) { names.remove(); return; }
    var view = map.getBounds().pad(0.25);
    for (var i = 0; i < cfg.labels.length; i++) {
      var item = cfg.labels[i];
      if (view.contains([item[0], item[1]])) {
        if (!made[i]) { made[i] = marker(i); }
        names.addLayer(made[i]);
      }
    }
    names.addTo(map);
  }
  map.on('moveend', showNames);
  showNames();
  map.attributionControl.addAttribution(cfg.attribution);
  window.shequBasemap = {layers: base, names: names, counts: cfg.counts};
})();
{% endmacro %}
"""


class DataBasemap(MacroElement):
    """The data's basemap on a folium map (see the module docstring).

    The layers are packed (:func:`shequ.maps.packed.pack_geometries`: about a fifth of their
    GeoJSON) and drawn by the page as canvas tiles: only the tiles in view, only the layers
    whose :data:`MIN_ZOOM` the zoom has reached, each tile from the features its in-page index
    (tiles of :data:`INDEX_ZOOM`) says meet it. A district's page opens in about the time it
    takes to decode, and panning draws a handful of tiles, not every outline.
    """

    _template = Template(_SCRIPT)

    def __init__(self, basemap: Basemap, lang: str) -> None:
        super().__init__()
        self._name = "DataBasemap"
        self.css = _CSS
        layers = []
        for name in ("water", "waterways", "buildings", "railways"):
            frame = getattr(basemap, name)
            layers.extend(_layer(name, frame.geometry.values))
        streets = basemap.streets
        for cls in ("path", "minor", "medium", "major"):
            geoms = (
                streets.geometry.values[streets["cls"].to_numpy() == cls] if len(streets) else []
            )
            layers.extend(_layer(cls, np.asarray(geoms, dtype=object)))
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
                "indexZoom": INDEX_ZOOM,
                "background": BACKGROUND,
                "attribution": f"{OSM_ATTRIBUTION} · {esc(label('basemap_from_data', lang))}",
                "counts": basemap.counts(),
            }
        )


def _layer(name: str, geoms: np.ndarray) -> list[dict[str, Any]]:
    """A layer's packed polygons and lines (each a layer of its own, polygons first), with
    its styles and the zoom it is drawn from."""
    geoms = np.asarray(geoms, dtype=object)
    if len(geoms) == 0:
        return []
    parts = shapely.get_parts(geoms)
    kind = shapely.get_type_id(parts)
    out = []
    for mask in (kind == 3, kind == 1):
        packed = pack_geometries(parts[mask], BASEMAP_DIGITS)
        if packed is not None:
            out.append({"data": packed, "styles": STYLES[name], "minZoom": MIN_ZOOM[name]})
    return out


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
        add_decoder(m)
        DataBasemap(basemap, lang).add_to(m)


__all__ = ["LABEL_ZOOM", "MIN_ZOOM", "DataBasemap", "add_basemap", "datum_for", "is_gcj02_tiles"]
