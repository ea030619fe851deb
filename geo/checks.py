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


#: points tested (evenly spaced through the file): the shares compared below are then known to
#: about ±2 percentage points, at a fraction of the time and memory of millions of points
SAMPLE = 2000
#: a reading is judged only when at least this many points lie among the streets in it: with
#: fewer, one share of "points near a street" moves by 5 points a point and chance alone
#: produces the differences looked for (12 random points once raised a GCJ-02 warning)
MIN_POINTS = 20
#: a point farther than this from every street is off the street network in that reading (a
#: river, a park, a dropped street island, beyond the extract's edge) and says nothing about
#: the shift; an urban block is rarely more than 300 m across, so any point inside the street
#: network lies within 150 m of a street
COVER_M = 150.0
#: only points within this distance of the streets' extent are tested (a whole-city POI file
#: against a district extract: the rest are :func:`outside_area`'s business); 1.5 km is more
#: than the largest shift tried (BD-09 from WGS-84: 1.1-1.35 km in eastern China), so a point
#: that a hypothesis would move into the extract is kept
NEAR_EXTENT_M = 1500.0
#: the distances (m) at which the share of points near a street is compared; 5 m steps up to
#: ``COVER_M``: a bus stop lies 0-5 m from the centre line, a shop front 10-30 m, an entrance
#: set back in a compound 30-60 m
STEPS_M = np.arange(5.0, COVER_M, 5.0)
#: how far the chance readings move the points: about the GCJ-02 shift in eastern China
#: (480-550 m), so that chance readings lose their fit exactly as a wrong reading does
CHANCE_M = 500.0
#: chance readings are tried in this many directions around the compass; one counts only
#: with half ``MIN_POINTS`` among the streets, and the test needs ``MIN_CHANCE`` of them
#: (an extract smaller than the shift, Tsim Sha Tsui's 1.4 km between harbour and hills,
#: leaves too few, and a chance level from a dozen points made random points "fit")
MIN_CHANCE = 3
CHANCE_DIRECTIONS = 12
#: ... leaving out those within this angle of a reading being tested (a chance reading that
#: nearly repeats a hypothesis would carry its fit into the chance level)
CLEAR_OF_DEG = 40.0
#: the better reading must put at least this share more of the points near a street than
#: chance does: 15 percentage points. Measured on the Shanghai Amap files and the OSM nodes of
#: four extracts (tests/test_crs_checks.py): the right reading of points by the street scores
#: 0.18-0.21 (restaurants), 0.4-0.5 (metro), 0.7-0.9 (bus stops, street nodes); wrong readings
#: 0-0.16, and points set back in blocks (schools, kindergartens) 0-0.11 in every reading
MIN_EXCESS = 0.15
#: ... and more than this many standard errors of a share from n points (one-sided
#: Kolmogorov-Smirnov: chance exceeds 2.5 / sqrt(n) with probability exp(-2 * 2.5**2) < 4e-6)
NOISE_Z = 2.5
#: ... and more than this multiple of the largest excess one chance reading shows over the
#: others (streets are not uniform: a chance reading that lands on a denser grid, or slides
#: along a long straight street, fits "better than chance" by itself)
NOISE_FACTOR = 2.0
#: the reading as read must show at most this share of the better reading's excess: when
#: both rise above chance the streets cannot tell them apart (a wrong reading's excess is
#: chance-like, 0-0.1; a right one's 0.2-0.7)
AS_READ_SHARE = 0.5
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


@dataclass
class Reading:
    """How the points fit the streets in one reading of the file.

    ``label`` is ``"as read"``, a hypothesis's crs (``gcj02``/``bd09``) or ``"chance <deg>"``;
    ``gaps`` the distance (m) of every sampled point to its nearest street edge; ``excess`` the
    largest amount by which the share of covered points within d metres of a street exceeds the
    chance readings' share at the same d (one-sided Kolmogorov-Smirnov statistic against the
    pooled chance readings; 0 when fewer than ``MIN_POINTS`` are covered).
    """

    label: str
    gaps: np.ndarray
    excess: float = 0.0

    @property
    def covered(self) -> np.ndarray:
        return self.gaps[self.gaps < COVER_M]


