"""Coverage location models solved exactly with HiGHS: set cover (LSCP) and maximal cover (MCLP).

The formulations are the textbook ones (Toregas 1971; Church & ReVelle 1974, as in spopt), made
small before they reach the solver, without changing the optimum:

* homes already within reach of an existing facility are covered whatever is built, so they
  leave the model and their weight is added back to the objective;
* homes reached by exactly the same set of candidate sites are merged into one demand group
  (a street block usually collapses to a handful of groups);
* candidates that reach no uncovered demand are left out (they can add nothing).

Under capacities (childcare places, meals, charging ports) a home's demand may be split between
sites; the assignment rows then carry the demand weights. Budgets replace ``Σ y ≤ p`` by
``Σ cost·y ≤ B``. ``p`` always counts *new* sites: existing ones are open and free.

Every model follows one convention (scikit-learn's): ``Model(parameters)`` stores the
parameters as given, ``fit(problem)`` checks them (a :class:`SitingError` names the parameter)
and sets the fitted ``result_`` (a :class:`~shequ.analyses.siting_result.SitingResult`).
"""

from __future__ import annotations

import numbers
import time
from dataclasses import dataclass

import numpy as np
from scipy import sparse

from shequ.analyses.milp import INF, Milp, MilpSolution, relative_gap
from shequ.analyses.siting_problem import SitingProblem
from shequ.analyses.siting_result import (
    SitingResult,
    finish,
    fractional_assignment,
    nearest_assignment,
    open_mask,
)
from shequ.i18n import Note

STRENGTHEN_MAX_PAIRS = 300_000  # add x ≤ y rows (tighter LP) up to this many assignment pairs


class SitingError(ValueError):
    """A model cannot be posed on this problem: a parameter out of range, or data it needs.

    Parameters
    ----------
    message : Note
        What is wrong, naming the parameter (``p``, ``budget``, ``time_limit_s`` …); a
        :class:`~shequ.i18n.Note`, so the CLI can show it in the user's language.
    """

    def __init__(self, message: Note) -> None:
        super().__init__(message)
        self.message = message


@dataclass
class _Solver:
    time_limit_s: float = 600.0
    mip_gap: float = 0.0
    threads: int | None = None


def demand_groups(cov: sparse.csr_matrix) -> tuple[np.ndarray, sparse.csr_matrix]:
    """Merge rows with identical column sets.

    Parameters
    ----------
    cov : scipy.sparse matrix
        Clients × sites, nonzero where the site covers the client.

    Returns
    -------
    group : numpy.ndarray
        The group of each row (0 … n_groups − 1, in order of first appearance).
    gmat : scipy.sparse.csr_matrix
        Groups × sites, boolean: the column set of each group.
    """
    cov = sparse.csr_matrix(cov, dtype=bool)
    cov.sort_indices()
    seen: dict[bytes, int] = {}
    group = np.empty(cov.shape[0], dtype=np.int64)
    first = []
    ind, ptr = cov.indices, cov.indptr
    for i in range(cov.shape[0]):
        key = ind[ptr[i] : ptr[i + 1]].tobytes()
        g = seen.get(key)
        if g is None:
            g = seen[key] = len(first)
            first.append(i)
        group[i] = g
    return group, cov[np.asarray(first, dtype=np.int64)]


def _is_number(value: object) -> bool:
    return isinstance(value, numbers.Real) and not isinstance(value, bool)


def _solver(time_limit_s: object, mip_gap: object, threads: int | None) -> _Solver:
    """The HiGHS settings of a model, checked: a :class:`SitingError` names a bad one."""
    if not (_is_number(time_limit_s) and time_limit_s > 0):
        raise SitingError(Note("e.model_time_limit", value=repr(time_limit_s)))
    if not (_is_number(mip_gap) and 0 <= mip_gap < 1):
        raise SitingError(Note("e.model_mip_gap", value=repr(mip_gap)))
    return _Solver(float(time_limit_s), float(mip_gap), threads)


def _check_p(p: object) -> int:
    """``p`` as an int, or a :class:`SitingError` when it is not a whole number ≥ 0."""
    if not (_is_number(p) and np.isfinite(p) and int(p) == p and p >= 0):
        raise SitingError(Note("e.model_p_whole", value=repr(p)))
    return int(p)


