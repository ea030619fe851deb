"""Locked grids and hand edits through a redraw (issue 13, "Locks and edits").

A grid manager locks the grids that must not change (``--lock`` codes, a ``locked`` column in the
register) and hands back the edits drawn on the map; both have to survive the next redraw:
locked grids keep exactly their atoms, an edited plan within the band fed back moves nobody, and
an edit names its grid by the register's code. End to end on the Beijing extract (10 grids, a
few seconds a run).
"""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely

from shequ.cli import main
from tests.conftest import shared_file
from tests.helpers import beijing_register

BEIJING = "osm/beijing_haidian_liudaokou_small.osm"


def _run(*args: str) -> int:
    osm = str(shared_file(BEIJING))
    return main(["grids", "--quiet", "--no-map", "--osm", osm, "--time-limit", "5", *args])


def _layer(out, name: str) -> gpd.GeoDataFrame:
    return gpd.read_file(out / "shequ.gpkg", layer=name)


def _summary(out) -> pd.Series:
    return pd.read_csv(out / "plan_summary.csv").iloc[0]


@pytest.fixture(scope="module")
def register(tmp_path_factory):
    """A register (codes and names only, no grid ids: the map's numbers are not the
    platform's), its homes as a file, and the same homes after +30 % in the north-east."""
    root = tmp_path_factory.mktemp("locks")
    _, _, table = beijing_register(root, _run)
    corner = (table["lon"] > table["lon"].quantile(0.6)) & (
        table["lat"] > table["lat"].quantile(0.6)
    )
    table.loc[corner, "households"] *= 1.3
    table.to_csv(root / "grown.csv", index=False)
    return root


def _homes_by_code(out) -> pd.Series:
    homes = _layer(out, "homes").astype({"home_id": str})
    return homes.groupby("grid_code")["home_id"].apply(frozenset)


def test_locked_grids_are_unchanged_after_growth_in_a_corner(register, tmp_path):
    root = register
    grown = ["--existing", str(root / "register.geojson"), "--homes", str(root / "grown.csv")]
    assert _run(*grown, "--out", str(tmp_path / "free")) == 0
    moves = _layer(tmp_path / "free", "moves")
    touched = sorted(set(moves["from_code"]) | set(moves["to_code"]))
    reg = gpd.read_file(root / "register.geojson")
    touched = [c for c in touched if c in set(reg["code"])]
    assert len(touched) >= 2  # without locks the growth changes these grids: the test can fail
    by_flag, by_option = touched[0], touched[1]
    reg["locked"] = ["是" if c == by_flag else "" for c in reg["code"]]
    reg.to_file(tmp_path / "locked.geojson")
    args = ["--existing", str(tmp_path / "locked.geojson"), "--homes", str(root / "grown.csv")]
    assert _run(*args, "--lock", by_option, "--out", str(tmp_path / "o")) == 0
    before = _layer(root / "base", "grids")
    before["code"] = reg["code"].to_numpy()  # the register is the base plan's rows, in order
    after = _layer(tmp_path / "o", "grids").to_crs(before.crs)  # metres
    homes_now, moves = _homes_by_code(tmp_path / "o"), _layer(tmp_path / "o", "moves")
    base_homes = _layer(root / "base", "homes").astype({"home_id": str})
    code_of_id = dict(zip(_layer(root / "base", "grids")["grid_id"], reg["code"], strict=True))
    homes_then = base_homes.groupby(base_homes["grid_id"].map(code_of_id))["home_id"].apply(
        frozenset
    )
    for code in (by_flag, by_option):
        assert homes_now[code] == homes_then[code]  # no home left, none joined
        assert not ((moves["from_code"] == code) | (moves["to_code"] == code)).any()
        old = before.loc[before["code"] == code].geometry.iloc[0]
        new = after.loc[after["code"] == code].geometry.iloc[0]
        # the same outline, up to the WGS-84 round trip of the register (well under 1 m²)
        assert shapely.symmetric_difference(old, new).area < 1.0
    # the other grids were still redrawn: the locks fixed only what they name
    assert _summary(tmp_path / "o")["households_moved"] > 0
    # the output says which grids are locked, so fed back as --existing it keeps them locked
    assert set(after.loc[after["locked"], "code"]) == {by_flag, by_option}


