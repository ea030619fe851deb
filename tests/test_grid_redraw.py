"""Redraw and hand edits: fewest households moved, ids kept, every move reported."""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely

from shequ.analyses.grid_metrics import grid_polygons
from shequ.analyses.grid_plan import GridPlanner
from shequ.analyses.grid_redraw import GridRedrawer, existing_labels, households_moved
from shequ.cli import main
from tests.conftest import shared_file
from tests.helpers import shanghai_window

BEIJING = "osm/beijing_haidian_liudaokou_small.osm"


@pytest.fixture(scope="module")
def shanghai_atoms():
    return shanghai_window(1500.0)


def test_redraw_moves_fewer_households_than_a_fresh_plan(shanghai_atoms):
    atoms = shanghai_atoms
    h = atoms.frame["households"].to_numpy().copy()
    target = h.sum() / 25
    before = GridPlanner(target, time_limit_s=20).fit(atoms).labels_
    existing = grid_polygons(atoms, before)
    # growth: +30 % households in the blocks within 500 m of the window's centre
    c = atoms.frame.geometry.centroid
    near = np.hypot(c.x - c.x.median(), c.y - c.y.median()).to_numpy() < 500
    atoms.frame["households"] = np.where(near, h * 1.3, h)
    grown = atoms.frame["households"].to_numpy()
    try:
        origin, report = existing_labels(atoms, existing)
        assert (origin == before).all() and not report["overlaps"]
        redraw = GridRedrawer(target, time_limit_s=20).fit(atoms, origin)
        fresh = GridPlanner(target, time_limit_s=20).fit(atoms)
        moved_redraw = households_moved(origin, redraw.labels_, grown)
        moved_fresh = households_moved(origin, fresh.labels_, grown)
        assert moved_redraw < 0.5 * moved_fresh
        assert redraw.households_moved_ == pytest.approx(redraw.moves_["households"].sum())
        _, inv = np.unique(redraw.labels_, return_inverse=True)
        dev = np.bincount(inv, weights=grown) / target - 1
        assert np.abs(dev).max() <= 0.15 + 1e-6  # ends within tolerance
        kept = set(np.unique(before)) & set(np.unique(redraw.labels_))
        assert len(kept) >= len(np.unique(before)) - len(redraw.merged_)  # ids stay stable
        moves = redraw.moves_
        assert (moves["from_grid"] != moves["to_grid"]).all()
        assert (origin[moves["atom_id"]] == moves["from_grid"]).all()
    finally:
        atoms.frame["households"] = h


def test_overlapping_and_gappy_existing_grids_are_repaired(shanghai_atoms):
    atoms = shanghai_atoms
    labels = GridPlanner(atoms.frame["households"].sum() / 10, time_limit_s=10).fit(atoms).labels_
    grids = grid_polygons(atoms, labels)
    geoms = grids.geometry.values.copy()
    geoms[0] = shapely.buffer(geoms[0], 30)  # overlaps its neighbours
    geoms[1] = shapely.buffer(geoms[1], -40)  # leaves a gap
    grids = grids.set_geometry(list(geoms))
    origin, report = existing_labels(atoms, grids)
    assert report["overlaps"] and (origin >= 0).all()
    assert set(np.unique(origin)) <= set(grids["grid_id"])


def test_cli_redraw_and_edits(capsys, tmp_path):
    first = tmp_path / "first"
    osm = str(shared_file(BEIJING))
    assert main(["grids", "--quiet", "--osm", osm, "--out", str(first)]) == 0
    grids = gpd.read_file(first / "shequ.gpkg", layer="grids").to_crs("EPSG:4326")
    existing = tmp_path / "existing.geojson"
    grids[["grid_id", "code", "geometry"]].to_file(existing)
    second = tmp_path / "second"
    args = ["grids", "--quiet", "--osm", osm, "--existing", str(existing), "--out", str(second)]
    assert main(args) == 0
    capsys.readouterr()
    again = gpd.read_file(second / "shequ.gpkg", layer="grids")
    assert set(again["grid_id"]) == set(grids["grid_id"])  # nothing changed: same ids
    code_of = dict(zip(grids["grid_id"], grids["code"], strict=True))
    assert (again["code"] == again["grid_id"].map(code_of)).all()  # and the same codes
    moves = gpd.read_file(second / "shequ.gpkg", layer="moves")
    assert moves["households"].sum() == pytest.approx(
        pd.read_csv(second / "plan_summary.csv")["households_moved"].iloc[0]
    )
    # an edit: hand the atoms of the first grid's area to the second grid
    atoms = gpd.read_file(first / "shequ.gpkg", layer="atoms")
    g0, g1 = grids["grid_id"].iloc[0], grids["grid_id"].iloc[1]
    victim = atoms[atoms["grid_id"] == g0].iloc[:1]
    code1 = grids.loc[grids["grid_id"] == g1, "code"].iloc[0]
    edit = victim[["geometry"]].to_crs("EPSG:4326").assign(to_grid=int(g1), to_code=code1)
    stale = victim[["geometry"]].to_crs("EPSG:4326").assign(to_grid=int(g1), to_code="999")
    edit = pd.concat([edit, stale], ignore_index=True)
    edits = tmp_path / "edits.geojson"
    edit.to_file(edits)
    third = tmp_path / "third"
    args = ["grids", "--quiet", "--osm", osm, "--edits", str(edits), "--out", str(third)]
    args += ["--lang", "zh"]
    assert main(args) == 0
    err = capsys.readouterr().err
    assert "已应用 1 处修改" in err  # the note in the --lang zh of this run
    moved = gpd.read_file(third / "shequ.gpkg", layer="moves")
    assert (moved["to_grid"] == g1).all() and len(moved) >= 1
    rejects = pd.read_csv(third / "rejects.csv")
    assert rejects["reason"].str.contains("drawn on another plan").sum() == 1
    assert (third / "map.html").stat().st_size > 100_000
