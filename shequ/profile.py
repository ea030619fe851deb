"""The profile: walking speeds, demand defaults and facility kinds, read from YAML.

Numbers that drive an audit (speeds, thresholds, household sizes) are policy, not code: they live
in ``shequ/data/profile_default.yaml`` with their source and confidence, and a planner overrides
them with a file of local norms. A user profile is merged onto the default, so it only needs the
values it changes (or the kinds it adds). The merged profile is checked against the schema of
:mod:`shequ.profile_schema` before anything else runs; the first problem becomes one
:class:`~shequ.errors.InputError` that names the key.
"""

from __future__ import annotations

import copy
import difflib
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any

import yaml
from pydantic import ValidationError

from shequ.errors import InputError
from shequ.i18n import Note
from shequ.profile_schema import (
    KEY_ERROR,
    NOT_A_HOME,
    VALUE_ERROR,
    WALKERS,
    FacilityKindSpec,
    ProfileSchema,
    Siting,
    schema_keys,
    validate_profile,
)
from shequ.profile_schema import BuildingType as BuildingTypeSpec
from shequ.profile_schema import Demand as DemandSpec
from shequ.profile_schema import FacilityMatching as FacilityMatchingSpec
from shequ.settings import CompletenessSettings, GridSettings, PoiCategoryTable, RiskSettings


@dataclass(frozen=True)
class BuildingType:
    """What one building type holds (``demand.building_types``), census values filled in.

    Attributes
    ----------
    levels : float
        Floors when OSM has no ``building:levels``/``height``.
    max_households : float or None
        The most households one building of the type holds (a house: 2); None: no cap.
    persons_per_household, floor_area_per_household_m2 : float
        Household size and floor area (m²) per household.
    elderly_share, children_share : float
        Shares of residents aged 60+ and 0-14.
    """

    levels: float
    max_households: float | None
    persons_per_household: float
    floor_area_per_household_m2: float
    elderly_share: float
    children_share: float


@dataclass(frozen=True)
class NameRule:
    """A building name that decides the type of a generic building (学生宿舍 → dormitory).

    ``type`` None: the name says the building is no dwelling (食堂, 锅炉房); ``buildings``: the
    ``building=*`` values the rule applies to.
    """

    pattern: str
    type: str | None
    buildings: tuple[str, ...]


@dataclass(frozen=True)
class FacilityMatching:
    """How OSM features become facilities, for every kind of a profile (``facility_matching``).

    Tags decide a kind; a name only adds a feature whose primary tags do not contradict it, and
    nothing tagged or named as a car park, a building site, a planned, former or closed place
    is a facility (issue 12: 原幼儿园停车场 and 0803-633规划幼儿园 counted as kindergartens).

    Attributes
    ----------
    primary_keys : tuple of str
        Keys that say what a feature is; on a name match each must hold a value the kind allows.
    neutral_tags : dict
        Primary tag values (key -> value or list) allowed for every kind.
    exclude_tags : tuple of dict
        Tag alternatives of features that are never facilities.
    exclude_tag_prefixes : tuple of str
        Lifecycle key prefixes (``disused:`` …) of features that are never facilities.
    exclude_name_regex : str or None
        Names of features that are never facilities.
    exclude_name_only_regex : str or None
        Names that refuse a feature only when its name, not its tags, made it of the kind.
    merge_within_m : float
        Two features of one kind and the same name closer than this (m) are one place.
    """

    primary_keys: tuple[str, ...] = ()
    neutral_tags: dict[str, Any] = field(default_factory=dict)
    exclude_tags: tuple[dict[str, Any], ...] = ()
    exclude_tag_prefixes: tuple[str, ...] = ()
    exclude_name_regex: str | None = None
    exclude_name_only_regex: str | None = None
    merge_within_m: float = 0.0


@dataclass(frozen=True)
class FacilityKind:
    """One kind of facility (托育, 老年助餐点 …): the rule that says a feature is one, and the
    rule that says a home is served.

    ``name_allows`` holds the primary tag values a name match may carry besides those of
    ``osm``; ``matching`` the profile's rules shared by all kinds (None: tags and name alone,
    nothing excluded, nothing merged), kept on the kind so that every reader of OSM
    facilities applies them.
    """

    id: str
    zh: str
    en: str
    tier: int
    walker: str
    max_walk_min: float
    osm: tuple[dict[str, Any], ...]
    name_regex: str | None
    source: dict[str, Any] = field(default_factory=dict, compare=False)
    name_allows: dict[str, Any] = field(default_factory=dict)
    matching: FacilityMatching | None = field(default=None, compare=False, repr=False)


