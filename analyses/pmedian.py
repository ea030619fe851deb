"""p-median: open ``p`` new sites so that the demand-weighted walk time to the nearest is least.

The classic formulation (ReVelle & Swain 1970) over the sparse pairs of the problem only: a home
may be assigned to any site within ``search_m``. A home whose open sites are all farther than
that is assigned to a slack column priced at the search distance — less than its true walk — so
the model is a relaxation of the full problem: its bound is a valid lower bound, and when no slack
is used (the usual case, and always when ``search_m`` covers every pair) the solution is the exact
p-median optimum. With ``max_walk_min`` the slack is removed and every home must be assigned
within that walk (the "p-median with a maximum distance" variant). Capacities add
``Σ w·x ≤ cap·y`` rows; a home's demand may then be split.
"""

from __future__ import annotations

import time

import numpy as np
from scipy import sparse

from shequ.analyses.coverage_models import (
    SitingError,
    _check_p,
    _check_p_fits,
    _is_number,
    _require,
    _Solver,
    _solver,
)
from shequ.analyses.milp import INF, Milp, relative_gap
from shequ.analyses.siting_problem import SitingProblem
from shequ.analyses.siting_result import (
    finish,
    fractional_assignment,
    nearest_assignment,
    open_mask,
)
from shequ.i18n import Note


