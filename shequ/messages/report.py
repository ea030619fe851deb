"""Messages of ``shequ report``: the one-page report of earlier runs (``rp.*``).

Errors a user can act on (a folder that is not a shequ output, two runs of one command) and
every word of ``report.html``: headings, table headers, map legends and the provenance.
"""

from __future__ import annotations

MESSAGES: dict[str, tuple[str, str]] = {
    # --- errors ---------------------------------------------------------------------------
    "e.report_no_runs": (
        "no run folder given: pass the output folders of earlier shequ runs (access, site, "
        "grids, hotspots or demo)",
        "未给出结果文件夹：请给出此前 shequ 运行的输出文件夹"
        "（access、site、grids、hotspots 或 demo）",
    ),
    "e.report_not_run": (
        "not a shequ output folder (no run.json of access, site, grids, hotspots or demo): "
        "pass a folder written by one of these commands",
        "不是 shequ 输出文件夹（没有 access、site、grids、hotspots 或 demo 的 run.json）："
        "请给出这些命令写出的文件夹",
    ),
    "e.report_command": (
        "written by `shequ {command}`, which the report does not read: pass folders of "
        "access, site, grids, hotspots or demo",
        "由 `shequ {command}` 写出，报告不读取此类结果："
        "请给出 access、site、grids、hotspots 或 demo 的文件夹",
    ),
    "e.report_missing_file": (
        "the run folder lacks {name}, which `shequ {command}` writes: run the command again",
        "结果文件夹缺少 `shequ {command}` 应写出的 {name}：请重新运行该命令",
    ),
    "e.report_same_command": (
        "a second run of `shequ {command}` (the first is {first}): give one folder per command",
        "第二个 `shequ {command}` 结果（第一个是 {first}）：每个命令只能给一个文件夹",
    ),
    # --- page -----------------------------------------------------------------------------
    "rp.title": ("Community planning report", "社区规划报告"),
    "rp.generated": ("shequ {version}, from {runs}", "shequ {version}，依据 {runs}"),
    "rp.index": ("Contents", "目录"),
    "rp.access": ("15-minute living circle (facility coverage)", "15 分钟生活圈（设施覆盖）"),
    "rp.site": ("Proposed sites", "新增设施选址"),
    "rp.grids": ("Management grids (网格) balance", "网格划分均衡"),
    "rp.hotspots": ("Risk warning levels", "风险预警等级"),
    "rp.units_communities": ("Communities (社区)", "社区"),
    "rp.units_grids": ("Grids (网格)", "网格"),
    "rp.provenance": ("Sources and provenance", "数据来源与出处"),
    "rp.outside": ("outside every unit", "不在任何单元内"),
    "rp.total": ("area total", "区域合计"),
    "rp.no_data": ("no data", "无数据"),
    "rp.no_homes": ("no homes", "无住宅"),
    "rp.unknown": ("unknown", "未知"),
    "rp.none": ("none", "无"),
    "rp.yes": ("yes", "是"),
    "rp.no": ("no", "否"),
    "rp.back": ("back to contents", "返回目录"),
    # key figures
    "rp.kind": ("facility kind", "设施类型"),
    "rp.tier": ("within {minutes} min", "{minutes} 分钟内"),
    "rp.status": ("data", "数据状况"),
    "rp.status_ok": ("measured", "已测算"),
    "rp.status_no_facilities": (
        "no facility of this kind in the data",
        "数据中没有此类设施",
    ),
    "rp.status_no_homes": ("no homes", "无住宅"),
    "rp.share_cell": ("{share} % of households", "{share}% 住户"),
    "rp.households": ("households", "户数"),
    "rp.homes": ("homes", "住宅"),
    "rp.households_covered": ("households within {minutes} min", "{minutes} 分钟内户数"),
    "rp.coverage_note": (
        "Share of households within walking minutes of the nearest facility of each kind; "
        "\u201cno data\u201d: the data holds no facility of the kind, so nothing is measured.",
        "各类设施最近一处在步行若干分钟内的住户占比；\u201c无数据\u201d表示数据中没有此类设施，无法测算。",
    ),
    "rp.map_access": (
        "Homes coloured by walk minutes to the nearest {kind} (the kind with data covered worst)",
        "住宅按到最近{kind}的步行分钟着色（有数据的类型中覆盖最差者）",
    ),
    "rp.map_access_none": (
        "Homes (no kind has facilities to measure walk minutes to)",
        "住宅（没有任何类型有设施可测步行时间）",
    ),
    "rp.facilities_of": ("{kind} (existing)", "{kind}（现有）"),
    "rp.minutes_bin": ("{label} min walk", "步行 {label} 分钟"),
    "rp.unreachable": ("no walk route", "无步行路径"),
    "rp.site_model": ("model", "模型"),
    "rp.site_kind": ("facility kind", "设施类型"),
    "rp.site_new": ("new sites", "新增设施"),
    "rp.site_covered": ("demand covered", "需求覆盖率"),
    "rp.site_before_after": ("{before} % \u2192 {after} %", "{before}% \u2192 {after}%"),
    "rp.site_status": ("solution", "求解结果"),
    "rp.site_gap": ("{status}, gap {gap} %", "{status}，间隙 {gap}%"),
    "rp.site_places_heading": ("places (capacities)", "名额（容量）"),
    "rp.site_places": (
        "{filled} of {total} places filled ({share} %); homes fully served {full}, partly {partly}",
        "已用名额 {filled}/{total}（{share}%）；完全服务住宅 {full} 处，部分服务 {partly} 处",
    ),
    "rp.confidence_verified-from-text": ("verified from the text", "已核对原文"),
    "rp.confidence_secondary-source": ("secondary source", "二手来源"),
    "rp.confidence_derived": ("derived", "推算"),
    "rp.confidence_unverified": ("unverified", "未核实"),
    "rp.confidence_assumption": ("assumption", "假设值"),
    "rp.site_rank": ("rank", "序号"),
    "rp.site_name": ("site", "位置"),
    "rp.site_weight": ("demand added", "新增覆盖需求"),
    "rp.site_unnamed": ("(unnamed)", "（无名称）"),
    "rp.map_site": ("Proposed sites (numbered by rank) and homes", "新增设施（按序号）与住宅"),
    "rp.grids_count": ("grids", "网格数"),
    "rp.grids_target": ("target households", "目标户数"),
    "rp.grids_target_cell": ("{target} \u00b1 {tolerance} %", "{target} \u00b1 {tolerance}%"),
    "rp.grids_in_band": ("in band", "在容差内"),
    "rp.grids_out_band": ("out of band", "超出容差"),
    "rp.pp_min": ("Polsby\u2013Popper, lowest", "Polsby\u2013Popper 紧凑度最低值"),
    "rp.pp_mean": ("Polsby\u2013Popper, mean", "Polsby\u2013Popper 紧凑度平均值"),
    "rp.map_grids": ("Grids coloured by deviation from the target", "网格按与目标户数的偏差着色"),
    "rp.dev_under_far": ("far under the target", "远低于目标"),
    "rp.dev_under": ("under the band", "低于容差"),
    "rp.dev_ok": ("in band", "在容差内"),
    "rp.dev_over": ("over the band", "高于容差"),
    "rp.dev_over_far": ("far over the target", "远高于目标"),
    "rp.incidents": ("incidents", "事件数"),
    "rp.cells": ("H3 cells", "H3 单元数"),
    "rp.resolution": ("H3 resolution", "H3 分辨率"),
    "rp.hot_cells": ("hot cells (Gi* 95 %)", "热点单元（Gi* 95%）"),
    "rp.level_red": ("red", "红色"),
    "rp.level_orange": ("orange", "橙色"),
    "rp.level_yellow": ("yellow", "黄色"),
    "rp.level_blue": ("blue", "蓝色"),
    "rp.level_cells": ("cells at level {level}", "{level}单元数"),
    "rp.level": ("highest level", "最高等级"),
    "rp.map_hotspots": ("H3 cells coloured by warning level", "H3 单元按预警等级着色"),
    "rp.streets": ("streets", "街道"),
    # units
    "rp.unit": ("unit", "单元"),
    "rp.units_note": (
        "Homes are counted in the first unit that holds them, H3 cells and grids by their "
        "centre; what lies in no unit is the \u201coutside every unit\u201d row, so the rows "
        "add up to the area total.",
        "住宅计入包含它的第一个单元，H3 单元与网格按中心点计入；不在任何单元内的计入"
        "\u201c不在任何单元内\u201d一行，各行之和等于区域合计。",
    ),
    "rp.grids_inside": ("grids (by centre)", "网格数（按中心点）"),
    "rp.coverage_unit": ("coverage within {minutes} min", "{minutes} 分钟内覆盖率"),
    "rp.no_data_kinds": (
        "No facility of these kinds in the data, so no coverage is measured: {kinds}",
        "数据中没有以下类型的设施，无法测算覆盖率：{kinds}",
    ),
    "rp.units_file": ("units file", "单元文件"),
    # provenance
    "rp.run": ("run", "结果"),
    "rp.folder": ("folder", "文件夹"),
    "rp.osm_file": ("OSM file", "OSM 文件"),
    "rp.snapshot": ("OSM snapshot", "OSM 数据日期"),
    "rp.input_files": ("input files", "输入文件"),
    "rp.input_file": ("{path} ({role}, {crs})", "{path}（{role}，{crs}）"),
    "rp.profile": ("profile", "配置"),
    "rp.profile_default": ("default", "默认"),
    "rp.version": ("shequ version", "shequ 版本"),
    "rp.profile_values": ("Profile values used ({profile})", "所用配置值（{profile}）"),
    "rp.key": ("key", "配置项"),
    "rp.value": ("value", "取值"),
    "rp.confidence": ("confidence", "可信度"),
    "rp.source": ("source", "来源"),
    "rp.copyright": ("Map data \u00a9 {link} (ODbL)", "地图数据 \u00a9 {link}（ODbL）"),
    "rp.osm_contributors": ("OpenStreetMap contributors", "OpenStreetMap 贡献者"),
}
