"""``report.html``: one self-contained page of an area's runs, for the screen and for A4 paper.

The page needs nothing but itself: styles are inline, maps are inline SVG
(:mod:`shequ.maps.report_svg`), there is no script and no request to any host; the one link
out is the OpenStreetMap copyright page the licence asks for. Each section starts a new
printed page and repeats the report's title, so a page printed alone still says what it is.

The HTML is built from f-strings of escaped values, never by a template engine: every text
from data (names, codes, file paths, kinds from the profile) goes through
:func:`shequ.maps.escape.esc`, and catalogue texts through :func:`_say`, which escapes both the
text and its parameters. A ``{{7*7}}`` in a grid name therefore shows as written.

The page reads a :class:`shequ.jobs.report.ReportResult` (its ``access``, ``site``, ``grids``,
``hotspots``, ``units``, ``provenance`` and ``profiles``); it is passed in, not imported, so
``maps/`` does not depend on ``jobs/``.
"""

from __future__ import annotations

import html
import math
from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd
import shapely

from shequ.analyses.risk_index import LevelRule
from shequ.i18n import render_note
from shequ.maps import report_svg as rs
from shequ.maps.escape import as_float, esc
from shequ.maps.page import PAGE_LANG
from shequ.maps.style import (
    DEVIATION_CLASSES,
    DEVIATION_COLORS,
    FACILITY_COLOR,
    LEVEL_COLORS,
    MINUTE_BINS,
    NO_DATA_COLOR,
    NO_DEMAND_COLOR,
    PROPOSED_COLOR,
    RISK_LEVELS,
    UNREACHABLE_COLOR,
    deviation_class,
)
from shequ.messages import MESSAGES

OSM_COPYRIGHT = "https://www.openstreetmap.org/copyright"
"""The only address the page links to (the ODbL asks for the attribution)."""

COVERED_COLOR = MINUTE_BINS[0].color
CONTEXT_COLOR = "#cfcfcf"
UNIT_COLOR = "#2b8cbe"


class Html(str):
    """Markup built here (a link, a table): passed to :func:`_say` without being escaped."""


def _say(key: str, lang: str, /, **params: Any) -> Html:
    """A catalogue text in ``lang``, escaped, with its parameters escaped (unless Html)."""
    en, zh = _catalogue(key)
    template = html.escape(zh if lang == "zh" else en, quote=False)
    safe = {k: v if isinstance(v, Html) else (esc(v) or "") for k, v in params.items()}
    return Html(template.format(**safe))


def _catalogue(key: str) -> tuple[str, str]:
    return MESSAGES[key]


def _text(value: Any, lang: str) -> str:
    """Escaped text of a data value; "unknown" when missing."""
    return esc(value) or _say("rp.unknown", lang)


def _int(value: Any) -> str:
    number = as_float(value)
    return "—" if number is None else f"{round(number):,}"


def _dec(value: Any, digits: int = 2) -> str:
    number = as_float(value)
    return "—" if number is None else f"{number:.{digits}f}"


def _pct(share: Any) -> str:
    number = as_float(share)
    return "—" if number is None else f"{100.0 * number:.1f}"


def _minutes(tier: float) -> str:
    return f"{tier:g}" if abs(tier - round(tier)) < 1e-9 else f"{tier:.1f}"


def _table(headers: Sequence[str], rows: Sequence[Sequence[str]], cls: str = "") -> str:
    """An HTML table of cells already escaped (or built here)."""
    head = "".join(f"<th>{h}</th>" for h in headers)
    body = "".join("<tr>" + "".join(f"<td>{c}</td>" for c in row) + "</tr>" for row in rows)
    klass = f' class="{cls}"' if cls else ""
    return f"<table{klass}><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


def _pairs(rows: Sequence[tuple[str, str]]) -> str:
    """A two-column table of figures: what, value."""
    body = "".join(f"<tr><th>{k}</th><td>{v}</td></tr>" for k, v in rows)
    return f'<table class="pairs"><tbody>{body}</tbody></table>'


