"""How shequ grows with the size of the area: the four commands and the batch on mosaic rungs.

The rungs are built by ``../shared/tools/mosaic/build_mosaic.py N`` (N × N copies of real OSM
extract cores: a *synthetic arrangement* of real streets, buildings and tags; say so beside
every figure). Each command runs as its own process, as a user runs it, and is measured from
the outside: wall seconds, CPU seconds (user + system, of the process and the children it
waited for: not the grid search's forkserver workers, so a windowed grid plan's CPU is
under-counted) and peak resident memory (``os.wait4``; for the batch, the largest of the
driver and its workers as the kernel reports them), plus the sizes of ``map.html`` and
``shequ.gpkg``. Per command the log-log slope of seconds against street nodes over the rungs
is printed (1 = linear).

Hotspots run on synthetic incidents: ``--incidents-per-node`` per street node (20 by default,
6.75 M on the 16 × 16 rung), seeded, over the twelve months of 2025, labelled synthetic; their
density is checked against the exact Gaussian KDE at 200 sampled cells. Grids
report their balance (share within ±15 %, oversized grids with more than one unit, grids in
pieces, mean Polsby–Popper) beside their time. ``--osmnx`` adds osmnx's load of the same
network (``graph_from_xml`` of the rung converted to XML) as the peer a user would otherwise
reach for.

    python benchmarks/scale.py --rungs 4,8 > scale.json            # about 15 min on 2 cores
    python benchmarks/scale.py --rungs 16 --commands access,site   # the 337k-node rung
"""

from __future__ import annotations

import argparse
import logging
import os
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from common import emit, machine, package_version, shared_dir

log = logging.getLogger("benchmarks.scale")

COMMANDS = ("access", "site", "grids", "hotspots", "batch")


def build_rung(n: int, work: Path) -> Path:
    """The N × N mosaic (built once per work folder)."""
    out = work / f"mosaic{n}.osm.pbf"
    if not out.exists():
        tool = shared_dir() / "tools" / "mosaic" / "build_mosaic.py"
        subprocess.run([sys.executable, str(tool), str(n), str(out)], check=True,
                       capture_output=True)  # fmt: skip
    return out


def synthetic_incidents(region: Path, per_node: int, out: Path) -> int:
    """``per_node`` incidents at each street node (jittered 30 m), seeded; returns the count."""
    from shequ.geo.osm_clip import street_node_lonlat

    if out.exists():
        return sum(1 for _ in out.open(encoding="utf-8")) - 1
    xy = street_node_lonlat(region)
    rng = np.random.default_rng(2026)
    n = len(xy) * per_node
    pts = np.repeat(xy, per_node, axis=0) + rng.normal(0, 3e-4, (n, 2))
    minutes = rng.integers(0, 365 * 1440, n)
    times = pd.Timestamp("2025-01-01") + pd.to_timedelta(minutes, unit="min")
    frame = pd.DataFrame(
        {
            "lon": pts[:, 0].round(6),
            "lat": pts[:, 1].round(6),
            "time": times.strftime("%Y-%m-%d %H:%M"),
            "type": "synthetic",
        }
    )
    frame.to_csv(out, index=False)
    return n


