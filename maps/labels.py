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
    # management grid map (网格)
    "grid_title": {
        "zh": "社区网格划分：每格 {target} 户 (±{tolerance})",
        "en": "Management grids: {target} households each (±{tolerance})",
    },
    "grid_layer": {"zh": "网格 (户数偏差)", "en": "grids (households vs target)"},
    "grid_labels": {"zh": "网格标签 (编码、户数)", "en": "grid labels (code, households)"},
    "border_layer": {
        "zh": "主要边界 (主干路、河流、铁路、社区界)",
        "en": "main borders (major roads, rivers, rail, community edges)",
    },
    "street_layer": {"zh": "次要道路", "en": "minor streets"},
    "atom_layer": {"zh": "划分单元 (小区、街块)", "en": "units (compounds, street blocks)"},
    "home_layer": {"zh": "住宅", "en": "homes"},
    "moved_layer": {"zh": "调整的单元", "en": "moved units"},
    "oversized_layer": {
        "zh": "含超大单元的网格 (斜线)",
        "en": "grids holding an oversized unit (hatched)",
    },
    "outside_layer": {
        "zh": "不属于任何社区的网格 (反斜线)",
        "en": "grids outside any community (back-hatched)",
    },
    "edits_layer": {"zh": "手绘调整", "en": "drawn edits"},
    "grid_code": {"zh": "网格编码", "en": "grid code"},
    "grid_id": {"zh": "网格编号", "en": "grid id"},
    "community_id": {"zh": "社区编号", "en": "community id"},
    "seq": {"zh": "社区内序号", "en": "number in community"},
    "deviation": {"zh": "偏差 (相对目标户数)", "en": "deviation from target"},
    "homes_count": {"zh": "住宅数", "en": "homes"},
    "elderly": {"zh": "老年人口", "en": "elderly"},
    "area_ha": {"zh": "面积 (公顷)", "en": "area (ha)"},
    "atoms_count": {"zh": "单元数", "en": "units"},
    "within_tolerance": {"zh": "在容差内", "en": "within tolerance"},
    "polsby_popper": {"zh": "紧凑度 (Polsby–Popper)", "en": "compactness (Polsby–Popper)"},
    "inertia_compactness": {"zh": "紧凑度 (惯性矩)", "en": "compactness (moment of inertia)"},
    "patrol_km": {"zh": "巡查道路长度 (公里)", "en": "streets to patrol (km)"},
    "oversized": {"zh": "含超大单元 (不拆分)", "en": "holds an oversized unit (never split)"},
    "outside_community": {"zh": "不属于任何社区", "en": "outside any community"},
    "yes": {"zh": "是", "en": "yes"},
    "no": {"zh": "否", "en": "no"},
    "atom_id": {"zh": "单元编号", "en": "unit id"},
    "atom_compound": {"zh": "小区", "en": "compound"},
    "atom_block": {"zh": "街块", "en": "street block"},
    "atom_block_paths": {
        "zh": "街块（沿内部道路划分）",
        "en": "street block (divided along paths)",
    },
    "atom_block_buildings": {"zh": "街块（按楼栋分组）", "en": "street block (building group)"},
    "atom_compound_buildings": {"zh": "小区（按楼栋分组）", "en": "compound (building group)"},
    "unit_kind": {"zh": "单元类型", "en": "unit type"},
    "grid": {"zh": "所属网格", "en": "grid"},
    "moved_from": {"zh": "原网格", "en": "from grid"},
    "moved_to": {"zh": "调入网格", "en": "to grid"},
    "hh_unit": {"zh": "户", "en": "hh"},
    "deviation_heading": {
        "zh": "户数相对目标 ({target} 户)",
        "en": "households vs target ({target})",
    },
    "dev_under_far": {"zh": "远少于目标", "en": "far under target"},
    "dev_under": {"zh": "少于目标", "en": "under target"},
    "dev_ok": {"zh": "在容差内", "en": "within tolerance"},
    "dev_over": {"zh": "多于目标", "en": "over target"},
    "dev_over_far": {"zh": "远多于目标", "en": "far over target"},
    "no_data": {"zh": "无数据", "en": "no data"},
    "grids_within": {
        "zh": "{within}/{total} 个网格在容差内",
        "en": "{within} of {total} grids within tolerance",
    },
    "border_edge": {"zh": "社区边界", "en": "community edge"},
    "border_major": {"zh": "主干路", "en": "major road"},
    "border_river": {"zh": "河流", "en": "river"},
    "border_rail": {"zh": "铁路", "en": "railway"},
    "edit_prompt": {
        "zh": "此范围内的单元划入哪个网格？请输入网格编码 (完整或末几位) 或网格编号：",
        "en": "Move the units inside this shape to which grid? "
        "Enter its code (in full or its last digits) or its grid id:",
    },
    "edit_not_found": {
        "zh": "没有这个网格：{answer}。",
        "en": "There is no grid {answer}.",
    },
    "edit_cancelled": {
        "zh": "已取消：这个范围没有保留。",
        "en": "Cancelled: the shape was not kept.",
    },
    "edit_export": {"zh": "导出修改 (GeoJSON)", "en": "Export edits (GeoJSON)"},
    "edit_export_title": {
        "zh": "下载手绘调整，供 shequ grids --edits 使用",
        "en": "Download the drawn edits for shequ grids --edits",
    },
    "edit_none": {"zh": "还没有手绘调整。", "en": "No edits drawn yet."},
    "edit_count": {"zh": "手绘调整：{n} 处", "en": "Drawn edits: {n}"},
    "edit_exported": {"zh": "已导出 {n} 处调整。", "en": "Edits exported: {n}."},
    "edit_to": {"zh": "划入网格", "en": "to grid"},
    "edit_help": {
        "zh": "用上方工具画出范围，输入目标网格，再导出。点已画的范围可改目标网格。",
        "en": "Draw a shape with the tools above, name its grid, then export. "
        "Click a drawn shape to change its grid.",
    },
    "edit_unsaved": {
        "zh": "有手绘调整尚未导出。",
        "en": "Some drawn edits have not been exported.",
    },
    # risk hotspot map (风险热点)
    "hs_title": {"zh": "社区风险热点", "en": "Community risk hotspots"},
    "hs_levels_layer": {"zh": "风险等级 (H3 单元)", "en": "risk level (H3 cells)"},
    "hs_gi_layer": {
        "zh": "Gi* 热点与冷点 (置信度)",
        "en": "Gi* hot and cold spots (confidence)",
    },
    "hs_kde_layer": {
        "zh": "核密度 (起/平方公里)",
        "en": "kernel density (incidents per km²)",
    },
    "hs_trend_layer": {"zh": "时空趋势 (新增、加剧、持续、减弱)", "en": "emerging trends"},
    "hs_grids_layer": {
        "zh": "网格汇总 (单元最高风险等级)",
        "en": "grids (highest level of their cells)",
    },
    "hs_levels_heading": {"zh": "风险等级 (预警颜色)", "en": "risk level (warning colour)"},
    "hs_level_red": {"zh": "红色 (一级, 最高)", "en": "red (level 1, highest)"},
    "hs_level_orange": {"zh": "橙色 (二级)", "en": "orange (level 2)"},
    "hs_level_yellow": {"zh": "黄色 (三级)", "en": "yellow (level 3)"},
    "hs_level_blue": {"zh": "蓝色 (四级, 最低)", "en": "blue (level 4, lowest)"},
    "hs_level3_red": {"zh": "红色 (高)", "en": "red (high)"},
    "hs_level3_yellow": {"zh": "黄色 (中)", "en": "yellow (medium)"},
    "hs_level3_blue": {"zh": "蓝色 (低)", "en": "blue (low)"},
    "hs_three_colour_note": {
        "zh": "三色方案：橙色并入红色",
        "en": "three-colour scheme: orange folded into red",
    },
    "hs_gi_hot99": {"zh": "热点 (99% 置信度)", "en": "hot spot, 99% confidence"},
    "hs_gi_hot95": {"zh": "热点 (95% 置信度)", "en": "hot spot, 95% confidence"},
    "hs_gi_hot90": {"zh": "热点 (90% 置信度)", "en": "hot spot, 90% confidence"},
    "hs_gi_ns": {"zh": "不显著", "en": "not significant"},
    "hs_gi_cold90": {"zh": "冷点 (90% 置信度)", "en": "cold spot, 90% confidence"},
    "hs_gi_cold95": {"zh": "冷点 (95% 置信度)", "en": "cold spot, 95% confidence"},
    "hs_gi_cold99": {"zh": "冷点 (99% 置信度)", "en": "cold spot, 99% confidence"},
    "hs_gi_fdr_note": {
        "zh": "经 FDR 校正仍显著：热点 {hot} 个，冷点 {cold} 个",
        "en": "still significant after FDR correction: {hot} hot, {cold} cold",
    },
    "hs_trend_new": {"zh": "新热点", "en": "new hot spot"},
    "hs_trend_intensifying": {"zh": "加剧热点", "en": "intensifying hot spot"},
    "hs_trend_persistent": {"zh": "持续热点", "en": "persistent hot spot"},
    "hs_trend_diminishing": {"zh": "减弱热点", "en": "diminishing hot spot"},
    "hs_cells_note": {
        "zh": "{cells} 个 H3 单元，{incidents} 起事件",
        "en": "{cells} H3 cells, {incidents} incidents",
    },
    "hs_grids_note": {
        "zh": "网格颜色取其单元的最高风险等级",
        "en": "a grid takes the highest level of its cells",
    },
    "hs_h3": {"zh": "H3 单元", "en": "H3 cell"},
    "hs_level": {"zh": "风险等级", "en": "risk level"},
    "hs_index": {"zh": "风险指数 (0–1)", "en": "risk index (0–1)"},
    "hs_incidents": {"zh": "事件数", "en": "incidents"},
    "hs_rate_households": {"zh": "发案率 (起/户)", "en": "incidents per household"},
    "hs_rate_cell": {"zh": "发案率 (起/单元)", "en": "incidents per cell"},
    "hs_gi_z": {"zh": "Gi* z 值", "en": "Gi* z-score"},
    "hs_gi_p": {"zh": "Gi* p 值", "en": "Gi* p-value"},
    "hs_gi_bin": {"zh": "Gi* 分类", "en": "Gi* class"},
    "hs_gi_bin_fdr": {"zh": "Gi* 分类 (FDR 校正)", "en": "Gi* class (FDR-corrected)"},
    "hs_moran_i": {"zh": "局部 Moran's I", "en": "local Moran's I"},
    "hs_moran_p": {"zh": "局部 Moran p 值", "en": "local Moran p-value"},
    "hs_kde": {"zh": "核密度 (起/平方公里)", "en": "kernel density (per km²)"},
    "hs_trend": {"zh": "时空趋势", "en": "trend"},
    "hs_elderly_share": {"zh": "老年人口比例", "en": "elderly share"},
    "hs_factors": {"zh": "风险因子分解", "en": "factor breakdown"},
    "hs_factor": {"zh": "因子", "en": "factor"},
    "hs_factor_value": {"zh": "数值", "en": "value"},
    "hs_factor_rank": {"zh": "百分位排名 (0–1)", "en": "percentile rank (0–1)"},
    "hs_factor_rate": {"zh": "发案率", "en": "incident rate"},
    "hs_factor_gi_z": {"zh": "Gi* z 值", "en": "Gi* z-score"},
    "hs_factor_elderly_share": {"zh": "老年人口比例", "en": "elderly share"},
    "hs_factor_building_age": {"zh": "建筑年代", "en": "building age"},
    "hs_factor_dist_fire_station_m": {
        "zh": "到消防站距离 (米)",
        "en": "distance to fire station (m)",
    },
    "hs_factor_dist_hydrant_m": {"zh": "到消火栓距离 (米)", "en": "distance to fire hydrant (m)"},
    "hs_factor_dist_charging_m": {
        "zh": "到充电设施距离 (米)",
        "en": "distance to charging point (m)",
    },
    "hs_factor_dist_camera_m": {
        "zh": "到监控摄像头距离 (米)",
        "en": "distance to surveillance camera (m)",
    },
    "hs_grid_cells": {"zh": "H3 单元数", "en": "H3 cells"},
    "hs_mean_index": {"zh": "平均风险指数", "en": "mean risk index"},
    "hs_hot_cells": {"zh": "热点单元 (95% 置信度)", "en": "hot cells (95% confidence)"},
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
