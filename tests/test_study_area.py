"""One study area for every command (issue 12, item 6).

The Beijing extract declares ``<bounds>`` of 1.67 km², but its streets run 10 km² (ways kept
whole past the cut, the 4th Ring Road among them): grids, street candidates and cells used to
follow the streets out. Now every command clips to the declared bounds (or ``--area``); the
walk network is not clipped, so walks may still cross the edge.
"""

from __future__ import annotations

import json
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pyproj
import pytest
import shapely

from shequ.cli import main
from shequ.geo.blocks import street_blocks
from shequ.geo.osm_file import read_osm
from shequ.geo.study_area import declared_bounds, hull_polygon
from shequ.jobs.grids import GridOptions, compute_grids
from shequ.jobs.inputs import InputOptions, load_inputs
from tests.conftest import shared_file
from tests.helpers import english_sentences

BEIJING = "osm/beijing_haidian_liudaokou_small.osm"  # declares bounds; streets run past them
NANJING = "osm/nanjing_xinjiekou_small.osm"  # declares none: the hull of homes and facilities
SACRAMENTO = "incidents/sacramento_crime_jan2006.csv"


@pytest.fixture(scope="module")
def beijing():
    return load_inputs(InputOptions(osm=shared_file(BEIJING), kinds=["kindergarten"]))


def _bounds_box(area) -> shapely.Geometry:
    """The declared bounds as a metric polygon, computed here from the header's numbers."""
    west, south, east, north = declared_bounds(shared_file(BEIJING))
    to_metric = pyproj.Transformer.from_crs("EPSG:4326", area.crs, always_xy=True)
    lon = np.r_[np.linspace(west, east, 50), np.full(50, east)]
    lat = np.r_[np.full(50, south), np.linspace(south, north, 50)]
    lon = np.r_[lon, np.linspace(east, west, 50), np.full(50, west)]
    lat = np.r_[lat, np.full(50, north), np.linspace(north, south, 50)]
    return shapely.Polygon(np.column_stack(to_metric.transform(lon, lat)))


def test_the_extract_streets_run_far_past_its_declared_bounds(beijing):
    box = _bounds_box(beijing)
    xy = beijing.network.node_xy
    streets = shapely.box(*xy.min(axis=0), *xy.max(axis=0))
    assert streets.area > 4 * box.area  # the premise: the streets reach far past the bounds
    assert (shapely.distance(box, shapely.points(xy)) > 1000).any()
    assert beijing.study_area.source == "bounds"
    assert beijing.study_area.km2 == pytest.approx(box.area / 1e6, rel=1e-3)
    assert beijing.study_area.km2 == pytest.approx(1.67, abs=0.01)


def test_homes_are_those_inside_the_bounds(beijing):
    box = _bounds_box(beijing)
    inside = shapely.covers(box.buffer(0.01), beijing.homes.geometry.values)
    assert inside.all()
    everything = load_inputs(
        InputOptions(osm=shared_file(BEIJING), kinds=["kindergarten"], area=None)
    )
    assert len(everything.homes) == len(beijing.homes)  # same run, same answer
    notes = [n for n in beijing.notes if getattr(n, "key", "") == "n.area_homes_outside"]
    assert len(notes) == 1 and notes[0].params["n"] > 0


def test_grids_never_reach_beyond_the_study_area(tmp_path):
    result = compute_grids(GridOptions(osm=shared_file(BEIJING), time_limit_s=5))
    area = result.study_area.metric
    grids = shapely.union_all(result.grids.geometry.to_numpy())
    assert shapely.difference(grids, area.buffer(0.5)).area < 1.0
    assert grids.area == pytest.approx(area.area, rel=1e-3)  # the grids tile the area
    # before: the hull of every street and home, 10+ km² for a 1.67 km² extract
    assert result.grids.geometry.area.max() < area.area


def test_street_candidates_stay_inside_and_osm_ones_outside_are_excluded(capsys, tmp_path):
    out = tmp_path / "out"
    code = main(
        [
            "site",
            "--quiet",
            "--no-map",
            "--osm",
            str(shared_file(BEIJING)),
            "--kind",
            "ebike_charging",
            "--p",
            "2",
            "--street-candidates",
            "--out",
            str(out),
        ]
    )
    assert code == 0, capsys.readouterr().err
    cands = gpd.read_file(out / "shequ.gpkg", layer="candidates")
    area = gpd.read_file(out / "shequ.gpkg", layer="study_area").to_crs(cands.crs)
    inside = shapely.covers(area.geometry.iloc[0].buffer(0.01), cands.geometry.values)
    street = (cands["origin"] == "street").to_numpy()
    assert street.any() and inside[street].all()
    outside = cands["excluded"].fillna("").to_numpy() == "outside the study area"
    assert (outside == ~inside).all()
    assert not cands.loc[outside, "chosen"].any()
    run = json.loads((out / "run.json").read_text(encoding="utf-8"))
    assert run["study_area"]["source"] == "bounds"
    assert run["study_area"]["km2"] == pytest.approx(1.67, abs=0.01)


