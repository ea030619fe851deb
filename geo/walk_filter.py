"""Which OSM ways a pedestrian may use.

Written out here rather than taken from osmnx's ``network_type="walk"`` Overpass filter because
shequ reads local files: the rule must apply to tags already in memory, and it must be explicit
about Chinese street practice (sidewalks mapped on the carriageway, ``footway=sidewalk`` and
``footway=crossing`` ways, compound service roads).
"""

from __future__ import annotations

WALKABLE_HIGHWAYS = frozenset(
    {
        "footway",
        "path",
        "steps",
        "pedestrian",
        "living_street",
        "residential",
        "service",
        "unclassified",
        "road",
        "track",
        "corridor",
        "cycleway",
        "bridleway",
        "elevator",
        "tertiary",
        "tertiary_link",
        "secondary",
        "secondary_link",
        "primary",
        "primary_link",
    }
)
# Walkable only when a tag says so (sidewalk or explicit foot access).
CONDITIONAL_HIGHWAYS = frozenset({"trunk", "trunk_link", "motorway", "motorway_link"})
FOOT_YES = frozenset({"yes", "designated", "permissive", "official"})
FOOT_NO = frozenset({"no", "private", "use_sidepath"})
ACCESS_NO = frozenset({"no", "private"})
SIDEWALK_YES = frozenset({"both", "left", "right", "yes", "separate"})


def is_walkable(tags: dict[str, str]) -> bool:
    """True when the way's tags let a pedestrian walk along it."""
    highway = tags.get("highway")
    if highway is None:
        return False
    foot = tags.get("foot")
    if foot in FOOT_NO:
        return False
    if foot in FOOT_YES:
        return highway not in {"construction", "proposed", "abandoned", "razed"}
    if tags.get("access") in ACCESS_NO:
        return False
    if highway in WALKABLE_HIGHWAYS:
        return tags.get("area") != "yes" or highway == "pedestrian"
    if highway in CONDITIONAL_HIGHWAYS:
        sidewalk = tags.get("sidewalk", tags.get("sidewalk:both"))
        return highway.startswith("trunk") and sidewalk in SIDEWALK_YES
    return False