def _section(anchor: str, title: str, body: str, lang: str) -> str:
    """A section that starts a printed page and names the report at its top."""
    return (
        f'<section class="page" id="{anchor}"><p class="running">{_say("rp.title", lang)}</p>'
        f"<h2>{title}</h2>{body}"
        f'<p class="back"><a href="#index">{_say("rp.back", lang)}</a></p></section>'
    )


def _kind_label(summary: pd.DataFrame, kind: str, lang: str) -> str:
    rows = summary[summary["kind"] == kind]
    column = "kind_zh" if lang == "zh" else "kind_en"
    name = rows[column].iloc[0] if len(rows) and column in rows else kind
    return esc(name) or esc(kind) or ""


# --- colours ---------------------------------------------------------------------------------


def minute_colors(minutes: np.ndarray) -> list[str]:
    """Fill of each home by its walk minutes (the maps' bins; grey for no walk route)."""
    minutes = np.asarray(minutes, dtype=float)
    uppers = np.array([b.upper for b in MINUTE_BINS])
    index = np.searchsorted(uppers, np.nan_to_num(minutes, nan=-1.0), side="left")
    bad = ~np.isfinite(minutes) | (minutes < 0)
    colors = np.array([b.color for b in MINUTE_BINS], dtype=object)[np.minimum(index, 3)]
    colors[bad] = UNREACHABLE_COLOR
    return list(colors)


def _minute_legend(lang: str) -> str:
    items = [(b.color, _say("rp.minutes_bin", lang, label=b.label)) for b in MINUTE_BINS]
    items.append((UNREACHABLE_COLOR, _say("rp.unreachable", lang)))
    return rs.legend(items)


def _deviation_colors(grids: pd.DataFrame, tolerance: float) -> list[str]:
    colors = []
    for dev, within in zip(grids["deviation"], grids["within_tolerance"], strict=True):
        within = None if pd.isna(within) else bool(within)
        index = deviation_class(as_float(dev), within, tolerance)
        colors.append(NO_DATA_COLOR if index < 0 else DEVIATION_COLORS[index])
    return colors


def _level_colors(levels: Sequence[Any]) -> list[str]:
    return [LEVEL_COLORS.get(str(level), NO_DATA_COLOR) for level in levels]


def _level_legend(lang: str) -> str:
    return rs.legend([(LEVEL_COLORS[lv], _say(f"rp.level_{lv}", lang)) for lv in RISK_LEVELS])


# --- the area's sections -----------------------------------------------------------------


CONTEXT_ID = "report-streets"
"""``id`` of the streets drawn once (:func:`_context_defs`) and reused by every area map."""


def _context_defs(result: Any, frame: rs.Frame | None) -> str:
    """The area's light lines, drawn once in a hidden ``<svg>`` for the maps to reuse."""
    if frame is None or result.context is None:
        return ""
    path = rs.lines(
        frame, result.context.to_numpy(), stroke=CONTEXT_COLOR, width=1.0, ident=CONTEXT_ID
    )
    hidden = 'width="0" height="0" aria-hidden="true" style="position:absolute"'
    return f"<svg {hidden}><defs>{path}</defs></svg>" if path else ""


def _context(result: Any, frame: rs.Frame) -> str:
    """The streets under an area map: a reference to the one drawing of them."""
    return "" if result.context is None else f'<use href="#{CONTEXT_ID}"/>'


def _lonlat(frame_: pd.DataFrame) -> tuple[np.ndarray, np.ndarray]:
    xy = shapely.get_coordinates(frame_.geometry.to_numpy())
    return xy[:, 0], xy[:, 1]


def _access_section(result: Any, frame: rs.Frame | None, lang: str) -> str:
    part = result.access
    summary = part.summary
    tiers = sorted({float(v) for v in summary["tier_min"]})
    headers = [_say("rp.kind", lang), *(_say("rp.tier", lang, minutes=_minutes(x)) for x in tiers)]
    headers.append(_say("rp.status", lang))
    rows = []
    for kind, group in summary.groupby("kind", sort=False):
        status = str(group["data_status"].iloc[0])
        by_tier = {float(r.tier_min): r for r in group.itertuples(index=False)}
        cells = [_kind_label(summary, str(kind), lang)]
        for tier in tiers:
            row = by_tier.get(tier)
            cells.append(_coverage_cell(row, lang) if row is not None else "")
        cells.append(_say(f"rp.status_{status}", lang) if status in _STATUSES else esc(status))
        rows.append(cells)
    body = (
        _table(headers, rows, "figures") + f'<p class="note">{_say("rp.coverage_note", lang)}</p>'
    )
    if frame is not None:
        body += _access_map(result, frame, lang)
    return _section("access", _say("rp.access", lang), body, lang)


