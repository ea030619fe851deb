"""Local shortest walks (a disc of streets around the source) against the whole-graph Dijkstra.

``local_distances`` searches only the streets within a growing disc around the source; it must
give the distances scipy's Dijkstra gives on the whole network, with the same limit, for near
and far targets, targets on other street islands and targets past the limit.
"""

from __future__ import annotations

import numpy as np
import pytest
from scipy.sparse import csgraph
from scipy.spatial import cKDTree

from shequ.analyses.shortest_paths import local_distances
from shequ.geo.coords import metric_crs
from shequ.geo.network import build_walk_network
from shequ.geo.osm_file import read_osm
from tests.conftest import shared_file


@pytest.fixture(scope="module")
def network():
    osm = read_osm(shared_file("osm/shanghai_center_roads_large.osm"))
    return build_walk_network(osm, metric_crs(*osm.bounds))


@pytest.mark.parametrize("islands", [False, True], ids=["plain", "islands"])
@pytest.mark.parametrize(
    "spread_m,limit_m", [(100, 20_000.0), (800, 20_000.0), (3_000, 20_000.0), (3_000, 1_500.0)]
)
def test_local_distances_equal_the_whole_graph(network, spread_m, limit_m, islands):
    rng = np.random.default_rng(spread_m + int(limit_m))
    tree = cKDTree(network.node_xy)
    checked = unreached = 0
    for source in rng.choice(network.n_nodes, 25, replace=False):
        # targets within the spread of the source, and three anywhere (often past the limit)
        near = np.asarray(tree.query_ball_point(network.node_xy[source], spread_m), dtype=int)
        near = rng.choice(near, min(30, len(near)), replace=False)
        targets = np.unique(np.concatenate([near, rng.choice(network.n_nodes, 3)]))
        want = csgraph.dijkstra(network.csr, directed=False, indices=source, limit=limit_m)
        got = local_distances(
            network.csr,
            network.node_xy,
            int(source),
            targets,
            limit_m,
            tree=tree,
            component=network.component if islands else None,
        )
        np.testing.assert_allclose(got, want[targets], rtol=0, atol=1e-6)
        checked += len(targets)
        unreached += int(np.isinf(want[targets]).sum())
    assert checked > 150
    if limit_m < 2_000:
        assert unreached > 0  # the limit did cut


@pytest.mark.parametrize("islands", [False, True], ids=["plain", "islands"])
def test_targets_on_another_island_and_no_limit(network, islands):
    labels = network.component
    sizes = np.bincount(labels)
    assert len(sizes) > 1  # the extract has street islands
    main, other = np.argsort(-sizes)[:2]
    source = int(np.flatnonzero(labels == main)[0])
    targets = np.concatenate([np.flatnonzero(labels == main)[:20], np.flatnonzero(labels == other)])
    want = csgraph.dijkstra(network.csr, directed=False, indices=source)[targets]
    got = local_distances(
        network.csr,
        network.node_xy,
        source,
        targets,
        np.inf,
        component=labels if islands else None,
    )
    np.testing.assert_allclose(got, want, rtol=0, atol=1e-6)
    assert np.isinf(got[labels[targets] == other]).all()
