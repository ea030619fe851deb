"""Street-following isochrones: the streets a walker reaches, widened by a street-side buffer.

A polygon is built from the reachable parts of edges: whole edges when both ends are reached
with distance to spare, and the head (or tail) of an edge cut at the exact remaining distance
otherwise. The parts are buffered by the profile's street-side width (default 40 m) and merged.
A convex hull or an alpha shape around reachable nodes would cover blocks the walker never
enters, across rivers and rail lines; this never does. The union per kind (the area served,
the access map's shading) is then decided home by home where there are homes
(:func:`agree_with_homes`), so it never contradicts the homes' own walk minutes.

One bounded Dijkstra per facility (scipy, searched only to the largest band), batched, then the
geometry work in shapely's vectorised calls, on as many threads as cores (GEOS releases the GIL).
The merge is what costs: an edge's buffer is computed once for all polygons, and where large
areas keep covering whole quadtree cells of the network, each cell's buffers are merged once
and the merged cell is reused, which leaves the final union far fewer overlapping shapes. The
area is the same as merging every buffer at once; only the order GEOS merges in changes, so
vertices can differ at the micrometre level.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor

import geopandas as gpd
import numpy as np
import shapely

from shequ.analyses.shortest_paths import bounded_distances
from shequ.geo.network import WalkNetwork

log = logging.getLogger(__name__)

NODE_EPS_M = 0.01
QUAD_SEGS = 4
TILE_M = 25.0  # smallest quadtree cell whose union of edge buffers is kept
TILED_MIN_EDGES = 40  # whole edges from which a polygon takes whole cells' unions


class EdgeCutter:
    """Cuts the head or tail of network edges at given distances (vectorised where it can)."""

    def __init__(self, net: WalkNetwork):
        self.net = net
        seg = np.hypot(*np.diff(net.edge_coords, axis=0).T)
        starts = net.edge_offsets[:-1]
        seg[starts[1:] - 1] = 0.0  # no segment joins the last vertex of one edge to the next
        cum = np.concatenate([[0.0], np.cumsum(seg)])
        self.cum = cum - np.repeat(cum[starts], np.diff(net.edge_offsets))
        # the edges at each node, so a polygon only looks at the edges its walk touches
        ends = np.concatenate([net.edge_u, net.edge_v])
        self.node_edges = np.argsort(ends, kind="stable") % max(net.n_edges, 1)
        self.node_start = np.concatenate([[0], np.cumsum(np.bincount(ends, minlength=net.n_nodes))])

    def incident(self, nodes: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Every (position in ``nodes``, edge) pair of an edge with an end at that node."""
        first = self.node_start[nodes]
        count = self.node_start[nodes + 1] - first
        group = np.cumsum(count)
        at = np.arange(group[-1] if len(group) else 0) - np.repeat(group - count - first, count)
        return np.repeat(np.arange(len(nodes)), count), self.node_edges[at]

    def piece(self, edge: int, start: float, end: float) -> np.ndarray:
        """Vertices of edge ``edge`` between ``start`` and ``end`` metres from its u end."""
        a, b = self.net.edge_offsets[edge], self.net.edge_offsets[edge + 1]
        xy = self.net.edge_coords[a:b]
        cum = self.cum[a:b]
        inner = (cum > start) & (cum < end)
        head = [np.interp(start, cum, xy[:, 0]), np.interp(start, cum, xy[:, 1])]
        tail = [np.interp(end, cum, xy[:, 0]), np.interp(end, cum, xy[:, 1])]
        return np.vstack([head, xy[inner], tail])

    def pieces(self, edges: np.ndarray, start: np.ndarray, end: np.ndarray) -> np.ndarray:
        """LineStrings of many edge pieces at once, each exactly as :meth:`piece` draws it.

        Every piece's head and tail are interpolated with ``np.interp``'s arithmetic (the last
        vertex at or before the distance, then slope times the rest); its inner vertices, a
        contiguous run right after the head's vertex, are copied between them.
        """
        n = len(edges)
        if n == 0:
            return np.empty(0, dtype=object)
        first = self.net.edge_offsets[edges]
        count = self.net.edge_offsets[edges + 1] - first
        group = np.cumsum(count) - count  # where each piece's vertices start below
        owner = np.repeat(np.arange(n), count)
        vertex = np.arange(count.sum()) + np.repeat(first - group, count)
        cum = self.cum[vertex]
        xy = self.net.edge_coords[vertex]
        bounds = np.column_stack([start, end])
        upto = cum[:, None] <= bounds[owner]
        inner = ~upto[:, 0] & (cum < bounds[owner, 1])
        j = group[:, None] + np.add.reduceat(upto.astype(np.int64), group, axis=0) - 1
        last = (group + count - 1)[:, None]
        at = np.clip(j, group[:, None], last)
        ends = xy[at]  # (n, 2 ends, 2 coordinates): clamped or on a vertex, as np.interp
        mid = (j >= group[:, None]) & (at < last) & (cum[at] != bounds)
        jm, xm = at[mid], bounds[mid]
        slope = (xy[jm + 1] - xy[jm]) / (cum[jm + 1] - cum[jm])[:, None]
        ends[mid] = slope * (xm - cum[jm])[:, None] + xy[jm]
        size = np.bincount(owner[inner], minlength=n) + 2
        out = np.cumsum(size) - size
        coords = np.empty((size.sum(), 2))
        coords[out] = ends[:, 0]
        coords[out + size - 1] = ends[:, 1]
        runs = np.flatnonzero(inner)
        coords[runs + (out - j[:, 0])[owner[runs]]] = xy[runs]
        return shapely.linestrings(coords, indices=np.repeat(np.arange(n), size))


