"""Distribute a population raster (e.g. WorldPop age bands) to homes by floor area.

Gridded counts (people per ~100 m pixel) are the best demand data many cities have for the
elderly or for children; audits need them per building. Several rasters on the same grid (the
eight 65+ age/sex bands, say) are summed first. Then:

- a pixel counts by the share of its area inside the study area, so a pixel that only touches
  the area does not bring all its people in (whole pixels added ~6 % on a 4 km extract, issue 12);
- each pixel's people are split among the homes whose point falls in it, in proportion to their
  floor area;
- the people of a pixel with no home are split, by floor area too, among the homes within
  ``radius_m`` of (the inside part of) the pixel: the raster puts people where OSM maps no home
  (a missing building, or the model's smoothing), and they live near where it says, not at one
  far-away home (sending them all to the nearest home gave one home 18 % of an extract's elderly,
  issue 12);
- people with no home within the radius are not placed, and are reported with their pixels.

So ``values.sum() + unplaced == total``, the area-weighted raster sum over the study area.
A raster that does not cover the study area, or covers too little of it to stand for it, is an
input error naming the file.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pyproj
import rasterio
import rasterio.features
import rasterio.windows
import shapely
from scipy.spatial import cKDTree

from shequ.errors import InputError
from shequ.i18n import Note

SPREAD_RADIUS_M = 200.0
"""How far the people of a pixel with no home may go to a home (m). Assumption: two WorldPop
pixels (~100 m), so they reach the homes of the neighbouring pixels, and well below the smallest
service radius the audits use (300 m for 幼儿园/托儿所, GB 50180-93 via docs/standards.md), so
moving them does not decide whether they are served."""

MIN_OVERLAP = 0.5
"""The least share of the study area a raster's extent must cover. Assumption: below half, most
homes would get no people from the raster and the demand it gives would not stand for the area.
Pixels without data (the sea, outside a municipality) count as covered: they hold no one."""

_REPORT_OVERLAP = 0.999  # a smaller overlap is reported (rounding of bounds stays silent)
_CHUNK = 20_000  # pixels without a home paired with their homes at a time (bounds the memory)


@dataclass(frozen=True)
class RasterShares:
    """The raster's people spread over homes, and what could not be placed.

    Attributes
    ----------
    values : ndarray
        People per home.
    total : float
        The area-weighted raster sum over the study area: ``values.sum() + unplaced``.
    spread, spread_pixels : float, int
        People (and their pixels) with no home in their pixel, given to homes within
        ``radius_m``.
    unplaced, unplaced_pixels : float, int
        People (and their pixels) with no home within ``radius_m``: not in ``values``.
    radius_m : float
        The spreading radius used.
    overlap : float
        Share (0–1) of the study area inside the rasters' extent.
    covered : ndarray of bool
        Per home, True where it lies on the rasters' extent. A home off it has no measured
        people: its ``values`` is 0 and the caller keeps its other estimate.
    """

    values: np.ndarray
    total: float
    spread: float
    spread_pixels: int
    unplaced: float
    unplaced_pixels: int
    radius_m: float
    overlap: float
    covered: np.ndarray

    def notes(self, column: str) -> list[Note]:
        """Notes for the run: the people spread or left out, and a partial overlap."""
        notes = []
        if self.overlap < _REPORT_OVERLAP:
            notes.append(
                Note(
                    "n.raster_overlap",
                    column=column,
                    share=100 * self.overlap,
                    n=int((~self.covered).sum()),
                )
            )
        if self.spread_pixels:
            notes.append(
                Note(
                    "n.raster_spread",
                    column=column,
                    people=self.spread,
                    pixels=self.spread_pixels,
                    radius=self.radius_m,
                )
            )
        if self.unplaced_pixels:
            notes.append(
                Note(
                    "n.raster_unplaced",
                    column=column,
                    people=self.unplaced,
                    pixels=self.unplaced_pixels,
                    radius=self.radius_m,
                    total=self.total,
                )
            )
        return notes


def _study_polygon(area) -> shapely.Geometry:
    """The study area in lon/lat: a (west, south, east, north) box or a polygon as given."""
    if isinstance(area, shapely.Geometry):
        return area
    return shapely.box(*(float(v) for v in area))


def _to_crs(geom: shapely.Geometry, crs: pyproj.CRS) -> shapely.Geometry:
    """``geom`` (lon/lat) in ``crs``; densified first so that straight edges stay faithful."""
    if pyproj.CRS(crs).equals("EPSG:4326", ignore_axis_order=True):
        return geom
    tf = pyproj.Transformer.from_crs("EPSG:4326", crs, always_xy=True)
    dense = shapely.segmentize(geom, 0.001)  # ~100 m in degrees

    def project(coords: np.ndarray) -> np.ndarray:
        x, y = tf.transform(coords[:, 0], coords[:, 1])
        return np.column_stack([x, y])

    return shapely.transform(dense, project)


def _lonlat_box(geom: shapely.Geometry, crs: pyproj.CRS) -> str:
    """``geom``'s bounds as lon/lat text for a message ('lon a–b, lat c–d')."""
    tf = pyproj.Transformer.from_crs(crs, "EPSG:4326", always_xy=True)
    w, s, e, n = tf.transform_bounds(*shapely.bounds(geom))
    return f"{w:.3f}–{e:.3f}, {s:.3f}–{n:.3f}"


