"""The siting part of the profile: a kind's demand weight, site capacity and exclusion rule.

Like walk thresholds, these are local policy (1 port per 20 households, 4.5 childcare places per
1,000 residents, "must not adjoin a nursery"), so they live in the profile's ``siting`` section
with their sources, and a planner overrides them with local rules. ``load_profile`` has already
checked the section against :mod:`shequ.profile_schema` (forms, ranges, known kinds) and keeps it
typed as ``Profile.siting``, so this module only picks a kind's entry and unwraps its values.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, TypeVar

from pydantic import BaseModel

from shequ.profile import Profile
from shequ.profile_schema import DEMAND_COLUMNS as DEMAND_COLUMNS  # home columns a weight uses
from shequ.profile_schema import SitingKind

M = TypeVar("M", bound=BaseModel)


@dataclass(frozen=True)
class ExclusionRule:
    """Candidates within ``within_m`` of these features (OSM tags or facility kinds) are out.

    Attributes
    ----------
    rule : str
        The rule's wording from the profile (e.g. "must not adjoin nurseries …"), quoted in
        each excluded candidate's reason.
    within_m : float
        Distance in metres from a feature's footprint.
    kinds : tuple of str
        Facility kinds whose sites count as features.
    osm : tuple of dict
        OSM tag conditions of further features.
    """

    rule: str
    within_m: float
    kinds: tuple[str, ...]
    osm: tuple[dict[str, Any], ...]


@dataclass(frozen=True)
class SitingSpec:
    """The siting settings of one facility kind (:func:`siting_spec`).

    Attributes
    ----------
    kind : str
        The facility kind.
    demand : str
        The home column the demand weight comes from (``population``, ``elderly`` …).
    factor : float
        Weight = column × factor (e.g. 0.05 charging ports per household).
    capacity_per_site : float or None
        A site's capacity in weight units; None: it must come from the site files.
    exclusion : ExclusionRule or None
        Where candidates may not go.
    candidate_spacing_m : float
        Default spacing of street candidates.
    pmedian_search_factor : float
        p-median assigns homes within this multiple of the kind's walk threshold.
    osm_candidates : tuple of dict
        OSM tag conditions of features that could host a new site.
    """

    kind: str
    demand: str  # home column the weight comes from
    factor: float  # weight = column × factor (e.g. 0.05 ports per household)
    capacity_per_site: float | None  # in weight units; None = must come from the site files
    exclusion: ExclusionRule | None
    candidate_spacing_m: float
    pmedian_search_factor: float
    osm_candidates: tuple[dict[str, Any], ...]


def _given(entry: M | None) -> M | None:
    """``entry`` unless it is absent or an empty mapping (``{}``: fall back, as if absent)."""
    return entry if entry is not None and entry.model_fields_set else None


def siting_spec(profile: Profile, kind_id: str) -> SitingSpec:
    """The siting settings of ``kind_id`` (the profile's ``default`` entry when it has none).

    Parameters
    ----------
    profile : Profile
        A profile from :func:`shequ.profile.load_profile` (its ``siting`` section is checked).
    kind_id : str
        The facility kind to site.

    Returns
    -------
    SitingSpec
        Demand column and factor, capacity, exclusion rule and candidate settings.

    Raises
    ------
    InputError
        When ``kind_id`` is not a facility kind of the profile.
    """
    profile.kind(kind_id)  # unknown kinds fail here with the list of known ones
    section = profile.siting
    spec = _given(section.kinds.get(kind_id)) or _given(section.kinds.get("default"))
    spec = spec or SitingKind()
    capacity = spec.capacity_per_site.value if spec.capacity_per_site is not None else None
    rule = _given(spec.exclude_near)
    exclusion = None
    if rule is not None:
        exclusion = ExclusionRule(
            rule=rule.rule,
            within_m=float(rule.within_m.value),
            kinds=tuple(rule.kinds or ()),
            osm=tuple(rule.osm or ()),
        )
    return SitingSpec(
        kind=kind_id,
        demand=spec.demand,
        factor=float(spec.factor.value),
        capacity_per_site=None if capacity is None else float(capacity),
        exclusion=exclusion,
        candidate_spacing_m=float(section.candidate_spacing_m.value),
        pmedian_search_factor=float(section.pmedian_search_factor.value),  # ≥ 1 by the schema
        osm_candidates=tuple(section.osm_candidates or ()),
    )
