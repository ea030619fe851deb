"""Grid atoms: the pieces a management grid (网格) is assembled from, with their neighbours.

An atom is a whole residential compound (小区: a compound spanning several blocks is still one
atom, so no grid can split it) or the part of a street block outside every compound. Homes are
counted in the atom that contains their point, so a building is never split either. Atoms that
share a border of real length (:data:`TOUCH_M`; atoms meeting at a corner are not) are
adjacent; each adjacency keeps the length of the shared border and what runs along it
(nothing, a minor street, a medium or major road, a river, a railway), because a grid worker
crossing a trunk road on patrol costs more than one crossing a lane.
"""

from __future__ import annotations

from dataclasses import dataclass

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
import shapely.errors
from scipy import sparse
from scipy.sparse import csgraph

from shequ.geo.blocks import BORDER_CLASSES
from shequ.geo.building_groups import divide_by_buildings
from shequ.profile_schema import KEY_PERSONS

SLIVER_M2 = 1.0  # pieces smaller than this are numerical noise of the overlay
# Shared borders shorter than this are corners, not adjacency: a grid worker walks from one atom
# into the next through a border at least a footpath wide (assumption: 2 m, about a footpath's
# width), never through a point where two atoms only meet at a corner.
TOUCH_M = 2.0
PRECISION_M = 0.001  # grid outlines are snapped to 1 mm (analyses.grid_metrics), shared borders too
ON_LINE_M = 1.0  # a border runs along a line when it lies within this distance of it
DEMAND = ("households", "population", "elderly")
# Summed only when the homes carry them (a homes file with key-person counts): the workload a
# grid worker carries and its key people (shequ.geo.homes.KEY_PERSONS).
WORKLOAD = ("workload", *KEY_PERSONS)


@dataclass
class Atoms:
    """Atoms (``frame``) and their adjacency as parallel arrays (``a`` < ``b``)."""

    frame: gpd.GeoDataFrame  # atom_id, origin, compound_id, community_id, homes, households …
    a: np.ndarray
    b: np.ndarray
    shared_m: np.ndarray
    border: np.ndarray  # border class per adjacency (see blocks.BORDER_CLASSES)

    @property
    def n(self) -> int:
        return len(self.frame)

    def graph(self) -> sparse.csr_matrix:
        """Symmetric adjacency matrix (value = shared border metres)."""
        m = sparse.coo_matrix((self.shared_m, (self.a, self.b)), shape=(self.n, self.n))
        return (m + m.T).tocsr()


THROUGH_CLASSES = ("medium", "major", "river", "rail")
THROUGH_M = 20.0  # a through line must run this far inside a compound to disqualify it


def through_crossed(
    compounds: gpd.GeoDataFrame,
    lines: gpd.GeoDataFrame,
    classes: tuple[str, ...] | list[str] = THROUGH_CLASSES,
) -> np.ndarray:
    """Compounds crossed by a medium or major road, a river or a railway (over ``THROUGH_M``).

    A gated compound (小区) has no public through road, river or railway inside it, so an OSM
    ``landuse=residential`` polygon that has one is a residential zone drawn over several
    compounds and streets, not one compound: grids may divide it along its streets.
    """
    crossed = np.zeros(len(compounds), dtype=bool)
    through = lines[lines["border"].isin(list(classes))].geometry.values
    if len(compounds) == 0 or len(through) == 0:
        return crossed
    inner = shapely.buffer(compounds.geometry.values, -ON_LINE_M)
    c_idx, l_idx = shapely.STRtree(through).query(inner, predicate="intersects")
    inside = shapely.length(shapely.intersection(through[l_idx], inner[c_idx]))
    per = np.bincount(c_idx, weights=inside, minlength=len(compounds))
    return per > THROUGH_M


def _merge_overlapping(compounds: gpd.GeoDataFrame) -> tuple[np.ndarray, np.ndarray]:
    """Union compounds that overlap (nested or double-mapped); touching ones stay apart."""
    geoms = compounds.geometry.values
    if len(geoms) == 0:
        return np.empty(0, dtype=object), np.empty(0, dtype=np.int64)
    i, j = shapely.STRtree(geoms).query(geoms, predicate="intersects")
    keep = i < j
    i, j = i[keep], j[keep]
    overlap = shapely.area(shapely.intersection(geoms[i], geoms[j])) > SLIVER_M2
    g = sparse.coo_matrix(
        (np.ones(int(overlap.sum())), (i[overlap], j[overlap])), shape=(len(geoms), len(geoms))
    )
    n_comp, label = csgraph.connected_components(g, directed=False)
    merged = np.array([shapely.union_all(geoms[label == k]) for k in range(n_comp)], dtype=object)
    first_id = np.array([compounds["compound_id"].to_numpy()[label == k][0] for k in range(n_comp)])
    return merged, first_id