_STATUSES = ("ok", "no_facilities", "no_homes")


def _coverage_cell(row: Any, lang: str) -> str:
    """A tier's share, "no data" where nothing is measured (never 0 %); threshold in bold."""
    status = str(row.data_status)
    if status == "no_facilities":
        return f'<span class="nodata">{_say("rp.no_data", lang)}</span>'
    if status == "no_homes" or as_float(row.households_share) is None:
        return f'<span class="nodata">{_say("rp.no_homes", lang)}</span>'
    text = _say("rp.share_cell", lang, share=_pct(row.households_share))
    return f"<strong>{text}</strong>" if bool(row.is_threshold) else text


def _access_map(result: Any, frame: rs.Frame, lang: str) -> str:
    part = result.access
    lon, lat = _lonlat(part.homes)
    kind = part.worst_kind
    if kind is None:
        fills = [NO_DEMAND_COLOR] * len(lon)
        caption, legend = _say("rp.map_access_none", lang), ""
    else:
        label = Html(_kind_label(part.summary, kind, lang))
        fills = minute_colors(part.homes[f"walk_min_{kind}"].to_numpy(dtype=float))
        caption = _say("rp.map_access", lang, kind=label)
        legend = _minute_legend(lang)
        facilities = part.facilities[part.facilities["kind"] == kind]
        legend += rs.legend([(FACILITY_COLOR, _say("rp.facilities_of", lang, kind=label))])
    body = [_context(result, frame), rs.circles(frame, lon, lat, fills, radius=3.2)]
    if kind is not None and len(facilities):
        flon, flat = _lonlat(facilities)
        titles = [esc(name) for name in facilities["name"]]
        body.append(
            rs.circles(frame, flon, flat, [FACILITY_COLOR] * len(flon), radius=7, titles=titles)
        )
    return _figure(rs.svg(frame, body, caption), caption, legend)


def _figure(svg: str, caption: str, legend: str) -> str:
    return f"<figure>{svg}<figcaption>{caption}{legend}</figcaption></figure>"


def _site_section(result: Any, frame: rs.Frame | None, lang: str) -> str:
    part = result.site
    row = part.summary
    kind = esc(row.get("kind")) or ""
    if result.access is not None and row.get("kind") is not None:
        kind = _kind_label(result.access.summary, str(row.get("kind")), lang) or kind
    before, after = _pct(row.get("covered_share_before")), _pct(row.get("covered_share_after"))
    gap = _pct(row.get("gap"))
    figures = [
        (_say("rp.site_kind", lang), kind),
        (_say("rp.site_model", lang), _text(row.get("model"), lang)),
        (_say("rp.site_new", lang), _int(len(part.sites))),
        (
            _say("rp.site_covered", lang),
            _say("rp.site_before_after", lang, before=before, after=after),
        ),
        (
            _say("rp.site_status", lang),
            _say("rp.site_gap", lang, status=_solver_status(row.get("status"), lang), gap=gap),
        ),
    ]
    if as_float(row.get("places_total")):  # capacitated: what the model filled, as the run says
        filled = _say(
            "rp.site_places",
            lang,
            filled=_int(row.get("places_filled")),
            total=_int(row.get("places_total")),
            share=_pct(row.get("places_filled_share")),
            full=_int(row.get("homes_fully_served")),
            partly=_int(row.get("homes_partly_served")),
        )
        figures.append((_say("rp.site_places_heading", lang), filled))
    unnamed = _say("rp.site_unnamed", lang)
    sites = [
        [_int(s.get("rank")), esc(s.get("name")) or unnamed, _int(s.get("marginal_weight"))]
        for s in part.sites.to_dict("records")
    ]
    headers = [_say(k, lang) for k in ("rp.site_rank", "rp.site_name", "rp.site_weight")]
    body = _pairs(figures) + _table(headers, sites, "figures")
    if frame is not None:
        body += _site_map(result, frame, lang)
    return _section("site", _say("rp.site", lang), body, lang)


