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

    def add_many(
        self, source: str, layer: str, rows: list[object], ids: list[object], reasons: list[str]
    ) -> None:
        for row, ident, reason in zip(rows, ids, reasons, strict=True):
            self.add(source, layer, row, ident, reason)

    def count(self, source: str | None = None) -> int:
        return sum(1 for r in self.rows if source is None or r["source"] == source)

    def frame(self) -> pd.DataFrame:
        return pd.DataFrame(self.rows, columns=COLUMNS)
