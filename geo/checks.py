"""Sanity checks on user point layers against the study area.

Two mistakes are common and silent: latitude and longitude exchanged, and Chinese web-map
coordinates (GCJ-02 from Amap/Tencent, BD-09 from Baidu) read as WGS-84. The first throws points
kilometres away; the second shifts them a few hundred metres, which still lands a facility in the
wrong block. These checks name the likely cause so the user can fix the input.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import pyproj
import shapely

from shequ.geo.coords import bd09_to_wgs84, gcj02_to_wgs84, wgs84_to_bd09, wgs84_to_gcj02
from shequ.geo.network import WalkNetwork
from shequ.geo.points_file import is_geographic

OUTSIDE_KM = 3.0


@dataclass
class Warning_:
    key: str
    params: dict[str, object]


def _outside_km(lon, lat, bounds, transformer) -> np.ndarray:
    x0, y0, x1, y1 = bounds
    px, py = transformer.transform(lon, lat)
    dx = np.maximum(0, np.maximum(x0 - px, px - x1))
    dy = np.maximum(0, np.maximum(y0 - py, py - y1))
    return np.hypot(dx, dy) / 1000.0


def outside_area(name: str, lon: np.ndarray, lat: np.ndarray, net: WalkNetwork) -> list[Warning_]:
    """Warn when points lie more than a few km outside the network's extent, with the cause."""
    if len(lon) == 0:
        return []
    to_metric = pyproj.Transformer.from_crs("EPSG:4326", net.crs, always_xy=True)
    bounds = (*net.node_xy.min(axis=0), *net.node_xy.max(axis=0))
    far = _outside_km(lon, lat, bounds, to_metric) > OUTSIDE_KM
    if not far.any():
        return []
    cause = ""
    swapped_far = _outside_km(lat, lon, bounds, to_metric) > OUTSIDE_KM
    if far.mean() > 0.5 and swapped_far.mean() < 0.5:
        cause = "cause.swapped"
    params = {
        "n": int(far.sum()),
        "total": len(lon),
        "file": name,
        "km": OUTSIDE_KM,
        "cause": cause,
    }
    return [Warning_("warn.outside", params)]


#: points used to measure the median distance to the streets (evenly spaced through the file):
#: the median of 2,000 is within a metre or two of the median of millions, at a fraction of
#: the time and memory
SAMPLE = 2000
#: the check needs this many points for a median that means something
MIN_POINTS = 5
#: points closer than this (median, metres) to a street need no explanation
NEAR_M = 20.0
_NAMES = {"wgs84": "WGS-84", "cgcs2000": "CGCS2000", "gcj02": "GCJ-02", "bd09": "BD-09"}
_FROM_WGS84 = {"gcj02": wgs84_to_gcj02, "bd09": wgs84_to_bd09}
_TO_WGS84 = {"gcj02": gcj02_to_wgs84, "bd09": bd09_to_wgs84}


def _hypotheses(crs_used: str) -> list[tuple[str, str, Callable]]:
    """What else the file may be in, given the system it was read in: ``(key, crs, convert)``
    with ``convert`` taking the WGS-84 points as read to where they would be.

    Read as WGS-84 (or CGCS2000, or another geographic EPSG code): maybe GCJ-02 or BD-09 read
    without ``--crs``. Read as GCJ-02 or BD-09 (``--crs`` given): maybe WGS-84 already (the
    conversion moved it), or the other web-map system. Read in a projected CRS (metres): no web
    map shifts metres, so nothing to test.
    """
    if crs_used in _TO_WGS84:
        undo = _FROM_WGS84[crs_used]  # back to the file's own coordinates
        other = "bd09" if crs_used == "gcj02" else "gcj02"
        return [
            ("warn.crs_wrongly_declared", crs_used, undo),
            ("warn.crs_not_declared", other, lambda x, y: _TO_WGS84[other](*undo(x, y))),
        ]
    if is_geographic(crs_used):
        return [("warn.crs_not_declared", crs, _TO_WGS84[crs]) for crs in ("gcj02", "bd09")]
    return []


def crs_offset(
    name: str, lon: np.ndarray, lat: np.ndarray, net: WalkNetwork, crs_used: str
) -> list[Warning_]:
    """Warn when the points would lie much nearer the streets read in another system.

    Only the systems the file may really be in, given the one it was read in, are tried (see
    :func:`_hypotheses`): WGS-84 points that are really GCJ-02/BD-09 (``--crs`` forgotten),
    points read with ``--crs gcj02|bd09`` that were WGS-84 already (the conversion moved them a
    few hundred metres) or in the other web-map system. ``lon``/``lat`` are the WGS-84
    positions as read; the median distance to the nearest street edge is compared over an even
    sample of the points.

    Returns
    -------
    One warning for the system that fits best when it halves the median distance, else none:
    ``warn.crs_not_declared`` (the file is probably in ``crs``: pass ``--crs crs``) or
    ``warn.crs_wrongly_declared`` (WGS-84 already: do not pass ``--crs crs``), with ``file``,
    ``now`` and ``then`` metres, ``crs`` and its display ``name``, and ``read``, the display
    name of the system the points were read in.
    """
    lon, lat = np.asarray(lon, dtype=float), np.asarray(lat, dtype=float)
    hypotheses = _hypotheses(crs_used)
    if len(lon) < MIN_POINTS or not hypotheses:
        return []
    pick = np.unique(np.linspace(0, len(lon) - 1, min(len(lon), SAMPLE)).astype(np.int64))
    lon, lat = lon[pick], lat[pick]
    to_metric = pyproj.Transformer.from_crs("EPSG:4326", net.crs, always_xy=True)
    tree = shapely.STRtree(net.edge_geoms)

    def median_gap(x: np.ndarray, y: np.ndarray) -> float:
        px, py = to_metric.transform(x, y)
        pts = shapely.points(np.column_stack([px, py]))
        _, dist = tree.query_nearest(pts, return_distance=True, all_matches=False)
        return float(np.median(dist))

    now = median_gap(lon, lat)
    if now < NEAR_M:
        return []
    fits = [(median_gap(*convert(lon, lat)), key, crs) for key, crs, convert in hypotheses]
    then, key, crs = min(fits, key=lambda fit: fit[0])
    if then >= 0.5 * now:
        return []
    params = {
        "file": name,
        "now": now,
        "then": then,
        "crs": crs,
        "name": _NAMES[crs],
        "read": _NAMES.get(crs_used, crs_used),
    }
    return [Warning_(key, params)]


def point_checks(
    name: str, lon: np.ndarray, lat: np.ndarray, net: WalkNetwork, crs_used: str
) -> list[Warning_]:
    """Every check of a user point layer (homes, facilities, candidates, incidents) against the
    street network of the area: far outside it (with the likely cause), else shifted as if in
    the wrong Chinese coordinate system.

    Parameters
    ----------
    name : the file, for the message
    lon, lat : the points in WGS-84, as read
    net : the area's walk network
    crs_used : the system the file was read in (``PointLayer.crs_used``: ``wgs84``,
        ``cgcs2000``, ``gcj02``, ``bd09`` or ``EPSG:n``); it decides which other systems are
        tried and which ``--crs`` the message names

    Returns
    -------
    list of Warning_
        At most one: :func:`outside_area`'s, else :func:`crs_offset`'s. Without a network
        (``shequ hotspots`` without ``--osm``) the caller has nothing to compare with and
        does not call this.
    """
    return outside_area(name, lon, lat, net) or crs_offset(name, lon, lat, net, crs_used)
