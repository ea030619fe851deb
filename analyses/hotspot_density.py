"""Kernel density of incidents at each cell (核密度): incidents per km², Gaussian kernel.

Scott's rule sets the bandwidth, in metres of a local metric CRS. Two ways to the same density:

- **exact** (scikit-learn's ``KernelDensity``): every incident against every cell, so its cost
  grows with incidents × cells (a city's year of incidents ran for hours). Used while that
  product is small (:data:`EXACT_PAIRS`); the cells are scored in chunks, each a step of the
  progress bar.
- **binned** (:func:`binned_kernel_density`): incidents spread onto a fine square grid
  (linear binning), the grid smoothed with the Gaussian (separable, ``scipy.ndimage``) and
  read at the cell centres by bilinear interpolation. Its cost grows with the grid and the
  incidents, not their product. Written by hand because no kept library offers a binned 2-D
  KDE evaluated at arbitrary points; its error against the exact density is bounded by the
  grid step (an eighth of the bandwidth) and tested on the Sacramento incidents.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pyproj
from scipy import ndimage
from sklearn.neighbors import KernelDensity

# Cells scored per progress step: small enough that a long density step shows it is moving.
CHUNK = 2_000
EXACT_PAIRS = 50_000_000  # incidents × cells up to which the density is exact (seconds)
# binned: grid steps per bandwidth. A quarter bandwidth left 3.8 % on the 337k-node mosaic's
# 6.75 M incidents (200 cells against brute force); an eighth 0.8 %, for the same time
STEP_PER_BANDWIDTH = 8
MAX_GRID = 25_000_000  # binned: most grid nodes (about 200 MB of float64); coarser beyond
TRUNCATE = 4.0  # the Gaussian is cut at 4 bandwidths (weight beyond: 3e-4)


def kernel_density(
    lon: np.ndarray,
    lat: np.ndarray,
    centres: np.ndarray,
    crs: pyproj.CRS,
    advance: Callable[[int], None] | None = None,
) -> np.ndarray:
    """Incidents per km² at each cell centre (Gaussian kernel, Scott's bandwidth).

    Parameters
    ----------
    lon, lat : ndarray
        WGS-84 coordinates of the incidents.
    centres : ndarray, shape (n, 2)
        lon/lat of the cell centres.
    crs : pyproj.CRS
        The metric CRS the kernel works in.
    advance : callable, optional
        Called with the number of cells scored after each chunk of :data:`CHUNK` cells (a
        progress bar of ``len(centres)`` steps).

    Returns
    -------
    ndarray
        The density at each centre; it integrates to the number of incidents. One incident
        gets a 100 m bandwidth, a bandwidth below 1 m is raised to 1 m.
    """
    to_m = pyproj.Transformer.from_crs("EPSG:4326", crs, always_xy=True)
    px, py = to_m.transform(lon, lat)
    cx, cy = to_m.transform(centres[:, 0], centres[:, 1])
    pts = np.column_stack([px, py])
    n = len(pts)
    bandwidth = max(float(np.mean(pts.std(axis=0)) * n ** (-1 / 6)) if n > 1 else 100.0, 1.0)
    where = np.column_stack([cx, cy])
    if n * len(where) > EXACT_PAIRS:
        density = binned_kernel_density(pts, where, bandwidth)
        if advance is not None:
            advance(len(where))
        return density * n * 1e6
    kde = KernelDensity(bandwidth=bandwidth).fit(pts)
    log_density = np.empty(len(where))
    for start in range(0, len(where), CHUNK):
        chunk = where[start : start + CHUNK]
        log_density[start : start + len(chunk)] = kde.score_samples(chunk)
        if advance is not None:
            advance(len(chunk))
    return np.exp(log_density) * n * 1e6  # per m², integrates to 1 → incidents per km²


def binned_kernel_density(points: np.ndarray, where: np.ndarray, bandwidth: float) -> np.ndarray:
    """Gaussian kernel density (per m², integrating to 1) of ``points`` at ``where``, binned.

    Parameters
    ----------
    points, where : ndarray, shape (n, 2) and (m, 2)
        Metric coordinates of the incidents and of the places to score.
    bandwidth : float
        The Gaussian's standard deviation in metres.

    Returns
    -------
    ndarray
        The density at each of ``where`` (0 beyond :data:`TRUNCATE` bandwidths of every point).

    Notes
    -----
    Each point's weight goes to the four grid nodes around it in proportion to its distance
    (linear binning, which keeps the points' mean); the grid is smoothed with the Gaussian of
    ``bandwidth`` in grid steps (``scipy.ndimage.gaussian_filter``, separable, zeros outside),
    and read at ``where`` bilinearly. Binning and reading each move mass by at most half a
    step: with a step of an eighth of the bandwidth the density is within about 1 % of the
    exact one where it matters (tests/test_hotspot_density.py). A grid that would exceed
    :data:`MAX_GRID` nodes takes a coarser step.
    """
    lo = np.minimum(points.min(axis=0), where.min(axis=0)) - TRUNCATE * bandwidth
    hi = np.maximum(points.max(axis=0), where.max(axis=0)) + TRUNCATE * bandwidth
    step = bandwidth / STEP_PER_BANDWIDTH
    span = hi - lo
    if np.prod(span / step + 2) > MAX_GRID:
        step = float(np.sqrt(np.prod(span) / MAX_GRID)) * 1.01
    shape = (np.ceil(span / step).astype(int) + 2)[::-1]  # (rows: y, cols: x)
    grid = np.zeros(shape)
    fx, fy = (points[:, 0] - lo[0]) / step, (points[:, 1] - lo[1]) / step
    ix, iy = np.floor(fx).astype(int), np.floor(fy).astype(int)
    ax, ay = fx - ix, fy - iy
    flat = grid.ravel()
    for dy, wy in ((0, 1 - ay), (1, ay)):
        for dx, wx in ((0, 1 - ax), (1, ax)):  # bincount: np.add.at is ten times slower
            flat += np.bincount((iy + dy) * shape[1] + ix + dx, wx * wy, minlength=flat.size)
    smooth = ndimage.gaussian_filter(grid, bandwidth / step, mode="constant", truncate=TRUNCATE)
    rows = (where[:, 1] - lo[1]) / step
    cols = (where[:, 0] - lo[0]) / step
    values = ndimage.map_coordinates(smooth, [rows, cols], order=1, mode="constant")
    return values / (len(points) * step * step)