def build_atoms(
    blocks: gpd.GeoDataFrame,
    compounds: gpd.GeoDataFrame,
    homes: gpd.GeoDataFrame,
    lines: gpd.GeoDataFrame,
    area: shapely.Geometry,
    communities: gpd.GeoDataFrame | None = None,
    *,
    secondary: gpd.GeoDataFrame | None = None,
    split_above: float | None = None,
    footprints: np.ndarray | None = None,
    split_compounds_above: float | None = None,
    group_limit: float | None = None,
) -> Atoms:
    """Atoms of the study ``area`` from blocks and compounds, with demand and adjacency.

    ``homes`` are points with ``households``/``population``/``elderly``; ``lines`` the border
    lines of :func:`~shequ.geo.blocks.border_lines`; ``communities`` (optional) polygons with a
    ``community_id``: each atom goes to the community holding most of its area.

    With ``split_above``, a block piece holding more households is divided along the
    ``secondary`` lines (paths, service roads) and then, where still crowded, into groups of
    whole buildings (``footprints``). Compounds stay whole unless ``split_compounds_above`` is
    given: a compound holding more than that (a grid's ceiling) is then divided into building
    groups too, and the ``divided`` column says so. Building groups hold at most
    ``group_limit`` households (default ``split_above``) where the buildings allow it.
    """
    crs = blocks.crs
    comp_geoms, comp_ids = _merge_overlapping(compounds)
    comp_geoms = (
        np.array([g for g in shapely.intersection(comp_geoms, area)], dtype=object)
        if len(comp_geoms)
        else comp_geoms
    )
    keep = shapely.area(comp_geoms) > SLIVER_M2 if len(comp_geoms) else np.zeros(0, bool)
    comp_geoms, comp_ids = comp_geoms[keep], comp_ids[keep]
    all_comp = shapely.union_all(comp_geoms) if len(comp_geoms) else shapely.Polygon()
    rest = shapely.difference(blocks.geometry.values, all_comp)
    pieces, piece_block = [], []
    for block_id, geom in zip(blocks["block_id"].to_numpy(), rest, strict=True):
        for part in shapely.get_parts(geom):
            if part.geom_type == "Polygon" and part.area > SLIVER_M2:
                pieces.append(part)
                piece_block.append(block_id)
    how = [""] * len(pieces)
    fps = _footprints_in(footprints, area)
    group_limit = group_limit or split_above
    if split_above is not None and len(pieces):
        if secondary is not None:
            pieces, piece_block, how = _split_crowded(
                pieces, piece_block, homes, secondary, split_above
            )
        pieces, piece_block, how = _split_by_buildings(
            pieces, piece_block, how, homes, fps, group_limit, only_above=split_above
        )
    comp_how = [""] * len(comp_geoms)
    if split_compounds_above is not None and split_above is not None and len(comp_geoms):
        comp_geoms, comp_ids, comp_how = _split_by_buildings(
            list(comp_geoms),
            list(comp_ids),
            comp_how,
            homes,
            fps,
            group_limit,
            only_above=split_compounds_above,
        )
        comp_geoms = np.asarray(comp_geoms, dtype=object)
    geoms = np.concatenate([np.asarray(comp_geoms, dtype=object), np.asarray(pieces, dtype=object)])
    # overlay leaves zero-width slits in some pieces (Nanjing: 102 atoms, up to 776 m of slit):
    # snapped to 1 mm they close, so perimeters (Polsby–Popper) are the outline's
    geoms = shapely.set_precision(geoms.astype(object), PRECISION_M) if len(geoms) else geoms
    n_comp = len(comp_geoms)
    geoms, piece_block, how = _one_piece_each(geoms, n_comp, list(piece_block), list(how))
    pieces = geoms[n_comp:]
    frame = gpd.GeoDataFrame(
        {
            "atom_id": np.arange(len(geoms), dtype=np.int64),
            "origin": ["compound"] * n_comp + ["block"] * len(pieces),
            "compound_id": np.r_[comp_ids, np.full(len(pieces), -1)].astype(np.int64),
            "block_id": np.r_[np.full(n_comp, -1), piece_block].astype(np.int64),
            "divided": [*comp_how, *how],
        },
        geometry=list(geoms),
        crs=crs,
    )
    frame["area_m2"] = frame.geometry.area
    frame = _add_demand(frame, homes)
    frame["community_id"] = _community_of(frame, communities)
    a, b, shared = _adjacency(frame.geometry.values)
    border = _border_classes(frame.geometry.values, a, b, lines)
    return Atoms(frame, a, b, shared, border)


