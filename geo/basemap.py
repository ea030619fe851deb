"""The basemap layers drawn under every map, taken from the OSM extract the analysis read.

Officials open shequ's maps on government intranets without internet: tiles from
tile.openstreetmap.org do not load there (the page shows "dots on grey") and each failed request is
logged. The extract already holds what one finds one's way by — streets by class, buildings,
water, railways and street names — so the maps draw those themselves (:mod:`shequ.maps.basemap`)
and make no request to any other host.

This module only selects and lightens the layers (it is the ``geo`` layer: load and normalise):
streets grouped into four display classes, building and water outlines simplified to about half a
metre, and a few anchor points per named street for its label. Everything stays in WGS-84, the
maps' coordinate system; text from the data (street names) is kept verbatim and escaped only
where a map writes it.
"""

from __future__ import annotations

from urllib.parse import urlparse

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from shequ.errors import InputError
from shequ.geo.coords import metric_crs
from shequ.geo.osm_file import OsmData
from shequ.i18n import Note

WGS84 = "EPSG:4326"

STREET_CLASSES: dict[str, tuple[str, ...]] = {
    "major": ("motorway", "trunk", "primary", "motorway_link", "trunk_link", "primary_link"),
    "medium": ("secondary", "tertiary", "secondary_link", "tertiary_link"),
    "minor": ("residential", "unclassified", "living_street", "service", "road", "busway"),
    "path": (
        "footway",
        "path",
        "pedestrian",
        "cycleway",
        "steps",
        "track",
        "bridleway",
        "corridor",
    ),
}
"""Display class of each ``highway=*`` value (others are not drawn: construction, proposed …)."""

_CLASS_OF = {value: name for name, values in STREET_CLASSES.items() for value in values}
SIMPLIFY_M = 0.5  # outlines and lines simplified to this (below what a screen shows at zoom 18)
LABEL_EVERY_M = 400.0  # one name label per this much of a named street (at least one)
MIN_LABEL_M = 60.0  # streets shorter than this carry no label


STORE_DIGITS = 7
"""Decimals of the coordinates a basemap keeps (1 cm): as int32, a quarter of shapely's memory."""


class StoredLayer:
    """One basemap layer kept as flat int32 coordinates and offsets, rebuilt on request.

    A district's basemap is 1.5M coordinates in 250k outlines and lines: as shapely objects in
    GeoDataFrames about 85 MB that stay alive through the whole analysis (the walk times and
    isochrones peak after it), as arrays (:func:`shapely.to_ragged_array`, coordinates in
    10**-:data:`STORE_DIGITS` degree integers) about 15 MB. A layer mixing lines and polygons
    (which ``to_ragged_array`` cannot hold) is kept as it is.
    """

    def __init__(self, frame: gpd.GeoDataFrame) -> None:
        self.crs = frame.crs
        self.geometry_name = frame.geometry.name
        self.columns = pd.DataFrame(frame.drop(columns=frame.geometry.name)).reset_index(drop=True)
        self.length = len(frame)
        self.kept: gpd.GeoDataFrame | None = None
        self.ragged: tuple | None = None
        geoms = frame.geometry.values
        try:
            if len(frame) == 0 or shapely.is_missing(np.asarray(geoms)).any():
                raise ValueError
            kind, coords, offsets = shapely.to_ragged_array(np.asarray(geoms))
        except (ValueError, NotImplementedError):
            self.kept = frame
            return
        quantised = np.round(coords * 10.0**STORE_DIGITS).astype(np.int32)
        self.ragged = (kind, quantised, tuple(np.asarray(o, dtype=np.int32) for o in offsets))

    def frame(self) -> gpd.GeoDataFrame:
        """The layer as a GeoDataFrame (a new one each time)."""
        if self.kept is not None:
            return self.kept.copy()  # a caller's edits must not reach the stored layer
        kind, quantised, offsets = self.ragged
        coords = quantised.astype(float) / 10.0**STORE_DIGITS
        geoms = shapely.from_ragged_array(kind, coords, offsets)
        return gpd.GeoDataFrame(self.columns.copy(), geometry=geoms, crs=self.crs)

    def __len__(self) -> int:
        return self.length


