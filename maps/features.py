"""From the analysis frames to compact, escaped GeoJSON for one layer.

The map embeds its data in the page, so the GeoJSON is built here by hand rather than from
``GeoDataFrame.__geo_interface__``: only the few properties a tooltip shows are kept, all text
is escaped (:mod:`shequ.maps.escape`), coordinates are rounded to 6 decimals (about 0.1 m) and
each feature gets a small integer id that folium's style mapping keys on. Nothing is computed:
a value missing in the data is shown as missing.
"""

from __future__ import annotations

import contextlib
import contextvars
from collections.abc import Iterator, Sequence
from typing import Any

import geopandas as gpd
import numpy as np
import shapely
from shapely.geometry import mapping

from shequ.errors import InputError
from shequ.geo.completeness import ESTIMATED_FROM
from shequ.geo.coords import wgs84_to_gcj02
from shequ.geo.outputs import valid_polygons
from shequ.i18n import Note, render_note
from shequ.maps.escape import as_float, esc, fmt_count, fmt_number, is_missing
from shequ.maps.labels import label
from shequ.maps.style import minute_bin

ESTIMATED_FROM_LANDUSE = ESTIMATED_FROM  # the estimate's flag (geo.completeness)
"""``estimated_from`` of a home estimated over residential land (:mod:`shequ.geo.landuse_homes`)."""


def is_estimated(value: Any) -> bool:
    """True for a home estimated over residential land (its ``estimated_from``)."""
    return isinstance(value, str) and value == ESTIMATED_FROM_LANDUSE


COORD_DIGITS = 6

HOME_TIP = (
    ("n", "name"),
    ("hh", "households"),
    ("m", "minutes"),
    ("r", "reason"),
    ("e", "estimated"),
)
FACILITY_TIP = (("n", "name"), ("k", "kind"), ("a", "access_m"))
ISOCHRONE_TIP = (("k", "kind"), ("m", "minutes"), ("f", "facility_id"))
"""Tooltip rows per layer: (GeoJSON property, label key in :mod:`shequ.maps.labels`)."""


_DATUM: contextvars.ContextVar[str] = contextvars.ContextVar("shequ_map_datum", default="wgs84")
MAP_DATUMS = ("wgs84", "gcj02")


@contextlib.contextmanager
def map_datum(datum: str) -> Iterator[None]:
    """Build maps in ``datum`` inside this block: ``"gcj02"`` under Amap or Tencent tiles.

    GCJ-02 tiles are drawn shifted by a few hundred metres from WGS-84; data drawn on them must
    be shifted the same way or every home sits in the wrong block (:func:`to_wgs84` does it).
    A context variable rather than a parameter of every builder: the datum is a property of the
    page, and each builder's frames all pass through :func:`to_wgs84`.
    """
    if datum not in MAP_DATUMS:
        msg = f"map datum must be one of {MAP_DATUMS}, got {datum!r}"
        raise ValueError(msg)
    token = _DATUM.set(datum)
    try:
        yield
    finally:
        _DATUM.reset(token)


def current_datum() -> str:
    """The datum maps are built in now (:func:`map_datum`; ``"wgs84"`` by default)."""
    return _DATUM.get()


def to_wgs84(frame: gpd.GeoDataFrame | None, what: str) -> gpd.GeoDataFrame | None:
    """``frame`` in EPSG:4326, or None when it has no rows (then it needs no columns or CRS).

    Polygons are repaired after reprojecting and snapped to the map's 1e-6° (its 6 decimals),
    so a grid exported from the map (and fed back with ``--existing``) is a valid polygon.
    Inside :func:`map_datum` ``"gcj02"`` the coordinates are then shifted into GCJ-02 (the
    page's tiles' system); the frame is still labelled EPSG:4326, as Leaflet knows no other.
    """
    if frame is None or len(frame) == 0:
        return None
    try:
        frame.geometry  # noqa: B018 - raises when no active geometry column is set
    except AttributeError:
        raise InputError(Note("e.map_no_geometry", what=what)) from None
    if frame.crs is None:
        raise InputError(Note("e.map_no_crs", what=what))
    out = valid_polygons(frame, 4326, grid_size=10.0**-COORD_DIGITS)
    if _DATUM.get() == "gcj02":
        out = out.copy()
        out.geometry = shapely.transform(out.geometry.values, _to_gcj02)
    return out


