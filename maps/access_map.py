"""The living-circle (15-minute city) access map: build it, write it.

The map answers one question at a time: how well is this kind of facility (托育, 幼儿园,
老年助餐点 …) within reach of the homes? It opens on the kind with the worst coverage among
those the data can measure (the finding a street office most needs to see first), its title
names the kind shown, and one select box in one panel switches kinds: switching restyles the
homes and swaps in that kind's facilities and served area. A kind with no facility in the data
is listed as "no data" and cannot be chosen, so the map never shows a 0 % red map for want of
data. Texts are in Chinese or English.

Every home is written once, with its minutes and standard met per kind, and styled per kind in
the browser; a blind spot (a home not served, 盲区) is the home drawn with a red ring as its own
outline. The served area of a kind is the one :func:`shequ.analyses.isochrones.agree_with_homes`
made agree with those minutes, so the shading and the home colours tell the same story. The page
opens on an intranet machine with no internet: Leaflet is inlined (:mod:`shequ.maps.assets`)
and the basemap is drawn from the data (:mod:`shequ.maps.basemap`): nothing is fetched unless
tiles are asked for (``--basemap``).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import folium
import geopandas as gpd
import numpy as np
from branca.element import MacroElement
from folium.template import Template

from shequ.errors import InputError
from shequ.geo.outputs import atomic_path
from shequ.i18n import Note
from shequ.maps.access_cells import (
    ACCESS_CELLS_JS,
    MAX_HOME_MARKERS,
    AccessCells,
    cells_config,
    cells_legend,
    home_styles,
)
from shequ.maps.assets import strip_external_resources
from shequ.maps.data_completeness import completeness_box, estimated_legend_line
from shequ.maps.escape import as_float, esc, fmt_number, script_json
from shequ.maps.features import (
    ESTIMATED_FROM_LANDUSE,
    FACILITY_TIP,
    ISOCHRONE_TIP,
    access_home_features,
    facility_features,
    isochrone_features,
    to_wgs84,
)
from shequ.maps.labels import check_lang, kind_label, label
from shequ.maps.overlays import HtmlBox, RawHtml, legend_box, title_box
from shequ.maps.packed import add_decoder
from shequ.maps.page import (
    add_panes,
    fit_to_data,
    label_tooltip,
    new_map,
    style_by_id,
)
from shequ.maps.render import render_page
from shequ.maps.style import (
    access_home_style,
    facility_style,
    isochrone_style,
    no_data_home_style,
)

# Panes fix the drawing order whatever order layers are switched on in: areas under homes,
# facilities on top (Leaflet's overlayPane is 400).
PANE_ISOCHRONES = ("shequ-isochrones", 380)
PANE_HOMES = ("shequ-homes", 410)
PANE_FACILITIES = ("shequ-facilities", 430)

HOME_TIP = (
    ("n", "name", False),
    ("hh", "households", False),
    ("m", "minutes", True),
    ("r", "reason", True),
    ("e", "estimated", False),
)
"""Home tooltip rows: (property, label key, whether the property is a list per kind)."""

_SWITCH_JS = """
var shequAccess = {kind: -1};
function shequAccessTip(rows) {
  /* Property values were HTML-escaped when the page was made; labels are trusted. A row whose
     property is a list per kind shows the entry of the kind shown. */
  return function (feature, layer) {
    layer.bindTooltip(function () {
      var props = feature.properties || {}, body = '', k = shequAccess.kind;
      for (var i = 0; i < rows.length; i++) {
        var value = props[rows[i][0]];
        if (rows[i][2]) { value = (value && k >= 0) ? value[k] : null; }
        if (value === null || value === undefined || value === '') { continue; }
        body += '<tr><th>' + rows[i][1] + '</th><td>' + value + '</td></tr>';
      }
      return '<table>' + body + '</table>';
    }, {sticky: true, className: 'shequ-tip'});
  };
}
function shequAccessSwitch(map, homes, layers, config) {
  var panel = L.control({position: 'topright'});
  panel.onAdd = function () {
    var box = L.DomUtil.create('div', 'shequ-kinds');
    box.innerHTML = config.panel;
    L.DomEvent.disableClickPropagation(box);
    L.DomEvent.disableScrollPropagation(box);
    return box;
  };
  panel.addTo(map);
  var box = panel.getContainer(), select = box.querySelector('select');
  var info = box.querySelector('.shequ-kind-info');
  var title = document.querySelector('.shequ-title-kind');
  function show(k) {
    shequAccess.kind = k;
    layers.forEach(function (group, i) {
      group.forEach(function (layer) {
        if (i === k) { if (!map.hasLayer(layer)) { layer.addTo(map); } }
        else if (map.hasLayer(layer)) { map.removeLayer(layer); }
      });
    });
    if (homes.shequSetKind) { homes.shequSetKind(k); } else {
      homes.setStyle(function (feature) {
        var s = feature.properties.s;
        return config.styles[k >= 0 && s ? s[k] : config.none];
      });
    }
    info.innerHTML = k >= 0 ? config.info[k] : config.empty;
    if (title) { title.innerHTML = k >= 0 ? config.names[k] : config.empty_name; }
    if (select) { select.value = String(k); }
    box.setAttribute('data-kind', String(k));
  }
  if (select) { select.addEventListener('change', function () { show(Number(select.value)); }); }
  show(config.initial);
}
"""

_SWITCH_CSS = """
.shequ-kinds { background: rgba(255,255,255,0.92); border-radius: 4px; padding: 6px 8px;
  box-shadow: 0 1px 5px rgba(0,0,0,0.4); font-size: 13px; line-height: 18px; max-width: 300px; }