def _parts_by_row(
    net: WalkNetwork, cutter: EdgeCutter, dist: np.ndarray, radius_m: float
) -> list[tuple[np.ndarray, np.ndarray]]:
    """For each row of ``dist`` (one search each): the edges reached whole and the other parts.

    The parts are the cut pieces (per cut edge, in edge order: its head from the u end, then
    its tail to the v end, as far as reached), then the nodes reached with (almost) nothing to
    spare. Only edges at reached nodes are looked at: an edge with neither end reached has no
    part. All rows are worked out in the same vectorised calls.
    """
    rows = len(dist)
    m = max(net.n_edges, 1)
    row, node = np.nonzero(dist <= radius_m)
    which, edge = cutter.incident(node)
    key = np.unique(row[which] * m + edge)  # touched edges, by row, then edge
    erow, edge = key // m, key % m
    ru = radius_m - dist[erow, net.edge_u[edge]]
    rv = radius_m - dist[erow, net.edge_v[edge]]
    length = net.edge_length[edge]
    reach_u = ru >= 0
    reach_v = rv >= 0
    full = (
        (reach_u & (ru >= length))
        | (reach_v & (rv >= length))
        | (reach_u & reach_v & (ru + rv >= length))
    )
    cut = ~full
    ru, rv, length = ru[cut], rv[cut], length[cut]
    want = np.column_stack([reach_u[cut] & (ru > NODE_EPS_M), reach_v[cut] & (rv > NODE_EPS_M)])
    want = want.ravel()
    piece_row = np.repeat(erow[cut], 2)[want]
    pieces = cutter.pieces(
        np.repeat(edge[cut], 2)[want],
        np.column_stack([np.zeros(len(ru)), length - rv]).ravel()[want],
        np.column_stack([ru, length]).ravel()[want],
    )
    tight = radius_m - dist[row, node] <= NODE_EPS_M
    points = shapely.points(net.node_xy[node[tight]])
    bounds = np.arange(rows + 1)
    full_at = np.searchsorted(erow[full], bounds)
    piece_at = np.searchsorted(piece_row, bounds)
    point_at = np.searchsorted(row[tight], bounds)
    whole = edge[full]
    return [
        (
            whole[full_at[r] : full_at[r + 1]],
            np.concatenate(
                [pieces[piece_at[r] : piece_at[r + 1]], points[point_at[r] : point_at[r + 1]]]
            ),
        )
        for r in range(rows)
    ]


