"""Local search over atom → grid labels: balance, compactness, strong borders, moves.

Both a new plan and a redraw end here: starting from labels (region growing, or the existing
grids), boundary atoms move to a neighbouring grid while that lowers

    F = Σ_grids  w_dev·dev² + w_out·o² + w_lin·o     (dev = H/target − 1, o = max(0, |dev| − tol))
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

import itertools
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
    out: float = 50000.0  # beyond ±tolerance: near-hard (1 % outside costs 5) …
    out_linear: float = 20000.0  # … and a steep edge (0.1 % outside costs 20)
    compact: float = 3.0  # moment-of-inertia compactness (stretched shapes)
    perimeter: float = 3.0  # Polsby-Popper (ragged borders)
    thin: float = 30.0  # steep extra cost below ``thin_below`` Polsby-Popper (thin, ragged grids)
    thin_below: float = 0.2
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
        + w.out_linear * over
        + w.compact * (1.0 - comp)
        + w.perimeter * (1.0 - pp)
        + w.thin * max(0.0, w.thin_below - pp)
    )


def _still_contiguous(labels: np.ndarray, nb: sparse.csr_matrix, g: int, leaving: int) -> bool:
    """Grid ``g`` stays contiguous (and non-empty) without atom ``leaving``."""
    return _contiguous_without(labels, nb, g, [leaving])


class _State:
    """Labels plus running totals, with the one primitive every move uses: relocate an atom."""

    def __init__(self, data: AtomData, labels: np.ndarray, weights: SearchWeights, target: float):
        self.data, self.labels, self.w = data, labels, weights
        self.n_grids = int(labels.max()) + 1 if len(labels) else 0
        self.tot = _Totals(data, labels, self.n_grids)
        self.move_w = weights.move / target

    def side_delta(self, i: int, h: int) -> float:
        """Border and move terms of moving atom ``i`` to grid ``h`` (grid costs excluded)."""
        d, g = self.data, self.labels[i]
        s, e = d.graph.indptr[i], d.graph.indptr[i + 1]
        lab = self.labels[d.graph.indices[s:e]]
        vals = d.graph.data[s:e]
        delta = self.w.border * (vals[lab == h].sum() - vals[lab == g].sum())
        if d.origin is not None and d.origin[i] >= 0:
            o = d.origin[i]
            delta += d.households[i] * self.move_w * (int(h != o) - int(g != o))
        return float(delta)

    def perimeter_change(self, i: int, h: int) -> float:
        """Change of grid ``h``'s perimeter when atom ``i`` joins it (negate for leaving)."""
        d = self.data
        s, e = d.shared.indptr[i], d.shared.indptr[i + 1]
        lab = self.labels[d.shared.indices[s:e]]
        return float(d.perimeter[i] - 2.0 * d.shared.data[s:e][lab == h].sum())

    def relocate(self, i: int, h: int) -> float:
        """Move atom ``i`` to grid ``h``; returns its border + move delta."""
        g = self.labels[i]
        side = self.side_delta(i, h)
        self.tot.add(g, self.data, i, -1.0)
        self.tot.p[g] -= self.perimeter_change(i, g)
        self.tot.add(h, self.data, i, +1.0)
        self.tot.p[h] += self.perimeter_change(i, h)
        self.labels[i] = h
        return side


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

    Single-atom moves first; when none helps, *path moves* (:func:`_path_pass`) carry a
    household-holding atom together with the atoms between it and a lighter neighbouring grid,
    which single moves cannot do when the border atoms hold no households (parks, offices). The
    two alternate until neither helps or the time is up. ``fixed`` atoms never move (an
    oversized atom that is its own grid). Returns the labels and a log (rounds, moves, path
    moves, final F).
    """
    st = _State(data, labels.copy(), weights, target)
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
            before_g = _grid_cost(tot, g, target, tol, weights)
            dp_g = st.perimeter_change(i, g)
            tot.add(g, data, i, -1.0)
            tot.p[g] -= dp_g
            after_g = _grid_cost(tot, g, target, tol, weights)
            best, best_delta = -1, -1e-12
            for h in cand:
                before_h = _grid_cost(tot, h, target, tol, weights)
                dp_h = st.perimeter_change(i, h)
                tot.add(h, data, i, +1.0)
                tot.p[h] += dp_h
                after_h = _grid_cost(tot, h, target, tol, weights)
                tot.add(h, data, i, -1.0)
                tot.p[h] -= dp_h
                delta = (after_g - before_g) + (after_h - before_h) + st.side_delta(i, h)
                if delta < best_delta:
                    best, best_delta = h, delta
            tot.add(g, data, i, +1.0)
            tot.p[g] += dp_g
            if best < 0 or not _still_contiguous(labels, data.neighbours, g, i):
                continue
            st.relocate(i, best)
            last_move[i] = step
            step += 1
            moves += 1
            improved = True
            if time.perf_counter() > t_end:
                break
        if not improved and time.perf_counter() < t_end:
            done = _path_pass(st, fixed, target, tol, t_end)
            if not done:
                done = _ejection_pass(st, fixed, target, tol, t_end)
            path_moves += done
            improved = done > 0
        if not improved or time.perf_counter() > t_end:
            break
    total = sum(_grid_cost(tot, g, target, tol, weights) for g in range(st.n_grids))
    return labels, {"rounds": rounds, "moves": moves, "path_moves": path_moves, "objective": total}


def _grid_pairs(st: _State, tol: float, target: float) -> list[tuple[int, int]]:
    """Adjacent grid pairs (heavier, lighter) in one community, most unequal first: pairs far
    apart, or with one grid outside the tolerance."""
    d, lab = st.data, st.labels
    nb = d.neighbours.tocoo()
    ok = lab[nb.row] != lab[nb.col]
    if d.community is not None:
        ok &= d.community[nb.row] == d.community[nb.col]
    dev = st.tot.h / target - 1.0
    pairs = {(int(lab[a]), int(lab[b])) for a, b in zip(nb.row[ok], nb.col[ok], strict=True)}
    pairs = [
        (g, u)
        for g, u in pairs
        if dev[g] > dev[u] and (dev[g] - dev[u] > tol or dev[g] > tol or dev[u] < -tol)
    ]
    return sorted(pairs, key=lambda p: dev[p[1]] - dev[p[0]])


def _chains(st: _State, fixed: np.ndarray, g: int, u: int, most: float, limit: int = 6) -> list:
    """Atom sets grid ``g`` can hand to its neighbour ``u`` in one piece.

    A breadth-first search inside ``g`` from its atoms that touch ``u`` gives, for each atom x
    holding households (at most ``most``), the shortest chain of g's atoms joining x to u; the
    nearest ``limit`` such chains are returned. Moving a chain keeps u contiguous by
    construction; pieces of g the chain would cut off go along with it (they touch the chain,
    so u stays contiguous), the part of g with most households stays, and g is never emptied.
    """
    d, lab = st.data, st.labels
    nb_ind, nb_ptr = d.neighbours.indices, d.neighbours.indptr
    members = np.flatnonzero(lab == g)
    inside = set(members.tolist())
    parent: dict[int, int] = {}
    queue: deque[int] = deque()
    for a in members:
        if not fixed[a] and (lab[nb_ind[nb_ptr[a] : nb_ptr[a + 1]]] == u).any():
            parent[int(a)] = -1
            queue.append(int(a))
    order = []
    while queue:
        a = queue.popleft()
        order.append(a)
        for v in nb_ind[nb_ptr[a] : nb_ptr[a + 1]]:
            v = int(v)
            if v in inside and v not in parent and not fixed[v]:
                parent[v] = a
                queue.append(v)
    chains = []
    for x in [a for a in order if 0 < d.households[a] <= most][:limit]:
        chain = [x]
        while parent[chain[-1]] >= 0:
            chain.append(parent[chain[-1]])
        parts = _parts_without(lab, d.neighbours, g, chain)
        if not parts:
            continue
        keep = max(parts, key=lambda p: (d.households[p].sum(), d.area[p].sum()))
        carried = [a for p in parts if p is not keep for a in p]
        if not any(fixed[a] for a in carried):
            chains.append(chain[::-1] + carried)  # the atom touching u first
    return chains


def _path_pass(st: _State, fixed: np.ndarray, target: float, tol: float, t_end: float) -> int:
    """Chain moves between unequal neighbouring grids (:func:`_chains`); returns how many were
    accepted. Per pair the chain that lowers F most is kept."""
    w = st.w
    accepted = 0
    touched: set[int] = set()
    for g, u in _grid_pairs(st, tol, target):
        if g in touched or u in touched or time.perf_counter() > t_end:
            continue
        best_chain, best_delta = None, -1e-9
        for chain in _chains(st, fixed, g, u, st.tot.h[g] - st.tot.h[u]):
            before = _grid_cost(st.tot, g, target, tol, w) + _grid_cost(st.tot, u, target, tol, w)
            side = sum(st.relocate(a, u) for a in chain)
            after = _grid_cost(st.tot, g, target, tol, w) + _grid_cost(st.tot, u, target, tol, w)
            for a in reversed(chain):
                st.relocate(a, g)
            if after - before + side < best_delta:
                best_chain, best_delta = chain, after - before + side
        if best_chain is not None:
            for a in best_chain:
                st.relocate(a, u)
            accepted += 1
            touched |= {g, u}
    return accepted


def _grid_graph(st: _State) -> dict[int, set[int]]:
    d, lab = st.data, st.labels
    nb = d.neighbours.tocoo()
    ok = lab[nb.row] != lab[nb.col]
    if d.community is not None:
        ok &= d.community[nb.row] == d.community[nb.col]
    graph: dict[int, set[int]] = {}
    for a, b in zip(lab[nb.row[ok]], lab[nb.col[ok]], strict=True):
        graph.setdefault(int(a), set()).add(int(b))
    return graph


def _ejection_pass(
    st: _State, fixed: np.ndarray, target: float, tol: float, t_end: float, depth: int = 4
) -> int:
    """Ejection chains: settle a grid outside the band through a row of grids.

    When a grid x is over the band and no neighbour can take its excess (or under it and no
    neighbour can spare households), a breadth-first search over the grid graph collects grids
    up to ``depth`` steps away that are lighter (heavier) than x by more than the band, most room
    first; households then flow along the grid path to one of them, each grid handing its next
    one the chain (:func:`_chains`) closest to what it received (x's excess first).
    The whole chain of moves is kept only if F decreases, else undone. Returns how many were
    kept.
    """
    d, w = st.data, st.w
    all_fixed = np.bincount(st.labels, weights=~fixed, minlength=st.n_grids) == 0
    accepted = 0
    dev = st.tot.h / target - 1.0
    for x in np.argsort(-np.abs(dev)):
        if abs(dev[x]) <= tol or all_fixed[x] or time.perf_counter() > t_end:
            continue
        graph = _grid_graph(st)
        amount = abs(st.tot.h[x] - target)
        parent = {int(x): -1}
        frontier, found = [int(x)], []
        for _ in range(depth):
            nxt = []
            for a in frontier:
                for b in graph.get(a, ()):
                    if b not in parent and not all_fixed[b]:
                        parent[b] = a
                        nxt.append(b)
                        gap = (st.tot.h[x] - st.tot.h[b]) * np.sign(dev[x])
                        if gap > tol * target:
                            found.append(b)
            frontier = nxt
        found.sort(key=lambda b: st.tot.h[b] * np.sign(dev[x]))  # most room first
        for y in found[:12]:
            path = [y]
            while parent[path[-1]] >= 0:
                path.append(parent[path[-1]])
            path = path[::-1] if dev[x] > 0 else path  # households flow source → sink
            grids = set(path)
            before = sum(_grid_cost(st.tot, g, target, tol, w) for g in grids)
            done: list[tuple[int, int]] = []
            side, ok, want = 0.0, True, amount
            for a, b in itertools.pairwise(path):
                chains = _chains(st, fixed, a, b, want + tol * target)
                if not chains:
                    ok = False
                    break
                chain = min(chains, key=lambda c: abs(d.households[c].sum() - want))
                want = d.households[chain].sum()  # the next grid passes on what it received
                for atom in chain:
                    side += st.relocate(atom, b)
                    done.append((atom, a))
            after = sum(_grid_cost(st.tot, g, target, tol, w) for g in grids)
            if ok and after - before + side < -1e-9:
                accepted += 1
                break
            for atom, a in reversed(done):
                st.relocate(atom, a)
        dev = st.tot.h / target - 1.0
    return accepted


def _parts_without(labels: np.ndarray, nb: sparse.csr_matrix, g: int, leaving) -> list[list[int]]:
    """Connected parts of grid ``g`` without the ``leaving`` atoms (empty list: nothing left)."""
    rest = set(np.flatnonzero(labels == g).tolist()) - set(leaving)
    ind, ptr = nb.indices, nb.indptr
    parts = []
    while rest:
        start = rest.pop()
        part = [start]
        queue = deque([start])
        while queue:
            a = queue.popleft()
            for v in ind[ptr[a] : ptr[a + 1]]:
                if v in rest:
                    rest.discard(v)
                    part.append(int(v))
                    queue.append(v)
        parts.append(part)
    return parts


def _contiguous_without(labels: np.ndarray, nb: sparse.csr_matrix, g: int, leaving) -> bool:
    return len(_parts_without(labels, nb, g, leaving)) == 1
