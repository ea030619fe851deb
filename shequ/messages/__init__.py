"""The one message catalogue: every text shequ shows a user, keyed by id, in English and Chinese.

Each entry is ``key: (en, zh)``; ``{name}`` placeholders are filled by :func:`shequ.i18n.t`
(or kept as :class:`shequ.i18n.Note`, which is the English text and remembers key and
parameters, so files keep the English and the key while the terminal and the maps speak the
user's language). The catalogue is one mapping assembled from sections, one per part of the
program, so that a section can be read (and translated) on its own:

``run``       progress steps, result lines, option errors, input warnings (the CLI)
``cli_help``  what ``--help`` says about each command and option
``notes``     notes a run leaves (network, OSM, grids, hotspots) and the siting models' messages
``inputs``    reader errors and reject reasons (``geo/``)
``profile``   profile, output folder and machine-limit errors (the base modules)
``siting``    facility siting errors, unserved reasons, solver words
``grids``     management grid errors and reasons
``hotspots``  risk hotspot errors and reasons
``maps``      words on the maps (``map.*``)
``kinds``     facility kinds from tags and names, duplicates, POI categories
``coverage``  what is missing where a number is shown (no facilities, no homes)
``checks``    coordinate-shift and street-island checks
``raster``    population rasters
``area``      the study area
``grid_shapes`` why a grid stays under the compactness floor
``basemap``   the basemap drawn from the data, external tiles
``batch``     ``shequ batch``: many areas of a region on Dask

A key may appear in one section only (checked at import), and ``tests/test_i18n.py`` checks that
every entry has both languages with the same placeholders.
"""

from __future__ import annotations

from shequ.messages import (
    area,
    basemap,
    batch,
    checks,
    cli_help,
    coverage,
    grid_shapes,
    grids,
    hotspots,
    inputs,
    kinds,
    maps,
    notes,
    profile,
    raster,
    report,
    run,
    siting,
)

SECTIONS = {
    "run": run.MESSAGES,
    "cli_help": cli_help.MESSAGES,
    "notes": notes.MESSAGES,
    "inputs": inputs.MESSAGES,
    "profile": profile.MESSAGES,
    "siting": siting.MESSAGES,
    "grids": grids.MESSAGES,
    "hotspots": hotspots.MESSAGES,
    "maps": maps.MESSAGES,
    "kinds": kinds.MESSAGES,
    "coverage": coverage.MESSAGES,
    "checks": checks.MESSAGES,
    "raster": raster.MESSAGES,
    "area": area.MESSAGES,
    "grid_shapes": grid_shapes.MESSAGES,
    "basemap": basemap.MESSAGES,
    "batch": batch.MESSAGES,
    "report": report.MESSAGES,
}


def _assemble() -> dict[str, tuple[str, str]]:
    merged: dict[str, tuple[str, str]] = {}
    for name, section in SECTIONS.items():
        for key, texts in section.items():
            if key in merged:
                raise RuntimeError(f"message key {key!r} of section {name!r} is defined twice")
            merged[key] = texts
    return merged


MESSAGES: dict[str, tuple[str, str]] = _assemble()
