"""Kernel density of incidents at each cell (核密度): incidents per km², Gaussian kernel.

The density is exact (scikit-learn's ``KernelDensity`` with Scott's rule for the bandwidth,
in metres of a local metric CRS), so its cost grows with incidents × cells: the cells are scored
in chunks, each one a step of the progress bar, so a large file shows where the time goes.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pyproj
from sklearn.neighbors import KernelDensity

# Cells scored per progress step: small enough that a long density step shows it is moving.
CHUNK = 2_000


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
    bandwidth = float(np.mean(pts.std(axis=0)) * n ** (-1 / 6)) if n > 1 else 100.0
    kde = KernelDensity(bandwidth=max(bandwidth, 1.0)).fit(pts)
    where = np.column_stack([cx, cy])
    log_density = np.empty(len(where))
    for start in range(0, len(where), CHUNK):
        chunk = where[start : start + CHUNK]
        log_density[start : start + len(chunk)] = kde.score_samples(chunk)
        if advance is not None:
            advance(len(chunk))
    return np.exp(log_density) * n * 1e6  # per m², integrates to 1 → incidents per km²