def _solver_status(status: Any, lang: str) -> str:
    """The solver's status word of ``site_summary.csv`` (English) in ``lang``."""
    key = f"status.{status}"
    return MESSAGES[key][1 if lang == "zh" else 0] if key in MESSAGES else str(status)


def _confidence(label: Any, lang: str) -> str:
    """A profile value's confidence label (``CONFIDENCE_LABELS``) in ``lang``; another as is."""
    key = f"rp.confidence_{label}"
    return _say(key, lang) if key in MESSAGES else (esc(label) or "—")


def _site_map(result: Any, frame: rs.Frame, lang: str) -> str:
    part = result.site
    lon, lat = _lonlat(part.homes)
    column = f"covered_after_{part.summary.get('kind')}"
    if column in part.homes:
        covered = part.homes[column].fillna(False).astype(bool).to_numpy()
        fills = [COVERED_COLOR if c else NO_DEMAND_COLOR for c in covered]
    else:
        fills = [NO_DEMAND_COLOR] * len(lon)
    slon, slat = _lonlat(part.sites)
    ranks = [_int(r) for r in part.sites["rank"]]
    titles = [esc(name) for name in part.sites.get("name", pd.Series([None] * len(ranks)))]
    body = [
        _context(result, frame),
        rs.circles(frame, lon, lat, fills, radius=3.0),
        rs.badges(frame, slon, slat, ranks, fill=PROPOSED_COLOR, titles=titles),
    ]
    caption = _say("rp.map_site", lang)
    legend = rs.legend(
        [
            (PROPOSED_COLOR, _say("rp.site_new", lang)),
            (COVERED_COLOR, _say("rp.site_covered", lang)),
            (NO_DEMAND_COLOR, _say("rp.homes", lang)),
        ]
    )
    return _figure(rs.svg(frame, body, caption), caption, legend)


def _grids_section(result: Any, frame: rs.Frame | None, lang: str) -> str:
    part = result.grids
    plan, grids = part.plan, part.grids
    count = len(grids)
    in_band = int(grids["within_tolerance"].fillna(False).astype(bool).sum())
    pp = grids["polsby_popper"].astype(float)
    target = _say(
        "rp.grids_target_cell",
        lang,
        target=_int(plan.get("target")),
        tolerance=_pct(plan.get("tolerance")),
    )
    figures = [
        (_say("rp.grids_count", lang), _int(count)),
        (_say("rp.households", lang), _int(grids["households"].sum())),
        (_say("rp.grids_target", lang), target),
        (_say("rp.grids_in_band", lang), _int(in_band)),
        (_say("rp.grids_out_band", lang), _int(count - in_band)),
        (_say("rp.pp_min", lang), _dec(pp.min())),
        (_say("rp.pp_mean", lang), _dec(pp.mean())),
    ]
    body = _pairs(figures)
    if frame is not None:
        tolerance = as_float(plan.get("tolerance")) or 0.0
        titles = [esc(code) for code in grids.get("code", grids.get("grid_id"))]
        shapes = rs.polygons(
            frame,
            grids.geometry.to_numpy(),
            _deviation_colors(grids, tolerance),
            titles=titles,
        )
        caption = _say("rp.map_grids", lang)
        legend = rs.legend(
            [
                (c, _say(f"rp.dev_{k}", lang))
                for c, k in zip(DEVIATION_COLORS, DEVIATION_CLASSES, strict=True)
            ]
        )
        body += _figure(rs.svg(frame, [_context(result, frame), shapes], caption), caption, legend)
    return _section("grids", _say("rp.grids", lang), body, lang)


