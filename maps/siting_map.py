"""The facility siting map (设施选址): where new sites go and what they change.

Like the access map it only draws what the siting workflow hands it: existing sites and the
proposed new ones (numbered by rank), the candidates left out (excluded ones with their reason),
each open site's street-following service area, and the homes, split by what the chosen sites
do for them — already covered by an existing site, newly covered, still unserved (with the
reason) or without demand of this kind; plus a legend, a title, a layer control and a small
chart of the coverage curve (share of demand covered for p = 0, 1, 2 … new sites), drawn as
inline SVG so the page needs no chart library and works offline.

Every text from the data (names, reasons, sources, solver status) is HTML-escaped before it
enters the page (:mod:`shequ.maps.escape`); the fixed words come from :mod:`shequ.maps.labels`.
Reasons and solver statuses that are catalogue notes (:class:`shequ.i18n.Note`, as the siting
job hands them over) are shown in the map's language; plain text is shown as it is.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

import folium
import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from shequ.errors import InputError
from shequ.i18n import Note, render_note, t
from shequ.maps.data_completeness import completeness_box, estimated_legend_line, is_estimated
from shequ.maps.escape import as_float, esc, fmt_number, is_missing
from shequ.maps.features import (
    collection,
    column,
    feature,
    geometry_json,
    is_true,
    require_columns,
    to_wgs84,
)
from shequ.maps.labels import check_lang, kind_label, label
from shequ.maps.overlays import FONT_STACK, HtmlBox, RawHtml, title_box
from shequ.maps.page import (
    add_panes,
    fit_to_data,
    label_tooltip,
    new_map,
    style_by_id,
)
from shequ.maps.style import (
    CANDIDATE_COLOR,
    EXCLUDED_COLOR,
    EXISTING_COLOR,
    PROPOSED_COLOR,
    RANK_BADGE_PX,
    SITING_HOME_FILLS,
    candidate_style,
    existing_site_style,
    hollow,
    service_area_style,
    siting_home_style,
)
from shequ.messages import MESSAGES

# Drawing order whatever order layers are switched on in: areas under homes, candidates over
# homes, open sites over candidates, the numbered proposed sites on top.
PANE_AREAS = ("shequ-service-areas", 380)
PANE_HOMES = ("shequ-homes", 410)
PANE_CANDIDATES = ("shequ-candidates", 420)
PANE_SITES = ("shequ-sites", 430)
PANE_PROPOSED = ("shequ-proposed", 440)

HOME_STATUSES = ("new", "covered", "unserved", "no_demand")
"""What the chosen sites do for a home; each status is one layer."""

HOME_LAYERS = {
    "new": "homes_new",
    "covered": "homes_covered",
    "unserved": "homes_unserved",
    "no_demand": "homes_no_demand",
}
"""Layer label key per home status."""

HOME_TIP = (
    ("n", "name"),
    ("hh", "households"),
    ("pop", "population"),
    ("d", "demand"),
    ("m", "walk_after"),
    ("s", "served_by"),
    ("r", "reason"),
    ("e", "estimated"),
)
SITE_TIP = (("n", "name"), ("i", "site_id"), ("o", "origin"), ("c", "capacity_used"))
EXCLUDED_TIP = (("n", "name"), ("i", "site_id"), ("o", "origin"), ("r", "reason"))
PROPOSED_TIP = (
    ("rk", "rank"),
    ("n", "name"),
    ("i", "site_id"),
    ("o", "origin"),
    ("mw", "marginal_weight"),
    ("c", "capacity_used"),
)
AREA_TIP = (("s", "site"), ("t", "area_of"), ("m", "minutes"))
"""Tooltip rows per layer: (GeoJSON property, label key in :mod:`shequ.maps.labels`)."""

SOLVED_STATUSES = ("optimal", "existing")
"""Curve statuses drawn as filled points; any other (time limit, heuristic …) is hollow."""

_CAPACITATED = "-capacitated"

_CSS = (
    """
.shequ-rank { box-sizing: border-box; border-radius: 50%; border: 2px solid #fff;
  background: $PROPOSED; color: #fff; text-align: center; font: bold 12px/18px $FONTS;
  box-shadow: 0 0 0 1px $PROPOSED, 0 1px 4px rgba(0,0,0,0.5); }
.shequ-legend i.badge { border-radius: 50%; background: $PROPOSED; color: #fff;
  font: bold 9px/14px $FONTS; text-align: center; font-style: normal; }
