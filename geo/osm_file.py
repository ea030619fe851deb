"""Read a local OpenStreetMap file (.osm, .osm.gz, .osm.bz2, .osm.pbf) into plain arrays.

One reader for every format: pyosmium (libosmium) parses XML, compressed XML and PBF alike and,
unlike ``osmnx.graph_from_xml``, keeps going when an extract was clipped: a way whose nodes are
missing from the file is cut into the runs of nodes that *are* present, and the number of cut ways
is reported instead of failing the whole load. Multipolygon relations and closed ways become
areas through libosmium's area assembler (buildings, residential compounds, facility grounds).

Everything here stays in WGS-84 lon/lat; projection happens when the network is built.
"""

from __future__ import annotations

import bz2
import contextlib
import gzip
import logging
import re
import tempfile
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path

import geopandas as gpd
import numpy as np
import osmium
import shapely

from shequ.errors import InputError
from shequ.geo.tag_index import TagIndex
from shequ.i18n import Note

log = logging.getLogger(__name__)

COORDINATE_PRECISION = 10_000_000  # libosmium stores degrees as integers of 1e-7
OSM_SUFFIXES = (".osm", ".osm.gz", ".osm.bz2", ".osm.pbf", ".pbf", ".osm.xml", ".xml")

# Linear barriers a management grid should follow (网格边界: roads, rivers, railways).
BARRIER_TAGS = {
    "waterway": ("river", "canal", "stream", "drain", "ditch"),
    "railway": ("rail", "light_rail", "narrow_gauge", "tram", "subway", "monorail"),
}

# Water areas, kept for the basemap only (lakes, ponds, reservoirs, river areas).
WATER_TAGS = {
    "natural": ("water",),
    "water": ("river", "lake", "pond", "reservoir", "canal", "basin", "lagoon", "oxbow"),
    "landuse": ("reservoir", "basin"),
    "waterway": ("riverbank", "dock"),
}

# Keys kept on nodes and areas: enough to recognise homes, compounds and every facility kind.
FEATURE_KEYS = (
    "building",
    "landuse",
    "amenity",
    "social_facility",
    "healthcare",
    "office",
    "shop",
    "leisure",
    "emergency",
    "man_made",
    "surveillance",
    "name",
)


@dataclass
class HighwayWay:
    """One highway way (or one piece of a clipped way): node ids and lon/lat in order."""

    way_id: int
    tags: dict[str, str]
    node_ids: np.ndarray  # int64, shape (k,)
    lonlat: np.ndarray  # float64, shape (k, 2)


@dataclass
class OsmData:
    """What shequ needs from an OSM file, still in WGS-84."""

    source: str
    highways: list[HighwayWay]
    features: gpd.GeoDataFrame  # nodes and areas with tags: osm_type, osm_id, name, tags, geometry
    barriers: list[HighwayWay] = field(default_factory=list)  # waterway / railway lines
    water: np.ndarray = field(default_factory=lambda: np.empty(0, dtype=object))  # areas (basemap)
    snapshot: str | None = None  # when the data was taken (ISO date-time; see osm_snapshot)
    ways_cut: int = 0  # highway ways cut because some of their nodes are missing
    ways_dropped: int = 0  # highway ways with fewer than two nodes present
    areas_failed: int = 0  # areas libosmium could not assemble (clipped multipolygons)
    notes: list[str] = field(default_factory=list)

    @cached_property
    def tag_index(self) -> TagIndex:
        """The features' tags indexed (:class:`~shequ.geo.tag_index.TagIndex`), built once for
        the facility kinds, the siting candidates and their exclusions alike."""
        return TagIndex(self.features["tags"].to_numpy(dtype=object))

    @property
    def bounds(self) -> tuple[float, float, float, float]:
        """lon/lat bounds of the highway nodes (the walkable area), else of the features.

        Raises
        ------
        InputError
            When the file holds neither streets nor features: there is no area.
        """
        if self.highways:
            xy = np.concatenate([w.lonlat for w in self.highways])
            return (*xy.min(axis=0), *xy.max(axis=0))
        if len(self.features):
            return tuple(self.features.total_bounds)
        raise InputError(Note("e.osm_no_bounds"), path=self.source)


