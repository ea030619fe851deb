"""Siting models against spopt (PuLP + CBC) and brute force, on instances from real OSM extracts.

The instance is built the way ``shequ site`` builds it (homes from OSM, street candidates, one
attachment pass, bounded searches). The reference cost matrix is computed separately: a full
scipy Dijkstra from every site node, plus both access distances, densified. spopt solves the
textbook models on that dense matrix; the objectives must be equal.
"""

from __future__ import annotations

import dataclasses
import itertools

import numpy as np
import pulp
import pytest
from scipy.sparse import csgraph
from spopt.locate import LSCP as SpoptLSCP
from spopt.locate import MCLP as SpoptMCLP
from spopt.locate import PMedian as SpoptPMedian

from shequ.analyses.coverage_models import LSCP, MCLP, SitingError, coverage_curve
from shequ.analyses.greedy_siting import GreedyLSCP, GreedyMCLP
from shequ.analyses.pmedian import PMedian
from shequ.analyses.siting_problem import build_problem, problem_from_matrix
from shequ.geo.candidates import candidates_along_streets
from shequ.jobs.inputs import InputOptions, attach, load_inputs
from tests.conftest import shared_file


def _reference_solver() -> pulp.LpSolver:
    """CBC as bundled with PuLP; PuLP's HiGHS interface where a PuLP build ships no CBC."""
    available = pulp.listSolvers(onlyAvailable=True)
    if "PULP_CBC_CMD" in available:
        return pulp.PULP_CBC_CMD(msg=False)
    return pulp.HiGHS(msg=False)


CBC = _reference_solver()


def _instance(extract: str, n_sites: int, n_fixed: int, radius_m: float, search_m: float):
    area = load_inputs(InputOptions(osm=shared_file(extract), kinds=["canteen"]))
    cands = candidates_along_streets(area.network, 150.0)
    rng = np.random.default_rng(7)
    cands = cands.iloc[np.sort(rng.choice(len(cands), n_sites, replace=False))]
    net, (homes, sites) = attach(area.network, [area.homes, cands], 300.0)
    homes = homes[homes["node_id"] >= 0].reset_index(drop=True)
    weight = homes["elderly"].to_numpy()
    fixed = np.zeros(n_sites, bool)
    fixed[:n_fixed] = True
    problem = build_problem(
        net.csr,
        kind="canteen",
        radius_m=radius_m,
        speed_mps=1.0,
        client_node=homes["node_id"].to_numpy(),
        client_access_m=homes["access_m"].to_numpy(),
        weight=weight,
        site_node=sites["node_id"].to_numpy(),
        site_access_m=sites["access_m"].to_numpy(),
        site_fixed=fixed,
        search_m=search_m,
    )
    # independent dense reference: full Dijkstra from each site node, no bound
    full = csgraph.dijkstra(net.csr, directed=True, indices=sites["node_id"].to_numpy())
    dense = (
        full[:, homes["node_id"].to_numpy()].T
        + homes["access_m"].to_numpy()[:, None]
        + sites["access_m"].to_numpy()[None, :]
    )
    return problem, dense, weight, fixed


@pytest.fixture(scope="module")
def nanjing():
    return _instance("osm/nanjing_xinjiekou_small.osm", 40, 2, 400.0, 2000.0)


@pytest.fixture(scope="module")
def beijing():
    return _instance("osm/beijing_haidian_liudaokou_small.osm", 12, 1, 350.0, 1e9)


def test_pairs_equal_dense_reference(nanjing):
    problem, dense, _, _ = nanjing
    rows, cols = np.nonzero(dense <= problem.search_m)
    assert len(problem.pair_m) == len(rows)
    pairs = zip(problem.pair_client, problem.pair_site, problem.pair_m, strict=True)
    got = {(c, s): m for c, s, m in pairs}
    assert np.allclose([got[(c, s)] for c, s in zip(rows, cols, strict=True)], dense[rows, cols])


