"""Colours and symbol styles of the access map.

One place for the minute bins and their colours, because the homes, the isochrones and the legend
must agree on them. The bins are fixed (0–5, 5–10, 10–15, >15 minutes, as in the national
15-minute living-circle standard), whatever a kind's threshold: the map only classifies the
minutes it is given for display; whether a home is served comes from the data (``meets_K``).
Colours are a green-to-orange ramp readable by most colour-blind people, with grey for
unreachable homes and a red ring, not used elsewhere, for blind spots.
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
