"""``shequ hotspots`` end to end on the Sacramento incidents, and its answers to bad input."""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest

from shequ.cli import main
from tests.conftest import shared_file

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
    assert {"grid_id", "incidents", "mean_index", "level"} <= set(grids.columns)
    assert grids["incidents"].sum() <= cells["count"].sum()


def test_distance_band_weights_from_the_profile(capsys, tmp_path):
    profile = tmp_path / "p.yaml"
    profile.write_text("risk:\n  weights_distance_m: 800\n")
    out = tmp_path / "o"
    code, _ = _hot(capsys, "--profile", str(profile), "--res", "8", "--out", str(out))
    assert code == 0
    summary = pd.read_csv(out / "summary.csv").iloc[0]
    assert summary["weights"].startswith("distance band 800 m")
