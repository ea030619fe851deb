"""Street blocks (街廓): the faces the area's streets, rivers and railways cut it into.

Grid boundaries should run along streets, rivers and railways (domain.md), so the smallest
pieces a grid is made of start as the faces of that line network: the lines are noded with
``shapely.union_all`` and turned into polygons with ``shapely.polygonize`` (GEOS), and the
outline of the study area closes the blocks at the edge of the extract. Footways, paths and
compound service roads are left out on purpose: they run *inside* blocks and compounds, and a
grid border along a compound's internal path would split the compound.
"""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pyproj
import shapely

from shequ.errors import InputError
from shequ.geo.osm_file import HighwayWay, OsmData
from shequ.i18n import Note

# Highway classes that bound blocks, grouped by how hard they are to cross on patrol.
MAJOR_ROADS = frozenset(
    {"motorway", "motorway_link", "trunk", "trunk_link", "primary", "primary_link"}
)
MEDIUM_ROADS = frozenset({"secondary", "secondary_link", "tertiary", "tertiary_link"})
MINOR_ROADS = frozenset({"unclassified", "residential", "living_street", "pedestrian", "road"})
# Paths and service roads inside blocks: used only to subdivide blocks with too many homes.
SECONDARY_WAYS = frozenset({"service", "footway", "path", "cycleway", "steps", "track"})
# Border classes, weakest first (the order grid delineation prefers to cut along).
BORDER_CLASSES = ("none", "minor", "medium", "major", "river", "rail", "edge")
AREA_MARGIN_M = 30.0


def border_class(tags: dict[str, str]) -> str | None:
    """The border class of an OSM way, or None when it does not bound blocks."""
    if tags.get("area") == "yes":
        return None
    highway = tags.get("highway")
    if highway in MAJOR_ROADS:
        return "major"
    if highway in MEDIUM_ROADS:
        return "medium"
    if highway in MINOR_ROADS:
        return "minor"
    if "waterway" in tags:
        return "river"
    if "railway" in tags:
        return "rail"
    return None


def _project(
    ways: list[HighwayWay], crs: pyproj.CRS, classify=border_class
) -> tuple[list[str], list]:
    kept = [(w, classify(w.tags)) for w in ways if len(w.lonlat) >= 2]
    kept = [(w, c) for w, c in kept if c is not None]
    if not kept:
        return [], []
    lonlat = np.concatenate([w.lonlat for w, _ in kept])
    to_metric = pyproj.Transformer.from_crs("EPSG:4326", crs, always_xy=True)
    x, y = to_metric.transform(lonlat[:, 0], lonlat[:, 1])
    counts = [len(w.lonlat) for w, _ in kept]
    index = np.repeat(np.arange(len(kept)), counts)
    geoms = shapely.linestrings(np.column_stack([x, y]), indices=index)
    return [c for _, c in kept], list(geoms)


def secondary_lines(osm: OsmData, crs: pyproj.CRS) -> gpd.GeoDataFrame:
    """Service roads and paths (border class "none"): where a crowded block may be divided."""
    ways = [w for w in osm.highways if w.tags.get("highway") in SECONDARY_WAYS]
    ways = [w for w in ways if w.tags.get("area") != "yes"]
    _, geoms = _project(ways, crs, classify=lambda _tags: "none")
    return gpd.GeoDataFrame({"border": ["none"] * len(geoms)}, geometry=list(geoms), crs=crs)


def border_lines(osm: OsmData, crs: pyproj.CRS) -> gpd.GeoDataFrame:
    """Streets, rivers and railways that bound blocks, projected, with their border class."""
    classes, geoms = _project(list(osm.highways) + list(osm.barriers), crs)
    return gpd.GeoDataFrame({"border": classes}, geometry=list(geoms), crs=crs)


def study_area(lines: gpd.GeoDataFrame, extra: np.ndarray | None = None) -> shapely.Geometry:
    """The convex hull of the lines (and ``extra`` points, e.g. homes) plus a small margin.

    Parameters
    ----------
    lines : GeoDataFrame
        Border lines (:func:`border_lines`), in a metric CRS.
    extra : ndarray, optional
        More (x, y) points the area must hold, e.g. homes.

    Returns
    -------
    Polygon
        The study area, :data:`AREA_MARGIN_M` beyond the hull.

    Raises
    ------
    InputError
        Fewer than three points in all: no area to cut into blocks.
    """
    coords = shapely.get_coordinates(lines.geometry.values)
    if extra is not None and len(extra):
        coords = np.vstack([coords, extra])
    if len(coords) < 3:
        raise InputError(Note("e.grid_too_few_streets"))
    return shapely.convex_hull(shapely.multipoints(coords)).buffer(AREA_MARGIN_M)


def street_blocks(lines: gpd.GeoDataFrame, area: shapely.Geometry) -> gpd.GeoDataFrame:
    """Polygons cut from ``area`` by ``lines`` (every point of ``area`` in exactly one block).

    ``area`` may have holes or several parts (a 街道 boundary): its whole boundary cuts, and the
    faces that fill a hole are not blocks.
    """
    clipped = shapely.intersection(lines.geometry.values, area)
    parts = [g for g in clipped if not g.is_empty] + [shapely.boundary(area)]
    noded = shapely.union_all(parts)
    faces = shapely.get_parts(shapely.polygonize(shapely.get_parts(noded)))
    faces = faces[shapely.area(faces) > 1e-6]
    faces = faces[shapely.intersects(area, shapely.point_on_surface(faces))]
    return gpd.GeoDataFrame(
        {"block_id": np.arange(len(faces), dtype=np.int64)}, geometry=faces, crs=lines.crs
    )
