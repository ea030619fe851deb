"""Local hot-spot statistics on cells: Getis–Ord Gi*, local Moran's I, permutation p, FDR.

The formulas are esda's (Getis & Ord 1992 / Ord & Getis 1995; Anselin 1995), so the analytical
z-scores and Moran's I equal esda's on identical weights — a test checks it. Two things differ:

* **Speed of the permutation test.** Conditional randomisation fixes a cell's own value and
  draws its neighbours from all other cells. The reference distribution therefore depends only on
  (the cell's value, its number of neighbours) — at a fine resolution most cells share the pair
  (0, 6) — so one set of ``permutations`` draws serves every cell with the same pair. p-values are
  valid Monte-Carlo p-values as before; they are computed thousands of times faster.
* **Ties.** esda counts a draw equal to the observed value as "at least as extreme", so a cell
  whose whole neighbourhood has no incident, among mostly empty cells, gets p = 0.001 and is
  called a significant cold spot. shequ uses the mid-p rule (a tie counts one half on each
  side), which gives such a cell p ≈ 0.5, and additionally never calls a cell significant when
  its neighbourhood, itself included, has no incident at all.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy import sparse, stats

from shequ.i18n import Note

MIN_INCIDENTS = 30  # below this, hot-spot statistics are refused (too few events to test)


def ring_weights(n: int, i: np.ndarray, j: np.ndarray, *, self_weight: bool) -> sparse.csr_matrix:
    """Binary weights from neighbour pairs (both directions given), with or without the diagonal."""
    w = sparse.csr_matrix((np.ones(len(i)), (i, j)), shape=(n, n))
    w.data[:] = 1.0
    if self_weight:
        w = (w + sparse.identity(n, format="csr")).tocsr()
    return w


@dataclass
class GiStar:
    g: np.ndarray
    expected: np.ndarray
    variance: np.ndarray
    z: np.ndarray
    p_norm: np.ndarray  # one-sided normal p of |z|, as esda's p_norm


def gi_star(y: np.ndarray, w: sparse.csr_matrix) -> GiStar:
    """Gi* with binary weights that include each cell itself (esda ``G_Local(star=True)``)."""
    y = np.asarray(y, dtype=np.float64)
    n = len(y)
    total = y.sum()
    if total <= 0:
        msg = "Gi* needs at least one incident"
        raise ValueError(msg)
    g = (w @ y) / total
    mean = total / n
    var = (y**2).sum() / n - mean**2
    card = np.asarray(w.sum(axis=1)).ravel()
    expected = card / n
    variance = card * (n - card) / (n - 1) / n**2 * var / mean**2
    # a cell whose neighbourhood is every cell (a tiny area) has a constant Gi*: variance 0,
    # z undefined (NaN, as esda), never significant (see confidence_bins)
    with np.errstate(divide="ignore", invalid="ignore"):
        z = (g - expected) / np.sqrt(variance)
    return GiStar(g, expected, variance, z, stats.norm.sf(np.abs(z)))


def local_moran(y: np.ndarray, w: sparse.csr_matrix) -> np.ndarray:
    """Local Moran's I with row-standardised weights (esda ``Moran_Local``, transformation r)."""
    y = np.asarray(y, dtype=np.float64)
    n = len(y)
    z = (y - y.mean()) / y.std()
    rw = _row_standardise(w)
    return (n - 1) * z * (rw @ z) / (z * z).sum()


def _row_standardise(w: sparse.csr_matrix) -> sparse.csr_matrix:
    rows = np.asarray(w.sum(axis=1)).ravel()
    inv = np.divide(1.0, rows, out=np.zeros_like(rows), where=rows > 0)
    return sparse.diags(inv) @ w


