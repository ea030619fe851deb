"""H3 hexagonal cells (h3 v4 API): points and polygons to cells, cell polygons, ring neighbours.

Officials read risk per cell, so cells are the unit of the hotspot statistics. The h3-py v4
functions are scalar; a city's incidents repeat the same addresses many times, so points are
reduced to distinct coordinates first and each distinct coordinate is indexed once (1 M points
of real incident data have tens of thousands of distinct positions). Cell ids are kept as
uint64 in arrays and turned into the hex strings (``h3.int_to_str``) only for output.
"""

from __future__ import annotations

import h3
import numpy as np
import shapely

from shequ.i18n import Note

MIN_RES, MAX_RES = 0, 15
AUTO_RES_RANGE = (6, 11)
AUTO_MIN_PER_CELL = 3.0


def check_resolution(res: int) -> int:
    """``res`` as an ``int`` when it is an H3 resolution (0–15).

    Parameters
    ----------
    res : int
        The resolution asked for.

    Returns
    -------
    int

    Raises
    ------
    ValueError
        When ``res`` is not a whole number from 0 to 15; its message is a
        :class:`~shequ.i18n.Note` (``e.hs_resolution``), so a caller can show it translated.
    """
    if not (isinstance(res, int | np.integer) and MIN_RES <= res <= MAX_RES):
        raise ValueError(Note("e.hs_resolution", lo=MIN_RES, hi=MAX_RES, value=repr(res)))
    return int(res)


def points_to_cells(lon: np.ndarray, lat: np.ndarray, res: int) -> np.ndarray:
    """uint64 cell of every (lon, lat) point at ``res``.

    Parameters
    ----------
    lon, lat : ndarray
        WGS-84 coordinates.
    res : int
        H3 resolution 0–15.

    Returns
    -------
    ndarray of uint64
        One cell per point, in the points' order.
    """
    res = check_resolution(res)
    lat = np.asarray(lat, dtype=np.float64)
    lon = np.asarray(lon, dtype=np.float64)
    if len(lat) == 0:
        return np.zeros(0, dtype=np.uint64)
    # distinct positions through a complex view: np.unique on a 1-D array is ~10x faster than
    # the row-wise unique of an (n, 2) array
    uniq, inverse = np.unique(lat + 1j * lon, return_inverse=True)
    to_cell = h3.api.numpy_int.latlng_to_cell
    cells = np.fromiter(
        (to_cell(a, b, res) for a, b in zip(uniq.real.tolist(), uniq.imag.tolist(), strict=True)),
        dtype=np.uint64,
        count=len(uniq),
    )
    return cells[np.asarray(inverse).ravel()]


def auto_resolution(lon: np.ndarray, lat: np.ndarray) -> tuple[int, Note]:
    """The finest resolution (6–11) at which occupied cells hold ≥ 3 incidents on average.

    Parameters
    ----------
    lon, lat : ndarray
        WGS-84 coordinates of the incidents.

    Returns
    -------
    (int, Note)
        The resolution and why it was chosen (``n.res_auto``, for the run's notes).
    """
    n = len(lon)
    chosen = AUTO_RES_RANGE[0]
    for res in range(AUTO_RES_RANGE[0], AUTO_RES_RANGE[1] + 1):
        occupied = len(np.unique(points_to_cells(lon, lat, res)))
        if occupied and n / occupied >= AUTO_MIN_PER_CELL:
            chosen = res
        else:
            break
    why = Note(
        "n.res_auto",
        res=chosen,
        lo=AUTO_RES_RANGE[0],
        hi=AUTO_RES_RANGE[1],
        least=AUTO_MIN_PER_CELL,
    )
    return chosen, why


