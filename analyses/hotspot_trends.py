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
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy import sparse, stats

from shequ.analyses.hotspot_stats import gi_star
from shequ.i18n import Note

HOT_SHARE = 0.9
ALPHA = 0.05


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
    n_slices: int,
    w: sparse.csr_matrix,
) -> tuple[np.ndarray, Note]:
    """The emerging-trend category of every cell, from its incidents' times.

    Parameters
    ----------
    cell_index : ndarray of int
        Each incident's cell (position among the run's cells).
    times : Series
        Each incident's time (none missing).
    n_cells : int
        Cells of the run.
    n_slices : int
        Equal time slices (the profile's ``risk.time_slices``).
    w : scipy.sparse.csr_matrix
        Binary weights with the diagonal, as for Gi*.

    Returns
    -------
    (ndarray, Note)
        The category per cell (see :func:`emerging_categories`) and the note ``n.trends``.
    """
    counts, _ = slice_counts(cell_index, times, n_cells, n_slices)
    categories, info = emerging_categories(counts, w)
    return categories, Note("n.trends", slices=info["slices"])
