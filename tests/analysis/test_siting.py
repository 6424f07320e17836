import numpy as np
import pytest
import shapely
from analysis_helpers import X0, Y0, frame
from geopandas.testing import assert_geodataframe_equal

from geoservice.analysis.siting import candidate_grid, maximal_covering, p_median
from geoservice.errors import InvalidParameter


@pytest.fixture
def two_towns():
    """A big town (5 × 100 people) at x=0 and a small one (3 × 50) at x=5 km."""
    xs = np.r_[np.full(5, 0.0), np.full(3, 5000.0)] + np.r_[np.arange(5), np.arange(3)] * 10
    demand = frame(shapely.points(X0 + xs, np.full(8, Y0)), pop=[100.0] * 5 + [50.0] * 3)
    candidates = frame(
        shapely.points(X0 + np.array([20.0, 5010.0, 2500.0]), np.full(3, Y0)),
        name=["big", "small", "between"],
    ).set_index("name")
    return demand, candidates


def test_mclp_picks_the_site_covering_most_people(two_towns):
    demand, candidates = two_towns
    r = maximal_covering(demand, candidates, n_new=1, distance_m=500, weight_col="pop")
    assert r.sites.loc[r.sites["selected"]].index.tolist() == ["big"]
    assert r.summary["status"] == "Optimal"
    assert r.summary["served_weight"] == 500
    assert r.summary["served_share"] == pytest.approx(500 / 650)
    assert r.demand["covered"].tolist() == [True] * 5 + [False] * 3


def test_mclp_with_an_existing_facility_adds_the_other_town(two_towns):
    demand, candidates = two_towns
    existing = frame([shapely.Point(X0, Y0)])
    r = maximal_covering(
        demand, candidates, n_new=1, distance_m=500, weight_col="pop", existing=existing
    )
    chosen = r.sites.index[r.sites["selected"]].tolist()
    assert chosen == ["existing:0", "small"]
    assert r.summary["served_share"] == pytest.approx(1.0)


def test_p_median_minimises_weighted_distance(two_towns):
    demand, candidates = two_towns
    r = p_median(demand, candidates, n_new=1, weight_col="pop")
    assert r.sites.index[r.sites["selected"]].tolist() == ["big"]
    r2 = p_median(demand, candidates, n_new=2, weight_col="pop")
    assert r2.sites.index[r2.sites["selected"]].tolist() == ["big", "small"]
    # everyone is served by the nearer town's site: distances 0-20 m
    assert r2.summary["weighted_cost"] == pytest.approx(
        100 * (20 + 10 + 0 + 10 + 20) + 50 * (10 + 0 + 10)
    )


def test_p_median_weights_can_flip_the_choice(two_towns):
    demand, candidates = two_towns
    heavy = demand.assign(pop=[1.0] * 5 + [1000.0] * 3)
    r = p_median(heavy, candidates, n_new=1, weight_col="pop")
    assert r.sites.index[r.sites["selected"]].tolist() == ["small"]


def test_candidate_grid_keeps_points_inside_the_boundary():
    tri = frame([shapely.Polygon([(X0, Y0), (X0 + 1000, Y0), (X0, Y0 + 1000)])])
    cand = candidate_grid(tri, spacing_m=100)
    assert len(cand) == 45  # centres (50+100i, 50+100j) with i + j < 9.5 - 0.5
    assert tri.geometry.iloc[0].contains(cand.union_all())


def test_more_new_sites_than_candidates_is_refused(two_towns):
    demand, candidates = two_towns
    with pytest.raises(InvalidParameter):
        maximal_covering(demand, candidates, n_new=4, distance_m=100)


def test_siting_inputs_are_not_mutated(two_towns):
    demand, candidates = two_towns
    before_d, before_c = demand.copy(), candidates.copy()
    maximal_covering(demand, candidates, n_new=1, distance_m=500, weight_col="pop")
    p_median(demand, candidates, n_new=1)
    assert_geodataframe_equal(demand, before_d)
    assert_geodataframe_equal(candidates, before_c)


