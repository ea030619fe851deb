"""Greedy heuristics for very large coverage instances, each returned with a proven bound.

When a city-wide instance is too large to solve exactly in the time a planner has, a greedy
answer is useful only if it says how far from optimal it can be. Coverage is submodular, so:

* **Greedy maximal cover** adds, p times, the site that newly covers most weight. After every
  step k the optimum is at most ``f(S_k) + (sum of the p largest marginal gains w.r.t. S_k)``
  (Nemhauser, Wolsey & Fisher 1978); the smallest of these is the reported bound — usually
  within a few percent, far tighter than the worst-case (1 − 1/e) factor.
* **Greedy set cover** adds the site covering most still-uncovered demand groups until all are
  covered; its bound is the LP relaxation's optimum (rounded up), solved by HiGHS.

Results say ``solver="greedy"`` and ``status="heuristic"``; nothing pretends to be optimal.
"""

from __future__ import annotations

import time

import numpy as np

from shequ.analyses.coverage_models import SitingError, _check_time, _Solver, reduce_cover
from shequ.analyses.milp import INF, Milp, relative_gap
from shequ.analyses.siting_problem import SitingProblem
from shequ.analyses.siting_result import finish, nearest_assignment, open_mask
from shequ.i18n import Note


class GreedyMCLP:
    """p new sites by greedy marginal coverage, with the submodular upper bound."""

    name = "mclp-greedy"

    def __init__(self, p: int) -> None:
        if int(p) != p or p < 0:
            msg = f"p must be a whole number ≥ 0, got {p!r}"
            raise SitingError(msg)
        self.p = int(p)

    def fit(self, problem: SitingProblem) -> GreedyMCLP:
        t0 = time.perf_counter()
        free = np.flatnonzero(~problem.site_fixed)
        if self.p > len(free):
            msg = f"p={self.p} is larger than the {len(free)} candidate sites"
            raise SitingError(msg)
        red = reduce_cover(problem)
        gmat_t = red.gmat.T.tocsr()
        uncovered = np.ones(len(red.gw), dtype=bool)
        value, bound = 0.0, np.inf
        chosen: list[int] = []
        for _ in range(self.p + 1):
            gains = gmat_t @ (red.gw * uncovered)
            gains[chosen] = 0.0
            top = np.sort(gains)[::-1][: self.p]
            bound = min(bound, value + float(top.sum()))
            if len(chosen) == self.p or not gains.size or gains.max() <= 0:
                break
            best = int(np.argmax(gains))
            chosen.append(best)
            value += float(gains[best])
            col = red.gmat.indices[red.gmat.indptr[best] : red.gmat.indptr[best + 1]]
            uncovered[col] = False
        new_sites = red.sites[np.asarray(chosen, dtype=np.int64)]
        objective, bound = red.constant + value, red.constant + bound
        seconds = time.perf_counter() - t0
        self.result_ = finish(
            problem,
            model=self.name,
            solver="greedy",
            status="heuristic",
            objective=objective,
            bound=bound,
            gap=relative_gap(objective, bound),
            new_sites=new_sites,
            assignment=nearest_assignment(problem, open_mask(problem, new_sites)),
            seconds={"build": problem.build_seconds, "model": 0.0, "solve": seconds},
            message=Note("s.greedy_mclp"),
        )
        return self


class GreedyLSCP:
    """Greedy set cover with the LP-relaxation lower bound."""

    name = "lscp-greedy"

    def __init__(self, *, time_limit_s: float = 600.0, threads: int | None = None) -> None:
        _check_time(time_limit_s, 0.0)
        self.solver = _Solver(time_limit_s, 0.0, threads)

    def fit(self, problem: SitingProblem) -> GreedyLSCP:
        t0 = time.perf_counter()
        red = reduce_cover(problem)
        gmat_t = red.gmat.T.tocsr()
        uncovered = np.ones(len(red.gw), dtype=bool)
        chosen: list[int] = []
        while uncovered.any():
            gains = gmat_t @ uncovered.astype(np.float64)
            best = int(np.argmax(gains))
            if gains[best] <= 0:
                break
            chosen.append(best)
            col = red.gmat.indices[red.gmat.indptr[best] : red.gmat.indptr[best + 1]]
            uncovered[col] = False
        greedy_s = time.perf_counter() - t0
        n_g, n_y = red.gmat.shape
        bound = 0.0
        lp_s = 0.0
        if n_g and n_y:
            lp = Milp(
                np.ones(n_y),
                red.gmat,
                np.ones(n_g),
                np.full(n_g, INF),
                np.zeros(n_y),
                np.ones(n_y),
                np.zeros(n_y, bool),
                maximise=False,
                **vars(self.solver),
            ).solve()
            lp_s = lp.seconds
            bound = float(np.ceil(lp.objective - 1e-6)) if np.isfinite(lp.objective) else 0.0
        new_sites = red.sites[np.asarray(chosen, dtype=np.int64)]
        objective = float(len(chosen))
        self.result_ = finish(
            problem,
            model=self.name,
            solver="greedy",
            status="heuristic",
            objective=objective,
            bound=bound,
            gap=relative_gap(objective, bound),
            new_sites=new_sites,
            assignment=nearest_assignment(problem, open_mask(problem, new_sites)),
            seconds={"build": problem.build_seconds, "model": 0.0, "solve": greedy_s + lp_s},
            message=Note("s.greedy_lscp"),
        )
        return self
