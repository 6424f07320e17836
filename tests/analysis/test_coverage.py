import geopandas as gpd
import numpy as np
import pytest
import shapely
from analysis_helpers import X0, Y0, frame, grid
from geopandas.testing import assert_geodataframe_equal

from geoservice.analysis.coverage import compute_coverage
from geoservice.analysis.network import build_network
from geoservice.errors import InvalidParameter


def test_half_covered_unit_square_has_share_one_half(unit_square):
    facility = frame([shapely.box(X0 - 50, Y0 - 50, X0 + 50, Y0 + 150)])
    r = compute_coverage(facility, unit_square, distance_m=0)
    assert r.demand["covered_share"].iloc[0] == pytest.approx(0.5, abs=1e-12)
    assert r.demand["covered_area_m2"].iloc[0] == pytest.approx(5000, abs=1e-6)


def test_quarter_disc_in_unit_square_matches_pi_over_four(unit_square):
    facility = frame([shapely.Point(X0, Y0)])
    r = compute_coverage(facility, unit_square, distance_m=100)
    assert r.demand["covered_share"].iloc[0] == pytest.approx(np.pi / 4, rel=2e-3)


def test_grid_shares_by_column_are_exact(grid3):
    # a polygon facility (reach 0) covering column 0 and half of column 1
    facility = frame([shapely.box(X0 - 100, Y0 - 100, X0 + 150, Y0 + 400)])
    r = compute_coverage(facility, grid3, distance_m=0, population_col="population")
    expected = np.array([1.0, 0.5, 0.0])[grid3["col"].to_numpy()]
    np.testing.assert_allclose(r.demand["covered_share"], expected, atol=1e-12)
    pop = grid3["population"].to_numpy()
    assert r.summary["population_share"] == pytest.approx((pop * expected).sum() / pop.sum())
    assert r.summary["area_share"] == pytest.approx(0.5)
    assert sorted(r.uncovered.index) == [2, 5, 8]


def test_buffer_of_polygon_facility_reaches_from_its_edge(grid3):
    facility = frame([shapely.box(X0 - 100, Y0 - 100, X0, Y0 + 400)])
    r = compute_coverage(facility, grid3, distance_m=150, quad_segs=64)
    expected = np.array([1.0, 0.5, 0.0])[grid3["col"].to_numpy()]
    np.testing.assert_allclose(r.demand["covered_share"], expected, atol=1e-9)


def test_points_are_covered_within_the_exact_distance(line_of_points):
    facility = frame([shapely.Point(X0, Y0)])
    r = compute_coverage(facility, line_of_points, distance_m=450)
    assert r.demand["covered_share"].tolist() == [1.0] * 5 + [0.0] * 6
    np.testing.assert_allclose(r.demand["distance_m"], 100.0 * np.arange(11))
    assert r.uncovered["name"].tolist() == [f"v{i}" for i in range(5, 11)]
    assert r.summary["feature_share"] == pytest.approx(5 / 11)


def test_unit_table_gives_area_and_population_shares(grid3):
    units = frame(
        [
            shapely.box(X0, Y0, X0 + 150, Y0 + 300),
            shapely.box(X0 + 150, Y0, X0 + 300, Y0 + 300),
        ],
        code=["west", "east"],
    )
    facility = frame([shapely.box(X0 - 100, Y0 - 100, X0, Y0 + 400)])
    r = compute_coverage(
        facility,
        grid3,
        distance_m=0.0,
        population_col="population",
        units=units,
        unit_key="code",
    )
    assert r.units["area_share"].tolist() == [0.0, 0.0]  # distance 0: the facility only
    r = compute_coverage(
        facility.assign(geometry=facility.buffer(100, cap_style="square", join_style="mitre")),
        grid3,
        distance_m=0,
        population_col="population",
        units=units,
        unit_key="code",
    )
    table = r.units.set_index("code")
    assert table.loc["west", "area_share"] == pytest.approx(100 / 150)
    assert table.loc["east", "area_share"] == pytest.approx(0.0)
    # cells are assigned by representative point: columns 0 and 1 are west
    pop = grid3.set_index("col")["population"]
    assert table.loc["west", "population"] == pytest.approx(pop.loc[[0, 1]].sum())
    assert table.loc["west", "population_share"] == pytest.approx(
        pop.loc[0].sum() / pop.loc[[0, 1]].sum()
    )
    assert table.loc["east", "features"] == 3


def test_coverage_geometry_is_the_union_of_buffers():
    pts = frame([shapely.Point(X0, Y0), shapely.Point(X0 + 50, Y0)])
    r = compute_coverage(pts, grid(3, 100.0), distance_m=100)
    expected = shapely.union_all(pts.buffer(100, quad_segs=16)).area
    assert r.coverage.area.iloc[0] == pytest.approx(expected)


