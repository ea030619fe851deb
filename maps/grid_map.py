"""The management-grid map (网格划分): grids by households against the target, and edits.

It draws what ``shequ grids`` hands it: every grid coloured by its deviation from the target
number of households (a diverging, colour-blind-safe scale: near-white within tolerance,
purple under, orange over; hatched when the grid holds an oversized unit or lies outside every
community), a permanent label per grid (its short code and households), the main borders
(major roads, rivers, railways, community edges) and the minor streets, the units (compounds
and street blocks) and homes, and — for a redraw — the units that moved to another grid. Hover
shows a grid's code, households and deviation; a click opens all its metrics. Texts are in
Chinese or English; every text from the data is HTML-escaped (:mod:`shequ.maps.escape`).
A district's plan (above :data:`PACK_ABOVE` units, homes and border lines) writes those three
layers packed (:mod:`shequ.maps.packed_overlay`) and the page builds them when first shown:
the 337k-node mosaic's page fell from 83.6 to 40.3 MB, the same layers and tooltips.

The same page is the grid manager's editing tool (:mod:`shequ.maps.edit_tool`): with the
Leaflet.draw toolbar (vendored and inlined, so it works offline) they draw a polygon or a
rectangle around the units that should go to another grid, answer which grid (its code, in
full or its last digits, or its id), and press "export edits" to download the file that
``shequ grids --edits F`` applies and re-scores.

Edits file (the contract for ``--edits``)
-----------------------------------------
A GeoJSON FeatureCollection (RFC 7946), named ``grid_edits.geojson`` by default, in WGS-84
longitude/latitude with 6 decimals, one feature per drawn shape, in the order drawn::

    {"type": "FeatureCollection",
     "features": [
       {"type": "Feature",
        "properties": {"to_grid": 7, "to_code": "110108001002007"},
        "geometry": {"type": "Polygon",
                     "coordinates": [[[116.401, 39.912], [116.404, 39.912],
                                      [116.404, 39.914], [116.401, 39.912]]]}}]}

- ``geometry`` is a ``Polygon`` with one outer ring, closed (its first position repeated last),
  and no holes; a rectangle is a polygon of four corners. Leaflet.draw refuses outlines that
  cross themselves.
- ``to_grid`` (integer) is the ``grid_id`` of the grid the shape's units should belong to, as
  in the map's ``grids`` frame; ``to_code`` (string) is that grid's ``code``: ``--edits`` goes
  by ``to_grid``, and by ``to_code`` with ``--existing`` (the register's codes, which hold
  across runs while grid ids do not).
- ``shequ grids --edits`` (:mod:`shequ.analyses.grid_edits`) moves every unit (atom) whose
  interior point lies inside a shape to ``to_grid``, shape after shape, so where shapes overlap
  the later one wins; a shape naming no grid of the plan, or holding no unit of another grid,
  is rejected with its reason. The map never exports an empty file.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Any

import folium
import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from branca.element import MacroElement
from folium.template import Template
from shapely.ops import polylabel

from shequ.errors import InputError
from shequ.i18n import Note
from shequ.maps.assets import add_leaflet_draw
from shequ.maps.data_completeness import completeness_box, estimated_legend_line, is_estimated
from shequ.maps.edit_tool import EDIT_CSS, GridEditTool, gcj02_offsets
from shequ.maps.escape import as_float, esc, fmt_count, fmt_number, is_missing, script_json
from shequ.maps.features import (
    collection,
    column,
    current_datum,
    feature,
    geometry_json,
    is_true,
    map_datum,
    require_columns,
    to_wgs84,
)
from shequ.maps.labels import check_lang, label
from shequ.maps.overlays import FONT_STACK, HtmlBox, RawHtml, title_box
from shequ.maps.packed_overlay import PackedOverlay, add_packed_support, packed_spec
from shequ.maps.page import fit_to_data, label_tooltip, new_map, style_by_id, tooltip_rows
from shequ.maps.style import (
    BORDER_STYLES,
    DEVIATION_CLASSES,
    DEVIATION_COLORS,
    DEVIATION_OK,
    HATCH_COLOR,
    HATCH_OUTSIDE,
    HATCH_OVERSIZED,
    MAIN_BORDERS,
    MOVED_COLOR,
    MOVED_OUTLINE,
    NO_DATA_COLOR,
    atom_style,
    border_style,
    deviation_class,
    far_deviation,
    grid_highlight,
    grid_home_style,
    grid_style,
    hatch_style,
    hollow,
    moved_style,
)

# Drawing order whatever order layers are switched on in (Leaflet's overlayPane is 400):
# grids, their hatching, units, borders, moved units, homes, drawn edits; labels sit in the
# marker pane (600) and let clicks through.
PANE_GRIDS = ("shequ-grids", 390)
PANE_FLAGS = ("shequ-grid-flags", 395)
PANE_ATOMS = ("shequ-atoms", 405)
PANE_BORDERS = ("shequ-borders", 410)
PANE_MOVED = ("shequ-moved", 415)
PANE_HOMES = ("shequ-grid-homes", 430)
PANE_EDITS = ("shequ-edits", 450)

GRID_REQUIRED = ("grid_id", "code", "households", "deviation", "within_tolerance")
MOVE_REQUIRED = ("atom_id", "from_grid", "to_grid")

GRID_TIP = (("c", "grid_code"), ("hh", "households"), ("dv", "deviation"))
GRID_POPUP = (
    ("id", "grid_id"),
    ("cm", "community_id"),
    ("sq", "seq"),
    ("hh", "households"),
    ("dv", "deviation"),
    ("wt", "within_tolerance"),
    ("hm", "homes_count"),
    ("pop", "population"),
    ("el", "elderly"),
    ("ar", "area_ha"),
    ("at", "atoms_count"),
    ("pp", "polsby_popper"),
    ("ic", "inertia_compactness"),
    ("pk", "patrol_km"),
    ("ov", "oversized"),
    ("oc", "outside_community"),
)
ATOM_TIP = (
    ("a", "atom_id"),
    ("k", "unit_kind"),
    ("hh", "households"),
    ("pop", "population"),
    ("g", "grid"),
)
HOME_TIP = (
    ("n", "name"),
    ("hh", "households"),
    ("pop", "population"),
    ("g", "grid"),
    ("e", "estimated"),
)
MOVED_TIP = (("a", "atom_id"), ("hh", "households"), ("f", "moved_from"), ("t", "moved_to"))
"""Tooltip and popup rows per layer: (GeoJSON property, label key in :mod:`~.labels`); a
grid's popup is headed by its code (property ``c``)."""

