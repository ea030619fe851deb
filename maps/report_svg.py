"""Small static maps of the report as inline SVG: readable with no script and printable.

The interactive maps (``map.html``) need a browser with JavaScript; a printed report does not
have one. So each section of ``report.html`` carries its map as an ``<svg>`` element drawn
here: lon/lat projected to Web Mercator (the projection of every web map, so the shapes look
as the planner knows them), fitted to a ``viewBox`` of :data:`WIDTH` units, simplified to half
a unit and written with one decimal, which keeps a district's streets to tens of kilobytes.

Shapes are grouped by colour (one ``<g>`` per colour, one ``<path>`` for all lines), so the
file stays small; only the features a reader points at carry a ``<title>`` (a grid's code, a
site's name), and every title is text escaped by the caller with :func:`shequ.maps.escape.esc`.
The SVG is inline HTML, so it needs (and has) no ``xmlns`` URL.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import shapely

WIDTH = 1000.0
"""Width of every map's ``viewBox``; the height follows the area's shape."""

PAD = 12.0
"""Margin around the drawn area, in ``viewBox`` units."""

MAX_HEIGHT = 1300.0
"""A tall area is fitted to this height instead (an A4 page in portrait)."""

SIMPLIFY = 0.5
"""Douglas–Peucker tolerance in ``viewBox`` units: half a unit is under a printed dot."""

_EARTH_M = 6378137.0
_MAX_LAT = 85.05112878


def mercator(lon: np.ndarray, lat: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Web Mercator (EPSG:3857) metres of WGS-84 degrees, vectorised."""
    lon = np.asarray(lon, dtype=float)
    lat = np.clip(np.asarray(lat, dtype=float), -_MAX_LAT, _MAX_LAT)
    x = np.radians(lon) * _EARTH_M
    y = np.log(np.tan(np.pi / 4.0 + np.radians(lat) / 2.0)) * _EARTH_M
    return x, y


