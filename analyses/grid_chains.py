"""Moves of several atoms at once, for when single boundary moves stall.

- *Chain moves* (:func:`path_pass`): a grid hands a lighter neighbour a households-holding atom
  together with the shortest chain of its atoms leading to that neighbour; pieces the chain would
  cut off go along, so both grids stay contiguous.
- *Ejection chains* (:func:`ejection_pass`): a grid outside the band passes households along a row
  of grids to one that has room (or to spare), each grid handing on what it received.

Both keep a move only if the objective (:mod:`shequ.analyses.grid_objective`) falls.
"""

from __future__ import annotations

import itertools
import time
from collections import deque

import numpy as np
from scipy import sparse

from shequ.analyses.grid_objective import State, grid_cost


def grid_pairs(st: State, tol: float, target: float) -> list[tuple[int, int]]:
    """Adjacent grid pairs (heavier, lighter) in one community, most unequal first: pairs far
    apart, or with one grid outside the tolerance."""
    dev = st.tot.h / target - 1.0
    pairs = [
        (g, u)
        for g, near in grid_graph(st).items()
        for u in near
        if dev[g] > dev[u] and (dev[g] - dev[u] > tol or dev[g] > tol or dev[u] < -tol)
    ]
    return sorted(pairs, key=lambda p: dev[p[1]] - dev[p[0]])


def chains(st: State, fixed: np.ndarray, g: int, u: int, most: float, limit: int = 6) -> list:
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
    found = []
    for x in [a for a in order if 0 < d.households[a] <= most][:limit]:
        chain = [x]
        while parent[chain[-1]] >= 0:
            chain.append(parent[chain[-1]])
        parts = parts_without(lab, d.neighbours, g, chain)
        if not parts:
            continue
        keep = max(parts, key=lambda p: (d.households[p].sum(), d.area[p].sum()))
        carried = [a for p in parts if p is not keep for a in p]
        if not any(fixed[a] for a in carried):
            found.append(chain[::-1] + carried)  # the atom touching u first
    return found


def path_pass(st: State, fixed: np.ndarray, target: float, tol: float, t_end: float) -> int:
    """Chain moves between unequal neighbouring grids (:func:`chains`); returns how many were
    accepted. Per pair the chain that lowers F most is kept."""
    w = st.w
    accepted = 0
    touched: set[int] = set()
    for g, u in grid_pairs(st, tol, target):
        if g in touched or u in touched or time.perf_counter() > t_end:
            continue
        if st.closed is not None and st.closed[u]:  # a grid no atom may join
            continue
        best_chain, best_delta = None, -1e-9
        for chain in chains(st, fixed, g, u, st.tot.h[g] - st.tot.h[u]):
            before = grid_cost(st.tot, g, target, tol, w) + grid_cost(st.tot, u, target, tol, w)
            side, undo = _hand_over(st, chain, u)
            after = grid_cost(st.tot, g, target, tol, w) + grid_cost(st.tot, u, target, tol, w)
            _take_back(st, undo)
            if after - before + side < best_delta:
                best_chain, best_delta = chain, after - before + side
        if best_chain is not None:
            _hand_over(st, best_chain, u)
            accepted += 1
            touched |= {g, u}
    return accepted


def grid_graph(st: State) -> dict[int, set[int]]:
    """Grid → the grids it borders in the same community."""
    d, lab = st.data, st.labels
    nb = d.neighbours.tocoo()
    ok = lab[nb.row] != lab[nb.col]
    if d.community is not None:
        ok &= d.community[nb.row] == d.community[nb.col]
    graph: dict[int, set[int]] = {}
    for a, b in zip(lab[nb.row[ok]], lab[nb.col[ok]], strict=True):
        graph.setdefault(int(a), set()).add(int(b))
    return graph


def ejection_pass(
    st: State, fixed: np.ndarray, target: float, tol: float, t_end: float, depth: int = 4
) -> int:
    """Ejection chains: settle a grid outside the band through a row of grids.

    When a grid x is over the band and no neighbour can take its excess (or under it and no
    neighbour can spare households), a breadth-first search over the grid graph collects grids
    up to ``depth`` steps away that are lighter (heavier) than x by more than the band, most room
    first; households then flow along the grid path to one of them, each grid handing its next
    one the chain (:func:`chains`) closest to what it received (x's excess first).
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
        graph = grid_graph(st)
        amount = abs(st.tot.h[x] - target)
        parent = {int(x): -1}
        frontier, found = [int(x)], []
        for _ in range(depth):
            nxt = []
            for a in frontier:
                for b in graph.get(a, ()):
                    shut = st.closed is not None and st.closed[b]
                    if b not in parent and not all_fixed[b] and not shut:
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
            before = sum(grid_cost(st.tot, g, target, tol, w) for g in grids)
            done: list[tuple[int, int]] = []
            side, ok, want = 0.0, True, amount
            for a, b in itertools.pairwise(path):
                options = chains(st, fixed, a, b, want + tol * target)
                if not options:
                    ok = False
                    break
                chain = min(options, key=lambda c: abs(d.households[c].sum() - want))
                want = d.households[chain].sum()  # the next grid passes on what it received
                moved, undo = _hand_over(st, chain, b)
                side += moved
                done += undo
            after = sum(grid_cost(st.tot, g, target, tol, w) for g in grids)
            if ok and after - before + side < -1e-9:
                accepted += 1
                break
            _take_back(st, done)
        dev = st.tot.h / target - 1.0
    return accepted


def _hand_over(st: State, chain: list[int], to: int) -> tuple[float, list[tuple[int, int]]]:
    """Move ``chain`` to grid ``to``; returns the border + move delta and what undoes it."""
    undo = [(a, int(st.labels[a])) for a in chain]
    return sum(st.relocate(a, to) for a in chain), undo


def _take_back(st: State, undo: list[tuple[int, int]]) -> None:
    for a, g in reversed(undo):
        st.relocate(a, g)


def parts_without(labels: np.ndarray, nb: sparse.csr_matrix, g: int, leaving) -> list[list[int]]:
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


def contiguous_without(labels: np.ndarray, nb: sparse.csr_matrix, g: int, leaving) -> bool:
    """Grid ``g`` is one connected piece (and not empty) without the ``leaving`` atoms."""
    return len(parts_without(labels, nb, g, leaving)) == 1
