"""Incident files (110/119 calls, 12345 complaints, inspections): points with a time and a type.

Coordinates, coordinate systems and bad rows are handled as for every point file
(:mod:`shequ.geo.points_file`: lat/lon columns found under common names, GCJ-02/BD-09
converted). On top, the time and type columns are found (or named with ``time_col`` /
``type_col``) and parsed; a row whose time or type cannot be read goes to the rejects with the
reason. Times are parsed with the one format (from a list of common ones, e.g. ``1/1/06 0:00``)
that reads the most rows, so a day-first/month-first ambiguity is settled by the whole column,
not row by row.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd

from shequ.errors import InputError
from shequ.geo.points_file import read_points_file
from shequ.rejects import Rejects

TIME_NAMES = (
    "time",
    "datetime",
    "date",
    "cdatetime",
    "timestamp",
    "occurred",
    "reported",
    "时间",
    "日期",
    "发生时间",
    "报警时间",
)
TYPE_NAMES = (
    "type",
    "category",
    "crimedescr",
    "offense",
    "event_type",
    "kind",
    "类型",
    "事件类型",
    "案件类型",
    "类别",
)
TIME_FORMATS = (
    "%m/%d/%y %H:%M",
    "%m/%d/%Y %H:%M",
    "%m/%d/%Y %H:%M:%S",
    "%Y-%m-%d %H:%M:%S",
    "%Y-%m-%d %H:%M",
    "%Y-%m-%dT%H:%M:%S",
    "%Y-%m-%d",
    "%Y/%m/%d %H:%M:%S",
    "%Y/%m/%d %H:%M",
    "%Y/%m/%d",
    "%d/%m/%Y %H:%M",
    "%Y年%m月%d日 %H:%M",
    "%Y年%m月%d日",
)


@dataclass
class Incidents:
    frame: gpd.GeoDataFrame  # row, time (datetime64, NaT when no time column), type, geometry
    source: str
    time_column: str | None
    type_column: str | None
    time_format: str | None


def _find(columns: list[str], wanted: str | None, names: tuple[str, ...], what: str, path):
    if wanted is not None:
        if wanted not in columns:
            raise InputError(f"no {what} column {wanted!r}; columns are {columns}", path=path)
        return wanted
    lower = {c.lower().strip(): c for c in columns}
    return next((lower[n] for n in names if n in lower), None)


def parse_times(text: pd.Series) -> tuple[pd.Series, str | None]:
    """Parse with the format that reads most rows; returns times (NaT if unreadable), format."""
    text = text.astype(str).str.strip()
    best, best_fmt, best_ok = None, None, -1
    for fmt in TIME_FORMATS:
        parsed = pd.to_datetime(text, format=fmt, errors="coerce")
        ok = int(parsed.notna().sum())
        if ok > best_ok:
            best, best_fmt, best_ok = parsed, fmt, ok
        if ok == len(text):
            break
    if best_ok < len(text) * 0.5:  # no fixed format fits: let pandas guess per value
        mixed = pd.to_datetime(text, format="mixed", errors="coerce")
        if int(mixed.notna().sum()) > best_ok:
            return mixed, "mixed"
    return best, best_fmt


def read_incidents(
    path: str | Path,
    rejects: Rejects,
    *,
    crs: str | None = None,
    time_col: str | None = None,
    type_col: str | None = None,
    need_time: bool = False,
) -> Incidents:
    """Read an incident file; rows in = rows kept + rows in ``rejects``."""
    layer = read_points_file(path, crs, rejects, layer="incidents")
    frame = layer.frame
    columns = [c for c in frame.columns if c not in ("row", "geometry", "footprint")]
    t_col = _find(columns, time_col, TIME_NAMES, "time", layer.source)
    k_col = _find(columns, type_col, TYPE_NAMES, "type", layer.source)
    if need_time and t_col is None:
        raise InputError(
            f"trends need a time column: none of {columns} looks like one; pass --time-col",
            path=layer.source,
        )
    bad = np.zeros(len(frame), dtype=bool)
    times = pd.Series(pd.NaT, index=frame.index, dtype="datetime64[ns]")
    fmt = None
    if t_col is not None:
        times, fmt = parse_times(frame[t_col])
        bad_time = times.isna().to_numpy()
        for i in np.flatnonzero(bad_time):
            rejects.add(
                layer.source,
                "incidents",
                int(frame["row"].iat[i]),
                None,
                f"cannot read time {frame[t_col].iat[i]!r} (format {fmt})",
            )
        bad |= bad_time
    types = pd.Series(["incident"] * len(frame), index=frame.index)
    if k_col is not None:
        types = frame[k_col].astype(str).str.strip()
        bad_type = (types == "") & ~bad
        for i in np.flatnonzero(bad_type.to_numpy()):
            rejects.add(layer.source, "incidents", int(frame["row"].iat[i]), None, "empty type")
        bad |= bad_type.to_numpy()
    keep = ~bad
    out = gpd.GeoDataFrame(
        {
            "row": frame["row"].to_numpy()[keep],
            "time": times.to_numpy()[keep],
            "type": types.to_numpy()[keep],
        },
        geometry=frame.geometry.to_numpy()[keep],
        crs=frame.crs,
    )
    if out.empty:
        raise InputError("no usable incident rows (see rejects)", path=layer.source)
    return Incidents(out, layer.source, t_col, k_col, fmt)
