"""``shequ hotspots`` end to end on the Sacramento incidents, and its answers to bad input."""

from __future__ import annotations

from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely

from shequ.cli import main
from tests.conftest import shared_file
from tests.helpers import english_sentences

SACRAMENTO = "incidents/sacramento_crime_jan2006.csv"


def _hot(capsys, *args: str) -> tuple[int, str]:
    code = main(["hotspots", "--quiet", "--incidents", str(shared_file(SACRAMENTO)), *args])
    return code, capsys.readouterr().err


@pytest.fixture(scope="module")
def run(tmp_path_factory):
    out = tmp_path_factory.mktemp("hot")
    code = main(
        ["hotspots", "--quiet", "--incidents", str(shared_file(SACRAMENTO)), "--out", str(out)]
    )
    assert code == 0
    return out


def test_cells_layer_and_rows_accounted(run):
    cells = gpd.read_file(run / "shequ.gpkg", layer="cells")
    for col in ("h3", "count", "gi_z", "gi_p", "bin", "kde", "trend", "index", "level"):
        assert col in cells.columns
    assert cells["h3"].str.len().eq(15).all()
    rows_in = len(pd.read_csv(shared_file(SACRAMENTO)))
    rejected = len(pd.read_csv(run / "rejects.csv"))
    assert cells["count"].sum() + rejected == rows_in
    assert set(cells["level"]) <= {"red", "orange", "yellow", "blue"}
    red = cells[cells["level"] == "red"]
    assert red["index"].min() >= cells.loc[cells["level"] == "blue", "index"].max()
    assert set(cells["trend"].fillna("")) <= {
        "",
        "new",
        "intensifying",
        "persistent",
        "diminishing",
    }
    summary = pd.read_csv(run / "summary.csv").iloc[0]
    assert summary["hot_cells_95"] == int((cells["bin"] >= 2).sum())
    assert "k=1" in summary["weights"]
    assert (run / "map.html").stat().st_size > 500_000  # every cell drawn, Leaflet inlined


def test_three_colour_and_fixed_resolution(capsys, tmp_path):
    code, _ = _hot(capsys, "--res", "8", "--three-colour", "--out", str(tmp_path))
    assert code == 0
    cells = gpd.read_file(tmp_path / "shequ.gpkg", layer="cells")
    assert set(cells["level"]) <= {"red", "yellow", "blue"}
    assert pd.read_csv(tmp_path / "summary.csv")["resolution"].iloc[0] == 8


def test_resolution_out_of_range(capsys, tmp_path):
    code, err = _hot(capsys, "--res", "16", "--out", str(tmp_path))
    assert code == 2 and "resolution must be a whole number from 0 to 15" in err


def test_all_points_outside_the_osm_area(capsys, tmp_path):
    osm = shared_file("osm/beijing_haidian_liudaokou_small.osm")
    code, err = _hot(capsys, "--osm", str(osm), "--out", str(tmp_path))
    assert code == 2 and "outside the OSM extract" in err


def test_too_few_incidents(capsys, tmp_path):
    few = tmp_path / "few.csv"
    rows = pd.read_csv(shared_file(SACRAMENTO)).head(12)
    rows.to_csv(few, index=False)
    code = main(["hotspots", "--quiet", "--incidents", str(few), "--out", str(tmp_path / "o")])
    err = capsys.readouterr().err
    assert code == 2 and "need at least 30" in err


def test_bad_times_and_types_are_rejected_rows(capsys, tmp_path):
    data = pd.read_csv(shared_file(SACRAMENTO)).head(200).copy()
    data.loc[3, "cdatetime"] = "not a time"
    data.loc[5, "crimedescr"] = ""
    data.loc[7, "latitude"] = np.nan
    bad = tmp_path / "bad.csv"
    data.to_csv(bad, index=False)
    out = tmp_path / "out"
    code = main(["hotspots", "--quiet", "--incidents", str(bad), "--out", str(out)])
    capsys.readouterr()
    assert code == 0
    rejects = pd.read_csv(out / "rejects.csv")
    reasons = " ".join(rejects["reason"])
    assert "cannot read time" in reasons and "empty type" in reasons and "coordinates" in reasons
    cells = gpd.read_file(out / "shequ.gpkg", layer="cells")
    assert cells["count"].sum() + len(rejects) == 200


