"""Compact geometry for large map pages: integer coordinates, delta-encoded, as varint bytes.

A district's basemap written as GeoJSON text spends most of its bytes on digits that repeat
(``[121.04731, 30.90149], [121.04747, 30.90146]``): 31.6 MB for the 337k-node mosaic. Here the
coordinates are rounded to a fixed number of decimals, turned into integers, and each point is
written as its difference from the point before; small differences take one or two bytes as
unsigned LEB128 varints (zig-zag for the signs), and the bytes go into the page as base64. The
page's script (:data:`DECODE_JS`) turns the text back into typed arrays in a few tens of
milliseconds. Nothing is lost beyond the rounding (the same as before).

A layer is three sections in one byte stream, so the encoding is vectorised (no Python loop
over features):

1. parts per feature (``n`` values),
2. points per part (one value per part),
3. the points, as (Δlon, Δlat) pairs, each from the point before (the first from the origin).

A polygon's part is a ring without its closing point (the page closes it); a line's part is a
line. Text (names) never goes through here: it stays JSON and is set with ``textContent``.
"""

from __future__ import annotations

import base64
from typing import Any

import folium
import numpy as np
import shapely

from shequ.maps.overlays import RawHtml

LINE, POLYGON, POINT = "line", "polygon", "point"


def varints(values: np.ndarray) -> bytes:
    """Unsigned LEB128 bytes of non-negative integers (7 bits a byte, low bits first).

    Parameters
    ----------
    values : ndarray of int
        Non-negative, below 2**35.

    Returns
    -------
    bytes
    """
    v = np.asarray(values, dtype=np.int64).ravel()
    if len(v) and int(v.min()) < 0:
        msg = "varints takes non-negative integers: zig-zag signed ones first"
        raise ValueError(msg)
    if len(v) and int(v.max()) >= 1 << 35:  # five bytes hold 35 bits; the page reads no more
        msg = f"varints takes integers below 2**35, not {int(v.max())}"
        raise ValueError(msg)
    width = np.ones(len(v), dtype=np.int64)
    for k in range(1, 5):
        width += v >= (1 << (7 * k))
    end = np.cumsum(width)
    start = end - width
    out = np.zeros(int(end[-1]) if len(v) else 0, dtype=np.uint8)
    for k in range(5):
        at = width > k
        more = (width[at] > k + 1).astype(np.int64) << 7
        out[start[at] + k] = ((v[at] >> (7 * k)) & 0x7F) | more
    return out.tobytes()


def zigzag(values: np.ndarray) -> np.ndarray:
    """Signed integers mapped to non-negative ones (0, -1, 1, -2 … → 0, 1, 2, 3 …)."""
    v = np.asarray(values, dtype=np.int64)
    return (v << 1) ^ (v >> 63)


def quantise(xy: np.ndarray, digits: int) -> np.ndarray:
    """Coordinates as integers of 10**-digits degrees."""
    return np.round(np.asarray(xy, dtype=float) * 10.0**digits).astype(np.int64)


def pack_geometries(geoms: np.ndarray, digits: int) -> dict[str, Any] | None:
    """One layer of lines or polygons, packed (see the module docstring).

    Parameters
    ----------
    geoms : ndarray of shapely geometries
        Lines, polygons or their multi-parts, in lon/lat; missing or empty ones are dropped.
        A layer holding both lines and polygons is packed as two (call once per type).
    digits : int
        Decimals kept (5: about 1 m).

    Returns
    -------
    dict or None
        ``kind`` (``"line"`` or ``"polygon"``), ``n`` (features), ``data`` (base64) and
        ``digits``; None when nothing is left to draw.
    """
    geoms = np.asarray(geoms, dtype=object)
    if len(geoms) == 0:
        return None
    geoms = geoms[~(shapely.is_missing(geoms) | shapely.is_empty(geoms))]
    parts = shapely.get_parts(geoms)
    parts = parts[~shapely.is_empty(parts)]
    kind = shapely.get_type_id(parts)
    polys = parts[kind == 3]
    lines = parts[kind == 1]
    if len(polys) and len(lines):
        msg = "pack_geometries takes lines or polygons, not both: pack them as two layers"
        raise ValueError(msg)
    if len(polys):
        rings_per = 1 + shapely.get_num_interior_rings(polys)
        rings = shapely.get_rings(polys)
        xy, ring = shapely.get_coordinates(rings, return_index=True)
        last = np.r_[ring[1:] != ring[:-1], True]  # a ring's closing point: drawn by the page
        xy, ring = xy[~last], ring[~last]
        counts = np.bincount(ring, minlength=len(rings))
        return _pack(POLYGON, rings_per, counts, xy, digits)
    if len(lines):
        xy, line = shapely.get_coordinates(lines, return_index=True)
        counts = np.bincount(line, minlength=len(lines))
        return _pack(LINE, np.ones(len(lines), dtype=np.int64), counts, xy, digits)
    return None


def pack_points(xy: np.ndarray, digits: int) -> str:
    """Points (lon, lat) as base64 varints of their zig-zag deltas (one section only)."""
    q = quantise(np.asarray(xy, dtype=float).reshape(-1, 2), digits)
    deltas = np.diff(q, axis=0, prepend=np.zeros((1, 2), dtype=np.int64))
    return base64.b64encode(varints(zigzag(deltas.ravel()))).decode("ascii")


