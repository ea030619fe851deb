"""The grid register (网格台账): codes and names kept through a redraw, exact bookkeeping.

A redraw is only useful if it can go back into the city's grid platform: the same code and name
for every grid that continues, the next free codes for new grids, the retired grids listed, and
every household whose grid changes counted once in ``moves``.
"""

from __future__ import annotations

import json

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest

from shequ.analyses.grid_codes import next_free_codes
from shequ.analyses.grid_redraw import absorb_empty, match_grids
from shequ.cli import main
from tests.conftest import shared_file
from tests.helpers import (
    CAPTURE_DOWNLOADS,
    beijing_register,
    open_page,
    probe_attrs,
    shanghai_window,
    with_probe,
)

BEIJING = "osm/beijing_haidian_liudaokou_small.osm"


def test_new_grids_take_the_next_free_number_of_their_sequence():
    taken = ["320104001002005", "320104001002007", "320104001003001", "G9"]
    codes = next_free_codes(
        taken,
        ["320104001002005", "320104001002005", "G9", None],
        ["x1", "x2", "x3", "G9"],
    )
    # never a code already in the register (007 may be a retired grid's), never twice
    assert codes == ["320104001002008", "320104001002009", "G10", "G9-2"]


def test_matching_keeps_identity_by_shared_households():
    hh = np.array([10.0, 10, 10, 10, 10, 10, 1])
    before = np.array([7, 7, 7, 3, 3, 3, 3])
    # grid 7 keeps 2 of 3 homes (renumbered 0), grid 3 is cut in two equal halves + a bit
    after = np.array([0, 0, 5, 5, 9, 9, 9])
    continues, flows = match_grids(before, after, hh)
    assert continues == {0: 7, 9: 3}  # 9 holds 21 of grid 3's 31 households: more than half
    assert flows["households"].sum() == pytest.approx(hh.sum())
    # a grid left with less than half of its households is not the same grid
    continues, _ = match_grids(before, np.array([0, 5, 6, 1, 1, 2, 2]), hh)
    assert continues == {1: 3}  # grid 7 is spread a third each: retired


def test_unchanged_labels_continue_every_grid_whatever_the_numbers():
    rng = np.random.default_rng(0)
    before = rng.integers(0, 20, 500)
    hh = rng.uniform(1, 50, 500)
    after = (before * 7 + 3) % 101  # the same grids under other numbers
    continues, flows = match_grids(before, after, hh)
    assert len(continues) == len(np.unique(before))
    assert all(after[before == old][0] == new for new, old in continues.items())
    assert len(flows) == len(continues)  # nothing flows elsewhere


