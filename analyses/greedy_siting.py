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

from shequ.analyses.coverage_models import _check_p, _check_p_fits, _solver, reduce_cover
from shequ.analyses.milp import INF, Milp, relative_gap
from shequ.analyses.siting_problem import SitingProblem
from shequ.analyses.siting_result import finish, nearest_assignment, open_mask
from shequ.i18n import Note


class GreedyMCLP:
    """Greedy maximal cover (贪心最大覆盖): ``p`` new sites by marginal coverage, with the
    submodular upper bound.

    Algorithm, on the reduced problem of :class:`~shequ.analyses.coverage_models.MCLP`
    (demand groups ``g`` of weight ``W_g``, useful free candidates ``j``)::

        S_0 = ∅
        S_k = S_{k-1} ∪ {argmax_j Δ_j(S_{k-1})}        k = 1 … p,
        Δ_j(S) = Σ_{g ∈ G_j, g not covered by S} W_g     (G_j: the groups j covers)

        objective  f(S_p) = C + Σ_{g covered by S_p} W_g
        bound      min_k [ f(S_k) + (sum of the p largest Δ_j(S_k)) ]   k = 0 … p

    where ``C`` is the weight existing sites already cover. Coverage is submodular, so every
    bracket is an upper bound on the MCLP optimum (Nemhauser, Wolsey & Fisher 1978); the
    answer is also within the worst-case factor 1 − 1/e of it. It stops early when no
    candidate adds weight.

    Parameters
    ----------
    p : int
        Number of new sites (a whole number ≥ 0, at most the free candidates).

    Attributes
    ----------
    result_ : SitingResult
        ``solver="greedy"``, ``status="heuristic"``; ``objective`` the covered weight,
        ``bound`` the smallest bracket and ``gap`` between them.

    Raises
    ------
    SitingError
        From :meth:`fit`: ``p`` not a whole number ≥ 0, or above the number of candidates.

    Examples
    --------
    >>> from shequ.analyses.siting_problem import problem_from_matrix
    >>> metres = [[100.0, 500.0, 900.0], [400.0, 150.0, 700.0], [800.0, 250.0, 200.0]]
    >>> problem = problem_from_matrix(metres, [10.0, 20.0, 5.0], 300.0)
    >>> result = GreedyMCLP(1).fit(problem).result_
    >>> result.objective, result.bound, str(result.status)
    (25.0, 25.0, 'heuristic')
    """

    name = "mclp-greedy"

    def __init__(self, p: int) -> None:
        self.p = p

    def fit(self, problem: SitingProblem) -> GreedyMCLP:
        """Choose the sites greedily on ``problem``.

        Parameters
        ----------
        problem : SitingProblem
            Homes, sites and their walk pairs.

        Returns
        -------
        GreedyMCLP
            ``self``, with ``result_`` set.

        Raises
        ------
        SitingError
            When ``p`` is out of range.
        """
        p = _check_p(self.p)
        _check_p_fits(p, problem)
        t0 = time.perf_counter()
        red = reduce_cover(problem)
        gmat_t = red.gmat.T.tocsr()
        uncovered = np.ones(len(red.gw), dtype=bool)
        value, bound = 0.0, np.inf
        chosen: list[int] = []
        for _ in range(p + 1):
            gains = gmat_t @ (red.gw * uncovered)
            gains[chosen] = 0.0
            top = np.sort(gains)[::-1][:p]
            bound = min(bound, value + float(top.sum()))
            if len(chosen) == p or not gains.size or gains.max() <= 0:
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
    """Greedy set cover (贪心集合覆盖) with the LP-relaxation lower bound.

    Algorithm, on the reduced problem of :class:`~shequ.analyses.coverage_models.MCLP`
    (demand groups ``g`` existing sites do not cover and some candidate reaches; useful free
    candidates ``j``, ``N_g`` the candidates covering ``g``)::

        while a group is uncovered:  add the candidate covering most uncovered groups

        objective  the number of sites added
        bound      ⌈ min Σ_j y_j  s.t.  Σ_{j ∈ N_g} y_j ≥ 1 for every g,  0 ≤ y_j ≤ 1 ⌉

    The bound is the optimum of the LSCP's linear relaxation (solved by HiGHS), rounded up:
    no cover can use fewer sites.

    Parameters
    ----------
    time_limit_s : float, default 600
        HiGHS time limit for the relaxation (seconds, > 0).
    threads : int, optional
        HiGHS threads (None = HiGHS default).

    Attributes
    ----------
    result_ : SitingResult
        ``solver="greedy"``, ``status="heuristic"``; ``objective`` the number of new sites,
        ``bound`` the rounded relaxation and ``gap`` between them.

    Raises
    ------
    SitingError
        From :meth:`fit`: ``time_limit_s`` not a positive number.

    Examples
    --------
    >>> from shequ.analyses.siting_problem import problem_from_matrix
    >>> metres = [[100.0, 500.0, 900.0], [400.0, 150.0, 700.0], [800.0, 250.0, 200.0]]
    >>> problem = problem_from_matrix(metres, [10.0, 20.0, 5.0], 300.0)
    >>> result = GreedyLSCP().fit(problem).result_
    >>> result.objective, result.bound
    (2.0, 2.0)
    """

    name = "lscp-greedy"

    def __init__(self, *, time_limit_s: float = 600.0, threads: int | None = None) -> None:
        self.time_limit_s = time_limit_s
        self.threads = threads

    def fit(self, problem: SitingProblem) -> GreedyLSCP:
        """Cover greedily on ``problem`` and bound the answer.

        Parameters
        ----------
        problem : SitingProblem
            Homes, sites and their walk pairs.

        Returns
        -------
        GreedyLSCP
            ``self``, with ``result_`` set.

        Raises
        ------
        SitingError
            When ``time_limit_s`` is out of range.
        """
        solver = _solver(self.time_limit_s, 0.0, self.threads)
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
                **vars(solver),
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