def _check_p_fits(p: int, problem: SitingProblem) -> None:
    n_free = int((~problem.site_fixed).sum())
    if p > n_free:
        raise SitingError(Note("e.model_p_too_large", p=p, n=n_free))


def _free_sites(problem: SitingProblem) -> np.ndarray:
    return np.flatnonzero(~problem.site_fixed)


_MISSING = {"cost": "e.model_cost_missing", "capacity": "e.model_capacity_missing"}


def _require(values: np.ndarray, what: str, where: np.ndarray, problem: SitingProblem) -> None:
    """Refuse a model when sites in ``where`` lack a ``what`` (``cost`` or ``capacity``)."""
    missing = where & ~np.isfinite(values)
    if missing.any():
        raise SitingError(
            Note(
                _MISSING[what],
                n=int(missing.sum()),
                total=int(where.sum()),
                kind=repr(problem.kind),
                first=int(np.flatnonzero(missing)[0]),
            )
        )


class LSCP:
    """Location set covering (LSCP, 集合覆盖): the fewest new sites within reach of every
    coverable home.

    Formulation (Toregas et al. 1971, as spopt's ``LSCP``), on the reduced problem::

        minimise    Σ_j y_j
        subject to  Σ_{j ∈ N_g} y_j ≥ 1        for every demand group g
                    y_j ∈ {0, 1}                for every useful free candidate j

    where a *home to cover* has demand (weight > 0), is not within ``radius_m`` of an
    existing site and can be reached by some candidate; ``N_i`` is the set of free candidates
    within ``radius_m`` of home ``i`` (door-to-door walk, :class:`SitingProblem`); homes with
    the same ``N_i`` form one demand group ``g`` (one row per group, not per home); ``y_j`` is
    1 when a facility opens at candidate ``j``. Existing sites are open and not counted;
    candidates that cover no group are left out. Homes no site can reach are not required:
    they are listed in ``unserved_reason``.

    With ``capacitated=True`` (CLSCP-SO, demand may be split)::

        minimise    Σ_{j free} y_j
        subject to  Σ_{j ∈ N_g} x_gj = 1        for every coverable group g
                    Σ_g W_g x_gj ≤ c_j y_j      for every site j (existing: y_j = 1)
                    x_gj ≤ y_j                  (up to 300,000 pairs: a tighter relaxation)
                    0 ≤ x_gj ≤ 1,  y_j ∈ {0, 1}

    where groups now include homes existing sites cover, ``N_g`` holds every site within
    reach (existing ones too), ``W_g`` is the group's demand weight and ``c_j`` the site's
    capacity.

    Parameters
    ----------
    capacitated : bool, default False
        Every covered home must also be fully assigned within site capacities.
    time_limit_s : float, default 600
        HiGHS time limit (seconds, > 0); the best solution and its proven bound are kept.
    mip_gap : float, default 0
        Relative gap at which HiGHS stops, in [0, 1) (0 = prove optimality).
    threads : int, optional
        HiGHS threads (None = HiGHS default).

    Attributes
    ----------
    result_ : SitingResult
        The fitted answer: ``objective`` is the number of new sites, ``bound`` and ``gap``
        HiGHS's proof, ``new_sites`` in rank order, and a reason for every unserved home.

    Raises
    ------
    SitingError
        From :meth:`fit`: a parameter out of range, or (capacitated) a site without capacity.

    Examples
    --------
    >>> from shequ.analyses.siting_problem import problem_from_matrix
    >>> metres = [[100.0, 500.0, 900.0], [400.0, 150.0, 700.0], [800.0, 250.0, 200.0]]
    >>> problem = problem_from_matrix(metres, [10.0, 20.0, 5.0], 300.0)
    >>> result = LSCP().fit(problem).result_
    >>> result.objective, result.new_sites.tolist(), str(result.status)
    (2.0, [1, 0], 'optimal')
    """

    name = "lscp"

    def __init__(
        self,
        *,
        capacitated: bool = False,
        time_limit_s: float = 600.0,
        mip_gap: float = 0.0,
        threads: int | None = None,
    ) -> None:
        self.capacitated = capacitated
        self.time_limit_s = time_limit_s
        self.mip_gap = mip_gap
        self.threads = threads

    def fit(self, problem: SitingProblem) -> LSCP:
        """Solve the set cover on ``problem``.

        Parameters
        ----------
        problem : SitingProblem
            Homes, sites and their walk pairs (see
            :func:`~shequ.analyses.siting_problem.build_problem`).

        Returns
        -------
        LSCP
            ``self``, with ``result_`` set.

        Raises
        ------
        SitingError
            When a parameter is out of range, or capacities are missing (``capacitated``).
        """
        solver = _solver(self.time_limit_s, self.mip_gap, self.threads)
        t0 = time.perf_counter()
        if self.capacitated:
            self.result_ = _capacitated(problem, solver, p=None, budget=None, cover_all=True)
            return self
        free = _free_sites(problem)
        cov = problem.coverage()
        before = problem.covered_by(problem.site_fixed)
        need = (problem.weight > 0) & ~before & (np.asarray(cov[:, free].sum(axis=1)).ravel() > 0)
        sub = cov[np.flatnonzero(need)][:, free]
        _, gmat = demand_groups(sub)
        used = np.flatnonzero(np.asarray(gmat.sum(axis=0)).ravel() > 0)
        gmat = gmat[:, used].astype(np.float64)
        n_g, n_y = gmat.shape
        build = time.perf_counter() - t0
        if n_g == 0:
            sol = MilpSolution(np.zeros(0), 0.0, 0.0, 0.0, "optimal", 0.0, 0)
        else:
            milp = Milp(
                np.ones(n_y),
                gmat,
                np.ones(n_g),
                np.full(n_g, INF),
                np.zeros(n_y),
                np.ones(n_y),
                np.ones(n_y, bool),
                maximise=False,
                **vars(solver),
            )
            sol = milp.solve()
        chosen = free[used[sol.x > 0.5]] if sol.x is not None else np.zeros(0, np.int64)
        self.result_ = finish(
            problem,
            model=self.name,
            solver="highs",
            status=sol.status,
            objective=sol.objective,
            bound=sol.bound,
            gap=sol.gap,
            new_sites=chosen,
            assignment=nearest_assignment(problem, open_mask(problem, chosen)),
            seconds={"build": problem.build_seconds, "model": build, "solve": sol.seconds},
            message=Note("s.lscp", groups=n_g, sites=n_y),
        )
        return self