LABEL_FULL_PX = 70
LABEL_BRIEF_PX = 36
"""A typical grid (median √area) must span this many screen pixels for its label to show in
full (short code and households) or briefly (short code only); smaller, labels hide."""
_METRES_PER_PIXEL_Z0 = 156543.03392804097  # Web Mercator at the equator, zoom 0
MAX_ZOOM = 19
PACK_ABOVE = 20_000
"""Units, homes and border lines (in all) above which a grid map packs those layers: the
337k-node mosaic's 55k units, 69k homes and their borders were 55 of its 84 MB as GeoJSON."""

_CSS = (
    """
.shequ-grid-label { background: none; border: none; }
.shequ-grid-label div { position: absolute; left: 0; top: 0; transform: translate(-50%, -50%);
  white-space: nowrap; text-align: center; color: #111; font: bold 13px/15px $FONTS;
  text-shadow: 0 0 2px #fff, 0 0 2px #fff, 0 0 3px #fff, 0 0 4px #fff; pointer-events: none; }
.shequ-grid-label span { display: block; font-weight: normal; font-size: 12px; }
.shequ-labels-brief .shequ-grid-label span { display: none; }
.shequ-labels-hidden .shequ-grid-label { display: none; }
.shequ-legend i.line { height: 0; width: 22px; border-top-style: solid; vertical-align: middle; }
.shequ-legend i.hatch { border: 1px solid $HATCH;
  background: repeating-linear-gradient(-45deg, $HATCH 0 1.5px, #fff 1.5px 5px); }
.shequ-legend i.backhatch { border: 1px dashed $HATCH;
  background: repeating-linear-gradient(45deg, $HATCH 0 1.5px, #fff 1.5px 5px); }
.shequ-legend .shequ-note { color: #555; }
.shequ-popup h4 { margin: 0 0 4px; font-size: 13px; }
.shequ-popup th { text-align: left; padding-right: 8px; font-weight: normal; color: #555; }
.shequ-popup td { white-space: nowrap; }
""".replace("$FONTS", FONT_STACK).replace("$HATCH", HATCH_COLOR)
    + EDIT_CSS
)

_FEATURE_JS = """
function shequGridFeature(tipRows, popupRows) {
  /* Property values were HTML-escaped when the page was made; labels are trusted. */
  function table(props, rows) {
    var body = '';
    for (var i = 0; i < rows.length; i++) {
      var value = props[rows[i][0]];
      if (value === null || value === undefined || value === '') { continue; }
      body += '<tr><th>' + rows[i][1] + '</th><td>' + value + '</td></tr>';
    }
    return body ? '<table>' + body + '</table>' : '';
  }
  return function (feature, layer) {
    var props = feature.properties || {};
    var tip = table(props, tipRows), pop = table(props, popupRows);
    if (tip) { layer.bindTooltip(tip, {sticky: true, className: 'shequ-tip'}); }
    if (pop) {
      layer.bindPopup('<div class="shequ-popup"><h4>' + (props.c || '') + '</h4>' + pop
        + '</div>', {maxWidth: 360});
    }
  };
}
"""

_PATTERNS = (
    """
<svg class="shequ-patterns" width="0" height="0" aria-hidden="true" focusable="false"
  style="position:absolute;width:0;height:0;overflow:hidden">
  <defs>
    <pattern id="$OVERSIZED" patternUnits="userSpaceOnUse" width="8" height="8"
      patternTransform="rotate(45)">
      <line x1="0" y1="0" x2="0" y2="8" stroke="$HATCH" stroke-width="2"/>
    </pattern>
    <pattern id="$OUTSIDE" patternUnits="userSpaceOnUse" width="8" height="8"
      patternTransform="rotate(-45)">
      <line x1="0" y1="0" x2="0" y2="8" stroke="$HATCH" stroke-width="2"/>
    </pattern>
  </defs>
</svg>
""".replace("$OVERSIZED", HATCH_OVERSIZED)
    .replace("$OUTSIDE", HATCH_OUTSIDE)
    .replace("$HATCH", HATCH_COLOR)
)


class _BodyHtml(MacroElement):
    """Ready-made, trusted HTML placed in the page body."""

    _template = Template(
        """
        {% macro html(this, kwargs) %}{{ this.markup }}{% endmacro %}
        """
    )

    def __init__(self, markup: str) -> None:
        super().__init__()
        self._name = "BodyHtml"
        self.markup = markup