@pytest.mark.parametrize(
    ("city", "p"), [("nanjing", 1), ("nanjing", 4), ("nanjing", 8), ("beijing", 3)]
)
def test_mclp_equals_spopt(request, city, p):
    problem, dense, weight, fixed = request.getfixturevalue(city)
    ours = MCLP(p).fit(problem).result_
    ref = SpoptMCLP.from_cost_matrix(
        dense, weight, problem.radius_m, p + int(fixed.sum()), predefined_facilities_arr=fixed
    ).solve(CBC)
    assert ours.status == "optimal"
    assert ours.objective == pytest.approx(pulp.value(ref.problem.objective), rel=1e-9)
    assert ours.gap == pytest.approx(0.0, abs=1e-9)
    opened = fixed | np.isin(np.arange(len(fixed)), ours.new_sites)
    covered = (dense[:, opened] <= problem.radius_m).any(1)
    assert ours.objective == pytest.approx(weight[covered].sum())


def test_lscp_equals_spopt(nanjing):
    problem, dense, weight, fixed = nanjing
    coverable = (dense <= problem.radius_m).any(axis=1) & (weight > 0)
    ours = LSCP().fit(problem).result_
    ref = SpoptLSCP.from_cost_matrix(
        dense[coverable], problem.radius_m, predefined_facilities_arr=fixed
    ).solve(CBC)
    assert ours.objective + fixed.sum() == pytest.approx(pulp.value(ref.problem.objective))
    assert ours.covered_after[coverable].all()
    uncoverable = ~coverable & (weight > 0)
    assert all("no candidate" in r or "street" in r for r in ours.unserved_reason[uncoverable])


@pytest.mark.parametrize("city", ["nanjing", "beijing"])
def test_pmedian_equals_spopt(request, city):
    problem, dense, weight, fixed = request.getfixturevalue(city)
    p = 5
    ours = PMedian(p).fit(problem).result_
    big = np.where(dense <= problem.search_m, dense, 1e7)
    ref = SpoptPMedian.from_cost_matrix(
        big, weight, p + int(fixed.sum()), predefined_facilities_arr=fixed
    ).solve(CBC)
    assert ours.message == ""  # no home beyond the search distance: exact p-median
    assert ours.objective * 60.0 == pytest.approx(pulp.value(ref.problem.objective), rel=1e-7)


def test_brute_force_small_instance(beijing):
    problem, dense, weight, fixed = beijing
    free = np.flatnonzero(~fixed)
    for p in (2, 3):
        best_cov, best_med = -1.0, np.inf
        for combo in itertools.combinations(free, p):
            open_ = fixed.copy()
            open_[list(combo)] = True
            best_cov = max(best_cov, weight[(dense[:, open_] <= problem.radius_m).any(1)].sum())
            best_med = min(best_med, float((weight * dense[:, open_].min(1)).sum()))
        assert MCLP(p).fit(problem).result_.objective == pytest.approx(best_cov)
        assert PMedian(p).fit(problem).result_.objective * 60 == pytest.approx(best_med)


def test_curve_matches_cold_solves(nanjing):
    problem = nanjing[0]
    curve = coverage_curve(problem, 6)
    assert [r.p <= k for k, r in enumerate(curve, 1)] == [True] * 6
    for k in (2, 5):
        assert curve[k - 1].objective == pytest.approx(MCLP(k).fit(problem).result_.objective)
    values = [r.objective for r in curve]
    assert values == sorted(values)


def test_capacities_hold(nanjing):
    problem, _, weight, fixed = nanjing
    cap = weight.sum() / 12
    capped = dataclasses.replace(problem, site_capacity=np.full(problem.n_sites, cap))
    uncapped = MCLP(4).fit(problem).result_
    for model in (MCLP(4, capacitated=True), PMedian(4, capacitated=True)):
        res = model.fit(capped).result_
        assert res.status == "optimal"
        assert (res.site_load <= cap + 1e-6).all()
        opened = fixed | np.isin(np.arange(problem.n_sites), res.new_sites)
        assert (res.site_load[~opened] <= 1e-9).all()  # closed sites serve nobody
        assert res.site_load.sum() == pytest.approx(
            float((weight * res.served_share).sum()), rel=1e-6
        )
    capped_cover = MCLP(4, capacitated=True).fit(capped).result_.objective
    assert capped_cover <= uncapped.objective + 1e-6


