"""Turning data values into text that is safe on the page.

Names of homes and facilities come from OpenStreetMap and from local spreadsheets: anyone can
put markup in them. Leaflet sets tooltip, layer-control and legend texts through ``innerHTML``,
so every text from data is HTML-escaped once, in Python, before it enters the page (including
inside GeoJSON properties), and everything placed in a ``<script>`` is JSON with ``<``, ``>``
and ``&`` written as ``\\u`` escapes so no value can close the script element.
"""

from __future__ import annotations

import html
import json
import math
from typing import Any

import pandas as pd

_SCRIPT_UNSAFE = {
    "<": "\\u003c",
    ">": "\\u003e",
    "&": "\\u0026",
    "\u2028": "\\u2028",
    "\u2029": "\\u2029",
}


def is_missing(value: Any) -> bool:
    """True for None, NaN and pandas' missing markers (pd.NA, NaT)."""
    if value is None:
        return True
    try:
        return bool(value != value)  # NaN, NaT and pd.NA are not equal to themselves
    except (TypeError, ValueError):  # pd.NA raises on bool(); arrays are not missing values
        return value is pd.NA


def esc(value: Any) -> str | None:
    """HTML-escaped text of a data value, or None when missing or blank."""
    if is_missing(value):
        return None
    text = str(value).strip()
    return html.escape(text, quote=True) if text else None


def as_float(value: Any) -> float | None:
    """A finite float, or None for missing, non-numeric or infinite values."""
    if is_missing(value) or isinstance(value, bool):
        return None
    try:
        number = float(value)
    except (TypeError, ValueError):
        return None
    return number if math.isfinite(number) else None


def fmt_number(value: Any, digits: int = 1) -> str | None:
    """A number for a tooltip: whole numbers without decimals, others with ``digits``."""
    number = as_float(value)
    if number is None:
        return None
    if abs(number - round(number)) < 1e-9:
        return str(round(number))
    return f"{number:.{digits}f}"


def fmt_count(value: Any) -> str | None:
    """A count of people or households for a label: whole (``256.7`` → ``257``). Estimated
    households are fractional in the files (shares of a building's floor area); on a label a
    fraction of a household reads as a mistake."""
    number = as_float(value)
    if number is None:
        return None
    return str(round(number))


def script_json(obj: Any) -> str:
    """JSON for use inside a ``<script>`` element: it cannot end the element or the statement."""
    text = json.dumps(obj, ensure_ascii=False, allow_nan=False, separators=(",", ":"))
    for char, replacement in _SCRIPT_UNSAFE.items():
        text = text.replace(char, replacement)
    return text
