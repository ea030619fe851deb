"""Bad input: one clear line and exit 2, or a row in rejects.csv with its reason; nothing lost."""

from __future__ import annotations

import gzip

import geopandas as gpd
import pandas as pd
import pytest

from shequ.cli import main
from tests.conftest import shared_file

BEIJING = "osm/beijing_haidian_liudaokou_small.osm"


def _run(capsys, *args: str) -> tuple[int, str]:
    code = main(["access", "--quiet", "--no-map", "--no-isochrones", *args])
    err = capsys.readouterr().err
    return code, err


def _error_line(err: str) -> str:
    lines = [line for line in err.splitlines() if line.startswith("error")]
    assert len(lines) == 1, err
    return lines[0]


def _missing(tmp_path):
    return ["--osm", str(tmp_path / "nope.osm")]


def _corrupt(tmp_path):
    bad = tmp_path / "broken.osm.gz"
    bad.write_bytes(gzip.compress(b"<osm><node id='1' lat='40.0' lon="))
    return ["--osm", str(bad)]


def _empty_area(tmp_path):
    empty = tmp_path / "empty.osm"
    empty.write_text(
        "<?xml version='1.0'?><osm version='0.6'>"
        "<node id='1' lat='39.99' lon='116.35' version='1'/></osm>"
    )
    return ["--osm", str(empty)]


def _unknown_kind(tmp_path):
    csv = tmp_path / "f.csv"
    csv.write_text("name,lon,lat\nA,116.35,40.0\n")
    return ["--osm", str(shared_file(BEIJING)), "--facilities", str(csv), "--kind", "spaceport"]


def _swapped(tmp_path):
    csv = tmp_path / "swapped.csv"
    # Beijing points with the columns exchanged: "lon" holds latitudes, "lat" longitudes
    csv.write_text("name,lon,lat\nA,40.0,116.35\nB,40.001,116.351\nC,39.999,116.349\n")
    return ["--osm", str(shared_file(BEIJING)), "--facilities", str(csv), "--kind", "clinic"]


@pytest.mark.parametrize(
    ("make_args", "expected"),
    [
        (_missing, ["nope.osm", "not found"]),
        (_corrupt, ["broken.osm.gz", "cannot read"]),
        (_empty_area, ["empty.osm", "empty area"]),
        (_unknown_kind, ["spaceport", "canteen"]),
        (_swapped, ["swapped.csv", "swapped"]),
    ],
    ids=["missing", "corrupt", "empty-area", "unknown-kind", "latlon-swapped"],
)
def test_bad_input_is_one_line_and_exit_2(capsys, tmp_path, make_args, expected):
    code, err = _run(capsys, *make_args(tmp_path), "--out", str(tmp_path / "o"))
    assert code == 2
    line = _error_line(err)
    for text in expected:
        assert text in line


def test_kind_with_no_facilities_says_why(capsys, tmp_path):
    osm = shared_file(BEIJING)
    out = tmp_path / "o"
    code, _ = _run(capsys, "--osm", str(osm), "--kinds", "canteen", "--out", str(out))
    assert code == 0
    homes = gpd.read_file(out / "shequ.gpkg", layer="homes")
    assert len(homes) > 0
    assert homes["walk_min_canteen"].isna().all()
    reasons = set(homes["unreachable_canteen"])
    assert reasons <= {"no canteen facility in the study area", "no walkable street within 300 m"}
    summary = pd.read_csv(out / "summary.csv")
    assert (summary["homes_covered"] == 0).all()


def test_rows_in_equal_rows_kept_plus_rejected(capsys, tmp_path):
    osm = shared_file(BEIJING)
    homes = tmp_path / "homes.csv"
    homes.write_text(
        "home_id,name,lon,lat,households,population\n"
        "1,ok,116.3500,40.0020,120,300\n"
        "2,nan households,116.3510,40.0030,nan,\n"
        "3,negative,116.3520,40.0010,-5,10\n"
        "1,duplicate id,116.3530,40.0040,50,\n"
        "4,no coords,,,40,\n"
        "5,text,116.3540,40.0050,many,\n"
        "6,population only,116.3545,40.0052,,262\n"
        "7,far away,116.5000,40.2000,10,\n"
    )
    out = tmp_path / "o"
    code, _ = _run(
        capsys,
        "--osm",
        str(osm),
        "--homes",
        str(homes),
        "--kinds",
        "kindergarten",
        "--out",
        str(out),
    )
    assert code == 0
    kept = gpd.read_file(out / "shequ.gpkg", layer="homes")
    rejects = pd.read_csv(out / "rejects.csv")
    rejected = rejects[rejects["layer"] == "homes"]
    assert len(kept) + len(rejected) == 8
    assert sorted(kept["input_row"]) == [1, 7]
    reasons = dict(zip(rejected["row"].astype(int), rejected["reason"], strict=True))
    assert "households" in reasons[2] and "households" in reasons[3]
    assert "duplicate home_id '1'" in reasons[4] and "row 1" in reasons[4]
    assert "coordinates" in reasons[5]
    assert "many" in reasons[6]
    row7 = kept[kept["input_row"] == 7].iloc[0]
    assert row7["households"] == pytest.approx(100.0)  # 262 people / 2.62 per household
    assert reasons[8] == "outside the study area"  # beyond the extract's declared bounds


def test_empty_elderly_cell_falls_back_to_census_share(capsys, tmp_path):
    homes = tmp_path / "homes.csv"
    homes.write_text(
        "home_id,lon,lat,population,elderly\n1,116.3500,40.0020,262,30\n2,116.3510,40.0030,262,\n"
    )
    out = tmp_path / "o"
    code, _ = _run(
        capsys,
        "--osm",
        str(shared_file(BEIJING)),
        "--homes",
        str(homes),
        "--kinds",
        "canteen",
        "--out",
        str(out),
    )
    assert code == 0
    kept = gpd.read_file(out / "shequ.gpkg", layer="homes").set_index("input_row")
    assert kept.loc[1, "elderly"] == pytest.approx(30.0)
    assert kept.loc[2, "elderly"] == pytest.approx(262 * 0.187)  # 7th census: 18.70 % aged 60+
