"""The profile's schema: every section and key of a shequ profile, its form and its range.

A profile is policy that a planner edits by hand (walking speeds, census shares, grid sizes,
risk settings), so a slip must fail at once, naming the key, before any data is read. Without
a schema an unknown key (``walkng:``) is ignored and the default silently used, and a word where
a number belongs (``tiers_min: fifteen``) ends in a traceback deep inside an analysis.

The models describe the *merged* profile (``shequ/data/profile_default.yaml`` with the user's
file on top), so a key the default has is always there; keys of one facility kind or one
siting entry are optional, with the default the code uses. Every model forbids unknown keys.

A number may be given bare (``elderly_share: 0.2``) or with its source, as the default profile
gives it (``elderly_share: {value: 0.2, confidence: derived, src: "..."}``): see
:class:`Sourced`.

Every check raises a :class:`pydantic_core.PydanticCustomError` of type :data:`VALUE_ERROR`,
whose ``ctx["expected"]`` says the expected form in a planner's words, or, for checks that
compare two keys, of type :data:`KEY_ERROR` with ``ctx["where"]`` (the dotted key) and
``ctx["problem"]``. :mod:`shequ.profile` turns the first error into one line.
"""

from __future__ import annotations

import difflib
import math
import re
import types
from collections.abc import Callable
from itertools import pairwise
from typing import Annotated, Any, Generic, NoReturn, TypeVar, Union, get_args, get_origin

from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    PlainValidator,
    model_validator,
)
from pydantic_core import PydanticCustomError

from shequ.i18n import Note

VALUE_ERROR = "profile_value"
KEY_ERROR = "profile_key"

SCHEMA_VERSION = 1
WALKERS = ("general", "elderly")
# Home columns a siting demand weight can come from (siting.kinds.<kind>.demand).
DEMAND_COLUMNS = ("population", "households", "elderly", "children")
# Labels of shared/docs/standards.md, plus `assumption` (a working default of shequ's own).
CONFIDENCE_LABELS = (
    "verified-from-text",
    "secondary-source",
    "derived",
    "unverified",
    "assumption",
)
# Border classes of street-block edges: the same tuple as shequ.geo.blocks.BORDER_CLASSES (the
# profile is read by geo/, so it cannot import from there; a test checks the two agree).
BORDER_CLASSES = ("none", "minor", "medium", "major", "river", "rail", "edge")
# Key people a grid worker follows (重点人群), as counts per home in a homes file: the same tuple
# as shequ.geo.homes.KEY_PERSONS reads; ``grid.workload_weights`` weighs them into a workload.
KEY_PERSONS = ("elderly_alone", "disabled", "mental_illness", "rented")
# Numeric columns of the hotspot cell table that analyses/risk_index.py can weigh into the risk
# index; each key of risk.osm_features adds one more (a distance column).
RISK_FACTORS = (
    "rate",
    "gi_z",
    "count",
    "kde",
    "households",
    "population",
    "elderly",
    "elderly_share",
    "building_age",
    "charging_gap",
)
CODE_FIELDS = ("admin", "jiedao", "community", "seq")


def _fail(expected: Note) -> NoReturn:
    """Refuse a value: ``expected`` says what the key takes (a catalogue note, ``x.*``)."""
    raise PydanticCustomError(
        VALUE_ERROR, "expected {expected}", {"expected": str(expected), "note": expected}
    )


def _key_error(where: str, problem: Note) -> NoReturn:
    """Refuse a check across keys, naming the key ``where`` it blames."""
    raise PydanticCustomError(
        KEY_ERROR, "{where}: {problem}", {"where": where, "problem": str(problem), "note": problem}
    )


