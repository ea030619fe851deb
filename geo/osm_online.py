"""Fetch an OSM extract online (explicit ``--online``), cached on disk as a plain .osm file.

Only for users who are online: the place name is geocoded with osmnx (Nominatim) and the data
fetched from the Overpass API configured in ``osmnx.settings``. The response is saved as an
``.osm`` file under the cache folder and read by the same loader as any local file, so online
and offline runs are one pipeline. Tests never call this module.
"""

from __future__ import annotations

import hashlib
import logging
import os
from pathlib import Path

from shequ.errors import InputError
from shequ.geo.osm_file import FEATURE_KEYS
from shequ.geo.outputs import atomic_path
from shequ.i18n import Note

log = logging.getLogger(__name__)


def cache_dir() -> Path:
    base = os.environ.get("SHEQU_CACHE") or os.path.join(
        os.environ.get("XDG_CACHE_HOME", os.path.expanduser("~/.cache")), "shequ"
    )
    return Path(base) / "osm"


def overpass_query(south: float, west: float, north: float, east: float) -> str:
    """Streets, buildings, compounds and facility tags in a bbox, with their nodes."""
    bbox = f"({south},{west},{north},{east})"
    keys = ["highway", *FEATURE_KEYS]
    lines = [f'  nwr["{k}"]{bbox};' for k in keys if k != "name"]
    return "[out:xml][timeout:300];\n(\n" + "\n".join(lines) + "\n);\n(._;>;);\nout body;\n"


def _osmnx():
    """osmnx, an optional dependency (``pip install "shequ[online]"``) used only here."""
    try:
        import osmnx
    except ImportError:
        raise InputError(Note("e.online_needs_osmnx")) from None
    return osmnx


def place_bbox(place: str) -> tuple[float, float, float, float]:
    """(west, south, east, north) of a place name, geocoded through osmnx (Nominatim).

    Parameters
    ----------
    place : str
        A place name as Nominatim knows it (``海淀区, 北京市``).

    Returns
    -------
    (west, south, east, north) in WGS-84 degrees.

    Raises
    ------
    InputError
        When the place cannot be found or the service cannot be reached (its words shown).
    """
    ox = _osmnx()
    try:
        gdf = ox.geocode_to_gdf(place)
    except Exception as exc:  # osmnx raises several kinds for "not found" and HTTP trouble
        raise InputError(Note("e.geocode", place=place, detail=str(exc))) from exc
    west, south, east, north = gdf.total_bounds
    return float(west), float(south), float(east), float(north)


def fetch_osm(
    *,
    place: str | None = None,
    bbox: tuple[float, float, float, float] | None = None,
    refresh: bool = False,
) -> Path:
    """Download (or reuse from cache) the OSM data of a place name or a (w, s, e, n) bbox.

    Parameters
    ----------
    place : str, optional
        A place name (geocoded by :func:`place_bbox`); give this or ``bbox``.
    bbox : (west, south, east, north), optional
        WGS-84 degrees.
    refresh : bool
        Download again even when the cache holds the extract.

    Returns
    -------
    Path
        The cached ``.osm`` file.

    Raises
    ------
    InputError
        When neither or both of ``place`` and ``bbox`` are given, the bbox is empty, the place
        cannot be geocoded, or the Overpass download fails (run offline with ``--osm``).
    """
    ox = _osmnx()
    import requests

    if (place is None) == (bbox is None):
        raise InputError(Note("e.online_which"))
    west, south, east, north = bbox if bbox is not None else place_bbox(place or "")
    if not (west < east and south < north):
        raise InputError(Note("e.online_bbox", bbox=bbox))
    query = overpass_query(south, west, north, east)
    target = cache_dir() / (hashlib.sha1(query.encode()).hexdigest()[:16] + ".osm")
    if target.exists() and not refresh:
        log.info("using cached OSM extract %s", target)
        return target
    url = ox.settings.overpass_url.rstrip("/") + "/interpreter"
    log.info("downloading OSM data from %s", url)
    try:
        resp = requests.post(
            url,
            data={"data": query},
            timeout=ox.settings.requests_timeout,
            headers={"User-Agent": ox.settings.http_user_agent},
        )
        resp.raise_for_status()
    except requests.RequestException as exc:
        raise InputError(Note("e.overpass", detail=str(exc))) from exc
    with atomic_path(target) as tmp:
        tmp.write_bytes(resp.content)
    return target
