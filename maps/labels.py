"""The words on the map, in Chinese and English.

Maps go to street-office officials (Chinese) and to reports and reviewers (English); every fixed
word the map layer puts on a page comes from this one table so both languages stay complete.
The texts here are trusted and contain no markup; texts from data (kind names, place names) are
escaped where they enter the page, not here.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from shequ.errors import InputError

LANGS: tuple[str, ...] = ("zh", "en")

_LABELS: dict[str, dict[str, str]] = {
    "default_title": {"zh": "15分钟生活圈评估", "en": "15-minute living-circle audit"},
    "walk_minutes": {"zh": "步行分钟", "en": "walk minutes"},
    "homes": {"zh": "住宅 (步行分钟)", "en": "homes (walk minutes)"},
    "facilities": {"zh": "设施", "en": "facilities"},
    "isochrones": {"zh": "等时圈", "en": "isochrones"},
    "isochrones_per_facility": {"zh": "等时圈 (各设施)", "en": "isochrones (per facility)"},
    "blind_spots": {"zh": "盲区", "en": "blind spots"},
    "blind_spot_note": {"zh": "未达标住宅", "en": "homes not served"},
    "unreachable": {"zh": "不可达", "en": "unreachable"},
    "name": {"zh": "名称", "en": "name"},
    "households": {"zh": "户数", "en": "households"},
    "minutes": {"zh": "步行分钟", "en": "walk minutes"},
    "reason": {"zh": "原因", "en": "reason"},
    "kind": {"zh": "类型", "en": "kind"},
    "access_m": {"zh": "距路网 (米)", "en": "to path network (m)"},
    "facility_id": {"zh": "设施编号", "en": "facility no."},
    "standard": {"zh": "达标标准", "en": "standard"},
    "min_unit": {"zh": "分钟", "en": "min"},
    "basemap": {"zh": "底图 (OpenStreetMap)", "en": "basemap (OpenStreetMap)"},
}


def check_lang(lang: str) -> str:
    """Return ``lang`` if the map has labels for it, else raise an error the CLI can print."""
    if lang not in LANGS:
        raise InputError(f"map language must be one of {', '.join(LANGS)}, not {lang!r}")
    return lang


def label(key: str, lang: str) -> str:
    """The fixed label ``key`` in ``lang`` (plain text, no markup)."""
    return _LABELS[key][check_lang(lang)]


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