def _finite(value: object) -> float | None:
    """``value`` as a float when it is a real number (not a bool, text, NaN or infinity)."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    try:
        number = float(value)
    except OverflowError:
        return None
    return number if math.isfinite(number) else None


def _number(expected: Note, ok: Callable[[float], bool]) -> Any:
    """A float type whose values pass ``ok``; YAML text such as ``"1.0"`` is not a number."""

    def check(value: object) -> float:
        number = _finite(value)
        if number is None or not ok(number):
            _fail(expected)
        return number

    return Annotated[float, PlainValidator(check)]


def _whole(expected: Note, minimum: int) -> Any:
    """An int type of at least ``minimum``: ``true`` and ``2.7`` are not whole numbers."""

    def check(value: object) -> int:
        if isinstance(value, bool) or not isinstance(value, int) or value < minimum:
            _fail(expected)
        return value

    return Annotated[int, PlainValidator(check)]


def _choice(options: tuple[str, ...]) -> Any:
    def check(value: object) -> str:
        if not isinstance(value, str) or value not in options:
            _fail(Note("x.one_of", options=", ".join(options)))
        return value

    return Annotated[str, PlainValidator(check)]


def _text(value: object) -> str:
    if not isinstance(value, str):
        _fail(Note("x.text"))
    return value


def _snake_id(value: object) -> str:
    if not isinstance(value, str) or not re.fullmatch(r"[a-z][a-z0-9_]*", value):
        _fail(Note("x.snake_id"))
    return value


def _tiers(value: object) -> list[float]:
    minutes = [_finite(t) for t in value] if isinstance(value, list) else []
    increasing = all(a < b for a, b in pairwise(minutes)) if None not in minutes else False
    if not minutes or not increasing or minutes[0] <= 0:
        _fail(Note("x.tiers"))
    return minutes


def _tag_value(value: object) -> object:
    """A tag condition as ``shequ.geo.facilities.matches_tags`` reads it: text (``"*"``: any), a
    number (compared as text) or a list of these. YAML reads an unquoted ``yes``/``no`` as a
    boolean, which would never match the tag's text, so it is refused with a hint."""
    items = value if isinstance(value, list) else [value]
    if not items or any(isinstance(v, bool) or not isinstance(v, str | int | float) for v in items):
        _fail(Note("x.tag_value"))
    return value


def _tag_key(value: object) -> str:
    if not isinstance(value, str) or not value:
        _fail(Note("x.tag_key"))
    return value


def _nonempty_tags(value: dict[str, object]) -> dict[str, object]:
    if not value:  # an empty alternative would match every OSM feature
        _fail(Note("x.tags_nonempty"))
    return value


def _regex(value: object) -> str:
    if not isinstance(value, str):
        _fail(Note("x.regex_text"))
    try:
        re.compile(value)
    except re.error as exc:
        _fail(Note("x.regex_valid", detail=str(exc)))
    return value


def _name_regex(value: object) -> str:
    """A regex over names that must not match every name: an empty pattern (or ``.*``) would
    refuse (or add) every named feature."""
    value = _regex(value)
    if re.search(value, ""):
        _fail(Note("x.regex_not_empty"))
    return value


def _tag_prefix(value: object) -> str:
    if not isinstance(value, str) or not value.endswith(":") or len(value) < 2:
        _fail(Note("x.tag_prefix"))
    return value


def _code_pattern(value: object) -> str:
    try:
        if not isinstance(value, str):
            raise TypeError
        value.format(**dict.fromkeys(CODE_FIELDS, 0))
    except (KeyError, IndexError, ValueError, TypeError):
        fields = ", ".join("{" + f + "}" for f in CODE_FIELDS)
        _fail(Note("x.code_pattern", fields=fields))
    return value


def _building_tag(value: object) -> str:
    """A ``building=*`` value. YAML 1.1 reads an unquoted ``yes:``/``no:`` key as a boolean:
    it means the tag value the user wrote, so True is ``"yes"`` and False is ``"no"``."""
    if isinstance(value, bool):
        return "yes" if value else "no"
    if not isinstance(value, str):
        _fail(Note("x.building_tag"))
    return value


def _flag(value: object) -> bool:
    if not isinstance(value, bool):
        _fail(Note("x.flag"))
    return value


def _schema_version(value: object) -> int:
    if isinstance(value, bool) or value != SCHEMA_VERSION:
        _fail(Note("x.schema_version", version=SCHEMA_VERSION))
    return SCHEMA_VERSION


def _none_if_blank(value: object) -> object:
    return None if value == "" else value


