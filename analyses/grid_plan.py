"""A new grid plan (网格划分): atoms → balanced, contiguous, compact grids inside communities.

Method (seeded region growing, then local search):

1. Per community, per connected group of atoms: an atom whose households alone exceed the
   ceiling (target × (1 + tolerance)) becomes its own grid and is reported — it cannot be split
   (a compound). Small leftovers cut off by such atoms join it.
2. ``k = round(households / target)`` seeds from a households-weighted k-means of atom centroids
   (scikit-learn, seeded); grids grow one atom at a time, always the lightest grid taking its
   cheapest neighbour (near its seed, not across a major road), so every grid is contiguous by
   construction.
3. Boundary moves (:mod:`shequ.analyses.grid_search`) trade balance, compactness and strong
   borders left inside a grid, never breaking contiguity; when single atoms cannot help, chain
   moves carry an atom with the atoms between it and a lighter grid, and ejection chains pass
   households along a row of grids to one with room.
4. A grid still outside the band has its neighbourhood (it and its neighbours) re-solved
   exactly with HiGHS (:mod:`shequ.analyses.grid_repair`, flow-based contiguity), then the
   search polishes shape again.

City scale: a plan of more than :data:`WINDOW_ATOMS` atoms grows its grids per *zone* (connected
groups of about :data:`WINDOW_GRIDS` grids' households, :func:`growth_zones`), so the number of
grids follows each quarter's households, and steps 3-4 run window by window
(:func:`plan_windows`, :func:`sub_data`): each window a problem of its own, searched in a worker
process (``n_jobs``), then again over differently drawn windows. Work and budget grow linearly
with the atoms; no step sees the whole city but the growth and the drawing of windows.

Limits: the plan is a good local optimum, not a proven one (only the repaired neighbourhoods
are solved exactly, and only up to 150 atoms each); atoms are the resolution (a
plan can only be as balanced as its atoms allow; the report says which grids stay out of
tolerance and why); ``k`` per connected group is fixed by rounding.
"""

from __future__ import annotations

import heapq
import math
import multiprocessing
import os
import time
from collections.abc import Mapping
from concurrent.futures import Executor, ProcessPoolExecutor
from dataclasses import dataclass, field, fields
from numbers import Integral, Real

import numpy as np
import shapely
from scipy import sparse
from scipy.sparse import csgraph
from sklearn.cluster import KMeans

from shequ.analyses.grid_objective import AtomData, SearchWeights, objective_terms
from shequ.analyses.grid_result import GridPlan
from shequ.analyses.grid_search import improve, repair_and_polish
from shequ.errors import InputError
from shequ.geo.atoms import Atoms
from shequ.i18n import Note

AREA_WEIGHT = 0.3  # share of the growth order given to area rather than households

# City scale (issue 15): a plan of more atoms than WINDOW_ATOMS is searched in windows of about
# WINDOW_GRIDS neighbouring grids, each window on its own (its arrays, its budget), and again
# over differently drawn windows so households also move across the windows' edges. The search
# of one window costs what a district's whole plan costs, so quality does not fall with size
# and time grows with the number of windows, i.e. linearly with the atoms.
WINDOW_ATOMS = 1500
WINDOW_GRIDS = 40
WINDOW_PASSES = 2
# A window's search gets time_limit_s × its atoms / BUDGET_ATOMS per pass, at most (60 s: 10 ms
# an atom; windows whose search converges stop earlier). Measured on the 4 × 4 mosaic, a
# synthetic arrangement of real extracts (3,512 atoms): 95.0 % of the grids without an
# oversized atom within the band at 10 ms an atom, 95.7 % at 20 ms, in twice the time.
BUDGET_ATOMS = 6000

# Cost per metre of a border class left *inside* a grid (a worker crosses it on patrol).
DEFAULT_BORDER_COST = {
    "none": 0.0,
    "minor": 0.2,
    "medium": 1.0,
    "major": 3.0,
    "river": 5.0,
    "rail": 5.0,
    "edge": 0.0,
}


