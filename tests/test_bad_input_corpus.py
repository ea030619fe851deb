"""A corpus of bad inputs and faults over the four commands, built from the shared data at run time.

Each case is what a planner's real files or a hostile editor produce: wrong encodings, Excel
workbooks renamed .csv, numbers that are not numbers, impossible households, profiles with
typos, option values the machine cannot hold, grid edits with ``Infinity``. For every case the
command must end in one of two ways, and the harness checks the same things each time:

- ``error``: exit status 2 and exactly one line on stderr starting with ``error``, naming the
  file, row, key or option (``says``); no output folder left behind;
- ``ok``: exit status 0; every row of every user file named in ``balance`` is either kept in an
  output layer or listed in ``rejects.csv`` (rows in = rows kept + rows rejected), as many
  kept as expected where a case says so, and the reason text in ``says`` found in the
  rejects, the warnings and notes, or ``run.json``.

And always: no traceback (any exception escaping ``main`` fails the case), no code run by text
from the data, no hidden temporary file or staging folder left anywhere under the work folder.
Cases are built from the Beijing and Nanjing extracts and the Amap kindergarten file in
``../shared/data`` (skipped, saying why, when it is absent), so nothing large is committed.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
from shapely.geometry import Point, box

from shequ.cli import main
from tests.conftest import shared_file
from tests.helpers import english_sentences

BEIJING = "osm/beijing_haidian_liudaokou_small.osm"
NANJING = "osm/nanjing_xinjiekou_small.osm"
AMAP_KINDERGARTENS = "poi/shanghai_amap/kindergarten.csv"
# Inside the Beijing extract's <bounds> (116.3440–116.3597 E, 39.9977–40.0089 N).
LON0, LAT0, SPAN = 116.3470, 39.9990, 0.010


@dataclass(frozen=True)
class Balance:
    """Rows of one user file: ``rows`` in, to be found kept in ``layer`` or in rejects.csv."""

    file: str
    layer: str  # gpkg layer holding the kept rows ("homes", "facilities", "candidates") or
    # "cells" for incidents (kept = sum of cell counts)
    rows: int
    kept: int | None = None  # how many must be kept (None: only rows in = kept + rejected)


@dataclass(frozen=True)
class Case:
    id: str
    build: Callable[[Path], list[str]]
    expect: str  # "error" | "ok"
    says: tuple[str, ...] = ()
    balance: tuple[Balance, ...] = ()


# --- inputs ---------------------------------------------------------------------------------


def beijing() -> str:
    return str(shared_file(BEIJING))


def points(n: int, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    return LON0 + rng.uniform(0, SPAN, n), LAT0 + rng.uniform(0, SPAN, n)


def homes_frame(n: int = 20, seed: int = 0) -> pd.DataFrame:
    lon, lat = points(n, seed)
    return pd.DataFrame(
        {
            "name": [f"楼{i}" for i in range(n)],
            "lon": lon.round(6),
            "lat": lat.round(6),
            "households": 30 + np.arange(n) % 7,
        }
    )


def write_csv(path: Path, frame: pd.DataFrame, encoding: str = "utf-8") -> Path:
    frame.to_csv(path, index=False, encoding=encoding)
    return path


def homes_csv(work: Path, frame: pd.DataFrame | None = None, name: str = "homes.csv") -> Path:
    return write_csv(work / name, homes_frame() if frame is None else frame)


def access(*args: str) -> list[str]:
    return ["access", "--no-map", "--no-isochrones", "--kinds", "clinic,kindergarten", *args]


def site(*args: str) -> list[str]:
    return ["site", "--no-map", "--kind", "ebike_charging", "--curve", "0", *args]


def grids(*args: str) -> list[str]:
    return ["grids", "--no-map", "--time-limit", "5", *args]


def profile_file(work: Path, text: str) -> Path:
    path = work / "profile.yaml"
    path.write_text(text, encoding="utf-8")
    return path


def xlsx_bytes() -> bytes:
    """The first bytes of a real .xlsx: a ZIP archive holding [Content_Types].xml."""
    return (
        b"PK\x03\x04\x14\x00\x06\x00\x08\x00\x00\x00!\x00"
        + b"[Content_Types].xml"
        + bytes(range(256))
    )


def incidents_frame(n: int = 300, seed: int = 1) -> pd.DataFrame:
    lon, lat = points(n, seed)
    return pd.DataFrame(
        {
            "lon": lon.round(6),
            "lat": lat.round(6),
            "time": pd.date_range("2025-01-01", periods=n, freq="7h").strftime("%Y-%m-%d %H:%M"),
            "type": np.where(np.arange(n) % 3 == 0, "电动车火灾", "盗窃"),
        }
    )


def hotspots(work: Path, frame: pd.DataFrame | None = None, *args: str) -> list[str]:
    path = write_csv(work / "incidents.csv", incidents_frame() if frame is None else frame)
    return ["hotspots", "--no-map", "--incidents", str(path), *args]


def grids_file(work: Path, codes: list[object], name: str = "grids.geojson") -> Path:
    cells = [
        box(LON0 + i * 0.004, LAT0, LON0 + (i + 1) * 0.004, LAT0 + SPAN) for i in range(len(codes))
    ]
    frame = gpd.GeoDataFrame({"grid_id": codes, "code": codes}, geometry=cells, crs=4326)
    path = work / name
    frame.to_file(path)
    return path


def edits_file(work: Path, to_grid: list[str]) -> Path:
    """Edits as the grid map exports them, with ``to_grid`` written as raw JSON text."""
    feats = []
    for i, value in enumerate(to_grid):
        ring = box(LON0 + i * 0.002, LAT0, LON0 + (i + 1) * 0.002, LAT0 + 0.002).exterior.coords
        geometry = json.dumps({"type": "Polygon", "coordinates": [[list(c) for c in ring]]})
        feats.append(
            '{"type": "Feature", "properties": {"to_grid": ' + value + "}, "
            '"geometry": ' + geometry + "}"
        )
    path = work / "edits.geojson"
    path.write_text('{"type": "FeatureCollection", "features": [' + ",".join(feats) + "]}")
    return path


# --- the corpus -----------------------------------------------------------------------------


def _homes_with(column: str, values: list[object]) -> Callable[[Path], list[str]]:
    def build(work: Path) -> list[str]:
        frame = homes_frame(len(values) + 10)
        frame[column] = frame[column].astype(object)
        frame.loc[: len(values) - 1, column] = values
        return access("--osm", beijing(), "--homes", str(homes_csv(work, frame)))

    return build


def _gbk_chinese_headers(work: Path) -> list[str]:
    frame = homes_frame(12).rename(
        columns={"name": "名称", "lon": "经度", "lat": "纬度", "households": "户数"}
    )
    frame["人口"] = frame["户数"] * 3
    path = write_csv(work / "homes_gbk.csv", frame, encoding="gbk")
    return access("--osm", beijing(), "--homes", str(path))


def _gbk_ragged(work: Path) -> list[str]:
    frame = homes_frame(12)
    text = frame.to_csv(index=False).splitlines()
    text[3] += ",extra,fields"
    path = work / "homes_ragged.csv"
    path.write_bytes(("\n".join(text) + "\n").replace("楼", "樓").encode("gb18030"))
    return access("--osm", beijing(), "--homes", str(path))


def _bom_csv(work: Path) -> list[str]:
    path = write_csv(work / "homes_bom.csv", homes_frame(12), encoding="utf-8-sig")
    return access("--osm", beijing(), "--homes", str(path))


def _file_bytes(name: str, data: bytes, flag: str = "--homes") -> Callable[[Path], list[str]]:
    def build(work: Path) -> list[str]:
        path = work / name
        path.write_bytes(data)
        extra = ["--kind", "clinic"] if flag == "--facilities" else []
        return access("--osm", beijing(), flag, str(path), *extra)

    return build


def _osm_bytes(name: str, data: bytes) -> Callable[[Path], list[str]]:
    def build(work: Path) -> list[str]:
        path = work / name
        path.write_bytes(data)
        return access("--osm", str(path))

    return build


def _projected_shapefile(work: Path) -> list[str]:
    lon, lat = points(15)
    frame = gpd.GeoDataFrame(
        homes_frame(15).drop(columns=["lon", "lat"]),
        geometry=gpd.points_from_xy(lon, lat),
        crs=4326,
    ).to_crs(32650)
    path = work / "homes_utm.shp"
    frame.to_file(path)
    path.with_suffix(".prj").unlink()
    return access("--osm", beijing(), "--homes", str(path))


def _all_rows_bad(work: Path) -> list[str]:
    frame = homes_frame(8)
    frame["lon"] = "东经116度"
    return access("--osm", beijing(), "--homes", str(homes_csv(work, frame)))


def _polygons_as_homes(work: Path) -> list[str]:
    lon, lat = points(6)
    frame = gpd.GeoDataFrame(
        {"households": [20] * 6},
        geometry=[Point(x, y).buffer(2e-4) for x, y in zip(lon, lat, strict=True)],
        crs=4326,
    )
    path = work / "homes_polygons.geojson"
    frame.to_file(path)
    return access("--osm", beijing(), "--homes", str(path))


def street_points(n: int, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """Real WGS-84 positions: nodes of the Beijing extract's streets (a fit the check can see)."""
    from shequ.geo.osm_file import read_osm

    xy = np.concatenate([way.lonlat for way in read_osm(shared_file(BEIJING)).highways])
    inside = (xy[:, 0] > LON0) & (xy[:, 0] < LON0 + SPAN) & (xy[:, 1] > LAT0)
    xy = xy[inside & (xy[:, 1] < LAT0 + SPAN)]
    pick = np.random.default_rng(seed).choice(len(xy), n, replace=False)
    return xy[pick, 0], xy[pick, 1]


