"""Read a delimited text table (CSV/TSV) from a planner's spreadsheet robustly.

A "CSV" from a planner is whatever Excel, WPS or a colleague's script wrote: UTF-8 with or
without a BOM, UTF-16, GBK/GB18030 (Excel's "CSV" on Chinese Windows), commas, tabs or
semicolons, blank lines before the header, a name with an unquoted comma that gives its row one
field too many, a byte that is not text — or no text at all (a workbook saved as ``.xlsx`` and
renamed ``.csv``). This module turns such a file into a :class:`Table`: the coordinates as
floats, the columns the caller asked for, the 1-based data row of every record, and for every
row that cannot be used the reason it is rejected.

Why it is hand-written rather than one :func:`pandas.read_csv` call: pandas alone

- raises on the first ragged row (``ParserError: Expected 3 fields in line 3, saw 4``), so one
  unquoted comma in a GBK file — read in the fallback encoding — loses the whole file; with
  ``on_bad_lines="skip"`` the row vanishes without a trace instead;
- cannot tell an ``.xlsx`` renamed ``.csv`` (a ZIP archive), a PDF or binary data from text: it
  raises a ``UnicodeDecodeError`` about a byte position, or parses garbage;
- does not choose between UTF-8 and GBK, and reports an undecodable byte by its offset in a
  buffer, not by its line;
- loses row numbers: skipped rows shift the index, so a rejected row cannot be named as the
  planner sees it in the spreadsheet.

Rows are numbered as a planner counts data rows: 1 for the first row after the header, a row
holding a quoted line break counted once, blank (or whitespace-only) lines neither counted nor
rejected, as pandas skips them; a line of separators only (``,,,``) is a row, rejected as empty.

What is built on pandas: its C parser (``engine="c"``) does the splitting and quoting, in chunks
(``chunksize``) with every value as text (``dtype=str``, ``na_filter=False``) and blank lines
skipped (``skip_blank_lines=True``); a few spare columns past the header catch ragged rows so
they are read and rejected with their field count, rows raggeder still are skipped by the parser
with ``on_bad_lines="warn"`` and their warnings (which give the line in the file, blank lines
counted) turned back into row numbers; ``encoding_errors`` replaces an undecodable byte in a
UTF-8 file with Chinese text; :func:`pandas.to_numeric` reads the coordinates. What is added
here: file-type sniffing from the first bytes, encoding and separator detection, header
clean-up, row bookkeeping and the reasons.

Only one chunk of :data:`CHUNK_ROWS` rows is alive as text at a time; from each chunk only the
coordinates (as float arrays) and the columns the caller keeps are retained, so a 200 MB table
peaks at a few times its size, not tens of times.

Headers are matched through :mod:`shequ.geo.column_names` (``经度``, ``户数`` …); turning the
table into points in WGS-84 is :mod:`shequ.geo.points_file`'s job.
"""

from __future__ import annotations

import codecs
import csv
import logging
import re
import warnings
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd

from shequ.errors import InputError
from shequ.geo.column_names import accepted, canonical_names, find_column
from shequ.i18n import Note

log = logging.getLogger(__name__)

#: file name endings read as delimited text tables
CSV_SUFFIXES = (".csv", ".txt", ".tsv")
#: rows parsed at a time: bounds the text objects alive at once (~25 MB of text per chunk)
CHUNK_ROWS = 200_000
#: a ragged row may have this many fields more than the header and still be read (to be
#: rejected with its field count); rows with more are skipped by the parser and reported too
SPARE_FIELDS = 8
_SPARE = "\x00spare"  # names of the spare columns: no header can clash with them
#: bytes read to recognise the file type and the header line
_HEAD_BYTES = 65536

_SKIPPED = re.compile(r"Skipping line (\d+): expected \d+ fields, saw (\d+)")


