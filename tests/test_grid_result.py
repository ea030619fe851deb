"""Grid models in one convention: parameters checked by ``fit``, a ``GridPlan`` as the result."""

from __future__ import annotations

import numpy as np
import pytest

from shequ.analyses.grid_edits import edit_plan
from shequ.analyses.grid_objective import State, grid_cost, objective_terms
from shequ.analyses.grid_plan import GridParameterError, GridPlanner, atom_data
from shequ.analyses.grid_redraw import GridRedrawer
from shequ.errors import InputError
from tests.helpers import shanghai_window


@pytest.fixture(scope="module")
def small():
    atoms = shanghai_window(400.0)  # real central-Shanghai blocks, ~80 atoms
    target = float(atoms.frame["households"].sum() / 4)
    return atoms, target, GridPlanner(target, n_starts=2, time_limit_s=5).fit(atoms)


def test_parameters_are_stored_as_given_and_checked_by_fit(small):
    atoms = small[0]
    planner = GridPlanner(households_per_grid=0, tolerance=1.5)  # no error yet
    assert planner.households_per_grid == 0 and planner.tolerance == 1.5
    with pytest.raises(GridParameterError, match="households_per_grid must be positive, got 0"):
        planner.fit(atoms)
    assert not hasattr(planner, "result_")  # nothing fitted
    with pytest.raises(ValueError, match=r"tolerance must be in \[0, 1\), got 1.5"):
        GridPlanner(300.0, tolerance=1.5).fit(atoms)
    with pytest.raises(InputError) as error:  # the CLI prints it in the user's language
        GridRedrawer(300.0, random_state=-1).fit(atoms, np.zeros(atoms.n, dtype=int))
    assert error.value.one_line("zh") == "random_state 必须是不小于 0 的整数，实际为 -1"


def test_plan_result_is_what_the_fitted_attributes_show(small):
    atoms, target, planner = small
    plan = planner.result_
    assert plan.labels is planner.labels_ and plan.oversized is planner.oversized_
    assert plan.n_grids == 4 and plan.moves is None and plan.households_moved == 0.0
    assert plan.seconds["fit"] == planner.seconds_ >= plan.seconds["starts"]
    assert plan.method.key == "g.method_plan" and plan.method.startswith("seeded region growing")
    households = atoms.frame["households"].to_numpy()
    assert set(plan.oversized) == set(np.flatnonzero(households > target * 1.15))


def test_objective_terms_add_up_to_what_the_search_prices(small):
    atoms, target, planner = small
    plan = planner.result_
    data = atom_data(atoms, plan.border_cost)
    terms = objective_terms(data, plan.labels, target=target, tol=0.15, weights=plan.weights)
    st = State(data, plan.labels.copy(), plan.weights, target)
    grids = sum(grid_cost(st.tot, g, target, 0.15, plan.weights) for g in range(st.n_grids))
    shape = terms["balance"] + terms["out_of_band"] + terms["compactness"]
    assert shape + terms["perimeter"] + terms["thin"] == pytest.approx(grids, rel=1e-9)
    assert terms["total"] == pytest.approx(sum(v for k, v in terms.items() if k != "total"))
    assert terms == plan.objective
    # one atom moved to a neighbouring grid: F changes by what the search prices for the move
    nb = data.neighbours.tocoo()
    i, j = next((a, b) for a, b in zip(nb.row, nb.col, strict=True) if st.labels[a] != st.labels[b])
    g, h = int(st.labels[i]), int(st.labels[j])
    before = grid_cost(st.tot, g, target, 0.15, st.w) + grid_cost(st.tot, h, target, 0.15, st.w)
    side = st.relocate(i, h)
    after = grid_cost(st.tot, g, target, 0.15, st.w) + grid_cost(st.tot, h, target, 0.15, st.w)
    moved = objective_terms(data, st.labels, target=target, tol=0.15, weights=plan.weights)
    # rel 1e-5: the running second moments (UTM metres, ~1e15) lose digits to cancellation
    assert moved["total"] - terms["total"] == pytest.approx(after - before + side, rel=1e-5)


def test_redraw_result_owns_its_oversized_atoms_and_moves(small):
    atoms, target, planner = small
    smaller = target * 0.8  # households per grid cut by a fifth: grids must split
    redraw = GridRedrawer(smaller, time_limit_s=5).fit(atoms, planner.labels_).result_
    households = atoms.frame["households"].to_numpy()
    assert set(redraw.oversized) == set(np.flatnonzero(households > smaller * 1.15))
    assert redraw.households_moved == pytest.approx(redraw.moves["households"].sum())
    assert (redraw.origin == planner.labels_).all()
    assert redraw.method.key == "g.method_redraw" and redraw.search["start"] in (
        "existing grids",
        "fresh plan matched to existing ids",
    )
    assert redraw.objective["moves"] == pytest.approx(
        redraw.weights.move / smaller * redraw.households_moved
    )


def test_edits_make_a_new_plan_and_leave_the_old_one(small):
    atoms, _, planner = small
    plan = planner.result_
    labels = plan.labels.copy()
    a = int(np.flatnonzero(atoms.frame["households"].to_numpy() > 0)[0])
    to = int((plan.labels[a] + 1) % plan.n_grids)
    drawn = atoms.frame.geometry.iloc[a].buffer(-0.5)  # inside atom a only
    edited, rejected = edit_plan(plan, atoms, [(2, drawn, to), (3, drawn, 99)])
    assert (plan.labels == labels).all() and plan.moves is None  # the plan is unchanged
    assert edited.labels[a] == to and (np.delete(edited.labels, a) == np.delete(labels, a)).all()
    assert edited.moves[["atom_id", "to_grid", "edit_row"]].values.tolist() == [[a, to, 2]]
    assert edited.households_moved == atoms.frame["households"].iat[a]
    assert [(row, reason.key) for row, reason in rejected] == [(3, "r.grid_edit_unknown_grid")]
    assert str(rejected[0][1]) == "to_grid 99 is not a grid of this plan"
    assert edited.objective["total"] != plan.objective["total"]
