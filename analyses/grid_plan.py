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

Limits: the plan is a good local optimum, not a proven one (only the repaired neighbourhoods
are solved exactly, and only up to 150 atoms each); atoms are the resolution (a
plan can only be as balanced as its atoms allow; the report says which grids stay out of
tolerance and why); ``k`` per connected group is fixed by rounding.
"""

from __future__ import annotations

import heapq
import time
from dataclasses import dataclass, field

import numpy as np
import shapely
from scipy import sparse
from scipy.sparse import csgraph
from sklearn.cluster import KMeans

from shequ.analyses.grid_objective import AtomData, SearchWeights
from shequ.analyses.grid_search import improve, repair_and_polish
from shequ.geo.atoms import Atoms

AREA_WEIGHT = 0.3  # share of the growth order given to area rather than households

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
    """Polar second moment of area of each polygon about its own centroid (m⁴)."""
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


def atom_data(atoms: Atoms, border_cost: dict[str, float]) -> AtomData:
    """Search arrays of the atoms; border costs per metre are scaled by a typical atom's side."""
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
    return AtomData(
        households=fr["households"].to_numpy(dtype=float),
        area=fr["area_m2"].to_numpy(dtype=float),
        cx=c.x.to_numpy(),
        cy=c.y.to_numpy(),
        self_inertia=polygon_inertia(fr.geometry.values),
        graph=graph,
        neighbours=(pattern + pattern.T).tocsr(),
        perimeter=shapely.length(shapely.boundary(fr.geometry.values)),
        shared=shared,
        community=fr["community_id"].to_numpy(),
    )


def _components(nb: sparse.csr_matrix, members: np.ndarray) -> list[np.ndarray]:
    sub = nb[members][:, members]
    n, lab = csgraph.connected_components(sub, directed=False)
    return [members[lab == k] for k in range(n)]


def _grow(data: AtomData, members: np.ndarray, k: int, random_state: int) -> np.ndarray:
    """Region growing from k seeds; returns a local label (0..k-1) per member."""
    if len(members) <= k:  # one atom per grid
        return np.arange(len(members))
    if k <= 1:
        return np.zeros(len(members), dtype=np.int64)
    xy = np.column_stack([data.cx[members], data.cy[members]])
    w = data.households[members] + 1e-6
    km = KMeans(n_clusters=k, n_init=3, random_state=random_state).fit(xy, sample_weight=w)
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


@dataclass
class GridPlanner:
    """Delineate grids of about ``households_per_grid`` (± ``tolerance``) from atoms.

    After :meth:`fit`: ``labels_`` (grid per atom), ``oversized_`` (atoms that alone exceed the
    ceiling and are their own grid), ``log_`` (search statistics) and ``seconds_``.
    """

    households_per_grid: float = 300.0
    tolerance: float = 0.15
    border_cost: dict[str, float] = field(default_factory=lambda: dict(DEFAULT_BORDER_COST))
    weights: SearchWeights = field(default_factory=SearchWeights)
    random_state: int = 0
    time_limit_s: float = 60.0
    max_rounds: int = 60
    n_starts: int = 6  # independent growth + search runs; the best plan is kept

    def __post_init__(self) -> None:
        if not self.households_per_grid > 0:
            msg = f"households_per_grid must be positive, got {self.households_per_grid!r}"
            raise ValueError(msg)
        if not 0 <= self.tolerance < 1:
            msg = f"tolerance must be in [0, 1), got {self.tolerance!r}"
            raise ValueError(msg)

    def fit(self, atoms: Atoms) -> GridPlanner:
        t0 = time.perf_counter()
        data = atom_data(atoms, self.border_cost)
        best = None
        for start in range(self.n_starts):
            seed = self.random_state + start
            labels, fixed, oversized = self._initial(data, seed)
            labels, log = improve(
                data,
                labels,
                fixed,
                target=self.households_per_grid,
                tol=self.tolerance,
                weights=self.weights,
                max_rounds=self.max_rounds,
                time_limit_s=self.time_limit_s / self.n_starts,
                random_state=seed,
            )
            if best is None or log["objective"] < best[1]["objective"] - 1e-9:
                best = (labels, {**log, "start": start}, oversized, fixed)
        labels, log, oversized, fixed = best
        labels, log["exact_repairs"] = repair_and_polish(
            data,
            labels,
            fixed,
            oversized,
            target=self.households_per_grid,
            tol=self.tolerance,
            weights=self.weights,
            seconds=self.time_limit_s / 4,
            random_state=self.random_state,
        )
        self.labels_ = _compact_ids(labels)
        self.oversized_ = np.flatnonzero(oversized)
        self.log_ = {**log, "starts": self.n_starts}
        self.seconds_ = time.perf_counter() - t0
        return self

    def _initial(self, data: AtomData, seed: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Oversized atoms as their own grids, then region growing per connected group."""
        target, tol = self.households_per_grid, self.tolerance
        n = len(data.households)
        labels = np.full(n, -1, dtype=np.int64)
        fixed = np.zeros(n, dtype=bool)
        oversized = data.households > target * (1 + tol)
        community = data.community if data.community is not None else np.zeros(n, np.int64)
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
                local = _grow(data, part, k, seed)
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


def _compact_ids(labels: np.ndarray) -> np.ndarray:
    _, inverse = np.unique(labels, return_inverse=True)
    return inverse.astype(np.int64)
