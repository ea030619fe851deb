"""Attach homes and facilities to the nearest walkable edge, inserting a node where they meet.

Snapping to the nearest *node* (what most tools do) can put a building on a street it does not
face, or add a long phantom walk to the next intersection; snapping to the nearest point on an
edge and splitting the edge there keeps walk distances honest. The attachment is recorded as the
inserted (or coinciding) ``node_id`` and ``access_m``, the straight distance from the point to
the street. Points farther than the profile's limit are not attached and say why.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import shapely

from shequ.geo.network import MIN_EDGE_M, WalkNetwork

SAME_SPOT_M = 1e-3  # an attachment this close to an edge end reuses that end node
# Points queried at a time: a shapely point costs ~176 bytes, so a million homes made into
# points at once would add ~0.2 GB for nothing; in batches the peak stays flat.
SNAP_BATCH = 200_000


@dataclass
class Attachment:
    """Where each point joined the network (``node_id`` -1 where it could not)."""

    node_id: np.ndarray  # int64
    access_m: np.ndarray  # float64, NaN where not attached
    edge_id: np.ndarray  # int64 edge of the network *before* insertion, -1 where not attached


def attach_points(
    net: WalkNetwork, xy: np.ndarray, max_access_m: float
) -> tuple[WalkNetwork, Attachment]:
    """Attach points (metric ``xy``, shape (p, 2)) to their nearest edge within ``max_access_m``.

    Returns a new network with a node inserted at each attachment point (edges split there) and
    the attachment of every point. Points at the same spot on an edge share one node.
    """
    xy = np.asarray(xy, dtype=np.float64).reshape(-1, 2)
    n_points = len(xy)
    node_id = np.full(n_points, -1, dtype=np.int64)
    edge_id = np.full(n_points, -1, dtype=np.int64)
    if n_points == 0 or net.n_edges == 0:
        return net, Attachment(node_id, np.full(n_points, np.nan), edge_id)
    tree = shapely.STRtree(net.edge_geoms)
    found: list[tuple[np.ndarray, np.ndarray, np.ndarray]] = []
    for start in range(0, n_points, SNAP_BATCH):
        points = shapely.points(xy[start : start + SNAP_BATCH])
        (p, e), _ = tree.query_nearest(
            points, max_distance=max_access_m, return_distance=True, all_matches=False
        )
        found.append((p + start, e, shapely.line_locate_point(net.edge_geoms[e], points[p])))
    p_idx, e_idx, pos = (np.concatenate(parts) for parts in zip(*found, strict=True))
    edge_id[p_idx] = e_idx
    length = shapely.length(net.edge_geoms[e_idx])
    at_u = pos <= SAME_SPOT_M
    at_v = pos >= length - SAME_SPOT_M
    node_id[p_idx[at_u]] = net.edge_u[e_idx[at_u]]
    node_id[p_idx[at_v & ~at_u]] = net.edge_v[e_idx[at_v & ~at_u]]
    inner = ~(at_u | at_v)
    new_net, inner_nodes = _split_edges(net, e_idx[inner], pos[inner])
    node_id[p_idx[inner]] = inner_nodes
    access = np.full(n_points, np.nan)
    ok = node_id >= 0
    access[ok] = np.hypot(*(xy[ok] - new_net.node_xy[node_id[ok]]).T)
    return new_net, Attachment(node_id, access, edge_id)


def nearest_edges(net: WalkNetwork, xy: np.ndarray, max_access_m: float) -> np.ndarray:
    """The edge each point would attach to (-1: no street within ``max_access_m``).

    The same nearest-edge query :func:`attach_points` makes, without splitting anything: it
    tells which street island a point belongs to before the islands are chosen.
    """
    xy = np.asarray(xy, dtype=np.float64).reshape(-1, 2)
    edge_id = np.full(len(xy), -1, dtype=np.int64)
    if len(xy) == 0 or net.n_edges == 0:
        return edge_id
    tree = shapely.STRtree(net.edge_geoms)
    for start in range(0, len(xy), SNAP_BATCH):
        points = shapely.points(xy[start : start + SNAP_BATCH])
        p, e = tree.query_nearest(points, max_distance=max_access_m, all_matches=False)
        edge_id[p + start] = e
    return edge_id


def island_of_points(
    net: WalkNetwork, xy: np.ndarray, max_access_m: float
) -> tuple[np.ndarray, np.ndarray]:
    """Which street islands points hold, and the island each will attach to once they are kept.

    A point holds the *largest* island with a street within ``max_access_m`` of it, not
    necessarily the island of its nearest street: footway fragments inside a compound (a path
    whose link to the gate is not mapped) are islands of a few nodes beside the streets the
    residents walk out to, and keeping them would cut those homes off (10 of 109 homes in
    ``beijing_haidian_liudaokou_small.osm``). An island is held only by points with no larger
    island within reach: a district cut off by a river, or a fragment far from every street.

    Parameters
    ----------
    net : WalkNetwork
        Every island; component labels from ``net.component``.
    xy : ndarray
        Points, metric CRS, shape (p, 2).
    max_access_m : float
        The attachment reach.

    Returns
    -------
    held : ndarray of bool
        Per component label: an island some point holds.
    island : ndarray of int
        Per point, the label of the island it attaches to when only the held islands are kept
        (its nearest street among them, as :func:`attach_points` will find); -1 when no street
        is within reach.
    """
    xy = np.asarray(xy, dtype=np.float64).reshape(-1, 2)
    labels = net.component
    n_comp = int(labels.max()) + 1 if net.n_nodes else 0
    edge_island = labels[net.edge_u]
    edge = nearest_edges(net, xy, max_access_m)
    near = np.where(edge >= 0, edge_island[np.maximum(edge, 0)], -1)
    held_by = near.copy()
    size = net.island_street_nodes()
    order = np.lexsort((np.arange(n_comp), -size))  # largest first, ties by label
    rank = np.empty(n_comp, dtype=np.int64)
    rank[order] = np.arange(n_comp)
    by_island = np.argsort(edge_island, kind="stable")
    starts = np.searchsorted(edge_island[by_island], np.arange(n_comp + 1))
    rest = np.flatnonzero((near >= 0) & (rank[np.maximum(near, 0)] > 0))
    for c in order:
        rest = rest[rank[near[rest]] > rank[c]]  # nearest island smaller than this one
        if len(rest) == 0:
            break
        tree = shapely.STRtree(net.edge_geoms[by_island[starts[c] : starts[c + 1]]])
        hit, _ = tree.query_nearest(
            shapely.points(xy[rest]), max_distance=max_access_m, all_matches=False
        )
        hit = np.unique(hit)
        held_by[rest[hit]] = c
        rest = np.delete(rest, hit)
    held = np.bincount(held_by[held_by >= 0], minlength=n_comp) > 0
    island = np.where((near >= 0) & held[np.maximum(near, 0)], near, -1)
    moved = np.flatnonzero((near >= 0) & (island < 0))  # nearest island dropped: next kept one
    if len(moved):
        kept_edges = np.flatnonzero(held[edge_island])
        tree = shapely.STRtree(net.edge_geoms[kept_edges])
        p, e = tree.query_nearest(
            shapely.points(xy[moved]), max_distance=max_access_m, all_matches=False
        )
        island[moved[p]] = edge_island[kept_edges[e]]
    return held, island


def _split_edges(
    net: WalkNetwork, e_idx: np.ndarray, pos: np.ndarray
) -> tuple[WalkNetwork, np.ndarray]:
    """Split edges at positions along them; returns the new network and the node per position."""
    if len(e_idx) == 0:
        return net, np.empty(0, dtype=np.int64)
    # One node per distinct (edge, position), rounded to a millimetre.
    key_pos = np.round(pos / SAME_SPOT_M).astype(np.int64)
    keys = np.column_stack([e_idx, key_pos])
    uniq, inverse = np.unique(keys, axis=0, return_inverse=True)
    inverse = inverse.ravel()
    uniq_edge = uniq[:, 0]
    uniq_pos = np.zeros(len(uniq))
    np.maximum.at(uniq_pos, inverse, pos)  # representative position of each rounded key
    new_node = net.n_nodes + np.arange(len(uniq))
    new_xy = shapely.get_coordinates(
        shapely.line_interpolate_point(net.edge_geoms[uniq_edge], uniq_pos)
    )

    split = np.zeros(net.n_edges, dtype=bool)
    split[uniq_edge] = True
    coords_out, counts_out, u_out, v_out, way_out, hw_out = [], [], [], [], [], []
    # Unsplit edges are copied as they are; split ones replaced by their pieces.
    keep = ~split
    starts, ends = net.edge_offsets[:-1], net.edge_offsets[1:]
    coord_mask = np.repeat(keep, ends - starts)
    coords_out.append(net.edge_coords[coord_mask])
    counts_out.append((ends - starts)[keep])
    u_out.append(net.edge_u[keep])
    v_out.append(net.edge_v[keep])
    way_out.append(net.edge_way_id[keep])
    hw_out.append(net.edge_highway[keep])

    order = np.lexsort((uniq_pos, uniq_edge))
    group_edges, group_start = np.unique(uniq_edge[order], return_index=True)
    group_end = np.append(group_start[1:], len(order))
    for edge, gs, ge in zip(group_edges, group_start, group_end, strict=True):
        members = order[gs:ge]
        coords = net.edge_coords[starts[edge] : ends[edge]]
        pieces = _cut_polyline(coords, uniq_pos[members], new_xy[members])
        chain = np.concatenate([[net.edge_u[edge]], new_node[members], [net.edge_v[edge]]])
        for piece in pieces:
            coords_out.append(piece)
            counts_out.append(np.array([len(piece)]))
        u_out.append(chain[:-1])
        v_out.append(chain[1:])
        way_out.append(np.full(len(pieces), net.edge_way_id[edge]))
        hw_out.append(np.full(len(pieces), net.edge_highway[edge], dtype=object))

    counts = np.concatenate(counts_out)
    new_net = WalkNetwork(
        crs=net.crs,
        node_xy=np.vstack([net.node_xy, new_xy]),
        node_osm_id=np.concatenate([net.node_osm_id, np.full(len(uniq), -1, dtype=np.int64)]),
        edge_u=np.concatenate(u_out).astype(np.int64),
        edge_v=np.concatenate(v_out).astype(np.int64),
        edge_length=np.empty(0),
        edge_coords=np.concatenate(coords_out),
        edge_offsets=np.concatenate([[0], np.cumsum(counts)]),
        edge_way_id=np.concatenate(way_out).astype(np.int64),
        edge_highway=np.concatenate(hw_out).astype(object),
        report=net.report,
        area=net.area,
    )
    new_net.edge_length = np.maximum(shapely.length(new_net.edge_geoms), MIN_EDGE_M)
    new_net.report.nodes_inserted += len(uniq)
    return new_net, new_node[inverse]


def _cut_polyline(coords: np.ndarray, cut_pos: np.ndarray, cut_xy: np.ndarray) -> list[np.ndarray]:
    """Cut a polyline at increasing distances along it; the cut points end/start the pieces."""
    seg = np.hypot(*np.diff(coords, axis=0).T)
    cum = np.concatenate([[0.0], np.cumsum(seg)])
    pieces = []
    prev_xy = coords[0]
    prev_pos = 0.0
    for p, pxy in zip(cut_pos, cut_xy, strict=True):
        inner = coords[(cum > prev_pos) & (cum < p)]
        pieces.append(np.vstack([prev_xy, inner, pxy]))
        prev_xy, prev_pos = pxy, p
    inner = coords[cum > prev_pos][:-1] if len(coords) else coords
    pieces.append(np.vstack([prev_xy, inner, coords[-1]]))
    return pieces