@pytest.mark.parametrize("model", [MCLP(3), PMedian(3), LSCP()])
def test_existing_sites_stay_open(nanjing, model):
    problem = nanjing[0]
    res = model.fit(problem).result_
    assert not np.isin(res.new_sites, np.flatnonzero(problem.site_fixed)).any()
    assert (res.covered_after | ~res.covered_before).all()


def test_every_home_served_or_explained(nanjing):
    problem = nanjing[0]
    res = MCLP(3).fit(problem).result_
    served = res.covered_after
    explained = np.array([r is not None for r in res.unserved_reason])
    assert (served ^ explained).all()


def test_bad_parameters_are_named(nanjing):
    problem = nanjing[0]
    with pytest.raises(SitingError, match="p=99"):
        MCLP(99).fit(problem)
    with pytest.raises(SitingError, match="exactly one"):
        MCLP().fit(problem)
    with pytest.raises(SitingError, match="cost missing"):
        MCLP(budget=3.0).fit(problem)
    with pytest.raises(SitingError, match="capacity missing"):
        MCLP(2, capacitated=True).fit(problem)


@pytest.mark.parametrize(
    ("model", "name"),
    [
        (MCLP(2.5), "p"),
        (MCLP(2, budget=4.0), "exactly one"),
        (MCLP(budget=-1.0), "budget"),
        (LSCP(time_limit_s=0), "time_limit_s"),
        (LSCP(mip_gap=1.0), "mip_gap"),
        (PMedian(2, max_walk_min=-5.0), "max_walk_min"),
        (GreedyMCLP(-1), "p"),
        (GreedyLSCP(time_limit_s=-1.0), "time_limit_s"),
    ],
)
def test_parameters_are_stored_as_given_and_checked_by_fit(model, name):
    """scikit-learn's convention: ``__init__`` only stores, ``fit`` checks and sets ``result_``."""
    cost = np.array([[100.0, 500.0], [200.0, 50.0]])
    prob = problem_from_matrix(cost, [1.0, 2.0], 300.0)
    assert not hasattr(model, "result_")
    with pytest.raises(SitingError, match=name):
        model.fit(prob)
    assert not hasattr(model, "result_")


def test_budget_below_every_cost_is_an_explicit_empty_answer():
    cost = np.array([[100.0, 500.0], [200.0, 50.0]])
    prob = problem_from_matrix(cost, [1.0, 2.0], 300.0, site_cost=np.array([10.0, 20.0]))
    res = MCLP(budget=5.0).fit(prob).result_
    assert res.p == 0 and res.objective == 0.0
    assert "affordable" in res.message
    assert MCLP(budget=10.0).fit(prob).result_.objective == 3.0


@pytest.mark.parametrize("p", [2, 6])
def test_greedy_mclp_bound_brackets_the_optimum(nanjing, p):
    problem = nanjing[0]
    greedy = GreedyMCLP(p).fit(problem).result_
    exact = MCLP(p).fit(problem).result_
    assert greedy.solver == "greedy" and greedy.status == "heuristic"
    assert greedy.objective <= exact.objective + 1e-9 <= greedy.bound + 1e-9
    assert greedy.objective >= (1 - 1 / np.e) * exact.objective


def test_greedy_lscp_bound_brackets_the_optimum(nanjing):
    problem = nanjing[0]
    greedy = GreedyLSCP().fit(problem).result_
    exact = LSCP().fit(problem).result_
    assert greedy.bound <= exact.objective <= greedy.objective
    assert greedy.covered_after.sum() == exact.covered_after.sum()
