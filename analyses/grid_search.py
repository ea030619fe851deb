"""Local search over atom → grid labels, the last step of a new plan and of a redraw.

Starting from labels (region growing, or the existing grids), boundary atoms move to a
neighbouring grid while that lowers the objective F (:mod:`shequ.analyses.grid_objective`) and
the donor grid stays contiguous (a breadth-first search over the donor's atoms without the moving
one). The descent is first-improvement with a tabu tenure (a moved atom may not move again for a
while) so it does not cycle between two equally good states; when it stalls, chain moves and
ejection chains (:mod:`shequ.analyses.grid_chains`) move several atoms at once. This is the
"seeded growth then Kernighan–Lin-style boundary moves" family used for districting; it finds
good local optima, not proven optima (see :mod:`shequ.analyses.grid_plan`).
"""

from __future__ import annotations

import heapq
import time

import numpy as np

from shequ.analyses.grid_chains import contiguous_without, ejection_pass, parts_without, path_pass
from shequ.analyses.grid_objective import AtomData, SearchWeights, State, grid_cost
from shequ.analyses.grid_repair import repair_out_of_band


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
    closed: np.ndarray | None = None,
) -> tuple[np.ndarray, dict]:
    """Move boundary atoms between adjacent grids while F decreases.

    Single-atom moves first; when none helps, chain moves and then ejection chains
    (:mod:`shequ.analyses.grid_chains`) move several atoms at once, which single moves cannot do
    when the border atoms hold no households (parks, offices). They alternate until nothing helps
    or the time is up. ``fixed`` atoms never move (an oversized atom that is its own grid);
    ``closed`` (a flag per grid, optional) marks grids no atom may join (on a city-scale plan,
    the grids of oversized atoms: each stays one unit). Returns the labels and a log (rounds,
    moves, path moves, final F).
    """
    labels = labels.copy()
    reattached = reconnect(data, labels, fixed)
    st = State(data, labels, weights, target)
    st.closed = closed
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
            if closed is not None:
                cand = cand[~closed[cand]]
            if len(cand) == 0 or step - last_move[i] < tabu_tenure:
                continue
            before_g = grid_cost(tot, g, target, tol, weights)
            st.shift(i, g, -1.0)
            after_g = grid_cost(tot, g, target, tol, weights)
            best, best_delta = -1, -1e-12
            for h in cand:
                before_h = grid_cost(tot, h, target, tol, weights)
                st.shift(i, h, +1.0)
                after_h = grid_cost(tot, h, target, tol, weights)
                st.shift(i, h, -1.0)
                delta = (after_g - before_g) + (after_h - before_h) + st.side_delta(i, h)
                if delta < best_delta:
                    best, best_delta = h, delta
            st.shift(i, g, +1.0)
            if best < 0 or not contiguous_without(labels, data.neighbours, g, [i]):
                continue
            st.relocate(i, best)
            last_move[i] = step
            step += 1
            moves += 1
            improved = True
            if time.perf_counter() > t_end:
                break
        if not improved and time.perf_counter() < t_end:
            done = path_pass(st, fixed, target, tol, t_end)
            if not done:
                done = ejection_pass(st, fixed, target, tol, t_end)
            path_moves += done
            improved = done > 0
        if not improved or time.perf_counter() > t_end:
            break
    lifted = lift_thin(st, fixed, target, tol, weights.thin_below, t_end)
    total = sum(grid_cost(tot, g, target, tol, weights) for g in range(st.n_grids))
    log = {
        "rounds": rounds,
        "moves": moves,
        "path_moves": path_moves,
        "reattached": reattached,
        "thin_moves": lifted,
        "objective": total,
    }
    return labels, log


def reconnect(data: AtomData, labels: np.ndarray, fixed: np.ndarray) -> int:
    """Make every grid one piece: a detached piece of a grid joins the neighbouring grid it
    shares the longest border with (in its community). Changes ``labels`` in place.

    The search only ever keeps grids contiguous; a grid can start in pieces when it comes from
    outside (an existing register whose grid meets itself only at a corner, atoms no existing grid
    reached). The piece with an oversized atom, else the most households, stays; a piece with no
    neighbouring grid in its community (an island of atoms) stays where it is. Returns how many
    atoms changed grid.
    """
    nb, shared = data.neighbours, data.shared
    community = data.community if data.community is not None else np.zeros(len(labels), int)
    moved = 0
    for _ in range(3):  # a piece may join a grid that is itself in pieces: settle again
        changed = 0
        for g in np.unique(labels):
            parts = parts_without(labels, nb, int(g), [])
            if len(parts) < 2:
                continue
            keep = max(
                parts,
                key=lambda p: (fixed[p].any(), data.households[p].sum(), data.area[p].sum()),
            )
            for part in parts:
                if part is keep or fixed[part].any():
                    continue
                length: dict[int, float] = {}
                for a in part:
                    s, e = shared.indptr[a], shared.indptr[a + 1]
                    for v, m in zip(shared.indices[s:e], shared.data[s:e], strict=True):
                        if labels[v] != g and community[v] == community[a]:
                            length[int(labels[v])] = length.get(int(labels[v]), 0.0) + m
                if length:
                    labels[part] = max(length, key=length.__getitem__)
                    changed += len(part)
        moved += changed
        if not changed:
            break
    return moved