def permutation_p(
    y: np.ndarray,
    w: sparse.csr_matrix,
    *,
    statistic: str = "gi_star",
    permutations: int = 999,
    seed: int = 0,
) -> np.ndarray:
    """Directed (folded) conditional-permutation pseudo p-values with mid-p ties.

    ``w`` is binary; for ``gi_star`` it includes the diagonal (the cell's own value is fixed and
    counted), for ``moran`` it does not. Cells with the same own value and neighbour count share
    one reference distribution of ``permutations`` draws.
    """
    if permutations < 1:
        msg = f"permutations must be at least 1, got {permutations}"
        raise ValueError(msg)
    y = np.asarray(y, dtype=np.float64)
    n = len(y)
    rng = np.random.default_rng(seed)
    diag = w.diagonal() > 0
    k = np.asarray(w.sum(axis=1)).ravel().astype(np.int64) - diag.astype(np.int64)
    observed = np.asarray(w @ y).ravel() - np.where(diag, y, 0.0)  # neighbours' sum
    p = np.ones(n)
    groups = np.unique(np.column_stack([y, k]), axis=0)
    for value, kk in groups:
        kk = int(kk)
        members = np.flatnonzero((y == value) & (k == kk))
        if kk == 0:
            continue
        ref = _reference_sums(y, value, kk, permutations, rng)
        obs = observed[members]
        ref_sorted = np.sort(ref)
        below = np.searchsorted(ref_sorted, obs, side="left")
        above = permutations - np.searchsorted(ref_sorted, obs, side="right")
        ties = permutations - below - above
        # local Moran's I moves with the neighbours' sum when the cell is above the mean,
        # against it when below: the tail that counts flips with the sign of z_i
        if statistic == "moran" and value < y.mean():
            below, above = above, below
        high = (above + 0.5 * ties + 1.0) / (permutations + 1.0)
        low = (below + 0.5 * ties + 1.0) / (permutations + 1.0)
        p[members] = np.minimum(high, low)
    empty = (np.asarray(w @ (y > 0).astype(float)).ravel() + np.where(diag, 0, y > 0)) == 0
    p[empty] = 1.0  # a neighbourhood with no incident at all is never significant
    return p


def _reference_sums(
    y: np.ndarray, value: float, k: int, permutations: int, rng: np.random.Generator
) -> np.ndarray:
    """Sums of ``k`` values drawn without replacement from y with one ``value`` removed."""
    pool = np.delete(y, np.flatnonzero(y == value)[0])
    if k >= len(pool):
        return np.full(permutations, pool.sum())
    # draw k distinct positions per permutation: random keys, take the k smallest
    sums = np.empty(permutations)
    chunk = max(1, int(4_000_000 // max(len(pool), 1)))
    for start in range(0, permutations, chunk):
        stop = min(permutations, start + chunk)
        if k * 20 < len(pool):  # sparse draw: sample with rejection of repeats
            idx = rng.integers(0, len(pool), size=(stop - start, k))
            dup = _has_repeats(idx)
            while dup.any():
                idx[dup] = rng.integers(0, len(pool), size=(int(dup.sum()), k))
                dup = _has_repeats(idx)
        else:
            idx = np.argpartition(rng.random((stop - start, len(pool))), k - 1, axis=1)[:, :k]
        sums[start:stop] = pool[idx].sum(axis=1)
    return sums


def _has_repeats(idx: np.ndarray) -> np.ndarray:
    s = np.sort(idx, axis=1)
    return (s[:, 1:] == s[:, :-1]).any(axis=1)


def fdr_cut(p: np.ndarray, alpha: float = 0.05) -> float:
    """Benjamini–Hochberg p-value cut, with esda ``fdr``'s conventions (α/n when none pass)."""
    p = np.asarray(p, dtype=np.float64)
    n = len(p)
    p_sort = np.sort(p)[::-1]
    index = np.arange(n, 0, -1)
    p_fdr = index * alpha / n
    hits = np.flatnonzero(p_sort < p_fdr)
    return float(alpha / n) if len(hits) == 0 else float(p_fdr[hits[0]])


def confidence_bins(z: np.ndarray, p: np.ndarray, cut: float | None = None) -> np.ndarray:
    """ArcGIS Gi_Bin: ±3 at 99 %, ±2 at 95 %, ±1 at 90 % confidence, 0 not significant.

    ``cut`` (e.g. an FDR cut) additionally requires p ≤ cut for any bin. A NaN z (a constant
    Gi*, see :func:`gi_star`) is bin 0.
    """
    p = np.asarray(p, dtype=np.float64)
    z = np.asarray(z, dtype=np.float64)
    level = np.where(p <= 0.01, 3, np.where(p <= 0.05, 2, np.where(p <= 0.10, 1, 0)))
    if cut is not None:
        level = np.where(p <= cut, level, 0)
    return (np.sign(np.where(np.isnan(z), 0.0, z)) * level).astype(np.int64)


def check_enough(n_incidents: int, minimum: int = MIN_INCIDENTS) -> None:
    """Refuse to test too few incidents for the statistics to mean anything.

    Parameters
    ----------
    n_incidents : int
        Incidents in the study area.
    minimum : int
        The fewest the statistics are computed for (the profile's ``risk.min_incidents``).

    Raises
    ------
    ValueError
        When ``n_incidents < minimum``; its message is a :class:`~shequ.i18n.Note`
        (``e.hs_too_few``), so a caller can show it translated.
    """
    if n_incidents < minimum:
        raise ValueError(Note("e.hs_too_few", n=n_incidents, least=minimum))
