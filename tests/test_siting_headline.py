"""Siting headlines that match the model: demand served, homes fully served, places filled.

Under capacities a home's demand may be split or only partly served, so "homes fully served"
alone says a capacitated maximal cover that fills every place did almost nothing. Every model
reports demand served the same way (Σ demand × share served within the walk threshold): the
capacitated maximal cover's objective, and what a capacitated p-median achieves measured alike.
The terminal, ``site_summary.csv`` and the map's headline box carry the same numbers.
"""

from __future__ import annotations

import contextlib
import io
import json
import re

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest

from shequ.analyses.coverage_models import MCLP
from shequ.analyses.pmedian import PMedian
from shequ.analyses.siting_problem import problem_from_matrix
from shequ.cli import main
from shequ.jobs.siting import SiteOptions, compute_siting
from tests.conftest import shared_file

BEIJING = "osm/beijing_haidian_liudaokou_small.osm"
NANJING = "osm/nanjing_xinjiekou_small.osm"

# Three homes, three sites (metres), 300 m threshold, every site 15 places.
METRES = [[100.0, 500.0, 900.0], [400.0, 150.0, 700.0], [800.0, 250.0, 200.0]]
WEIGHT = [10.0, 20.0, 5.0]


def _small_problem():
    return problem_from_matrix(METRES, WEIGHT, 300.0, capacity=np.full(3, 15.0))


# --- the models, on an instance solved by hand --------------------------------------------------


def test_capacitated_mclp_serves_its_objective() -> None:
    # site 1 reaches homes 1 and 2 (25 demand) but holds 15: 15 served, every place filled
    res = MCLP(1, capacitated=True).fit(_small_problem()).result_
    figures = res.headline
    assert res.objective == pytest.approx(15.0)
    assert figures.demand_served == pytest.approx(res.objective)
    assert figures.demand_served_share == pytest.approx(15.0 / 35.0)
    assert (figures.places_filled, figures.places_total) == pytest.approx((15.0, 15.0))
    assert figures.demand_served == pytest.approx(float(np.dot(WEIGHT, res.served_within)))


def test_capacitated_pmedian_is_measured_like_maximal_cover() -> None:
    # p-median opens site 1 and fills it with home 1 (the nearest demand, 150 m): 15 of its 20
    # served, no home served in full. "Homes covered" said 0 %; demand served says 15 of 35.
    res = PMedian(1, capacitated=True).fit(_small_problem()).result_
    figures = res.headline
    assert res.new_sites.tolist() == [1]
    assert not res.covered_after.any()
    assert res.served_within.tolist() == pytest.approx([0.0, 0.75, 0.0])
    assert (figures.homes_fully_served, figures.homes_partly_served) == (0, 1)
    assert figures.demand_served == pytest.approx(15.0)
    mclp = MCLP(1, capacitated=True).fit(_small_problem()).result_.headline
    assert figures.demand_served == pytest.approx(mclp.demand_served)  # a fair comparison


def test_uncapacitated_figures_stay_covered_demand() -> None:
    res = MCLP(1).fit(_small_problem()).result_
    figures = res.headline
    assert figures.demand_served == pytest.approx(res.objective) == pytest.approx(25.0)
    assert figures.demand_served == pytest.approx(figures.demand_fully_served)
    assert (figures.homes_fully_served, figures.homes_partly_served) == (2, 0)
    assert np.isnan(figures.places_total) and np.isnan(figures.places_filled_share)
    assert not res.capacitated


# --- one capacitated run on shared data: terminal, CSV, GeoPackage and map agree ----------------


def _run(tmp_path_factory, model: str, lang: str = "en", capacitated: bool = True):
    """Run ``shequ site`` (canteens, p = 3) on Beijing; return the folder and what it printed."""
    out = tmp_path_factory.mktemp(f"site_{model}_{lang}")
    args = ["site", "--quiet", "--osm", str(shared_file(BEIJING)), "--kind", "canteen"]
    args += ["--p", "3", "--model", model, "--curve", "0", "--lang", lang, "--out", str(out)]
    if capacitated:
        args.append("--capacitated")
    printed = io.StringIO()
    with contextlib.redirect_stdout(printed), contextlib.redirect_stderr(printed):
        assert main(args) == 0
    return out, printed.getvalue()


