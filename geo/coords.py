"""Coordinate systems for Chinese inputs: WGS-84, CGCS2000, GCJ-02, BD-09 and EPSG codes.

Why this module exists: Chinese web maps do not publish WGS-84. Amap (高德) and Tencent use
GCJ-02 ("火星坐标"), a deliberately obfuscated WGS-84 whose offset is a few hundred metres
(roughly 265-621 m across the big cities); Baidu adds a second shift on top of that (BD-09,
about 1-1.4 km from WGS-84). A 15-minute living circle is built from 5-minute (~400 m) walks,
so a point left in GCJ-02 or BD-09 lands in the wrong block, often across the road in another
community. Every input therefore becomes WGS-84 lon/lat before analysis, and distances are
measured in a metric CRS chosen for the area (:func:`metric_crs`).

The obfuscation formulas are the public ones (eviltransform / coordtransform). They have no
closed-form inverse; the usual one-step "inverse" is off by up to a few metres, so the inverses
here iterate on the forward function until the residual is below a micrometre. CGCS2000
(EPSG:4490) agrees with WGS-84 to a few centimetres, far below what this project can see, so it
is treated as WGS-84.

All conversion functions are vectorised: they accept scalars or array-likes, broadcast lon and
lat against each other and return float64 arrays of the broadcast shape (0-d for scalars).
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable
from functools import lru_cache

import numpy as np
import pyproj
from numpy.typing import ArrayLike, NDArray
from pyproj.exceptions import CRSError

from shequ.errors import InputError
from shequ.i18n import Note

__all__ = [
    "CRS_NAMES",
    "bd09_to_gcj02",
    "bd09_to_wgs84",
    "from_wgs84",
    "gcj02_to_bd09",
    "gcj02_to_wgs84",
    "metric_crs",
    "normalise_crs_name",
    "out_of_china",
    "to_wgs84",
    "wgs84_to_bd09",
    "wgs84_to_gcj02",
]

FloatArray = NDArray[np.float64]
BoolArray = NDArray[np.bool_]
Forward = Callable[[FloatArray, FloatArray], tuple[FloatArray, FloatArray]]

#: Named input systems. Any "EPSG:<code>" string naming a geographic or projected CRS that
#: pyproj knows is accepted as well (see :func:`normalise_crs_name`).
CRS_NAMES: tuple[str, ...] = ("wgs84", "cgcs2000", "gcj02", "bd09")

# Krasovsky 1940 ellipsoid, as used by the public GCJ-02 formula.
_KRASOVSKY_A = 6378245.0
_KRASOVSKY_EE = 0.00669342162296594323

# BD-09 constants from the public formula.
_X_PI = math.pi * 3000.0 / 180.0
_BD_DLON = 0.0065
_BD_DLAT = 0.006

# The public algorithm's "is this China?" rectangle (eviltransform). It is deliberately coarse:
# it also covers parts of neighbouring countries, where the shift is applied too.
_CHINA_LON_MIN = 72.004
_CHINA_LON_MAX = 137.8347
_CHINA_LAT_MIN = 0.8293
_CHINA_LAT_MAX = 55.8271

# Iterative inverses stop when the forward residual is below this (degrees; ~0.1 micrometre) or
# after _MAX_ITER steps. The forward offsets change slowly with position (their derivatives are
# far below 1, except within ~1e-12 degrees of lon 105 where the sqrt|x| term is steep), so
# fixed-point iteration gains one to two digits per step and 4-6 steps reach the tolerance;
# the cap only matters for NaN input.
_INVERSE_TOL_DEG = 1e-12
_MAX_ITER = 30

_ALIASES: dict[str, str] = {
    "wgs84": "wgs84",
    "epsg4326": "wgs84",
    "4326": "wgs84",
    "cgcs2000": "cgcs2000",
    "epsg4490": "cgcs2000",
    "4490": "cgcs2000",
    "gcj02": "gcj02",
    "amap": "gcj02",
    "gaode": "gcj02",
    "tencent": "gcj02",
    "bd09": "bd09",
    "bd09ll": "bd09",
    "baidu": "bd09",
}

# CGCS2000 3-degree Gauss-Kruger zones without zone prefix: EPSG:4534 is CM 75E, then one code
# per 3 degrees up to EPSG:4554 = CM 135E (checked against pyproj's EPSG database in the tests).
_GK_FIRST_CODE = 4534
_GK_FIRST_CM = 75
_GK_LAST_CM = 135


# --------------------------------------------------------------------------------------------
# Helpers
# --------------------------------------------------------------------------------------------


def _as_lonlat(lon: ArrayLike, lat: ArrayLike) -> tuple[FloatArray, FloatArray]:
    """Broadcast lon/lat to float64 arrays of one shape (copies, so callers may not alias)."""
    lon_a, lat_a = np.broadcast_arrays(
        np.asarray(lon, dtype=np.float64), np.asarray(lat, dtype=np.float64)
    )
    return lon_a.copy(), lat_a.copy()


def out_of_china(lon: ArrayLike, lat: ArrayLike) -> BoolArray:
    """True where the point lies outside the public algorithm's China rectangle.

    GCJ-02 and BD-09 only shift points inside this rectangle; everywhere else they equal WGS-84.
    The rectangle (not the real border) is what the published algorithm uses, so matching it is
    what makes our conversions agree with Amap/Baidu data near the edges. NaN counts as inside
    (it stays NaN through the conversions).
    """
    lon_a, lat_a = _as_lonlat(lon, lat)
    return (
        (lon_a < _CHINA_LON_MIN)
        | (lon_a > _CHINA_LON_MAX)
        | (lat_a < _CHINA_LAT_MIN)
        | (lat_a > _CHINA_LAT_MAX)
    )


def _transform_lat(x: FloatArray, y: FloatArray) -> FloatArray:
    """The public GCJ-02 latitude polynomial (x, y = lon - 105, lat - 35), in metres-ish units."""
    ret = -100.0 + 2.0 * x + 3.0 * y + 0.2 * y * y + 0.1 * x * y + 0.2 * np.sqrt(np.abs(x))
    ret += (20.0 * np.sin(6.0 * x * np.pi) + 20.0 * np.sin(2.0 * x * np.pi)) * 2.0 / 3.0
    ret += (20.0 * np.sin(y * np.pi) + 40.0 * np.sin(y / 3.0 * np.pi)) * 2.0 / 3.0
    ret += (160.0 * np.sin(y / 12.0 * np.pi) + 320.0 * np.sin(y * np.pi / 30.0)) * 2.0 / 3.0
    return ret


def _transform_lon(x: FloatArray, y: FloatArray) -> FloatArray:
    """The public GCJ-02 longitude polynomial (x, y = lon - 105, lat - 35)."""
    ret = 300.0 + x + 2.0 * y + 0.1 * x * x + 0.1 * x * y + 0.1 * np.sqrt(np.abs(x))
    ret += (20.0 * np.sin(6.0 * x * np.pi) + 20.0 * np.sin(2.0 * x * np.pi)) * 2.0 / 3.0
    ret += (20.0 * np.sin(x * np.pi) + 40.0 * np.sin(x / 3.0 * np.pi)) * 2.0 / 3.0
    ret += (150.0 * np.sin(x / 12.0 * np.pi) + 300.0 * np.sin(x / 30.0 * np.pi)) * 2.0 / 3.0
    return ret


def _gcj_offset(lon: FloatArray, lat: FloatArray) -> tuple[FloatArray, FloatArray]:
    """GCJ-02 minus WGS-84 (degrees) at a WGS-84 point, ignoring the China rectangle."""
    x = lon - 105.0
    y = lat - 35.0
    rad_lat = np.radians(lat)
    magic = 1.0 - _KRASOVSKY_EE * np.sin(rad_lat) ** 2
    sqrt_magic = np.sqrt(magic)
    dlat = (_transform_lat(x, y) * 180.0) / (
        (_KRASOVSKY_A * (1.0 - _KRASOVSKY_EE)) / (magic * sqrt_magic) * np.pi
    )
    dlon = (_transform_lon(x, y) * 180.0) / (_KRASOVSKY_A / sqrt_magic * np.cos(rad_lat) * np.pi)
    return dlon, dlat


def _gcj_forward(lon: FloatArray, lat: FloatArray) -> tuple[FloatArray, FloatArray]:
    """WGS-84 -> GCJ-02 without the rectangle test."""
    dlon, dlat = _gcj_offset(lon, lat)
    return lon + dlon, lat + dlat


def _bd_forward(lon: FloatArray, lat: FloatArray) -> tuple[FloatArray, FloatArray]:
    """GCJ-02 -> BD-09 without the rectangle test (the public formula)."""
    z = np.hypot(lon, lat) + 0.00002 * np.sin(lat * _X_PI)
    theta = np.arctan2(lat, lon) + 0.000003 * np.cos(lon * _X_PI)
    return z * np.cos(theta) + _BD_DLON, z * np.sin(theta) + _BD_DLAT


def _bd_one_step_inverse(lon: FloatArray, lat: FloatArray) -> tuple[FloatArray, FloatArray]:
    """The public one-step BD-09 -> GCJ-02 approximation; a good start for the iteration."""
    x = lon - _BD_DLON
    y = lat - _BD_DLAT
    z = np.hypot(x, y) - 0.00002 * np.sin(y * _X_PI)
    theta = np.arctan2(y, x) - 0.000003 * np.cos(x * _X_PI)
    return z * np.cos(theta), z * np.sin(theta)


def _iterate_inverse(
    forward: Forward,
    target_lon: FloatArray,
    target_lat: FloatArray,
    lon: FloatArray,
    lat: FloatArray,
) -> tuple[FloatArray, FloatArray]:
    """Solve forward(p) = target by fixed-point iteration p <- p - (forward(p) - target).

    The forward maps are the identity plus a small, slowly varying shift, so this converges
    geometrically. NaN residuals (NaN input) are ignored for the stopping test.
    """
    for _ in range(_MAX_ITER):
        f_lon, f_lat = forward(lon, lat)
        r_lon = f_lon - target_lon
        r_lat = f_lat - target_lat
        lon = lon - r_lon
        lat = lat - r_lat
        worst = np.fmax(np.abs(r_lon), np.abs(r_lat))
        if not np.any(worst >= _INVERSE_TOL_DEG):
            break
    return lon, lat


def _gcj_inverse_raw(lon: FloatArray, lat: FloatArray) -> tuple[FloatArray, FloatArray]:
    """GCJ-02 -> WGS-84 ignoring the rectangle, iterated from the one-step estimate."""
    dlon, dlat = _gcj_offset(lon, lat)
    return _iterate_inverse(_gcj_forward, lon, lat, lon - dlon, lat - dlat)


def _bd_inverse_raw(lon: FloatArray, lat: FloatArray) -> tuple[FloatArray, FloatArray]:
    """BD-09 -> GCJ-02 ignoring the rectangle, iterated from the one-step estimate."""
    start_lon, start_lat = _bd_one_step_inverse(lon, lat)
    return _iterate_inverse(_bd_forward, lon, lat, start_lon, start_lat)


def _unshift(
    in_lon: FloatArray, in_lat: FloatArray, pre_lon: FloatArray, pre_lat: FloatArray
) -> tuple[FloatArray, FloatArray]:
    """Pick the inverse result: the shifted pre-image if it lies in China, else the input.

    The forward maps test the rectangle on their *input* (the unshifted point). So a shifted
    point came from inside China exactly when its pre-image is inside; otherwise the forward
    was the identity. Testing the pre-image (rather than the shifted input, as the one-step
    public code does) keeps the round trip exact for every point in the rectangle, including
    the strip along its north and east edges where the (always north-east) shift crosses the
    edge. The forward is not one-to-one there, so the price is paid just outside: a point
    within ~0.01 degrees beyond the north or east edge (Russia, central Japan) is read as a
    shifted point from inside. Points where no pre-image exists at all (just inside those
    edges) get the pre-image computed as if the shift applied.
    """
    outside = out_of_china(pre_lon, pre_lat)
    return np.where(outside, in_lon, pre_lon), np.where(outside, in_lat, pre_lat)


# --------------------------------------------------------------------------------------------
# Public conversions
# --------------------------------------------------------------------------------------------


def wgs84_to_gcj02(lon: ArrayLike, lat: ArrayLike) -> tuple[FloatArray, FloatArray]:
    """WGS-84 -> GCJ-02 (Amap/Tencent), the public Krasovsky-ellipsoid formula.

    Used to write results back in a client's GCJ-02 system. Identity outside China.
    """
    lon_a, lat_a = _as_lonlat(lon, lat)
    g_lon, g_lat = _gcj_forward(lon_a, lat_a)
    outside = out_of_china(lon_a, lat_a)
    return np.where(outside, lon_a, g_lon), np.where(outside, lat_a, g_lat)


def gcj02_to_wgs84(lon: ArrayLike, lat: ArrayLike) -> tuple[FloatArray, FloatArray]:
    """GCJ-02 -> WGS-84 by iterating on the forward formula (error ~1e-11 degrees).

    The common one-step inverse (subtract the offset evaluated at the GCJ point) is wrong by up
    to a few metres; iterating removes that. Identity for points not shifted by the forward.
    """
    lon_a, lat_a = _as_lonlat(lon, lat)
    pre_lon, pre_lat = _gcj_inverse_raw(lon_a, lat_a)
    return _unshift(lon_a, lat_a, pre_lon, pre_lat)


def gcj02_to_bd09(lon: ArrayLike, lat: ArrayLike) -> tuple[FloatArray, FloatArray]:
    """GCJ-02 -> BD-09 (Baidu), the public formula; identity outside China (tested on GCJ)."""
    lon_a, lat_a = _as_lonlat(lon, lat)
    b_lon, b_lat = _bd_forward(lon_a, lat_a)
    outside = out_of_china(lon_a, lat_a)
    return np.where(outside, lon_a, b_lon), np.where(outside, lat_a, b_lat)


def bd09_to_gcj02(lon: ArrayLike, lat: ArrayLike) -> tuple[FloatArray, FloatArray]:
    """BD-09 -> GCJ-02: the public one-step formula refined by iteration on the forward.

    The one-step formula alone is off by up to ~0.2 m; iterating
    makes gcj02_to_bd09 and this function exact inverses inside China.
    """
    lon_a, lat_a = _as_lonlat(lon, lat)
    pre_lon, pre_lat = _bd_inverse_raw(lon_a, lat_a)
    return _unshift(lon_a, lat_a, pre_lon, pre_lat)


def wgs84_to_bd09(lon: ArrayLike, lat: ArrayLike) -> tuple[FloatArray, FloatArray]:
    """WGS-84 -> BD-09: GCJ-02 shift then Baidu shift; identity outside China.

    The rectangle is tested once, on the WGS-84 input, so a point whose GCJ-02 image crosses
    the rectangle edge still gets both shifts and :func:`bd09_to_wgs84` undoes it exactly.
    """
    lon_a, lat_a = _as_lonlat(lon, lat)
    b_lon, b_lat = _bd_forward(*_gcj_forward(lon_a, lat_a))
    outside = out_of_china(lon_a, lat_a)
    return np.where(outside, lon_a, b_lon), np.where(outside, lat_a, b_lat)


def bd09_to_wgs84(lon: ArrayLike, lat: ArrayLike) -> tuple[FloatArray, FloatArray]:
    """BD-09 -> WGS-84: iterative inverses of both shifts; inverse of :func:`wgs84_to_bd09`."""
    lon_a, lat_a = _as_lonlat(lon, lat)
    pre_lon, pre_lat = _gcj_inverse_raw(*_bd_inverse_raw(lon_a, lat_a))
    return _unshift(lon_a, lat_a, pre_lon, pre_lat)


# --------------------------------------------------------------------------------------------
# CRS names and general conversion
# --------------------------------------------------------------------------------------------


def _bad_crs(name: object, key: str = "e.crs_unknown") -> InputError:
    """The error for a CRS name shequ cannot use, listing the names it can."""
    return InputError(Note(key, name=name, accepted=Note("in.crs_accepted")))


def _check_epsg(code: int, name: object) -> str:
    """Return "EPSG:<code>" if pyproj knows it as a geographic or projected CRS."""
    try:
        crs = pyproj.CRS.from_epsg(code)
    except CRSError:
        raise _bad_crs(name, "e.crs_unknown_epsg") from None
    if not (crs.is_geographic or crs.is_projected):
        raise _bad_crs(name, "e.crs_not_usable")
    return f"EPSG:{code}"


def normalise_crs_name(name: str) -> str:
    """Map a user's CRS name to "wgs84", "cgcs2000", "gcj02", "bd09" or "EPSG:<code>".

    Config files and CLI flags spell these many ways ("WGS-84", "epsg:4326", "Baidu", "4547");
    one canonical name lets the rest of the code branch on a fixed set. Case, spaces, "-", "_"
    and ":" are ignored.

    Parameters
    ----------
    name : str
        The name as the user wrote it (``--crs``, a profile, a file's ``EPSG:n``).

    Returns
    -------
    str
        ``wgs84``, ``cgcs2000``, ``gcj02``, ``bd09`` or ``EPSG:<code>``.

    Raises
    ------
    InputError
        For an unknown name, an EPSG code pyproj does not know, or one that is neither
        geographic nor projected; the message lists the names accepted.
    """
    if not isinstance(name, str):
        raise _bad_crs(name)
    key = re.sub(r"[\s_:\-]+", "", name).lower()
    if key in _ALIASES:
        return _ALIASES[key]
    match = re.fullmatch(r"(?:epsg)?(\d+)", key)
    if match is None:
        raise _bad_crs(name)
    return _check_epsg(int(match.group(1)), name)


@lru_cache(maxsize=64)
def _transformer(src: str, dst: str) -> pyproj.Transformer:
    """Cached transformer in lon/lat-first (x/y) axis order, whatever the CRS axis order."""
    return pyproj.Transformer.from_crs(src, dst, always_xy=True)


def to_wgs84(x: ArrayLike, y: ArrayLike, crs: str) -> tuple[FloatArray, FloatArray]:
    """Convert coordinates in any accepted CRS to WGS-84 lon/lat (degrees).

    ``x``/``y`` are lon/lat for geographic systems and easting/northing for projected ones,
    whatever axis order the EPSG definition declares (EPSG:4490 is officially lat/lon; a
    CGCS2000 Gauss-Kruger CRS is northing/easting). Old Chinese datums (Beijing 1954, Xian 1980)
    may only have a ballpark transformation in PROJ, good to about 100 m.
    """
    name = normalise_crs_name(crs)
    x_a, y_a = _as_lonlat(x, y)
    if name in ("wgs84", "cgcs2000"):
        return x_a, y_a
    if name == "gcj02":
        return gcj02_to_wgs84(x_a, y_a)
    if name == "bd09":
        return bd09_to_wgs84(x_a, y_a)
    lon, lat = _transformer(name, "EPSG:4326").transform(x_a, y_a)
    return _as_lonlat(lon, lat)


def from_wgs84(lon: ArrayLike, lat: ArrayLike, crs: str) -> tuple[FloatArray, FloatArray]:
    """Convert WGS-84 lon/lat to any accepted CRS, to write outputs in the client's system.

    Returns lon/lat for geographic systems and easting/northing for projected ones (x first).
    """
    name = normalise_crs_name(crs)
    lon_a, lat_a = _as_lonlat(lon, lat)
    if name in ("wgs84", "cgcs2000"):
        return lon_a, lat_a
    if name == "gcj02":
        return wgs84_to_gcj02(lon_a, lat_a)
    if name == "bd09":
        return wgs84_to_bd09(lon_a, lat_a)
    x, y = _transformer("EPSG:4326", name).transform(lon_a, lat_a)
    return _as_lonlat(x, y)


# --------------------------------------------------------------------------------------------
# Metric CRS for an area
# --------------------------------------------------------------------------------------------


def _bbox_centre(
    lon_min: float, lat_min: float, lon_max: float, lat_max: float
) -> tuple[float, float]:
    values = (lon_min, lat_min, lon_max, lat_max)
    if not all(math.isfinite(float(v)) for v in values):
        raise InputError(Note("e.bbox_not_finite", values=values))
    if lon_min > lon_max or lat_min > lat_max:
        raise InputError(Note("e.bbox_min_max", values=values))
    if lon_min < -180 or lon_max > 180 or lat_min < -90 or lat_max > 90:
        raise InputError(Note("e.bbox_not_degrees", values=values))
    return (lon_min + lon_max) / 2.0, (lat_min + lat_max) / 2.0


def _utm_crs(lon: float, lat: float) -> pyproj.CRS:
    """WGS-84 UTM zone (EPSG:326zz north, 327zz south) containing the point."""
    if not -80.0 <= lat <= 84.0:
        raise InputError(Note("e.utm_coverage", lat=lat))
    zone = min(math.floor((lon + 180.0) / 6.0) + 1, 60)
    return pyproj.CRS.from_epsg((32600 if lat >= 0 else 32700) + zone)


def _cgcs2000_gk_crs(lon: float) -> pyproj.CRS:
    """CGCS2000 3-degree Gauss-Kruger zone (no zone prefix) with the nearest central meridian."""
    cm = 3 * math.floor(lon / 3.0 + 0.5)
    if not _GK_FIRST_CM <= cm <= _GK_LAST_CM:
        raise InputError(Note("e.gk_zone", lon=lon, first=_GK_FIRST_CM, last=_GK_LAST_CM))
    return pyproj.CRS.from_epsg(_GK_FIRST_CODE + (cm - _GK_FIRST_CM) // 3)


def metric_crs(
    lon_min: float, lat_min: float, lon_max: float, lat_max: float, *, kind: str = "utm"
) -> pyproj.CRS:
    """The metric CRS to measure distances in, for a WGS-84 lon/lat bounding box.

    Walking distances need metres with small scale error: a transverse Mercator zone centred
    near the area keeps it below ~0.1% (UTM) or ~0.01% (3-degree Gauss-Kruger). ``kind="utm"``
    gives the WGS-84 UTM zone of the bbox centre; ``kind="cgcs2000_gk"`` gives the CGCS2000
    3-degree Gauss-Kruger zone (EPSG:4534-4554) that Chinese planning bureaus deliver data in.

    Parameters
    ----------
    lon_min, lat_min, lon_max, lat_max : float
        The study area's bounds in WGS-84 degrees.
    kind : {"utm", "cgcs2000_gk"}
        Which family of zones.

    Returns
    -------
    pyproj.CRS

    Raises
    ------
    InputError
        For bounds that are not finite lon/lat degrees (or min above max), an area outside
        UTM (80°S to 84°N) or outside the CGCS2000 zones, or an unknown ``kind``.
    """
    lon, lat = _bbox_centre(lon_min, lat_min, lon_max, lat_max)
    if kind == "utm":
        return _utm_crs(lon, lat)
    if kind == "cgcs2000_gk":
        return _cgcs2000_gk_crs(lon)
    raise InputError(Note("e.metric_kind", kind=kind))