@dataclass
class Table:
    """What a layer file reader returns: attributes, raw x/y, row numbers and row problems.

    Made by :func:`read_table` for text tables and by :mod:`shequ.geo.points_file` for vector
    files (which also set ``file_crs`` and ``geometry``).

    Attributes
    ----------
    attrs : the kept columns, under their canonical names, one record per parsed row
    x, y : float coordinates of each record of ``attrs`` (NaN where missing or not a number)
    rows : the 1-based data row (header and blank lines not counted) of each record of ``attrs``
    why : object array, per record: None, or the reason the row is rejected (a
        :class:`~shequ.i18n.Note`)
    lost : rows the parser could not even split, as (row, reason)
    columns : the file's header, made unique
    renamed : file header -> canonical name, for the kept columns that have one
    file_crs : the file's own CRS (``EPSG:n`` or its text); None for text tables
    geometry : the file's geometries (vector files only)
    """

    attrs: pd.DataFrame
    x: np.ndarray
    y: np.ndarray
    rows: np.ndarray
    why: np.ndarray
    lost: list[tuple[int, Note]]
    columns: list[str]
    renamed: dict[str, str]
    file_crs: str | None = None
    geometry: gpd.GeoSeries | None = None


def describe_columns(columns: Sequence[object], most: int = 15) -> Note:
    """The file's headers for a message, so a user sees what the file has instead of what
    was expected.

    Parameters
    ----------
    columns : the headers, in file order
    most : how many to show; the rest are counted

    Returns
    -------
    Note
        The first ``most`` headers, each cut to 40 characters, comma-separated (``"(none)"``
        when there are none); the Chinese quotes them, as they are the file's own names.
    """
    shown = [str(c).replace("\n", " ")[:40] for c in list(columns)[:most]]
    if not shown:
        return Note("in.columns_none")
    if len(columns) > most:
        return Note("in.columns_more", names=", ".join(shown), n=len(columns))
    return Note("in.columns", names=", ".join(shown))


def read_table(
    path: str | Path,
    wanted: Sequence[str],
    extra: Sequence[str] = (),
    prefer: Mapping[str, str] | None = None,
) -> Table:
    """Read a CSV/TSV of points with longitude and latitude columns.

    Parameters
    ----------
    path : an existing, non-empty file (``.tsv`` is read tab-separated; for other names the
        separator is the first of ``, \\t ; |`` found in the header line)
    wanted : canonical column names to keep when the file has them under a known alias (see
        :data:`shequ.geo.column_names.LAYER_COLUMNS`); they are renamed to the canonical name
    extra : more file columns to keep under their own names (e.g. ``--time-col``)
    prefer : canonical column -> the file header to use for it when the file has it (see
        :func:`shequ.geo.column_names.canonical_names`)

    Returns
    -------
    Table
        Every value read as text except the coordinates. Rows with more fields than the
        header, rows of empty fields (``,,,``), rows holding undecodable bytes and rows with
        missing or non-numeric coordinates carry their reason in ``why`` (or in ``lost`` when
        the parser skipped them), so every data row of the file is accounted for; blank lines
        are not data rows.

    Raises
    ------
    InputError
        When the file is not text (a workbook, archive, PDF, binary data), decodes in none of
        UTF-8, UTF-16 (with a BOM) and GBK/GB18030, holds only blank lines, has no longitude
        or latitude column (nor one column of both, ``location`` "lng,lat" as Amap gives
        it), or cannot be parsed at all.
    """
    path = Path(path)
    with path.open("rb") as f:
        head = f.read(_HEAD_BYTES)
    what = _not_text(head)
    if what is not None:
        raise InputError(Note("e.csv_not_text", what=what), path=path)
    encoding, errors = _encoding(path, head)
    header, delimiter, skip = _header(path, head, encoding)
    lon_col = find_column(header, "lon")
    lat_col = find_column(header, "lat")
    if lon_col is None or lat_col is None:
        # Amap's ``location`` "121.47,31.23": one column holds both, split row by row
        lon_col = lat_col = find_column(header, "lonlat")
    if lon_col is None or lat_col is None:
        message = Note(
            "e.csv_no_coordinates",
            lon=accepted("lon"),
            lat=accepted("lat"),
            columns=describe_columns(header),
        )
        raise InputError(message, path=path)
    others = [c for c in header if c not in (lon_col, lat_col)]
    renamed = canonical_names(others, wanted, prefer)
    keep = [c for c in others if c in renamed or c in extra]
    spares = [f"{_SPARE}{i}" for i in range(SPARE_FIELDS)]
    reader = pd.read_csv(
        path,
        sep=delimiter,
        header=None,
        names=[*header, *spares],
        skiprows=skip + 1,
        dtype=str,
        na_filter=False,
        skip_blank_lines=True,
        index_col=False,
        on_bad_lines="warn",
        chunksize=CHUNK_ROWS,
        encoding=encoding,
        encoding_errors=errors,
        engine="c",
    )
    parts, xs, ys, whys = [], [], [], []
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", pd.errors.ParserWarning)
        try:
            for chunk in reader:
                x, y, why = _chunk_checks(chunk, header, lon_col, lat_col, spares, keep, errors)
                parts.append(chunk[keep])
                xs.append(x)
                ys.append(y)
                whys.append(why)
        except (pd.errors.ParserError, ValueError, UnicodeDecodeError) as exc:
            first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
            raise InputError(Note("e.csv_unreadable", detail=first), path=path) from exc
    skipped = [
        (int(line), int(fields))
        for warning in caught
        for line, fields in _SKIPPED.findall(str(warning.message))
    ]
    lost = []
    if skipped:
        last = max(line for line, _ in skipped)
        blank = _blank_lines(path, encoding, errors, delimiter, skip + 1, last)
        for line, fields in skipped:
            row = line - (skip + 1) - int(np.searchsorted(blank, line))
            lost.append((row, _ragged(fields, len(header))))
    attrs = pd.concat(parts, ignore_index=True) if parts else pd.DataFrame(columns=keep)
    attrs = attrs.rename(columns=renamed)
    n = len(attrs)
    parsed = np.ones(n + len(lost), dtype=bool)  # records the parser skipped have no row
    parsed[np.array([r for r, _ in lost], dtype=np.int64) - 1] = False
    rows = np.flatnonzero(parsed) + 1
    return Table(
        attrs,
        np.concatenate(xs) if xs else np.zeros(0),
        np.concatenate(ys) if ys else np.zeros(0),
        rows,
        np.concatenate(whys) if whys else np.zeros(0, dtype=object),
        lost,
        header,
        renamed,
    )