def _wgs_declared_gcj(work: Path) -> list[str]:
    frame = homes_frame(20)
    frame["lon"], frame["lat"] = street_points(20)
    path = homes_csv(work, frame)
    return access("--osm", beijing(), "--homes", str(path), "--crs", "gcj02")


def _facilities_of_other_kinds(work: Path) -> list[str]:
    lon, lat = points(30, seed=5)
    kinds = ["clinic", "canteen", "kindergarten"] * 10
    frame = pd.DataFrame({"name": [f"设施{i}" for i in range(30)], "kind": kinds})
    frame["lon"], frame["lat"] = lon.round(6), lat.round(6)
    path = write_csv(work / "fac_kinds.csv", frame)
    return access("--osm", beijing(), "--facilities", str(path), "--no-osm-facilities")


def _facilities_unknown_kind_values(work: Path) -> list[str]:
    lon, lat = points(6, seed=6)
    frame = pd.DataFrame({"name": list("abcdef"), "kind": ["clinic", "spaceport"] * 3})
    frame["lon"], frame["lat"] = lon.round(6), lat.round(6)
    path = write_csv(work / "fac_unknown.csv", frame)
    return access("--osm", beijing(), "--facilities", str(path))


def _facilities_without_kind(work: Path) -> list[str]:
    lon, lat = points(4, seed=7)
    path = write_csv(
        work / "fac_nokind.csv", pd.DataFrame({"name": list("abcd"), "lon": lon, "lat": lat})
    )
    return access("--osm", beijing(), "--facilities", str(path))


