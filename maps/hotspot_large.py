"""The risk-hotspot map of a city (风险热点, 区/市级): the cells that matter drawn, the rest as one.

A district or city holds millions of H3 cells (2.05 M at resolution 11 on the 16 × 16 mosaic):
written as today's shared table (:mod:`shequ.maps.hotspot_map`), with GeoJSON geometry and a
pre-rendered popup per cell, the page grows to hundreds of megabytes and a browser cannot draw
it. Above :data:`MAX_CELL_FEATURES` cells the map is built here instead:

- **levels**: the red, orange and yellow cells (and any cell without a known level) are drawn
  cell by cell; the blue majority ("the rest") is drawn as one area, the outline of all the
  cells (:func:`cells_outline`: the exact union of the H3 cells), underneath. A drawn cell cuts
  its shape out of that area, so its colour is its own and never blended with the blue;
- **Gi\\* bins**: the significant cells only (not significant ones are counted in the legend,
  not drawn);
- **emerging trends**: every cell with a trend;
- **density**: per parent H3 cell :data:`KDE_PARENT_STEPS` resolutions coarser (about 0.1 km²
  for resolution-11 cells), the mean density of its cells, with its classes in the legend;
  left out, with a note, when the cells are not H3 cells;
- **grids**: as on a small map (a few hundred polygons).

The drawn cells' geometry is written once, packed: hexagons as their centre and six small
vertex offsets, each as the difference from the cell before (:func:`pack_cells`, integers of
1e-6°, base64 varints as :mod:`shequ.maps.packed`). A cell's popup is built in the page from
numbers: per field a code into a table of its distinct texts (formatted in Python by the same
functions as a small map's popups), set as ``textContent``. The page draws the layers as canvas
tiles of the view (a Leaflet ``GridLayer``), and finds the cell under the pointer itself
(tooltip, highlight, popup). A note on the map says where every cell's values are (the cells
layer of ``shequ.gpkg`` and ``cells.parquet``).
"""

from __future__ import annotations

import base64
import html
from collections.abc import Callable, Sequence
from typing import Any

import folium
import geopandas as gpd
import h3
import numpy as np
import pandas as pd
import shapely
from branca.element import MacroElement
from folium.map import Layer
from folium.template import Template

from shequ.geo.h3cells import cell_polygons
from shequ.maps.escape import esc, script_json
from shequ.maps.features import COORD_DIGITS, to_wgs84
from shequ.maps.labels import label
from shequ.maps.packed import add_decoder, pack_geometries, pack_uints, quantise, varints, zigzag
from shequ.maps.style import (
    GI_BIN_COLORS,
    LEVEL_COLORS,
    LEVEL_OUTLINES,
    RISK_LEVELS,
    THREE_COLOUR_LEVELS,
    TREND_COLORS,
    gi_bin_style,
    kde_style,
    level_style,
    trend_style,
)

MAX_CELL_FEATURES = 50_000
"""Above this many cells the hotspot map is built here (a district's few thousand cells stay
GeoJSON with pre-rendered popups, exactly as before)."""
KDE_PARENT_STEPS = 2
"""The density layer of a large map is drawn per parent cell this many resolutions coarser
(7² = 49 cells a parent)."""
H3_RES_KM2 = {
    res: area
    for res, area in enumerate(
        (
            4357449.0,
            609788.4,
            86801.78,
            12393.43,
            1770.348,
            252.9034,
            36.12905,
            5.161293,
            0.7373276,
            0.1053325,
            0.01504750,
            0.002149643,
            0.0003070919,
            0.00004387027,
            0.000006267181,
            0.0000008953116,
        )
    )
}
"""Mean H3 cell area per resolution (km², from the H3 documentation)."""

