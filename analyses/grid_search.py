"""Local search over atom → grid labels: balance, compactness, strong borders, moves.

Both a new plan and a redraw end here: starting from labels (region growing, or the existing
grids), boundary atoms move to a neighbouring grid while that lowers

    F = Σ_grids  w_dev·dev² + w_out·max(0, |dev| − tol)²        (balance, dev = H/target − 1)
      + w_compact · Σ_grids (1 − moment-of-inertia compactness)
      + w_border  · Σ_internal borders  cost(class) · length / scale
      + w_move    · households moved away from their original grid / target  (redraw only)

and the donor grid stays contiguous (a breadth-first search over the donor's atoms without the
moving one). Grid totals are kept as running sums — area, first and second area moments, demand —
so the change a move makes is computed in constant time plus the atom's degree; the search is a
first-improvement descent with a tabu tenure (a moved atom may not move again for a while) so it
does not cycle between two equally good states. This is the "seeded growth then
Kernighan–Lin-style boundary moves" family used for districting; it finds good local optima,
not proven optima (see docs in :mod:`shequ.analyses.grid_plan`).
"""

from __future__ import annotations

import time
from collections import deque
from dataclasses import dataclass

import numpy as np
from scipy import sparse


@dataclass
class SearchWeights:
    """Weights of the search objective (defaults tuned on the Shanghai benchmark: balance
    first, then compactness, then borders; see benchmarks/grids.py)."""

    dev: float = 20.0
    out: float = 50000.0  # beyond ±tolerance: near-hard (1 % outside costs 5)
    compact: float = 3.0  # moment-of-inertia compactness (stretched shapes)
    perimeter: float = 3.0  # Polsby-Popper (ragged borders)
    border: float = 0.02
    move: float = 0.0


@dataclass
class AtomData:
    """What the search needs per atom, as arrays."""

    households: np.ndarray
    area: np.ndarray
    cx: np.ndarray
    cy: np.ndarray
    self_inertia: np.ndarray  # polar second moment of each atom about its own centroid
    graph: sparse.csr_matrix  # symmetric, value = border cost × length / scale
    neighbours: sparse.csr_matrix  # symmetric adjacency pattern (for contiguity)
    perimeter: np.ndarray  # atom perimeter (m)
    shared: sparse.csr_matrix  # shared border metres, same sparsity pattern as ``graph``
    origin: np.ndarray | None = None  # original grid per atom (redraw), -1 none
    community: np.ndarray | None = None  # community per atom: grids never cross communities


class _Totals:
    def __init__(self, data: AtomData, labels: np.ndarray, n_grids: int) -> None:
        w = data.area
        self.h = np.bincount(labels, weights=data.households, minlength=n_grids)
        self.a = np.bincount(labels, weights=w, minlength=n_grids)
        self.ax = np.bincount(labels, weights=w * data.cx, minlength=n_grids)
        self.ay = np.bincount(labels, weights=w * data.cy, minlength=n_grids)
        self.a2 = np.bincount(
            labels, weights=w * (data.cx**2 + data.cy**2) + data.self_inertia, minlength=n_grids
        )
        self.count = np.bincount(labels, minlength=n_grids)
        inner = data.shared.multiply(labels[:, None] == labels[None, :]) if n_grids else None
        inner_len = np.asarray(inner.sum(axis=1)).ravel() if inner is not None else 0.0
        self.p = np.bincount(labels, weights=data.perimeter - inner_len, minlength=n_grids)

    def add(self, g: int, data: AtomData, i: int, sign: float) -> None:
        w = data.area[i]
        self.h[g] += sign * data.households[i]
        self.a[g] += sign * w
        self.ax[g] += sign * w * data.cx[i]
        self.ay[g] += sign * w * data.cy[i]
        self.a2[g] += sign * (w * (data.cx[i] ** 2 + data.cy[i] ** 2) + data.self_inertia[i])
        self.count[g] += int(sign)


def inertia_compactness(a: float, ax: float, ay: float, a2: float) -> float:
    """A² / (2π I) about the centroid: 1 for a disc, smaller for stretched shapes."""
    if a <= 0:
        return 1.0
    inertia = a2 - (ax * ax + ay * ay) / a
    return float(min(1.0, a * a / (2 * np.pi * max(inertia, 1e-9))))


