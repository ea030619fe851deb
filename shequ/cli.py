"""The ``shequ`` command: ``demo``, ``access``, ``site``, ``grids`` and ``hotspots``.

argparse from the standard library: no extra dependency, and each subcommand maps one-to-one
onto a job in :mod:`shequ.jobs`, imported only when its command runs (so ``--help`` is fast).
Bad input ends as one line on stderr and exit status 2.
"""

from __future__ import annotations

import argparse
import contextlib
import logging
import math
import re
import signal
import sys
import threading
from collections.abc import Callable, Iterator
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING, Any, NoReturn

from tqdm import tqdm

from shequ import __version__
from shequ.errors import InputError
from shequ.i18n import Note, default_lang, os_problem, render_note, t

if TYPE_CHECKING:
    import pandas as pd

    from shequ.jobs.access import AccessOptions, AccessResult
    from shequ.jobs.grids import GridResult
    from shequ.jobs.hotspots import HotspotResult
    from shequ.jobs.siting import SiteResult

EXIT_INPUT = 2
# The demand columns a population raster may replace (shequ.jobs.inputs.RASTER_COLUMNS; written out
# here so that parsing the options imports none of the jobs: tests check the two agree).
RASTER_COLUMNS = ("population", "elderly", "children")


class _Formatter(argparse.HelpFormatter):
    """argparse's formatter with its one fixed word, "usage:", in the user's language."""

    def __init__(self, *args: Any, lang: str = "en", **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.lang = lang

    def add_usage(self, usage: Any, actions: Any, groups: Any, prefix: str | None = None) -> None:
        super().add_usage(
            usage, actions, groups, t("help.usage", self.lang) if prefix is None else prefix
        )


class _Parser(argparse.ArgumentParser):
    """argparse, but a bad option is one line in the user's language and exit status 2.

    argparse prints the whole usage before its message; the planner needs the one line that
    names the option (``--help`` still shows the usage).
    """

    def __init__(self, *args: Any, lang: str = "en", **kwargs: Any) -> None:
        kwargs["add_help"] = False  # added below with its help in the user's language
        super().__init__(*args, **kwargs)
        self.lang = lang
        self._optionals.title = t("help.options", lang)
        self._positionals.title = t("help.positionals", lang)
        self.add_argument("-h", "--help", action="help", help=t("help.help", lang))

    def _get_formatter(self) -> argparse.HelpFormatter:
        return _Formatter(prog=self.prog, lang=self.lang)

    def error(self, message: str) -> NoReturn:
        text = _argparse_message(message, self.lang)
        self.exit(EXIT_INPUT, t("error", self.lang, msg=f"{self.prog}: {text}") + "\n")


def _lang_in(argv: list[str]) -> str:
    """The ``--lang`` the user gave (parsing may have stopped before reading it)."""
    for i, arg in enumerate(argv):
        if arg.startswith("--lang="):
            value = arg.split("=", 1)[1]
        elif arg == "--lang" and i + 1 < len(argv):
            value = argv[i + 1]
        else:
            continue
        if value in ("zh", "en"):
            return value
    return default_lang()


def _number(
    kind: type,
    lang: str,
    least: float | None = None,
    below: float | None = None,
    *,
    strict: bool = True,
) -> Callable[[str], float]:
    """An argparse ``type=``: a finite ``kind`` (int or float) in range, checked while parsing;
    its message in ``lang``."""

    def parse(text: str) -> float:
        try:
            value = kind(text)
        except ValueError:
            key = "opt.whole" if kind is int else "opt.number"
            raise argparse.ArgumentTypeError(t(key, lang, text=text)) from None
        if not math.isfinite(value):
            raise argparse.ArgumentTypeError(t("opt.finite", lang, text=text))
        if least is not None and (value <= least if strict else value < least):
            key = "opt.above" if strict else "opt.at_least"
            raise argparse.ArgumentTypeError(t(key, lang, least=f"{least:g}", text=text))
        if below is not None and value >= below:
            raise argparse.ArgumentTypeError(t("opt.below", lang, below=f"{below:g}", text=text))
        return value

    return parse


def _h3_resolution(lang: str) -> Callable[[str], int]:
    """``--res``: an H3 resolution, 0 (continents) to 15 (about 1 m²)."""

    def parse(text: str) -> int:
        try:
            res = int(text)
        except ValueError:
            res = -1
        if not 0 <= res <= 15:
            raise argparse.ArgumentTypeError(t("opt.h3_res", lang, text=text))
        return res

    return parse


def _crs_name(lang: str) -> Callable[[str], str]:
    """``--crs``: checked while parsing, whether or not a user file will need it."""

    def parse(text: str) -> str:
        from shequ.geo.coords import normalise_crs_name

        try:
            normalise_crs_name(text)
        except InputError:
            raise argparse.ArgumentTypeError(t("opt.crs", lang, text=text)) from None
        return text

    return parse


# argparse's own messages (English, from gettext), in the user's language: (pattern, key).
_ARGPARSE_MESSAGES = (
    (
        r"argument (?P<name>\S+): invalid choice: (?P<text>.*) \(choose from (?P<choices>.*)\)",
        "opt.choice",
    ),
    (r"argument (?P<name>\S+): not allowed with argument (?P<other>\S+)", "opt.not_with"),
    (r"argument (?P<name>\S+): expected one argument", "opt.needs_value"),
    (r"argument (?P<name>\S+): (?P<detail>.*)", "opt.argument"),
    (r"the following arguments are required: (?P<names>.*)", "opt.required"),
    (r"one of the arguments (?P<names>.*) is required", "opt.one_of"),
    (r"unrecognized arguments: (?P<names>.*)", "opt.unrecognized"),
)


def _argparse_message(message: str, lang: str) -> str:
    for pattern, key in _ARGPARSE_MESSAGES:
        found = re.fullmatch(pattern, message)
        if found:
            return t(key, lang, **found.groupdict())
    return message


def _bands(text: str | None) -> list[float] | None:
    if not text:
        return None
    try:
        values = [float(v) for v in text.split(",") if v.strip()]
    except ValueError:
        raise InputError(Note("e.bands_format", text=repr(text))) from None
    if not values or any(v <= 0 for v in values):
        raise InputError(Note("e.bands_positive", text=repr(text)))
    return values


def _bbox(text: str) -> tuple[float, float, float, float]:
    try:
        w, s, e, n = (float(v) for v in text.split(","))
    except ValueError:
        raise InputError(Note("e.bbox_format", text=repr(text))) from None
    return w, s, e, n


class _Progress:
    """The terminal's progress bars: one bar per step (a job calls it with the step's key and
    total). Closed by ``main`` before anything else is printed, so an error line never lands
    on the same line as a half-drawn bar."""

    def __init__(self, lang: str, quiet: bool) -> None:
        self.lang, self.quiet = lang, quiet
        self.bar: tqdm | None = None

    def __call__(self, key: str, total: int) -> Callable[[int], None]:
        self.close()
        self.bar = tqdm(
            total=total, desc=t(key, self.lang), disable=self.quiet, leave=False, file=sys.stderr
        )
        return self.bar.update

    def close(self) -> None:
        if self.bar is not None:
            self.bar.close()
            self.bar = None


def _print_notes(notes: list[str], warnings: list, lang: str) -> None:
    for note in notes:
        print(t("note", lang, msg=render_note(note, lang)), file=sys.stderr)
    for warning in warnings:
        params = dict(warning.params)
        if params.get("cause"):
            params["cause"] = t(str(params["cause"]), lang)
        print(t(warning.key, lang, **params), file=sys.stderr)


def _report(result: AccessResult, out: Path, lang: str) -> None:
    _print_notes(result.notes, result.warnings, lang)
    rows = result.summary[result.summary["is_threshold"]]
    for _, row in rows.iterrows():
        print(_summary_line(row, lang, result.facilities_read.get(row["kind"], 0)))
    print(t("done", lang, out=out))


def _summary_line(row: pd.Series, lang: str, read: int = 0) -> str:
    """One kind's line: its coverage, or what is missing when there is nothing to measure
    (never "0 %" for a kind with no facility in the data). ``read``: facilities of the kind
    read before the unattached ones were rejected (then they are in rejects.csv, not absent)."""
    kind = row["kind_zh"] if lang == "zh" else row["kind_en"]
    if row.get("data_status", "ok") == "no_facilities":
        if read:
            return t("summary.none_attached", lang, kind=kind, n=read)
        return t("summary.no_facilities", lang, kind=kind)
    share = row["households_share"]
    if share != share:  # homes, but none holds a household: a share of nothing is not 0 %
        return t("summary.no_households", lang, kind=kind)
    return t(
        "summary.line",
        lang,
        kind=kind,
        share=share,
        minutes=row["tier_min"],
        walker=t(f"walker.{row['walker']}", lang),
        speed=row["speed_mps"],
    )


def _run_access(opts: AccessOptions, args: argparse.Namespace) -> None:
    from shequ.jobs.access import compute_access, write_access_outputs

    result = compute_access(opts, args.progress)
    out = Path(args.out)
    write_access_outputs(result, out, lang=args.lang, with_map=not args.no_map)
    _report(result, out, args.lang)


def cmd_demo(args: argparse.Namespace) -> None:
    from shequ.jobs.demo import INCIDENTS_FILE, run_demo

    out = Path(args.out)
    demo = run_demo(out, args.lang, args.progress, with_map=not args.no_map)
    _report(demo.access, out / "access", args.lang)
    _site_report(demo.site, out / "site", args.lang)
    _grids_report(demo.grids, out / "grids", args.lang)
    print(t("demo.synthetic", args.lang, n=demo.incidents, file=out / INCIDENTS_FILE))
    _hotspots_report(demo.hotspots, out / "hotspots", args.lang)
    print(t("demo.open", args.lang, out=out, page=out / "report" / "report.html"))


def cmd_access(args: argparse.Namespace) -> None:
    from shequ.jobs.access import AccessOptions

    if args.kind and not args.facilities:
        raise InputError(Note("e.kind_without_facilities"))
    opts = AccessOptions(
        **_area_options(args, args.kind),
        kinds=args.kinds.split(",") if args.kinds else None,
        bands=_bands(args.bands),
        isochrones=not args.no_isochrones,
        grids=Path(args.grids) if args.grids else None,
    )
    _run_access(opts, args)


def _area_options(args: argparse.Namespace, kind: str | None) -> dict:
    """The InputOptions fields every job takes from the shared area flags."""
    return {
        "osm": _osm_source(args),
        "homes": Path(args.homes) if args.homes else None,
        "facilities": [(Path(f), kind) for f in args.facilities or []],
        "profile": Path(args.profile) if args.profile else None,
        "crs": args.crs,
        "metric": args.metric_crs,
        "osm_facilities": not args.no_osm_facilities,
        "population_rasters": [Path(r) for r in args.population_raster or []],
        "raster_column": args.raster_column,
        "area": Path(args.area) if args.area else None,
        "landuse_homes": not args.no_landuse_homes,
        "basemap_tiles": args.basemap,
        # no map, no basemap: 5 s of a district's 57 s siting run went to drawing it
        "with_basemap": not getattr(args, "no_map", False),
    }


def _osm_source(args: argparse.Namespace) -> Path:
    if args.online or args.bbox:
        from shequ.geo.osm_online import fetch_osm

        return fetch_osm(place=args.online, bbox=_bbox(args.bbox) if args.bbox else None)
    if args.osm:
        return Path(args.osm)
    raise InputError(Note("e.no_osm"))


def _site_report(result: SiteResult, out: Path, lang: str) -> None:
    _print_notes(result.notes, result.warnings, lang)
    row = result.summary.iloc[0]
    print(
        t(
            "site.line",
            lang,
            kind=result.kind.zh if lang == "zh" else result.kind.en,
            model=row["model"],
            p=row["p"],
            before=row["covered_share_before"] if row["demand_total"] else 0.0,
            after=row["covered_share_after"] if row["demand_total"] else 0.0,
            status=render_note(row["status"], lang),
            gap=row["gap"] if math.isfinite(row["gap"]) else 0.0,
            seconds=row["solve_s"],
        )
    )
    if row["homes_unserved"]:
        print(t("site.unserved", lang, n=row["homes_unserved"]))
    print(t("done", lang, out=out))


def cmd_site(args: argparse.Namespace) -> None:
    from shequ.jobs.siting import SiteOptions, compute_siting, write_siting_outputs

    opts = SiteOptions(
        **_area_options(args, args.kind),
        kind=args.kind,
        model=args.model,
        p=args.p,
        cover_all=args.cover_all,
        budget=args.budget,
        candidates=[Path(c) for c in args.candidates or []],
        osm_candidates=not args.no_osm_candidates,
        street_candidates=args.street_candidates,
        spacing_m=args.spacing,
        capacitated=args.capacitated,
        max_walk_min=args.max_walk,
        curve_max=args.curve,
        time_limit_s=args.time_limit,
        mip_gap=args.gap,
        heuristic=args.heuristic,
    )
    result = compute_siting(opts, args.progress)
    out = Path(args.out)
    write_siting_outputs(result, out, lang=args.lang, with_map=not args.no_map)
    _site_report(result, out, args.lang)


def cmd_grids(args: argparse.Namespace) -> None:
    from shequ.jobs.grids import GridOptions, compute_grids, write_grid_outputs

    opts = GridOptions(
        **_area_options(args, None),
        communities=Path(args.communities) if args.communities else None,
        compounds=Path(args.compounds) if args.compounds else None,
        split_large_compounds=args.split_large_compounds,
        existing=Path(args.existing) if args.existing else None,
        code_column=args.code_column,
        name_column=args.name_column,
        lock=tuple(c.strip() for c in (args.lock or "").split(",") if c.strip()),
        edits=Path(args.edits) if args.edits else None,
        households_per_grid=args.households_per_grid,
        tolerance=args.tolerance,
        random_state=args.seed,
        time_limit_s=args.time_limit,
    )
    result = compute_grids(opts, args.progress)
    out = Path(args.out)
    write_grid_outputs(result, out, lang=args.lang, with_map=not args.no_map)
    _grids_report(result, out, args.lang)


def _grids_report(result: GridResult, out: Path, lang: str) -> None:
    _print_notes(result.notes, result.warnings, lang)
    row = result.summary.iloc[0]
    print(
        t(
            "grid.line",
            lang,
            grids=row["grids"],
            households=row["households"],
            target=result.target,
            tol=result.tolerance,
            maxdev=row["max_abs_deviation"],
            out=row["out_of_tolerance"],
        )
    )
    print(t("done", lang, out=out))


def _grids_parser(sub: argparse._SubParsersAction, lang: str) -> argparse.ArgumentParser:
    grids = sub.add_parser("grids", help=t("help.cmd.grids", lang))
    _area_flags(grids)
    grids.add_argument("--communities", help=t("help.grids.communities", grids.lang))
    grids.add_argument("--compounds", help=t("help.grids.compounds", grids.lang))
    grids.add_argument(
        "--split-large-compounds",
        action="store_true",
        help=t("help.grids.split_large_compounds", grids.lang),
    )
    grids.add_argument("--existing", help=t("help.grids.existing", grids.lang))
    grids.add_argument("--code-column", help=t("help.grids.code_column", grids.lang))
    grids.add_argument("--name-column", help=t("help.grids.name_column", grids.lang))
    grids.add_argument("--lock", metavar="CODE[,CODE…]", help=t("help.grids.lock", grids.lang))
    grids.add_argument("--edits", help=t("help.grids.edits", grids.lang))
    grids.add_argument(
        "--households-per-grid",
        type=_number(float, grids.lang, 0),
        help=t("help.grids.households_per_grid", grids.lang),
    )
    grids.add_argument(
        "--tolerance",
        type=_number(float, grids.lang, 0, 1),
        help=t("help.grids.tolerance", grids.lang),
    )
    grids.add_argument(
        "--seed",
        type=_number(int, grids.lang, 0, strict=False),
        default=0,
        help=t("help.grids.seed", grids.lang),
    )
    grids.add_argument(
        "--time-limit",
        type=_number(float, grids.lang, 0),
        default=60.0,
        help=t("help.grids.time_limit", grids.lang),
    )
    grids.set_defaults(func=cmd_grids)
    return grids


def cmd_hotspots(args: argparse.Namespace) -> None:
    from shequ.jobs.hotspots import HotspotOptions, compute_hotspots, write_hotspot_outputs

    opts = HotspotOptions(
        incidents=Path(args.incidents),
        osm=Path(args.osm) if args.osm else None,
        grids=Path(args.grids) if args.grids else None,
        area=Path(args.area) if args.area else None,
        landuse_homes=not args.no_landuse_homes,
        profile=Path(args.profile) if args.profile else None,
        crs=args.crs,
        res=args.res,
        time_col=args.time_col,
        type_col=args.type_col,
        types=[t.strip() for t in args.types.split(",")] if args.types else [],
        trends=not args.no_trends,
        three_colour=args.three_colour,
        levels=args.levels,
        seed=args.seed,
        basemap_tiles=args.basemap,
    )
    result = compute_hotspots(opts, args.progress)
    out = Path(args.out)
    write_hotspot_outputs(
        result, out, lang=args.lang, three_colour=args.three_colour, with_map=not args.no_map
    )
    _hotspots_report(result, out, args.lang)


def _hotspots_report(result: HotspotResult, out: Path, lang: str) -> None:
    _print_notes(result.notes, result.warnings, lang)
    row = result.summary.iloc[0]
    print(
        t(
            "hotspot.line",
            lang,
            incidents=row["incidents"],
            cells=row["cells"],
            res=row["resolution"],
            hot=row["hot_cells_95"],
            red=row["red"],
        )
    )
    print(t("done", lang, out=out))


def _hotspots_parser(sub: argparse._SubParsersAction, lang: str) -> argparse.ArgumentParser:
    hot = sub.add_parser("hotspots", help=t("help.cmd.hotspots", lang))
    hot.add_argument("--incidents", required=True, help=t("help.hotspots.incidents", hot.lang))
    hot.add_argument("--osm", help=t("help.hotspots.osm", hot.lang))
    hot.add_argument("--grids", help=t("help.hotspots.grids", hot.lang))
    hot.add_argument("--area", metavar="POLYGONS", help=t("help.area.area", hot.lang))
    hot.add_argument(
        "--no-landuse-homes", action="store_true", help=t("help.area.no_landuse_homes", hot.lang)
    )
    hot.add_argument("--profile", help=t("help.hotspots.profile", hot.lang))
    hot.add_argument(
        "--crs",
        type=_crs_name(hot.lang),
        help=t("help.hotspots.crs", hot.lang),
    )
    hot.add_argument("--res", type=_h3_resolution(hot.lang), help=t("help.hotspots.res", hot.lang))
    hot.add_argument("--time-col", help=t("help.hotspots.time_col", hot.lang))
    hot.add_argument("--type-col", help=t("help.hotspots.type_col", hot.lang))
    hot.add_argument("--types", help=t("help.hotspots.types", hot.lang))
    hot.add_argument(
        "--no-trends", action="store_true", help=t("help.hotspots.no_trends", hot.lang)
    )
    hot.add_argument(
        "--three-colour", action="store_true", help=t("help.hotspots.three_colour", hot.lang)
    )
    hot.add_argument(
        "--levels", choices=("significance", "quota"), help=t("help.hotspots.levels", hot.lang)
    )
    hot.add_argument("--basemap", metavar="URL", help=t("help.area.basemap", hot.lang))
    hot.add_argument(
        "--seed",
        type=_number(int, hot.lang, 0, strict=False),
        default=0,
        help=t("help.hotspots.seed", hot.lang),
    )
    hot.set_defaults(func=cmd_hotspots)
    return hot


def _area_flags(p: argparse.ArgumentParser) -> None:
    p.add_argument("--osm", help=t("help.area.osm", p.lang))
    p.add_argument("--online", metavar="PLACE", help=t("help.area.online", p.lang))
    p.add_argument("--bbox", metavar="W,S,E,N", help=t("help.area.bbox", p.lang))
    p.add_argument("--homes", help=t("help.area.homes", p.lang))
    p.add_argument("--area", metavar="POLYGONS", help=t("help.area.area", p.lang))
    p.add_argument("--facilities", action="append", help=t("help.area.facilities", p.lang))
    p.add_argument("--profile", help=t("help.area.profile", p.lang))
    p.add_argument(
        "--crs",
        type=_crs_name(p.lang),
        help=t("help.area.crs", p.lang),
    )
    p.add_argument(
        "--metric-crs",
        choices=("utm", "cgcs2000_gk"),
        default="utm",
        help=t("help.area.metric_crs", p.lang),
    )
    p.add_argument(
        "--no-osm-facilities", action="store_true", help=t("help.area.no_osm_facilities", p.lang)
    )
    p.add_argument(
        "--no-landuse-homes", action="store_true", help=t("help.area.no_landuse_homes", p.lang)
    )
    p.add_argument("--basemap", metavar="URL", help=t("help.area.basemap", p.lang))
    p.add_argument(
        "--population-raster",
        action="append",
        metavar="TIF",
        help=t("help.area.population_raster", p.lang),
    )
    p.add_argument(
        "--raster-column",
        default="population",
        choices=RASTER_COLUMNS,
        help=t("help.area.raster_column", p.lang),
    )


def _site_parser(sub: argparse._SubParsersAction, lang: str) -> argparse.ArgumentParser:
    site = sub.add_parser("site", help=t("help.cmd.site", lang))
    site.add_argument("--kind", required=True, help=t("help.site.kind", site.lang))
    _area_flags(site)
    goal = site.add_mutually_exclusive_group(required=True)
    goal.add_argument(
        "--p",
        type=_number(int, site.lang, 1, strict=False),
        help=t("help.site.p", site.lang),
    )
    goal.add_argument("--cover-all", action="store_true", help=t("help.site.cover_all", site.lang))
    goal.add_argument(
        "--budget",
        type=_number(float, site.lang, 0),
        help=t("help.site.budget", site.lang),
    )
    site.add_argument(
        "--model", choices=("mclp", "pmedian"), default="mclp", help=t("help.site.model", site.lang)
    )
    site.add_argument("--candidates", action="append", help=t("help.site.candidates", site.lang))
    site.add_argument(
        "--no-osm-candidates", action="store_true", help=t("help.site.no_osm_candidates", site.lang)
    )
    site.add_argument(
        "--street-candidates", action="store_true", help=t("help.site.street_candidates", site.lang)
    )
    site.add_argument(
        "--spacing",
        type=_number(float, site.lang, 1, strict=False),
        help=t("help.site.spacing", site.lang),
    )
    site.add_argument(
        "--capacitated", action="store_true", help=t("help.site.capacitated", site.lang)
    )
    site.add_argument(
        "--max-walk",
        type=_number(float, site.lang, 0),
        help=t("help.site.max_walk", site.lang),
    )
    site.add_argument(
        "--curve",
        type=_number(int, site.lang, 0, strict=False),
        help=t("help.site.curve", site.lang),
    )
    site.add_argument(
        "--time-limit",
        type=_number(float, site.lang, 0),
        default=600.0,
        help=t("help.site.time_limit", site.lang),
    )
    site.add_argument(
        "--gap",
        type=_number(float, site.lang, 0, 1, strict=False),
        default=0.0,
        help=t("help.site.gap", site.lang),
    )
    site.add_argument(
        "--heuristic",
        action="store_true",
        help=t("help.site.heuristic", site.lang),
    )
    site.set_defaults(func=cmd_site)
    return site


def build_parser(lang: str | None = None) -> argparse.ArgumentParser:
    """The ``shequ`` parser; option errors are printed in ``lang`` (default: the locale's)."""
    lang = lang or default_lang()
    parser = _Parser(prog="shequ", description=t("help.shequ", lang), lang=lang)
    parser.add_argument(
        "--version", action="version", version=f"shequ {__version__}", help=t("help.version", lang)
    )
    sub = parser.add_subparsers(
        dest="command", required=True, parser_class=partial(_Parser, lang=lang)
    )

    def common(p: argparse.ArgumentParser) -> None:
        p.add_argument("--out", default="shequ-out", help=t("help.common.out", p.lang))
        p.add_argument(
            "--lang",
            choices=("zh", "en"),
            default=default_lang(),
            help=t("help.common.lang", p.lang),
        )
        p.add_argument("--quiet", action="store_true", help=t("help.common.quiet", p.lang))
        p.add_argument("--no-map", action="store_true", help=t("help.common.no_map", p.lang))
        p.add_argument(
            "-v", "--verbose", action="store_true", help=t("help.common.verbose", p.lang)
        )

    demo = sub.add_parser("demo", help=t("help.cmd.demo", lang))
    common(demo)
    demo.set_defaults(func=cmd_demo)

    acc = sub.add_parser("access", help=t("help.cmd.access", lang))
    common(acc)
    _area_flags(acc)
    acc.add_argument("--kind", help=t("help.access.kind", acc.lang))
    acc.add_argument("--kinds", help=t("help.access.kinds", acc.lang))
    acc.add_argument("--bands", help=t("help.access.bands", acc.lang))
    acc.add_argument(
        "--no-isochrones", action="store_true", help=t("help.access.no_isochrones", acc.lang)
    )
    acc.add_argument("--grids", help=t("help.access.grids", acc.lang))
    acc.set_defaults(func=cmd_access)
    common(_site_parser(sub, lang))
    common(_grids_parser(sub, lang))
    common(_hotspots_parser(sub, lang))
    report = sub.add_parser("report", help=t("help.cmd.report", lang))
    common(report)
    report.add_argument("--runs", nargs="+", required=True, help=t("help.report.runs", report.lang))
    report.add_argument("--communities", help=t("help.report.communities", report.lang))
    report.add_argument("--grids", help=t("help.report.grids", report.lang))
    report.add_argument("--crs", type=_crs_name(report.lang), help=t("help.area.crs", report.lang))
    report.set_defaults(func=cmd_report)
    common(_batch_parser(sub, lang))
    return parser


def _batch_parser(sub: argparse._SubParsersAction, lang: str) -> argparse.ArgumentParser:
    batch = sub.add_parser("batch", help=t("help.cmd.batch", lang))
    b = batch.lang
    batch.add_argument("--osm", required=True, help=t("help.batch.osm", b))
    batch.add_argument("--areas", metavar="POLYGONS", help=t("help.batch.areas", b))
    batch.add_argument("--area-id", metavar="COLUMN", help=t("help.batch.area_id", b))
    batch.add_argument(
        "--tile-nodes",
        type=_number(int, b, 0),
        help=t("help.batch.tile_nodes", b),
    )
    batch.add_argument(
        "--halo", type=_number(float, b, 0, strict=False), metavar="M", help=t("help.batch.halo", b)
    )
    batch.add_argument("--analyses", default="access", help=t("help.batch.analyses", b))
    batch.add_argument("--homes", help=t("help.area.homes", b))
    batch.add_argument("--profile", help=t("help.area.profile", b))
    batch.add_argument("--crs", type=_crs_name(b), help=t("help.area.crs", b))
    batch.add_argument("--kind", default="canteen", help=t("help.batch.kind", b))
    batch.add_argument("--p", type=_number(int, b, 0), help=t("help.batch.p", b))
    batch.add_argument("--cover-all", action="store_true", help=t("help.batch.cover_all", b))
    batch.add_argument(
        "--time-limit",
        type=_number(float, b, 0),
        default=60.0,
        help=t("help.batch.time_limit", b),
    )
    batch.add_argument("--incidents", help=t("help.batch.incidents", b))
    batch.add_argument("--incidents-crs", type=_crs_name(b), help=t("help.batch.incidents_crs", b))
    batch.add_argument("--res", type=_h3_resolution(b), help=t("help.batch.res", b))
    batch.add_argument(
        "--workers", type=_number(int, b, 0), default=2, help=t("help.batch.workers", b)
    )
    batch.add_argument("--scheduler", metavar="ADDRESS", help=t("help.batch.scheduler", b))
    batch.add_argument(
        "--retries",
        type=_number(int, b, 0, strict=False),
        default=2,
        help=t("help.batch.retries", b),
    )
    batch.set_defaults(func=cmd_batch)
    return batch


def cmd_batch(args: argparse.Namespace) -> int:
    """Exit code 1 when an area failed (its error is printed and in ``areas.csv``)."""
    from shequ.jobs.batch import BatchOptions, run_batch

    def where(path: str | None) -> Path | None:
        # absolute: the workers of a cluster elsewhere do not share this folder as theirs
        return Path(path).absolute() if path else None

    opts = BatchOptions(
        osm=where(args.osm),
        out=where(args.out),
        analyses=tuple(a.strip() for a in args.analyses.split(",") if a.strip()),
        areas=where(args.areas),
        id_column=args.area_id,
        **({"tile_nodes": args.tile_nodes} if args.tile_nodes else {}),
        halo_m=args.halo,
        profile=where(args.profile),
        crs=args.crs,
        homes=where(args.homes),
        kind=args.kind,
        p=args.p,
        cover_all=args.cover_all,
        grid_time_limit_s=args.time_limit,
        incidents=where(args.incidents),
        incidents_crs=args.incidents_crs,
        res=args.res,
        workers=args.workers,
        scheduler=args.scheduler,
        retries=args.retries,
        with_map=not args.no_map,
        lang=args.lang,
    )
    result = run_batch(opts, args.progress)
    args.progress.close()
    lang = args.lang
    print(t("note", lang, msg=render_note(Note("n.batch_halo", halo=result.halo_m), lang)))
    for area in result.failed:
        print(t("batch.failed_area", lang, id=area["id"], error=area["error"]), file=sys.stderr)
    for name, path in result.summaries.items():
        print(t("batch.summary", lang, analysis=name, path=path))
    done = len(result.areas) - len(result.failed)
    print(
        t(
            "batch.done",
            lang,
            n=len(result.areas),
            done=done,
            skipped=result.skipped,
            failed=len(result.failed),
            out=result.out,
        )
    )
    return 1 if result.failed else 0


def cmd_report(args: argparse.Namespace) -> None:
    from shequ.jobs.report import ReportOptions, compute_report, write_report

    opts = ReportOptions(
        runs=[Path(r) for r in args.runs],
        communities=Path(args.communities) if args.communities else None,
        grids=Path(args.grids) if args.grids else None,
        crs=args.crs,
    )
    out = Path(args.out)
    paths = write_report(compute_report(opts), out, lang=args.lang)
    print(t("report.done", args.lang, page=paths["report"]))


@contextlib.contextmanager
def _sigterm_exits() -> Iterator[None]:
    """SIGTERM unwinds like Ctrl-C (``SystemExit(143)``) while a command runs, so the output
    folder's clean-up runs; the previous handler is restored after (``main`` may be called
    from a library or a test). Python only sets handlers in the main thread."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return

    def exit_143(signum: int, _frame: object) -> None:
        raise SystemExit(128 + signum)

    previous = signal.signal(signal.SIGTERM, exit_143)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    try:
        args = build_parser(_lang_in(argv)).parse_args(argv)
    except SystemExit as exc:  # --help, --version, or a bad option (one line printed)
        return exc.code if isinstance(exc.code, int) else EXIT_INPUT
    from shequ.geo.output_folder import reserve_output_folder

    logging.basicConfig(
        level=logging.INFO if args.verbose else logging.WARNING,
        format="%(levelname)s %(name)s: %(message)s",
    )
    args.progress = _Progress(args.lang, args.quiet)
    try:
        # the folder is locked and checked before the work, not after minutes of it
        # a batch resumes its folder (it checks the folder is its own), never replaces it
        resumed = getattr(args, "func", None) is cmd_batch
        with _sigterm_exits(), reserve_output_folder(args.out, replaced=not resumed):
            try:
                code = args.func(args)
            finally:
                args.progress.close()
    except InputError as exc:
        print(t("error", args.lang, msg=exc.one_line(args.lang)), file=sys.stderr)
        return EXIT_INPUT
    except OSError as exc:  # an unwritable output folder, a full disk …
        where = exc.filename or args.out
        print(t("error", args.lang, msg=f"{where}: {os_problem(exc, args.lang)}"), file=sys.stderr)
        return EXIT_INPUT
    except KeyboardInterrupt:
        print(t("interrupted", args.lang, out=args.out), file=sys.stderr)
        return 130
    return code if isinstance(code, int) else 0


if __name__ == "__main__":
    sys.exit(main())
