"""Shared fixtures: real data from ../shared/data, skipped with a clear message when absent.

Never copies the shared files into the repository: tests read them where they are.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]


def shared_root() -> Path:
    return Path(os.environ.get("SHEQU_SHARED", REPO.parent / "shared"))


def shared_file(relative: str) -> Path:
    """Path of a file under ../shared/data, or skip the test saying what is missing."""
    path = shared_root() / "data" / relative
    if not path.exists():
        pytest.skip(
            f"real test data {relative} not found under {shared_root()}/data "
            "(check out the shared data beside the repository or set SHEQU_SHARED)"
        )
    return path


OSM_EXTRACTS = [
    "osm/beijing_haidian_liudaokou_small.osm",
    "osm/hongkong_tsimshatsui_small.osm",
    "osm/nanjing_xinjiekou_small.osm",
    "osm/shanghai_center_roads_large.osm",
    "osm/taichung_tunghai_small.osm.gz",
    "osm/taipei_roads_large.osm.gz",
]
