"""Local hot-spot statistics of a run (局部热点统计): neighbours, Gi*, permutation p, FDR, Moran.

The sequence every ``shequ hotspots`` run applies to the incidents per cell, in one place:

1. neighbours — H3 rings (``k`` rings, default 1) or a distance band between cell centres;
   binary weights, the cell itself included for Gi* and left out for local Moran's I;
2. Getis–Ord Gi* z-scores and their conditional-permutation pseudo p-values (mid-p ties; an
   empty neighbourhood is never significant), see :mod:`shequ.analyses.hotspot_stats`;
3. the Benjamini–Hochberg FDR cut of those p-values, and the confidence bins (ArcGIS Gi_Bin)
   with and without it; a note when no p-value can pass the cut with so few permutations;
4. local Moran's I and its pseudo p-values (same draws: with binary weights both statistics are
   monotone in the neighbours' sum, so their folded p-values coincide; both are kept for the
   record).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
import pyproj
import shapely
from scipy import sparse

from shequ.analyses.hotspot_stats import (
    confidence_bins,
    fdr_cut,
    gi_star,
    local_moran,
    permutation_p,
    ring_weights,
)
from shequ.geo.h3cells import ring_pairs
from shequ.i18n import Note

STAGES = 4
"""Stages :func:`local_statistics` reports to ``advance``: Gi*, its permutations, Moran, its
permutations."""


@dataclass(frozen=True)
class LocalStatistics:
    """The local statistics of every cell and how they were computed.

    Attributes
    ----------
    table : DataFrame
        One row per cell: ``gi_z``, ``gi_p``, ``bin``, ``bin_fdr`` (−3 … 3), ``moran_i``,
        ``moran_p``.
    fdr_cut : float
        The Benjamini–Hochberg p-value cut.
    weights : Note
        The spatial weights in words (for ``summary.csv``).
    w_star : scipy.sparse.csr_matrix
        The binary weights with the diagonal (Gi*), for the per-slice Gi* of the trends.
    notes : list of Note
        What the user should know (``n.fdr_none``).
    """

    table: pd.DataFrame
    fdr_cut: float
    weights: Note
    w_star: sparse.csr_matrix
    notes: list[Note] = field(default_factory=list)


def neighbour_pairs(
    cells: np.ndarray,
    centres: np.ndarray,
    crs: pyproj.CRS,
    *,
    rings: int = 1,
    distance_m: float | None = None,
) -> tuple[np.ndarray, np.ndarray, Note]:
    """Neighbours by H3 rings (default) or by a distance band between cell centres.

    Parameters
    ----------
    cells : ndarray of uint64
        The run's cells.
    centres : ndarray, shape (n, 2)
        lon/lat of their centres.
    crs : pyproj.CRS
        A metric CRS for the distance band.
    rings : int
        H3 rings (the profile's ``risk.weights_rings``).
    distance_m : float, optional
        A distance band in metres instead of rings (``risk.weights_distance_m``).

    Returns
    -------
    (ndarray, ndarray, Note)
        Index pairs (i, j), both directions, i ≠ j; and the weights in words.
    """
    if distance_m:
        to_m = pyproj.Transformer.from_crs("EPSG:4326", crs, always_xy=True)
        x, y = to_m.transform(centres[:, 0], centres[:, 1])
        pts = shapely.points(x, y)
        i, j = shapely.STRtree(pts).query(pts, predicate="dwithin", distance=distance_m)
        keep = i != j
        text = Note("hs.weights_band", d=distance_m)
        return i[keep].astype(np.int64), j[keep].astype(np.int64), text
    i, j = ring_pairs(cells, rings)
    return i, j, Note("hs.weights_rings", k=rings)


def local_statistics(
    count: np.ndarray,
    cells: np.ndarray,
    centres: np.ndarray,
    crs: pyproj.CRS,
    *,
    rings: int = 1,
    distance_m: float | None = None,
    permutations: int = 999,
    fdr_alpha: float = 0.05,
    seed: int = 0,
    advance: Callable[[int], None] | None = None,
) -> LocalStatistics:
    """Gi*, local Moran's I, their permutation p-values and the FDR bins of every cell.

    Parameters
    ----------
    count : ndarray of float
        Incidents per cell.
    cells, centres, crs
        The cells, their lon/lat centres and a metric CRS (see :func:`neighbour_pairs`).
    rings, distance_m
        The neighbours (see :func:`neighbour_pairs`).
    permutations : int
        Conditional permutations per reference distribution.
    fdr_alpha : float
        The false-discovery rate of the FDR bins.
    seed : int
        Seed of the permutations: the same seed gives the same p-values.
    advance : callable, optional
        Called with 1 after each of the :data:`STAGES` stages (a progress bar).

    Returns
    -------
    LocalStatistics
    """
    step = advance or (lambda _n: None)
    i, j, weights = neighbour_pairs(cells, centres, crs, rings=rings, distance_m=distance_m)
    w_star = ring_weights(len(cells), i, j, self_weight=True)
    w_plain = ring_weights(len(cells), i, j, self_weight=False)
    gi = gi_star(count, w_star)
    step(1)
    gi_p = permutation_p(count, w_star, permutations=permutations, seed=seed)
    step(1)
    cut = fdr_cut(gi_p, fdr_alpha)
    notes = []
    floor = 1.0 / (permutations + 1)
    if cut < floor:
        need = int(np.ceil(floor * len(cells) / fdr_alpha))
        notes.append(
            Note("n.fdr_none", perms=permutations, floor=floor, cells=len(cells), need=need)
        )
    moran = local_moran(count, w_plain)
    step(1)
    moran_p = permutation_p(count, w_plain, statistic="moran", permutations=permutations, seed=seed)
    step(1)
    table = pd.DataFrame(
        {
            "gi_z": gi.z,
            "gi_p": gi_p,
            "bin": confidence_bins(gi.z, gi_p),
            "bin_fdr": confidence_bins(gi.z, gi_p, cut),
            "moran_i": moran,
            "moran_p": moran_p,
        }
    )
    return LocalStatistics(table, cut, weights, w_star, notes)
