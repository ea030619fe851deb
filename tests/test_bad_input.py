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


def test_missing_osm_file(capsys, tmp_path):
    code, err = _run(capsys, "--osm", str(tmp_path / "nope.osm"), "--out", str(tmp_path / "o"))
    assert code == 2
    assert "nope.osm" in _error_line(err) and "not found" in err


def test_corrupt_osm_file(capsys, tmp_path):
    bad = tmp_path / "broken.osm.gz"
    bad.write_bytes(gzip.compress(b"<osm><node id='1' lat='40.0' lon="))
    code, err = _run(capsys, "--osm", str(bad), "--out", str(tmp_path / "o"))
    assert code == 2
    assert "broken.osm.gz" in _error_line(err)


def test_empty_area(capsys, tmp_path):
    empty = tmp_path / "empty.osm"
    empty.write_text(
        "<?xml version='1.0'?><osm version='0.6'>"
        "<node id='1' lat='39.99' lon='116.35' version='1'/></osm>"
    )
    code, err = _run(capsys, "--osm", str(empty), "--out", str(tmp_path / "o"))
    assert code == 2
    assert "empty area" in _error_line(err)


def test_unknown_kind(capsys, tmp_path):
    csv = tmp_path / "f.csv"
    csv.write_text("name,lon,lat\nA,116.35,40.0\n")
    osm = shared_file(BEIJING)
    code, err = _run(
        capsys,
        "--osm",
        str(osm),
        "--facilities",
        str(csv),
        "--kind",
        "spaceport",
        "--out",
        str(tmp_path / "o"),
    )
    assert code == 2
    assert "spaceport" in _error_line(err) and "canteen" in err


def test_latlon_swapped_csv(capsys, tmp_path):
    csv = tmp_path / "swapped.csv"
    # Beijing points with the columns exchanged: "lon" holds latitudes, "lat" longitudes
    csv.write_text("name,lon,lat\nA,40.0,116.35\nB,40.001,116.351\nC,39.999,116.349\n")
    osm = shared_file(BEIJING)
    code, err = _run(
        capsys,
        "--osm",
        str(osm),
        "--facilities",
        str(csv),
        "--kind",
        "clinic",
        "--out",
        str(tmp_path / "o"),
    )
    assert code == 2
    assert "swapped" in _error_line(err) and "swapped.csv" in err


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
    assert sorted(kept["input_row"]) == [1, 7, 8]
    reasons = dict(zip(rejected["row"].astype(int), rejected["reason"], strict=True))
    assert "households" in reasons[2] and "households" in reasons[3]
    assert "duplicate home_id '1'" in reasons[4] and "row 1" in reasons[4]
    assert "coordinates" in reasons[5]
    assert "many" in reasons[6]
    row7 = kept[kept["input_row"] == 7].iloc[0]
    assert row7["households"] == pytest.approx(100.0)  # 262 people / 2.62 per household
    far = kept[kept["input_row"] == 8].iloc[0]
    assert far["node_id"] == -1 and "no walkable street" in far["unreachable_kindergarten"]
