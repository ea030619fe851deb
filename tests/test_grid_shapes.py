"""Grids a worker can patrol: one polygon each, contiguous through real borders, a real
compactness floor (or a reason), walking time across, and valid polygons in WGS-84 files."""

from __future__ import annotations

from dataclasses import replace

import geopandas as gpd
import numpy as np
import pytest
import shapely
from scipy.sparse import csgraph

from shequ.analyses.grid_metrics import (
    COMPACT_REASONS,
    add_grid_metrics,
    compact_reasons,
    grid_polygons,
    one_polygon,
    walk_across,
)
from shequ.analyses.grid_objective import SearchWeights, State
from shequ.analyses.grid_plan import atom_data
from shequ.analyses.grid_search import improve, lift_thin, polsby_popper
from shequ.geo.atoms import TOUCH_M, build_atoms
from shequ.geo.outputs import valid_polygons
from shequ.jobs.grids import GridOptions, compute_grids
from shequ.jobs.inputs import load_inputs
from tests.conftest import shared_file

EXTRACTS = ["osm/nanjing_xinjiekou_small.osm", "osm/beijing_haidian_liudaokou_small.osm"]
CRS = "EPSG:32650"
NONE = gpd.GeoDataFrame({"compound_id": [], "border": []}, geometry=[], crs=CRS)


def _atoms(squares, households):
    blocks = gpd.GeoDataFrame({"block_id": np.arange(len(squares))}, geometry=squares, crs=CRS)
    homes = gpd.GeoDataFrame(
        {"households": np.asarray(households, float)},
        geometry=shapely.point_on_surface(np.asarray(squares, dtype=object)),
        crs=CRS,
    )
    area = shapely.union_all(squares).envelope
    return build_atoms(blocks, NONE, homes, NONE, area)


def test_corners_and_short_borders_are_not_adjacency():
    # a and b meet at a corner; c shares 1 m with b; d shares 50 m with a
    a, b = shapely.box(0, 0, 100, 100), shapely.box(100, 100, 200, 200)
    c, d = shapely.box(199, 200, 299, 300), shapely.box(0, 100, 50, 200)
    atoms = _atoms([a, b, c, d], [10, 10, 10, 10])
    pairs = {(int(i), int(j)) for i, j in zip(atoms.a, atoms.b, strict=True)}
    assert pairs == {(0, 3)}  # a-b corner and the 1 m b-c border are no adjacency
    assert atoms.shared_m.tolist() == pytest.approx([50.0])
    wider = _atoms([a, b, shapely.box(197, 200, 297, 300)], [10, 10, 10])
    assert wider.shared_m.tolist() == pytest.approx([3.0]) and TOUCH_M < 3.0


def test_detached_pieces_join_a_neighbour_and_grids_dissolve_to_one_polygon():
    squares = [shapely.box(x, y, x + 100, y + 100) for y in (0, 100) for x in (0, 100, 200)]
    atoms = _atoms(squares, [100] * 6)
    labels = np.array([0, 1, 0, 1, 1, 1])  # grid 0 in two pieces (atoms 0 and 2)
    data = atom_data(atoms, {})
    fixed = np.zeros(atoms.n, bool)
    out, log = improve(data, labels, fixed, target=300, tol=0.5, weights=SearchWeights())
    assert log["reattached"] >= 1
    for g in np.unique(out):
        members = np.flatnonzero(out == g)
        n, _ = csgraph.connected_components(data.neighbours[members][:, members])
        assert n == 1
    grids = grid_polygons(atoms, out)
    assert (grids.geom_type == "Polygon").all()
    # a union GEOS hands back as a one-part MultiPolygon is a Polygon
    assert one_polygon(shapely.MultiPolygon([squares[0]])).geom_type == "Polygon"


