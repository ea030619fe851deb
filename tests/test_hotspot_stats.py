"""Hot-spot statistics against esda on real incidents (Sacramento, January 2006) on H3 cells."""

from __future__ import annotations

import warnings

import h3
import numpy as np
import pytest
import shapely
from esda import fdr as esda_fdr
from esda.getisord import G_Local
from esda.moran import Moran_Local
from libpysal.weights import W

from shequ.analyses.hotspot_stats import (
    check_enough,
    confidence_bins,
    fdr_cut,
    gi_star,
    local_moran,
    permutation_p,
    ring_weights,
)
from shequ.geo.h3cells import points_to_cells, polygon_to_cells, ring_pairs
from shequ.geo.incidents import read_incidents
from shequ.rejects import Rejects
from tests.conftest import shared_file


def _cells(res: int):
    inc = read_incidents(shared_file("incidents/sacramento_crime_jan2006.csv"), Rejects())
    lon, lat = inc.frame.geometry.x.to_numpy(), inc.frame.geometry.y.to_numpy()
    hull = shapely.convex_hull(shapely.multipoints(np.column_stack([lon, lat])))
    cells = np.union1d(polygon_to_cells(hull, res), points_to_cells(lon, lat, res))
    where = np.searchsorted(cells, points_to_cells(lon, lat, res))
    y = np.bincount(where, minlength=len(cells)).astype(float)
    i, j = ring_pairs(cells, 1)
    return cells, y, i, j


@pytest.fixture(scope="module")
def res8():
    return _cells(8)


def _libpysal_w(n, i, j):
    neighbours = {k: [] for k in range(n)}
    for a, b in zip(i, j, strict=True):
        neighbours[int(a)].append(int(b))
    return W(neighbours, silence_warnings=True)


def test_gi_star_z_equals_esda(res8):
    _, y, i, j = res8
    ours = gi_star(y, ring_weights(len(y), i, j, self_weight=True))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        ref = G_Local(y, _libpysal_w(len(y), i, j), transform="B", star=True, permutations=0)
    np.testing.assert_allclose(ours.z, ref.Zs, rtol=0, atol=1e-9)
    np.testing.assert_allclose(ours.g, ref.Gs, rtol=1e-12)


def test_local_moran_equals_esda(res8):
    _, y, i, j = res8
    ours = local_moran(y, ring_weights(len(y), i, j, self_weight=False))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        ref = Moran_Local(y, _libpysal_w(len(y), i, j), transformation="r", permutations=0)
    np.testing.assert_allclose(ours, ref.Is, rtol=0, atol=1e-9)


def test_fdr_cut_equals_esda():
    rng = np.random.default_rng(3)
    for _ in range(20):
        p = np.concatenate([rng.uniform(0, 1, 300), rng.uniform(0, 0.002, rng.integers(0, 30))])
        for alpha in (0.05, 0.1):
            assert fdr_cut(p, alpha) == pytest.approx(esda_fdr(p, alpha))


def test_permutation_p_reproducible_and_close_to_esda(res8):
    _, y, i, j = res8
    w = ring_weights(len(y), i, j, self_weight=True)
    p1 = permutation_p(y, w, permutations=999, seed=1)
    p2 = permutation_p(y, w, permutations=999, seed=1)
    assert np.array_equal(p1, p2)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        ref = G_Local(y, _libpysal_w(len(y), i, j), transform="B", star=True, seed=5)
    # compare where ties cannot matter: the neighbourhood sum is unlike most draws
    busy = np.asarray(w @ y).ravel() >= 10
    diff = np.abs(p1[busy] - ref.p_sim[busy])
    se = np.sqrt(np.maximum(ref.p_sim[busy] * (1 - ref.p_sim[busy]), 1e-3) / 999)
    assert busy.sum() > 50
    assert np.mean(diff <= 4 * se + 0.002) > 0.97  # within Monte-Carlo error


def test_empty_neighbourhoods_are_never_significant_unlike_esda():
    _, y, i, j = _cells(10)  # fine cells: most neighbourhoods hold no incident
    w = ring_weights(len(y), i, j, self_weight=True)
    empty = np.asarray(w @ y).ravel() == 0
    assert empty.mean() > 0.5
    ours = permutation_p(y, w, permutations=999, seed=0)
    assert (ours[empty] == 1.0).all()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        ref = G_Local(y, _libpysal_w(len(y), i, j), transform="B", star=True, seed=0)
    # esda counts the (all-zero) ties against the cell: thousands of "significant cold spots"
    assert (ref.p_sim[empty] <= 0.01).sum() > 1000
    z = gi_star(y, w).z
    assert (confidence_bins(z, ours)[empty] == 0).all()


def test_bins_and_guard():
    z = np.array([3.0, 2.0, -2.5, 0.5])
    p = np.array([0.001, 0.04, 0.08, 0.5])
    assert confidence_bins(z, p).tolist() == [3, 2, -1, 0]
    assert confidence_bins(z, p, cut=0.01).tolist() == [3, 0, 0, 0]
    with pytest.raises(ValueError, match="at least 30"):
        check_enough(12)


def test_a_neighbourhood_of_every_cell_is_no_cold_spot():
    # seven cells, the centre's ring holds them all: its Gi* is constant, z undefined (esda: NaN)
    centre = np.uint64(h3.api.numpy_int.latlng_to_cell(38.58, -121.49, 8))  # Sacramento
    cells = np.sort(np.asarray(h3.api.numpy_int.grid_disk(int(centre), 1), dtype=np.uint64))
    y = np.array([1.0, 4, 2, 1, 9, 2, 20])
    i, j = ring_pairs(cells, 1)
    w = ring_weights(len(y), i, j, self_weight=True)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # no RuntimeWarning on the user's terminal
        z = gi_star(y, w).z
    middle = int(np.searchsorted(cells, centre))
    assert np.isnan(z[middle]) and np.isfinite(np.delete(z, middle)).all()
    bins = confidence_bins(z, np.full(7, 0.001))
    assert bins[middle] == 0  # was int64's minimum: a "99 % cold spot"
