"""Grids balanced on a grid worker's workload (households + weighted key people), issue 13 item 6.

A homes file built from the Nanjing extract's OSM homes, with seeded key-person counts five
times denser in the western third (elderly living alone, people with disabilities or severe
mental illness, rented flats): a plan on households alone leaves the western grids over the
workload band, a plan on workload keeps every grid in it and most grids in the household band.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from shequ.analyses.grid_metrics import add_grid_metrics, grid_polygons, plan_summary
from shequ.analyses.grid_plan import GridParameterError, GridPlanner, atom_data
from shequ.analyses.grid_repair import (
    MAX_ATOMS,
    band_excess,
    region_around,
    repair,
    second_excess,
)
from shequ.geo.atoms import build_atoms
from shequ.geo.blocks import border_lines, secondary_lines, street_blocks, study_area
from shequ.geo.homes import KEY_PERSONS, building_footprints, homes_from_layer
from shequ.geo.points_file import read_points_file
from shequ.jobs.inputs import InputOptions, load_inputs
from shequ.profile import load_profile
from shequ.rejects import Rejects
from tests.conftest import shared_file

TARGET, TOL = 300.0, 0.15
# key people per household in the dense (western) third; a quarter of it elsewhere
RATES = {"独居老人": 0.12, "残疾人": 0.04, "严重精神障碍患者": 0.015, "出租户": 0.25}


def _homes_file(area, path) -> pd.DataFrame:
    homes = area.homes
    lonlat = homes.to_crs(4326).geometry
    hh = homes["households"].to_numpy()
    x = homes.geometry.x.to_numpy()
    dense = np.where(x < np.quantile(x, 0.35), 1.0, 0.25)
    rng = np.random.default_rng(13)
    table = pd.DataFrame({"经度": lonlat.x, "纬度": lonlat.y, "户数": hh})
    for header, rate in RATES.items():
        table[header] = rng.poisson(rate * hh * dense)
    table["出租户"] = np.minimum(table["出租户"], np.floor(hh))
    table.to_csv(path, index=False)
    return table


@pytest.fixture(scope="module")
def plans(tmp_path_factory):
    area = load_inputs(
        InputOptions(
            osm=shared_file("osm/nanjing_xinjiekou_small.osm"),
            kinds=["canteen"],
            landuse_homes=False,
        )
    )
    path = tmp_path_factory.mktemp("workload") / "homes.csv"
    table = _homes_file(area, path)
    rejects = Rejects()
    layer = read_points_file(path, None, rejects, layer="homes")
    homes = homes_from_layer(layer, area.crs, load_profile(), rejects)
    lines = border_lines(area.osm, area.crs)
    outline = study_area(lines, np.column_stack([homes.geometry.x, homes.geometry.y]))
    # the atoms as the job builds them: crowded blocks divided along paths and into building
    # groups, so grids can be balanced finely enough for two measures
    atoms = build_atoms(
        street_blocks(lines, outline),
        area.compounds,
        homes,
        lines,
        outline,
        secondary=secondary_lines(area.osm, area.crs),
        split_above=0.5 * TARGET,
        footprints=building_footprints(area.osm, area.crs),
        split_compounds_above=TARGET * (1 + TOL),
        group_limit=0.3 * TARGET,
    )
    out = {}
    for demand in ("households", "workload"):
        model = GridPlanner(TARGET, TOL, demand=demand, time_limit_s=30.0).fit(atoms)
        grids = add_grid_metrics(
            grid_polygons(atoms, model.labels_),
            TARGET,
            TOL,
            atoms=atoms,
            labels=model.labels_,
            demand=demand,
        )
        regular = ~grids["grid_id"].isin(model.labels_[model.oversized_])
        out[demand] = (model, grids, regular)
    return table, homes, rejects, atoms, out


def test_key_person_columns_make_the_workload(plans):
    table, homes, rejects, atoms, _ = plans
    assert not rejects.rows
    weights = load_profile().grid.workload_weights
    assert set(KEY_PERSONS) <= set(homes.columns)
    expected = table["户数"] + sum(
        weights[col] * table[header] for col, header in zip(KEY_PERSONS, RATES, strict=True)
    )
    assert homes["workload"].to_numpy() == pytest.approx(expected.to_numpy())
    assert atoms.frame["workload"].sum() == pytest.approx(expected.sum())
    assert atoms.frame["mental_illness"].sum() == table["严重精神障碍患者"].sum()


def test_households_alone_leave_the_dense_area_over_its_workload(plans):
    # the data need a workload balance: without it, grids fall out of the workload band
    _, _, _, _, out = plans
    _, grids, regular = out["households"]
    assert (grids.loc[regular, "deviation"].abs() <= TOL + 1e-9).all()
    assert (~grids.loc[regular, "workload_within_tolerance"]).sum() >= 3


def test_workload_plan_is_in_band_on_workload_and_mostly_on_households(plans):
    _, _, _, atoms, out = plans
    model, grids, regular = out["workload"]
    assert regular.sum() >= 30
    w_target = TARGET * atoms.frame["workload"].sum() / atoms.frame["households"].sum()
    assert model.demand_target_ == pytest.approx(w_target)
    assert grids["workload_target"].iloc[0] == pytest.approx(w_target)
    # every grid the atoms do not force is within tolerance on workload …
    assert (grids.loc[regular, "workload_deviation"].abs() <= TOL + 1e-9).all()
    # … and both measures are reported, households within their own band nearly everywhere
    households = grids.loc[regular, "deviation"].abs()
    assert (households <= TOL + 1e-9).mean() >= 0.95
    assert households.max() <= 0.2
    assert grids["households"].sum() == pytest.approx(atoms.frame["households"].sum())
    summary = plan_summary(grids, TOL).iloc[0]
    assert summary["workload"] == pytest.approx(atoms.frame["workload"].sum())
    assert summary["workload_out_of_tolerance"] == (~grids["workload_within_tolerance"]).sum()


def test_households_leave_their_band_only_where_the_atoms_force_it(plans):
    # a grid still outside the households band: solving it and its neighbours exactly (every
    # reassignment of their atoms that keeps them contiguous and workload in band) cannot bring
    # households in either
    _, _, _, atoms, out = plans
    model, grids, regular = out["workload"]
    data = atom_data(atoms, model.border_cost, "workload")
    data.second_target = TARGET
    labels = model.labels_
    fixed = np.zeros(len(labels), bool)
    fixed[model.oversized_] = True
    target = model.demand_target_
    outside = grids.loc[regular & ~grids["within_tolerance"], "grid_id"].to_numpy()
    assert len(outside) <= 2
    for g in outside:
        region = region_around(labels, data, fixed, int(g), MAX_ATOMS)
        best = repair(
            data,
            labels,
            region,
            target=target,
            tol=TOL,
            move_per_household=0.0,
            time_limit_s=60.0,
        )
        assert best is not None
        assert band_excess(best, data, fixed, target, TOL).sum() == 0
        before = second_excess(labels, data, fixed, TOL)[region].sum()
        assert second_excess(best, data, fixed, TOL)[region].sum() >= before - 1e-9


def test_bad_key_person_counts_are_rejected(tmp_path):
    path = tmp_path / "homes.csv"
    path.write_text(
        "lon,lat,households,population,独居老人,出租户\n"
        "118.78,32.04,10,25,2,3\n"
        "118.781,32.04,10,25,-1,3\n"  # negative
        "118.782,32.04,10,25,many,3\n"  # not a number
        "118.783,32.04,10,25,30,3\n"  # more elderly living alone than residents
        "118.784,32.04,10,25,,\n",  # blank: none recorded
        encoding="utf-8",
    )
    rejects = Rejects()
    layer = read_points_file(path, None, rejects, layer="homes")
    homes = homes_from_layer(layer, "EPSG:32650", load_profile(), rejects)
    assert len(homes) + len(rejects.rows) == 5
    keys = [row["reason_key"] for row in rejects.rows]
    assert keys == ["r.count_negative", "r.count_not_number", "r.part_over_population"]
    assert homes["elderly_alone"].tolist() == [2.0, 0.0]
    assert homes["workload"].tolist() == pytest.approx([10 + 2 * 1.0 + 3 * 0.5, 10.0])


def test_demand_must_be_a_column_of_the_atoms(plans):
    _, _, _, atoms, _ = plans
    with pytest.raises(GridParameterError, match="demand"):
        GridPlanner(TARGET, demand="caseload").fit(atoms)


def test_weights_are_marked_as_assumptions():
    raw = load_profile().raw["grid"]["workload_weights"]
    assert raw["confidence"] == "assumption"
    assert raw["needs_local_confirmation"] is True


def test_shequ_grids_balances_the_workload_of_a_homes_file(tmp_path, capsys):
    """End to end: a homes file with key-person columns is planned on workload, both measures
    reach grid_summary.csv, and the terminal says so (the weights are assumptions)."""
    from shequ.cli import main

    osm = shared_file("osm/nanjing_xinjiekou_small.osm")
    area = load_inputs(InputOptions(osm=osm, kinds=["canteen"], landuse_homes=False))
    table = _homes_file(area, tmp_path / "homes.csv")
    out = tmp_path / "out"
    args = ["grids", "--quiet", "--no-map", "--osm", str(osm), "--time-limit", "10"]
    code = main([*args, "--homes", str(tmp_path / "homes.csv"), "--out", str(out)])
    err = capsys.readouterr().err
    assert code == 0, err
    assert "grids balanced on workload" in err
    grids = pd.read_csv(out / "grid_summary.csv")
    assert {"workload", "workload_deviation", "deviation"} <= set(grids.columns)
    weights = load_profile().grid.workload_weights
    expected = table["户数"].sum() + sum(
        weights[key] * table[header].sum() for key, header in zip(KEY_PERSONS, RATES, strict=True)
    )
    assert grids["workload"].sum() == pytest.approx(expected, rel=1e-9)
