"""``shequ site`` end to end on a real extract, and its answers to bad input."""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest

from shequ.cli import main
from tests.conftest import shared_file

NANJING = "osm/nanjing_xinjiekou_small.osm"


def _site(capsys, *args: str) -> tuple[int, str, str]:
    code = main(["site", "--quiet", "--no-map", "--osm", str(shared_file(NANJING)), *args])
    cap = capsys.readouterr()
    return code, cap.out, cap.err


def _error_line(err: str) -> str:
    lines = [line for line in err.splitlines() if line.startswith("error")]
    assert len(lines) == 1, err
    return lines[0]


@pytest.fixture(scope="module")
def canteen_run(tmp_path_factory):
    out = tmp_path_factory.mktemp("site")
    code = main(
        [
            "site",
            "--quiet",
            "--no-map",
            "--osm",
            str(shared_file(NANJING)),
            "--kind",
            "canteen",
            "--p",
            "3",
            "--street-candidates",
            "--spacing",
            "150",
            "--out",
            str(out),
        ]
    )
    assert code == 0
    return out


def test_outputs_have_the_documented_columns(canteen_run):
    gpkg = canteen_run / "shequ.gpkg"
    cands = gpd.read_file(gpkg, layer="candidates")
    assert {"site_id", "node_id", "access_m", "existing", "excluded"} <= set(cands.columns)
    proposed = gpd.read_file(gpkg, layer="proposed_sites")
    assert {"site_id", "rank", "marginal_weight", "capacity_used"} <= set(proposed.columns)
    assert list(proposed["rank"]) == [1, 2, 3]
    assert (np.diff(proposed["marginal_weight"]) <= 1e-9).all()  # greedy replay order
    homes = gpd.read_file(gpkg, layer="homes")
    for col in ("demand_canteen", "served_by", "covered_before_canteen", "covered_after_canteen"):
        assert col in homes.columns
    edges = gpd.read_file(gpkg, layer="network_edges")
    assert {"u", "v", "length_m"} <= set(edges.columns)
    summary = pd.read_csv(canteen_run / "site_summary.csv")
    row = summary.iloc[0]
    assert row["model"] == "mclp" and row["p"] == 3 and row["status"] == "optimal"
    assert row["speed_mps"] == pytest.approx(0.83) and row["threshold_min"] == 15
    covered = homes.loc[homes["covered_after_canteen"], "demand_canteen"].sum()
    assert row["objective"] == pytest.approx(covered)  # existing sites' homes included
    curve = pd.read_csv(canteen_run / "site_curve.csv")
    assert curve["p"].iloc[0] == 0 and (np.diff(curve["covered_weight"]) >= -1e-9).all()
    assert curve.loc[curve["p"] == 3, "covered_weight"].iloc[0] == pytest.approx(row["objective"])


def test_every_home_is_served_or_has_a_reason(canteen_run):
    homes = gpd.read_file(canteen_run / "shequ.gpkg", layer="homes")
    unexplained = ~homes["covered_after_canteen"] & homes["unserved_reason"].fillna("").eq("")
    assert not unexplained.any()
    served_sites = set(homes.loc[homes["served_by"] >= 0, "served_by"])
    cands = gpd.read_file(canteen_run / "shequ.gpkg", layer="candidates")
    open_ids = set(cands.loc[cands["existing"] | cands["chosen"], "site_id"])
    assert served_sites <= open_ids


def test_candidates_outside_the_area(capsys, tmp_path):
    far = tmp_path / "far.csv"
    far.write_text("name,lon,lat\nA,116.35,40.0\nB,116.36,40.01\n")  # Beijing, not Nanjing
    code, _, err = _site(
        capsys, "--kind", "canteen", "--p", "1", "--candidates", str(far), "--no-osm-candidates"
    )
    assert code == 2
    assert "none of the 2 candidate sites is usable" in _error_line(err)
    assert "outside the study area" in err


