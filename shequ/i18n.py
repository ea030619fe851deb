"""Messages in Chinese and English (``--lang zh|en``) from the one catalogue, :mod:`shequ.messages`.

Library code says what it has to say as a :class:`Note` (a catalogue key and its parameters,
which *is* the English text, so logs, ``run.json`` and CSV files keep English); what the CLI or
a map shows a user is rendered in the user's language with :func:`t` / :meth:`Note.render`.
"""

from __future__ import annotations

import errno
import os

from shequ.messages import MESSAGES


def default_lang() -> str:
    """zh when the environment's locale is Chinese, else en."""
    env = os.environ.get("SHEQU_LANG") or os.environ.get("LANG", "")
    return "zh" if env.lower().startswith("zh") else "en"


def t(key: str, lang: str, /, **params: object) -> str:
    en, zh = MESSAGES[key]
    return (zh if lang == "zh" else en).format(**params)


class Note(str):
    """A note for the user: the English text (it *is* that string, for run.json and logs) plus
    the message key and parameters, so the CLI can print it in the user's language."""

    key: str
    params: dict

    def __new__(cls, key: str, /, **params: object) -> Note:
        note = super().__new__(cls, MESSAGES[key][0].format(**params))
        note.key, note.params = key, params
        return note

    def __reduce__(self) -> tuple:
        """Copy and pickle as key and parameters (the English text is not a key)."""
        return (_note_from, (self.key, self.params))

    def render(self, lang: str) -> str:
        """The note in ``lang``; parameters that are notes themselves are rendered too."""
        params = {
            k: render_note(v, lang) if isinstance(v, str) else v for k, v in self.params.items()
        }
        return t(self.key, lang, **params)


class Bilingual(str):
    """A name from the profile or the data in both languages (a facility kind's 幼儿园 /
    ``kindergarten``): the English (or id) *is* the string; :meth:`render` gives the other.

    Used as a :class:`Note` parameter, so a Chinese note names the kind in Chinese.
    """

    zh: str

    def __new__(cls, en: str, zh: str) -> Bilingual:
        text = super().__new__(cls, en)
        text.zh = zh
        return text

    def __reduce__(self) -> tuple:
        return (Bilingual, (str(self), self.zh))

    def render(self, lang: str) -> str:
        """The name in ``lang``."""
        return self.zh if lang == "zh" and self.zh else str(self)


def _note_from(key: str, params: dict) -> Note:
    return Note(key, **params)


def render_note(note: str, lang: str) -> str:
    """A note in ``lang`` (plain strings, e.g. solver messages, stay as they are)."""
    return note.render(lang) if isinstance(note, Note | Bilingual) else note


def os_note(code: int | None) -> Note:
    """An operating-system error number as a note: its catalogue entry (``os.EACCES`` …).

    ``os.strerror`` is the C library's English; the errors a user can act on (permission, full
    disk, read-only, missing) have catalogue entries, any other shows its errno name.
    """
    name = errno.errorcode.get(code or 0, "")
    return Note(f"os.{name}") if f"os.{name}" in MESSAGES else Note("os.other", code=name or code)


def os_problem(exc: OSError, lang: str) -> str:
    """An ``OSError``'s problem in ``lang`` (see :func:`os_note`)."""
    return os_note(exc.errno).render(lang)