def reachable_parts(
    net: WalkNetwork, cutter: EdgeCutter, dist: np.ndarray, radius_m: float
) -> tuple[np.ndarray, list[shapely.Geometry]]:
    """Edges reached whole, and the cut parts and tight nodes, within ``radius_m``."""
    [(full, parts)] = _parts_by_row(net, cutter, np.asarray(dist)[None, :], radius_m)
    return full, parts.tolist()


class _Tiles:
    """A quadtree of square cells over the edges (by midpoint), from ``cell_m`` up to one cell.

    ``cell[level][e]`` is edge ``e``'s cell at that level; cells nest: ``parent[level][c]`` is
    the cell one level up holding cell ``c``.
    """

    def __init__(self, net: WalkNetwork, cell_m: float):
        mid = (net.node_xy[net.edge_u] + net.node_xy[net.edge_v]) / 2.0
        origin = mid.min(axis=0) if len(mid) else np.zeros(2)
        base = np.floor((mid - origin) / cell_m).astype(np.int64)
        self.cell: list[np.ndarray] = []
        self.size: list[np.ndarray] = []  # edges per cell
        self.parent: list[np.ndarray] = []
        self.n_children: list[np.ndarray] = [np.empty(0, dtype=np.int64)]
        level = 0
        while True:
            ix = base >> level
            key = ix[:, 0] * (int(ix[:, 1].max(initial=0)) + 1) + ix[:, 1]
            cell = np.unique(key, return_inverse=True)[1].ravel()
            self.cell.append(cell)
            self.size.append(np.bincount(cell))
            if level:
                parent = np.empty(len(self.size[level - 1]), dtype=np.int64)
                parent[self.cell[level - 1]] = cell
                self.parent.append(parent)
                self.n_children.append(np.bincount(parent, minlength=len(self.size[level])))
            if len(self.size[level]) <= 1:
                break
            level += 1
        self._members = _Groups(self.cell[0])
        self._children = [None, *(_Groups(p) for p in self.parent)]

    def members(self, cell: int) -> np.ndarray:
        """The edges of a cell of the finest level."""
        return self._members.of(cell)

    def children(self, level: int, cell: int) -> np.ndarray:
        """The cells one level down that make up ``cell``."""
        return self._children[level].of(cell)

    def cover(self, edges: np.ndarray) -> tuple[list[tuple[int, int]], np.ndarray]:
        """The largest cells all of whose edges are in ``edges`` (coarsest first), and the
        edges left over. Built bottom-up: a cell is whole when all its children are."""
        if len(edges) == 0:
            return [], edges
        cell, inverse, count = np.unique(
            self.cell[0][edges], return_inverse=True, return_counts=True
        )
        whole = count == self.size[0][cell]
        rest = edges[~whole[inverse.ravel()]]
        found = [cell[whole]]
        for level in range(len(self.parent)):
            if len(found[level]) == 0:
                break
            up, inverse, count = np.unique(
                self.parent[level][found[level]], return_inverse=True, return_counts=True
            )
            whole = count == self.n_children[level + 1][up]
            found[level] = found[level][~whole[inverse.ravel()]]  # taken in by the parent
            found.append(up[whole])
        cells = [(level, int(c)) for level in range(len(found) - 1, -1, -1) for c in found[level]]
        return cells, rest


class _Groups:
    """Members of each group of a labelling, by group: ``of(g)`` lists where label == g."""

    def __init__(self, label: np.ndarray):
        self.order = np.argsort(label, kind="stable")
        self.start = np.concatenate([[0], np.cumsum(np.bincount(label))])

    def of(self, group: int) -> np.ndarray:
        return self.order[self.start[group] : self.start[group + 1]]