def polsby_popper(st: State, g: int) -> float:
    """Polsby–Popper 4πA/P² of grid ``g`` from the running totals (1 for a disc)."""
    a, p = st.tot.a[g], st.tot.p[g]
    return float(min(1.0, 4 * np.pi * a / max(p, 1e-9) ** 2)) if st.tot.count[g] else 1.0


def _excess(st: State, g: int, target: float, tol: float) -> float:
    return max(0.0, abs(st.tot.h[g] / target - 1.0) - tol)


def thin_moves(
    st: State, fixed: np.ndarray, g: int, target: float, tol: float, floor: float
) -> tuple[list[tuple[tuple[int, float], int, int]], bool]:
    """Single-atom moves that make thin grid ``g`` rounder, best first, and whether any exists.

    A move takes a boundary atom out of ``g`` into a neighbouring grid h, or brings one of h's
    atoms into ``g`` (same community, no oversized atom). It counts as keeping balance when
    neither grid ends further outside the household band than it was. It is *kept* (returned)
    only when the pair gets better in shape: no more of the two under ``floor`` than before, and
    the lower Polsby–Popper of the two higher. Contiguity is checked by the caller. The flag
    says whether any balanced move raised ``g``'s own Polsby–Popper at all (so a grid left thin
    is thin because of its neighbours' shapes, not because of the band).
    """
    d, lab = st.data, st.labels
    ind, ptr = d.neighbours.indices, d.neighbours.indptr
    community = d.community
    members = np.flatnonzero(lab == g)
    pp_g = polsby_popper(st, g)
    out: list[tuple[tuple[int, float], int, int]] = []
    raised = False
    seen: set[tuple[int, int]] = set()
    for a in members:
        for v in ind[ptr[a] : ptr[a + 1]]:
            h = int(lab[v])
            if h == g or (community is not None and community[v] != community[a]):
                continue
            for atom, src, dst in ((int(a), g, h), (int(v), h, g)):
                if fixed[atom] or (atom, dst) in seen or st.tot.count[src] <= 1:
                    continue
                if st.closed is not None and st.closed[dst]:
                    continue
                seen.add((atom, dst))
                before = (_excess(st, g, target, tol), _excess(st, h, target, tol))
                old = (pp_g, polsby_popper(st, h))
                st.shift(atom, src, -1.0)
                st.shift(atom, dst, +1.0)
                after = (_excess(st, g, target, tol), _excess(st, h, target, tol))
                new = (polsby_popper(st, g), polsby_popper(st, h))
                st.shift(atom, dst, -1.0)
                st.shift(atom, src, +1.0)
                if any(x > y + 1e-12 for x, y in zip(after, before, strict=True)):
                    continue
                raised |= new[0] > old[0] + 1e-9
                below_old = sum(x < floor for x in old)
                below_new = sum(x < floor for x in new)
                if below_new <= below_old and min(new) > min(old) + 1e-9:
                    out.append(((below_new, -min(new)), atom, dst))
    out.sort()
    return out, raised


