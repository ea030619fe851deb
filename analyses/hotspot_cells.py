"""The cells of a risk-hotspot run (热点单元): study area, H3 resolution, incidents per cell.

Every H3 cell of the study area enters the statistics, empty ones included: a hot spot is only
hot relative to the cells around it. The study area is the convex hull of the OSM extract's
streets when there is one, else of the incidents themselves; the resolution is the user's
``--res`` or the finest at which occupied cells hold a few incidents on average
(:func:`shequ.geo.h3cells.auto_resolution`), and it is refused when its cells over the area
would not fit in memory.
"""

from __future__ import annotations

from dataclasses import dataclass

import h3
import numpy as np
import pyproj
import shapely
from scipy.spatial import ConvexHull, QhullError

from shequ.errors import InputError
from shequ.geo.coords import metric_crs
from shequ.geo.h3cells import (
    auto_resolution,
    cell_centres,
    check_resolution,
    points_to_cells,
    polygon_to_cells,
)
from shequ.i18n import Note
from shequ.machine import check_fits

# Peak memory per H3 cell: 1.4 KB measured without the map (300 incidents, --res 13 → 14:
# 29,381 → 203,950 cells, +237 MB), ×3 for the map page and the layers written.
BYTES_PER_CELL = 4_000


@dataclass(frozen=True)
class IncidentCells:
    """The cells of a run and the incidents counted on them.

    Attributes
    ----------
    cells : ndarray of uint64
        H3 cells of the study area and of every incident, sorted.
    where : ndarray of int
        Each incident's position in ``cells``.
    count : ndarray of float
        Incidents per cell (0 for the empty cells of the area).
    centres : ndarray, shape (n, 2)
        lon/lat of the cell centres.
    crs : pyproj.CRS
        The metric CRS (UTM zone) around the cells, for distances and densities.
    """

    cells: np.ndarray
    where: np.ndarray
    count: np.ndarray
    centres: np.ndarray
    crs: pyproj.CRS


def study_area(lonlat: np.ndarray) -> shapely.Geometry:
    """Convex hull of points: the streets' vertices of an OSM extract, or the incidents.

    The hull comes from scipy's Qhull: a shapely multipoint of a million incidents costs seconds
    and hundreds of MB before the hull.

    Parameters
    ----------
    lonlat : ndarray, shape (n, 2)
        WGS-84 lon/lat of the points (repeats allowed).

    Returns
    -------
    shapely.Geometry
        A polygon; a point or a line when the points are fewer than three distinct ones or all
        lie on one line (:func:`shequ.geo.h3cells.polygon_to_cells` widens those).
    """
    xy = np.unique(lonlat[:, 0] + 1j * lonlat[:, 1])
    xy = np.column_stack([xy.real, xy.imag])
    if len(xy) < 3:
        return shapely.convex_hull(shapely.multipoints(xy))
    try:
        hull = ConvexHull(xy)
    except QhullError:  # all points on a line
        return shapely.convex_hull(shapely.multipoints(xy))
    return shapely.Polygon(xy[hull.vertices])


def choose_resolution(lon: np.ndarray, lat: np.ndarray, res: int | None) -> tuple[int, Note]:
    """The run's H3 resolution and why: the one given, else the automatic choice.

    Parameters
    ----------
    lon, lat : ndarray
        WGS-84 coordinates of the incidents.
    res : int or None
        ``--res``; None chooses it from the incidents.

    Returns
    -------
    (int, Note)
        The resolution and the note saying how it was chosen (``n.res_given`` / ``n.res_auto``).

    Raises
    ------
    ValueError
        When ``res`` is not 0–15 (its message is a :class:`~shequ.i18n.Note`).
    """
    if res is None:
        return auto_resolution(lon, lat)
    res = check_resolution(res)
    return res, Note("n.res_given", res=res)