def check_osm_path(path: Path) -> None:
    """Refuse a path that is missing, not a file, empty, or not named as an OSM file."""
    if not path.exists():
        raise InputError(Note("e.input_not_found"), path=path)
    if not path.is_file():
        raise InputError(Note("e.input_not_a_file"), path=path)
    name = path.name.lower()
    if not name.endswith(OSM_SUFFIXES):
        raise InputError(Note("e.osm_suffix"), path=path)
    if path.stat().st_size == 0:
        raise InputError(Note("e.input_empty"), path=path)


def _split_valid_runs(
    node_ids: np.ndarray, lonlat: np.ndarray
) -> list[tuple[np.ndarray, np.ndarray]]:
    """Runs of consecutive nodes whose location is known (clipped extracts miss some)."""
    valid = np.isfinite(lonlat).all(axis=1)
    if valid.all():
        return [(node_ids, lonlat)]
    runs = []
    edges = np.flatnonzero(np.diff(np.concatenate([[0], valid.astype(np.int8), [0]])))
    for start, stop in zip(edges[::2], edges[1::2], strict=True):
        if stop - start >= 2:
            runs.append((node_ids[start:stop], lonlat[start:stop]))
    return runs


def read_osm(path: str | Path) -> OsmData:
    """Parse an OSM file: highway ways (cut where clipped), river/rail lines, tagged nodes/areas.

    Parameters
    ----------
    path : str or Path
        An ``.osm``, ``.osm.gz``, ``.osm.bz2`` or ``.osm.pbf`` file; one whose ids are out of
        order (a hand-edited export) is sorted into a temporary copy first.

    Returns
    -------
    OsmData
        In WGS-84, with notes on what was cut, dropped or sorted.

    Raises
    ------
    InputError
        For a missing, empty or unreadable file, a name that is not an OSM file, or a file
        holding no ways and no tagged features (libosmium's words shown as evidence).
    """
    path = Path(path)
    check_osm_path(path)
    notes: list[str] = []
    try:
        parsed = _parse(path)
    except RuntimeError as exc:
        if "out of order" not in str(exc):
            raise InputError(Note("e.osm_unreadable", detail=str(exc)), path=path) from exc
        # libosmium's area assembler needs ids sorted; hand-edited exports often are not.
        with tempfile.TemporaryDirectory(prefix="shequ-osm-") as tmp:
            sorted_path = _sorted_copy(path, Path(tmp) / "sorted.osm.pbf")
            parsed = _parse(sorted_path)
        notes.append(Note("n.osm_unsorted"))
    highways, barriers, rows, water, latest, ways_cut, ways_dropped, areas_failed = parsed
    features = _features_frame(rows)
    if not highways and features.empty:
        raise InputError(Note("e.osm_nothing"), path=path)
    data = OsmData(
        str(path), highways, features, barriers, ways_cut, ways_dropped, areas_failed, notes
    )
    data.water = shapely.from_wkb(water) if water else np.empty(0, dtype=object)
    data.snapshot = osm_snapshot(path, latest)
    if ways_cut or ways_dropped:
        notes.append(Note("n.osm_ways_cut", cut=ways_cut, dropped=ways_dropped))
    if areas_failed:
        notes.append(Note("n.osm_areas_failed", n=areas_failed))
    log.info("read %s: %d highway ways, %d features", path.name, len(highways), len(features))
    return data


_Row = tuple[str, int, dict[str, str], bytes | tuple[float, float]]
"""A tagged feature: OSM type, id, tags, and its area's WKB or its node's (lon, lat)."""
_Parsed = tuple[
    list[HighwayWay],
    list[HighwayWay],
    list[_Row],
    list[bytes],
    str | None,
    int,
    int,
    int,
]