@pytest.fixture(scope="module")
def runs(tmp_path_factory):
    """Capacitated MCLP and p-median on Beijing (English), and the MCLP again in Chinese."""
    pairs = (("mclp", "en"), ("pmedian", "en"), ("mclp", "zh"))
    return {(model, lang): _run(tmp_path_factory, model, lang) for model, lang in pairs}


NUMBER = r"([\d,]+(?:\.\d+)?)"


def _note_numbers(printed: str) -> tuple[str, ...]:
    match = re.search(
        rf"{NUMBER} of {NUMBER} places filled \({NUMBER}%\); demand served {NUMBER} of "
        rf"{NUMBER} \({NUMBER}%\); of {NUMBER} homes with demand {NUMBER} fully served, "
        rf"{NUMBER} partly",
        printed,
    )
    assert match, printed
    return match.groups()


def _box_numbers(page: str) -> tuple[str, ...]:
    box = re.search(r'class="shequ-box shequ-siting-headline">(.*?)</div>\s*</div>', page, re.S)
    assert box, "no headline box on the map"
    text = box.group(1)
    served = re.search(rf"demand served: {NUMBER} of {NUMBER} \({NUMBER}%\)", text)
    homes = re.search(rf"homes fully served: {NUMBER} of {NUMBER} with demand", text)
    partly = re.search(rf"homes partly served: {NUMBER}", text)
    places = re.search(rf"places filled: {NUMBER} of {NUMBER} \({NUMBER}%\)", text)
    assert served and homes and places, text
    partly_n = partly.group(1) if partly else "0"
    return (*places.groups(), *served.groups(), homes.group(2), homes.group(1), partly_n)


def _csv_numbers(row: pd.Series) -> tuple[str, ...]:
    return (
        f"{row['places_filled']:,.0f}",
        f"{row['places_total']:,.0f}",
        f"{row['places_filled_share'] * 100:.1f}",
        f"{row['demand_served']:,.0f}",
        f"{row['demand_total']:,.0f}",
        f"{row['demand_served_share'] * 100:.1f}",
        str(row["homes_with_demand"]),
        str(row["homes_fully_served"]),
        str(row["homes_partly_served"]),
    )


@pytest.mark.parametrize("model", ["mclp", "pmedian"])
def test_terminal_csv_and_map_carry_the_same_numbers(model, runs) -> None:
    out, printed = runs[(model, "en")]
    row = pd.read_csv(out / "site_summary.csv").iloc[0]
    page = (out / "map.html").read_text(encoding="utf-8")
    assert _note_numbers(printed) == _csv_numbers(row) == _box_numbers(page)
    # the headline line reads the same share as demand served, not "homes fully served"
    assert f"→ {row['demand_served_share'] * 100:.1f}% of demand" in printed
    assert row["covered_after"] == pytest.approx(row["demand_served"])


def test_demand_served_is_the_capacitated_mclp_objective(runs) -> None:
    out, _ = runs[("mclp", "en")]
    row = pd.read_csv(out / "site_summary.csv").iloc[0]
    assert row["model"] == "mclp-capacitated" and row["status"] == "optimal"
    assert row["demand_served"] == pytest.approx(row["objective"], rel=1e-9)
    assert row["demand_served_share"] == pytest.approx(row["objective"] / row["demand_total"])
    # 3 new canteens of 50 places each, all filled; only a few homes are served in full
    assert row["places_total"] == pytest.approx(150.0)
    assert row["places_filled"] == pytest.approx(150.0)
    assert row["demand_fully_served"] < row["demand_served"]
    homes = gpd.read_file(out / "shequ.gpkg", layer="homes")
    served = (homes["demand_canteen"] * homes["served_within_share"]).sum()
    assert served == pytest.approx(row["demand_served"], rel=1e-9)
    assert (homes["demand_canteen"] * homes["served_share"]).sum() == pytest.approx(served)
    cands = gpd.read_file(out / "shequ.gpkg", layer="candidates")
    open_ = cands["existing"] | cands["chosen"]
    assert cands.loc[open_, "capacity_used"].sum() == pytest.approx(row["places_filled"])
    assert cands.loc[open_, "capacity"].sum() == pytest.approx(row["places_total"])


def test_capacitated_pmedian_and_mclp_compare_fairly(runs) -> None:
    rows = {}
    for model in ("mclp", "pmedian"):
        out, _ = runs[(model, "en")]
        rows[model] = pd.read_csv(out / "site_summary.csv").iloc[0]
        homes = gpd.read_file(out / "shequ.gpkg", layer="homes")
        served = (homes["demand_canteen"] * homes["served_within_share"]).sum()
        assert served == pytest.approx(rows[model]["demand_served"], rel=1e-9)
    # maximal cover maximises demand served within the threshold: no p-median serves more
    assert rows["pmedian"]["demand_served"] <= rows["mclp"]["demand_served"] + 1e-6


