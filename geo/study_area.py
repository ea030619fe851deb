"""The one study area every command uses: a user boundary, the extract's bounds, or a hull.

Before, each command drew its own: the walk network the bounds of every street node, the grids
the hull of every border line and home, the hotspots the hull of the streets. Streets that run
out of an extract (a motorway cut where its way ends, kilometres away) stretched those hulls: a
15 km² extract gave an 84 km² grid study area whose edge grid held 6 homes over 57 km².

The area is, in order of precedence:

1. ``--area``: the user's polygon file (a 街道/社区 boundary), every polygon of it united;
2. the extract's declared ``<bounds>`` (what the exporter cut), when a street lies inside;
3. the convex hull of the homes and facilities (plus :data:`HULL_MARGIN_M`) within the box of
   the streets, when the file declares no bounds: where people live and go is what a study is
   about, and points beyond every street (a city-wide POI file) cannot be reached;
4. the box of the streets, when there is neither (a roads-only extract and no points).

Commands clip their demand and what they place (homes, candidate sites, grids, H3 cells) to
it. The walk network is not clipped: a walk may cross the edge, and a facility just outside
still serves the homes inside (the halo).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import geopandas as gpd
import numpy as np
import osmium
import pyproj
import shapely
from scipy.spatial import ConvexHull, QhullError

from shequ.errors import InputError
from shequ.geo.network import bounds_polygon
from shequ.geo.polygons_file import read_polygon_file
from shequ.i18n import Note
from shequ.rejects import Rejects

HULL_MARGIN_M = 30.0  # a hull's margin, so the points on it lie inside (the blocks' margin)
SOURCES = ("file", "bounds", "hull", "streets")
MIN_INSIDE_SHARE = 0.5  # an --area less than half inside the extract is noted


@dataclass(frozen=True)
class StudyArea:
    """The study area in the run's metric CRS and in WGS-84, with where it came from.

    Attributes
    ----------
    metric : shapely.Geometry
        A polygon (or multipolygon) in ``crs``.
    crs : pyproj.CRS
        The run's metric CRS.
    source : str
        One of :data:`SOURCES`.
    path : str or None
        The ``--area`` file, or the OSM file whose bounds or points gave the area.
    """

    metric: shapely.Geometry
    crs: pyproj.CRS
    source: str
    path: str | None

    @property
    def km2(self) -> float:
        return float(self.metric.area) / 1e6

    def lonlat(self) -> shapely.Geometry:
        """The area in WGS-84 lon/lat."""
        to_wgs84 = pyproj.Transformer.from_crs(self.crs, "EPSG:4326", always_xy=True)
        return shapely.transform(
            self.metric, lambda xy: np.column_stack(to_wgs84.transform(xy[:, 0], xy[:, 1]))
        )

    def contains(self, xy: np.ndarray) -> np.ndarray:
        """Per (x, y) row in the metric CRS, True where the point lies in the area (its edge
        included)."""
        xy = np.asarray(xy, dtype=float).reshape(-1, 2)
        shapely.prepare(self.metric)
        return shapely.intersects_xy(self.metric, xy[:, 0], xy[:, 1])

    def to_json(self) -> dict:
        """What ``run.json`` records: where the area came from, its size and lon/lat box."""
        west, south, east, north = shapely.bounds(self.lonlat())
        return {
            "source": self.source,
            "path": self.path,
            "km2": round(self.km2, 4),
            "bounds_wgs84": [round(float(v), 6) for v in (west, south, east, north)],
        }

    def layer(self) -> gpd.GeoDataFrame:
        """The ``study_area`` layer of ``shequ.gpkg``: one row, in WGS-84 (whatever the
        command's other layers use, the boundary opens the same in every one)."""
        return gpd.GeoDataFrame(
            {"source": [self.source], "path": [self.path or ""], "km2": [self.km2]},
            geometry=[self.lonlat()],
            crs="EPSG:4326",
        )


def declared_bounds(path: str | Path) -> tuple[float, float, float, float] | None:
    """The ``<bounds>`` an OSM file declares in its header (west, south, east, north), if any.

    libosmium reads the header alone (no object is decoded). A box that is not a valid lon/lat
    box counts as none.
    """
    try:
        reader = osmium.io.Reader(str(path), osmium.osm.osm_entity_bits.NOTHING)
        try:
            box = reader.header().box()
        finally:
            reader.close()
    except RuntimeError:
        return None
    if not box.valid():
        return None
    west, south = box.bottom_left.lon, box.bottom_left.lat
    east, north = box.top_right.lon, box.top_right.lat
    if not (-180 <= west < east <= 180 and -90 <= south < north <= 90):
        return None
    return (west, south, east, north)


def hull_polygon(xy: np.ndarray, margin: float = HULL_MARGIN_M) -> shapely.Geometry | None:
    """The convex hull of metric points plus ``margin``; None without a point.

    The hull comes from scipy's Qhull: a shapely multipoint of millions of homes costs seconds
    and hundreds of MB before the hull. Fewer than three points, or points on one line, give
    the buffered points or line.
    """
    xy = np.asarray(xy, dtype=float).reshape(-1, 2)
    xy = xy[np.isfinite(xy).all(axis=1)]
    if len(xy) == 0:
        return None
    unique = np.unique(xy, axis=0)
    try:
        ring = unique[ConvexHull(unique).vertices]
        return shapely.Polygon(ring).buffer(margin)
    except (QhullError, ValueError):
        return shapely.convex_hull(shapely.multipoints(unique)).buffer(margin)


def area_from_file(
    path: str | Path,
    crs: str | None,
    metric: pyproj.CRS,
    rejects: Rejects,
    extent: shapely.Geometry,
    notes: list,
) -> StudyArea:
    """The ``--area`` file's polygons, united, in the metric CRS.

    Parameters
    ----------
    path : str or Path
        A polygon file (.geojson, .gpkg, .shp, .parquet).
    crs : str or None
        ``--crs``, for a file that declares no CRS.
    metric : pyproj.CRS
        The run's metric CRS.
    rejects : Rejects
        Rows without a usable polygon go here with their reason.
    extent : shapely.Geometry
        What the data covers (the streets' box), metric: an area outside it is an error, one
        mostly outside it a note.
    notes : list
        The run's notes.

    Raises
    ------
    InputError
        The file cannot be read, holds no usable polygon, or lies outside the data.
    """
    frame, _ = read_polygon_file(path, crs, metric, rejects, layer="area")
    geom = shapely.union_all(shapely.make_valid(frame.geometry.to_numpy()))
    if geom.is_empty or not geom.area > 0:  # only slivers or degenerate rings
        raise InputError(Note("e.area_no_area"), path=path)
    inside = shapely.intersection(geom, extent)
    share = float(inside.area / geom.area) if geom.area > 0 else 0.0
    if inside.is_empty or inside.area <= 0:
        lonlat = StudyArea(geom, metric, "file", str(path)).to_json()["bounds_wgs84"]
        data = StudyArea(extent, metric, "streets", None).to_json()["bounds_wgs84"]
        raise InputError(
            Note("e.area_outside", area=_box_text(lonlat), data=_box_text(data)), path=path
        )
    if share < MIN_INSIDE_SHARE:
        notes.append(Note("n.area_partly_outside", share=share))
    return StudyArea(geom, metric, "file", str(path))


def _box_text(bounds: list[float]) -> str:
    west, south, east, north = bounds
    return f"lon {west:.4f}–{east:.4f}, lat {south:.4f}–{north:.4f}"


def area_of_extract(
    osm_path: str | Path,
    metric: pyproj.CRS,
    street_xy: np.ndarray,
    point_xy: np.ndarray,
    notes: list,
) -> StudyArea:
    """The area when no ``--area`` is given: declared bounds, else hull of points, else streets.

    Parameters
    ----------
    osm_path : str or Path
        The OSM extract (its header is read for ``<bounds>``).
    metric : pyproj.CRS
        The run's metric CRS.
    street_xy : ndarray, shape (n, 2)
        The street nodes, metric: declared bounds holding none of them are not believed, and
        without bounds and points their box is the area.
    point_xy : ndarray, shape (m, 2)
        Homes and facilities, metric.
    notes : list
        The run's notes: ignored bounds are noted.
    """
    declared = declared_bounds(osm_path)
    if declared is not None:
        box = bounds_polygon(
            declared, pyproj.Transformer.from_crs("EPSG:4326", metric, always_xy=True)
        )
        if len(street_xy) and shapely.intersects_xy(box, street_xy[:, 0], street_xy[:, 1]).any():
            return StudyArea(box, metric, "bounds", str(osm_path))
        notes.append(Note("n.area_bounds_ignored"))
    if len(street_xy) == 0:
        raise InputError(Note("e.osm_no_bounds"), path=osm_path)
    x0, y0 = street_xy.min(axis=0)
    x1, y1 = street_xy.max(axis=0)
    streets = shapely.box(x0, y0, x1, y1).buffer(HULL_MARGIN_M, join_style="mitre")
    # points beyond the streets (a city-wide Amap file over a district extract) do not widen
    # the area: there is no street to reach them by
    hull = hull_polygon(point_xy[streets_contain(streets, point_xy)])
    if hull is not None:
        return StudyArea(shapely.intersection(hull, streets), metric, "hull", str(osm_path))
    return StudyArea(streets, metric, "streets", str(osm_path))


def streets_contain(box: shapely.Geometry, xy: np.ndarray) -> np.ndarray:
    """Per metric point, True inside ``box``."""
    xy = np.asarray(xy, dtype=float).reshape(-1, 2)
    return shapely.intersects_xy(box, xy[:, 0], xy[:, 1])