@dataclass(frozen=True)
class Profile:
    """Validated profile values; ``raw`` keeps the merged YAML (sources and confidence)."""

    speeds: dict[str, float]
    max_access_m: float
    isochrone_buffer_m: float
    tiers_min: tuple[float, ...]
    persons_per_household: float
    floor_area_per_household_m2: float
    elderly_share: float
    children_share: float
    building_types: dict[str, BuildingType]
    name_rules: tuple[NameRule, ...]
    large_outline_m2: float
    level_height_m: float
    residential_buildings: tuple[str, ...]
    min_footprint_m2: float
    kinds: dict[str, FacilityKind]
    facility_matching: FacilityMatching
    poi_categories: PoiCategoryTable
    grid: GridSettings
    risk: RiskSettings
    completeness: CompletenessSettings
    siting: Siting = field(compare=False, repr=False)  # the checked section, typed
    raw: dict[str, Any] = field(compare=False, repr=False)
    source: str = "default"

    def building_type(self, name: str) -> BuildingType:
        """The type ``name``, or ``yes`` (any residential building) when it has no entry."""
        return self.building_types.get(name) or self.building_types["yes"]

    def speed(self, kind: FacilityKind | str) -> float:
        """Walking speed (m/s) of the walker the kind is measured for."""
        k = self.kinds[kind] if isinstance(kind, str) else kind
        return self.speeds[k.walker]

    def kind(self, kind_id: str) -> FacilityKind:
        try:
            return self.kinds[kind_id]
        except KeyError:
            known = ", ".join(self.kinds)
            raise InputError(Note("p.unknown_kind", kind=repr(kind_id), known=known)) from None


def default_profile_path() -> Path:
    return Path(str(resources.files("shequ.data").joinpath("profile_default.yaml")))


def _merge(base: dict[str, Any], over: dict[str, Any]) -> dict[str, Any]:
    out = copy.deepcopy(base)
    for key, value in over.items():
        if isinstance(value, dict) and isinstance(out.get(key), dict):
            out[key] = _merge(out[key], value)
        else:
            out[key] = copy.deepcopy(value)
    return out


def _read_yaml(path: Path) -> dict[str, Any]:
    if not path.exists():
        raise InputError(Note("p.not_found"), path=path)
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (yaml.YAMLError, UnicodeDecodeError) as exc:
        first = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        raise InputError(Note("p.not_yaml", detail=first), path=path) from exc
    if not isinstance(data, dict):
        sections = ", ".join(k for k in schema_keys(()) if k != "schema_version")
        if data is None:
            raise InputError(Note("p.empty", sections=sections), path=path)
        got = f"{type(data).__name__} {_show(data)}"
        raise InputError(Note("p.not_mapping", sections=sections, got=got), path=path)
    return data


def load_profile(path: str | Path | None = None) -> Profile:
    """The default profile, with the user's file (if any) merged onto it, checked.

    Parameters
    ----------
    path : str or Path, optional
        A YAML file of local norms; only the values it changes are needed.

    Returns
    -------
    Profile
        The checked values; ``raw`` keeps the merged YAML with sources and confidence.

    Raises
    ------
    InputError
        When a file is missing or not YAML, or the merged profile breaks the schema: one
        line naming the dotted key. The default profile always passes, so a bad key comes
        from the user's file, whose path the error carries.
    """
    raw = _read_yaml(default_profile_path())
    source = "default"
    blame: str | Path = default_profile_path()
    if path is not None:
        raw = _merge(raw, _read_yaml(Path(path)))
        source = blame = str(path)
    try:
        schema = validate_profile(raw)
    except ValidationError as exc:
        raise _schema_error(exc, raw, blame) from None
    return _build(raw, schema, source)


def _schema_error(exc: ValidationError, raw: dict[str, Any], path: str | Path) -> InputError:
    """The first schema error as one line a planner can act on (and how many more there are)."""
    errors = exc.errors(include_url=False)
    message = _describe(errors[0], raw)
    if len(errors) > 1:
        message = Note("p.and_more", message=message, n=len(errors) - 1)
    return InputError(message, path=path)


def _describe(error: Any, raw: dict[str, Any]) -> Note:
    """One pydantic error as a catalogue note naming the dotted key the user wrote."""
    kind, loc, ctx = error["type"], error["loc"], error.get("ctx") or {}
    if kind == KEY_ERROR:  # a check across keys names its own key
        return Note("p.key_problem", where=ctx["where"], problem=ctx["note"])
    where = _dotted(loc, raw) or "profile"
    if kind == "extra_forbidden":
        known = schema_keys(loc[:-1])
        close = difflib.get_close_matches(str(loc[-1]), known, n=1)
        if close:
            return Note("p.unknown_key_hint", where=where, close=close[0], known=", ".join(known))
        return Note("p.unknown_key", where=where, known=", ".join(known))
    if kind == "missing":
        return Note("p.missing", where=where)
    if kind == VALUE_ERROR:
        expected = ctx["note"]
    elif kind in ("model_type", "model_attributes_type", "dict_type"):
        keys = schema_keys(loc)
        expected = Note("x.mapping_with", keys=", ".join(keys)) if keys else Note("x.mapping")
    elif kind == "list_type":
        expected = Note("x.list")
    else:  # not raised by the schema's own checks; pydantic's words (quoted in Chinese)
        expected = Note("x.pydantic", detail=str(error["msg"]).removeprefix("Input should be "))
    return Note("p.expected", where=where, expected=expected, got=_show(error["input"]))


