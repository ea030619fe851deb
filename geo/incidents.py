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
from shequ.geo.cells import cell_text
from shequ.geo.points_file import PointLayer, describe_columns, no_usable_rows, read_points_file
from shequ.i18n import Note
from shequ.rejects import Rejects

#: Incidents dated before this are rejected. A fixed default (the founding of the PRC: no
#: Chinese incident register reaches further back), kept here rather than in the profile while
#: the profile is reworked; a date this old is a typing or two-digit-year error.
EARLIEST_DATE = pd.Timestamp("1949-10-01")
#: A time up to this far past the clock of the machine running shequ is still accepted: data in
#: China time (UTC+8) read on a machine in UTC, or a clock a little behind, are not "future".
FUTURE_SLACK = pd.Timedelta(days=1)
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
    """An incident file as read: ``frame`` holds ``row``, ``time`` (datetime64, NaT when there
    is no time column), ``type`` and the WGS-84 point; ``crs_used`` is the coordinate system
    the file was read in (see :attr:`shequ.geo.points_file.PointLayer.crs_used`)."""

    frame: gpd.GeoDataFrame
    source: str
    time_column: str | None
    type_column: str | None
    time_format: str | None
    crs_used: str = "wgs84"
    crs_from: str = "default"  # given / file / amap / baidu / default (PointLayer.crs_from)


def _find(layer: PointLayer, wanted: str | None, canonical: str) -> str | None:
    """The frame column holding ``canonical`` (``time`` or ``type``, found by its aliases when
    reading), or the user's ``--time-col``/``--type-col`` by its name in the file."""
    columns = [c for c in layer.frame.columns if c not in ("row", "geometry", "footprint")]
    if wanted is None:
        return canonical if canonical in columns else None
    if layer.renamed.get(wanted) in columns:
        return layer.renamed[wanted]
    if wanted in columns:
        return wanted
    columns = describe_columns(layer.columns)
    message = Note(f"e.no_{canonical}_column", wanted=wanted, columns=columns)
    raise InputError(message, path=layer.source)


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
    now: pd.Timestamp | None = None,
) -> Incidents:
    """Read an incident file; rows in = rows kept + rows in ``rejects``.

    An empty (or NULL) time, a time that cannot be read, lies in the future (after ``now`` +
    :data:`FUTURE_SLACK`; ``now`` defaults to the clock) or before :data:`EARLIEST_DATE`, and
    an empty (or NULL) type reject the row: a 2099 date would stretch the trend slices over
    decades. A file with no usable row is an :class:`InputError` giving the most common reason.
    The time and type columns are found by the headers of
    :data:`shequ.geo.column_names.ALIASES` (``报警时间``, ``案件类型`` …).

    Whether the coordinates are in the system they were read in is checked against a street
    network (:func:`shequ.geo.checks.point_checks`) by the caller, when there is one: with
    ``shequ hotspots`` without ``--osm`` there is nothing to compare the incidents with.

    Parameters
    ----------
    path : str or Path
        The incident file (a point file, see :func:`~shequ.geo.points_file.read_points_file`).
    rejects : Rejects
        Unusable rows are added here with the reason.
    crs : str, optional
        ``--crs`` for a file without its own.
    time_col, type_col : str, optional
        ``--time-col`` / ``--type-col``: the file's own header (else found by its aliases).
    need_time : bool
        Trends were asked for: a file with no time column is an error.
    now : Timestamp, optional
        The clock that dates are "in the future" of (tests fix it).

    Returns
    -------
    Incidents

    Raises
    ------
    InputError
        For a file :func:`~shequ.geo.points_file.read_points_file` refuses, a
        ``time_col``/``type_col`` the file does not have, no time column when ``need_time``,
        or no usable row.
    """
    extra = [c for c in (time_col, type_col) if c is not None]
    layer = read_points_file(path, crs, rejects, layer="incidents", extra_columns=extra)
    frame = layer.frame
    t_col = _find(layer, time_col, "time")
    k_col = _find(layer, type_col, "type")
    if need_time and t_col is None:
        message = Note("e.trends_need_time", columns=describe_columns(layer.columns))
        raise InputError(message, path=layer.source)
    n = len(frame)
    why = np.full(n, None, dtype=object)
    times = pd.Series(pd.NaT, index=frame.index, dtype="datetime64[ns]")
    fmt = None
    if t_col is not None:
        text, blank = cell_text(frame[t_col])
        why[blank] = Note("r.time_empty")
        times, fmt = parse_times(text[~blank])  # the format that reads most of the given times
        times = times.reindex(frame.index)
        if isinstance(times.dtype, pd.DatetimeTZDtype):  # one time zone: keep the wall time
            times = times.dt.tz_localize(None)
        elif not pd.api.types.is_datetime64_dtype(times):  # mixed time zones: in UTC
            times = pd.to_datetime(times, utc=True, errors="coerce").dt.tz_localize(None)
        latest = (pd.Timestamp.now() if now is None else now) + FUTURE_SLACK
        value = times.to_numpy()
        unread = np.isnat(value)
        for i in np.flatnonzero(unread & ~blank):
            why[i] = Note("r.time_unreadable", text=text.iat[i][:40], fmt=fmt)
        future = ~unread & (value > latest.to_datetime64())
        for i in np.flatnonzero(future):
            why[i] = Note("r.date_future", text=text.iat[i][:40])
        early = ~unread & (value < EARLIEST_DATE.to_datetime64())
        for i in np.flatnonzero(early):
            why[i] = Note("r.date_too_early", date=EARLIEST_DATE.date(), text=text.iat[i][:40])
    types = pd.Series(["incident"] * n, index=frame.index)
    if k_col is not None:
        types, blank = cell_text(frame[k_col])
        why[blank & pd.isna(why)] = Note("r.type_empty")
    keep = pd.isna(why)
    rows = frame["row"].to_numpy()
    for i in np.flatnonzero(~keep):
        rejects.add(layer.source, "incidents", int(rows[i]), None, why[i])
    if not keep.any():
        raise no_usable_rows(layer.source, list(why), layer.columns)
    out = gpd.GeoDataFrame(
        {
            "row": rows[keep],
            "time": times.to_numpy()[keep],
            "type": types.to_numpy()[keep],
        },
        geometry=frame.geometry.to_numpy()[keep],
        crs=frame.crs,
    )
    return Incidents(out, layer.source, t_col, k_col, fmt, layer.crs_used, layer.crs_from)
