"""Grid polygons and the numbers a grid manager is judged by.

Per grid: households, residents, elderly, area, the street length a worker patrols inside it
and the time to walk across it, two compactness measures (Polsby–Popper 4πA/P², which punishes
ragged borders, and the moment-of-inertia measure A²/(2πJ), which punishes stretched shapes; both
1 for a disc), why a grid stays under the compactness floor, and the deviation from the target.
Per plan: the largest |deviation|, the coefficient of variation and the number of grids out of
tolerance. When the homes carry key people (a grid worker's workload), the same per grid and
per plan for ``workload`` against its own target (households per grid × the plan's workload per
household).
"""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from scipy.sparse import csgraph
from scipy.spatial import cKDTree

from shequ.analyses.grid_objective import SearchWeights, State
from shequ.analyses.grid_plan import atom_data, polygon_inertia
from shequ.analyses.grid_search import peel_move, polsby_popper, thin_moves
from shequ.analyses.shortest_paths import local_distances
from shequ.geo.atoms import PRECISION_M, WORKLOAD, Atoms
from shequ.geo.network import WalkNetwork
from shequ.i18n import Note

COMPACT_FLOOR = SearchWeights().thin_below  # Polsby–Popper under which a grid is flagged
GRID_PRECISION_M = PRECISION_M  # grid outlines snapped to 1 mm: no sub-millimetre spike or loop
HAIR_M = 0.005  # pieces of a grid this close are one piece (a redraw's cut lines leave 1-2 mm gaps)
NODE_NEAR_M = 5.0  # street nodes this close to a grid are its own (streets run on its border)
WALK_LIMIT_M = 20_000.0  # Dijkstra stops here: no grid is wider than this on foot


def one_polygon(geom: shapely.Geometry) -> shapely.Geometry:
    """A union of atoms as one Polygon when it is one piece (GEOS may return a MultiPolygon of
    one part, and a GeoPackage layer with one MultiPolygon turns every grid into one).

    The outline is first snapped to :data:`GRID_PRECISION_M` (GEOS' topology-preserving
    precision reduction): the union of atoms from an overlay can keep loops and spikes a fraction
    of a millimetre wide, valid in metres but crossing themselves once reprojected to WGS-84.
    Pieces less than :data:`HAIR_M` apart (atoms cut along an existing grid's outline, which
    lies a millimetre off the streets after its own snapping) are closed into one when that
    changes the area by less than a hair's width along the outline.
    """
    geom = shapely.set_precision(geom, GRID_PRECISION_M)
    parts = [p for p in shapely.get_parts(geom) if p.geom_type == "Polygon" and not p.is_empty]
    if len(parts) > 1:  # pieces a hair apart (a redraw's cut lines): closed, if that makes one
        closed = shapely.buffer(
            shapely.buffer(geom, HAIR_M, join_style="mitre"), -HAIR_M, join_style="mitre"
        )
        closed = shapely.set_precision(closed, GRID_PRECISION_M)
        whole = [p for p in shapely.get_parts(closed) if p.geom_type == "Polygon"]
        if len(whole) == 1 and abs(whole[0].area - geom.area) < HAIR_M * geom.length:
            return whole[0]
    if len(parts) == 1:
        return parts[0]
    return shapely.multipolygons(parts) if parts else geom


def grid_polygons(atoms: Atoms, labels: np.ndarray) -> gpd.GeoDataFrame:
    """One polygon per grid, dissolved from its atoms, with demand totals.

    Grids are contiguous through borders of real length (:data:`shequ.geo.atoms.TOUCH_M`), so
    each dissolves to one Polygon; a MultiPolygon would mean a grid in pieces.
    """
    fr = atoms.frame.assign(grid=labels)
    cols = ["homes", "households", "population", "elderly", "area_m2"]
    cols += [c for c in WORKLOAD if c in fr.columns]  # a homes file with key people
    sums = fr.groupby("grid")[cols].sum()
    geoms = [one_polygon(shapely.union_all(fr.geometry.values[labels == g])) for g in sums.index]
    comm = fr.groupby("grid")["community_id"].first()
    out = gpd.GeoDataFrame(sums.reset_index(), geometry=geoms, crs=atoms.frame.crs)
    out["community_id"] = comm.to_numpy()
    out["atoms"] = np.bincount(labels)[sums.index.to_numpy()]
    return out.rename(columns={"grid": "grid_id"})