class MCLP:
    """Maximal covering (MCLP, 最大覆盖): ``p`` new sites (or a ``budget``) covering the most
    demand weight.

    Formulation (Church & ReVelle 1974, as spopt's ``MCLP``), on the reduced problem::

        maximise    C + Σ_g W_g z_g
        subject to  z_g ≤ Σ_{j ∈ N_g} y_j       for every demand group g
                    Σ_j y_j ≤ p                 (with a budget: Σ_j cost_j y_j ≤ B)
                    y_j ∈ {0, 1},  0 ≤ z_g ≤ 1

    where ``C`` is the weight of homes existing sites already cover (they leave the model);
    ``N_i`` is the set of free candidates within ``radius_m`` of home ``i``; homes with demand
    and the same ``N_i`` form one group ``g`` of weight ``W_g``; ``y_j`` is 1 when a facility
    opens at candidate ``j`` and ``z_g`` is the share of group ``g`` covered (1 at an optimum
    whenever a chosen site reaches it, so it needs no integrality). Candidates that reach no
    group, and under a budget those costing more than ``B``, are left out. The objective is
    the total covered weight, homes covered by existing sites included.

    With ``capacitated=True`` (demand may be split between sites)::

        maximise    Σ_g Σ_{j ∈ N_g} W_g x_gj
        subject to  Σ_{j ∈ N_g} x_gj ≤ 1        for every group g
                    Σ_g W_g x_gj ≤ c_j y_j      for every site j (existing: y_j = 1)
                    x_gj ≤ y_j                  (up to 300,000 pairs: a tighter relaxation)
                    Σ_{j free} y_j ≤ p          (with a budget: Σ_{j free} cost_j y_j ≤ B)
                    0 ≤ x_gj ≤ 1,  y_j ∈ {0, 1}

    where groups now include homes existing sites cover and ``N_g`` holds every site within
    reach, existing ones too; ``c_j`` is the site's capacity. The objective is then the
    demand served, a home's share counted (``result_.headline.demand_served``); few homes may
    be served in full when the places go to many homes in part.

    Parameters
    ----------
    p : int, optional
        Number of new sites (a whole number ≥ 0, at most the free candidates).
    budget : float, optional
        Total cost of the new sites (≥ 0; every free candidate needs a ``site_cost``). Give
        exactly one of ``p`` and ``budget``.
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
        The fitted answer: ``objective`` is the covered demand weight, ``bound`` and ``gap``
        HiGHS's proof, ``new_sites`` in rank order with their ``marginal_weight``;
        ``headline`` the figures every model reports alike (demand served, homes fully
        served, places filled).

    Raises
    ------
    SitingError
        From :meth:`fit`: a parameter out of range, ``p`` above the number of candidates, or
        costs (budget) or capacities (capacitated) missing.

    Examples
    --------
    >>> from shequ.analyses.siting_problem import problem_from_matrix
    >>> metres = [[100.0, 500.0, 900.0], [400.0, 150.0, 700.0], [800.0, 250.0, 200.0]]
    >>> problem = problem_from_matrix(metres, [10.0, 20.0, 5.0], 300.0)
    >>> result = MCLP(1).fit(problem).result_
    >>> result.objective, result.new_sites.tolist(), str(result.status)
    (25.0, [1], 'optimal')
    >>> MCLP(2).fit(problem).result_.objective
    35.0
    """

    name = "mclp"

    def __init__(
        self,
        p: int | None = None,
        *,
        budget: float | None = None,
        capacitated: bool = False,
        time_limit_s: float = 600.0,
        mip_gap: float = 0.0,
        threads: int | None = None,
    ) -> None:
        self.p = p
        self.budget = budget
        self.capacitated = capacitated
        self.time_limit_s = time_limit_s
        self.mip_gap = mip_gap
        self.threads = threads

    def _validate(self, problem: SitingProblem) -> tuple[int | None, float | None, _Solver]:
        if (self.p is None) == (self.budget is None):
            raise SitingError(Note("e.model_p_or_budget"))
        p = None if self.p is None else _check_p(self.p)
        budget = self.budget
        if budget is not None and not (_is_number(budget) and budget >= 0):
            raise SitingError(Note("e.model_budget", value=repr(budget)))
        solver = _solver(self.time_limit_s, self.mip_gap, self.threads)
        if p is not None:
            _check_p_fits(p, problem)
        if budget is not None:
            _require(problem.site_cost, "cost", ~problem.site_fixed, problem)
        return p, budget, solver

    def fit(self, problem: SitingProblem) -> MCLP:
        """Solve the maximal cover on ``problem``.

        Parameters
        ----------
        problem : SitingProblem
            Homes, sites and their walk pairs (see
            :func:`~shequ.analyses.siting_problem.build_problem`).

        Returns
        -------
        MCLP
            ``self``, with ``result_`` set.

        Raises
        ------
        SitingError
            When a parameter is out of range or data the model needs is missing.
        """
        p, budget, solver = self._validate(problem)
        if self.capacitated:
            self.result_ = _capacitated(problem, solver, p=p, budget=budget, cover_all=False)
            return self
        model = _MclpModel(problem, solver, budget=budget)
        self.result_ = model.solve(p)
        return self


