"""The served area (the shading of the access map) says what the homes say, on real extracts.

A home inside a kind's N-minute area is served within N minutes, and a home served within N
minutes is inside it: for every kind with facilities and every band, on the shared Nanjing and
Beijing extracts. Before the areas were made to agree (street buffers alone), Nanjing's primary
schools at 10 minutes had 21 unserved homes inside the shading and 95 served homes outside it.
Checked on what ``shequ.gpkg`` holds, as a GIS user would open it.
"""

from __future__ import annotations

from pathlib import Path

import geopandas as gpd
import numpy as np
import pytest
import shapely

from shequ.analyses.isochrones import agree_with_homes, home_cells
from shequ.jobs.access import AccessOptions, compute_access, write_access_outputs
from tests.conftest import shared_file

NANJING = "osm/nanjing_xinjiekou_small.osm"
BEIJING = "osm/beijing_haidian_liudaokou_small.osm"
BANDS = [3.33, 5.0, 10.0, 15.0]  # every threshold of the default profile, and the tiers


@pytest.fixture(scope="module", params=[NANJING, BEIJING], ids=["nanjing", "beijing"])
def written(request, tmp_path_factory):
    osm = shared_file(request.param)
    out = tmp_path_factory.mktemp("shading") / "out"
    result = compute_access(AccessOptions(osm=osm, bands=BANDS))
    write_access_outputs(result, out, with_map=False)
    homes = gpd.read_file(out / "shequ.gpkg", layer="homes")
    areas = gpd.read_file(out / "shequ.gpkg", layer="isochrones")
    return result, homes, areas[areas["scope"] == "union"]


def test_every_kind_and_band_agrees_with_the_homes(written) -> None:
    result, homes, areas = written
    xy = shapely.get_coordinates(homes.geometry.to_numpy())
    kinds_with_facilities = set(result.facilities["kind"])
    assert {(k, b) for k, b in zip(areas["kind"], areas["minutes"], strict=True)} == {
        (kind, band) for kind in kinds_with_facilities for band in BANDS
    }
    served_somewhere = 0
    for kind, band, area in zip(areas["kind"], areas["minutes"], areas.geometry, strict=True):
        minutes = homes[f"walk_min_{kind}"].to_numpy(dtype=float)
        served = np.nan_to_num(minutes, nan=np.inf) <= band
        inside = shapely.contains_xy(area, xy[:, 0], xy[:, 1])
        assert (inside & ~served).sum() == 0, (kind, band, "unserved homes inside")
        assert (served & ~inside).sum() == 0, (kind, band, "served homes outside")
        served_somewhere += int(served.sum())
    assert served_somewhere > 0 and len(kinds_with_facilities) >= 2


def test_the_threshold_band_matches_meets(written) -> None:
    """At a kind's own threshold the shading is exactly the homes the summary counts."""
    result, homes, areas = written
    xy = shapely.get_coordinates(homes.geometry.to_numpy())
    for kind in set(areas["kind"]):
        threshold = result.profile.kinds[kind].max_walk_min
        row = areas[(areas["kind"] == kind) & np.isclose(areas["minutes"], threshold)]
        inside = shapely.contains_xy(row.geometry.iloc[0], xy[:, 0], xy[:, 1])
        assert np.array_equal(inside, homes[f"meets_{kind}"].to_numpy(dtype=bool)), kind


def test_away_from_homes_the_area_still_follows_the_streets(written) -> None:
    """The areas change only inside the homes' cells: elsewhere they are the street-following
    union of the facilities' polygons, so the shading keeps showing where a walker gets."""
    result, homes, _ = written
    iso = result.isochrones
    cells, _ = home_cells(
        shapely.get_coordinates(homes.geometry.to_numpy()), result.profile.isochrone_buffer_m
    )
    near_homes = shapely.union_all(cells)
    per_facility = iso[iso["scope"] == "facility"]
    changed = 0.0
    for (kind, band), group in per_facility.groupby(["kind", "minutes"]):
        plain = shapely.union_all(group.geometry.to_numpy())
        area = iso[(iso["scope"] == "union") & (iso["kind"] == kind) & (iso["minutes"] == band)]
        moved = shapely.symmetric_difference(plain, area.geometry.iloc[0])
        assert shapely.difference(moved, near_homes).area < 1.0, (kind, band)
        changed += moved.area
    assert changed > 1000.0  # the correction did something (m²)


def test_homes_at_the_same_point_share_a_cell() -> None:
    xy = np.array([[0.0, 0.0], [100.0, 0.0], [0.0, 0.0], [0.0, 30.0]])
    cells, cell_of = home_cells(xy, 40.0)
    assert len(cells) == 3 and cell_of[0] == cell_of[2] != cell_of[1]
    # each home strictly inside its own cell, outside the others
    for i, (x, y) in enumerate(xy):
        inside = shapely.contains_xy(cells, x, y)
        assert inside.tolist() == [c == cell_of[i] for c in range(len(cells))]
    # cells reach no farther than the radius and split the gap between close homes
    assert shapely.area(cells[cell_of[1]]) == pytest.approx(np.pi * 40**2, rel=0.03)
    assert shapely.bounds(cells[cell_of[3]])[1] == pytest.approx(15.0)
    # a home without a point has no cell (and is never inside one)
    _, cell_of = home_cells(np.vstack([xy, [np.nan, np.nan]]), 40.0)
    assert cell_of[-1] == -1 and (cell_of[:-1] >= 0).all()


def test_agree_with_homes_on_a_street_square() -> None:
    """A 40 m street buffer (the square) with one served home 60 m out and one unserved home
    10 m inside: the first is added, the second cut out, the rest left as it was."""
    square = shapely.box(0, 0, 100, 100)
    union = gpd.GeoDataFrame(
        {"kind": ["k"], "minutes": [5.0], "scope": ["union"]}, geometry=[square], crs=32650
    )
    xy = np.array([[160.0, 50.0], [90.0, 50.0], [10.0, 50.0]])
    minutes = {"k": np.array([4.0, np.nan, 6.0])}  # served, unreachable, too far
    (area,) = agree_with_homes(union, xy, minutes, 40.0).geometry
    assert shapely.contains_xy(area, xy[:, 0], xy[:, 1]).tolist() == [True, False, False]
    assert shapely.contains_xy(area, 50.0, 5.0)  # away from the homes: still the street's
    assert shapely.difference(area, square).area > 0  # the served home's cell was added
    assert area.area < square.area + np.pi * 40**2


def test_kinds_without_minutes_are_left_alone(tmp_path: Path) -> None:
    union = gpd.GeoDataFrame(
        {"kind": ["k"], "minutes": [5.0], "scope": ["union"]},
        geometry=[shapely.box(0, 0, 10, 10)],
        crs=32650,
    )
    out = agree_with_homes(union, np.array([[5.0, 5.0]]), {"other": np.array([1.0])}, 40.0)
    assert out.geometry.iloc[0].equals(union.geometry.iloc[0])
