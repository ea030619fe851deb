"""A composite risk index per cell and its warning level (红橙黄蓝 / 红黄蓝).

Each factor (incident rate, Gi* z, elderly share, distance to fire equipment …) is turned into
a percentile rank among the cells (0 = safest, 1 = riskiest, after flipping factors where less is
riskier), so factors in different units can be weighted; the index is the weighted mean of the
available factors with the profile's weights, and every cell keeps its factor breakdown.

Levels follow one of two rules (profile ``risk.levels.rule``, :class:`LevelRule`):

* ``significance`` (default, :func:`significance_levels`): a colour says both that the cluster
  is unlikely to be chance (the Gi* confidence bin) and that the cell matters (the index). An
  official asked "why is this cell red?" can answer "it is a hot spot at 99 % confidence and
  among the top 10 % of the risk index", and "why is that one blue?" with "no significant
  clustering and not in the top of the index". The quota rule could not: on the Sacramento
  incidents it coloured 13 cells red that are no hot spot at all and left 39 hot spots at
  95–99 % confidence (9 at 99 %) blue, because a quota fills its share whatever the data.
* ``quota`` (:func:`warning_levels`): fixed shares of cells by the index (default top 5 % red,
  next 10 % orange, next 20 % yellow); kept for comparisons with earlier runs and for places
  whose rules prescribe shares.

The national four-level scheme folds into the seeds' three colours as red+orange → red.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from shequ.i18n import Note

LEVELS = ("red", "orange", "yellow", "blue")
THREE_COLOUR = {"red": "red", "orange": "red", "yellow": "yellow", "blue": "blue"}
LEVEL_RULES = ("significance", "quota")
"""The rules that give the warning levels (profile ``risk.levels.rule``)."""
TESTED_BY = {"per_cell": "bin", "fdr": "bin_fdr"}
"""Which Gi* confidence bins the significance rule reads (``risk.levels.tested_by``)."""
DEFAULT_TOP_SHARE = {"red": 0.05, "orange": 0.10, "yellow": 0.20}


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
    """Weighted mean of the factors' ranks (missing factors skipped per cell).

    A factor with the same value in every cell (every cell beyond the distance cap of the
    nearest fire station) ranks no cell above another: it is left out like a factor without
    data, instead of adding the same share to every cell's index and diluting the others. An
    area cut from a city (``shequ batch``) then gets the index the city run gives it, whether
    or not its extract holds a feature of that factor."""
    ranks = {}
    for f in factors:
        if f.name in table.columns and f.weight > 0:
            values = table[f.name].to_numpy(dtype=float)
            known = values[np.isfinite(values)]
            if len(known) == 0 or np.all(known == known[0]):
                continue
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
    """Fold orange into red (红黄蓝)."""
    return np.array([THREE_COLOUR[v] for v in levels], dtype=object)


@dataclass(frozen=True)
class LevelRule:
    """How cells (and grids) get their warning level: the profile's ``risk.levels``.

    Parameters
    ----------
    rule : {"significance", "quota"}
        ``significance``: the Gi* confidence bin and the index together
        (:func:`significance_levels`); ``quota``: shares of cells by the index
        (:func:`warning_levels`).
    tested_by : {"per_cell", "fdr"}
        The significance rule's bins: ``per_cell`` the permutation p of each cell (``bin``,
        ArcGIS's default), ``fdr`` only cells that also pass the Benjamini–Hochberg cut
        (``bin_fdr``). ``per_cell`` is the default because with 999 (or 9,999) conditional
        permutations no Sacramento cell passes the FDR cut: the strongest hot spots have
        p ≈ 0.0006, while 3,624 cells need dozens at p ≤ 0.0004. The FDR count stays in
        ``summary.csv`` (``hot_cells_fdr``) and in each cell's ``bin_fdr``.
    index_top_share : float
        The share of cells (0–1) that counts as "the top of the index": red needs it besides
        99 % confidence, and a cell in it with an incident but no significant clustering is
        yellow (watch), never red.
    top_share : dict
        The quota rule's shares of cells per level (``red``, ``orange``, ``yellow``).
    """

    rule: str = "significance"
    tested_by: str = "per_cell"
    index_top_share: float = 0.10
    top_share: dict[str, float] = field(default_factory=lambda: dict(DEFAULT_TOP_SHARE))

    def __post_init__(self) -> None:
        if self.rule not in LEVEL_RULES:
            msg = f"rule must be one of {', '.join(LEVEL_RULES)}, got {self.rule!r}"
            raise ValueError(msg)
        if self.tested_by not in TESTED_BY:
            msg = f"tested_by must be one of {', '.join(TESTED_BY)}, got {self.tested_by!r}"
            raise ValueError(msg)
        if not 0 <= self.index_top_share <= 1:
            msg = f"index_top_share must be a share from 0 to 1, got {self.index_top_share}"
            raise ValueError(msg)

    def describe(self, three_colour: bool = False) -> Note:
        """The rule in one sentence (``hs.rule_significance`` / ``hs.rule_quota``): the map's
        legend, ``summary.csv`` and ``run.json`` say it. With ``three_colour`` the sentence of
        the folded levels (red = the four-level red and orange)."""
        if self.rule == "quota":
            shares = {k: _percent(self.top_share.get(k, 0.0)) for k in ("red", "orange", "yellow")}
            if three_colour:
                both = self.top_share.get("red", 0.0) + self.top_share.get("orange", 0.0)
                return Note("hs.rule_quota3", red=_percent(both), yellow=shares["yellow"])
            return Note("hs.rule_quota", **shares)
        tested = Note(f"hs.tested_{self.tested_by}")
        key = "hs.rule_significance3" if three_colour else "hs.rule_significance"
        return Note(key, top=_percent(self.index_top_share), tested=tested)

    def record(self) -> dict[str, object]:
        """``run.json``'s ``levels``: the rule, its settings and its sentence (English)."""
        out: dict[str, object] = {"rule": self.rule}
        if self.rule == "quota":
            out["top_share"] = dict(self.top_share)
        else:
            out |= {"tested_by": self.tested_by, "index_top_share": self.index_top_share}
        out["sentence"] = str(self.describe())
        return out