def test_floor_pass_takes_the_spike_off_a_thin_grid():
    # 4 x 2 squares: grid 0 is a 2 x 2 block with a spike, grid 1 an L; both in the band
    sq = {
        (x, y): shapely.box(x * 100, y * 100, x * 100 + 100, y * 100 + 100)
        for x in range(4)
        for y in range(2)
    }
    keys = sorted(sq)
    atoms = _atoms([sq[k] for k in keys], [100] * 8)
    grid0 = {(0, 0), (1, 0), (0, 1), (1, 1), (2, 1)}
    labels = np.array([0 if k in grid0 else 1 for k in keys])
    st = State(atom_data(atoms, {}), labels.copy(), SearchWeights(), 400)
    before = polsby_popper(st, 0)
    moved = lift_thin(st, np.zeros(8, bool), 400, 0.3, 0.7, t_end=np.inf)
    assert moved == 1
    assert before < 0.7 <= polsby_popper(st, 0)
    assert polsby_popper(st, 1) >= 0.7
    assert np.bincount(st.labels).tolist() == [4, 4]


def test_a_thin_single_atom_grid_says_why():
    strip = shapely.box(0, 0, 400, 10)  # Polsby-Popper 0.09
    square = shapely.box(0, 10, 100, 110)
    atoms = _atoms([strip, square], [300, 300])
    reasons = compact_reasons(atoms, np.array([0, 1]), 300, 0.15)
    assert reasons == {0: "single_atom"}


@pytest.fixture(scope="module", params=EXTRACTS)
def plan(request):
    # the default budget: the search ends by itself (Nanjing: 19 s), so the plan is the same on
    # any machine (10 s cut it short, and what it left depended on the machine's speed)
    opts = GridOptions(osm=shared_file(request.param))
    result = compute_grids(opts)
    area = load_inputs(replace(opts, osm_facilities=False))
    return result, area


def test_no_grid_is_a_multipolygon_and_thin_grids_have_a_reason(plan):
    result, area = plan
    labels = result.plan.labels
    assert (result.grids.geom_type == "Polygon").all()
    grids = add_grid_metrics(
        grid_polygons(result.atoms, labels),
        result.target,
        result.tolerance,
        area.network.edge_geoms,
        atoms=result.atoms,
        labels=labels,
        network=area.network,
        speed_mps=area.profile.speeds["general"],
    )
    # the search prices the perimeters the outlines have (atoms snapped, shared borders as the
    # union dissolves them): before, Nanjing grids were priced up to 1.6 times too ragged
    st = State(atom_data(result.atoms, {}), labels.copy(), SearchWeights(), result.target)
    priced = st.tot.p[grids["grid_id"].to_numpy()]
    outline = shapely.length(shapely.boundary(grids.geometry.values))
    err = np.abs(priced / outline - 1)
    assert (err < 0.002).mean() >= 0.9, err  # the finished plan: 72 of 77
    # the outline and the price part where two atoms of a grid meet without an adjacency: a
    # fraction of a millimetre apart (building groups' land) or along less than the 2 m a
    # border needs; or where two atoms overlap (footprints overlapping across groups). Such a
    # grid is priced a few metres off (0.4-3.5 % seen on Nanjing). Which grids hold such a
    # pair depends on the plan (its time budget, the machine's speed), so each grid priced off
    # is checked for one, rather than counted
    assert err.max() < 0.05, err  # the finished plan: 3.5 %
    geoms = result.atoms.frame.geometry.values
    adjacent = {*zip(result.atoms.a.tolist(), result.atoms.b.tolist(), strict=True)}
    adjacent |= {(b, a) for a, b in adjacent}
    for grid in grids["grid_id"].to_numpy()[err >= 0.002]:
        mine = np.flatnonzero(labels == grid)
        p, q = shapely.STRtree(geoms[mine]).query(geoms[mine], predicate="dwithin", distance=1e-3)
        pairs = [(i, j) for i, j in zip(mine[p], mine[q], strict=True) if i < j]
        odd = [
            (i, j)
            for i, j in pairs
            if (i, j) not in adjacent or shapely.area(shapely.intersection(geoms[i], geoms[j])) > 0
        ]
        assert odd, (grid, err[grids["grid_id"] == grid])
    thin = grids["polsby_popper"] < 0.2
    assert set(grids.loc[thin, "compact_reason"]) <= set(COMPACT_REASONS) - {"movable"}
    assert (grids.loc[~thin, "compact_reason"] == "").all()
    # walking time is the walking distance at the profile's speed
    ok = grids["walk_across_m"].notna()
    assert ok.sum() >= 0.8 * len(grids)
    expected = grids.loc[ok, "walk_across_m"] / area.profile.speeds["general"] / 60
    assert np.allclose(grids.loc[ok, "walk_across_min"], expected)


