"""The living-circle audit: who is served by which kind, per tier, per compound.

Per home: minutes to each kind and whether they meet the kind's threshold. Per kind and tier
(5/10/15 minutes and the kind's own threshold): homes, households, population, elderly and
children covered, and the blind spots (homes not covered). Per residential compound: the same
roll-up, so an official can see which 小区 lacks what.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from shequ.analyses.access import KindAccess
from shequ.geo.homes import DEMAND_COLUMNS


def home_columns(access: dict[str, KindAccess]) -> pd.DataFrame:
    """walk_min_<kind>, meets_<kind>, nearest_<kind>, unreachable_<kind> for every home."""
    cols: dict[str, np.ndarray] = {}
    for kind_id, acc in access.items():
        cols[f"walk_min_{kind_id}"] = acc.walk_min
        cols[f"meets_{kind_id}"] = np.nan_to_num(acc.walk_min, nan=np.inf) <= acc.kind.max_walk_min
        cols[f"nearest_{kind_id}"] = acc.nearest_facility
        cols[f"unreachable_{kind_id}"] = acc.reason
    return pd.DataFrame(cols)


def _covered_totals(homes: pd.DataFrame, mask: np.ndarray) -> dict[str, float]:
    out: dict[str, float] = {"homes": float(mask.sum())}
    for col in DEMAND_COLUMNS:
        out[col] = float(homes[col].to_numpy()[mask].sum())
    return out


def summary(
    homes: pd.DataFrame, access: dict[str, KindAccess], tiers_min: tuple[float, ...]
) -> pd.DataFrame:
    """One row per kind and tier: totals covered, shares and blind spots."""
    totals = _covered_totals(homes, np.ones(len(homes), dtype=bool))
    rows = []
    for kind_id, acc in access.items():
        minutes = np.nan_to_num(acc.walk_min, nan=np.inf)
        tiers = sorted({*tiers_min, acc.kind.max_walk_min})
        n_fac = len(np.unique(acc.nearest_facility[acc.nearest_facility >= 0]))
        for tier in tiers:
            covered = _covered_totals(homes, minutes <= tier)
            row = {
                "kind": kind_id,
                "kind_zh": acc.kind.zh,
                "kind_en": acc.kind.en,
                "tier_min": tier,
                "is_threshold": bool(tier == acc.kind.max_walk_min),
                "walker": acc.kind.walker,
                "speed_mps": acc.speed_mps,
                "distance_m": tier * 60.0 * acc.speed_mps,
                "facilities_serving": n_fac,
            }
            for col, value in covered.items():
                row[f"{col}_covered"] = value
                row[f"{col}_total"] = totals[col]
                row[f"{col}_share"] = value / totals[col] if totals[col] > 0 else np.nan
            row["blind_spot_homes"] = totals["homes"] - covered["homes"]
            row["unreachable_homes"] = int(np.isinf(minutes).sum())
            rows.append(row)
    return pd.DataFrame(rows)


def compound_rollup(homes: pd.DataFrame, access: dict[str, KindAccess]) -> pd.DataFrame:
    """Per compound (compound_id >= 0): households and shares served within each threshold."""
    inside = homes["compound_id"].to_numpy() >= 0
    if not inside.any():
        return pd.DataFrame(columns=["compound_id", "homes", *DEMAND_COLUMNS])
    frame = homes.loc[inside, ["compound_id", *DEMAND_COLUMNS]].copy()
    frame["homes"] = 1
    for kind_id, acc in access.items():
        met = np.nan_to_num(acc.walk_min[inside], nan=np.inf) <= acc.kind.max_walk_min
        frame[f"households_served_{kind_id}"] = frame["households"].to_numpy() * met
        frame[f"population_served_{kind_id}"] = frame["population"].to_numpy() * met
        frame[f"elderly_served_{kind_id}"] = frame["elderly"].to_numpy() * met
        frame[f"children_served_{kind_id}"] = frame["children"].to_numpy() * met
        frame[f"worst_min_{kind_id}"] = acc.walk_min[inside]
    agg = {c: "sum" for c in frame.columns if c != "compound_id"}
    agg.update({c: "max" for c in frame.columns if c.startswith("worst_min_")})
    out = frame.groupby("compound_id", as_index=False).agg(agg)
    for kind_id in access:
        hh = out["households"].replace(0, np.nan)
        out[f"share_served_{kind_id}"] = out[f"households_served_{kind_id}"] / hh
    return out