def _profile(text: str) -> Callable[[Path], list[str]]:
    def build(work: Path) -> list[str]:
        return access("--osm", beijing(), "--profile", str(profile_file(work, text)))

    return build


def _amap_as_wgs(work: Path) -> list[str]:
    # an Amap export is read as GCJ-02 by default; the shared file is WGS-84 already
    kindergartens = str(shared_file(AMAP_KINDERGARTENS))
    return access("--osm", beijing(), "--facilities", kindergartens, "--crs", "wgs84")


def _raster_garbage(work: Path) -> list[str]:
    path = work / "pop.tif"
    path.write_bytes(b"II*\x00" + b"\x00" * 64)
    return access("--osm", beijing(), "--population-raster", str(path))


def _out_is_a_file(work: Path) -> list[str]:
    (work / "out").write_text("not a folder")
    return access("--osm", beijing())


def _out_holds_user_files(work: Path) -> list[str]:
    (work / "out").mkdir()
    (work / "out" / "我的报告.docx").write_bytes(b"user data")
    return access("--osm", beijing())


def _candidates(work: Path) -> Path:
    lon, lat = points(8, seed=9)
    frame = pd.DataFrame(
        {
            "name": [f"候选{i}" for i in range(8)],
            "lon": lon.round(6),
            "lat": lat.round(6),
            "cost": ["10", "abc", "12", "-3", "inf", "8", "", "9"],
            "capacity": ["5", "5", "-1", "5", "5", "nan", "5", "1e400"],
        }
    )
    return write_csv(work / "candidates.csv", frame)


def _site_args(*extra: str) -> Callable[[Path], list[str]]:
    def build(work: Path) -> list[str]:
        return site("--osm", beijing(), "--homes", str(homes_csv(work)), *extra)

    return build


def _site_bad_candidates(work: Path) -> list[str]:
    return site(
        "--osm", beijing(), "--homes", str(homes_csv(work)), "--p", "2",
        "--candidates", str(_candidates(work)), "--no-osm-candidates",
    )  # fmt: skip


def _site_budget_bad_costs(work: Path) -> list[str]:
    return site(
        "--osm", beijing(), "--homes", str(homes_csv(work)), "--budget", "20",
        "--candidates", str(_candidates(work)), "--no-osm-candidates",
    )  # fmt: skip


def _site_garbage_candidates(work: Path) -> list[str]:
    path = work / "cand.csv"
    path.write_bytes(bytes(range(256)) * 8)
    return site("--osm", beijing(), "--p", "1", "--candidates", str(path))


def _edits_broken(work: Path) -> list[str]:
    path = work / "e.geojson"
    path.write_text("{oops", encoding="utf-8")
    return grids("--osm", beijing(), "--edits", str(path))


def _grid_args(*extra: str) -> Callable[[Path], list[str]]:
    def build(work: Path) -> list[str]:
        return grids("--osm", beijing(), *extra)

    return build


def _existing_string_ids(work: Path) -> list[str]:
    path = grids_file(work, ["G001", "G002", "G003"])
    return grids("--osm", beijing(), "--existing", str(path))


def _lock_unknown(work: Path) -> list[str]:
    path = grids_file(work, ["G001", "G002", "G003"])
    return grids("--osm", beijing(), "--existing", str(path), "--lock", "G009")


def _lock_without_existing(work: Path) -> list[str]:
    return grids("--osm", beijing(), "--lock", "G001")


def _locked_bad_value(work: Path) -> list[str]:
    path = grids_file(work, ["G001", "G002", "G003"])
    frame = gpd.read_file(path)
    frame["locked"] = ["是", "maybe", ""]
    frame.to_file(path)
    return grids("--osm", beijing(), "--existing", str(path))


