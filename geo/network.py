"""The walk network as arrays and a scipy sparse graph.

Nodes are street intersections and dead ends (OSM nodes where ways meet or end); an edge is the
stretch of one way between two such nodes and keeps its full geometry, so lengths are measured
along the street in metres of the metric CRS and isochrones can be cut at the exact point a
walker reaches. Only the largest connected component is kept (fragments are islands of footway a
walker cannot reach from the rest) and what was dropped is reported.

Graphs stay as NumPy arrays plus a CSR matrix: ``scipy.sparse.csgraph`` runs Dijkstra on that
in C, orders of magnitude faster than networkx, and the arrays export straight to GeoPackage.
"""

from __future__ import annotations

import itertools
import logging
from dataclasses import dataclass, field
from functools import cached_property

import geopandas as gpd
import numpy as np
import pyproj
import shapely
from scipy import sparse
from scipy.sparse import csgraph

from shequ.errors import InputError
from shequ.geo.osm_file import OsmData
from shequ.geo.walk_filter import is_walkable
from shequ.i18n import Note

log = logging.getLogger(__name__)

MIN_EDGE_M = 1e-6  # an edge between two distinct nodes at the same spot still has a length
_GRAPH_FIELDS = ("node_xy", "edge_u", "edge_v", "edge_length")  # what the CSR is built from
_GEOMETRY_FIELDS = ("edge_coords", "edge_offsets")  # what edge_geoms is built from


@dataclass
class NetworkReport:
    """What building the network kept and dropped, for the run summary."""

    ways_walkable: int = 0
    ways_not_walkable: int = 0
    components_dropped: int = 0
    nodes_dropped: int = 0
    edges_dropped: int = 0
    length_dropped_m: float = 0.0
    nodes_inserted: int = 0


@dataclass
class WalkNetwork:
    """An undirected walk graph in a metric CRS.

    ``edge_coords`` holds every edge's vertices flat, edge ``i`` spanning
    ``edge_coords[edge_offsets[i]:edge_offsets[i + 1]]`` from node ``edge_u[i]`` to ``edge_v[i]``.
    """

    crs: pyproj.CRS
    node_xy: np.ndarray  # (n, 2) float64 metres
    node_osm_id: np.ndarray  # (n,) int64, -1 for nodes shequ inserted
    edge_u: np.ndarray  # (m,) int64
    edge_v: np.ndarray  # (m,) int64
    edge_length: np.ndarray  # (m,) float64 metres along the geometry
    edge_coords: np.ndarray  # (k, 2) float64
    edge_offsets: np.ndarray  # (m + 1,) int64
    edge_way_id: np.ndarray  # (m,) int64 OSM way id
    edge_highway: np.ndarray  # (m,) object
    report: NetworkReport = field(default_factory=NetworkReport)

    @property
    def n_nodes(self) -> int:
        return len(self.node_xy)

    @property
    def n_edges(self) -> int:
        return len(self.edge_u)

    @cached_property
    def edge_geoms(self) -> np.ndarray:
        """Edges as a shapely LineString array (built once, vectorised)."""
        counts = np.diff(self.edge_offsets)
        return shapely.linestrings(
            self.edge_coords, indices=np.repeat(np.arange(self.n_edges), counts)
        )

    @cached_property
    def csr(self) -> sparse.csr_matrix:
        """Symmetric adjacency with the shortest of any parallel edges (self-loops dropped).

        Built once, as soon as the edges and their lengths are set (when the network is built
        and again when points are attached), so analyses never pay for it; reassigning the
        nodes, edges or lengths rebuilds it.
        """
        return symmetric_csr(self.n_nodes, self.edge_u, self.edge_v, self.edge_length)

    def __setattr__(self, name: str, value: object) -> None:
        super().__setattr__(name, value)
        if name in _GEOMETRY_FIELDS:
            self.__dict__.pop("edge_geoms", None)
        if name in _GRAPH_FIELDS:
            self.__dict__.pop("csr", None)
            if self._graph_set():
                _ = self.csr  # build now: part of building or attaching the network

    def _graph_set(self) -> bool:
        """True once nodes, edges and one length per edge are all assigned."""
        have = self.__dict__
        if not all(f in have for f in _GRAPH_FIELDS):
            return False
        return len(self.edge_length) == len(self.edge_u) == len(self.edge_v)

    def nodes_frame(self) -> gpd.GeoDataFrame:
        return gpd.GeoDataFrame(
            {"node_id": np.arange(self.n_nodes), "osm_id": self.node_osm_id},
            geometry=shapely.points(self.node_xy),
            crs=self.crs,
        )

    def edges_frame(self) -> gpd.GeoDataFrame:
        return gpd.GeoDataFrame(
            {
                "edge_id": np.arange(self.n_edges),
                "u": self.edge_u,
                "v": self.edge_v,
                "length_m": self.edge_length,
                "osm_way_id": self.edge_way_id,
                "highway": self.edge_highway,
            },
            geometry=self.edge_geoms,
            crs=self.crs,
        )