class _LabelZoom(MacroElement):
    """Shows grid labels in full, briefly (short code only) or not at all, by zoom level."""

    _template = Template(
        """
        {% macro script(this, kwargs) %}
        (function () {
          var map = {{ this._parent.get_name() }}, full = {{ this.full }}, brief = {{ this.brief }};
          function update() {
            var zoom = map.getZoom(), box = map.getContainer();
            L.DomUtil[zoom < full && zoom >= brief ? 'addClass' : 'removeClass'](
              box, 'shequ-labels-brief');
            L.DomUtil[zoom < brief ? 'addClass' : 'removeClass'](box, 'shequ-labels-hidden');
          }
          map.on('zoomend', update);
          update();
        })();
        {% endmacro %}
        """
    )

    def __init__(self, full: int, brief: int) -> None:
        super().__init__()
        self._name = "LabelZoom"
        self.full = int(full)
        self.brief = int(brief)


def build_grid_map(
    grids: gpd.GeoDataFrame,
    atoms: gpd.GeoDataFrame,
    homes: gpd.GeoDataFrame,
    borders: gpd.GeoDataFrame,
    *,
    moves: pd.DataFrame | gpd.GeoDataFrame | None = None,
    target: float,
    tolerance: float,
    lang: str = "zh",
    title: str | None = None,
    completeness: Mapping[str, Any] | None = None,
    pack_above: int = PACK_ABOVE,
) -> folium.Map:
    """Build the interactive management-grid map (网格划分) with its editing tool.

    Parameters
    ----------
    grids : GeoDataFrame
        Grid polygons: ``grid_id``, ``code``, ``households``, ``deviation`` (households /
        target − 1) and ``within_tolerance``; optional ``community_id``, ``seq``, ``homes``,
        ``population``, ``elderly``, ``area_m2``, ``atoms``, ``polsby_popper``,
        ``inertia_compactness``, ``patrol_m``, ``oversized`` and ``outside_community``.
    atoms : GeoDataFrame
        Unit polygons (compounds, street blocks): optional ``atom_id``, ``origin``
        ("compound" | "block"), ``households``, ``population``, ``grid_id``. Hidden at first.
    homes : GeoDataFrame
        Home points: optional ``home_id``, ``name``, ``households``, ``population``,
        ``grid_id``, ``grid_code``. Hidden at first.
    borders : GeoDataFrame
        Lines with ``border`` ("minor", "medium", "major", "river", "rail" or "edge", a
        community's edge): the last four on the borders layer, the others on the streets layer
        (hidden at first).
    moves : DataFrame or GeoDataFrame, optional
        For a redraw, the units that moved: ``atom_id``, ``from_grid``, ``to_grid`` (grid ids),
        optional ``households``; drawn with their own geometry when given, else the unit's.
    target : float
        Households per grid, for the legend and the title.
    tolerance : float
        Allowed relative deviation (0.15 for ±15 %), for the colour classes and the legend.
    lang : {"zh", "en"}
        Language of every fixed text.
    title : str, optional
        Replaces the default title.
    completeness : mapping, optional
        The run's ``completeness`` entry of ``run.json``: its findings are listed in a "data
        completeness" box. Homes with ``estimated_from`` = ``"landuse"`` are drawn hollow.
    pack_above : int
        Above this many units, homes and border lines in all, those three layers are written
        packed (:mod:`shequ.maps.packed_overlay`), not as GeoJSON: same layers, names,
        styles and tooltips, a fraction of the page.

    Returns
    -------
    folium.Map
        Write it with :func:`shequ.maps.write_map`. Frames in a projected CRS are drawn in
        WGS-84; any frame may be empty or None. The edits the page exports are described in
        this module's docstring.
    """
    check_lang(lang)
    target, tolerance = _check_target(target, tolerance)
    shifted = current_datum() == "gcj02"  # drawn on GCJ-02 tiles: exports go back to WGS-84
    with map_datum("wgs84"):
        plain_grids = to_wgs84(grids, "grids")  # the exported plan, in the files' system
    grids_4326 = to_wgs84(grids, "grids")
    atoms_4326 = to_wgs84(atoms, "atoms")
    homes_4326 = to_wgs84(homes, "homes")
    borders_4326 = to_wgs84(borders, "borders")
    if grids_4326 is not None:
        require_columns(grids_4326, GRID_REQUIRED, "grids")
    if borders_4326 is not None:
        require_columns(borders_4326, ["border"], "borders")

    codes = grid_codes(grids_4326)
    tails = short_codes(list(codes.values()))
    tail_of = dict(zip(codes, tails, strict=True))

    title_text = esc(title) or default_title(target, tolerance, lang)
    m = new_map(title_text, lang)
    header = m.get_root().header
    header.add_child(RawHtml(f"<style>{_CSS}</style>"), name="shequ_grid_style")
    header.add_child(RawHtml(f"<script>{_FEATURE_JS}</script>"), name="shequ_grid_js")
    _BodyHtml(_PATTERNS).add_to(m)
    for pane, z_index in (PANE_GRIDS, PANE_ATOMS, PANE_MOVED, PANE_HOMES, PANE_EDITS):
        folium.map.CustomPane(pane, z_index=z_index, pointer_events=True).add_to(m)
    for pane, z_index in (PANE_FLAGS, PANE_BORDERS):
        folium.map.CustomPane(pane, z_index=z_index, pointer_events=False).add_to(m)

    data, classes = grid_features(grids_4326, tolerance, lang)
    counts = {"grids": len(classes), "within": classes.count(DEVIATION_OK)}
    folium.GeoJson(
        data,
        name=_name("grid_layer", lang),
        style_function=style_by_id([grid_style(index) for index in classes]),
        highlight_function=lambda feature: grid_highlight(),
        on_each_feature=_grid_js(lang),
        pane=PANE_GRIDS[0],
    ).add_to(m)

    for key, flag, pattern in (
        ("oversized_layer", "oversized", HATCH_OVERSIZED),
        ("outside_layer", "outside_community", HATCH_OUTSIDE),
    ):
        flagged = flag_features(grids_4326, flag)
        counts[flag] = len(flagged["features"])
        folium.GeoJson(
            flagged,
            name=_name(key, lang),
            style_function=lambda feature, pattern=pattern: hatch_style(pattern),
            pane=PANE_FLAGS[0],
            interactive=False,
        ).add_to(m)

    packed = _feature_count(atoms_4326, homes_4326, borders_4326) > pack_above
    if packed:
        add_packed_support(m)
        _packed_borders(m, borders_4326, lang)
        _packed_atoms(m, atoms_4326, codes, lang)
    else:
        main, streets = border_features(borders_4326)
        for key, data, show in (("street_layer", streets, False), ("border_layer", main, True)):
            folium.GeoJson(
                data,
                name=_name(key, lang),
                show=show,
                style_function=style_by_id(
                    [border_style(item["properties"]["b"]) for item in data["features"]]
                ),
                pane=PANE_BORDERS[0],
                interactive=False,
            ).add_to(m)
        folium.GeoJson(
            atom_features(atoms_4326, codes, lang),
            name=_name("atom_layer", lang),
            show=False,
            style_function=lambda feature: atom_style(),
            on_each_feature=label_tooltip(ATOM_TIP, lang),
            pane=PANE_ATOMS[0],
        ).add_to(m)

    if moves is not None:
        data = moved_features(moves, atoms_4326, codes)
        counts["moved"] = len(data["features"])
        counts["moved_hh"] = sum(
            as_float(value) or 0.0 for value in _column_or_empty(moves, "households")
        )
        folium.GeoJson(
            data,
            name=_name("moved_layer", lang),
            style_function=lambda feature: moved_style(),
            highlight_function=lambda feature: {"weight": 5},
            on_each_feature=label_tooltip(MOVED_TIP, lang),
            pane=PANE_MOVED[0],
        ).add_to(m)

    if packed:
        estimated = _packed_homes(m, homes_4326, codes, lang)
    else:
        homes_data = home_features(homes_4326, codes, lang)
        folium.GeoJson(
            homes_data,
            name=_name("home_layer", lang),
            show=False,
            marker=folium.CircleMarker(),
            style_function=style_by_id(
                [
                    (hollow(grid_home_style()) if "e" in item["properties"] else grid_home_style())
                    | {"pane": PANE_HOMES[0]}
                    for item in homes_data["features"]
                ]
            ),
            on_each_feature=label_tooltip(HOME_TIP, lang),
        ).add_to(m)
        estimated = sum("e" in item["properties"] for item in homes_data["features"])

    data, html = label_features(grids if grids_4326 is not None else None, codes, tail_of, lang)
    folium.GeoJson(
        data,
        name=_name("grid_labels", lang),
        marker=folium.Marker(
            icon=folium.DivIcon(
                icon_size=(0, 0), icon_anchor=(0, 0), class_name="shequ-grid-label"
            ),
            interactive=False,
            keyboard=False,
        ),
        style_function=style_by_id([{"html": text} for text in html]),
    ).add_to(m)

    edits = folium.FeatureGroup(name=_name("edits_layer", lang)).add_to(m)
    folium.LayerControl(collapsed=False).add_to(m)
    title_box(title_text).add_to(m)
    counts["estimated"] = estimated
    grid_legend(target, tolerance, counts, lang).add_to(m)
    box = completeness_box(completeness, lang)
    if box is not None:
        box.add_to(m)

    add_leaflet_draw(m)
    choices = [(ident, codes[ident], tail_of[ident]) for ident in codes]
    unshift = None
    if shifted and plain_grids is not None:
        unshift = gcj02_offsets(tuple(plain_grids.total_bounds))
    GridEditTool(
        choices, edits, lang, pane=PANE_EDITS[0], plan=plan_export(plain_grids), unshift=unshift
    ).add_to(m)
    _LabelZoom(*label_zooms(grids_4326)).add_to(m)
    fit_to_data(m, [grids_4326] if grids_4326 is not None else [atoms_4326, homes_4326])
    return m


