"""The grid manager's drawing tool: draw a shape, name the grid it goes to, export GeoJSON.

The management-grid map (:mod:`shequ.maps.grid_map`) lets a grid manager (网格员, 网格长) propose
a change without GIS software: with the Leaflet.draw toolbar (vendored and inlined, see
:func:`shequ.maps.assets.add_leaflet_draw`) they draw a polygon or rectangle around the units
(compounds, street blocks) that should belong to another grid; a prompt asks for that grid's
code (in full, or its last digits) or its id; the shape keeps the answer. Clicking a drawn shape
asks again, and the toolbar's edit and delete buttons reshape or remove shapes. The "export
edits" button under the toolbar downloads every shape as one GeoJSON FeatureCollection (the
format is documented in :mod:`shequ.maps.grid_map`, which ``shequ grids --edits`` reads). The
"export grids" button downloads the plan itself (``grids.geojson``: each grid's outline in
WGS-84 at 6 decimals, its code and name verbatim, its households), ready for the grid platform
or for ``shequ grids --existing``.

All of it runs in the page, offline. The page exposes ``window.shequGridEdits`` (``collect()``
returns the FeatureCollection that ``exportEdits()`` downloads; ``exportGrids()`` downloads
the plan; ``find(text)`` resolves an answer to a grid) for scripted checks and for pages that
embed the map.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import folium
import numpy as np
from branca.element import MacroElement
from folium.template import Template

from shequ.geo.coords import wgs84_to_gcj02
from shequ.maps.escape import script_json
from shequ.maps.labels import label
from shequ.maps.style import edit_style

EDITS_FILENAME = "grid_edits.geojson"
PLAN_FILENAME = "grids.geojson"
EDITS_PRECISION = 6
"""Decimals of the exported coordinates (about 0.1 m), as Leaflet's ``toGeoJSON`` rounds."""
MAX_PROMPTS = 5
"""Wrong answers in a row after which a drawn shape is dropped, as if cancelled."""

DRAW_TEXT_KEYS: dict[str, Any] = {
    "draw": {
        "toolbar": {
            "actions": {"title": "draw_cancel_title", "text": "draw_cancel"},
            "finish": {"title": "draw_finish_title", "text": "draw_finish"},
            "undo": {"title": "draw_undo_title", "text": "draw_undo"},
            "buttons": {"polygon": "draw_polygon", "rectangle": "draw_rectangle"},
        },
        "handlers": {
            "polygon": {
                "tooltip": {
                    "start": "draw_polygon_start",
                    "cont": "draw_polygon_cont",
                    "end": "draw_polygon_end",
                }
            },
            "rectangle": {"tooltip": {"start": "draw_rectangle_start"}},
            "simpleshape": {"tooltip": {"end": "draw_shape_end"}},
        },
    },
    "edit": {
        "toolbar": {
            "actions": {
                "save": {"title": "draw_save_title", "text": "draw_save"},
                "cancel": {"title": "draw_discard_title", "text": "draw_discard"},
                "clearAll": {"title": "draw_clear_title", "text": "draw_clear"},
            },
            "buttons": {
                "edit": "draw_edit",
                "editDisabled": "draw_edit_disabled",
                "remove": "draw_remove",
                "removeDisabled": "draw_remove_disabled",
            },
        },
        "handlers": {
            "edit": {"tooltip": {"text": "draw_edit_hint", "subtext": "draw_edit_subhint"}},
            "remove": {"tooltip": {"text": "draw_remove_hint"}},
        },
    },
}
"""Leaflet.draw's own toolbar words (``L.drawLocal``) the page sets, as map labels of the
catalogue (``map.draw_*``; English: Leaflet.draw's). Leaflet.draw sets some of them as HTML;
like every map label they are trusted and hold no markup."""


def draw_texts(lang: str) -> dict[str, Any]:
    """Leaflet.draw's toolbar words in ``lang`` (a nested ``L.drawLocal`` override).

    Parameters
    ----------
    lang : {"zh", "en"}
        Language of the words.

    Returns
    -------
    dict
        :data:`DRAW_TEXT_KEYS` with every label in ``lang``, plus the error shown when a
        polygon's edges cross (its heading in bold, as Leaflet.draw's own).
    """

    def fill(keys: dict[str, Any]) -> dict[str, Any]:
        return {k: fill(v) if isinstance(v, dict) else label(v, lang) for k, v in keys.items()}

    texts = fill(DRAW_TEXT_KEYS)
    space = "" if lang == "zh" else " "
    heading, problem = label("draw_error", lang), label("draw_edges_cross", lang)
    texts["draw"]["handlers"]["polyline"] = {"error": f"<strong>{heading}</strong>{space}{problem}"}
    return texts