BIG_JS = """
function shequHsBig(cfg) {
  /* the large hotspot map's shared state: decoded cells, lazy popup codes (hotspot_large.py) */
  var S = {cfg: cfg, codes: {}, layers: []}, PI = Math.PI;
  function mercY(lat) {
    var s = Math.sin(lat * PI / 180);
    return 0.5 - Math.log((1 + s) / (1 - s)) / (4 * PI);
  }
  S.mercY = mercY;
  function hexes(g) {
    /* pack_cells' hexagons -> the structure of shequUnpack */
    var v = shequVarints(g.data), n = g.n, scale = Math.pow(10, -g.digits);
    var lon = new Float64Array(6 * n), lat = new Float64Array(6 * n);
    var partStart = new Int32Array(n + 1), pointStart = new Int32Array(n + 1);
    var cx = 0, cy = 0, off = new Int32Array(12), at = 2 * n;
    for (var i = 0; i < n; i++) {
      var a = v[2 * i], b = v[2 * i + 1];
      cx += (a >>> 1) ^ -(a & 1); cy += (b >>> 1) ^ -(b & 1);
      for (var k = 0; k < 12; k++) { var d = v[at++]; off[k] += (d >>> 1) ^ -(d & 1); }
      for (var j = 0; j < 6; j++) {
        lon[6 * i + j] = (cx + off[2 * j]) * scale; lat[6 * i + j] = (cy + off[2 * j + 1]) * scale;
      }
      partStart[i] = i; pointStart[i] = 6 * i;
    }
    partStart[n] = n; pointStart[n] = 6 * n;
    return {n: n, partStart: partStart, pointStart: pointStart, lon: lon, lat: lat};
  }
  S.geometry = function (g) {
    /* decoded shapes in Web-Mercator units (0..1), with each shape's box */
    var d = g.kind === 'hex' ? hexes(g) : shequUnpack(g), np = d.lon.length, n = d.n;
    var x = new Float64Array(np), y = new Float64Array(np);
    for (var i = 0; i < np; i++) { x[i] = (d.lon[i] + 180) / 360; y[i] = mercY(d.lat[i]); }
    var box = new Float64Array(4 * n), size = [];
    for (var f = 0; f < n; f++) {
      var x0 = 9, y0 = 9, x1 = -9, y1 = -9;
      for (var p = d.pointStart[d.partStart[f]]; p < d.pointStart[d.partStart[f + 1]]; p++) {
        if (x[p] < x0) { x0 = x[p]; } if (x[p] > x1) { x1 = x[p]; }
        if (y[p] < y0) { y0 = y[p]; } if (y[p] > y1) { y1 = y[p]; }
      }
      box[4 * f] = x0; box[4 * f + 1] = y0; box[4 * f + 2] = x1; box[4 * f + 3] = y1;
      if (f % 97 === 0) { size.push(x1 - x0); }
    }
    size.sort(function (a, b) { return a - b; });
    d.x = x; d.y = y; d.box = box; d.size = size.length ? size[size.length >> 1] : 0;
    return d;
  };
  S.path = function (ctx, d, f, s, ox, oy) {
    for (var p = d.partStart[f]; p < d.partStart[f + 1]; p++) {
      var a = d.pointStart[p], b = d.pointStart[p + 1];
      ctx.moveTo(d.x[a] * s - ox, d.y[a] * s - oy);
      for (var q = a + 1; q < b; q++) { ctx.lineTo(d.x[q] * s - ox, d.y[q] * s - oy); }
      ctx.closePath();
    }
  };
  S.inside = function (d, f, mx, my) {
    /* even-odd point-in-polygon over every ring of shape f */
    var c = false;
    for (var p = d.partStart[f]; p < d.partStart[f + 1]; p++) {
      var a = d.pointStart[p], b = d.pointStart[p + 1];
      for (var i = a, j = b - 1; i < b; j = i++) {
        if ((d.y[i] > my) !== (d.y[j] > my)
            && mx < (d.x[j] - d.x[i]) * (my - d.y[i]) / (d.y[j] - d.y[i]) + d.x[i]) { c = !c; }
      }
    }
    return c;
  };
  S.cells = null;
  S.cellGeometry = function () {
    if (!S.cells) { S.cells = S.geometry(cfg.cells.shape); }
    return S.cells;
  };
  S.code = function (key, i) {
    /* a field's code for cell i: its own stream, an earlier equal field's, or the joint one */
    var c = cfg.codes, j = c.joint ? c.joint.keys.indexOf(c.alias[key] || key) : -1;
    key = c.alias[key] || key;
    if (j >= 0) {
      if (!S.joint) { S.joint = shequVarints(c.joint.codes); }
      return c.joint.table[S.joint[i]][j];
    }
    if (!(key in S.codes)) { S.codes[key] = shequVarints(c.fields[key]); }
    return S.codes[key][i];
  };
  S.text = function (key, i) {
    var c = S.code(key, i);
    return c > 0 ? cfg.texts[key][c - 1] : '';
  };
  S.h3 = function (i) {
    if (cfg.cells.ids) { return cfg.cells.ids[i]; }
    if (!S.idParts) {
      S.idParts = cfg.cells.h3.map(function (b64) {
        var v = shequVarints(b64), out = new Int32Array(v.length), acc = 0;
        for (var k = 0; k < v.length; k++) { acc += (v[k] >>> 1) ^ -(v[k] & 1); out[k] = acc; }
        return out;
      });
    }
    var text = S.idParts[0][i].toString(16);
    for (var k = 1; k < 4; k++) { text += ('000' + S.idParts[k][i].toString(16)).slice(-4); }
    return text;
  };
  function row(table, th, td) {
    var tr = document.createElement('tr'), a = document.createElement('th');
    var b = document.createElement('td');
    a.textContent = th; tr.appendChild(a);
    if (typeof td === 'string') { b.textContent = td; } else { b.appendChild(td); }
    tr.appendChild(b); table.appendChild(tr);
    return tr;
  }
  S.level = function (i) {
    var span = document.createElement('span'), cls = S.code('lvn', i) - 1;
    if (cls >= 0) {
      var sw = document.createElement('i'), c = cfg.levels[cls];
      sw.className = 'shequ-hs-sw'; sw.style.background = c[0]; sw.style.borderColor = c[1];
      span.appendChild(sw);
    }
    span.appendChild(document.createTextNode(S.text('lv', i)));
    return span;
  };
  S.rows = function (table, i, keys) {
    cfg.fields.forEach(function (field, k) {
      if (k === 0 || (keys && keys.indexOf(field[0]) < 0)) { return; }
      var text = S.text(field[0], i);
      if (text === '') { return; }
      row(table, field[1], field[0] === 'lv' ? S.level(i) : text);
    });
  };
  S.tip = function (i) {
    var t = document.createElement('table');
    S.rows(t, i, cfg.tip);
    return t;
  };
  S.popup = function (i) {
    var div = document.createElement('div'), h = document.createElement('h4');
    div.className = 'shequ-popup';
    h.textContent = cfg.fields[0][1] + ' ' + S.h3(i);
    div.appendChild(h);
    var t = document.createElement('table');
    S.rows(t, i, null);
    div.appendChild(t);
    var f = document.createElement('table'), any = false;
    f.className = 'shequ-hs-factors';
    var head = row(f, cfg.labels.factor, cfg.labels.value), th = document.createElement('th');
    th.textContent = cfg.labels.rank; head.appendChild(th);
    cfg.factors.forEach(function (name, j) {
      var value = S.text('f' + j, i), rank = S.text('r' + j, i);
      if (value === '' && rank === '') { return; }
      any = true;
      var tr = row(f, name, value || '–'), td = document.createElement('td');
      var r = parseFloat(rank);
      if (!isNaN(r)) {
        var bar = document.createElement('span'), b = document.createElement('b');
        bar.className = 'shequ-hs-bar';
        b.style.width = Math.round(Math.max(0, Math.min(1, r)) * 100) + '%';
        bar.appendChild(b); td.appendChild(bar);
      }
      td.appendChild(document.createTextNode(rank || '–'));
      tr.appendChild(td);
    });
    if (any) {
      var h5 = document.createElement('h5');
      h5.textContent = cfg.labels.factors;
      div.appendChild(h5); div.appendChild(f);
    }
    return div;
  };
  S.layer = function (spec) {
    /* one theme as canvas tiles of the view: spec.rows into a geometry, drawn style by style */
    var L0 = {spec: spec, d: null, rows: null, st: null, bg: null, index: null};
    function ready() {
      if (L0.d) { return; }
      L0.d = spec.own ? S.geometry(spec.own) : S.cellGeometry();
      var r = shequVarints(spec.rows), acc = 0;
      L0.rows = new Int32Array(r.length);
      for (var k = 0; k < r.length; k++) { acc += (r[k] >>> 1) ^ -(r[k] & 1); L0.rows[k] = acc; }
      L0.st = shequVarints(spec.st);
      if (spec.background) { L0.bg = S.geometry(spec.background); }
    }
    L0.ready = ready;
    var Grid = L.GridLayer.extend({
      createTile: function (coords) {
        ready();
        var tile = L.DomUtil.create('canvas'), size = this.getTileSize();
        tile.width = size.x; tile.height = size.y;
        var ctx = tile.getContext('2d'), s = size.x * Math.pow(2, coords.z);
        var ox = coords.x * size.x, oy = coords.y * size.y, pad = 4 / s;
        var x0 = ox / s - pad, x1 = (ox + size.x) / s + pad;
        var y0 = oy / s - pad, y1 = (oy + size.y) / s + pad;
        var d = L0.d, rows = L0.rows, st = L0.st, n = rows.length, box = d.box;
        var small = d.size * s < 3, outline = d.size * s >= 6;
        /* one path a cell (a path of many cells is far slower to fill); below 3 px a cell is
           its box, at least a pixel */
        function draw(f, how) {
          if (small) {
            var bx = box[4 * f] * s - ox, by = box[4 * f + 1] * s - oy;
            var w = Math.max(1, (box[4 * f + 2] - box[4 * f]) * s);
            var h = Math.max(1, (box[4 * f + 3] - box[4 * f + 1]) * s);
            if (how === 'clear') { ctx.clearRect(bx, by, w, h); }
            else { ctx.fillRect(bx, by, w, h); }
            return;
          }
          ctx.beginPath(); S.path(ctx, d, f, s, ox, oy); ctx.fill();
          if (how === 'outline') { ctx.stroke(); }
        }
        function visible(b, f) {
          return !(b[4 * f + 2] < x0 || b[4 * f] > x1 || b[4 * f + 3] < y0 || b[4 * f + 1] > y1);
        }
        if (L0.bg) {
          ctx.beginPath();
          for (var g = 0; g < L0.bg.n; g++) {
            if (visible(L0.bg.box, g)) { S.path(ctx, L0.bg, g, s, ox, oy); }
          }
          var bs = spec.backgroundStyle;
          ctx.globalAlpha = bs.fillOpacity; ctx.fillStyle = bs.fillColor; ctx.fill('evenodd');
          ctx.globalAlpha = 1; ctx.globalCompositeOperation = 'destination-out';
          ctx.fillStyle = '#000000';
          for (var e = 0; e < n; e++) {
            if (visible(box, rows[e])) { draw(rows[e], 'clear'); }
          }
          ctx.globalCompositeOperation = 'source-over';
        }
        var k = 0;
        while (k < n) {
          var style = spec.styles[st[k]], end = k;
          while (end < n && st[end] === st[k]) { end++; }
          var stroke = outline && style.stroke !== false && style.weight > 0;
          ctx.globalAlpha = style.fillOpacity > 0 ? style.fillOpacity : 0;
          ctx.fillStyle = style.fillColor || '#000000';
          ctx.strokeStyle = style.color || '#000000';
          ctx.lineWidth = style.weight || 1; ctx.lineJoin = 'round';
          for (var j = k; j < end; j++) {
            var f = rows[j];
            if (!visible(box, f)) { continue; }
            if (stroke) {
              ctx.globalAlpha = style.fillOpacity; draw(f, 'fill');
              ctx.globalAlpha = style.opacity; ctx.beginPath();
              S.path(ctx, d, f, s, ox, oy); ctx.stroke();
            } else {
              draw(f, 'fill');
            }
          }
          ctx.globalAlpha = 1;
          k = end;
        }
        return tile;
      }
    });
    var layer = new Grid({pane: spec.pane, updateWhenZooming: false, keepBuffer: 1});
    layer.shequ = L0;
    L0.find = function (mx, my) {
      /* the shape of this layer under a point, or -1 (an index of ~2 shapes a bucket side) */
      ready();
      var d = L0.d, w = Math.max(d.size, 1e-9) * 2;
      if (!L0.index) {
        L0.index = new Map();
        for (var k = 0; k < L0.rows.length; k++) {
          var f = L0.rows[k], key = Math.floor(d.box[4 * f] / w) * 1e7
            + Math.floor(d.box[4 * f + 1] / w), list = L0.index.get(key);
          if (list) { list.push(k); } else { L0.index.set(key, [k]); }
        }
      }
      var bx = Math.floor(mx / w), by = Math.floor(my / w);
      for (var i = bx - 1; i <= bx; i++) {
        for (var j = by - 1; j <= by; j++) {
          var found = L0.index.get(i * 1e7 + j) || [];
          for (var q = 0; q < found.length; q++) {
            if (S.inside(d, L0.rows[found[q]], mx, my)) { return found[q]; }
          }
        }
      }
      return -1;
    };
    L0.inRest = function (mx, my) {
      if (!L0.bg) { return false; }
      for (var g = 0; g < L0.bg.n; g++) { if (S.inside(L0.bg, g, mx, my)) { return true; } }
      return false;
    };
    S.layers.push(layer);
    return layer;
  };
  S.wire = function (map) {
    /* tooltip, highlight and popup of the topmost layer's shape under the pointer */
    var tip = L.tooltip({sticky: true, className: 'shequ-tip'}), shown = null;
    var highlight = L.polygon([], {color: '#000000', weight: 3, opacity: 1, fill: false,
      interactive: false, pane: cfg.highlightPane});
    function under(latlng) {
      var mx = (latlng.lng + 180) / 360, my = mercY(latlng.lat), best = null;
      S.layers.forEach(function (layer) {
        if (!map.hasLayer(layer)) { return; }
        var L0 = layer.shequ, k = L0.find(mx, my);
        var z = parseInt(layer.options.pane ? map.getPane(layer.options.pane).style.zIndex : 0);
        if (k >= 0 && (!best || z > best.z)) { best = {L0: L0, k: k, z: z}; }
        if (k < 0 && L0.inRest(mx, my) && !best) { best = {L0: L0, k: -1, z: -1}; }
      });
      return best;
    }
    function ring(L0, k) {
      var d = L0.d, f = L0.rows[k], out = [];
      for (var p = d.partStart[f]; p < d.partStart[f + 1]; p++) {
        var pts = [];
        for (var q = d.pointStart[p]; q < d.pointStart[p + 1]; q++) {
          pts.push([d.lat[q], d.lon[q]]);
        }
        out.push(pts);
      }
      return out;
    }
    function content(hit, full) {
      var spec = hit.L0.spec;
      if (hit.k < 0) {
        var div = document.createElement('div');
        div.textContent = cfg.words.rest;
        return div;
      }
      var f = hit.L0.rows[hit.k];
      if (spec.own) {
        var t = document.createElement('table');
        spec.tipRows.forEach(function (r) {
          var tr = document.createElement('tr'), a = document.createElement('th');
          if (!spec.decoded) { spec.decoded = {}; }
          if (!(r[0] in spec.decoded)) { spec.decoded[r[0]] = shequVarints(spec[r[0]]); }
          var b = document.createElement('td'), v = spec.decoded[r[0]][hit.k];
          a.textContent = r[1]; b.textContent = r[2] ? r[2][v - 1] || '' : String(v);
          tr.appendChild(a); tr.appendChild(b); t.appendChild(tr);
        });
        return t;
      }
      return full ? S.popup(f) : S.tip(f);
    }
    map.on('mousemove', function (e) {
      var hit = under(e.latlng);
      var key = hit ? hit.L0.spec.pane + ':' + hit.k : null;
      if (!hit) {
        if (shown) { map.closeTooltip(tip); highlight.remove(); shown = null; }
        return;
      }
      if (key !== shown) {
        tip.setContent(content(hit, false));
        if (hit.k >= 0) { highlight.setLatLngs(ring(hit.L0, hit.k)).addTo(map); }
        else { highlight.remove(); }
        shown = key;
      }
      tip.setLatLng(e.latlng);
      if (!map.hasLayer(tip)) { map.openTooltip(tip); }
    });
    map.on('mouseout', function () { map.closeTooltip(tip); highlight.remove(); shown = null; });
    map.on('click', function (e) {
      var hit = under(e.latlng);
      if (!hit) { return; }
      L.popup({maxWidth: 420}).setLatLng(e.latlng).setContent(content(hit, true)).openOn(map);
    });
    S.under = under; S.content = content;
  };
  return S;
}
"""
"""The page's drawing of a large hotspot map (plain ES5 but ``Map``; uses :data:`DECODE_JS`)."""


