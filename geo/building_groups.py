"""Dividing a crowded piece of land into groups of whole buildings (楼栋 groups).

A street block or a large compound can hold more households than a grid worker serves, and
OpenStreetMap often has no path inside it to divide along. Grid managers then divide by
buildings: a set of neighbouring 楼栋 goes to one grid, and no building is ever cut. This module
does the same on geometry:

1. *Units* are the building footprints in the piece with the homes inside them (a home outside
   every footprint is a unit of its own), so the households of one building always stay together.
2. Units are clustered by households-weighted k-means (scikit-learn), recursively, until every
   group holds at most ``limit`` households or is a single building.
3. Each group's land is the union of its units' Voronoi cells (GEOS, through shapely) clipped to
   the piece, with every footprint given wholly to its own group, so group borders run between
   buildings, never through one. Left-over bits without homes join the neighbour they share most
   border with; a group whose land falls apart becomes one polygon per part.

Hand-written because no library divides a polygon by weighted point groups without cutting the
footprints around those points; the geometry itself is all GEOS and the clustering scikit-learn.
"""

from __future__ import annotations

from functools import cache

import numpy as np
import shapely
import shapely.errors
from sklearn.cluster import KMeans
from threadpoolctl import ThreadpoolController

SLIVER_M2 = 1.0
GRID_M = 0.001  # precision grid for overlays GEOS cannot do in floating point


def divide_by_buildings(
    piece: shapely.Polygon,
    points: np.ndarray,
    weights: np.ndarray,
    footprints: np.ndarray,
    limit: float,
    *,
    seed: int = 0,
) -> list[shapely.Polygon]:
    """Polygons tiling ``piece``, each with whole buildings and at most ``limit`` households
    where the buildings allow it (a single building above ``limit`` is one polygon).

    ``points`` are the homes' points (``shapely`` Points in the piece), ``weights`` their
    households and ``footprints`` the building polygons near the piece.
    """
    if len(points) < 2 or weights.sum() <= limit:
        return [piece]
    units, unit_fp, bare = _units(piece, points, footprints)
    n_units = int(units.max()) + 1
    w = np.bincount(units, weights=weights, minlength=n_units)
    xy = shapely.get_coordinates(points)
    cx = np.bincount(units, weights=xy[:, 0], minlength=n_units) / np.bincount(units)
    cy = np.bincount(units, weights=xy[:, 1], minlength=n_units) / np.bincount(units)
    unit_xy = np.column_stack([cx, cy])
    group = _cluster(unit_xy, w, limit, seed)
    if group.max() == 0:
        return [piece]
    if len(bare):  # buildings without homes (shops, offices) go whole to the nearest group
        nearest = shapely.STRtree(shapely.points(unit_xy)).query_nearest(
            shapely.point_on_surface(bare)
        )[1]
        fp_group = np.r_[group, group[nearest]]
        unit_fp = unit_fp + list(bare)
    else:
        fp_group = group
    land = _group_land(piece, unit_xy, group, unit_fp, fp_group)
    return _tidy(piece, land, points)


def _units(
    piece: shapely.Polygon, points: np.ndarray, footprints: np.ndarray
) -> tuple[np.ndarray, list, np.ndarray]:
    """Unit of each home (its building, or itself), each unit's footprint clipped to the piece,
    and the clipped footprints that hold no home (shops, offices)."""
    unit = np.full(len(points), -1, dtype=np.int64)
    unit_fp: list = []
    bare = np.empty(0, dtype=object)
    if len(footprints):
        fp = shapely.intersection(shapely.make_valid(footprints), piece)
        fp = fp[shapely.area(fp) > SLIVER_M2]
        p_idx, f_idx = shapely.STRtree(fp).query(points, predicate="intersects")
        first = np.unique(p_idx, return_index=True)[1]
        p_idx, f_idx = p_idx[first], f_idx[first]
        used, inverse = np.unique(f_idx, return_inverse=True)
        unit[p_idx] = inverse
        unit_fp = list(fp[used])
        bare = np.delete(fp, used)
    alone = np.flatnonzero(unit < 0)
    unit[alone] = len(unit_fp) + np.arange(len(alone))
    unit_fp += [None] * len(alone)
    return unit, unit_fp, bare


def _cluster(xy: np.ndarray, w: np.ndarray, limit: float, seed: int) -> np.ndarray:
    """Group labels: recursive weighted k-means until each group is under ``limit`` or one unit.

    The k-means run on one thread: a piece holds tens of units, where starting OpenMP threads
    cost six times the clustering itself (35 of 42 s of the atoms of a 21k-node district; the
    labels are the same). The thread pools are found once (:func:`_threadpools`), not per
    piece (reading the process's libraries took 10 ms each time)."""
    with _threadpools().limit(limits=1):
        return _cluster_units(xy, w, limit, seed)


@cache
def _threadpools() -> ThreadpoolController:
    return ThreadpoolController()


