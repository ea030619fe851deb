"""Walk minutes from every home to the nearest facility of every kind.

One multi-source Dijkstra per kind over the street graph, in metres: a kind's facilities are the
sources, each starting at its own door (its ``access_m``). Minutes follow from metres at the
kind's walker speed (general or elderly), so the same search serves both speeds exactly. A home's
minutes are ``(home access_m + network metres + facility access_m) / speed``.

The network holds every street island with a home or a facility; the search gives no route
across islands (infinite metres), and a home on an island without a facility of the kind is
told so, with the island's size.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from shequ.analyses.shortest_paths import Nearest, nearest_source
from shequ.geo.facilities import kind_name
from shequ.geo.network import WalkNetwork
from shequ.i18n import Note
from shequ.profile import FacilityKind, Profile


@dataclass
class KindAccess:
    """Access to one kind: node distances and, per home, minutes, nearest facility and reason."""

    kind: FacilityKind
    speed_mps: float
    node_distance_m: np.ndarray  # nearest facility of the kind from every node (incl. its access)
    walk_min: np.ndarray  # per home, NaN when unreachable
    nearest_facility: np.ndarray  # facility_id per home, -1 when unreachable
    reason: np.ndarray  # per home, None or why unreachable (a Note: English in files)


def kind_access(
    net: WalkNetwork,
    kind: FacilityKind,
    speed_mps: float,
    fac_node: np.ndarray,
    fac_access_m: np.ndarray,
    fac_ids: np.ndarray,
    home_node: np.ndarray,
    home_access_m: np.ndarray,
    max_access_m: float,
) -> KindAccess:
    """Minutes from each home to the nearest facility among ``fac_*`` (already of this kind)."""
    near: Nearest = nearest_source(net.csr, fac_node, fac_access_m)
    n_homes = len(home_node)
    attached = home_node >= 0
    metres = np.full(n_homes, np.inf)
    metres[attached] = home_access_m[attached] + near.distance_m[home_node[attached]]
    walk_min = np.where(np.isfinite(metres), metres / speed_mps / 60.0, np.nan)
    nearest = np.full(n_homes, -1, dtype=np.int64)
    src = near.source[home_node[attached]]
    if len(fac_ids):
        nearest[attached] = np.where(src >= 0, fac_ids[np.maximum(src, 0)], -1)
    reason = np.full(n_homes, None, dtype=object)
    reason[~attached] = Note("unreachable.no_street", limit=max_access_m)
    if len(fac_node) == 0:
        reason[attached] = Note("unreachable.no_facility", kind=kind_name(kind))
    else:
        cut_off = attached & ~np.isfinite(metres)
        reason[cut_off] = Note("unreachable.not_connected", kind=kind_name(kind))
        _island_reasons(net, kind, fac_node, home_node, cut_off, reason)
    return KindAccess(kind, speed_mps, near.distance_m, walk_min, nearest, reason)


def _island_reasons(
    net: WalkNetwork,
    kind: FacilityKind,
    fac_node: np.ndarray,
    home_node: np.ndarray,
    cut_off: np.ndarray,
    reason: np.ndarray,
) -> None:
    """Say "no <kind> on its street island (n nodes)" for cut-off homes on such an island.

    The network keeps every street island that holds a home or a facility, so a home with no
    route to a kind is on an island without one: naming the island's size (its street nodes)
    tells a planner whether it is a fragment of footway or a district the extract cut off.
    """
    if not cut_off.any():
        return
    island = net.component
    size = net.island_street_nodes()
    served = np.zeros(len(size), dtype=bool)
    served[island[fac_node]] = True
    rows = np.flatnonzero(cut_off)
    home_island = island[home_node[rows]]
    alone = ~served[home_island]
    notes = {
        int(c): Note("unreachable.island", kind=kind_name(kind), n=int(size[c]))
        for c in np.unique(home_island[alone])
    }
    for row, c in zip(rows[alone], home_island[alone], strict=True):
        reason[row] = notes[int(c)]


def all_access(
    net: WalkNetwork,
    profile: Profile,
    kinds: list[FacilityKind],
    facilities: pd.DataFrame,
    homes: pd.DataFrame,
) -> dict[str, KindAccess]:
    """Access for every kind. ``facilities``/``homes`` carry node_id and access_m columns;
    facilities with node_id -1 (not attached) are not sources."""
    out = {}
    usable = facilities[facilities["node_id"] >= 0]
    for kind in kinds:
        fac = usable[usable["kind"] == kind.id]
        out[kind.id] = kind_access(
            net,
            kind,
            profile.speed(kind),
            fac["node_id"].to_numpy(dtype=np.int64),
            fac["access_m"].to_numpy(dtype=float),
            fac["facility_id"].to_numpy(dtype=np.int64),
            homes["node_id"].to_numpy(dtype=np.int64),
            homes["access_m"].to_numpy(dtype=float),
            profile.max_access_m,
        )
    return out