@dataclass
class ReducedCover:
    """Uncapacitated coverage after the exact reductions: demand groups × useful free sites."""

    constant: float  # weight covered by existing sites whatever is built
    sites: np.ndarray  # problem site index of each column
    gmat: sparse.csc_matrix  # groups × columns, 1 where the site covers the group
    gw: np.ndarray  # weight of each group
    cost: np.ndarray | None  # column costs when a budget applies


def reduce_cover(problem: SitingProblem, budget: float | None = None) -> ReducedCover:
    """Drop what existing sites cover, merge identical demand, keep sites that can add weight.

    Parameters
    ----------
    problem : SitingProblem
        Homes, sites and their walk pairs.
    budget : float, optional
        When given, candidates costing more are left out and their costs are kept.

    Returns
    -------
    ReducedCover
        Demand groups × useful free sites, with the weight existing sites already cover.
    """
    free = _free_sites(problem)
    cov = problem.coverage()
    before = problem.covered_by(problem.site_fixed)
    active = np.flatnonzero((problem.weight > 0) & ~before)
    group, gmat = demand_groups(cov[active][:, free])
    gw = np.bincount(group, weights=problem.weight[active], minlength=gmat.shape[0])
    reach = np.asarray(gmat.sum(axis=1)).ravel() > 0
    gmat, gw = gmat[reach], gw[reach]
    used = np.flatnonzero(np.asarray(gmat.sum(axis=0)).ravel() > 0)
    cost = problem.site_cost[free[used]] if budget is not None else None
    if cost is not None:
        affordable = cost <= budget + 1e-9
        used, cost = used[affordable], cost[affordable]
    return ReducedCover(
        constant=float(problem.weight[before].sum()),
        sites=free[used],
        gmat=gmat[:, used].tocsc().astype(np.float64),
        gw=gw,
        cost=cost,
    )


