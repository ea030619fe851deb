"""GeoParquet beside the GeoPackage for large layers (issue 15, item 3).

A district's homes (70k) and street network (337k nodes) are written to ``shequ.gpkg`` and, from
:data:`shequ.geo.outputs.PARQUET_MIN_ROWS` rows on, also as ``<layer>.parquet``: the same rows,
columns, geometries and coordinate system, with a bbox covering column a reader can filter on;
run.json lists the files like every other output. Small runs write no Parquet.
"""

from __future__ import annotations

import json

import geopandas as gpd
import numpy as np
import pyarrow.parquet as pq

from shequ.geo.outputs import write_geoparquet, write_gpkg
from shequ.jobs.access import AccessOptions, compute_access, write_access_outputs
from tests.conftest import shared_file

NANJING = "osm/nanjing_xinjiekou_small.osm"


def homes_frame(n: int) -> gpd.GeoDataFrame:
    rng = np.random.default_rng(15)
    x, y = rng.uniform(0, 5000, n), rng.uniform(0, 5000, n)
    return gpd.GeoDataFrame(
        {"home_id": np.arange(n), "households": rng.uniform(1, 300, n), "name": ["新街口"] * n},
        geometry=gpd.points_from_xy(x + 660_000, y + 3_545_000),
        crs=32650,
    )


def test_the_parquet_holds_the_layer(tmp_path) -> None:
    homes = homes_frame(1_000)
    write_geoparquet(tmp_path / "homes.parquet", homes)
    back = gpd.read_parquet(tmp_path / "homes.parquet")
    assert back.crs == homes.crs and list(back.columns) == list(homes.columns)
    assert back.geom_equals(homes.geometry).all()
    assert np.array_equal(back["households"], homes["households"])
    meta = json.loads(pq.read_metadata(tmp_path / "homes.parquet").metadata[b"geo"])
    assert meta["version"] == "1.1.0" and "covering" in meta["columns"]["geometry"]
    # a reader filters on the bbox column: only the homes in the box come back
    box = (660_000, 3_545_000, 662_000, 3_546_000)
    inside = gpd.read_parquet(tmp_path / "homes.parquet", bbox=box)
    expect = homes.cx[box[0] : box[2], box[1] : box[3]]
    assert 0 < len(inside) == len(expect) < len(homes)


def test_a_layer_carrying_a_polygon_in_its_attrs_is_written(tmp_path) -> None:
    """``site`` keeps the study area beside its candidates (``attrs``): not file metadata."""
    import shapely

    homes = homes_frame(10)
    homes.attrs["study_area"] = shapely.box(0, 0, 1, 1)
    write_geoparquet(tmp_path / "homes.parquet", homes)
    assert len(gpd.read_parquet(tmp_path / "homes.parquet")) == 10
    assert "study_area" in homes.attrs  # the caller's frame is left as it was


def test_only_large_layers_get_a_parquet(tmp_path) -> None:
    layers = {"homes": homes_frame(300), "facilities": homes_frame(20)}
    write_gpkg(tmp_path / "shequ.gpkg", layers, parquet_min_rows=100)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["homes.parquet", "shequ.gpkg"]
    assert len(gpd.read_parquet(tmp_path / "homes.parquet")) == 300
    write_gpkg(tmp_path / "other.gpkg", layers, parquet_min_rows=None)
    assert not (tmp_path / "facilities.parquet").exists()


def test_run_json_lists_the_parquet(tmp_path, monkeypatch) -> None:
    """An access run whose homes pass the threshold: homes.parquet beside shequ.gpkg, listed."""
    import shequ.geo.outputs as outputs

    result = compute_access(AccessOptions(osm=shared_file(NANJING)))
    monkeypatch.setattr(outputs.write_gpkg, "__kwdefaults__", {"parquet_min_rows": 500})
    out = tmp_path / "out"
    write_access_outputs(result, out, with_map=False)
    run = json.loads((out / "run.json").read_text(encoding="utf-8"))
    assert "homes.parquet" in run["files"] and (out / "homes.parquet").is_file()
    homes = gpd.read_parquet(out / "homes.parquet")
    gpkg = gpd.read_file(out / "shequ.gpkg", layer="homes")
    assert len(homes) == len(gpkg) == len(result.homes) == 761
    assert homes.crs == gpkg.crs
    assert np.allclose(homes["walk_min_clinic"], gpkg["walk_min_clinic"], equal_nan=True)