def pack_uints(values: np.ndarray) -> str:
    """Non-negative integers as base64 varints."""
    return base64.b64encode(varints(np.asarray(values, dtype=np.int64))).decode("ascii")


def _pack(
    kind: str, parts: np.ndarray, counts: np.ndarray, xy: np.ndarray, digits: int
) -> dict[str, Any]:
    q = quantise(xy, digits)
    deltas = np.diff(q, axis=0, prepend=np.zeros((1, 2), dtype=np.int64))
    data = varints(np.concatenate([parts, counts])) + varints(zigzag(deltas.ravel()))
    return {
        "kind": kind,
        "n": len(parts),
        "digits": digits,
        "data": base64.b64encode(data).decode("ascii"),
    }


def unpack(layer: dict[str, Any]) -> list[list[np.ndarray]]:
    """The features of a packed layer as lists of (k, 2) lon/lat arrays (for tests; the page
    decodes with :data:`DECODE_JS`)."""
    values = unpack_uints(layer["data"])
    n = layer["n"]
    parts = values[:n]
    n_parts = int(parts.sum())
    counts = values[n : n + n_parts]
    xy = _points(values[n + n_parts :], layer["digits"])
    out, at, p = [], 0, 0
    for k in parts:
        feature = []
        for c in counts[p : p + k]:
            feature.append(xy[at : at + c])
            at += c
        p += k
        out.append(feature)
    return out


def unpack_uints(b64: str) -> np.ndarray:
    """The integers of :func:`pack_uints` (for tests)."""
    return _read_varints(np.frombuffer(base64.b64decode(b64), dtype=np.uint8))


def unpack_points(b64: str, digits: int) -> np.ndarray:
    """The (k, 2) lon/lat points of :func:`pack_points` (for tests)."""
    return _points(unpack_uints(b64), digits)


def _points(zigzagged: np.ndarray, digits: int) -> np.ndarray:
    deltas = (zigzagged >> 1) ^ -(zigzagged & 1)
    return np.cumsum(deltas.reshape(-1, 2), axis=0) / 10.0**digits


def _read_varints(raw: np.ndarray) -> np.ndarray:
    ends = np.flatnonzero((raw & 0x80) == 0)
    starts = np.r_[0, ends[:-1] + 1]
    values = np.zeros(len(ends), dtype=np.int64)
    for k in range(5):
        at = starts + k <= ends
        values[at] |= (raw[starts[at] + k].astype(np.int64) & 0x7F) << (7 * k)
    return values


DECODE_JS = """
function shequVarints(b64) {
  /* base64 -> the unsigned varints it holds (maps/packed.py) */
  var s = atob(b64), n = s.length, out = new Int32Array(n), count = 0, v = 0, shift = 0;
  for (var i = 0; i < n; i++) {
    var b = s.charCodeAt(i);
    v |= (b & 127) << shift;
    if (b & 128) { shift += 7; } else { out[count++] = v; v = 0; shift = 0; }
  }
  return out.subarray(0, count);
}
function shequUnpack(layer) {
  /* a packed layer -> {n, partStart, pointStart, lon, lat} (Float64 degrees) */
  var v = shequVarints(layer.data), n = layer.n, scale = Math.pow(10, -layer.digits);
  var partStart = new Int32Array(n + 1), nParts = 0;
  for (var f = 0; f < n; f++) { partStart[f] = nParts; nParts += v[f]; }
  partStart[n] = nParts;
  var pointStart = new Int32Array(nParts + 1), nPoints = 0;
  for (var p = 0; p < nParts; p++) { pointStart[p] = nPoints; nPoints += v[n + p]; }
  pointStart[nParts] = nPoints;
  var lon = new Float64Array(nPoints), lat = new Float64Array(nPoints);
  var at = n + nParts, x = 0, y = 0;
  for (var i = 0; i < nPoints; i++) {
    var a = v[at++], b = v[at++];
    x += (a >>> 1) ^ -(a & 1); y += (b >>> 1) ^ -(b & 1);
    lon[i] = x * scale; lat[i] = y * scale;
  }
  return {kind: layer.kind, n: n, partStart: partStart, pointStart: pointStart, lon: lon, lat: lat};
}
function shequUnpackPoints(b64, digits) {
  var v = shequVarints(b64), n = v.length >> 1, scale = Math.pow(10, -digits);
  var lon = new Float64Array(n), lat = new Float64Array(n), x = 0, y = 0;
  for (var i = 0; i < n; i++) {
    var a = v[2 * i], b = v[2 * i + 1];
    x += (a >>> 1) ^ -(a & 1); y += (b >>> 1) ^ -(b & 1);
    lon[i] = x * scale; lat[i] = y * scale;
  }
  return {lon: lon, lat: lat};
}
"""
"""The page's decoder of :func:`pack_geometries` and :func:`pack_points` (plain ES5)."""


def add_decoder(m: folium.Map) -> None:
    """Put :data:`DECODE_JS` in ``m``'s page head, once however many layers use it."""
    m.get_root().header.add_child(RawHtml(f"<script>{DECODE_JS}</script>"), name="shequ_packed")


__all__ = [
    "DECODE_JS",
    "add_decoder",
    "pack_geometries",
    "pack_points",
    "pack_uints",
    "unpack",
    "unpack_points",
    "unpack_uints",
    "varints",
    "zigzag",
]
