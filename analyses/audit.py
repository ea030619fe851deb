"""The living-circle audit: who is served by which kind, per tier, per compound.

Per home: minutes to each kind and whether they meet the kind's threshold. Per kind and tier
(5/10/15 minutes and the kind's own threshold): homes, households, population, elderly and
children covered, and the blind spots (homes not covered). Per residential compound: the same
roll-up, so an official can see which 小区 lacks what.

A share is a finding only when there is something to measure: with no facility of a kind in the
data, or no homes at all, the shares are empty (NaN), not 0 %, and ``data_status`` says why
(:data:`DATA_STATUS`). "Facilities exist but none within reach" stays ``ok`` with its real 0 %.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import pandas as pd

from shequ.analyses.access import KindAccess
from shequ.geo.homes import DEMAND_COLUMNS

DATA_STATUS: tuple[str, ...] = ("ok", "no_facilities", "no_homes")
"""Values of ``data_status`` in the summary: there is something to measure (``ok``), the data
holds no usable facility of the kind (``no_facilities``), or no home at all (``no_homes``)."""


def data_status(n_homes: int, n_facilities: int) -> str:
    """Whether a kind's coverage can be measured: ``no_homes`` first (nothing to cover), then
    ``no_facilities`` (nothing to walk to), else ``ok``.

    Parameters
    ----------
    n_homes : int
        Homes in the study area.
    n_facilities : int
        Usable facilities of the kind (attached to the street network).

    Returns
    -------
    str
        One of :data:`DATA_STATUS`.
    """
    if n_homes == 0:
        return "no_homes"
    if n_facilities == 0:
        return "no_facilities"
    return "ok"


def usable_facilities(acc: KindAccess) -> int:
    """Whether any facility of the kind is a walk source, read from the access itself (0 or 1).

    Every usable facility makes its street node's distance finite; with none, every node is
    unreachable. Used when the caller does not pass the counts.
    """
    return int(bool(np.isfinite(acc.node_distance_m).any()))


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
    homes: pd.DataFrame,
    access: dict[str, KindAccess],
    tiers_min: tuple[float, ...],
    facilities_per_kind: Mapping[str, int] | None = None,
) -> pd.DataFrame:
    """One row per kind and tier: totals covered, shares, blind spots and ``data_status``.

    Parameters
    ----------
    homes : DataFrame
        The homes with their demand columns (households, population, elderly, children).
    access : dict
        Per kind, its :class:`~shequ.analyses.access.KindAccess`.
    tiers_min : tuple of float
        The minute tiers reported besides each kind's own threshold.
    facilities_per_kind : mapping, optional
        Usable facilities per kind; default: read from ``access``
        (:func:`usable_facilities`).

    Returns
    -------
    DataFrame
        One row per kind and tier. ``data_status`` is one of :data:`DATA_STATUS`; where it is
        not ``ok`` every ``*_share`` is NaN (an empty cell in ``summary.csv``), because a 0 %
        there would read as a finding about the area when it is a gap in the data. Counts
        (``*_covered``, ``*_total``) stay as they are: 0 covered is true.
    """
    totals = _covered_totals(homes, np.ones(len(homes), dtype=bool))
    rows = []
    for kind_id, acc in access.items():
        minutes = np.nan_to_num(acc.walk_min, nan=np.inf)
        tiers = sorted({*tiers_min, acc.kind.max_walk_min})
        n_fac = len(np.unique(acc.nearest_facility[acc.nearest_facility >= 0]))
        n_usable = (
            facilities_per_kind.get(kind_id, 0)
            if facilities_per_kind is not None
            else usable_facilities(acc)
        )
        status = data_status(len(homes), n_usable)
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
                "data_status": status,
            }
            for col, value in covered.items():
                row[f"{col}_covered"] = value
                row[f"{col}_total"] = totals[col]
                measurable = status == "ok" and totals[col] > 0
                row[f"{col}_share"] = value / totals[col] if measurable else np.nan
            row["blind_spot_homes"] = totals["homes"] - covered["homes"]
            row["unreachable_homes"] = int(np.isinf(minutes).sum())
            rows.append(row)
    return pd.DataFrame(rows)


def compound_rollup(
    homes: pd.DataFrame,
    access: dict[str, KindAccess],
    facilities_per_kind: Mapping[str, int] | None = None,
) -> pd.DataFrame:
    """Per compound (compound_id >= 0): households and shares served within each threshold.

    ``share_served_<kind>`` is NaN for a kind with no usable facility (``facilities_per_kind``,
    default read from ``access``), as in :func:`summary`: nothing was measured.
    """
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
    for kind_id, acc in access.items():
        hh = out["households"].replace(0, np.nan)
        n_usable = (
            facilities_per_kind.get(kind_id, 0)
            if facilities_per_kind is not None
            else usable_facilities(acc)
        )
        share = out[f"households_served_{kind_id}"] / hh
        out[f"share_served_{kind_id}"] = share if n_usable else np.nan
    return out
