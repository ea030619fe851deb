"""Write results atomically: a reader never sees a half-written GeoPackage, CSV or map.

Each file is written to a temporary name in the destination folder and moved into place with
``os.replace`` (atomic on one filesystem), so an interrupted run leaves the previous outputs intact.
"""

from __future__ import annotations

import contextlib
import os
import tempfile
from collections.abc import Iterator
from pathlib import Path

import geopandas as gpd
import pandas as pd


@contextlib.contextmanager
def atomic_path(path: str | Path) -> Iterator[Path]:
    """Yield a temporary path beside ``path``; on success move it over ``path``."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=path.suffix, dir=path.parent)
    os.close(fd)
    os.unlink(tmp)  # writers such as GDAL want to create the file themselves
    tmp_path = Path(tmp)
    try:
        yield tmp_path
        os.replace(tmp_path, path)
    finally:
        if tmp_path.exists():
            tmp_path.unlink()


def write_gpkg(path: str | Path, layers: dict[str, gpd.GeoDataFrame]) -> Path:
    """All layers into one GeoPackage, replaced atomically."""
    with atomic_path(path) as tmp:
        for name, frame in layers.items():
            frame.to_file(tmp, layer=name, driver="GPKG", engine="pyogrio")
    return Path(path)


def write_csv(path: str | Path, frame: pd.DataFrame) -> Path:
    """CSV in UTF-8 with a BOM, so Excel on Chinese Windows opens the Chinese text correctly."""
    with atomic_path(path) as tmp:
        frame.to_csv(tmp, index=False, encoding="utf-8-sig")
    return Path(path)


def write_text(path: str | Path, text: str) -> Path:
    with atomic_path(path) as tmp:
        tmp.write_text(text, encoding="utf-8")
    return Path(path)


def plain_layer(frame: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """GeoPackage columns must be plain: drop helper objects, stringify object columns."""
    out = frame.drop(columns=[c for c in ("tags", "footprint") if c in frame.columns])
    for col in out.columns:
        if col != out.geometry.name and out[col].dtype == object:
            out[col] = out[col].map(lambda v: None if v is None else str(v))
    return out
