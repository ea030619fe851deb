"""Errors a user can act on.

Every problem with user input ends as one :class:`InputError`: it names the file, the row (when
there is one) and the problem, so the CLI can print it on one line and exit with status 2.
"""

from __future__ import annotations

from pathlib import Path


class InputError(Exception):
    """Bad user input: a missing or corrupt file, a bad column, an empty area."""

    def __init__(self, message: str, *, path: str | Path | None = None, row: int | None = None):
        self.message = message
        self.path = None if path is None else str(path)
        self.row = row
        super().__init__(self.one_line())

    def one_line(self) -> str:
        where = []
        if self.path:
            where.append(self.path)
        if self.row is not None:
            where.append(f"row {self.row}")
        prefix = ": ".join([", ".join(where)]) + ": " if where else ""
        return (prefix + self.message).replace("\n", " ")
