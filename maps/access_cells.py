"""The homes of a district on the access map: cells when zoomed out, the homes in view zoomed in.

A district holds tens of thousands of homes (69k on the 337k-node mosaic). Written as GeoJSON
markers they took 17 MB of the page, and drawn all at once they make it slow to open and to
pan. Above :data:`MAX_HOME_MARKERS` homes the access map draws instead:

- zoomed out (below :data:`DETAIL_ZOOM`), one H3 cell per group of homes, coarser the farther
  out (:data:`CELL_LEVELS`: about 5 km² for the whole district, 0.1 km² — a few blocks — near a
  neighbourhood's zoom), coloured by the share of its households served within the standard of
  the kind shown (:data:`shequ.maps.style.SHARE_CLASSES`); its tooltip gives the households and
  homes served, as the kind panel does for the whole area;
- zoomed in, the homes in view, each drawn and explained exactly as on a small map (minute
  colour, red ring for a blind spot, hollow when estimated, the same tooltip rows).

Every home is still in the page, once, packed (:mod:`shequ.maps.packed`): its position, its
style per kind, its minutes per kind (as texts from a table), its households, its reasons. The
figures of a cell are sums over its homes, computed here from ``meets_<kind>`` and
``households`` as :func:`shequ.maps.access_map._coverage` does for the whole area; a kind with
no data is never measured (it cannot be selected) and with no kind the cells are grey and say
"no facility data". Text from the data (names, reasons) is set with ``textContent``.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from branca.element import MacroElement
from folium.template import Template

from shequ.geo.h3cells import cell_polygons, points_to_cells
from shequ.i18n import render_note
from shequ.maps.escape import esc, fmt_number, script_json
from shequ.maps.features import is_estimated
from shequ.maps.labels import label
from shequ.maps.packed import pack_geometries, pack_points, pack_uints
from shequ.maps.style import (
    NO_SHARE,
    SHARE_CLASSES,
    access_home_style,
    cell_style,
    minute_bin,
    no_data_home_style,
    share_class,
)

MAX_HOME_MARKERS = 20_000
"""Above this many homes the access map draws cells zoomed out (a neighbourhood's few thousand
homes stay markers: they draw at once and a cell would hide who is not served)."""
CELL_LEVELS: tuple[tuple[int, int], ...] = ((0, 7), (12, 8), (14, 9))
"""(zoom from which, H3 resolution) of the cells: each about 15–40 px across on screen (edges
of about 1.2 km, 460 m and 175 m)."""
CELL_RESOLUTION = CELL_LEVELS[-1][1]
"""The finest cells (0.1 km², a few blocks)."""
DETAIL_ZOOM = 15
"""From this zoom on the homes in view are drawn instead of the cells (a 3 km neighbourhood)."""
HOME_DIGITS = 6
"""Decimals of the homes' coordinates (0.1 m, as on a small map)."""