def _near_shares(gaps: np.ndarray) -> np.ndarray:
    """Share of ``gaps`` (already < COVER_M) within each of ``STEPS_M``."""
    return np.searchsorted(np.sort(gaps), STEPS_M, side="right") / max(len(gaps), 1)


def _excess(gaps: np.ndarray, pool: np.ndarray, least: int = MIN_POINTS) -> float:
    """One-sided KS statistic: how much more of ``gaps`` than of ``pool`` lies within d of a
    street, at the d where the difference is largest; 0 with fewer than ``least`` gaps."""
    if len(gaps) < least or len(pool) == 0:
        return 0.0
    return float(max(0.0, np.max(_near_shares(gaps) - _near_shares(pool))))


@dataclass
class ShiftFit:
    """Everything :func:`crs_offset` measured: the reading as read, the hypotheses (with their
    warning key and crs) and the chance readings, with the threshold an excess had to pass."""

    as_read: Reading
    hypotheses: list[tuple[str, str, Reading]]
    chance: list[Reading]
    noise: float  # the largest excess of one chance reading over the other chance readings
    pooled: int  # points (covered) in the chance readings together

    def threshold(self, reading: Reading) -> float:
        """The excess over chance a reading needs to count as fitting the streets."""
        n = max(len(reading.covered), 1)
        sampling = NOISE_Z * np.sqrt(1.0 / n + 1.0 / max(self.pooled, 1))
        return float(max(MIN_EXCESS, sampling, NOISE_FACTOR * self.noise))


