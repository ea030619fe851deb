"""Colours and symbol styles of the maps (access map, facility siting map, management grids,
risk hotspots).

One place for the minute bins and their colours, because the homes, the isochrones and the legend
must agree on them. The bins are fixed (0–5, 5–10, 10–15, >15 minutes, as in the national
15-minute living-circle standard), whatever a kind's threshold: the map only classifies the
minutes it is given for display; whether a home is served comes from the data (``meets_K``).
Colours are a green-to-orange ramp readable by most colour-blind people, with grey for
unreachable homes and a red ring, not used elsewhere, for blind spots.

The siting map keeps one colour per story, told apart by hue and lightness, not by red/green:
blue is what exists (existing sites, their service areas, homes they already cover), purple is
what is proposed (new sites, their areas, homes they newly cover), red is a home still unserved,
grey a candidate site; an excluded candidate is a hollow brown ring.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class MinuteBin:
    """A walk-minute class: minutes up to and including ``upper`` (from the previous bin's).

    ``outline`` is a darker shade for isochrone borders: the light fills vanish on a basemap.
    """

    label: str
    upper: float
    color: str
    outline: str


MINUTE_BINS: tuple[MinuteBin, ...] = (
    MinuteBin("0–5", 5.0, "#1a9850", "#0f6b37"),
    MinuteBin("5–10", 10.0, "#91cf60", "#4d9a2a"),
    MinuteBin("10–15", 15.0, "#fee08b", "#c29a12"),
    MinuteBin(">15", math.inf, "#fc8d59", "#d04a1e"),
)
UNREACHABLE_COLOR = "#9e9e9e"
BLIND_SPOT_COLOR = "#d7191c"
FACILITY_COLOR = "#2166ac"

UNREACHABLE = -1
"""Bin index of a home with no walk time (NaN, infinite or negative minutes)."""

HOME_RADIUS = 5
BLIND_SPOT_RADIUS = 9
FACILITY_RADIUS = 7


ESTIMATED_FILL = "#ffffff"
"""Inside of a home estimated over residential land (``estimated_from = "landuse"``): the
marker's class colour moves to a thicker outline and the inside turns white, so estimated
homes read as hollow circles among the mapped ones."""


def hollow(style: dict[str, Any]) -> dict[str, Any]:
    """The hollow variant of a filled circle-marker ``style``, for an estimated home."""
    return style | {
        "color": style.get("fillColor", style.get("color")),
        "weight": 2.5,
        "fill": True,
        "fillColor": ESTIMATED_FILL,
        "fillOpacity": 0.6,
    }


def minute_bin(minutes: float | None) -> int:
    """Index into :data:`MINUTE_BINS` for ``minutes``, or :data:`UNREACHABLE`."""
    if minutes is None or not math.isfinite(minutes) or minutes < 0:
        return UNREACHABLE
    for index, minute_class in enumerate(MINUTE_BINS):
        if minutes <= minute_class.upper:
            return index
    return len(MINUTE_BINS) - 1  # pragma: no cover - the last bin is unbounded


def bin_color(index: int) -> str:
    """Fill colour of a minute bin index (grey for :data:`UNREACHABLE`)."""
    return UNREACHABLE_COLOR if index == UNREACHABLE else MINUTE_BINS[index].color


def home_style(index: int) -> dict[str, Any]:
    """Circle-marker style of a home in minute bin ``index``."""
    return {
        "radius": HOME_RADIUS,
        "color": "#444444",
        "weight": 1,
        "fill": True,
        "fillColor": bin_color(index),
        "fillOpacity": 0.9,
    }


def access_home_style(index: int, *, served: bool, estimated: bool) -> dict[str, Any]:
    """A home on the access map for one kind: filled by minute bin ``index``; a home not served
    within the kind's standard (a blind spot, 盲区) gets the red ring as its own outline, so
    the map needs no second copy of it; an estimated home is hollow (:func:`hollow`)."""
    style = home_style(index)
    if estimated:
        style = hollow(style)
    if not served:
        style = style | {"radius": HOME_RADIUS + 1, "color": BLIND_SPOT_COLOR, "weight": 2.5}
    return style


def no_data_home_style() -> dict[str, Any]:
    """A home when no kind has facilities in the data: grey, unringed (nothing was measured,
    so nothing is a blind spot)."""
    return home_style(UNREACHABLE) | {"fillOpacity": 0.5}


def blind_spot_style() -> dict[str, Any]:
    """A red ring around an unserved home: no fill, so the home's colour stays visible."""
    return {
        "radius": BLIND_SPOT_RADIUS,
        "color": BLIND_SPOT_COLOR,
        "weight": 2.5,
        "fill": False,
    }


def facility_style() -> dict[str, Any]:
    """Circle-marker style of a facility: bigger, blue, white outline (no icon fonts needed)."""
    return {
        "radius": FACILITY_RADIUS,
        "color": "#ffffff",
        "weight": 2,
        "fill": True,
        "fillColor": FACILITY_COLOR,
        "fillOpacity": 1.0,
    }


def isochrone_style(minutes: float | None, *, per_facility: bool = False) -> dict[str, Any]:
    """Polygon style of an isochrone reached in ``minutes``; per-facility ones are dashed."""
    index = minute_bin(minutes)
    color = bin_color(index)
    style: dict[str, Any] = {
        "color": "#616161" if index == UNREACHABLE else MINUTE_BINS[index].outline,
        "weight": 2,
        "fillColor": color,
        "fillOpacity": 0.06 if per_facility else 0.18,
    }
    if per_facility:
        style["dashArray"] = "4 4"
    return style


# --- access map of a district: cells of homes ---------------------------------------------

SHARE_CLASSES: tuple[tuple[float, str, str], ...] = (
    (0.9, "≥ 90 %", MINUTE_BINS[0].color),
    (0.6, "60–90 %", MINUTE_BINS[1].color),
    (0.3, "30–60 %", MINUTE_BINS[2].color),
    (0.0, "< 30 %", MINUTE_BINS[3].color),
)
"""Classes of the share of households served within a kind's standard, in a cell of homes:
(lowest share, legend text, fill), the minute ramp's colours from good to poor."""
NO_SHARE = len(SHARE_CLASSES)
"""Class of a cell with nothing measured (no kind with data): grey."""


def share_class(share: float) -> int:
    """Index into :data:`SHARE_CLASSES` for a share in [0, 1]; :data:`NO_SHARE` for NaN."""
    if share is None or not math.isfinite(share):
        return NO_SHARE
    for index, (lowest, _, _) in enumerate(SHARE_CLASSES):
        if share >= lowest:
            return index
    return len(SHARE_CLASSES) - 1


def cell_style(index: int) -> dict[str, Any]:
    """Polygon style of a cell of homes in share class ``index`` (:func:`share_class`)."""
    fill = UNREACHABLE_COLOR if index == NO_SHARE else SHARE_CLASSES[index][2]
    return {"color": "#ffffff", "weight": 0.5, "fillColor": fill, "fillOpacity": 0.75}


# --- facility siting map ----------------------------------------------------------------------

EXISTING_COLOR = FACILITY_COLOR
EXISTING_LIGHT = "#92c5de"
PROPOSED_COLOR = "#7b3294"
PROPOSED_LIGHT = "#c2a5cf"
UNSERVED_COLOR = BLIND_SPOT_COLOR
NO_DEMAND_COLOR = "#d9d9d9"
CANDIDATE_COLOR = "#969696"
EXCLUDED_COLOR = "#8c510a"

SITE_RADIUS = 7
CANDIDATE_RADIUS = 4
RANK_BADGE_PX = 22
"""Diameter of a proposed site's numbered badge, in CSS pixels."""

SITING_HOME_FILLS = {
    "new": PROPOSED_LIGHT,
    "covered": EXISTING_LIGHT,
    "unserved": UNSERVED_COLOR,
    "no_demand": NO_DEMAND_COLOR,
}
"""Fill of a home on the siting map by what the chosen sites did for it."""


def siting_home_style(status: str) -> dict[str, Any]:
    """Circle-marker style of a home: ``new``, ``covered``, ``unserved`` or ``no_demand``.

    Unserved homes are drawn a little larger, with a dark outline, so they read first.
    """
    unserved = status == "unserved"
    return {
        "radius": HOME_RADIUS if unserved else HOME_RADIUS - 1,
        "color": "#67000d" if unserved else "#555555",
        "weight": 1.5 if unserved else 0.8,
        "fill": True,
        "fillColor": SITING_HOME_FILLS[status],
        "fillOpacity": 0.95 if unserved else 0.85,
    }


def existing_site_style() -> dict[str, Any]:
    """An existing facility: as on the access map, blue with a white outline."""
    return facility_style() | {"radius": SITE_RADIUS, "fillColor": EXISTING_COLOR}


def candidate_style(*, excluded: bool) -> dict[str, Any]:
    """A candidate site not chosen: a small grey dot, or a hollow brown ring when excluded."""
    if excluded:
        return {
            "radius": CANDIDATE_RADIUS + 1,
            "color": EXCLUDED_COLOR,
            "weight": 2,
            "fill": True,
            "fillColor": "#ffffff",
            "fillOpacity": 0.8,
        }
    return {
        "radius": CANDIDATE_RADIUS,
        "color": "#ffffff",
        "weight": 1,
        "fill": True,
        "fillColor": CANDIDATE_COLOR,
        "fillOpacity": 0.9,
    }


def service_area_style(*, existing: bool) -> dict[str, Any]:
    """A site's walk area: solid blue for existing sites, dashed purple for proposed ones."""
    color = EXISTING_COLOR if existing else PROPOSED_COLOR
    style: dict[str, Any] = {
        "color": color,
        "weight": 1.5 if existing else 2,
        "fillColor": color,
        "fillOpacity": 0.08 if existing else 0.12,
    }
    if not existing:
        style["dashArray"] = "6 4"
    return style


# --- management grid map ----------------------------------------------------------------------
# A grid is coloured by how far its households are from the target: a diverging purple–orange
# scheme (ColorBrewer PuOr, safe for the common forms of colour blindness) with a neutral
# near-white for grids within tolerance, purple for too few households, orange for too many,
# the darker shades beyond twice the tolerance. Flags are patterns, not colours: lines rising to
# the right for a grid holding an oversized unit, falling to the right (and a dashed outline)
# for a grid outside every community.

DEVIATION_CLASSES = ("under_far", "under", "ok", "over", "over_far")
DEVIATION_COLORS = ("#542788", "#998ec3", "#f7f7f7", "#f1a340", "#b35806")
DEVIATION_OK = 2
"""Index of the within-tolerance class in :data:`DEVIATION_CLASSES`."""
NO_DATA = -1
"""Class of a grid whose deviation is missing."""
NO_DATA_COLOR = "#bdbdbd"
GRID_OUTLINE = "#3a3a3a"
HATCH_COLOR = "#252525"
HATCH_OVERSIZED = "shequ-hatch-oversized"
HATCH_OUTSIDE = "shequ-hatch-outside"
"""Ids of the SVG fill patterns the grid map defines once in the page."""

MOVED_COLOR = "#35978f"
MOVED_OUTLINE = "#003c30"
EDIT_COLOR = "#d6006e"
GRID_HOME_COLOR = "#4d4d4d"

BORDER_STYLES: dict[str, dict[str, Any]] = {
    "edge": {"color": "#000000", "weight": 4, "opacity": 0.9, "dashArray": "12 4 3 4"},
    "major": {"color": "#525252", "weight": 4.5, "opacity": 0.85},
    "river": {"color": "#2171b5", "weight": 4.5, "opacity": 0.85},
    "rail": {"color": "#1a1a1a", "weight": 3, "opacity": 0.9, "dashArray": "7 5"},
    "medium": {"color": "#737373", "weight": 2, "opacity": 0.7},
    "minor": {"color": "#969696", "weight": 1, "opacity": 0.7},
}
"""Line style per border class (``geo.blocks.BORDER_CLASSES``); ``edge`` is a community's edge."""
MAIN_BORDERS = ("edge", "major", "river", "rail")
"""Border classes drawn on the (visible) borders layer; the others go on the streets layer."""


def deviation_class(deviation: float | None, within: bool | None, tolerance: float) -> int:
    """Colour class of a grid: :data:`DEVIATION_OK` when the data says it is within tolerance
    (``within``; when that flag is missing, when ``|deviation| <= tolerance``), else by the
    sign of its deviation, "far" beyond :func:`far_deviation`; :data:`NO_DATA` when neither
    says anything."""
    known = deviation is not None and math.isfinite(deviation)
    if within is None and known:
        within = abs(deviation) <= tolerance + 1e-9
    if within:
        return DEVIATION_OK
    if not known:
        return NO_DATA
    far = far_deviation(tolerance)
    if deviation < 0:
        return 0 if deviation < -far else 1
    return 4 if deviation > far else 3


def far_deviation(tolerance: float) -> float:
    """Deviation beyond which a grid is "far" from the target: twice the tolerance, at least
    the tolerance plus 5 points (so a zero tolerance still has two shades)."""
    return max(2.0 * tolerance, tolerance + 0.05)


def grid_style(index: int) -> dict[str, Any]:
    """Polygon style of a grid in deviation class ``index``."""
    color = NO_DATA_COLOR if index == NO_DATA else DEVIATION_COLORS[index]
    return {
        "color": GRID_OUTLINE,
        "weight": 1.5,
        "opacity": 0.9,
        "fillColor": color,
        "fillOpacity": 0.62,
    }


def grid_highlight() -> dict[str, Any]:
    """A grid under the mouse: a thicker, darker outline."""
    return {"color": "#000000", "weight": 3.5, "opacity": 1.0}


def hatch_style(pattern: str) -> dict[str, Any]:
    """A flagged grid: filled with the SVG pattern ``pattern``, a thin dark outline."""
    style: dict[str, Any] = {
        "color": HATCH_COLOR,
        "weight": 1.5,
        "opacity": 0.9,
        "fillColor": f"url(#{pattern})",
        "fillOpacity": 1.0,
    }
    if pattern == HATCH_OUTSIDE:
        style["dashArray"] = "6 4"
    return style


def border_style(border: str) -> dict[str, Any]:
    """Line style of a border of class ``border`` (unknown classes as minor streets)."""
    return {"lineCap": "round"} | BORDER_STYLES.get(border, BORDER_STYLES["minor"])


def atom_style() -> dict[str, Any]:
    """A unit (compound or street block): thin outline, almost no fill."""
    return {
        "color": "#1a1a1a",
        "weight": 0.8,
        "opacity": 0.8,
        "dashArray": "3 3",
        "fillColor": "#ffffff",
        "fillOpacity": 0.05,
    }


def moved_style() -> dict[str, Any]:
    """A unit the redraw moved to another grid: teal fill, thick dark outline."""
    return {
        "color": MOVED_OUTLINE,
        "weight": 3,
        "opacity": 1.0,
        "fillColor": MOVED_COLOR,
        "fillOpacity": 0.6,
    }


def grid_home_style() -> dict[str, Any]:
    """A home on the grid map: a small dark dot."""
    return {
        "radius": 3,
        "color": "#ffffff",
        "weight": 0.8,
        "fill": True,
        "fillColor": GRID_HOME_COLOR,
        "fillOpacity": 0.9,
    }


def edit_style() -> dict[str, Any]:
    """A shape drawn by the grid manager (Leaflet.draw ``shapeOptions``)."""
    return {
        "color": EDIT_COLOR,
        "weight": 3,
        "opacity": 1.0,
        "fillColor": EDIT_COLOR,
        "fillOpacity": 0.15,
        "dashArray": "8 4",
    }


# --- risk hotspot map -------------------------------------------------------------------------
# Cells are coloured by warning level in the standard warning colours (红橙黄蓝), each with a
# darker outline of its own hue whose weight grows with the level, so the level also reads from
# the outline and, for colour-blind readers, from the text of the tooltip, popup and legend.
# The overlays use schemes that cannot be mistaken for the levels: Gi* bins a red-blue
# diverging scale (ColorBrewer RdBu, colour-blind safe), the kernel density a sequential purple
# one (ColorBrewer Purples), emerging trends four categorical hues away from red, orange and
# yellow (from ColorBrewer Dark2 and RdPu). The overlays are nearly opaque: switched on over the
# levels, they replace them rather than mix with them.

RISK_LEVELS = ("red", "orange", "yellow", "blue")
"""Warning levels, highest first (the national four-level scheme)."""
THREE_COLOUR_LEVELS = ("red", "yellow", "blue")
"""The three-colour display scheme (红黄蓝): orange folds into red."""
LEVEL_COLORS = {"red": "#e31a1c", "orange": "#ff7f00", "yellow": "#ffd700", "blue": "#1f78b4"}
LEVEL_OUTLINES = {"red": "#67000d", "orange": "#8c3d00", "yellow": "#7a6500", "blue": "#08306b"}
LEVEL_WEIGHTS = {"red": 2.2, "orange": 1.6, "yellow": 1.1, "blue": 0.6}

GI_BIN_COLORS = ("#2166ac", "#67a9cf", "#d1e5f0", "#f7f7f7", "#fddbc7", "#ef8a62", "#b2182b")
"""Fill per Gi* bin −3 … 3 (index ``bin + 3``): cold 99/95/90 %, not significant, hot 90/95/99 %."""
KDE_COLORS = ("#f2f0f7", "#dadaeb", "#bcbddc", "#9e9ac8", "#756bb1", "#54278f")
"""Kernel-density classes, lowest first."""
TREND_COLORS = {
    "new": "#e7298a",
    "intensifying": "#7a0177",
    "persistent": "#7570b3",
    "diminishing": "#1b9e77",
}
"""Emerging hot-spot categories (``shequ.analyses.hotspot_trends``)."""
RISK_GRID_OUTLINE = "#1a1a1a"


def level_style(level: str | None) -> dict[str, Any]:
    """A cell at warning ``level`` (one of :data:`RISK_LEVELS`; None: no data, grey)."""
    if level not in LEVEL_COLORS:
        return {
            "color": "#636363",
            "weight": 0.6,
            "opacity": 0.9,
            "fillColor": NO_DATA_COLOR,
            "fillOpacity": 0.4,
        }
    return {
        "color": LEVEL_OUTLINES[level],
        "weight": LEVEL_WEIGHTS[level],
        "opacity": 0.9,
        "fillColor": LEVEL_COLORS[level],
        "fillOpacity": 0.35 if level == "blue" else 0.6,
    }


def gi_bin_style(gi_bin: int) -> dict[str, Any]:
    """A cell in Gi* bin ``gi_bin`` (−3 … 3), thin grey outline."""
    return {
        "color": "#737373",
        "weight": 0.5,
        "opacity": 0.8,
        "fillColor": GI_BIN_COLORS[gi_bin + 3],
        "fillOpacity": 0.85,
    }


def kde_style(index: int, classes: int) -> dict[str, Any]:
    """A cell in kernel-density class ``index`` of ``classes`` (no outline: a surface)."""
    return {
        "stroke": False,
        "fillColor": kde_color(index, classes),
        "fillOpacity": 0.85,
    }


def kde_color(index: int, classes: int) -> str:
    """Colour of density class ``index`` when there are ``classes`` classes: spread over the
    whole ramp, so the highest class is always the darkest."""
    if classes <= 1:
        return KDE_COLORS[-1]
    return KDE_COLORS[round(index * (len(KDE_COLORS) - 1) / (classes - 1))]


def trend_style(trend: str) -> dict[str, Any]:
    """A cell with an emerging trend: the category's colour, a dark outline."""
    return {
        "color": "#252525",
        "weight": 1.5,
        "opacity": 0.9,
        "fillColor": TREND_COLORS[trend],
        "fillOpacity": 0.8,
    }


def risk_grid_style(level: str | None) -> dict[str, Any]:
    """A grid coloured by its highest cell level, with a thick dark outline."""
    fill = LEVEL_COLORS.get(level or "", NO_DATA_COLOR)
    return {
        "color": RISK_GRID_OUTLINE,
        "weight": 2.5,
        "opacity": 0.9,
        "fillColor": fill,
        "fillOpacity": 0.45,
    }