.shequ-kinds label { display: block; font-weight: bold; margin-bottom: 3px; }
.shequ-kinds select { max-width: 100%; font-size: 13px; }
.shequ-kind-info div { margin-top: 4px; }
"""


class _KindSwitch(MacroElement):
    """The panel that shows one kind at a time (a select box) and the script behind it.

    ``layers`` holds, per kind with data, the layers shown only with it; their JS names are
    folium's own identifiers and ``config`` is JSON (:func:`shequ.maps.escape.script_json`)
    whose texts were escaped when the page was made.
    """

    _template = Template(
        """
        {% macro script(this, kwargs) %}
        shequAccessSwitch({{ this._parent.get_name() }}, {{ this.homes }},
          [{{ this.layers }}], {{ this.config }});
        {% endmacro %}
        """
    )

    def __init__(
        self, homes: MacroElement, layers: list[list[folium.GeoJson]], config: str
    ) -> None:
        super().__init__()
        self._name = "KindSwitch"
        self.homes = homes.get_name()
        self.layers = ",".join(
            "[" + ",".join(layer.get_name() for layer in group) + "]" for group in layers
        )
        self.config = config


def build_access_map(
    homes: gpd.GeoDataFrame,
    facilities: gpd.GeoDataFrame,
    isochrones: gpd.GeoDataFrame,
    kinds: list[dict[str, Any]],
    *,
    lang: str = "zh",
    selected: str | None = None,
    title: str | None = None,
    completeness: Mapping[str, Any] | None = None,
    max_home_markers: int = MAX_HOME_MARKERS,
) -> folium.Map:
    """Build the interactive access map of a living-circle audit.

    Parameters
    ----------
    homes : GeoDataFrame
        ``walk_min_K`` (NaN when unreachable), ``meets_K`` and ``unreachable_K`` for every kind
        K with data; optional ``households``, ``name``, ``home_id``, ``estimated_from``.
    facilities : GeoDataFrame
        With ``kind``.
    isochrones : GeoDataFrame
        With ``kind``, ``minutes``, ``scope``; only scope ``union`` (the area served per kind
        and band) is drawn: the per-facility polygons stay in ``shequ.gpkg``.
    kinds : list of dict
        ``id``, ``zh``, ``en``, ``threshold_min``; optional ``speed_mps`` (the metres of the
        standard are shown with it), ``distance_standard`` (True when the norm is a radius in
        metres, e.g. 垃圾分类投放点 200 m: the standard is then worded in metres first) and
        ``data_status`` (from ``summary.csv``; default ``"ok"``).
    lang : {"zh", "en"}
    selected : str, optional
        The kind to open on; default (and when ``selected`` has no data) the kind with the
        lowest share of households served within its standard, among kinds with data.
    title : str, optional
        The title; the kind shown is appended to it.
    completeness : mapping, optional
        The run's ``completeness`` entry of ``run.json``: its findings are listed in a "data
        completeness" box; None draws no box.
    max_home_markers : int
        Above this many homes (a district) they are drawn as H3 cells zoomed out and the
        homes in view zoomed in (:mod:`shequ.maps.access_cells`), each written once, packed.

    Returns
    -------
    folium.Map

    Notes
    -----
    A kind whose ``data_status`` is not ``ok`` has nothing to measure: it is listed as "no
    data" and cannot be selected, and its homes' columns are not read. With no kind to show,
    the homes are drawn grey with no blind-spot ring (nothing was measured, nothing is a blind
    spot) and the panel says how to add facilities. Homes estimated over residential land
    with no buildings (``estimated_from = "landuse"``) are drawn hollow, with a legend line.
    """
    check_lang(lang)
    kinds = _check_kinds(kinds)
    kind_ids = [kind["id"] for kind in kinds]
    if selected is not None and selected not in kind_ids:
        raise InputError(
            Note("e.map_selected_kind", kind=repr(selected), kinds=", ".join(kind_ids))
        )
    active = [kind for kind in kinds if not _no_data(kind)]
    homes_4326 = to_wgs84(homes, "homes")
    facilities_4326 = to_wgs84(facilities, "facilities")
    isochrones_4326 = to_wgs84(isochrones, "isochrones")

    coverage = [_coverage(homes, kind["id"]) for kind in active]
    initial = _initial_kind(active, coverage, selected)
    title_text = esc(title) or esc(label("default_title", lang)) or ""
    names = [_kind_text(kind, lang) for kind in active]
    shown = names[initial] if initial >= 0 else esc(label("no_kind_title", lang)) or ""
    m = new_map(label("title_kind", lang).format(title=title_text, kind=shown), lang)
    add_panes(m, (PANE_ISOCHRONES, PANE_HOMES, PANE_FACILITIES))

    layers = [
        _kind_layers(m, kind, lang, facilities_4326, isochrones_4326, i == initial)
        for i, kind in enumerate(active)
    ]
    drawn = _points(homes_4326)
    homes_layer: folium.GeoJson | AccessCells
    if drawn is not None and len(drawn) > max_home_markers:
        homes_layer, styles = _homes_cells(drawn, active, lang, initial, m)
    else:
        homes_layer, styles = _homes_layer(homes_4326, active, lang, initial)
    homes_layer.add_to(m)
    heading = label("title_kind", lang).format(
        title=title_text, kind=f'<span class="shequ-title-kind">{shown}</span>'
    )
    title_box(heading).add_to(m)
    config = _switch_config(kinds, active, coverage, initial, styles, lang)
    m.get_root().header.add_child(
        RawHtml(f"<style>{_SWITCH_CSS}</style>\n<script>{_SWITCH_JS}</script>"),
        name="shequ_access_switch",
    )
    _KindSwitch(homes_layer, layers, script_json(config)).add_to(m)
    estimated = homes_4326 is not None and (
        "estimated_from" in homes_4326
        and bool((homes_4326["estimated_from"] == ESTIMATED_FROM_LANDUSE).any())
    )
    cells = isinstance(homes_layer, AccessCells)
    _legend(lang, estimated=estimated, cells=cells).add_to(m)
    # the box lists the kinds without facilities itself: their plain names, not "(no data)"
    plain = {kind["id"]: esc(kind_label(kind, lang)) or esc(kind["id"]) for kind in kinds}
    box = completeness_box(completeness, lang, plain)
    if box is not None:
        box.add_to(m)
    fit_to_data(m, [homes_4326, facilities_4326, isochrones_4326])
    return m


def render_html(m: folium.Map) -> str:
    """The map's complete, self-contained HTML page (no external scripts or stylesheets).

    Rendered in one pass (:func:`shequ.maps.render.render_page`), so text from the data is
    never evaluated as a template.
    """
    return strip_external_resources(render_page(m))


def write_map(m: folium.Map, path: str | Path) -> Path:
    """Write the map as one self-contained HTML file, atomically.

    The page goes to a temporary file in the target folder and is moved over ``path`` with
    :func:`os.replace` (:func:`shequ.geo.outputs.atomic_path`), so a reader (a web server, a
    file share) sees the old page or the new one, never half of one. The file keeps the mode of
    the page it replaces (else 0644). A failed write raises
    :class:`shequ.geo.outputs.OutputError` naming ``path``.
    """
    target = Path(path)
    page = render_html(m).encode("utf-8")
    with atomic_path(target, mode=0o644) as temp:
        temp.write_bytes(page)
    return target


def _check_kinds(kinds: Sequence[Mapping[str, Any]]) -> list[dict[str, Any]]:
    checked: list[dict[str, Any]] = []
    for kind in kinds:
        kind_id = kind.get("id") if isinstance(kind, Mapping) else None
        if not isinstance(kind_id, str) or not kind_id:
            raise InputError(Note("e.map_kind_id", got=repr(kind)))
        if any(other["id"] == kind_id for other in checked):
            raise InputError(Note("e.map_kind_twice", kind=repr(kind_id)))
        checked.append(dict(kind))
    return checked


def _switch_config(
    kinds: Sequence[Mapping[str, Any]],
    active: Sequence[Mapping[str, Any]],
    coverage: Sequence[Mapping[str, float]],
    initial: int,
    styles: list[dict[str, Any]],
    lang: str,
) -> dict[str, Any]:
    """What the panel's script needs, every text escaped: per kind with data its name and
    panel lines, the home styles, the select box, and the words for "no kind to show"."""
    return {
        "initial": initial,
        "styles": styles,
        "none": len(styles) - 1,
        "names": [_kind_text(kind, lang) for kind in active],
        "empty_name": esc(label("no_kind_title", lang)),
        "info": [
            _kind_info(kind, cover, lang) for kind, cover in zip(active, coverage, strict=True)
        ],
        "empty": f"<div>{esc(label('no_kind_data', lang))}</div>",
        "panel": _panel(kinds, active, coverage, lang),
    }


def _no_data(kind: Mapping[str, Any]) -> bool:
    """The kind has nothing to measure (``data_status`` other than ``ok``)."""
    return kind.get("data_status", "ok") != "ok"


def _kind_text(kind: Mapping[str, Any], lang: str) -> str:
    """The kind's name, escaped, marked "(no data)" when it has nothing to measure."""
    text = esc(kind_label(kind, lang)) or esc(kind["id"]) or ""
    return label("kind_no_data", lang).format(kind=text) if _no_data(kind) else text


