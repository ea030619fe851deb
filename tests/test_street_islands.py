"""Every street island that holds a home or a facility is kept (issue 12, item 7).

``shanghai_center_roads_large.osm`` is split by the Huangpu: Puxi is the largest street
component, Pudong a second one of ~760 nodes, and a few footway fragments are islands of two
or three nodes. Keeping only the largest component rejected the Amap kindergartens of Pudong
as "no walkable street within 300 m (outside the study area?)". Now every island holding a
home or a facility is kept, walk times are computed within each island, a home on an island
without a kindergarten says so with the island's size, and "outside the study area" is said
only of points outside the extract's bounds.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pyproj
import pytest
import shapely

from shequ.analyses.access import kind_access
from shequ.geo.coords import metric_crs
from shequ.geo.network import WalkNetwork, build_walk_network, keep_components, largest_component
from shequ.geo.osm_file import OsmData, read_osm
from shequ.geo.snapping import island_of_points
from shequ.jobs.access import AccessOptions, AccessResult, compute_access
from shequ.jobs.inputs import attach
from tests.conftest import shared_file

SHANGHAI = "osm/shanghai_center_roads_large.osm"
KINDERGARTENS = "poi/shanghai_amap/kindergarten.csv"  # WGS-84 already (PROVENANCE.md)
PER_ISLAND = 30  # homes placed on each of Puxi and Pudong
PUXI_ONLY_LON = 121.45  # kindergartens west of this are all far from Pudong's streets


@pytest.fixture(scope="module")
def shanghai() -> tuple[OsmData, WalkNetwork]:
    osm = read_osm(shared_file(SHANGHAI))
    return osm, build_walk_network(osm, metric_crs(*osm.bounds))


def _islands(net: WalkNetwork) -> dict[str, int]:
    """Component labels by name: Puxi (largest), Pudong (second), the 3-node footway."""
    sizes = net.island_street_nodes()
    order = np.argsort(-sizes, kind="stable")
    return {"puxi": int(order[0]), "pudong": int(order[1]), "small": int(order[2])}


def _lonlat(net: WalkNetwork, nodes: np.ndarray) -> np.ndarray:
    back = pyproj.Transformer.from_crs(net.crs, "EPSG:4326", always_xy=True)
    lon, lat = back.transform(net.node_xy[nodes, 0], net.node_xy[nodes, 1])
    return np.column_stack([lon, lat])


@pytest.fixture(scope="module")
def homes_file(shanghai, tmp_path_factory) -> tuple[Path, np.ndarray]:
    """Homes at street nodes: 30 spread over Puxi, 30 over Pudong, one on the 3-node island.

    Returns the file and each home's island name."""
    _, net = shanghai
    islands = _islands(net)
    rows, where = [], []
    for name, k in (("puxi", PER_ISLAND), ("pudong", PER_ISLAND), ("small", 1)):
        nodes = np.flatnonzero(net.component == islands[name])
        nodes = nodes[:: max(1, len(nodes) // k)][:k]
        rows += [f"{lon:.7f},{lat:.7f},100" for lon, lat in _lonlat(net, nodes)]
        where += [name] * len(nodes)
    path = tmp_path_factory.mktemp("islands") / "homes.csv"
    path.write_text("lon,lat,households\n" + "\n".join(rows) + "\n", encoding="utf-8")
    return path, np.array(where)


@pytest.fixture(scope="module")
def result(homes_file) -> AccessResult:
    opts = AccessOptions(
        osm=shared_file(SHANGHAI),
        homes=homes_file[0],
        facilities=[(shared_file(KINDERGARTENS), "kindergarten")],
        kinds=["kindergarten"],
        isochrones=False,
        crs="wgs84",  # an Amap export, read as GCJ-02 by default; these are WGS-84 already
    )
    return compute_access(opts)


def test_pudong_is_an_island_east_of_the_huangpu(shanghai):
    """The premise: the second component lies east of Puxi's streets (Pudong), not a fragment."""
    _, net = shanghai
    islands = _islands(net)
    sizes = net.island_street_nodes()
    assert sizes[islands["pudong"]] > 500
    pudong = _lonlat(net, np.flatnonzero(net.component == islands["pudong"]))
    puxi = _lonlat(net, np.flatnonzero(net.component == islands["puxi"]))
    assert np.median(pudong[:, 0]) > np.median(puxi[:, 0]) + 0.03  # ~3 km east


def test_pudong_kindergartens_attach_to_pudong_streets_and_serve_pudong_homes(result, homes_file):
    net = result.network
    home_island = net.component[result.homes["node_id"].to_numpy()]
    where = homes_file[1]
    pudong = np.unique(home_island[where == "pudong"])
    assert len(pudong) == 1  # all 30 Pudong homes on one island
    fac = result.facilities[result.facilities["kind"] == "kindergarten"]
    fac_island = net.component[fac["node_id"].to_numpy()]
    on_pudong = fac_island == pudong[0]
    assert on_pudong.sum() >= 20  # Amap kindergartens attached to Pudong streets
    assert np.unique(home_island[where == "puxi"]).tolist() != pudong.tolist()

    homes = result.homes[where == "pudong"]
    minutes = homes["walk_min_kindergarten"].to_numpy(dtype=float)
    assert np.isfinite(minutes).all()
    nearest = set(homes["nearest_kindergarten"].astype(int))
    assert nearest <= set(fac.loc[on_pudong, "facility_id"].astype(int))  # served from Pudong

    notes = [str(n) for n in result.notes]
    assert any(n.startswith("kept ") and "street islands" in n for n in notes)
    assert any(f"street island of {net.island_street_nodes()[pudong[0]]} nodes" in n for n in notes)


def test_a_home_on_an_island_without_a_kindergarten_is_told_so(homes_file, tmp_path):
    """Pudong homes with only Puxi's kindergartens: no route, and the reason names the island."""
    table = pd.read_csv(shared_file(KINDERGARTENS))
    west_only = tmp_path / "puxi_kindergartens.csv"
    table[table["lon"] < PUXI_ONLY_LON].to_csv(west_only, index=False)
    opts = AccessOptions(
        osm=shared_file(SHANGHAI),
        homes=homes_file[0],
        facilities=[(west_only, "kindergarten")],
        kinds=["kindergarten"],
        isochrones=False,
        crs="wgs84",  # an Amap export, read as GCJ-02 by default; these are WGS-84 already
    )
    result = compute_access(opts)
    net = result.network
    where = homes_file[1]
    pudong = np.unique(net.component[result.homes.loc[where == "pudong", "node_id"]])
    assert len(pudong) == 1
    n = net.island_street_nodes()[pudong[0]]
    reasons = set(result.homes.loc[where == "pudong", "unreachable_kindergarten"])
    assert reasons == {f"no kindergarten reachable on its street island ({n} nodes)"}
    assert result.homes.loc[where == "pudong", "walk_min_kindergarten"].isna().all()
    assert result.homes.loc[where == "puxi", "walk_min_kindergarten"].notna().all()


def test_a_footway_fragment_beside_a_street_does_not_cut_its_home_off(result, homes_file):
    """The home at a node of a 3-node fragment has a district's streets (Pudong's) within
    reach: it holds that island, the fragment is dropped, and the home
    walks on the district's streets (finite minutes)."""
    net = result.network
    where = homes_file[1]
    small = result.homes[where == "small"]
    island = net.component[small["node_id"].to_numpy()]
    assert (net.island_street_nodes()[island] > 500).all()
    assert small["walk_min_kindergarten"].notna().all()
    assert small["unreachable_kindergarten"].isna().all()
    assert any(str(n).startswith("dropped ") for n in result.notes)


def test_only_points_outside_the_bounds_are_said_to_be_outside_the_study_area(result, shanghai):
    _, net = shanghai
    # the file declares no bounds: the area is the hull of the homes and kindergartens within
    # the box of the walkable streets (a motorway's far nodes do not count)
    west, south, east, north = net.nodes_frame().to_crs("EPSG:4326").total_bounds
    assert result.study_area.source == "hull"
    table = pd.read_csv(shared_file(KINDERGARTENS))
    rejects = result.rejects[result.rejects["layer"] == "facilities"]
    rows = rejects["row"].str.removeprefix("row ").astype(int).to_numpy() - 1
    lon, lat = table["lon"].to_numpy()[rows], table["lat"].to_numpy()[rows]
    in_box = (lon > west) & (lon < east) & (lat > south) & (lat < north)
    area = result.study_area.lonlat()
    inside = shapely.intersects_xy(area, lon, lat)
    # ~200 m: the metric box of the nodes is a slightly turned box in lon/lat
    box = shapely.box(west, south, east, north).buffer(0.002, join_style="mitre")
    assert shapely.difference(area, box).area == 0  # the hull stays within the streets' box
    assert (inside == in_box).mean() > 0.99
    outside_said = rejects["reason"].str.contains("outside the study area").to_numpy()
    assert inside.sum() > 50 and (~inside).sum() > 1000  # both kinds of rejects occur
    assert not outside_said[inside].any()
    assert outside_said[~inside].all()
    assert set(rejects.loc[inside, "reason"]) == {"kindergarten: no walkable street within 300 m"}


def test_walk_minutes_on_the_main_island_are_those_of_the_old_network(result, homes_file):
    """Multi-source distances within the largest component do not change by keeping others."""
    where = homes_file[1]
    area = result.homes
    fac = result.facilities
    osm = read_osm(shared_file(SHANGHAI))
    old_net = largest_component(build_walk_network(osm, metric_crs(*osm.bounds)))
    homes = area[["geometry"]].copy()
    old_net, (old_homes, old_fac) = attach(old_net, [homes, fac[["geometry"]].copy()], 300.0)
    attached = old_fac["node_id"].to_numpy() >= 0
    profile = result.profile
    kind = profile.kind("kindergarten")
    old = kind_access(
        old_net,
        kind,
        profile.speed(kind),
        old_fac["node_id"].to_numpy()[attached],
        old_fac["access_m"].to_numpy()[attached],
        fac["facility_id"].to_numpy()[attached],
        old_homes["node_id"].to_numpy(),
        old_homes["access_m"].to_numpy(),
        300.0,
    )
    main = where == "puxi"
    np.testing.assert_array_equal(
        old.walk_min[main], area.loc[main, "walk_min_kindergarten"].to_numpy(dtype=float)
    )
    assert np.isfinite(old.walk_min[main]).all()
    assert not np.isfinite(old.walk_min[where == "pudong"]).any()  # what the old network lost


_STARTS = ((0.0, 0.0), (0.0, 100.0), (0.0, 2000.0))  # a node of: street, near, far island


def _toy_network() -> WalkNetwork:
    """A 1 km street (3 nodes), a 10 m footway fragment 100 m off it, another 2 km away."""
    segments = [((0, 0), (500, 0)), ((500, 0), (1000, 0)), ((0, 100), (10, 100))]
    segments.append(((0, 2000), (10, 2000)))
    nodes = sorted({p for seg in segments for p in seg})
    index = {p: i for i, p in enumerate(nodes)}
    coords = np.array([p for seg in segments for p in seg], dtype=float)
    net = WalkNetwork(
        crs=pyproj.CRS.from_epsg(32651),
        node_xy=np.array(nodes, dtype=float),
        node_osm_id=np.arange(len(nodes), dtype=np.int64),
        edge_u=np.array([index[a] for a, _ in segments], dtype=np.int64),
        edge_v=np.array([index[b] for _, b in segments], dtype=np.int64),
        edge_length=np.empty(0),
        edge_coords=coords,
        edge_offsets=np.arange(0, 2 * len(segments) + 1, 2, dtype=np.int64),
        edge_way_id=np.arange(len(segments), dtype=np.int64),
        edge_highway=np.array(["footway"] * len(segments), dtype=object),
    )
    net.edge_length = np.array([500.0, 500.0, 10.0, 10.0])
    return net


def test_a_fragment_is_held_only_by_points_with_no_larger_island_within_reach():
    net = _toy_network()
    at = {tuple(p): i for i, p in enumerate(net.node_xy.tolist())}
    street, near, far = (int(net.component[at[p]]) for p in _STARTS)
    near_node = at[(0.0, 100.0)]
    assert len({street, near, far}) == 3
    # Beside the near fragment (1 m) but 101 m from the street; beside the far fragment.
    xy = np.array([[5.0, 101.0], [5.0, 2001.0], [900.0, 5.0]])
    held, island = island_of_points(net, xy, 300.0)
    assert held.tolist() == [c in (street, far) for c in range(3)]
    assert island.tolist() == [street, far, street]
    kept = keep_components(net, held)
    assert kept.n_nodes == net.n_nodes - 2
    assert kept.report.components_dropped == 1
    assert [s["nodes"] for s in kept.report.islands_kept_sizes] == [3, 2]
    assert not np.isclose(kept.node_xy, net.node_xy[near_node]).all(axis=1).any()
    # With only 50 m of reach the first point holds the near fragment itself.
    held, island = island_of_points(net, xy, 50.0)
    assert held.all() and island.tolist() == [near, far, street]