def measure(argv: list[str], out: Path | None) -> dict[str, Any]:
    """Run one command; wall, CPU and peak RSS from the kernel, the outputs' sizes."""
    start = time.perf_counter()
    proc = subprocess.Popen(argv, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    _, status, usage = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - start
    err = proc.stderr.read().decode("utf-8", "replace") if proc.stderr else ""
    result: dict[str, Any] = {
        "seconds": wall,
        "cpu_seconds": usage.ru_utime + usage.ru_stime,
        "peak_rss_mb": usage.ru_maxrss / 1024.0,
        "exit_code": os.waitstatus_to_exitcode(status),
    }
    if result["exit_code"] != 0:
        result["error"] = err.strip().splitlines()[-1:] if err.strip() else []
    if out is not None:
        for name in ("map.html", "shequ.gpkg"):
            path = out / name
            if path.is_file():
                result[f"{name}_mb"] = path.stat().st_size / 1e6
    return result


def grid_quality(out: Path) -> dict[str, Any]:
    """Balance and shape of a grid plan, from its own files."""
    import geopandas as gpd

    grids = gpd.read_file(out / "shequ.gpkg", layer="grids")
    within = grids["within_tolerance"].astype(bool)
    multi_unit_oversized = int((grids["oversized"].astype(bool) & (grids["atoms"] > 1)).sum())
    return {
        "grids": len(grids),
        "within_tolerance_share": float(within.mean()),
        "within_tolerance_share_excl_oversized_single": float(
            within[~(grids["oversized"].astype(bool) & (grids["atoms"] == 1))].mean()
        ),
        "oversized_multi_unit": multi_unit_oversized,
        "multipolygons": int((grids.geometry.geom_type == "MultiPolygon").sum()),
        "mean_polsby_popper": float(grids["polsby_popper"].mean()),
    }


def density_error(out: Path, incidents: Path, sample: int = 200) -> dict[str, Any]:
    """The run's density (binned at this size) against the exact Gaussian KDE, by brute force
    in NumPy, at ``sample`` cells drawn with a fixed seed: the same incidents, metric CRS and
    Scott bandwidth as ``kernel_density``. Errors are shares of the run's highest density, and
    on the dense cells (at least a tenth of it) relative to the exact value; incidents the run
    rejected (outside the study area) are left out as the run left them. The bounds
    ``tests/test_hotspot_density.py`` holds on the Sacramento incidents are 0.01 and 0.015."""
    import geopandas as gpd
    import h3
    import pyproj

    from shequ.geo.coords import metric_crs

    cells = gpd.read_file(out / "shequ.gpkg", layer="cells", ignore_geometry=True)
    summary = pd.read_csv(out / "summary.csv", encoding="utf-8-sig")
    centres = np.array([h3.cell_to_latlng(c)[::-1] for c in cells["h3"]])
    crs = metric_crs(*np.r_[centres.min(axis=0), centres.max(axis=0)])
    frame = pd.read_csv(incidents, usecols=["lon", "lat"])
    rejects = pd.read_csv(out / "rejects.csv", encoding="utf-8-sig")
    rows = rejects.loc[rejects["layer"] == "incidents", "row"].astype(int).to_numpy()
    frame = frame.drop(index=rows - 1)  # rows count from 1, the header apart
    if len(frame) != int(summary["incidents"].iat[0]):
        return {
            "skipped": f"{len(frame)} incidents in the file, {summary['incidents'].iat[0]} kept"
        }
    to_m = pyproj.Transformer.from_crs("EPSG:4326", crs, always_xy=True)
    pts = np.column_stack(to_m.transform(frame["lon"].to_numpy(), frame["lat"].to_numpy()))
    n = len(pts)
    h = max(float(np.mean(pts.std(axis=0)) * n ** (-1 / 6)), 1.0)
    pick = np.random.default_rng(15).choice(len(cells), size=min(sample, len(cells)), replace=False)
    where = np.column_stack(to_m.transform(centres[pick, 0], centres[pick, 1]))
    exact = np.empty(len(pick))
    for i, (x, y) in enumerate(where):
        d2 = (pts[:, 0] - x) ** 2 + (pts[:, 1] - y) ** 2
        exact[i] = np.exp(-d2 / (2 * h * h)).sum() / (2 * np.pi * h * h) * 1e6
    run = cells["kde"].to_numpy()[pick]
    top = float(cells["kde"].max())
    dense = exact >= 0.1 * top
    return {
        "cells_sampled": len(pick),
        "bandwidth_m": round(h, 1),
        "max_abs_error_of_max": float(np.abs(run - exact).max() / top),
        "dense_cells": int(dense.sum()),
        "max_rel_error_dense": float((np.abs(run - exact)[dense] / exact[dense]).max())
        if dense.any()
        else None,
    }


def osmnx_load(region: Path, work: Path) -> dict[str, Any]:
    """osmnx 2's load of the rung (PBF converted to XML first, not timed)."""
    xml = work / (region.name.replace(".osm.pbf", "") + ".osm")
    if not xml.exists():
        import osmium

        with osmium.SimpleWriter(str(xml)) as writer:
            for obj in osmium.FileProcessor(str(region)):
                writer.add(obj)
    code = (
        "import osmnx as ox, sys; "
        "g = ox.graph_from_xml(sys.argv[1], simplify=True, retain_all=True); "
        "print(len(g))"
    )
    return measure([sys.executable, "-c", code, str(xml)], None)


def slope(nodes: list[int], seconds: list[float]) -> float | None:
    """Least-squares slope of log seconds against log street nodes."""
    ok = [(n, s) for n, s in zip(nodes, seconds, strict=True) if s and s > 0]
    if len(ok) < 2:
        return None
    x, y = np.log([n for n, _ in ok]), np.log([s for _, s in ok])
    return float(np.polyfit(x, y, 1)[0])


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rungs", default="4,8")
    parser.add_argument("--commands", default=",".join(COMMANDS))
    parser.add_argument("--work", default="/tmp/shequ-scale")
    parser.add_argument("--incidents-per-node", type=int, default=20)
    parser.add_argument("--grid-time-limit", type=float, default=None)
    parser.add_argument("--batch-workers", type=int, default=2)
    parser.add_argument("--osmnx", action="store_true")
    args = parser.parse_args()
    logging.basicConfig(level=logging.INFO, stream=sys.stderr)
    if not (shared_dir() / "tools" / "mosaic").is_dir():
        return emit({"skipped": f"no mosaic tool under {shared_dir()}"})
    load_start = list(os.getloadavg())
    work = Path(args.work)
    work.mkdir(parents=True, exist_ok=True)
    commands = [c for c in args.commands.split(",") if c]
    shequ = [sys.executable, "-m", "shequ"]
    report: dict[str, Any] = {"note": "synthetic arrangement of real OSM extracts (mosaic)",
                              "rungs": {}}  # fmt: skip
    from shequ.geo.osm_clip import street_node_lonlat

    for n in [int(r) for r in args.rungs.split(",")]:
        region = build_rung(n, work)
        nodes = len(street_node_lonlat(region))
        rung: dict[str, Any] = {"street_nodes": nodes}
        log.info("rung %d: %d street nodes", n, nodes)
        base = [*shequ]
        for command in commands:
            out = work / f"r{n}_{command}"
            subprocess.run(["rm", "-rf", str(out)], check=True)
            osm = ["--osm", str(region), "--out", str(out), "--quiet", "--lang", "en"]
            if command == "access":
                argv = [*base, "access", *osm]
            elif command == "site":
                argv = [*base, "site", *osm, "--kind", "canteen", "--p", "10", "--no-map"]
            elif command == "grids":
                limit = ["--time-limit", str(args.grid_time_limit)] if args.grid_time_limit else []
                argv = [*base, "grids", *osm, *limit]
            elif command == "hotspots":
                inc = work / f"incidents{n}_{args.incidents_per_node}.csv"
                rung["incidents"] = synthetic_incidents(region, args.incidents_per_node, inc)
                argv = [*base, "hotspots", "--incidents", str(inc), *osm]
            else:
                argv = [*base, "batch", *osm, "--analyses", "access", "--no-map",
                        "--workers", str(args.batch_workers)]  # fmt: skip
            log.info("rung %d: %s", n, " ".join(argv[2:]))
            rung[command] = measure(argv, out)
            if command == "grids" and rung[command]["exit_code"] == 0:
                rung[command]["quality"] = grid_quality(out)
            if command == "hotspots" and rung[command]["exit_code"] == 0:
                rung[command]["density_vs_exact"] = density_error(out, inc)
        if args.osmnx:
            rung["osmnx_load"] = osmnx_load(region, work)
        report["rungs"][str(n)] = rung
    rungs = list(report["rungs"].values())
    report["slopes"] = {
        c: slope([r["street_nodes"] for r in rungs], [r.get(c, {}).get("seconds") for r in rungs])
        for c in [*commands, *(["osmnx_load"] if args.osmnx else [])]
    }
    report["versions"] = {p: package_version(p) for p in ("shequ", "osmnx", "dask")}
    report["machine"] = machine(load_start)
    return emit(report)


if __name__ == "__main__":
    sys.exit(main())