def _coverage(homes: gpd.GeoDataFrame | None, kind_id: str) -> dict[str, float]:
    """Homes and households served within the kind's standard (``meets_<kind>``), and totals.

    ``share`` is of households, or of homes when the homes carry no households; NaN when
    there is nothing to share (no homes).
    """
    if homes is None or len(homes) == 0:
        return {"homes": 0, "total_homes": 0, "households": 0.0, "total": 0.0, "share": np.nan}
    column = f"meets_{kind_id}"
    if column not in homes:
        raise InputError(Note("e.map_missing_columns", what="homes", columns=column))
    met = homes[column].fillna(False).astype(bool).to_numpy()
    if "households" in homes:
        weight = homes["households"].astype(float).fillna(0.0).to_numpy()
    else:
        weight = np.ones(len(homes))
    total = float(weight.sum())
    served = float(weight[met].sum())
    share = served / total if total > 0 else float(met.mean())
    return {
        "homes": int(met.sum()),
        "total_homes": len(met),
        "households": served,
        "total": total,
        "share": share,
    }


def _initial_kind(
    active: Sequence[Mapping[str, Any]],
    coverage: Sequence[Mapping[str, float]],
    selected: str | None,
) -> int:
    """Index in ``active`` of the kind to open on: ``selected`` when it has data, else the
    lowest share served (the first of equals); -1 when no kind has data."""
    ids = [kind["id"] for kind in active]
    if selected in ids:
        return ids.index(selected)
    if not ids:
        return -1
    shares = [cover["share"] for cover in coverage]
    return int(np.argmin([1.0 if np.isnan(share) else share for share in shares]))


