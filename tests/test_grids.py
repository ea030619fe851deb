"""Grid atoms and a new grid plan on real extracts: the invariants a grid manager relies on."""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pytest
import shapely
from scipy.sparse import csgraph

from shequ.analyses.grid_plan import GridPlanner, polygon_inertia
from shequ.geo.atoms import atom_of_points, build_atoms
from shequ.geo.blocks import border_lines, street_blocks, study_area
from shequ.jobs.inputs import InputOptions, load_inputs
from tests.conftest import shared_file

EXTRACTS = ["osm/nanjing_xinjiekou_small.osm", "osm/beijing_haidian_liudaokou_small.osm"]


def _atoms(extract: str, communities: bool = False):
    # homes from the buildings only: the raw atoms here are not divided into building groups
    # as the job divides them, and the estimate over land without buildings (a 42 ha
    # compound in Nanjing) leaves atoms too coarse to balance (tests/test_grid_atoms.py
    # checks the job's own plan with the estimate)
    options = InputOptions(osm=shared_file(extract), kinds=["canteen"], landuse_homes=False)
    area = load_inputs(options)
    lines = border_lines(area.osm, area.crs)
    homes_xy = np.column_stack([area.homes.geometry.x, area.homes.geometry.y])
    outline = study_area(lines, homes_xy)
    comm = None
    if communities:  # two communities split by a north-south line through the centre
        x0, y0, x1, y1 = outline.bounds
        mid = (x0 + x1) / 2
        west = shapely.box(x0 - 1, y0 - 1, mid, y1 + 1)
        east = shapely.box(mid, y0 - 1, x1 + 1, y1 + 1)
        comm = gpd.GeoDataFrame({"community_id": [0, 1]}, geometry=[west, east], crs=area.crs)
    blocks = street_blocks(lines, outline)
    return area, build_atoms(blocks, area.compounds, area.homes, lines, outline, comm), outline


@pytest.fixture(scope="module", params=EXTRACTS)
def planned(request):
    area, atoms, outline = _atoms(request.param)
    return area, atoms, outline, GridPlanner(300.0).fit(atoms)


def test_atoms_tile_the_area_and_hold_every_home(planned):
    area, atoms, outline, _ = planned
    geoms = atoms.frame.geometry.values
    assert shapely.area(geoms).sum() == pytest.approx(outline.area, rel=1e-6)
    i, j = shapely.STRtree(geoms).query(geoms, predicate="overlaps")
    assert (shapely.area(shapely.intersection(geoms[i], geoms[j])) < 1.0).all()
    assert atoms.frame["households"].sum() == pytest.approx(area.homes["households"].sum())
    assert atoms.frame["homes"].sum() == len(area.homes)


def test_no_compound_is_split(planned):
    area, atoms, _, plan = planned
    fr = atoms.frame
    for geom in area.compounds.geometry:
        holders = fr[shapely.area(shapely.intersection(fr.geometry.values, geom)) > 1.0]
        assert len(set(plan.labels_[holders.index])) == 1  # one grid holds the whole compound
        assert (holders["origin"] == "compound").all()


def test_every_grid_is_contiguous(planned):
    _, atoms, _, plan = planned
    graph = atoms.graph()
    for g in np.unique(plan.labels_):
        members = np.flatnonzero(plan.labels_ == g)
        n, _ = csgraph.connected_components(graph[members][:, members], directed=False)
        assert n == 1, f"grid {g} falls apart into {n} pieces"


def test_oversized_atoms_are_their_own_grid(planned):
    _, atoms, _, plan = planned
    h = atoms.frame["households"].to_numpy()
    for atom in plan.oversized_:
        assert h[atom] > 300 * 1.15
        members = np.flatnonzero(plan.labels_ == plan.labels_[atom])
        assert h[members].sum() == pytest.approx(h[atom])  # nothing else with households


def test_grids_nest_in_communities():
    _, atoms, _ = _atoms(EXTRACTS[0], communities=True)
    plan = GridPlanner(300.0).fit(atoms)
    comm = atoms.frame["community_id"].to_numpy()
    assert set(comm) == {0, 1}
    for g in np.unique(plan.labels_):
        assert len(set(comm[plan.labels_ == g])) == 1


def test_balance_where_atoms_allow_it():
    # Nanjing: outside four large compounds (each its own grid), the atoms are fine enough
    _, atoms, _ = _atoms(EXTRACTS[0])
    plan = GridPlanner(300.0).fit(atoms)
    h = np.bincount(plan.labels_, weights=atoms.frame["households"].to_numpy())
    regular = np.setdiff1d(np.unique(plan.labels_), plan.labels_[plan.oversized_])
    assert len(regular) >= 3
    assert (np.abs(h[regular] / 300 - 1) <= 0.15).all()


def test_home_lookup_and_inertia():
    square = shapely.box(0, 0, 2, 2)
    assert polygon_inertia(np.array([square]))[0] == pytest.approx(2 * 2 * (4 + 4) / 12)
    atoms = gpd.GeoDataFrame(geometry=[square, shapely.box(2, 0, 4, 2)])
    pts = shapely.points([[1, 1], [3, 1], [9, 1]])
    assert atom_of_points(atoms, pts).tolist() == [0, 1, 1]


def test_crowded_blocks_are_divided_along_paths_not_compounds():
    from shequ.geo.blocks import secondary_lines

    area = load_inputs(InputOptions(osm=shared_file(EXTRACTS[1]), kinds=["canteen"]))
    lines = border_lines(area.osm, area.crs)
    homes_xy = np.column_stack([area.homes.geometry.x, area.homes.geometry.y])
    outline = study_area(lines, homes_xy)
    blocks = street_blocks(lines, outline)
    whole = build_atoms(blocks, area.compounds, area.homes, lines, outline)
    split = build_atoms(
        blocks,
        area.compounds,
        area.homes,
        lines,
        outline,
        secondary=secondary_lines(area.osm, area.crs),
        split_above=150.0,
    )
    assert split.n > whole.n
    fr, wf = split.frame, whole.frame
    assert shapely.area(fr.geometry.values).sum() == pytest.approx(outline.area, rel=1e-6)
    assert fr["households"].sum() == pytest.approx(wf["households"].sum())
    compounds = fr[fr["origin"] == "compound"]
    assert len(compounds) == (wf["origin"] == "compound").sum()  # compounds untouched
    pieces = fr[fr["origin"] == "block"].geometry.values
    parents = wf[wf["origin"] == "block"].geometry.values
    inside = shapely.STRtree(parents).query(shapely.point_on_surface(pieces), predicate="within")
    assert len(np.unique(inside[0])) == len(pieces)  # every piece inside one undivided piece
