"""Cut one area (with a walking halo) out of a regional OSM file, for ``shequ batch``.

A province does not fit one pass of the analyses, so ``shequ batch`` runs each area (a 街道 or
district polygon, or an automatic tile) on its own extract. The extract must hold everything a
walk from inside the area can reach within the halo, or an area's results would differ from a
run on the whole region. So the cut keeps, for a box (the area's bounds grown by the halo):

- every tagged node inside the box (facilities, POIs);
- every way with a node inside the box, *whole* (the "complete ways" strategy of
  ``osmium extract``): a street leaving the box keeps all its nodes, so no edge is shortened;
- every multipolygon relation with a member kept, with all its member ways, so areas
  (landuse, water, compounds) assemble as in the region.

Walks of up to ``halo`` metres from any point of the area stay inside the box (a network path
is never shorter than the straight line), so their lengths are exact; longer walks may be
longer than in the region or end at the extract's edge, which the batch states.

libosmium does the reading, the id bookkeeping (``osmium.IdTracker``) and the completion pass
in C++; Python sees only tagged nodes, ways and relations, and writes the cut through
``osmium.SimpleWriter`` with the region's header (its replication timestamp dates the data).
Several areas are cut in one pass over the region (``clip_osm`` takes many boxes), so the
region is read ``1 + number of areas`` times by libosmium and once by Python.
"""

from __future__ import annotations

import logging
import tempfile
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import osmium
from osmium.file_processor import zip_processors

from shequ.errors import InputError
from shequ.geo.osm_file import check_osm_path
from shequ.i18n import Note

log = logging.getLogger(__name__)

Box = tuple[float, float, float, float]  # lon/lat: west, south, east, north


@dataclass
class ClipCount:
    """What one cut holds (the objects chosen; their referenced nodes and ways come on top)."""

    nodes: int = 0  # tagged nodes inside the box
    ways: int = 0  # ways with a node inside the box
    relations: int = 0  # multipolygons with a member kept


def clip_osm(
    region: Path, boxes: Mapping[str, Box], outs: Mapping[str, Path]
) -> dict[str, ClipCount]:
    """Write one reference-complete extract per box.

    Parameters
    ----------
    region : Path
        The regional OSM file (any format libosmium reads; sorted by type and id, as every
        planet or Geofabrik extract is).
    boxes : mapping of str to (west, south, east, north)
        Each area's box in WGS-84 degrees (its bounds grown by the halo).
    outs : mapping of str to Path
        Where each area's extract goes (``.osm.pbf``); replaced when it exists.

    Returns
    -------
    dict of str to ClipCount
        Per area, what was chosen.

    Raises
    ------
    InputError
        The region cannot be read (libosmium's words as evidence).
    """
    region = Path(region)
    check_osm_path(region)
    keys = list(boxes)
    bounds = np.array([boxes[k] for k in keys], dtype=np.float64).reshape(-1, 4)
    counts = {k: ClipCount() for k in keys}
    trackers = [osmium.IdTracker() for _ in keys]
    with tempfile.TemporaryDirectory(prefix="shequ-clip-") as tmp:
        chosen = [Path(tmp, f"{i}.osm.pbf") for i in range(len(keys))]
        writers = [osmium.SimpleWriter(str(p)) for p in chosen]
        try:
            header = _choose(region, bounds, keys, counts, trackers, writers)
        except RuntimeError as exc:
            raise InputError(Note("e.osm_unreadable", detail=str(exc)), path=region) from exc
        finally:
            for w in writers:
                w.close()
        for i, key in enumerate(keys):
            _complete(region, chosen[i], trackers[i], Path(outs[key]), header)
    return counts


def _choose(
    region: Path,
    bounds: np.ndarray,
    keys: list[str],
    counts: dict[str, ClipCount],
    trackers: list,
    writers: list,
) -> osmium.io.Header:
    """One pass over the region: each object goes to the writers of the boxes it touches."""
    processor = (
        osmium.FileProcessor(str(region))
        .with_locations()
        .with_filter(osmium.filter.EmptyTagFilter().enable_for(osmium.osm.NODE))
    )
    header = processor.header
    way_ids: list[np.ndarray] = []  # ways kept, and the boxes that kept them (for relations)
    way_boxes: list[np.ndarray] = []
    member_lookup: tuple[np.ndarray, np.ndarray] | None = None
    for obj in processor:
        if obj.is_node():
            loc = obj.location
            if loc.valid():
                hit = _in_boxes(bounds, np.array([[loc.lon, loc.lat]]))
                for i in np.flatnonzero(hit):
                    writers[i].add_node(obj)
                    counts[keys[i]].nodes += 1
        elif obj.is_way():
            xy = np.array(
                [(n.lon, n.lat) for n in obj.nodes if n.location.valid()], dtype=np.float64
            ).reshape(-1, 2)
            hit = _in_boxes(bounds, xy)
            if hit.any():
                for i in np.flatnonzero(hit):
                    trackers[i].add_references(obj)
                    writers[i].add_way(obj)
                    counts[keys[i]].ways += 1
                way_ids.append(np.full(int(hit.sum()), obj.id, dtype=np.int64))
                way_boxes.append(np.flatnonzero(hit).astype(np.int32))
        elif obj.is_relation():
            if obj.tags.get("type") not in ("multipolygon", "boundary"):
                continue  # routes and others would pull in far-away ways; shequ reads none
            if member_lookup is None:
                member_lookup = _lookup(way_ids, way_boxes)
            hit = _relation_boxes(obj, member_lookup, len(keys))
            for i in np.flatnonzero(hit):
                trackers[i].add_references(obj)
                writers[i].add_relation(obj)
                counts[keys[i]].relations += 1
    return header