class Basemap:
    """The layers of a basemap, in WGS-84.

    Attributes
    ----------
    streets : GeoDataFrame
        Lines with ``cls`` (``major``, ``medium``, ``minor``, ``path``), drawn widest first.
    buildings, water : GeoDataFrame
        Polygons (building outlines; lakes, ponds, river areas).
    waterways, railways : GeoDataFrame
        Lines (rivers, canals, streams; rail, metro on the surface, tram).
    labels : GeoDataFrame
        Points with ``name`` (verbatim) and ``angle`` (degrees clockwise from east, within
        ±90 so text never reads upside down): where a street's name is written.
    source : str
        The OSM file the layers come from (for the attribution and the report).
    tiles : str or None
        A tile URL template given with ``--basemap`` (:func:`check_tiles`): the maps draw it
        instead of these layers.
    snapshot : str or None
        When the extract's data was taken (``OsmData.snapshot``).

    Notes
    -----
    The line and polygon layers are kept compact (:class:`StoredLayer`, coordinates to
    10**-7 degree) and each access returns a new GeoDataFrame: change ``labels`` in place if
    need be, not the others.
    """

    LAYERS = ("streets", "buildings", "water", "waterways", "railways")

    def __init__(
        self,
        streets: gpd.GeoDataFrame,
        buildings: gpd.GeoDataFrame,
        water: gpd.GeoDataFrame,
        waterways: gpd.GeoDataFrame,
        railways: gpd.GeoDataFrame,
        labels: gpd.GeoDataFrame,
        source: str,
        tiles: str | None = None,
        snapshot: str | None = None,
    ) -> None:
        given = (streets, buildings, water, waterways, railways)
        self._stored = {name: StoredLayer(f) for name, f in zip(self.LAYERS, given, strict=True)}
        self.labels = labels
        self.source = source
        self.tiles = tiles  # a tile URL template drawn instead (--basemap), checked
        self.snapshot = snapshot  # when the extract's data was taken (OsmData.snapshot)

    @property
    def streets(self) -> gpd.GeoDataFrame:
        return self._stored["streets"].frame()

    @property
    def buildings(self) -> gpd.GeoDataFrame:
        return self._stored["buildings"].frame()

    @property
    def water(self) -> gpd.GeoDataFrame:
        return self._stored["water"].frame()

    @property
    def waterways(self) -> gpd.GeoDataFrame:
        return self._stored["waterways"].frame()

    @property
    def railways(self) -> gpd.GeoDataFrame:
        return self._stored["railways"].frame()

    @property
    def empty(self) -> bool:
        """True when there is nothing to draw."""
        return all(len(layer) == 0 for layer in self._stored.values())

    def counts(self) -> dict[str, int]:
        """Features per layer (for the report and the benchmarks)."""
        return {
            **{name: len(layer) for name, layer in self._stored.items()},
            "labels": len(self.labels),
        }


def check_tiles(url: str | None) -> str | None:
    """A ``--basemap`` tile URL template, checked: http(s) with ``{z}``, ``{x}`` and ``{y}``.

    Raises
    ------
    InputError
        Naming the value, when it is not such a template (exit code 2).
    """
    if url is None:
        return None
    text = str(url).strip()
    scheme = urlparse(text).scheme
    if scheme not in ("http", "https") or not all(p in text for p in ("{z}", "{x}", "{y}")):
        raise InputError(Note("e.basemap_url", value=text))
    if "{s}" in text:  # Leaflet would fill it with a, b, c: hosts an Amap URL does not have
        raise InputError(Note("e.basemap_subdomain", value=text))
    return text


def empty_basemap(source: str = "", tiles: str | None = None) -> Basemap:
    """A basemap with no layers (no OSM extract): only ``tiles``, if given, is drawn."""
    lines = gpd.GeoDataFrame({"cls": [], "name": []}, geometry=[], crs=WGS84)
    polys = gpd.GeoDataFrame(geometry=[], crs=WGS84)
    labels = gpd.GeoDataFrame({"name": [], "angle": []}, geometry=[], crs=WGS84)
    return Basemap(lines, polys, polys, lines, lines, labels, source, tiles)


def basemap_from_osm(
    osm: OsmData,
    box: tuple[float, float, float, float] | None = None,
    tiles: str | None = None,
) -> Basemap:
    """The basemap layers of an OSM extract, optionally cut to a lon/lat ``box``.

    Parameters
    ----------
    osm : OsmData
        The extract the analysis read (:func:`shequ.geo.osm_file.read_osm`).
    box : (west, south, east, north), optional
        Only what intersects this box is kept (the study area with a margin): a district
        extract's far corners are not written into a neighbourhood's map.
    tiles : str, optional
        A checked tile URL template (:func:`check_tiles`) the maps draw instead.

    Returns
    -------
    Basemap
        In WGS-84; layers may be empty (an extract without buildings has none).
    """
    west, south, east, north = box if box is not None else _bounds(osm)
    crs = metric_crs(west, south, east, north)
    clip = shapely.box(west, south, east, north)
    streets = _lines(
        [w for w in osm.highways if w.tags.get("highway") in _CLASS_OF],
        lambda tags: {"cls": _CLASS_OF[tags["highway"]], "name": tags.get("name")},
    )
    rails, rivers = [], []
    for way in osm.barriers:
        (rails if "railway" in way.tags else rivers).append(way)
    railways = _lines(rails, lambda tags: {"kind": tags.get("railway")})
    waterways = _lines(rivers, lambda tags: {"kind": tags.get("waterway")})
    feats = osm.features
    is_building = feats["tags"].map(lambda tags: "building" in tags).to_numpy(bool)
    polygonal = np.isin(shapely.get_type_id(feats.geometry.values), (3, 6))
    buildings = gpd.GeoDataFrame(geometry=feats.geometry.values[is_building & polygonal], crs=WGS84)
    water = gpd.GeoDataFrame(geometry=np.asarray(osm.water, dtype=object), crs=WGS84)
    layers = {
        "streets": streets,
        "buildings": buildings,
        "water": water,
        "waterways": waterways,
        "railways": railways,
    }
    for name, frame in layers.items():
        layers[name] = _lighten(frame, clip, crs)
    order = {name: rank for rank, name in enumerate(STREET_CLASSES)}
    streets = layers["streets"]
    streets = streets.iloc[np.argsort(-streets["cls"].map(order).to_numpy(), kind="stable")]
    layers["streets"] = streets.reset_index(drop=True)
    labels = _labels(layers["streets"], crs)
    return Basemap(**layers, labels=labels, source=osm.source, tiles=tiles, snapshot=osm.snapshot)


