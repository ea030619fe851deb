"""The words on the map, in Chinese and English, from the message catalogue.

Maps go to street-office officials (Chinese) and to reports and reviewers (English); every fixed
word the map layer puts on a page is a ``map.*`` entry of :mod:`shequ.messages` (the one
catalogue), so both languages stay complete. Those texts are trusted and contain no markup;
texts from data (kind names, place names) are escaped where they enter the page, not here.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from shequ.errors import InputError
from shequ.i18n import Note
from shequ.messages import MESSAGES

LANGS: tuple[str, ...] = ("zh", "en")


def check_lang(lang: str) -> str:
    """Return ``lang`` if the map has labels for it, else raise an error the CLI can print."""
    if lang not in LANGS:
        raise InputError(Note("e.map_lang", langs=", ".join(LANGS), lang=repr(lang)))
    return lang


def label(key: str, lang: str) -> str:
    """The fixed label ``key`` in ``lang`` (plain text, no markup)."""
    en, zh = MESSAGES[f"map.{key}"]
    return zh if check_lang(lang) == "zh" else en


def kind_label(kind: Mapping[str, Any], lang: str) -> str:
    """A facility kind's display name in ``lang``, falling back to the other language, then id.

    The result is raw text from configuration: escape it before it enters the page.
    """
    check_lang(lang)
    for key in (lang, *LANGS):
        text = kind.get(key)
        if isinstance(text, str) and text.strip():
            return text.strip()
    return str(kind["id"])
