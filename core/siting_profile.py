"""The siting part of the profile: a kind's demand weight, site capacity and exclusion rule.

Like walk thresholds, these are local policy (1 port per 20 households, 4.5 childcare places per
1,000 residents, "must not adjoin a nursery"), so they live in the profile's ``siting`` section
with their sources, and a planner overrides them with local rules.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from shequ.errors import InputError
from shequ.profile import Profile

DEMAND_COLUMNS = ("population", "households", "elderly", "children")


@dataclass(frozen=True)
class ExclusionRule:
    """Candidates within ``within_m`` of these features (OSM tags or facility kinds) are out."""

    rule: str
    within_m: float
    kinds: tuple[str, ...]
    osm: tuple[dict[str, Any], ...]


@dataclass(frozen=True)
class SitingSpec:
    kind: str
    demand: str  # home column the weight comes from
    factor: float  # weight = column × factor (e.g. 0.05 ports per household)
    capacity_per_site: float | None  # in weight units; None = must come from the site files
    exclusion: ExclusionRule | None
    candidate_spacing_m: float
    pmedian_search_factor: float
    osm_candidates: tuple[dict[str, Any], ...]


def _number(node: Any, where: str, source: str, *, allow_none: bool = False) -> float | None:
    value = node.get("value") if isinstance(node, dict) else node
    if value is None and allow_none:
        return None
    try:
        number = float(value)
    except (TypeError, ValueError):
        msg = f"profile value {where!r} must be a number, got {value!r}"
        raise InputError(msg, path=source) from None
    if not number >= 0:
        raise InputError(f"profile value {where!r} must be ≥ 0, got {number}", path=source)
    return number


def siting_spec(profile: Profile, kind_id: str) -> SitingSpec:
    """The siting settings of ``kind_id`` (the profile's ``default`` entry when it has none)."""
    profile.kind(kind_id)  # unknown kinds fail here with the list of known ones
    raw = profile.raw.get("siting") or {}
    source = profile.source
    kinds = raw.get("kinds") or {}
    spec = kinds.get(kind_id) or kinds.get("default") or {}
    where = f"siting.kinds.{kind_id}"
    demand = str(spec.get("demand", "population"))
    if demand not in DEMAND_COLUMNS:
        raise InputError(
            f"{where}.demand must be one of {', '.join(DEMAND_COLUMNS)}, got {demand!r}",
            path=source,
        )
    factor = _number(spec.get("factor", 1.0), f"{where}.factor", source)
    capacity = _number(
        spec.get("capacity_per_site"), f"{where}.capacity_per_site", source, allow_none=True
    )
    exclusion = None
    if spec.get("exclude_near"):
        ex = spec["exclude_near"]
        exclusion = ExclusionRule(
            rule=str(ex.get("rule", "excluded")),
            within_m=_number(ex.get("within_m", 0.0), f"{where}.exclude_near.within_m", source),
            kinds=tuple(str(k) for k in ex.get("kinds") or []),
            osm=tuple(ex.get("osm") or []),
        )
        for k in exclusion.kinds:
            profile.kind(k)
    return SitingSpec(
        kind=kind_id,
        demand=demand,
        factor=float(factor),
        capacity_per_site=capacity,
        exclusion=exclusion,
        candidate_spacing_m=float(
            _number(raw.get("candidate_spacing_m", 100), "siting.candidate_spacing_m", source)
        ),
        pmedian_search_factor=max(
            1.0,
            float(
                _number(raw.get("pmedian_search_factor", 3), "siting.pmedian_search_factor", source)
            ),
        ),
        osm_candidates=tuple(raw.get("osm_candidates") or []),
    )