def polygon_inertia(geoms: np.ndarray) -> np.ndarray:
    """Polar second moment of area of each polygon about its own centroid.

    Parameters
    ----------
    geoms : ndarray of Polygon or MultiPolygon
        Polygons in a metric CRS (holes subtract).

    Returns
    -------
    ndarray of float
        J = ∫ r² dA about each polygon's centroid, in m⁴.
    """
    out = np.zeros(len(geoms))
    for k, geom in enumerate(geoms):
        c = shapely.centroid(geom)
        total = 0.0
        for poly in shapely.get_parts(geom):
            rings = [poly.exterior, *poly.interiors]
            for r, ring in enumerate(rings):
                xy = shapely.get_coordinates(ring) - (c.x, c.y)
                x0, y0, x1, y1 = xy[:-1, 0], xy[:-1, 1], xy[1:, 0], xy[1:, 1]
                cross = x0 * y1 - x1 * y0
                j = np.sum(cross * (x0 * x0 + x0 * x1 + x1 * x1 + y0 * y0 + y0 * y1 + y1 * y1))
                j = abs(j) / 12.0
                total += j if r == 0 else -j
        out[k] = total
    return out


def atom_data(atoms: Atoms, border_cost: dict[str, float], demand: str = "households") -> AtomData:
    """The search arrays of the atoms (:class:`~shequ.analyses.grid_objective.AtomData`).

    Parameters
    ----------
    atoms : Atoms
        Atoms with ``households``, ``area_m2`` and ``community_id``, and their adjacency.
    border_cost : dict of str to float
        Cost per metre of each border class; a class it does not name costs 0. Costs are
        scaled by a typical atom's side (√ median area), so they do not depend on atom size.
    demand : str
        The atoms' column grids balance on: ``households``, or ``workload`` (households plus
        weighted key people, :func:`shequ.geo.homes.homes_from_layer`). The one place the
        balance measure is read: every step of the search balances ``AtomData.households``.
        With another column than households, households become the second measure
        (``AtomData.second``) the search keeps in its band; its target is set by the caller.

    Returns
    -------
    AtomData
        Demand, area, centroids, own inertia, perimeter, and the adjacency as border costs,
        pattern and shared metres.

    Raises
    ------
    ValueError
        The adjacency lists a pair twice (a bug in the atoms, not a user error).
    """
    fr = atoms.frame
    scale_m = float(np.sqrt(max(fr["area_m2"].median(), 1.0)))
    c = fr.geometry.centroid
    cost = np.array([border_cost.get(b, 0.0) for b in atoms.border]) * atoms.shared_m / scale_m
    cost = cost + 1e-12  # keep zero-cost borders as stored entries (same pattern as adjacency)
    n = atoms.n
    g = sparse.coo_matrix((cost, (atoms.a, atoms.b)), shape=(n, n))
    pattern = sparse.coo_matrix((np.ones(len(atoms.a)), (atoms.a, atoms.b)), shape=(n, n))
    shared = sparse.coo_matrix((atoms.shared_m, (atoms.a, atoms.b)), shape=(n, n))
    graph = (g + g.T).tocsr()
    shared = (shared + shared.T).tocsr()
    graph.sort_indices()
    shared.sort_indices()
    if not (
        np.array_equal(graph.indptr, shared.indptr)
        and np.array_equal(graph.indices, shared.indices)
    ):
        msg = "atom adjacency patterns differ (duplicate adjacency pairs?)"
        raise ValueError(msg)
    households = fr["households"].to_numpy(dtype=float)
    return AtomData(
        households=fr[demand].to_numpy(dtype=float),
        area=fr["area_m2"].to_numpy(dtype=float),
        cx=c.x.to_numpy(),
        cy=c.y.to_numpy(),
        self_inertia=polygon_inertia(fr.geometry.values),
        graph=graph,
        neighbours=(pattern + pattern.T).tocsr(),
        perimeter=shapely.length(shapely.boundary(fr.geometry.values)),
        shared=shared,
        community=fr["community_id"].to_numpy(),
        second=households if demand != "households" else None,
    )


def _components(nb: sparse.csr_matrix, members: np.ndarray) -> list[np.ndarray]:
    sub = nb[members][:, members]
    n, lab = csgraph.connected_components(sub, directed=False)
    return [members[lab == k] for k in range(n)]