def _edits(values: list[str]) -> Callable[[Path], list[str]]:
    def build(work: Path) -> list[str]:
        return grids("--osm", beijing(), "--edits", str(edits_file(work, values)))

    return build


def _communities_in_metres(work: Path) -> list[str]:
    frame = gpd.GeoDataFrame(
        {"name": ["社区A"]}, geometry=[box(LON0, LAT0, LON0 + SPAN, LAT0 + SPAN)], crs=4326
    ).to_crs(32650)
    path = work / "communities.shp"
    frame.to_file(path)
    path.with_suffix(".prj").unlink()
    return grids("--osm", beijing(), "--communities", str(path))


def _communities_points(work: Path) -> list[str]:
    frame = gpd.GeoDataFrame({"name": ["社区A"]}, geometry=[Point(LON0, LAT0)], crs=4326)
    path = work / "communities.geojson"
    frame.to_file(path)
    return grids("--osm", beijing(), "--communities", str(path))


def _hot(frame_edit: Callable[[pd.DataFrame], pd.DataFrame] | None = None, *extra: str):
    def build(work: Path) -> list[str]:
        frame = incidents_frame()
        if frame_edit is not None:
            frame = frame_edit(frame)
        return hotspots(work, frame, *extra)

    return build


def _future_dates(frame: pd.DataFrame) -> pd.DataFrame:
    frame.loc[:4, "time"] = "2099-12-31 08:00"
    return frame


def _wide(frame: pd.DataFrame) -> pd.DataFrame:
    """Incidents over half a degree square (~2,400 km²): 2.8 billion cells at resolution 15."""
    frame["lon"] = LON0 + np.linspace(0, 0.5, len(frame))
    frame["lat"] = LAT0 + np.linspace(0, 0.5, len(frame))[::-1] ** 2 * 2
    return frame


def _one_point(frame: pd.DataFrame) -> pd.DataFrame:
    frame["lon"], frame["lat"] = LON0 + 0.005, LAT0 + 0.005
    return frame


def _hot_gcj(work: Path) -> list[str]:
    from shequ.geo.coords import wgs84_to_gcj02

    frame = incidents_frame()
    lon, lat = wgs84_to_gcj02(*street_points(len(frame), seed=2))
    frame["lon"], frame["lat"] = lon.round(7), lat.round(7)
    return hotspots(work, frame, "--osm", beijing())


def _hot_grids_garbage(work: Path) -> list[str]:
    path = work / "grids.gpkg"
    path.write_bytes(b"SQLite format 3\x00" + b"\x00" * 100)
    return hotspots(work, None, "--grids", str(path))


def _hot_bytes(data: bytes) -> Callable[[Path], list[str]]:
    def build(work: Path) -> list[str]:
        path = work / "incidents.csv"
        path.write_bytes(data)
        return ["hotspots", "--no-map", "--incidents", str(path)]

    return build


def _blank_lines(work: Path) -> list[str]:
    lines = homes_frame(10).to_csv(index=False).splitlines()
    text = "\n".join([*lines[:4], "", "   ", *lines[4:]]) + "\n\n\n"
    path = work / "homes_blank.csv"
    path.write_text(text, encoding="utf-8")
    return access("--osm", beijing(), "--homes", str(path))


def _generic_id_column(work: Path) -> list[str]:
    frame = homes_frame(10)
    frame.insert(0, "id", [7, 7, 8, 9, 10, 11, 12, 13, 14, 15])
    return access("--osm", beijing(), "--homes", str(homes_csv(work, frame)))


def _vector_nulls(kind: str) -> Callable[[Path], list[str]]:
    """A GeoJSON as QGIS exports it: NULL cells in the text columns."""

    def build(work: Path) -> list[str]:
        lon, lat = points(10, seed=11)
        frame = gpd.GeoDataFrame(geometry=gpd.points_from_xy(lon, lat), crs=4326)
        if kind == "homes":
            frame["name"] = [None, "甲"] * 5
            frame["home_id"] = [None] * 10
            frame["households"] = [None, 30.0] * 5
            path = work / "homes_nulls.geojson"
            frame.to_file(path)
            return access("--osm", beijing(), "--homes", str(path))
        if kind == "facilities":
            frame["name"] = [None, "诊所"] * 5
            frame["kind"] = [None, "clinic"] * 5
            path = work / "fac_nulls.geojson"
            frame.to_file(path)
            return access("--osm", beijing(), "--facilities", str(path), "--no-osm-facilities")
        incidents = incidents_frame(300)
        frame = gpd.GeoDataFrame(
            incidents.drop(columns=["lon", "lat"]),
            geometry=gpd.points_from_xy(incidents["lon"], incidents["lat"]),
            crs=4326,
        )
        frame["time"] = frame["time"].astype(object)
        frame["type"] = frame["type"].astype(object)
        frame.loc[:9, "time"] = None
        frame.loc[10:14, "type"] = None
        path = work / "incidents_nulls.geojson"
        frame.to_file(path)
        return ["hotspots", "--no-map", "--incidents", str(path)]

    return build


H = Balance("homes.csv", "homes", 20)

