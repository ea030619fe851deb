"""Warning levels an official can defend, and trends that can be found (issue 14, item 3).

On the real Sacramento incidents (January 2006, 7,584 reports, 3,624 res-9 cells):

* the default ``significance`` rule guarantees what its docstring says — no red cell that is
  not a Gi* hot spot at 99 %, every hot spot at 95 % at least orange — where the old quota rule
  (kept as ``risk.levels.rule: quota``) coloured 13 non-significant cells red and left 39 hot
  spots (9 at 99 %) blue;
* the quota rule still gives its exact shares (181 / 362 / 725 of 3,624 cells);
* trends use as many slices as the span supports (a month: 10 slices of 3 days; a year:
  12 monthly), the smallest attainable Mann–Kendall p is below 0.05 (checked against
  pymannkendall), and a fixed 4 slices is said to be unable to show a trend.
"""

from __future__ import annotations

import json
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pymannkendall as mk
import pytest

from shequ.analyses.hotspot_trends import choose_slices, min_attainable_p
from shequ.analyses.risk_index import LevelRule, significance_levels
from shequ.errors import InputError
from shequ.jobs.hotspots import HotspotOptions, compute_hotspots, write_hotspot_outputs
from shequ.maps import build_hotspot_map
from shequ.profile import load_profile
from tests.conftest import shared_file

SACRAMENTO = "incidents/sacramento_crime_jan2006.csv"


def _run(tmp_path_factory, profile: str | None = None, **options) -> object:
    path = None
    if profile is not None:
        path = tmp_path_factory.mktemp("profile") / "local.yaml"
        path.write_text(profile, encoding="utf-8")
    return compute_hotspots(
        HotspotOptions(incidents=shared_file(SACRAMENTO), profile=path, **options)
    )


@pytest.fixture(scope="module")
def default_run(tmp_path_factory):
    return _run(tmp_path_factory)


@pytest.fixture(scope="module")
def quota_run(tmp_path_factory):
    return _run(tmp_path_factory, "risk:\n  levels:\n    rule: quota\n")


# --- the significance rule (default) ------------------------------------------------------


def test_no_red_cell_is_without_a_99_percent_hot_spot(default_run):
    cells = default_run.cells
    red = cells["level"] == "red"
    assert red.sum() == 128  # measured: the quota rule gave 181, 13 of them no hot spot
    assert (cells.loc[red, "bin"] == 3).all()
    # and red is also the top 10 % of the risk index
    cut = np.sort(cells["index"].to_numpy())[::-1][round(0.10 * len(cells)) - 1]
    assert (cells.loc[red, "index"] >= cut).all()


def test_every_hot_spot_keeps_at_least_its_colour(default_run):
    cells = default_run.cells
    level, hot = cells["level"], cells["bin"]
    assert level[hot == 3].isin(["red", "orange"]).all()  # 167 cells at 99 %
    assert level[hot == 2].isin(["orange"]).all()
    assert level[hot == 1].isin(["yellow"]).all()
    assert not ((hot > 0) & (level == "blue")).any()  # the quota rule left 39 blue
    # a cell that is no hot spot is at most yellow, and yellow only with an incident
    quiet = cells[hot <= 0]
    assert quiet["level"].isin(["yellow", "blue"]).all()
    assert (quiet.loc[quiet["level"] == "yellow", "count"] > 0).all()


def test_the_rule_is_said_in_summary_and_run_json(default_run, tmp_path):
    summary = default_run.summary.iloc[0]
    assert summary["level_rule"] == "significance"
    assert "hot spot at 99 % confidence" in summary["level_rule_text"]
    assert "top 10 % of the risk index" in summary["level_rule_text"]
    files = write_hotspot_outputs(default_run, tmp_path / "out", with_map=False)
    run = json.loads(Path(files["run"]).read_text(encoding="utf-8"))
    assert run["levels"]["rule"] == "significance"
    assert run["levels"]["tested_by"] == "per_cell"
    assert run["levels"]["index_top_share"] == 0.10
    on_disk = pd.read_csv(tmp_path / "out" / "summary.csv").iloc[0]
    assert on_disk["level_rule"] == "significance"


@pytest.mark.parametrize(
    ("lang", "words"),
    [
        ("en", "Red: a Gi* hot spot at 99 % confidence (permutation test per cell)"),
        ("zh", "红色：Gi* 热点置信度 99%（逐单元置换检验）且风险指数居前 10%"),
    ],
)
def test_map_legend_says_the_rule(default_run, lang, words):
    fmap = build_hotspot_map(
        default_run.cells.head(50), lang=lang, level_rule=default_run.level_rule.describe()
    )
    html = fmap.get_root().render()
    assert words in html