def test_no_time_column_skips_trends_with_a_message(capsys, tmp_path):
    data = pd.read_csv(shared_file(SACRAMENTO)).drop(columns=["cdatetime"])
    f = tmp_path / "notime.csv"
    data.to_csv(f, index=False)
    code = main(["hotspots", "--quiet", "--incidents", str(f), "--out", str(tmp_path / "o")])
    err = capsys.readouterr().err
    assert code == 0 and "no time column: trends skipped" in err


def test_with_osm_exposure_factors_and_grid_rollup(capsys, tmp_path):
    osm = shared_file("osm/beijing_haidian_liudaokou_small.osm")
    grids_out = tmp_path / "grids"
    assert main(["grids", "--quiet", "--no-map", "--osm", str(osm), "--out", str(grids_out)]) == 0
    homes = gpd.read_file(grids_out / "shequ.gpkg", layer="homes").to_crs("EPSG:4326")
    rng = np.random.default_rng(0)
    pick = rng.choice(len(homes), 300)
    pts = homes.geometry.iloc[pick]
    incidents = pd.DataFrame(
        {
            "lon": pts.x.to_numpy() + rng.normal(0, 2e-4, 300),
            "lat": pts.y.to_numpy() + rng.normal(0, 2e-4, 300),
            "时间": pd.date_range("2025-01-01", periods=300, freq="6h").strftime("%Y-%m-%d %H:%M"),
            "类型": rng.choice(["电动车火灾", "盗窃"], 300),
        }
    )
    f = tmp_path / "inc.csv"
    incidents.to_csv(f, index=False)
    out = tmp_path / "hot"
    args = ["hotspots", "--quiet", "--no-map", "--incidents", str(f), "--osm", str(osm)]
    args += ["--grids", str(grids_out / "shequ.gpkg"), "--res", "10", "--out", str(out)]
    assert main(args) == 0
    capsys.readouterr()
    cells = gpd.read_file(out / "shequ.gpkg", layer="cells")
    for col in ("households", "rate", "elderly_share", "charging_gap", "rank_gi_z"):
        assert col in cells.columns
    with_homes = cells[cells["households"] > 0]
    assert np.allclose(with_homes["rate"], with_homes["count"] / with_homes["households"])
    assert cells["charging_gap"].dropna().between(0, 1).all()
    rejects = pd.read_csv(out / "rejects.csv")
    assert cells["count"].sum() + (rejects["layer"] == "incidents").sum() == 300
    assert (rejects["layer"] != "incidents").any()  # the OSM area's own rejects are kept too
    grids = gpd.read_file(out / "shequ.gpkg", layer="grids")
    assert {"grid_id", "incidents", "incidents_per_km2", "mean_index", "level"} <= set(
        grids.columns
    )
    rows = pd.to_numeric(rejects.loc[rejects["layer"] == "incidents", "row"])
    kept = incidents.drop(index=rows - 1)
    points = gpd.GeoDataFrame(
        geometry=gpd.points_from_xy(kept["lon"], kept["lat"]), crs="EPSG:4326"
    ).to_crs(grids.crs)
    joined = gpd.sjoin(points, grids[["geometry"]])
    assert grids["incidents"].sum() == joined.index.nunique()


def test_distance_band_weights_from_the_profile(capsys, tmp_path):
    profile = tmp_path / "p.yaml"
    profile.write_text("risk:\n  weights_distance_m: 800\n")
    out = tmp_path / "o"
    code, _ = _hot(capsys, "--profile", str(profile), "--res", "8", "--out", str(out))
    assert code == 0
    summary = pd.read_csv(out / "summary.csv").iloc[0]
    assert summary["weights"].startswith("distance band 800 m")


def _squares(size_m: float, crs: str = "EPSG:32610") -> gpd.GeoDataFrame:
    """Square grids of ``size_m`` over the Sacramento incidents (UTM 10N), as a city would draw
    them, numbered in file order."""
    data = pd.read_csv(shared_file(SACRAMENTO))
    pts = gpd.GeoSeries(gpd.points_from_xy(data["longitude"], data["latitude"]), crs="EPSG:4326")
    x0, y0, x1, y1 = pts.to_crs(crs).total_bounds
    xs = np.arange(np.floor(x0 / size_m) * size_m, x1 + size_m, size_m)
    ys = np.arange(np.floor(y0 / size_m) * size_m, y1 + size_m, size_m)
    boxes = [shapely.box(x, y, x + size_m, y + size_m) for x in xs[:-1] for y in ys[:-1]]
    return gpd.GeoDataFrame({"grid_id": np.arange(len(boxes))}, geometry=boxes, crs=crs)