def _in_boxes(bounds: np.ndarray, xy: np.ndarray) -> np.ndarray:
    """Which boxes hold at least one of the points."""
    if not len(xy):
        return np.zeros(len(bounds), dtype=bool)
    x, y = xy[:, 0][:, None], xy[:, 1][:, None]
    inside = (x >= bounds[:, 0]) & (x <= bounds[:, 2]) & (y >= bounds[:, 1]) & (y <= bounds[:, 3])
    return inside.any(axis=0)


def _lookup(
    way_ids: list[np.ndarray], way_boxes: list[np.ndarray]
) -> tuple[np.ndarray, np.ndarray]:
    """Kept way ids, sorted, with their box indices (relations come after every way)."""
    if not way_ids:
        return np.empty(0, dtype=np.int64), np.empty(0, dtype=np.int32)
    ids, boxes = np.concatenate(way_ids), np.concatenate(way_boxes)
    order = np.argsort(ids, kind="stable")
    return ids[order], boxes[order]


def _relation_boxes(rel, lookup: tuple[np.ndarray, np.ndarray], n_boxes: int) -> np.ndarray:
    """The boxes that kept at least one member way of the relation."""
    ids, boxes = lookup
    members = np.array([m.ref for m in rel.members if m.type == "w"], dtype=np.int64)
    hit = np.zeros(n_boxes, dtype=bool)
    if not len(members) or not len(ids):
        return hit
    lo = np.searchsorted(ids, members, side="left")
    hi = np.searchsorted(ids, members, side="right")
    for a, b in zip(lo, hi, strict=True):
        hit[boxes[a:b]] = True
    return hit


def _complete(region: Path, chosen: Path, tracker, out: Path, header) -> None:
    """Write the chosen objects with every node and member way they reference (from the
    region; referenced objects lose their tags unless chosen themselves, so a tagged node far
    outside the box is not read as a facility)."""
    tracker.complete_backward_references(str(region), relation_depth=0)
    out.parent.mkdir(parents=True, exist_ok=True)
    first = osmium.FileProcessor(str(chosen))
    refs = osmium.FileProcessor(str(region)).with_filter(tracker.id_filter())
    with osmium.SimpleWriter(str(out), header=header, overwrite=True) as writer:
        for mine, ref in zip_processors(first, refs):
            if mine:
                writer.add(mine)
            elif ref:
                writer.add(ref.replace(tags={}) if hasattr(ref, "replace") else ref)


def street_node_lonlat(region: Path) -> np.ndarray:
    """lon/lat of every node of a highway way (the street nodes), for tiling a region.

    Returns
    -------
    ndarray, shape (n, 2)
        Unique street nodes' coordinates.
    """
    region = Path(region)
    check_osm_path(region)
    ids: list[np.ndarray] = []
    xy: list[np.ndarray] = []
    processor = (
        osmium.FileProcessor(str(region))
        .with_locations()
        .with_filter(osmium.filter.KeyFilter("highway").enable_for(osmium.osm.WAY))
        .with_filter(osmium.filter.EntityFilter(osmium.osm.WAY))
    )
    try:
        for way in processor:
            nodes = [n for n in way.nodes if n.location.valid()]
            ids.append(np.fromiter((n.ref for n in nodes), dtype=np.int64, count=len(nodes)))
            xy.append(np.array([(n.lon, n.lat) for n in nodes], dtype=np.float64).reshape(-1, 2))
    except RuntimeError as exc:
        raise InputError(Note("e.osm_unreadable", detail=str(exc)), path=region) from exc
    if not ids:
        return np.empty((0, 2))
    _, first = np.unique(np.concatenate(ids), return_index=True)
    return np.concatenate(xy)[first]


__all__ = ["Box", "ClipCount", "clip_osm", "street_node_lonlat"]
