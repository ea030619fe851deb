"""The command line's help: what ``shequ --help`` and ``shequ X --help`` say about each option."""

MESSAGES: dict[str, tuple[str, str]] = {
    "help.help": ("show this help message and exit", "显示帮助信息并退出"),
    "help.version": ("show the version and exit", "显示版本号并退出"),
    "help.usage": ("usage: ", "用法："),
    "help.options": ("options", "选项"),
    "help.positionals": ("commands", "命令"),
    "help.cmd.grids": (
        "management grids (网格): balanced, contiguous, compact",
        "网格划分：户数均衡、连片、紧凑",
    ),
    "help.grids.communities": (
        "community (社区) polygons to nest grids in",
        "社区边界多边形（网格嵌套其中）",
    ),
    "help.grids.compounds": (
        "gated compound (小区) polygons (default: OSM landuse=residential)",
        "封闭小区多边形（默认：OSM landuse=residential）",
    ),
    "help.grids.split_large_compounds": (
        "divide compounds above a grid's ceiling into groups of whole buildings",
        "将超过网格上限的小区划分为若干组整栋楼",
    ),
    "help.grids.existing": (
        "existing grid polygons: redraw with fewest moves",
        "现有网格多边形：以最少调整重新划分",
    ),
    "help.grids.code_column": (
        "the column of the existing grids' codes (default: code, 网格编码, …)",
        "现有网格文件中的网格编码列（默认识别 code、网格编码 等）",
    ),
    "help.grids.name_column": (
        "the column of the existing grids' names (default: name, 网格名称, …)",
        "现有网格文件中的网格名称列（默认识别 name、网格名称 等）",
    ),
    "help.grids.lock": (
        "codes of existing grids the redraw leaves as they are, comma-separated (also: a "
        "'locked' column in --existing, 1/true/yes/是)",
        "重划时保持不变的现有网格编码，用逗号分隔（也可在 --existing 文件中加 locked 列，"
        "填 1/true/yes/是）",
    ),
    "help.grids.edits": (
        "GeoJSON of edits exported from the grid map",
        "从网格地图导出的手绘调整（GeoJSON）",
    ),
    "help.grids.households_per_grid": (
        "target households per grid (profile: 300)",
        "每个网格的目标户数（配置默认：300）",
    ),
    "help.grids.tolerance": ("allowed deviation (profile: 0.15)", "允许偏差（配置默认：0.15）"),
    "help.grids.seed": ("random seed (results repeat)", "随机种子（结果可重复）"),
    "help.grids.time_limit": ("search seconds", "搜索时间（秒）"),
    "help.cmd.hotspots": (
        "risk hotspots on H3 cells and warning levels",
        "基于 H3 单元的风险热点与预警等级",
    ),
    "help.hotspots.incidents": (
        "incident file (.csv lon/lat, .gpkg …)",
        "事件文件（含经纬度的 .csv、.gpkg …）",
    ),
    "help.hotspots.osm": (
        "OSM extract: study area, homes (exposure), fire equipment",
        "OSM 数据：研究区、住宅（暴露度）、消防设施",
    ),
    "help.hotspots.grids": (
        "grid polygons: incidents counted per grid and a level from each grid's own density",
        "网格多边形：按网格统计事件数，并按各网格自身的事件密度定风险等级",
    ),
    "help.hotspots.profile": (
        "YAML profile merged onto the default",
        "合并到默认配置之上的 YAML 配置文件",
    ),
    "help.hotspots.crs": (
        "CRS of the incident file: wgs84, gcj02, bd09, EPSG:n",
        "事件文件的坐标系：wgs84、gcj02、bd09、EPSG:n",
    ),
    "help.hotspots.res": (
        "H3 resolution 0-15 (default: automatic)",
        "H3 分辨率 0-15（默认：自动）",
    ),
    "help.hotspots.time_col": (
        "time column (default: found by name)",
        "时间列（默认：按列名识别）",
    ),
    "help.hotspots.type_col": (
        "type column (default: found by name)",
        "类型列（默认：按列名识别）",
    ),
    "help.hotspots.types": ("comma-separated incident types to keep", "保留的事件类型，以逗号分隔"),
    "help.hotspots.no_trends": ("skip space-time trends", "跳过时空趋势分析"),
    "help.hotspots.three_colour": ("red/yellow/blue levels", "红黄蓝三级"),
    "help.hotspots.seed": ("permutation seed (results repeat)", "置换检验随机种子（结果可重复）"),
    "help.area.osm": (
        "local .osm / .osm.gz / .osm.bz2 / .osm.pbf file",
        "本地 .osm / .osm.gz / .osm.bz2 / .osm.pbf 文件",
    ),
    "help.area.online": ("download a place by name (needs internet)", "按地名下载（需联网）"),
    "help.area.bbox": ("download a bbox (needs internet)", "按范围框下载（需联网）"),
    "help.area.homes": (
        "homes file (.csv lon/lat, .geojson, .gpkg, .shp)",
        "住宅文件（含经纬度的 .csv、.geojson、.gpkg、.shp）",
    ),
    "help.area.facilities": ("facilities file (repeatable)", "设施文件（可重复）"),
    "help.area.no_landuse_homes": (
        "do not estimate homes on residential land (landuse=residential) mapped without "
        "buildings (by default it gets points at the profile's households per hectare, "
        "estimated_from=landuse)",
        "不在未绘建筑的居住用地（landuse=residential）上估算住宅"
        "（默认按配置的每公顷户数布点，estimated_from=landuse）",
    ),
    "help.area.area": (
        "study area polygon file (a 街道/社区 boundary; default: the bounds the OSM extract "
        "declares, else the hull of the homes and facilities); homes, candidate sites, grids "
        "and cells outside it are left out, walks may cross it",
        "研究区域多边形文件（街道/社区边界；默认取 OSM 数据声明的范围，"
        "无则取住宅和设施的外包范围）；区域外的住宅、候选点、网格和六边形单元不计入，"
        "步行路线可越过边界",
    ),
    "help.area.profile": (
        "YAML profile merged onto the default",
        "合并到默认配置之上的 YAML 配置文件",
    ),
    "help.area.crs": (
        "CRS of user files without one: wgs84, cgcs2000, gcj02, bd09, EPSG:n",
        "未注明坐标系的用户文件的坐标系：wgs84、cgcs2000、gcj02、bd09、EPSG:n",
    ),
    "help.area.metric_crs": (
        "metric CRS for distances (UTM zone or CGCS2000 3-degree Gauss-Kruger)",
        "计算距离用的平面坐标系（UTM 分带或 CGCS2000 3 度高斯-克吕格分带）",
    ),
    "help.area.no_osm_facilities": (
        "use only --facilities files",
        "只使用 --facilities 文件中的设施",
    ),
    "help.area.population_raster": (
        "GeoTIFF of people per pixel (repeatable; same grid, summed)",
        "每像元人口的 GeoTIFF（可重复；同一格网，相加）",
    ),
    "help.area.raster_column": ("which demand column the raster replaces", "栅格替代的需求列"),
    "help.cmd.site": (
        "facility siting: where new sites cover the most homes (HiGHS, exact)",
        "设施选址：新设施覆盖最多住宅的位置（HiGHS 精确求解）",
    ),
    "help.site.kind": (
        "facility kind, e.g. canteen, childcare",
        "设施类型，例如 canteen、childcare",
    ),
    "help.site.p": (
        "number of new sites (maximal cover or p-median)",
        "新增设施数（最大覆盖或 p-中位）",
    ),
    "help.site.cover_all": ("fewest sites covering all homes", "覆盖全部住宅所需的最少设施"),
    "help.site.budget": (
        "total cost of new sites (candidate 'cost')",
        "新增设施的总费用（候选点的 cost 列）",
    ),
    "help.site.model": ("model used with --p", "与 --p 一起使用的模型"),
    "help.site.candidates": (
        "candidate sites file (repeatable; cost, capacity)",
        "候选点文件（可重复；cost、capacity 列）",
    ),
    "help.site.no_osm_candidates": (
        "no parking/vacant/community candidates",
        "不使用停车场、空地、社区用房等 OSM 候选点",
    ),
    "help.site.street_candidates": (
        "add a candidate every --spacing m",
        "沿街每隔 --spacing 米增加一个候选点",
    ),
    "help.site.spacing": ("street candidate spacing in metres", "沿街候选点间距（米）"),
    "help.site.capacitated": ("respect site capacities", "考虑设施容量"),
    "help.site.max_walk": (
        "p-median: every home within this many min",
        "p-中位：所有住宅须在此分钟数内可达",
    ),
    "help.site.curve": (
        "coverage curve up to p = N (0: none)",
        "覆盖曲线，直到 p = N（0：不计算）",
    ),
    "help.site.time_limit": ("solver seconds per solve", "每次求解的时间上限（秒）"),
    "help.site.gap": ("stop at this relative MIP gap", "达到此相对 MIP 间隙即停止"),
    "help.site.heuristic": (
        "greedy answer with a proven bound, for very large instances (mclp, lscp)",
        "贪心解并给出可证明的界，用于超大规模问题（mclp、lscp）",
    ),
    "help.shequ": (
        "社区 GIS: living circles, siting, grids, risk.",
        "社区 GIS：生活圈、设施选址、网格、风险。",
    ),
    "help.cmd.report": (
        "one offline HTML report of earlier runs (access, site, grids, hotspots; any subset), "
        "with a section per community or grid",
        "汇总已有结果（access、site、grids、hotspots，任选）为一份离线 HTML 报告，"
        "可按社区或网格分节",
    ),
    "help.report.runs": (
        "output folders of earlier shequ runs (or a demo folder)",
        "此前 shequ 运行的输出文件夹（或演示文件夹）",
    ),
    "help.report.communities": (
        "community (社区) polygons: a section per community",
        "社区边界多边形：每个社区一节",
    ),
    "help.report.grids": (
        "grid polygons (e.g. a grids run's shequ.gpkg): a section per grid",
        "网格多边形（如网格划分结果的 shequ.gpkg）：每个网格一节",
    ),
    "help.hotspots.levels": (
        "warning-level rule: significance (default: red only for 99 %% hot spots in the top of "
        "the risk index) or quota (fixed shares of cells); default: the profile's risk.levels.rule",
        "预警等级规则：significance（默认：仅 99%% 置信热点且风险指数居前者为红色）或 quota"
        "（按固定比例）；默认取配置 risk.levels.rule",
    ),
    "help.cmd.demo": (
        "run the four analyses (living circles, canteen siting, grids, hotspots on synthetic "
        "incidents) on the bundled central Nanjing extract (OpenStreetMap, ODbL)",
        "在自带的南京新街口数据（OpenStreetMap，ODbL）上运行四项分析（生活圈、助餐点选址、"
        "网格划分、基于合成事件的风险热点）",
    ),
    "help.cmd.access": (
        "living-circle audit: walk minutes from homes to facilities",
        "生活圈评估：住宅到各类设施的步行分钟数",
    ),
    "help.access.kind": (
        "kind of the --facilities file(s), e.g. kindergarten",
        "--facilities 文件的设施类型，例如 kindergarten",
    ),
    "help.access.kinds": (
        "comma-separated kinds to audit (default: all in the profile)",
        "评估的设施类型，以逗号分隔（默认：配置中的全部类型）",
    ),
    "help.access.bands": (
        "isochrone minutes, e.g. 5,10,15 (default: each kind's threshold)",
        "等时圈分钟数，例如 5,10,15（默认：各类型的标准）",
    ),
    "help.access.no_isochrones": ("skip isochrone polygons", "不生成等时圈多边形"),
    "help.common.out": ("output folder (default: shequ-out)", "输出文件夹（默认：shequ-out）"),
    "help.common.lang": ("messages and map labels", "提示信息与地图标注的语言"),
    "help.common.quiet": ("no progress bars", "不显示进度条"),
    "help.common.no_map": ("skip map.html", "不生成 map.html"),
    "help.common.verbose": ("log details", "输出详细日志"),
    # shequ access --grids / shequ hotspots --grids: results per grid (issue 13, item 5)
    "help.access.grids": (
        "grid polygons (e.g. the grids layer of a shequ grids output): adds the audit per grid "
        "(grid_audit layer and grid_audit.csv)",
        "网格多边形（例如 shequ grids 输出中的 grids 图层）：另按网格汇总覆盖情况"
        "（grid_audit 图层与 grid_audit.csv）",
    ),
}