@pytest.fixture(scope="module")
def sacramento_250(tmp_path_factory) -> tuple[gpd.GeoDataFrame, Path]:
    """250 m squares over the northern half of Sacramento (GeoJSON, WGS-84) and the run."""
    tmp = tmp_path_factory.mktemp("sac250")
    squares = _squares(250.0)
    north = squares[squares.geometry.centroid.y > squares.geometry.centroid.y.median()]
    path = tmp / "grids.geojson"
    north.to_crs("EPSG:4326").to_file(path, driver="GeoJSON")
    out = tmp / "hot"
    args = ["hotspots", "--quiet", "--no-map", "--incidents", str(shared_file(SACRAMENTO))]
    assert main([*args, "--grids", str(path), "--out", str(out)]) == 0
    return gpd.read_file(path), out


def test_grid_incidents_are_those_inside_each_grid(sacramento_250):
    squares, out = sacramento_250
    grids = gpd.read_file(out / "shequ.gpkg", layer="grids")
    rejects = pd.read_csv(out / "rejects.csv")
    data = pd.read_csv(shared_file(SACRAMENTO))
    rows = pd.to_numeric(rejects.loc[rejects["layer"] == "incidents", "row"])
    kept = data.drop(index=rows - 1)
    points = gpd.GeoDataFrame(
        geometry=gpd.points_from_xy(kept["longitude"], kept["latitude"]), crs="EPSG:4326"
    )
    joined = gpd.sjoin(points, squares[["grid_id", "geometry"]])
    joined = joined[~joined.index.duplicated()]  # a point on a border: once
    expected = joined["grid_id"].value_counts()
    got = grids.set_index("grid_id")["incidents"]
    # every grid holding incidents reports them (the cell-centre roll-up gave 0 to most)
    assert (got.reindex(expected.index) == expected).all()
    assert got.drop(expected.index).eq(0).all()
    assert got.sum() == len(joined)  # totals over grids = incidents inside the grids
    summary = pd.read_csv(out / "summary.csv").iloc[0]
    assert summary["incidents_in_grids"] == len(joined)
    assert summary["incidents_outside_grids"] == summary["incidents"] - len(joined) > 0


def test_grid_level_follows_its_own_excess_and_density(sacramento_250):
    """The default (significance) rule on grids: red only for a grid whose own excess of
    incidents is significant at 99 % and among the densest 10 %; every excess at 95 % at least
    orange; no grid without a significant excess above yellow."""
    _, out = sacramento_250
    grids = gpd.read_file(out / "shequ.gpkg", layer="grids")
    assert (grids["level_rule"] == "significance").all()
    assert (grids.loc[grids["incidents"] == 0, "level"] == "blue").all()
    level, grid_bin = grids["level"], grids["grid_bin"]
    assert (grid_bin[level == "red"] == 3).all()
    assert level[grid_bin >= 2].isin(["red", "orange"]).all()
    assert level[grid_bin == 1].isin(["yellow"]).all()
    assert level[grid_bin <= 0].isin(["yellow", "blue"]).all()
    density = grids["incidents_per_km2"]
    top_cut = density.sort_values(ascending=False).iloc[round(0.10 * len(grids)) - 1]
    assert (density[level == "red"] >= top_cut).all()
    # measured: 105 red, 82 orange of 3,740 grids (the quota rule gave 187 red)
    assert (level == "red").sum() == 105 and (level == "orange").sum() == 82


def test_grids_that_miss_the_incidents_are_an_error(capsys, tmp_path):
    far = _squares(250.0).iloc[:4].copy()
    far["geometry"] = far.geometry.translate(0.0, -500_000.0)
    path = tmp_path / "far.geojson"
    far.to_crs("EPSG:4326").to_file(path, driver="GeoJSON")
    code, err = _hot(capsys, "--grids", str(path), "--out", str(tmp_path / "o"))
    assert code == 2 and len(err.strip().splitlines()) == 1
    assert "none of the 7584 incidents lies inside any of the 4 grids" in err
    assert not (tmp_path / "o").exists()
    code, err = _hot(capsys, "--grids", str(path), "--lang", "zh", "--out", str(tmp_path / "o"))
    assert code == 2 and "网格文件与事件范围不重合" in err and english_sentences(err) == []


def test_grid_run_in_chinese(capsys, tmp_path, sacramento_250):
    squares, _ = sacramento_250
    path = tmp_path / "g.geojson"
    squares.to_file(path, driver="GeoJSON")
    code, err = _hot(capsys, "--grids", str(path), "--lang", "zh", "--out", str(tmp_path / "o"))
    assert code == 0 and "不在任何网格内" in err
    assert english_sentences(err) == []