def add_grid_metrics(
    grids: gpd.GeoDataFrame,
    target: float,
    tolerance: float,
    street_geoms: np.ndarray | None = None,
    *,
    atoms: Atoms | None = None,
    labels: np.ndarray | None = None,
    network: WalkNetwork | None = None,
    speed_mps: float | None = None,
    floor: float = COMPACT_FLOOR,
    demand: str = "households",
) -> gpd.GeoDataFrame:
    """Deviation, compactness, patrol length and walking-time columns.

    Parameters
    ----------
    grids : GeoDataFrame
        :func:`grid_polygons` of ``labels`` (``grid_id`` = label), in a metric CRS.
    target, tolerance : float
        Households per grid and the allowed relative deviation.
    street_geoms : ndarray of LineString, optional
        Walkable streets: ``patrol_m`` is their length inside each grid (0 without).
    atoms, labels : optional
        The atoms and the plan: with them ``compact_reason`` says why a grid under ``floor``
        stays there (:func:`compact_reasons`); without them it is ``"not_checked"`` there.
    network : WalkNetwork, optional
        With ``speed_mps``: ``walk_across_m`` and ``walk_across_min`` (:func:`walk_across`);
        NaN without.
    speed_mps : float, optional
        Walking speed (the profile's ``general`` walker).
    floor : float
        The compactness floor (Polsby–Popper; the search's ``thin_below``).
    demand : str
        The measure the plan balanced (``households`` or ``workload``), for the reasons a grid
        stays under the floor (judged against the band the planner kept).

    Returns
    -------
    GeoDataFrame
        A copy with ``deviation``, ``within_tolerance`` (households against ``target``), with
        grids carrying ``workload`` also ``workload_target``, ``workload_deviation`` and
        ``workload_within_tolerance`` (:func:`workload_target`), ``polsby_popper``,
        ``inertia_compactness``, ``compact_reason`` ("" at or above the floor), ``patrol_m``,
        ``walk_across_m`` and ``walk_across_min``.
    """
    grids = grids.copy()
    geoms = grids.geometry.values
    area = shapely.area(geoms)
    perim = shapely.length(shapely.boundary(geoms))
    grids["deviation"] = grids["households"] / target - 1.0
    grids["within_tolerance"] = grids["deviation"].abs() <= tolerance + 1e-9
    if "workload" in grids:
        w_target = workload_target(grids, target)
        grids["workload_target"] = w_target
        grids["workload_deviation"] = grids["workload"] / w_target - 1.0
        grids["workload_within_tolerance"] = grids["workload_deviation"].abs() <= tolerance + 1e-9
    grids["polsby_popper"] = np.where(perim > 0, 4 * np.pi * area / perim**2, np.nan)
    inertia = polygon_inertia(geoms)
    grids["inertia_compactness"] = np.where(inertia > 0, area**2 / (2 * np.pi * inertia), np.nan)
    grids["compact_reason"] = np.where(grids["polsby_popper"] < floor, "not_checked", "")
    if atoms is not None and labels is not None:
        thin = grids.loc[grids["polsby_popper"] < floor, "grid_id"].astype(int).tolist()
        reasons = compact_reasons(
            atoms, labels, target, tolerance, floor, grids=thin, demand=demand
        )
        grids["compact_reason"] = [reasons.get(int(g), "") for g in grids["grid_id"]]
    grids["patrol_m"] = _street_length(geoms, street_geoms)
    across = np.full(len(grids), np.nan)
    if network is not None and speed_mps:
        across = walk_across(geoms, network)
    grids["walk_across_m"] = across
    grids["walk_across_min"] = across / speed_mps / 60.0 if speed_mps else np.nan
    return grids