def _grow(
    data: AtomData, members: np.ndarray, k: int, random_state: int, n_init: int = 3
) -> np.ndarray:
    """Region growing from k seeds; returns a local label (0..k-1) per member.

    The seeds are a households-weighted k-means of the members' centroids with ``n_init``
    k-means starts (one on a windowed plan: the windows' search, not the seeds, sets quality,
    and k-means costs members × k per iteration)."""
    if len(members) <= k:  # one atom per grid
        return np.arange(len(members))
    if k <= 1:
        return np.zeros(len(members), dtype=np.int64)
    xy = np.column_stack([data.cx[members], data.cy[members]])
    w = data.households[members] + 1e-6
    km = KMeans(n_clusters=k, n_init=n_init, random_state=random_state).fit(xy, sample_weight=w)
    pos = {int(m): i for i, m in enumerate(members)}
    label = np.full(len(members), -1, dtype=np.int64)
    seeds = []
    for centre in km.cluster_centers_:
        d = np.hypot(*(xy - centre).T)
        d[label >= 0] = np.inf
        s = int(np.argmin(d))
        label[s] = len(seeds)
        seeds.append(s)
    seed_xy = xy[seeds]
    # Growth order: the lightest grid takes the next atom. "Light" mixes households with area,
    # so a grid growing through empty blocks (parks, offices) does not starve the others.
    area_share = AREA_WEIGHT * data.households[members].sum() / max(data.area[members].sum(), 1e-9)
    weight = data.households[members] + area_share * data.area[members]
    hh = np.array([weight[s] for s in seeds])
    frontier: list[list[tuple[float, int]]] = [[] for _ in range(k)]

    g_ind, g_ptr, g_val = data.graph.indices, data.graph.indptr, data.graph.data
    unit = max(float(np.median(g_val)) if len(g_val) else 1.0, 1e-9)

    def push(g: int, local: int) -> None:
        atom = members[local]
        for v, cost in zip(
            g_ind[g_ptr[atom] : g_ptr[atom + 1]], g_val[g_ptr[atom] : g_ptr[atom + 1]], strict=True
        ):
            j = pos.get(int(v))
            if j is not None and label[j] < 0:
                dist = float(np.hypot(*(xy[j] - seed_xy[g])))
                heapq.heappush(frontier[g], (dist * (1.0 + cost / unit), j))

    for g, s in enumerate(seeds):
        push(g, s)
    active = [(hh[g], g) for g in range(k)]
    heapq.heapify(active)
    while active:
        _, g = heapq.heappop(active)
        taken = False
        while frontier[g]:
            _, j = heapq.heappop(frontier[g])
            if label[j] < 0:
                label[j] = g
                hh[g] += weight[j]
                push(g, j)
                taken = True
                break
        if taken:
            heapq.heappush(active, (hh[g], g))
    if (label < 0).any():  # unreachable from every seed (should not happen in a component)
        label[label < 0] = 0
    return label


class GridParameterError(InputError, ValueError):
    """A grid model's parameter is out of range; the message (a :class:`~shequ.i18n.Note`)
    names the parameter. A ``ValueError`` for library callers, an
    :class:`~shequ.errors.InputError` the CLI prints in the user's language."""


def _is_real(value: object) -> bool:
    return isinstance(value, Real) and not isinstance(value, bool) and not math.isnan(value)


def _is_whole(value: object, least: int) -> bool:
    return isinstance(value, Integral) and not isinstance(value, bool) and value >= least


def check_params(model: object, whole: tuple[str, ...] = ()) -> None:
    """Check a grid model's parameters, the first thing its ``fit`` does.

    Parameters
    ----------
    model : GridPlanner or GridRedrawer
        Any model with ``households_per_grid``, ``tolerance``, ``border_cost``, ``weights``,
        ``random_state`` and ``time_limit_s``.
    whole : tuple of str
        Further parameters that must be whole numbers ≥ 1 (``n_starts``, ``max_rounds``).

    Raises
    ------
    GridParameterError
        Naming the first parameter out of range and the value it had.
    """
    target, tol = model.households_per_grid, model.tolerance
    if not (_is_real(target) and 0 < target < math.inf):
        raise GridParameterError(
            Note("e.grid_param_positive", name="households_per_grid", value=repr(target))
        )
    if not (_is_real(tol) and 0 <= tol < 1):
        raise GridParameterError(Note("e.grid_param_tolerance", name="tolerance", value=repr(tol)))
    if not (_is_real(model.time_limit_s) and model.time_limit_s > 0):
        raise GridParameterError(
            Note("e.grid_param_positive", name="time_limit_s", value=repr(model.time_limit_s))
        )
    counts = [("random_state", 0)] + [(name, 1) for name in whole]
    for name, least in counts:
        value = getattr(model, name)
        if not _is_whole(value, least):
            raise GridParameterError(
                Note("e.grid_param_whole", name=name, least=least, value=repr(value))
            )
    cost = model.border_cost
    if not isinstance(cost, Mapping) or not all(
        _is_real(v) and 0 <= v < math.inf for v in cost.values()
    ):
        raise GridParameterError(Note("e.grid_param_border_cost", value=repr(cost)))
    weights = model.weights
    if not isinstance(weights, SearchWeights) or not all(
        _is_real(getattr(weights, f.name)) and 0 <= getattr(weights, f.name) < math.inf
        for f in fields(SearchWeights)
    ):
        raise GridParameterError(Note("e.grid_param_weights", value=repr(weights)))


