"""Exact repair of a few neighbouring grids with HiGHS, when the local search leaves one outside
the tolerance band.

Boundary, chain and ejection moves (:mod:`shequ.analyses.grid_search`) are local: some grids stay
out of the band because only a reshuffle of several neighbours at once would fix them. Around such
a grid the problem is small (the grid and its neighbours: tens to a few hundred atoms), so it is
solved exactly as a MILP:

- ``x[i, g]`` (binary): atom i belongs to grid g; every atom to exactly one grid of its community;
- balance: ``lo ≤ Σ_i h_i x[i, g] ≤ hi`` with slack priced far above anything else, so the band
  holds wherever the atoms allow it; when grids balance on workload, households have their own
  band with slack priced lower (:data:`SECOND_SLACK_SHARE`), so they stay in it wherever the
  workload band allows;
- contiguity by single-commodity flow: each grid keeps a root atom (its heaviest), which sends one
  unit of flow to every other atom of the grid along arcs inside the grid
  (``f[i→j, g] ≤ (m − 1)·x[i, g]``, ``f[i→j, g] ≤ (m − 1)·x[j, g]``, inflow − outflow = x[i, g]);
- objective: households moved away from their original grid (the redraw's price), plus a small
  compactness term (area × squared distance to the grid's current centre, a linearised moment of
  inertia) so that, among equal answers, grids stay round.

Flow formulations of contiguity are the standard exact model for districting (Shirabe 2005;
Validi, Buchanan & Lykhovyd 2022); solved on a neighbourhood, not the whole plan, they stay fast.
"""

from __future__ import annotations

import time

import numpy as np
from scipy import sparse
from scipy.sparse import csgraph

from shequ.analyses.grid_objective import AtomData
from shequ.analyses.milp import INF, Milp

SLACK_COST = 1000.0  # per household outside the band: far above moves and shape
SECOND_SLACK_SHARE = 0.3  # the second measure's slack, as a share of SLACK_COST (cf. SearchWeights)
SHAPE_WEIGHT = 0.05  # per grid, on the linearised moment of inertia (unit: a disc's)


MAX_REPAIRS = 10  # neighbourhoods re-solved per call
MAX_ATOMS = 100  # larger neighbourhoods are left alone (the flow model grows with their arcs)
SOLVE_SECONDS = 3.0  # HiGHS time per neighbourhood, at least (more when few grids are left out)


def repair_out_of_band(
    data: AtomData,
    labels: np.ndarray,
    fixed: np.ndarray,
    *,
    target: float,
    tol: float,
    move_per_household: float,
    seconds: float,
) -> tuple[np.ndarray, int]:
    """Re-solve the neighbourhood of each grid still outside the band, worst first, while that
    lowers the total excess; returns the labels and how many re-solves were kept.

    With a second measure (households, when grids balance on workload), grids outside its band
    are re-solved too, after those outside the first; a re-solve is kept when it lowers the
    first band's excess, or keeps it and lowers the second's."""
    done = 0
    t_end = time.perf_counter() + seconds
    for _ in range(MAX_REPAIRS):
        excess = band_excess(labels, data, fixed, target, tol)
        excess2 = second_excess(labels, data, fixed, tol)
        order = [g for g in np.argsort(-excess) if excess[g] > 0]
        order += [g for g in np.argsort(-excess2) if excess2[g] > 0 and excess[g] == 0]
        for g in order:
            left = t_end - time.perf_counter()
            region = region_around(labels, data, fixed, int(g), MAX_ATOMS)
            if left < 0.5 or len(region) < 2 or np.isin(labels, region).sum() > MAX_ATOMS:
                continue
            new = repair(
                data,
                labels,
                region,
                target=target,
                tol=tol,
                move_per_household=move_per_household,
                time_limit_s=min(left, max(SOLVE_SECONDS, left / len(order))),
            )
            if new is None:
                continue
            first = band_excess(new, data, fixed, target, tol).sum()
            second = second_excess(new, data, fixed, tol).sum()
            if first < excess.sum() - 1e-9 or (
                first <= excess.sum() + 1e-9 and second < excess2.sum() - 1e-9
            ):
                labels, done = new, done + 1
                break
        else:
            break
    return labels, done


def band_excess(labels, data: AtomData, fixed, target: float, tol: float) -> np.ndarray:
    """Per label: how far the grid lies outside the band (0 inside, and 0 for grids holding an
    oversized atom, which no reassignment can fix)."""
    return _excess(labels, data.households, fixed, target, tol)


def _excess(labels, values: np.ndarray, fixed, target: float, tol: float) -> np.ndarray:
    n = int(labels.max()) + 1
    h = np.bincount(labels, weights=values, minlength=n)
    has_fixed = np.bincount(labels, weights=fixed.astype(float), minlength=n) > 0
    present = np.bincount(labels, minlength=n) > 0
    out = np.maximum(np.abs(h / target - 1) - tol, 0.0)
    out[has_fixed | ~present] = 0.0
    return out