def workload_target(grids: pd.DataFrame, target: float) -> float:
    """Workload per grid the planner aims at: ``target`` households × the plan's workload per
    household (:class:`~shequ.analyses.grid_plan.GridPlanner` with ``demand="workload"``), so a
    plan on workload has as many grids as one on households."""
    households = float(grids["households"].sum())
    return target * float(grids["workload"].sum()) / households if households > 0 else target


COMPACT_REASONS = ("single_atom", "balance", "neighbours", "movable")
"""Why a grid stays under the compactness floor (:func:`compact_reasons`)."""


def compact_reasons(
    atoms: Atoms,
    labels: np.ndarray,
    target: float,
    tolerance: float,
    floor: float = COMPACT_FLOOR,
    grids: list[int] | None = None,
    demand: str = "households",
) -> dict[int, str]:
    """Why each grid under Polsby–Popper ``floor`` stays there: its atoms force it.

    - ``single_atom``: the grid is one atom (a compound or block), so its shape is the atom's.
    - ``balance``: no atom (nor a peel of atoms) can leave or join it without taking it or a
      neighbour further out of the household band, breaking a grid in two or crossing a
      community.
    - ``neighbours``: moves that round it off keep the band, but each leaves a neighbour under
      the floor or thinner than this grid is now (the plan keeps the lower of the two higher).
    - ``movable``: a move the floor pass takes exists, so the atoms do not force the shape: the
      plan was edited by hand, or the pass ran out of time. Never left by the floor pass itself.

    The moves tried are those of :func:`shequ.analyses.grid_search.thin_moves` and
    :func:`~shequ.analyses.grid_search.peel_move`, the same the planner's floor pass takes, so
    a grid the pass could have raised is not given a reason it does not have. Polsby–Popper
    is measured as the search measures it (atom perimeters less the borders shared inside the
    grid).

    ``grids`` names the grids to explain (e.g. those whose dissolved polygon is under the floor);
    default: those under it as the search measures it. ``demand`` is the measure the plan
    balanced (``workload``: its band, households as the planner's second measure).

    Returns
    -------
    dict of int to str
        Grid label → reason, for those grids only.
    """
    labels = np.asarray(labels)
    data = atom_data(atoms, {}, demand)
    if data.second is not None:
        data.second_target = target
        target = target * data.households.sum() / max(data.second.sum(), 1e-9)
    st = State(data, labels.copy(), SearchWeights(), target)
    fixed = data.households > target * (1 + tolerance)
    out = {}
    ask = (
        [int(g) for g in np.unique(labels) if polsby_popper(st, int(g)) < floor]
        if grids is None
        else [int(g) for g in grids]
    )
    for g in ask:
        if st.tot.count[g] == 1:
            out[g] = "single_atom"
            continue
        options, raised = thin_moves(st, fixed, g, target, tolerance, floor)
        nb = data.neighbours
        contiguous = [
            o for o in options if _whole_without(st.labels, nb, int(st.labels[o[1]]), o[1])
        ]
        peel, peeled = peel_move(st, fixed, g, target, tolerance, floor)
        if contiguous or peel is not None:
            out[g] = "movable"
        else:
            out[g] = "neighbours" if raised or peeled else "balance"
    return out


def shape_notes(grids: gpd.GeoDataFrame, floor: float = COMPACT_FLOOR) -> list[Note]:
    """One note per reason grids stay under the compactness floor (``compact_reason``), in the
    order of :data:`COMPACT_REASONS`; none when every grid is at or above it."""
    if "compact_reason" not in grids:
        return []
    counts = grids["compact_reason"].value_counts()
    return [
        Note(f"n.thin_{reason}", n=int(counts[reason]), floor=floor)
        for reason in COMPACT_REASONS
        if counts.get(reason, 0)
    ]


def _whole_without(labels: np.ndarray, nb, g: int, atom: int) -> bool:
    members = np.flatnonzero(labels == g)
    members = members[members != atom]
    if len(members) == 0:
        return False
    n, _ = csgraph.connected_components(nb[members][:, members], directed=False)
    return n == 1


