"""Street blocks: the faces of the street/river/rail lines tile the study area exactly."""

from __future__ import annotations

import numpy as np
import pytest
import shapely

from shequ.geo.blocks import border_class, border_lines, street_blocks, study_area
from shequ.geo.coords import metric_crs
from shequ.geo.osm_file import read_osm
from tests.conftest import shared_file


@pytest.mark.parametrize(
    "extract", ["osm/nanjing_xinjiekou_small.osm", "osm/beijing_haidian_liudaokou_small.osm"]
)
def test_blocks_tile_the_area(extract):
    osm = read_osm(shared_file(extract))
    crs = metric_crs(*osm.bounds)
    lines = border_lines(osm, crs)
    area = study_area(lines)
    blocks = street_blocks(lines, area)
    assert len(blocks) > 20
    assert blocks.area.sum() == pytest.approx(area.area, rel=1e-9)  # no gaps, no overlaps
    rng = np.random.default_rng(0)
    x0, y0, x1, y1 = area.bounds
    pts = shapely.points(rng.uniform(x0, x1, 2000), rng.uniform(y0, y1, 2000))
    pts = pts[shapely.contains(area, pts)]
    hits = shapely.STRtree(blocks.geometry.values).query(pts, predicate="intersects")
    assert (np.bincount(hits[0], minlength=len(pts)) >= 1).all()
    inside = shapely.STRtree(blocks.geometry.values).query(pts, predicate="within")
    assert (np.bincount(inside[0], minlength=len(pts)) <= 1).all()


def test_major_roads_and_rivers_are_strong_borders():
    assert border_class({"highway": "primary"}) == "major"
    assert border_class({"highway": "residential"}) == "minor"
    assert border_class({"highway": "footway"}) is None  # inside blocks, never a grid border
    assert border_class({"waterway": "river"}) == "river"
    assert border_class({"railway": "rail"}) == "rail"


def test_nanjing_rivers_are_read_as_barriers():
    osm = read_osm(shared_file("osm/nanjing_xinjiekou_small.osm"))
    assert {w.tags.get("waterway") for w in osm.barriers} & {"river", "canal", "stream"}
