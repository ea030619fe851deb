"""``shequ access --grids``: the living-circle audit per management grid, on real extracts.

The grids are made by ``shequ grids`` on the Nanjing and Beijing extracts (module fixtures,
short time limit); the audit per grid is checked against the run's own summary (totals over
grids plus the rows outside every grid equal the totals over homes) and against an independent
point-in-polygon join of the written homes layer (geopandas ``sjoin``).
"""

from __future__ import annotations

from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely
from shapely import affinity

from shequ.analyses.grid_audit import assign_points
from shequ.cli import main
from tests.conftest import shared_file
from tests.helpers import english_sentences

NANJING = "osm/nanjing_xinjiekou_small.osm"
BEIJING = "osm/beijing_haidian_liudaokou_small.osm"
SUMS = ["homes_covered", "households_covered", "population_covered", "elderly_covered"]
SUMS += ["children_covered", "homes_total", "households_total", "blind_spot_homes"]
KEY = ["kind", "tier_min"]


def _grids(tmp: Path, osm: str) -> Path:
    out = tmp / "grids"
    args = ["grids", "--quiet", "--no-map", "--osm", str(shared_file(osm))]
    assert main([*args, "--time-limit", "2", "--out", str(out)]) == 0
    return out / "shequ.gpkg"


def _access(osm: str, grids: Path, out: Path, *extra: str) -> int:
    args = ["access", "--quiet", "--no-map", "--osm", str(shared_file(osm))]
    return main([*args, "--grids", str(grids), "--out", str(out), *extra])


@pytest.fixture(scope="module")
def nanjing(tmp_path_factory) -> tuple[Path, Path]:
    """Nanjing's grids (gpkg, layer ``grids``) and the access run with them."""
    tmp = tmp_path_factory.mktemp("nj")
    grids = _grids(tmp, NANJING)
    assert _access(NANJING, grids, tmp / "acc") == 0
    return grids, tmp / "acc"