_TEXT_KEYS = {
    "prompt": "edit_prompt",
    "notFound": "edit_not_found",
    "cancelled": "edit_cancelled",
    "export": "edit_export",
    "exportTitle": "edit_export_title",
    "exportPlan": "edit_export_plan",
    "exportPlanTitle": "edit_export_plan_title",
    "none": "edit_none",
    "count": "edit_count",
    "exported": "edit_exported",
    "to": "edit_to",
    "help": "edit_help",
    "unsaved": "edit_unsaved",
}

EDIT_CSS = """
.shequ-edit-control { background: #fff; max-width: 190px; }
.leaflet-bar a.shequ-edit-export { width: auto; height: auto; padding: 4px 8px;
  line-height: 18px; font-size: 12px; font-weight: bold; text-align: left; white-space: nowrap; }
.shequ-edit-status { padding: 3px 8px 5px; font-size: 11px; line-height: 15px; color: #444;
  border-top: 1px solid #ddd; }
.shequ-edit-tag { background: rgba(255,255,255,0.9); border: 1px solid #d6006e; color: #7a003f;
  font-weight: bold; box-shadow: none; }
"""

_SCRIPT = """
{% macro script(this, kwargs) %}
(function () {
  var map = {{ this._parent.get_name() }};
  var drawn = {{ this.group.get_name() }};
  var cfg = {{ this.config }};
  var T = cfg.texts, grids = cfg.grids, mode = null, dirty = false, statusBox = null;

  function merge(into, from) {
    Object.keys(from).forEach(function (key) {
      var value = from[key];
      if (value && typeof value === 'object' && into[key] && typeof into[key] === 'object') {
        merge(into[key], value);
      } else {
        into[key] = value;
      }
    });
  }
  if (cfg.drawTexts) { merge(L.drawLocal, cfg.drawTexts); }

  function escapeHtml(text) {
    return String(text).replace(/[&<>"']/g, function (c) {
      return {'&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;'}[c];
    });
  }

  /* A grid from an answer: its full code, its short code (as on the labels), the only code
     ending in the answer (3 characters or more), else its grid id. */
  function find(answer) {
    var text = String(answer === null || answer === undefined ? '' : answer).trim(), i;
    if (!text) { return null; }
    for (i = 0; i < grids.length; i++) { if (grids[i].code === text) { return grids[i]; } }
    for (i = 0; i < grids.length; i++) { if (grids[i].tail === text) { return grids[i]; } }
    if (text.length >= 3) {
      var ends = grids.filter(function (grid) {
        return grid.code.slice(-text.length) === text;
      });
      if (ends.length === 1) { return ends[0]; }
    }
    if (/^-?[0-9]+$/.test(text)) {
      for (i = 0; i < grids.length; i++) {
        if (String(grids[i].id) === String(parseInt(text, 10))) { return grids[i]; }
      }
    }
    return null;
  }

  function ask(current) {
    var message = T.prompt;
    for (var tries = 0; tries < cfg.maxPrompts; tries++) {
      var answer = window.prompt(message, current || '');
      if (answer === null || answer === undefined) { return null; }
      var grid = find(answer);
      if (grid) { return grid; }
      message = T.notFound.replace('{answer}', String(answer)) + '\\n' + T.prompt;
    }
    return null;
  }

  function say(text) { if (statusBox) { statusBox.textContent = text; } }

  function countText() {
    var n = drawn.getLayers().length;
    return n ? T.count.replace('{n}', String(n)) : T.help;
  }

  function assign(layer, grid) {
    layer.feature = {type: 'Feature', properties: {to_grid: grid.id, to_code: grid.code}};
    layer.unbindTooltip();
    layer.bindTooltip(escapeHtml(T.to + ' ' + grid.tail), {
      permanent: true, direction: 'center', className: 'shequ-edit-tag'
    });
  }

  function reassign(event) {
    if (mode) { return; }
    L.DomEvent.stop(event);
    var layer = event.target, props = (layer.feature || {}).properties || {};
    var grid = ask(props.to_code);
    if (grid) { assign(layer, grid); dirty = true; say(countText()); }
  }

  function collect() {
    var features = [];
    drawn.eachLayer(function (layer) {
      var props = (layer.feature || {}).properties;
      if (!props || !layer.toGeoJSON) { return; }
      features.push({
        type: 'Feature',
        properties: {to_grid: props.to_grid, to_code: props.to_code},
        geometry: toWgs84(layer.toGeoJSON(cfg.precision).geometry)
      });
    });
    return {type: 'FeatureCollection', features: features};
  }

  /* Under GCJ-02 tiles the page is drawn in GCJ-02: drawn shapes go back to WGS-84 (the
     files' system) through the offset the page was built with, bilinear on a grid, inverted by
     fixed-point iteration (the offset changes by centimetres over a district). */
  function offsetAt(lng, lat) {
    var u = cfg.unshift, fx = (lng - u.west) / (u.east - u.west) * (u.n - 1);
    var fy = (lat - u.south) / (u.north - u.south) * (u.n - 1);
    fx = Math.min(Math.max(fx, 0), u.n - 1.000001);
    fy = Math.min(Math.max(fy, 0), u.n - 1.000001);
    var i = Math.floor(fx), j = Math.floor(fy), a = fx - i, b = fy - j;
    function at(grid) {
      return (1 - a) * (1 - b) * grid[j][i] + a * (1 - b) * grid[j][i + 1]
        + (1 - a) * b * grid[j + 1][i] + a * b * grid[j + 1][i + 1];
    }
    return [at(u.dlon), at(u.dlat)];
  }
  function unshiftPoint(xy) {
    var w = [xy[0], xy[1]];
    for (var k = 0; k < 4; k++) {
      var d = offsetAt(w[0], w[1]);
      w = [xy[0] - d[0], xy[1] - d[1]];
    }
    var f = Math.pow(10, cfg.precision);
    return [Math.round(w[0] * f) / f, Math.round(w[1] * f) / f];
  }
  function toWgs84(geometry) {
    if (!cfg.unshift) { return geometry; }
    function walk(c) { return typeof c[0] === 'number' ? unshiftPoint(c) : c.map(walk); }
    return {type: geometry.type, coordinates: walk(geometry.coordinates)};
  }

  /* One feature a line, so a file diffs and reads well. */
  function download(data, filename) {
    var text = '{"type": "FeatureCollection", "features": [\\n'
      + data.features.map(function (item) { return JSON.stringify(item); }).join(',\\n')
      + '\\n]}\\n';
    var blob = new Blob([text], {type: 'application/geo+json'});
    var url = URL.createObjectURL(blob), link = document.createElement('a');
    link.href = url;
    link.download = filename;
    link.style.display = 'none';
    document.body.appendChild(link);
    link.click();
    document.body.removeChild(link);
    setTimeout(function () { URL.revokeObjectURL(url); }, 2000);
  }

  function exportGrids() {
    download(cfg.plan, cfg.planFilename);
    return cfg.plan;
  }

  function exportEdits() {
    var data = collect();
    if (!data.features.length) { say(T.none); return data; }
    download(data, cfg.filename);
    dirty = false;
    say(T.exported.replace('{n}', String(data.features.length)));
    return data;
  }

  new L.Control.Draw({
    position: 'topleft',
    draw: {
      polygon: {allowIntersection: false, showArea: false, shapeOptions: cfg.shape},
      rectangle: {showArea: false, shapeOptions: cfg.shape},
      polyline: false, circle: false, circlemarker: false, marker: false
    },
    edit: {featureGroup: drawn, poly: {allowIntersection: false}}
  }).addTo(map);

  var ExportControl = L.Control.extend({
    options: {position: 'topleft'},
    onAdd: function () {
      var box = L.DomUtil.create('div', 'leaflet-bar shequ-edit-control');
      var button = L.DomUtil.create('a', 'shequ-edit-export', box);
      button.href = '#';
      button.setAttribute('role', 'button');
      button.title = T.exportTitle;
      button.textContent = T.export;
      var plan = L.DomUtil.create('a', 'shequ-edit-export shequ-grid-export', box);
      plan.href = '#';
      plan.setAttribute('role', 'button');
      plan.title = T.exportPlanTitle;
      plan.textContent = T.exportPlan;
      statusBox = L.DomUtil.create('div', 'shequ-edit-status', box);
      statusBox.textContent = T.help;
      L.DomEvent.disableClickPropagation(box);
      L.DomEvent.disableScrollPropagation(box);
      L.DomEvent.on(button, 'click', function (event) {
        L.DomEvent.preventDefault(event);
        exportEdits();
      });
      L.DomEvent.on(plan, 'click', function (event) {
        L.DomEvent.preventDefault(event);
        exportGrids();
      });
      return box;
    }
  });
  new ExportControl().addTo(map);

  map.on('draw:editstart draw:deletestart', function (event) { mode = event.type; });
  map.on('draw:editstop draw:deletestop', function () { mode = null; say(countText()); });
  map.on('draw:edited draw:deleted', function () { dirty = true; say(countText()); });
  map.on('draw:created', function (event) {
    var grid = ask('');
    if (!grid) { say(T.cancelled); return; }
    assign(event.layer, grid);
    event.layer.on('click', reassign);
    drawn.addLayer(event.layer);
    dirty = true;
    say(countText());
  });
  window.addEventListener('beforeunload', function (event) {
    if (dirty && drawn.getLayers().length) {
      event.preventDefault();
      event.returnValue = T.unsaved;
      return T.unsaved;
    }
  });
  window.shequGridEdits = {
    layers: drawn, find: find, assign: assign, collect: collect, exportEdits: exportEdits,
    exportGrids: exportGrids
  };
})();
{% endmacro %}
"""


