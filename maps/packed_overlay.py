"""Large vector layers written packed and built by the page only when they are shown.

A district's grid map holds tens of thousands of units and homes and their streets: as GeoJSON
with per-feature properties, 55k units, 69k homes and their borders were 55 of the 84 MB of
the 337k-node mosaic's page (a synthetic arrangement of real extracts). Here a layer's
geometry is packed (:mod:`shequ.maps.packed`: integer deltas as base64 varints), its styles
are a short list with one index per feature, and its tooltip values are columns (one list per
property, already HTML-escaped, shown by the same ``shequTooltip`` as a GeoJSON layer's). The
page decodes a layer and makes its Leaflet paths (one shared canvas renderer) the first time
the user switches it on, so a hidden layer costs nothing when the page opens.

Hand-written because no folium layer takes packed geometry; the drawing is Leaflet's own
(``L.polygon``, ``L.polyline``, ``L.circleMarker`` on ``L.canvas``).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import folium
import numpy as np
import shapely
from folium.map import Layer
from folium.template import Template

from shequ.maps.escape import script_json
from shequ.maps.features import COORD_DIGITS
from shequ.maps.overlays import RawHtml, tooltip_js
from shequ.maps.packed import add_decoder, pack_geometries, pack_points, pack_uints

OVERLAY_JS = """
function shequPackedOverlay(spec, tooltip) {
  /* A packed layer (maps/packed_overlay.py): its paths are made when it is first shown. */
  var group = L.featureGroup(), built = false;
  group.on('add', function () {
    if (built) { return; }
    built = true;
    var renderer = L.canvas({pane: spec.pane, padding: 0.3});
    var index = spec.style ? shequVarints(spec.style) : null, props = spec.props || {};
    var keys = Object.keys(props), geom = null, pts = null, n = 0;
    if (spec.kind === 'point') {
      pts = shequUnpackPoints(spec.points, spec.digits);
      n = pts.lon.length;
    } else if (spec.geom) { geom = shequUnpack(spec.geom); n = geom.n; }
    for (var f = 0; f < n; f++) {
      var style = L.extend({}, spec.styles[index ? index[f] : 0],
                           {renderer: renderer, pane: spec.pane, interactive: !!tooltip});
      var layer;
      if (pts) { layer = L.circleMarker([pts.lat[f], pts.lon[f]], style); }
      else {
        var rings = [];
        for (var p = geom.partStart[f]; p < geom.partStart[f + 1]; p++) {
          var ring = [];
          for (var i = geom.pointStart[p]; i < geom.pointStart[p + 1]; i++) {
            ring.push([geom.lat[i], geom.lon[i]]);
          }
          rings.push(ring);
        }
        layer = spec.kind === 'polygon' ? L.polygon(rings, style) : L.polyline(rings[0], style);
      }
      if (tooltip) {
        var values = {};
        for (var k = 0; k < keys.length; k++) { values[keys[k]] = props[keys[k]][f]; }
        tooltip({properties: values}, layer);
      }
      group.addLayer(layer);
    }
  });
  return group;
}
"""
"""The page's builder of a packed layer (plain ES5; needs :data:`shequ.maps.packed.DECODE_JS`)."""


class PackedOverlay(Layer):
    """One packed layer in the layer control; ``spec`` from :func:`packed_spec`, ``name``
    escaped, ``tooltip`` the (property, escaped label) rows or None for a layer that takes no
    pointer."""

    _template = Template(
        """
        {% macro script(this, kwargs) %}
        var {{ this.get_name() }} = shequPackedOverlay({{ this.spec_json }}, {{ this.tip }});
        {% endmacro %}
        """
    )

    def __init__(
        self,
        spec: dict[str, Any],
        *,
        name: str,
        show: bool,
        tooltip: Sequence[tuple[str, str]] | None = None,
    ) -> None:
        super().__init__(name=name, overlay=True, control=True, show=show)
        self._name = "PackedOverlay"
        self.spec = spec
        self.spec_json = script_json(spec)
        self.tip = tooltip_js(tooltip) if tooltip else "null"


def packed_spec(
    geoms: np.ndarray,
    *,
    pane: str,
    styles: Sequence[dict[str, Any]],
    style_index: np.ndarray | None = None,
    props: Sequence[dict[str, Any]] | None = None,
    keys: Sequence[str] = (),
    digits: int = COORD_DIGITS,
) -> dict[str, Any]:
    """The page's description of one layer of lon/lat ``geoms`` (points, lines or polygons).

    Multi-part geometries become one path per part, each with its feature's style and
    tooltip; missing and empty geometries are left out, with their rows.

    Parameters
    ----------
    geoms : ndarray of shapely geometries
        One kind: points, lines or polygons (and their multi-parts), in lon/lat.
    pane : str
        The Leaflet pane the layer is drawn in.
    styles : sequence of dict
        Leaflet path options; feature ``i`` takes ``styles[style_index[i]]`` (or the first).
    style_index, props, keys
        Per feature: its style's index, and its properties (HTML-escaped text or None), of
        which ``keys`` are kept, as one column per key.
    digits : int
        Decimals kept (6, as the page's GeoJSON).
    """
    geoms = np.asarray(geoms, dtype=object)
    parts, owner = (
        shapely.get_parts(geoms, return_index=True)
        if len(geoms)
        else (np.empty(0, dtype=object), np.empty(0, dtype=np.int64))
    )
    keep = ~(shapely.is_missing(parts) | shapely.is_empty(parts)) if len(parts) else []
    parts, owner = parts[keep], owner[keep]
    kinds = set(shapely.get_type_id(parts).tolist())
    if kinds - {0, 1, 3} or len(kinds) > 1:
        msg = "a packed layer holds points, lines or polygons, one kind only"
        raise ValueError(msg)
    spec: dict[str, Any] = {"pane": pane, "styles": list(styles), "digits": digits}
    if kinds == {0}:
        spec |= {"kind": "point", "points": pack_points(shapely.get_coordinates(parts), digits)}
    else:
        spec["geom"] = pack_geometries(parts, digits)
        spec["kind"] = "polygon" if kinds == {3} else "line"
    if style_index is not None:
        spec["style"] = pack_uints(np.asarray(style_index, dtype=np.int64)[owner])
    if props is not None:
        spec["props"] = {key: [props[i].get(key) for i in owner] for key in keys}
    return spec


def add_packed_support(m: folium.Map) -> None:
    """Put the decoder and :data:`OVERLAY_JS` in ``m``'s page head, once."""
    add_decoder(m)
    m.get_root().header.add_child(RawHtml(f"<script>{OVERLAY_JS}</script>"), name="shequ_overlay")


__all__ = ["OVERLAY_JS", "PackedOverlay", "add_packed_support", "packed_spec"]