def peek_table(path: str | Path, most: int = 200) -> tuple[list[str], list[list[str]]]:
    """The header and the first data rows of a text table, from its first bytes only.

    For recognising what a file is (an Amap or a Baidu export) before it is read: the whole
    file is not decoded, so a file that is not text, or not decodable, gives nothing here and
    :func:`read_table` reports it properly.

    Parameters
    ----------
    path : an existing file
    most : how many data rows to return at most

    Returns
    -------
    (list of str, list of list of str)
        The header made unique (as :func:`read_table` names it) and up to ``most`` rows as
        split by the file's separator; ``([], [])`` when the head is not text.
    """
    path = Path(path)
    with path.open("rb") as f:
        head = f.read(_HEAD_BYTES)
    if _not_text(head) is not None:
        return [], []
    if head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        encoding = "utf-16"
    elif head.startswith(codecs.BOM_UTF8):
        encoding = "utf-8-sig"
    else:
        cut = head[: head.rfind(b"\n") + 1] or head  # a multi-byte character may be cut
        try:
            cut.decode("utf-8")
            encoding = "utf-8"
        except UnicodeDecodeError:
            encoding = "gb18030"
    try:
        header, delimiter, skip = _header(path, head, encoding)
    except InputError:
        return [], []
    text = head.decode(encoding, errors="replace").lstrip("\ufeff")
    lines = [line for line in re.split(r"\r\n|\r|\n", text)[skip + 1 : -1] if line.strip()]
    try:
        rows = list(csv.reader(lines[:most], delimiter=delimiter))
    except csv.Error:
        rows = []
    return header, rows


# ------------------------------------------------------------------------------------------
# File type, encoding and header
# ------------------------------------------------------------------------------------------


