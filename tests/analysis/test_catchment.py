import numpy as np
import pytest
import shapely
from analysis_helpers import X0, Y0, frame, grid
from geopandas.testing import assert_geodataframe_equal

from geoservice.analysis.catchment import assign_nearest, huff_model, voronoi_catchments
from geoservice.analysis.network import build_network
from geoservice.errors import InvalidParameter


def test_line_of_points_goes_to_the_nearer_end(line_of_points):
    fac = frame(
        [shapely.Point(X0 - 50, Y0), shapely.Point(X0 + 1020, Y0)],
        name=["west", "east"],
    ).set_index("name")
    r = assign_nearest(line_of_points, fac, population_col=None)
    # midpoint at x = 485: villages 0-4 go west, 5-10 east
    assert r.demand["facility"].tolist() == ["west"] * 5 + ["east"] * 6
    np.testing.assert_allclose(
        r.demand["distance_m"], [50, 150, 250, 350, 450, 520, 420, 320, 220, 120, 20]
    )
    assert r.facilities["demand_features"].tolist() == [5, 6]


def test_demand_beyond_the_maximum_distance_is_left_unallocated(line_of_points):
    fac = frame([shapely.Point(X0, Y0)])
    r = assign_nearest(line_of_points, fac, max_distance_m=250)
    assert r.demand["facility"].notna().sum() == 3
    assert r.summary["unallocated"] == 8


def test_polygon_cells_are_measured_from_their_centroids(grid3):
    fac = frame([shapely.Point(X0, Y0), shapely.Point(X0 + 300, Y0 + 300)])
    r = assign_nearest(grid3, fac, population_col="population")
    # cell centres (50+100i, 50+100j): nearer the south-west corner when i + j < 2.5
    expected = [
        0 if (c + rw) < 2.5 else 1 for rw, c in zip(grid3["row"], grid3["col"], strict=True)
    ]
    assert r.demand["facility"].tolist() == expected
    assert r.facilities["population"].sum() == grid3["population"].sum()


def test_polygon_facilities_use_distance_to_their_edge(line_of_points):
    fac = frame([shapely.box(X0 + 300, Y0 - 10, X0 + 400, Y0 + 10)])
    r = assign_nearest(line_of_points, fac)
    assert r.demand["distance_m"].tolist()[:6] == pytest.approx([300, 200, 100, 0, 0, 100])


def test_nearest_by_travel_time_follows_the_road():
    # a U-shaped road: B is closer in a straight line, A along the road
    road = shapely.LineString([(X0, Y0), (X0, Y0 + 1000), (X0 + 200, Y0 + 1000), (X0 + 200, Y0)])
    net = build_network(frame([road]))
    fac = frame(
        [shapely.Point(X0, Y0 + 900), shapely.Point(X0 + 200, Y0 + 100)],
        name=["A", "B"],
    )
    village = frame([shapely.Point(X0 + 0, Y0 + 40)])  # snaps to the vertex at (0, 0)
    by_time = assign_nearest(village, fac.set_index("name"), network=net).demand
    by_line = assign_nearest(village, fac.set_index("name")).demand
    assert by_line["facility"].iloc[0] == "B"
    assert by_time["facility"].iloc[0] == "A"
    # 40 m walked to the road (reach model), then 900 m along it to A on the road
    assert by_time["minutes"].iloc[0] == pytest.approx((40 + 900) / 80)


def test_voronoi_cells_of_a_three_by_three_layout_are_ninths():
    centres = grid(3, 100.0).centroid
    fac = frame(centres.geometry)
    boundary = frame([shapely.box(X0, Y0, X0 + 300, Y0 + 300)])
    r = voronoi_catchments(fac, boundary=boundary)
    np.testing.assert_allclose(r.catchments["area_m2"], 10_000)
    assert r.catchments.geometry.contains(centres.geometry.reset_index(drop=True)).all()