Positive = _number(Note("x.positive"), lambda x: x > 0)
NonNegative = _number(Note("x.non_negative"), lambda x: x >= 0)
Share = _number(Note("x.share"), lambda x: 0 <= x <= 1)
Tolerance = _number(Note("x.tolerance"), lambda x: 0 <= x < 1)
Probability = _number(Note("x.probability"), lambda x: 0 < x <= 1)
Multiple = _number(Note("x.multiple"), lambda x: x >= 1)
Count = _whole(Note("x.count"), 1)
Slices = _whole(Note("x.slices"), 2)
Digits = _whole(Note("x.digits"), 0)
Text = Annotated[str, PlainValidator(_text)]
KindId = Annotated[str, PlainValidator(_snake_id)]
Tiers = Annotated[list[float], PlainValidator(_tiers)]
TagMapping = Annotated[
    dict[Annotated[str, PlainValidator(_tag_key)], Annotated[Any, PlainValidator(_tag_value)]],
    AfterValidator(_nonempty_tags),
]
Regex = Annotated[str, PlainValidator(_regex)]
NameRegex = Annotated[str, PlainValidator(_name_regex)]
TagKey = Annotated[str, PlainValidator(_tag_key)]
TagValues = dict[TagKey, Annotated[Any, PlainValidator(_tag_value)]]
TagPrefix = Annotated[str, PlainValidator(_tag_prefix)]
CodePattern = Annotated[str, PlainValidator(_code_pattern)]
BuildingTag = Annotated[str, PlainValidator(_building_tag)]
Flag = Annotated[bool, PlainValidator(_flag)]
Confidence = _choice(CONFIDENCE_LABELS)
Walker = _choice(WALKERS)
DemandColumn = _choice(DEMAND_COLUMNS)
BorderClass = _choice(BORDER_CLASSES)
KeyPerson = _choice(KEY_PERSONS)
Scheme = Annotated[
    str,
    PlainValidator(lambda v: v if v == "four_level" else _fail(Note("x.scheme"))),
]

V = TypeVar("V")


class _Strict(BaseModel):
    """A mapping of named keys; any other key is a mistake (usually a typo) and an error."""

    model_config = ConfigDict(extra="forbid")


class _Noted(_Strict):
    """A mapping that may say where its numbers come from.

    Attributes
    ----------
    confidence : str, optional
        How far the value was checked: one of :data:`CONFIDENCE_LABELS`.
    src : str, optional
        The source: a standard, a census bulletin, or why shequ chose the value.
    needs_local_confirmation : bool
        True when a planner should replace the value with the local rule.
    """

    confidence: Confidence | None = None
    src: Text | None = None
    needs_local_confirmation: Flag = False


class Sourced(_Noted, Generic[V]):
    """A value with its source: ``{value, confidence, src, needs_local_confirmation}``.

    The default profile gives most numbers this way so that each carries its evidence; a
    planner may give just the number (``elderly_share: 0.2``), which is read as
    ``{value: 0.2}``, as the readers of every section accept both forms.
    """

    value: V

    @model_validator(mode="before")
    @classmethod
    def _bare_value(cls, data: Any) -> Any:
        return data if isinstance(data, dict) else {"value": data}


class SpeedMps(_Strict):
    """Walking speed in m/s of each walker a facility kind can be measured for."""

    general: Sourced[Positive]
    elderly: Sourced[Positive]


class Walking(_Strict):
    """How walk times are measured (生活圈 audit).

    Attributes
    ----------
    speed_mps : SpeedMps
        Speeds (m/s) that turn street metres into minutes.
    max_access_m : Sourced
        A home or facility farther than this (m) from any walkable street is reported, not served.
    isochrone_buffer_m : Sourced
        Street-side buffer (m) that turns reached streets into an isochrone polygon.
    tiers_min : list of float
        Living-circle tiers (minutes) the summary reports, increasing (GB 50180-2018: 5, 10, 15).
    """

    speed_mps: SpeedMps
    max_access_m: Sourced[Positive]
    isochrone_buffer_m: Sourced[Positive]
    tiers_min: Tiers


#: The ``type`` of a name rule that says a building is no dwelling (食堂, 锅炉房 …).
NOT_A_HOME = "not_a_home"