# --- packed layers of a district's map ---------------------------------------------------------


def _feature_count(*frames: gpd.GeoDataFrame | None) -> int:
    return sum(0 if frame is None else len(frame) for frame in frames)


def _packed_borders(m: folium.Map, borders: gpd.GeoDataFrame | None, lang: str) -> None:
    """The streets and borders layers, packed: as :func:`border_features` draws them."""
    geoms = np.empty(0, dtype=object) if borders is None else borders.geometry.to_numpy()
    names, rank = _border_classes(borders)
    classes = sorted(set(names))
    index = np.array([classes.index(name) for name in names], dtype=np.int64)
    main = rank >= 0
    styles = [border_style(name) for name in classes]
    for key, chosen, show in (("street_layer", ~main, False), ("border_layer", main, True)):
        rows = np.flatnonzero(chosen)
        rows = rows[np.argsort(rank[rows], kind="stable")]
        spec = packed_spec(
            geoms[rows], pane=PANE_BORDERS[0], styles=styles, style_index=index[rows]
        )
        PackedOverlay(spec, name=_name(key, lang), show=show).add_to(m)


def _packed_atoms(
    m: folium.Map, atoms: gpd.GeoDataFrame | None, codes: Mapping[Any, str], lang: str
) -> None:
    """The units layer, packed: as :func:`atom_features` draws it, with the same tooltip."""
    geoms = np.empty(0, dtype=object) if atoms is None else atoms.geometry.to_numpy()
    props = [] if atoms is None else atom_properties(atoms, codes, lang)
    spec = packed_spec(
        geoms,
        pane=PANE_ATOMS[0],
        styles=[atom_style()],
        props=props,
        keys=[key for key, _ in ATOM_TIP],
    )
    tip = tooltip_rows(ATOM_TIP, lang)
    PackedOverlay(spec, name=_name("atom_layer", lang), show=False, tooltip=tip).add_to(m)