def _not_text(head: bytes) -> Note | None:
    """What a file that is not text looks like, from its first bytes (None: text)."""
    if head.startswith(b"PK\x03\x04"):
        if b"word/" in head:
            return Note("in.looks_word")
        if b"xl/" in head or b"[Content_Types].xml" in head:
            return Note("in.looks_excel")
        return Note("in.looks_zip")
    magic = {
        b"\xd0\xcf\x11\xe0": "in.looks_xls",
        b"SQLite format 3\x00": "in.looks_sqlite",
        b"%PDF": "in.looks_pdf",
        b"\x1f\x8b": "in.looks_gzip",
        b"{\\rtf": "in.looks_rtf",
    }
    for start, key in magic.items():
        if head.startswith(start):
            return Note(key)
    if head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return None
    control = sum(head.count(bytes([b])) for b in range(32) if b not in (9, 10, 12, 13))
    if b"\x00" in head or control > 0.01 * len(head):
        return Note("in.looks_binary")
    return None


def _first_undecodable(path: Path, encoding: str) -> tuple[int, int, bool] | None:
    """(byte offset, line, whether non-ASCII text decoded before it) of the first byte
    ``encoding`` cannot decode, or None when the whole file decodes."""
    decoder = codecs.getincrementaldecoder(encoding)(errors="strict")
    offset, lines, text_seen = 0, 0, False
    with path.open("rb") as f:
        while True:
            block = f.read(1 << 22)
            try:
                decoder.decode(block, final=not block)
            except UnicodeDecodeError as exc:
                start = max(0, min(exc.start, len(block)))
                text_seen = text_seen or not block[:start].isascii()
                return offset + start, lines + block[:start].count(b"\n") + 1, text_seen
            if not block:
                return None
            text_seen = text_seen or not block.isascii()
            offset += len(block)
            lines += block.count(b"\n")


def _encoding(path: Path, head: bytes) -> tuple[str, str]:
    """(encoding, errors) to read the file with: UTF-8 (BOM or not), UTF-16 with a BOM, else
    GBK/GB18030 (Excel's "CSV" on Chinese Windows). A UTF-8 file with Chinese text that breaks
    at one byte after its header is read with that byte replaced (the rows holding it are
    rejected); a file that decodes in neither is an :class:`InputError` naming the line.
    (Random bytes often decode as GB18030 for a while, so only UTF-8, whose multi-byte
    characters do not happen by chance, is trusted that far.)"""
    if head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        candidates = ["utf-16"]
    elif head.startswith(codecs.BOM_UTF8):
        candidates = ["utf-8-sig"]
    else:
        candidates = ["utf-8", "gb18030"]
    failures = {}
    for encoding in candidates:
        bad = _first_undecodable(path, encoding)
        if bad is None:
            return encoding, "strict"
        failures[encoding] = bad
    utf8 = next((c for c in candidates if c.startswith("utf-8")), None)
    if utf8 is not None:
        offset, line, text_seen = failures[utf8]
        if text_seen and 0 <= head.find(b"\n") < offset:
            log.info("%s: line %d is not UTF-8; unreadable bytes are replaced", path, line)
            return utf8, "replace"
    offset, line, _ = min(failures.values())
    names = {"utf-8": "UTF-8", "gb18030": "GBK/GB18030", "utf-16": "UTF-16", "utf-8-sig": "UTF-8"}
    tried = [names[c] for c in candidates]
    if len(tried) == 1:
        message = Note("e.csv_encoding", line=line, offset=offset, encoding=tried[0])
    else:
        first, second = tried
        message = Note(
            "e.csv_encoding_either", line=line, offset=offset, first=first, second=second
        )
    raise InputError(message, path=path)


