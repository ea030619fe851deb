"""Grid numbering: west→east, north→south within each community, and the grid code.

Beijing's DB11/T 2157-2023 practice (standards.md I) numbers grids in reading order inside a
community and builds the code from the administrative division (6 digits), the street (街道,
3), the community (3) and the sequence (3). Reading order needs rows: grid centroids are cut
into horizontal bands one typical grid tall (√ median grid area), north first; within a band,
west first.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence

import numpy as np
import pandas as pd

DEFAULT_PATTERN = "{admin:06d}{jiedao:03d}{community:03d}{seq:03d}"


def reading_order(x: np.ndarray, y: np.ndarray, band_m: float) -> np.ndarray:
    """Rank of each point in north→south bands of ``band_m``, west→east within a band (0-based)."""
    if len(x) == 0:
        return np.zeros(0, dtype=np.int64)
    band = np.floor((y.max() - y) / max(band_m, 1e-9)).astype(np.int64)
    order = np.lexsort((x, band))
    rank = np.empty(len(x), dtype=np.int64)
    rank[order] = np.arange(len(x))
    return rank


def grid_codes(
    community: np.ndarray,
    cx: np.ndarray,
    cy: np.ndarray,
    area: np.ndarray,
    *,
    community_codes: dict[int, int] | None = None,
    admin: int = 0,
    jiedao: int = 0,
    pattern: str = DEFAULT_PATTERN,
) -> pd.DataFrame:
    """``seq`` (1-based, per community) and ``code`` for every grid."""
    seq = np.zeros(len(community), dtype=np.int64)
    band = float(np.sqrt(np.median(area))) if len(area) else 1.0
    for comm in np.unique(community):
        sel = np.flatnonzero(community == comm)
        seq[sel] = reading_order(cx[sel], cy[sel], band) + 1
    codes = community_codes or {}
    text = []
    for comm, s in zip(community, seq, strict=True):
        comm_code = codes.get(int(comm), int(comm) + 1 if comm >= 0 else 0)
        text.append(pattern.format(admin=admin, jiedao=jiedao, community=comm_code, seq=int(s)))
    return pd.DataFrame({"seq": seq, "code": text})


#: a code's sequence: its last digits, at most three (the pattern's ``{seq:03d}``)
_TRAILING_DIGITS = re.compile(r"^(.*?)(\d{1,3})$")


def next_free_codes(
    taken: Iterable[str], parents: Sequence[str | None], fallback: Sequence[str]
) -> list[str]:
    """Codes for new grids: the next free number of the sequence their parent grid's code is in.

    A register code ends in the grid's sequence within its community (``320104001002`` +
    ``005``); a grid split off ``…005`` takes the community's next unused number, never a
    retired one (a platform does not reuse codes), so ``…005``'s neighbours keep theirs.

    Parameters
    ----------
    taken : iterable of str
        Every code of the register, continuing and retired grids alike.
    parents : sequence of str or None
        Per new grid, the code of the existing grid it took most households from (None: none).
    fallback : sequence of str
        Per new grid, a code to use when the parent's code ends in no number (the pattern's).

    Returns
    -------
    list of str
        One code per new grid, none of them in ``taken`` nor repeated.
    """
    used = {str(c) for c in taken}
    out = []
    for parent, spare in zip(parents, fallback, strict=True):
        match = _TRAILING_DIGITS.match(str(parent)) if parent else None
        if match:
            prefix, width = match.group(1), len(match.group(2))
            same = [
                int(m.group(2))
                for m in map(_TRAILING_DIGITS.match, used)
                if m and m.group(1) == prefix and len(m.group(2)) == width
            ]
            code = f"{prefix}{max(same, default=int(match.group(2))) + 1:0{width}d}"
        else:
            code, k = str(spare), 1
            while code in used:
                k += 1
                code = f"{spare}-{k}"
        used.add(code)
        out.append(code)
    return out