def _packed_homes(
    m: folium.Map, homes: gpd.GeoDataFrame | None, codes: Mapping[Any, str], lang: str
) -> int:
    """The homes layer, packed: as :func:`home_features` draws it (estimated homes hollow).
    Returns the number of estimated homes drawn."""
    if homes is None:
        homes = gpd.GeoDataFrame(geometry=[], crs=4326)
    geoms = homes.geometry.to_numpy()
    props = home_properties(homes, codes, lang)
    drawn = ~(shapely.is_missing(geoms) | shapely.is_empty(geoms)) if len(geoms) else []
    estimated = np.array(["e" in p and p["e"] is not None for p in props], dtype=bool)
    spec = packed_spec(
        geoms,
        pane=PANE_HOMES[0],
        styles=[grid_home_style(), hollow(grid_home_style())],
        style_index=estimated.astype(np.int64),
        props=props,
        keys=[key for key, _ in HOME_TIP],
    )
    tip = tooltip_rows(HOME_TIP, lang)
    PackedOverlay(spec, name=_name("home_layer", lang), show=False, tooltip=tip).add_to(m)
    return int(estimated[drawn].sum()) if len(geoms) else 0


# --- inputs, codes and titles -----------------------------------------------------------------


def _check_target(target: Any, tolerance: Any) -> tuple[float, float]:
    target_value = as_float(target)
    if target_value is None or target_value <= 0:
        raise InputError(Note("e.grid_map_target", value=repr(target)))
    tolerance_value = as_float(tolerance)
    if tolerance_value is None or not 0 <= tolerance_value < 1:
        raise InputError(Note("e.grid_map_tolerance", value=repr(tolerance)))
    return target_value, tolerance_value


def _key(ident: Any) -> Any:
    """Ids compare as integers when they are whole numbers (7 == 7.0 == np.int64(7))."""
    if is_missing(ident):
        return None
    number = as_float(ident)
    if number is not None and number == round(number):
        return int(number)
    return str(ident).strip()


def plan_export(grids: gpd.GeoDataFrame | None) -> dict[str, Any]:
    """The plan as the map's "export grids" button downloads it: one feature per grid with its
    outline (WGS-84, 6 decimals, as drawn), ``code`` and ``name`` verbatim (text from data: it
    is JSON here, never HTML) and ``households``; what ``shequ grids --existing`` reads back."""
    features: list[dict[str, Any]] = []
    if grids is None:
        return {"type": "FeatureCollection", "features": features}
    codes = grid_codes(grids)
    names = column(grids, "name")
    households = column(grids, "households")
    for ident, geom, name, count in zip(
        grids["grid_id"].tolist(), grids.geometry, names, households, strict=True
    ):
        key = _key(ident)
        props = {
            "code": codes.get(key, "") if key is not None else "",
            "name": None if is_missing(name) else str(name),
            "households": None if is_missing(count) else round(float(count), 1),
        }
        features.append(feature(geometry_json(geom), props))
    return {"type": "FeatureCollection", "features": features}


def grid_codes(grids: gpd.GeoDataFrame | None) -> dict[Any, str]:
    """Grid code (raw text) per grid id, in the frame's order; the id when the code is blank."""
    codes: dict[Any, str] = {}
    if grids is None:
        return codes
    for ident, code in zip(grids["grid_id"].tolist(), grids["code"].tolist(), strict=True):
        key = _key(ident)
        if key is None:
            continue
        text = "" if is_missing(code) else str(code).strip()
        codes[key] = text or str(key)
    return codes


def short_codes(codes: Sequence[str]) -> list[str]:
    """The shortest tail of the codes (last 3, then 6 characters, else the whole code) that
    still tells every grid apart: the text of the grid labels."""
    for width in (3, 6):
        tails = [code[-width:] for code in codes]
        if all(len(code) > width for code in codes) and len(set(tails)) == len(tails):
            return tails
    return list(codes)


def _percent(value: float, *, sign: bool = False) -> str:
    text = fmt_number(abs(value) * 100, 1) or "0"
    if sign:
        text = ("+" if value > 0 else "−" if value < 0 else "±") + text
    return f"{text}%"


def default_title(target: float, tolerance: float, lang: str) -> str:
    text = label("grid_title", lang).format(
        target=fmt_number(target), tolerance=_percent(tolerance)
    )
    return esc(text) or ""


def _name(key: str, lang: str) -> str:
    return esc(label(key, lang)) or ""


def _yes_no(value: Any, lang: str) -> str | None:
    if is_missing(value):
        return None
    return esc(label("yes" if is_true(value) else "no", lang))


def _scaled(value: Any, factor: float, digits: int) -> str | None:
    number = as_float(value)
    return None if number is None else f"{number * factor:.{digits}f}"


def _column_or_empty(frame: pd.DataFrame | None, name: str) -> list[Any]:
    if frame is None or name not in frame.columns:
        return []
    return frame[name].tolist()


# --- features per layer -----------------------------------------------------------------------