def walk_across(geoms: np.ndarray, network: WalkNetwork) -> np.ndarray:
    """Metres on foot across each grid: the longest shortest path between its street nodes.

    A grid's street nodes are the network nodes within :data:`NODE_NEAR_M` of it (streets run
    along grid borders). The longest shortest path is found by a double sweep — a shortest-path
    tree from the node nearest the grid's centre finds the farthest node u, a second tree from
    u gives the farthest distance from u — walking on every street, also outside the grid.
    The double sweep is a lower bound of the true diameter, exact on trees and within a few
    per cent on street grids (Magnien, Latapy & Habib 2009), for two Dijkstra runs per grid
    instead of one per node. NaN for a grid with no street node; 0 for one with a single node.
    """
    out = np.full(len(geoms), np.nan)
    if network.n_nodes == 0 or len(geoms) == 0:
        return out
    pts = shapely.points(network.node_xy)
    g_idx, n_idx = shapely.STRtree(pts).query(geoms, predicate="dwithin", distance=NODE_NEAR_M)
    order = np.argsort(g_idx, kind="stable")
    nodes = np.split(n_idx[order], np.searchsorted(g_idx[order], np.arange(1, len(geoms))))
    centre = shapely.point_on_surface(geoms)
    # a grid's nodes on another street island than its search's start are not walked to
    local = {"tree": cKDTree(network.node_xy), "component": network.component}
    for k in np.flatnonzero([len(n) for n in nodes]):
        own = nodes[k]
        start = own[np.argmin(shapely.distance(pts[own], centre[k]))]
        row = local_distances(network.csr, network.node_xy, start, own, WALK_LIMIT_M, **local)
        far = own[np.argmax(np.where(np.isfinite(row), row, -1.0))]
        row = local_distances(network.csr, network.node_xy, far, own, WALK_LIMIT_M, **local)
        reach = row[np.isfinite(row)]
        out[k] = float(reach.max()) if len(reach) else 0.0
    return out


def _street_length(geoms: np.ndarray, streets: np.ndarray | None) -> np.ndarray:
    if streets is None or len(streets) == 0:
        return np.zeros(len(geoms))
    g_idx, s_idx = shapely.STRtree(streets).query(geoms, predicate="intersects")
    inside = shapely.length(shapely.intersection(streets[s_idx], geoms[g_idx]))
    return np.bincount(g_idx, weights=inside, minlength=len(geoms))


def plan_summary(grids: gpd.GeoDataFrame, tolerance: float, **extra: object) -> pd.DataFrame:
    """One row: grid count, max |deviation|, CV of households, out-of-tolerance count … and,
    for grids carrying ``workload``, the same for workload (``workload_*``)."""
    h = grids["households"].to_numpy(dtype=float)
    dev = grids["deviation"].to_numpy(dtype=float)
    row = {
        "grids": len(grids),
        "households": float(h.sum()),
        "max_abs_deviation": float(np.abs(dev).max()) if len(dev) else 0.0,
        "mean_abs_deviation": float(np.abs(dev).mean()) if len(dev) else 0.0,
        "cv_households": float(h.std() / h.mean()) if len(h) and h.mean() > 0 else 0.0,
        "out_of_tolerance": int((np.abs(dev) > tolerance + 1e-9).sum()),
        "mean_polsby_popper": float(grids["polsby_popper"].mean()),
        "mean_inertia_compactness": float(grids["inertia_compactness"].mean()),
        "tolerance": tolerance,
    }
    if "workload_deviation" in grids:
        wdev = grids["workload_deviation"].to_numpy(dtype=float)
        w = grids["workload"].to_numpy(dtype=float)
        row.update(
            {
                "workload": float(w.sum()),
                "max_abs_workload_deviation": float(np.abs(wdev).max()) if len(wdev) else 0.0,
                "cv_workload": float(w.std() / w.mean()) if len(w) and w.mean() > 0 else 0.0,
                "workload_out_of_tolerance": int((np.abs(wdev) > tolerance + 1e-9).sum()),
            }
        )
    row.update(extra)
    return pd.DataFrame([row])
