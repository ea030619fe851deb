"""Text cells of a user's table, and which of them are blank.

A cell is *blank* when it holds no value a planner typed: missing (an empty CSV field is read as
``""``; a NULL in a GeoPackage, GeoJSON or shapefile as ``None``, ``NaN`` or ``NaT``) or only
whitespace. Every reader asks this one question through :func:`cell_text`, because the obvious
test on text alone is wrong under pandas 3: ``astype(str)`` keeps a missing value missing (pandas
2 turned it into the text ``"nan"`` or ``"None"``), so ``text.str.strip() == ""`` misses every
NULL and ``text.iat[i][:40]`` fails on it ('float' object is not subscriptable).
"""

from __future__ import annotations

import numpy as np
import pandas as pd


def cell_text(cells: pd.Series) -> tuple[pd.Series, np.ndarray]:
    """Each cell as stripped text, and which cells are blank.

    Parameters
    ----------
    cells : one column of a table as read (text from a CSV; text, numbers, dates or NULLs from
        a vector file)

    Returns
    -------
    text : pandas.Series
        The cells as text without surrounding whitespace, ``""`` where blank (never missing,
        so it can be sliced and compared), on the index of ``cells``
    blank : numpy.ndarray of bool
        True where the cell is missing or only whitespace
    """
    missing = cells.isna().to_numpy(dtype=bool)
    text = cells.astype(str).str.strip()
    empty = (text == "").to_numpy(dtype=bool, na_value=False)
    blank = missing | empty
    if missing.any():
        text = text.where(~missing, "")
    return text, blank