@pytest.mark.parametrize(
    ("rule", "words"),
    [
        ("significance", "own excess of incidents over the mean density"),
        ("quota", "ranks its incidents per km² among all grids"),
    ],
)
def test_grid_legend_says_the_grids_rule(default_run, rule, words):
    cells = default_run.cells.head(50)
    grids = gpd.GeoDataFrame(
        {"grid_id": [0], "level": ["red"], "level_rule": [rule]},
        geometry=[cells.geometry.union_all().envelope],
        crs=cells.crs,
    )
    html = build_hotspot_map(cells, grids=grids, lang="en").get_root().render()
    assert words in html


def test_significance_levels_on_a_hand_made_table():
    bins = np.array([3, 3, 2, 1, 0, 0, 0, -3])
    index = np.array([0.9, 0.1, 0.2, 0.3, 0.95, 0.95, 0.2, 0.99])
    count = np.array([5, 1, 2, 1, 3, 0, 0, 9])
    # top 25 % of 8 cells = 2 cells by index: 0.99 and 0.95 (tied 0.95 both in)
    levels = significance_levels(bins, index, count, 0.25).tolist()
    # the 99 % cell at 0.9 is outside the top: orange; a top cell without incident: blue;
    # the cold spot at the very top of the index: yellow (an incident, no cluster), never red
    assert levels == ["orange", "orange", "orange", "yellow", "yellow", "blue", "blue", "yellow"]


# --- the quota rule (kept) -----------------------------------------------------------------


def test_quota_reproduces_the_old_shares(quota_run, default_run):
    counts = quota_run.cells["level"].value_counts()
    n = len(quota_run.cells)
    assert n == 3624
    assert counts["red"] == round(0.05 * n) == 181
    assert counts["orange"] == round(0.10 * n) == 362
    assert counts["yellow"] == round(0.20 * n) == 725
    # what the quota rule gets wrong, measured: red without a hot spot, hot spots left blue
    cells = quota_run.cells
    assert ((cells["level"] == "red") & (cells["bin"] <= 0)).sum() == 13
    assert ((cells["level"] == "blue") & (cells["bin"] > 0)).sum() == 39
    assert ((cells["level"] == "blue") & (cells["bin"] == 3)).sum() == 9
    assert quota_run.summary.iloc[0]["level_rule"] == "quota"
    # the statistics do not depend on the rule
    assert (quota_run.cells["bin"] == default_run.cells["bin"]).all()


def test_quota_by_option_equals_quota_by_profile(quota_run, tmp_path_factory):
    by_option = _run(tmp_path_factory, levels="quota")
    assert (by_option.cells["level"] == quota_run.cells["level"]).all()
    assert "no significance test" in by_option.summary.iloc[0]["level_rule_text"]


def test_three_colour_folds_the_significance_levels(default_run, tmp_path_factory):
    folded = _run(tmp_path_factory, three_colour=True).cells["level"]
    assert set(folded) == {"red", "yellow", "blue"}
    assert (folded == "red").sum() == default_run.cells["level"].isin(["red", "orange"]).sum()


def test_fdr_tested_levels_follow_the_fdr_bins(tmp_path_factory):
    """With 999 permutations no Sacramento cell passes the FDR cut (why ``per_cell`` is the
    default): under ``tested_by: fdr`` no cell is red or orange, and the run says why."""
    run = _run(tmp_path_factory, "risk:\n  levels:\n    tested_by: fdr\n")
    cells = run.cells
    assert (cells["bin_fdr"] == 0).all()
    assert not cells["level"].isin(["red", "orange"]).any()
    assert (cells["level"] == "yellow").sum() > 0  # the top of the index with incidents
    assert any(getattr(note, "key", "") == "n.fdr_none" for note in run.notes)
    assert "after the FDR correction" in run.summary.iloc[0]["level_rule_text"]


@pytest.mark.parametrize(
    ("text", "where"),
    [
        ("risk:\n  levels:\n    rule: top5\n", "risk.levels.rule"),
        ("risk:\n  levels:\n    tested_by: bonferroni\n", "risk.levels.tested_by"),
        ("risk:\n  levels:\n    index_top_share: 1.5\n", "risk.levels.index_top_share"),
        ("risk:\n  trend_slices:\n    rule: weekly\n", "risk.trend_slices.rule"),
        ("risk:\n  trend_slices:\n    max_slices: 4\n", "risk.trend_slices.max_slices"),
    ],
)
def test_a_wrong_level_or_slice_key_is_named(tmp_path, text, where):
    path = tmp_path / "bad.yaml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(InputError) as info:
        load_profile(path)
    assert where in str(info.value)


