"""Errors a user can act on.

Every problem with user input ends as one :class:`InputError`: it names the file, the row (when
there is one) and the problem, so the CLI can print it on one line and exit with status 2. The
problem is a :class:`shequ.i18n.Note` (a catalogue key and its parameters, which *is* the English
text) so the CLI prints it in the user's language; a plain string is shown as it is.
"""

from __future__ import annotations

from pathlib import Path

from shequ.i18n import render_note, t


class InputError(Exception):
    """Bad user input: a missing or corrupt file, a bad column, an empty area.

    Parameters
    ----------
    message : str or Note
        What is wrong; a :class:`~shequ.i18n.Note` is shown in the user's language.
    path : str or Path, optional
        The file (or option, or profile) the problem is in.
    row : int, optional
        The row of that file, as the user counts them (header = row 1 in a CSV).
    """

    def __init__(self, message: str, *, path: str | Path | None = None, row: int | None = None):
        self.message = message
        self.path = None if path is None else str(path)
        self.row = row
        super().__init__(self.one_line())

    def one_line(self, lang: str = "en") -> str:
        """The error as one line in ``lang``: ``file, row N: problem``."""
        where = []
        if self.path:
            where.append(self.path)
        if self.row is not None:
            where.append(t("where.row", lang, row=self.row))
        prefix = ", ".join(where) + ": " if where else ""
        return (prefix + render_note(self.message, lang)).replace("\n", " ")