ACCESS_CELLS_JS = """
function shequAccessCells(map, cfg) {
  /* homes as H3 cells below cfg.detailZoom, the homes in view from it (maps/access_cells.py) */
  var renderer = L.canvas({pane: cfg.pane, padding: 0.3});
  var K = cfg.kinds, kind = cfg.initial;
  var xy = shequUnpackPoints(cfg.homes.xy, cfg.homes.digits), n = xy.lon.length;
  var style = shequVarints(cfg.homes.s), minutes = shequVarints(cfg.homes.m);
  var hh = shequVarints(cfg.homes.hh), reasons = cfg.homes.r ? shequVarints(cfg.homes.r) : null;
  var estimated = cfg.homes.e ? shequVarints(cfg.homes.e) : null;
  var ids = cfg.homes.ids_packed ? shequVarints(cfg.homes.ids_packed) : cfg.homes.ids;
  var names = {};
  cfg.homes.names.forEach(function (item) { names[item[0]] = item[1]; });
  function row(table, th, td) {
    var tr = document.createElement('tr'), a = document.createElement('th');
    var b = document.createElement('td');
    a.textContent = th; b.textContent = td;
    tr.appendChild(a); tr.appendChild(b); table.appendChild(tr);
  }
  function homeTip(i) {
    var t = document.createElement('table'), words = cfg.words;
    row(t, words.name, i in names ? names[i] : '#' + ids[i]);
    if (hh[i] > 0) { row(t, words.households, String(hh[i] - 1)); }
    if (kind >= 0) {
      var m = minutes[i * K + kind];
      row(t, words.minutes, m > 0 ? cfg.minuteTexts[m - 1] : words.unreachable);
      var r = reasons ? reasons[i * K + kind] : 0;
      if (r > 0) { row(t, words.reason, cfg.reasonTexts[r - 1]); }
    }
    if (estimated && estimated[i]) { row(t, words.estimated, words.estimatedText); }
    return t;
  }
  function homeStyle(i) {
    return cfg.styles[kind >= 0 ? style[i * K + kind] : cfg.none];
  }
  /* cells, one layer group per level of cfg.cells (coarser the farther out) */
  function level(cl) {
    var c = shequUnpack(cl.shape), lv = {minZoom: cl.minZoom, hexes: [],
      s: shequVarints(cl.s), homes: shequVarints(cl.homes), hh: shequVarints(cl.hh),
      served: shequVarints(cl.served), hhServed: shequVarints(cl.hh_served),
      share: shequVarints(cl.share)};
    function tip(i) {
      var div = document.createElement('div'), j = i * K + kind, words = cfg.words;
      if (kind < 0) {
        div.textContent = words.cellHomes.replace('{homes}', lv.homes[i])
          .replace('{households}', lv.hh[i]) + ' · ' + words.noData;
      } else {
        div.textContent = words.served.replace('{households}', lv.hhServed[j])
          .replace('{total}', lv.hh[i]).replace('{share}', cfg.shareTexts[lv.share[j]])
          .replace('{homes}', lv.served[j]).replace('{total_homes}', lv.homes[i]);
      }
      return div;
    }
    for (var i = 0; i < c.n; i++) {
      var a = c.pointStart[c.partStart[i]], b = c.pointStart[c.partStart[i] + 1], ring = [];
      for (var j = a; j < b; j++) { ring.push([c.lat[j], c.lon[j]]); }
      var hex = L.polygon(ring, L.extend({renderer: renderer, pane: cfg.pane},
                                         cfg.cellStyles[0]));
      hex.bindTooltip(tip.bind(null, i), {sticky: true, className: 'shequ-tip'});
      lv.hexes.push(hex);
    }
    lv.group = L.layerGroup(lv.hexes);
    return lv;
  }
  var levels = cfg.cells.map(level);
  var cells = L.layerGroup();
  /* homes: an index of ~1 km squares, markers made for those in view only */
  var buckets = new Map(), made = new Array(n), shown = L.layerGroup();
  function bucket(lon, lat) { return Math.floor(lat * 100) * 100000 + Math.floor(lon * 100); }
  for (var h = 0; h < n; h++) {
    var key = bucket(xy.lon[h], xy.lat[h]), list = buckets.get(key);
    if (list) { list.push(h); } else { buckets.set(key, [h]); }
  }
  function marker(h) {
    var m = L.circleMarker([xy.lat[h], xy.lon[h]],
                           L.extend({renderer: renderer, pane: cfg.pane}, homeStyle(h)));
    m.bindTooltip(homeTip.bind(null, h), {sticky: true, className: 'shequ-tip'});
    m.shequHome = h;
    return m;
  }
  function refresh() {
    if (map.getZoom() < cfg.detailZoom) {
      shown.clearLayers(); shown.remove();
      var z = map.getZoom(), pick = levels[0];
      levels.forEach(function (lv) { if (z >= lv.minZoom) { pick = lv; } });
      levels.forEach(function (lv) {
        if (lv === pick) { cells.addLayer(lv.group); } else { cells.removeLayer(lv.group); }
      });
      cells.addTo(map); return;
    }
    cells.remove();
    var view = map.getBounds().pad(0.2), keep = [];
    var x0 = Math.floor(view.getWest() * 100), x1 = Math.floor(view.getEast() * 100);
    var y0 = Math.floor(view.getSouth() * 100), y1 = Math.floor(view.getNorth() * 100);
    for (var y = y0; y <= y1; y++) {
      for (var x = x0; x <= x1; x++) {
        (buckets.get(y * 100000 + x) || []).forEach(function (h) {
          if (view.contains([xy.lat[h], xy.lon[h]])) {
            if (!made[h]) { made[h] = marker(h); }
            keep.push(made[h]);
          }
        });
      }
    }
    shown.clearLayers();
    keep.forEach(function (m) { shown.addLayer(m); });
    shown.addTo(map);
  }
  function setKind(k) {
    kind = k;
    levels.forEach(function (lv) {
      lv.hexes.forEach(function (hex, i) {
        hex.setStyle(cfg.cellStyles[k >= 0 ? lv.s[i * K + k] : cfg.noShare]);
      });
    });
    made.forEach(function (m, h) { if (m) { m.setStyle(homeStyle(h)); } });
  }
  setKind(kind);
  map.on('moveend', refresh);
  refresh();
  return {shequSetKind: setKind, cells: cells, homes: shown, count: n,
          shown: function () { return shown.getLayers().length; }};
}
"""