def test_level_rule_refuses_an_unknown_rule():
    with pytest.raises(ValueError, match="rule must be one of significance, quota"):
        LevelRule(rule="top5")


# --- trend slices ----------------------------------------------------------------------------


@pytest.fixture(scope="module")
def times() -> pd.Series:
    data = pd.read_csv(shared_file(SACRAMENTO), usecols=["cdatetime"])
    return pd.to_datetime(data["cdatetime"], format="%m/%d/%y %H:%M")


def test_a_month_gives_ten_slices_of_three_days(times):
    plan = choose_slices(times)
    assert (plan.slices, plan.units, plan.unit) == (10, 3, "day")
    assert plan.reachable and plan.min_p < 0.001


def test_a_year_gives_twelve_monthly_slices(times):
    """The January times stretched over a year (the same order and gaps, ×12)."""
    start = times.min()
    year = start + (times - start) * 12
    plan = choose_slices(year)
    assert (plan.slices, plan.units, plan.unit) == (12, 1, "month")
    assert plan.reachable and plan.min_p < 0.05
    # two years: 24 months would exceed max_slices, so 12 slices of two months
    two = choose_slices(start + (times - start) * 24)
    assert (two.slices, two.units, two.unit) == (12, 2, "month")


def test_few_incidents_cap_the_slices(times):
    plan = choose_slices(times.iloc[:120])  # 120 incidents, 30 a slice at least: 4 slices
    assert plan.slices == 4 and not plan.reachable
    assert plan.min_p == pytest.approx(0.0894, abs=1e-4)
    # the capped slices are named for their length (a review finding: "one month" was said
    # of slices two months long)
    year = pd.Series(pd.Timestamp("2025-01-01") + pd.to_timedelta(np.linspace(0, 365, 200), "D"))
    plan = choose_slices(year)  # 200 incidents: 6 slices of about two months
    assert (plan.slices, plan.units, plan.unit) == (6, 2, "month")
    month = pd.Series(pd.Timestamp("2025-01-01") + pd.to_timedelta(np.linspace(0, 31, 100), "D"))
    assert (choose_slices(month).units, choose_slices(month).unit) == (10, "day")
    # every incident at one time: no trend can be found
    same = pd.Series([pd.Timestamp("2025-01-01")] * 60)
    assert not choose_slices(same).reachable


@pytest.mark.parametrize("n", [4, 5, 8, 10, 12])
def test_min_attainable_p_equals_pymannkendall(n):
    """The floor of p at n slices against an independent implementation."""
    reference = mk.original_test(np.arange(n, dtype=float)).p
    assert min_attainable_p(n) == pytest.approx(reference, rel=1e-9)
    assert (min_attainable_p(n) < 0.05) == (n >= 5)


def test_trends_reach_intensifying_and_diminishing(default_run):
    summary = default_run.summary.iloc[0]
    assert summary["trend_slices"] == 10 and summary["trend_reachable"]
    assert summary["trend_min_p"] < 0.05
    trend = default_run.cells["trend"].value_counts()
    # measured: with the old 4 slices neither could appear (best p 0.089)
    assert trend.get("intensifying", 0) + trend.get("diminishing", 0) > 0


def test_four_fixed_slices_say_no_trend_can_be_found(tmp_path_factory):
    profile = "risk:\n  time_slices: 4\n  trend_slices:\n    rule: fixed\n"
    run = _run(tmp_path_factory, profile)
    summary = run.summary.iloc[0]
    assert summary["trend_slices"] == 4 and not summary["trend_reachable"]
    notes = [note for note in run.notes if getattr(note, "key", "") == "n.hs_trends_unreachable"]
    assert len(notes) == 1 and "smallest possible Mann-Kendall p is 0.089" in notes[0]
    assert "任何单元都不可能判为" in notes[0].render("zh")
    assert not run.cells["trend"].isin(["intensifying", "diminishing"]).any()


def test_three_colour_says_its_own_rule():
    # folded, red holds the 95 % hot spots too: the sentence under the legend must say so
    from shequ.analyses.risk_index import LevelRule
    from shequ.i18n import render_note

    four = render_note(LevelRule().describe(), "en")
    three = render_note(LevelRule().describe(three_colour=True), "en")
    assert four.startswith("Red: a Gi* hot spot at 99 %") and "95 % or 99 %" in three
    quota = LevelRule(rule="quota", top_share={"red": 0.05, "orange": 0.10, "yellow": 0.20})
    assert "the 15 % with the highest risk index red" in str(quota.describe(three_colour=True))