class PMedian:
    """p-median (P-中位): ``p`` new sites so that the demand-weighted walk time to the
    assigned site is least (existing sites stay open and are not counted).

    Formulation (ReVelle & Swain 1970, as spopt's ``PMedian``) over the sparse pairs only::

        minimise    Σ_i Σ_{j ∈ M_i} w_i t_ij x_ij  +  Σ_i w_i T u_i
        subject to  Σ_{j ∈ M_i} x_ij + u_i = 1     for every home i with demand
                    x_ij ≤ y_j                      for every pair (i, j)
                    Σ_{j free} y_j ≤ p
                    y_j = 1 for existing sites,  y_j ∈ {0, 1},  0 ≤ x_ij ≤ 1,  0 ≤ u_i ≤ 1

    where ``w_i`` is home ``i``'s demand weight, ``M_i`` the sites within the problem's
    ``search_m`` of ``i`` (door-to-door walk), ``t_ij`` the walk minutes, ``x_ij`` the share of
    ``i`` assigned to site ``j``, ``y_j`` 1 when site ``j`` is open, and ``u_i`` a slack priced
    at ``T``, the search distance in minutes. Unlike spopt's dense model (every home × every
    site) only pairs within ``search_m`` exist; a home whose open sites all lie beyond it is
    charged ``T`` — less than its true walk — so the model is a relaxation of the full
    p-median: its bound is valid, and when no slack is used (always when ``search_m`` covers
    every pair) the solution is the exact optimum. The reported objective is Σ w·minutes to
    the nearest open site (``T`` for a home with none).

    With ``max_walk_min`` (p-median with a maximum distance) ``M_i`` holds the sites within
    that walk and there is no slack ``u_i``: every home must be assigned within it, else the
    answer is ``infeasible``. With ``capacitated=True`` the rows
    ``Σ_i w_i x_ij ≤ c_j y_j`` (``c_j`` the site's capacity) are added and a home's demand
    may be split; the objective is then the model's own Σ w·t·x. Its ``headline`` counts
    demand served as maximal cover does: only the shares assigned within the kind's walk
    threshold, so the two models compare on one figure (a share assigned farther fills
    places but serves no one within the standard).

    Parameters
    ----------
    p : int
        Number of new sites (a whole number ≥ 0, at most the free candidates).
    max_walk_min : float, optional
        Every home must be assigned within this walk (minutes, > 0, within the problem's
        search distance).
    capacitated : bool, default False
        Assign demand within site capacities (every site needs a ``site_capacity``).
    time_limit_s : float, default 600
        HiGHS time limit (seconds, > 0); the best solution and its proven bound are kept.
    mip_gap : float, default 0
        Relative gap at which HiGHS stops, in [0, 1) (0 = prove optimality).
    threads : int, optional
        HiGHS threads (None = HiGHS default).

    Attributes
    ----------
    result_ : SitingResult
        The fitted answer: ``objective`` in weighted walk minutes, ``bound`` and ``gap``,
        ``new_sites`` in rank order, the assignment and a reason for every unserved home.

    Raises
    ------
    SitingError
        From :meth:`fit`: a parameter out of range, ``p`` above the number of candidates,
        ``max_walk_min`` beyond the search distance, or capacities missing.

    Examples
    --------
    >>> from shequ.analyses.siting_problem import problem_from_matrix
    >>> metres = [[100.0, 500.0, 900.0], [400.0, 150.0, 700.0], [800.0, 250.0, 200.0]]
    >>> problem = problem_from_matrix(metres, [10.0, 20.0, 5.0], 300.0, speed_mps=1.0)
    >>> result = PMedian(1).fit(problem).result_
    >>> result.new_sites.tolist(), round(result.objective * 60)  # Σ weight × metres
    ([1], 9250)
    """

    name = "p-median"

    def __init__(
        self,
        p: int,
        *,
        max_walk_min: float | None = None,
        capacitated: bool = False,
        time_limit_s: float = 600.0,
        mip_gap: float = 0.0,
        threads: int | None = None,
    ) -> None:
        self.p = p
        self.max_walk_min = max_walk_min
        self.capacitated = capacitated
        self.time_limit_s = time_limit_s
        self.mip_gap = mip_gap
        self.threads = threads

    def _validate(self, problem: SitingProblem) -> tuple[int, _Solver]:
        p = _check_p(self.p)
        limit = self.max_walk_min
        if limit is not None and not (_is_number(limit) and limit > 0):
            raise SitingError(Note("e.model_max_walk", value=repr(limit)))
        solver = _solver(self.time_limit_s, self.mip_gap, self.threads)
        _check_p_fits(p, problem)
        return p, solver

    def fit(self, problem: SitingProblem) -> PMedian:
        """Solve the p-median on ``problem``.

        Parameters
        ----------
        problem : SitingProblem
            Homes, sites and their walk pairs, known up to ``problem.search_m``.

        Returns
        -------
        PMedian
            ``self``, with ``result_`` set.

        Raises
        ------
        SitingError
            When a parameter is out of range or capacities are missing (``capacitated``).
        """
        p, solver = self._validate(problem)
        t0 = time.perf_counter()
        to_min = 1.0 / problem.speed_mps / 60.0
        limit_m = problem.search_m
        hard = self.max_walk_min is not None
        if hard:
            limit_m = self.max_walk_min / to_min
            if limit_m > problem.search_m + 1e-6:
                raise SitingError(
                    Note(
                        "e.model_max_walk_search",
                        minutes=self.max_walk_min,
                        search=problem.search_m * to_min,
                    )
                )
        if self.capacitated:
            _require(problem.site_capacity, "capacity", np.ones(problem.n_sites, bool), problem)
        keep = (problem.pair_m <= limit_m + 1e-9) & (problem.weight[problem.pair_client] > 0)
        pair_idx = np.flatnonzero(keep)
        clients, ci = np.unique(problem.pair_client[pair_idx], return_inverse=True)
        sites, sj = np.unique(problem.pair_site[pair_idx], return_inverse=True)
        n_c, n_y, n_x = len(clients), len(sites), len(pair_idx)
        w = problem.weight[clients]
        fixed = problem.site_fixed[sites]
        minutes = problem.pair_m[pair_idx] * to_min
        slack = 0 if hard else n_c
        xc = n_y + np.arange(n_x)
        uc = n_y + n_x + np.arange(slack)
        r = [ci, n_c + np.arange(n_x), n_c + np.arange(n_x)]
        c = [xc, xc, sj]
        v = [np.ones(n_x), np.ones(n_x), -np.ones(n_x)]
        if slack:
            r.append(np.arange(n_c))
            c.append(uc)
            v.append(np.ones(n_c))
        row = n_c + n_x
        lo = [np.ones(n_c), np.full(n_x, -INF)]
        hi = [np.ones(n_c), np.zeros(n_x)]
        if self.capacitated:
            r += [row + sj, row + np.arange(n_y)]
            c += [xc, np.arange(n_y)]
            v += [w[ci], -problem.site_capacity[sites]]
            lo.append(np.full(n_y, -INF))
            hi.append(np.zeros(n_y))
            row += n_y
        r.append(np.full(n_y, row))
        c.append(np.arange(n_y))
        v.append((~fixed).astype(float))
        lo.append(np.array([-INF]))
        hi.append(np.array([float(p)]))
        row += 1
        a = sparse.csr_matrix(
            (np.concatenate(v), (np.concatenate(r), np.concatenate(c))),
            shape=(row, n_y + n_x + slack),
        )
        search_min = problem.search_m * to_min
        cost = np.r_[np.zeros(n_y), w[ci] * minutes, w * search_min if slack else []]
        n_cols = n_y + n_x + slack
        integer = np.zeros(n_cols, bool)
        integer[:n_y] = True
        build = time.perf_counter() - t0
        milp = Milp(
            cost,
            a,
            np.concatenate(lo),
            np.concatenate(hi),
            np.r_[fixed.astype(float), np.zeros(n_x + slack)],
            np.ones(n_cols),
            integer,
            maximise=False,
            **vars(solver),
        )
        sol = milp.solve() if n_c else None
        status = "optimal" if sol is None else sol.status
        if sol is None or sol.x is None:
            chosen = np.zeros(0, np.int64)
            x = np.zeros(n_x)
        else:
            chosen = sites[(np.round(sol.x[:n_y]) > 0.5) & ~fixed]
            x = sol.x[n_y : n_y + n_x]
        if self.capacitated:
            assignment = fractional_assignment(problem, pair_idx, x)
        else:
            assignment = nearest_assignment(problem, open_mask(problem, chosen))
            if hard:  # nearest within the max walk only
                far = assignment["served_m"] > limit_m + 1e-9
                assignment["served_by"][far] = -1
                assignment["served_share"][far] = 0.0
        if sol is None or sol.x is None:
            objective = np.nan if sol is not None else 0.0
        elif self.capacitated:
            objective = sol.objective  # split assignments: the model's own Σ w·t·x is exact
        else:
            objective = _walk_objective(problem, assignment["served_m"][clients], w, search_min)
        bound = 0.0 if sol is None else sol.bound
        gap = 0.0 if sol is None else relative_gap(objective, bound)
        result = finish(
            problem,
            model=self.name + ("-capacitated" if self.capacitated else ""),
            solver="highs",
            status=status,
            objective=objective,
            bound=bound,
            gap=gap,
            new_sites=chosen,
            assignment=assignment,
            seconds={
                "build": problem.build_seconds,
                "model": build,
                "solve": 0.0 if sol is None else sol.seconds,
            },
            message=_message(
                problem, assignment, clients, status, hard, self.max_walk_min, self.capacitated
            ),
        )
        self.result_ = result
        return self


def _walk_objective(
    problem: SitingProblem, site_m: np.ndarray, w: np.ndarray, search_min: float
) -> float:
    """Σ weight × minutes to the assigned site; a home with none counts at ``search_min``."""
    minutes = site_m / problem.speed_mps / 60.0
    return float(np.sum(w * np.where(np.isfinite(minutes), minutes, search_min)))


def _message(
    problem: SitingProblem,
    assignment: dict[str, np.ndarray],
    clients: np.ndarray,
    status: str,
    hard: bool,
    max_walk_min: float | None,
    capacitated: bool,
) -> str:
    """The note a p-median result carries: infeasible, or homes counted at a lower bound."""
    if status == "infeasible":
        return (
            Note("s.walk_infeasible", minutes=max_walk_min)
            if hard
            else Note("s.capacity_infeasible")
        )
    far = int(np.sum(assignment["served_share"][clients] < 1 - 1e-6))
    if far and capacitated:
        return Note("s.full_sites", n=far, metres=problem.search_m)
    if far and not hard:
        return Note("s.beyond_search", n=far, metres=problem.search_m)
    return ""
