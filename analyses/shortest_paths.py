"""Shortest walks on the CSR walk graph: nearest-facility distances and bounded searches.

Every facility starts its walk at its own door: the walk to the street (``access_m``) counts.
``scipy.sparse.csgraph.dijkstra`` cannot start sources at different distances, so each source
gets a virtual node joined to its street node by a one-way edge of ``offset + 1 m``; a
multi-source run from the virtual nodes (``min_only=True``) then yields, in one pass, the distance
to the nearest source *including its offset*, and which source that is. The constant metre keeps
zero offsets from becoming explicit zeros (which sparse graphs may treat as missing edges) and is
subtracted afterwards. Siting (set cover, p-median) reuses :func:`bounded_distances` for its
sparse coverage relation.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import numpy as np
from scipy import sparse
from scipy.sparse import csgraph
from scipy.spatial import cKDTree

SHIFT_M = 1.0


@dataclass
class Nearest:
    """Distance (m) from every node to its nearest source and the index of that source."""

    distance_m: np.ndarray  # (n,), inf where unreachable
    source: np.ndarray  # (n,), -1 where unreachable


def _with_virtual_sources(
    csr: sparse.csr_matrix, nodes: np.ndarray, offsets: np.ndarray
) -> tuple[sparse.csr_matrix, np.ndarray]:
    """``csr`` with one virtual node per source appended, joined to its node by ``offset + 1 m``.

    Built straight from the CSR arrays: the street rows are kept as they are (no copy through
    a sparse stack) and each virtual row holds its single edge, so the graph is the same, entry
    for entry, as stacking ``[[csr, 0], [edges, 0]]``.
    """
    if csr.format != "csr":
        csr = csr.tocsr()
    n = csr.shape[0]
    m = len(nodes)
    nnz = csr.indptr[-1]
    index_dtype = np.int32 if max(n + m, nnz + m) < np.iinfo(np.int32).max else np.int64
    indptr = np.empty(n + m + 1, dtype=index_dtype)
    indptr[: n + 1] = csr.indptr
    indptr[n + 1 :] = nnz + np.arange(1, m + 1)
    indices = np.concatenate([csr.indices[:nnz], nodes]).astype(index_dtype, copy=False)
    data = np.concatenate([csr.data[:nnz], offsets + SHIFT_M])
    graph = sparse.csr_matrix((data, indices, indptr), shape=(n + m, n + m), copy=False)
    return graph, n + np.arange(m)


def nearest_source(
    csr: sparse.csr_matrix,
    nodes: np.ndarray,
    offsets_m: np.ndarray | None = None,
    *,
    limit_m: float = np.inf,
) -> Nearest:
    """Multi-source Dijkstra: for every node, the nearest of ``nodes`` (plus its offset)."""
    n = csr.shape[0]
    nodes = np.asarray(nodes, dtype=np.int64)
    if len(nodes) == 0:
        return Nearest(np.full(n, np.inf), np.full(n, -1, dtype=np.int64))
    offsets = np.zeros(len(nodes)) if offsets_m is None else np.asarray(offsets_m, dtype=float)
    graph, virtual = _with_virtual_sources(csr, nodes, offsets)
    dist, _, src = csgraph.dijkstra(
        graph,
        directed=True,
        indices=virtual,
        min_only=True,
        return_predecessors=True,
        limit=limit_m + SHIFT_M,
    )
    dist = dist[:n] - SHIFT_M
    source = np.where(np.isfinite(dist), src[:n] - n, -1).astype(np.int64)
    return Nearest(dist, source)


def bounded_distances(
    csr: sparse.csr_matrix,
    nodes: np.ndarray,
    offsets_m: np.ndarray | None,
    limit_m: float,
    *,
    batch: int = 64,
) -> Iterator[tuple[np.ndarray, np.ndarray]]:
    """Distances from each source separately, searched only up to ``limit_m``.

    Yields ``(source_indices, distances)`` batches, ``distances`` of shape (len(batch), n) with
    inf beyond the limit: one bounded Dijkstra per source, never a dense all-pairs matrix.
    """
    n = csr.shape[0]
    nodes = np.asarray(nodes, dtype=np.int64)
    offsets = np.zeros(len(nodes)) if offsets_m is None else np.asarray(offsets_m, dtype=float)
    if len(nodes) == 0:
        return
    graph, virtual = _with_virtual_sources(csr, nodes, offsets)
    for start in range(0, len(nodes), batch):
        idx = np.arange(start, min(start + batch, len(nodes)))
        dist = csgraph.dijkstra(graph, directed=True, indices=virtual[idx], limit=limit_m + SHIFT_M)
        street = dist[:, :n]  # a view: the virtual columns are left out without a copy
        street -= SHIFT_M
        yield idx, street


def local_distances(
    csr: sparse.csr_matrix,
    node_xy: np.ndarray,
    source: int,
    targets: np.ndarray,
    limit_m: float,
    *,
    tree: cKDTree | None = None,
    component: np.ndarray | None = None,
    slack_m: float = 250.0,
) -> np.ndarray:
    """Walking metres from one node to ``targets``, searched only on the streets near them.

    ``csgraph.dijkstra`` fills a dense row over every node of the graph for each source, even
    with a ``limit``: a few thousand sources on a city's network make that quadratic. Walks are
    never shorter than the straight line, so a walk of ``d`` metres from ``source`` stays within
    the disc of radius ``d`` around it: on the subgraph of the nodes within ``r`` of the source,
    every distance up to ``r`` is exact. The disc starts at twice the farthest target's straight
    distance plus ``slack_m`` and doubles while some target is farther (or not reached), up to
    ``limit_m``. Equal to ``dijkstra(csr, indices=source, limit=limit_m)[targets]``: inf beyond
    the limit. With ``component`` (each node's street island) a target on another island is
    inf at once, not searched for up to the limit.
    """
    targets = np.asarray(targets, dtype=np.int64)
    if len(targets) == 0:
        return np.zeros(0)
    tree = cKDTree(node_xy) if tree is None else tree
    wanted = (
        np.ones(len(targets), dtype=bool)
        if component is None
        else component[targets] == component[source]
    )
    if not wanted.any():
        return np.full(len(targets), np.inf)
    reach = float(np.sqrt(((node_xy[targets[wanted]] - node_xy[source]) ** 2).sum(axis=1)).max())
    radius = min(2.0 * reach + slack_m, limit_m)
    while True:
        near = np.asarray(tree.query_ball_point(node_xy[source], radius), dtype=np.int64)
        near.sort()
        sub = _induced(csr, near)
        at = np.minimum(np.searchsorted(near, targets), len(near) - 1)
        row = csgraph.dijkstra(
            sub, directed=False, indices=np.searchsorted(near, source), limit=radius
        )
        d = np.where(near[at] == targets, row[at], np.inf)  # a target outside the disc: not yet
        whole = len(near) == csr.shape[0]  # the disc holds the whole graph: nothing more to find
        if radius >= limit_m or whole or bool(np.isfinite(d[wanted]).all()):
            return np.where((d <= limit_m) & wanted, d, np.inf)
        radius = min(2.0 * radius, limit_m)


def _induced(csr: sparse.csr_matrix, nodes: np.ndarray) -> sparse.csr_matrix:
    """The subgraph on sorted ``nodes``, renumbered 0..len-1, in time linear in its edges
    (scipy's column indexing allocates a row over the whole graph for each call)."""
    starts, ends = csr.indptr[nodes], csr.indptr[nodes + 1]
    counts = ends - starts
    flat = np.repeat(starts - np.cumsum(counts) + counts, counts) + np.arange(counts.sum())
    cols = csr.indices[flat]
    pos = np.searchsorted(nodes, cols)
    pos[pos == len(nodes)] = 0
    keep = nodes[pos] == cols
    rows = np.repeat(np.arange(len(nodes)), counts)
    return sparse.csr_matrix(
        (csr.data[flat][keep], (rows[keep], pos[keep])), shape=(len(nodes), len(nodes))
    )