@pytest.fixture(scope="module")
def beijing_part(tmp_path_factory) -> tuple[gpd.GeoDataFrame, Path]:
    """Half of Beijing's grids as GeoJSON (WGS-84), plus one grid far from every home."""
    tmp = tmp_path_factory.mktemp("bj")
    grids = gpd.read_file(_grids(tmp, BEIJING), layer="grids")
    half = grids.iloc[: len(grids) // 2].copy()
    far = half.iloc[[0]].copy()
    far["geometry"] = [affinity.translate(far.geometry.iloc[0], 20_000.0, 0.0)]
    far["grid_id"] = 9999
    part = pd.concat([half, far], ignore_index=True)
    path = tmp / "part.geojson"
    part.to_crs("EPSG:4326").to_file(path, driver="GeoJSON")
    assert _access(BEIJING, path, tmp / "acc") == 0
    return part, tmp / "acc"


def _sum_over_grids(audit: pd.DataFrame) -> pd.DataFrame:
    return audit.groupby(KEY)[SUMS].sum().sort_index()


def test_assign_points_counts_a_border_point_once():
    squares = np.array([shapely.box(0, 0, 1, 1), shapely.box(1, 0, 2, 1), shapely.box(0, 0, 2, 1)])
    xy = np.array([[0.5, 0.5], [1.0, 0.5], [1.5, 0.5], [5.0, 5.0]])
    # the border point goes to the first square, the overlap to the first holder, none: -1
    assert assign_points(xy, squares).tolist() == [0, 0, 1, -1]


def test_totals_over_grids_equal_the_run_summary(nanjing):
    _, out = nanjing
    audit = pd.read_csv(out / "grid_audit.csv")
    summary = pd.read_csv(out / "summary.csv").set_index(KEY)[SUMS].sort_index()
    assert not audit["outside"].any()  # the grids of the same extract hold every home
    pd.testing.assert_frame_equal(_sum_over_grids(audit), summary, check_exact=False, rtol=1e-9)


def test_households_per_grid_match_an_independent_join(nanjing):
    grids_file, out = nanjing
    homes = gpd.read_file(out / "shequ.gpkg", layer="homes")
    grids = gpd.read_file(grids_file, layer="grids").to_crs(homes.crs)
    joined = gpd.sjoin(homes[["households", "geometry"]], grids[["grid_id", "geometry"]])
    joined = joined[~joined.index.duplicated()]  # a home on a border: once
    expected = joined.groupby("grid_id")["households"].sum()
    audit = pd.read_csv(out / "grid_audit.csv")
    one = audit[(audit["kind"] == audit["kind"].iloc[0]) & audit["is_threshold"]]
    got = one.set_index("grid_id")["households_total"]
    assert len(got) == len(grids)
    assert np.allclose(got.reindex(expected.index), expected)
    assert np.allclose(got.drop(expected.index, errors="ignore"), 0.0)


def test_layer_holds_the_grid_polygons(nanjing):
    grids_file, out = nanjing
    layer = gpd.read_file(out / "shequ.gpkg", layer="grid_audit")
    grids = gpd.read_file(grids_file, layer="grids")
    assert set(layer.geom_type) <= {"Polygon", "MultiPolygon"}
    first = layer.iloc[0]
    source = grids.set_index("grid_id").geometry.loc[first["grid_id"]]
    assert first.geometry.symmetric_difference(source).area < 1.0  # m², the same polygon
    assert {"code", "data_status", "households_share", "blind_spot_homes"} <= set(layer.columns)


def test_shares_are_empty_where_nothing_is_measured(nanjing):
    _, out = nanjing
    audit = pd.read_csv(out / "grid_audit.csv")
    not_ok = audit["data_status"] != "ok"
    assert (audit.loc[not_ok, "data_status"] == "no_facilities").any()
    assert audit.loc[not_ok, "households_share"].isna().all()
    ok = audit[~not_ok & (audit["households_total"] > 0)]
    share = ok["households_covered"] / ok["households_total"]
    assert np.allclose(ok["households_share"], share)


def test_homes_outside_every_grid_have_their_own_rows(beijing_part):
    part, out = beijing_part
    audit = pd.read_csv(out / "grid_audit.csv")
    summary = pd.read_csv(out / "summary.csv").set_index(KEY)[SUMS].sort_index()
    outside = audit[audit["outside"]]
    assert audit.loc[~audit["outside"], "grid_id"].nunique() == len(part)  # every grid, once
    assert len(outside) and (outside["grid_row"] == 0).all()
    assert (outside["homes_total"] > 0).all()
    # no home lost: inside + outside = the whole run
    pd.testing.assert_frame_equal(_sum_over_grids(audit), summary, check_exact=False, rtol=1e-9)
    # the grid far away holds no home: its shares are empty, not 0 %
    far = audit[audit["grid_id"] == 9999]
    assert (far["data_status"] == "no_homes").all() and far["households_share"].isna().all()
    assert (far["homes_total"] == 0).all()


def test_grids_far_from_the_homes_are_one_line_error(tmp_path, capsys):
    grids = gpd.GeoDataFrame(
        {"grid_id": [1]}, geometry=[shapely.box(10.0, 50.0, 10.01, 50.01)], crs="EPSG:4326"
    )
    path = tmp_path / "far.geojson"
    grids.to_file(path, driver="GeoJSON")
    assert _access(NANJING, path, tmp_path / "o") == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and "inside any of the 1 grids" in err
    assert "far.geojson" in err
    assert _access(NANJING, path, tmp_path / "o", "--lang", "zh") == 2
    err = capsys.readouterr().err
    assert "网格文件与研究范围不重合" in err and english_sentences(err) == []


def test_chinese_run_speaks_chinese(nanjing, tmp_path, capsys):
    grids_file, _ = nanjing
    capsys.readouterr()
    assert _access(NANJING, grids_file, tmp_path / "zh", "--lang", "zh") == 0
    captured = capsys.readouterr()
    assert english_sentences(captured.err + captured.out) == []
    assert (tmp_path / "zh" / "grid_audit.csv").exists()
