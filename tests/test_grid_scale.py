"""City-scale plans (issue 15): grids grown per zone and searched window by window, so the
work per window stays that of a district and quality does not fall with the number of atoms."""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pytest
import shapely
from scipy.sparse import csgraph

from shequ.analyses import grid_plan
from shequ.analyses.grid_objective import Totals
from shequ.analyses.grid_plan import (
    GridPlanner,
    atom_data,
    growth_zones,
    plan_windows,
    sub_data,
)
from shequ.geo.atoms import build_atoms

TARGET = 300.0


def city(side: int, seed: int = 1):
    """``side`` × ``side`` street blocks of 100 m with lognormal households (mean ~75 a block,
    a dense quarter in one corner), as atoms."""
    rng = np.random.default_rng(seed)
    xs, ys = np.meshgrid(np.arange(side) * 100.0, np.arange(side) * 100.0)
    xs, ys = xs.ravel(), ys.ravel()
    blocks = gpd.GeoDataFrame(
        {"block_id": np.arange(len(xs))},
        geometry=shapely.box(xs, ys, xs + 100, ys + 100),
        crs="EPSG:32650",
    )
    dense = np.where((xs < side * 30) & (ys < side * 30), 3.0, 1.0)
    households = np.round(60 * dense * rng.lognormal(0.0, 0.5, len(xs)))
    homes = gpd.GeoDataFrame({"households": households}, geometry=blocks.centroid, crs=blocks.crs)
    none = gpd.GeoDataFrame({"compound_id": [], "border": []}, geometry=[], crs=blocks.crs)
    outline = shapely.box(0, 0, side * 100.0, side * 100.0)
    return build_atoms(blocks, none, homes, none, outline)


@pytest.fixture(scope="module")
def atoms():
    return city(24)


def test_zones_are_connected_and_hold_a_share_of_grids(atoms):
    data = atom_data(atoms, grid_plan.DEFAULT_BORDER_COST)
    zones = growth_zones(data, TARGET * 8, 0)
    load = np.bincount(zones, weights=data.households)
    assert len(load) == pytest.approx(data.households.sum() / (TARGET * 8), abs=2)
    assert load.min() >= 0.25 * TARGET * 8  # no sliver of a zone grows grids of its own
    for z in range(len(load)):
        inside = np.flatnonzero(zones == z)
        n_parts, _ = csgraph.connected_components(data.neighbours[inside][:, inside])
        assert n_parts == 1


def test_windows_hold_whole_grids_and_their_totals_match_the_plan(atoms):
    data = atom_data(atoms, grid_plan.DEFAULT_BORDER_COST)
    labels = np.arange(atoms.n) // 4  # any labels: rows of four blocks
    windows = plan_windows(data, labels, 10, 0)
    seen = np.concatenate(windows)
    assert np.array_equal(np.sort(seen), np.arange(atoms.n))  # every atom in one window
    whole = Totals(data, labels, int(labels.max()) + 1)
    for members in windows:
        grids, local = np.unique(labels[members], return_inverse=True)
        assert np.isin(np.flatnonzero(np.isin(labels, grids)), members).all()  # whole grids
        part = Totals(sub_data(data, members), local, len(grids))
        # a window's grids have the perimeter and households the whole plan gives them
        np.testing.assert_allclose(part.p, whole.p[grids], rtol=1e-9)
        np.testing.assert_allclose(part.h, whole.h[grids], rtol=1e-9)


def _windowed(monkeypatch, atoms) -> GridPlanner:
    monkeypatch.setattr(grid_plan, "WINDOW_ATOMS", 100)  # a district's size, scaled down
    monkeypatch.setattr(grid_plan, "WINDOW_GRIDS", 8)
    return GridPlanner(TARGET, 0.15, time_limit_s=30.0).fit(atoms)


