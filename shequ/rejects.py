"""Rows that did not make it into the outputs, each with its reason.

Nothing is dropped silently: every input row ends either in an output layer or here, and the run
writes this list to ``rejects.csv``.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import pandas as pd

COLUMNS = ["source", "layer", "row", "id", "reason"]


@dataclass
class Rejects:
    rows: list[dict[str, object]] = field(default_factory=list)

    def add(self, source: str, layer: str, row: object, ident: object, reason: str) -> None:
        self.rows.append(
            {"source": source, "layer": layer, "row": row, "id": ident, "reason": reason}
        )

    def frame(self) -> pd.DataFrame:
        return pd.DataFrame(self.rows, columns=COLUMNS)