class BuildingType(_Noted):
    """What one kind of residential building holds (``demand.building_types.types.<type>``).

    A type is an OSM ``building=*`` value (``apartments``, ``house``, ``yes`` …) or a type a
    name rule gives (``staff_dormitory``). The demography keys override the census values of
    :class:`Demand` for this type only (student dormitories hold no children and almost no
    elderly); a key left out keeps the census value.

    Attributes
    ----------
    levels : float
        Floors assumed when OSM has no ``building:levels`` or ``height`` (> 0).
    max_households : Sourced, optional
        The most households one building of the type holds (> 0): a house is one or two
        households whatever its footprint; null: no cap.
    persons_per_household, floor_area_per_household_m2 : Sourced, optional
        Household size and floor area (m²) per household of the type (> 0).
    elderly_share, children_share : Sourced, optional
        Shares of residents aged 60+ and 0-14 of the type (0 to 1, together at most 1).
    """

    levels: Positive
    max_households: Sourced[Positive] | None = None
    persons_per_household: Sourced[Positive] | None = None
    floor_area_per_household_m2: Sourced[Positive] | None = None
    elderly_share: Sourced[Share] | None = None
    children_share: Sourced[Share] | None = None


class BuildingTypes(_Noted):
    """Building types: floors, household cap and demography per type (issue 12)."""

    types: dict[BuildingTag, BuildingType]


class NameRule(_Noted):
    """A name that says what a generic building is (学生宿舍 → ``dormitory``).

    Attributes
    ----------
    name_regex : str
        A regular expression matched against the OSM name (simplified and traditional).
    type : str
        A key of ``building_types.types``, or ``not_a_home`` (a canteen inside a compound).
    buildings : list of str
        The ``building=*`` values the rule applies to; a building tagged otherwise keeps its
        tag's type.
    """

    name_regex: NameRegex
    type: BuildingTag
    buildings: list[BuildingTag]


class NameRules(_Noted):
    """Rules on building names, tried in order; the first that matches decides the type."""

    rules: list[NameRule]


class Demand(_Strict):
    """How homes, households and residents are estimated from OSM buildings (census defaults).

    Attributes
    ----------
    persons_per_household, floor_area_per_household_m2, level_height_m : Sourced
        Positive numbers: household size, floor area per household (m²), storey height (m).
    elderly_share, children_share : Sourced
        Shares of residents aged 60+ and 0-14, each from 0 to 1 and together at most 1.
    building_types : BuildingTypes
        Floors, household cap and demography per building type; ``yes`` (always there: the
        default profile has it) serves any residential ``building=*`` value without an entry.
    name_rules : NameRules
        Names that give a generic building its type (or say it is no home).
    large_outline_m2 : Sourced
        A footprint above this (m², > 0) with no storey tag is flagged and noted: its estimate
        rests on a guess multiplied by a large area.
    residential_buildings : list of str
        ``building=*`` values that are homes wherever they stand.
    min_footprint_m2 : Sourced
        Smaller footprints (m², ≥ 0) are sheds or kiosks, not homes.
    """

    persons_per_household: Sourced[Positive]
    floor_area_per_household_m2: Sourced[Positive]
    elderly_share: Sourced[Share]
    children_share: Sourced[Share]
    building_types: BuildingTypes
    name_rules: NameRules
    large_outline_m2: Sourced[Positive]
    level_height_m: Sourced[Positive]
    residential_buildings: list[Text]
    min_footprint_m2: Sourced[NonNegative]

    @model_validator(mode="after")
    def _shares_of_one_population(self) -> Demand:
        total = self.elderly_share.value + self.children_share.value
        if total > 1:  # 60+ and 0-14 are disjoint groups of the same residents
            _key_error("demand.children_share", Note("x.shares_total", total=f"{total:g}"))
        types = self.building_types.types
        for name, spec in types.items():
            elderly = spec.elderly_share or self.elderly_share
            children = spec.children_share or self.children_share
            total = elderly.value + children.value
            if total > 1:
                where = f"demand.building_types.types.{name}"
                _key_error(where, Note("x.shares_total", total=f"{total:g}"))
        known = (*types, NOT_A_HOME)
        for i, rule in enumerate(self.name_rules.rules):
            if rule.type not in known:
                where = f"demand.name_rules.rules[{i}].type"
                _key_error(where, Note("x.building_type", known=", ".join(known)))
        return self


