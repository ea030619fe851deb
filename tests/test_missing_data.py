"""Say what is missing where a number is shown (issue 12, item 3).

A share of 0 % reads as a finding about the area. Where the data holds nothing to measure (no
facility of a kind, no homes at all) the run says so: ``data_status`` and empty shares in
``summary.csv``, a line naming the gap in the terminal, "no data" on the map, and a one-line
error (exit 2) when there are no homes at all. Kinds with data keep their real shares.
"""

from __future__ import annotations

import contextlib
import io
import xml.etree.ElementTree as ET
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from shequ.analyses.access import KindAccess
from shequ.analyses.audit import summary
from shequ.cli import main
from shequ.geo.homes import DEMAND_COLUMNS
from shequ.profile import load_profile
from tests.conftest import shared_file
from tests.helpers import english_sentences, in_page

ROADS_ONLY = "osm/shanghai_center_roads_large.osm"  # streets, no buildings: 0 homes
BEIJING = "osm/beijing_haidian_liudaokou_small.osm"  # has kindergartens, no elderly canteen
SHARES = ["homes_share", "households_share", "population_share", "elderly_share", "children_share"]


def _run(capsys, *args: str) -> tuple[int, str, str]:
    code = main(["access", *args, "--quiet"])
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def _summary(out: Path) -> pd.DataFrame:
    """summary.csv as text cells, so an empty share stays "" (not NaN, not 0)."""
    return pd.read_csv(out / "summary.csv", encoding="utf-8-sig", dtype=str, keep_default_na=False)


def _homes_inside(osm: Path, path: Path) -> Path:
    """Three homes at street nodes in the middle of the extract (its median node and two
    neighbours by rank), so they are inside the extract and within reach of a street."""
    lonlat = [
        (float(el.get("lon")), float(el.get("lat")))
        for _, el in ET.iterparse(osm)
        if el.tag == "node"
    ]
    lonlat.sort()
    mid = len(lonlat) // 2
    rows = [
        f"{lon:.7f},{lat:.7f},{hh}"
        for (lon, lat), hh in zip(lonlat[mid : mid + 3], (120, 80, 200), strict=True)
    ]
    path.write_text("lon,lat,households\n" + "\n".join(rows) + "\n", encoding="utf-8")
    return path


@pytest.mark.parametrize(
    ("lang", "says"),
    [("en", ["no homes", "--homes"]), ("zh", ["没有住宅", "--homes"])],
)
def test_roads_only_extract_without_homes_stops_saying_how_to_pass_them(
    capsys, tmp_path: Path, lang: str, says: list[str]
) -> None:
    osm = shared_file(ROADS_ONLY)
    out = tmp_path / "out"
    code, stdout, err = _run(capsys, "--osm", str(osm), "--out", str(out), "--lang", lang)
    assert code == 2, err
    lines = [line for line in err.splitlines() if line.startswith(("error", "错误"))]
    assert len(lines) == 1, err
    for text in says:
        assert text in lines[0]
    assert osm.name in lines[0]
    assert "0%" not in stdout and "0 %" not in stdout  # no coverage line at all
    if lang == "zh":
        assert english_sentences(stdout + err) == [], err
    assert not out.exists() or not any(out.iterdir())


def test_roads_only_extract_with_a_homes_file_runs(capsys, tmp_path: Path) -> None:
    osm = shared_file(ROADS_ONLY)
    homes = _homes_inside(osm, tmp_path / "homes.csv")
    out = tmp_path / "out"
    code, stdout, err = _run(
        capsys, "--osm", str(osm), "--homes", str(homes), "--out", str(out), "--lang", "en"
    )
    assert code == 0, err
    table = _summary(out)
    assert set(table["homes_total"].astype(float)) == {3.0}
    # a roads-only extract has no facility of any kind: every share is empty, none is 0
    assert set(table["data_status"]) == {"no_facilities"}
    assert (table[SHARES] == "").all().all()
    assert "%" not in stdout
    assert stdout.count("none in the data") == table["kind"].nunique()


@pytest.fixture(scope="module")
def beijing_run(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, str]:
    """Beijing with one kind it has (kindergarten) and one it has not (elderly canteen),
    the kind without data listed first."""
    osm = shared_file(BEIJING)
    out = tmp_path_factory.mktemp("beijing") / "out"
    buf = io.StringIO()  # a module fixture cannot use capsys: capture stdout by hand
    with contextlib.redirect_stdout(buf):
        args = ["--kinds", "canteen,kindergarten", "--lang", "en", "--no-isochrones"]
        code = main(["access", "--osm", str(osm), *args, "--out", str(out), "--quiet"])
    assert code == 0
    return out, buf.getvalue()


def test_a_kind_without_facilities_has_empty_shares_in_summary(beijing_run) -> None:
    out, _ = beijing_run
    table = _summary(out)
    canteen = table[table["kind"] == "canteen"]
    assert len(canteen) >= 1
    assert set(canteen["data_status"]) == {"no_facilities"}
    assert (canteen[SHARES] == "").all().all()
    assert set(canteen["homes_covered"].astype(float)) == {0.0}  # the count stays a count
    compounds = pd.read_csv(out / "compounds.csv", encoding="utf-8-sig")
    assert compounds["share_served_canteen"].isna().all()


