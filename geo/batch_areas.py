"""The areas ``shequ batch`` runs one by one: read from a polygon file, or tiles of a region.

Each area is a polygon (a 街道 or district boundary, or a tile) with an id shown verbatim in the
outputs, a folder name that is safe on every file system (ids come from data and may hold
``/``, ``..`` or characters Windows refuses), and a box: its bounds grown by the walking halo,
in which :func:`shequ.geo.osm_clip.clip_osm` cuts the area's extract.

Tiles (no areas file): the street nodes' bounds are split in halves, along the longer side,
until every tile holds at most ``max_nodes`` street nodes (a k-d split: tiles follow the
density, small in the centre, large in the suburbs). Empty tiles are dropped.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pyproj
import shapely

from shequ.errors import InputError
from shequ.geo.coords import metric_crs
from shequ.geo.osm_clip import Box
from shequ.geo.polygons_file import read_polygon_file
from shequ.i18n import Note
from shequ.rejects import Rejects

WGS84 = pyproj.CRS("EPSG:4326")
_UNSAFE = re.compile(r"[^\w\-.]+")
MAX_KEY_CHARS = 40


@dataclass(frozen=True)
class BatchArea:
    """One area of a batch.

    Attributes
    ----------
    key : str
        Its folder name under ``areas/`` (unique, file-system safe; the row number leads).
    label : str
        Its id as given (the areas file's id column, verbatim), or the tile's name.
    polygon : shapely.Geometry
        The area in WGS-84 (what the analyses are cut to: ``--area``).
    box : Box
        The polygon's bounds grown by the halo (what the extract holds).
    """

    key: str
    label: str
    polygon: shapely.Geometry
    box: Box


def folder_key(index: int, label: str) -> str:
    """A folder name for area ``index`` (1-based) labelled ``label``: ``a0001_<label>`` with
    every run of characters other than letters, digits, ``-``, ``.`` and ``_`` folded to ``_``
    (NFKC first, so full-width digits read as digits), cut to :data:`MAX_KEY_CHARS`. The number
    keeps keys unique and ordered whatever the labels are; ``..`` cannot survive the fold. The
    leading letter keeps a key text: the merged GeoParquet is partitioned by ``area_key=<key>``,
    and a reader infers an all-digit key (``0003``) as the integer 3."""
    text = _UNSAFE.sub("_", unicodedata.normalize("NFKC", label)).strip("._")
    text = text.replace("..", "_")[:MAX_KEY_CHARS].rstrip("._")
    return f"a{index:04d}_{text}" if text else f"a{index:04d}"


def halo_box(polygon: shapely.Geometry, halo_m: float) -> Box:
    """The WGS-84 bounds of ``polygon`` grown by ``halo_m`` metres (measured in the UTM zone of
    the polygon, then the grown square's corners taken back to degrees)."""
    west, south, east, north = polygon.bounds
    crs = metric_crs(west, south, east, north)
    to_m = pyproj.Transformer.from_crs(WGS84, crs, always_xy=True)
    to_deg = pyproj.Transformer.from_crs(crs, WGS84, always_xy=True)
    grown = shapely.transform(polygon, lambda xy: np.column_stack(to_m.transform(*xy.T)))
    x0, y0, x1, y1 = grown.bounds
    xs = np.array([x0 - halo_m, x1 + halo_m, x0 - halo_m, x1 + halo_m])
    ys = np.array([y0 - halo_m, y0 - halo_m, y1 + halo_m, y1 + halo_m])
    lon, lat = to_deg.transform(xs, ys)
    return (float(lon.min()), float(lat.min()), float(lon.max()), float(lat.max()))


def read_areas(
    path: Path, id_column: str | None, crs: str | None, rejects: Rejects, halo_m: float
) -> list[BatchArea]:
    """The areas of a polygon file, one per row, in file order.

    Parameters
    ----------
    path : Path
        A polygon file (.geojson, .gpkg, .shp, .parquet).
    id_column : str, optional
        The column holding each area's id; default ``code``, else ``name`` (their usual
        aliases included, e.g. 编码, 名称), else the row number.
    crs : str, optional
        ``--crs``, for a file that declares none.
    rejects : Rejects
        Rows without a usable polygon.
    halo_m : float
        The walking halo around each area, metres.

    Raises
    ------
    InputError
        The file cannot be read, holds no polygon, names no such id column, or two rows share
        an id (their outputs would be indistinguishable).
    """
    frame, _ = read_polygon_file(path, crs, WGS84, rejects, layer="communities")
    if id_column is not None and id_column not in frame.columns:
        raise InputError(Note("e.batch_id_column", column=id_column), path=path)
    column = id_column or next((c for c in ("code", "name") if c in frame.columns), None)
    if column is None:
        labels = [str(r) for r in frame["row"]]
    else:
        labels = [_label(v, r) for v, r in zip(frame[column], frame["row"], strict=True)]
    seen: dict[str, int] = {}
    for label, row in zip(labels, frame["row"], strict=True):
        if label in seen:
            raise InputError(
                Note("e.batch_duplicate_id", id=label, first=seen[label], row=int(row)), path=path
            )
        seen[label] = int(row)
    _check_overlaps(frame, labels, path)
    areas = []
    for i, (label, geom) in enumerate(zip(labels, frame.geometry, strict=True), start=1):
        areas.append(BatchArea(folder_key(i, label), label, geom, halo_box(geom, halo_m)))
    return areas


OVERLAP_SHARE = 0.01  # areas overlapping by more than this share of the smaller are refused


def _check_overlaps(frame, labels: list[str], path: Path) -> None:
    """Refuse areas that overlap by more than :data:`OVERLAP_SHARE` of the smaller one: their
    homes, households and grids would be counted in both, and the region's sums twice. Slivers
    along shared boundaries (two digitisations of one street) are below it and pass."""
    geoms = np.asarray(frame.geometry.values, dtype=object)
    if len(geoms) < 2:
        return
    crs = metric_crs(*frame.total_bounds)
    metric = np.asarray(frame.to_crs(crs).geometry.values, dtype=object)
    i, j = shapely.STRtree(metric).query(metric, predicate="intersects")
    keep = i < j
    i, j = i[keep], j[keep]
    if not len(i):
        return
    shared = shapely.area(shapely.intersection(metric[i], metric[j]))
    smaller = np.minimum(shapely.area(metric[i]), shapely.area(metric[j]))
    share = shared / np.maximum(smaller, 1e-9)
    bad = np.flatnonzero(share > OVERLAP_SHARE)
    if len(bad):
        k = bad[0]
        a, b = int(i[k]), int(j[k])
        rows = frame["row"].to_numpy()
        raise InputError(
            Note(
                "e.batch_overlap",
                a=labels[a],
                row_a=int(rows[a]),
                b=labels[b],
                row_b=int(rows[b]),
                m2=round(float(shared[k])),
                share=round(100 * float(share[k]), 1),
            ),
            path=path,
        )


def _label(value: object, row: int) -> str:
    """An id cell as text; a blank cell is the row number (the area still runs)."""
    if value is None or (isinstance(value, float) and not np.isfinite(value)):
        return str(row)
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    text = str(value).strip()
    return text or str(row)


def tile_areas(street_xy: np.ndarray, max_nodes: int, halo_m: float) -> list[BatchArea]:
    """Tiles of the street nodes' bounds holding at most ``max_nodes`` street nodes each.

    Parameters
    ----------
    street_xy : ndarray, shape (n, 2)
        Street nodes, lon/lat (:func:`shequ.geo.osm_clip.street_node_lonlat`).
    max_nodes : int
        The most street nodes a tile may hold (bounds the memory of one area's run).
    halo_m : float
        The walking halo around each tile, metres.

    Raises
    ------
    InputError
        No street node (nothing to tile) or ``max_nodes`` below 1.
    """
    if max_nodes < 1:
        raise InputError(Note("e.batch_tile_nodes", n=max_nodes))
    if not len(street_xy):
        raise InputError(Note("e.batch_no_streets"))
    lo, hi = street_xy.min(axis=0), street_xy.max(axis=0)
    pad = 1e-7  # nodes on the outer edge lie inside
    boxes = _split(street_xy, (lo[0] - pad, lo[1] - pad, hi[0] + pad, hi[1] + pad), max_nodes)
    areas = []
    for i, (w, s, e, n) in enumerate(boxes, start=1):
        polygon = shapely.box(w, s, e, n)
        label = f"tile{i:04d}"
        areas.append(BatchArea(label, label, polygon, halo_box(polygon, halo_m)))
    return areas


def _split(xy: np.ndarray, box: Box, max_nodes: int) -> list[Box]:
    """k-d split of ``box`` at the median of its longer side until each part is small enough.

    Points exactly on a cut go to the lower part (``x <= cut``), so every point is in one
    tile; tiles share edges and together cover the box."""
    stack, out = [(xy, box)], []
    while stack:
        pts, (w, s, e, n) = stack.pop()
        if not len(pts):
            continue
        if len(pts) <= max_nodes or (e - w < 1e-6 and n - s < 1e-6):
            out.append((w, s, e, n))
            continue
        axis = 0 if (e - w) >= (n - s) else 1
        cut = float(np.median(pts[:, axis]))
        low = pts[:, axis] <= cut
        if low.all() or not low.any():  # many nodes on one line: cut at the middle instead
            cut = (w + e) / 2 if axis == 0 else (s + n) / 2
            low = pts[:, axis] <= cut
        if axis == 0:
            stack += [(pts[~low], (cut, s, e, n)), (pts[low], (w, s, cut, n))]
        else:
            stack += [(pts[~low], (w, cut, e, n)), (pts[low], (w, s, e, cut))]
    return sorted(out, key=lambda b: (-b[3], b[0]))  # north to south, west to east


__all__ = ["BatchArea", "folder_key", "halo_box", "read_areas", "tile_areas"]
