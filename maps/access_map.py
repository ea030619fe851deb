"""The living-circle (15-minute city) access map: build it, write it.

The map only draws what the analysis hands it: per facility kind, homes coloured by walk
minutes, the facilities, isochrone polygons and blind spots (homes not served), plus a legend,
a layer control and a title, all in Chinese or English. It must open on an intranet machine
with no internet, so Leaflet is inlined (:mod:`shequ.maps.assets`); only the optional OSM
basemap tiles are fetched from the network, and the data layers show without them.

Points are drawn as ``folium.GeoJson`` layers with circle markers and style functions: one
layer per kind and theme keeps the page small (a few bytes per home) where one folium marker
object per home would emit a block of JS each.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import folium
import geopandas as gpd

from shequ.errors import InputError
from shequ.geo.outputs import atomic_path
from shequ.i18n import Note
from shequ.maps.assets import strip_external_resources
from shequ.maps.data_completeness import completeness_box, estimated_legend_line
from shequ.maps.escape import esc, fmt_number
from shequ.maps.features import (
    ESTIMATED_FROM_LANDUSE,
    FACILITY_TIP,
    HOME_TIP,
    ISOCHRONE_TIP,
    collection,
    facility_features,
    home_features,
    isochrone_features,
    to_wgs84,
)
from shequ.maps.labels import check_lang, kind_label, label
from shequ.maps.overlays import HtmlBox, legend_box, title_box
from shequ.maps.page import (
    add_panes,
    fit_to_data,
    label_tooltip,
    new_map,
    style_by_id,
)
from shequ.maps.render import render_page
from shequ.maps.style import (
    blind_spot_style,
    facility_style,
    hollow,
    home_style,
    isochrone_style,
)

# Panes fix the drawing order whatever order layers are switched on in: areas under homes,
# blind-spot rings over homes, facilities on top (Leaflet's overlayPane is 400).
PANE_ISOCHRONES = ("shequ-isochrones", 380)
PANE_HOMES = ("shequ-homes", 410)
PANE_BLIND_SPOTS = ("shequ-blind-spots", 420)
PANE_FACILITIES = ("shequ-facilities", 430)

_EXPANDED_CONTROL_KINDS = 3  # five layers per kind: more than this and the list is collapsed


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
) -> folium.Map:
    """Build the interactive access map of a living-circle audit.

    ``homes`` has ``walk_min_K`` (NaN when unreachable), ``meets_K`` and ``unreachable_K`` for
    every kind K of ``kinds``; ``facilities`` has ``kind``; ``isochrones`` has ``kind``,
    ``minutes``, ``scope`` ("facility" | "union") and ``facility_id``. Any frame may be empty.
    The layers of ``selected`` (default: the first kind with data) are shown, others start hidden,
    and per-facility isochrones always start hidden. Texts are in ``lang`` ("zh" | "en").

    A kind whose ``data_status`` (from ``summary.csv``; default ``"ok"``) is not ``"ok"`` has
    nothing to measure: its layers and its legend line say "no data", it draws no blind-spot
    rings (every home would be one, for want of data, not of service), and the map never
    opens on it: ``selected`` moves to the first kind with data, or to none.

    Homes whose ``estimated_from`` is ``"landuse"`` (estimated over residential land with no
    buildings mapped, :mod:`shequ.geo.landuse_homes`) are drawn hollow, with a legend line.
    ``completeness`` is the run's ``completeness`` entry of ``run.json``
    (:meth:`shequ.geo.completeness.Completeness.to_json`): its findings are listed in a "data
    completeness" box; None draws no box.
    """
    check_lang(lang)
    kinds = _check_kinds(kinds)
    kind_ids = [kind["id"] for kind in kinds]
    if selected is not None and selected not in kind_ids:
        raise InputError(
            Note("e.map_selected_kind", kind=repr(selected), kinds=", ".join(kind_ids))
        )
    with_data = [kind["id"] for kind in kinds if not _no_data(kind)]
    if selected is None or selected not in with_data:
        selected = with_data[0] if with_data else None

    homes_4326 = to_wgs84(homes, "homes")
    facilities_4326 = to_wgs84(facilities, "facilities")
    isochrones_4326 = to_wgs84(isochrones, "isochrones")

    title_text = esc(title) or esc(label("default_title", lang)) or ""
    m = new_map(title_text, lang)
    add_panes(m, (PANE_ISOCHRONES, PANE_HOMES, PANE_BLIND_SPOTS, PANE_FACILITIES))

    for kind in kinds:
        _add_kind_layers(
            m, kind, lang, homes_4326, facilities_4326, isochrones_4326, kind["id"] == selected
        )

    folium.LayerControl(collapsed=len(kinds) > _EXPANDED_CONTROL_KINDS).add_to(m)
    title_box(title_text).add_to(m)
    estimated = homes_4326 is not None and (
        "estimated_from" in homes_4326
        and bool((homes_4326["estimated_from"] == ESTIMATED_FROM_LANDUSE).any())
    )
    _legend(kinds, lang, estimated=estimated).add_to(m)
    # the box lists the kinds without facilities itself: their plain names, not "(no data)"
    names = {kind["id"]: esc(kind_label(kind, lang)) or esc(kind["id"]) for kind in kinds}
    box = completeness_box(completeness, lang, names)
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


def _no_data(kind: Mapping[str, Any]) -> bool:
    """The kind has nothing to measure (``data_status`` other than ``ok``)."""
    return kind.get("data_status", "ok") != "ok"


def _kind_text(kind: Mapping[str, Any], lang: str) -> str:
    """The kind's name, escaped, marked "(no data)" when it has nothing to measure."""
    text = esc(kind_label(kind, lang)) or esc(kind["id"]) or ""
    return label("kind_no_data", lang).format(kind=text) if _no_data(kind) else text


