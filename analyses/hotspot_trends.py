"""Space-time trends per cell: Mann–Kendall over time slices, emerging hot-spot categories.

Counts per cell are binned into equal time slices. The Mann–Kendall statistic S (with the tie
correction of its variance, since counts tie often) tells whether a cell's counts rise or fall
over the slices; Gi* per slice tells in which slices the cell is a hot spot. The categories
follow the emerging-hot-spot vocabulary officials know from ArcGIS, reduced to the four the
issue names:

* ``new`` — a significant hot spot in the final slice only;
* ``intensifying`` — hot in at least 90 % of slices including the final one, counts rising;
* ``persistent`` — hot in at least 90 % of slices, no significant trend;
* ``diminishing`` — hot in at least 90 % of slices, counts falling.

Other cells get an empty string.

How many slices (:func:`choose_slices`): the trend test needs enough of them to be able to
reject at all. With n slices and no ties the most extreme Mann–Kendall series (strictly rising)
has S = n(n − 1)/2, and its p is the smallest any cell can get: 0.296 with 3 slices, 0.089
with 4 (the old default, so "intensifying" and "diminishing" could never appear), 0.027 with 5,
0.0008 with 8. The slices are therefore as many as the data supports, between
``min_slices`` (default 8) and ``max_slices`` (default 12): the longest calendar unit (month,
week, day, hour) that cuts the incidents' time span into at least ``min_slices`` slices — a
year gives 12 monthly slices — and, when that unit gives more than ``max_slices``, slices of
several units (a month of incidents: 10 slices of 3 days, two years: 12 of 2 months). The
upper bound is measured, not taste: the categories need a cell hot (per-slice Gi*) in 90 % of
the slices, and thin slices make that noisy — over Sacramento's January, 31 daily slices left
no cell intensifying or diminishing (7 persistent), 10 slices of 3 days show 3 intensifying and
1 diminishing. The slices also hold ``min_incidents_per_slice`` incidents on average (a
per-slice Gi* on fewer events means little). Slices are equal in length (the span divided by
their number), not calendar months: a partial first or last month would hold fewer incidents
and fake a trend. When the minimum attainable p is still ≥ α (a short span or few incidents) the
run says so (note ``n.hs_trends_unreachable``, ``summary.csv`` ``trend_reachable``) instead of
silently never showing a trend.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import sparse, stats

from shequ.analyses.hotspot_stats import gi_star
from shequ.i18n import Note

HOT_SHARE = 0.9
ALPHA = 0.05
SLICE_UNITS = (
    ("month", pd.Timedelta(days=365.2425 / 12)),
    ("week", pd.Timedelta(days=7)),
    ("day", pd.Timedelta(days=1)),
    ("hour", pd.Timedelta(hours=1)),
)
"""Calendar units tried for the slices, longest first (a month is a twelfth of a mean year)."""


@dataclass(frozen=True)
class SlicePlan:
    """The time slices of a trend run and what they allow.

    Attributes
    ----------
    slices : int
        Equal time slices.
    units : int
        How many ``unit`` a slice is close to (3: about 3 days).
    unit : str
        The calendar unit a slice is close to (``month``, ``week``, ``day``, ``hour``), or
        ``fixed`` (the profile's ``risk.time_slices``) or ``equal`` (no unit fits).
    min_p : float
        The smallest two-sided Mann–Kendall p any cell can reach with ``slices``
        (:func:`min_attainable_p`).
    reachable : bool
        Whether ``min_p < alpha``: whether "intensifying" and "diminishing" can appear at all.
    """

    slices: int
    units: int
    unit: str
    min_p: float
    reachable: bool

    def describe(self) -> Note:
        """A slice's length in words (``hs.unit_day`` "one day", ``hs.units_day`` "3 days")."""
        if self.unit in ("fixed", "equal") or self.units == 1:
            return Note(f"hs.unit_{self.unit}")
        return Note(f"hs.units_{self.unit}", k=self.units)


def min_attainable_p(n_slices: int) -> float:
    """The smallest two-sided Mann–Kendall p over ``n_slices`` values.

    A strictly monotone series without ties has the largest |S| = n(n − 1)/2 and the
    largest |z| (ties lower |S| more than they lower its variance), so its p is the floor
    every cell's p lies on or above.

    Parameters
    ----------
    n_slices : int
        Time slices (≥ 2).

    Returns
    -------
    float
        p of the series 0, 1, …, n − 1.
    """
    _, _, p = mann_kendall(np.arange(n_slices, dtype=float)[None, :])
    return float(p[0])


def choose_slices(
    times: pd.Series,
    *,
    min_slices: int = 8,
    max_slices: int = 12,
    min_incidents_per_slice: int = 30,
    fixed: int | None = None,
    alpha: float = ALPHA,
) -> SlicePlan:
    """As many equal time slices as the incidents' span and number support.

    Parameters
    ----------
    times : Series
        Each incident's time (none missing).
    min_slices : int
        The fewest slices a calendar unit must give to be chosen (8: the minimum attainable
        p is then 0.0008, so a trend can pass α = 0.05 and survive ties).
    max_slices : int
        Above this, a slice takes several units: the fewest ``k`` with
        round(span / (k·unit)) ≤ ``max_slices``, or ``k − 1`` when ``k`` would give fewer than
        ``min_slices`` (13 months: 13 monthly slices rather than 6 of two months).
    min_incidents_per_slice : int
        The fewest incidents a slice holds on average: caps the slices at
        ``len(times) // min_incidents_per_slice`` (at least 2).
    fixed : int, optional
        A fixed number of slices (the profile's ``risk.time_slices`` with
        ``risk.trend_slices.rule: fixed``); the unit is then ``fixed``.
    alpha : float
        The trend test's level, for :attr:`SlicePlan.reachable`.

    Returns
    -------
    SlicePlan
        The longest unit of :data:`SLICE_UNITS` giving at least ``min_slices`` slices over the
        span (rounded to whole units, several units a slice above ``max_slices``), capped by
        the incidents; ``equal`` with ``min_slices`` (capped) when even hours give fewer (a
        span under ``min_slices`` hours).
    """
    if fixed is not None:
        return _plan(int(fixed), 1, "fixed", alpha)
    t = pd.to_datetime(times)
    span = t.max() - t.min()
    if not span > pd.Timedelta(0):  # every incident at one time: no trend to find
        return _plan(2, 1, "equal", alpha)
    cap = max(2, len(t) // max(1, min_incidents_per_slice))
    for unit, length in SLICE_UNITS:
        if round(span / length) >= min_slices:
            k = 1
            while round(span / (k * length)) > max_slices:
                k += 1
            if k > 1 and round(span / (k * length)) < min_slices:
                k -= 1
            n = round(span / (k * length))
            if n > cap:  # too few incidents for that many: longer slices, named for their length
                n = cap
                k = max(1, round(span / (n * length)))
            return _plan(n, k, unit, alpha)
    return _plan(max(2, min(min_slices, cap)), 1, "equal", alpha)


def _plan(n: int, units: int, unit: str, alpha: float) -> SlicePlan:
    floor = min_attainable_p(n)
    return SlicePlan(n, units, unit, floor, floor < alpha)


def slice_counts(
    cell_index: np.ndarray, times: pd.Series, n_cells: int, n_slices: int
) -> tuple[np.ndarray, pd.DatetimeIndex]:
    """(cells × slices) counts in ``n_slices`` equal time slices, and the slice edges."""
    t = pd.to_datetime(times)
    edges = pd.date_range(t.min(), t.max() + pd.Timedelta(seconds=1), periods=n_slices + 1)
    which = np.clip(np.searchsorted(edges.values, t.values, side="right") - 1, 0, n_slices - 1)
    counts = sparse.coo_matrix(
        (np.ones(len(t)), (cell_index, which)), shape=(n_cells, n_slices)
    ).toarray()
    return counts, edges


def mann_kendall(counts: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Per row: S, z and two-sided p of the Mann–Kendall trend test (tie-corrected variance)."""
    x = np.asarray(counts, dtype=np.float64)
    n = x.shape[1]
    s = np.zeros(x.shape[0])
    for a in range(n - 1):
        s += np.sign(x[:, a + 1 :] - x[:, [a]]).sum(axis=1)
    var = np.full(x.shape[0], n * (n - 1) * (2 * n + 5), dtype=np.float64)
    srt = np.sort(x, axis=1)
    run_start = np.ones_like(srt, dtype=bool)
    run_start[:, 1:] = srt[:, 1:] != srt[:, :-1]
    for row in np.flatnonzero(~run_start.all(axis=1)):
        _, t = np.unique(srt[row], return_counts=True)
        var[row] -= (t * (t - 1) * (2 * t + 5)).sum()
    var /= 18.0
    z = np.where(s > 0, (s - 1), np.where(s < 0, s + 1, 0.0)) / np.sqrt(np.maximum(var, 1e-12))
    z[var <= 0] = 0.0
    return s, z, 2 * stats.norm.sf(np.abs(z))


def emerging_categories(counts: np.ndarray, w: sparse.csr_matrix) -> tuple[np.ndarray, dict]:
    """Category per cell from per-slice Gi* (95 %) and the Mann–Kendall trend of counts."""
    n_cells, n_slices = counts.shape
    hot = np.zeros((n_cells, n_slices), dtype=bool)
    for k in range(n_slices):
        y = counts[:, k]
        if y.sum() > 0:
            g = gi_star(y, w)
            hot[:, k] = (g.z > 0) & (g.p_norm * 2 <= ALPHA)
    _, z, p = mann_kendall(counts)
    share = hot.mean(axis=1)
    last = hot[:, -1]
    out = np.full(n_cells, "", dtype=object)
    out[last & ~hot[:, :-1].any(axis=1)] = "new"
    steady = (share >= HOT_SHARE) & last
    out[steady & (p <= ALPHA) & (z > 0)] = "intensifying"
    out[steady & (p > ALPHA)] = "persistent"
    out[(share >= HOT_SHARE) & (p <= ALPHA) & (z < 0)] = "diminishing"
    return out, {"slices": n_slices, "hot_share_needed": HOT_SHARE, "alpha": ALPHA}


def cell_trends(
    cell_index: np.ndarray,
    times: pd.Series,
    n_cells: int,
    plan: SlicePlan,
    w: sparse.csr_matrix,
) -> tuple[np.ndarray, list[Note]]:
    """The emerging-trend category of every cell, from its incidents' times.

    Parameters
    ----------
    cell_index : ndarray of int
        Each incident's cell (position among the run's cells).
    times : Series
        Each incident's time (none missing).
    n_cells : int
        Cells of the run.
    plan : SlicePlan
        The time slices (:func:`choose_slices`).
    w : scipy.sparse.csr_matrix
        Binary weights with the diagonal, as for Gi*.

    Returns
    -------
    (ndarray, list of Note)
        The category per cell (see :func:`emerging_categories`); the note
        ``n.hs_trends_slices`` and, when no trend can be significant with these slices,
        ``n.hs_trends_unreachable``.
    """
    counts, _ = slice_counts(cell_index, times, n_cells, plan.slices)
    categories, _ = emerging_categories(counts, w)
    notes = [Note("n.hs_trends_slices", slices=plan.slices, unit=plan.describe())]
    if not plan.reachable:
        notes.append(Note("n.hs_trends_unreachable", slices=plan.slices, p=plan.min_p, alpha=ALPHA))
    return categories, notes
