"""The OSM reader's arrays against pyosmium's own objects, on every shared extract.

``read_osm`` reads street coordinates as libosmium's fixed-point integers in one pass and
builds the tagged nodes' points in one call; here each street way (and each piece of a clipped
one) and each tagged node is compared with what pyosmium's ``Location`` says, node by node.
"""

from __future__ import annotations

from pathlib import Path

import osmium
import pytest
import shapely

from shequ.geo.osm_file import read_osm, tag_dict
from tests.conftest import OSM_EXTRACTS, shared_file


@pytest.mark.parametrize("relative", OSM_EXTRACTS, ids=lambda p: Path(p).name.split(".")[0])
def test_street_and_node_coordinates_equal_pyosmium(relative):
    path = shared_file(relative)
    data = read_osm(path)
    ways: dict[int, list] = {}
    nodes: dict[int, tuple[float, float]] = {}
    for obj in osmium.FileProcessor(str(path)).with_locations():
        if obj.is_way() and "highway" in obj.tags:
            ways[obj.id] = [
                (n.ref, n.lon, n.lat) if n.location.valid() else (n.ref, None, None)
                for n in obj.nodes
            ]
        elif obj.is_node() and len(obj.tags):
            nodes[obj.id] = (obj.location.lon, obj.location.lat)
    pieces: dict[int, list] = {}
    for way in data.highways:
        pieces.setdefault(way.way_id, []).append(way)
    expected = {}
    for way_id, refs in ways.items():  # the runs of two or more located nodes, in order
        runs, run = [], []
        for ref, lon, lat in [*refs, (None, None, None)]:
            if lon is None:
                runs += [run] if len(run) >= 2 else []
                run = []
            else:
                run.append((ref, lon, lat))
        if runs:
            expected[way_id] = runs
    assert set(pieces) == set(expected)
    for way_id, parts in pieces.items():
        got = [
            [(int(r), float(x), float(y)) for r, (x, y) in zip(p.node_ids, p.lonlat, strict=True)]
            for p in parts
        ]
        assert got == expected[way_id]
    points = data.features[data.features["osm_type"] == "node"]
    xy = shapely.get_coordinates(points.geometry.to_numpy())
    for osm_id, (lon, lat) in zip(points["osm_id"], xy, strict=True):
        assert (lon, lat) == nodes[int(osm_id)]


@pytest.mark.parametrize("relative", OSM_EXTRACTS, ids=lambda p: Path(p).name.split(".")[0])
def test_tag_dicts_equal_pyosmium(relative):
    seen = 0
    for obj in osmium.FileProcessor(str(shared_file(relative))):
        assert tag_dict(obj.tags) == dict(obj.tags)
        seen += len(obj.tags)
    assert seen > 0