def _percent(share: float) -> str:
    """A share as whole percent; "<1" for a small share that is not zero."""
    if np.isnan(share):
        return "–"
    if 0 < share < 0.005:
        return "<1"
    return f"{share * 100:.0f}"


def _standard_text(kind: Mapping[str, Any], lang: str) -> str | None:
    """The kind's standard: in metres first when the norm is a distance, else in minutes,
    each with the other measure at the walking speed the audit used."""
    minutes = as_float(kind.get("threshold_min"))
    if minutes is None:
        return None
    speed = as_float(kind.get("speed_mps"))
    if speed is None:
        return f"{esc(label('standard', lang))}: ≤ {fmt_number(minutes)} {label('min_unit', lang)}"
    key = "standard_distance" if kind.get("distance_standard") else "standard_time"
    norm = as_float(kind.get("norm_m"))
    if norm is not None and abs(norm - minutes * 60.0 * speed) > 5.0:  # walked slower than set
        key = "standard_distance_audited"
    return esc(
        label(key, lang).format(
            norm=fmt_number(norm) if norm is not None else "",
            metres=round(minutes * 60.0 * speed),
            minutes=fmt_number(minutes),
            speed=fmt_number(speed, 2),
        )
    )


def _kind_info(kind: Mapping[str, Any], cover: Mapping[str, float], lang: str) -> str:
    """The panel's lines for a kind: its standard and who it serves (whole households)."""
    lines = []
    standard = _standard_text(kind, lang)
    if standard is not None:
        lines.append(standard)
    served = label("kind_served", lang).format(
        households=round(cover["households"]),
        total=round(cover["total"]),
        share=_percent(cover["share"]),
        homes=int(cover["homes"]),
        total_homes=int(cover["total_homes"]),
    )
    lines.append(esc(served) or "")
    return "".join(f"<div>{line}</div>" for line in lines)