class BigCellLayer(Layer):
    """One theme of a large hotspot map: canvas tiles drawn by the page from the shared state
    (see the module docstring); ``spec`` is JSON-ready, ``name`` escaped."""

    _template = Template(
        """
        {% macro script(this, kwargs) %}
        var {{ this.get_name() }} = shequHsBigState.layer({{ this.spec_json }});
        {% endmacro %}
        """
    )

    def __init__(self, spec: dict[str, Any], *, name: str, show: bool = True) -> None:
        super().__init__(name=name, overlay=True, control=True, show=show)
        self._name = "BigCellLayer"
        self.spec = spec
        self.spec_json = script_json(spec)


class _BigWire(MacroElement):
    """Tooltips, highlight and popups of the large map's layers (after the layers exist)."""

    _template = Template(
        """
        {% macro script(this, kwargs) %}
        shequHsBigState.wire({{ this._parent.get_name() }});
        {% endmacro %}
        """
    )

    def __init__(self) -> None:
        super().__init__()
        self._name = "BigWire"


# --- packing --------------------------------------------------------------------------------


def pack_cells(geoms: np.ndarray, digits: int = COORD_DIGITS) -> dict[str, Any]:
    """Cell shapes packed for the page, in their order.

    Hexagons (six corners, no holes: every H3 cell but the twelve pentagons) are written as
    their centre and six corner offsets, each the difference from the cell before: neighbouring
    cells in H3 order have nearly the same offsets, so a cell takes about 16 bytes. Anything
    else falls back to :func:`shequ.maps.packed.pack_geometries` (the same structure once
    decoded).

    Parameters
    ----------
    geoms : ndarray of shapely geometries
        Polygons in lon/lat, none missing or empty.
    digits : int
        Decimals kept (6: 0.1 m, as a small map's GeoJSON).

    Returns
    -------
    dict
        ``kind`` ("hex" or "polygon"), ``n``, ``digits`` and ``data`` (base64).
    """
    geoms = np.asarray(geoms, dtype=object)
    n = len(geoms)
    simple = (
        n > 0
        and bool(np.all(shapely.get_type_id(geoms) == 3))
        and bool(np.all(shapely.get_num_interior_rings(geoms) == 0))
    )
    if simple:
        rings = shapely.get_exterior_ring(geoms)
        simple = bool(np.all(shapely.get_num_coordinates(rings) == 7))
    if not simple:
        packed = pack_geometries(geoms, digits)
        if packed is None or packed["n"] != n:
            msg = "pack_cells takes polygons, none missing or empty"
            raise ValueError(msg)
        return packed
    xy = shapely.get_coordinates(rings).reshape(n, 7, 2)[:, :6]
    q = quantise(xy, digits)
    centre = np.round(q.mean(axis=1)).astype(np.int64)
    offsets = (q - centre[:, None, :]).reshape(n, 12)
    dc = np.diff(centre, axis=0, prepend=np.zeros((1, 2), dtype=np.int64))
    do = np.diff(offsets, axis=0, prepend=np.zeros((1, 12), dtype=np.int64))
    data = varints(zigzag(np.concatenate([dc.ravel(), do.ravel()])))
    return {"kind": "hex", "n": n, "digits": digits, "data": base64.b64encode(data).decode()}


