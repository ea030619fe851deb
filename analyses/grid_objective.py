"""The grid objective and the running totals that make a move's change cheap to price.

A plan (atom → grid labels) costs

    F = Σ_grids  w_dev·dev² + w_out·o² + w_lin·o     (dev = H/target − 1, o = max(0, |dev| − tol))
      + w_compact · (1 − moment-of-inertia compactness) + w_perimeter · (1 − Polsby–Popper)
      + w_thin · max(0, thin_below − Polsby–Popper)
      + w_border  · Σ_internal borders  cost(class) · length / scale
      + w_move    · households moved away from their original grid / target  (redraw only)
      + w_second · Σ_grids (w_out·o₂² + w_lin·o₂)  (o₂ = max(0, |H₂/target₂ − 1| − tol))

Balance is on the atoms' *demand* (``AtomData.households``: households, or a grid worker's
workload); when that is not households, households are a second measure (``AtomData.second``)
kept in their own band by the last term, softer than the first (households stay in band where
the demand allows it).

Grid totals are kept as running sums — area, first and second area moments, perimeter, demand —
so moving one atom is priced in constant time plus the atom's degree (:class:`State`).
"""

from __future__ import annotations

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
    second: float = 0.3  # the second measure's band (households when balancing on workload)


@dataclass
class AtomData:
    """What the search needs per atom, as arrays."""

    households: np.ndarray  # the demand grids balance on (households, or workload)
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
    second: np.ndarray | None = None  # a second measure kept in its band (households)
    second_target: float = 0.0  # its target per grid


class Totals:
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
        self.t2 = data.second_target
        self.h2 = (
            np.bincount(labels, weights=data.second, minlength=n_grids)
            if data.second is not None
            else None
        )
        # a grid's perimeter: its atoms' perimeters minus the borders shared inside it (sparse:
        # one pass over the stored adjacency, never an n × n mask)
        shared = data.shared.tocoo()
        inside = labels[shared.row] == labels[shared.col]
        inner_len = np.bincount(
            shared.row[inside], weights=shared.data[inside], minlength=len(labels)
        )
        self.p = np.bincount(labels, weights=data.perimeter - inner_len, minlength=n_grids)

    def add(self, g: int, data: AtomData, i: int, sign: float) -> None:
        w = data.area[i]
        self.h[g] += sign * data.households[i]
        if self.h2 is not None:
            self.h2[g] += sign * data.second[i]
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


def grid_cost(t: Totals, g: int, target: float, tol: float, w: SearchWeights) -> float:
    if t.count[g] == 0:
        return 0.0
    dev = t.h[g] / target - 1.0
    over = max(0.0, abs(dev) - tol)
    comp = inertia_compactness(t.a[g], t.ax[g], t.ay[g], t.a2[g])
    pp = min(1.0, 4 * np.pi * t.a[g] / max(t.p[g], 1e-9) ** 2)
    if t.h2 is not None and t.t2 > 0:
        over2 = max(0.0, abs(t.h2[g] / t.t2 - 1.0) - tol)
        second = w.second * (w.out * over2 * over2 + w.out_linear * over2)
    else:
        second = 0.0
    return (
        second
        + w.dev * dev * dev
        + w.out * over * over
        + w.out_linear * over
        + w.compact * (1.0 - comp)
        + w.perimeter * (1.0 - pp)
        + w.thin * max(0.0, w.thin_below - pp)
    )


OBJECTIVE_TERMS = ("balance", "out_of_band", "compactness", "perimeter", "thin", "border", "moves")
"""The terms of F, in the order of the formula above (:func:`objective_terms`)."""


def objective_terms(
    data: AtomData,
    labels: np.ndarray,
    *,
    target: float,
    tol: float,
    weights: SearchWeights,
    origin: np.ndarray | None = None,
) -> dict[str, float]:
    """The objective F of a plan, term by term (:data:`OBJECTIVE_TERMS`) and in ``total``.

    Parameters
    ----------
    data : AtomData
        The atoms' search arrays (:func:`shequ.analyses.grid_plan.atom_data`).
    labels : ndarray of int
        Grid id per atom (any ids: they are only compared).
    target, tol : float
        Households per grid and the allowed relative deviation.
    weights : SearchWeights
        The weights the plan was searched with.
    origin : ndarray of int, optional
        Original grid id per atom (-1 none), in the ids of ``labels``: prices the households
        moved (a redraw); without it that term is 0.

    Returns
    -------
    dict
        ``{term: value}`` for every term of :data:`OBJECTIVE_TERMS`, plus ``total``.
    """
    _, dense = np.unique(labels, return_inverse=True)
    t = Totals(data, dense, int(dense.max()) + 1 if len(dense) else 0)
    w = weights
    dev = t.h / target - 1.0
    over = np.maximum(0.0, np.abs(dev) - tol)
    second = 0.0
    if t.h2 is not None and t.t2 > 0:
        over2 = np.maximum(0.0, np.abs(t.h2 / t.t2 - 1.0) - tol)
        second = float(w.second * (w.out * over2 * over2 + w.out_linear * over2).sum())
    comp = np.array(
        [
            inertia_compactness(a, ax, ay, a2)
            for a, ax, ay, a2 in zip(t.a, t.ax, t.ay, t.a2, strict=True)
        ]
    )
    pp = np.minimum(1.0, 4 * np.pi * t.a / np.maximum(t.p, 1e-9) ** 2)
    graph = data.graph.tocoo()
    inside = dense[graph.row] == dense[graph.col]
    moved = 0.0
    if origin is not None:
        origin = np.asarray(origin)
        moved = float(data.households[(origin >= 0) & (labels != origin)].sum())
    terms = {
        "balance": float(w.dev * (dev * dev).sum()),
        "out_of_band": float((w.out * over * over + w.out_linear * over).sum()) + second,
        "compactness": float(w.compact * (1.0 - comp).sum()),
        "perimeter": float(w.perimeter * (1.0 - pp).sum()),
        "thin": float(w.thin * np.maximum(0.0, w.thin_below - pp).sum()),
        "border": float(w.border * graph.data[inside].sum() / 2),  # each border stored twice
        "moves": float(w.move / target * moved),
    }
    return {**terms, "total": float(sum(terms.values()))}


class State:
    """Labels plus running totals, with the one primitive every move uses: relocate an atom."""

    def __init__(self, data: AtomData, labels: np.ndarray, weights: SearchWeights, target: float):
        self.data, self.labels, self.w = data, labels, weights
        self.n_grids = int(labels.max()) + 1 if len(labels) else 0
        self.tot = Totals(data, labels, self.n_grids)
        self.move_w = weights.move / target
        self.closed: np.ndarray | None = None  # grids no atom may join (see grid_search.improve)

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

    def shift(self, i: int, g: int, sign: float) -> None:
        """Add (+1) or take away (−1) atom ``i``'s share of grid ``g``'s totals, perimeter
        included; labels are untouched, so a move can be priced and then undone."""
        self.tot.add(g, self.data, i, sign)
        self.tot.p[g] += sign * self.perimeter_change(i, g)

    def relocate(self, i: int, h: int) -> float:
        """Move atom ``i`` to grid ``h``; returns its border + move delta."""
        side = self.side_delta(i, h)
        self.shift(i, self.labels[i], -1.0)
        self.shift(i, h, +1.0)
        self.labels[i] = h
        return side