def _overlay_shares(facilities, demand, distance_m):
    buffers = gpd.GeoDataFrame(geometry=facilities.buffer(distance_m, quad_segs=16))
    buffers = buffers.set_crs(facilities.crs)
    pieces = gpd.overlay(demand.assign(_id=np.arange(len(demand))), buffers, how="intersection")
    covered = pieces.dissolve("_id").area.reindex(np.arange(len(demand)), fill_value=0)
    return covered.to_numpy() / demand.area.to_numpy()


@pytest.mark.parametrize("layout", ["lattice", "jittered", "large_polygons"])
def test_shares_agree_with_geopandas_overlay(layout):
    rng = np.random.default_rng(7)
    if layout == "lattice":
        demand = grid(40, 50.0)
    elif layout == "jittered":  # irregular polygons straddling tiles
        c = shapely.points(rng.uniform(X0, X0 + 2000, 800), rng.uniform(Y0, Y0 + 2000, 800))
        demand = frame(shapely.buffer(c, rng.uniform(5, 60, 800), quad_segs=2))
    else:  # few polygons spanning many tiles, with holes
        outer = shapely.buffer(shapely.points([X0 + 500, X0 + 1500], [Y0 + 1000] * 2), 700)
        demand = frame(shapely.difference(outer, shapely.buffer(outer, -300)))
    fac = frame(shapely.points(rng.uniform(X0, X0 + 2000, 12), rng.uniform(Y0, Y0 + 2000, 12)))
    r = compute_coverage(fac, demand, distance_m=300)
    np.testing.assert_allclose(
        r.demand["covered_share"], _overlay_shares(fac, demand, 300), atol=1e-9
    )


def test_inputs_are_not_mutated(grid3):
    facility = frame([shapely.Point(X0, Y0)]).to_crs(4326)
    demand = grid3.to_crs(4326)
    before_f, before_d = facility.copy(), demand.copy()
    compute_coverage(facility, demand, distance_m=120, population_col="population")
    assert_geodataframe_equal(facility, before_f)
    assert_geodataframe_equal(demand, before_d)


def test_progress_is_reported_up_to_one(grid3):
    seen = []
    compute_coverage(
        frame([shapely.Point(X0, Y0)]),
        grid3,
        distance_m=50,
        progress=seen.append,
        chunk_size=2,
    )
    assert seen == sorted(seen) and seen[-1] == 1.0 and len(seen) > 3


def test_network_reach_covers_cells_along_the_reached_road():
    road = frame(
        [shapely.LineString([(X0, Y0 + 50), (X0 + 1000, Y0 + 50)])],
        highway=["residential"],
    )
    net = build_network(road, profile="walk")
    cells = grid(10, 100.0).iloc[:10]  # one row of cells along the road
    fac = frame([shapely.Point(X0, Y0 + 50)])
    # 5 min at 80 m/min: 400 m in all, along the road and then off it on foot, so
    # the band around each node is as wide as the time left there lets one walk
    r = compute_coverage(fac, cells, minutes=5, network=net)
    shares = r.demand.sort_values("col")["covered_share"].to_numpy()
    np.testing.assert_allclose(shares[:3], 1.0, atol=1e-9)
    assert 0.9 < shares[3] < 1.0
    np.testing.assert_allclose(shares[4:], 0.0, atol=1e-9)
    assert r.summary["reach_model"]["max_band_m"] == pytest.approx(400.0)


@pytest.mark.parametrize(
    "kwargs",
    [{}, {"distance_m": 1, "minutes": 1}, {"minutes": 5}, {"distance_m": -1}],
    ids=["none", "both", "minutes-without-network", "negative"],
)
def test_reach_options_are_validated(grid3, kwargs):
    with pytest.raises(InvalidParameter):
        compute_coverage(frame([shapely.Point(X0, Y0)]), grid3, **kwargs)


def test_missing_population_column_is_reported(grid3):
    with pytest.raises(InvalidParameter, match="pop"):
        compute_coverage(frame([shapely.Point(X0, Y0)]), grid3, distance_m=1, population_col="pop")


def test_line_demand_is_refused():
    lines = frame([shapely.LineString([(X0, Y0), (X0 + 1, Y0)])])
    with pytest.raises(InvalidParameter):
        compute_coverage(frame([shapely.Point(X0, Y0)]), lines, distance_m=1)


def test_demand_mixing_points_and_polygons_is_refused_and_multi_parts_count_as_their_kind():
    fac = frame([shapely.Point(X0, Y0)])
    mixed = frame([shapely.Point(X0, Y0), shapely.box(X0, Y0, X0 + 10, Y0 + 10)])
    with pytest.raises(InvalidParameter, match="mixes geometry kinds"):
        compute_coverage(fac, mixed, distance_m=5)
    multi = frame([shapely.MultiPolygon([shapely.box(X0, Y0, X0 + 10, Y0 + 10)])])
    r = compute_coverage(fac, multi, distance_m=5)
    assert r.summary["demand_kind"] == "polygon"
    gc = frame([shapely.GeometryCollection([shapely.Point(X0, Y0)])])
    with pytest.raises(InvalidParameter):
        compute_coverage(fac, gc, distance_m=5)