def _cluster_units(xy: np.ndarray, w: np.ndarray, limit: float, seed: int) -> np.ndarray:
    group = np.zeros(len(xy), dtype=np.int64)
    todo = [np.arange(len(xy))]
    while todo:
        idx = todo.pop()
        total = w[idx].sum()
        distinct = len(np.unique(xy[idx], axis=0))
        if total <= limit or distinct < 2:
            continue
        k = int(min(np.ceil(total / limit), distinct))
        km = KMeans(n_clusters=k, n_init=3, random_state=seed)
        lab = km.fit_predict(xy[idx], sample_weight=np.maximum(w[idx], 1e-6))
        parts = [idx[lab == c] for c in range(k) if (lab == c).any()]
        if len(parts) < 2:
            continue
        for part in parts:
            group[part] = group.max() + 1
        todo += parts
    return np.unique(group, return_inverse=True)[1]


def _group_land(
    piece, unit_xy: np.ndarray, group: np.ndarray, unit_fp: list, fp_group: np.ndarray
) -> list:
    """Voronoi land of each group in the piece, footprints kept whole in their group.

    A group's land is its Voronoi cells less the other groups' footprints, plus its own
    footprints; only the other footprints its cells meet can change it, so each group unions
    those (an STRtree query), never every other group's footprints (which made a piece of G
    groups cost G unions of nearly all its buildings). Its own footprints are not cut out and
    added back: the seam that leaves in floating point made slivers and split grids. Where
    footprints of two groups overlap, the first group keeps the overlap, again against only
    the earlier groups' land it meets.
    """
    uniq = np.unique(unit_xy, axis=0)
    cells = shapely.get_parts(shapely.voronoi_polygons(shapely.multipoints(uniq), extend_to=piece))
    pts = shapely.points(unit_xy)
    p_idx, c_idx = shapely.STRtree(cells).query(pts, predicate="intersects")
    cell_group = np.full(len(cells), -1, dtype=np.int64)
    cell_group[c_idx] = group[p_idx]
    n_groups = int(group.max()) + 1
    has_fp = np.array([f is not None for f in unit_fp], dtype=bool)
    fp_arr = np.asarray(unit_fp, dtype=object)[has_fp]
    fp_of = np.asarray(fp_group)[has_fp]
    fps = [shapely.union_all(fp_arr[fp_of == k]) for k in range(n_groups)]
    fp_tree = shapely.STRtree(fp_arr)
    land = []
    for k in range(n_groups):
        cells_k = shapely.union_all(cells[cell_group == k])
        near = fp_tree.query(cells_k, predicate="intersects")
        others = shapely.union_all([fps[j] for j in np.unique(fp_of[near]) if j != k])
        mine = _overlay(shapely.union, _overlay(shapely.difference, cells_k, others), fps[k])
        land.append(_overlay(shapely.intersection, mine, piece))
    land_tree = shapely.STRtree(np.asarray(land, dtype=object))
    out = []
    for k in range(n_groups):  # overlapping footprints: first group keeps the overlap
        earlier = sorted(j for j in land_tree.query(land[k], predicate="intersects") if j < k)
        taken = shapely.union_all([out[j] for j in earlier]) if earlier else shapely.Polygon()
        out.append(_overlay(shapely.difference, land[k], taken))
    return out


def _overlay(op, a, b):
    """A GEOS overlay, retried on a 1 mm precision grid when the floating-point overlay fails
    (it does on some nearly collinear OSM footprint edges)."""
    try:
        return op(a, b)
    except shapely.errors.GEOSException:
        return op(a, b, grid_size=GRID_M)


def _tidy(piece, land: list, points: np.ndarray) -> list:
    """Polygons: parts with homes stay with their group; bare parts and slivers join the
    neighbour with homes they share most border with."""
    rest = _overlay(shapely.difference, piece, shapely.union_all(land))
    parts, owner = [], []
    for k, geom in enumerate([*land, rest]):
        for p in shapely.get_parts(geom):
            if p.geom_type == "Polygon" and p.area > 0:
                parts.append(p)
                owner.append(k)
    parts_arr = np.asarray(parts, dtype=object)
    owner = np.asarray(owner)
    tree = shapely.STRtree(parts_arr)
    has_home = np.zeros(len(parts), dtype=bool)
    has_home[tree.query(points, predicate="intersects")[1]] = True
    solid = has_home & (shapely.area(parts_arr) > SLIVER_M2) & (owner < len(land))
    final = owner.copy()
    solid_idx = np.flatnonzero(solid)
    if len(solid_idx) == 0:
        return [piece]
    solid_tree = shapely.STRtree(parts_arr[solid_idx])
    for i in np.flatnonzero(~solid):
        near = solid_idx[solid_tree.query(parts_arr[i], predicate="intersects")]
        shared = shapely.length(
            shapely.intersection(shapely.boundary(parts_arr[near]), parts_arr[i].boundary)
        )
        if len(near) and shared.max() > 0:
            final[i] = owner[near[np.argmax(shared)]]
        else:  # touches no solid part along a line: the nearest one takes it
            final[i] = owner[solid_idx[solid_tree.query_nearest(parts_arr[i])[0]]]
    out = []
    for k in np.unique(final):
        merged = shapely.union_all(parts_arr[final == k])
        out += [p for p in shapely.get_parts(merged) if p.geom_type == "Polygon" and p.area > 0]
    return out