def _layer_name(kind_text: str, theme: str, lang: str) -> str:
    """Layer-control entry (Leaflet sets it as HTML: both parts escaped)."""
    return f"{kind_text} — {esc(label(theme, lang))}"


def _add_kind_layers(
    m: folium.Map,
    kind: Mapping[str, Any],
    lang: str,
    homes: gpd.GeoDataFrame | None,
    facilities: gpd.GeoDataFrame | None,
    isochrones: gpd.GeoDataFrame | None,
    show: bool,
) -> None:
    """Add one kind's layers, bottom to top: isochrones, homes, blind spots, facilities."""
    kind_id = kind["id"]
    kind_text = _kind_text(kind, lang)
    # a kind with no facility in the data: its homes are not "unreachable", there is no data
    unreachable_text = esc(label("no_data" if _no_data(kind) else "unreachable", lang)) or ""

    for scope, theme, per_facility in (
        ("union", "isochrones", False),
        ("facility", "isochrones_per_facility", True),
    ):
        data, minutes = isochrone_features(isochrones, kind_id, kind_text, scope=scope)
        folium.GeoJson(
            data,
            name=_layer_name(kind_text, theme, lang),
            show=show and not per_facility,
            style_function=style_by_id(
                [isochrone_style(value, per_facility=per_facility) for value in minutes]
            ),
            on_each_feature=label_tooltip(ISOCHRONE_TIP, lang),
            pane=PANE_ISOCHRONES[0],
        ).add_to(m)

    homes_data, bins, blind_data = home_features(homes, kind_id, unreachable_text, lang)
    if _no_data(kind):
        blind_data = collection([])
    # folium's CircleMarker drops a ``pane`` option, but styles are merged into the marker
    # options before it is created, so the pane travels with the style.
    on_homes = {"pane": PANE_HOMES[0]}
    folium.GeoJson(
        homes_data,
        name=_layer_name(kind_text, "homes", lang),
        show=show,
        marker=folium.CircleMarker(),
        style_function=style_by_id(
            [
                (hollow(home_style(index)) if "e" in item["properties"] else home_style(index))
                | on_homes
                for index, item in zip(bins, homes_data["features"], strict=True)
            ]
        ),
        on_each_feature=label_tooltip(HOME_TIP, lang),
    ).add_to(m)
    folium.GeoJson(
        blind_data,
        name=_layer_name(kind_text, "blind_spots", lang),
        show=show,
        marker=folium.CircleMarker(),
        style_function=lambda feature: blind_spot_style() | {"pane": PANE_BLIND_SPOTS[0]},
        on_each_feature=label_tooltip(HOME_TIP, lang),
    ).add_to(m)
    folium.GeoJson(
        facility_features(facilities, kind_id, kind_text),
        name=_layer_name(kind_text, "facilities", lang),
        show=show,
        marker=folium.CircleMarker(),
        style_function=lambda feature: facility_style() | {"pane": PANE_FACILITIES[0]},
        on_each_feature=label_tooltip(FACILITY_TIP, lang),
    ).add_to(m)


def _legend(kinds: Sequence[Mapping[str, Any]], lang: str, *, estimated: bool) -> HtmlBox:
    unit = esc(label("min_unit", lang))
    standards = []
    for kind in kinds:
        threshold = fmt_number(kind.get("threshold_min"))
        if threshold is not None:
            standards.append(f"{_kind_text(kind, lang)} ≤ {threshold} {unit}")
    return legend_box(
        heading=esc(label("walk_minutes", lang)) or "",
        unreachable=esc(label("unreachable", lang)) or "",
        blind_spots=f"{esc(label('blind_spots', lang))} ({esc(label('blind_spot_note', lang))})",
        facilities=esc(label("facilities", lang)) or "",
        isochrones=esc(label("isochrones", lang)) or "",
        standard=esc(label("standard", lang)) or "",
        standards=standards,
        extra=[estimated_legend_line(lang)] if estimated else [],
    )


__all__ = ["build_access_map", "render_html", "write_map"]