def test_empty_grids_are_merged_into_a_neighbour():
    atoms = shanghai_window(600.0)
    hh = atoms.frame["households"].to_numpy()
    labels = np.zeros(atoms.n, dtype=np.int64)
    labels[atoms.n // 2 :] = 1
    empty = int(np.argmin(hh))  # an atom of its own with its households taken away
    labels[empty] = 2
    saved = hh[empty]
    atoms.frame.loc[empty, "households"] = 0.0
    try:
        out = absorb_empty(labels, atoms)
    finally:
        atoms.frame.loc[empty, "households"] = saved
    assert 2 not in out and out[empty] in (0, 1)
    touching = labels[atoms.graph()[empty].indices]
    assert out[empty] in touching  # joined a neighbour, not the nearest by chance
    assert (np.delete(out, empty) == np.delete(labels, empty)).all()


# --- end to end on the Beijing extract -------------------------------------------------------


def _run(*args: str) -> None:
    osm = str(shared_file(BEIJING))
    assert main(["grids", "--quiet", "--no-map", "--osm", osm, "--time-limit", "5", *args]) == 0


@pytest.fixture(scope="module")
def plan(tmp_path_factory):
    """A plan with a register's codes (a permutation, as a platform numbered them) and names,
    and its homes as a CSV (a user's homes file)."""
    root = tmp_path_factory.mktemp("register")
    grids, homes, _ = beijing_register(root, _run)
    metric = grids.rename(columns={"code": "网格编码"})[["网格编码", "网格名称", "geometry"]]
    metric.to_file(root / "register.gpkg")  # the plan's metric CRS (UTM)
    code_of = dict(zip(grids["grid_id"], grids["code"], strict=True))
    homes["reg_code"] = homes["grid_id"].map(code_of)
    return root, grids, homes


def _result(out):
    gpkg = out / "shequ.gpkg"
    grids = gpd.read_file(gpkg, layer="grids")
    homes = gpd.read_file(gpkg, layer="homes")
    summary = pd.read_csv(out / "plan_summary.csv").iloc[0]
    return grids, homes, summary


def _assert_unchanged(plan, out):
    _, register, base_homes = plan
    grids, homes, summary = _result(out)
    assert summary["households_moved"] == 0
    assert (grids["households"] > 0).all() and (grids.area > 1.0).all()  # no empty grid
    assert sorted(grids["code"]) == sorted(register["code"])
    names = dict(zip(register["code"], register["网格名称"], strict=True))
    assert (grids["name"] == grids["code"].map(names)).all()
    both = _joined(base_homes, homes)
    assert len(both) == len(base_homes) and (both["grid_code"] == both["reg_code"]).all()


def _joined(base_homes: pd.DataFrame, homes: pd.DataFrame) -> pd.DataFrame:
    """The base plan's homes with their grid code now, by home id."""
    old = base_homes[["home_id", "reg_code"]].astype({"home_id": str})
    new = homes[["home_id", "grid_code", "households"]].astype({"home_id": str})
    return old.merge(new, on="home_id")


def test_unchanged_register_from_geojson_with_osm_homes(plan, tmp_path):
    root = plan[0]
    _run("--existing", str(root / "register.geojson"), "--out", str(tmp_path / "o"))
    _assert_unchanged(plan, tmp_path / "o")


def test_unchanged_register_from_metric_gpkg_with_a_homes_file(plan, tmp_path):
    root = plan[0]
    args = ["--existing", str(root / "register.gpkg"), "--homes", str(root / "homes.csv")]
    _run(*args, "--out", str(tmp_path / "o"))
    _assert_unchanged(plan, tmp_path / "o")


def test_growth_in_one_corner_is_counted_home_by_home(plan, tmp_path):
    root, register, base_homes = plan
    table = pd.read_csv(root / "homes.csv")
    x, y = table["lon"], table["lat"]
    corner = (x > x.quantile(0.6)) & (y > y.quantile(0.6))
    table.loc[corner, "households"] *= 1.3
    table.to_csv(tmp_path / "grown.csv", index=False)
    out = tmp_path / "o"
    _run(
        "--existing",
        str(root / "register.geojson"),
        "--homes",
        str(tmp_path / "grown.csv"),
        "--out",
        str(out),
    )
    grids, homes, summary = _result(out)
    moves = gpd.read_file(out / "shequ.gpkg", layer="moves")
    both = _joined(base_homes, homes)
    assert len(both) == len(base_homes)
    changed = both["reg_code"] != both["grid_code"]
    recount = both.loc[changed, "households"].sum()
    assert moves["households"].sum() == pytest.approx(recount)
    assert summary["households_moved"] == pytest.approx(recount)
    assert (moves["from_code"] != moves["to_code"]).all()
    # a grid that lost or gained no home keeps its code
    before = both.groupby("reg_code")["home_id"].apply(frozenset)
    after = both.groupby("grid_code")["home_id"].apply(frozenset)
    untouched = [c for c, s in before.items() if s in set(after)]
    assert untouched and all(after.get(c) == before[c] for c in untouched)
    assert (grids["households"] > 0).all()
    retired = pd.read_csv(out / "retired_grids.csv", dtype={"code": str})
    assert set(retired["code"]).isdisjoint(grids["code"])
    assert set(register["code"]) <= set(grids["code"]) | set(retired["code"])


def test_an_unknown_code_column_is_one_line_naming_it(plan, tmp_path, capsys):
    root = plan[0]
    osm = str(shared_file(BEIJING))
    args = ["grids", "--quiet", "--osm", osm, "--existing", str(root / "register.geojson")]
    code = main([*args, "--code-column", "编号X", "--out", str(tmp_path / "o")])
    err = capsys.readouterr().err
    assert code == 2 and "--code-column 编号X" in err and "网格名称" in err  # the file's columns
    assert len(err.strip().splitlines()) == 1


def test_text_grid_numbers_and_a_named_name_column_are_kept(plan, tmp_path):
    register = plan[1]
    frame = register.to_crs("EPSG:4326")
    numbers = [f"LDK-{s}" for s in range(1, len(frame) + 1)]  # 网格编号 as text, no code column
    places = [f"片区{s}" for s in range(1, len(frame) + 1)]
    own = gpd.GeoDataFrame({"网格编号": numbers, "片区": places}, geometry=frame.geometry.values)
    own.set_crs("EPSG:4326").to_file(tmp_path / "own.geojson")
    out = tmp_path / "o"
    _run("--existing", str(tmp_path / "own.geojson"), "--name-column", "片区", "--out", str(out))
    grids, _, summary = _result(out)
    assert summary["households_moved"] == 0
    assert sorted(grids["code"]) == sorted(numbers)
    assert (grids["name"] == grids["code"].map(dict(zip(numbers, places, strict=True)))).all()


def test_an_unchanged_nanjing_register_moves_nothing(tmp_path):
    """Nanjing's own plan (77 grids, estimated homes included) fed back from WGS-84 moves 0
    households and keeps every code."""
    osm = str(shared_file("osm/nanjing_xinjiekou_small.osm"))
    args = ["grids", "--quiet", "--no-map", "--osm", osm, "--time-limit", "5"]
    # the plan fed back is a finished one (default budget: the search ends by itself in about
    # 20 s); 5 s leave 18 to 53 of 77 grids outside the band, varying with the machine's speed,
    # and a redraw rightly moves households to bring such a register into it
    assert main([*args[:-2], "--out", str(tmp_path / "base")]) == 0
    grids = gpd.read_file(tmp_path / "base" / "shequ.gpkg", layer="grids")
    grids["code"] = [f"320106001002{i:03d}" for i in range(len(grids), 0, -1)]
    grids.to_crs("EPSG:4326")[["code", "geometry"]].to_file(tmp_path / "register.geojson")
    register = str(tmp_path / "register.geojson")
    assert main([*args, "--existing", register, "--out", str(tmp_path / "again")]) == 0
    again, _, summary = _result(tmp_path / "again")
    assert summary["households_moved"] == 0
    assert sorted(again["code"]) == sorted(grids["code"])
    # every grid one Polygon: atoms cut along the register's outlines leave hairline gaps
    # between pieces of one grid (5 of 77 came out as MultiPolygons), closed in the outline
    assert (again.geom_type == "Polygon").all()


EXPORT_PROBE_TEXT = """
<script>
(function () {
  /* Click "export grids" and keep what the page downloads. */
  var exported = null, downloads = [];
  CAPTURE_DOWNLOADS
  setTimeout(function () {
    document.querySelector('.shequ-grid-export').click();
    var out = document.createElement('div');
    out.id = 'shequ-probe';
    out.setAttribute('data-export', encodeURIComponent(exported || ''));
    out.setAttribute('data-downloads', encodeURIComponent(JSON.stringify(downloads)));
    document.body.appendChild(out);
  }, 500);
})();
</script>
"""
EXPORT_PROBE = EXPORT_PROBE_TEXT.replace("CAPTURE_DOWNLOADS", CAPTURE_DOWNLOADS)


@pytest.mark.browser
def test_grids_exported_from_the_map_come_back_unchanged(plan, tmp_path):
    """The register's codes and names, through the map's "export grids" button (6 decimals,
    WGS-84) and back with --existing: the same grids, codes and names, 0 households moved."""
    root, register, _ = plan
    first = tmp_path / "first"
    osm = str(shared_file(BEIJING))
    args = ["grids", "--quiet", "--osm", osm, "--time-limit", "5", "--lang", "zh"]
    assert main([*args, "--existing", str(root / "register.geojson"), "--out", str(first)]) == 0
    run = open_page(with_probe(first / "map.html", EXPORT_PROBE), tmp_path)
    assert run.console == [], "\n".join(run.console)
    result = probe_attrs(run.dom)
    assert json.loads(result["data-downloads"]) == ["grids.geojson"]
    exported = json.loads(result["data-export"])
    features = exported["features"]
    assert len(features) == len(register)
    names = dict(zip(register["code"], register["网格名称"], strict=True))
    assert {f["properties"]["code"]: f["properties"]["name"] for f in features} == names
    ring = features[0]["geometry"]["coordinates"][0]
    assert all(len(f"{value}".split(".")[-1]) <= 6 for xy in ring for value in xy)
    saved = tmp_path / "grids.geojson"
    saved.write_text(result["data-export"], encoding="utf-8")
    again = tmp_path / "again"
    assert main([*args, "--no-map", "--existing", str(saved), "--out", str(again)]) == 0
    grids, homes, summary = _result(again)
    assert summary["households_moved"] == 0
    assert (grids["households"] > 0).all()
    assert sorted(grids["code"]) == sorted(names)
    assert (grids["name"] == grids["code"].map(names)).all()
    _, before, _ = _result(first)
    both = before[["home_id", "grid_code"]].merge(
        homes[["home_id", "grid_code"]], on="home_id", suffixes=("_before", "")
    )
    assert len(both) == len(before) and (both["grid_code_before"] == both["grid_code"]).all()