def symmetric_csr(
    n_nodes: int, edge_u: np.ndarray, edge_v: np.ndarray, edge_length: np.ndarray
) -> sparse.csr_matrix:
    """Both directions of every edge as an ``(n, n)`` CSR matrix, shortest of parallel edges.

    Self-loops are dropped. The sparse constructor adds parallel edges up, so where there are
    any, each pair's entry is replaced by the minimum of its edges (exact: no arithmetic), found
    by locating every edge in the matrix's sorted (row, column) keys.
    """
    keep = edge_u != edge_v
    u, v, w = edge_u[keep], edge_v[keep], edge_length[keep]
    rows = np.concatenate([u, v])
    cols = np.concatenate([v, u])
    weights = np.concatenate([w, w])
    graph = sparse.csr_matrix((weights, (rows, cols)), shape=(n_nodes, n_nodes))
    if graph.nnz < len(rows):  # parallel edges were summed: keep the shortest instead
        entry_row = np.repeat(np.arange(n_nodes, dtype=np.int64), np.diff(graph.indptr))
        keys = entry_row * n_nodes + graph.indices
        at = np.searchsorted(keys, rows.astype(np.int64) * n_nodes + cols)
        shortest = np.full(graph.nnz, np.inf, dtype=graph.dtype)
        np.minimum.at(shortest, at, weights)
        graph.data = shortest
    return graph