def _to_gcj02(xy: np.ndarray) -> np.ndarray:
    lon, lat = wgs84_to_gcj02(xy[:, 0], xy[:, 1])
    return np.column_stack([lon, lat])


def require_columns(frame: gpd.GeoDataFrame, columns: Sequence[str], what: str) -> None:
    """Raise an :class:`InputError` naming the columns of ``columns`` that ``frame`` lacks."""
    missing = [column for column in columns if column not in frame.columns]
    if missing:
        raise InputError(Note("e.map_missing_columns", what=what, columns=", ".join(missing)))


def column(frame: gpd.GeoDataFrame, name: str) -> list[Any]:
    """Values of an optional display column, all None when the frame lacks it."""
    if name in frame.columns:
        return frame[name].tolist()
    return [None] * len(frame)


def geometry_json(geom: Any) -> dict[str, Any] | None:
    """GeoJSON geometry with rounded coordinates, or None for a missing or empty geometry."""
    if geom is None or geom.is_empty:
        return None
    if geom.geom_type == "Point":
        return {
            "type": "Point",
            "coordinates": [round(geom.x, COORD_DIGITS), round(geom.y, COORD_DIGITS)],
        }
    rounded = shapely.transform(geom, lambda xy: np.round(xy, COORD_DIGITS))
    return mapping(rounded)


def collection(features: list[dict[str, Any]]) -> dict[str, Any]:
    """A FeatureCollection; ids are renumbered 0..n-1 so folium keys styles on them."""
    for number, feature in enumerate(features):
        feature["id"] = number
    return {"type": "FeatureCollection", "features": features}


def feature(geom: dict[str, Any], props: dict[str, Any]) -> dict[str, Any]:
    """A GeoJSON feature keeping only the properties that have a value."""
    return {
        "type": "Feature",
        "geometry": geom,
        "properties": {key: value for key, value in props.items() if value is not None},
    }


def _label_or_id(name: Any, ident: Any) -> str | None:
    text = esc(name)
    if text is None and not is_missing(ident):
        text = esc(f"#{ident}")
    return text


def is_true(value: Any) -> bool:
    """True for a present, truthy value (a missing flag is not true)."""
    return not is_missing(value) and bool(value)


def home_features(
    homes: gpd.GeoDataFrame | None, kind_id: str, unreachable_text: str, lang: str = "en"
) -> tuple[dict[str, Any], list[int], dict[str, Any]]:
    """Homes of one kind: (all homes, their minute-bin indices, blind spots).

    A blind spot is a home whose ``meets_<kind>`` is not true, exactly as the data says.
    ``unreachable_text`` (already safe) stands in for the minutes of a home with none; a
    reason given as a catalogue :class:`~shequ.i18n.Note` is shown in ``lang``. A home
    estimated over residential land (``estimated_from = "landuse"``) carries the property
    ``e`` (the words of the legend's hollow marker), which its style and tooltip key on.
    """
    if homes is None:
        return collection([]), [], collection([])
    minutes_col, meets_col, reason_col = (
        f"walk_min_{kind_id}",
        f"meets_{kind_id}",
        f"unreachable_{kind_id}",
    )
    require_columns(homes, [minutes_col, meets_col], "homes")
    features: list[dict[str, Any]] = []
    bins: list[int] = []
    blind: list[dict[str, Any]] = []
    rows: Iterator[tuple[Any, ...]] = zip(
        homes.geometry,
        column(homes, "home_id"),
        column(homes, "name"),
        column(homes, "households"),
        homes[minutes_col].tolist(),
        homes[meets_col].tolist(),
        column(homes, reason_col),
        column(homes, "estimated_from"),
        strict=True,
    )
    estimated_text = esc(label("estimated_homes", lang))
    for geom, home_id, name, households, minutes, meets, reason, origin in rows:
        geometry = geometry_json(geom)
        if geometry is None:
            continue
        walk = as_float(minutes)
        props = {
            "n": _label_or_id(name, home_id),
            "hh": fmt_number(households),
            "m": unreachable_text if walk is None else fmt_number(walk),
            "r": esc(render_note(reason, lang) if isinstance(reason, str) else reason),
            "e": estimated_text if is_estimated(origin) else None,
        }
        features.append(feature(geometry, props))
        bins.append(minute_bin(walk))
        if not is_true(meets):
            blind.append(feature(dict(geometry), dict(props)))
    return collection(features), bins, collection(blind)


