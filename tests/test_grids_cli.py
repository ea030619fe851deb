"""``shequ grids`` end to end on a real extract, and its answers to bad input."""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely

from shequ.cli import main
from tests.conftest import shared_file

BEIJING = "osm/beijing_haidian_liudaokou_small.osm"


def _grids(capsys, *args: str) -> tuple[int, str, str]:
    code = main(["grids", "--quiet", "--osm", str(shared_file(BEIJING)), *args])
    cap = capsys.readouterr()
    return code, cap.out, cap.err


@pytest.fixture(scope="module")
def run(tmp_path_factory):
    out = tmp_path_factory.mktemp("grids")
    assert main(["grids", "--quiet", "--osm", str(shared_file(BEIJING)), "--out", str(out)]) == 0
    return out


def test_every_home_in_exactly_one_grid(run):
    gpkg = run / "shequ.gpkg"
    homes = gpd.read_file(gpkg, layer="homes")
    grids = gpd.read_file(gpkg, layer="grids")
    assert homes["grid_id"].isin(grids["grid_id"]).all()
    hits = shapely.STRtree(grids.geometry.values).query(homes.geometry.values, predicate="within")
    counts = np.bincount(hits[0], minlength=len(homes))
    assert (counts <= 1).all()  # never inside two grids
    inside = counts == 1
    assert (grids["grid_id"].to_numpy()[hits[1]] == homes["grid_id"].to_numpy()[hits[0]]).all()
    assert inside.mean() > 0.95  # the rest sit exactly on a border line
    per_grid = homes.groupby("grid_id")["households"].sum()
    assert np.allclose(per_grid.reindex(grids["grid_id"]).fillna(0), grids["households"])


def test_grids_cover_the_atoms_without_overlap(run):
    gpkg = run / "shequ.gpkg"
    grids = gpd.read_file(gpkg, layer="grids")
    atoms = gpd.read_file(gpkg, layer="atoms")
    assert grids.area.sum() == pytest.approx(atoms.area.sum(), rel=1e-4)
    geoms = grids.geometry.values
    i, j = shapely.STRtree(geoms).query(geoms, predicate="intersects")
    keep = i < j
    overlap = shapely.area(shapely.intersection(geoms[i[keep]], geoms[j[keep]]))
    assert overlap.sum() < 1.0


def test_codes_and_summary(run):
    grids = pd.read_csv(run / "grid_summary.csv", dtype={"code": str})
    assert grids["code"].str.len().eq(15).all()
    assert sorted(grids["seq"]) == list(range(1, len(grids) + 1))
    plan = pd.read_csv(run / "plan_summary.csv").iloc[0]
    assert plan["grids"] == len(grids)
    assert plan["max_abs_deviation"] == pytest.approx(grids["deviation"].abs().max())
    assert plan["out_of_tolerance"] == int((grids["deviation"].abs() > 0.15 + 1e-9).sum())
    assert ((grids["polsby_popper"] > 0) & (grids["polsby_popper"] <= 1)).all()


def test_target_below_the_largest_atom_is_reported(capsys, tmp_path):
    # the note and the flags come before the search: a short search is enough here
    code, _, err = _grids(
        capsys, "--households-per-grid", "100", "--time-limit", "5", "--out", str(tmp_path)
    )
    assert code == 0
    assert "hold more than 115 households alone" in err
    grids = pd.read_csv(tmp_path / "grid_summary.csv")
    assert grids["oversized"].any()


def test_homes_outside_every_community_are_kept_and_flagged(capsys, tmp_path):
    comm = tmp_path / "communities.geojson"
    # one community covering only the south-west of the area (WGS-84)
    gpd.GeoDataFrame(
        {"name": ["南区"], "code": [7]},
        geometry=[shapely.box(116.30, 39.90, 116.352, 40.003)],
        crs="EPSG:4326",
    ).to_file(comm)
    out = tmp_path / "out"
    code, _, err = _grids(capsys, "--communities", str(comm), "--out", str(out))
    assert code == 0
    assert "outside every community" in err
    grids = gpd.read_file(out / "shequ.gpkg", layer="grids")
    homes = gpd.read_file(out / "shequ.gpkg", layer="homes")
    assert grids["outside_community"].any() and (~grids["outside_community"]).any()
    assert homes["grid_id"].isin(grids["grid_id"]).all()  # nothing lost
    inside = grids[~grids["outside_community"]]
    assert inside["code"].str[9:12].eq("007").all()  # community code from the file


def test_bad_tolerance_and_empty_area(capsys, tmp_path):
    code, _, err = _grids(capsys, "--tolerance", "1.5", "--out", str(tmp_path))
    assert code == 2 and "argument --tolerance: must be below 1, got 1.5" in err
    empty = tmp_path / "empty.osm"
    empty.write_text(
        "<?xml version='1.0'?><osm version='0.6'>"
        "<node id='1' lat='39.99' lon='116.35' version='1'/></osm>"
    )
    code = main(["grids", "--quiet", "--osm", str(empty), "--out", str(tmp_path / "o")])
    err = capsys.readouterr().err
    assert code == 2 and "error" in err