class _Buffers:
    """Street-side buffers of whole edges, each computed once and shared by every polygon.

    An edge is buffered the first time a polygon takes it. Where polygons keep taking every
    edge of a quadtree cell, the cell's union (built from its sub-cells' unions) is kept and
    taken instead of its buffers: the same area, with far fewer overlapping shapes left for
    the final union. A cell is merged the second time it is wanted, so polygons that share
    nothing do not pay for merges no one reuses.
    """

    def __init__(self, net: WalkNetwork, buffer_m: float):
        self.buffer_m = buffer_m
        self.lines = net.edge_geoms
        self.edges = np.full(net.n_edges, None, dtype=object)
        self.tiles = _Tiles(net, TILE_M)
        self._unions: dict[tuple[int, int], shapely.Geometry] = {}
        self._wanted: set[tuple[int, int]] = set()
        # threads may race on these caches: at worst two of them store the same shape

    def edge_buffers(self, edges: np.ndarray) -> np.ndarray:
        got = self.edges[edges]
        missing = shapely.is_missing(got)
        if missing.any():
            got[missing] = shapely.buffer(
                self.lines[edges[missing]], self.buffer_m, quad_segs=QUAD_SEGS
            )
            self.edges[edges[missing]] = got[missing]
        return got

    def _union(self, level: int, cell: int) -> shapely.Geometry:
        done = self._unions.get((level, cell))
        if done is not None:
            return done
        if level == 0:
            geom = shapely.union_all(self.edge_buffers(self.tiles.members(cell)))
        else:
            below = self.tiles.children(level, cell)
            geom = shapely.union_all([self._union(level - 1, int(c)) for c in below])
        self._unions[(level, cell)] = geom
        return geom

    def _take(self, level: int, cell: int, geoms: list, edges: list) -> None:
        """A whole cell: its union when kept (or wanted before), else its parts."""
        key = (level, cell)
        if key in self._unions or key in self._wanted:
            geoms.append(self._union(level, cell))
            return
        self._wanted.add(key)
        if level == 0:
            edges.append(self.tiles.members(cell))
            return
        for child in self.tiles.children(level, cell):
            self._take(level - 1, int(child), geoms, edges)

    def polygon(self, full: np.ndarray, parts: list[shapely.Geometry]) -> shapely.Geometry:
        # union_all of many small buffers is ~100x faster in GEOS than buffering one collection
        extra = shapely.buffer(np.asarray(parts, dtype=object), self.buffer_m, quad_segs=QUAD_SEGS)
        full = np.asarray(full, dtype=np.int64)
        # a small area rarely takes a whole cell twice: merging cells would not pay off there
        cells, rest = self.tiles.cover(full) if len(full) >= TILED_MIN_EDGES else ([], full)
        geoms: list[shapely.Geometry] = []
        edges = [rest]
        for level, cell in cells:
            self._take(level, cell, geoms, edges)
        pieces = np.concatenate(
            [np.array(geoms, dtype=object), self.edge_buffers(np.concatenate(edges)), extra]
        )
        if len(pieces) == 0:
            return shapely.Polygon()
        return shapely.union_all(pieces)


