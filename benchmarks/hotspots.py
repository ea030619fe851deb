"""Benchmark: 1,000,000 incidents → H3 res-10 cells → Gi* with 999 permutations, against esda.

What is measured, and why
-------------------------
A city's 110/119 calls or 12345 complaints over a few years run to a million points, and the
hotspot map has to come out of a planner's laptop in seconds. This script aggregates a million
points to H3 cells at resolution 10 (about 66 m edges), builds the study cells and the ring
weights, and runs shequ's Gi* (analytical z) and its 999-permutation pseudo p-values; then it
runs esda's ``G_Local`` (the PySAL implementation a user would otherwise call) on the identical
cells, counts and weights in the same run, and compares speed and results.

Input (from ``../shared`` next to the repository, or ``$SHEQU_SHARED``):

- ``data/incidents/sacramento_crime_jan2006.csv``: the real Sacramento crime incidents of
  January 2006 (7,584 rows), read with ``shequ.geo.incidents.read_incidents``.

The one million points are these real points **resampled with jitter**, not real incidents:
``--points`` draws (default 1,000,000) with replacement from the real points (NumPy
``default_rng(--seed)``), each moved by Gaussian noise of ``--jitter-m`` metres (default 50)
standard deviation on each axis, applied in the area's UTM zone and projected back to
WGS-84. The map keeps the real pattern (streets, hot blocks, empty parks) at 130 times the
density; every point is distinct, so nothing is saved by repeated addresses.

shequ stages (each timed over ``--repeats`` runs, median reported; peak MB from a separate
pass under tracemalloc):

- ``aggregate``: ``points_to_cells(lon, lat, res)`` and the occupied cells with their counts;
- ``study_cells``: the points' convex hull (as ``shequ hotspots`` builds it without an OSM
  extract), ``polygon_to_cells`` (overlap mode) ∪ the occupied cells, counts placed on them
  (empty cells included: a hot spot is only hot relative to the cells around it);
- ``pairs``: ``ring_pairs(cells, k=1)`` (the neighbour pairs, shared with esda);
- ``weights``: ``ring_weights(n, i, j, self_weight=True)`` (binary, self included);
- ``gi_star``: ``gi_star(counts, w)`` (analytical z);
- ``permutation_p``: ``permutation_p(counts, w, permutations=999, seed=...)``.

Peer, measured in the same run on the same cells and counts:

- ``weights``: a ``libpysal.weights.W`` from the same pairs (``W.from_sparse`` of the binary
  adjacency without the diagonal: esda adds the self-weight 1 for ``star=True`` with binary
  weights);
- ``g_local``: ``esda.G_Local(counts, W, transform="B", star=True, permutations=999,
  seed=..., n_jobs=<cpu count>)``, esda's defaults otherwise (``keep_simulations=True``).

esda's conditional randomisation is numba-compiled. The compile is excluded from the timed
runs: esda first runs twice on a small instance (a 331-cell H3 disk with Poisson counts), and
the difference between the two runs is reported as ``esda.jit_compile_seconds``. With
``n_jobs`` > 1 esda hands chunks to joblib's loky worker processes, which compile their own
copies during that warm-up and are reused afterwards. Without numba installed esda runs the
same code as plain Python (``esda.numba`` is then null).

Equal results:

- ``z``: max |z_shequ − z_esda| over every cell (aim: ≤ 1e-9); the same for G;
- ``p`` where ties cannot matter: cells whose neighbourhood (itself included) holds at least
  10 incidents, the share whose |p_shequ − p_esda| is within 4 Monte-Carlo standard errors of
  a difference of two independent 999-draw estimates, sqrt(2 p̄ (1 − p̄) / 1000), with p̄
  their mean (floored at 1/1000); and the agreement of the p ≤ 0.05 calls there;
- ties: both use directed (folded) pseudo p-values, but esda counts a tie as "at least as
  extreme" and shequ counts it one half on each side (mid-p) and never calls a cell whose
  neighbourhood holds no incident. ``empty_neighbourhoods`` counts the cells with no incident
  in them or around them and how many each side calls a significant cold spot (p ≤ 0.05,
  z < 0).

Aims (issue 5): shequ ≥ 10× faster than esda at equal results (the lower of the
weights-and-statistic and statistic-only ratios, with the z and p checks above); the 1 M-point
aggregation in "a few seconds", read here as ≤ 5 s.

Run: ``python benchmarks/hotspots.py > hotspots.json`` (one JSON object on stdout, progress on
stderr).
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import platform
import sys
import time
import tracemalloc
import warnings
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import h3
import numpy as np
import pyproj
import scipy
import shapely
from common import Meter, emit, machine, max_rss_mb, package_version, shared_dir
from scipy import sparse

import shequ
from shequ.analyses.hotspot_stats import fdr_cut, gi_star, permutation_p, ring_weights
from shequ.geo.coords import metric_crs
from shequ.geo.h3cells import points_to_cells, polygon_to_cells, ring_pairs
from shequ.geo.incidents import read_incidents
from shequ.rejects import Rejects

INCIDENTS = Path("data/incidents/sacramento_crime_jan2006.csv")
N_POINTS = 1_000_000
JITTER_M = 50.0
RES = 10
RING_K = 1
PERMUTATIONS = 999
SEED = 0
WARMUP_DISK_K = 10  # esda warm-up instance: an H3 disk of 331 cells
AIM_RATIO = 10.0
AIM_AGGREGATE_S = 5.0  # "the 1 M-point aggregation in a few seconds"
Z_TOLERANCE = 1e-9
P_MIN_NEIGHBOURHOOD = 10  # incidents in a cell's neighbourhood (itself included)
P_SE_MULTIPLE = 4.0
P_SHARE_AIM = 0.99  # share of those cells within 4 SE needed for "equal results"
ALPHA = 0.05

log = logging.getLogger("benchmarks.hotspots")


# --------------------------------------------------------------------------- measuring


def children_max_rss_mb() -> list[float]:
    """Peak resident MB (VmHWM) of each live child process (joblib's loky workers)."""
    me = os.getpid()
    out = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
            ppid = int(stat.rsplit(")", 1)[1].split()[1])
            if ppid != me:
                continue
            for line in (entry / "status").read_text().splitlines():
                if line.startswith("VmHWM:"):
                    out.append(int(line.split()[1]) / 1024.0)
        except (OSError, ValueError, IndexError):
            continue
    return sorted(out, reverse=True)


# --------------------------------------------------------------------------- inputs


def resampled_points(
    lon: np.ndarray, lat: np.ndarray, n: int, jitter_m: float, seed: int
) -> tuple[np.ndarray, np.ndarray]:
    """``n`` of the real points drawn with replacement, each moved by N(0, jitter_m²) metres
    on each axis in the area's UTM zone; returned as lon/lat."""
    crs = metric_crs(lon.min(), lat.min(), lon.max(), lat.max())
    to_m = pyproj.Transformer.from_crs("EPSG:4326", crs, always_xy=True)
    to_deg = pyproj.Transformer.from_crs(crs, "EPSG:4326", always_xy=True)
    x, y = to_m.transform(lon, lat)
    rng = np.random.default_rng(seed)
    pick = rng.integers(0, len(lon), size=n)
    jitter = rng.normal(0.0, jitter_m, size=(n, 2))
    out_lon, out_lat = to_deg.transform(x[pick] + jitter[:, 0], y[pick] + jitter[:, 1])
    return np.asarray(out_lon), np.asarray(out_lat)


# --------------------------------------------------------------------------- shequ


@dataclass
class ShequRun:
    cells: np.ndarray  # (n,) uint64 study cells, sorted
    counts: np.ndarray  # (n,) float incidents per cell
    occupied: int
    hull_cells: int
    pair_i: np.ndarray
    pair_j: np.ndarray
    w: sparse.csr_matrix  # binary, self included
    z: np.ndarray
    g: np.ndarray
    p: np.ndarray


def run_shequ(
    lon: np.ndarray, lat: np.ndarray, res: int, permutations: int, seed: int, meter: Meter
) -> ShequRun:
    """aggregate → study_cells → pairs → weights → gi_star → permutation_p, each measured."""
    with meter.stage("aggregate"):
        point_cells = points_to_cells(lon, lat, res)
        occupied, occupied_count = np.unique(point_cells, return_counts=True)
    with meter.stage("study_cells"):
        hull = shapely.convex_hull(shapely.multipoints(np.column_stack([lon, lat])))
        hull_cells = polygon_to_cells(hull, res)
        cells = np.union1d(hull_cells, occupied)
        counts = np.zeros(len(cells))
        counts[np.searchsorted(cells, occupied)] = occupied_count
    with meter.stage("pairs"):
        i, j = ring_pairs(cells, RING_K)
    with meter.stage("weights"):
        w = ring_weights(len(cells), i, j, self_weight=True)
    with meter.stage("gi_star"):
        gi = gi_star(counts, w)
    with meter.stage("permutation_p"):
        p = permutation_p(counts, w, permutations=permutations, seed=seed)
    return ShequRun(cells, counts, len(occupied), len(hull_cells), i, j, w, gi.z, gi.g, p)


# --------------------------------------------------------------------------- esda


@dataclass
class EsdaRun:
    z: np.ndarray
    g: np.ndarray
    p: np.ndarray
    weights_equal: bool


def esda_weights(n: int, i: np.ndarray, j: np.ndarray) -> Any:
    """libpysal W from the same neighbour pairs: binary adjacency, no diagonal."""
    from libpysal.weights import W

    adjacency = sparse.csr_matrix((np.ones(len(i)), (i, j)), shape=(n, n))
    adjacency.data[:] = 1.0
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # islands / disconnected components notices
        return W.from_sparse(adjacency)


def esda_g_local(y: np.ndarray, w: Any, permutations: int, seed: int, n_jobs: int) -> Any:
    import esda

    with warnings.catch_warnings():
        # esda warns that its permutation alternative will change ("directed" today)
        warnings.simplefilter("ignore")
        return esda.G_Local(
            y,
            w,
            transform="B",
            star=True,
            permutations=permutations,
            seed=seed,
            n_jobs=n_jobs,
        )


def esda_warmup(seed_cell: int, permutations: int, seed: int, n_jobs: int) -> dict[str, Any]:
    """Two esda runs on a small H3 disk: the first compiles (numba, in every loky worker)."""
    disk = np.sort(np.asarray(h3.api.numpy_int.grid_disk(seed_cell, WARMUP_DISK_K), np.uint64))
    i, j = ring_pairs(disk, RING_K)
    y = np.random.default_rng(seed).poisson(3.0, len(disk)).astype(float)
    runs = []
    for _ in range(2):
        start = time.perf_counter()
        esda_g_local(y, esda_weights(len(disk), i, j), permutations, seed, n_jobs)
        runs.append(time.perf_counter() - start)
    return {
        "cells": len(disk),
        "first_run_seconds": runs[0],
        "second_run_seconds": runs[1],
        "jit_compile_seconds": runs[0] - runs[1],
    }


def run_esda(sh: ShequRun, permutations: int, seed: int, n_jobs: int, meter: Meter) -> EsdaRun:
    n = len(sh.cells)
    with meter.stage("esda_weights"):
        w = esda_weights(n, sh.pair_i, sh.pair_j)
    # identical weights: esda's W plus the unit diagonal it adds for star=True, transform B
    diff = (w.sparse + sparse.identity(n, format="csr")) != sh.w
    weights_equal = diff.nnz == 0 and w.n == n
    with meter.stage("esda_g_local"):
        lg = esda_g_local(sh.counts, w, permutations, seed, n_jobs)
    return EsdaRun(np.asarray(lg.Zs), np.asarray(lg.Gs), np.asarray(lg.p_sim, float), weights_equal)


# --------------------------------------------------------------------------- comparison


def compare(sh: ShequRun, es: EsdaRun, permutations: int) -> dict[str, Any]:
    neighbourhood = np.asarray(sh.w @ sh.counts).ravel()  # incidents in and around each cell
    dz = np.abs(sh.z - es.z)
    floor = 1.0 / (permutations + 1)
    p_bar = np.clip((sh.p + es.p) / 2.0, floor, 1.0 - floor)
    se = np.sqrt(2.0 * p_bar * (1.0 - p_bar) / (permutations + 1))
    dp = np.abs(sh.p - es.p)

    def p_stats(mask: np.ndarray) -> dict[str, Any]:
        if not mask.any():
            return {"cells": 0}
        return {
            "cells": int(mask.sum()),
            "share_within_4_se": float((dp[mask] <= P_SE_MULTIPLE * se[mask]).mean()),
            "max_abs_diff": float(dp[mask].max()),
            "mean_abs_diff": float(dp[mask].mean()),
            "significant_0.05_agree_share": float(
                ((sh.p[mask] <= ALPHA) == (es.p[mask] <= ALPHA)).mean()
            ),
            "significant_0.05_shequ": int((sh.p[mask] <= ALPHA).sum()),
            "significant_0.05_esda": int((es.p[mask] <= ALPHA).sum()),
        }

    empty = neighbourhood == 0
    cold = {"shequ": (sh.p <= ALPHA) & (sh.z < 0), "esda": (es.p <= ALPHA) & (es.z < 0)}
    hot = {"shequ": (sh.p <= ALPHA) & (sh.z > 0), "esda": (es.p <= ALPHA) & (es.z > 0)}
    return {
        "weights_identical": es.weights_equal,
        "z_max_abs_diff": float(dz.max()),
        "g_max_abs_diff": float(np.abs(sh.g - es.g).max()),
        f"p_neighbourhood_at_least_{P_MIN_NEIGHBOURHOOD}": p_stats(
            neighbourhood >= P_MIN_NEIGHBOURHOOD
        ),
        "p_all_cells": p_stats(np.ones(len(dp), dtype=bool)),
        "empty_neighbourhoods": {
            "cells": int(empty.sum()),
            "significant_cold_spots_esda": int((cold["esda"] & empty).sum()),
            "significant_cold_spots_shequ": int((cold["shequ"] & empty).sum()),
            "esda_p_values": sorted({round(float(v), 6) for v in es.p[empty]}),
        },
        "significant_0.05": {
            side: {"hot": int(hot[side].sum()), "cold": int(cold[side].sum())}
            for side in ("shequ", "esda")
        },
        "shequ_fdr_cut": fdr_cut(sh.p, ALPHA),
    }


# --------------------------------------------------------------------------- report


def versions() -> dict[str, str | None]:
    return {
        "python": platform.python_version(),
        "shequ": getattr(shequ, "__version__", "?"),
        "numpy": np.__version__,
        "scipy": scipy.__version__,
        "shapely": shapely.__version__,
        "h3": h3.__version__,
        "pyproj": pyproj.__version__,
        "esda": package_version("esda"),
        "libpysal": package_version("libpysal"),
        "numba": numba_version(),
        "joblib": package_version("joblib"),
    }


def numba_version() -> str | None:
    try:
        import numba
    except ImportError:
        return None
    return numba.__version__


def aim(value: float, target: float, *, at_least: bool) -> dict[str, Any]:
    met = value >= target if at_least else value <= target
    return {"value": value, "target": (">= " if at_least else "<= ") + f"{target:g}", "met": met}


def traced(fn: Callable[[Meter], Any]) -> dict[str, float]:
    """Peak MB per stage of ``fn`` run under tracemalloc."""
    meter = Meter(traced=True)
    tracemalloc.start()
    try:
        fn(meter)
    finally:
        tracemalloc.stop()
    return {name: max(v) for name, v in meter.runs.items()}


NOTES = [
    "The 1,000,000 points are the real Sacramento points resampled with replacement and "
    "moved by Gaussian jitter (see input.method); they are not real incidents.",
    "Both sides get the same cells, counts and neighbour pairs; ring_pairs (pairs stage) is "
    "shared and left out of the ratios, as are aggregation and the study cells.",
    "esda's G_Local runs with its defaults besides the arguments shown: keep_simulations=True "
    "(it keeps every simulated G, n x permutations floats) and the 'directed' alternative "
    "(it warns that this default will change).",
    "esda's numba compile is excluded from esda.g_local (see esda.warmup); with n_jobs > 1 the "
    "statistic runs in joblib loky worker processes, whose memory is in "
    "memory.loky_worker_max_rss_mb, not in tracemalloc or process_max_rss_mb.",
    "Permutation p-values are Monte-Carlo estimates from different random draws on each side "
    "(shequ draws one reference per (own count, neighbour count) group, esda one set of "
    "permuted ids for every cell), so they agree within sampling error, not exactly.",
    "tracemalloc sees Python and NumPy allocations of this process only (not GEOS, h3's C "
    "memory or numba's allocator). Timings are wall-clock medians over --repeats; "
    "machine.load_average_start/end shows whether other work shared the cores.",
]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--points", type=int, default=N_POINTS, help="resampled points")
    parser.add_argument("--jitter-m", type=float, default=JITTER_M, help="jitter σ, metres")
    parser.add_argument("--res", type=int, default=RES, help="H3 resolution")
    parser.add_argument("--permutations", type=int, default=PERMUTATIONS)
    parser.add_argument("--seed", type=int, default=SEED)
    parser.add_argument("--repeats", type=int, default=3, help="timed runs per side")
    parser.add_argument(
        "--n-jobs", type=int, default=os.cpu_count() or 1, help="esda n_jobs (default: CPUs)"
    )
    parser.add_argument("--no-memory-pass", action="store_true", help="skip tracemalloc")
    args = parser.parse_args(argv)
    args.repeats = max(1, args.repeats)
    logging.basicConfig(
        stream=sys.stderr, level=logging.INFO, format="[%(relativeCreated)7.0f ms] %(message)s"
    )

    shared = shared_dir()
    path = shared / INCIDENTS
    if not path.is_file():
        reason = (
            f"shared data not found: {path} (set SHEQU_SHARED to the shared folder holding "
            "data/incidents, or place it at ../shared beside the repository)"
        )
        print(json.dumps({"skipped": reason}, indent=2))
        return 0
    try:
        import esda  # noqa: F401
        import libpysal  # noqa: F401
    except ImportError as exc:
        print(json.dumps({"skipped": f"esda/libpysal not installed: {exc}"}, indent=2))
        return 0

    load_before = os.getloadavg()
    start = time.perf_counter()
    rejects = Rejects()
    incidents = read_incidents(path, rejects)
    real_lon = incidents.frame.geometry.x.to_numpy()
    real_lat = incidents.frame.geometry.y.to_numpy()
    read_s = time.perf_counter() - start
    lon, lat = resampled_points(real_lon, real_lat, args.points, args.jitter_m, args.seed)
    log.info("%d real incidents, %d resampled points", len(real_lon), len(lon))

    def shequ_pass(meter: Meter) -> ShequRun:
        return run_shequ(lon, lat, args.res, args.permutations, args.seed, meter)

    # untraced runs first, so the process peak after them is shequ's own, then the traced pass
    timing = Meter(traced=False)
    for _ in range(args.repeats):
        sh = shequ_pass(timing)
    rss_after_shequ = max_rss_mb()
    peak_mb = {} if args.no_memory_pass else traced(shequ_pass)
    rss_after_memory_pass = max_rss_mb()

    log.info("esda warm-up (numba compile)")
    warm = esda_warmup(int(sh.cells[len(sh.cells) // 2]), args.permutations, args.seed, args.n_jobs)
    peer = Meter(traced=False)
    for _ in range(args.repeats):
        es = run_esda(sh, args.permutations, args.seed, args.n_jobs, peer)
    rss_after_esda = max_rss_mb()
    loky_rss = children_max_rss_mb()
    if not args.no_memory_pass:
        peak_mb |= traced(lambda m: run_esda(sh, args.permutations, args.seed, args.n_jobs, m))

    cmp = compare(sh, es, args.permutations)
    t = {name: timing.median(name) for name in timing.values}
    e = {name: peer.median(name) for name in peer.values}
    shequ_stat = t["gi_star"] + t["permutation_p"]
    shequ_weights_stat = t["weights"] + shequ_stat
    esda_weights_stat = e["esda_weights"] + e["esda_g_local"]
    shared_s = t["aggregate"] + t["study_cells"] + t["pairs"]
    ratios = {
        "statistic": e["esda_g_local"] / shequ_stat,
        "weights_and_statistic": esda_weights_stat / shequ_weights_stat,
        "end_to_end_with_shared_stages": (shared_s + esda_weights_stat)
        / (shared_s + shequ_weights_stat),
    }
    p_check = cmp[f"p_neighbourhood_at_least_{P_MIN_NEIGHBOURHOOD}"]
    z_ok = cmp["z_max_abs_diff"] <= Z_TOLERANCE
    p_ok = p_check.get("share_within_4_se", 0.0) >= P_SHARE_AIM
    lowest = min(ratios["statistic"], ratios["weights_and_statistic"])
    speed = aim(lowest, AIM_RATIO, at_least=True)

    report = {
        "benchmark": "benchmarks/hotspots.py",
        "data": {"shared": str(shared), "incidents": str(INCIDENTS)},
        "input": {
            "real_incidents_read": len(real_lon),
            "real_rows_rejected": len(rejects.rows),
            "real_distinct_positions": len(
                np.unique(np.column_stack([real_lon, real_lat]), axis=0)
            ),
            "read_seconds": read_s,
            "points": len(lon),
            "method": f"resampled with replacement from the real points (default_rng({args.seed})"
            f"), Gaussian jitter σ = {args.jitter_m:g} m on each axis in "
            f"{metric_crs(real_lon.min(), real_lat.min(), real_lon.max(), real_lat.max()).name}",
            "jitter_sigma_m": args.jitter_m,
            "seed": args.seed,
        },
        "cells": {
            "resolution": args.res,
            "ring_k": RING_K,
            "study_cells": len(sh.cells),
            "occupied_cells": sh.occupied,
            "hull_polyfill_cells": sh.hull_cells,
            "empty_cells": int((sh.counts == 0).sum()),
            "max_count": float(sh.counts.max()),
            "neighbour_pairs": len(sh.pair_i),
            "permutations": args.permutations,
        },
        "shequ": {
            "stages": {
                name: v | {"peak_mb": peak_mb.get(name)} for name, v in timing.summary().items()
            },
            "gi_star_and_permutation_p_seconds": shequ_stat,
            "weights_gi_star_and_permutation_p_seconds": shequ_weights_stat,
            "full_pipeline_seconds": sum(t.values()),
        },
        "esda": {
            "call": f"G_Local(y, W, transform='B', star=True, permutations={args.permutations}, "
            f"seed={args.seed}, n_jobs={args.n_jobs})",
            "stages": {
                name.removeprefix("esda_"): v | {"peak_mb_main_process": peak_mb.get(name)}
                for name, v in peer.summary().items()
            },
            "weights_and_statistic_seconds": esda_weights_stat,
            "warmup": warm,
            "jit_compile_seconds": warm["jit_compile_seconds"],
            "numba": numba_version(),
            "scope": "full: every study cell at the same resolution",
        },
        "ratios_esda_over_shequ": ratios,
        "equal_results": cmp,
        "aims": {
            "10x_faster_than_esda_at_equal_results": speed
            | {
                "met": bool(speed["met"] and z_ok and p_ok and cmp["weights_identical"]),
                "speed_met": speed["met"],
                "comparison": "lower of statistic (G_Local vs gi_star + permutation_p) and "
                "weights_and_statistic (+ W.from_sparse vs ring_weights) ratios, medians of "
                f"{args.repeats} warm runs",
                "z_max_abs_diff_ok": z_ok,
                "z_tolerance": Z_TOLERANCE,
                "p_within_4_se_ok": p_ok,
                "p_within_4_se_needed_share": P_SHARE_AIM,
            },
            "1M_point_aggregation_in_a_few_seconds": aim(
                t["aggregate"], AIM_AGGREGATE_S, at_least=False
            )
            | {
                "comparison": "points_to_cells + occupied-cell counts, median of "
                f"{args.repeats}; 'a few seconds' read as <= {AIM_AGGREGATE_S:g} s",
                "points": len(lon),
            },
        },
        "memory": {
            "tracemalloc": "per-stage peak MB in the stages above (separate traced pass)"
            if peak_mb
            else "skipped (--no-memory-pass)",
            "process_max_rss_mb_after_shequ": rss_after_shequ,
            "process_max_rss_mb_after_shequ_memory_pass": rss_after_memory_pass,
            "process_max_rss_mb_after_esda": rss_after_esda,
            "process_max_rss_mb": max_rss_mb(),
            "loky_worker_max_rss_mb": loky_rss,
        },
        "machine": machine(load_before),
        "versions": versions(),
        "notes": NOTES,
    }
    return emit(report)


if __name__ == "__main__":
    sys.exit(main())
