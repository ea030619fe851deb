"""Messages of ``shequ batch``: many areas of a region on Dask (``batch.*``, ``e.batch_*``).

Its options' help, its errors (areas file, batch folder, options), the walking-halo note and the
lines it prints at the end.
"""

from __future__ import annotations

MESSAGES: dict[str, tuple[str, str]] = {
    # --- help -----------------------------------------------------------------------------
    "help.cmd.batch": (
        "run analyses over many areas of a region (街道, districts or automatic tiles), each "
        "cut with a walking halo and run in a Dask task",
        "对一个地区的多个片区（街道、区或自动切块）逐一运行分析：每个片区连同步行缓冲区"
        "一起裁出，在 Dask 任务中运行",
    ),
    "help.batch.osm": (
        "the region's OSM file (.osm.pbf of a city or province)",
        "整个地区的 OSM 文件（城市或省份的 .osm.pbf）",
    ),
    "help.batch.areas": (
        "area polygons (街道 or district boundaries); default: automatic tiles of at most "
        "--tile-nodes street nodes",
        "片区多边形（街道或区的边界）；默认：按 --tile-nodes 个道路节点自动切块",
    ),
    "help.batch.area_id": (
        "the areas file's id column (default: code, else name, else the row number)",
        "片区文件的编号列（默认：code，其次 name，再次行号）",
    ),
    "help.batch.tile_nodes": (
        "most street nodes per automatic tile (default: 40000)",
        "自动切块时每块最多的道路节点数（默认：40000）",
    ),
    "help.batch.halo": (
        "halo around each area, metres (default: twice the longest walk threshold of the "
        "profile plus the access distance; with hotspots at least risk.distance_cap_m + 1 km)",
        "每个片区外扩的缓冲距离（米；默认：配置中最长步行阈值的两倍加接入距离；"
        "含 hotspots 时至少为 risk.distance_cap_m 加 1 公里）",
    ),
    "help.batch.analyses": (
        "comma-separated analyses to run in each area: access, site, grids, hotspots "
        "(default: access)",
        "每个片区要运行的分析，逗号分隔：access、site、grids、hotspots（默认：access）",
    ),
    "help.batch.kind": (
        "site: the kind of facility to site (default: canteen)",
        "site：选址的设施类型（默认：canteen）",
    ),
    "help.batch.p": ("site: number of new sites per area", "site：每个片区新增站点数"),
    "help.batch.cover_all": (
        "site: fewest sites covering every home (LSCP)",
        "site：覆盖全部住宅的最少站点（LSCP）",
    ),
    "help.batch.time_limit": (
        "grids: search seconds per area (default: 60)",
        "grids：每个片区的搜索时间（秒，默认：60）",
    ),
    "help.batch.incidents": (
        "hotspots: the incident file (split by area once)",
        "hotspots：事件文件（按片区拆分一次）",
    ),
    "help.batch.incidents_crs": (
        "hotspots: coordinates of the incident file (wgs84, gcj02, bd09 or EPSG:n) when they "
        "differ from --crs (hotline exports are often GCJ-02)",
        "hotspots：事件文件的坐标系（wgs84、gcj02、bd09 或 EPSG:n），与 --crs 不同时使用"
        "（热线导出多为 GCJ-02）",
    ),
    "help.batch.res": (
        "hotspots: H3 resolution 0-15 of every area (default: chosen once on all the incidents "
        "inside the areas)",
        "hotspots：所有片区统一的 H3 分辨率 0-15（默认：按各片区内全部事件统一自动选择）",
    ),
    "help.batch.workers": (
        "worker processes of the local Dask cluster (default: 2)",
        "本地 Dask 集群的工作进程数（默认：2）",
    ),
    "help.batch.scheduler": (
        "address of an existing Dask scheduler (tcp://HOST:PORT) instead of a local cluster; "
        "its workers must see --out and the OSM file",
        "使用已有 Dask 调度器的地址（tcp://HOST:PORT）代替本地集群；其工作节点须能访问 "
        "--out 与 OSM 文件",
    ),
    "help.batch.retries": (
        "times a failing area is run again (default: 2)",
        "片区运行出错时的重试次数（默认：2）",
    ),
    "progress.batch": ("areas", "片区"),
    # --- errors ---------------------------------------------------------------------------
    "e.batch_id_column": (
        "no column {column!r} in the areas file",
        "片区文件中没有 {column!r} 列",
    ),
    "e.batch_overlap": (
        "areas {a!r} (row {row_a}) and {b!r} (row {row_b}) overlap by {m2} m² ({share}% of the "
        "smaller): their homes and grids would be counted twice; correct the boundaries",
        "片区 {a!r}（第 {row_a} 行）与 {b!r}（第 {row_b} 行）重叠 {m2} 平方米（占较小者的 "
        "{share}%）：其住户和网格将被重复计算；请修正边界",
    ),
    "e.batch_duplicate_id": (
        "area id {id!r} appears twice (rows {first} and {row}): give each area its own id "
        "(--area-id names the column)",
        "片区编号 {id!r} 出现两次（第 {first} 行与第 {row} 行）：每个片区须有唯一编号"
        "（用 --area-id 指定编号列）",
    ),
    "e.batch_tile_nodes": (
        "--tile-nodes must be at least 1 (got {n})",
        "--tile-nodes 至少为 1（收到 {n}）",
    ),
    "e.batch_no_streets": (
        "the OSM file holds no street to tile: give --areas, or an extract with streets",
        "OSM 文件中没有可切块的道路：请给出 --areas，或含道路的数据",
    ),
    "e.batch_analyses": (
        "unknown analyses {names}: choose among access, site, grids, hotspots",
        "未知的分析 {names}：可选 access、site、grids、hotspots",
    ),
    "e.batch_no_incidents": (
        "hotspots need --incidents",
        "hotspots 分析需要 --incidents",
    ),
    "e.batch_workers": (
        "--workers must be at least 1 and --retries at least 0 (got {workers} and {retries})",
        "--workers 至少为 1，--retries 至少为 0（收到 {workers} 与 {retries}）",
    ),
    "e.batch_out_not_folder": (
        "--out is a file, not a folder",
        "--out 是文件，不是文件夹",
    ),
    "e.batch_other_batch": (
        "this folder holds a batch run with other inputs or options: choose another --out, "
        "or remove the folder to start again",
        "该文件夹已有一次输入或选项不同的批量运行：请换一个 --out，或删除该文件夹后重新开始",
    ),
    "e.batch_out_not_empty": (
        "this folder holds files that are not a shequ batch: choose an empty or new --out",
        "该文件夹中有不属于 shequ 批量运行的文件：请使用空的或新的 --out",
    ),
    # --- notes, reasons and result lines ----------------------------------------------------
    "n.batch_halo": (
        "each area was cut with a walking halo of {halo:.0f} m: walks up to that length are "
        "exact, longer ones may be overstated (they may leave the area's extract)",
        "每个片区连同 {halo:.0f} 米的步行缓冲区裁出：不超过此长度的步行时间准确，更长的可能"
        "偏大（路线可能超出片区数据范围）",
    ),
    "unreachable.beyond_halo": (
        "no {kind} facility within {halo:.0f} m walk (the batch's halo; a longer walk is not "
        "measured in the area's extract)",
        "步行 {halo:.0f} 米内没有“{kind}”类设施"
        "（批量运行的缓冲距离；更远的步行不在片区数据中计算）",
    ),
    "r.batch_outside": (
        "outside every area of the batch",
        "不在批量运行的任何片区内",
    ),
    "batch.done": (
        "{n} areas: {done} done ({skipped} finished earlier), {failed} failed; outputs in {out}",
        "共 {n} 个片区：完成 {done} 个（其中 {skipped} 个此前已完成），失败 {failed} 个；"
        "结果已写入 {out}",
    ),
    "batch.few_incidents": (
        "{n} incidents in this area, fewer than the {least} the statistics need: not analysed",
        "本片区仅有 {n} 起事件，少于统计所需的 {least} 起：未分析",
    ),
    "batch.coarse_cells": (
        "cells of resolution {res} reach {far} m beyond the area, more than the halo's "
        "{margin} m margin: distance factors of its edge cells may differ from a run on the "
        "whole region (give a larger --halo)",
        "{res} 级单元伸出片区达 {far} 米，超过外扩范围预留的 {margin} 米：边缘单元的距离因子"
        "可能与全域运行不同（可加大 --halo）",
    ),
    "batch.failed_area": ("area {id}: {error}", "片区 {id}：{error}"),
    "batch.summary": ("{analysis} summary: {path}", "{analysis} 汇总：{path}"),
}