def peel_move(
    st: State,
    fixed: np.ndarray,
    g: int,
    target: float,
    tol: float,
    floor: float,
    max_atoms: int = 40,
) -> tuple[tuple[tuple[int, float], int, list[int]] | None, bool]:
    """The best set of atoms thin grid ``g`` can hand one neighbour to get rounder.

    Single moves cannot round off a grid whose tail is many small atoms (a strip of empty land
    cut into blocks: each atom alone barely changes the outline). Per neighbouring grid h, the
    atoms of ``g`` are peeled off towards h farthest from ``g``'s centre first (a best-first
    search inside ``g`` from its atoms touching h, so h stays one piece), up to ``max_atoms``;
    every prefix that leaves ``g`` in one piece is judged as :func:`thin_moves` judges a move
    (no grid further out of the band, no more grids under the floor, the lower Polsby–Popper of
    the two higher). Returns ``((key, h, atoms), raised)`` for the best prefix — or None — and
    whether any balanced peel raised ``g``'s own Polsby–Popper.
    """
    d, lab = st.data, st.labels
    ind, ptr = d.neighbours.indices, d.neighbours.indptr
    community = d.community
    members = np.flatnonzero(lab == g)
    if len(members) < 2 or st.tot.a[g] <= 0:
        return None, False
    cx, cy = st.tot.ax[g] / st.tot.a[g], st.tot.ay[g] / st.tot.a[g]
    starts: dict[int, set[int]] = {}
    for a in members:
        if fixed[a]:
            continue
        for v in ind[ptr[a] : ptr[a + 1]]:
            h = int(lab[v])
            if h != g and (community is None or community[v] == community[a]):
                starts.setdefault(h, set()).add(int(a))
    best, raised = None, False
    limit = min(max_atoms, len(members) - 1)
    for h, start in starts.items():
        if st.closed is not None and st.closed[h]:
            continue
        old = (polsby_popper(st, g), polsby_popper(st, h))
        before = (_excess(st, g, target, tol), _excess(st, h, target, tol))
        below_old = sum(x < floor for x in old)
        heap = [(-float(np.hypot(d.cx[a] - cx, d.cy[a] - cy)), a) for a in start]
        heapq.heapify(heap)
        queued, moved = set(start), []
        while heap and len(moved) < limit:
            _, a = heapq.heappop(heap)
            st.relocate(a, h)
            moved.append(a)
            for v in ind[ptr[a] : ptr[a + 1]]:
                v = int(v)
                same = community is None or community[v] == community[a]
                if lab[v] == g and v not in queued and not fixed[v] and same:
                    queued.add(v)
                    heapq.heappush(heap, (-float(np.hypot(d.cx[v] - cx, d.cy[v] - cy)), v))
            after = (_excess(st, g, target, tol), _excess(st, h, target, tol))
            if any(x > y + 1e-12 for x, y in zip(after, before, strict=True)):
                continue
            if not contiguous_without(lab, d.neighbours, g, []):
                continue
            new = (polsby_popper(st, g), polsby_popper(st, h))
            raised |= new[0] > old[0] + 1e-9
            below_new = sum(x < floor for x in new)
            if below_new <= below_old and min(new) > min(old) + 1e-9:
                key = (below_new, -min(new))
                if best is None or key < best[0]:
                    best = (key, h, list(moved))
        for a in reversed(moved):
            st.relocate(a, g)
    return best, raised


def lift_thin(
    st: State, fixed: np.ndarray, target: float, tol: float, floor: float, t_end: float
) -> int:
    """Make the compactness floor real: raise grids under Polsby–Popper ``floor``.

    The objective's steep cost below the floor is traded against balance and border terms, so the
    search can leave a thin grid when no single move pays for itself. Here each grid under the
    floor takes the best move of :func:`thin_moves` that keeps both grids contiguous, else the
    best peel of :func:`peel_move`, as long as one exists (a few passes; stops a second after
    ``t_end``: the pass is cheap). Balance never gets worse (no grid moves further out of the
    band). Returns how many atoms moved.
    """
    done = 0
    for _ in range(20):
        thin = [g for g in range(st.n_grids) if st.tot.count[g] > 1]
        thin = sorted((polsby_popper(st, g), g) for g in thin)
        thin = [g for pp, g in thin if pp < floor]
        moved = 0
        for g in thin:
            if time.perf_counter() > t_end + 1.0:
                return done + moved
            if polsby_popper(st, g) >= floor:
                continue
            options, _ = thin_moves(st, fixed, g, target, tol, floor)
            for _, atom, dst in options:
                if contiguous_without(st.labels, st.data.neighbours, int(st.labels[atom]), [atom]):
                    st.relocate(atom, dst)
                    moved += 1
                    break
            else:
                best, _ = peel_move(st, fixed, g, target, tol, floor)
                if best is not None:
                    for atom in best[2]:
                        st.relocate(atom, best[1])
                    moved += len(best[2])
        done += moved
        if not moved:
            break
    return done


def repair_and_polish(
    data: AtomData,
    labels: np.ndarray,
    fixed: np.ndarray,
    oversized: np.ndarray,
    *,
    target: float,
    tol: float,
    weights: SearchWeights,
    seconds: float,
    random_state: int = 0,
    closed: np.ndarray | None = None,
) -> tuple[np.ndarray, int]:
    """Grids still outside the band: exact neighbourhood repair
    (:func:`~shequ.analyses.grid_repair.repair_out_of_band`), then the search again to restore
    shape around the re-solved grids (``closed``: as :func:`improve`). Returns the labels and
    how many repairs were kept."""
    labels, done = repair_out_of_band(
        data,
        labels,
        oversized,
        target=target,
        tol=tol,
        move_per_household=weights.move / target,
        seconds=seconds,
    )
    if done:
        labels, _ = improve(
            data,
            labels,
            fixed,
            target=target,
            tol=tol,
            weights=weights,
            time_limit_s=seconds,
            random_state=random_state,
            closed=closed,
        )
    return labels, done
