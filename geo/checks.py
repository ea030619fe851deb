"""Sanity checks on user point layers against the study area.

Two mistakes are common and silent: latitude and longitude exchanged, and Chinese web-map
coordinates (GCJ-02 from Amap/Tencent, BD-09 from Baidu) read as WGS-84. The first throws points
kilometres away; the second shifts them a few hundred metres, which still lands a facility in the
wrong block. These checks name the likely cause so the user can fix the input.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pyproj
import shapely

from shequ.geo.coords import bd09_to_wgs84, gcj02_to_wgs84
from shequ.geo.network import WalkNetwork

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


def crs_offset(name: str, lon: np.ndarray, lat: np.ndarray, net: WalkNetwork) -> list[Warning_]:
    """Warn when converting the points from GCJ-02 or BD-09 would put them much nearer streets."""
    if len(lon) < 5:
        return []
    to_metric = pyproj.Transformer.from_crs("EPSG:4326", net.crs, always_xy=True)
    tree = shapely.STRtree(net.edge_geoms)

    def median_gap(x: np.ndarray, y: np.ndarray) -> float:
        px, py = to_metric.transform(x, y)
        pts = shapely.points(np.column_stack([px, py]))
        _, dist = tree.query_nearest(pts, return_distance=True, all_matches=False)
        return float(np.median(dist))

    now = median_gap(lon, lat)
    if now < 20.0:
        return []
    for crs, convert in (("gcj02", gcj02_to_wgs84), ("bd09", bd09_to_wgs84)):
        then = median_gap(*convert(lon, lat))
        if then < 0.5 * now:
            return [Warning_("warn.offset", {"file": name, "now": now, "then": then, "crs": crs})]
    return []
