"""What every benchmark script shares: where the shared data is, a stage meter, JSON rounding.

The scripts are run as ``python benchmarks/<name>.py``, so this folder is on ``sys.path`` and
they import these helpers as ``from common import …``.
"""

from __future__ import annotations

import gc
import importlib.metadata
import json
import logging
import os
import platform
import resource
import statistics
import time
import tracemalloc
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import numpy as np

MB = 1024.0 * 1024.0

log = logging.getLogger("benchmarks")


def shared_dir() -> Path:
    """``$SHEQU_SHARED``, else ``../shared`` beside the repository root."""
    env = os.environ.get("SHEQU_SHARED")
    if env:
        return Path(env)
    return Path(__file__).resolve().parents[1].parent / "shared"


class Meter:
    """One pass of measurements: seconds per stage, or (traced) tracemalloc peak MB per stage.

    The peak is the stage's own: the highest traced memory during the stage minus what was
    already allocated when it started. ``values`` holds the latest measurement of each stage,
    ``runs`` all of them (repeated stages), ``cpu`` the process CPU seconds (untraced pass).
    """

    def __init__(self, traced: bool) -> None:
        self.traced = traced
        self.values: dict[str, float] = {}
        self.runs: dict[str, list[float]] = {}
        self.cpu: dict[str, float] = {}

    @contextmanager
    def stage(self, name: str) -> Iterator[None]:
        log.info("%s pass: %s", "memory" if self.traced else "timing", name)
        gc.collect()
        if self.traced:
            base = tracemalloc.get_traced_memory()[0]
            tracemalloc.reset_peak()
            yield
            value = (tracemalloc.get_traced_memory()[1] - base) / MB
        else:
            start, cpu = time.perf_counter(), time.process_time()
            yield
            value = time.perf_counter() - start
            self.cpu[name] = time.process_time() - cpu
        self.values[name] = value
        self.runs.setdefault(name, []).append(value)

    def median(self, name: str) -> float:
        return statistics.median(self.runs[name])

    def summary(self) -> dict[str, dict[str, Any]]:
        """Median seconds and every run, per stage."""
        return {name: {"seconds": statistics.median(v), "runs": v} for name, v in self.runs.items()}


def max_rss_mb() -> float:
    """Peak resident memory of this process so far (Linux reports kB)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0


def machine(load_start: list[float]) -> dict[str, Any]:
    """Cores, platform and the 1/5/15-minute load average at the start and end of the run:
    other work on the machine slows every timing, and this is how a reader can tell."""
    return {
        "cpu_count": os.cpu_count(),
        "cpus_available": len(os.sched_getaffinity(0)),
        "load_average_start": list(load_start),
        "load_average_end": list(os.getloadavg()),
        "platform": platform.platform(),
    }


def emit(report: dict[str, Any]) -> int:
    """Print the report as rounded JSON (the scripts' only output on stdout); exit code 0."""
    print(json.dumps(rounded(report), indent=2, ensure_ascii=False))
    return 0


def package_version(name: str) -> str | None:
    try:
        return importlib.metadata.version(name)
    except importlib.metadata.PackageNotFoundError:
        return None


def rounded(value: Any, digits: int = 4) -> Any:
    """Floats rounded to significant digits, recursively, for a readable JSON."""
    if isinstance(value, dict):
        return {k: rounded(v, digits) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [rounded(v, digits) for v in value]
    if isinstance(value, float | np.floating):
        v = float(value)
        return v if v == 0 or not np.isfinite(v) else float(f"{v:.{digits}g}")
    if isinstance(value, np.integer):
        return int(value)
    if isinstance(value, np.bool_):
        return bool(value)
    return value