def _hotspots_section(result: Any, frame: rs.Frame | None, lang: str) -> str:
    part = result.hotspots
    row, cells = part.summary, part.cells
    counts = cells["level"].value_counts()
    figures = [
        (_say("rp.incidents", lang), _int(row.get("incidents", cells["count"].sum()))),
        (_say("rp.cells", lang), _int(len(cells))),
        (_say("rp.resolution", lang), _int(row.get("resolution"))),
        (_say("rp.hot_cells", lang), _int(int((cells["bin"].fillna(0) >= 2).sum()))),
    ]
    for level in RISK_LEVELS:
        name = Html(_say(f"rp.level_{level}", lang))
        figures.append((_say("rp.level_cells", lang, level=name), _int(counts.get(level, 0))))
    body = _pairs(figures) + _level_rule(result, lang)
    if frame is not None:
        shapes = rs.polygons(
            frame,
            cells.geometry.to_numpy(),
            _level_colors(cells["level"]),
            stroke="#555555",
            stroke_width=0.4,
            opacity=0.7,
        )
        caption = _say("rp.map_hotspots", lang)
        body += _figure(
            rs.svg(frame, [_context(result, frame), shapes], caption), caption, _level_legend(lang)
        )
    return _section("hotspots", _say("rp.hotspots", lang), body, lang)


def _level_rule(result: Any, lang: str) -> str:
    """The rule that set the levels, in one sentence in ``lang`` (the hotspot run's
    ``run.json`` ``levels``); nothing for a run that did not record it."""
    folder = result.runs.get("hotspots")
    levels = folder.run.get("levels") if folder is not None else None
    if not isinstance(levels, dict) or levels.get("rule") not in ("significance", "quota"):
        return ""
    rule = LevelRule(
        rule=levels["rule"],
        tested_by=levels.get("tested_by", "per_cell"),
        index_top_share=float(levels.get("index_top_share", 0.1)),
        top_share=dict(levels.get("top_share") or {}),
    )
    return f'<p class="note">{esc(render_note(rule.describe(), lang))}</p>'


# --- units (社区, 网格) ----------------------------------------------------------------------


def _unit_name(figures_row: Any, lang: str) -> str:
    if bool(figures_row["outside"]):
        return _say("rp.outside", lang)
    return esc(figures_row["label"]) or ""


def _threshold_rows(result: Any) -> pd.DataFrame:
    """The threshold tier of every kind with data (one row per kind, access summary)."""
    if result.access is None:
        return pd.DataFrame(columns=["kind", "tier_min", "data_status"])
    summary = result.access.summary
    return summary[summary["is_threshold"].astype(bool) & (summary["data_status"] == "ok")]


def _no_data_note(result: Any, lang: str) -> str:
    """The kinds with no facility in the data, named once instead of a column of "no data"."""
    if result.access is None:
        return ""
    summary = result.access.summary
    kinds = dict.fromkeys(summary.loc[summary["data_status"] == "no_facilities", "kind"])
    if not kinds:
        return ""
    sep = "、" if lang == "zh" else ", "
    names = Html(sep.join(_kind_label(summary, str(k), lang) for k in kinds))
    return f'<p class="note">{_say("rp.no_data_kinds", lang, kinds=names)}</p>'


def _unit_share(coverage: pd.DataFrame, row: int, kind: str, tier: float, lang: str) -> str:
    sel = coverage[(coverage["row"] == row) & (coverage["kind"] == kind)]
    sel = sel[np.isclose(sel["tier_min"], tier)]
    if sel.empty:
        return ""
    item = sel.iloc[0]
    if item["status"] == "no_facilities":
        return f'<span class="nodata">{_say("rp.no_data", lang)}</span>'
    if item["status"] == "no_homes" or item["households_total"] <= 0:
        return f'<span class="nodata">{_say("rp.no_homes", lang)}</span>'
    return _pct(item["households_covered"] / item["households_total"]) + " %"


def _unit_columns(figures: pd.DataFrame, lang: str) -> list[tuple[str, str, Any]]:
    """(column, header, formatter) of the unit figures the given runs have."""
    spec = [
        ("homes", "rp.homes", _int),
        ("households", "rp.households", _int),
        ("grids", "rp.grids_inside", _int),
        ("grids_in_band", "rp.grids_in_band", _int),
        ("pp_mean", "rp.pp_mean", _dec),
        ("incidents", "rp.incidents", _int),
        ("hot_cells", "rp.hot_cells", _int),
        ("level", "rp.level", None),
    ]
    return [(c, _say(k, lang), f) for c, k, f in spec if c in figures]