def _current_point(cur, roots, tail, head, bands, tol, n_cols, n_x, s0) -> np.ndarray | None:
    """The current assignment as a complete point of the repair model (x, flows along a BFS tree
    from each root inside its grid, band slacks), so HiGHS starts from a plan no worse than
    today's; None when a grid is not connected inside the region (no tree reaches all)."""
    m, k = len(cur), len(roots)
    point = np.zeros(n_cols)
    point[np.arange(m) * k + cur] = 1.0
    inside = cur[tail] == cur[head]
    arcs = sparse.csr_matrix(
        (np.arange(len(tail))[inside] + 1, (tail[inside], head[inside])), shape=(m, m)
    )
    for j, root in enumerate(roots):
        order, parent = csgraph.breadth_first_order(arcs, int(root), directed=True)
        if len(order) != (cur == j).sum():
            return None
        subtree = np.ones(m)
        for v in order[::-1][:-1]:  # leaves first; the root last (and skipped)
            subtree[parent[v]] += subtree[v]
            arc = int(arcs[parent[v], v]) - 1
            point[n_x + arc * k + j] = subtree[v]
    for b, (values, band_target, _) in enumerate(bands):
        total = np.bincount(cur, weights=values, minlength=k)
        over = np.maximum(0.0, total - band_target * (1 + tol))
        under = np.maximum(0.0, band_target * (1 - tol) - total)
        point[s0 + 2 * k * b : s0 + 2 * k * b + k] = over
        point[s0 + 2 * k * b + k : s0 + 2 * k * (b + 1)] = under
    return point


def second_excess(labels, data: AtomData, fixed, tol: float) -> np.ndarray:
    """Per label: how far the grid lies outside the second measure's band (all 0 without one)."""
    n = int(labels.max()) + 1
    if data.second is None or data.second_target <= 0:
        return np.zeros(n)
    return _excess(labels, data.second, fixed, data.second_target, tol)


def region_around(
    labels: np.ndarray,
    data: AtomData,
    fixed: np.ndarray,
    grid: int,
    max_atoms: int | None = None,
) -> list[int]:
    """``grid`` and its neighbouring grids in its community, none holding an oversized atom.

    With ``max_atoms``, neighbours are taken longest shared border first while the region's
    atoms stay within it (a crowded neighbourhood is re-solved in part rather than skipped)."""
    shared = data.shared.tocoo()
    mine = (labels[shared.row] == grid) & (labels[shared.col] != grid)
    border = np.bincount(
        labels[shared.col[mine]], weights=shared.data[mine], minlength=int(labels.max()) + 1
    )
    has_fixed = set(labels[fixed].tolist())
    near = [int(g) for g in np.argsort(-border, kind="stable") if border[g] > 0]
    if data.community is not None:
        comm = data.community[labels == grid][0]
        near = [g for g in near if (data.community[labels == g] == comm).all()]
    near = [g for g in near if g not in has_fixed]  # ``grid`` itself holds none (its excess > 0)
    sizes = np.bincount(labels, minlength=len(border))
    region, count = [grid], int(sizes[grid])
    for g in near:
        if max_atoms is not None and count + sizes[g] > max_atoms:
            continue
        region.append(g)
        count += int(sizes[g])
    return sorted(region)