@pytest.fixture
def split_town():
    """Two road pieces 3 km apart that do not meet, demand and candidates on both,
    and one demand point 2 km from any road."""
    from shapely import LineString

    from geoservice.analysis.network import build_network

    roads = frame(
        [
            LineString([(X0, Y0), (X0 + 1000, Y0)]),
            LineString([(X0 + 4000, Y0), (X0 + 5000, Y0)]),
        ]
    )
    net = build_network(roads, profile="walk", class_col=None)
    demand = frame(
        shapely.points(
            X0 + np.array([100.0, 900.0, 4100.0, 4900.0, 2500.0]),
            Y0 + np.array([0.0, 0.0, 0.0, 0.0, 2000.0]),
        ),
        pop=[10.0, 10.0, 1.0, 1.0, 5.0],
    )
    candidates = frame(shapely.points(X0 + np.array([500.0, 4500.0]), np.full(2, Y0)))
    return net, demand, candidates


def test_p_median_over_a_network_with_unreachable_pairs_serves_what_it_can(split_town):
    net, demand, candidates = split_town
    r = p_median(demand, candidates, n_new=1, network=net, weight_col="pop")
    assert r.sites["selected"].tolist() == [True, False]
    assert r.demand["site"].tolist()[:2] == [0, 0]
    assert r.demand["site"].isna().tolist() == [False, False, True, True, True]
    assert r.summary["unreached_features"] == 3
    assert r.summary["unreached_weight"] == 7.0
    assert r.summary["off_network_features"] == 1


def test_p_median_reports_demand_no_candidate_reaches(split_town):
    net, demand, candidates = split_town
    r = p_median(demand, candidates, n_new=2, network=net, weight_col="pop")
    assert r.demand["reachable"].tolist() == [True, True, True, True, False]
    assert r.demand["off_network"].tolist() == [False, False, False, False, True]
    assert r.demand["snap_m"].iloc[4] == pytest.approx(2500.0)  # to the node at x=1000
    assert r.summary["unreachable_features"] == 1
    assert r.summary["unreachable_weight"] == 5.0


def test_p_median_with_no_reachable_demand_is_an_analysis_error(split_town):
    from geoservice.errors import AnalysisError

    net, demand, candidates = split_town
    with pytest.raises(AnalysisError, match="no demand"):
        p_median(demand.iloc[[4]], candidates, n_new=1, network=net)


@pytest.mark.filterwarnings("ignore::DeprecationWarning")  # PuLP 3, through spopt
@pytest.mark.parametrize("seed", [1, 2, 3])
@pytest.mark.parametrize("with_existing", [False, True])
def test_mclp_reaches_the_optimum_spopt_finds_on_the_same_cost_matrix(seed, with_existing):
    import pulp
    import spopt.locate

    rng = np.random.default_rng(seed)
    n_dem, n_site, radius = 120, 25, 1500.0
    demand = frame(
        shapely.points(X0 + rng.uniform(0, 8000, n_dem), Y0 + rng.uniform(0, 8000, n_dem)),
        pop=rng.integers(1, 100, n_dem).astype(float),
    )
    sites = frame(
        shapely.points(X0 + rng.uniform(0, 8000, n_site), Y0 + rng.uniform(0, 8000, n_site))
    )
    existing = sites.iloc[:2] if with_existing else None
    candidates = sites.iloc[2:] if with_existing else sites
    r = maximal_covering(
        demand, candidates, n_new=4, distance_m=radius, weight_col="pop", existing=existing
    )
    xy_d = shapely.get_coordinates(demand.geometry.array)
    xy_s = shapely.get_coordinates(sites.geometry.array)
    cost = np.hypot(*(xy_d[:, None, :] - xy_s[None, :, :]).transpose(2, 0, 1))
    fixed = np.arange(n_site) < 2 if with_existing else None
    direct = spopt.locate.MCLP.from_cost_matrix(
        cost,
        demand["pop"].to_numpy(),
        service_radius=radius,
        p_facilities=4 + (2 if with_existing else 0),
        predefined_facilities_arr=fixed,
    ).solve(pulp.PULP_CBC_CMD(msg=False))
    assert r.summary["objective"] == pytest.approx(pulp.value(direct.problem.objective))
    assert r.summary["served_weight"] == pytest.approx(r.summary["objective"])
    if with_existing:
        assert r.sites["selected"].iloc[:2].all()