def cell_polygons(cells: np.ndarray) -> np.ndarray:
    """Shapely polygons (lon/lat) of the cells.

    Parameters
    ----------
    cells : ndarray of uint64

    Returns
    -------
    ndarray of shapely.Polygon
        The hexagon (or pentagon) of each cell, in the cells' order.
    """
    out = []
    for c in np.asarray(cells, dtype=np.uint64):
        ring = h3.api.numpy_int.cell_to_boundary(int(c))
        out.append(shapely.Polygon([(lng, lat) for lat, lng in ring]))
    return np.asarray(out, dtype=object)


def cell_centres(cells: np.ndarray) -> np.ndarray:
    """lon/lat of the cell centres.

    Parameters
    ----------
    cells : ndarray of uint64

    Returns
    -------
    ndarray, shape (n, 2)
    """
    pts = [h3.api.numpy_int.cell_to_latlng(int(c)) for c in np.asarray(cells, dtype=np.uint64)]
    return np.array([(lng, lat) for lat, lng in pts]).reshape(-1, 2)


def polygon_to_cells(polygon: shapely.Geometry, res: int) -> np.ndarray:
    """Cells overlapping a lon/lat (multi)polygon: the overlap mode keeps narrow polygons.

    A degenerate area (a point or a line: the hull of incidents that all share one address or
    lie on one street) is widened by one cell edge first, so it still gets its cell and the
    ring around it instead of failing.
    """
    res = check_resolution(res)
    polygon = _widen_degenerate(polygon, res)
    out = []
    for part in shapely.get_parts(polygon):
        if part.geom_type != "Polygon" or part.is_empty:
            continue
        shape = h3.LatLngPoly(
            [(y, x) for x, y in part.exterior.coords[:-1]],
            *[[(y, x) for x, y in ring.coords[:-1]] for ring in part.interiors],
        )
        found = h3.h3shape_to_cells_experimental(shape, res, contain="overlap")
        out.extend(h3.str_to_int(c) if isinstance(c, str) else c for c in found)
    return np.unique(np.asarray(out, dtype=np.uint64))


def _widen_degenerate(area: shapely.Geometry, res: int) -> shapely.Geometry:
    """``area`` itself when it has area; else its non-empty parts buffered by one edge length
    of a cell at ``res`` (in degrees of latitude, ÷ cos(lat) so it spans an edge east-west too)."""
    parts = [p for p in shapely.get_parts(area) if not p.is_empty]
    if all(p.geom_type == "Polygon" and p.area > 0 for p in parts):
        return area
    lat = float(np.mean(shapely.get_coordinates(area)[:, 1])) if parts else 0.0
    edge_deg = h3.average_hexagon_edge_length(res, unit="m") / 111_320.0
    width = edge_deg / max(np.cos(np.radians(lat)), 0.1)
    return shapely.union_all([p if p.area > 0 else p.buffer(width) for p in parts])


def ring_pairs(cells: np.ndarray, k: int = 1) -> tuple[np.ndarray, np.ndarray]:
    """(i, j) index pairs of cells within ``k`` rings of each other among ``cells`` (i ≠ j).

    Parameters
    ----------
    cells : ndarray of uint64
        The cells, all of one resolution.
    k : int
        Rings of neighbours (1: the six around a cell).

    Returns
    -------
    (ndarray, ndarray)
        Positions in ``cells`` of each pair, both directions listed.
    """
    cells = np.asarray(cells, dtype=np.uint64)
    pos = {int(c): i for i, c in enumerate(cells)}
    rows, cols = [], []
    disk = h3.api.numpy_int.grid_disk
    for i, c in enumerate(cells):
        for nb in disk(int(c), k):
            j = pos.get(int(nb))
            if j is not None and j != i:
                rows.append(i)
                cols.append(j)
    return np.asarray(rows, dtype=np.int64), np.asarray(cols, dtype=np.int64)


def to_hex(cells: np.ndarray) -> list[str]:
    """The cells as H3 hex strings (``"8928308280fffff"``), for output.

    Parameters
    ----------
    cells : ndarray of uint64

    Returns
    -------
    list of str
    """
    return [h3.int_to_str(int(c)) for c in np.asarray(cells, dtype=np.uint64)]