class _MclpModel:
    """The reduced uncapacitated MCLP held in HiGHS; re-solvable for another p (the curve)."""

    def __init__(self, problem: SitingProblem, solver: _Solver, budget: float | None) -> None:
        t0 = time.perf_counter()
        self.problem = problem
        self.solver = solver
        self.budget = budget
        red = reduce_cover(problem, budget)
        self.constant, self.sites, self.gmat, self.gw = red.constant, red.sites, red.gmat, red.gw
        cost = red.cost
        n_g, n_y = len(self.gw), len(self.sites)
        self.n_y = n_y
        gw = self.gw
        rows = sparse.hstack([-self.gmat, sparse.identity(n_g)], format="csr")
        budget_row = np.r_[np.ones(n_y) if cost is None else cost, np.zeros(n_g)]
        a = sparse.vstack([rows, sparse.csr_matrix(budget_row)], format="csr")
        self.limit_row = n_g
        cap = float(budget) if budget is not None else 0.0
        self.milp = (
            Milp(
                np.r_[np.zeros(n_y), gw],
                a,
                np.r_[np.full(n_g, -INF), -INF],
                np.r_[np.zeros(n_g), cap],
                np.zeros(n_y + n_g),
                np.ones(n_y + n_g),
                np.r_[np.ones(n_y, bool), np.zeros(n_g, bool)],
                maximise=True,
                presolve=False,  # reduce_cover already did the presolve's work: 5-9x faster
                **vars(solver),
            )
            if n_y and n_g
            else None
        )
        self.last_y = np.zeros(n_y)  # the last solve's sites (a start for the next p)
        self.model_seconds = time.perf_counter() - t0

    def start_from(self, y: np.ndarray) -> np.ndarray:
        z = np.minimum(self.gmat @ y, 1.0)
        return np.r_[y, z]

    def greedy_add(self, y: np.ndarray) -> np.ndarray:
        """``y`` plus the one site adding most uncovered group weight (a warm start for p+1)."""
        covered = (self.gmat @ y) > 0.5
        gain = (self.gmat.T @ (self.gw * ~covered)) * (y < 0.5)
        y = y.copy()
        if gain.size and gain.max() > 0:
            y[int(np.argmax(gain))] = 1.0
        return y

    def solve(self, p: int | None, start_y: np.ndarray | None = None) -> SitingResult:
        if self.milp is None:
            sol = MilpSolution(np.zeros(0), 0.0, 0.0, 0.0, "optimal", 0.0, 0)
            chosen = np.zeros(0, dtype=np.int64)
        else:
            if p is not None:
                self.milp.set_row_bounds(self.limit_row, -INF, float(p))
            start = None if start_y is None else self.start_from(start_y)
            sol = self.milp.solve(start)
            self.last_y = np.round(sol.x[: self.n_y]) if sol.x is not None else np.zeros(self.n_y)
            chosen = self.sites[self.last_y > 0.5]
        model = "mclp" if self.budget is None else "mclp-budget"
        message = "" if self.n_y else Note("s.no_reach")
        if self.budget is not None and self.milp is None and self.problem.n_sites:
            message = Note("s.no_budget")
        if p is not None and 0 < len(chosen) < p and sol.status == "optimal":
            message = Note("s.saturated", n=len(chosen))
        problem = self.problem
        return finish(
            problem,
            model=model,
            solver="highs",
            status=sol.status,
            objective=self.constant + sol.objective,
            bound=self.constant + sol.bound,
            gap=_gap(self.constant, sol),
            new_sites=chosen,
            assignment=nearest_assignment(problem, open_mask(problem, chosen)),
            seconds={
                "build": problem.build_seconds,
                "model": self.model_seconds,
                "solve": sol.seconds,
            },
            message=message,
        )