def _dotted(loc: tuple[Any, ...], raw: dict[str, Any]) -> str:
    """``loc`` as the dotted key the user wrote (``facilities.canteen.osm[1].amenity``).

    A bare number is checked as ``{value: number}`` and a bad dict key is marked ``[key]``;
    neither part is in the user's YAML, so the path follows the YAML and stops where it does.
    """
    parts: list[str] = []
    node: Any = raw
    for part in loc:
        if part == "[key]":
            continue
        if isinstance(node, dict):
            parts.append(str(part))
            node = node.get(part)
        elif isinstance(node, list) and isinstance(part, int) and parts:
            parts[-1] += f"[{part}]"
            node = node[part] if part < len(node) else None
        else:
            break
    return ".".join(parts)


def _show(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


def _matching(spec: FacilityMatchingSpec) -> FacilityMatching:
    return FacilityMatching(
        primary_keys=tuple(spec.primary_keys.values),
        neutral_tags=dict(spec.neutral_tags.values),
        exclude_tags=tuple(spec.exclude_tags.values),
        exclude_tag_prefixes=tuple(spec.exclude_tag_prefixes.values),
        exclude_name_regex=spec.exclude_name_regex.value,
        exclude_name_only_regex=spec.exclude_name_only_regex.value,
        merge_within_m=spec.merge_within_m.value,
    )


def _kind(
    kind_id: str, spec: FacilityKindSpec, raw_spec: dict[str, Any], matching: FacilityMatching
) -> FacilityKind:
    threshold = raw_spec.get("max_walk_min")
    return FacilityKind(
        id=kind_id,
        zh=kind_id if spec.zh is None else spec.zh,
        en=kind_id if spec.en is None else spec.en,
        tier=spec.tier,
        walker=spec.walker,
        max_walk_min=spec.max_walk_min.value,
        osm=tuple(spec.osm or []),
        name_regex=spec.name_regex,
        source=threshold if isinstance(threshold, dict) else {},
        name_allows=dict(spec.name_allows or {}),
        matching=matching,
    )


def _building_type(spec: BuildingTypeSpec, census: DemandSpec) -> BuildingType:
    """A type with the census value wherever it gives none of its own."""

    def value(name: str) -> float:
        own = getattr(spec, name)
        return (own if own is not None else getattr(census, name)).value

    cap = spec.max_households
    return BuildingType(
        levels=spec.levels,
        max_households=None if cap is None else cap.value,
        persons_per_household=value("persons_per_household"),
        floor_area_per_household_m2=value("floor_area_per_household_m2"),
        elderly_share=value("elderly_share"),
        children_share=value("children_share"),
    )


def _build(raw: dict[str, Any], schema: ProfileSchema, source: str) -> Profile:
    walking, demand = schema.walking, schema.demand
    matching = _matching(schema.facility_matching)
    return Profile(
        speeds={w: getattr(walking.speed_mps, w).value for w in WALKERS},
        max_access_m=walking.max_access_m.value,
        isochrone_buffer_m=walking.isochrone_buffer_m.value,
        tiers_min=tuple(walking.tiers_min),
        persons_per_household=demand.persons_per_household.value,
        floor_area_per_household_m2=demand.floor_area_per_household_m2.value,
        elderly_share=demand.elderly_share.value,
        children_share=demand.children_share.value,
        building_types={
            name: _building_type(spec, demand) for name, spec in demand.building_types.types.items()
        },
        name_rules=tuple(
            NameRule(
                pattern=rule.name_regex,
                type=None if rule.type == NOT_A_HOME else rule.type,
                buildings=tuple(rule.buildings),
            )
            for rule in demand.name_rules.rules
        ),
        large_outline_m2=demand.large_outline_m2.value,
        level_height_m=demand.level_height_m.value,
        residential_buildings=tuple(demand.residential_buildings),
        min_footprint_m2=demand.min_footprint_m2.value,
        kinds={
            k: _kind(k, spec, raw["facilities"][k], matching)
            for k, spec in schema.facilities.items()
        },
        facility_matching=matching,
        poi_categories=PoiCategoryTable.from_schema(schema.poi_categories),
        grid=GridSettings.from_schema(schema.grid),
        risk=RiskSettings.from_schema(schema.risk),
        completeness=CompletenessSettings.from_schema(schema.completeness),
        siting=schema.siting,
        raw=raw,
        source=source,
    )
