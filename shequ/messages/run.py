"""What the command prints while it runs: progress steps, result lines, option errors, input
warnings.
"""

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
    "step.incidents": ("Reading incidents", "读取事件"),
    "step.statistics": (
        "Hot-spot statistics (Gi*, Moran, permutations)",
        "热点统计（Gi*、Moran、置换检验）",
    ),
    "step.density": ("Kernel density per cell", "逐单元核密度"),
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
        "{n} homes with demand are not fully served (reasons in shequ.gpkg homes.unserved_reason)",
        "仍有 {n} 处有需求的住宅未完全得到服务（原因见 shequ.gpkg 的 homes.unserved_reason）",
    ),
    "done": ("Done: outputs in {out}", "完成：结果已写入 {out}"),
    "error": ("error: {msg}", "错误：{msg}"),
    "where.row": ("row {row}", "第 {row} 行"),
    "e.demo_missing": (
        "the demo extract shequ/data/demo/nanjing_xinjiekou.osm.pbf is missing; reinstall shequ",
        "演示数据 shequ/data/demo/nanjing_xinjiekou.osm.pbf 缺失；请重新安装 shequ",
    ),
    "e.online_needs_osmnx": (
        "--online and --bbox download with osmnx, which is not installed: "
        'pip install "shequ[online]", or work offline with --osm FILE',
        "--online 和 --bbox 需要 osmnx 下载数据，但未安装：请运行 "
        'pip install "shequ[online]"，或离线使用 --osm 文件',
    ),
    "demo.synthetic": (
        "hotspots run on {n} SYNTHETIC incidents made up for the demo ({file}): they show how the "
        "analysis reads, not where risks are",
        "风险热点基于为演示生成的 {n} 条合成事件（{file}）：仅演示分析方法，不代表真实风险",
    ),
    "demo.open": (
        "Demo done: open {page} in a browser (the report; each analysis' map.html is in its "
        "folder under {out}); it works offline. Map data © OpenStreetMap contributors (ODbL)",
        "演示完成：用浏览器打开 {page}（汇总报告；各项分析的 map.html 在 {out} 下各自的文件夹中），"
        "可离线使用。地图数据 © OpenStreetMap 贡献者（ODbL）",
    ),
    "report.done": ("Report written: {page}", "报告已写入：{page}"),
    "e.bands_format": (
        "--bands must be minutes separated by commas, got {text}",
        "--bands 应为以逗号分隔的分钟数，实际为 {text}",
    ),
    "e.bands_positive": (
        "--bands must be positive minutes, got {text}",
        "--bands 必须是正的分钟数，实际为 {text}",
    ),
    "e.bbox_format": (
        "--bbox must be west,south,east,north, got {text}",
        "--bbox 应为 西,南,东,北 四个数，实际为 {text}",
    ),
    "e.kind_without_facilities": (
        "--kind names the kind of a --facilities file; give --facilities F too",
        "--kind 指定 --facilities 文件的设施类型；请同时给出 --facilities 文件",
    ),
    "e.no_osm": (
        "give --osm FILE (or --online PLACE / --bbox W,S,E,N to download)",
        "请给出 --osm 文件（或用 --online 地名 / --bbox 西,南,东,北 下载）",
    ),
    # operating-system errors (errno names), for a folder or file shequ could not use
    "os.EACCES": ("permission denied", "没有权限"),
    "os.EPERM": ("operation not permitted", "不允许此操作"),
    "os.ENOSPC": ("no space left on device", "磁盘空间不足"),
    "os.EDQUOT": ("disk quota exceeded", "超出磁盘配额"),
    "os.EROFS": ("read-only file system", "文件系统只读"),
    "os.ENOENT": ("no such file or folder", "文件或文件夹不存在"),
    "os.EISDIR": ("is a folder", "这是一个文件夹"),
    "os.ENOTDIR": ("not a folder", "不是文件夹"),
    "os.EEXIST": ("already exists", "已存在"),
    "os.ENAMETOOLONG": ("file name too long", "文件名过长"),
    "os.EIO": ("input/output error", "读写错误"),
    "os.other": ("system error {code}", "系统错误 {code}"),
    "opt.number": ("expected a number, got '{text}'", "应为数字，实际为“{text}”"),
    "opt.whole": ("expected a whole number, got '{text}'", "应为整数，实际为“{text}”"),
    "opt.finite": ("expected a finite number, got '{text}'", "应为有限数值，实际为“{text}”"),
    "opt.above": ("must be > {least}, got {text}", "必须大于 {least}，实际为 {text}"),
    "opt.at_least": ("must be ≥ {least}, got {text}", "必须不小于 {least}，实际为 {text}"),
    "opt.below": ("must be below {below}, got {text}", "必须小于 {below}，实际为 {text}"),
    "opt.h3_res": (
        "H3 resolution must be a whole number from 0 to 15, got {text}",
        "H3 分辨率必须是 0 到 15 之间的整数，实际为 {text}",
    ),
    "opt.crs": (
        "unknown coordinate system '{text}'; accepted: wgs84, cgcs2000, gcj02 (amap), "
        "bd09 (baidu) or EPSG:<code>",
        "未知坐标系“{text}”；可用：wgs84、cgcs2000、gcj02（高德）、bd09（百度）或 EPSG:<代码>",
    ),
    "opt.argument": ("argument {name}: {detail}", "参数 {name}：{detail}"),
    "opt.choice": (
        "argument {name}: invalid choice: {text} (choose from {choices})",
        "参数 {name}：无效取值 {text}（可选：{choices}）",
    ),
    "opt.not_with": (
        "argument {name}: not allowed with argument {other}",
        "参数 {name}：不能与参数 {other} 同时使用",
    ),
    "opt.needs_value": ("argument {name}: expected one value", "参数 {name}：需要一个取值"),
    "opt.required": (
        "the following arguments are required: {names}",
        "缺少必需参数：{names}",
    ),
    "opt.one_of": ("one of the arguments {names} is required", "需要以下参数之一：{names}"),
    "opt.unrecognized": ("unrecognized arguments: {names}", "无法识别的参数：{names}"),
    "interrupted": (
        "interrupted: nothing was written to {out} (the previous outputs, if any, are intact)",
        "已中断：未写入 {out}（原有结果如有，保持不变）",
    ),
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
    "warn.crs_not_declared": (
        "warning: points in {file}, read as {read}, lie a median {now:.0f} m from the nearest "
        "street; read as {name} they would lie {then:.0f} m away: the file is probably {name} "
        "(pass --crs {crs})",
        "警告：{file} 中的点按 {read} 读取，距最近街道的中位距离为 {now:.0f} 米；若按 {name} "
        "读取则为 {then:.0f} 米，文件很可能是 {name} 坐标（请使用 --crs {crs}）",
    ),
    "warn.crs_wrongly_declared": (
        "warning: points in {file} lie a median {now:.0f} m from the nearest street after the "
        "{name} conversion; without it they would lie {then:.0f} m away: the file is probably "
        "WGS-84 already, not {name} (do not pass --crs {crs})",
        "警告：{file} 中的点经 {name} 转换后距最近街道的中位距离为 {now:.0f} 米；不转换则为 "
        "{then:.0f} 米，文件很可能已是 WGS-84 坐标而非 {name}（请勿使用 --crs {crs}）",
    ),
    "note": ("note: {msg}", "提示：{msg}"),
    "word.facility": ("facility", "设施"),
    "word.candidate": ("candidate", "候选点"),
    "summary.none_attached": (
        "{kind}: {n} read, none within reach of a street, so no coverage to measure (see "
        "rejects.csv)",
        "{kind}：读入 {n} 处，均不在街道可达范围内，无法计算覆盖率（见 rejects.csv）",
    ),
    "summary.no_households": (
        "{kind}: the homes hold no households, so there is no coverage to measure",
        "{kind}：住宅中没有住户，无法计算覆盖率",
    ),
    "walker.general": ("general", "一般步行"),
    "walker.elderly": ("elderly", "老年人"),
}
