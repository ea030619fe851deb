"""Peak memory of reading a large homes file, against the file's size (issue 10, item 7).

A planner's homes export can be hundreds of MB (one row per home of a district). Reading it
once peaked at 46× the file size. This script writes a homes CSV of about ``--mb`` megabytes
(lon, lat, households, a Chinese name per row, homes scattered over the Nanjing extract), then
runs each stage in a fresh process and reports its peak resident memory (``ru_maxrss`` of the
child) and wall time:

- ``read``: :func:`shequ.geo.points_file.read_points_file` alone;
- ``homes``: read and build the homes layer (:func:`shequ.geo.homes.homes_from_layer`);
- ``access``: ``shequ access --kinds canteen --no-isochrones --no-map`` on the Nanjing extract
  with the file as ``--homes`` (reading, network, snapping, walk times, outputs).

Each is also given above a baseline (``imports``: the modules alone; ``access_baseline``: the
same run with a 19-row homes file), divided by the file size: the memory the file itself costs.

Run: ``python benchmarks/reading.py [--mb 200]``; prints JSON. Needs ../shared (the Nanjing
extract); synthetic arrangement of homes.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
from common import emit, machine, shared_dir

NANJING = "data/osm/nanjing_xinjiekou_small.osm"
ROWS_PER_MB = 30_000  # measured: ~35 bytes a row for the columns written below

STAGES = {
    "imports": """
import shequ.geo.homes, shequ.geo.points_file, shequ.profile
""",
    "read": """
from shequ.geo.points_file import read_points_file
from shequ.rejects import Rejects
layer = read_points_file(PATH, None, Rejects(), layer="homes")
print(len(layer.frame))
""",
    "homes": """
from shequ.geo.coords import metric_crs
from shequ.geo.homes import homes_from_layer
from shequ.geo.points_file import read_points_file
from shequ.profile import load_profile
from shequ.rejects import Rejects
rejects = Rejects()
layer = read_points_file(PATH, None, rejects, layer="homes")
homes = homes_from_layer(layer, metric_crs(118.78, 32.03, 118.80, 32.05), load_profile(), rejects)
print(len(homes))
""",
}


def write_homes(path: Path, mb: float) -> int:
    """A homes CSV of about ``mb`` MB around Xinjiekou; returns the number of rows."""
    rows = int(mb * ROWS_PER_MB)
    rng = np.random.default_rng(0)
    with path.open("w", encoding="utf-8") as out:
        out.write("name,lon,lat,households\n")
        for start in range(0, rows, 500_000):
            n = min(500_000, rows - start)
            lon = 118.775 + rng.uniform(0, 0.03, n)
            lat = 32.030 + rng.uniform(0, 0.025, n)
            hh = rng.integers(1, 120, n)
            ids = np.arange(start, start + n)
            out.writelines(
                f"楼{i},{x:.6f},{y:.6f},{h}\n" for i, x, y, h in zip(ids, lon, lat, hh, strict=True)
            )
    return rows


def run_stage(argv: list[str], work: Path) -> dict[str, float]:
    """Peak RSS (MB) and seconds of one child process (``os.wait4``: that child's own peak)."""
    log = work / "stage.log"
    start = time.perf_counter()
    with log.open("w") as sink:
        child = subprocess.Popen(argv, stdout=sink, stderr=subprocess.STDOUT)
        _, status, usage = os.wait4(child.pid, 0)
    seconds = time.perf_counter() - start
    if os.waitstatus_to_exitcode(status) != 0:
        raise RuntimeError(f"{argv[:4]} failed: {log.read_text()[-2000:]}")
    return {"peak_rss_mb": usage.ru_maxrss / 1024, "seconds": seconds}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--mb", type=float, default=200.0, help="size of the homes CSV")
    args = parser.parse_args()
    load = list(os.getloadavg())
    osm = shared_dir() / NANJING
    with tempfile.TemporaryDirectory() as work:
        homes = Path(work) / "homes.csv"
        rows = write_homes(homes, args.mb)
        size_mb = homes.stat().st_size / 1024**2
        stages: dict[str, dict[str, float]] = {}
        for name in ("imports", "read", "homes"):
            code = STAGES[name].replace("PATH", repr(str(homes)))
            stages[name] = run_stage([sys.executable, "-c", code], Path(work))
        tiny = Path(work) / "tiny.csv"
        write_homes(tiny, 0.001)
        for name, path in (("access_baseline", tiny), ("access", homes)):
            access = [sys.executable, "-m", "shequ", "access", "--quiet", "--no-map"]
            access += ["--no-isochrones", "--kinds", "canteen", "--osm", str(osm)]
            access += ["--homes", str(path), "--out", str(Path(work) / name)]
            stages[name] = run_stage(access, Path(work))
    base = {"read": "imports", "homes": "imports", "access": "access_baseline"}
    for name, under in base.items():
        above = stages[name]["peak_rss_mb"] - stages[under]["peak_rss_mb"]
        stages[name]["above_baseline_mb"] = above
        stages[name]["above_baseline_times_file_size"] = above / size_mb
    return emit(
        {
            "benchmark": "reading a large homes CSV (synthetic arrangement of homes)",
            "file_mb": size_mb,
            "rows": rows,
            "stages": stages,
            "machine": machine(load),
        }
    )


if __name__ == "__main__":
    sys.exit(main())