def _read_sum(paths: list[Path], study_lonlat: shapely.Geometry, min_overlap: float):
    """The rasters summed over the window holding the study area, with the study area in the
    rasters' CRS and its share inside their extent."""
    total = None
    ref = None
    for path in paths:
        if not Path(path).exists():
            raise InputError(Note("e.raster_not_found"), path=path)
        try:
            src = rasterio.open(path)
        except rasterio.errors.RasterioIOError as exc:
            raise InputError(Note("e.raster_unreadable", detail=str(exc)), path=path) from exc
        with src:
            study = _to_crs(study_lonlat, src.crs)
            extent = shapely.box(*src.bounds)
            inside = shapely.intersection(study, extent)
            overlap = float(inside.area / study.area) if study.area > 0 else 0.0
            if overlap == 0 or overlap < min_overlap:
                key = "e.raster_off_area" if overlap == 0 else "e.raster_little_overlap"
                message = Note(
                    key,
                    share=100 * overlap,
                    least=100 * min_overlap,
                    raster=_lonlat_box(extent, src.crs),
                    area=_lonlat_box(study, src.crs),
                )
                raise InputError(message, path=path)
            window = rasterio.windows.from_bounds(*shapely.bounds(inside), src.transform)
            c0, r0 = np.floor(window.col_off), np.floor(window.row_off)
            c1 = np.ceil(window.col_off + window.width)
            r1 = np.ceil(window.row_off + window.height)
            window = rasterio.windows.Window(int(c0), int(r0), int(c1 - c0), int(r1 - r0))
            window = window.intersection(rasterio.windows.Window(0, 0, src.width, src.height))
            data = src.read(1, window=window, masked=True).filled(0).astype(np.float64)
            data[~np.isfinite(data) | (data < 0)] = 0.0
            grid = (src.crs, src.window_transform(window), data.shape)
        if ref is None:
            ref, total, first = grid, data, (study, overlap, extent)
        elif grid[0] != ref[0] or grid[1] != ref[1] or grid[2] != ref[2]:
            raise InputError(Note("e.raster_grids"), path=path)
        else:
            total = total + data
    return total, ref, first


