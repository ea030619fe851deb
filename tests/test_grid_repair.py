"""The exact neighbourhood repair (HiGHS, flow contiguity) against brute force on real atoms."""

from __future__ import annotations

import itertools

import numpy as np
import pytest
from scipy.sparse import csgraph

from shequ.analyses.grid_plan import DEFAULT_BORDER_COST, GridPlanner, atom_data
from shequ.analyses.grid_repair import SLACK_COST, band_excess, repair, repair_out_of_band
from tests.helpers import shanghai_window


@pytest.fixture(scope="module")
def small():
    atoms = shanghai_window(300.0)  # real central-Shanghai blocks, ~57 atoms
    target = atoms.frame["households"].sum() / 5
    labels = GridPlanner(target, n_starts=1, time_limit_s=5).fit(atoms).labels_
    return atoms, atom_data(atoms, DEFAULT_BORDER_COST), labels, target


def _contiguous(nb, members) -> bool:
    sub = nb[members][:, members]
    return csgraph.connected_components(sub, directed=False)[0] == 1


def test_repair_equals_brute_force_on_two_grids(small):
    _, data, labels, target = small
    h = data.households.copy()
    nb = data.neighbours.tocsr()
    # the pair of adjacent grids with fewest atoms between them (brute force: 2^n)
    coo = nb.tocoo()
    pairs = {tuple(sorted((labels[a], labels[b]))) for a, b in zip(coo.row, coo.col, strict=True)}
    pairs = [p for p in pairs if p[0] != p[1]]
    g0, g1 = min(pairs, key=lambda p: np.isin(labels, p).sum())
    members = np.flatnonzero(np.isin(labels, (g0, g1)))
    assert 4 <= len(members) <= 16
    # make it worth repairing: the first grid 40 % heavier
    grow = labels == g0
    data.households = np.where(grow, h * 1.4, h)
    try:
        tol, move_w = 0.15, 2.0 / target
        got = repair(
            data,
            labels,
            [g0, g1],
            target=target,
            tol=tol,
            move_per_household=move_w,
            time_limit_s=60,
            shape_weight=0.0,
        )
        hh = data.households[members]
        lo, hi = target * (1 - tol), target * (1 + tol)
        roots = [
            members[labels[members] == g][np.argmax(hh[labels[members] == g])] for g in (g0, g1)
        ]

        def cost(assign: np.ndarray) -> float:
            total = 0.0
            for g in (g0, g1):
                load = hh[assign == g].sum()
                total += SLACK_COST * (max(0.0, load - hi) + max(0.0, lo - load))
            return total + move_w * hh[assign != labels[members]].sum()

        best = np.inf
        for bits in itertools.product((g0, g1), repeat=len(members)):
            assign = np.array(bits)
            if assign[members == roots[0]][0] != g0 or assign[members == roots[1]][0] != g1:
                continue
            if all(_contiguous(nb, members[assign == g]) for g in (g0, g1)):
                best = min(best, cost(assign))
        assert got is not None
        assert (got[~np.isin(labels, (g0, g1))] == labels[~np.isin(labels, (g0, g1))]).all()
        for g in (g0, g1):
            assert _contiguous(nb, np.flatnonzero(got == g))
        assert cost(got[members]) == pytest.approx(best, rel=1e-6, abs=1e-6)
    finally:
        data.households = h


def test_repair_out_of_band_never_raises_the_excess(small):
    atoms, data, labels, target = small
    h = data.households.copy()
    c = atoms.frame.geometry.centroid
    near = (np.hypot(c.x - c.x.median(), c.y - c.y.median()) < 150).to_numpy()
    data.households = np.where(near, h * 1.6, h)
    try:
        fixed = np.zeros(len(h), dtype=bool)
        before = band_excess(labels, data, fixed, target, 0.15).sum()
        assert before > 0
        got, done = repair_out_of_band(
            data,
            labels,
            fixed,
            target=target,
            tol=0.15,
            move_per_household=2.0 / target,
            seconds=30,
        )
        after = band_excess(got, data, fixed, target, 0.15).sum()
        assert after <= before and (done == 0 or after < before)
        for g in np.unique(got):
            assert _contiguous(data.neighbours.tocsr(), np.flatnonzero(got == g))
    finally:
        data.households = h