def _panel(
    kinds: Sequence[Mapping[str, Any]],
    active: Sequence[Mapping[str, Any]],
    coverage: Sequence[Mapping[str, float]],
    lang: str,
) -> str:
    """The select box: kinds with data by share served, then the others, disabled, "no data"."""
    options = []
    index = {kind["id"]: i for i, kind in enumerate(active)}
    for kind in kinds:
        text = _kind_text(kind, lang)
        if kind["id"] in index:
            i = index[kind["id"]]
            share = coverage[i]["share"]
            words = (
                label("kind_option", lang).format(
                    kind=kind_label(kind, lang), share=_percent(share)
                )
                if not np.isnan(share)
                else kind_label(kind, lang)
            )
            options.append(f'<option value="{i}">{esc(words)}</option>')
        else:
            options.append(f'<option value="-1" disabled>{text}</option>')
    if not active:
        options.insert(0, f'<option value="-1">{esc(label("no_kind_title", lang))}</option>')
    return (
        f"<label>{esc(label('kind_pick', lang))}</label>"
        f'<select aria-label="{esc(label("kind_pick", lang))}">{"".join(options)}</select>'
        '<div class="shequ-kind-info"></div>'
    )


def _kind_layers(
    m: folium.Map,
    kind: Mapping[str, Any],
    lang: str,
    facilities: gpd.GeoDataFrame | None,
    isochrones: gpd.GeoDataFrame | None,
    show: bool,
) -> list[folium.GeoJson]:
    """A kind's served area (per band, largest first) and its facilities, shown with it."""
    kind_id = kind["id"]
    kind_text = _kind_text(kind, lang)
    data, minutes = isochrone_features(isochrones, kind_id, kind_text, scope="union")
    area = folium.GeoJson(
        data,
        name=f"{kind_text} — {esc(label('isochrones', lang))}",
        show=show,
        control=False,
        style_function=style_by_id([isochrone_style(value) for value in minutes]),
        on_each_feature=label_tooltip(ISOCHRONE_TIP, lang),
        pane=PANE_ISOCHRONES[0],
    )
    places = folium.GeoJson(
        facility_features(facilities, kind_id, kind_text),
        name=f"{kind_text} — {esc(label('facilities', lang))}",
        show=show,
        control=False,
        marker=folium.CircleMarker(),
        style_function=lambda feature: facility_style() | {"pane": PANE_FACILITIES[0]},
        on_each_feature=label_tooltip(FACILITY_TIP, lang),
    )
    for layer in (area, places):
        layer.add_to(m)
    return [area, places]