class FacilityKindSpec(_Strict):
    """One facility kind (托育, 老年助餐点 …) and the rule that says a home is served.

    Attributes
    ----------
    zh, en : str, optional
        Names for maps and tables (default: the kind id).
    tier : int
        The living-circle tier (minutes) the kind belongs to; default 15.
    walker : {"general", "elderly"}
        Whose walking speed measures the kind; default general.
    max_walk_min : Sourced
        Minutes within which a home counts as served (> 0).
    osm : list of mapping, optional
        Alternatives of OSM tag conditions; a feature matching all conditions of one is the kind.
    name_regex : str, optional
        A regular expression matched against OSM names; it adds a feature the tags did not,
        unless the feature's primary tags contradict the kind (see :class:`FacilityMatching`).
    name_allows : mapping, optional
        Primary tag values (key -> value or list) that a name match may carry besides the
        values of the kind's own ``osm`` conditions (a 幼儿园 mapped as ``amenity=school``).
        Each key must be one of ``facility_matching.primary_keys``.
    """

    zh: Text | None = None
    en: Text | None = None
    tier: Count = 15
    walker: Walker = "general"
    max_walk_min: Sourced[Positive]
    osm: list[TagMapping] | None = None
    name_regex: NameRegex | None = None
    name_allows: TagValues | None = None


class PrimaryKeys(_Noted):
    """OSM keys that say what a feature is (``amenity``, ``shop``, ``landuse`` …)."""

    values: list[TagKey]


class NeutralTags(_Noted):
    """Primary tag values (key -> value or list) that never contradict a kind."""

    values: TagValues


class ExcludeTags(_Noted):
    """Tag alternatives that make a feature no facility of any kind (a car park, a site)."""

    values: list[TagMapping]


class ExcludePrefixes(_Noted):
    """Lifecycle prefixes (``disused:``): a feature with a key starting so is no facility."""

    values: list[TagPrefix]


class FacilityMatching(_Strict):
    """How OSM features become facilities: what a name may not override, what is never a
    facility, and when two features are one place (issue 12).

    Attributes
    ----------
    primary_keys : PrimaryKeys
        On a name match, each of these keys the feature has must hold a value the kind allows.
    neutral_tags : NeutralTags
        Primary tag values allowed for every kind (the land use of a compound).
    exclude_tags : ExcludeTags
        Tag alternatives of features that are never facilities (parking, construction, planned,
        disused), whether the tags or the name matched.
    exclude_tag_prefixes : ExcludePrefixes
        Key prefixes (``disused:``, ``abandoned:`` …) of features that are never facilities.
    exclude_name_regex : Sourced
        Names that are never facilities (停车场, 拟建, 旧址 …); null: no name is refused.
    exclude_name_only_regex : Sourced
        Names that refuse a feature matched by its name alone (规划, 原…, 宿舍 …): a school
        tagged ``amenity=school`` named 市规划局机关幼儿园 is a kindergarten, an untagged
        石鼓路小学宿舍 is not a school; null: none.
    merge_within_m : Sourced
        Two features of one kind and the same name closer than this (m, ≥ 0) are one place.
    """

    primary_keys: PrimaryKeys
    neutral_tags: NeutralTags
    exclude_tags: ExcludeTags
    exclude_tag_prefixes: ExcludePrefixes
    exclude_name_regex: Sourced[NameRegex | None]
    exclude_name_only_regex: Sourced[NameRegex | None]
    merge_within_m: Sourced[NonNegative]

    @model_validator(mode="after")
    def _neutral_keys_are_primary(self) -> FacilityMatching:
        _check_primary(
            self.neutral_tags.values, self.primary_keys.values, "facility_matching.neutral_tags"
        )
        return self


def _check_primary(tags: dict[str, Any], primary: list[str], where: str) -> None:
    """A key of ``tags`` that is not a primary key would never be looked at: refuse it."""
    for key in tags:
        if key not in primary:
            _key_error(f"{where}.{key}", Note("x.not_primary_key", known=", ".join(primary)))


class ExcludeNear(_Strict):
    """Candidates within ``within_m`` (≥ 0) of these OSM features or facility kinds are out."""

    within_m: Sourced[NonNegative] = Sourced[NonNegative](value=0.0)
    rule: Text = "excluded"
    kinds: list[KindId] | None = None
    osm: list[TagMapping] | None = None


