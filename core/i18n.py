"""Messages in Chinese and English (``--lang zh|en``).

Library code raises and logs in English; what the CLI prints to a user goes through :func:`t`.
"""

from __future__ import annotations

import os

MESSAGES: dict[str, tuple[str, str]] = {
    # key: (en, zh)
    "step.load": ("Reading OSM file", "读取 OSM 文件"),
    "step.network": ("Building walk network", "构建步行路网"),
    "step.demand": ("Homes and facilities", "住宅与设施"),
    "step.attach": ("Attaching to streets", "接入街道"),
    "step.access": ("Walk times", "步行时间"),
    "step.isochrones": ("Isochrones", "等时圈"),
    "step.outputs": ("Writing outputs", "写出结果"),
    "step.candidates": ("Candidate sites", "候选选址"),
    "step.problem": ("Walk coverage of candidate sites", "候选点步行覆盖关系"),
    "step.solve": ("Solving (HiGHS)", "求解（HiGHS）"),
    "step.curve": ("Coverage curve p = 1…P", "覆盖曲线 p = 1…P"),
    "hotspot.line": (
        "{incidents} incidents on {cells} H3 cells (resolution {res}): {hot} hot cells at 95 %, "
        "{red} red cells",
        "{incidents} 起事件，{cells} 个 H3 网格（分辨率 {res}）："
        "95% 置信热点 {hot} 个，红色 {red} 个",
    ),
    "step.atoms": ("Street blocks and compounds", "街廓与小区"),
    "step.grids": ("Delineating grids", "划分网格"),
    "grid.line": (
        "{grids} grids for {households:.0f} households (target {target:g} ± {tol:.0%}); "
        "max deviation {maxdev:.0%}, {out} outside tolerance",
        "共 {grids} 个网格，{households:.0f} 户（目标 {target:g} 户 ± {tol:.0%}）；"
        "最大偏差 {maxdev:.0%}，{out} 个超出容差",
    ),
    "site.line": (
        "{kind}: {model} opened {p} new sites; covered {before:.1%} → {after:.1%} of demand "
        "({status}, gap {gap:.2%}, {seconds:.1f} s)",
        "{kind}：{model} 新增 {p} 处设施；需求覆盖率 {before:.1%} → {after:.1%}"
        "（{status}，间隙 {gap:.2%}，{seconds:.1f} 秒）",
    ),
    "site.unserved": (
        "{n} homes with demand remain unserved (reasons in shequ.gpkg homes.unserved_reason)",
        "仍有 {n} 户有需求的住宅未被服务（原因见 shequ.gpkg 的 homes.unserved_reason）",
    ),
    "done": ("Done: outputs in {out}", "完成：结果已写入 {out}"),
    "error": ("error: {msg}", "错误：{msg}"),
    "warn.outside": (
        "warning: {n} of {total} points in {file} lie more than {km:g} km outside "
        "the study area{cause}",
        "警告：{file} 中 {total} 个点有 {n} 个位于研究区外 {km:g} 公里以上{cause}",
    ),
    "cause.swapped": (" — latitude and longitude look swapped", "——经纬度疑似颠倒"),
    "cause.gcj": (
        " — the file looks like GCJ-02/BD-09 coordinates: pass --crs gcj02 or --crs bd09",
        "——坐标疑似为 GCJ-02/BD-09，请使用 --crs gcj02 或 --crs bd09",
    ),
    "warn.offset": (
        "warning: points in {file} lie a median {now:.0f} m from the nearest street; "
        "converted from {crs} they would lie {then:.0f} m away: "
        "the file is probably {crs} (pass --crs {crs})",
        "警告：{file} 中的点距最近街道的中位距离为 {now:.0f} 米；"
        "若按 {crs} 转换则为 {then:.0f} 米，文件很可能是 {crs} 坐标（请使用 --crs {crs}）",
    ),
    "note": ("note: {msg}", "提示：{msg}"),
    "summary.line": (
        "{kind}: {share:.0%} of households within {minutes:g} min ({walker}, {speed:g} m/s)",
        "{kind}：{minutes:g} 分钟内覆盖 {share:.0%} 的住户（{walker}，{speed:g} 米/秒）",
    ),
}


def default_lang() -> str:
    """zh when the environment's locale is Chinese, else en."""
    env = os.environ.get("SHEQU_LANG") or os.environ.get("LANG", "")
    return "zh" if env.lower().startswith("zh") else "en"


def t(key: str, lang: str, **params: object) -> str:
    en, zh = MESSAGES[key]
    return (zh if lang == "zh" else en).format(**params)
