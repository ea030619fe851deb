"""A composite risk index per cell and its warning level (红橙黄蓝 / 红黄蓝).

Each factor (incident rate, Gi* z, elderly share, distance to fire equipment …) is turned into
a percentile rank among the cells (0 = safest, 1 = riskiest, after flipping factors where less is
riskier), so factors in different units can be weighted; the index is the weighted mean of the
available factors with the profile's weights, and every cell keeps its factor breakdown. Levels
come from profile thresholds — quantiles of the index (default: top 5 % red, next 10 % orange,
next 20 % yellow) or absolute index values — and the national four-level scheme folds into the
seeds' three colours as red+orange → red.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

LEVELS = ("red", "orange", "yellow", "blue")
THREE_COLOUR = {"red": "red", "orange": "red", "yellow": "yellow", "blue": "blue"}


@dataclass(frozen=True)
class Factor:
    name: str
    weight: float
    riskier_when: str = "higher"  # or "lower" (e.g. camera coverage)


def percentile_rank(values: np.ndarray, riskier_when: str = "higher") -> np.ndarray:
    """Average rank scaled to 0..1 (ties share their rank); NaN stays NaN."""
    s = pd.Series(np.asarray(values, dtype=float))
    r = s.rank(method="average", pct=True)
    n = s.notna().sum()
    if n > 1:
        r = (r * n - 1) / (n - 1)  # lowest 0, highest 1
    if riskier_when == "lower":
        r = 1 - r
    return r.to_numpy()


def risk_index(table: pd.DataFrame, factors: list[Factor]) -> tuple[np.ndarray, pd.DataFrame]:
    """Weighted mean of the factors' ranks (missing factors skipped per cell)."""
    ranks = {}
    for f in factors:
        if f.name in table.columns and f.weight > 0:
            ranks[f"rank_{f.name}"] = percentile_rank(table[f.name].to_numpy(), f.riskier_when)
    parts = pd.DataFrame(ranks, index=table.index)
    if parts.empty:
        return np.zeros(len(table)), parts
    weights = np.array([f.weight for f in factors if f"rank_{f.name}" in parts.columns])
    values = parts.to_numpy()
    present = ~np.isnan(values)
    num = np.nansum(values * weights, axis=1)
    den = (present * weights).sum(axis=1)
    index = np.divide(num, den, out=np.zeros(len(table)), where=den > 0)
    return index, parts


def warning_levels(
    index: np.ndarray,
    *,
    quantiles: dict[str, float] | None = None,
    absolute: dict[str, float] | None = None,
) -> np.ndarray:
    """red/orange/yellow/blue by top-share quantiles (e.g. red 0.05, orange 0.10, yellow 0.20)
    or by absolute lower bounds of the index."""
    index = np.asarray(index, dtype=float)
    out = np.full(len(index), "blue", dtype=object)
    if absolute:
        for level in ("yellow", "orange", "red"):
            if level in absolute:
                out[index >= absolute[level]] = level
        return out
    q = quantiles or {"red": 0.05, "orange": 0.10, "yellow": 0.20}
    order = np.argsort(-index, kind="stable")
    start = 0
    for level in ("red", "orange", "yellow"):
        n = round(float(q.get(level, 0.0)) * len(index))
        chosen = order[start : start + n]
        out[chosen[index[chosen] > 0]] = level
        start += n
    return out


def three_colour(levels: np.ndarray) -> np.ndarray:
    return np.array([THREE_COLOUR[v] for v in levels], dtype=object)