def _footprints_in(footprints: np.ndarray | None, area: shapely.Geometry) -> np.ndarray:
    """The footprints meeting the study ``area``, in their file order.

    Building groups are seeded in the order of a spatial tree over these footprints
    (:func:`_split_by_buildings`), and a tree's order depends on every geometry it holds. Kept
    to the area's own footprints, the tree, and so the groups, are the same whether the area
    is cut from a city with a halo (``shequ batch``) or run on the whole city with ``--area``.
    """
    if footprints is None or len(footprints) == 0:
        return np.empty(0, dtype=object)
    footprints = np.asarray(footprints, dtype=object)
    try:
        keep = shapely.intersects(area, footprints)
    except shapely.errors.GEOSException:  # a self-crossing footprint: test its valid form
        keep = shapely.intersects(area, shapely.make_valid(footprints))
    return footprints[keep]


def _one_piece_each(
    geoms: np.ndarray, n_comp: int, piece_block: list, how: list
) -> tuple[np.ndarray, list, list]:
    """Block pieces that came apart: each part an atom of its own.

    Snapping to :data:`PRECISION_M` closes slits, and it also cuts a piece whose parts met
    only in a neck thinner than a millimetre (faces of a block divided along paths): left one
    atom, such a piece made its grid a MultiPolygon (a 3,763 m² part 24 m from its grid on
    the 4 × 4 mosaic). A compound stays one atom whatever its shape: it is never split.
    """
    count = shapely.get_num_geometries(geoms[n_comp:]) if len(geoms) > n_comp else []
    if not np.any(np.asarray(count) > 1):
        return geoms, piece_block, how
    out, blocks, hows = list(geoms[:n_comp]), [], []
    for geom, block, label in zip(geoms[n_comp:], piece_block, how, strict=True):
        parts = [p for p in shapely.get_parts(geom) if p.geom_type == "Polygon"] or [geom]
        out += parts
        blocks += [block] * len(parts)
        hows += [label] * len(parts)
    return np.asarray(out, dtype=object), blocks, hows


def _loads(pieces: list, homes: gpd.GeoDataFrame) -> tuple[np.ndarray, np.ndarray]:
    """(piece of each home, households per piece)."""
    frame = gpd.GeoDataFrame(geometry=list(pieces), crs=homes.crs)
    where = atom_of_points(frame, homes.geometry.values)
    hh = np.bincount(
        where, weights=np.nan_to_num(homes["households"].to_numpy(float)), minlength=len(pieces)
    )
    return where, hh


def _split_crowded(
    pieces: list, piece_block: list, homes: gpd.GeoDataFrame, secondary, limit: float
) -> tuple[list, list, list]:
    """Divide block pieces with more than ``limit`` households along paths inside them."""
    how = [""] * len(pieces)
    if len(homes) == 0 or secondary.empty:
        return pieces, piece_block, how
    _, hh = _loads(pieces, homes)
    tree = shapely.STRtree(secondary.geometry.values)
    out, out_block, out_how = [], [], []
    for piece, block, load in zip(pieces, piece_block, hh, strict=True):
        parts = [piece]
        if load > limit:
            near = secondary.geometry.values[tree.query(piece, predicate="intersects")]
            cut = [g for g in shapely.intersection(near, piece) if not g.is_empty]
            if cut:
                noded = shapely.union_all([*cut, piece.exterior, *piece.interiors])
                faces = shapely.get_parts(shapely.polygonize(shapely.get_parts(noded)))
                faces = faces[shapely.area(faces) > SLIVER_M2]
                faces = faces[shapely.within(shapely.point_on_surface(faces), piece)]
                if len(faces) > 1:
                    parts = list(faces)
        out += parts
        out_block += [block] * len(parts)
        out_how += ["paths" if len(parts) > 1 else ""] * len(parts)
    return out, out_block, out_how


