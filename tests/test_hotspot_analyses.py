"""The analyses behind ``shequ hotspots`` on small hand-made cells, and the job's contract.

Exposure, building age and the grid roll-up are checked on two H3 cells in Sacramento where
every number can be worked out by hand; the job on the Sacramento incidents: it leaves its
options as given, reports every long step to the end, and says in Chinese which types a file
holds.
"""

from __future__ import annotations

import dataclasses

import geopandas as gpd
import h3
import numpy as np
import pandas as pd
import pytest
import shapely
from shapely import affinity

from shequ.analyses.hotspot_cells import study_area
from shequ.analyses.hotspot_exposure import building_age, exposure
from shequ.analyses.hotspot_rollup import grid_levels, grid_rollup
from shequ.analyses.risk_index import LevelRule
from shequ.errors import InputError
from shequ.geo.coords import metric_crs
from shequ.geo.h3cells import cell_centres, cell_polygons
from shequ.jobs.hotspots import HotspotOptions, compute_hotspots
from tests.conftest import shared_file
from tests.helpers import english_sentences

SACRAMENTO = "incidents/sacramento_crime_jan2006.csv"


@pytest.fixture(scope="module")
def two_cells() -> tuple[np.ndarray, np.ndarray]:
    """Two neighbouring res-9 cells (sorted) and their lon/lat centres."""
    first = h3.api.numpy_int.latlng_to_cell(38.58, -121.49, 9)
    second = next(c for c in h3.api.numpy_int.grid_disk(first, 1) if c != first)
    cells = np.sort(np.array([first, second], dtype=np.uint64))
    return cells, cell_centres(cells)


def _points(lonlat: np.ndarray, crs: str = "EPSG:4326") -> gpd.GeoSeries:
    return gpd.GeoSeries(shapely.points(lonlat), crs="EPSG:4326").to_crs(crs)


def test_exposure_rates_shares_and_charging_gap(two_cells):
    cells, centres = two_cells
    homes = gpd.GeoDataFrame(
        {
            "households": [10.0, 30.0, 0.0],
            "population": [20.0, 60.0, 0.0],
            "elderly": [5.0, 15.0, 0.0],
        },
        geometry=_points(centres[[0, 0, 1]], "EPSG:32610"),  # homes in metres: any CRS
    )
    served = np.array([True, False, True])
    out = exposure(cells, np.array([8.0, 3.0]), homes, served)
    assert out["households"].tolist() == [40.0, 0.0]
    assert out["rate"].iloc[0] == pytest.approx(8 / 40)
    assert out["elderly_share"].iloc[0] == pytest.approx(20 / 80)
    assert out["charging_gap"].iloc[0] == pytest.approx(30 / 40)  # the 30 households unserved
    assert out.iloc[1][["rate", "elderly_share", "charging_gap"]].isna().all()  # nobody lives


def test_exposure_without_homes_is_the_count():
    out = exposure(np.zeros(2, dtype=np.uint64), np.array([8.0, 3.0]))
    assert list(out.columns) == ["rate"] and out["rate"].tolist() == [8.0, 3.0]


def test_building_age_is_the_mean_of_dated_buildings(two_cells):
    cells, centres = two_cells
    features = gpd.GeoDataFrame(
        {
            "tags": [
                {"building": "yes", "start_date": "1990-05-01"},
                {"building": "residential", "building:age": "~1950"},
                {"railway": "subway", "start_date": "2009"},  # not a building
                {"building": "yes"},  # not dated
            ]
        },
        geometry=_points(centres[[0, 0, 1, 1]]),
    )
    age, note = building_age(features, cells, year=2020)
    assert age[0] == pytest.approx((30 + 70) / 2) and np.isnan(age[1])
    assert note == "building age from 2 dated buildings"
    none, note = building_age(features.iloc[2:], cells, year=2020)
    assert none is None and note.key == "n.no_age"