def facility_features(
    facilities: gpd.GeoDataFrame | None, kind_id: str, kind_text: str
) -> dict[str, Any]:
    """Facilities of one kind; ``kind_text`` is the kind's display name, already escaped."""
    if facilities is None:
        return collection([])
    require_columns(facilities, ["kind"], "facilities")
    chosen = facilities[facilities["kind"] == kind_id]
    features = []
    rows = zip(
        chosen.geometry,
        column(chosen, "facility_id"),
        column(chosen, "name"),
        column(chosen, "access_m"),
        strict=True,
    )
    for geom, facility_id, name, access_m in rows:
        geometry = geometry_json(geom)
        if geometry is None:
            continue
        props = {"n": _label_or_id(name, facility_id), "k": kind_text, "a": fmt_number(access_m)}
        features.append(feature(geometry, props))
    return collection(features)


def isochrone_features(
    isochrones: gpd.GeoDataFrame | None, kind_id: str, kind_text: str, *, scope: str
) -> tuple[dict[str, Any], list[float | None]]:
    """Isochrone polygons of one kind and scope, largest minutes first so smaller ones lie on
    top; returns the collection and each feature's minutes (for styling)."""
    if isochrones is None:
        return collection([]), []
    require_columns(isochrones, ["kind", "minutes", "scope"], "isochrones")
    chosen = isochrones[(isochrones["kind"] == kind_id) & (isochrones["scope"] == scope)]
    records = []
    rows = zip(
        chosen.geometry, chosen["minutes"].tolist(), column(chosen, "facility_id"), strict=True
    )
    for geom, minutes, facility_id in rows:
        geometry = geometry_json(geom)
        if geometry is not None:
            records.append((as_float(minutes), geometry, facility_id))
    records.sort(key=lambda record: -1.0 if record[0] is None else record[0], reverse=True)
    features = []
    for minutes, geometry, facility_id in records:
        props = {
            "k": kind_text,
            "m": fmt_number(minutes),
            "f": None if scope == "union" else fmt_number(facility_id),
        }
        features.append(feature(geometry, props))
    return collection(features), [record[0] for record in records]


def access_home_features(
    homes: gpd.GeoDataFrame | None, kind_ids: Sequence[str], unreachable_text: str, lang: str
) -> tuple[dict[str, Any], list[list[int]], list[list[bool]], list[bool]]:
    """Every home once, with its minutes for each kind of ``kind_ids`` (in that order).

    Properties: ``n`` name, ``hh`` whole households, ``m`` the list of walk minutes per kind
    (``unreachable_text``, already safe, where there are none), ``r`` the list of reasons
    (only on a home with one), ``e`` on an estimated home (:func:`home_features`). Returns the
    collection and, per home, its minute bin per kind, whether it meets each kind's standard
    (``meets_<kind>``) and whether it is estimated: what the map styles it by.
    """
    if homes is None:
        return collection([]), [], [], []
    require_columns(homes, [f"{p}_{k}" for k in kind_ids for p in ("walk_min", "meets")], "homes")
    minutes = [homes[f"walk_min_{k}"].tolist() for k in kind_ids]
    meets = [homes[f"meets_{k}"].tolist() for k in kind_ids]
    reasons = [column(homes, f"unreachable_{k}") for k in kind_ids]
    estimated_text = esc(label("estimated_homes", lang))
    features: list[dict[str, Any]] = []
    bins: list[list[int]] = []
    served: list[list[bool]] = []
    estimated: list[bool] = []
    rows = zip(
        homes.geometry,
        column(homes, "home_id"),
        column(homes, "name"),
        column(homes, "households"),
        column(homes, "estimated_from"),
        strict=True,
    )
    for i, (geom, home_id, name, households, origin) in enumerate(rows):
        geometry = geometry_json(geom)
        if geometry is None:
            continue
        walks = [as_float(minutes[k][i]) for k in range(len(kind_ids))]
        why = [esc(render_note(r[i], lang) if isinstance(r[i], str) else r[i]) for r in reasons]
        props = {
            "n": _label_or_id(name, home_id),
            "hh": fmt_count(households),
            "m": [unreachable_text if w is None else fmt_number(w) for w in walks] or None,
            "r": why if any(text is not None for text in why) else None,
            "e": estimated_text if is_estimated(origin) else None,
        }
        features.append(feature(geometry, props))
        bins.append([minute_bin(w) for w in walks])
        served.append([is_true(m[i]) for m in meets])
        estimated.append(is_estimated(origin))
    return collection(features), bins, served, estimated
