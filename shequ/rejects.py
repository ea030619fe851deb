"""Rows that did not make it into the outputs, each with its reason.

Nothing is dropped silently: every input row ends either in an output layer or here, and the run
writes this list to ``rejects.csv``. A reason given as a :class:`shequ.i18n.Note` is written as
its English text with its catalogue key in ``reason_key`` (so a program can group rejects and a
viewer can show the reason in Chinese); a plain string has an empty key.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import pandas as pd

COLUMNS = ["source", "layer", "row", "id", "reason", "reason_key"]


@dataclass
class Rejects:
    rows: list[dict[str, object]] = field(default_factory=list)

    def add(self, source: str, layer: str, row: object, ident: object, reason: str) -> None:
        key = getattr(reason, "key", "")
        self.rows.append(
            {
                "source": source,
                "layer": layer,
                "row": row,
                "id": ident,
                "reason": str(reason),
                "reason_key": key,
            }
        )

    def frame(self) -> pd.DataFrame:
        return pd.DataFrame(self.rows, columns=COLUMNS)