def test_grid_rollup_counts_incidents_inside_each_grid(two_cells):
    cells, centres = two_cells
    crs = metric_crs(*centres.min(axis=0), *centres.max(axis=0))
    frame = gpd.GeoDataFrame(
        {"index": [0.9, 0.3], "level": ["red", "yellow"], "bin": [3, 1]},
        geometry=list(cell_polygons(cells)),
        crs="EPSG:4326",
    )
    c0, c1 = np.asarray(shapely.get_coordinates(_points(centres, crs).values))
    # a 100 m grid inside the first cell, off its centre: the cell-centre roll-up gave it 0
    small = shapely.box(c0[0] + 50, c0[1] - 50, c0[0] + 150, c0[1] + 50)
    far = affinity.translate(small, 5_000.0)
    whole = shapely.box(*np.r_[np.minimum(c0, c1) - 400, np.maximum(c0, c1) + 400])
    grids = gpd.GeoDataFrame(geometry=[small, far, whole], crs=crs)
    inside_small = np.array([[c0[0] + 100, c0[1]], [c0[0] + 60, c0[1] + 10]])
    on_border = np.array([[c0[0] + 150, c0[1]]])  # the small grid's edge, inside the whole
    elsewhere = np.array([c1, c1, c1])
    xy = np.vstack([inside_small, on_border, elsewhere, [[c0[0] + 9_000, c0[1]]]])
    out = grid_rollup(grids, frame, crs, xy, LevelRule("quota"))
    assert "grid_id" not in grids.columns  # the caller's frame is left as it was
    assert out["grid_id"].tolist() == [0, 1, 2]
    # the border point counts for the first grid only; the last point is in no grid
    assert out["incidents"].tolist() == [3.0, 0.0, 3.0]
    assert out["incidents"].sum() == len(xy) - 1
    assert out["area_km2"].iloc[0] == pytest.approx(0.01)
    assert out["incidents_per_km2"].iloc[0] == pytest.approx(300.0)
    assert out["mean_index"].iloc[0] == pytest.approx(0.9)  # wholly inside the first cell
    assert np.isnan(out["mean_index"].iloc[1])  # no cell under the far grid
    assert out["cells"].tolist() == [1.0, 0.0, 2.0] and out["hot_cells"].tolist() == [1, 0, 1]
    # 3 grids: the top 5 % and 10 % round to none, 35 % to one grid: the densest, yellow
    assert out["level"].tolist() == ["yellow", "blue", "blue"]


def test_grid_levels_keep_ties_together_and_zero_blue():
    value = np.array([0.0, 5.0, 5.0, 5.0, 1.0, 0.0, 0.0, 0.0, 0.0, 0.0])
    shares = {"red": 0.1, "orange": 0.1, "yellow": 0.5}
    levels = grid_levels(value, shares).tolist()
    # red takes 1 grid by share, but the three tied at 5 all take it; 1.0 is next (yellow:
    # orange's cut-off is again 5); the zeros stay blue although yellow reaches 7 grids
    assert levels == ["blue", "red", "red", "red", "yellow"] + ["blue"] * 5
    # an area read back through another CRS (1e-7 relative) does not split the tie
    assert grid_levels(value * np.r_[1.0, 1.0, 1 + 1e-7, 1.0, *[1.0] * 6], shares).tolist() == (
        levels
    )


def test_study_area_of_points_on_a_line_is_that_line():
    xy = np.array([[0.0, 0.0], [1.0, 1.0], [2.0, 2.0], [2.0, 2.0]])
    assert study_area(xy).geom_type == "LineString"
    square = study_area(np.array([[0, 0], [1, 0], [1, 1], [0, 1], [0.5, 0.5]], dtype=float))
    assert square.area == pytest.approx(1.0)


def test_the_job_leaves_its_options_and_reports_every_step():
    opts = HotspotOptions(incidents=shared_file(SACRAMENTO), types=[])
    before = dataclasses.asdict(opts)
    totals: dict[str, int] = {}
    done: dict[str, int] = {}

    def progress(key: str, total: int):
        totals[key] = total
        done[key] = 0

        def advance(n: int) -> None:
            done[key] += n

        return advance

    result = compute_hotspots(opts, progress)
    assert dataclasses.asdict(opts) == before
    with pytest.raises(dataclasses.FrozenInstanceError):
        opts.res = 8  # type: ignore[misc]
    assert set(totals) >= {"step.incidents", "step.hs_cells", "step.statistics", "step.density"}
    assert done == totals  # every bar ends full
    assert totals["step.density"] == len(result.cells)


def test_absent_types_are_named_in_the_users_language():
    opts = HotspotOptions(incidents=shared_file(SACRAMENTO), types=["地震"])
    with pytest.raises(InputError) as caught:
        compute_hotspots(opts)
    english = caught.value.one_line()
    assert english.endswith(
        "no incident has the types given with --types (地震); types in the file: "
        "10851(A)VC TAKE VEH W/O OWNER (653), TOWED/STORED VEH-14602.6 (463), "
        "459 PC  BURGLARY VEHICLE (462), TOWED/STORED VEHICLE (434), "
        "459 PC  BURGLARY RESIDENCE (356)"
    )
    chinese = caught.value.one_line("zh")
    assert "“TOWED/STORED VEHICLE”（434 起）、“459 PC  BURGLARY RESIDENCE”（356 起）" in chinese
    assert english_sentences(chinese) == []