class GridEditTool(MacroElement):
    """Leaflet.draw toolbar, target-grid prompt and "export edits" button for a grid map.

    ``grids`` lists (grid id, code, short code) of every grid a shape may go to; ``group`` is
    the feature group (on the layer control) that holds the drawn shapes; ``pane`` the Leaflet
    pane they are drawn in; ``plan`` the FeatureCollection the "export grids" button downloads
    (:func:`shequ.maps.grid_map.plan_export`); ``unshift`` (a page drawn in GCJ-02,
    :func:`gcj02_offsets`) takes drawn shapes back to WGS-84 before they are exported. The map
    must have Leaflet.draw inlined (:func:`shequ.maps.assets.add_leaflet_draw`).
    """

    _template = Template(_SCRIPT)

    def __init__(
        self,
        grids: Sequence[tuple[Any, str, str]],
        group: folium.FeatureGroup,
        lang: str,
        *,
        pane: str | None = None,
        plan: dict[str, Any] | None = None,
        unshift: dict[str, Any] | None = None,
    ) -> None:
        super().__init__()
        self._name = "GridEditTool"
        plan = plan or {"type": "FeatureCollection", "features": []}
        self.group = group
        self.config = script_json(
            {
                "grids": [{"id": ident, "code": code, "tail": tail} for ident, code, tail in grids],
                "texts": {key: label(name, lang) for key, name in _TEXT_KEYS.items()},
                "drawTexts": draw_texts(lang),
                "shape": edit_style() | ({"pane": pane} if pane else {}),
                "filename": EDITS_FILENAME,
                "plan": plan,
                "planFilename": PLAN_FILENAME,
                "unshift": unshift,
                "precision": EDITS_PRECISION,
                "maxPrompts": MAX_PROMPTS,
            }
        )


def gcj02_offsets(
    bounds: tuple[float, float, float, float], n: int = 9, margin: float = 0.01
) -> dict[str, Any]:
    """The GCJ-02 offset (GCJ-02 minus WGS-84, degrees) on an ``n`` × ``n`` grid of WGS-84
    points over ``bounds`` (west, south, east, north) grown by ``margin`` degrees: what the page
    needs to take drawn shapes back to WGS-84 (:class:`GridEditTool` ``unshift``)."""
    west, south, east, north = bounds
    west, south, east, north = west - margin, south - margin, east + margin, north + margin
    lon, lat = np.meshgrid(np.linspace(west, east, n), np.linspace(south, north, n))
    g_lon, g_lat = wgs84_to_gcj02(lon.ravel(), lat.ravel())
    return {
        "west": west,
        "south": south,
        "east": east,
        "north": north,
        "n": n,
        "dlon": (g_lon - lon.ravel()).reshape(n, n).round(9).tolist(),
        "dlat": (g_lat - lat.ravel()).reshape(n, n).round(9).tolist(),
    }


__all__ = ["EDITS_FILENAME", "PLAN_FILENAME", "GridEditTool", "gcj02_offsets"]