def test_a_kind_with_facilities_keeps_its_share(beijing_run) -> None:
    out, _ = beijing_run
    table = pd.read_csv(out / "summary.csv", encoding="utf-8-sig")
    kg = table[table["kind"] == "kindergarten"]
    assert set(kg["data_status"]) == {"ok"}
    assert kg["households_share"].notna().all()
    expected = kg["households_covered"] / kg["households_total"]
    np.testing.assert_allclose(kg["households_share"], expected, rtol=1e-12)
    assert kg["households_share"].max() > 0  # the 15-minute tier reaches homes in Beijing


def test_the_terminal_names_the_missing_kind_instead_of_zero(beijing_run) -> None:
    _, stdout = beijing_run
    lines = stdout.splitlines()
    canteen = [line for line in lines if line.startswith("Elderly meal point")]
    assert canteen == [
        "Elderly meal point: none in the data, so no coverage to measure: "
        "add them with --facilities FILE"
    ]
    kindergarten = [line for line in lines if line.startswith("Kindergarten")]
    assert len(kindergarten) == 1 and "% of households within" in kindergarten[0]


def test_the_terminal_line_in_chinese(capsys, tmp_path: Path) -> None:
    osm = shared_file(BEIJING)
    out = tmp_path / "out"
    code, stdout, err = _run(
        capsys,
        "--osm",
        str(osm),
        "--kinds",
        "canteen",
        "--out",
        str(out),
        "--lang",
        "zh",
        "--no-map",
        "--no-isochrones",
    )
    assert code == 0, err
    assert "老年助餐点：数据中没有此类设施，无法计算覆盖率：请用 --facilities 文件补充" in stdout
    assert "%" not in stdout
    assert english_sentences(stdout + err) == []


def test_the_map_marks_the_kind_no_data(beijing_run) -> None:
    # the kind switch lists a kind without facilities as "no data", and it cannot be chosen
    # (tests/test_access_map.py checks the opening kind and the no-data state in detail)
    out, _ = beijing_run
    page = (out / "map.html").read_text(encoding="utf-8")
    assert in_page('<option value="-1" disabled>Elderly meal point (no data)</option>', page)
    assert not in_page("Kindergarten (no data)", page)


def test_no_homes_gives_no_homes_status_and_empty_shares() -> None:
    profile = load_profile(None)
    kind = profile.kinds["kindergarten"]
    acc = KindAccess(
        kind=kind,
        speed_mps=1.0,
        node_distance_m=np.array([0.0, 100.0]),  # a facility on the network
        walk_min=np.array([]),
        nearest_facility=np.array([], dtype=np.int64),
        reason=np.array([], dtype=object),
    )
    homes = pd.DataFrame({c: pd.Series(dtype=float) for c in DEMAND_COLUMNS})
    table = summary(homes, {kind.id: acc}, (5.0,))
    assert set(table["data_status"]) == {"no_homes"}
    assert table[SHARES].isna().all().all()


def test_siting_on_a_roads_only_extract_stops_too(tmp_path, capsys):
    """``shequ site`` with street candidates used to report 0.0 % → 0.0 % and exit 0."""
    osm = shared_file("osm/shanghai_center_roads_large.osm")
    args = ["site", "--osm", str(osm), "--kind", "kindergarten", "--p", "2", "--street-candidates"]
    assert main([*args, "--quiet", "--no-map", "--out", str(tmp_path / "out")]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "--homes" in err[0]
    assert not (tmp_path / "out").exists()


def test_a_share_of_no_households_is_not_printed_as_zero():
    """Homes exist but hold 0 households: the line says so instead of "0 %" (review)."""
    from shequ.cli import _summary_line

    row = pd.Series(
        {
            "kind_zh": "幼儿园",
            "kind_en": "Kindergarten",
            "data_status": "ok",
            "households_share": float("nan"),
            "tier_min": 5.0,
            "walker": "general",
            "speed_mps": 1.0,
        }
    )
    assert "no households" in _summary_line(row, "en") and "%" not in _summary_line(row, "en")
    assert "没有住户" in _summary_line(row, "zh")


def test_facilities_read_but_off_the_streets_are_not_none_in_the_data(tmp_path, capsys):
    """A --facilities file whose rows all lie far from any street: the line says they were read
    and rejected, not "none in the data: add them with --facilities" (review)."""
    osm = shared_file("osm/beijing_haidian_liudaokou_small.osm")
    far = pd.DataFrame({"name": ["远处托育"], "lon": [116.20], "lat": [39.90]})
    path = tmp_path / "childcare.csv"
    far.to_csv(path, index=False)
    args = ["access", "--osm", str(osm), "--facilities", str(path), "--kind", "childcare"]
    args += ["--kinds", "childcare", "--quiet", "--no-map", "--out", str(tmp_path / "out")]
    assert main(args) == 0
    out = capsys.readouterr().out
    assert "1 read, none within reach of a street" in out and "add them" not in out