def _homes_layer(
    homes: gpd.GeoDataFrame | None, active: Sequence[Mapping[str, Any]], lang: str, initial: int
) -> tuple[folium.GeoJson, list[dict[str, Any]]]:
    """Every home once; property ``s`` holds its style (an index into the returned table) per
    kind of ``active``, the style the panel's script applies when that kind is shown."""
    unreachable = esc(label("unreachable", lang)) or ""
    data, bins, served, estimated = access_home_features(
        homes, [kind["id"] for kind in active], unreachable, lang
    )
    table: dict[tuple[int, bool, bool], int] = {}
    styles: list[dict[str, Any]] = []
    for item, home_bins, home_served, hollow in zip(
        data["features"], bins, served, estimated, strict=True
    ):
        keys = [(b, s, hollow) for b, s in zip(home_bins, home_served, strict=True)]
        for key in keys:
            if key not in table:
                table[key] = len(styles)
                styles.append(access_home_style(key[0], served=key[1], estimated=key[2]))
        if keys:
            item["properties"]["s"] = [table[key] for key in keys]
    styles.append(no_data_home_style())
    on_homes = {"pane": PANE_HOMES[0]}
    styles = [style | on_homes for style in styles]
    none = len(styles) - 1

    def style(feature: dict[str, Any]) -> dict[str, Any]:
        index = feature["properties"].get("s")
        return styles[index[initial] if index and initial >= 0 else none]

    layer = folium.GeoJson(
        data,
        name=esc(label("homes", lang)),
        control=False,
        marker=folium.CircleMarker(),
        style_function=style,
        on_each_feature=folium.JsCode(
            "shequAccessTip("
            + script_json(
                [[key, esc(label(name, lang)) or "", per_kind] for key, name, per_kind in HOME_TIP]
            )
            + ")"
        ),
    )
    return layer, styles


def _points(homes: gpd.GeoDataFrame | None) -> gpd.GeoDataFrame | None:
    """The homes that have a location (a small map skips the others too)."""
    if homes is None:
        return None
    return homes[~(homes.geometry.isna() | homes.geometry.is_empty)]


def _homes_cells(
    homes: gpd.GeoDataFrame,
    active: Sequence[Mapping[str, Any]],
    lang: str,
    initial: int,
    m: folium.Map,
) -> tuple[AccessCells, list[dict[str, Any]]]:
    """A district's homes: H3 cells zoomed out, the homes in view zoomed in
    (:mod:`shequ.maps.access_cells`); every home once, packed."""
    kind_ids = [kind["id"] for kind in active]
    index, styles = home_styles(homes, kind_ids)
    styles = [style | {"pane": PANE_HOMES[0]} for style in styles]
    add_decoder(m)
    m.get_root().header.add_child(
        RawHtml(f"<script>{ACCESS_CELLS_JS}</script>"), name="shequ_access_cells"
    )
    config = cells_config(
        homes, list(active), styles, index, initial=initial, pane=PANE_HOMES[0], lang=lang
    )
    return AccessCells(config), styles


def _legend(lang: str, *, estimated: bool, cells: bool = False) -> HtmlBox:
    return legend_box(
        heading=esc(label("walk_minutes", lang)) or "",
        unreachable=esc(label("unreachable", lang)) or "",
        blind_spots=f"{esc(label('blind_spots', lang))} ({esc(label('blind_spot_note', lang))})",
        facilities=esc(label("facilities", lang)) or "",
        isochrones=esc(label("served_area", lang)) or "",
        standard="",
        standards=[],
        extra=([estimated_legend_line(lang)] if estimated else [])
        + (cells_legend(lang) if cells else []),
    )


__all__ = ["build_access_map", "render_html", "write_map"]