class AccessCells(MacroElement):
    """The district's homes on the access map (see the module docstring); ``config`` is JSON
    from :func:`cells_config`. Its JS name is what the kind panel restyles."""

    _template = Template(
        """
        {% macro script(this, kwargs) %}
        var {{ this.get_name() }} = shequAccessCells({{ this._parent.get_name() }},
          {{ this.config }});
        window.shequAccessCells = {{ this.get_name() }};
        {% endmacro %}
        """
    )

    def __init__(self, config: dict[str, Any]) -> None:
        super().__init__()
        self._name = "AccessCells"
        self.config = script_json(config)


def home_styles(
    homes: gpd.GeoDataFrame, kind_ids: Sequence[str]
) -> tuple[np.ndarray, list[dict[str, Any]]]:
    """Per home and kind of ``kind_ids`` an index into a table of styles (the same styles as
    a small map's homes: :func:`shequ.maps.style.access_home_style`), and the table, whose
    last entry is the no-data style."""
    n = len(homes)
    hollow = (
        homes["estimated_from"].map(is_estimated).to_numpy(bool)
        if "estimated_from" in homes
        else np.zeros(n, dtype=bool)
    )
    keys = np.zeros((n, len(kind_ids)), dtype=np.int64)
    for k, kind_id in enumerate(kind_ids):
        walks = homes[f"walk_min_{kind_id}"].to_numpy(dtype=float)
        bins = np.array([minute_bin(w) for w in walks], dtype=np.int64)
        served = _served(homes[f"meets_{kind_id}"])
        keys[:, k] = (bins + 1) * 4 + served * 2 + hollow
    unique, index = np.unique(keys, return_inverse=True)
    styles = [
        access_home_style(int(key // 4) - 1, served=bool(key & 2), estimated=bool(key & 1))
        for key in unique
    ]
    styles.append(no_data_home_style())
    return index.reshape(keys.shape), styles


def cells_config(
    homes: gpd.GeoDataFrame,
    kinds: Sequence[dict[str, Any]],
    styles: list[dict[str, Any]],
    style_index: np.ndarray,
    *,
    initial: int,
    pane: str,
    lang: str,
) -> dict[str, Any]:
    """What :class:`AccessCells` draws: the homes packed and the cells' sums per kind.

    Parameters
    ----------
    homes : GeoDataFrame
        In lon/lat (the map's datum), every one a point, with the columns the access map
        reads.
    kinds : sequence of dict
        The kinds with data, in the panel's order (``id``).
    styles, style_index
        From :func:`home_styles` (with the pane set).
    initial : int
        The kind shown first (-1: none).
    pane : str
        The Leaflet pane of the homes.
    lang : {"zh", "en"}

    Returns
    -------
    dict
        JSON-ready; texts are plain (the page sets them with ``textContent``).
    """
    kind_ids = [kind["id"] for kind in kinds]
    n = len(homes)
    xy = shapely.get_coordinates(homes.geometry.to_numpy())
    households = (
        pd.to_numeric(homes["households"], errors="coerce").to_numpy(dtype=float)
        if "households" in homes
        else np.full(n, np.nan)
    )
    hh_codes = np.where(np.isnan(households), 0, np.round(np.nan_to_num(households)) + 1)
    minute_texts: dict[str, int] = {}
    minute_codes = np.zeros((n, len(kind_ids)), dtype=np.int64)
    reason_texts: dict[str, int] = {}
    reason_codes = np.zeros((n, len(kind_ids)), dtype=np.int64)
    for k, kind_id in enumerate(kind_ids):
        for i, value in enumerate(homes[f"walk_min_{kind_id}"].tolist()):
            text = fmt_number(value)
            if text is not None:
                minute_codes[i, k] = minute_texts.setdefault(text, len(minute_texts)) + 1
        column = f"unreachable_{kind_id}"
        if column in homes:
            for i, reason in enumerate(homes[column].tolist()):
                if isinstance(reason, str) and reason:
                    text = render_note(reason, lang)
                    reason_codes[i, k] = reason_texts.setdefault(text, len(reason_texts)) + 1
    names = (
        [[i, str(name)] for i, name in enumerate(homes["name"].tolist()) if _text(name)]
        if "name" in homes
        else []
    )
    ids = homes["home_id"].tolist() if "home_id" in homes else list(range(n))
    estimated = (
        homes["estimated_from"].map(is_estimated).to_numpy(bool)
        if "estimated_from" in homes
        else np.zeros(n, dtype=bool)
    )
    packed_homes: dict[str, Any] = {
        "xy": pack_points(xy, HOME_DIGITS),
        "digits": HOME_DIGITS,
        "s": pack_uints(style_index.ravel()),
        "m": pack_uints(minute_codes.ravel()),
        "hh": pack_uints(hh_codes),
        "names": names,
    }
    if reason_texts:
        packed_homes["r"] = pack_uints(reason_codes.ravel())
    if estimated.any():
        packed_homes["e"] = pack_uints(estimated.astype(np.int64))
    if all(isinstance(v, int | np.integer) and v >= 0 for v in ids):
        packed_homes["ids_packed"] = pack_uints(np.asarray(ids, dtype=np.int64))
    else:
        packed_homes["ids"] = [str(v) for v in ids]
    cells = [
        {"minZoom": zoom, **cell_sums(homes, xy, households, kind_ids, res)}
        for zoom, res in CELL_LEVELS
    ]
    return {
        "pane": pane,
        "kinds": len(kind_ids),
        "initial": initial,
        "detailZoom": DETAIL_ZOOM,
        "styles": styles,
        "none": len(styles) - 1,
        "minuteTexts": list(minute_texts),
        "reasonTexts": list(reason_texts),
        "homes": packed_homes,
        "cells": cells,
        "cellStyles": [cell_style(i) for i in range(len(SHARE_CLASSES) + 1)],
        "noShare": NO_SHARE,
        "shareTexts": [_percent_text(p) for p in range(102)],
        "words": {
            "name": label("name", lang),
            "households": label("households", lang),
            "minutes": label("minutes", lang),
            "reason": label("reason", lang),
            "estimated": label("estimated", lang),
            "estimatedText": label("estimated_homes", lang),
            "unreachable": label("unreachable", lang),
            "served": label("kind_served", lang),
            "cellHomes": label("cell_homes", lang),
            "noData": label("no_kind_title", lang),
        },
    }


def cell_sums(
    homes: gpd.GeoDataFrame,
    xy: np.ndarray,
    households: np.ndarray,
    kind_ids: Sequence[str],
    res: int = CELL_RESOLUTION,
) -> dict[str, Any]:
    """The H3 cells (resolution ``res``) holding homes and, per cell and kind, the homes and
    households served; cells in the order of their H3 number.

    Sums of the homes' own ``meets_<kind>`` and ``households``: a cell's households served
    are whole (rounded after summing, as the panel's totals), its share is of households (of
    homes where its homes carry none), its class from :func:`shequ.maps.style.share_class`.
    ``share`` is a code: 0–100 percent, 101 for a share below 1 % that is not zero.
    """
    codes = points_to_cells(xy[:, 0], xy[:, 1], res)
    cells, where = np.unique(codes, return_inverse=True)
    m = len(cells)
    weight = np.nan_to_num(households, nan=0.0)
    homes_in = np.bincount(where, minlength=m)
    hh_in = np.bincount(where, weights=weight, minlength=m)
    served = np.zeros((m, len(kind_ids)), dtype=np.int64)
    hh_served = np.zeros((m, len(kind_ids)))
    for k, kind_id in enumerate(kind_ids):
        met = _served(homes[f"meets_{kind_id}"]).astype(bool)
        served[:, k] = np.bincount(where[met], minlength=m)
        hh_served[:, k] = np.bincount(where[met], weights=weight[met], minlength=m)
    with np.errstate(invalid="ignore", divide="ignore"):
        share = np.where(hh_in[:, None] > 0, hh_served / hh_in[:, None], served / homes_in[:, None])
    classes = np.vectorize(share_class, otypes=[np.int64])(share) if share.size else share
    percent = np.round(share * 100).astype(np.int64)
    percent = np.where((share > 0) & (share < 0.005), 101, percent)
    return {
        "res": res,
        "shape": pack_geometries(cell_polygons(cells), HOME_DIGITS),
        "n": m,
        "s": pack_uints(np.asarray(classes, dtype=np.int64).ravel()),
        "homes": pack_uints(homes_in),
        "hh": pack_uints(np.round(hh_in).astype(np.int64)),
        "served": pack_uints(served.ravel()),
        "hh_served": pack_uints(np.round(hh_served).astype(np.int64).ravel()),
        "share": pack_uints(percent.ravel()),
    }


def cells_legend(lang: str) -> list[str]:
    """Legend lines (ready HTML, trusted texts) for the cells and how to see the homes."""
    lines = [f'<h4 class="shequ-gap">{esc(label("cells_heading", lang))}</h4>']
    for _, text, color in SHARE_CLASSES:
        lines.append(f'<div><i class="dot" style="background:{color}"></i>{esc(text)}</div>')
    lines.append(f"<div>{esc(label('cells_zoom', lang).format(zoom=DETAIL_ZOOM))}</div>")
    return lines


def _served(values: pd.Series) -> np.ndarray:
    """``meets_<kind>`` as 0/1: a missing flag is not served (:func:`features.is_true`)."""
    return values.astype("boolean").fillna(False).to_numpy(dtype=bool).astype(np.int64)


def _text(value: Any) -> bool:
    return isinstance(value, str) and value.strip() != ""


def _percent_text(code: int) -> str:
    """The share code of :func:`cell_sums` as the panel writes it (``_percent``)."""
    return "<1" if code == 101 else str(code)


__all__ = [
    "ACCESS_CELLS_JS",
    "CELL_LEVELS",
    "CELL_RESOLUTION",
    "DETAIL_ZOOM",
    "MAX_HOME_MARKERS",
    "AccessCells",
    "cell_sums",
    "cells_config",
    "cells_legend",
    "home_styles",
]