def grid_features(
    grids: gpd.GeoDataFrame | None, tolerance: float, lang: str
) -> tuple[dict[str, Any], list[int]]:
    """Grid polygons with their (escaped, formatted) metrics and each grid's colour class
    (:func:`shequ.maps.style.deviation_class`)."""
    if grids is None:
        return collection([]), []
    features, classes = [], []
    rows = zip(
        grids.geometry,
        grids["grid_id"].tolist(),
        grids["code"].tolist(),
        column(grids, "community_id"),
        column(grids, "seq"),
        grids["households"].tolist(),
        grids["deviation"].tolist(),
        grids["within_tolerance"].tolist(),
        column(grids, "homes"),
        column(grids, "population"),
        column(grids, "elderly"),
        column(grids, "area_m2"),
        column(grids, "atoms"),
        column(grids, "polsby_popper"),
        column(grids, "inertia_compactness"),
        column(grids, "patrol_m"),
        column(grids, "oversized"),
        column(grids, "outside_community"),
        strict=True,
    )
    for row in rows:
        geom, ident, code, comm, seq, hh, dev, within = row[:8]
        homes_n, pop, elderly, area, n_atoms, pp, ic, patrol, oversized, outside = row[8:]
        geometry = geometry_json(geom)
        if geometry is None:
            continue
        deviation = as_float(dev)
        props = {
            "c": esc(code) or fmt_number(ident),
            "id": fmt_number(ident) or esc(ident),
            "cm": fmt_number(comm) or esc(comm),
            "sq": fmt_number(seq),
            "hh": fmt_count(hh),
            "dv": None if deviation is None else _percent(deviation, sign=True),
            "wt": _yes_no(within, lang),
            "hm": fmt_number(homes_n),
            "pop": fmt_count(pop),
            "el": fmt_count(elderly),
            "ar": _scaled(area, 1e-4, 2),
            "at": fmt_number(n_atoms),
            "pp": _scaled(pp, 1.0, 2),
            "ic": _scaled(ic, 1.0, 2),
            "pk": _scaled(patrol, 1e-3, 2),
            "ov": _yes_no(oversized, lang),
            "oc": _yes_no(outside, lang),
        }
        features.append(feature(geometry, props))
        flag = None if is_missing(within) else is_true(within)
        classes.append(deviation_class(deviation, flag, tolerance))
    return collection(features), classes


def flag_features(grids: gpd.GeoDataFrame | None, flag: str) -> dict[str, Any]:
    """Outlines of the grids whose ``flag`` column is true (none when it is absent)."""
    if grids is None or flag not in grids.columns:
        return collection([])
    features = []
    for geom, value, code in zip(
        grids.geometry, grids[flag].tolist(), grids["code"].tolist(), strict=True
    ):
        geometry = geometry_json(geom) if is_true(value) else None
        if geometry is not None:
            features.append(feature(geometry, {"c": esc(code)}))
    return collection(features)


def border_features(borders: gpd.GeoDataFrame | None) -> tuple[dict[str, Any], dict[str, Any]]:
    """(main borders, minor streets): lines with their class ``b``, drawn in the order of
    ``MAIN_BORDERS`` reversed so community edges lie on top."""
    if borders is None:
        return collection([]), collection([])
    names, rank = _border_classes(borders)
    main: list[tuple[int, dict[str, Any]]] = []
    streets: list[dict[str, Any]] = []
    for geom, name, r in zip(borders.geometry, names, rank.tolist(), strict=True):
        geometry = geometry_json(geom)
        if geometry is None:
            continue
        item = feature(geometry, {"b": name})
        if r >= 0:
            main.append((r, item))
        else:
            streets.append(item)
    main.sort(key=lambda pair: pair[0])
    return collection([item for _, item in main]), collection(streets)


def _border_classes(borders: gpd.GeoDataFrame | None) -> tuple[list[str], np.ndarray]:
    """Each line's style class (unknown classes as minor streets) and its drawing rank among
    the main borders (``MAIN_BORDERS`` reversed: community edges on top; -1 for a street)."""
    kinds = [] if borders is None else borders["border"].tolist()
    names = [
        text if text in BORDER_STYLES else "minor"
        for text in ("" if is_missing(kind) else str(kind).strip() for kind in kinds)
    ]
    order = {name: rank for rank, name in enumerate(reversed(MAIN_BORDERS))}
    return names, np.array([order.get(name, -1) for name in names], dtype=np.int64)


def _grid_text(ident: Any, codes: Mapping[Any, str]) -> str | None:
    key = _key(ident)
    if key is None:
        return None
    return esc(codes.get(key, f"#{key}"))


def atom_features(
    atoms: gpd.GeoDataFrame | None, codes: Mapping[Any, str], lang: str
) -> dict[str, Any]:
    """Unit polygons with id, kind (compound or street block), demand and grid code."""
    if atoms is None:
        return collection([])
    return _features_of(atoms.geometry, atom_properties(atoms, codes, lang))


def atom_properties(
    atoms: gpd.GeoDataFrame, codes: Mapping[Any, str], lang: str
) -> list[dict[str, Any]]:
    """Per unit, its tooltip's values (HTML-escaped): id, kind, demand and grid code."""
    out = []
    rows = zip(
        column(atoms, "atom_id"),
        column(atoms, "origin"),
        column(atoms, "households"),
        column(atoms, "population"),
        column(atoms, "grid_id"),
        column(atoms, "divided"),
        strict=True,
    )
    for ident, origin, hh, pop, grid, divided in rows:
        kind = None if is_missing(origin) else str(origin).strip()
        how = "" if is_missing(divided) else str(divided)
        suffix = "_buildings" if "buildings" in how else "_paths" if kind == "block" and how else ""
        out.append(
            {
                "a": fmt_number(ident) or esc(ident),
                "k": esc(label(f"atom_{kind}{suffix}", lang))
                if kind in ("compound", "block")
                else esc(kind),
                "hh": fmt_count(hh),
                "pop": fmt_count(pop),
                "g": _grid_text(grid, codes),
            }
        )
    return out