def _grid_cost(t: _Totals, g: int, target: float, tol: float, w: SearchWeights) -> float:
    if t.count[g] == 0:
        return 0.0
    dev = t.h[g] / target - 1.0
    over = max(0.0, abs(dev) - tol)
    comp = inertia_compactness(t.a[g], t.ax[g], t.ay[g], t.a2[g])
    pp = min(1.0, 4 * np.pi * t.a[g] / max(t.p[g], 1e-9) ** 2)
    return (
        w.dev * dev * dev
        + w.out * over * over
        + w.compact * (1.0 - comp)
        + w.perimeter * (1.0 - pp)
    )


def _still_contiguous(labels: np.ndarray, nb: sparse.csr_matrix, g: int, leaving: int) -> bool:
    members = np.flatnonzero(labels == g)
    if len(members) <= 2:
        return len(members) == 2  # one atom left is contiguous; a grid is never emptied
    rest = set(members.tolist())
    rest.discard(leaving)
    start = next(iter(rest))
    seen = {start}
    queue = deque([start])
    ind, ptr = nb.indices, nb.indptr
    while queue:
        u = queue.popleft()
        for v in ind[ptr[u] : ptr[u + 1]]:
            if v in rest and v not in seen:
                seen.add(v)
                queue.append(v)
    return len(seen) == len(rest)


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

    ``fixed`` atoms never move (an oversized atom that is its own grid). Returns the labels and a
    log (rounds, moves, seconds, final F).
    """
    labels = labels.copy()
    n_grids = int(labels.max()) + 1 if len(labels) else 0
    tot = _Totals(data, labels, n_grids)
    rng = np.random.default_rng(random_state)
    g_ind, g_ptr, g_val = data.graph.indices, data.graph.indptr, data.graph.data
    s_val = data.shared.data  # aligned with graph (same pattern)
    last_move = np.full(len(labels), -(10**9))
    origin = data.origin
    move_w = weights.move / target
    t_end = time.perf_counter() + time_limit_s
    moves = 0
    step = 0
    rounds = 0
    for rounds in range(1, max_rounds + 1):  # noqa: B007 (reported)
        improved = False
        order = rng.permutation(len(labels))
        for i in order:
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
            vals = g_val[g_ptr[i] : g_ptr[i + 1]]
            lens = s_val[g_ptr[i] : g_ptr[i + 1]]
            in_g = labels[nbrs] == g
            inner_now = vals[in_g].sum()
            dp_g = -data.perimeter[i] + 2.0 * lens[in_g].sum()
            before_g = _grid_cost(tot, g, target, tol, weights)
            best, best_delta = -1, -1e-12
            tot.add(g, data, i, -1.0)
            tot.p[g] += dp_g
            after_g = _grid_cost(tot, g, target, tol, weights)
            for h in cand:
                before_h = _grid_cost(tot, h, target, tol, weights)
                dp_h = data.perimeter[i] - 2.0 * lens[labels[nbrs] == h].sum()
                tot.add(h, data, i, +1.0)
                tot.p[h] += dp_h
                after_h = _grid_cost(tot, h, target, tol, weights)
                tot.add(h, data, i, -1.0)
                tot.p[h] -= dp_h
                inner_new = vals[labels[nbrs] == h].sum()
                delta = (after_g - before_g) + (after_h - before_h)
                delta += weights.border * (inner_new - inner_now)
                if origin is not None and origin[i] >= 0:
                    hh = data.households[i] * move_w
                    delta += hh * (int(h != origin[i]) - int(g != origin[i]))
                if delta < best_delta:
                    best, best_delta = h, delta
            tot.add(g, data, i, +1.0)
            tot.p[g] -= dp_g
            if best < 0 or not _still_contiguous(labels, data.neighbours, g, i):
                continue
            tot.add(g, data, i, -1.0)
            tot.p[g] += dp_g
            tot.add(best, data, i, +1.0)
            tot.p[best] += data.perimeter[i] - 2.0 * lens[labels[nbrs] == best].sum()
            labels[i] = best
            last_move[i] = step
            step += 1
            moves += 1
            improved = True
            if time.perf_counter() > t_end:
                break
        if not improved or time.perf_counter() > t_end:
            break
    total = sum(_grid_cost(tot, g, target, tol, weights) for g in range(n_grids))
    return labels, {"rounds": rounds, "moves": moves, "objective": total}