class SitingKind(_Strict):
    """Siting settings of one kind: what its demand is, how much one site holds, exclusions.

    Attributes
    ----------
    demand : str
        The home column the demand weight comes from (:data:`DEMAND_COLUMNS`).
    factor : Sourced
        Weight = column × factor (≥ 0), e.g. 0.05 charging ports per household.
    capacity_per_site : Sourced, optional
        What one site holds (≥ 0, in weight units); null: the site files must give it.
    exclude_near : ExcludeNear, optional
        Features a candidate must keep away from; null or absent: none.
    """

    demand: DemandColumn = "population"
    factor: Sourced[NonNegative] = Sourced[NonNegative](value=1.0)
    capacity_per_site: Sourced[NonNegative | None] | None = None
    exclude_near: ExcludeNear | None = None


class Siting(_Strict):
    """Facility siting (``shequ site``): candidates and per-kind demand.

    Attributes
    ----------
    candidate_spacing_m : Sourced
        Metres (> 0) between street candidates (``--street-candidates``).
    pmedian_search_factor : Sourced
        p-median assigns homes to sites within this multiple (≥ 1) of the walk threshold.
    osm_candidates : list of mapping, optional
        OSM features that could host a new facility.
    kinds : dict
        Settings per facility kind, plus ``default`` for kinds without their own entry; null
        entries fall back to ``default``.
    """

    candidate_spacing_m: Sourced[Positive]
    pmedian_search_factor: Sourced[Multiple]
    osm_candidates: list[TagMapping] | None
    kinds: dict[KindId, SitingKind | None]


class ZonesCrossedBy(_Noted):
    """Border classes that make a ``landuse=residential`` polygon a zone, not one compound."""

    values: list[BorderClass]


class BorderCost(_Noted):
    """Cost per metre (≥ 0) of a border class left inside one grid."""

    values: dict[BorderClass, NonNegative]


class WorkloadWeights(_Noted):
    """Households-equivalents (≥ 0) of one key person a grid worker follows
    (:data:`KEY_PERSONS`): workload = households + Σ weight × count."""

    values: dict[KeyPerson, NonNegative]


class GridCode(_Noted):
    """Grid code: ``pattern`` formats ``admin``, ``jiedao``, ``community`` and ``seq``."""

    pattern: CodePattern
    admin: Digits
    jiedao: Digits


class Grid(_Strict):
    """Management grids (网格, ``shequ grids``).

    Attributes
    ----------
    households_per_grid : Sourced
        Target households per grid (> 0).
    tolerance : Sourced
        Allowed deviation from the target, a share from 0 to below 1 (as ``--tolerance``).
    split_block_above_share, building_group_share : Sourced
        Shares (0 to 1) of the target: pieces above the first are divided along paths; building
        groups hold at most the second (0: the first).
    zones_crossed_by, border_cost, workload_weights, code : mapping
        See :class:`ZonesCrossedBy`, :class:`BorderCost`, :class:`WorkloadWeights`,
        :class:`GridCode`.
    """

    households_per_grid: Sourced[Positive]
    tolerance: Sourced[Tolerance]
    split_block_above_share: Sourced[Share]
    building_group_share: Sourced[Share]
    zones_crossed_by: ZonesCrossedBy
    border_cost: BorderCost
    workload_weights: WorkloadWeights
    code: GridCode


class FactorWeights(_Noted):
    """Weight (≥ 0) of each factor in the composite risk index (0: left out)."""

    values: dict[Text, NonNegative]


class TopShare(_Strict):
    """Shares of cells (0 to 1, together at most 1) given red, orange and yellow."""

    red: Share
    orange: Share
    yellow: Share

    @model_validator(mode="after")
    def _at_most_all_cells(self) -> TopShare:
        if self.red + self.orange + self.yellow > 1:
            _fail(Note("x.top_share"))
        return self


LevelRuleName = Annotated[
    str,
    PlainValidator(lambda v: v if v in ("significance", "quota") else _fail(Note("x.level_rule"))),
]
TestedBy = Annotated[
    str,
    PlainValidator(lambda v: v if v in ("per_cell", "fdr") else _fail(Note("x.tested_by"))),
]
SliceRule = Annotated[
    str,
    PlainValidator(lambda v: v if v in ("auto", "fixed") else _fail(Note("x.slice_rule"))),
]