def _capacitated_name(cover_all: bool, budget: float | None) -> str:
    base = "lscp" if cover_all else "mclp" if budget is None else "mclp-budget"
    return f"{base}-capacitated"


def _gap(constant: float, sol: MilpSolution) -> float:
    return relative_gap(constant + sol.objective, constant + sol.bound)


def coverage_curve(
    problem: SitingProblem,
    max_p: int,
    *,
    time_limit_s: float = 600.0,
    mip_gap: float = 0.0,
    threads: int | None = None,
    progress=None,
) -> list[SitingResult]:
    """Optimal MCLP for p = 1 … ``max_p`` on one loaded model ("what each extra site buys").

    The model is built once; each p changes the right-hand side of ``Σ y ≤ p`` and starts from
    the previous optimum plus the best single addition.

    Parameters
    ----------
    problem : SitingProblem
        Homes, sites and their walk pairs.
    max_p : int
        The last p, from 1 to the number of free candidates.
    time_limit_s : float, default 600
        HiGHS time limit for the whole curve (seconds, > 0).
    mip_gap : float, default 0
        Relative gap at which HiGHS stops each solve, in [0, 1).
    threads : int, optional
        HiGHS threads (None = HiGHS default).
    progress : callable, optional
        Called with 1 after each p (a progress bar's ``update``).

    Returns
    -------
    list of SitingResult
        One uncapacitated MCLP result per p = 1 … ``max_p``.

    Raises
    ------
    SitingError
        When ``max_p``, ``time_limit_s`` or ``mip_gap`` is out of range.
    """
    free = _free_sites(problem)
    if not (_is_number(max_p) and 1 <= max_p <= len(free) and max_p == int(max_p)):
        raise SitingError(Note("e.model_max_p", n=len(free), value=repr(max_p)))
    max_p = int(max_p)
    solver = _solver(time_limit_s, mip_gap, threads)
    t_end = time.perf_counter() + time_limit_s
    model = _MclpModel(problem, solver, budget=None)
    results = []
    y = np.zeros(model.n_y)
    for p in range(1, max_p + 1):
        if model.milp is not None:
            model.milp.set_time_limit(t_end - time.perf_counter())
        start = model.greedy_add(y) if model.n_y else None
        res = model.solve(p, start)
        y = model.last_y
        results.append(res)
        if progress is not None:
            progress(1)
    return results


