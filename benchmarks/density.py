"""Benchmark: hotspot kernel density, exact (scikit-learn) against binned (shequ), and its growth.

What is measured, and why
-------------------------
The exact Gaussian KDE scores every incident against every cell: issue 15 measured about 47 ns a
pair, so a city's 0.42 M incidents over its cells were killed at 30 min. shequ switches to a
binned density (``shequ.analyses.hotspot_density.binned_kernel_density``) when incidents ×
cells is large. This script times both on the same inputs and reports:

- ``binned_s``: the binned density of all incidents at all places (median of ``--repeats``);
- ``exact_s_per_pair`` and ``exact_s_projected``: scikit-learn's ``KernelDensity`` (exact)
  timed on a sample of ``--sample`` places, per pair and projected to all places (running it on
  all would take hours at the top rungs);
- ``max_abs_error_of_max`` and ``max_rel_error_dense``: the binned density against the exact
  one on that sample (the dense part: at least a tenth of the maximum);
- ``slope``: the log-log slope of ``binned_s`` against incidents over the rungs (1 is linear).

Input: the real Sacramento incidents of January 2006 (7,584 rows, ``../shared`` or
``$SHEQU_SHARED``), **resampled with 50 m jitter** to each rung's size (as
``benchmarks/hotspots.py`` does): the real pattern at a higher density, not real incidents.
The places scored are a uniform random sample over the points' extent, ten incidents to a
place (a city's H3 cells at resolution 9–10 hold a few to a few dozen incidents each).

Run: ``python benchmarks/density.py [--rungs 10000,100000,1000000] [--sample 2000]``. JSON on
stdout. Never two benchmarks at once on the 2 cores.
"""

from __future__ import annotations

import argparse
import os
import statistics
import time
from typing import Any

import numpy as np
import pandas as pd
import pyproj
from common import emit, machine, max_rss_mb, package_version, shared_dir
from sklearn.neighbors import KernelDensity

from shequ.analyses.hotspot_density import binned_kernel_density
from shequ.geo.coords import metric_crs


def sacramento_metres() -> np.ndarray:
    """The real incidents in metres (the area's UTM zone)."""
    path = shared_dir() / "data" / "incidents" / "sacramento_crime_jan2006.csv"
    frame = pd.read_csv(path, lineterminator="\r").dropna(subset=["latitude", "longitude"])
    lon, lat = frame["longitude"].to_numpy(float), frame["latitude"].to_numpy(float)
    crs = metric_crs(lon.min(), lat.min(), lon.max(), lat.max())
    x, y = pyproj.Transformer.from_crs(4326, crs, always_xy=True).transform(lon, lat)
    return np.column_stack([x, y])


def rung(real: np.ndarray, n: int, sample: int, repeats: int, seed: int) -> dict[str, Any]:
    """One size: both densities on the same points and places."""
    rng = np.random.default_rng(seed)
    points = real[rng.integers(0, len(real), size=n)] + rng.normal(0.0, 50.0, size=(n, 2))
    places = rng.uniform(points.min(axis=0), points.max(axis=0), size=(max(n // 10, sample), 2))
    bandwidth = max(float(np.mean(points.std(axis=0)) * n ** (-1 / 6)), 1.0)
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        binned = binned_kernel_density(points, places, bandwidth)
        times.append(time.perf_counter() - start)
    picked = rng.choice(len(places), size=sample, replace=False)
    start = time.perf_counter()
    exact = np.exp(KernelDensity(bandwidth=bandwidth).fit(points).score_samples(places[picked]))
    exact_s = time.perf_counter() - start
    near = binned[picked]
    top = exact.max()
    dense = exact >= 0.1 * top
    per_pair = exact_s / (n * sample)
    return {
        "incidents": n,
        "places": len(places),
        "bandwidth_m": bandwidth,
        "binned_s": statistics.median(times),
        "exact_s_sample": exact_s,
        "exact_s_per_pair": per_pair,
        "exact_s_projected": per_pair * n * len(places),
        "max_abs_error_of_max": float(np.abs(near - exact).max() / top),
        "max_rel_error_dense": float((np.abs(near - exact)[dense] / exact[dense]).max()),
        "peak_rss_mb": max_rss_mb(),
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rungs", default="10000,100000,1000000")
    parser.add_argument("--sample", type=int, default=2000)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--seed", type=int, default=15)
    args = parser.parse_args(argv)
    load = list(os.getloadavg())
    real = sacramento_metres()
    sizes = [int(s) for s in args.rungs.split(",")]
    rows = [rung(real, n, args.sample, args.repeats, args.seed) for n in sizes]
    slope = None
    if len(rows) > 1:
        x = np.log([r["incidents"] for r in rows])
        y = np.log([max(r["binned_s"], 1e-9) for r in rows])
        slope = float(np.polyfit(x, y, 1)[0])
    report = {
        "benchmark": "hotspot kernel density: binned (shequ) vs exact (scikit-learn)",
        "input": "Sacramento incidents Jan 2006, resampled with 50 m jitter (synthetic density)",
        "rungs": rows,
        "slope_binned_vs_incidents": slope,
        "versions": {k: package_version(k) for k in ("scikit-learn", "scipy", "numpy")},
        "machine": machine(load),
    }
    return emit(report)


if __name__ == "__main__":
    raise SystemExit(main())