def test_voronoi_is_clipped_to_the_boundary():
    fac = frame([shapely.Point(X0 + 10, Y0 + 10), shapely.Point(X0 + 90, Y0 + 10)])
    boundary = frame([shapely.box(X0, Y0, X0 + 100, Y0 + 50)])
    r = voronoi_catchments(fac, boundary=boundary)
    assert r.catchments["area_m2"].tolist() == pytest.approx([2500, 2500])


def test_voronoi_refuses_facilities_at_the_same_place():
    fac = frame([shapely.Point(X0, Y0)] * 2)
    with pytest.raises(InvalidParameter):
        voronoi_catchments(fac, boundary=frame([shapely.box(X0, Y0, X0 + 1, Y0 + 1)]))


def test_huff_probabilities_match_hand_computation():
    # one demand point; facilities at 100 m and 200 m; λ = 2, equal attraction:
    # 1/100² : 1/200² = 4 : 1
    demand = frame([shapely.Point(X0, Y0)], pop=[1000.0])
    fac = frame([shapely.Point(X0 + 100, Y0), shapely.Point(X0 - 200, Y0)], area=[1.0, 1.0])
    r = huff_model(demand, fac, attractiveness_col="area", population_col="pop")
    assert r.probabilities["probability"].tolist() == pytest.approx([0.8, 0.2])
    assert r.facilities["expected_visitors"].tolist() == pytest.approx([800, 200])
    assert r.demand["most_likely_facility"].iloc[0] == 0


def test_huff_attractiveness_and_exponents():
    # equal distances, attraction 2 : 1 with α = 2 gives 4 : 1
    demand = frame([shapely.Point(X0, Y0)], pop=[10.0])
    fac = frame([shapely.Point(X0 + 50, Y0), shapely.Point(X0 - 50, Y0)], a=[2.0, 1.0])
    r = huff_model(
        demand,
        fac,
        attractiveness_col="a",
        attractiveness_exponent=2,
        population_col="pop",
    )
    assert r.probabilities["probability"].tolist() == pytest.approx([0.8, 0.2])
    # λ = 0: distance does not matter
    far = fac.assign(geometry=[shapely.Point(X0 + 5000, Y0), shapely.Point(X0 - 50, Y0)])
    r = huff_model(demand, far, attractiveness_col="a", decay_exponent=0)
    assert r.probabilities["probability"].tolist() == pytest.approx([2 / 3, 1 / 3])


def test_huff_market_shares_on_a_line_sum_to_one(line_of_points):
    fac = frame([shapely.Point(X0 + 200, Y0), shapely.Point(X0 + 800, Y0)], a=[1.0, 3.0])
    demand = line_of_points.assign(pop=100.0)
    r = huff_model(demand, fac, attractiveness_col="a", population_col="pop")
    assert r.facilities["market_share"].sum() == pytest.approx(1.0)
    per_demand = r.probabilities.groupby("demand")["probability"].sum()
    np.testing.assert_allclose(per_demand, 1.0)
    # hand value for village 0: d = 200 and 800 → 1/200² : 3/800² = 16 : 3
    p0 = r.probabilities.query("demand == 0")["probability"].tolist()
    assert p0 == pytest.approx([16 / 19, 3 / 19])


def test_huff_only_considers_facilities_within_reach(line_of_points):
    fac = frame([shapely.Point(X0, Y0), shapely.Point(X0 + 1000, Y0)], a=[1.0, 1.0])
    r = huff_model(line_of_points, fac, attractiveness_col="a", max_distance_m=300)
    assert r.summary["demand_without_facility"] == 3  # villages at 400-600 m from both
    assert r.demand["most_likely_facility"].isna().sum() == 3


def test_catchment_inputs_are_not_mutated(grid3):
    fac = frame([shapely.Point(X0, Y0), shapely.Point(X0 + 300, Y0)], a=[1.0, 2.0])
    before_d, before_f = grid3.copy(), fac.copy()
    assign_nearest(grid3, fac, population_col="population")
    huff_model(grid3, fac, attractiveness_col="a", population_col="population")
    voronoi_catchments(fac, boundary=grid3)
    assert_geodataframe_equal(grid3, before_d)
    assert_geodataframe_equal(fac, before_f)