.shequ-legend i.sq { border: 2px solid; }
.shequ-legend .shequ-note { color: #555; }
.shequ-chart { bottom: 24px; right: 10px; padding: 6px 8px 2px; font-size: 12px; }
.shequ-chart h4 { margin: 0 0 2px; font-size: 13px; }
.shequ-chart svg { display: block; }
.shequ-chart svg text { font-size: 10px; fill: #444; font-family: $FONTS; }
.shequ-chart .shequ-curve-grid { stroke: #ddd; stroke-width: 1; }
.shequ-chart .shequ-curve-axis { stroke: #888; stroke-width: 1; }
.shequ-chart .shequ-curve-line { fill: none; stroke: $PROPOSED; stroke-width: 2; }
.shequ-chart .shequ-curve-plan { stroke: $EXISTING; stroke-width: 1.5; stroke-dasharray: 3 3; }
.shequ-chart .shequ-note { color: #555; font-size: 11px; }
.shequ-siting-headline { top: 56px; left: 50%; transform: translateX(-50%); max-width: 60%;
  padding: 4px 10px; font-size: 13px; }
.shequ-siting-headline h4 { display: inline; margin: 0 8px 0 0; font-size: 13px; }
.shequ-siting-headline div { display: inline; white-space: nowrap; }
.shequ-siting-headline div + div::before { content: " · "; color: #888; }
""".replace("$FONTS", FONT_STACK)
    .replace("$PROPOSED", PROPOSED_COLOR)
    .replace("$EXISTING", EXISTING_COLOR)
)


def build_siting_map(
    homes: gpd.GeoDataFrame,
    sites: gpd.GeoDataFrame,
    proposed: gpd.GeoDataFrame,
    service_areas: gpd.GeoDataFrame,
    curve: pd.DataFrame | None,
    kind: Mapping[str, Any],
    model: str,
    lang: str = "zh",
    *,
    title: str | None = None,
    completeness: Mapping[str, Any] | None = None,
    headline: Mapping[str, Any] | None = None,
) -> folium.Map:
    """Build the interactive map of a facility siting run (设施选址).

    Parameters
    ----------
    homes : GeoDataFrame
        Points with ``covered_before`` and ``covered_after`` (bool); optional ``home_id``,
        ``name``, ``households``, ``population``, ``demand`` (the weight used: a home with
        demand ≤ 0 goes to the "no demand" layer), ``served_by`` (site id, -1 none),
        ``walk_min_after`` and ``unserved_reason`` (a :class:`~shequ.i18n.Note` is shown in
        ``lang``, other text as it is).
    sites : GeoDataFrame
        Every existing and candidate site: ``site_id``, ``existing`` and ``chosen`` (bool);
        optional ``name``, ``excluded`` ("" when usable, else the reason; a note is shown in
        ``lang``), ``origin``
        (file | osm | street | existing), ``source``, ``capacity_used``, ``capacity``.
    proposed : GeoDataFrame
        The chosen new sites: optional ``site_id``, ``name``, ``rank`` (1-based; row order
        when absent), ``marginal_weight``, ``capacity_used``, ``capacity``, ``origin``.
    service_areas : GeoDataFrame
        Walk-area polygons of the open sites: ``existing`` (bool); optional ``site_id``,
        ``minutes``.
    curve : DataFrame or None
        The coverage curve: ``p`` and ``covered_share`` (0–1); optional ``covered_weight``
        and ``status`` (shown in ``lang``, see :func:`status_word`). Empty or None: no chart.
    kind : mapping
        The facility kind: ``id``, ``zh``, ``en``, ``threshold_min``.
    model : str
        The siting model (``mclp``, ``lscp``, ``p-median``, ``mclp-budget``, each optionally
        ``-capacitated``), named in the title.
    lang : {"zh", "en"}
        Language of every fixed text.
    title : str, optional
        Replaces the default title ("<kind> siting — <model>").
    completeness : mapping, optional
        The run's ``completeness`` entry of ``run.json``: its findings are listed in a "data
        completeness" box. Homes with ``estimated_from`` = ``"landuse"`` are drawn hollow.
    headline : mapping, optional
        The run's headline figures, as ``site_summary.csv`` columns (``demand_served``,
        ``demand_total``, ``demand_served_share``, ``homes_fully_served``,
        ``homes_with_demand``, ``homes_partly_served``, ``places_filled``, ``places_total``,
        ``places_filled_share``): shown in a box under the title (see :func:`headline_box`).

    Returns
    -------
    folium.Map
        Write it with :func:`shequ.maps.write_map`. Any frame may be empty or None; frames
        in a projected CRS are drawn in WGS-84.
    """
    check_lang(lang)
    if not isinstance(kind, Mapping) or not isinstance(kind.get("id"), str) or not kind["id"]:
        raise InputError(Note("e.siting_map_kind", kind=repr(kind)))

    homes_4326 = to_wgs84(homes, "homes")
    sites_4326 = to_wgs84(sites, "sites")
    proposed_4326 = to_wgs84(proposed, "proposed")
    areas_4326 = to_wgs84(service_areas, "service_areas")

    kind_text = esc(kind_label(kind, lang)) or ""
    title_text = esc(title) or _default_title(kind, model, lang)
    m = new_map(title_text, lang)
    m.get_root().header.add_child(RawHtml(f"<style>{_CSS}</style>"), name="shequ_siting_style")
    add_panes(m, (PANE_AREAS, PANE_HOMES, PANE_CANDIDATES, PANE_SITES, PANE_PROPOSED))

    names = site_names(sites_4326, proposed_4326)
    counts: dict[str, int] = {}
    for existing in (True, False):
        data, styles = service_area_features(areas_4326, names, lang, existing=existing)
        key = "areas_existing" if existing else "areas_proposed"
        _add_layer(m, data, key, lang, styles, AREA_TIP, pane=PANE_AREAS[0], points=False)

    for status, (data, styles) in home_features(homes_4326, names, lang).items():
        key = HOME_LAYERS[status]
        counts[key] = len(data["features"])
        if status == "no_demand" and not counts[key]:
            continue  # the layer only matters for kinds with a demand column
        _add_layer(
            m, data, key, lang, styles, HOME_TIP, pane=PANE_HOMES[0], show=status != "no_demand"
        )

    site_layers = site_features(sites_4326, proposed_4326, lang)
    for key, tip, pane, show in (
        ("other_candidates", SITE_TIP, PANE_CANDIDATES[0], False),
        ("excluded_candidates", EXCLUDED_TIP, PANE_CANDIDATES[0], True),
        ("existing_sites", SITE_TIP, PANE_SITES[0], True),
    ):
        data, styles = site_layers[key]
        counts[key] = len(data["features"])
        _add_layer(m, data, key, lang, styles, tip, pane=pane, show=show)

    data, ranks = proposed_features(proposed_4326, sites_4326, lang)
    counts["proposed_sites"] = len(ranks)
    folium.GeoJson(
        data,
        name=esc(label("proposed_sites", lang)),
        marker=folium.Marker(
            icon=folium.DivIcon(
                icon_size=(RANK_BADGE_PX, RANK_BADGE_PX),
                icon_anchor=(RANK_BADGE_PX // 2, RANK_BADGE_PX // 2),
                class_name="shequ-rank",
            ),
            pane=PANE_PROPOSED[0],
        ),
        style_function=style_by_id([{"html": str(rank)} for rank in ranks]),
        on_each_feature=label_tooltip(PROPOSED_TIP, lang),
    ).add_to(m)

    folium.LayerControl(collapsed=False).add_to(m)
    title_box(title_text).add_to(m)
    estimated = homes_4326 is not None and any(
        is_estimated(v) for v in column(homes_4326, "estimated_from")
    )
    siting_legend(kind, kind_text, counts, lang, estimated=estimated).add_to(m)
    summary_box = headline_box(headline, lang)
    if summary_box is not None:
        summary_box.add_to(m)
    box = completeness_box(completeness, lang, {kind["id"]: kind_text})
    if box is not None:
        box.add_to(m)
    chart = curve_svg(curve, lang, plan_p=counts["proposed_sites"])
    if chart is not None:
        HtmlBox(chart, "shequ-chart").add_to(m)
    fit_to_data(m, [homes_4326, sites_4326, proposed_4326, areas_4326])
    return m


# --- titles and names -------------------------------------------------------------------------


def model_label(model: str, lang: str) -> str:
    """The model's display name (raw text; escape it), e.g. "maximal covering (MCLP)"."""
    text = str(model).strip()
    base = text.removesuffix(_CAPACITATED)
    try:
        name = label(f"model_{base}", lang)
    except KeyError:
        return text
    if base != text:
        name = f"{name}, {label('capacitated', lang)}"
    return name


def _default_title(kind: Mapping[str, Any], model: str, lang: str) -> str:
    text = label("siting_title", lang).format(kind=kind_label(kind, lang))
    model_text = model_label(model, lang) if not is_missing(model) else ""
    if model_text:
        text = f"{text} — {model_text}"
    return esc(text) or ""


def _origin_text(origin: Any, source: Any, lang: str) -> str | None:
    """Where a site comes from, e.g. "OpenStreetMap (shanghai.osm.pbf)", escaped."""
    raw = None if is_missing(origin) else str(origin).strip()
    try:
        text = esc(label(f"origin_{raw}", lang)) if raw else None
    except KeyError:
        text = esc(raw)
    source_text = esc(source)
    if raw == "street" or source_text is None:
        return text
    return f"{text} ({source_text})" if text else source_text


def _site_name(name: Any, lang: str) -> str:
    """A site's name for its tooltip (escaped): a missing one is "no name" / "未命名"."""
    return esc(name) or esc(t("sitemap.no_name", lang)) or ""


def _name_or_id(name: Any, ident: Any) -> str | None:
    text = esc(name)
    if text is None:
        number = fmt_number(ident)
        text = esc(f"#{number if number is not None else ident}") if not is_missing(ident) else None
    return text


def _id_text(ident: Any) -> str | None:
    number = fmt_number(ident)
    return number if number is not None else esc(ident)


def site_names(*frames: gpd.GeoDataFrame | None) -> dict[Any, str]:
    """Escaped display name (or "#id") per site id, for "served by" and service areas."""
    names: dict[Any, str] = {}
    for frame in frames:
        if frame is None or "site_id" not in frame.columns:
            continue
        for ident, name in zip(frame["site_id"].tolist(), column(frame, "name"), strict=True):
            key = _site_key(ident)
            text = _name_or_id(name, ident)
            if key is not None and text is not None and (key not in names or esc(name)):
                names[key] = text
    return names


def _site_key(ident: Any) -> Any:
    """Site ids compare as integers when they are whole numbers (1 == 1.0 == np.int64(1))."""
    if is_missing(ident):
        return None
    number = as_float(ident)
    if number is not None and number == round(number):
        return int(number)
    return str(ident)


def _served_by(ident: Any, names: Mapping[Any, str]) -> str | None:
    key = _site_key(ident)
    if key is None or key == -1:
        return None
    return names.get(key) or _name_or_id(None, ident)


def _capacity_text(used: Any, capacity: Any) -> str | None:
    used_text, cap_text = fmt_number(used), fmt_number(capacity)
    if used_text is None:
        return None
    return used_text if cap_text is None else f"{used_text} / {cap_text}"


def whole_text(value: Any) -> str | None:
    """A count of people or households for display: a whole number ("256.7" → "257").

    Estimates (households from floor area, residents per household) are fractional in the
    files, where they add up exactly; a label reads in whole households.
    """
    number = as_float(value)
    return None if number is None else f"{number:,.0f}"


def share_text(value: Any) -> str | None:
    """A share 0–1 as a percentage with one decimal, as the terminal prints it."""
    number = as_float(value)
    return None if number is None else f"{number:.1%}"


# --- features per layer -----------------------------------------------------------------------


def home_status(covered_before: Any, covered_after: Any, demand: Any) -> str:
    """``no_demand`` (demand ≤ 0), else ``new``/``covered`` when covered after, else
    ``unserved`` — including a home an existing site covered before but a full site now
    cannot serve (capacitated models)."""
    weight = as_float(demand)
    if weight is not None and weight <= 0:
        return "no_demand"
    if is_true(covered_after):
        return "covered" if is_true(covered_before) else "new"
    return "unserved"


def home_features(
    homes: gpd.GeoDataFrame | None, names: Mapping[Any, str], lang: str = "en"
) -> dict[str, tuple[dict[str, Any], list[dict[str, Any]]]]:
    """Homes split by :func:`home_status`: per status, a collection and its feature styles.

    An unserved home's reason is shown in ``lang`` when it is a note, else as it is.
    """
    split: dict[str, list[dict[str, Any]]] = {status: [] for status in HOME_STATUSES}
    if homes is not None:
        require_columns(homes, ["covered_before", "covered_after"], "homes")
        rows = zip(
            homes.geometry,
            column(homes, "home_id"),
            column(homes, "name"),
            column(homes, "households"),
            column(homes, "population"),
            column(homes, "demand"),
            homes["covered_before"].tolist(),
            homes["covered_after"].tolist(),
            column(homes, "served_by"),
            column(homes, "walk_min_after"),
            column(homes, "unserved_reason"),
            column(homes, "estimated_from"),
            strict=True,
        )
        estimated_text = esc(label("estimated_homes", lang))
        for row in rows:
            geom, home_id, name, hh, pop, demand, before, after, served, walk, reason, origin = row
            geometry = geometry_json(geom)
            if geometry is None:
                continue
            status = home_status(before, after, demand)
            props = {
                "n": _name_or_id(name, home_id),
                "hh": whole_text(hh),  # whole households on the map; exact in the files
                "pop": whole_text(pop),
                "d": fmt_number(demand),
                "m": fmt_number(walk),
                "s": _served_by(served, names),
                "r": None if status in ("new", "covered") else esc(render_note(reason, lang)),
                "e": estimated_text if is_estimated(origin) else None,
            }
            split[status].append(feature(geometry, props))
    return {
        status: (collection(features), [_home_style(status, item) for item in features])
        for status, features in split.items()
    }


def _home_style(status: str, item: Mapping[str, Any]) -> dict[str, Any]:
    """A home's marker: hollow when it was estimated over residential land (property ``e``)."""
    style = siting_home_style(status)
    return hollow(style) if "e" in item["properties"] else style


def site_features(
    sites: gpd.GeoDataFrame | None, proposed: gpd.GeoDataFrame | None, lang: str
) -> dict[str, tuple[dict[str, Any], list[dict[str, Any]]]]:
    """Existing sites, excluded candidates and other unchosen candidates (collection, styles).

    A site is existing if ``existing`` says so; a candidate that is ``chosen`` or listed in
    ``proposed`` is drawn only on the proposed layer; an unchosen one with a non-blank
    ``excluded`` reason is excluded (a reason that is a note is shown in ``lang``).
    """
    layers: dict[str, list[dict[str, Any]]] = {
        "existing_sites": [],
        "excluded_candidates": [],
        "other_candidates": [],
    }
    if sites is not None:
        require_columns(sites, ["site_id", "existing", "chosen"], "sites")
        chosen_ids = set()
        if proposed is not None and "site_id" in proposed.columns:
            chosen_ids = {_site_key(ident) for ident in proposed["site_id"].tolist()}
        rows = zip(
            sites.geometry,
            sites["site_id"].tolist(),
            column(sites, "name"),
            sites["existing"].tolist(),
            sites["chosen"].tolist(),
            column(sites, "excluded"),
            column(sites, "origin"),
            column(sites, "source"),
            column(sites, "capacity_used"),
            column(sites, "capacity"),
            strict=True,
        )
        for geom, ident, name, existing, chosen, excluded, origin, source, used, cap in rows:
            geometry = geometry_json(geom)
            if geometry is None:
                continue
            props = {
                "n": _site_name(name, lang),
                "i": _id_text(ident),
                "o": _origin_text(origin, source, lang),
            }
            if is_true(existing):
                props["c"] = _capacity_text(used, cap)
                layers["existing_sites"].append(feature(geometry, props))
            elif is_true(chosen) or _site_key(ident) in chosen_ids:
                continue
            elif esc(excluded) is not None:
                props["r"] = esc(render_note(excluded, lang))
                layers["excluded_candidates"].append(feature(geometry, props))
            else:
                layers["other_candidates"].append(feature(geometry, props))
    styles = {
        "existing_sites": existing_site_style(),
        "excluded_candidates": candidate_style(excluded=True),
        "other_candidates": candidate_style(excluded=False),
    }
    return {
        key: (collection(features), [styles[key]] * len(features))
        for key, features in layers.items()
    }


def proposed_features(
    proposed: gpd.GeoDataFrame | None, sites: gpd.GeoDataFrame | None, lang: str
) -> tuple[dict[str, Any], list[int]]:
    """The proposed sites, last rank first so rank 1 is drawn on top; returns the collection
    and each feature's rank (the number on its badge). ``origin`` and ``source`` come from
    ``sites`` when ``proposed`` lacks them."""
    if proposed is None:
        return collection([]), []
    origins: dict[Any, tuple[Any, Any]] = {}
    if sites is not None and "site_id" in sites.columns:
        for ident, origin, source in zip(
            sites["site_id"].tolist(), column(sites, "origin"), column(sites, "source"), strict=True
        ):
            origins[_site_key(ident)] = (origin, source)
    records = []
    rows = zip(
        proposed.geometry,
        column(proposed, "site_id"),
        column(proposed, "name"),
        column(proposed, "rank"),
        column(proposed, "marginal_weight"),
        column(proposed, "capacity_used"),
        column(proposed, "capacity"),
        column(proposed, "origin"),
        column(proposed, "source"),
        strict=True,
    )
    for position, row in enumerate(rows, start=1):
        geom, ident, name, rank, marginal, used, cap, origin, source = row
        geometry = geometry_json(geom)
        if geometry is None:
            continue
        rank_value = as_float(rank)
        badge = round(rank_value) if rank_value is not None else position
        fallback_origin, fallback_source = origins.get(_site_key(ident), (None, None))
        props = {
            "rk": str(badge),
            "n": _site_name(name, lang),
            "i": _id_text(ident),
            "o": _origin_text(
                fallback_origin if is_missing(origin) else origin,
                fallback_source if is_missing(source) else source,
                lang,
            ),
            "mw": fmt_number(marginal),
            "c": _capacity_text(used, cap),
        }
        records.append((badge, feature(geometry, props)))
    records.sort(key=lambda record: record[0], reverse=True)
    return collection([item for _, item in records]), [badge for badge, _ in records]


def service_area_features(
    areas: gpd.GeoDataFrame | None, names: Mapping[Any, str], lang: str, *, existing: bool
) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """Service areas of existing (or proposed) sites, largest first so small ones lie on top."""
    if areas is None:
        return collection([]), []
    require_columns(areas, ["existing"], "service_areas")
    mask = np.array([is_true(value) == existing for value in areas["existing"].tolist()])
    chosen = areas[mask]
    sizes = shapely.area(np.asarray(chosen.geometry.array, dtype=object))
    order = np.argsort(-np.nan_to_num(sizes, nan=0.0), kind="stable")
    role_text = esc(label("site_existing" if existing else "site_proposed", lang))
    geoms = chosen.geometry.tolist()
    idents = column(chosen, "site_id")
    minutes = column(chosen, "minutes")
    features = []
    for index in order:
        geometry = geometry_json(geoms[index])
        if geometry is None:
            continue
        props = {
            "s": _served_by(idents[index], names),
            "t": role_text,
            "m": fmt_number(minutes[index]),
        }
        features.append(feature(geometry, props))
    return collection(features), [service_area_style(existing=existing)] * len(features)


def _add_layer(
    m: folium.Map,
    data: dict[str, Any],
    key: str,
    lang: str,
    styles: list[dict[str, Any]],
    tip: tuple[tuple[str, str], ...],
    *,
    pane: str,
    show: bool = True,
    points: bool = True,
) -> None:
    """One GeoJSON layer. folium's CircleMarker drops a ``pane`` option, but styles are merged
    into the marker options before it is created, so points carry the pane in their style."""
    if points:
        styles = [style | {"pane": pane} for style in styles]
        extra: dict[str, Any] = {"marker": folium.CircleMarker()}
    else:
        extra = {"pane": pane}
    folium.GeoJson(
        data,
        name=esc(label(key, lang)),
        show=show,
        style_function=style_by_id(styles),
        on_each_feature=label_tooltip(tip, lang),
        **extra,
    ).add_to(m)


# --- headline, legend and curve chart -------------------------------------------------------


def _symbol(css_class: str, style: str = "", text: str = "") -> str:
    return f'<i class="{css_class}" style="{style}">{text}</i>'


def siting_legend(
    kind: Mapping[str, Any],
    kind_text: str,
    counts: Mapping[str, int],
    lang: str,
    *,
    estimated: bool = False,
) -> HtmlBox:
    """Legend: each layer's symbol and count, then the kind's walking standard."""

    def line(symbol: str, key: str) -> str:
        count = counts.get(key)
        suffix = f" ({count})" if count is not None else ""
        return f"<div>{symbol}{esc(label(key, lang))}{suffix}</div>"

    lines = [
        f"<h4>{esc(label('legend', lang))}</h4>",
        line(_symbol("fac", f"background:{EXISTING_COLOR}"), "existing_sites"),
        line(_symbol("badge", text="1"), "proposed_sites"),
        line(
            _symbol("dot", f"background:#fff;border:2px solid {EXCLUDED_COLOR}"),
            "excluded_candidates",
        ),
        line(_symbol("dot", f"background:{CANDIDATE_COLOR};border-color:#fff"), "other_candidates"),
        line(
            _symbol("sq", f"border-color:{EXISTING_COLOR};background:rgba(33,102,172,0.10)"),
            "areas_existing",
        ),
        line(
            _symbol(
                "sq",
                f"border:2px dashed {PROPOSED_COLOR};background:rgba(123,50,148,0.14)",
            ),
            "areas_proposed",
        ),
    ]
    for status in HOME_STATUSES:
        key = HOME_LAYERS[status]
        if status == "no_demand" and not counts.get(key):
            continue
        lines.append(line(_symbol("dot", f"background:{SITING_HOME_FILLS[status]}"), key))
    if estimated:
        lines.append(estimated_legend_line(lang))
    threshold = fmt_number(kind.get("threshold_min"))
    if threshold is not None:
        lines.append(f'<h4 class="shequ-gap">{esc(label("standard", lang))}</h4>')
        unit = esc(label("min_unit", lang))
        lines.append(f"<div>{kind_text} ≤ {threshold} {unit}</div>")
    return HtmlBox("\n".join(lines), "shequ-legend")


def headline_box(headline: Mapping[str, Any] | None, lang: str) -> HtmlBox | None:
    """The run's headline under the title: demand served (partial service counted), homes
    fully (and partly) served and, under capacities, places filled; None without figures.

    Numbers are rounded for display the way the terminal rounds them (whole units, shares to
    0.1 %); ``site_summary.csv`` keeps them exact.
    """
    if not headline:
        return None
    lines = []
    served, total = (
        whole_text(headline.get("demand_served")),
        whole_text(headline.get("demand_total")),
    )
    served_share = share_text(headline.get("demand_served_share"))
    if served is not None and total is not None:
        text = t(
            "sitemap.demand_served", lang, served=served, total=total, share=served_share or "–"
        )
        lines.append(text)
    full, homes = (
        whole_text(headline.get("homes_fully_served")),
        whole_text(headline.get("homes_with_demand")),
    )
    if full is not None and homes is not None:
        lines.append(t("sitemap.homes_served", lang, full=full, homes=homes))
    partly = as_float(headline.get("homes_partly_served"))
    if partly:
        lines.append(t("sitemap.homes_partly", lang, partly=whole_text(partly)))
    filled, places = (
        whole_text(headline.get("places_filled")),
        whole_text(headline.get("places_total")),
    )
    if filled is not None and places is not None:
        share = share_text(headline.get("places_filled_share")) or "–"
        lines.append(t("sitemap.places_filled", lang, filled=filled, places=places, share=share))
    if not lines:
        return None
    body = "".join(f"<div>{esc(line)}</div>" for line in lines)
    return HtmlBox(f"<h4>{esc(t('sitemap.headline', lang))}</h4>{body}", "shequ-siting-headline")


_CHART_W, _CHART_H = 250, 140
_PAD_LEFT, _PAD_RIGHT, _PAD_TOP, _PAD_BOTTOM = 36, 10, 8, 30
_MAX_X_TICKS = 8


def _curve_points(curve: pd.DataFrame | None) -> list[tuple[int, float, Any, Any]]:
    """(p, share 0–1, covered weight, status) per usable curve row, by p; bad rows skipped."""
    if curve is None or len(curve) == 0:
        return []
    missing = [name for name in ("p", "covered_share") if name not in curve.columns]
    if missing:
        raise InputError(Note("e.siting_map_curve", columns=", ".join(missing)))
    points: dict[int, tuple[int, float, Any, Any]] = {}
    rows = zip(
        curve["p"].tolist(),
        curve["covered_share"].tolist(),
        column(curve, "covered_weight"),
        column(curve, "status"),
        strict=True,
    )
    for p, share, weight, status in rows:
        p_value, share_value = as_float(p), as_float(share)
        if p_value is None or share_value is None or p_value < 0 or p_value != round(p_value):
            continue
        points[round(p_value)] = (round(p_value), min(max(share_value, 0.0), 1.0), weight, status)
    return [points[p] for p in sorted(points)]


def status_word(status: Any, lang: str) -> Any:
    """A solver status in ``lang``: a note renders, a bare id (``optimal``, ``time_limit`` …,
    as ``site_curve.csv`` holds them) is looked up as ``status.<id>``; anything else is
    returned as it is (raw: escape it)."""
    if isinstance(status, Note):
        return status.render(lang)
    if isinstance(status, str) and f"status.{status.strip()}" in MESSAGES:
        return t(f"status.{status.strip()}", lang)
    return status


def curve_svg(curve: pd.DataFrame | None, lang: str, *, plan_p: int | None = None) -> str | None:
    """The coverage curve as a small inline SVG chart (HTML for :class:`HtmlBox`), or None
    when there is nothing to draw.

    x: number of new sites p; y: share of demand covered, 0–100 %. Each point is a
    ``circle.shequ-curve-pt`` with a ``<title>`` (hover text); points whose status is not in
    :data:`SOLVED_STATUSES` are hollow. A dashed vertical line marks ``plan_p``, the number
    of sites this plan proposes, when it lies within the curve.
    """
    points = _curve_points(curve)
    if not points:
        return None
    p_min, p_max = points[0][0], points[-1][0]
    width = _CHART_W - _PAD_LEFT - _PAD_RIGHT
    height = _CHART_H - _PAD_TOP - _PAD_BOTTOM

    def x_of(p: float) -> float:
        if p_max == p_min:
            return _PAD_LEFT + width / 2
        return _PAD_LEFT + (p - p_min) / (p_max - p_min) * width

    def y_of(share: float) -> float:
        return _PAD_TOP + (1.0 - share) * height

    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{_CHART_W}" height="{_CHART_H}" '
        f'viewBox="0 0 {_CHART_W} {_CHART_H}" role="img" '
        f'aria-label="{esc(label("curve_title", lang))}">'
    ]
    for share in (0.0, 0.25, 0.5, 0.75, 1.0):
        y = y_of(share)
        parts.append(
            f'<line class="shequ-curve-grid" x1="{_PAD_LEFT}" y1="{y:.1f}" '
            f'x2="{_PAD_LEFT + width}" y2="{y:.1f}"/>'
            f'<text x="{_PAD_LEFT - 4}" y="{y + 3:.1f}" text-anchor="end">{share:.0%}</text>'
        )
    axis_y = _PAD_TOP + height
    parts.append(
        f'<line class="shequ-curve-axis" x1="{_PAD_LEFT}" y1="{axis_y}" '
        f'x2="{_PAD_LEFT + width}" y2="{axis_y}"/>'
    )
    step = max(1, math.ceil((p_max - p_min) / _MAX_X_TICKS))
    for p in range(p_min, p_max + 1, step):
        parts.append(f'<text x="{x_of(p):.1f}" y="{axis_y + 12}" text-anchor="middle">{p}</text>')
    parts.append(
        f'<text x="{_PAD_LEFT + width / 2:.1f}" y="{_CHART_H - 3}" text-anchor="middle">'
        f"{esc(label('curve_x', lang))} (p)</text>"
    )
    plan_text = esc(label("curve_plan", lang).format(p=plan_p))
    show_plan = plan_p is not None and plan_p > 0 and p_min <= plan_p <= p_max
    if show_plan:
        x = x_of(plan_p)
        parts.append(
            f'<line class="shequ-curve-plan" x1="{x:.1f}" y1="{_PAD_TOP}" x2="{x:.1f}" '
            f'y2="{axis_y}"><title>{plan_text}</title></line>'
        )
    coords = " ".join(f"{x_of(p):.1f},{y_of(share):.1f}" for p, share, _, _ in points)
    parts.append(f'<polyline class="shequ-curve-line" points="{coords}"/>')
    any_hollow = False
    weight_label = esc(label("covered_weight", lang))
    status_label = esc(label("status", lang))
    for p, share, weight, status in points:
        status_text = esc(status_word(status, lang))
        solved = status_text is None or str(status).strip() in SOLVED_STATUSES
        any_hollow |= not solved
        hover = f"p = {p}: {share:.1%}"
        if fmt_number(weight) is not None:
            hover += f"; {weight_label} {fmt_number(weight)}"
        if status_text is not None:
            hover += f"; {status_label}: {status_text}"
        fill = PROPOSED_COLOR if solved else "#ffffff"
        parts.append(
            f'<circle class="shequ-curve-pt" data-p="{p}" cx="{x_of(p):.1f}" '
            f'cy="{y_of(share):.1f}" r="3.5" fill="{fill}" stroke="{PROPOSED_COLOR}" '
            f'stroke-width="1.5"><title>{hover}</title></circle>'
        )
    parts.append("</svg>")
    heading = esc(label("curve_title", lang))
    notes = []
    if show_plan:
        notes.append(f"┆ {plan_text}")
    if any_hollow:
        notes.append(esc(label("curve_hollow", lang)) or "")
    note = f'<div class="shequ-note">{"; ".join(notes)}</div>' if notes else ""
    return f"<h4>{heading}</h4>{''.join(parts)}{note}"


__all__ = ["build_siting_map", "curve_svg", "headline_box", "model_label"]