def home_features(
    homes: gpd.GeoDataFrame | None, codes: Mapping[Any, str], lang: str = "en"
) -> dict[str, Any]:
    """Home points: name (or "#id"), households, residents and grid code; a home estimated
    over residential land (``estimated_from`` = ``"landuse"``) carries ``e``, the words of
    its hollow marker in ``lang``."""
    if homes is None:
        return collection([])
    return _features_of(homes.geometry, home_properties(homes, codes, lang))


def _features_of(geoms: Any, props: list[dict[str, Any]]) -> dict[str, Any]:
    """A FeatureCollection of the rows with a geometry (missing and empty ones left out)."""
    pairs = ((geometry_json(g), p) for g, p in zip(geoms, props, strict=True))
    return collection([feature(g, p) for g, p in pairs if g])


def home_properties(
    homes: gpd.GeoDataFrame, codes: Mapping[Any, str], lang: str
) -> list[dict[str, Any]]:
    """Per home, its tooltip's values (HTML-escaped); ``e`` only for an estimated home."""
    out = []
    rows = zip(
        column(homes, "home_id"),
        column(homes, "name"),
        column(homes, "households"),
        column(homes, "population"),
        column(homes, "grid_code"),
        column(homes, "grid_id"),
        column(homes, "estimated_from"),
        strict=True,
    )
    estimated_text = esc(label("estimated_homes", lang))
    for ident, name, hh, pop, grid_code, grid, origin in rows:
        number = fmt_number(ident)
        out.append(
            {
                "n": esc(name) or (esc(f"#{number or ident}") if not is_missing(ident) else None),
                "hh": fmt_count(hh),
                "pop": fmt_count(pop),
                "g": esc(grid_code) or _grid_text(grid, codes),
                "e": estimated_text if is_estimated(origin) else None,
            }
        )
    return out


def _move_geometries(moves: pd.DataFrame, atoms: gpd.GeoDataFrame | None) -> list[Any]:
    """Each move's polygon in WGS-84: its own geometry when it has one, else its unit's."""
    own: list[Any] = [None] * len(moves)
    if isinstance(moves, gpd.GeoDataFrame):
        try:
            moves.geometry  # noqa: B018 - raises when no active geometry column is set
        except AttributeError:
            pass
        else:
            moved_4326 = to_wgs84(moves, "moves")
            if moved_4326 is not None:
                own = moved_4326.geometry.tolist()
    by_atom: dict[Any, Any] = {}
    if atoms is not None and "atom_id" in atoms.columns:
        by_atom = {
            _key(ident): geom
            for ident, geom in zip(atoms["atom_id"].tolist(), atoms.geometry, strict=True)
        }
    out = []
    for geom, ident in zip(own, moves["atom_id"].tolist(), strict=True):
        usable = geom is not None and not is_missing(geom) and not geom.is_empty
        out.append(geom if usable else by_atom.get(_key(ident)))
    return out


def moved_features(
    moves: pd.DataFrame, atoms: gpd.GeoDataFrame | None, codes: Mapping[Any, str]
) -> dict[str, Any]:
    """The units a redraw moved: id, households, from and to grid codes."""
    if len(moves) == 0:
        return collection([])
    require_columns(moves, MOVE_REQUIRED, "moves")
    features = []
    rows = zip(
        _move_geometries(moves, atoms),
        moves["atom_id"].tolist(),
        column(moves, "households"),
        moves["from_grid"].tolist(),
        moves["to_grid"].tolist(),
        strict=True,
    )
    for geom, ident, hh, source, target in rows:
        geometry = None if geom is None else geometry_json(geom)
        if geometry is None:
            continue
        props = {
            "a": fmt_number(ident) or esc(ident),
            "hh": fmt_count(hh),
            "f": _grid_text(source, codes),
            "t": _grid_text(target, codes),
        }
        features.append(feature(geometry, props))
    return collection(features)


def _label_point(geom: Any) -> Any:
    """Where a grid's label goes: the pole of inaccessibility of its largest part (the point
    farthest inside it), so a label stays inside a ragged or U-shaped grid."""
    if geom is None or geom.is_empty:
        return None
    if geom.geom_type == "MultiPolygon":
        geom = max(geom.geoms, key=lambda part: part.area)
    if geom.geom_type != "Polygon":
        return geom.representative_point()
    return polylabel(geom, tolerance=max(math.sqrt(geom.area) / 50.0, 1e-9))


def label_features(
    grids: gpd.GeoDataFrame | None,
    codes: Mapping[Any, str],
    tail_of: Mapping[Any, str],
    lang: str,
) -> tuple[dict[str, Any], list[str]]:
    """One point per grid for its label, and the label's (escaped) HTML: short code over
    households. Points are found in the grids' own CRS, then drawn in WGS-84."""
    if grids is None or len(grids) == 0:
        return collection([]), []
    points = gpd.GeoSeries([_label_point(geom) for geom in grids.geometry], crs=grids.crs).to_crs(
        4326
    )
    unit = esc(label("hh_unit", lang))
    space = "" if lang == "zh" else " "
    features, html = [], []
    for point, ident, hh in zip(
        points, grids["grid_id"].tolist(), grids["households"].tolist(), strict=True
    ):
        geometry = None if point is None else geometry_json(point)
        key = _key(ident)
        if geometry is None or key not in codes:
            continue
        tail = esc(tail_of[key]) or ""
        households = fmt_count(hh)
        line = f"<span>{households}{space}{unit}</span>" if households is not None else ""
        features.append(feature(geometry, {"c": esc(codes[key])}))
        html.append(f"<div><b>{tail}</b>{line}</div>")
    return collection(features), html