def around(box: tuple[float, float, float, float], margin_m: float = 300.0) -> tuple:
    """A lon/lat box grown by about ``margin_m`` on every side (the map shows a little of what
    lies beyond the study area)."""
    west, south, east, north = box
    dlat = margin_m / 111_320.0
    dlon = dlat / max(0.1, np.cos(np.radians((south + north) / 2)))
    return (west - dlon, south - dlat, east + dlon, north + dlat)


def _bounds(osm: OsmData) -> tuple[float, float, float, float]:
    west, south, east, north = osm.bounds
    return float(west), float(south), float(east), float(north)


def _lines(ways: list, columns) -> gpd.GeoDataFrame:
    rows = [columns(way.tags) for way in ways]
    geoms = [shapely.linestrings(way.lonlat) for way in ways]
    return gpd.GeoDataFrame(pd.DataFrame(rows), geometry=geoms, crs=WGS84)


def _lighten(frame: gpd.GeoDataFrame, clip: shapely.Geometry, crs) -> gpd.GeoDataFrame:
    """Rows meeting ``clip``, simplified to :data:`SIMPLIFY_M` (in metres, back in WGS-84)."""
    if len(frame) == 0:
        return frame.reset_index(drop=True)
    frame = frame[shapely.intersects(frame.geometry.values, clip)]
    if len(frame) == 0:
        return frame.reset_index(drop=True)
    metric = frame.to_crs(crs)
    simple = shapely.simplify(metric.geometry.values, SIMPLIFY_M, preserve_topology=True)
    keep = ~shapely.is_empty(simple)
    out = gpd.GeoDataFrame(
        metric.drop(columns="geometry")[keep].reset_index(drop=True),
        geometry=list(simple[keep]),
        crs=crs,
    )
    return out.to_crs(WGS84)


def _labels(streets: gpd.GeoDataFrame, crs) -> gpd.GeoDataFrame:
    """Anchor points for street names: each name's lines merged, one point per
    :data:`LABEL_EVERY_M` along each merged line (the middle one for a short street), with
    the street's direction there."""
    rows: list[dict] = []
    points: list[shapely.Point] = []
    named = streets[streets["name"].notna() & (streets["name"].astype(str).str.strip() != "")]
    if len(named) == 0:
        return gpd.GeoDataFrame({"name": [], "angle": []}, geometry=[], crs=WGS84)
    metric = named.to_crs(crs)
    for name, group in metric.groupby("name", sort=True):
        merged = shapely.line_merge(shapely.union_all(group.geometry.values))
        for line in shapely.get_parts(merged):
            length = line.length
            if length < MIN_LABEL_M:
                continue
            n = max(1, int(length // LABEL_EVERY_M))
            for k in range(n):
                at = length * (k + 0.5) / n
                here = line.interpolate(at)
                ahead = line.interpolate(min(length, at + 5.0))
                behind = line.interpolate(max(0.0, at - 5.0))
                angle = -np.degrees(np.arctan2(ahead.y - behind.y, ahead.x - behind.x))
                angle = (angle + 90.0) % 180.0 - 90.0
                rows.append({"name": str(name), "angle": round(float(angle), 1)})
                points.append(here)
    frame = gpd.GeoDataFrame(
        pd.DataFrame(rows, columns=["name", "angle"]), geometry=points, crs=crs
    )
    return frame.to_crs(WGS84)


__all__ = [
    "STREET_CLASSES",
    "Basemap",
    "around",
    "basemap_from_osm",
    "check_tiles",
    "empty_basemap",
]