def _percent(share: float) -> str:
    """A share as a percentage without needless decimals (0.1 → "10", 0.025 → "2.5")."""
    return f"{100 * share:.4g}"


def top_of_index(index: np.ndarray, share: float) -> np.ndarray:
    """Whether each cell is within the top ``share`` of cells by its index.

    Parameters
    ----------
    index : ndarray
        The risk index (or another figure, higher riskier).
    share : float
        The share of cells, 0–1.

    Returns
    -------
    ndarray of bool
        True for the ``round(share × n)`` highest values and every value tied with the last of
        them (two cells with the same index never differ), and never for a value ≤ 0.
    """
    index = np.asarray(index, dtype=float)
    n = round(share * len(index))
    if n == 0:
        return np.zeros(len(index), dtype=bool)
    cut = np.sort(index)[::-1][n - 1]
    return (index >= cut) & (index > 0)


def significance_levels(
    bins: np.ndarray, index: np.ndarray, count: np.ndarray, index_top_share: float = 0.10
) -> np.ndarray:
    """Warning levels from the Gi* confidence bin and the risk index together.

    Parameters
    ----------
    bins : ndarray of int
        Gi* confidence bins (ArcGIS Gi_Bin: 3 hot at 99 %, 2 at 95 %, 1 at 90 %, 0 not
        significant, negative cold).
    index : ndarray
        The composite risk index (0–1).
    count : ndarray
        Incidents in the cell itself.
    index_top_share : float
        The share of cells that is "the top of the index" (:func:`top_of_index`).

    Returns
    -------
    ndarray of str
        * red — hot spot at 99 % **and** in the top of the index: both the statistics and the
          local factors say act here first;
        * orange — any other hot spot at 95 % or 99 % (a 99 % hot spot outside the top of the
          index is orange, never lower: significance alone earns a high level);
        * yellow — hot spot at 90 %, or in the top of the index with at least one incident
          but no significant clustering (watch: high rate or vulnerability, not yet a cluster);
        * blue — the rest, cold spots included.

        Guarantees: every red cell is a hot spot at 99 %; every hot spot at 95 % or more is
        at least orange, at 90 % at least yellow; a cell that is no hot spot is at most
        yellow.
    """
    bins = np.asarray(bins, dtype=np.int64)
    top = top_of_index(index, index_top_share)
    out = np.full(len(bins), "blue", dtype=object)
    out[(bins == 1) | (top & (np.asarray(count, dtype=float) > 0))] = "yellow"
    out[bins >= 2] = "orange"
    out[(bins == 3) & top] = "red"
    return out


def rule_levels(table: pd.DataFrame, rule: LevelRule) -> np.ndarray:
    """The warning level of every cell under ``rule``.

    Parameters
    ----------
    table : DataFrame
        The cells with ``index``, ``count`` and the Gi* bins (``bin``, ``bin_fdr``).
    rule : LevelRule
        The profile's level rule.

    Returns
    -------
    ndarray of str
        red/orange/yellow/blue per cell (four levels; fold with :func:`three_colour`).
    """
    index = table["index"].to_numpy(dtype=float)
    if rule.rule == "quota":
        return warning_levels(index, quantiles=rule.top_share)
    bins = table[TESTED_BY[rule.tested_by]].to_numpy()
    return significance_levels(bins, index, table["count"].to_numpy(), rule.index_top_share)
