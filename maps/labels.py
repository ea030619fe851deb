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
    # facility siting map
    "siting_title": {"zh": "{kind}选址", "en": "{kind} siting"},
    "legend": {"zh": "图例", "en": "legend"},
    "existing_sites": {"zh": "现有设施", "en": "existing sites"},
    "proposed_sites": {"zh": "新增选址 (按序号)", "en": "proposed sites (by rank)"},
    "excluded_candidates": {"zh": "排除的候选点", "en": "excluded candidates"},
    "other_candidates": {"zh": "其他候选点", "en": "other candidates"},
    "areas_existing": {"zh": "服务范围 (现有设施)", "en": "service areas (existing sites)"},
    "areas_proposed": {"zh": "服务范围 (新增选址)", "en": "service areas (proposed sites)"},
    "homes_new": {"zh": "新覆盖住宅", "en": "homes newly covered"},
    "homes_covered": {"zh": "原已覆盖住宅", "en": "homes already covered"},
    "homes_unserved": {"zh": "仍未覆盖住宅", "en": "homes still unserved"},
    "homes_no_demand": {"zh": "无此类需求的住宅", "en": "homes with no demand of this kind"},
    "rank": {"zh": "序号", "en": "rank"},
    "site": {"zh": "站点", "en": "site"},
    "site_id": {"zh": "站点编号", "en": "site no."},
    "origin": {"zh": "来源", "en": "source"},
    "marginal_weight": {"zh": "新增覆盖需求", "en": "demand newly covered"},
    "capacity_used": {"zh": "已用容量", "en": "capacity used"},
    "population": {"zh": "人口", "en": "population"},
    "demand": {"zh": "需求量", "en": "demand"},
    "walk_after": {"zh": "步行分钟 (选址后)", "en": "walk minutes (after siting)"},
    "served_by": {"zh": "服务站点", "en": "served by"},
    "area_of": {"zh": "服务范围", "en": "service area"},
    "site_existing": {"zh": "现有", "en": "existing"},
    "site_proposed": {"zh": "新增", "en": "proposed"},
    "origin_file": {"zh": "候选点文件", "en": "candidate file"},
    "origin_osm": {"zh": "OpenStreetMap", "en": "OpenStreetMap"},
    "origin_street": {"zh": "沿街布点", "en": "point along a street"},
    "origin_existing": {"zh": "现有设施", "en": "existing facility"},
    "model_lscp": {"zh": "集合覆盖 (LSCP)", "en": "set covering (LSCP)"},
    "model_mclp": {"zh": "最大覆盖 (MCLP)", "en": "maximal covering (MCLP)"},
    "model_mclp-budget": {
        "zh": "预算约束最大覆盖 (MCLP)",
        "en": "maximal covering within a budget (MCLP)",
    },
    "model_p-median": {"zh": "P-中位 (p-median)", "en": "p-median"},
    "capacitated": {"zh": "含容量约束", "en": "capacitated"},
    "curve_title": {
        "zh": "覆盖曲线：需求覆盖比例",
        "en": "coverage curve: share of demand covered",
    },
    "curve_x": {"zh": "新增站点数", "en": "new sites"},
    "curve_plan": {"zh": "本方案：p = {p}", "en": "this plan: p = {p}"},
    "curve_hollow": {"zh": "空心点：未证明最优", "en": "hollow: not proven optimal"},
    "covered_weight": {"zh": "覆盖需求", "en": "demand covered"},
    "status": {"zh": "求解状态", "en": "solver status"},
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