def _parse(path: Path) -> _Parsed:
    wkb = osmium.geom.WKBFactory()
    highways: list[HighwayWay] = []
    barriers: list[HighwayWay] = []
    rows: list[_Row] = []
    water: list[bytes] = []
    latest = None  # the latest edit among the objects read
    ways_cut = ways_dropped = areas_failed = 0
    keys = dict.fromkeys(["highway", *BARRIER_TAGS, *FEATURE_KEYS, *WATER_TAGS])
    processor = (
        osmium.FileProcessor(str(path))
        .with_locations()
        .with_areas()
        .with_filter(osmium.filter.KeyFilter(*keys))
    )
    for obj in processor:
        stamp = obj.timestamp
        if stamp is not None and stamp.year > 1970 and (latest is None or stamp > latest):
            latest = stamp
        if obj.is_way():
            if "highway" in obj.tags:
                cut, dropped = _collect_highway(obj, highways)
                ways_cut += cut
                ways_dropped += dropped
            elif _is_barrier(obj.tags):
                _collect_highway(obj, barriers)
        elif obj.is_node():
            tags = tag_dict(obj.tags)
            if any(k in tags for k in FEATURE_KEYS):
                loc = obj.location
                rows.append(("node", obj.id, tags, (loc.lon, loc.lat)))
        elif obj.is_area():
            tags = tag_dict(obj.tags)
            if _is_water(tags):
                with contextlib.suppress(RuntimeError):  # a clipped lake: only its fill is lost
                    water.append(bytes.fromhex(wkb.create_multipolygon(obj)))
            if not any(k in tags for k in FEATURE_KEYS):
                continue
            try:
                geom = wkb.create_multipolygon(obj)
            except RuntimeError:
                areas_failed += 1
                continue
            osm_type = "way" if obj.from_way() else "relation"
            rows.append((osm_type, obj.orig_id(), tags, bytes.fromhex(geom)))
    stamp = latest.strftime("%Y-%m-%dT%H:%M:%SZ") if latest is not None else None
    return highways, barriers, rows, water, stamp, ways_cut, ways_dropped, areas_failed


_OSM_BASE = re.compile(rb'osm_base="([0-9T:\-Z]+)"')


def osm_snapshot(path: Path, latest: str | None = None) -> str | None:
    """When an extract's data was taken, for the report's provenance: the file header's
    replication timestamp (planet and Geofabrik files), else an Overpass export's ``osm_base``
    (the first 4 kB of an XML file), else ``latest`` (the latest edit among the objects read:
    the data is at least that recent), else None."""
    try:
        reader = osmium.io.Reader(str(path), osmium.osm.osm_entity_bits.NOTHING)
        try:
            header = reader.header()
            found = header.get("osmosis_replication_timestamp") or header.get("timestamp")
        finally:
            reader.close()
    except RuntimeError:
        found = None
    if found:
        return str(found)
    if path.suffix in (".osm", ".gz", ".bz2", ".xml"):
        opener = {".gz": gzip.open, ".bz2": bz2.open}.get(path.suffix, open)
        try:
            with opener(path, "rb") as handle:
                match = _OSM_BASE.search(handle.read(4096))
        except OSError:
            match = None
        if match:
            return match.group(1).decode("ascii")
    return latest


def tag_dict(tags: osmium.osm.TagList) -> dict[str, str]:
    """An object's tags as a dict, read straight from pyosmium's tag container.

    ``dict(tags)`` steps through pyosmium's Python iterator, one call per tag; reading the
    container's own ``tags_next`` skips that layer and halves the cost (3.5 of 7.4 s over the
    277k tagged nodes and areas of the 337k-node mosaic). Falls back to ``dict(tags)`` where a
    pyosmium release lays the container out otherwise.
    """
    data = getattr(tags, "_pyosmium_data", None)
    if data is None or not hasattr(data, "tags_next"):
        return dict(tags)
    step, at = data.tags_next, data.tags_begin()
    return dict(step(at) for _ in range(data.tags_size()))


