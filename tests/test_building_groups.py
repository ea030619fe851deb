"""Building groups (楼栋 groups): the land of each group from local overlays only, equal to the
quadratic construction it replaced (every other group's footprints unioned per group)."""

from __future__ import annotations

import numpy as np
import pytest
import shapely

from shequ.geo import building_groups
from shequ.geo.atoms import build_atoms
from shequ.geo.blocks import border_lines, street_blocks, study_area
from shequ.geo.building_groups import _group_land, _overlay, _units, divide_by_buildings
from shequ.geo.homes import building_footprints
from shequ.jobs.inputs import InputOptions, load_inputs
from tests.conftest import shared_file

NANJING = "osm/nanjing_xinjiekou_small.osm"


def quadratic_group_land(piece, unit_xy, group, unit_fp, fp_group) -> list:
    """The construction before issue 15, kept as the reference: per group, the union of every
    other group's footprints."""
    uniq = np.unique(unit_xy, axis=0)
    cells = shapely.get_parts(shapely.voronoi_polygons(shapely.multipoints(uniq), extend_to=piece))
    p_idx, c_idx = shapely.STRtree(cells).query(shapely.points(unit_xy), predicate="intersects")
    cell_group = np.full(len(cells), -1, dtype=np.int64)
    cell_group[c_idx] = group[p_idx]
    n_groups = int(group.max()) + 1
    fps = [
        shapely.union_all(
            [f for f, g in zip(unit_fp, fp_group, strict=True) if g == k and f is not None]
        )
        for k in range(n_groups)
    ]
    land = []
    for k in range(n_groups):
        cells_k = shapely.union_all(cells[cell_group == k])
        others = shapely.union_all([fps[j] for j in range(n_groups) if j != k])
        mine = _overlay(shapely.union, _overlay(shapely.difference, cells_k, others), fps[k])
        land.append(_overlay(shapely.intersection, mine, piece))
    taken = shapely.Polygon()
    for k in range(n_groups):
        land[k] = _overlay(shapely.difference, land[k], taken)
        taken = _overlay(shapely.union, taken, land[k])
    return land


@pytest.fixture(scope="module")
def crowded_pieces():
    """The five most crowded street blocks of Nanjing with their homes and footprints."""
    area = load_inputs(InputOptions(osm=shared_file(NANJING), kinds=["canteen"]))
    lines = border_lines(area.osm, area.crs)
    homes = area.homes.reset_index(drop=True)
    outline = study_area(lines, np.column_stack([homes.geometry.x, homes.geometry.y]))
    whole = build_atoms(
        street_blocks(lines, outline), area.compounds.iloc[:0], homes, lines, outline
    )
    fps = building_footprints(area.osm, area.crs)
    out = []
    for piece in whole.frame.sort_values("households", ascending=False).head(5).geometry:
        inside = shapely.within(homes.geometry.values, piece)
        pts, w = homes.geometry.values[inside], homes["households"].to_numpy()[inside]
        out.append((piece, pts, w, fps[shapely.intersects(fps, piece)]))
    return out


def _inputs(piece, pts, w, near, limit):
    units, unit_fp, bare = _units(piece, pts, near)
    n = int(units.max()) + 1
    xy = shapely.get_coordinates(pts)
    unit_xy = np.column_stack(
        [np.bincount(units, weights=xy[:, c], minlength=n) / np.bincount(units) for c in (0, 1)]
    )
    group = building_groups._cluster(unit_xy, np.bincount(units, weights=w, minlength=n), limit, 0)
    nearest = (
        shapely.STRtree(shapely.points(unit_xy)).query_nearest(shapely.point_on_surface(bare))[1]
        if len(bare)
        else np.empty(0, dtype=np.int64)
    )
    return unit_xy, group, unit_fp + list(bare), np.r_[group, group[nearest]]


def test_group_land_equals_the_quadratic_construction_on_nanjing(crowded_pieces):
    compared = 0
    for piece, pts, w, near in crowded_pieces:
        unit_xy, group, fps, fp_group = _inputs(piece, pts, w, near, 90.0)
        if group.max() == 0:
            continue
        new = _group_land(piece, unit_xy, group, fps, fp_group)
        old = quadratic_group_land(piece, unit_xy, group, fps, fp_group)
        assert len(new) == len(old) == group.max() + 1
        for a, b in zip(new, old, strict=True):
            # the same land to a square centimetre: only the vertices' last digits may differ
            assert shapely.area(shapely.symmetric_difference(a, b, grid_size=1e-3)) < 1e-2
        compared += len(new)
    assert compared >= 10  # the pieces really are divided into groups


def test_group_land_unions_only_nearby_footprints(monkeypatch):
    """Counted, not timed: on a row of 60 buildings in 30 groups the old construction unioned
    ~G² footprints; the local one unions each footprint a bounded number of times."""
    piece = shapely.box(0, 0, 3000, 40)
    xs = 25.0 + 50.0 * np.arange(60)
    fps = list(shapely.box(xs - 15, 10, xs + 15, 30))
    unit_xy = np.column_stack([xs, np.full(60, 20.0)])
    group = np.arange(60) // 2
    seen = []
    real = shapely.union_all

    def counting(geoms, *args, **kwargs):
        seen.append(len(shapely.get_parts(np.asarray(geoms, dtype=object).ravel())))
        return real(geoms, *args, **kwargs)

    monkeypatch.setattr(building_groups.shapely, "union_all", counting)
    land = _group_land(piece, unit_xy, group, fps, group)
    monkeypatch.undo()
    assert sum(shapely.area(land)) == pytest.approx(piece.area, rel=1e-9)
    assert sum(seen) < 8 * 60  # the quadratic one: 30 × 58 footprints for "others" alone


def test_divide_by_buildings_still_keeps_groups_under_the_limit(crowded_pieces):
    piece, pts, w, near = crowded_pieces[0]
    parts = np.asarray(divide_by_buildings(piece, pts, w, near, 90.0), dtype=object)
    assert len(parts) > 3
    assert shapely.area(parts).sum() == pytest.approx(piece.area, rel=1e-6)