def _split_by_buildings(
    pieces: list,
    parent: list,
    how: list,
    homes: gpd.GeoDataFrame,
    footprints: np.ndarray,
    limit: float,
    *,
    only_above: float | None = None,
) -> tuple[list, list, list]:
    """Divide pieces holding more than ``limit`` (or ``only_above``) households into groups of
    whole buildings (:func:`~shequ.geo.building_groups.divide_by_buildings`)."""
    if len(homes) == 0:
        return pieces, parent, how
    where, hh = _loads(pieces, homes)
    threshold = limit if only_above is None else only_above
    fp_tree = shapely.STRtree(footprints) if len(footprints) else None
    weights = np.nan_to_num(homes["households"].to_numpy(float))
    points = homes.geometry.values
    out, out_parent, out_how = [], [], []
    for i, (piece, par, label) in enumerate(zip(pieces, parent, how, strict=True)):
        parts = [piece]
        if hh[i] > threshold:
            mine = np.flatnonzero(where == i)
            # in the order of a spatial tree over the area's footprints (:func:`_footprints_in`):
            # spatially coherent, which k-means seeding likes (the footprints' file order, a
            # west-to-east sweep, a Hilbert curve or a tree of the piece's own footprints each
            # left 5-15 % of Nanjing's workload grids outside their household band, against 3 %)
            near = (
                footprints[fp_tree.query(piece, predicate="intersects")]
                if fp_tree is not None
                else np.empty(0, dtype=object)
            )
            parts = divide_by_buildings(piece, points[mine], weights[mine], near, limit)
            # overlay noise: a group thinner than a sliver would become an empty grid of its own
            parts = [p for p in parts if p.area > SLIVER_M2] or [piece]
        out += parts
        out_parent += [par] * len(parts)
        if len(parts) > 1:
            label = f"{label}+buildings" if label else "buildings"
        out_how += [label] * len(parts)
    return out, out_parent, out_how


def atom_of_points(atoms: gpd.GeoDataFrame, points: np.ndarray) -> np.ndarray:
    """The atom containing each point (nearest atom for a point on no atom), as positions."""
    tree = shapely.STRtree(atoms.geometry.values)
    p_idx, a_idx = tree.query(points, predicate="intersects")
    out = np.full(len(points), -1, dtype=np.int64)
    out[p_idx[::-1]] = a_idx[::-1]  # first hit wins on shared borders
    missing = np.flatnonzero(out < 0)
    if len(missing):
        out[missing] = tree.query_nearest(points[missing], all_matches=False)[1]
    return out


