"""``shequ demo``: the four analyses on a small Chinese extract shipped inside the package.

The first thing a new user runs should look like their own work: central Nanjing (新街口), not
Helsinki. The extract (``shequ/data/demo``, OpenStreetMap under the ODbL, source and commit in
``SOURCE.md`` there) is the shared Nanjing Xinjiekou extract as PBF (114 kB): about 1,300
buildings, 380 streets, shops, schools and clinics, several dozen street blocks.

The demo writes one folder holding a sub-folder per analysis (``access/``, ``site/``,
``grids/``, ``hotspots/``, each exactly what that command writes), the incidents it made up
for the hotspot analysis, and ``report/report.html`` assembling the four with a section per
grid (``shequ report``). There are no real incident data for the area, so incidents are
*synthetic*: drawn around the homes with a seeded generator and one growing cluster, every type
marked "(合成)/(synthetic)" and the file named so; they show how the analysis reads, not where
risks are.
"""

from __future__ import annotations

from dataclasses import dataclass
from importlib import resources
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd

from shequ.errors import InputError
from shequ.geo.output_folder import output_folder
from shequ.geo.outputs import write_csv, write_text
from shequ.i18n import Note
from shequ.jobs.access import AccessOptions, AccessResult, compute_access, write_access_outputs
from shequ.jobs.grids import GridOptions, GridResult, compute_grids, write_grid_outputs
from shequ.jobs.hotspots import (
    HotspotOptions,
    HotspotResult,
    compute_hotspots,
    write_hotspot_outputs,
)
from shequ.jobs.inputs import Progress, no_progress
from shequ.jobs.report import ReportOptions, compute_report, write_report
from shequ.jobs.siting import SiteOptions, SiteResult, compute_siting, write_siting_outputs

DEMO_FILE = "nanjing_xinjiekou.osm.pbf"
INCIDENTS_FILE = "incidents_synthetic.csv"
SITE_KIND = "canteen"  # 老年助餐点: the facility the demo sites
SITE_P = 3
GRID_SECONDS = 15.0  # the grid search's time limit (the demo should take about a minute)
SYNTHETIC_TYPES = {
    "zh": ("噪音扰民（合成）", "占道经营（合成）", "垃圾堆放（合成）", "电动车违规充电（合成）"),
    "en": ("noise (synthetic)", "street vending (synthetic)", "dumped waste (synthetic)",
           "e-bike charging indoors (synthetic)"),
}  # fmt: skip


@dataclass
class DemoResult:
    """The four analyses of the demo and where they were written."""

    out: Path
    access: AccessResult
    site: SiteResult
    grids: GridResult
    hotspots: HotspotResult
    incidents: int


def demo_osm_path() -> Path:
    """The demo extract inside the installed package (no download, no ../shared)."""
    path = Path(str(resources.files("shequ.data").joinpath("demo", DEMO_FILE)))
    if not path.exists():
        raise InputError(Note("e.demo_missing"))
    return path


