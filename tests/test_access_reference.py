"""Walk times and isochrones checked against an independent networkx Dijkstra, on every extract.

The reference graph is rebuilt from the exported ``network_edges`` layer (u, v, length_m) of
``shequ.gpkg``, so the test also proves the export is exactly the graph the tool used. Roads-only
extracts (Shanghai, Taipei) have no homes or facilities in OSM: there, real OSM features of the
same file (named nodes) serve as facility and home points.
"""

from __future__ import annotations

from pathlib import Path

import geopandas as gpd
import networkx as nx
import numpy as np
import pandas as pd
import pytest
import shapely

from shequ.analyses.isochrones import home_cells
from shequ.jobs.access import AccessOptions, compute_access, write_access_outputs
from tests.conftest import OSM_EXTRACTS, shared_file

SOURCE = "__source__"


def _features_csv(osm_path: Path, out: Path, **extra: object) -> Path:
    from shequ.geo.osm_file import read_osm

    feats = read_osm(osm_path).features
    pts = feats.geometry.representative_point()
    frame = pd.DataFrame({"name": feats["name"], "lon": pts.x, "lat": pts.y, **extra})
    frame.iloc[::3].to_csv(out, index=False)
    return out


@pytest.fixture(scope="module", params=OSM_EXTRACTS, ids=lambda p: Path(p).name.split(".")[0])
def run(request, tmp_path_factory):
    osm = shared_file(request.param)
    tmp = tmp_path_factory.mktemp(Path(request.param).name.split(".")[0])
    facilities = [(_features_csv(osm, tmp / "fac.csv"), "service_station")]
    homes = None
    if "roads" in osm.name:
        homes = _features_csv(osm, tmp / "homes.csv", households=1)
    opts = AccessOptions(osm=osm, homes=homes, facilities=facilities, bands=[5.0, 10.0])
    result = compute_access(opts)
    write_access_outputs(result, tmp / "out", with_map=False)
    return result, tmp / "out" / "shequ.gpkg"


def _reference(edges: pd.DataFrame, fac: pd.DataFrame) -> dict[int, float]:
    graph = nx.MultiGraph()
    graph.add_weighted_edges_from(edges[["u", "v", "length_m"]].itertuples(index=False))
    for node, access in zip(fac["node_id"], fac["access_m"], strict=True):
        graph.add_edge(SOURCE, int(node), weight=float(access))
    dist = nx.single_source_dijkstra_path_length(graph, SOURCE, weight="weight")
    dist.pop(SOURCE)
    return dist


def test_node_distances_equal_networkx(run):
    result, gpkg = run
    edges = gpd.read_file(gpkg, layer="network_edges")
    checked = 0
    for kind_id, acc in result.access.items():
        fac = result.facilities[result.facilities["kind"] == kind_id]
        if fac.empty:
            assert np.isinf(acc.node_distance_m).all()
            continue
        ref = _reference(edges, fac)
        ours = acc.node_distance_m
        ref_arr = np.full(len(ours), np.inf)
        ref_arr[list(ref)] = list(ref.values())
        assert np.array_equal(np.isfinite(ours), np.isfinite(ref_arr))
        finite = np.isfinite(ours)
        np.testing.assert_allclose(ours[finite], ref_arr[finite], rtol=0, atol=1e-6)
        checked += 1
    assert checked >= 1


def test_home_minutes_are_access_plus_network_over_speed(run):
    result, gpkg = run
    homes = gpd.read_file(gpkg, layer="homes")
    edges = gpd.read_file(gpkg, layer="network_edges")
    assert len(homes) > 0
    kind_id = "service_station"
    fac = result.facilities[result.facilities["kind"] == kind_id]
    ref = _reference(edges, fac)
    speed = result.profile.speed(kind_id)
    attached = homes["node_id"] >= 0
    expected = [
        (a + ref.get(int(n), np.inf)) / speed / 60.0
        for a, n in zip(
            homes.loc[attached, "access_m"], homes.loc[attached, "node_id"], strict=True
        )
    ]
    got = homes.loc[attached, f"walk_min_{kind_id}"].to_numpy(dtype=float)
    expected = np.asarray(expected)
    assert np.array_equal(np.isnan(got), np.isinf(expected))
    ok = np.isfinite(expected)
    np.testing.assert_allclose(got[ok], expected[ok], rtol=0, atol=1e-6 / 60)
    # a home not attached says why and has no minutes
    far = homes.loc[~attached]
    assert far[f"walk_min_{kind_id}"].isna().all()
    assert far[f"unreachable_{kind_id}"].str.contains("no walkable street").all()