CORPUS: list[Case] = [
    # --- access: the OSM file --------------------------------------------------------------
    Case("osm-missing", lambda w: access("--osm", str(w / "nope.osm")), "error", ("nope.osm",)),
    Case("osm-empty-file", _osm_bytes("empty.osm", b""), "error", ("empty.osm", "empty")),
    Case(
        "osm-binary",
        _osm_bytes("garbage.osm", bytes(range(256)) * 8),
        "error",
        ("garbage.osm", "cannot read OSM data"),
    ),
    Case(
        "osm-truncated-gz",
        _osm_bytes("cut.osm.gz", b"\x1f\x8b\x08\x00" + b"\x00" * 20),
        "error",
        ("cut.osm.gz", "cannot read OSM data"),
    ),
    Case(
        "osm-html",
        _osm_bytes("page.osm", b"<html><body>404</body></html>"),
        "error",
        ("page.osm", "cannot read OSM data"),
    ),
    # --- access: homes files ---------------------------------------------------------------
    Case(
        "homes-missing",
        lambda w: access("--osm", beijing(), "--homes", str(w / "no.csv")),
        "error",
        ("no.csv",),
    ),
    Case("homes-zero-bytes", _file_bytes("homes.csv", b""), "error", ("homes.csv", "empty")),
    Case(
        "homes-xlsx-renamed",
        _file_bytes("homes.csv", xlsx_bytes()),
        "error",
        ("homes.csv", "Excel"),
    ),
    Case(
        "homes-binary",
        _file_bytes("homes.csv", bytes(range(256)) * 40),
        "error",
        ("homes.csv", "not a text CSV"),
    ),
    Case(
        "homes-header-only",
        _file_bytes("homes.csv", b"name,lon,lat,households\n"),
        "error",
        ("homes.csv", "no rows"),
    ),
    Case(
        "homes-no-coordinates",
        _file_bytes("homes.csv", "名称,地址\n甲,北京\n".encode()),
        "error",
        ("homes.csv", "longitude and latitude"),
    ),
    Case("homes-all-rows-bad", _all_rows_bad, "error", ("homes.csv", "no row could be used")),
    Case(
        "homes-gbk-chinese-headers",
        _gbk_chinese_headers,
        "ok",
        (),
        (Balance("homes_gbk.csv", "homes", 12, kept=12),),
    ),
    Case(
        "homes-gb18030-ragged-row",
        _gbk_ragged,
        "ok",
        ("the row has 6 fields but the header has 4",),
        (Balance("homes_ragged.csv", "homes", 12, kept=11),),
    ),
    Case("homes-utf8-bom", _bom_csv, "ok", (), (Balance("homes_bom.csv", "homes", 12, kept=12),)),
    Case(
        "homes-households-inf",
        _homes_with("households", ["inf", "1e400", "-inf"]),
        "ok",
        ("'inf' is not a finite number", "'1e400' is not a finite number"),
        (Balance("homes.csv", "homes", 13, kept=10),),
    ),
    Case(
        "homes-households-huge",
        _homes_with("households", ["1e12", "-5"]),
        "ok",
        ("1e12 is outside the plausible range", "-5 is negative"),
        (Balance("homes.csv", "homes", 12, kept=10),),
    ),
    Case(
        "homes-households-text",
        _homes_with("households", ["三十", "30户"]),
        "ok",
        ("'三十' is not a number", "'30户' is not a number"),
        (Balance("homes.csv", "homes", 12, kept=10),),
    ),
    Case(
        "homes-lat-out-of-range",
        _homes_with("lat", [200.0, -95.0]),
        "ok",
        ("(116.35337, 200) out of range",),
        (Balance("homes.csv", "homes", 12, kept=10),),
    ),
    Case(
        "homes-coordinates-blank",
        _homes_with("lon", ["", "nan"]),
        "ok",
        ("missing or non-numeric coordinates (lon ",),
        (Balance("homes.csv", "homes", 12, kept=10),),
    ),
    Case(
        "homes-projected-shp-no-prj",
        _projected_shapefile,
        "error",
        ("homes_utm.shp", "not degrees"),
    ),
    Case(
        "homes-polygons",
        _polygons_as_homes,
        "ok",
        (),
        (Balance("homes_polygons.geojson", "homes", 6, kept=6),),
    ),
    Case(
        "homes-bad-geojson",
        _file_bytes("homes.geojson", b'{"type": "FeatureCollection", "features": [{'),
        "error",
        ("homes.geojson", "cannot read"),
    ),
    Case("homes-wgs84-declared-gcj02", _wgs_declared_gcj, "ok", ("gcj02",), (H,)),
    Case(
        "homes-blank-lines",
        _blank_lines,
        "ok",
        (),
        (Balance("homes_blank.csv", "homes", 10, kept=10),),
    ),
    Case(
        "homes-generic-id-column",
        _generic_id_column,
        "ok",
        (),
        (Balance("homes.csv", "homes", 10, kept=10),),
    ),
    Case(
        "homes-geojson-nulls",
        _vector_nulls("homes"),
        "ok",
        ("no households or population value",),
        (Balance("homes_nulls.geojson", "homes", 10, kept=5),),
    ),
    Case(
        "facilities-geojson-null-kind",
        _vector_nulls("facilities"),
        "ok",
        ("empty kind",),
        (Balance("fac_nulls.geojson", "facilities", 10, kept=5),),
    ),
    Case(
        "hot-geojson-null-time-and-type",
        _vector_nulls("incidents"),
        "ok",
        ("empty time", "empty type"),
        (Balance("incidents_nulls.geojson", "cells", 300, kept=285),),
    ),
    # --- access: facilities ---------------------------------------------------------------
    Case(
        "facilities-missing",
        lambda w: access("--osm", beijing(), "--facilities", str(w / "f.csv"), "--kind", "clinic"),
        "error",
        ("f.csv",),
    ),
    Case("facilities-no-kind", _facilities_without_kind, "error", ("fac_nokind.csv", "kind")),
    Case(
        "facilities-other-kinds-filtered",
        _facilities_of_other_kinds,
        "ok",
        ("kind canteen filtered out",),
        (Balance("fac_kinds.csv", "facilities", 30, kept=20),),
    ),
    Case(
        "facilities-unknown-kind-values",
        _facilities_unknown_kind_values,
        "ok",
        ("spaceport",),
        (Balance("fac_unknown.csv", "facilities", 6, kept=3),),
    ),
    Case(
        "facilities-xlsx-renamed",
        _file_bytes("fac.csv", xlsx_bytes(), "--facilities"),
        "error",
        ("fac.csv", "Excel"),
    ),
    # an Amap export needs no kind column: its `type` category decides (issue 12); the Shanghai
    # kindergartens lie far outside the Beijing extract, so every row is rejected, with why
    Case(
        "facilities-amap-without-kind",
        _amap_as_wgs,
        "ok",
        ("kindergarten.csv",),
        (Balance("kindergarten.csv", "facilities", 2284, kept=0),),
    ),
    # --- access: options ------------------------------------------------------------------
    Case(
        "kinds-unknown",
        lambda w: access("--osm", beijing(), "--kinds", "spaceport"),
        "error",
        ("spaceport",),
    ),
    Case(
        "crs-unknown-without-files",
        lambda w: access("--osm", beijing(), "--crs", "mars"),
        "error",
        ("mars",),
    ),
    Case(
        "crs-unknown-with-file",
        lambda w: access("--osm", beijing(), "--homes", str(homes_csv(w)), "--crs", "mars"),
        "error",
        ("mars",),
    ),
    Case(
        "bands-text",
        lambda w: ["access", "--osm", beijing(), "--bands", "five,ten"],
        "error",
        ("--bands",),
    ),
    Case(
        "bands-zero",
        lambda w: ["access", "--osm", beijing(), "--bands", "0,5"],
        "error",
        ("--bands",),
    ),
    Case("raster-not-a-tif", _raster_garbage, "error", ("pop.tif", "cannot read the raster")),
    Case("out-is-a-file", _out_is_a_file, "error", ("out", "is a file")),
    Case("out-holds-user-files", _out_holds_user_files, "error", ("out", "holds no shequ outputs")),
    # --- the profile ----------------------------------------------------------------------
    Case(
        "profile-missing",
        lambda w: access("--osm", beijing(), "--profile", str(w / "p.yaml")),
        "error",
        ("p.yaml",),
    ),
    Case("profile-not-yaml", _profile("walking: [unclosed\n"), "error", ("profile.yaml",)),
    Case("profile-not-a-mapping", _profile("- 1\n- 2\n"), "error", ("profile.yaml",)),
    Case(
        "profile-unknown-key",
        _profile("walkng:\n  speed_mps: {general: 1.2}\n"),
        "error",
        ("walkng",),
    ),
    Case(
        "profile-tiers-text", _profile("walking:\n  tiers_min: fifteen\n"), "error", ("tiers_min",)
    ),
    Case(
        "profile-tiers-decreasing",
        _profile("walking:\n  tiers_min: [15, 10, 5]\n"),
        "error",
        ("tiers_min",),
    ),
    Case("profile-scalar-for-mapping", _profile("walking: 3\n"), "error", ("walking",)),
    Case(
        "profile-negative-share",
        _profile("demand:\n  elderly_share: -0.5\n"),
        "error",
        ("elderly_share",),
    ),
    Case(
        "profile-share-above-one",
        _profile("demand:\n  children_share: 3\n"),
        "error",
        ("children_share",),
    ),
    Case(
        "profile-zero-speed",
        _profile("walking:\n  speed_mps:\n    general: 0\n"),
        "error",
        ("speed_mps",),
    ),
    Case(
        "profile-permutations-text",
        _profile("risk:\n  permutations: lots\n"),
        "error",
        ("permutations",),
    ),
    # --- site -----------------------------------------------------------------------------
    Case(
        "site-spacing-zero",
        _site_args("--p", "2", "--street-candidates", "--spacing", "0"),
        "error",
        ("--spacing",),
    ),
    Case(
        "site-spacing-tiny",
        _site_args("--p", "2", "--street-candidates", "--spacing", "0.01"),
        "error",
        ("--spacing",),
    ),
    Case(
        "site-spacing-negative",
        _site_args("--p", "2", "--street-candidates", "--spacing", "-5"),
        "error",
        ("--spacing",),
    ),
    Case("site-p-zero", _site_args("--p", "0"), "error", ("--p",)),
    Case("site-p-negative", _site_args("--p", "-3"), "error", ("--p",)),
    Case("site-budget-negative", _site_args("--budget", "-1"), "error", ("--budget",)),
    Case(
        "site-max-walk-negative",
        _site_args("--p", "2", "--model", "pmedian", "--max-walk", "-1"),
        "error",
        ("--max-walk",),
    ),
    Case(
        "site-time-limit-zero",
        _site_args("--p", "2", "--time-limit", "0"),
        "error",
        ("--time-limit",),
    ),
    Case("site-gap-above-one", _site_args("--p", "2", "--gap", "2"), "error", ("--gap",)),
    Case(
        "site-curve-negative",
        lambda w: [
            "site",
            "--no-map",
            "--kind",
            "ebike_charging",
            "--osm",
            beijing(),
            "--p",
            "2",
            "--curve",
            "-4",
        ],
        "error",
        ("--curve",),
    ),
    Case(
        "site-kind-unknown",
        lambda w: ["site", "--no-map", "--osm", beijing(), "--kind", "spaceport", "--p", "1"],
        "error",
        ("spaceport",),
    ),
    Case(
        "site-candidates-bad-numbers",
        _site_bad_candidates,
        "ok",
        ("cost must be a number ≥ 0, got 'abc'", "capacity must be a number ≥ 0, got '1e400'"),
        (H, Balance("candidates.csv", "candidates", 8)),
    ),
    Case(
        "site-budget-bad-costs",
        _site_budget_bad_costs,
        "ok",
        ("cost must be a number ≥ 0, got 'inf'",),
        (H, Balance("candidates.csv", "candidates", 8)),
    ),
    Case(
        "site-candidates-binary", _site_garbage_candidates, "error", ("cand.csv", "not a text CSV")
    ),
    # --- grids ----------------------------------------------------------------------------
    Case("grids-tolerance-above-one", _grid_args("--tolerance", "1.5"), "error", ("tolerance",)),
    Case("grids-tolerance-negative", _grid_args("--tolerance", "-0.1"), "error", ("tolerance",)),
    Case(
        "grids-target-zero",
        _grid_args("--households-per-grid", "0"),
        "error",
        ("households-per-grid",),
    ),
    Case("grids-time-limit-negative", _grid_args("--time-limit", "-5"), "error", ("--time-limit",)),
    Case("grids-seed-negative", _grid_args("--seed", "-1"), "error", ("--seed",)),
    Case(
        "grids-existing-missing",
        lambda w: grids("--osm", beijing(), "--existing", str(w / "old.geojson")),
        "error",
        ("old.geojson",),
    ),
    Case("grids-existing-string-ids", _existing_string_ids, "ok", ("G001",)),
    Case("grids-lock-unknown", _lock_unknown, "error", ("--lock G009",)),
    Case("grids-lock-without-existing", _lock_without_existing, "error", ("--lock",)),
    Case("grids-locked-bad-value", _locked_bad_value, "error", ("grids.geojson", "maybe")),
    Case(
        "grids-edits-infinity",
        _edits(["Infinity", "-Infinity", "NaN"]),
        "ok",
        ("to_grid inf is not a whole grid id", "to_grid -inf", "to_grid nan"),
    ),
    Case("grids-edits-fraction", _edits(["2.7"]), "ok", ("to_grid 2.7 is not a whole grid id",)),
    Case(
        "grids-edits-string", _edits(['"G001"']), "ok", ("to_grid 'G001' is not a whole grid id",)
    ),
    Case("grids-edits-broken-json", _edits_broken, "error", ("e.geojson",)),
    Case(
        "grids-communities-metres-no-prj",
        _communities_in_metres,
        "error",
        ("communities.shp", "not degrees"),
    ),
    Case(
        "grids-communities-points",
        _communities_points,
        "error",
        ("communities.geojson", "not a polygon"),
    ),
    # --- hotspots -------------------------------------------------------------------------
    Case(
        "hot-missing",
        lambda w: ["hotspots", "--incidents", str(w / "none.csv")],
        "error",
        ("none.csv",),
    ),
    Case(
        "hot-binary",
        _hot_bytes(bytes(range(256)) * 40),
        "error",
        ("incidents.csv", "not a text CSV"),
    ),
    Case("hot-xlsx-renamed", _hot_bytes(xlsx_bytes()), "error", ("incidents.csv", "Excel")),
    Case(
        "hot-no-coordinates",
        _hot_bytes("时间,类型\n2025-01-01,盗窃\n".encode()),
        "error",
        ("incidents.csv", "longitude and latitude"),
    ),
    Case(
        "hot-future-dates",
        _hot(_future_dates),
        "ok",
        ("date in the future (2099-12-31",),
        (Balance("incidents.csv", "cells", 300, kept=295),),
    ),
    Case(
        "hot-one-point",
        _hot(_one_point),
        "ok",
        (),
        (Balance("incidents.csv", "cells", 300, kept=300),),
    ),
    Case("hot-res-16", _hot(None, "--res", "16"), "error", ("--res",)),
    Case("hot-res-15", _hot(_wide, "--res", "15"), "error", ("--res 15",)),
    Case("hot-res-negative", _hot(None, "--res", "-1"), "error", ("--res",)),
    Case("hot-types-absent", _hot(None, "--types", "地震"), "error", ("地震",)),
    Case(
        "hot-time-col-absent", _hot(None, "--time-col", "when"), "error", ("incidents.csv", "when")
    ),
    Case("hot-crs-unknown", _hot(None, "--crs", "mars"), "error", ("mars",)),
    Case(
        "hot-gcj02-read-as-wgs84",
        _hot_gcj,
        "ok",
        ("gcj02",),
        (Balance("incidents.csv", "cells", 300),),
    ),
    Case("hot-grids-garbage", _hot_grids_garbage, "error", ("grids.gpkg", "cannot read")),
    Case(
        "hot-profile-permutations-fraction",
        lambda w: hotspots(
            w, None, "--profile", str(profile_file(w, "risk:\n  permutations: 2.7\n"))
        ),
        "error",
        ("permutations",),
    ),
]