def check_cell_memory(area: shapely.Geometry, res: int, incidents: int, *, given: bool) -> None:
    """Refuse a resolution whose cells over the study area would not fit in memory.

    Parameters
    ----------
    area : shapely.Geometry
        The study area (lon/lat).
    res : int
        The H3 resolution.
    incidents : int
        Incidents in the area (each may add a cell outside the area's own).
    given : bool
        Whether the user gave ``--res`` (the message names the option) or it was chosen.

    Raises
    ------
    InputError
        From :func:`shequ.machine.check_fits`, with the estimate and the advice to choose a
        lower ``--res``.
    """
    area_m2 = abs(pyproj.Geod(ellps="WGS84").geometry_area_perimeter(area)[0])
    cells = area_m2 / h3.average_hexagon_area(res, unit="m^2") + incidents
    option = f"--res {res}" if given else Note("hs.res_option", res=res)
    check_fits(option, cells, BYTES_PER_CELL, Note("hs.cells_what"), Note("hs.lower_res"))


def fitting_resolution(
    area: shapely.Geometry, res: int, lon: np.ndarray, lat: np.ndarray, lowest: int
) -> tuple[int, Note | None]:
    """The finest resolution from ``res`` down to ``lowest`` whose cells fit in memory.

    The automatic choice looks at the incidents only; over a city's hull with millions of
    incidents it can ask for millions of mostly empty cells. Rather than stopping, the run then
    takes the next coarser resolution that fits, and says so. Where the quick estimate (every
    incident a cell of its own) does not fit, the incidents' cells are counted exactly first
    (one pass over the incidents), since millions of incidents share far fewer cells.

    Returns
    -------
    (int, Note or None)
        The resolution, and a note when it is coarser than ``res``.

    Raises
    ------
    InputError
        Even ``lowest`` would not fit (from :func:`check_cell_memory`).
    """
    for r in range(res, lowest - 1, -1):
        try:
            try:
                check_cell_memory(area, r, len(lon), given=False)
            except InputError:
                occupied = len(np.unique(points_to_cells(lon, lat, r)))
                check_cell_memory(area, r, occupied, given=False)
        except InputError:
            if r == lowest:
                raise
            continue
        if r == res:
            return r, None
        return r, Note("n.res_memory", res=r, finer=res)
    raise AssertionError("unreachable")  # the loop returns or raises


def incident_cells(
    area: shapely.Geometry, lon: np.ndarray, lat: np.ndarray, res: int
) -> IncidentCells:
    """The cells of the study area and of the incidents, and the incidents per cell.

    Parameters
    ----------
    area : shapely.Geometry
        The study area (lon/lat); every cell overlapping it is kept, empty or not.
    lon, lat : ndarray
        WGS-84 coordinates of the incidents.
    res : int
        The H3 resolution.

    Returns
    -------
    IncidentCells
    """
    point_cells = points_to_cells(lon, lat, res)
    cells = np.union1d(polygon_to_cells(area, res), point_cells)
    where = np.searchsorted(cells, point_cells)
    count = np.bincount(where, minlength=len(cells)).astype(float)
    centres = cell_centres(cells)
    crs = metric_crs(*np.r_[centres.min(axis=0), centres.max(axis=0)])
    return IncidentCells(cells, where, count, centres, crs)


def cell_of(cells: np.ndarray, lon: np.ndarray, lat: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Position of each point's cell among ``cells`` and whether it is one of them.

    Parameters
    ----------
    cells : ndarray of uint64
        Sorted H3 cells, all of one resolution.
    lon, lat : ndarray
        WGS-84 coordinates of the points.

    Returns
    -------
    (ndarray of int, ndarray of bool)
        The position (clipped to the last cell where the point is in none) and whether the
        point's cell is among ``cells``: use the positions where it is.
    """
    res = int(h3.api.numpy_int.get_resolution(int(cells[0])))
    hc = points_to_cells(lon, lat, res)
    pos = np.searchsorted(cells, hc)
    ok = (pos < len(cells)) & (cells[np.minimum(pos, len(cells) - 1)] == hc)
    return np.minimum(pos, len(cells) - 1), ok