def synthetic_incidents(homes, lang: str, n: int = 900, seed: int = 2026) -> pd.DataFrame:
    """Made-up incidents around ``homes`` for the demo's hotspot analysis.

    Two thirds are spread over the homes in proportion to their households, one third falls
    within about 120 m of one home and grows through the year (so a hot spot and a rising trend
    are there to be found). Times span the twelve months of 2025; types are the
    :data:`SYNTHETIC_TYPES` of ``lang``, each marked synthetic.

    Returns
    -------
    DataFrame
        ``lon``, ``lat`` (WGS-84), ``time`` (ISO), ``type``, ``synthetic`` (always "yes").
    """
    rng = np.random.default_rng(seed)
    metric = homes[homes["households"] > 0]
    xy = np.column_stack([metric.geometry.x, metric.geometry.y])
    weight = metric["households"].to_numpy(float)
    spread = int(n * 2 / 3)
    picked = rng.choice(len(xy), size=spread, p=weight / weight.sum())
    points = xy[picked] + rng.normal(0.0, 25.0, size=(spread, 2))
    days = rng.uniform(0, 365, size=spread)
    centre = xy[rng.integers(len(xy))]
    cluster = n - spread
    # a cluster growing through the year: later days are likelier (density rising linearly)
    cluster_days = 365 * np.sqrt(rng.uniform(0, 1, size=cluster))
    points = np.vstack([points, centre + rng.normal(0.0, 60.0, size=(cluster, 2))])
    days = np.concatenate([days, cluster_days])
    lonlat = gpd.GeoSeries.from_xy(points[:, 0], points[:, 1], crs=homes.crs).to_crs(4326)
    start = pd.Timestamp("2025-01-01")
    times = start + pd.to_timedelta(np.floor(days * 24 * 60), unit="min")
    types = SYNTHETIC_TYPES["zh" if lang == "zh" else "en"]
    frame = pd.DataFrame(
        {
            "lon": lonlat.x.round(6).to_numpy(),
            "lat": lonlat.y.round(6).to_numpy(),
            "time": times.strftime("%Y-%m-%d %H:%M"),
            "type": np.asarray(types, dtype=object)[rng.integers(len(types), size=n)],
            "synthetic": "yes",
        }
    )
    return frame.sort_values("time", kind="stable").reset_index(drop=True)


def run_demo(
    out: Path,
    lang: str = "en",
    progress: Progress = no_progress,
    *,
    with_map: bool = True,
) -> DemoResult:
    """Run the four analyses on the bundled extract and write them under ``out``.

    Parameters
    ----------
    out : Path
        The demo folder (written whole or not at all, like every ``--out``).
    lang : {"zh", "en"}
        Language of the maps and of the synthetic incident types.
    progress : Progress
        Progress bars of the analyses.
    with_map : bool
        Write each analysis' ``map.html``.

    Returns
    -------
    DemoResult
    """
    osm = demo_osm_path()
    with output_folder(out, "demo") as staging:
        access = compute_access(AccessOptions(osm=osm), progress)
        write_access_outputs(access, staging / "access", lang=lang, with_map=with_map)
        site = compute_siting(SiteOptions(osm=osm, kind=SITE_KIND, p=SITE_P), progress)
        write_siting_outputs(site, staging / "site", lang=lang, with_map=with_map)
        grids = compute_grids(GridOptions(osm=osm, time_limit_s=GRID_SECONDS), progress)
        write_grid_outputs(grids, staging / "grids", lang=lang, with_map=with_map)
        incidents = synthetic_incidents(access.homes, lang)
        write_csv(staging / INCIDENTS_FILE, incidents)
        hot_opts = HotspotOptions(
            incidents=staging / INCIDENTS_FILE,
            osm=osm,
            grids=staging / "grids" / "shequ.gpkg",
        )
        hotspots = compute_hotspots(hot_opts, progress)
        write_hotspot_outputs(hotspots, staging / "hotspots", lang=lang, with_map=with_map)
        runs = [staging / name for name in ("access", "site", "grids", "hotspots")]
        report = compute_report(ReportOptions(runs=runs, grids=staging / "grids" / "shequ.gpkg"))
        write_report(report, staging / "report", lang=lang)
    _relocate(out, staging)
    return DemoResult(out, access, site, grids, hotspots, len(incidents))


def _relocate(out: Path, staging: Path) -> None:
    """Paths the analyses recorded while they were written in the staging folder (the
    incidents file, the report's runs) now point into ``out``, where the folder was swapped
    in: each ``run.json`` and the report are rewritten with the final path."""
    old, new = str(staging), str(Path(out).resolve())
    for path in [*out.glob("*/run.json"), out / "report" / "report.html"]:
        if path.is_file():
            text = path.read_text(encoding="utf-8")
            if old in text:
                write_text(path, text.replace(old, new))


__all__ = ["DemoResult", "demo_osm_path", "run_demo", "synthetic_incidents"]