def _area_file(tmp_path: Path, geom: shapely.Geometry, name: str = "area.geojson") -> Path:
    path = tmp_path / name
    gpd.GeoDataFrame({"name": ["街道"]}, geometry=[geom], crs="EPSG:4326").to_file(path)
    return path


def test_an_area_file_clips_homes_and_rejects_homes_file_rows_outside(capsys, tmp_path):
    osm = read_osm(shared_file(BEIJING))
    west, south, east, north = declared_bounds(shared_file(BEIJING))
    half = shapely.box(west, south, (west + east) / 2, north)  # the western half
    homes = osm.features[osm.features["tags"].map(lambda t: "building" in t)]
    points = homes.geometry.representative_point()
    table = pd.DataFrame(
        {"lon": points.x, "lat": points.y, "households": 50, "name": homes["name"].fillna("")}
    )
    table.to_csv(tmp_path / "homes.csv", index=False)
    out = tmp_path / "out"
    args = ["access", "--quiet", "--no-map", "--osm", str(shared_file(BEIJING))]
    args += ["--homes", str(tmp_path / "homes.csv"), "--area", str(_area_file(tmp_path, half))]
    code = main([*args, "--kinds", "kindergarten", "--out", str(out)])
    assert code == 0, capsys.readouterr().err
    kept = gpd.read_file(out / "shequ.gpkg", layer="homes")
    rejects = pd.read_csv(out / "rejects.csv")
    outside = rejects[rejects["reason"] == "outside the study area"]
    inside = shapely.covers(half, shapely.points(table[["lon", "lat"]].to_numpy()))
    assert 0 < inside.sum() < len(table)
    assert len(outside) == (~inside).sum()
    assert sorted(outside["row"].astype(int)) == sorted(np.flatnonzero(~inside) + 1)
    assert len(kept) + len(rejects[rejects["layer"] == "homes"]) == len(table)
    run = json.loads((out / "run.json").read_text(encoding="utf-8"))
    assert run["study_area"]["source"] == "file"
    assert run["study_area"]["path"] == str(tmp_path / "area.geojson")


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_an_area_off_the_data_is_one_line_exit_2(capsys, tmp_path, lang):
    far = shapely.box(121.0, 31.0, 121.01, 31.01)  # Shanghai, for a Beijing extract
    path = _area_file(tmp_path, far)
    args = ["access", "--lang", lang, "--quiet", "--no-map", "--osm", str(shared_file(BEIJING))]
    code = main([*args, "--area", str(path), "--out", str(tmp_path / "out")])
    err = capsys.readouterr().err
    assert code == 2
    lines = [line for line in err.splitlines() if line.strip()]
    assert len(lines) == 1 and "area.geojson" in lines[0] and "121.0000" in lines[0]
    if lang == "zh":
        assert not english_sentences(lines[0])
    assert not (tmp_path / "out").exists()


def test_without_declared_bounds_the_area_is_the_hull_of_homes_and_facilities():
    area = load_inputs(InputOptions(osm=shared_file(NANJING), kinds=["primary_school"]))
    assert declared_bounds(shared_file(NANJING)) is None
    assert area.study_area.source == "hull"
    xy = np.vstack(
        [np.column_stack([g.geometry.x, g.geometry.y]) for g in (area.homes, area.facilities)]
    )
    hull = shapely.convex_hull(shapely.multipoints(xy))  # shapely's hull, not Qhull's
    assert area.study_area.metric.area == pytest.approx(hull.buffer(30.0).area, rel=1e-3)
    assert area.study_area.contains(xy).all()


def test_blocks_of_an_area_with_a_hole_and_two_parts_tile_it():
    outer = shapely.box(0, 0, 100, 100).difference(shapely.box(40, 40, 60, 60))
    area = shapely.union_all([outer, shapely.box(200, 0, 250, 50)])
    lines = gpd.GeoDataFrame(
        {"border": ["minor"]}, geometry=[shapely.LineString([(50, -10), (50, 110)])]
    )
    blocks = street_blocks(lines, area)
    assert shapely.union_all(blocks.geometry.to_numpy()).symmetric_difference(area).area < 1e-6
    assert blocks.geometry.area.sum() == pytest.approx(area.area)
    assert len(blocks) == 3  # the ring cut in two by the street, and the second part