def _pixel_parts(
    study: shapely.Geometry, transform, shape: tuple[int, int]
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Each pixel's share of its area inside ``study``, and the centre of the inside part of
    the pixels the boundary crosses.

    Only the pixels along the boundary (touched by it, and their neighbours in case the
    rasteriser misses a corner) are intersected exactly; the others are wholly inside or
    wholly outside, decided by their centre. A city-wide area of millions of pixels thus
    costs a few arrays of one byte a pixel, not a polygon a pixel.

    Returns
    -------
    (ndarray, ndarray, ndarray)
        The share (0–1) of every pixel (flat, row-major); the flat indices of the boundary
        pixels; their part centres, shape (k, 2), in the raster's CRS.
    """
    line = rasterio.features.rasterize(
        [(study.boundary, 1)], out_shape=shape, transform=transform, all_touched=True
    ).astype(bool)
    near = line.copy()  # and their 8 neighbours
    near[1:] |= line[:-1]
    near[:-1] |= line[1:]
    near[:, 1:] |= near[:, :-1].copy()
    near[:, :-1] |= near[:, 1:].copy()
    centre_in = rasterio.features.rasterize(
        [(study, 1)], out_shape=shape, transform=transform, all_touched=False
    ).astype(bool)
    share = (centre_in & ~near).ravel().astype(np.float64)
    edge = np.flatnonzero(near.ravel())
    rows, cols = np.divmod(edge, shape[1])
    x0, y0 = transform @ (cols, rows)
    x1, y1 = transform @ (cols + 1, rows + 1)
    boxes = shapely.box(
        np.minimum(x0, x1), np.minimum(y0, y1), np.maximum(x0, x1), np.maximum(y0, y1)
    )
    parts = shapely.intersection(boxes, study)
    share[edge] = np.clip(shapely.area(parts) / shapely.area(boxes), 0.0, 1.0)
    centre = shapely.centroid(parts)
    xy = np.column_stack([(x0 + x1) / 2, (y0 + y1) / 2])
    part = ~shapely.is_empty(centre)
    xy[part] = shapely.get_coordinates(centre[part])
    return share, edge, xy


def _centres(pixels: np.ndarray, transform, width: int, edge: np.ndarray, edge_xy: np.ndarray):
    """Centres of ``pixels`` (flat indices), in the raster's CRS: of the part inside the study
    area for boundary pixels, of the pixel for the others."""
    rows, cols = np.divmod(pixels, width)
    x, y = transform @ (cols + 0.5, rows + 0.5)
    x, y = np.asarray(x, dtype=np.float64), np.asarray(y, dtype=np.float64)
    at = np.searchsorted(edge, pixels)
    on_edge = (at < len(edge)) & (edge[np.minimum(at, len(edge) - 1)] == pixels)
    x[on_edge], y[on_edge] = edge_xy[at[on_edge], 0], edge_xy[at[on_edge], 1]
    return x, y


def distribute(
    home_xy: np.ndarray,
    home_crs: pyproj.CRS,
    floor_area_m2: np.ndarray,
    rasters: list[Path],
    area: tuple[float, float, float, float] | shapely.Geometry,
    *,
    radius_m: float = SPREAD_RADIUS_M,
    min_overlap: float = MIN_OVERLAP,
) -> RasterShares:
    """The rasters' people inside the study area, spread over homes by floor area.

    Parameters
    ----------
    home_xy : ndarray, shape (n, 2)
        Home points in ``home_crs``.
    home_crs : pyproj.CRS
        The homes' metric CRS (``radius_m`` is measured in it).
    floor_area_m2 : ndarray
        The weight of each home (1 where not positive).
    rasters : list of Path
        Rasters on one grid, summed (e.g. the age and sex bands of WorldPop).
    area : (west, south, east, north) or shapely geometry
        The study area in lon/lat (the box of the OSM extract's bounds, or a boundary polygon):
        each pixel counts by the share of its area inside it.
    radius_m : float
        How far the people of a pixel with no home may be given to homes
        (:data:`SPREAD_RADIUS_M`, an assumption).
    min_overlap : float
        The least share of the study area the rasters must cover (:data:`MIN_OVERLAP`).

    Returns
    -------
    RasterShares
        People per home, the area-weighted total, and the people spread or left unplaced.

    Raises
    ------
    InputError
        When there are no homes, a raster is missing or unreadable, does not cover the study
        area (or covers less than ``min_overlap`` of it), or the rasters are not on one grid.
    """
    if len(home_xy) == 0:
        raise InputError(Note("e.raster_no_homes"))
    study_lonlat = _study_polygon(area)
    data, (crs, transform, shape), (study, overlap, extent) = _read_sum(
        rasters, study_lonlat, min_overlap
    )
    share, edge, edge_xy = _pixel_parts(study, transform, shape)
    people = data.ravel() * share

    to_raster = pyproj.Transformer.from_crs(home_crs, crs, always_xy=True)
    rx, ry = to_raster.transform(home_xy[:, 0], home_xy[:, 1])
    col, row = ~transform @ (np.asarray(rx), np.asarray(ry))
    row = np.floor(row).astype(np.int64)
    col = np.floor(col).astype(np.int64)
    # a home off the rasters' extent has no measured people (not "0 people"): the caller
    # keeps its building estimate, and no pixel's people are spread to it
    covered = shapely.intersects_xy(extent, np.asarray(rx), np.asarray(ry))
    inside = covered & (row >= 0) & (row < shape[0]) & (col >= 0) & (col < shape[1])
    pixel = np.where(inside, row * shape[1] + col, -1)
    weight = np.where(np.asarray(floor_area_m2) > 0, floor_area_m2, 1.0).astype(np.float64)
    pixel_weight = np.bincount(pixel[inside], weights=weight[inside], minlength=people.size)
    values = np.zeros(len(home_xy))
    values[inside] = people[pixel[inside]] * weight[inside] / pixel_weight[pixel[inside]]

    # People in pixels without a home: to the homes within radius_m, by floor area.
    orphan = np.flatnonzero((people > 0) & (pixel_weight == 0))
    spread = unplaced = 0.0
    spread_pixels = unplaced_pixels = 0
    if len(orphan):
        cx, cy = _centres(orphan, transform, shape[1], edge, edge_xy)
        ox, oy = to_raster.transform(cx, cy, direction="INVERSE")
        on_raster = np.flatnonzero(covered)
        homes = cKDTree(home_xy[on_raster].reshape(-1, 2))
        reach = np.zeros(len(orphan))
        for start in range(0, len(orphan), _CHUNK):  # pairs of a chunk: ~100 homes a pixel
            part = slice(start, start + _CHUNK)
            pairs = cKDTree(np.column_stack([ox[part], oy[part]])).sparse_distance_matrix(
                homes, radius_m, output_type="ndarray"
            )
            o = pairs["i"].astype(np.int64) + start
            h = on_raster[pairs["j"].astype(np.int64)]
            reach[part] = np.bincount(o - start, weights=weight[h], minlength=len(reach[part]))
            np.add.at(values, h, people[orphan[o]] * weight[h] / reach[o])
        placed = reach > 0
        spread = float(people[orphan[placed]].sum())
        unplaced = float(people[orphan[~placed]].sum())
        spread_pixels, unplaced_pixels = int(placed.sum()), int((~placed).sum())
    return RasterShares(
        values=values,
        total=float(people.sum()),
        spread=spread,
        spread_pixels=spread_pixels,
        unplaced=unplaced,
        unplaced_pixels=unplaced_pixels,
        radius_m=float(radius_m),
        overlap=overlap,
        covered=covered,
    )