def _is_water(tags: dict[str, str]) -> bool:
    return any(tags.get(key) in values for key, values in WATER_TAGS.items())


def _is_barrier(tags: osmium.osm.TagList) -> bool:
    if tags.get("tunnel") not in (None, "no") or tags.get("location") == "underground":
        return False
    return any(tags.get(key) in values for key, values in BARRIER_TAGS.items())


def _sorted_copy(path: Path, out: Path) -> Path:
    """Write the file's objects sorted by type and id (what libosmium's area assembler needs)."""
    mutable = osmium.osm.mutable
    nodes, ways, rels = [], [], []
    for o in osmium.FileProcessor(str(path)):
        if o.is_node():
            nodes.append(mutable.Node(o, tags=dict(o.tags)))
        elif o.is_way():
            ways.append(mutable.Way(o, nodes=[n.ref for n in o.nodes], tags=dict(o.tags)))
        elif o.is_relation():
            members = [(m.type, m.ref, m.role) for m in o.members]
            rels.append(mutable.Relation(o, members=members, tags=dict(o.tags)))
    writer = osmium.SimpleWriter(str(out))
    try:
        for n in sorted(nodes, key=lambda o: o.id):
            writer.add_node(n)
        for w in sorted(ways, key=lambda o: o.id):
            writer.add_way(w)
        for r in sorted(rels, key=lambda o: o.id):
            writer.add_relation(r)
    finally:
        writer.close()
    return out


def _collect_highway(way: osmium.osm.Way, out: list[HighwayWay]) -> tuple[int, int]:
    # one pass over the nodes for ids and fixed-point coordinates (libosmium's 1e-7 degree
    # integers; a missing location is 2**31 - 1), then degrees as libosmium computes them
    raw = np.array([(n.ref, n.x, n.y) for n in way.nodes], dtype=np.int64).reshape(-1, 3)
    node_ids = raw[:, 0]
    lonlat = raw[:, 1:] / COORDINATE_PRECISION
    valid = (np.abs(raw[:, 1]) <= 180 * COORDINATE_PRECISION) & (
        np.abs(raw[:, 2]) <= 90 * COORDINATE_PRECISION
    )
    lonlat[~valid] = np.nan
    runs = _split_valid_runs(node_ids, lonlat)
    tags = tag_dict(way.tags)
    for ids, xy in runs:
        out.append(HighwayWay(way.id, tags, ids, xy))
    complete = len(runs) == 1 and len(runs[0][0]) == len(node_ids)
    return (0 if complete else 1), (1 if not runs else 0)


def _features_frame(rows: list[_Row]) -> gpd.GeoDataFrame:
    if not rows:
        return gpd.GeoDataFrame(
            {"osm_type": [], "osm_id": [], "name": [], "tags": []},
            geometry=gpd.GeoSeries([], crs="EPSG:4326"),
        )
    osm_type, osm_id, tags, geoms = zip(*rows, strict=True)
    return gpd.GeoDataFrame(
        {
            "osm_type": list(osm_type),
            "osm_id": np.asarray(osm_id, dtype=np.int64),
            "name": [t.get("name") for t in tags],
            "tags": list(tags),
        },
        geometry=_geometries(geoms),
        crs="EPSG:4326",
    )


def _geometries(items: tuple) -> np.ndarray:
    """Areas from their WKB, nodes from their (lon, lat), each kind in one vectorised call."""
    out = np.empty(len(items), dtype=object)
    is_node = np.array([isinstance(item, tuple) for item in items], dtype=bool)
    if is_node.any():
        lonlat = np.array([items[i] for i in np.flatnonzero(is_node)], dtype=np.float64)
        out[is_node] = shapely.points(lonlat.reshape(-1, 2))
    if (~is_node).any():
        out[~is_node] = shapely.from_wkb([items[i] for i in np.flatnonzero(~is_node)])
    return out
