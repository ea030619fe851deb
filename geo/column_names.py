"""The column headers every reader understands, in English and Chinese: one table.

A planner's spreadsheet says ``户数`` or ``人口``, an export from a police system ``报警时间``; a
reader that only knows ``households`` would reject every row of such a file. :data:`ALIASES` maps
each column a reader uses (its canonical name, the one the rest of shequ works with) to the
headers accepted for it; :data:`LAYER_COLUMNS` says which columns each kind of input is read for.
Headers are compared after :func:`normalise_header` (case, full-width characters, spaces, ``-``
and a trailing unit in brackets such as ``人口（人）`` do not matter). When a file has two headers
for one column, the earlier alias in the table wins and the other column is left as it is.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Mapping

from shequ.i18n import Note

#: canonical column -> accepted headers (the canonical name is always accepted too, first).
ALIASES: dict[str, tuple[str, ...]] = {
    # coordinates of point files (CSV); vector files carry their geometry instead
    # (``location.lng``/``location.lat``: a Baidu place-API result flattened by pandas)
    "lon": ("lon", "lng", "longitude", "long", "x", "经度", "location.lng", "location_lng"),
    "lat": ("lat", "latitude", "y", "纬度", "location.lat", "location_lat"),
    # longitude and latitude in one cell, "lng,lat": Amap's place API ``location``; read only
    # when a file has no separate longitude and latitude columns
    "lonlat": ("location", "lnglat", "lng_lat", "lonlat", "lon_lat", "经纬度", "坐标"),
    # homes (demand). Not the bare "id"/"编号": a generic row number or feature id (QGIS, Excel)
    # that repeats would reject homes as duplicates; without a home_id, homes are numbered 1..n
    "home_id": ("home_id", "住宅编号", "楼栋编号"),
    "households": ("households", "hh", "户数", "户", "住户数", "家庭户数"),
    "population": ("population", "pop", "people", "residents", "人口", "人数", "常住人口"),
    "elderly": ("elderly", "elderly_population", "老人", "老年人", "老年人口", "60岁以上"),
    "children": ("children", "child_population", "儿童", "儿童人口", "0-14岁"),
    # key people a grid worker follows (重点人群): counts per home, weighed into a workload
    "elderly_alone": ("elderly_alone", "elderly_living_alone", "独居老人", "独居老人数"),
    "disabled": ("disabled", "disability", "残疾人", "残疾人数", "残障人士"),
    "mental_illness": (
        "mental_illness",
        "severe_mental_illness",
        "严重精神障碍患者",
        "精神障碍患者",
        "严重精神障碍",
    ),
    "rented": ("rented", "rented_flats", "rental", "出租户", "出租房", "出租屋", "出租户数"),
    # any layer
    "name": ("name", "名称", "名字", "小区名称", "网格名称", "网格名"),
    "code": ("code", "编码", "代码", "网格编码", "网格代码"),
    # facilities
    "kind": ("kind", "类型", "类别", "设施类型"),
    # Amap (高德) and Baidu (百度) POI exports: the category path, mapped to a kind by the profile
    # (``detail_info.tag``: a Baidu place-API result flattened by pandas)
    "category": (
        "type",
        "tag",
        "category",
        "poi_type",
        "分类",
        "poi类型",
        "行业分类",
        "detail_info.tag",
        "detail_info_tag",
    ),
    # candidate sites
    "capacity": ("capacity", "容量", "床位", "托位"),
    "cost": ("cost", "费用", "成本", "造价"),
    # incidents (the first alias that a file has wins: "time" before "date")
    "time": (
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
    ),
    "type": (
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
    ),
    # grids
    "grid_id": ("grid_id", "网格id", "网格编号"),
    "to_grid": ("to_grid",),
    "to_code": ("to_code",),
    # a register's grids the redraw must leave as they are (``shequ grids --existing``)
    "locked": ("locked", "lock", "锁定", "是否锁定"),
}

#: the columns each input kind is read for (``layer`` of the readers); others are not kept.
LAYER_COLUMNS: dict[str, tuple[str, ...]] = {
    "homes": (
        "home_id",
        "name",
        "households",
        "population",
        "elderly",
        "children",
        "elderly_alone",
        "disabled",
        "mental_illness",
        "rented",
    ),
    "facilities": ("name", "kind", "category"),
    "candidates": ("name", "cost", "capacity"),
    "incidents": ("time", "type"),
    "communities": ("name", "code"),
    "compounds": ("name",),
    "existing_grids": ("grid_id", "name", "code", "locked"),
    "grids": ("grid_id", "name", "code"),
    "edits": ("to_grid", "to_code"),
}

_UNIT = re.compile(r"\([^()]*\)$")
_SEPARATORS = re.compile(r"[\s_\-]+")


def normalise_header(text: object) -> str:
    """A header as compared with the aliases: NFKC (full-width → ASCII), lower case, no
    trailing ``(unit)``, spaces/``_``/``-`` folded to ``_``, a leading BOM dropped."""
    text = unicodedata.normalize("NFKC", str(text)).replace("\ufeff", "").strip().lower()
    text = _UNIT.sub("", text).strip()
    return _SEPARATORS.sub("_", text)


_NORMALISED = {
    column: tuple(dict.fromkeys(normalise_header(a) for a in (column, *aliases)))
    for column, aliases in ALIASES.items()
}


def find_column(columns: Iterable[str], column: str) -> str | None:
    """The header in ``columns`` that stands for canonical ``column`` (None when absent)."""
    by_key: dict[str, str] = {}
    for header in columns:
        by_key.setdefault(normalise_header(header), header)
    for key in _NORMALISED[column]:
        if key in by_key:
            return by_key[key]
    return None


def canonical_names(
    columns: Iterable[str], wanted: Iterable[str], prefer: Mapping[str, str] | None = None
) -> dict[str, str]:
    """``{file header: canonical name}`` for each wanted canonical column the file has.

    A header is used for one column only (e.g. ``类型`` is ``kind`` for facilities and ``type``
    for incidents, never both). ``prefer`` maps a canonical column to the header to use for it
    when the file has that header, ahead of the alias order: a Baidu export's category is its
    ``tag`` (``教育培训;幼儿园``), while its ``type`` is Baidu's industry word (``education``);
    ``""`` says the file has no such column, whatever its headers' aliases suggest.
    """
    columns = list(columns)
    prefer = prefer or {}
    found: dict[str, str] = {}
    for column in wanted:
        free = [c for c in columns if c not in found]
        header = prefer.get(column)
        if header == "":  # the caller knows the file has none (its aliases mean else here)
            continue
        if header not in free:
            header = find_column(free, column)
        if header is not None:
            found[header] = column
    return found


def accepted(column: str) -> Note:
    """The accepted headers of a column, for a message telling the user what to name it.

    Parameters
    ----------
    column : a canonical column name (a key of :data:`ALIASES`)

    Returns
    -------
    Note
        ``households (hh, 户数, 户, …)`` in English; in Chinese the headers are quoted, as they
        are names to type, not words to read.
    """
    others = [a for a in ALIASES[column] if a != column]
    if not others:
        return Note("in.accepted_one", column=column)
    return Note("in.accepted", column=column, others=", ".join(others))