def label_zooms(grids: gpd.GeoDataFrame | None) -> tuple[int, int]:
    """(zoom for full labels, zoom for short ones): where a typical grid spans
    :data:`LABEL_FULL_PX` / :data:`LABEL_BRIEF_PX` pixels."""
    if grids is None or len(grids) == 0:
        return 0, 0
    valid = grids[~(grids.geometry.isna() | grids.geometry.is_empty)]
    if len(valid) == 0:
        return 0, 0
    metric = valid.to_crs(valid.estimate_utm_crs())
    size = float(np.median(np.sqrt(shapely.area(np.asarray(metric.geometry.array)))))
    lat = float(np.mean(valid.geometry.total_bounds[[1, 3]]))
    if not size > 0:
        return 0, 0

    def zoom_for(pixels: float) -> int:
        metres_per_pixel = size / pixels
        zoom = math.log2(_METRES_PER_PIXEL_Z0 * math.cos(math.radians(lat)) / metres_per_pixel)
        return min(max(math.ceil(zoom), 0), MAX_ZOOM)

    return zoom_for(LABEL_FULL_PX), zoom_for(LABEL_BRIEF_PX)


def _grid_js(lang: str) -> folium.JsCode:
    tip, popup = (script_json(tooltip_rows(table, lang)) for table in (GRID_TIP, GRID_POPUP))
    return folium.JsCode(f"shequGridFeature({tip}, {popup})")


# --- legend -----------------------------------------------------------------------------------


def _swatch(color: str) -> str:
    return f'<i style="background:{color};opacity:0.85;border:1px solid #555"></i>'


def _line_symbol(style: Mapping[str, Any]) -> str:
    kind = "dashed" if style.get("dashArray") else "solid"
    width = max(2, round(float(style["weight"])))
    return f'<i class="line" style="border-top:{width}px {kind} {style["color"]}"></i>'


def deviation_legend_rows(target: float, tolerance: float, lang: str) -> list[tuple[str, str]]:
    """(colour, escaped text) per deviation class, most over first: the class name, its
    deviation range and the households it means."""
    far = far_deviation(tolerance)

    def hh(share: float) -> str:
        return fmt_number(max(target * (1 + share), 0.0), 0) or "0"

    ranges = {
        "over_far": f"> {_percent(far, sign=True)} (> {hh(far)})",
        "over": f"{_percent(tolerance, sign=True)} … {_percent(far, sign=True)} "
        f"({hh(tolerance)}–{hh(far)})",
        "ok": f"±{_percent(tolerance)} ({hh(-tolerance)}–{hh(tolerance)})",
        "under": f"{_percent(-far, sign=True)} … {_percent(-tolerance, sign=True)} "
        f"({hh(-far)}–{hh(-tolerance)})",
        "under_far": f"< {_percent(-far, sign=True)} (< {hh(-far)})",
    }
    rows = []
    for index in reversed(range(len(DEVIATION_CLASSES))):
        name = DEVIATION_CLASSES[index]
        text = f"{esc(label(f'dev_{name}', lang))}: {ranges[name]}"
        rows.append((DEVIATION_COLORS[index], text))
    return rows


def grid_legend(target: float, tolerance: float, counts: Mapping[str, float], lang: str) -> HtmlBox:
    """Legend: the deviation classes (with households), flags, borders and moved units."""
    heading = label("deviation_heading", lang).format(target=fmt_number(target))
    lines = [f"<h4>{esc(heading)}</h4>"]
    lines.extend(
        f"<div>{_swatch(color)}{text}</div>"
        for color, text in deviation_legend_rows(target, tolerance, lang)
    )
    lines.append(f"<div>{_swatch(NO_DATA_COLOR)}{esc(label('no_data', lang))}</div>")
    within = label("grids_within", lang).format(
        within=int(counts.get("within", 0)), total=int(counts.get("grids", 0))
    )
    lines.append(f'<div class="shequ-note">{esc(within)}</div>')
    lines.append(f'<h4 class="shequ-gap">{esc(label("legend", lang))}</h4>')
    lines.append(
        f'<div><i class="hatch"></i>{_name("oversized_layer", lang)} '
        f"({int(counts.get('oversized', 0))})</div>"
    )
    lines.append(
        f'<div><i class="backhatch"></i>{_name("outside_layer", lang)} '
        f"({int(counts.get('outside_community', 0))})</div>"
    )
    for border in MAIN_BORDERS:
        lines.append(
            f"<div>{_line_symbol(BORDER_STYLES[border])}{_name(f'border_{border}', lang)}</div>"
        )
    if counts.get("estimated"):
        lines.append(estimated_legend_line(lang))
    if "moved" in counts:
        moved_hh = fmt_number(counts.get("moved_hh", 0.0)) or "0"
        unit = esc(label("hh_unit", lang))
        lines.append(
            f'<div><i style="background:{MOVED_COLOR};border:2px solid {MOVED_OUTLINE}"></i>'
            f"{_name('moved_layer', lang)} ({int(counts['moved'])}, {moved_hh} {unit})</div>"
        )
    return HtmlBox("\n".join(lines), "shequ-legend")


__all__ = ["build_grid_map", "deviation_legend_rows", "short_codes"]