def test_hotspot_cells_stay_in_the_area_and_incidents_outside_are_rejected(capsys, tmp_path):
    table = pd.read_csv(shared_file(SACRAMENTO))
    lon, lat = table["longitude"].to_numpy(), table["latitude"].to_numpy()
    xmid = float(np.median(lon))
    area = shapely.box(lon.min() - 0.01, lat.min() - 0.01, xmid, lat.max() + 0.01)
    out = tmp_path / "out"
    code = main(
        [
            "hotspots",
            "--quiet",
            "--no-map",
            "--incidents",
            str(shared_file(SACRAMENTO)),
            "--area",
            str(_area_file(tmp_path, area)),
            "--no-trends",
            "--out",
            str(out),
        ]
    )
    assert code == 0, capsys.readouterr().err
    cells = gpd.read_file(out / "shequ.gpkg", layer="cells")
    assert shapely.intersects(area, cells.geometry.values).all()
    rejects = pd.read_csv(out / "rejects.csv")
    outside = (rejects["reason"].str.startswith("outside the study area")).sum()
    assert outside == (~shapely.intersects_xy(area, lon, lat)).sum()
    assert cells["count"].sum() + len(rejects) == len(table)


def test_hull_of_a_few_points_is_a_buffer():
    assert hull_polygon(np.empty((0, 2))) is None
    one = hull_polygon(np.array([[0.0, 0.0]]))
    assert one.area == pytest.approx(np.pi * 30.0**2, rel=0.01)
    line = hull_polygon(np.array([[0.0, 0.0], [100.0, 0.0], [50.0, 0.0]]))
    assert line.contains(shapely.Point(50, 0)) and line.area > 100 * 60


def test_hotspot_incidents_on_the_streets_of_an_extract_without_bounds_are_kept(capsys, tmp_path):
    """Nanjing declares no bounds: the area must hold the incidents on its streets (the hull
    of the homes alone left 39 % of them out)."""
    area = load_inputs(InputOptions(osm=shared_file(NANJING), kinds=["ebike_charging"]))
    nodes = area.network.nodes_frame().to_crs("EPSG:4326")
    pick = np.random.default_rng(3).choice(len(nodes), 400, replace=False)
    pts = nodes.geometry.iloc[pick]
    table = pd.DataFrame({"lon": pts.x.to_numpy(), "lat": pts.y.to_numpy()})
    table.to_csv(tmp_path / "inc.csv", index=False)
    out = tmp_path / "out"
    args = ["hotspots", "--quiet", "--no-map", "--incidents", str(tmp_path / "inc.csv")]
    code = main([*args, "--osm", str(shared_file(NANJING)), "--res", "9", "--out", str(out)])
    assert code == 0, capsys.readouterr().err
    rejects = pd.read_csv(out / "rejects.csv")
    assert not (rejects["layer"] == "incidents").any()
    cells = gpd.read_file(out / "shequ.gpkg", layer="cells")
    assert cells["count"].sum() == 400
    run = json.loads((out / "run.json").read_text(encoding="utf-8"))
    assert "n.area_with_incidents" in run["note_keys"]


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_a_homes_file_wholly_outside_the_area_says_so(capsys, tmp_path, lang):
    far = pd.DataFrame({"lon": [116.30, 116.31], "lat": [39.95, 39.96], "households": [9, 9]})
    far.to_csv(tmp_path / "far.csv", index=False)
    args = ["access", "--lang", lang, "--quiet", "--no-map", "--osm", str(shared_file(BEIJING))]
    code = main([*args, "--homes", str(tmp_path / "far.csv"), "--out", str(tmp_path / "o")])
    err = capsys.readouterr().err
    lines = [line for line in err.splitlines() if line.strip()]
    assert code == 2 and len(lines) == 1 and "far.csv" in lines[0]
    assert ("--area" in lines[0]) and ("no residential buildings" not in lines[0])
    if lang == "zh":
        assert not english_sentences(lines[0])


def test_an_area_file_of_collapsed_rings_is_one_line(capsys, tmp_path):
    flat = shapely.Polygon([(116.35, 40.0), (116.36, 40.0), (116.37, 40.0)])  # no area
    path = _area_file(tmp_path, flat)
    args = ["access", "--quiet", "--no-map", "--osm", str(shared_file(BEIJING))]
    code = main([*args, "--area", str(path), "--out", str(tmp_path / "out")])
    lines = [line for line in capsys.readouterr().err.splitlines() if line.strip()]
    assert code == 2 and len(lines) == 1 and "area.geojson" in lines[0]
    assert "nan" not in lines[0].lower()