def facility_isochrones(
    net: WalkNetwork,
    kind: str,
    speed_mps: float,
    fac_ids: np.ndarray,
    fac_node: np.ndarray,
    fac_access_m: np.ndarray,
    fac_xy: np.ndarray,
    minutes: list[float],
    buffer_m: float,
    *,
    progress: Callable[[int], None] | None = None,
) -> gpd.GeoDataFrame:
    """One polygon per facility and band (minutes), walking from the facility's door."""
    cutter = EdgeCutter(net)
    buffers = _Buffers(net, buffer_m)
    bands = sorted(float(m) for m in minutes)
    limit = max(bands) * 60.0 * speed_mps

    def one(
        i: int, band_parts: list[tuple[np.ndarray, np.ndarray]]
    ) -> list[tuple[int, float, shapely.Geometry]]:
        out = []
        for band, (full, parts) in zip(bands, band_parts, strict=True):
            if fac_access_m[i] <= band * 60.0 * speed_mps:
                # the walk from the door to the street, as far as the band reaches
                door = shapely.linestrings([fac_xy[i], net.node_xy[fac_node[i]]])
                parts = np.concatenate([parts, np.array([door], dtype=object)])
            out.append((int(fac_ids[i]), band, buffers.polygon(full, parts)))
        return out

    rows: list[tuple[int, float, shapely.Geometry]] = []

    def collect(futures: list[Future]) -> None:
        for future in futures:
            rows.extend(future.result())
        if progress is not None:
            progress(len(futures))

    # GEOS releases the GIL, so threads put both cores to work on the unions; the next batch's
    # Dijkstra and parts are worked out while they still merge this one's.
    in_flight: list[Future] | None = None
    with ThreadPoolExecutor(max_workers=os.cpu_count() or 1) as pool:
        for idx, dist_batch in bounded_distances(net.csr, fac_node, fac_access_m, limit):
            by_band = [_parts_by_row(net, cutter, dist_batch, b * 60.0 * speed_mps) for b in bands]
            submitted = [
                pool.submit(one, i, [parts[r] for parts in by_band]) for r, i in enumerate(idx)
            ]
            if in_flight is not None:
                collect(in_flight)
            in_flight = submitted
        if in_flight is not None:
            collect(in_flight)
    return gpd.GeoDataFrame(
        {
            "kind": kind,
            "minutes": [r[1] for r in rows],
            "scope": "facility",
            "facility_id": np.array([r[0] for r in rows], dtype=np.int64),
        },
        geometry=[r[2] for r in rows],
        crs=net.crs,
    )