def _header(path: Path, head: bytes, encoding: str) -> tuple[list[str], str, int]:
    """(header names made unique, delimiter, blank lines before the header)."""
    text = head.decode(encoding, errors="replace").lstrip("\ufeff")
    lines = re.split(r"\r\n|\r|\n", text)  # old Excel for Mac ends lines with CR alone
    if len(head) == _HEAD_BYTES and len(lines) > 1:
        lines = lines[:-1]  # the last line may be cut
    skip = 0
    while skip < len(lines) and not lines[skip].strip():
        skip += 1
    if skip == len(lines):
        raise InputError(Note("e.csv_blank"), path=path)
    line = lines[skip]
    if path.suffix.lower() == ".tsv":
        delimiter = "\t"
    else:
        delimiter = next((d for d in (",", "\t", ";", "|") if d in line), ",")
    try:
        names = next(csv.reader([line], delimiter=delimiter))
    except csv.Error as exc:
        raise InputError(Note("e.csv_header", detail=str(exc)), path=path) from exc
    unique: list[str] = []
    for i, name in enumerate(names):
        name = name.strip() or f"column_{i + 1}"
        base, k = name, 1
        while name in unique:
            name, k = f"{base}.{k}", k + 1
        unique.append(name)
    return unique, delimiter, skip


# ------------------------------------------------------------------------------------------
# Rows
# ------------------------------------------------------------------------------------------


def _blank_lines(
    path: Path, encoding: str, errors: str, delimiter: str, header: int, last: int
) -> np.ndarray:
    """The lines between the header (line ``header``) and line ``last`` that the parser skips
    as blank, sorted.

    Lines are counted as pandas counts them in its "Skipping line n" warnings: from the start
    of the file, blank lines included, a quoted line break not starting a new line. Read only
    when the parser skipped rows, to turn their lines into data rows.
    """
    blank: list[int] = []
    line = 0
    with path.open(encoding=encoding, errors=errors, newline="") as f:
        try:
            for line, fields in enumerate(csv.reader(f, delimiter=delimiter), start=1):
                if line >= last:
                    break
                if line > header and len(fields) <= 1 and not "".join(fields).strip():
                    blank.append(line)
        except csv.Error as exc:  # a field over the csv module's size limit: count no further
            log.info("%s: blank lines counted up to line %d only (%s)", path, line, exc)
    return np.array(blank, dtype=np.int64)


def _ragged(fields: int, expected: int) -> Note:
    return Note("r.row_ragged", fields=fields, expected=expected)


def _chunk_checks(
    chunk: pd.DataFrame,
    header: list[str],
    lon_col: str,
    lat_col: str,
    spares: list[str],
    keep: list[str],
    errors: str,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Coordinates of one chunk as floats, and the reason each bad row is rejected (one
    column for both, ``lon_col == lat_col``: ``"lng,lat"`` split at its comma)."""
    if lon_col == lat_col:
        pair = chunk[lon_col].str.split(r"\s*[,，]\s*", n=1, expand=True, regex=True)
        lon_text = pair[0].fillna("")
        lat_text = pair[1].fillna("") if pair.shape[1] > 1 else pd.Series("", index=chunk.index)
    else:
        lon_text, lat_text = chunk[lon_col], chunk[lat_col]
    x = pd.to_numeric(lon_text, errors="coerce").to_numpy(dtype=float)
    y = pd.to_numeric(lat_text, errors="coerce").to_numpy(dtype=float)
    why = np.full(len(chunk), None, dtype=object)
    extra = (chunk[spares] != "").to_numpy()
    ragged = extra.any(axis=1)
    for i in np.flatnonzero(ragged):
        last = int(np.flatnonzero(extra[i])[-1])
        why[i] = _ragged(len(header) + last + 1, len(header))
    empty = ~ragged & (chunk[header] == "").to_numpy().all(axis=1)
    why[empty] = Note("r.row_empty")
    if errors == "replace":
        broken = np.zeros(len(chunk), dtype=bool)
        for col in [lon_col, lat_col, *keep]:
            broken |= chunk[col].str.contains("\ufffd", regex=False).to_numpy()
        for i in np.flatnonzero(broken & ~ragged):
            why[i] = Note("r.row_bad_bytes")
    no_xy = ~(np.isfinite(x) & np.isfinite(y))
    for i in np.flatnonzero(no_xy & pd.isna(why)):
        why[i] = Note("r.no_coordinates", lon=lon_text.iat[i][:30], lat=lat_text.iat[i][:30])
    return x, y, why