def test_isochrones_follow_streets(run):
    result, gpkg = run
    iso = gpd.read_file(gpkg, layer="isochrones")
    edges = gpd.read_file(gpkg, layer="network_edges")
    nodes = gpd.read_file(gpkg, layer="network_nodes")
    buffer_m = result.profile.isochrone_buffer_m
    fac_all = result.facilities.set_index("facility_id")
    per_fac = iso[iso["scope"] == "facility"]
    assert len(per_fac) > 0
    sample = per_fac.iloc[:: max(1, len(per_fac) // 12)]
    node_pts = nodes.geometry.to_numpy()
    for _, poly in sample.iterrows():
        fac = fac_all.loc[[poly["facility_id"]]].reset_index()
        speed = result.profile.speed(poly["kind"])
        radius = poly["minutes"] * 60 * speed
        ref = _reference(edges, fac)
        dist = np.full(len(nodes), np.inf)
        dist[list(ref)] = list(ref.values())
        geom = poly.geometry
        shapely.prepare(geom)
        inside = shapely.covers(geom, node_pts)
        # every node reachable within the minutes is inside ...
        assert inside[dist <= radius].all()
        # ... and every node inside lies within the buffer of a street part reached in time:
        # the parts are subsets of edges with an end reached within the radius.
        touched = edges[(dist[edges["u"]] <= radius) | (dist[edges["v"]] <= radius)]
        reach = shapely.union_all(touched.geometry.to_numpy())
        door = shapely.linestrings(
            [
                [fac.geometry.x[0], fac.geometry.y[0]],
                list(result.network.node_xy[fac["node_id"][0]]),
            ]
        )
        gap = shapely.distance(shapely.union(reach, door), node_pts[inside])
        assert (gap <= buffer_m + 0.01).all()
        # not a hull: the polygon is no bigger than the buffered touched edges
        assert geom.area <= shapely.buffer(shapely.union(reach, door), buffer_m + 0.01).area + 1.0


def test_union_is_the_facility_polygons_decided_at_the_homes(run):
    """The union per kind and band is the facility polygons merged, except inside the homes'
    cells, where each home's own minutes decide (``agree_with_homes``): there, and only
    there, it may gain or lose ground (tests/test_access_shading.py checks the homes)."""
    result, _ = run
    iso = result.isochrones
    xy = shapely.get_coordinates(result.homes.geometry.to_numpy())
    cells, _ = home_cells(xy, result.profile.isochrone_buffer_m)
    near_homes = shapely.union_all(cells)
    for (kind, minutes), group in iso[iso["scope"] == "facility"].groupby(["kind", "minutes"]):
        union = iso[(iso["scope"] == "union") & (iso["kind"] == kind) & (iso["minutes"] == minutes)]
        assert len(union) == 1
        plain = shapely.union_all(group.geometry.to_numpy())
        moved = shapely.symmetric_difference(plain, union.geometry.iloc[0])
        assert shapely.difference(moved, near_homes).area < 1.0, (kind, minutes)
        served = np.nan_to_num(result.access[kind].walk_min, nan=np.inf) <= minutes
        inside = shapely.contains_xy(union.geometry.iloc[0], xy[:, 0], xy[:, 1])
        assert np.array_equal(inside, served), (kind, minutes)


def test_empty_isochrones_are_flagged_with_their_reason():
    osm = shared_file("osm/beijing_haidian_liudaokou_small.osm")
    result = compute_access(AccessOptions(osm=osm, bands=[0.5]))  # 30 s: doors set back are out
    iso = result.isochrones
    per_fac = iso[iso["scope"] == "facility"]
    empty = per_fac["empty"].to_numpy()
    assert empty.any() and not empty.all()
    assert (per_fac.geometry.is_empty.to_numpy() | (per_fac.area.to_numpy() <= 0))[empty].all()
    assert (per_fac.loc[~empty, "reason"] == "").all()
    assert (per_fac.loc[empty, "reason"] != "").all()
    access = result.facilities.set_index(["kind", "facility_id"])["access_m"]
    for _, row in per_fac[empty].iterrows():  # only a door beyond the band's walk empties one
        reach = 0.5 * 60 * result.profile.speed(row["kind"])
        assert row["reason"].startswith("door")
        assert access[(row["kind"], row["facility_id"])] > reach
    assert any("isochrones are empty" in n for n in result.notes)
