"""The profile: walking speeds, demand defaults and facility kinds, read from YAML.

Numbers that drive an audit (speeds, thresholds, household sizes) are policy, not code: they live
in ``shequ/data/profile_default.yaml`` with their source and confidence, and a planner overrides
them with a file of local norms. A user profile is merged onto the default, so it only needs the
values it changes (or the kinds it adds).
"""

from __future__ import annotations

import copy
import re
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any

import yaml

from shequ.errors import InputError

WALKERS = ("general", "elderly")


@dataclass(frozen=True)
class FacilityKind:
    """One kind of facility (托育, 老年助餐点 …) and the rule that says a home is served."""

    id: str
    zh: str
    en: str
    tier: int
    walker: str
    max_walk_min: float
    osm: tuple[dict[str, Any], ...]
    name_regex: str | None
    source: dict[str, Any] = field(default_factory=dict, compare=False)


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
    default_levels: dict[str, float]
    level_height_m: float
    residential_buildings: tuple[str, ...]
    min_footprint_m2: float
    kinds: dict[str, FacilityKind]
    raw: dict[str, Any] = field(compare=False, repr=False)
    source: str = "default"

    def speed(self, kind: FacilityKind | str) -> float:
        """Walking speed (m/s) of the walker the kind is measured for."""
        k = self.kinds[kind] if isinstance(kind, str) else kind
        return self.speeds[k.walker]

    def kind(self, kind_id: str) -> FacilityKind:
        try:
            return self.kinds[kind_id]
        except KeyError:
            known = ", ".join(self.kinds)
            raise InputError(f"unknown facility kind {kind_id!r}; known kinds: {known}") from None


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
        raise InputError("profile file not found", path=path)
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (yaml.YAMLError, UnicodeDecodeError) as exc:
        first = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        raise InputError(f"not a valid YAML profile ({first})", path=path) from exc
    if not isinstance(data, dict):
        raise InputError("a profile must be a YAML mapping", path=path)
    return data


def load_profile(path: str | Path | None = None) -> Profile:
    """The default profile, with the user's file (if any) merged onto it."""
    raw = _read_yaml(default_profile_path())
    source = "default"
    if path is not None:
        raw = _merge(raw, _read_yaml(Path(path)))
        source = str(path)
    return _build(raw, source)


def _value(raw: dict[str, Any], dotted: str, source: str, *, positive: bool = True) -> float:
    node: Any = raw
    for part in dotted.split("."):
        if not isinstance(node, dict) or part not in node:
            raise InputError(f"profile value {dotted!r} is missing", path=source)
        node = node[part]
    if isinstance(node, dict):
        node = node.get("value")
    try:
        number = float(node)
    except (TypeError, ValueError):
        raise InputError(
            f"profile value {dotted!r} must be a number, got {node!r}", path=source
        ) from None
    if positive and not number > 0:
        raise InputError(f"profile value {dotted!r} must be > 0, got {number}", path=source)
    return number


def _kind(kind_id: str, spec: Any, source: str) -> FacilityKind:
    where = f"facilities.{kind_id}"
    if not re.fullmatch(r"[a-z][a-z0-9_]*", kind_id):
        raise InputError(f"kind id {kind_id!r} must be lower_snake_case", path=source)
    if not isinstance(spec, dict):
        raise InputError(f"{where} must be a mapping", path=source)
    walker = spec.get("walker", "general")
    if walker not in WALKERS:
        raise InputError(f"{where}.walker must be one of {WALKERS}, got {walker!r}", path=source)
    osm = spec.get("osm") or []
    if not isinstance(osm, list) or not all(isinstance(alt, dict) for alt in osm):
        raise InputError(f"{where}.osm must be a list of tag mappings", path=source)
    regex = spec.get("name_regex")
    if regex is not None:
        try:
            re.compile(regex)
        except re.error as exc:
            raise InputError(
                f"{where}.name_regex is not a valid regex ({exc})", path=source
            ) from exc
    threshold = _value({"k": spec}, "k.max_walk_min", source)
    return FacilityKind(
        id=kind_id,
        zh=str(spec.get("zh", kind_id)),
        en=str(spec.get("en", kind_id)),
        tier=int(spec.get("tier", 15)),
        walker=walker,
        max_walk_min=threshold,
        osm=tuple(osm),
        name_regex=regex,
        source=spec.get("max_walk_min") if isinstance(spec.get("max_walk_min"), dict) else {},
    )


def _build(raw: dict[str, Any], source: str) -> Profile:
    speeds = {w: _value(raw, f"walking.speed_mps.{w}", source) for w in WALKERS}
    levels = raw.get("demand", {}).get("default_levels", {}).get("by_building", {})
    kinds_raw = raw.get("facilities") or {}
    if not isinstance(kinds_raw, dict) or not kinds_raw:
        raise InputError("the profile defines no facility kinds", path=source)
    tiers = raw.get("walking", {}).get("tiers_min", [5, 10, 15])
    return Profile(
        speeds=speeds,
        max_access_m=_value(raw, "walking.max_access_m", source),
        isochrone_buffer_m=_value(raw, "walking.isochrone_buffer_m", source),
        tiers_min=tuple(float(t) for t in tiers),
        persons_per_household=_value(raw, "demand.persons_per_household", source),
        floor_area_per_household_m2=_value(raw, "demand.floor_area_per_household_m2", source),
        elderly_share=_value(raw, "demand.elderly_share", source, positive=False),
        children_share=_value(raw, "demand.children_share", source, positive=False),
        default_levels={str(k): float(v) for k, v in levels.items()},
        level_height_m=_value(raw, "demand.level_height_m", source),
        residential_buildings=tuple(raw.get("demand", {}).get("residential_buildings", [])),
        min_footprint_m2=_value(raw, "demand.min_footprint_m2", source, positive=False),
        kinds={k: _kind(k, v, source) for k, v in kinds_raw.items()},
        raw=raw,
        source=source,
    )
