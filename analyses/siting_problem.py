"""A siting problem: demand points, candidate sites and the sparse walk relation between them.

Coverage is decided door to door: home ``access_m`` + street metres + site ``access_m`` must be
within the kind's walk threshold, exactly as in the living-circle audit (the same graph, the same
attachments, the same :func:`~shequ.analyses.shortest_paths.bounded_distances`). The relation is
kept as a list of (client, site, metres) pairs found by one bounded search per distinct site
position — never a dense clients × sites matrix, which for a district (20k homes × 2k sites) would
be 40 million cells of which 99 % say "too far".
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field

import numpy as np
from scipy import sparse

from shequ.analyses.shortest_paths import bounded_distances
from shequ.i18n import Note


@dataclass
class SitingProblem:
    """Everything a location model needs, as arrays (clients = homes, sites = candidates).

    ``site_fixed`` marks existing facilities of the kind: they are always open and do not count
    toward ``p``. Pairs are sorted by client, then by metres.
    """

    kind: str
    radius_m: float  # a client is covered by a site within this many metres
    search_m: float  # pairs are known up to this distance (p-median assigns within it)
    speed_mps: float
    weight: np.ndarray  # (n_clients,) demand weight (elderly, households, places …)
    client_unattached: np.ndarray  # (n_clients,) bool: no walkable street near the home
    site_fixed: np.ndarray  # (n_sites,) bool
    site_cost: np.ndarray  # (n_sites,) float, NaN when unknown
    site_capacity: np.ndarray  # (n_sites,) float, NaN when unknown
    pair_client: np.ndarray  # (n_pairs,) int
    pair_site: np.ndarray  # (n_pairs,) int
    pair_m: np.ndarray  # (n_pairs,) door-to-door metres, ≤ search_m
    build_seconds: float = 0.0
    _coverage: sparse.csr_matrix | None = field(default=None, repr=False)

    @property
    def n_clients(self) -> int:
        return len(self.weight)

    @property
    def n_sites(self) -> int:
        return len(self.site_fixed)

    @property
    def radius_min(self) -> float:
        return self.radius_m / self.speed_mps / 60.0

    def coverage(self) -> sparse.csr_matrix:
        """Clients × sites boolean CSR matrix of the pairs within ``radius_m``."""
        if self._coverage is None:
            keep = self.pair_m <= self.radius_m
            rows, cols = self.pair_client[keep], self.pair_site[keep]
            self._coverage = sparse.csr_matrix(
                (np.ones(len(rows), dtype=bool), (rows, cols)),
                shape=(self.n_clients, self.n_sites),
            )
        return self._coverage

    def covered_by(self, open_sites: np.ndarray) -> np.ndarray:
        """Per client: is any of ``open_sites`` (indices or a boolean mask) within the radius?"""
        mask = _as_mask(open_sites, self.n_sites)
        return np.asarray(self.coverage() @ mask.astype(np.int32)).ravel() > 0

    def nearest_open(self, open_sites: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Per client: the nearest open site within ``search_m`` (-1 if none) and its metres."""
        mask = _as_mask(open_sites, self.n_sites)
        keep = mask[self.pair_site]
        client, site, metres = self.pair_client[keep], self.pair_site[keep], self.pair_m[keep]
        nearest = np.full(self.n_clients, -1, dtype=np.int64)
        dist = np.full(self.n_clients, np.inf)
        # pairs are sorted by client then metres: the first pair of each client is its nearest
        first = np.r_[True, client[1:] != client[:-1]] if len(client) else np.zeros(0, bool)
        nearest[client[first]] = site[first]
        dist[client[first]] = metres[first]
        return nearest, dist

    def client_reason(self) -> np.ndarray:
        """Why a client can never be covered.

        Returns
        -------
        numpy.ndarray
            Object array per client: a :class:`~shequ.i18n.Note` (``unserved.no_street`` or
            ``unserved.out_of_reach``), or None when some site is within the radius.
        """
        reason = np.full(self.n_clients, None, dtype=object)
        reachable = np.zeros(self.n_clients, dtype=bool)
        reachable[self.pair_client[self.pair_m <= self.radius_m]] = True
        reason[~reachable] = Note(
            "unserved.out_of_reach", minutes=self.radius_min, metres=self.radius_m
        )
        reason[self.client_unattached] = Note("unserved.no_street")
        return reason


def _as_mask(open_sites: np.ndarray, n: int) -> np.ndarray:
    open_sites = np.asarray(open_sites)
    if open_sites.dtype == bool:
        return open_sites
    mask = np.zeros(n, dtype=bool)
    mask[open_sites.astype(np.int64)] = True
    return mask