def _format(column: str, fmt: Any, value: Any, lang: str) -> str:
    if fmt is not None:
        return fmt(value)
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "—"
    return _say(f"rp.level_{value}", lang) if value in RISK_LEVELS else esc(value) or "—"


def _units_overview(unit_set: Any, result: Any, lang: str) -> str:
    """All units in one table, with the outside row and the area total."""
    figures, coverage = unit_set.figures, unit_set.coverage
    columns = _unit_columns(figures, lang)
    thresholds = _threshold_rows(result)
    headers = [_say("rp.unit", lang), *(h for _, h, _ in columns)]
    headers += [
        f"{_kind_label(result.access.summary, str(r.kind), lang)} "
        f"{_say('rp.coverage_unit', lang, minutes=_minutes(float(r.tier_min)))} %"
        for r in thresholds.itertuples(index=False)
    ]
    rows = []
    for position, row in figures.iterrows():
        name = _unit_name(row, lang)
        link = name if row["outside"] else f'<a href="#{row["anchor"]}">{name}</a>'
        cells = [link, *(_format(c, f, row.get(c), lang) for c, _, f in columns)]
        cells += [
            _unit_share(coverage, int(position), str(r.kind), float(r.tier_min), lang)
            for r in thresholds.itertuples(index=False)
        ]
        rows.append(cells)
    total = [f"<strong>{_say('rp.total', lang)}</strong>"]
    for column, _, fmt in columns:  # counts add up; a level or a mean does not
        summed = fmt is not None and column not in ("level", "pp_mean")
        total.append(fmt(figures[column].sum()) if summed else "")
    rows.append(total + [""] * len(thresholds))
    note = f'<p class="note">{_say("rp.units_note", lang)}</p>'
    return _table(headers, rows, "figures units") + _no_data_note(result, lang) + note


def _unit_section(unit_set: Any, position: int, result: Any, lang: str) -> str:
    """One community or grid: its figures, its coverage by kind and tier, its small map."""
    row = unit_set.figures.iloc[position]
    columns = _unit_columns(unit_set.figures, lang)
    pairs = [(h, _format(c, f, row.get(c), lang)) for c, h, f in columns]
    body = _pairs(pairs) + _unit_coverage(unit_set.coverage, position, result, lang)
    body += _unit_map(unit_set, position, result, lang)
    return _section(str(row["anchor"]), _unit_name(row, lang), body, lang)


def _unit_coverage(coverage: pd.DataFrame, position: int, result: Any, lang: str) -> str:
    """The unit's share of households within each tier, for the kinds with data."""
    if coverage.empty or result.access is None:
        return ""
    summary = result.access.summary
    measured = summary[summary["data_status"] == "ok"]
    tiers = sorted({float(v) for v in measured["tier_min"]})
    headers = [_say("rp.kind", lang), *(_say("rp.tier", lang, minutes=_minutes(x)) for x in tiers)]
    rows = []
    for kind in dict.fromkeys(measured["kind"]):
        cells = [_kind_label(summary, str(kind), lang)]
        cells += [_unit_share(coverage, position, str(kind), tier, lang) for tier in tiers]
        rows.append(cells)
    table = _table(headers, rows, "figures") if rows else ""
    return table + _no_data_note(result, lang)


def _unit_map(unit_set: Any, position: int, result: Any, lang: str) -> str:
    """The unit filled, its neighbours outlined, the homes in it by walk minutes."""
    units = unit_set.units
    geom = units.geometry.iloc[position]
    if geom is None or geom.is_empty:
        return ""
    frame = rs.frame_of([geom], margin=0.15)
    x0, y0, x1, y1 = frame.bounds
    near = units.geometry.to_numpy()
    near = near[shapely.intersects(near, shapely.box(x0, y0, x1, y1))]
    body = [
        rs.lines(frame, near, stroke="#9a9a9a", width=1.2),
        rs.polygons(frame, [geom], [UNIT_COLOR], stroke=UNIT_COLOR, stroke_width=2.5, opacity=0.15),
    ]
    homes = result.access.homes if result.access is not None else None
    if homes is not None and len(homes):
        inside = homes[shapely.intersects(homes.geometry.to_numpy(), geom)]
        kind = result.access.worst_kind
        lon, lat = _lonlat(inside)
        fills = (
            minute_colors(inside[f"walk_min_{kind}"].to_numpy(dtype=float))
            if kind is not None
            else [NO_DEMAND_COLOR] * len(lon)
        )
        body.append(rs.circles(frame, lon, lat, fills, radius=5))
    label = esc(units["label"].iloc[position]) or ""
    return f"<figure>{rs.svg(frame, body, label, cls='map unit')}</figure>"