def test_rejected_types_keep_their_reason_key():
    data = pd.read_csv(shared_file(SACRAMENTO))
    opts = HotspotOptions(incidents=shared_file(SACRAMENTO), types=["TOWED/STORED VEHICLE"])
    result = compute_hotspots(opts)
    rejects = result.rejects[result.rejects["reason_key"] == "r.hs_type_not_selected"]
    assert set(rejects["reason"]) == {"type not selected (--types)"}
    assert len(rejects) == len(data) - (data["crimedescr"] == "TOWED/STORED VEHICLE").sum()


def test_auto_resolution_steps_down_to_what_fits(monkeypatch):
    """An automatic resolution whose cells over the area would not fit takes the next coarser
    one that does, with a note; a given --res that does not fit still stops (one line)."""
    import shapely

    from shequ.analyses.hotspot_cells import check_cell_memory, fitting_resolution
    from shequ.errors import InputError

    area = shapely.box(121.0, 30.9, 121.5, 31.3)  # about 2,000 km²
    monkeypatch.setattr("shequ.machine.available_memory_bytes", lambda: 2 * 1024**3)
    lon, lat = np.full(1000, 121.2), np.full(1000, 31.1)
    res, note = fitting_resolution(area, 11, lon, lat, 6)
    assert res < 11 and note is not None and note.key == "n.res_memory"
    check_cell_memory(area, res, 1000, given=False)  # the chosen one fits
    with pytest.raises(InputError):
        check_cell_memory(area, res + 1, 1000, given=False)
    assert fitting_resolution(area, 7, lon, lat, 6) == (7, None)
    monkeypatch.setattr("shequ.machine.available_memory_bytes", lambda: 1024)
    with pytest.raises(InputError):
        fitting_resolution(area, 9, lon, lat, 6)


def test_distance_factors_saturate_at_the_cap():
    """A fire station 5 km away and one 50 km away are both "out of reach" (the cap)."""
    import geopandas as gpd
    import pyproj
    import shapely

    from shequ.analyses.hotspot_exposure import distance_factors

    crs = pyproj.CRS("EPSG:32651")
    to_deg = pyproj.Transformer.from_crs(crs, "EPSG:4326", always_xy=True)
    x0, y0 = 300_000.0, 3_420_000.0
    lon, lat = to_deg.transform([x0, x0 + 1_000, x0 + 50_000], [y0, y0, y0])
    features = gpd.GeoDataFrame(
        {"tags": [{"amenity": "fire_station"}]},
        geometry=[shapely.Point(to_deg.transform(x0 + 500, y0))],
        crs=4326,
    )
    centres = np.column_stack([lon, lat])
    wanted = {"dist_fire_station_m": [{"amenity": "fire_station"}]}
    free = distance_factors(features, centres, crs, wanted)["dist_fire_station_m"].to_numpy()
    capped = distance_factors(features, centres, crs, wanted, 3000.0)["dist_fire_station_m"]
    np.testing.assert_allclose(free[:2], [500, 500], atol=0.5)
    assert free[2] > 49_000
    np.testing.assert_allclose(capped.to_numpy(), [free[0], free[1], 3000.0])
    # no police station in the extract: left out, unless the extract is known to reach the cap
    police = {"dist_police_m": [{"amenity": "police"}]}
    assert distance_factors(features, centres, crs, police, 3000.0).columns.tolist() == []
    far = distance_factors(features, centres, crs, police, 3000.0, absent_is_far=True)
    assert far["dist_police_m"].tolist() == [3000.0] * 3
    assert distance_factors(features, centres, crs, police, absent_is_far=True).empty  # no cap


def test_a_factor_equal_in_every_cell_is_left_out_of_the_index():
    """Every cell beyond the cap of the nearest fire station ranks no cell above another: the
    index is what it is without the factor (an area cut from a city, whose extract holds no
    fire station, gets the city run's index)."""
    from shequ.analyses.risk_index import Factor, risk_index

    table = pd.DataFrame({"rate": [0.1, 0.5, 0.3, 0.9], "dist_fire_station_m": [3000.0] * 4})
    factors = [Factor("rate", 1.0), Factor("dist_fire_station_m", 0.5)]
    with_it, ranks = risk_index(table, factors)
    without, _ = risk_index(table[["rate"]], factors)
    np.testing.assert_allclose(with_it, without)
    assert list(ranks.columns) == ["rank_rate"]
    table.loc[0, "dist_fire_station_m"] = 500.0  # one cell nearer: the factor counts again
    _, ranks = risk_index(table, factors)
    assert "rank_dist_fire_station_m" in ranks.columns