def _capacitated(
    problem: SitingProblem,
    solver: _Solver,
    *,
    p: int | None,
    budget: float | None,
    cover_all: bool,
) -> SitingResult:
    """Capacitated LSCP / MCLP with split assignment of grouped demand to sites within reach."""
    t0 = time.perf_counter()
    _require(problem.site_capacity, "capacity", np.ones(problem.n_sites, bool), problem)
    cov = problem.coverage()
    active = np.flatnonzero((problem.weight > 0) & (np.asarray(cov.sum(axis=1)).ravel() > 0))
    group, gmat = demand_groups(cov[active])
    gw = np.bincount(group, weights=problem.weight[active], minlength=gmat.shape[0])
    used = np.flatnonzero(np.asarray(gmat.sum(axis=0)).ravel() > 0)
    gmat = gmat[:, used].tocoo()
    pg, pj = gmat.row.astype(np.int64), gmat.col.astype(np.int64)  # group, used-site position
    n_g, n_y, n_x = len(gw), len(used), len(pg)
    fixed = problem.site_fixed[used]
    cap = problem.site_capacity[used]
    free_cost = np.where(fixed, 0.0, 1.0 if budget is None else problem.site_cost[used])
    if budget is not None:
        fixed_or_affordable = fixed | (free_cost <= budget + 1e-9)
    else:
        fixed_or_affordable = np.ones(n_y, bool)
    x_cols = n_y + np.arange(n_x)
    blocks_r, blocks_c, blocks_v, lo, hi = [], [], [], [], []
    # assignment: Σ_j x_gj ≤ 1 (or = 1 when every coverable home must be served)
    blocks_r.append(pg)
    blocks_c.append(x_cols)
    blocks_v.append(np.ones(n_x))
    lo.append(np.full(n_g, 1.0 if cover_all else -INF))
    hi.append(np.ones(n_g))
    row = n_g
    # capacity: Σ_g W_g x_gj − cap_j y_j ≤ 0
    blocks_r += [row + pj, row + np.arange(n_y)]
    blocks_c += [x_cols, np.arange(n_y)]
    blocks_v += [gw[pg], -cap]
    lo.append(np.full(n_y, -INF))
    hi.append(np.zeros(n_y))
    row += n_y
    if n_x <= STRENGTHEN_MAX_PAIRS:  # x_gj ≤ y_j
        blocks_r += [row + np.arange(n_x), row + np.arange(n_x)]
        blocks_c += [x_cols, pj]
        blocks_v += [np.ones(n_x), -np.ones(n_x)]
        lo.append(np.full(n_x, -INF))
        hi.append(np.zeros(n_x))
        row += n_x
    if not cover_all:
        blocks_r.append(np.full(n_y, row))
        blocks_c.append(np.arange(n_y))
        blocks_v.append(free_cost)
        lo.append(np.array([-INF]))
        hi.append(np.array([float(budget if budget is not None else p)]))
        row += 1
    a = sparse.csr_matrix(
        (np.concatenate(blocks_v), (np.concatenate(blocks_r), np.concatenate(blocks_c))),
        shape=(row, n_y + n_x),
    )
    y_lo = fixed.astype(float)
    y_hi = np.where(fixed_or_affordable, 1.0, 0.0)
    if cover_all:
        c = np.r_[np.where(fixed, 0.0, 1.0), np.zeros(n_x)]
    else:
        c = np.r_[np.zeros(n_y), gw[pg]]
    build = time.perf_counter() - t0
    milp = Milp(
        c,
        a,
        np.concatenate(lo),
        np.concatenate(hi),
        np.r_[y_lo, np.zeros(n_x)],
        np.r_[y_hi, np.ones(n_x)],
        np.r_[np.ones(n_y, bool), np.zeros(n_x, bool)],
        maximise=not cover_all,
        **vars(solver),
    )
    sol = milp.solve() if n_y else MilpSolution(np.zeros(0), 0.0, 0.0, 0.0, "optimal", 0.0, 0)
    message = Note("s.capacitated", groups=n_g, sites=n_y, pairs=n_x)
    if sol.status == "infeasible":
        message = Note("s.capacity_short")
    if sol.x is None or n_y == 0:
        y = np.zeros(n_y)
        x = np.zeros(n_x)
    else:
        y = np.round(sol.x[:n_y])
        x = sol.x[n_y:]
    chosen = used[(y > 0.5) & ~fixed]
    # expand group shares back to clients: each client of group g gets share x_gj at site j
    site_pos = np.full(problem.n_sites, -1, dtype=np.int64)
    site_pos[used] = np.arange(n_y)
    shares = sparse.csr_matrix((x, (pg, pj)), shape=(max(n_g, 1), max(n_y, 1)))
    client_group = np.full(problem.n_clients, -1, dtype=np.int64)
    client_group[active] = group
    pair_idx = np.flatnonzero(
        (problem.pair_m <= problem.radius_m) & (client_group[problem.pair_client] >= 0)
    )
    pos = site_pos[problem.pair_site[pair_idx]]
    share = np.asarray(shares[client_group[problem.pair_client[pair_idx]], pos]).ravel()
    return finish(
        problem,
        model=_capacitated_name(cover_all, budget),
        solver="highs",
        status=sol.status,
        objective=sol.objective,
        bound=sol.bound,
        gap=sol.gap,
        new_sites=chosen,
        assignment=fractional_assignment(problem, pair_idx, share),
        seconds={"build": problem.build_seconds, "model": build, "solve": sol.seconds},
        message=message,
    )