def _units_sections(unit_set: Any, result: Any, lang: str) -> list[str]:
    title = _say(f"rp.units_{unit_set.layer}", lang)
    path = esc(str(unit_set.path)) or ""
    head = f'<p class="note">{_say("rp.units_file", lang)}: <code>{path}</code></p>'
    overview = _section(
        f"units-{unit_set.layer}", title, head + _units_overview(unit_set, result, lang), lang
    )
    return [overview] + [
        _unit_section(unit_set, i, result, lang) for i in range(len(unit_set.units))
    ]


# --- provenance ------------------------------------------------------------------------------


def _input_files(files: list[dict[str, Any]], lang: str) -> str:
    if not files:
        return _say("rp.none", lang)
    items = [
        _say(
            "rp.input_file",
            lang,
            path=f.get("path"),
            role=f.get("role") or "?",
            crs=f.get("crs") or "?",
        )
        for f in files
    ]
    return "<br>".join(items)


def _profile_name(name: str, lang: str) -> str:
    return _say("rp.profile_default", lang) if name == "default" else esc(name) or ""


def _provenance_section(result: Any, lang: str) -> str:
    headers = [
        _say(k, lang)
        for k in (
            "rp.run",
            "rp.folder",
            "rp.osm_file",
            "rp.snapshot",
            "rp.input_files",
            "rp.profile",
            "rp.version",
        )
    ]
    rows = [
        [
            esc(p.command) or "",
            f"<code>{esc(str(p.path))}</code>",
            _text(p.osm_path, lang),
            _text(p.osm_snapshot, lang),
            _input_files(p.input_files, lang),
            _profile_name(p.profile, lang),
            esc(p.version) or "",
        ]
        for p in result.provenance
    ]
    body = _table(headers, rows, "figures")
    for name, values in result.profiles.items():
        body += (
            f"<h3>{_say('rp.profile_values', lang, profile=Html(_profile_name(name, lang)))}</h3>"
        )
        if isinstance(values, str):
            body += f'<p class="note">{esc(values)}</p>'
            continue
        keys = ("rp.key", "rp.value", "rp.confidence", "rp.source")
        rows = [
            [
                f"<code>{esc(v.key)}</code>",
                _value(v.value),
                _confidence(v.confidence, lang),
                esc(v.src) or "—",
            ]
            for v in values
        ]
        body += _table([_say(k, lang) for k in keys], rows, "figures profile")
    link = Html(f'<a href="{OSM_COPYRIGHT}">{_say("rp.osm_contributors", lang)}</a>')
    body += f'<p class="copyright">{_say("rp.copyright", lang, link=link)}</p>'
    return _section("provenance", _say("rp.provenance", lang), body, lang)


def _value(value: Any) -> str:
    if value is None:
        return "—"
    if isinstance(value, float):
        return f"{value:g}"
    return esc(value) or "—"


# --- the page ------------------------------------------------------------------------------