def repair(
    data: AtomData,
    labels: np.ndarray,
    grids: list[int],
    *,
    target: float,
    tol: float,
    move_per_household: float,
    time_limit_s: float = 10.0,
    shape_weight: float = SHAPE_WEIGHT,
) -> np.ndarray | None:
    """Labels with the atoms of ``grids`` reassigned among them optimally, or None when HiGHS
    finds no solution in time. Atoms outside ``grids`` keep their labels."""
    atoms = np.flatnonzero(np.isin(labels, grids))
    m, k = len(atoms), len(grids)
    if k < 2 or m < 2:
        return None
    gpos = {g: j for j, g in enumerate(grids)}
    h = data.households[atoms]
    area = data.area[atoms]
    cur = np.array([gpos[int(g)] for g in labels[atoms]])
    # arcs inside the region, both directions
    nb = data.neighbours[atoms][:, atoms].tocoo()
    tail, head = nb.row.astype(np.int64), nb.col.astype(np.int64)
    n_arcs = len(tail)
    roots = np.array([np.flatnonzero(cur == j)[np.argmax(h[cur == j])] for j in range(k)])

    bands = [(h, target, SLACK_COST)]
    if data.second is not None and data.second_target > 0:
        bands.append((data.second[atoms], data.second_target, SLACK_COST * SECOND_SLACK_SHARE))
    n_x, n_f = m * k, n_arcs * k
    xi = lambda i, j: i * k + j  # noqa: E731 (column index helpers)
    fi = lambda a, j: n_x + a * k + j  # noqa: E731
    n_s = 2 * k * len(bands)  # slack over and under, per grid and band
    s0 = n_x + n_f

    # objective
    c = np.zeros(n_x + n_f + n_s)
    origin = data.origin[atoms] if data.origin is not None else labels[atoms]
    g_arr = np.asarray(grids)
    moved = origin[:, None] != g_arr[None, :]
    c[:n_x] = (move_per_household * h[:, None] * moved).ravel()
    cx, cy = data.cx[atoms], data.cy[atoms]
    w = np.bincount(cur, weights=area, minlength=k)
    gx = np.bincount(cur, weights=area * cx, minlength=k) / np.maximum(w, 1e-9)
    gy = np.bincount(cur, weights=area * cy, minlength=k) / np.maximum(w, 1e-9)
    d2 = (cx[:, None] - gx[None, :]) ** 2 + (cy[:, None] - gy[None, :]) ** 2
    disc = np.maximum(w, 1e-9) ** 2 / (2 * np.pi)  # a disc's polar moment, per grid
    c[:n_x] += (shape_weight * area[:, None] * d2 / disc[None, :]).ravel()
    for b, (_, _, cost) in enumerate(bands):  # per household outside each band
        c[s0 + 2 * k * b : s0 + 2 * k * (b + 1)] = cost

    rows, cols, vals, lo, hi = [], [], [], [], []
    r = 0
    # 1. every atom in exactly one grid
    for i in range(m):
        rows += [r] * k
        cols += [xi(i, j) for j in range(k)]
        vals += [1.0] * k
        lo.append(1.0)
        hi.append(1.0)
        r += 1
    # 2. balance with slack, per band
    for b, (values, band_target, _) in enumerate(bands):
        band_lo, band_hi = band_target * (1 - tol), band_target * (1 + tol)
        s_over, s_under = s0 + 2 * k * b, s0 + 2 * k * b + k
        for j in range(k):
            rows += [r] * (m + 1)
            cols += [xi(i, j) for i in range(m)] + [s_over + j]
            vals += [*values.tolist(), -1.0]
            lo.append(-INF)
            hi.append(band_hi)
            r += 1
            rows += [r] * (m + 1)
            cols += [xi(i, j) for i in range(m)] + [s_under + j]
            vals += [*values.tolist(), 1.0]
            lo.append(band_lo)
            hi.append(INF)
            r += 1
    # 3. flow conservation at every non-root atom: inflow − outflow − x = 0
    into = [[] for _ in range(m)]
    out_of = [[] for _ in range(m)]
    for a in range(n_arcs):
        out_of[tail[a]].append(a)
        into[head[a]].append(a)
    for j in range(k):
        for i in range(m):
            if i == roots[j]:
                continue
            rows += [r] * (len(into[i]) + len(out_of[i]) + 1)
            cols += [fi(a, j) for a in into[i]] + [fi(a, j) for a in out_of[i]] + [xi(i, j)]
            vals += [1.0] * len(into[i]) + [-1.0] * len(out_of[i]) + [-1.0]
            lo.append(0.0)
            hi.append(0.0)
            r += 1
    # 4. flow only between atoms of the grid
    big = float(m - 1)
    for j in range(k):
        for a in range(n_arcs):
            for end in (tail[a], head[a]):
                rows += [r, r]
                cols += [fi(a, j), xi(int(end), j)]
                vals += [1.0, -big]
                lo.append(-INF)
                hi.append(0.0)
                r += 1
    a_mat = sparse.csr_matrix((vals, (rows, cols)), shape=(r, len(c)))
    col_lo = np.zeros(len(c))
    col_hi = np.r_[np.ones(n_x), np.full(n_f, big), np.full(n_s, INF)]
    for j, root in enumerate(roots):  # each root stays in its grid
        col_lo[xi(int(root), j)] = 1.0
    if data.community is not None:  # never across communities
        comm = data.community[atoms]
        g_comm = np.array([comm[roots[j]] for j in range(k)])
        col_hi[:n_x] *= (comm[:, None] == g_comm[None, :]).ravel()
    integer = np.r_[np.ones(n_x, bool), np.zeros(n_f + n_s, bool)]
    model = Milp(
        c,
        a_mat,
        np.asarray(lo),
        np.asarray(hi),
        col_lo,
        col_hi,
        integer,
        maximise=False,
        time_limit_s=time_limit_s,
    )
    start = _current_point(cur, roots, tail, head, bands, tol, len(c), n_x, s0)
    sol = model.solve(start)
    if sol.x is None:
        return None
    x = sol.x[:n_x].reshape(m, k)
    out = labels.copy()
    out[atoms] = g_arr[np.argmax(x, axis=1)]
    return out