def test_candidate_file_without_usable_rows(capsys, tmp_path):
    bad = tmp_path / "bad.csv"
    bad.write_text("name,lon,lat\nA,x,y\nB,,\n")
    code, _, err = _site(capsys, "--kind", "canteen", "--p", "1", "--candidates", str(bad))
    assert code == 2
    assert "no row could be used" in _error_line(err) and "bad.csv" in err


def test_p_larger_than_candidates(capsys, tmp_path):
    few = tmp_path / "few.csv"
    few.write_text("name,lon,lat\nA,118.784,32.040\nB,118.786,32.042\n")
    args = ["--kind", "canteen", "--p", "5", "--candidates", str(few), "--no-osm-candidates"]
    code, _, err = _site(capsys, *args)
    assert code == 2
    assert "--p 5 is larger than the 2 usable candidate sites" in _error_line(err)


def test_budget_below_every_cost(capsys, tmp_path):
    costly = tmp_path / "costly.csv"
    costly.write_text("name,lon,lat,cost\nA,118.784,32.040,100\nB,118.786,32.042,80\n")
    out = tmp_path / "out"
    args = ["--kind", "canteen", "--budget", "10", "--candidates", str(costly)]
    code, _, err = _site(capsys, *args, "--no-osm-candidates", "--out", str(out))
    assert code == 0
    row = pd.read_csv(out / "site_summary.csv").iloc[0]
    assert row["p"] == 0 and row["cost_of_new_sites"] == 0
    assert "affordable" in row["message"] and "affordable" in err
    code, _, err = _site(capsys, *args, "--no-osm-candidates", "--out", str(out), "--lang", "zh")
    assert code == 0 and "没有候选点在预算内" in err  # the same note, in Chinese
    assert "affordable" in pd.read_csv(out / "site_summary.csv").iloc[0]["message"]


def test_capacity_missing_for_capacitated_kind(capsys):
    args = ["--kind", "childcare", "--p", "2", "--street-candidates", "--capacitated"]
    code, _, err = _site(capsys, *args)
    assert code == 2
    assert "no capacity given (--capacitated needs one per candidate)" in _error_line(err)


def test_bad_cost_values_are_rejected_rows(capsys, tmp_path):
    mixed = tmp_path / "mixed.csv"
    mixed.write_text(
        "name,lon,lat,cost\nA,118.784,32.040,12\nB,118.786,32.042,-3\nC,118.785,32.041,abc\n"
    )
    out = tmp_path / "out"
    args = ["--kind", "canteen", "--p", "1", "--candidates", str(mixed), "--no-osm-candidates"]
    code, _, _ = _site(capsys, *args, "--out", str(out))
    assert code == 0
    rejects = pd.read_csv(out / "rejects.csv")
    reasons = rejects.loc[rejects["layer"] == "candidates", "reason"].tolist()
    assert len(reasons) == 2 and all("cost must be a number" in r for r in reasons)
    cands = gpd.read_file(out / "shequ.gpkg", layer="candidates")
    assert (~cands["existing"]).sum() + len(reasons) == 3  # rows in = kept + rejected


def test_ebike_candidates_next_to_schools_are_excluded_with_the_reason(capsys, tmp_path):
    out = tmp_path / "out"
    args = ["--kind", "ebike_charging", "--p", "2", "--street-candidates", "--out", str(out)]
    code, _, _ = _site(capsys, *args)
    assert code == 0
    cands = gpd.read_file(out / "shequ.gpkg", layer="candidates")
    excluded = cands.loc[cands["excluded"].fillna("") != "", "excluded"]
    assert len(excluded) > 0
    adjoin = excluded.str.contains("must not adjoin")
    assert adjoin.any() and (adjoin | (excluded == "outside the study area")).all()
    assert excluded.str.contains("amenity=school").any()
    assert not cands.loc[cands["excluded"].fillna("") != "", "chosen"].any()


