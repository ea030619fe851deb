"""Local search over atom → grid labels, the last step of a new plan and of a redraw.

Starting from labels (region growing, or the existing grids), boundary atoms move to a
neighbouring grid while that lowers the objective F (:mod:`shequ.analyses.grid_objective`) and
the donor grid stays contiguous (a breadth-first search over the donor's atoms without the moving
one). The descent is first-improvement with a tabu tenure (a moved atom may not move again for a
while) so it does not cycle between two equally good states; when it stalls, chain moves and
ejection chains (:mod:`shequ.analyses.grid_chains`) move several atoms at once. This is the
"seeded growth then Kernighan–Lin-style boundary moves" family used for districting; it finds
good local optima, not proven optima (see :mod:`shequ.analyses.grid_plan`).
"""

from __future__ import annotations

import time

import numpy as np

from shequ.analyses.grid_chains import contiguous_without, ejection_pass, path_pass
from shequ.analyses.grid_objective import AtomData, SearchWeights, State, grid_cost
from shequ.analyses.grid_repair import repair_out_of_band


def improve(
    data: AtomData,
    labels: np.ndarray,
    fixed: np.ndarray,
    *,
    target: float,
    tol: float,
    weights: SearchWeights,
    max_rounds: int = 60,
    tabu_tenure: int = 7,
    time_limit_s: float = 60.0,
    random_state: int = 0,
) -> tuple[np.ndarray, dict]:
    """Move boundary atoms between adjacent grids while F decreases.

    Single-atom moves first; when none helps, chain moves and then ejection chains
    (:mod:`shequ.analyses.grid_chains`) move several atoms at once, which single moves cannot do
    when the border atoms hold no households (parks, offices). They alternate until nothing helps
    or the time is up. ``fixed`` atoms never move (an oversized atom that is its own grid).
    Returns the labels and a log (rounds, moves, path moves, final F).
    """
    st = State(data, labels.copy(), weights, target)
    labels, tot = st.labels, st.tot
    rng = np.random.default_rng(random_state)
    g_ind, g_ptr = data.graph.indices, data.graph.indptr
    last_move = np.full(len(labels), -(10**9))
    t_end = time.perf_counter() + time_limit_s
    moves = path_moves = step = rounds = 0
    for rounds in range(1, max_rounds + 1):  # noqa: B007 (reported)
        improved = False
        for i in rng.permutation(len(labels)):
            if fixed[i]:
                continue
            g = labels[i]
            nbrs = g_ind[g_ptr[i] : g_ptr[i + 1]]
            if len(nbrs) == 0:
                continue
            same = (
                nbrs if data.community is None else nbrs[data.community[nbrs] == data.community[i]]
            )
            cand = np.unique(labels[same])
            cand = cand[cand != g]
            if len(cand) == 0 or step - last_move[i] < tabu_tenure:
                continue
            before_g = grid_cost(tot, g, target, tol, weights)
            st.shift(i, g, -1.0)
            after_g = grid_cost(tot, g, target, tol, weights)
            best, best_delta = -1, -1e-12
            for h in cand:
                before_h = grid_cost(tot, h, target, tol, weights)
                st.shift(i, h, +1.0)
                after_h = grid_cost(tot, h, target, tol, weights)
                st.shift(i, h, -1.0)
                delta = (after_g - before_g) + (after_h - before_h) + st.side_delta(i, h)
                if delta < best_delta:
                    best, best_delta = h, delta
            st.shift(i, g, +1.0)
            if best < 0 or not contiguous_without(labels, data.neighbours, g, [i]):
                continue
            st.relocate(i, best)
            last_move[i] = step
            step += 1
            moves += 1
            improved = True
            if time.perf_counter() > t_end:
                break
        if not improved and time.perf_counter() < t_end:
            done = path_pass(st, fixed, target, tol, t_end)
            if not done:
                done = ejection_pass(st, fixed, target, tol, t_end)
            path_moves += done
            improved = done > 0
        if not improved or time.perf_counter() > t_end:
            break
    total = sum(grid_cost(tot, g, target, tol, weights) for g in range(st.n_grids))
    return labels, {"rounds": rounds, "moves": moves, "path_moves": path_moves, "objective": total}


def repair_and_polish(
    data: AtomData,
    labels: np.ndarray,
    fixed: np.ndarray,
    oversized: np.ndarray,
    *,
    target: float,
    tol: float,
    weights: SearchWeights,
    seconds: float,
    random_state: int = 0,
) -> tuple[np.ndarray, int]:
    """Grids still outside the band: exact neighbourhood repair
    (:func:`~shequ.analyses.grid_repair.repair_out_of_band`), then the search again to restore
    shape around the re-solved grids. Returns the labels and how many repairs were kept."""
    labels, done = repair_out_of_band(
        data,
        labels,
        oversized,
        target=target,
        tol=tol,
        move_per_household=weights.move / target,
        seconds=seconds,
    )
    if done:
        labels, _ = improve(
            data,
            labels,
            fixed,
            target=target,
            tol=tol,
            weights=weights,
            time_limit_s=seconds,
            random_state=random_state,
        )
    return labels, done