CSS = """
body{font-family:"Noto Sans CJK SC","PingFang SC","Microsoft YaHei",Arial,sans-serif;
margin:0 auto;max-width:60em;padding:1em 1.5em;color:#222;line-height:1.4}
h1{font-size:1.6em;margin:.2em 0}h2{font-size:1.3em;border-bottom:2px solid #2b8cbe;
padding-bottom:.2em}h3{font-size:1.05em}
table{border-collapse:collapse;margin:.6em 0;font-size:.9em}
th,td{border:1px solid #ccc;padding:.25em .5em;text-align:left;vertical-align:top}
table.figures td{text-align:right}table.figures td:first-child{text-align:left}
table.pairs th{background:#f2f6f9;font-weight:normal}table.pairs td{text-align:right}
table.profile td{text-align:left;font-size:.85em}
.nodata{color:#777;font-style:italic}.note{color:#555;font-size:.85em}
.running{color:#888;font-size:.8em;margin:0}.back{font-size:.8em}
figure{margin:.8em 0}svg.map{width:100%;height:auto;max-height:75vh;border:1px solid #ddd;
background:#fff}svg.unit{max-height:45vh}figcaption{font-size:.85em;color:#444}
ul.legend{list-style:none;padding:0;margin:.3em 0;display:flex;flex-wrap:wrap;gap:.3em 1em}
.sw{display:inline-block;width:.9em;height:.9em;border:1px solid #666;margin-right:.3em;
vertical-align:-.1em}nav ol{columns:2}code{font-size:.85em;word-break:break-all}
@page{size:A4;margin:14mm 12mm}
@media print{body{max-width:none;padding:0;font-size:10pt}
section.page{break-before:page}nav.index{break-after:auto}.back{display:none}
svg.map{max-height:175mm}svg.unit{max-height:110mm}tr,figure{break-inside:avoid}thead{display:table-header-group}
a{color:inherit;text-decoration:none}}
"""


def _index(entries: list[tuple[str, str, list[tuple[str, str]]]], lang: str) -> str:
    items = []
    for anchor, title, children in entries:
        sub = "".join(f'<li><a href="#{a}">{t_}</a></li>' for a, t_ in children)
        items.append(
            f'<li><a href="#{anchor}">{title}</a>' + (f"<ol>{sub}</ol>" if sub else "") + "</li>"
        )
    heading = f"<h2>{_say('rp.index', lang)}</h2>"
    return f'<nav class="index" id="index">{heading}<ol>{"".join(items)}</ol></nav>'


def report_page(result: Any, lang: str) -> str:
    """The whole of ``report.html`` in ``lang`` (``zh`` or ``en``).

    Parameters
    ----------
    result : shequ.jobs.report.ReportResult
        The runs read and the units' figures.
    lang : str
        ``zh`` or ``en``: every word of the page, and ``<html lang>``.
    """
    lang = "zh" if lang == "zh" else "en"
    frame = rs.Frame(tuple(result.bounds)) if result.bounds is not None else None
    sections: list[str] = []
    entries: list[tuple[str, str, list[tuple[str, str]]]] = []
    builders = {
        "access": _access_section,
        "site": _site_section,
        "grids": _grids_section,
        "hotspots": _hotspots_section,
    }
    for command, build in builders.items():
        if getattr(result, command) is not None:
            sections.append(build(result, frame, lang))
            entries.append((command, _say(f"rp.{command}", lang), []))
    for unit_set in result.units:
        sections += _units_sections(unit_set, result, lang)
        children = [
            (str(r["anchor"]), _unit_name(r, lang))
            for _, r in unit_set.figures.iterrows()
            if not r["outside"]
        ]
        entries.append(
            (f"units-{unit_set.layer}", _say(f"rp.units_{unit_set.layer}", lang), children)
        )
    sections.append(_provenance_section(result, lang))
    entries.append(("provenance", _say("rp.provenance", lang), []))
    version = esc(result.provenance[0].version if result.provenance else "") or ""
    runs = ", ".join(f"<code>{esc(str(f.path))}</code>" for f in result.runs.values())
    generated = _say("rp.generated", lang, version=Html(version), runs=Html(runs))
    title = _say("rp.title", lang)
    return (
        f'<!DOCTYPE html><html lang="{PAGE_LANG[lang]}"><head><meta charset="utf-8">'
        f'<meta name="viewport" content="width=device-width,initial-scale=1">'
        f"<title>{title}</title><style>{CSS}</style></head><body>"
        f'<header><h1>{title}</h1><p class="note">{generated}</p></header>'
        f"{_context_defs(result, frame)}{_index(entries, lang)}{''.join(sections)}"
        "</body></html>\n"
    )


__all__ = ["OSM_COPYRIGHT", "minute_colors", "report_page"]