class RiskLevels(_Noted):
    """Warning levels: the national four-level scheme (``--three-colour`` folds it).

    Attributes
    ----------
    scheme : str
        ``four_level``.
    rule : str
        ``significance`` (Gi* bin and index together) or ``quota`` (``top_share`` of cells);
        see :mod:`shequ.analyses.risk_index`.
    tested_by : str
        The significance rule's Gi* bins: ``per_cell`` or ``fdr``.
    index_top_share : Share
        The share of cells that is "the top of the index" for the significance rule.
    top_share : TopShare
        The quota rule's shares of cells per level.
    """

    scheme: Scheme
    rule: LevelRuleName = "significance"
    tested_by: TestedBy = "per_cell"
    index_top_share: Share = 0.10
    top_share: TopShare


class TrendSlices(_Noted):
    """How many time slices the Mann-Kendall trend uses (see
    :func:`shequ.analyses.hotspot_trends.choose_slices`).

    Attributes
    ----------
    rule : str
        ``auto`` (as many as the span and incidents support) or ``fixed`` (``time_slices``).
    min_slices : int
        The fewest slices a calendar unit must give (≥ 2).
    max_slices : int
        The most slices before a slice takes several units (≥ 2, at least ``min_slices``).
    min_incidents_per_slice : int
        The fewest incidents per slice on average (≥ 1).
    """

    rule: SliceRule = "auto"
    min_slices: Slices = 8
    max_slices: Slices = 12
    min_incidents_per_slice: Count = 30

    @model_validator(mode="after")
    def _max_not_below_min(self) -> TrendSlices:
        if self.max_slices < self.min_slices:
            _key_error("risk.trend_slices.max_slices", Note("x.max_slices", least=self.min_slices))
        return self


class Risk(_Strict):
    """Risk hotspots (``shequ hotspots``): statistics settings, factors and warning levels.

    Attributes
    ----------
    min_incidents, weights_rings, permutations : Sourced
        Whole numbers ≥ 1: fewest incidents analysed, H3 neighbour rings, permutations.
    weights_distance_m : Sourced, optional
        A distance band (m, > 0) between cell centres instead of rings; null: rings.
    fdr_alpha : Sourced
        False-discovery-rate level, above 0 and at most 1.
    time_slices : Sourced
        Equal time slices (≥ 2) of the Mann-Kendall trend when ``trend_slices.rule`` is
        ``fixed``.
    trend_slices : TrendSlices
        How many time slices the trend uses.
    factor_weights : FactorWeights
        Weights of :data:`RISK_FACTORS` and of the ``osm_features`` distance columns.
    levels : RiskLevels
        Warning levels and the share of cells per level.
    osm_features : dict
        Distance factors: column name -> OSM tag alternatives of the features measured to.
    distance_cap_m : Sourced
        Metres (> 0) at which every distance factor saturates.
    """

    min_incidents: Sourced[Count]
    weights_rings: Sourced[Count]
    weights_distance_m: Annotated[Sourced[Positive] | None, BeforeValidator(_none_if_blank)]
    permutations: Sourced[Count]
    fdr_alpha: Sourced[Probability]
    time_slices: Sourced[Slices]
    trend_slices: TrendSlices = TrendSlices()
    factor_weights: FactorWeights
    levels: RiskLevels
    osm_features: dict[KindId, list[TagMapping]]
    distance_cap_m: Sourced[Positive]

    @model_validator(mode="after")
    def _known_factors(self) -> Risk:
        known = (*RISK_FACTORS, *self.osm_features)
        for name in self.factor_weights.values:
            if name not in known:  # analyses/risk_index.py would skip it silently
                _key_error(
                    f"risk.factor_weights.values.{name}",
                    Note("x.risk_factor", known=", ".join(known)),
                )
        return self


class Completeness(_Strict):
    """Data completeness checks of ``shequ access`` (issue 12): what the OSM data probably lacks.

    Attributes
    ----------
    households_per_ha : Sourced
        Households (> 0) residential land with no building mapped inside would hold, per ha.
    min_households_per_km2 : Sourced
        Households per km² of built residential land (> 0) below which buildings or storeys are
        probably missing.
    min_levels_tagged_share : Sourced
        Share (0 to 1) of residential buildings with ``building:levels``/``height`` below which
        the run notes that household estimates rest on the default storeys.
    """

    households_per_ha: Sourced[Positive]
    min_households_per_km2: Sourced[Positive]
    min_levels_tagged_share: Sourced[Share]


