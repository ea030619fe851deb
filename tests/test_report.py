"""``shequ report``: one offline page of an area's runs (shequ/jobs/report.py, maps/report_*.py).

On the bundled demo (no shared data needed): sections, key figures equal to the runs' CSVs,
"no data" (never 0 %) for kinds without facilities, no request to another host, both languages,
and the checks on the run folders. On the Nanjing extract with the grids of a grids run and
made-up communities: per-unit figures that add up, with the "outside every unit" row, to the
area's totals, and hostile grid names shown as written.
"""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pyproj
import pytest
import shapely

import shequ
from shequ.cli import main
from shequ.errors import InputError
from shequ.jobs.demo import run_demo, synthetic_incidents
from shequ.jobs.report import (
    ReportOptions,
    compute_report,
    expand_runs,
    profile_values,
    worst_kind,
    write_report,
)
from shequ.maps import report_svg as rs
from shequ.maps.report_page import OSM_COPYRIGHT, minute_colors
from shequ.profile import load_profile
from tests.conftest import shared_file

NANJING = "osm/nanjing_xinjiekou_small.osm"
HOSTILE = ["<img src=x onerror=alert(1)>", "{{7*7}}", "网格 & </script><b>粗</b>"]


@pytest.fixture(scope="module")
def demo(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("demo") / "demo"
    run_demo(out, "en", with_map=False)
    return out


@pytest.fixture(scope="module")
def demo_page(demo, tmp_path_factory) -> tuple[Path, str]:
    out = tmp_path_factory.mktemp("rep") / "report"
    write_report(compute_report(ReportOptions(runs=[demo])), out, "en")
    return out, (out / "report.html").read_text(encoding="utf-8")


def _section(page: str, anchor: str) -> str:
    start = page.index(f'<section class="page" id="{anchor}"')
    return page[start : page.index("</section>", start)]


def _row(section: str, label: str) -> str:
    start = section.index(f"<tr><td>{label}</td>")
    return section[start : section.index("</tr>", start)]


# --- the demo ------------------------------------------------------------------------------


def test_demo_folder_stands_for_its_four_runs(demo):
    runs = expand_runs([demo])
    assert list(runs) == ["access", "site", "grids", "hotspots"]
    assert runs["grids"].path == demo / "grids"


def test_demo_page_has_a_section_per_run_and_an_index(demo_page):
    out, page = demo_page
    assert page.startswith('<!DOCTYPE html><html lang="en">')
    for anchor in ("access", "site", "grids", "hotspots", "provenance"):
        assert f'id="{anchor}"' in page
        assert f'href="#{anchor}"' in page  # reachable from the index
        assert "<svg" in _section(page, anchor) or anchor == "provenance"
    assert json.loads((out / "run.json").read_text())["command"] == "report"
    assert sorted(json.loads((out / "run.json").read_text())["files"]) == [
        "report.html",
        "run.json",
    ]


def test_kinds_without_facilities_say_no_data_never_zero(demo, demo_page):
    _, page = demo_page
    summary = pd.read_csv(demo / "access" / "summary.csv", encoding="utf-8-sig")
    access = _section(page, "access")
    empty = summary.loc[summary["data_status"] == "no_facilities", "kind_en"].unique()
    assert len(empty) >= 5  # the demo extract maps no canteen, childcare … (see its run)
    for name in empty:
        row = _row(access, name)
        assert "no data" in row
        assert "%" not in row


def test_shares_are_those_of_summary_csv(demo, demo_page):
    _, page = demo_page
    summary = pd.read_csv(demo / "access" / "summary.csv", encoding="utf-8-sig")
    access = _section(page, "access")
    for item in summary[summary["data_status"] == "ok"].itertuples():
        share = f"{100 * item.households_share:.1f} % of households"
        assert share in _row(access, item.kind_en)


def test_grid_and_hotspot_figures_are_the_runs(demo, demo_page):
    _, page = demo_page
    grids = gpd.read_file(demo / "grids" / "shequ.gpkg", layer="grids")
    plan = pd.read_csv(demo / "grids" / "plan_summary.csv", encoding="utf-8-sig").iloc[0]
    out_band = int(plan["out_of_tolerance"])
    section = _section(page, "grids")
    assert f"<tr><th>grids</th><td>{len(grids)}</td></tr>" in section
    assert f"<tr><th>out of band</th><td>{out_band}</td></tr>" in section
    assert f"<td>{grids['polsby_popper'].min():.2f}</td>" in section
    hot = pd.read_csv(demo / "hotspots" / "summary.csv", encoding="utf-8-sig").iloc[0]
    section = _section(page, "hotspots")
    assert f"<tr><th>incidents</th><td>{int(hot['incidents'])}</td></tr>" in section
    assert f"<tr><th>cells at level red</th><td>{int(hot['red'])}</td></tr>" in section
    assert f"<td>{int(hot['hot_cells_95'])}</td>" in section


def test_site_section_lists_the_proposed_sites(demo, demo_page):
    _, page = demo_page
    sites = gpd.read_file(demo / "site" / "shequ.gpkg", layer="proposed_sites")
    section = _section(page, "site")
    assert f"<tr><th>new sites</th><td>{len(sites)}</td></tr>" in section
    assert section.count("<text ") == len(sites)  # one numbered badge per site on the map


def test_page_requests_nothing_and_runs_no_script(demo_page):
    _, page = demo_page
    assert "<script" not in page.lower()
    targets = re.findall(r'(?:href|src)\s*=\s*"([^"]*)"', page) + re.findall(r"url\(", page)
    outside = {t for t in targets if not t.startswith("#")}
    assert outside == {OSM_COPYRIGHT}
    assert "© <a href" in page and "OpenStreetMap contributors" in page


def test_provenance_lists_profile_values_with_their_sources(demo, demo_page):
    _, page = demo_page
    section = _section(page, "provenance")
    assert "<code>walking.speed_mps.elderly</code>" in section
    assert "<td>0.83</td><td>derived</td>" in section
    osm = json.loads((demo / "access" / "run.json").read_text())["osm"]
    assert f"<td>{osm['snapshot']}</td>" in section
    assert "unknown" not in section


def test_a_run_without_osm_record_says_unknown(demo, tmp_path):
    older = tmp_path / "access"
    shutil.copytree(demo / "access", older)
    run = json.loads((older / "run.json").read_text())
    run.pop("osm", None)
    run.pop("shequ_version", None)
    (older / "run.json").write_text(json.dumps(run))
    write_report(compute_report(ReportOptions(runs=[older])), tmp_path / "rep", "en")
    section = _section((tmp_path / "rep" / "report.html").read_text(), "provenance")
    assert section.count("<td>unknown</td>") == 2  # the OSM file and its snapshot
    assert f"<td>{shequ.__version__}</td>" in section


def test_worst_covered_kind_is_coloured_on_the_access_map(demo):
    summary = pd.read_csv(demo / "access" / "summary.csv", encoding="utf-8-sig")
    threshold = summary[summary["is_threshold"] & (summary["data_status"] == "ok")]
    expected = threshold.sort_values("households_share").iloc[0]["kind"]
    assert worst_kind(summary) == expected == "clinic"  # 5.9 % within 5 min on the demo


def test_chinese_page(demo, tmp_path):
    write_report(compute_report(ReportOptions(runs=[demo])), tmp_path / "zh", "zh")
    page = (tmp_path / "zh" / "report.html").read_text(encoding="utf-8")
    assert page.startswith('<!DOCTYPE html><html lang="zh-CN">')
    assert "社区规划报告" in page and "数据来源与出处" in page and "无数据" in page
    assert "OpenStreetMap 贡献者" in page
    assert "最优" in page and ">optimal" not in page and "optimal，" not in page  # solver word
    hotspots = page[page.index('id="hotspots"') :]
    assert "红色：Gi* 热点置信度 99%" in hotspots[: hotspots.index("</section>")]  # the rule


def test_any_subset_of_runs(demo, tmp_path):
    result = compute_report(ReportOptions(runs=[demo / "hotspots", demo / "site"]))
    write_report(result, tmp_path / "two", "en")
    page = (tmp_path / "two" / "report.html").read_text(encoding="utf-8")
    assert 'id="site"' in page and 'id="hotspots"' in page
    assert 'id="access"' not in page and 'id="grids"' not in page


# --- bad run folders ---------------------------------------------------------------------------


def test_a_folder_that_is_not_a_shequ_output_is_named(tmp_path):
    folder = tmp_path / "photos"
    folder.mkdir()
    (folder / "a.txt").write_text("x")
    with pytest.raises(InputError) as err:
        compute_report(ReportOptions(runs=[folder]))
    assert err.value.path == str(folder)
    assert "not a shequ output folder" in err.value.one_line()


def test_two_runs_of_one_command_are_refused(demo):
    with pytest.raises(InputError) as err:
        compute_report(ReportOptions(runs=[demo, demo / "grids"]))
    assert err.value.path == str(demo / "grids")
    assert "a second run of `shequ grids`" in err.value.one_line()
    assert "第二个 `shequ grids`" in err.value.one_line("zh")


def test_a_report_folder_is_not_read_as_a_run(demo_page):
    out, _ = demo_page
    with pytest.raises(InputError, match="shequ report"):
        compute_report(ReportOptions(runs=[out]))


def test_a_run_missing_its_summary_is_named(demo, tmp_path):
    broken = tmp_path / "access"
    broken.mkdir()
    (broken / "run.json").write_text((demo / "access" / "run.json").read_text())
    with pytest.raises(InputError, match=r"summary\.csv") as err:
        compute_report(ReportOptions(runs=[broken]))
    assert err.value.path == str(broken)


# --- pieces --------------------------------------------------------------------------------------


def test_profile_values_carry_key_value_confidence_and_source():
    values = {v.key: v for v in profile_values(load_profile().raw)}
    speed = values["walking.speed_mps.general"]
    assert (speed.value, speed.confidence) == (1.0, "derived")
    assert "GB 50180-2018" in speed.src
    assert values["demand.persons_per_household"].value == 2.62


def test_mercator_matches_pyproj():
    lon, lat = np.array([118.78, -73.9, 0.0]), np.array([32.04, 40.7, -33.9])
    x, y = rs.mercator(lon, lat)
    ref = pyproj.Transformer.from_crs(4326, 3857, always_xy=True).transform(lon, lat)
    np.testing.assert_allclose(x, ref[0], atol=1e-6)
    np.testing.assert_allclose(y, ref[1], atol=1e-6)


def test_frame_puts_the_bounds_inside_the_viewbox_north_up():
    frame = rs.Frame((118.76, 32.03, 118.80, 32.05))
    x, y = frame.project(np.array([118.76, 118.80]), np.array([32.03, 32.05]))
    assert x[0] >= 0 and x[1] <= frame.width and abs(x[1] - x[0] - (frame.width - 24)) < 1e-6
    assert y[0] > y[1]  # the south-west corner is lower on the page
    assert y[1] >= 0 and y[0] <= frame.height


def test_minute_colours_follow_the_map_bins():
    colors = minute_colors(np.array([0.0, 5.0, 5.01, 14.9, 40.0, np.nan]))
    assert colors == ["#1a9850", "#1a9850", "#91cf60", "#fee08b", "#fc8d59", "#9e9e9e"]


# --- Nanjing with grids and communities ------------------------------------------------------


@pytest.fixture(scope="module")
def nanjing(tmp_path_factory) -> dict[str, Path]:
    """Access, grids and hotspots runs on Nanjing, a hostile grids file, two communities."""
    tmp = tmp_path_factory.mktemp("nj")
    osm = str(shared_file(NANJING))
    base = ["--quiet", "--no-map", "--osm", osm]
    assert main(["grids", *base, "--time-limit", "2", "--out", str(tmp / "grids")]) == 0
    assert main(["access", *base, "--out", str(tmp / "access")]) == 0
    homes = gpd.read_file(tmp / "access" / "shequ.gpkg", layer="homes")
    synthetic_incidents(homes, "en", n=600).to_csv(tmp / "incidents.csv", index=False)
    args = ["hotspots", *base, "--incidents", str(tmp / "incidents.csv")]
    args += ["--grids", str(tmp / "grids" / "shequ.gpkg"), "--out", str(tmp / "hotspots")]
    assert main(args) == 0
    grids = gpd.read_file(tmp / "grids" / "shequ.gpkg", layer="grids").to_crs(4326)
    grids["name"] = [HOSTILE[i % len(HOSTILE)] + f" {i}" for i in range(len(grids))]
    grids.to_file(tmp / "named_grids.geojson", driver="GeoJSON")
    x0, y0, x1, y1 = grids.total_bounds
    mid = (x0 + x1) / 2
    # two communities over the south half: the north is in no community
    boxes = [shapely.box(x0, y0, mid, (y0 + y1) / 2), shapely.box(mid, y0, x1, (y0 + y1) / 2)]
    communities = gpd.GeoDataFrame({"name": ["西社区", "东社区"]}, geometry=boxes, crs=4326)
    communities.to_file(tmp / "communities.geojson", driver="GeoJSON")
    return {
        "tmp": tmp,
        "runs": [tmp / "access", tmp / "grids", tmp / "hotspots"],
        "grids": tmp / "named_grids.geojson",
        "communities": tmp / "communities.geojson",
    }


@pytest.fixture(scope="module")
def nanjing_report(nanjing):
    opts = ReportOptions(
        runs=nanjing["runs"], communities=nanjing["communities"], grids=nanjing["grids"]
    )
    result = compute_report(opts)
    write_report(result, nanjing["tmp"] / "report", "en")
    page = (nanjing["tmp"] / "report" / "report.html").read_text(encoding="utf-8")
    return result, page


@pytest.mark.parametrize("layer", ["communities", "grids"])
def test_units_add_up_to_the_area(nanjing, nanjing_report, layer):
    result, _ = nanjing_report
    unit_set = next(u for u in result.units if u.layer == layer)
    figures, coverage = unit_set.figures, unit_set.coverage
    summary = pd.read_csv(nanjing["tmp"] / "access" / "summary.csv", encoding="utf-8-sig")
    hot = pd.read_csv(nanjing["tmp"] / "hotspots" / "summary.csv", encoding="utf-8-sig")
    assert figures["outside"].tolist() == [False] * len(unit_set.units) + [True]
    assert figures["households"].sum() == pytest.approx(summary["households_total"].iloc[0])
    assert figures["homes"].sum() == summary["homes_total"].iloc[0]
    assert figures["incidents"].sum() == hot["incidents"].iloc[0] > 0
    summed = coverage.groupby(["kind", "tier_min"])["households_covered"].sum()
    for item in summary.itertuples():
        assert summed[(item.kind, item.tier_min)] == pytest.approx(item.households_covered)
    if layer == "communities":  # the north half lies in no community
        assert figures["households"].iloc[-1] > 0 and figures["incidents"].iloc[-1] > 0


def test_grid_units_count_their_own_households(nanjing, nanjing_report):
    result, _ = nanjing_report
    unit_set = next(u for u in result.units if u.layer == "grids")
    grids = gpd.read_file(nanjing["tmp"] / "grids" / "shequ.gpkg", layer="grids")
    # the grids run and the access run read the same homes: each grid's households agree
    inside = unit_set.figures["households"].to_numpy()[:-1]
    np.testing.assert_allclose(inside, grids["households"].to_numpy(), rtol=1e-9, atol=1e-6)
    assert (unit_set.figures["grids"].to_numpy()[:-1] == 1).all()


def test_every_unit_has_a_section_reachable_from_the_index(nanjing_report):
    result, page = nanjing_report
    for unit_set in result.units:
        for anchor in unit_set.units["anchor"]:
            assert f'<section class="page" id="{anchor}"' in page
            assert page.count(f'href="#{anchor}"') >= 2  # the index and the overview table
            assert "<svg" in _section(page, anchor)
    assert 'id="units-communities"' in page and 'id="units-grids"' in page
    assert "outside every unit" in _section(page, "units-communities")


def test_hostile_grid_names_are_shown_as_written(nanjing_report):
    _, page = nanjing_report
    assert "&lt;img src=x onerror=alert(1)&gt; 0" in page
    assert "{{7*7}} 1" in page
    assert "网格 &amp; &lt;/script&gt;&lt;b&gt;粗&lt;/b&gt; 2" in page
    assert "<img" not in page and "</script>" not in page and "<b>粗" not in page
    assert "<script" not in page.lower()


def test_unit_coverage_is_the_homes_layer_walk_times(nanjing, nanjing_report):
    result, _ = nanjing_report
    unit_set = next(u for u in result.units if u.layer == "communities")
    homes = gpd.read_file(nanjing["tmp"] / "access" / "shequ.gpkg", layer="homes").to_crs(4326)
    west = unit_set.units.geometry.iloc[0]
    # an independent count: homes strictly inside the west box (none lies on its border)
    mask = homes.within(west).to_numpy()
    rows = unit_set.coverage
    households = homes["households"].to_numpy()
    kinds = rows.loc[(rows["row"] == 0) & (rows["status"] == "ok"), "kind"].unique()
    covered = {
        k: households[mask & (homes[f"walk_min_{k}"].fillna(np.inf).to_numpy() <= 15.0)].sum()
        for k in kinds
    }
    kind = max(covered, key=covered.get)  # the best-served kind: a count that is not 0
    expected = covered[kind]
    pick = (rows["row"] == 0) & (rows["kind"] == kind) & (rows["tier_min"] == 15.0)
    assert expected > 0
    assert rows.loc[pick, "households_covered"].iloc[0] == pytest.approx(expected)


def test_streets_are_drawn_once_and_reused_by_each_map(demo_page):
    _, page = demo_page
    assert page.count('id="report-streets"') == 1
    for anchor in ("access", "site", "grids", "hotspots"):
        assert '<use href="#report-streets"/>' in _section(page, anchor)


def test_confidence_labels_are_in_the_users_language():
    from shequ.maps.report_page import _confidence
    from shequ.profile_schema import CONFIDENCE_LABELS

    for label in CONFIDENCE_LABELS:  # every label the schema allows has its words
        assert _confidence(label, "zh") != label and _confidence(label, "en")
    assert _confidence("assumption", "zh") == "假设值"
    assert _confidence("<b>odd</b>", "zh") == "&lt;b&gt;odd&lt;/b&gt;"  # another: shown as is