def test_capacitated_charging_sheds_respect_ports(capsys, tmp_path):
    out = tmp_path / "out"
    args = ["--kind", "ebike_charging", "--p", "4", "--street-candidates", "--capacitated"]
    code, _, _ = _site(capsys, *args, "--curve", "0", "--out", str(out))
    assert code == 0
    cands = gpd.read_file(out / "shequ.gpkg", layer="candidates")
    assert (cands["capacity"] == 25).all()  # profile default: 25 ports per shed
    assert (cands["capacity_used"] <= cands["capacity"] + 1e-6).all()
    assert cands.loc[cands["chosen"], "capacity_used"].sum() > 0
    homes = gpd.read_file(out / "shequ.gpkg", layer="homes")
    demand = homes["demand_ebike_charging"]
    assert demand.sum() == pytest.approx(homes["households"].sum() / 20)  # 1 port per 20 households
    served = (demand * homes["served_share"]).sum()
    assert served == pytest.approx(cands["capacity_used"].sum(), rel=1e-6)


def test_pmedian_with_max_walk(capsys, tmp_path):
    out = tmp_path / "out"
    args = ["--kind", "canteen", "--p", "4", "--model", "pmedian", "--street-candidates"]
    code, _, _ = _site(capsys, *args, "--max-walk", "20", "--curve", "0", "--out", str(out))
    row = pd.read_csv(out / "site_summary.csv").iloc[0]
    assert code == 0 and row["model"] == "p-median"
    homes = gpd.read_file(out / "shequ.gpkg", layer="homes")
    assigned = homes["served_by"] >= 0
    assert (homes.loc[assigned, "walk_min_after"] <= 20 + 1e-9).all()
    assert row["status"] == "optimal" and assigned.all()
    minutes = (homes["demand_canteen"] * homes["walk_min_after"]).sum()
    assert row["objective"] == pytest.approx(minutes, rel=1e-6)
    beyond = homes["walk_min_after"] > 15
    assert beyond.any()  # some homes walk 15-20 min: within the limit, outside the threshold
    assert homes.loc[beyond, "unserved_reason"].str.contains("beyond the 15 min").all()


def test_a_chinese_run_keeps_english_words_in_its_files(capsys, tmp_path):
    out = tmp_path / "out"
    args = ["--kind", "canteen", "--p", "2", "--curve", "2", "--lang", "zh", "--out", str(out)]
    code, _, _ = _site(capsys, *args)
    assert code == 0
    row = pd.read_csv(out / "site_summary.csv").iloc[0]
    assert row["status"] == "optimal" and row["objective_unit"] == "covered demand weight"
    assert list(pd.read_csv(out / "site_curve.csv")["status"]) == ["existing", "optimal", "optimal"]
    reasons = set(gpd.read_file(out / "shequ.gpkg", layer="homes")["unserved_reason"].dropna())
    assert "not covered by the chosen sites" in reasons
    assert {r for r in reasons if r} <= {
        "not covered by the chosen sites",
        "no candidate or existing site within 15 min (747 m) walk",
        "no walkable street near the home",
        "no demand of this kind",
    }


def test_no_map_draws_no_basemap(tmp_path, monkeypatch):
    # the basemap is only ever drawn on a map: --no-map does not build it (a district's siting
    # run spent 5 of its 57 s on it)
    import shequ.jobs.inputs as inputs

    def refuse(*args, **kwargs):
        raise AssertionError("basemap built for a run without a map")

    monkeypatch.setattr(inputs, "basemap_from_osm", refuse)
    code = main(["site", "--quiet", "--no-map", "--osm", str(shared_file(NANJING)),
                 "--kind", "canteen", "--p", "2", "--out", str(tmp_path / "out")])  # fmt: skip
    assert code in (0, None)
    assert (tmp_path / "out" / "shequ.gpkg").exists()
    assert not (tmp_path / "out" / "map.html").exists()
    with pytest.raises(AssertionError, match="basemap built"):
        main(["site", "--quiet", "--osm", str(shared_file(NANJING)), "--kind", "canteen",
              "--p", "2", "--out", str(tmp_path / "with_map")])  # fmt: skip