class PoiCategories(_Noted):
    """Amap/Baidu POI categories of each facility kind, and categories that are none.

    Attributes
    ----------
    kinds : dict
        Kind id → categories (path segments such as 幼儿园, 诊所) of that kind.
    exclude : list of str
        Categories that are no facility of any kind (动物医疗场所, 培训机构 …).
    """

    kinds: dict[KindId, list[Text]]
    exclude: list[Text]


class ProfileSchema(_Strict):
    """A whole merged profile (``profile_default.yaml`` with the user's file on top)."""

    schema_version: Annotated[int, PlainValidator(_schema_version)]
    walking: Walking
    demand: Demand
    facilities: dict[KindId, FacilityKindSpec]
    facility_matching: FacilityMatching
    poi_categories: PoiCategories
    siting: Siting
    grid: Grid
    risk: Risk
    completeness: Completeness

    @model_validator(mode="after")
    def _kinds_exist(self) -> ProfileSchema:
        known = tuple(self.facilities)
        for name in self.poi_categories.kinds:
            if name not in known:
                _unknown_kind(f"poi_categories.kinds.{name}", name, known)
        primary = self.facility_matching.primary_keys.values
        for kind_id, kind in self.facilities.items():
            allows = kind.name_allows or {}
            _check_primary(allows, primary, f"facilities.{kind_id}.name_allows")
        for kind_id, spec in self.siting.kinds.items():
            where = f"siting.kinds.{kind_id}"
            if kind_id != "default" and kind_id not in known:
                _unknown_kind(where, kind_id, (*known, "default"))
            rule = spec.exclude_near if spec is not None else None
            for i, other in enumerate((rule.kinds if rule is not None else None) or []):
                if other not in known:
                    _unknown_kind(f"{where}.exclude_near.kinds[{i}]", other, known)
        return self


def _unknown_kind(where: str, name: str, known: tuple[str, ...]) -> NoReturn:
    close = difflib.get_close_matches(name, known, n=1)
    what = "" if where.endswith("." + name) else f" {name!r}"
    key = "x.unknown_kind_hint" if close else "x.unknown_kind"
    hint = {"close": close[0]} if close else {}
    _key_error(where, Note(key, what=what, known=", ".join(known), **hint))


def validate_profile(raw: dict[str, Any]) -> ProfileSchema:
    """Check a merged profile against the schema.

    Parameters
    ----------
    raw : dict
        The merged YAML mapping.

    Returns
    -------
    ProfileSchema
        The checked values (numbers as floats or ints, bare and sourced forms alike).

    Raises
    ------
    pydantic.ValidationError
        With one error per bad key; see the module docstring for the error types.
    """
    return ProfileSchema.model_validate(raw)


def _unwrap(tp: Any) -> Any:
    """The model, dict or list inside ``Annotated[...]`` and ``X | None``."""
    while True:
        origin = get_origin(tp)
        if origin is Annotated:
            tp = get_args(tp)[0]
        elif origin in (Union, types.UnionType):
            tp = next(a for a in get_args(tp) if a is not type(None))
        else:
            return tp


def schema_keys(loc: tuple[str | int, ...]) -> tuple[str, ...]:
    """The keys the schema allows in the mapping at ``loc``.

    Parameters
    ----------
    loc : tuple
        A path of keys and list positions from the top of the profile, as in a pydantic
        error's ``loc``.

    Returns
    -------
    tuple of str
        The allowed keys, in schema order; empty when ``loc`` is not a mapping of named keys
        (a dict of kinds, a list, a value).
    """
    tp: Any = ProfileSchema
    for part in loc:
        if part == "[key]":  # pydantic marks an error in a dict key so
            continue
        tp = _unwrap(tp)
        if isinstance(tp, type) and issubclass(tp, BaseModel):
            field = tp.model_fields.get(str(part))
            if field is None:
                return ()
            tp = field.annotation
        elif get_origin(tp) in (dict, list):
            tp = get_args(tp)[-1]
        else:
            return ()
    tp = _unwrap(tp)
    if not (isinstance(tp, type) and issubclass(tp, BaseModel)):
        return ()
    notes = tuple(_Noted.model_fields)  # source notes last: the keys that matter come first
    own = tuple(k for k in tp.model_fields if k not in notes)
    return own + tuple(k for k in tp.model_fields if k in notes)