def build_walk_network(osm: OsmData, crs: pyproj.CRS) -> WalkNetwork:
    """Walkable ways of ``osm`` → simplified, projected, largest-component walk graph.

    Parameters
    ----------
    osm : OsmData
        The area's OSM data (WGS-84).
    crs : pyproj.CRS
        The run's metric CRS: edge lengths are metres in it.

    Returns
    -------
    WalkNetwork
        With a report of the ways and fragments left out.

    Raises
    ------
    InputError
        When the file has no walkable street (an empty or wrongly cut area).
    """
    ways = [w for w in osm.highways if is_walkable(w.tags)]
    report = NetworkReport(ways_walkable=len(ways), ways_not_walkable=len(osm.highways) - len(ways))
    if not ways:
        raise InputError(Note("e.no_walkable_streets"), path=osm.source)
    to_metric = pyproj.Transformer.from_crs("EPSG:4326", crs, always_xy=True)
    lengths = np.array([len(w.node_ids) for w in ways])
    all_ids = np.concatenate([w.node_ids for w in ways])
    all_ll = np.concatenate([w.lonlat for w in ways])
    x, y = to_metric.transform(all_ll[:, 0], all_ll[:, 1])
    all_xy = np.column_stack([x, y])
    way_start = np.concatenate([[0], np.cumsum(lengths)])

    # A node is a graph node when a way ends there or more than one way (or one way twice) uses it.
    uniq, inverse, counts = np.unique(all_ids, return_inverse=True, return_counts=True)
    is_end = np.zeros(len(all_ids), dtype=bool)
    is_end[way_start[:-1]] = True
    is_end[way_start[1:] - 1] = True
    topo = counts > 1
    topo[inverse[is_end]] = True

    node_index = np.full(len(uniq), -1, dtype=np.int64)
    node_index[topo] = np.arange(int(topo.sum()))
    first_pos = np.full(len(uniq), -1, dtype=np.int64)
    first_pos[inverse[::-1]] = np.arange(len(all_ids))[::-1]
    node_xy = all_xy[first_pos[topo]]
    node_osm = uniq[topo]

    eu, ev, pieces, way_of_edge, hw = [], [], [], [], []
    for i, way in enumerate(ways):
        a, b = way_start[i], way_start[i + 1]
        idx = node_index[inverse[a:b]]
        cuts = np.flatnonzero(idx >= 0)
        for s, e in itertools.pairwise(cuts):
            eu.append(idx[s])
            ev.append(idx[e])
            pieces.append(all_xy[a + s : a + e + 1])
            way_of_edge.append(way.way_id)
            hw.append(way.tags.get("highway"))
    counts_per_edge = np.array([len(p) for p in pieces], dtype=np.int64)
    coords = np.concatenate(pieces) if pieces else np.empty((0, 2))
    offsets = np.concatenate([[0], np.cumsum(counts_per_edge)])
    net = WalkNetwork(
        crs=pyproj.CRS.from_user_input(crs),
        node_xy=node_xy,
        node_osm_id=node_osm.astype(np.int64),
        edge_u=np.asarray(eu, dtype=np.int64),
        edge_v=np.asarray(ev, dtype=np.int64),
        edge_length=np.empty(0),
        edge_coords=coords,
        edge_offsets=offsets,
        edge_way_id=np.asarray(way_of_edge, dtype=np.int64),
        edge_highway=np.asarray(hw, dtype=object),
        report=report,
    )
    net.edge_length = np.maximum(shapely.length(net.edge_geoms), MIN_EDGE_M)
    return largest_component(net)


def largest_component(net: WalkNetwork) -> WalkNetwork:
    """Keep the largest connected component; record what was dropped."""
    n_comp, labels = csgraph.connected_components(net.csr, directed=False)
    if n_comp <= 1:
        return net
    sizes = np.bincount(labels)
    keep_label = int(np.argmax(sizes))
    keep_node = labels == keep_label
    keep_edge = keep_node[net.edge_u]
    new_index = np.full(net.n_nodes, -1, dtype=np.int64)
    new_index[keep_node] = np.arange(int(keep_node.sum()))
    report = net.report
    report.components_dropped += n_comp - 1
    report.nodes_dropped += int((~keep_node).sum())
    report.edges_dropped += int((~keep_edge).sum())
    report.length_dropped_m += float(net.edge_length[~keep_edge].sum())
    log.info(
        "kept the largest component: dropped %d fragments (%d nodes, %.0f m of street)",
        n_comp - 1,
        report.nodes_dropped,
        report.length_dropped_m,
    )
    return subset_edges(
        net, keep_edge, new_index, net.node_xy[keep_node], net.node_osm_id[keep_node]
    )


def subset_edges(
    net: WalkNetwork,
    keep_edge: np.ndarray,
    new_index: np.ndarray,
    node_xy: np.ndarray,
    node_osm_id: np.ndarray,
) -> WalkNetwork:
    """A copy holding the kept edges, with node ids renumbered through ``new_index``."""
    counts = np.diff(net.edge_offsets)[keep_edge]
    coord_mask = np.repeat(keep_edge, np.diff(net.edge_offsets))
    return WalkNetwork(
        crs=net.crs,
        node_xy=node_xy,
        node_osm_id=node_osm_id,
        edge_u=new_index[net.edge_u[keep_edge]],
        edge_v=new_index[net.edge_v[keep_edge]],
        edge_length=net.edge_length[keep_edge],
        edge_coords=net.edge_coords[coord_mask],
        edge_offsets=np.concatenate([[0], np.cumsum(counts)]),
        edge_way_id=net.edge_way_id[keep_edge],
        edge_highway=net.edge_highway[keep_edge],
        report=net.report,
    )