def test_walk_across_matches_all_pairs_on_small_grids(plan):
    result, area = plan
    net = area.network
    geoms = result.grids.geometry.values
    got = walk_across(geoms, net)
    pts = shapely.points(net.node_xy)
    checked = 0
    for k, geom in enumerate(geoms):
        nodes = np.flatnonzero(shapely.dwithin(pts, geom, 5.0))
        if not 2 <= len(nodes) <= 60:
            continue
        d = csgraph.dijkstra(net.csr, directed=False, indices=nodes)[:, nodes]
        true = d[np.isfinite(d)].max()
        # the double sweep is a lower bound, and on street grids close to the diameter
        assert got[k] <= true + 1e-6
        assert got[k] >= 0.75 * true
        checked += 1
    assert checked >= 3


@pytest.mark.parametrize("driver,suffix", [("GeoJSON", ".geojson"), ("GPKG", ".gpkg")])
def test_grids_written_in_wgs84_stay_valid(plan, tmp_path, driver, suffix):
    result, _ = plan
    grids = result.grids[["grid_id", "code", "households", "geometry"]]
    path = tmp_path / f"grids{suffix}"
    valid_polygons(grids, 4326).to_file(path, driver=driver)
    back = gpd.read_file(path)
    assert back.is_valid.all()
    assert set(back.geom_type) <= {"Polygon"} or set(back.geom_type) == {"MultiPolygon"}
    assert (shapely.get_num_geometries(back.geometry.values) == 1).all()
    change = np.abs(back.to_crs(grids.crs).area.to_numpy() - grids.area.to_numpy())
    assert (change <= 1e-4 * grids.area.to_numpy() + 0.01).all()


def test_repair_keeps_polygons_and_drops_crossing_loops():
    # a ring that crosses itself in a loop 2 mm wide: valid nowhere, one Polygon after repair
    bad = shapely.Polygon(
        [(0, 0), (10, 0), (10, 10), (0, 10), (0, 5), (-0.001, 5.001), (0.001, 5.001), (0, 5)]
    )
    assert not bad.is_valid
    frame = gpd.GeoDataFrame({"id": [1]}, geometry=[bad], crs=4326)
    out = valid_polygons(frame)
    geom = out.geometry.iloc[0]
    assert geom.is_valid and geom.geom_type == "Polygon"
    assert abs(geom.area - 100.0) < 1e-6


def test_shape_notes_say_each_reason_in_both_languages(monkeypatch):
    import string

    from shequ import i18n
    from shequ.analyses.grid_metrics import shape_notes
    from shequ.messages.grid_shapes import MESSAGES

    def fields(text):
        return {f for _, f, _, _ in string.Formatter().parse(text) if f}

    for en, zh in MESSAGES.values():
        assert fields(en) == fields(zh) == {"n", "floor"}
        assert "网格" in zh and "紧凑度" in zh
    for key, value in MESSAGES.items():
        monkeypatch.setitem(i18n.MESSAGES, key, value)
    grids = gpd.GeoDataFrame(
        {"compact_reason": ["", "balance", "single_atom", "balance", "not_checked"]},
        geometry=[shapely.Point(0, 0)] * 5,
    )
    notes = shape_notes(grids)
    assert [n.key for n in notes] == ["n.thin_single_atom", "n.thin_balance"]
    assert notes[1].startswith("2 grids stay under Polsby-Popper 0.2")
    assert notes[1].render("zh").startswith("2 个网格")