def test_homes_fully_served_alone_would_rank_the_models_the_wrong_way() -> None:
    """Nanjing, 3 capacitated canteens: both models fill the 150 places with demand within
    15 minutes, but maximal cover spreads them over many homes (none served in full) while
    p-median fills a few homes: the old headline said 0.0 % against 1.1 %."""
    figures = {}
    for model in ("mclp", "pmedian"):
        opts = SiteOptions(
            osm=shared_file(NANJING),
            kind="canteen",
            p=3,
            model=model,
            capacitated=True,
            curve_max=0,
        )
        figures[model] = compute_siting(opts).result.headline
    mclp, pmedian = figures["mclp"], figures["pmedian"]
    assert mclp.demand_fully_served < pmedian.demand_fully_served
    assert mclp.demand_served == pytest.approx(150.0) == pytest.approx(pmedian.demand_served)
    assert mclp.places_filled == pytest.approx(150.0) == pytest.approx(pmedian.places_filled)


def test_uncapacitated_run_keeps_its_figures(tmp_path_factory) -> None:
    out, printed = _run(tmp_path_factory, "mclp", capacitated=False)
    row = pd.read_csv(out / "site_summary.csv").iloc[0]
    homes = gpd.read_file(out / "shequ.gpkg", layer="homes")
    covered = homes.loc[homes["covered_after_canteen"], "demand_canteen"].sum()
    assert row["demand_served"] == pytest.approx(row["objective"]) == pytest.approx(covered)
    assert row["homes_partly_served"] == 0 and pd.isna(row["places_total"])
    assert "places filled" not in printed
    page = (out / "map.html").read_text(encoding="utf-8")
    assert "demand served: " in page and "places filled" not in page


# --- clean text: names, whole households, homes vs households -----------------------------------


def test_missing_names_are_null_not_nan(runs) -> None:
    out, _ = runs[("mclp", "en")]
    for layer in ("candidates", "proposed_sites"):
        names = gpd.read_file(out / "shequ.gpkg", layer=layer)["name"]
        assert not names.astype(str).str.fullmatch("nan").any()
    cands = gpd.read_file(out / "shequ.gpkg", layer="candidates")
    assert cands["name"].isna().sum() == 23 and len(cands) == 28  # 23 OSM features unnamed
    page = (out / "map.html").read_text(encoding="utf-8")
    assert '"n": "nan"' not in page and '"n": "no name"' in page


def test_chinese_map_and_terminal_name_homes_not_households(runs) -> None:
    out, printed = runs[("mclp", "zh")]
    note = next(line for line in printed.splitlines() if "容量约束" in line)
    assert re.search(r"\d+ 处有需求的住宅中 \d+ 处完全得到服务，\d+ 处部分得到服务", note), note
    assert not re.search(r"\d+ 户", note)  # a count of homes is never a count of households
    page = (out / "map.html").read_text(encoding="utf-8")
    box = re.search(r'shequ-siting-headline">(.*?)</div>\s*</div>', page, re.S).group(1)
    assert "完全得到服务的住宅" in box and "处" in box and "户" not in box
    assert f'"n": {json.dumps("未命名")}' in page  # folium writes the GeoJSON as ASCII


def test_map_labels_show_whole_households(runs) -> None:
    out, _ = runs[("mclp", "en")]
    homes = gpd.read_file(out / "shequ.gpkg", layer="homes")
    exact = homes["households"].to_numpy()
    assert (exact != np.round(exact)).any()  # the file keeps the estimate exactly
    page = (out / "map.html").read_text(encoding="utf-8")
    shown = re.findall(r'"hh": "([^"]*)"', page)
    assert len(shown) == len(homes)
    assert all(re.fullmatch(r"[\d,]+", value) for value in shown)
    assert sorted(int(v.replace(",", "")) for v in shown) == sorted(int(f"{v:.0f}") for v in exact)


def test_headline_box_shows_numbers_only() -> None:
    """The box holds numbers and catalogue words only: a headline of text is not shown."""
    from shequ.maps.siting_map import headline_box

    assert headline_box(None, "en") is None
    assert headline_box({"demand_served": "<b>x</b>", "demand_total": 3.0}, "en") is None
