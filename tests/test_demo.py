"""``shequ demo`` end to end on the bundled central Nanjing extract (no ../shared needed).

The demo is the first thing a new user runs: the four analyses on a Chinese extract shipped in
the package, the hotspots on incidents made up for it and said to be so, every map offline.
"""

from __future__ import annotations

import json

import geopandas as gpd
import pandas as pd
import pyogrio

from shequ.cli import main
from shequ.jobs.demo import INCIDENTS_FILE, demo_osm_path, synthetic_incidents

ANALYSES = ("access", "site", "grids", "hotspots")


def test_the_extract_is_small_and_licensed():
    path = demo_osm_path()
    assert path.stat().st_size < 1_000_000
    source = (path.parent / "SOURCE.md").read_text(encoding="utf-8")
    assert "ODbL" in source and "© OpenStreetMap contributors" in source
    assert "74b32028c339c3f1f959591628fca156fb3e1248" in source


def test_demo_writes_the_four_analyses(tmp_path, capsys):
    out = tmp_path / "demo"
    assert main(["demo", "--out", str(out), "--quiet", "--lang", "zh"]) == 0
    printed = capsys.readouterr().out
    assert "合成事件" in printed and "演示完成" in printed and "OpenStreetMap" in printed
    run = json.loads((out / "run.json").read_text(encoding="utf-8"))
    assert run["command"] == "demo"
    assert set(run["files"]) == {f"{a}/" for a in (*ANALYSES, "report")} | {
        INCIDENTS_FILE,
        "run.json",
    }
    page = (out / "report" / "report.html").read_text(encoding="utf-8")
    assert '<html lang="zh-CN">' in page and "<script" not in page
    assert str(out.resolve()) in page and ".shequ-new-" not in page  # final paths, not staging
    assert "report.html" in printed
    for analysis in ANALYSES:
        folder = out / analysis
        assert json.loads((folder / "run.json").read_text(encoding="utf-8"))["command"] in (
            analysis,
            "site",
        )
        html = (folder / "map.html").read_text(encoding="utf-8")
        assert '<script src="http' not in html and "tile.openstreetmap.org" not in html
        assert "OpenStreetMap" in html and '<html lang="zh-CN">' in html
    homes = gpd.read_file(out / "access" / "shequ.gpkg", layer="homes")
    assert len(homes) > 500 and homes["households"].sum() > 10_000
    summary = pd.read_csv(out / "access" / "summary.csv")
    assert (summary["data_status"] == "ok").sum() >= 2  # facilities of several kinds in the data
    grids = gpd.read_file(out / "grids" / "shequ.gpkg", layer="grids")
    assert len(grids) > 20
    site = pd.read_csv(out / "site" / "site_summary.csv").iloc[0]
    assert site["p"] == 3
    layers = {name for name, _ in pyogrio.list_layers(out / "hotspots" / "shequ.gpkg")}
    assert "cells" in layers
    incidents = pd.read_csv(out / INCIDENTS_FILE)
    assert (incidents["synthetic"] == "yes").all()
    assert incidents["type"].str.contains("合成").all()
    # a file of the user's inside a sub-folder: the folder is not shequ's alone, never replaced
    notes = out / "access" / "my_notes.txt"
    notes.write_text("mine", encoding="utf-8")
    assert main(["demo", "--out", str(out), "--quiet", "--lang", "en", "--no-map"]) == 2
    assert "my_notes.txt" in capsys.readouterr().err and notes.exists()
    notes.unlink()
    # a second demo into the same folder replaces it (its sub-folders are its own)
    assert main(["demo", "--out", str(out), "--quiet", "--lang", "en", "--no-map"]) == 0
    assert not (out / "access" / "map.html").exists()


def test_synthetic_incidents_are_seeded_and_say_so():
    homes = gpd.GeoDataFrame(
        {"households": [10.0, 20.0, 30.0]},
        geometry=gpd.points_from_xy([0.0, 100.0, 200.0], [0.0, 50.0, 0.0]),
        crs="EPSG:32650",
    )
    one = synthetic_incidents(homes, "en", n=300)
    assert one.equals(synthetic_incidents(homes, "en", n=300))
    assert len(one) == 300 and one["type"].str.endswith("(synthetic)").all()
    months = pd.to_datetime(one["time"]).dt.month
    assert months.nunique() == 12
