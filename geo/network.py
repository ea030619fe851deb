"""The walk network as arrays and a scipy sparse graph.

Nodes are street intersections and dead ends (OSM nodes where ways meet or end); an edge is the
stretch of one way between two such nodes and keeps its full geometry, so lengths are measured
along the street in metres of the metric CRS and isochrones can be cut at the exact point a
walker reaches. The graph keeps every connected component (a *street island*: a river, a
motorway or the edge of the extract can cut a district off); once homes and facilities are
known, :func:`keep_components` drops the islands that hold none of them, and what was kept and
dropped is reported. Walk times are then computed within each island: a multi-source Dijkstra
gives no route across islands, and the access reason says so.

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
    islands_kept: int = 0
    islands_kept_sizes: list[dict[str, float]] = field(default_factory=list)


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
    # The extract's declared bounds in the metric CRS: a point outside them is outside the
    # study area; a point inside them that found no street is not (None: unknown).
    area: shapely.Geometry | None = None

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

    @cached_property
    def component(self) -> np.ndarray:
        """The street island (connected component) of every node, as an int label.

        Rebuilt with :attr:`csr`; a connected-components pass is linear in the edges.
        """
        _, labels = csgraph.connected_components(self.csr, directed=False)
        return labels.astype(np.int64)

    def island_street_nodes(self) -> np.ndarray:
        """Street nodes (OSM nodes, not the ones shequ inserted) per component label.

        The size a user can recognise: inserting attachment nodes does not make an island
        larger.
        """
        labels = self.component
        n_comp = int(labels.max()) + 1 if len(labels) else 0
        return np.bincount(labels[self.node_osm_id >= 0], minlength=n_comp)

    def __setattr__(self, name: str, value: object) -> None:
        super().__setattr__(name, value)
        if name in _GEOMETRY_FIELDS:
            self.__dict__.pop("edge_geoms", None)
        if name in _GRAPH_FIELDS:
            self.__dict__.pop("csr", None)
            self.__dict__.pop("component", None)
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
    """Walkable ways of ``osm`` → simplified, projected walk graph with every street island.

    Islands that hold no home or facility are dropped later by :func:`keep_components` (the
    points are not known here); :func:`largest_component` keeps only the largest.

    Parameters
    ----------
    osm : OsmData
        The area's OSM data (WGS-84).
    crs : pyproj.CRS
        The run's metric CRS: edge lengths are metres in it.

    Returns
    -------
    WalkNetwork
        With a report of the ways left out and the extract's bounds as ``area``.

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
        area=bounds_polygon(osm.bounds, to_metric),
    )
    net.edge_length = np.maximum(shapely.length(net.edge_geoms), MIN_EDGE_M)
    return net


def bounds_polygon(
    bounds: tuple[float, float, float, float], to_metric: pyproj.Transformer
) -> shapely.Geometry:
    """The lon/lat box ``(west, south, east, north)`` as a polygon in the metric CRS.

    The sides are densified (every 1/100 of the side) before projecting: a UTM or
    Gauss-Krüger image of a meridian is slightly curved, and a four-corner quadrilateral would
    cut points near the middle of a long side in or out by metres.
    """
    west, south, east, north = bounds
    t = np.linspace(0.0, 1.0, 101)
    lon = np.concatenate([west + (east - west) * t, np.full(101, east)])
    lat = np.concatenate([np.full(101, south), south + (north - south) * t])
    lon = np.concatenate([lon, east - (east - west) * t, np.full(101, west)])
    lat = np.concatenate([lat, np.full(101, north), north - (north - south) * t])
    x, y = to_metric.transform(lon, lat)
    return shapely.Polygon(np.column_stack([x, y]))


def keep_components(net: WalkNetwork, held: np.ndarray) -> WalkNetwork:
    """Keep the street islands holding a point; record kept and dropped islands.

    Parameters
    ----------
    net : WalkNetwork
        The network with every island (:func:`build_walk_network`).
    held : ndarray of bool
        Per component label of ``net.component``: True where an island holds a home, a
        facility or a candidate site. When none does, the largest island is kept, so the
        network a job maps and places street candidates on is never empty.

    Returns
    -------
    WalkNetwork
        The kept islands' edges, nodes renumbered in their original order (so the walk
        distances between any two kept nodes are exactly those of ``net``), with the kept
        islands' sizes in ``report.islands_kept_sizes`` (largest first) and the dropped ones
        added to ``report.components_dropped`` and the other ``*_dropped`` counts.
    """
    labels = net.component
    held = np.asarray(held, dtype=bool).copy()
    nodes = net.island_street_nodes()
    if not held.any() and len(held):
        held[int(np.argmax(nodes))] = True
    metres = np.bincount(labels[net.edge_u], weights=net.edge_length, minlength=len(held))
    report = net.report
    kept = np.flatnonzero(held)
    kept = kept[np.argsort(-nodes[kept], kind="stable")]
    report.islands_kept = len(kept)
    report.islands_kept_sizes = [{"nodes": int(nodes[c]), "metres": float(metres[c])} for c in kept]
    if held.all():
        return net
    keep_node = held[labels]
    keep_edge = keep_node[net.edge_u]
    new_index = np.full(net.n_nodes, -1, dtype=np.int64)
    new_index[keep_node] = np.arange(int(keep_node.sum()))
    report.components_dropped += int((~held).sum())
    report.nodes_dropped += int(nodes[~held].sum())
    report.edges_dropped += int((~keep_edge).sum())
    report.length_dropped_m += float(net.edge_length[~keep_edge].sum())
    log.info(
        "kept %d street islands holding points; dropped %d (%d nodes, %.0f m of street)",
        len(kept),
        report.components_dropped,
        report.nodes_dropped,
        report.length_dropped_m,
    )
    return subset_edges(
        net, keep_edge, new_index, net.node_xy[keep_node], net.node_osm_id[keep_node]
    )


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
        area=net.area,
    )