@dataclass(frozen=True)
class Frame:
    """Where lon/lat lands in a map's ``viewBox``: a fit of the area's bounds, north up.

    Parameters
    ----------
    bounds : (min lon, min lat, max lon, max lat)
        The extent to show, in WGS-84 degrees.
    width : float
        Width of the ``viewBox`` (its height keeps the area's proportions, at most
        :data:`MAX_HEIGHT`).
    """

    bounds: tuple[float, float, float, float]
    width: float = WIDTH

    @property
    def _mercator_bounds(self) -> tuple[float, float, float, float]:
        (x0, x1), (y0, y1) = mercator(np.array(self.bounds[0::2]), np.array(self.bounds[1::2]))
        return float(x0), float(y0), float(x1), float(y1)

    @property
    def scale(self) -> float:
        """``viewBox`` units per Mercator metre."""
        x0, y0, x1, y1 = self._mercator_bounds
        span_x, span_y = max(x1 - x0, 1.0), max(y1 - y0, 1.0)
        inner = self.width - 2 * PAD
        return min(inner / span_x, (MAX_HEIGHT - 2 * PAD) / span_y)

    @property
    def height(self) -> float:
        """Height of the ``viewBox``."""
        _, y0, _, y1 = self._mercator_bounds
        return round(max(y1 - y0, 1.0) * self.scale + 2 * PAD, 1)

    def project(self, lon: np.ndarray, lat: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """``viewBox`` coordinates (y down) of WGS-84 degrees."""
        x0, _, x1, y1 = self._mercator_bounds
        mx, my = mercator(lon, lat)
        scale = self.scale
        left = (self.width - (x1 - x0) * scale) / 2.0
        return left + (mx - x0) * scale, PAD + (y1 - my) * scale

    def geometries(self, geoms: Sequence[shapely.Geometry] | np.ndarray) -> np.ndarray:
        """Shapes in ``viewBox`` coordinates, simplified to :data:`SIMPLIFY`."""
        arr = np.asarray(geoms, dtype=object)
        if len(arr) == 0:
            return arr

        def move(coords: np.ndarray) -> np.ndarray:
            x, y = self.project(coords[:, 0], coords[:, 1])
            return np.column_stack([x, y])

        moved = shapely.transform(arr, move)
        # what lies beyond the map is cut away: not drawn, so not written either
        moved = shapely.clip_by_rect(moved, -PAD, -PAD, self.width + PAD, self.height + PAD)
        return shapely.simplify(moved, SIMPLIFY, preserve_topology=True)


def frame_of(geoms: Sequence[shapely.Geometry] | np.ndarray, margin: float = 0.03) -> Frame:
    """The frame showing ``geoms`` (WGS-84) with a small margin (a share of the larger span).

    Raises
    ------
    ValueError
        When there is nothing to frame (no shape, or only empty ones).
    """
    arr = np.asarray(geoms, dtype=object)
    arr = arr[~shapely.is_empty(arr) & ~shapely.is_missing(arr)] if len(arr) else arr
    if len(arr) == 0:
        msg = "no shape to frame"
        raise ValueError(msg)
    x0, y0, x1, y1 = shapely.total_bounds(arr)
    pad = max(x1 - x0, y1 - y0, 1e-4) * margin
    return Frame((x0 - pad, y0 - pad, x1 + pad, y1 + pad))


def _num(value: float) -> str:
    text = f"{value:.1f}"
    return text[:-2] if text.endswith(".0") else text


def _ring(coords: np.ndarray, close: bool) -> str:
    if len(coords) < 2:
        return ""
    pts = " ".join(f"{_num(x)},{_num(y)}" for x, y in coords[:, :2])
    return f"M{pts}{'Z' if close else ''}"


def path_data(geom: shapely.Geometry) -> str:
    """The ``d`` attribute of one shape already in ``viewBox`` coordinates ("" when empty).

    Polygons close each ring (holes drawn with ``fill-rule="evenodd"``), lines stay open;
    points have no path (see :func:`circles`).
    """
    if geom is None or geom.is_empty:
        return ""
    kind = geom.geom_type
    if kind == "Polygon":
        rings = [geom.exterior, *geom.interiors]
        return "".join(_ring(np.asarray(r.coords), True) for r in rings)
    if kind == "LineString" or kind == "LinearRing":
        return _ring(np.asarray(geom.coords), False)
    if kind.startswith("Multi") or kind == "GeometryCollection":
        return "".join(path_data(part) for part in geom.geoms)
    return ""


def polygons(
    frame: Frame,
    geoms: Sequence[shapely.Geometry] | np.ndarray,
    fills: Sequence[str],
    *,
    stroke: str = "#3a3a3a",
    stroke_width: float = 0.8,
    opacity: float = 0.75,
    titles: Sequence[str | None] | None = None,
) -> str:
    """Filled shapes, one ``<g>`` per fill colour; ``titles`` (escaped) become tooltips."""
    moved = frame.geometries(geoms)
    groups: dict[str, list[str]] = {}
    for index, geom in enumerate(moved):
        d = path_data(geom)
        if not d:
            continue
        title = titles[index] if titles is not None else None
        tip = f"<title>{title}</title>" if title else ""
        groups.setdefault(fills[index], []).append(f'<path d="{d}">{tip}</path>')
    return "".join(
        f'<g fill="{fill}" fill-opacity="{opacity}" stroke="{stroke}" '
        f'stroke-width="{stroke_width}" fill-rule="evenodd">{"".join(parts)}</g>'
        for fill, parts in groups.items()
    )


def lines(
    frame: Frame,
    geoms: Sequence[shapely.Geometry] | np.ndarray,
    *,
    stroke: str = "#c8c8c8",
    width: float = 1.0,
    ident: str | None = None,
) -> str:
    """Lines (or polygon outlines) as one ``<path>``: light context such as streets.

    ``ident`` gives the path an ``id``, so other maps of the same frame reuse it with
    ``<use href="#ident"/>`` instead of repeating tens of kilobytes of streets.
    """
    arr = np.asarray(geoms, dtype=object)
    outlines = np.array([shapely.boundary(g) if _is_polygonal(g) else g for g in arr], dtype=object)
    # outlines before clipping: a cut polygon's new edge along the map's border is not a line
    d = "".join(path_data(g) for g in frame.geometries(outlines))
    if not d:
        return ""
    id_attr = f' id="{ident}"' if ident else ""
    return (
        f'<path{id_attr} d="{d}" fill="none" stroke="{stroke}" stroke-width="{width}" '
        'stroke-linejoin="round" stroke-linecap="round"/>'
    )


def _is_polygonal(geom: shapely.Geometry) -> bool:
    return geom is not None and geom.geom_type in ("Polygon", "MultiPolygon")


def circles(
    frame: Frame,
    lon: np.ndarray,
    lat: np.ndarray,
    fills: Sequence[str],
    *,
    radius: float = 3.5,
    stroke: str = "#444444",
    titles: Sequence[str | None] | None = None,
) -> str:
    """Points as circles, one ``<g>`` per fill colour; ``titles`` (escaped) become tooltips."""
    x, y = frame.project(np.asarray(lon, dtype=float), np.asarray(lat, dtype=float))
    groups: dict[str, list[str]] = {}
    for index in range(len(x)):
        if not (math.isfinite(x[index]) and math.isfinite(y[index])):
            continue
        title = titles[index] if titles is not None else None
        attrs = f'cx="{_num(x[index])}" cy="{_num(y[index])}" r="{radius}"'
        circle = (
            f"<circle {attrs}><title>{title}</title></circle>" if title else f"<circle {attrs}/>"
        )
        groups.setdefault(fills[index], []).append(circle)
    return "".join(
        f'<g fill="{fill}" stroke="{stroke}" stroke-width="0.6">{"".join(parts)}</g>'
        for fill, parts in groups.items()
    )


def badges(
    frame: Frame,
    lon: np.ndarray,
    lat: np.ndarray,
    texts: Sequence[str],
    *,
    fill: str,
    titles: Sequence[str | None] | None = None,
) -> str:
    """Numbered markers (a proposed site's rank): a circle with its (escaped) text."""
    x, y = frame.project(np.asarray(lon, dtype=float), np.asarray(lat, dtype=float))
    parts = []
    for index in range(len(x)):
        title = titles[index] if titles is not None else None
        tip = f"<title>{title}</title>" if title else ""
        cx, cy = _num(x[index]), _num(y[index])
        parts.append(
            f'<g>{tip}<circle cx="{cx}" cy="{cy}" r="11" fill="{fill}" stroke="#ffffff" '
            f'stroke-width="2"/><text x="{cx}" y="{cy}" dy="4.5" text-anchor="middle" '
            f'font-size="13" font-weight="bold" fill="#ffffff">{texts[index]}</text></g>'
        )
    return "".join(parts)


def svg(frame: Frame, body: Sequence[str], label: str, cls: str = "map") -> str:
    """The ``<svg>`` element of one map; ``label`` (escaped) names it for screen readers.

    ``cls`` is its class (``map``; ``map unit`` for the small map of one unit).
    """
    return (
        f'<svg class="{cls}" viewBox="0 0 {_num(frame.width)} {_num(frame.height)}" '
        f'role="img" aria-label="{label}" preserveAspectRatio="xMidYMid meet">'
        f"<title>{label}</title>{''.join(body)}</svg>"
    )


def legend(items: Sequence[tuple[str, str]]) -> str:
    """An HTML legend under a map: (colour, escaped label) pairs as swatches."""
    entries = "".join(
        f'<li><span class="sw" style="background:{color}"></span>{label}</li>'
        for color, label in items
    )
    return f'<ul class="legend">{entries}</ul>'