def test_the_output_fed_back_keeps_its_locks(register, tmp_path, capsys):
    root = register
    reg = gpd.read_file(root / "register.geojson")
    locked = sorted(reg["code"])[:2]
    args = ["--existing", str(root / "register.geojson"), "--lock", ",".join(locked)]
    assert _run(*args, "--out", str(tmp_path / "a")) == 0
    out = _layer(tmp_path / "a", "grids").to_crs("EPSG:4326")
    out[["code", "name", "locked", "geometry"]].to_file(tmp_path / "a.geojson")
    capsys.readouterr()
    assert _run("--existing", str(tmp_path / "a.geojson"), "--out", str(tmp_path / "b")) == 0
    assert (
        f"2 grids locked and left as they are: {locked[0]}, {locked[1]}" in capsys.readouterr().err
    )
    again = _layer(tmp_path / "b", "grids")
    assert set(again.loc[again["locked"], "code"]) == set(locked)


def test_a_locked_grid_without_households_keeps_its_code(register, tmp_path):
    # the homes file leaves one grid empty (its homes not yet registered): locked, it is still
    # that grid, with its code and outline, not a new grid or a retired one
    root = register
    reg = gpd.read_file(root / "register.geojson")
    base_grids = _layer(root / "base", "grids")
    base_homes = _layer(root / "base", "homes")
    code_of_id = dict(zip(base_grids["grid_id"], reg["code"], strict=True))
    home_code = base_homes["grid_id"].map(code_of_id).to_numpy()
    small = pd.Series(home_code).value_counts().index[-1]
    table = pd.read_csv(root / "homes.csv")
    table[home_code != small].to_csv(tmp_path / "homes.csv", index=False)
    args = ["--existing", str(root / "register.geojson"), "--homes", str(tmp_path / "homes.csv")]
    assert _run(*args, "--lock", small, "--out", str(tmp_path / "o")) == 0
    after = _layer(tmp_path / "o", "grids").to_crs(base_grids.crs)
    mine = after.loc[after["code"] == small]
    assert len(mine) == 1 and mine["households"].iloc[0] == 0 and bool(mine["locked"].iloc[0])
    old = base_grids.loc[(reg["code"] == small).to_numpy()].geometry.iloc[0]  # same row order
    assert shapely.symmetric_difference(old, mine.geometry.iloc[0]).area < 1.0
    retired = tmp_path / "o" / "retired_grids.csv"
    assert not retired.exists() or small not in set(pd.read_csv(retired, dtype=str)["code"])


def test_edits_never_change_a_locked_grid():
    from shequ.analyses.grid_edits import apply_edits
    from tests.helpers import shanghai_window

    atoms = shanghai_window(600.0)
    x = atoms.frame.geometry.centroid.x.to_numpy()
    labels = np.where(x < np.median(x), 0, 1).astype(np.int64)
    labels[np.argmax(x)] = 2  # a third grid, east of grid 1
    everything = shapely.box(*atoms.frame.total_bounds).buffer(10)
    edits = [(1, everything, 1), (2, everything, 0)]
    out, moves, rejected = apply_edits(
        atoms, labels, edits, locked=frozenset({1}), codes={1: "G-1"}
    )
    assert (out[labels == 1] == 1).all()  # nothing left the locked grid
    assert (out == 0).sum() == (labels != 1).sum()  # the others joined grid 0 (edit 2)
    assert rejected == [
        (1, "grid G-1 is locked (--lock or the locked column): edits do not change it")
    ]
    assert set(moves["from_grid"]) == {2}


def test_lock_errors_are_one_line(register, tmp_path, capsys):
    root = register
    existing = ["--existing", str(root / "register.geojson")]
    assert _run(*existing, "--lock", "110108012003999", "--out", str(tmp_path / "a")) == 2
    err = capsys.readouterr().err
    assert "--lock 110108012003999" in err and len(err.strip().splitlines()) == 1
    assert _run("--lock", "110108012003001", "--out", str(tmp_path / "b"), "--lang", "zh") == 2
    err = capsys.readouterr().err
    assert "--lock 需与 --existing 一起使用" in err and len(err.strip().splitlines()) == 1
    reg = gpd.read_file(root / "register.geojson")
    reg["locked"] = ["maybe" if i == 2 else "no" for i in range(len(reg))]
    reg.to_file(tmp_path / "bad.geojson")
    assert _run("--existing", str(tmp_path / "bad.geojson"), "--out", str(tmp_path / "c")) == 2
    err = capsys.readouterr().err
    assert "'maybe'" in err and "3" in err and len(err.strip().splitlines()) == 1