def measure_fit(
    lon: np.ndarray, lat: np.ndarray, net: WalkNetwork, crs_used: str
) -> ShiftFit | None:
    """Distances of the points to the streets as read, in each other system the file may be
    in (:func:`_hypotheses`) and in chance readings, and each reading's excess over chance.

    A chance reading moves every point ``CHANCE_M`` in one compass direction (clear of the
    hypotheses' own shifts): it keeps the layout of the points and of the streets around
    them but breaks any link between the two, as a wrong coordinate system does. The share
    of points near a street under the chance readings is therefore what a reading gets with
    no fit at all, on this network, for these points; a right reading rises above it. This
    makes the test independent of the street density (a dense grid where every point is
    near some street, a roads-only extract where nothing is) and of the kind of point
    (bus stops on the centre line, shops at the kerb, entrances set back).

    Only points within ``COVER_M`` of a street in a reading count for it: points in a
    river, a park or beyond the extract's edge say nothing about the shift, and a shift
    that carries points out of (or into) the extract would otherwise count as a worse (or
    better) fit. That, and the median of all points, was the old check's weakness.

    Returns None when there is nothing to test: a projected CRS, fewer than ``MIN_POINTS``
    points near the streets' extent, or fewer than ``MIN_CHANCE`` chance readings that keep
    half ``MIN_POINTS`` points among the streets.
    """
    lon, lat = np.asarray(lon, dtype=float), np.asarray(lat, dtype=float)
    hypotheses = _hypotheses(crs_used)
    if len(lon) < MIN_POINTS or not hypotheses:
        return None
    to_metric = pyproj.Transformer.from_crs("EPSG:4326", net.crs, always_xy=True)
    # the streets' extent widened by NEAR_EXTENT_M, as a lon/lat box (its corners and edge
    # midpoints taken back): a plain comparison, cheap on millions of homes
    (x_min, y_min), (x_max, y_max) = net.node_xy.min(axis=0), net.node_xy.max(axis=0)
    widen = np.array([-NEAR_EXTENT_M, 0.0, NEAR_EXTENT_M])
    xs = np.array([x_min, (x_min + x_max) / 2, x_max]) + widen
    ys = np.array([y_min, (y_min + y_max) / 2, y_max]) + widen
    gx, gy = np.meshgrid(xs, ys)
    box_lon, box_lat = to_metric.transform(gx.ravel(), gy.ravel(), direction="INVERSE")
    near = (lon >= box_lon.min()) & (lon <= box_lon.max())
    near &= (lat >= box_lat.min()) & (lat <= box_lat.max())
    if near.sum() < MIN_POINTS:
        return None
    lon, lat = lon[near], lat[near]
    pick = np.unique(np.linspace(0, len(lon) - 1, min(len(lon), SAMPLE)).astype(np.int64))
    lon, lat = lon[pick], lat[pick]
    tree = shapely.STRtree(net.edge_geoms)

    def gaps(px: np.ndarray, py: np.ndarray) -> np.ndarray:
        pts = shapely.points(np.column_stack([px, py]))
        _, dist = tree.query_nearest(pts, return_distance=True, all_matches=False)
        return np.asarray(dist, dtype=float)

    x0, y0 = to_metric.transform(lon, lat)
    as_read = Reading("as read", gaps(x0, y0))
    tested = []
    angles = []
    for key, crs, convert in hypotheses:
        hx, hy = to_metric.transform(*convert(lon, lat))
        tested.append((key, crs, Reading(crs, gaps(hx, hy))))
        angles.append(np.degrees(np.arctan2(np.median(hy - y0), np.median(hx - x0))))
    chance = []
    for step in range(CHANCE_DIRECTIONS):
        angle = 360.0 * step / CHANCE_DIRECTIONS
        off = [abs((angle - a + 180.0) % 360.0 - 180.0) for a in angles]
        if min(off) < CLEAR_OF_DEG:
            continue
        rad = np.radians(angle)
        moved = gaps(x0 + CHANCE_M * np.cos(rad), y0 + CHANCE_M * np.sin(rad))
        if (moved < COVER_M).sum() >= MIN_POINTS // 2:
            chance.append(Reading(f"chance {angle:.0f}", moved))
    if len(chance) < MIN_CHANCE:
        return None
    pool = np.concatenate([r.covered for r in chance])
    noise = 0.0
    for i, r in enumerate(chance):
        others = np.concatenate([c.covered for j, c in enumerate(chance) if j != i])
        r.excess = _excess(r.covered, others, least=MIN_POINTS // 2)
        noise = max(noise, r.excess)
    as_read.excess = _excess(as_read.covered, pool)
    for _, _, reading in tested:
        reading.excess = _excess(reading.covered, pool)
    return ShiftFit(as_read, tested, chance, noise, len(pool))


#: the warning for a web-map export read in its map's own system by default (``--crs`` not
#: given) that fits the streets clearly better as WGS-84: already converted, as the shared
#: Shanghai Amap files are; the fix is to pass ``--crs wgs84``, not to leave a flag out
_EXPORT_DEFAULT_WRONG = {"amap": "warn.crs_amap_default", "baidu": "warn.crs_baidu_default"}


def crs_offset(
    name: str,
    lon: np.ndarray,
    lat: np.ndarray,
    net: WalkNetwork,
    crs_used: str,
    crs_from: str | None = None,
) -> list[Warning_]:
    """Warn when the points fit the streets clearly better read in another system.

    Only the systems the file may really be in, given the one it was read in, are tried (see
    :func:`_hypotheses`): WGS-84 points that are really GCJ-02/BD-09 (``--crs`` forgotten),
    points read with ``--crs gcj02|bd09`` that were WGS-84 already (the conversion moved them a
    few hundred metres) or in the other web-map system. ``lon``/``lat`` are the WGS-84
    positions as read. How each reading fits is measured by :func:`measure_fit` as its
    excess over chance: the largest gain, at any distance d up to ``COVER_M``, in the share
    of points within d of a street over readings moved in arbitrary directions.

    A warning needs all of:

    - a hypothesis whose excess passes :meth:`ShiftFit.threshold`: at least ``MIN_EXCESS``
      (15 points), ``NOISE_Z`` standard errors for its number of points, and twice the excess
      a chance reading shows over the others. Points that fit in no reading (kindergartens set
      back inside blocks of a roads-only extract, random points) have no such hypothesis: no
      warning, since the streets cannot tell;
    - the reading as read not fitting as well: its excess at most ``AS_READ_SHARE`` (half)
      of the hypothesis's. Correct WGS-84 points fit as read, so they are never told to
      convert;
    - the hypothesis's median distance to a street below the one as read, over the points
      among the streets in both readings (the message quotes both medians).

    ``crs_from`` is why the file was read in ``crs_used``
    (:data:`shequ.geo.points_file.CRS_FROM`): for an Amap or Baidu export read in its map's
    system by default, "WGS-84 already" cannot be fixed by leaving out a flag that was never
    given, so that warning tells the user to pass ``--crs wgs84`` instead.

    Returns
    -------
    One warning, for the hypothesis with the largest excess, else none:
    ``warn.crs_not_declared`` (the file is probably in ``crs``: pass ``--crs crs``),
    ``warn.crs_wrongly_declared`` (WGS-84 already: do not pass ``--crs crs``) or, for an
    export read as GCJ-02/BD-09 by default, ``warn.crs_amap_default`` /
    ``warn.crs_baidu_default`` (WGS-84 already: pass ``--crs wgs84``), with ``file``,
    ``now`` and ``then`` (median metres to the nearest street as read and in the better
    reading), ``crs`` and its display ``name``, and ``read``, the display name of the system
    the points were read in.
    """
    fit = measure_fit(lon, lat, net, crs_used)
    if fit is None:
        return []
    key, crs, best = max(fit.hypotheses, key=lambda h: h[2].excess)
    if best.excess < fit.threshold(best) or fit.as_read.excess > AS_READ_SHARE * best.excess:
        return []
    both = (fit.as_read.gaps < COVER_M) & (best.gaps < COVER_M)
    if not both.any():
        return []
    now, then = float(np.median(fit.as_read.gaps[both])), float(np.median(best.gaps[both]))
    if then >= now:
        return []
    params = {
        "file": name,
        "now": now,
        "then": then,
        "crs": crs,
        "name": _NAMES[crs],
        "read": _NAMES.get(crs_used, crs_used),
    }
    if key == "warn.crs_wrongly_declared" and crs_from in _EXPORT_DEFAULT_WRONG:
        key = _EXPORT_DEFAULT_WRONG[crs_from]
    return [Warning_(key, params)]


def point_checks(
    name: str,
    lon: np.ndarray,
    lat: np.ndarray,
    net: WalkNetwork,
    crs_used: str,
    crs_from: str | None = None,
) -> list[Warning_]:
    """Every check of a user point layer (homes, facilities, candidates, incidents) against the
    street network of the area: far outside it (with the likely cause), and, for the points
    near it, shifted as if in the wrong Chinese coordinate system.

    Parameters
    ----------
    name : the file, for the message
    lon, lat : the points in WGS-84, as read
    net : the area's walk network
    crs_used : the system the file was read in (``PointLayer.crs_used``: ``wgs84``,
        ``cgcs2000``, ``gcj02``, ``bd09`` or ``EPSG:n``); it decides which other systems are
        tried and which ``--crs`` the message names
    crs_from : why it was read so (``PointLayer.crs_from``; None: as if ``--crs`` was
        given): an Amap/Baidu export read in its map's system by default is told to pass
        ``--crs wgs84`` when it fits the streets clearly better as WGS-84

    Returns
    -------
    list of Warning_
        :func:`outside_area`'s, then :func:`crs_offset`'s (at most one each: a city-wide POI
        file against a district extract gets both, as it may need both). Without a network
        (``shequ hotspots`` without ``--osm``) the caller has nothing to compare with and
        does not call this.
    """
    return outside_area(name, lon, lat, net) + crs_offset(name, lon, lat, net, crs_used, crs_from)