def check_atoms(atoms: Atoms) -> None:
    """Raise :class:`GridParameterError` when there is no atom to plan."""
    if atoms.n == 0:
        raise GridParameterError(Note("e.grid_no_atoms"))


@dataclass
class GridPlanner:
    """Delineate grids of about ``households_per_grid`` (± ``tolerance``) from atoms.

    The model (a *p*-regions problem with a soft floor and ceiling, solved heuristically):
    find labels ``x`` (atom → grid) minimising

        F(x) = Σ_grids w_dev·dev² + w_out·o² + w_lin·o + shape terms
             + w_border · Σ_borders inside a grid  cost(class) · length / scale

    (:mod:`shequ.analyses.grid_objective`) such that every grid is contiguous and lies in one
    community, with ``dev = households / target − 1`` and ``o = max(0, |dev| − tolerance)``.
    Unlike an exact districting model it is not solved as one MILP: the method (module
    docstring) grows grids and improves them locally; only the neighbourhoods of grids left
    outside the band are solved exactly.

    Parameters
    ----------
    households_per_grid : float
        Target households per grid (> 0).
    tolerance : float
        Allowed relative deviation from the target, in [0, 1) (0.15 for ±15 %).
    border_cost : dict of str to float
        Cost per metre of each border class left inside a grid (≥ 0).
    weights : SearchWeights
        Weights of the objective's terms.
    random_state : int
        Seed of the k-means seeds and the search order (≥ 0): the same seed, the same plan.
    time_limit_s : float
        Seconds for the whole fit (> 0): split over the starts, then the repair.
    max_rounds : int
        Passes over the atoms per start (≥ 1).
    n_starts : int
        Independent growth + search runs (≥ 1); the best plan is kept.
    demand : str
        The atoms' column grids balance on: ``households`` (default) or ``workload`` (a homes
        file with key people). On workload, the target is ``households_per_grid`` × the study
        area's workload per household (as many grids as on households), and households are kept
        within ``households_per_grid`` ± ``tolerance`` too, as far as the workload band allows
        (a softer term of the objective).
    n_jobs : int, optional
        Processes that search the windows of a city-scale plan (more than
        :data:`WINDOW_ATOMS` atoms) at once: None for one, -1 for every core. The windows of a
        pass are disjoint, so the plan does not depend on how many run at once (only on the
        time each gets). A district-sized plan always runs in this process.

    Parameters are stored as given and checked when :meth:`fit` starts. After :meth:`fit`:
    ``result_`` (the :class:`~shequ.analyses.grid_result.GridPlan`) and, from it,
    ``labels_`` (grid per atom), ``oversized_`` (atoms that alone exceed the ceiling and are
    their own grid), ``log_`` (search statistics), ``seconds_`` and ``demand_target_`` (the
    target of the balanced measure: ``households_per_grid`` on households).

    Examples
    --------
    Sixteen street blocks of 100 households, in grids of 400:

    >>> import geopandas as gpd
    >>> import numpy as np
    >>> import shapely
    >>> from shequ.geo.atoms import build_atoms
    >>> squares = [shapely.box(x, y, x + 100, y + 100)
    ...            for y in range(0, 400, 100) for x in range(0, 400, 100)]
    >>> blocks = gpd.GeoDataFrame({"block_id": np.arange(16)}, geometry=squares,
    ...                           crs="EPSG:32650")
    >>> homes = gpd.GeoDataFrame({"households": np.full(16, 100.0)},
    ...                          geometry=blocks.centroid, crs=blocks.crs)
    >>> none = gpd.GeoDataFrame({"compound_id": [], "border": []}, geometry=[],
    ...                         crs=blocks.crs)
    >>> atoms = build_atoms(blocks, none, homes, none, shapely.box(0, 0, 400, 400))
    >>> plan = GridPlanner(households_per_grid=400, tolerance=0.1).fit(atoms).result_
    >>> plan.n_grids
    4
    >>> np.bincount(plan.labels, weights=atoms.frame["households"]).tolist()
    [400.0, 400.0, 400.0, 400.0]

    Parameters are checked when the fit starts, naming the one out of range:

    >>> try:
    ...     GridPlanner(households_per_grid=0).fit(atoms)
    ... except ValueError as error:
    ...     print(error)
    households_per_grid must be positive, got 0
    """

    households_per_grid: float = 300.0
    tolerance: float = 0.15
    border_cost: dict[str, float] = field(default_factory=lambda: dict(DEFAULT_BORDER_COST))
    weights: SearchWeights = field(default_factory=SearchWeights)
    random_state: int = 0
    time_limit_s: float = 60.0
    max_rounds: int = 60
    n_starts: int = 6  # independent growth + search runs; the best plan is kept
    demand: str = "households"
    n_jobs: int | None = None  # processes for a windowed (city-scale) plan; -1: every core

    def fit(self, atoms: Atoms) -> GridPlanner:
        """Plan grids on ``atoms``.

        Parameters
        ----------
        atoms : Atoms
            The pieces grids are made of (:func:`shequ.geo.atoms.build_atoms`).

        Returns
        -------
        GridPlanner
            This model, fitted: ``result_`` holds the plan.

        Raises
        ------
        GridParameterError
            A parameter is out of range, or there is no atom.
        """
        check_params(self, whole=("max_rounds", "n_starts"))
        jobs = self.n_jobs
        if jobs is not None and not (_is_whole(jobs, 1) or (_is_whole(jobs, -1) and jobs == -1)):
            raise GridParameterError(Note("e.grid_param_n_jobs", value=repr(jobs)))
        check_atoms(atoms)
        if self.demand != "households" and self.demand not in atoms.frame.columns:
            raise GridParameterError(Note("e.grid_param_demand", value=repr(self.demand)))
        t0 = time.perf_counter()
        tol = self.tolerance
        data = atom_data(atoms, self.border_cost, self.demand)
        target = self.households_per_grid
        if data.second is not None:  # on workload: as many grids, households kept in band
            per_household = data.households.sum() / max(data.second.sum(), 1e-9)
            target = self.households_per_grid * per_household
            data.second_target = self.households_per_grid
        if len(data.households) > WINDOW_ATOMS:
            return self._fit_windows(data, target, t0)
        best = None
        for start in range(self.n_starts):
            seed = self.random_state + start
            labels, fixed, oversized = self._initial(data, seed, target)
            labels, log = improve(
                data,
                labels,
                fixed,
                target=target,
                tol=tol,
                weights=self.weights,
                max_rounds=self.max_rounds,
                time_limit_s=self.time_limit_s / self.n_starts,
                random_state=seed,
            )
            if best is None or log["objective"] < best[1]["objective"] - 1e-9:
                best = (labels, {**log, "start": start}, oversized, fixed)
        labels, log, oversized, fixed = best
        t_starts = time.perf_counter()
        # the repair gets what the starts left of the budget (a quarter of it at least)
        left = max(self.time_limit_s / 4, self.time_limit_s - (t_starts - t0))
        labels, log["exact_repairs"] = repair_and_polish(
            data,
            labels,
            fixed,
            oversized,
            target=target,
            tol=tol,
            weights=self.weights,
            seconds=left,
            random_state=self.random_state,
        )
        seconds = {"starts": t_starts - t0, "repair": time.perf_counter() - t_starts}
        log = {**log, "starts": self.n_starts}
        return self._finish(data, labels, oversized, target, log, seconds, t0)

    def _finish(
        self,
        data: AtomData,
        labels: np.ndarray,
        oversized: np.ndarray,
        target: float,
        log: dict,
        seconds: dict,
        t0: float,
    ) -> GridPlanner:
        """Set the fitted attributes from the final labels."""
        labels = _compact_ids(labels)
        tol = self.tolerance
        objective = objective_terms(data, labels, target=target, tol=tol, weights=self.weights)
        seconds = {**seconds, "fit": time.perf_counter() - t0}
        self.result_ = GridPlan(
            labels=labels,
            oversized=np.flatnonzero(oversized),
            objective=objective,
            method=Note("g.method_plan"),
            target=self.households_per_grid,
            tolerance=tol,
            border_cost=dict(self.border_cost),
            weights=self.weights,
            search={**log, "demand": self.demand, "demand_target": target},
            seconds=seconds,
        )
        self.labels_ = self.result_.labels
        self.oversized_ = self.result_.oversized
        self.log_ = self.result_.search
        self.seconds_ = seconds["fit"]
        self.demand_target_ = target
        return self

    def _fit_windows(self, data: AtomData, target: float, t0: float) -> GridPlanner:
        """A city-scale plan: one growth, then the search and the exact repair window by
        window (:func:`plan_windows`), over :data:`WINDOW_PASSES` differently drawn windows.

        Each window is a subproblem of its own (:func:`sub_data`: the windows' atoms only, so
        every step costs what it costs on a district) whose grids keep their atoms contiguous
        inside the window and so in the plan. A window's budget is ``time_limit_s`` per
        :data:`BUDGET_ATOMS` of its atoms, each pass: the budget follows the work (a
        district-sized plan keeps ``time_limit_s`` as its whole budget), and a window whose
        search converges stops early.
        """
        tol = self.tolerance
        zones = growth_zones(data, target * WINDOW_GRIDS, self.random_state)
        labels, _, oversized = self._initial(data, self.random_state, target, n_init=1, zones=zones)
        # Only the oversized atoms stay put: a piece of a zone cut off by one joined its grid
        # for the growth, but it may border another zone's grids, which the search can give it
        # to (so an oversized grid is one unit, not a unit with households around it).
        fixed = oversized.copy()
        t_grow = time.perf_counter()
        log = {"rounds": 0, "moves": 0, "path_moves": 0, "reattached": 0, "thin_moves": 0}
        log |= {"exact_repairs": 0, "windows": 0, "passes": WINDOW_PASSES, "starts": 1}
        per_atom = self.time_limit_s / BUDGET_ATOMS
        jobs = (os.cpu_count() or 1) if self.n_jobs == -1 else (self.n_jobs or 1)
        if multiprocessing.current_process().daemon:
            jobs = 1  # a Dask worker (shequ batch): already one of many; it may not fork
        pool = None
        if jobs > 1:  # a fresh interpreter per worker: no fork of OpenMP threads (k-means)
            context = multiprocessing.get_context("forkserver")
            pool = ProcessPoolExecutor(max_workers=jobs, mp_context=context)
        try:
            for p in range(WINDOW_PASSES):
                windows = (
                    _groups(zones)
                    if p == 0
                    else plan_windows(data, labels, WINDOW_GRIDS, self.random_state + p)
                )
                tasks = []
                for members in windows:
                    grids, local = np.unique(labels[members], return_inverse=True)
                    job = WindowJob(
                        data=sub_data(data, members),
                        labels=local,
                        fixed=fixed[members],
                        oversized=oversized[members],
                        target=target,
                        tol=tol,
                        weights=self.weights,
                        max_rounds=self.max_rounds,
                        seconds=per_atom * len(members),
                        random_state=self.random_state + p,
                    )
                    tasks.append((members, grids, job))
                for (members, grids, _), (local, wlog) in zip(
                    tasks, _run_all(pool, [job for _, _, job in tasks]), strict=True
                ):
                    labels[members] = grids[local]
                    for key in ("rounds", "moves", "path_moves", "reattached", "thin_moves"):
                        log[key] += int(wlog[key])
                    log["exact_repairs"] += int(wlog["exact_repairs"])
                    log["windows"] += 1
        finally:
            if pool is not None:
                pool.shutdown()
        log["objective"] = objective_terms(
            data, labels, target=target, tol=tol, weights=self.weights
        )["total"]
        seconds = {"starts": t_grow - t0, "repair": time.perf_counter() - t_grow}
        return self._finish(data, labels, oversized, target, log, seconds, t0)

    def _initial(
        self,
        data: AtomData,
        seed: int,
        target: float,
        n_init: int = 3,
        zones: np.ndarray | None = None,
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Oversized atoms as their own grids, then region growing per connected group
        (``target``: of the balanced demand), per community or, given, per zone
        (:func:`growth_zones`)."""
        tol = self.tolerance
        n = len(data.households)
        labels = np.full(n, -1, dtype=np.int64)
        fixed = np.zeros(n, dtype=bool)
        oversized = data.households > target * (1 + tol)
        community = data.community if data.community is not None else np.zeros(n, np.int64)
        if zones is not None:
            community = zones
        next_id = 0
        for comm in np.unique(community):
            in_comm = np.flatnonzero(community == comm)
            for big in in_comm[oversized[in_comm]]:
                labels[big] = next_id
                fixed[big] = True
                next_id += 1
            rest = in_comm[~oversized[in_comm]]
            for part in _components(data.neighbours, rest) if len(rest) else []:
                total = data.households[part].sum()
                host = self._host(data, part, labels, fixed) if total < 0.5 * target else -1
                if host >= 0:
                    labels[part] = host
                    fixed[part] = True
                    continue
                k = max(1, round(float(total) / target))
                local = _grow(data, part, k, seed, n_init)
                labels[part] = next_id + local
                next_id += int(local.max()) + 1
        return labels, fixed, oversized

    @staticmethod
    def _host(data: AtomData, part: np.ndarray, labels: np.ndarray, fixed: np.ndarray) -> int:
        """The oversized grid a small cut-off group borders, or -1 (then it is its own grid)."""
        nb = data.neighbours
        for atom in part:
            for v in nb.indices[nb.indptr[atom] : nb.indptr[atom + 1]]:
                if fixed[v] and labels[v] >= 0:
                    return int(labels[v])
        return -1


@dataclass
class WindowJob:
    """One window of a city-scale plan, as a problem of its own (sent to a worker process)."""

    data: AtomData
    labels: np.ndarray
    fixed: np.ndarray
    oversized: np.ndarray
    target: float
    tol: float
    weights: SearchWeights
    max_rounds: int
    seconds: float
    random_state: int


def search_window(job: WindowJob) -> tuple[np.ndarray, dict]:
    """The search (three quarters of the window's seconds) then the exact repair of the grids
    left outside the band (the rest) on one window; returns its labels and log. No atom joins
    the grid of an oversized atom."""
    n_grids = int(job.labels.max()) + 1
    closed = np.bincount(job.labels, weights=job.oversized, minlength=n_grids) > 0
    labels, log = improve(
        job.data,
        job.labels,
        job.fixed,
        target=job.target,
        tol=job.tol,
        weights=job.weights,
        max_rounds=job.max_rounds,
        time_limit_s=0.75 * job.seconds,
        random_state=job.random_state,
        closed=closed,
    )
    labels, log["exact_repairs"] = repair_and_polish(
        job.data,
        labels,
        job.fixed,
        job.oversized,
        target=job.target,
        tol=job.tol,
        weights=job.weights,
        seconds=0.25 * job.seconds,
        random_state=job.random_state,
        closed=closed,
    )
    return labels, log


def _run_all(pool: Executor | None, jobs: list[WindowJob]) -> list[tuple[np.ndarray, dict]]:
    """Every window's result, in order; largest windows first into the pool."""
    if pool is None:
        return [search_window(job) for job in jobs]
    order = sorted(range(len(jobs)), key=lambda i: -len(jobs[i].labels))
    futures = {i: pool.submit(search_window, jobs[i]) for i in order}
    return [futures[i].result() for i in range(len(jobs))]


def _groups(values: np.ndarray) -> list[np.ndarray]:
    """Positions per distinct value, each sorted."""
    order = np.argsort(values, kind="stable")
    cuts = np.flatnonzero(np.diff(values[order])) + 1
    return [part for part in np.split(order, cuts) if len(part)]


def growth_zones(data: AtomData, households: float, random_state: int) -> np.ndarray:
    """Zones of about ``households`` each, connected and inside one community, where a
    city-scale plan grows its grids (each zone gets round(its households / target) grids).

    Growing the whole city at once balances grids on households *and* area (so empty land does
    not starve a grid), which leaves dense quarters with too few grids and sparse ones with too
    many; no local search can move hundreds of households across a city. Grown per zone, the
    grid count follows each zone's households, off by at most half a grid in ~``WINDOW_GRIDS``.

    Parameters
    ----------
    data : AtomData
        The atoms' search arrays.
    households : float
        About how much demand a zone holds (target × grids per window).
    random_state : int
        Seed of the households-weighted k-means of the atom centroids that draws the zones.

    Returns
    -------
    ndarray of int
        Zone per atom. A piece of a zone cut off from the rest of it (by the clustering, or a
        community border) with less than a quarter of ``households`` joins the neighbouring
        zone of its community it shares most border with.
    """
    n = len(data.households)
    community = data.community if data.community is not None else np.zeros(n, np.int64)
    k = max(1, round(float(data.households.sum()) / households))
    if k > 1:
        xy = np.column_stack([data.cx, data.cy])
        w = data.households + 1e-6
        cluster = KMeans(n_clusters=k, n_init=1, random_state=random_state).fit_predict(
            xy, sample_weight=w
        )
    else:
        cluster = np.zeros(n, dtype=np.int64)
    nb = data.shared.tocoo()
    same = community[nb.row] == community[nb.col]
    inside = same & (cluster[nb.row] == cluster[nb.col])
    ones = np.ones(int(inside.sum()))
    graph = sparse.coo_matrix((ones, (nb.row[inside], nb.col[inside])), shape=(n, n))
    _, zone = csgraph.connected_components(graph, directed=False)
    # small pieces join a neighbouring zone (longest shared border), all at once per round:
    # a small piece into a large one, or into a small one of higher id (no cycles)
    row, col, metres = nb.row[same], nb.col[same], nb.data[same]
    for _ in range(50):
        n_zones = int(zone.max()) + 1
        load = np.bincount(zone, weights=data.households, minlength=n_zones)
        small = load < 0.25 * households
        cross = zone[row] != zone[col]
        pair = sparse.coo_matrix(
            (metres[cross], (zone[row[cross]], zone[col[cross]])), shape=(n_zones, n_zones)
        ).tocsr()
        mapping = np.arange(n_zones)
        for z in np.flatnonzero(small & (np.diff(pair.indptr) > 0)):
            s, e = pair.indptr[z], pair.indptr[z + 1]
            near, length = pair.indices[s:e], pair.data[s:e]
            ok = ~small[near] | (near > z)
            if ok.any():
                mapping[z] = near[ok][np.argmax(length[ok])]
        if (mapping == np.arange(n_zones)).all():
            break
        while True:  # follow chains of merges to their end
            nxt = mapping[mapping]
            if (nxt == mapping).all():
                break
            mapping = nxt
        zone = np.unique(mapping[zone], return_inverse=True)[1]
    return zone.astype(np.int64)


def plan_windows(
    data: AtomData, labels: np.ndarray, grids_per_window: int, random_state: int
) -> list[np.ndarray]:
    """Windows of neighbouring grids: the atoms of each, sorted.

    Grids are clustered by their area-weighted centres (k-means, one start, seeded: another
    seed draws other windows, so a border between two windows lies inside one on the next
    pass). Every grid lies in exactly one window, with all its atoms.

    Parameters
    ----------
    data : AtomData
        The atoms' search arrays.
    labels : ndarray of int
        Grid per atom (ids 0..k-1).
    grids_per_window : int
        About how many grids a window holds.
    random_state : int
        Seed of the clustering.

    Returns
    -------
    list of ndarray of int
        Atom positions per window.
    """
    n_grids = int(labels.max()) + 1
    w = data.area + 1e-9
    weight = np.bincount(labels, weights=w, minlength=n_grids)
    cx = np.bincount(labels, weights=w * data.cx, minlength=n_grids) / weight
    cy = np.bincount(labels, weights=w * data.cy, minlength=n_grids) / weight
    k = max(1, round(n_grids / grids_per_window))
    if k == 1:
        return [np.arange(len(labels))]
    xy = np.column_stack([cx, cy])
    window = KMeans(n_clusters=k, n_init=1, random_state=random_state).fit_predict(xy)
    return _groups(window[labels])


def sub_data(data: AtomData, members: np.ndarray) -> AtomData:
    """The search arrays of some atoms only (positions ``members``, sorted), as a problem of
    its own: adjacency inside them, per-atom arrays sliced."""

    def cut(a: np.ndarray | None) -> np.ndarray | None:
        return None if a is None else a[members]

    def sub(m: sparse.csr_matrix) -> sparse.csr_matrix:
        out = m[members][:, members].tocsr()
        out.sort_indices()
        return out

    return AtomData(
        households=data.households[members],
        area=data.area[members],
        cx=data.cx[members],
        cy=data.cy[members],
        self_inertia=data.self_inertia[members],
        graph=sub(data.graph),
        neighbours=sub(data.neighbours),
        perimeter=data.perimeter[members],
        shared=sub(data.shared),
        origin=cut(data.origin),
        community=cut(data.community),
        second=cut(data.second),
        second_target=data.second_target,
    )


def _compact_ids(labels: np.ndarray) -> np.ndarray:
    _, inverse = np.unique(labels, return_inverse=True)
    return inverse.astype(np.int64)