def test_windowed_plan_is_contiguous_and_balanced(monkeypatch, atoms):
    model = _windowed(monkeypatch, atoms)
    data = atom_data(atoms, grid_plan.DEFAULT_BORDER_COST)
    labels = model.labels_
    h = np.bincount(labels, weights=data.households)
    assert model.log_["windows"] >= 3 * grid_plan.WINDOW_PASSES  # it was windowed
    assert len(h) == pytest.approx(data.households.sum() / TARGET, abs=3)
    within = np.abs(h / TARGET - 1) <= 0.15 + 1e-9
    regular = np.bincount(labels[model.oversized_], minlength=len(h)) == 0
    # grids of an oversized block apart; four blocks a grid on average leave little to trade
    assert within[regular].mean() >= 0.85
    monkeypatch.undo()  # the same atoms as one district (576 atoms: not windowed)
    whole = GridPlanner(TARGET, 0.15, time_limit_s=30.0).fit(atoms)
    assert "windows" not in whole.log_
    h_whole = np.bincount(whole.labels_, weights=data.households)
    assert within.mean() >= (np.abs(h_whole / TARGET - 1) <= 0.15 + 1e-9).mean() - 0.02
    for g in range(len(h)):  # every grid one piece
        inside = np.flatnonzero(labels == g)
        assert csgraph.connected_components(data.neighbours[inside][:, inside])[0] == 1


def test_window_work_does_not_grow_with_the_city(monkeypatch):
    """Counted, not timed: four times the blocks, about four times the windows (each a
    district-sized search), not more."""
    sizes = {}
    for side in (12, 24):
        model = _windowed(monkeypatch, city(side))
        sizes[side] = model.log_["windows"]
    assert 3 <= sizes[24] / sizes[12] <= 5


def test_windows_searched_in_two_processes_give_the_same_plan(monkeypatch):
    """The windows of a pass are disjoint: run in two processes, the plan is the same (given
    time to converge, so no window stops on the clock)."""
    monkeypatch.setattr(grid_plan, "WINDOW_ATOMS", 100)
    monkeypatch.setattr(grid_plan, "WINDOW_GRIDS", 8)
    atoms = city(12)
    one = GridPlanner(TARGET, 0.15, time_limit_s=300.0).fit(atoms)
    two = GridPlanner(TARGET, 0.15, time_limit_s=300.0, n_jobs=2).fit(atoms)
    assert one.log_["windows"] > 2
    np.testing.assert_array_equal(one.labels_, two.labels_)


def test_n_jobs_is_checked(atoms):
    with pytest.raises(ValueError, match="n_jobs"):
        GridPlanner(TARGET, n_jobs=0).fit(atoms)


def test_oversized_blocks_stay_grids_of_one_unit(monkeypatch):
    """A block above the ceiling is its own grid, and on a windowed plan no atom joins it (not
    even an empty one for shape): the flag 'oversized' then means one indivisible unit."""
    atoms = city(16)
    big = [20, 100, 170]
    atoms.frame.loc[big, "households"] = 520.0
    model = _windowed(monkeypatch, atoms)
    labels = model.labels_
    assert set(big) <= set(model.oversized_.tolist())  # (the dense corner has its own)
    for a in model.oversized_:
        assert (labels == labels[a]).sum() == 1


def test_a_long_street_classes_the_borders_along_it_as_a_whole_one(monkeypatch):
    """Border lines are buffered in pieces of at most MAX_LINE_VERTICES vertices: the class of
    every border along a 2,000-vertex street is the one the whole street gives."""
    from shequ.geo import atoms as atoms_module

    x = np.linspace(0.0, 10_000.0, 2001)
    street = shapely.linestrings(np.column_stack([x, 0.2 * np.sin(x / 7.0)]))
    lane = shapely.linestrings([[5000.0, -500.0], [5000.0, 500.0]])
    lines = gpd.GeoDataFrame({"border": ["major", "minor"]}, geometry=[street, lane])
    xs = np.arange(0.0, 10_000.0, 100.0)
    blocks = np.r_[shapely.box(xs, 0, xs + 100, 100), shapely.box(xs, -100, xs + 100, 0)]
    a, b, _ = atoms_module._adjacency(blocks)
    pieces = atoms_module._border_classes(blocks, a, b, lines)
    monkeypatch.setattr(atoms_module, "_short_pieces", lambda g: (g, np.arange(len(g))))
    whole = atoms_module._border_classes(blocks, a, b, lines)
    across = np.abs(a - b) == len(xs)  # a block and the one facing it across the street
    assert across.sum() == len(xs)
    assert (pieces[across] == "major").all()
    assert np.array_equal(pieces, whole)
