"""``shequ batch`` on Dask: each area's results equal a single run of that area on the whole
region, the region's summary adds up, a re-run skips finished areas, a failing task is retried.

The region is the 4 × 4 mosaic of ``../shared/tools/mosaic`` (a synthetic arrangement of real
OSM extracts: Nanjing, Beijing, Taichung, Hong Kong cores); the four areas are about 1 km² each,
one in each corner tile, so that all four analyses run in about a minute on 2 cores. Incidents
are synthetic (seeded, on street nodes).
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import geopandas as gpd
import h3
import numpy as np
import pandas as pd
import pytest
import shapely

from shequ.cli import main
from shequ.geo.batch_areas import folder_key, tile_areas
from shequ.geo.osm_clip import street_node_lonlat
from shequ.jobs import batch as batch_job
from shequ.jobs.access import AccessOptions, compute_access, write_access_outputs
from shequ.jobs.batch import BatchOptions, default_halo_m, run_batch
from shequ.jobs.grids import GridOptions, compute_grids, write_grid_outputs
from shequ.jobs.hotspots import HotspotOptions, compute_hotspots, write_hotspot_outputs
from shequ.jobs.siting import SiteOptions, compute_siting, write_siting_outputs
from shequ.profile import load_profile
from tests.conftest import shared_root

CENTRES = {"北区-1": (121.02202, 30.9144), "B/2": (121.13968, 30.90479),
           "../3": (121.01022, 30.99434), "东南 4": (121.1412, 30.99442)}  # fmt: skip
HALF = (0.005, 0.004)  # degrees: about 960 m × 880 m
GRID_SECONDS = 20.0


@pytest.fixture(scope="module")
def region(tmp_path_factory) -> Path:
    """The 4 × 4 mosaic, built by the shared tool (skips when ../shared is absent)."""
    tool = shared_root() / "tools" / "mosaic" / "build_mosaic.py"
    if not tool.exists():
        pytest.skip(f"the mosaic tool {tool} is not there (set SHEQU_SHARED)")
    out = tmp_path_factory.mktemp("mosaic") / "m4.osm.pbf"
    subprocess.run([sys.executable, str(tool), "4", str(out)], check=True, capture_output=True)
    return out


@pytest.fixture(scope="module")
def inputs(region, tmp_path_factory) -> dict:
    folder = tmp_path_factory.mktemp("batch_inputs")
    polys = [
        shapely.box(x - HALF[0], y - HALF[1], x + HALF[0], y + HALF[1]) for x, y in CENTRES.values()
    ]
    areas = folder / "areas.geojson"
    gpd.GeoDataFrame({"name": list(CENTRES)}, geometry=polys, crs=4326).to_file(areas)
    singles = []
    for name, poly in zip(CENTRES, polys, strict=True):
        path = folder / f"area_{len(singles)}.geojson"
        gpd.GeoDataFrame({"name": [name]}, geometry=[poly], crs=4326).to_file(path)
        singles.append(path)
    incidents = folder / "incidents.csv"
    _synthetic_incidents(region, polys, incidents)
    return {"areas": areas, "singles": singles, "incidents": incidents, "polys": polys}


def _synthetic_incidents(region: Path, polys: list, path: Path) -> None:
    """Synthetic incidents (seeded): 700 on street nodes in each area, a cluster in each, and
    50 outside every area; times over 2025."""
    rng = np.random.default_rng(15)
    xy = street_node_lonlat(region)
    rows = []
    for poly in polys:
        inside = xy[shapely.contains_xy(poly, xy[:, 0], xy[:, 1])]
        picked = inside[rng.integers(len(inside), size=600)] + rng.normal(0, 2e-4, (600, 2))
        hot = inside[rng.integers(len(inside))] + rng.normal(0, 3e-4, (100, 2))
        rows.append(np.vstack([picked, hot]))
    far = np.column_stack([rng.uniform(121.05, 121.1, 50), rng.uniform(30.95, 30.96, 50)])
    pts = np.vstack([*rows, far])
    days = rng.uniform(0, 364, len(pts))
    times = pd.Timestamp("2025-01-01") + pd.to_timedelta(np.floor(days * 1440), unit="min")
    frame = pd.DataFrame(
        {
            "lon": pts[:, 0].round(6),
            "lat": pts[:, 1].round(6),
            "time": times.strftime("%Y-%m-%d %H:%M"),
            "type": "noise (synthetic)",
        }
    )
    frame.to_csv(path, index=False)


def _options(region: Path, inputs: dict, out: Path, **extra) -> BatchOptions:
    return BatchOptions(
        osm=region,
        out=out,
        analyses=("access", "site", "grids", "hotspots"),
        areas=inputs["areas"],
        kind="canteen",
        p=2,
        grid_time_limit_s=GRID_SECONDS,
        incidents=inputs["incidents"],
        workers=2,
        with_map=False,
        **extra,
    )


@pytest.fixture(scope="module")
def batch(region, inputs, tmp_path_factory):
    out = tmp_path_factory.mktemp("batch") / "run"
    result = run_batch(_options(region, inputs, out))
    return out, result


@pytest.fixture(scope="module")
def singles(region, inputs, batch, tmp_path_factory) -> list[Path]:
    """Each area run alone on the whole region (the single commands' Python API); grids also
    on the area's own extract (``grids_cut``): see test_grids_equal_single_runs."""
    root = tmp_path_factory.mktemp("singles")
    folders = []
    for i, area in enumerate(inputs["singles"]):
        folder = root / str(i)
        cut = GridOptions(
            osm=_area_folder(batch[0], i) / "extract.osm.pbf", area=area, time_limit_s=GRID_SECONDS
        )
        write_grid_outputs(compute_grids(cut), folder / "grids_cut", with_map=False)
        common = {"osm": region, "area": area}
        acc = compute_access(AccessOptions(**common))
        write_access_outputs(acc, folder / "access", with_map=False)
        site = compute_siting(SiteOptions(**common, kind="canteen", p=2))
        write_siting_outputs(site, folder / "site", with_map=False)
        grids = compute_grids(GridOptions(**common, time_limit_s=GRID_SECONDS))
        write_grid_outputs(grids, folder / "grids", with_map=False)
        # at the batch's resolution (one for every area: chosen on all their incidents)
        res = _summary(_area_folder(batch[0], i), "hotspots")["resolution"].iat[0]
        hot = compute_hotspots(
            HotspotOptions(incidents=inputs["incidents"], res=int(res), **common)
        )
        write_hotspot_outputs(hot, folder / "hotspots", with_map=False)
        folders.append(folder)
    return folders


def _area_folder(out: Path, index: int) -> Path:
    return out / "areas" / folder_key(index + 1, list(CENTRES)[index])


def _summary(folder: Path, name: str) -> pd.DataFrame:
    return pd.read_csv(folder / name / "summary.csv", encoding="utf-8-sig")


def _layer(folder: Path, name: str, layer: str) -> gpd.GeoDataFrame:
    return gpd.read_file(folder / name / "shequ.gpkg", layer=layer)


def test_every_area_done(batch):
    out, result = batch
    assert [a["status"] for a in result.areas] == ["done"] * 4, result.areas
    table = pd.read_csv(out / "areas.csv", encoding="utf-8-sig")
    assert table["area_id"].tolist() == list(CENTRES)  # ids verbatim, folders safe
    for key in table["area_key"]:
        assert "/" not in key and ".." not in key
        assert (out / "areas" / key / "access" / "run.json").is_file()


@pytest.mark.parametrize("index", range(4))
def test_access_equals_single_run(batch, singles, index):
    out, _ = batch
    mine = _layer(_area_folder(out, index), "access", "homes")
    single = _layer(singles[index], "access", "homes")
    assert len(mine) == len(single) > 0
    key = ["osm_ref", "source"]
    mine, single = mine.sort_values(key).reset_index(drop=True), single.sort_values(key)
    single = single.reset_index(drop=True)
    assert mine["osm_ref"].tolist() == single["osm_ref"].tolist()
    halo = json.loads((out / "batch.json").read_text(encoding="utf-8"))["halo_m"]
    kinds = [c[len("walk_min_") :] for c in single.columns if c.startswith("walk_min_")]
    assert kinds
    summary = pd.read_csv(singles[index] / "access" / "summary.csv", encoding="utf-8-sig")
    speed = summary.groupby("kind")["speed_mps"].first()
    for kind in kinds:
        near = single[f"walk_min_{kind}"] * 60 * speed[kind] <= halo
        # walks within the halo: the same minutes; longer ones: not measured, and said so
        np.testing.assert_allclose(
            mine.loc[near, f"walk_min_{kind}"], single.loc[near, f"walk_min_{kind}"], rtol=1e-9
        )
        far = ~near & single[f"walk_min_{kind}"].notna()
        assert mine.loc[far, f"walk_min_{kind}"].isna().all()
        assert mine.loc[far, f"unreachable_{kind}"].str.contains("halo").all()
        assert mine[f"meets_{kind}"].tolist() == single[f"meets_{kind}"].tolist()
    a = pd.read_csv(_area_folder(out, index) / "access" / "summary.csv", encoding="utf-8-sig")
    b = summary
    counts = [c for c in b.columns if c.endswith(("_covered", "_total"))]
    pd.testing.assert_frame_equal(
        a[["kind", "tier_min", *counts]], b[["kind", "tier_min", *counts]]
    )
    assert (a["blind_spot_homes"] == b["blind_spot_homes"]).all()


@pytest.mark.parametrize("index", range(4))
def test_site_grids_hotspots_equal_single_runs(batch, singles, index):
    out, _ = batch
    mine, single = _area_folder(out, index), singles[index]
    a = _layer(mine, "site", "proposed_sites")
    b = _layer(single, "site", "proposed_sites")
    assert sorted(a.geometry.x.round(3)) == sorted(b.geometry.x.round(3))
    sa = pd.read_csv(mine / "site" / "site_summary.csv", encoding="utf-8-sig")
    sb = pd.read_csv(single / "site" / "site_summary.csv", encoding="utf-8-sig")
    for column in ("objective", "demand_total", "covered_before", "covered_after", "homes"):
        np.testing.assert_allclose(sa[column], sb[column], rtol=1e-9)
    ca = _layer(mine, "hotspots", "cells").sort_values("h3").reset_index(drop=True)
    cb = _layer(single, "hotspots", "cells").sort_values("h3").reset_index(drop=True)
    assert ca["h3"].tolist() == cb["h3"].tolist()
    for column in ("count", "gi_z", "kde", "index", "level"):
        assert ca[column].tolist() == cb[column].tolist(), column


@pytest.mark.parametrize("index", range(4))
def test_grids_equal_single_runs(batch, singles, index):
    """The batch's grids are, grid for grid, the single run's on the whole region with
    ``--area`` and on the area's own extract: buildings are grouped in the order of the area's
    own footprints (geo/atoms.py), not of the whole extract's."""
    out, _ = batch
    mine = _layer(_area_folder(out, index), "grids", "grids")
    for name in ("grids", "grids_cut"):
        single = _layer(singles[index], name, "grids")
        assert sorted(mine["households"].round(6)) == sorted(single["households"].round(6)), name
        assert sorted(mine.geometry.area.round(6)) == sorted(single.geometry.area.round(6)), name
    assert (mine.geom_type == "Polygon").all()


def test_region_summary_adds_up(batch):
    out, _ = batch
    summary = pd.read_csv(out / "access_summary.csv", encoding="utf-8-sig")
    areas, region = summary[summary["scope"] == "area"], summary[summary["scope"] == "region"]
    assert len(region) == len(areas) / 4
    for column in ("households_covered", "households_total", "homes_covered", "homes_total"):
        per_kind = areas.groupby(["kind", "tier_min"], sort=False)[column].sum()
        mine = region.set_index(["kind", "tier_min"])[column]
        np.testing.assert_allclose(mine.loc[per_kind.index], per_kind, rtol=1e-12)
    measured = region["households_total"] > 0
    np.testing.assert_allclose(
        region.loc[measured, "households_share"].where(region["data_status"] == "ok"),
        (region["households_covered"] / region["households_total"])[measured].where(
            region["data_status"] == "ok"
        ),
        equal_nan=True,
    )
    # a kind with no facility in any area has no share (no data is not 0 %)
    assert region.loc[region["data_status"] != "ok", "households_share"].isna().all()
    hot = pd.read_csv(out / "hotspots_summary.csv", encoding="utf-8-sig")
    h_areas, h_region = hot[hot["scope"] == "area"], hot[hot["scope"] == "region"]
    assert int(h_region["incidents"].iat[0]) == int(h_areas["incidents"].sum())


def test_incident_rows_add_up(batch, inputs):
    out, _ = batch
    total = len(pd.read_csv(inputs["incidents"]))
    kept = rejected = 0
    for i in range(4):
        folder = _area_folder(out, i)
        rows = len(pd.read_csv(folder / "incidents.csv"))
        area_rejects = pd.read_csv(folder / "hotspots" / "rejects.csv", encoding="utf-8-sig")
        summary = pd.read_csv(folder / "hotspots" / "summary.csv", encoding="utf-8-sig")
        assert rows == summary["incidents"].iat[0] + int(
            (area_rejects["layer"] == "incidents").sum()
        )
        kept += rows
    batch_rejects = pd.read_csv(out / "rejects.csv", encoding="utf-8-sig")
    rejected = int((batch_rejects["layer"] == "incidents").sum())
    assert rejected >= 50  # the 50 far ones, and any near an area's edge
    assert kept + rejected == total


def test_merged_geoparquet(batch):
    out, _ = batch
    homes = gpd.read_parquet(out / "merged" / "access" / "homes")
    per_area = sum(len(_layer(_area_folder(out, i), "access", "homes")) for i in range(4))
    assert len(homes) == per_area
    assert homes.crs.to_epsg() == 4326
    assert set(homes["area_id"]) == set(CENTRES)
    assert homes["area_key"].nunique() == 4
    grids = gpd.read_parquet(out / "merged" / "grids" / "grids")
    assert len(grids) == sum(len(_layer(_area_folder(out, i), "grids", "grids")) for i in range(4))
    cells = gpd.read_parquet(out / "merged" / "hotspots" / "cells")
    assert len({h3.get_resolution(c) for c in cells["h3"]}) == 1  # one cell size side by side


def test_rerun_skips_finished_areas(region, inputs, batch, tmp_path):
    out, _ = batch
    copy = tmp_path / "run"
    shutil.copytree(out, copy)
    redo = _area_folder(copy, 2)
    (redo / "area.json").unlink()  # as if this area had been interrupted
    before = (_area_folder(copy, 0) / "access" / "run.json").stat().st_mtime_ns
    result = run_batch(_options(region, inputs, copy))
    assert result.skipped == 3
    assert [a["status"] for a in result.areas] == ["done"] * 4
    assert (_area_folder(copy, 0) / "access" / "run.json").stat().st_mtime_ns == before
    assert (redo / "area.json").is_file()
    # other parameters: the folder is refused, one line, exit code 2
    code = main(
        ["batch", "--osm", str(region), "--areas", str(inputs["areas"]), "--out", str(copy),
         "--analyses", "access", "--quiet", "--lang", "zh"]
    )  # fmt: skip
    assert code == 2


def test_failed_task_is_retried(region, inputs, tmp_path, monkeypatch):
    """A task that raises is run again (Dask ``retries``): in-process workers see the patch."""
    from dask.distributed import LocalCluster

    calls = tmp_path / "calls.txt"
    real = batch_job._RUNNERS["access"]

    def flaky(task, progress):
        with open(calls, "a") as handle:
            handle.write(task.key + "\n")
        if calls.read_text().splitlines().count(task.key) == 1:
            raise RuntimeError("worker lost (simulated)")
        real(task, progress)

    monkeypatch.setitem(batch_job._RUNNERS, "access", flaky)
    with LocalCluster(n_workers=1, processes=False, dashboard_address=None) as cluster:
        opts = BatchOptions(
            osm=region,
            out=tmp_path / "run",
            areas=inputs["areas"],
            analyses=("access",),
            scheduler=cluster.scheduler_address,
            retries=1,
            with_map=False,
        )
        result = run_batch(opts)
    assert [a["status"] for a in result.areas] == ["done"] * 4
    assert len(calls.read_text().splitlines()) == 8  # each area twice


def test_failed_area_reported(region, inputs, tmp_path, capsys):
    """An area with nothing in it fails with its reason; the others finish; exit code 1."""
    areas = tmp_path / "areas.geojson"
    polys = [inputs["polys"][0], shapely.box(121.3, 31.3, 121.31, 31.31)]  # the second: no data
    gpd.GeoDataFrame({"code": ["A", "B"]}, geometry=polys, crs=4326).to_file(areas)
    code = main(
        ["batch", "--osm", str(region), "--areas", str(areas), "--out", str(tmp_path / "run"),
         "--analyses", "access", "--no-map", "--quiet", "--lang", "en", "--retries", "0"]
    )  # fmt: skip
    assert code == 1
    table = pd.read_csv(tmp_path / "run" / "areas.csv", encoding="utf-8-sig")
    assert table["status"].tolist() == ["done", "failed"]
    assert isinstance(table["error"].iat[1], str) and "\n" not in table["error"].iat[1]
    err = capsys.readouterr().err
    assert "area B:" in err


def test_tiles_bound_street_nodes(region):
    xy = street_node_lonlat(region)
    tiles = tile_areas(xy, 3000, 500.0)
    counts = []
    for tile in tiles:
        w, s, e, n = tile.polygon.bounds
        inside = (xy[:, 0] >= w) & (xy[:, 0] <= e) & (xy[:, 1] >= s) & (xy[:, 1] <= n)
        counts.append(int(inside.sum()))
        assert tile.box[0] < w and tile.box[2] > e  # the halo grows the box
    assert max(counts) <= 3000 + 50  # nodes on a cut line count in both neighbours here
    assert sum(counts) >= len(xy)
    union = shapely.union_all([t.polygon for t in tiles])
    assert union.covers(shapely.multipoints(xy))


def test_folder_keys_are_safe():
    assert folder_key(1, "../../etc/passwd") == "a0001_etc_passwd"
    assert folder_key(12, "东城街道 / 1") == "a0012_东城街道_1"
    assert folder_key(3, "..") == "a0003"  # a partition key a reader keeps as text
    assert folder_key(4, "C:\\x") == "a0004_C_x"


def test_area_without_incidents_is_skipped_not_failed(region, inputs, tmp_path, capsys):
    """A 街道 with no incident is a finding (hotspots not run there, with the reason), not a
    failed area: the batch ends with exit code 0."""
    areas = tmp_path / "areas.geojson"
    gpd.GeoDataFrame({"code": ["A", "B"]}, geometry=inputs["polys"][:2], crs=4326).to_file(areas)
    incidents = pd.read_csv(inputs["incidents"])
    first = inputs["polys"][0]
    mine = incidents[shapely.contains_xy(first, incidents["lon"], incidents["lat"])]
    path = tmp_path / "incidents.csv"
    mine.to_csv(path, index=False)
    args = ["batch", "--osm", str(region), "--areas", str(areas), "--out", str(tmp_path / "run"),
            "--analyses", "hotspots", "--incidents", str(path), "--no-map", "--quiet",
            "--lang", "zh", "--halo", "3010"]  # fmt: skip
    assert main(args) == 0
    table = pd.read_csv(tmp_path / "run" / "areas.csv", encoding="utf-8-sig")
    assert table["status"].tolist() == ["done", "done"]
    assert table["hotspots_status"].tolist() == ["done", "skipped"]
    assert "0 起事件" in table["hotspots_reason"].iat[1]
    # a halo 10 m wider than the distance cap: edge cells' centres lie farther out, and it is said
    assert "超过外扩范围预留的 10 米" in table["hotspots_note"].iat[0]
    # the same command again resumes the folder: every area finished, nothing re-run
    stamp = (tmp_path / "run" / "areas.csv").stat().st_mtime_ns
    record = (tmp_path / "run" / "areas" / table["area_key"].iat[0] / "area.json").read_text()
    capsys.readouterr()
    assert main(args) == 0
    assert "其中 2 个此前已完成" in capsys.readouterr().out
    again = pd.read_csv(tmp_path / "run" / "areas.csv", encoding="utf-8-sig")
    assert again["status"].tolist() == ["done", "done"]
    assert (tmp_path / "run" / "areas.csv").stat().st_mtime_ns >= stamp
    assert (
        tmp_path / "run" / "areas" / again["area_key"].iat[0] / "area.json"
    ).read_text() == record
    # a folder of the user's own files is still refused, before any work
    mine = tmp_path / "mine"
    mine.mkdir()
    (mine / "notes.txt").write_text("mine", encoding="utf-8")
    assert (
        main([*args[: args.index("--out") + 1], str(mine), *args[args.index("--out") + 2 :]]) == 2
    )
    assert (mine / "notes.txt").read_text(encoding="utf-8") == "mine"


def test_merged_partitions_get_every_column(tmp_path):
    """An area without a column (no facility of a kind, so no walk_min_<kind>) must not make a
    reader drop that column from every area."""
    layer = tmp_path / "merged" / "access" / "homes"
    a = gpd.GeoDataFrame(
        {"area_id": ["A"], "walk_min_canteen": [3.5], "kind_note": pd.array(["x"], "string")},
        geometry=[shapely.Point(121.0, 31.0)],
        crs=4326,
    )
    b = gpd.GeoDataFrame({"area_id": ["B"]}, geometry=[shapely.Point(121.1, 31.1)], crs=4326)
    for key, frame in (("a0002_A", a), ("a0001_B", b)):  # the first partition lacks them
        path = layer / f"area_key={key}" / "part.parquet"
        path.parent.mkdir(parents=True)
        frame.to_parquet(path, index=False)
    batch_job.unify_merged(tmp_path / "merged")
    merged = gpd.read_parquet(layer).sort_values("area_id").reset_index(drop=True)
    assert list(merged["area_id"]) == ["A", "B"]
    assert merged["walk_min_canteen"].iloc[0] == 3.5 and pd.isna(merged["walk_min_canteen"][1])
    assert merged["kind_note"].iloc[0] == "x" and pd.isna(merged["kind_note"].iloc[1])
    assert list(merged["area_key"].astype(str)) == ["a0002_A", "a0001_B"]  # text, not numbers
    assert merged.crs.to_epsg() == 4326


def test_overlapping_areas_are_refused(region, inputs, tmp_path, capsys):
    """Two areas sharing a quarter of their land would count its homes twice: one line, exit 2,
    naming both, before any work."""
    w, s, e, n = inputs["polys"][0].bounds
    half = (e - w) / 2
    polys = [inputs["polys"][0], shapely.box(w + half, s, e + half, n)]
    areas = tmp_path / "areas.geojson"
    gpd.GeoDataFrame({"code": ["甲", "乙"]}, geometry=polys, crs=4326).to_file(areas)
    out = tmp_path / "run"
    code = main(
        ["batch", "--osm", str(region), "--areas", str(areas), "--out", str(out),
         "--analyses", "access", "--quiet", "--lang", "zh"]
    )  # fmt: skip
    assert code == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "'甲'" in err[0] and "'乙'" in err[0] and "重叠" in err[0]
    assert not (out / "areas").exists()


def test_incidents_in_their_own_crs(region, inputs, tmp_path):
    """Hotline incidents in GCJ-02 beside WGS-84 areas: split as the WGS-84 file is."""
    from shequ.geo.coords import wgs84_to_gcj02

    areas = tmp_path / "areas.geojson"
    gpd.GeoDataFrame({"code": ["A"]}, geometry=inputs["polys"][:1], crs=4326).to_file(areas)
    frame = pd.read_csv(inputs["incidents"])
    gcj = frame.copy()
    gcj["lon"], gcj["lat"] = wgs84_to_gcj02(frame["lon"].to_numpy(), frame["lat"].to_numpy())
    shifted = tmp_path / "incidents_gcj02.csv"
    gcj.to_csv(shifted, index=False)
    runs = {}
    for name, path, crs in (("wgs", inputs["incidents"], None), ("gcj", shifted, "gcj02")):
        opts = BatchOptions(
            osm=region,
            out=tmp_path / name,
            analyses=("hotspots",),
            areas=areas,
            incidents=path,
            incidents_crs=crs,
            res=7,  # coarse cells (1.2 km edges): the halo grows to hold them
            workers=1,
            with_map=False,
        )
        result = run_batch(opts)
        assert [a["status"] for a in result.areas] == ["done"]
        key = result.areas[0]["key"]
        runs[name] = pd.read_csv(tmp_path / name / "areas" / key / "incidents.csv")
        assert _summary(tmp_path / name / "areas" / key, "hotspots")["resolution"].iat[0] == 7
        # the distance cap plus 1.25 average res-7 edges (1,406 m), not the 1 km of res 8
        cap = load_profile().risk.distance_cap_m
        reach = 1.25 * h3.average_hexagon_edge_length(7, unit="m")
        assert result.halo_m == pytest.approx(cap + reach)
        assert result.halo_m > default_halo_m(load_profile(), ("hotspots",), 8) + 500
        table = pd.read_csv(tmp_path / name / "areas.csv", encoding="utf-8-sig")
        assert table.get("hotspots_note", pd.Series(dtype=object)).isna().all()  # cells fit
    a, b = runs["wgs"], runs["gcj"]
    assert abs(len(b) - len(a)) <= 0.01 * len(a)
    both = a.merge(b, on="row", suffixes=("_w", "_g"))
    assert len(both) >= 0.99 * len(a)
    assert np.abs(both["lon_w"] - both["lon_g"]).max() < 1e-5  # back within about a metre