def unpack_cells(packed: dict[str, Any]) -> list[np.ndarray]:
    """The hexagons of :func:`pack_cells` as (6, 2) lon/lat arrays (for tests; the page decodes
    them itself)."""
    from shequ.maps.packed import _read_varints, unpack

    if packed["kind"] != "hex":
        return [rings[0] for rings in unpack(packed)]
    raw = np.frombuffer(base64.b64decode(packed["data"]), dtype=np.uint8)
    z = _read_varints(raw)
    v = (z >> 1) ^ -(z & 1)
    n = packed["n"]
    centre = np.cumsum(v[: 2 * n].reshape(n, 2), axis=0)
    offsets = np.cumsum(v[2 * n :].reshape(n, 12), axis=0).reshape(n, 6, 2)
    xy = (centre[:, None, :] + offsets) / 10.0 ** packed["digits"]
    return list(xy)


def pack_deltas(values: np.ndarray) -> str:
    """Integers as base64 varints of their zig-zag differences (the page sums them back)."""
    v = np.asarray(values, dtype=np.int64)
    return base64.b64encode(varints(zigzag(np.diff(v, prepend=0)))).decode("ascii")


def h3_ints(ids: Sequence[Any]) -> np.ndarray | None:
    """The cells' H3 ids as uint64, or None unless every id is a valid H3 cell of one
    resolution written as h3 writes it (lower-case hex)."""
    try:
        texts = [str(value) for value in ids]
        ints = np.array([int(text, 16) for text in texts], dtype=np.uint64)
    except (TypeError, ValueError, OverflowError):
        return None
    if len(ints) == 0:
        return None
    sample = ints[:: max(1, len(ints) // 1000)]
    if not all(h3.is_valid_cell(h3.int_to_str(int(x))) for x in sample):
        return None
    if any(h3.int_to_str(int(x)) != t for x, t in zip(ints[:1000], texts[:1000], strict=True)):
        return None
    res = (ints >> np.uint64(52)) & np.uint64(0xF)
    return ints if bool(np.all(res == res[0])) else None


def h3_parents(ints: np.ndarray, res: int) -> np.ndarray:
    """Each cell's parent at resolution ``res`` (bit arithmetic on the H3 index, as
    ``h3.cell_to_parent``)."""
    x = ints.astype(np.uint64).copy()
    x &= ~np.uint64(0xF << 52)
    x |= np.uint64(res << 52)
    for k in range(res + 1, 16):
        x |= np.uint64(7 << ((15 - k) * 3))
    return x


def pack_h3(ints: np.ndarray) -> list[str]:
    """uint64 ids as four 16-bit limbs, high first, each column delta-encoded (the page writes
    the hex text back)."""
    limbs = [(ints >> np.uint64(48 - 16 * k)) & np.uint64(0xFFFF) for k in range(4)]
    return [pack_deltas(limb.astype(np.int64)) for limb in limbs]


def cells_outline(ints: np.ndarray | None, geoms: np.ndarray, chunk: int = 250_000) -> Any:
    """The union of all the cells: the area the blue "rest" is drawn over.

    For H3 cells h3's own outline of a cell set (exact, linear), in chunks of cells in id order
    (its memory grows with the chunk), the chunks' outlines then united; for other cells a
    shapely union of the shapes.
    """
    if ints is None:
        return shapely.union_all(shapely.set_precision(geoms, 1e-7))
    order = np.sort(ints)
    parts = []
    for start in range(0, len(order), chunk):
        shape = h3.api.basic_int.cells_to_h3shape([int(x) for x in order[start : start + chunk]])
        parts.append(shapely.geometry.shape(shape.__geo_interface__))
    if len(parts) == 1:
        return parts[0]
    return shapely.union_all(shapely.set_precision(np.asarray(parts, dtype=object), 1e-7))


# --- texts ------------------------------------------------------------------------------------


def coded(values: np.ndarray, fmt: Callable[[Any], str | None]) -> tuple[np.ndarray, list[str]]:
    """Per value a code (0: no text, else 1 + its place in the table) and the table of distinct
    texts, most frequent first (one-byte codes for them), as plain text (the page sets it with
    ``textContent``).

    ``fmt`` is the small map's formatter, called once per distinct value, so the texts are the
    small map's (which escapes them: unescaped here).
    """
    inverse, uniques = pd.factorize(pd.Series(np.asarray(values)), use_na_sentinel=True)
    texts = [fmt(value) for value in uniques]
    texts = [None if text is None else html.unescape(text) for text in texts]
    table: dict[str, int] = {}
    code_of = np.zeros(len(uniques) + 1, dtype=np.int64)
    counts = np.bincount(inverse[inverse >= 0], minlength=len(uniques))
    for u in np.argsort(-counts, kind="stable"):
        text = texts[u]
        if text:
            code_of[u] = table.setdefault(text, len(table) + 1)
    codes = np.where(inverse >= 0, code_of[inverse], 0)
    return codes, list(table)


JOINT_MAX_TEXTS = 8
"""Fields with at most this many distinct texts share one code per cell (:func:`pack_codes`)."""


def pack_codes(
    numbers: dict[str, np.ndarray], texts: dict[str, list[str]], keep: Sequence[str] = ()
) -> dict[str, Any]:
    """The popup codes of every field, packed for the page.

    Most of a city's fields have few distinct texts (level, Gi* class, trend …) and those are
    strongly tied to each other, so the fields with at most :data:`JOINT_MAX_TEXTS` texts are
    coded together: per cell one code into a table of the combinations that occur (one or two
    bytes for ten fields). A field equal to an earlier one (a factor's raw value is often the
    popup's own row, e.g. the Gi* z-score) is written once: ``alias`` names the earlier one.
    Fields in ``keep`` are neither aliased nor aliases.

    Returns
    -------
    dict
        ``fields`` (key → base64 varints, the others), ``alias`` (key → key), ``joint``
        (``keys``, ``table`` of code tuples, ``codes`` base64).
    """
    alias: dict[str, str] = {}
    seen: dict[tuple[bytes, tuple[str, ...]], str] = {}
    for key, values in numbers.items():
        if key in keep:  # not text codes (the level numbers of the swatch)
            continue
        mark = (np.asarray(values, dtype=np.int64).tobytes(), tuple(texts.get(key, [])))
        if mark in seen:
            alias[key] = seen[mark]
        else:
            seen[mark] = key
    own = [key for key in numbers if key not in alias]
    joint = [key for key in own if len(texts.get(key, [])) <= JOINT_MAX_TEXTS]
    fields = {key: pack_uints(numbers[key]) for key in own if key not in joint}
    out: dict[str, Any] = {"fields": fields, "alias": alias}
    if joint:
        stacked = np.column_stack([numbers[key] for key in joint])
        table, inverse = np.unique(stacked, axis=0, return_inverse=True)
        out["joint"] = {
            "keys": joint,
            "table": table.tolist(),
            "codes": pack_uints(np.asarray(inverse).ravel()),
        }
    return out


def _numbers(frame: pd.DataFrame, name: str) -> np.ndarray:
    if name not in frame.columns:
        return np.full(len(frame), np.nan)
    return pd.to_numeric(frame[name], errors="coerce").to_numpy(dtype=float)


def _objects(frame: pd.DataFrame, name: str) -> np.ndarray:
    if name not in frame.columns:
        return np.full(len(frame), None, dtype=object)
    return frame[name].astype(object).to_numpy()


# --- the map ----------------------------------------------------------------------------------


def build_large_hotspot_map(
    cells: gpd.GeoDataFrame,
    *,
    grids: gpd.GeoDataFrame | None,
    lang: str,
    three_colour: bool,
    title_text: str,
    level_rule: str | None,
) -> folium.Map:
    """The hotspot map of more than :data:`MAX_CELL_FEATURES` cells (see the module docstring).

    Parameters
    ----------
    cells : GeoDataFrame
        As :func:`shequ.maps.hotspot_map.build_hotspot_map` takes them (columns checked there).
    grids : GeoDataFrame, optional
        The grid roll-up, drawn as on a small map.
    lang : {"zh", "en"}
    three_colour : bool
        Orange drawn, counted and named as red.
    title_text : str
        The escaped title.
    level_rule : str, optional
        The rule that set the levels (a :class:`~shequ.i18n.Note` or text).

    Returns
    -------
    folium.Map
        The same layers, legend sections and language as a small map.
    """
    from shequ.maps import hotspot_map as hm
    from shequ.maps.overlays import RawHtml, title_box
    from shequ.maps.page import add_panes, fit_to_data, label_tooltip, new_map, style_by_id
    from shequ.maps.style import risk_grid_style

    to_wgs84(cells.iloc[:1], "cells")  # the CRS checks of a small map, on one row
    grids_4326 = to_wgs84(grids, "grids")
    n = len(cells)
    scheme = THREE_COLOUR_LEVELS if three_colour else RISK_LEVELS
    levels = _level_keys(cells["level"], three_colour)
    blank = (np.nan_to_num(_numbers(cells, "count")) == 0) & (
        np.nan_to_num(_numbers(cells, "index")) == 0
    )
    bins = _numbers(cells, "bin")
    valid_bin = np.isfinite(bins) & (bins == np.round(bins)) & (np.abs(bins) <= 3)
    bins = np.where(valid_bin, bins, 0).astype(np.int64)
    trend_order = tuple(TREND_COLORS)
    trends = _trend_numbers(_objects(cells, "trend"), trend_order)
    geoms = cells.geometry.to_numpy()
    usable = ~(shapely.is_missing(geoms) | shapely.is_empty(geoms))
    ints = h3_ints(cells["h3"].tolist())

    level_number = {level: k for k, level in enumerate(hm.LEVEL_DRAW_ORDER)}
    level_st = np.array([level_number[level] for level in levels], dtype=np.int64)
    in_levels = level_st != level_number["blue"]
    in_gi = valid_bin & (bins != 0) & ~blank
    in_trend = trends >= 0
    rows = np.flatnonzero((in_levels | in_gi | in_trend) & usable)
    if ints is not None:
        rows = rows[np.argsort(ints[rows], kind="stable")]  # neighbours next to each other
    drawn = cells.iloc[rows]
    drawn_4326 = to_wgs84(drawn, "cells")

    counts: dict[str | None, int] = {level: levels.count(level) for level in scheme}
    if None in levels:
        counts[None] = levels.count(None)
    m = new_map(title_text, lang)
    add_decoder(m)
    header = m.get_root().header
    header.add_child(RawHtml(f"<style>{hm._CSS}</style>"), name="shequ_hotspot_style")
    panes = (hm.PANE_LEVELS, hm.PANE_KDE, hm.PANE_GI, hm.PANE_TREND, hm.PANE_GRIDS)
    add_panes(m, (*panes, ("shequ-hs-hover", 399)))
    shared = _shared_config(drawn, drawn_4326, ints, rows, lang, three_colour, hm)
    shared["words"]["rest"] = label("hs_big_rest", lang).format(
        level=html.unescape(hm.level_text("blue", lang, three_colour) or ""),
        cells=counts.get("blue", 0),
    )
    header.add_child(
        RawHtml(
            f"<script>{BIG_JS}\nvar shequHsBigState = shequHsBig({script_json(shared)});</script>"
        ),
        name="shequ_hotspot_js",
    )

    # themes: positions in the drawn table, sorted by style (drawn in that order)
    position = np.full(n, -1, dtype=np.int64)
    position[rows] = np.arange(len(rows))
    layers: dict[str, Layer] = {}
    outline = cells_outline(ints, geoms[usable])
    outline_crs = 4326 if ints is not None else cells.crs  # h3's outline is in lon/lat
    outline_4326 = to_wgs84(gpd.GeoDataFrame(geometry=[outline], crs=outline_crs), "cells")
    background = (
        pack_geometries(outline_4326.geometry.to_numpy(), COORD_DIGITS)
        if outline_4326 is not None
        else None
    )
    spec = _theme(position, in_levels & usable, level_st, level_st, hm.PANE_LEVELS[0])
    spec["styles"] = [level_style(level) for level in hm.LEVEL_DRAW_ORDER]
    if background is not None:
        spec["background"] = background
        spec["backgroundStyle"] = level_style("blue")
    layers["levels"] = _add(m, spec, "hs_levels_layer", lang, True)
    spec = _theme(position, in_gi & usable, bins + 3, np.abs(bins), hm.PANE_GI[0])
    spec["styles"] = [gi_bin_style(value) for value in range(-3, 4)]
    layers["gi"] = _add(m, spec, "hs_gi_layer", lang, False)
    kde_spec, breaks, kde_res = _kde_theme(cells, ints, lang)
    if kde_spec is not None:
        layers["kde"] = _add(m, kde_spec, "hs_kde_layer", lang, False)
    spec = _theme(position, in_trend & usable, trends, trends, hm.PANE_TREND[0])
    spec["styles"] = [trend_style(value) for value in trend_order]
    layers["trend"] = _add(m, spec, "hs_trend_layer", lang, False)
    if grids_4326 is not None:
        data, grid_levels = hm.grid_features(grids_4326, lang, three_colour=three_colour)
        layers["grids"] = folium.GeoJson(
            data,
            name=esc(label("hs_grids_layer_own", lang)),
            show=False,
            style_function=style_by_id([risk_grid_style(level) for level in grid_levels]),
            on_each_feature=label_tooltip(hm.GRID_TIP, lang),
            pane=hm.PANE_GRIDS[0],
        )
        layers["grids"].add_to(m)
    _BigWire().add_to(m)

    folium.LayerControl(collapsed=False).add_to(m)
    title_box(title_text).add_to(m)
    incidents = float(np.nansum(_numbers(cells, "count")))
    sections = {
        "levels": _levels_legend(counts, n, incidents, lang, three_colour, level_rule, hm),
        "gi": _gi_legend(bins[valid_bin & ~blank & usable], cells, lang, hm),
        "kde": _kde_legend(breaks, kde_res, lang, hm),
        "trend": hm.trend_legend([trend_order[t] for t in trends[in_trend & usable]], lang),
    }
    if "kde" not in layers:  # no layer to switch it on with: the note stays in view
        sections["levels"] += "\n" + sections.pop("kde")
    if "grids" in layers:
        significance = "significance" in hm.column_or_empty(grids_4326, "level_rule")
        sections["grids"] = hm.grids_legend(
            lang, three_colour=three_colour, significance=significance
        )
    hm.add_legend_sections(m, sections, layers)
    fit_to_data(m, [outline_4326, grids_4326])
    return m


def _add(m: folium.Map, spec: dict[str, Any], key: str, lang: str, show: bool) -> BigCellLayer:
    layer = BigCellLayer(spec, name=esc(label(key, lang)) or key, show=show)
    layer.add_to(m)
    return layer


def _theme(
    position: np.ndarray, member: np.ndarray, style: np.ndarray, key: np.ndarray, pane: str
) -> dict[str, Any]:
    """A theme's rows in the drawn table and their style numbers, ordered by ``key`` (drawn
    last: on top), then by row."""
    cells = np.flatnonzero(member)
    order = np.lexsort((position[cells], key[cells]))
    cells = cells[order]
    return {
        "pane": pane,
        "rows": pack_deltas(position[cells]),
        "st": pack_uints(style[cells]),
        "n": len(cells),
    }


def _level_keys(values: pd.Series, three_colour: bool) -> list[str | None]:
    """Each cell's drawn level (:func:`shequ.maps.hotspot_map.level_key`, vectorised)."""
    text = values.astype("string").str.strip().str.lower()
    known = text.where(text.isin(RISK_LEVELS))
    if three_colour:
        known = known.replace("orange", "red")
    return [None if value is pd.NA else str(value) for value in known.tolist()]


def _trend_numbers(values: np.ndarray, order: Sequence[str]) -> np.ndarray:
    """Each cell's trend as its number in ``order``, −1 for none or an unknown one."""
    text = pd.Series(values, dtype="string").str.strip().str.lower()
    return text.map({name: k for k, name in enumerate(order)}).fillna(-1).to_numpy(np.int64)


def _shared_config(
    drawn: gpd.GeoDataFrame,
    drawn_4326: gpd.GeoDataFrame | None,
    ints: np.ndarray | None,
    rows: np.ndarray,
    lang: str,
    three_colour: bool,
    hm: Any,
) -> dict[str, Any]:
    """The drawn cells' shapes, ids and popup texts (codes per field, tables of texts)."""
    households = "households" in drawn.columns
    fields = []
    for key, name in hm.CELL_FIELDS:
        if key == "rt" and households:
            name = "hs_rate_households"
        fields.append([key, label(name, lang)])
    factors = hm.factor_names(drawn)
    scheme = THREE_COLOUR_LEVELS if three_colour else RISK_LEVELS
    formats: dict[str, tuple[np.ndarray, Callable[[Any], str | None]]] = {
        "lv": (_objects(drawn, "level"), lambda v: hm.level_text(v, lang, three_colour)),
        "ix": (_numbers(drawn, "index"), lambda v: hm.fixed(v, 2)),
        "n": (_numbers(drawn, "count"), hm.fmt_number),
        "rt": (_numbers(drawn, "rate"), hm.significant),
        "z": (_numbers(drawn, "gi_z"), lambda v: hm.fixed(v, 2)),
        "p": (_numbers(drawn, "gi_p"), hm.significant),
        "b": (_objects(drawn, "bin"), lambda v: hm.gi_bin_text(v, lang)),
        "bf": (_objects(drawn, "bin_fdr"), lambda v: hm.gi_bin_text(v, lang)),
        "mi": (_numbers(drawn, "moran_i"), lambda v: hm.fixed(v, 2)),
        "mp": (_numbers(drawn, "moran_p"), hm.significant),
        "kd": (_numbers(drawn, "kde"), hm.significant),
        "tr": (_objects(drawn, "trend"), lambda v: hm.trend_text(v, lang)),
        "hh": (_numbers(drawn, "households"), lambda v: hm.fmt_number(v, 0)),
        "pop": (_numbers(drawn, "population"), lambda v: hm.fmt_number(v, 0)),
        "el": (_numbers(drawn, "elderly"), lambda v: hm.fmt_number(v, 0)),
        "es": (_numbers(drawn, "elderly_share"), hm.percent),
    }
    for j, name in enumerate(factors):
        formats[f"f{j}"] = (_numbers(drawn, name), lambda v, name=name: hm.factor_value(name, v))
        formats[f"r{j}"] = (_numbers(drawn, f"rank_{name}"), lambda v: hm.fixed(v, 2))
    numbers: dict[str, np.ndarray] = {}
    texts: dict[str, list[str]] = {}
    for key, (values, fmt) in formats.items():
        numbers[key], texts[key] = coded(values, fmt)
    position = {level: k for k, level in enumerate(scheme)}
    level_numbers = [
        position.get(level or "", -1) + 1 for level in _level_keys(drawn["level"], three_colour)
    ]
    numbers["lvn"] = np.asarray(level_numbers, dtype=np.int64)
    texts["lvn"] = [str(k) for k in range(len(scheme))]
    codes = pack_codes(numbers, texts, keep=("lvn",))
    ids: dict[str, Any] = {}
    if ints is not None:
        ids["h3"] = pack_h3(ints[rows])
    else:
        ids["ids"] = [str(value) for value in drawn["h3"].tolist()]
    shape = (
        pack_cells(drawn_4326.geometry.to_numpy())
        if drawn_4326 is not None
        else {"kind": "polygon", "n": 0, "digits": COORD_DIGITS, "data": ""}
    )
    return {
        "cells": {"shape": shape, **ids},
        "fields": fields,
        "tip": list(hm.TIP_FIELDS),
        "factors": [html.unescape(hm.factor_label(name, lang)) for name in factors],
        "levels": [[LEVEL_COLORS[level], LEVEL_OUTLINES[level]] for level in scheme],
        "labels": {
            "factors": label("hs_factors", lang),
            "factor": label("hs_factor", lang),
            "value": label("hs_factor_value", lang),
            "rank": label("hs_factor_rank", lang),
        },
        "codes": codes,
        "texts": {key: table for key, table in texts.items() if key != "lvn"},
        "highlightPane": "shequ-hs-hover",
        "words": {"rest": ""},
    }


def _kde_theme(
    cells: gpd.GeoDataFrame, ints: np.ndarray | None, lang: str
) -> tuple[dict[str, Any] | None, list[float], int | None]:
    """The density layer per parent cell (mean of its cells' ``kde``), its class breaks and the
    parents' resolution; None when the cells are not H3 cells or carry no density."""
    from shequ.maps import hotspot_map as hm

    density = _numbers(cells, "kde")
    ok = np.isfinite(density)
    if ints is None or not ok.any():
        return None, [], None
    res = int((ints[0] >> np.uint64(52)) & np.uint64(0xF)) - KDE_PARENT_STEPS
    if res < 0:
        return None, [], None
    parents = h3_parents(ints[ok], res)
    frame = pd.DataFrame({"p": parents, "kde": density[ok]})
    grouped = frame.groupby("p", sort=True)["kde"].agg(["mean", "size"])
    means = grouped["mean"].to_numpy()
    breaks = hm.kde_breaks(means.tolist())
    classes = np.searchsorted(breaks, means, side="right")
    polygons = gpd.GeoDataFrame(geometry=cell_polygons(grouped.index.to_numpy(np.uint64)), crs=4326)
    shape = pack_cells(to_wgs84(polygons, "cells").geometry.to_numpy())
    order = np.lexsort((np.arange(len(means)), classes))
    codes, table = coded(means[order], hm.significant)
    spec = {
        "pane": hm.PANE_KDE[0],
        "own": shape,
        "rows": pack_deltas(order),
        "st": pack_uints(classes[order]),
        "n": len(order),
        "styles": [kde_style(k, len(breaks) + 1) for k in range(len(breaks) + 1)],
        "kd": pack_uints(codes),
        "nc": pack_uints(grouped["size"].to_numpy(np.int64)[order]),
        "tipRows": [
            ["kd", label("hs_kde", lang), table],
            ["nc", label("hs_big_kde_cells", lang), None],
        ],
    }
    return spec, breaks, res


def _levels_legend(
    counts: dict[str | None, int],
    total: int,
    incidents: float,
    lang: str,
    three_colour: bool,
    rule: str | None,
    hm: Any,
) -> str:
    """The small map's level legend (counts of all cells) and the note on what is drawn."""
    return hm.level_legend(
        counts,
        None,
        lang,
        three_colour=three_colour,
        rule=rule,
        totals=(total, incidents),
        note=label("hs_big_note", lang).format(cells=total),
    )


def _gi_legend(bins: np.ndarray, cells: gpd.GeoDataFrame, lang: str, hm: Any) -> str:
    """The seven Gi* classes with their numbers of (non-blank) cells; the not-significant ones
    are counted, not drawn."""
    lines = [f"<h4>{esc(label('hs_gi_layer', lang))}</h4>"]
    counts = np.bincount(bins + 3, minlength=7)
    for value in range(3, -4, -1):
        swatch = hm._swatch(GI_BIN_COLORS[value + 3], "#737373")
        text = esc(label(hm.GI_BIN_KEYS[value + 3], lang))
        lines.append(f"<div>{swatch}{text} ({int(counts[value + 3])})</div>")
    lines.append(f'<div class="shequ-note">{esc(label("hs_big_gi_note", lang))}</div>')
    if "bin_fdr" in cells.columns:
        fdr = np.nan_to_num(_numbers(cells, "bin_fdr"))
        note = label("hs_gi_fdr_note", lang).format(
            hot=int((fdr >= 2).sum()), cold=int((fdr <= -2).sum())
        )
        lines.append(f'<div class="shequ-note">{esc(note)}</div>')
    return "\n".join(lines)


def _kde_legend(breaks: list[float], res: int | None, lang: str, hm: Any) -> str:
    """The density classes of the parent cells, and what a parent's colour is; or why the
    density is not drawn."""
    if res is None:
        heading = f"<h4>{esc(label('hs_kde_layer', lang))}</h4>"
        return f'{heading}<div class="shequ-note">{esc(label("hs_big_kde_none", lang))}</div>'
    km2 = hm.significant(H3_RES_KM2[res], 2)
    note = label("hs_big_kde_note", lang).format(res=res, km2=km2)
    return f'{hm.kde_legend(breaks, lang)}\n<div class="shequ-note">{esc(note)}</div>'


__all__ = [
    "MAX_CELL_FEATURES",
    "BigCellLayer",
    "build_large_hotspot_map",
    "cells_outline",
    "coded",
    "h3_ints",
    "h3_parents",
    "pack_cells",
    "pack_codes",
    "unpack_cells",
]