# --- the harness ----------------------------------------------------------------------------


def _hidden_leftovers(root: Path) -> list[Path]:
    return [p for p in root.rglob(".*") if p.name not in {".", ".."}]


def _rejects(out: Path) -> pd.DataFrame:
    return pd.read_csv(out / "rejects.csv", encoding="utf-8-sig", dtype=str, keep_default_na=False)


def _kept(out: Path, balance: Balance) -> int:
    layer = gpd.read_file(out / "shequ.gpkg", layer=balance.layer)
    if balance.layer == "cells":
        return int(layer["count"].sum())
    return int((layer["source"].astype(str).map(lambda s: Path(s).name) == balance.file).sum())


def run_case(case: Case, work: Path, capsys, lang: str = "en") -> tuple[int, str]:
    args = case.build(work)
    out = work / "out"
    before = sorted(p.name for p in out.iterdir()) if out.is_dir() else None
    try:
        code = main([*args, "--out", str(out), "--quiet", "--lang", lang])
    except SystemExit as exc:  # argparse
        code = exc.code if isinstance(exc.code, int) else 2
    except Exception as exc:  # a traceback is a failure of the case, whatever it is
        pytest.fail(f"traceback: {type(exc).__name__}: {exc}")
    captured = capsys.readouterr()
    err = captured.err
    assert "Traceback" not in err
    if lang == "zh":  # the user's language only: no English sentence (paths, ids, data aside)
        assert english_sentences(captured.out + err) == [], captured.out + err
    assert not (work / "PWNED").exists()
    assert _hidden_leftovers(work) == [], "temporary files left behind"
    if case.expect == "error":
        assert code == 2, err
        start = "error" if lang == "en" else "错误"
        lines = [line for line in err.splitlines() if line.strip().lower().startswith(start)]
        assert len(lines) == 1, err
        for text in case.says if lang == "en" else ():
            assert text in lines[0], (text, lines[0])
        after = sorted(p.name for p in out.iterdir()) if out.is_dir() else None
        assert after == before or (before is None and not after), "output folder changed"
    else:
        assert code == 0, err
        # what the run says about the input: warnings and notes (stderr), rejects, run.json;
        # not the summary lines on stdout, which name households and kinds in every run
        told = err
        rejects = _rejects(out)
        told += "\n".join(rejects["reason"]) + (out / "run.json").read_text(encoding="utf-8")
        for text in case.says if lang == "en" else ():
            assert text in told, (text, told[-2000:])
        for balance in case.balance:
            mine = rejects[rejects["source"].map(lambda s: Path(s).name) == balance.file]
            kept = _kept(out, balance)
            assert kept + len(mine) == balance.rows, (balance, mine)
            assert balance.kept is None or kept == balance.kept, (balance, kept)
    return code, err


@pytest.mark.parametrize("case", CORPUS, ids=[case.id for case in CORPUS])
def test_bad_input(case: Case, tmp_path: Path, capsys) -> None:
    run_case(case, tmp_path, capsys)


@pytest.mark.parametrize("case", CORPUS, ids=[case.id for case in CORPUS])
def test_bad_input_in_chinese(case: Case, tmp_path: Path, capsys) -> None:
    """The same case under ``--lang zh``: the same outcome, and not one English sentence."""
    run_case(case, tmp_path, capsys, lang="zh")


def test_corpus_is_large_and_covers_the_four_commands() -> None:
    commands = {case.id.split("-")[0] for case in CORPUS}
    assert len(CORPUS) >= 60
    assert {"homes", "site", "grids", "hot", "profile", "osm", "facilities"} <= commands
    assert len({case.id for case in CORPUS}) == len(CORPUS)