def build_problem(
    csr: sparse.csr_matrix,
    *,
    kind: str,
    radius_m: float,
    speed_mps: float,
    client_node: np.ndarray,
    client_access_m: np.ndarray,
    weight: np.ndarray,
    site_node: np.ndarray,
    site_access_m: np.ndarray,
    site_fixed: np.ndarray,
    site_cost: np.ndarray | None = None,
    site_capacity: np.ndarray | None = None,
    search_m: float | None = None,
    batch: int = 64,
    progress=None,
) -> SitingProblem:
    """Find every (home, site) pair within ``search_m`` (default ``radius_m``) door to door.

    Sites at the same street position (node and access distance) share one bounded search.
    Clients with ``client_node`` −1 are unattached: they get no pairs.
    """
    t0 = time.perf_counter()
    search_m = float(radius_m if search_m is None else max(search_m, radius_m))
    client_node = np.asarray(client_node, dtype=np.int64)
    client_access_m = np.asarray(client_access_m, dtype=np.float64)
    weight = np.asarray(weight, dtype=np.float64)
    site_node = np.asarray(site_node, dtype=np.int64)
    site_access_m = np.asarray(site_access_m, dtype=np.float64)
    n_sites = len(site_node)
    attached = client_node >= 0
    att_idx = np.flatnonzero(attached)
    att_node = client_node[att_idx]
    att_access = client_access_m[att_idx]

    keys = np.column_stack([site_node, np.round(site_access_m, 3)])
    uniq, inverse = np.unique(keys, axis=0, return_inverse=True) if n_sites else (keys, [])
    inverse = np.asarray(inverse).ravel()
    members = _group_members(inverse, len(uniq))
    clients, sites, metres = [], [], []
    for idx, dist in bounded_distances(
        csr, uniq[:, 0].astype(np.int64), uniq[:, 1], search_m, batch=batch
    ):
        door = dist[:, att_node] + att_access  # (batch, attached clients)
        rows, cols = np.nonzero(door <= search_m)
        for u_row, group in zip(idx, members[idx[0] : idx[-1] + 1], strict=True):
            sel = rows == (u_row - idx[0])
            c = att_idx[cols[sel]]
            m = door[rows[sel], cols[sel]]
            for s in group:
                clients.append(c)
                sites.append(np.full(len(c), s, dtype=np.int64))
                metres.append(m + (site_access_m[s] - uniq[u_row, 1]))
        if progress is not None:
            progress(len(idx))
    pc = np.concatenate(clients) if clients else np.empty(0, dtype=np.int64)
    ps = np.concatenate(sites) if sites else np.empty(0, dtype=np.int64)
    pm = np.concatenate(metres) if metres else np.empty(0)
    order = np.lexsort((ps, pm, pc))
    nan = np.full(n_sites, np.nan)
    return SitingProblem(
        kind=kind,
        radius_m=float(radius_m),
        search_m=search_m,
        speed_mps=float(speed_mps),
        weight=weight,
        client_unattached=~attached,
        site_fixed=np.asarray(site_fixed, dtype=bool),
        site_cost=nan.copy() if site_cost is None else np.asarray(site_cost, dtype=np.float64),
        site_capacity=nan.copy()
        if site_capacity is None
        else np.asarray(site_capacity, dtype=np.float64),
        pair_client=pc[order],
        pair_site=ps[order],
        pair_m=pm[order],
        build_seconds=time.perf_counter() - t0,
    )


def _group_members(inverse: np.ndarray, n_groups: int) -> list[np.ndarray]:
    order = np.argsort(inverse, kind="stable")
    bounds = np.searchsorted(inverse[order], np.arange(n_groups + 1))
    return [order[bounds[g] : bounds[g + 1]] for g in range(n_groups)]


def problem_from_matrix(
    cost: np.ndarray,
    weight: np.ndarray,
    radius: float,
    *,
    fixed: np.ndarray | None = None,
    search: float | None = None,
    capacity: np.ndarray | None = None,
    site_cost: np.ndarray | None = None,
    speed_mps: float = 1.0,
    kind: str = "matrix",
) -> SitingProblem:
    """A problem from a dense cost matrix (clients × sites), as spopt's ``from_cost_matrix``.

    Meant for small instances and comparisons: entries above ``search`` (default: keep all
    finite entries) are dropped.
    """
    cost = np.asarray(cost, dtype=np.float64)
    n_clients, n_sites = cost.shape
    limit = np.inf if search is None else search
    rows, cols = np.nonzero(np.isfinite(cost) & (cost <= limit))
    order = np.lexsort((cols, cost[rows, cols], rows))
    finite = cost[np.isfinite(cost)]
    return SitingProblem(
        kind=kind,
        radius_m=float(radius),
        search_m=float(finite.max() if search is None and finite.size else (search or radius)),
        speed_mps=speed_mps,
        weight=np.asarray(weight, dtype=np.float64),
        client_unattached=np.zeros(n_clients, dtype=bool),
        site_fixed=np.zeros(n_sites, bool) if fixed is None else np.asarray(fixed, bool),
        site_cost=np.full(n_sites, np.nan) if site_cost is None else np.asarray(site_cost, float),
        site_capacity=np.full(n_sites, np.nan) if capacity is None else np.asarray(capacity, float),
        pair_client=rows[order].astype(np.int64),
        pair_site=cols[order].astype(np.int64),
        pair_m=cost[rows, cols][order],
    )