def _add_demand(frame: gpd.GeoDataFrame, homes: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    frame = frame.copy()
    if len(homes) == 0:
        frame["homes"] = 0
        for col in (*DEMAND, *(c for c in WORKLOAD if c in homes)):
            frame[col] = 0.0
        return frame
    where = atom_of_points(frame, homes.geometry.values)
    frame["homes"] = np.bincount(where, minlength=len(frame))
    for col in DEMAND:
        values = homes[col].to_numpy(dtype=float) if col in homes else np.zeros(len(homes))
        frame[col] = np.bincount(where, weights=np.nan_to_num(values), minlength=len(frame))
    for col in WORKLOAD:
        if col not in homes:
            continue
        values = homes[col].to_numpy(dtype=float)
        if col == "workload":  # a home with no workload of its own (estimated): its households
            values = np.where(np.isfinite(values), values, homes["households"].to_numpy(float))
        frame[col] = np.bincount(where, weights=np.nan_to_num(values), minlength=len(frame))
    return frame


def _community_of(frame: gpd.GeoDataFrame, communities: gpd.GeoDataFrame | None) -> np.ndarray:
    if communities is None or communities.empty:
        return np.zeros(len(frame), dtype=np.int64)
    geoms = frame.geometry.values
    comm = communities.geometry.values
    i, j = shapely.STRtree(comm).query(geoms, predicate="intersects")
    overlap = shapely.area(shapely.intersection(geoms[i], comm[j]))
    best = pd.DataFrame({"i": i, "j": j, "a": overlap}).sort_values("a").groupby("i").last()
    out = np.full(len(frame), -1, dtype=np.int64)
    out[best.index.to_numpy()] = communities["community_id"].to_numpy()[best["j"].to_numpy()]
    return out


def _adjacency(geoms: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Pairs of atoms sharing a border longer than :data:`TOUCH_M`, with its length.

    The shared length is what dissolving the pair removes from the outline,
    (P_i + P_j − P_{i∪j}) / 2, not the length of the intersection of the two boundaries: atoms
    from an overlay meet along edges whose vertices differ in the last digits, where the
    boundaries' intersection finds only points, or a hair's gap apart, yet the grid's union
    (snapped to :data:`PRECISION_M`, as grid outlines are) dissolves the edge. The
    search prices a grid's perimeter with these lengths (Polsby–Popper), so they must be the
    union's: measured on the boundaries of atoms not yet snapped, Nanjing grids' perimeters
    came out up to 1.6 times their outline's; with snapped atoms and these lengths they agree
    within 0.2 % (tests/test_grid_shapes.py).
    """
    geoms = shapely.set_precision(geoms, PRECISION_M)  # as the grid outlines are snapped
    i, j = shapely.STRtree(geoms).query(geoms, predicate="dwithin", distance=PRECISION_M)
    keep = i < j
    i, j = i[keep], j[keep]
    perim = shapely.length(shapely.boundary(geoms))
    union = shapely.set_precision(shapely.union(geoms[i], geoms[j]), PRECISION_M)
    shared = np.maximum(0.0, (perim[i] + perim[j] - _outline_length(union)) / 2)
    ok = shared > TOUCH_M
    return i[ok].astype(np.int64), j[ok].astype(np.int64), shared[ok]


def _outline_length(geoms: np.ndarray) -> np.ndarray:
    """Length of each geometry's polygonal outline. A union on the 1 mm grid can come back as a
    GeometryCollection (the polygon and a collapsed spike as a line), whose boundary GEOS does
    not define (NaN): that lost 10 of 1,052 adjacencies on Nanjing's redraw atoms, 108 m of
    shared border among them, and grids read back in pieces."""
    length = shapely.length(shapely.boundary(geoms))
    for k in np.flatnonzero(~np.isfinite(length)):
        parts = shapely.get_parts(geoms[k])
        polys = parts[shapely.get_type_id(parts) == 3]  # Polygon
        length[k] = shapely.length(shapely.boundary(shapely.union_all(polys))) if len(polys) else 0
    return length


MAX_LINE_VERTICES = 64  # border lines are cut into pieces this long before they are buffered


def _short_pieces(geoms: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Line strings cut into pieces of at most :data:`MAX_LINE_VERTICES` vertices (consecutive
    pieces share their end vertex), and the line each piece comes from.

    A shared border is measured against the buffer of every line near it; a street running
    across a whole city buffered whole made each of those overlays cost the street's length
    (11 of 40 s of the atoms of an 84k-node district). Other geometry types stay whole.
    """
    n_vertices = shapely.get_num_coordinates(geoms)
    long = (n_vertices > MAX_LINE_VERTICES) & (shapely.get_type_id(geoms) == 1)
    if not long.any():
        return geoms, np.arange(len(geoms))
    pieces, rows = list(geoms[~long]), list(np.flatnonzero(~long))
    step = MAX_LINE_VERTICES - 1
    for i in np.flatnonzero(long):
        xy = shapely.get_coordinates(geoms[i])
        for start in range(0, len(xy) - 1, step):
            pieces.append(shapely.linestrings(xy[start : start + MAX_LINE_VERTICES]))
            rows.append(i)
    return np.asarray(pieces, dtype=object), np.asarray(rows, dtype=np.int64)


def _border_classes(
    geoms: np.ndarray, a: np.ndarray, b: np.ndarray, lines: gpd.GeoDataFrame
) -> np.ndarray:
    """Strongest class of line running along at least half of each shared border."""
    border = np.full(len(a), "none", dtype=object)
    if len(a) == 0 or lines.empty:
        return border
    shared = shapely.intersection(shapely.boundary(geoms[a]), shapely.boundary(geoms[b]))
    total = shapely.length(shared)
    line_geoms, row = _short_pieces(lines.geometry.values)
    s_idx, l_idx = shapely.STRtree(line_geoms).query(
        shared, predicate="dwithin", distance=ON_LINE_M
    )
    zones = shapely.buffer(line_geoms, ON_LINE_M, cap_style="flat")
    along = shapely.length(shapely.intersection(shared[s_idx], zones[l_idx]))
    rank = {c: k for k, c in enumerate(BORDER_CLASSES)}
    cls_rank = np.array([rank[c] for c in lines["border"].to_numpy()])[row][l_idx]
    per = pd.DataFrame({"s": s_idx, "r": cls_rank, "m": along}).groupby(["s", "r"])["m"].sum()
    per = per.reset_index()
    per = per[per["m"].to_numpy() >= 0.5 * total[per["s"].to_numpy()]]
    best = per.groupby("s")["r"].max()
    border[best.index.to_numpy()] = np.asarray(BORDER_CLASSES, dtype=object)[best.to_numpy()]
    return border