def union_by_kind(isochrones: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """The area served by any facility of a kind, per band (scope ``union``)."""
    if isochrones.empty:
        return isochrones.iloc[0:0].copy()
    groups = list(isochrones.groupby(["kind", "minutes"], sort=True))
    with ThreadPoolExecutor(max_workers=os.cpu_count() or 1) as pool:  # GEOS frees the GIL
        unions = pool.map(
            lambda g: shapely.union_all(g.geometry.to_numpy()), [g for _, g in groups]
        )
        rows = [(kind, band, geom) for ((kind, band), _), geom in zip(groups, unions, strict=True)]
    return gpd.GeoDataFrame(
        {
            "kind": [r[0] for r in rows],
            "minutes": [r[1] for r in rows],
            "scope": "union",
            "facility_id": np.full(len(rows), -1, dtype=np.int64),
        },
        geometry=[r[2] for r in rows],
        crs=isochrones.crs,
    )


def home_cells(home_xy: np.ndarray, radius_m: float) -> tuple[np.ndarray, np.ndarray]:
    """The ground each home speaks for: its Voronoi cell, clipped to ``radius_m`` around it.

    Homes at the same point share one cell. A home lies strictly inside its own cell and
    outside every other one (a cell holds the points nearer to its home than to any other
    home), which is what lets :func:`agree_with_homes` shade or clear a home's cell without
    touching its neighbours.

    Parameters
    ----------
    home_xy : ndarray, shape (n, 2)
        Home coordinates in a metric CRS.
    radius_m : float
        The farthest a cell reaches from its home (the street-side buffer width).

    Returns
    -------
    cells : ndarray of Polygon
        One cell per distinct home point.
    cell_of : ndarray of int, shape (n,)
        The index in ``cells`` of each home's cell; -1 for a home without coordinates.
    """
    xy = np.asarray(home_xy, dtype=float).reshape(-1, 2)
    finite = np.isfinite(xy).all(axis=1)
    cell_of = np.full(len(xy), -1, dtype=np.int64)
    if not finite.any():
        return np.empty(0, dtype=object), cell_of
    points, inverse = np.unique(xy[finite], axis=0, return_inverse=True)
    cell_of[finite] = inverse.ravel()
    discs = shapely.buffer(shapely.points(points), radius_m, quad_segs=QUAD_SEGS)
    if len(points) == 1:
        return discs, cell_of
    envelope = shapely.box(
        *(points.min(axis=0) - 2 * radius_m), *(points.max(axis=0) + 2 * radius_m)
    )
    regions = shapely.voronoi_polygons(
        shapely.multipoints(points), extend_to=envelope, ordered=True
    )
    cells = shapely.intersection(shapely.get_parts(regions), discs)
    return cells, cell_of


def agree_with_homes(
    union: gpd.GeoDataFrame,
    home_xy: np.ndarray,
    minutes: dict[str, np.ndarray],
    radius_m: float,
) -> gpd.GeoDataFrame:
    """Make each kind's area served within N minutes say what the homes say (生活圈覆盖).

    The street-following polygon (:func:`facility_isochrones`, merged by
    :func:`union_by_kind`) shows how far a walker gets along the streets, widened by a fixed
    street-side buffer; a home is measured differently, to its own door: its straight walk to
    the nearest street, then the street network (:mod:`shequ.analyses.access`). So a home 30 m
    from a reached street but attached to another one lies in the shading unserved, and a
    served home 60 m back from its street lies outside a 40 m buffer. On Nanjing's primary
    schools (10 min) that was 21 unserved homes inside the shading and 95 served ones outside:
    a map that contradicts its own dots.

    Each home's cell (:func:`home_cells`) is therefore decided by the home's own minutes, the
    same numbers the home colours and the summary use: for band N,

        area_N = (streets_N − cells of homes not served within N) ∪ cells of homes served
        within N

    Away from homes the shading stays the street-following reach; around each home it follows
    the home. Cells do not overlap and each home is strictly inside its own, so every home
    served within N is inside ``area_N`` and no other home is (a home at the same point as
    another shares its fate; they share the walk). Colouring homes by the street polygon
    instead would have put the disagreement into the numbers of ``summary.csv``.

    Parameters
    ----------
    union : GeoDataFrame
        Rows of scope ``union`` (``kind``, ``minutes``, geometry), as from
        :func:`union_by_kind`.
    home_xy : ndarray, shape (n, 2)
        Home coordinates, in the CRS of ``union``.
    minutes : dict
        Per kind, each home's walk minutes (NaN or inf when unreachable).
    radius_m : float
        How far a home's cell reaches (the street-side buffer width).

    Returns
    -------
    GeoDataFrame
        ``union`` with the corrected polygons (kinds missing from ``minutes`` unchanged).
    """
    out = union.copy()
    if out.empty or len(home_xy) == 0:
        return out
    cells, cell_of = home_cells(home_xy, radius_m)
    geoms = out.geometry.to_numpy().copy()

    def decide(row: int, kind: str, band: float) -> None:
        served_home = np.nan_to_num(np.asarray(minutes[kind], float), nan=np.inf) <= band
        served = np.zeros(len(cells), dtype=bool)
        served[cell_of[served_home & (cell_of >= 0)]] = True
        geoms[row] = _decide_cells(geoms[row], cells, served)

    # each kind and band on its own; GEOS releases the GIL, so threads use every core
    rows = [
        (row, kind, band)
        for row, (kind, band) in enumerate(zip(out["kind"], out["minutes"], strict=True))
        if kind in minutes
    ]
    with ThreadPoolExecutor(max_workers=os.cpu_count() or 1) as pool:
        for done in [pool.submit(decide, *item) for item in rows]:
            done.result()
    out["geometry"] = gpd.GeoSeries(geoms, index=out.index, crs=out.crs)
    return out


def _decide_cells(
    area: shapely.Geometry, cells: np.ndarray, served: np.ndarray
) -> shapely.Geometry:
    """``area`` minus the unserved cells it touches, plus every served cell."""
    if area is None or area.is_empty:
        area = shapely.Polygon()
    shapely.prepare(area)
    unserved = cells[~served]
    touched = unserved[shapely.intersects(area, unserved)]  # the prepared polygon first
    if len(touched):
        area = shapely.difference(area, shapely.union_all(touched))
    if served.any():
        area = shapely.union_all(np.concatenate([[area], cells[served]]))
    return area
