"""Errors and reject reasons of the readers (``geo/``): files, rows, columns, coordinates, OSM.

``e.*`` are errors (an :class:`~shequ.errors.InputError`'s message), ``r.*`` the reasons a row
goes to ``rejects.csv``, ``in.*`` pieces that fill a placeholder of those (a list of columns,
what a file looks like, a range of values). Names from the user's files (columns, kinds, file
names) and a library's own words (``{detail}``) are data: the Chinese shows them in quotes.
"""

MESSAGES: dict[str, tuple[str, str]] = {
    # key: (en, zh)
    # --- pieces that fill placeholders ---------------------------------------------------------
    "in.columns": ("{names}", "“{names}”"),
    "in.columns_more": ("{names} … ({n} in all)", "“{names}”等（共 {n} 列）"),
    "in.columns_none": ("(none)", "（无）"),
    "in.accepted": ("{column} ({others})", "“{column}, {others}”"),
    "in.accepted_one": ("{column}", "“{column}”"),
    "in.range": ("{low} to {high}", "{low} 至 {high}"),
    "in.xy_range": ("x {x}, y {y}", "x {x}，y {y}"),
    "in.known_kinds": ("known kinds: {kinds}", "可用的设施类型：“{kinds}”"),
    "in.crs_accepted": (
        "accepted: wgs84 (WGS-84, EPSG:4326), cgcs2000 (EPSG:4490), gcj02 (GCJ-02, amap), "
        "bd09 (BD-09, baidu) or EPSG:<code> of a geographic or projected CRS",
        "可用：wgs84（WGS-84、EPSG:4326）、cgcs2000（EPSG:4490）、gcj02（GCJ-02，高德）、"
        "bd09（BD-09，百度），或地理/投影坐标系的 EPSG:<代码>",
    ),
    # what a file that is not text looks like (fills {what} of e.csv_not_text)
    "in.looks_word": ("looks like a Word document", "看起来是 Word 文档"),
    "in.looks_excel": (
        "looks like an Excel workbook: save it as CSV UTF-8",
        "看起来是 Excel 工作簿：请另存为 CSV UTF-8 格式",
    ),
    "in.looks_zip": (
        "looks like a ZIP archive: unpack it, or save the table as CSV UTF-8",
        "看起来是 ZIP 压缩包：请先解压，或将表格另存为 CSV UTF-8 格式",
    ),
    "in.looks_xls": (
        "looks like an Excel 97-2003 workbook: save it as CSV UTF-8",
        "看起来是 Excel 97-2003 工作簿：请另存为 CSV UTF-8 格式",
    ),
    "in.looks_sqlite": (
        "looks like a GeoPackage/SQLite database: name it .gpkg",
        "看起来是 GeoPackage/SQLite 数据库：请将扩展名改为 .gpkg",
    ),
    "in.looks_pdf": ("looks like a PDF document", "看起来是 PDF 文档"),
    "in.looks_gzip": (
        "looks like a gzip archive: unpack it first",
        "看起来是 gzip 压缩文件：请先解压",
    ),
    "in.looks_rtf": (
        "looks like an RTF document: save the table as CSV UTF-8",
        "看起来是 RTF 文档：请将表格另存为 CSV UTF-8 格式",
    ),
    "in.looks_binary": ("binary data, not text", "二进制数据，不是文本"),
    # --- any input file ------------------------------------------------------------------------
    "e.input_not_found": ("file not found", "找不到文件"),
    "e.input_not_a_file": ("not a file", "不是文件"),
    "e.input_empty": ("the file is empty", "文件为空"),
    "e.input_no_rows": ("the file has no rows", "文件中没有数据行"),
    "e.input_no_rows_columns": (
        "the file has no rows; columns found: {columns}",
        "文件中没有数据行；文件中的列：{columns}",
    ),
    "e.no_usable_rows_all": (
        "no row could be used (all rejected for: {example}); columns found: {columns}",
        "没有可用的行（全部被拒绝，原因：{example}）；文件中的列：{columns}",
    ),
    "e.no_usable_rows_some": (
        "no row could be used ({count} of the {total} rejected for: {example}); "
        "columns found: {columns}",
        "没有可用的行（{total} 行中有 {count} 行因以下原因被拒绝：{example}）；"
        "文件中的列：{columns}",
    ),
    "e.no_usable_rows_all_hint": (
        "no row could be used (all rejected for: {example}; {hint}); columns found: {columns}",
        "没有可用的行（全部被拒绝，原因：{example}；{hint}）；文件中的列：{columns}",
    ),
    "e.no_usable_rows_some_hint": (
        "no row could be used ({count} of the {total} rejected for: {example}; {hint}); "
        "columns found: {columns}",
        "没有可用的行（{total} 行中有 {count} 行因以下原因被拒绝：{example}；{hint}）；"
        "文件中的列：{columns}",
    ),
    # --- point files: type, layer, coordinate system -------------------------------------------
    "e.points_file_type": (
        "unsupported file type: use .csv (lon/lat columns), .geojson, .gpkg or .shp",
        "不支持的文件类型：请使用 .csv（含经纬度列）、.geojson、.gpkg 或 .shp",
    ),
    "e.layer_unreadable": ("cannot read the layer ({detail})", "无法读取图层（“{detail}”）"),
    "e.no_geometry_column": ("the file has no geometry column", "文件中没有几何列"),
    "e.crs_degrees_but_metres": (
        "the file's coordinate system {crs} is in degrees but its coordinates look like metres "
        "({seen}): fix the file's CRS (.prj)",
        "文件的坐标系“{crs}”以度为单位，但坐标值看起来是米（{seen}）：请修正文件的坐标系定义（.prj）",
    ),
    "e.not_degrees_no_crs": (
        "coordinates are not degrees ({seen}: metres?) and the file has no CRS; give --crs EPSG:n "
        "(e.g. EPSG:4547 for CGCS2000 Gauss-Krüger 114°E, EPSG:32650 for UTM 50N)",
        "坐标值不是度（{seen}，可能是米？），且文件未定义坐标系；请用 --crs EPSG:n 指定"
        "（例如 CGCS2000 高斯-克吕格 114°E 投影带为 EPSG:4547，UTM 50N 带为 EPSG:32650）",
    ),
    "e.looks_like_degrees": (
        "coordinates look like degrees (lon {lon}, lat {lat}) but {crs} is a projected CRS in "
        "metres: give --crs wgs84 (or the right CRS)",
        "坐标值看起来是经纬度（经度 {lon}，纬度 {lat}），但 {crs} 是以米为单位的投影坐标系："
        "请使用 --crs wgs84（或正确的坐标系）",
    ),
    "e.crs_no_epsg": (
        "the file's coordinate system {crs!r} has no EPSG code; pass --crs",
        "文件的坐标系 {crs!r} 没有 EPSG 代码；请用 --crs 指定坐标系",
    ),
    "e.lat_lon_swapped": (
        "latitude and longitude look swapped ({n} of {total} rows have |lat| > 90 but a valid "
        "latitude in the longitude column); swap the columns",
        "经纬度疑似颠倒（{total} 行中有 {n} 行纬度绝对值大于 90，而经度列中是有效的纬度）；"
        "请交换这两列",
    ),
    "r.no_geometry": ("no geometry (empty or missing)", "没有几何图形（为空或缺失）"),
    "r.geometry_not_finite": (
        "the geometry has non-numeric (NaN/infinite) coordinates",
        "几何图形的坐标含有非数值（NaN 或无穷大）",
    ),
    "r.coords_metres": (
        "coordinates ({x:.10g}, {y:.10g}) look like metres, not degrees",
        "坐标（{x:.10g}, {y:.10g}）看起来是米，而不是度",
    ),
    "r.coords_out_of_range": (
        "coordinates ({x:.10g}, {y:.10g}) out of range (lat/lon swapped?)",
        "坐标（{x:.10g}, {y:.10g}）超出范围（经纬度是否颠倒？）",
    ),
    "r.coords_not_convertible": (
        "coordinates ({x:.10g}, {y:.10g}) cannot be converted from {crs}",
        "坐标（{x:.10g}, {y:.10g}）无法从 {crs} 转换",
    ),
    # --- CSV tables ----------------------------------------------------------------------------
    "e.csv_not_text": ("not a text CSV ({what})", "不是文本 CSV 文件（{what}）"),
    "e.csv_encoding": (
        "not a text CSV: line {line} (byte {offset}) is not {encoding} text; "
        "save the table as CSV UTF-8",
        "不是文本 CSV 文件：第 {line} 行（字节位置 {offset}）不是 {encoding} 编码的文本；"
        "请将表格另存为 CSV UTF-8 格式",
    ),
    "e.csv_encoding_either": (
        "not a text CSV: line {line} (byte {offset}) is not {first} or {second} text; "
        "save the table as CSV UTF-8",
        "不是文本 CSV 文件：第 {line} 行（字节位置 {offset}）既不是 {first} 也不是 {second} "
        "编码的文本；请将表格另存为 CSV UTF-8 格式",
    ),
    "e.csv_no_coordinates": (
        "CSV needs longitude and latitude columns ({lon}; {lat}); columns found: {columns}",
        "CSV 文件需要经度列和纬度列（经度列名可为{lon}，纬度列名可为{lat}）；文件中的列：{columns}",
    ),
    "e.csv_unreadable": ("cannot read CSV ({detail})", "无法读取 CSV 文件（“{detail}”）"),
    "e.csv_blank": ("the file holds only blank lines", "文件中只有空行"),
    "e.csv_header": ("cannot read the header line ({detail})", "无法读取表头行（“{detail}”）"),
    "r.row_ragged": (
        "the row has {fields} fields but the header has {expected} "
        "(a value with an unquoted comma?)",
        "该行有 {fields} 个字段，而表头只有 {expected} 个（是否有值含未加引号的逗号？）",
    ),
    "r.row_empty": ("empty row", "空行"),
    "r.row_bad_bytes": (
        "the row holds bytes that are not text in the file's encoding",
        "该行含有不符合文件编码的字节",
    ),
    "r.no_coordinates": (
        "missing or non-numeric coordinates (lon {lon!r}, lat {lat!r})",
        "坐标缺失或不是数字（经度 {lon!r}，纬度 {lat!r}）",
    ),
    # --- coordinate systems and the study area's metric CRS -----------------------------------
    "e.crs_unknown": (
        "unknown coordinate system {name!r}; {accepted}",
        "未知坐标系 {name!r}；{accepted}",
    ),
    "e.crs_unknown_epsg": (
        "unknown EPSG code {name!r}; {accepted}",
        "未知的 EPSG 代码 {name!r}；{accepted}",
    ),
    "e.crs_not_usable": (
        "not a geographic or projected CRS: {name!r}; {accepted}",
        "{name!r} 既不是地理坐标系，也不是投影坐标系；{accepted}",
    ),
    "e.bbox_not_finite": (
        "bounding box has a non-finite value: {values}",
        "范围框含有非有限数值：{values}",
    ),
    "e.bbox_min_max": (
        "bounding box min exceeds max: {values}",
        "范围框的最小值大于最大值：{values}",
    ),
    "e.bbox_not_degrees": (
        "bounding box is not lon/lat degrees: {values}",
        "范围框不是以度为单位的经纬度：{values}",
    ),
    "e.utm_coverage": (
        "latitude {lat:.4f} is outside UTM coverage (80S to 84N)",
        "纬度 {lat:.4f} 超出 UTM 的覆盖范围（南纬 80° 至北纬 84°）",
    ),
    "e.gk_zone": (
        "longitude {lon:.4f} has no CGCS2000 3-degree Gauss-Kruger zone "
        "(central meridians {first}E to {last}E)",
        "经度 {lon:.4f} 不在任何 CGCS2000 3 度带高斯-克吕格投影带内"
        "（中央经线为东经 {first}° 至 {last}°）",
    ),
    "e.metric_kind": (
        "unknown metric CRS kind {kind!r}; accepted: utm, cgcs2000_gk",
        "未知的米制坐标系类型 {kind!r}；可用：utm、cgcs2000_gk",
    ),
    # --- homes ---------------------------------------------------------------------------------
    "e.homes_no_demand": (
        "no households or population column (accepted headers: {households}; {population}); "
        "columns found: {columns}",
        "没有户数列或人口列（户数列名可为{households}，人口列名可为{population}）；"
        "文件中的列：{columns}",
    ),
    "r.footprint_small": (
        "footprint under {m2:g} m2: not a dwelling",
        "建筑基底面积小于 {m2:g} 平方米：不是住宅",
    ),
    "r.part_over_population": (
        "{col} {part:g} is more than the population {whole:g}",
        "“{col}”列的值 {part:g} 超过人口数 {whole:g}",
    ),
    "r.no_demand": (
        "no households or population value, and no footprint to estimate from",
        "没有户数或人口数，也没有可用于估算的建筑轮廓",
    ),
    "r.count_not_number": ("{col} {v!r} is not a number", "“{col}”列的值 {v!r} 不是数字"),
    "r.count_not_finite": (
        "{col} {v!r} is not a finite number",
        "“{col}”列的值 {v!r} 不是有限数值",
    ),
    "r.count_negative": (
        "{col} {v} is negative: a count must be ≥ 0",
        "“{col}”列的值 {v} 为负数：数量必须不小于 0",
    ),
    "r.count_implausible": (
        "{col} {v} is outside the plausible range 0–{limit:g} per home",
        "“{col}”列的值 {v} 超出每处住宅的合理范围 0–{limit:g}",
    ),
    "r.id_empty": ("{column} is empty", "“{column}”为空"),
    "r.id_duplicate": (
        "duplicate {column} {ident!r} (first at row {first})",
        "“{column}”重复：{ident!r}（首次出现在第 {first} 行）",
    ),
    # --- facilities ----------------------------------------------------------------------------
    "e.facilities_no_kind": (
        "facility file has no kind column ({accepted}); pass --kind with one of: {kinds}; "
        "columns found: {columns}",
        "设施文件没有类型列（列名可为{accepted}）；请用 --kind 指定以下类型之一：“{kinds}”；"
        "文件中的列：{columns}",
    ),
    "r.kind_empty": ("empty kind", "设施类型为空"),
    "r.kind_unknown": ("unknown kind {kind!r}", "未知的设施类型 {kind!r}"),
    "r.kind_filtered": (
        "kind {kind} filtered out: not in this run's kinds ({kinds}; --kinds)",
        "设施类型 {kind} 已被筛除：不在本次运行的类型中（“{kinds}”；见 --kinds）",
    ),
    "r.no_street": (
        "{what}: no walkable street within {m:g} m (outside the study area?)",
        "{what}：{m:g} 米内没有可步行的街道（是否位于研究区外？）",
    ),
    # --- candidate sites -----------------------------------------------------------------------
    "r.candidate_number": (
        "{column} must be a number ≥ 0, got {value!r}",
        "“{column}”必须是不小于 0 的数，实际为 {value!r}",
    ),
    "r.excluded_near": ("{rule}: {d:.0f} m from {label}", "“{rule}”：距 {label} 仅 {d:.0f} 米"),
    # --- incidents -----------------------------------------------------------------------------
    "e.no_time_column": (
        "no time column {wanted!r}; columns found: {columns}",
        "没有时间列 {wanted!r}；文件中的列：{columns}",
    ),
    "e.no_type_column": (
        "no type column {wanted!r}; columns found: {columns}",
        "没有类型列 {wanted!r}；文件中的列：{columns}",
    ),
    "e.trends_need_time": (
        "trends need a time column: none of {columns} looks like one; pass --time-col",
        "趋势分析需要时间列：{columns} 中没有像是时间的列；请用 --time-col 指定",
    ),
    "r.time_empty": ("empty time", "时间为空"),
    "r.time_unreadable": (
        "cannot read time {text!r} (format {fmt})",
        "无法读取时间 {text!r}（格式 {fmt}）",
    ),
    "r.date_future": ("date in the future ({text})", "日期晚于当前时间（{text}）"),
    "r.date_too_early": ("date before {date} ({text})", "日期早于 {date}（{text}）"),
    "r.type_empty": ("empty type", "事件类型为空"),
    # --- polygon files -------------------------------------------------------------------------
    "e.polygons_file_type": (
        "polygons must come as .geojson, .gpkg, .shp or .parquet",
        "面数据必须是 .geojson、.gpkg、.shp 或 .parquet 格式",
    ),
    "r.not_polygon": ("not a polygon (or empty geometry)", "不是面（或几何图形为空）"),
    "r.polygon_not_finite": (
        "the polygon has non-numeric (NaN/infinite) coordinates",
        "面的坐标含有非数值（NaN 或无穷大）",
    ),
    "r.polygon_out_of_range": ("coordinates out of range for degrees", "坐标超出经纬度的取值范围"),
    "r.polygon_not_convertible": (
        "the polygon cannot be converted from {crs}",
        "该面无法从 {crs} 转换",
    ),
    # --- population rasters --------------------------------------------------------------------
    "e.raster_not_found": ("raster file not found", "找不到栅格文件"),
    "e.raster_unreadable": ("cannot read the raster ({detail})", "无法读取栅格文件（“{detail}”）"),
    "e.raster_grids": (
        "rasters must share one grid (CRS, pixel size, extent)",
        "各栅格的坐标系、像元大小和范围必须一致",
    ),
    "e.raster_no_homes": ("no homes to distribute the raster to", "没有可分配栅格人口的住宅"),
    "e.raster_column": (
        "raster column must be one of {choices}, not {column!r}",
        "栅格人口字段必须是“{choices}”之一，而不是 {column!r}",
    ),
    # --- OSM -----------------------------------------------------------------------------------
    "e.osm_suffix": (
        "not an OSM file: expected .osm, .osm.gz, .osm.bz2 or .osm.pbf",
        "不是 OSM 文件：应为 .osm、.osm.gz、.osm.bz2 或 .osm.pbf",
    ),
    "e.osm_unreadable": ("cannot read OSM data ({detail})", "无法读取 OSM 数据（“{detail}”）"),
    "e.osm_nothing": (
        "the file holds no OSM ways or tagged features (empty area?)",
        "文件中没有 OSM 路径，也没有带标签的地物（区域为空？）",
    ),
    "e.osm_no_bounds": (
        "the file holds no streets and no features",
        "文件中没有街道，也没有地物",
    ),
    "e.no_walkable_streets": (
        "no walkable streets in the file (empty area?)",
        "文件中没有可步行的街道（区域为空？）",
    ),
    "e.geocode": (
        "cannot geocode place {place!r} ({detail})",
        "无法查到地名 {place!r} 的位置（“{detail}”）",
    ),
    "e.online_which": (
        "give either a place name or a bbox for --online",
        "--online 需要地名或范围框，二者给出其一",
    ),
    "e.online_bbox": (
        "bbox must be west,south,east,north with west<east, south<north: {bbox}",
        "范围框应为 西,南,东,北，且西<东、南<北：{bbox}",
    ),
    "e.overpass": (
        "Overpass download failed ({detail}); run offline with --osm FILE",
        "Overpass 下载失败（“{detail}”）；请改用 --osm 文件离线运行",
    ),
    # --- the output folder ---------------------------------------------------------------------
    "e.out_is_a_file": (
        "is a file, not a folder: give a folder for the outputs",
        "是文件而不是文件夹：请指定一个文件夹存放结果",
    ),
    "e.out_is_current": (
        "is the current folder, which shequ would replace as a whole: "
        "give a folder inside it, such as out",
        "是当前文件夹，shequ 会整体替换它：请指定其中的子文件夹，例如 out",
    ),
    "e.out_is_mount": (
        "is a mount point, which cannot be replaced: give a folder inside it",
        "是挂载点，无法替换：请指定其中的子文件夹",
    ),
    "e.out_parent_is_a_file": ("is a file, not a folder", "是文件而不是文件夹"),
    "e.out_not_shequ": (
        "is not empty and holds no shequ outputs; shequ replaces the whole output folder, "
        "so choose an empty or new folder",
        "不是空文件夹，且其中没有 shequ 的结果；shequ 会整体替换结果文件夹，"
        "请选择空文件夹或新文件夹",
    ),
    "e.out_foreign": (
        "holds files shequ did not write ({names}); shequ replaces the whole output folder, "
        "so move them away or choose an empty or new folder",
        "含有不是 shequ 写入的文件（“{names}”）；shequ 会整体替换结果文件夹，"
        "请移走这些文件，或选择空文件夹或新文件夹",
    ),
    "e.out_foreign_more": (
        "holds files shequ did not write ({names} and {more} more); shequ replaces the whole "
        "output folder, so move them away or choose an empty or new folder",
        "含有不是 shequ 写入的文件（“{names}”等，另有 {more} 个）；shequ 会整体替换结果文件夹，"
        "请移走这些文件，或选择空文件夹或新文件夹",
    ),
    "e.out_locked": (
        "another shequ run is writing to this folder; "
        "wait for it to end or choose another output folder",
        "另一个 shequ 任务正在写入该文件夹；请等待其结束，或选择其他结果文件夹",
    ),
    "e.out_locked_pid": (
        "another shequ run (pid {pid}) is writing to this folder; "
        "wait for it to end or choose another output folder",
        "另一个 shequ 任务（进程号 {pid}）正在写入该文件夹；请等待其结束，或选择其他结果文件夹",
    ),
    "e.disk_full_detail": (
        "no space left on device ({detail})",
        "磁盘空间不足（“{detail}”）",
    ),
    "e.write_failed": ("could not write: {detail}", "无法写入：“{detail}”"),
    "e.write_failed_kind": ("could not write ({kind})", "无法写入（{kind}）"),
    # --- Amap / Baidu exports: the system they are read in (geo/points_file.py crs_note) ---
    "n.crs_export_default": (
        "{file} is an export from {source} and was read as {name}, the system {source} "
        "publishes in; if it was converted to WGS-84 already, pass --crs wgs84",
        "{file} 是{source}导出的数据，已按{source}自身的 {name} 坐标读取；"
        "如已转换为 WGS-84，请使用 --crs wgs84",
    ),
    "n.crs_export_given": (
        "{file} is an export from {source} and was read as {name}, as --crs says",
        "{file} 是{source}导出的数据，已按 --crs 指定的 {name} 坐标读取",
    ),
    "n.crs_export_file": (
        "{file} is an export from {source} and was read as {name}, as the file itself says",
        "{file} 是{source}导出的数据，已按文件自带的 {name} 坐标读取",
    ),
}