def _edit_candidate(
    grids: gpd.GeoDataFrame, atoms: gpd.GeoDataFrame, low: float, high: float, in_band=True
):
    """An atom with households on the border of two grids in band that both stay in band and
    whole (one polygon) when it changes grid: an edit a manager would make (``in_band``: False
    takes grids outside the band too)."""
    hh = dict(zip(grids["grid_id"], grids["households"], strict=True))
    usable = ~grids["oversized"] & (grids["within_tolerance"] | (not in_band))
    ok = set(grids.loc[usable, "grid_id"])
    shape = dict(zip(grids["grid_id"], grids.geometry, strict=True))
    for _, atom in atoms[atoms["households"] > 0].sort_values("households").iterrows():
        a = atom["grid_id"]
        if a not in ok or not low <= hh[a] - atom["households"]:
            continue
        rest = shapely.difference(shape[a], atom.geometry)
        if rest.geom_type != "Polygon":
            continue
        for b in ok - {a}:
            border = shapely.intersection(shape[b], atom.geometry.buffer(0.5))
            if border.area > 2.0 and hh[b] + atom["households"] <= high:
                return atom, b
    raise AssertionError("no edit within the band on this plan")


def test_an_edit_drawn_on_the_register_holds_and_feeds_back_with_no_move(
    register, tmp_path, capsys
):
    root = register
    existing = ["--existing", str(root / "register.geojson")]
    first = tmp_path / "first"  # the map the manager draws on: the register's plan
    assert _run(*existing, "--out", str(first)) == 0
    grids, atoms = _layer(first, "grids"), _layer(first, "atoms")
    atom, to = _edit_candidate(grids, atoms, 300 * 0.85, 300 * 1.15)
    code = grids.loc[grids["grid_id"] == to, "code"].iloc[0]
    other = int(grids.loc[grids["grid_id"] != to, "grid_id"].iloc[0])
    shape = gpd.GeoSeries([atom.geometry.buffer(-0.5)] * 2, crs=atoms.crs).to_crs("EPSG:4326")
    # to_grid is another grid's number: the register's code is what names the grid
    edits = gpd.GeoDataFrame(
        {"to_grid": [other, other], "to_code": [code, "110108012003999"]}, geometry=shape
    )
    edits.to_file(tmp_path / "edits.geojson")
    second = tmp_path / "second"
    args = [*existing, "--edits", str(tmp_path / "edits.geojson"), "--lang", "zh"]
    assert _run(*args, "--out", str(second)) == 0
    err = capsys.readouterr().err
    assert "已应用 1 处修改" in err
    assert "edits.geojson 第 2 行的修改未应用" in err and "to_code 110108012003999" in err
    moves = _layer(second, "moves")
    assert (moves["to_code"] == code).all() and (moves["edit_row"] == 1).all()
    assert moves["households"].sum() == pytest.approx(atom["households"])
    rejects = pd.read_csv(second / "rejects.csv")
    assert rejects["reason"].str.contains("not a grid of this plan").sum() == 1
    edited = _layer(second, "grids")
    assert edited["within_tolerance"].eq(grids["within_tolerance"]).all()  # still in band
    homes_edited = _homes_by_code(second)
    # the edited plan as the register now has it, fed back: it holds, nobody moves
    edited.to_crs("EPSG:4326")[["code", "name", "geometry"]].to_file(tmp_path / "edited.geojson")
    third = tmp_path / "third"
    assert _run("--existing", str(tmp_path / "edited.geojson"), "--out", str(third)) == 0
    assert _summary(third)["households_moved"] == 0
    assert _homes_by_code(third).to_dict() == homes_edited.to_dict()
    assert homes_edited.to_dict() != _homes_by_code(first).to_dict()  # the edit did move homes


def test_an_edit_may_name_its_grid_by_code_alone(register, tmp_path, capsys):
    # a hand-made edits file (no to_grid column: the manager typed the register's code)
    root = register
    first = tmp_path / "first"
    assert _run("--out", str(first)) == 0
    grids, atoms = _layer(first, "grids"), _layer(first, "atoms")
    atom, to = _edit_candidate(grids, atoms, 0.0, np.inf, in_band=False)
    code = grids.loc[grids["grid_id"] == to, "code"].iloc[0]
    shape = gpd.GeoSeries([atom.geometry.buffer(-0.5)], crs=atoms.crs).to_crs("EPSG:4326")
    gpd.GeoDataFrame({"to_code": [code]}, geometry=shape).to_file(tmp_path / "edits.geojson")
    capsys.readouterr()
    assert _run("--edits", str(tmp_path / "edits.geojson"), "--out", str(tmp_path / "o")) == 0
    assert "1 of 1 edits applied" in capsys.readouterr().err
    moves = _layer(tmp_path / "o", "moves")
    assert (moves["to_code"] == code).all() and moves["households"].sum() > 0
    assert root.exists()
