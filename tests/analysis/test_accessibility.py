import numpy as np
import pandas as pd
import pytest
import shapely
from analysis_helpers import X0, Y0, frame
from geopandas.testing import assert_geodataframe_equal

from geoservice.analysis.accessibility import two_step_fca
from geoservice.analysis.network import build_network
from geoservice.errors import InvalidParameter


@pytest.fixture
def toy():
    """Three neighbourhoods on a line and two venues.

    Within 150 m: venue A (x=50) reaches d0 (x=0) and d1 (x=100); venue B
    (x=250, 2 venues' worth of seats) reaches d1 and d2 (x=300).
    """
    demand = frame(
        shapely.points(X0 + np.array([0.0, 100.0, 300.0]), np.full(3, Y0)),
        pop=[1000.0, 2000.0, 3000.0],
    )
    supply = frame(
        shapely.points(X0 + np.array([50.0, 250.0]), np.full(2, Y0)),
        seats=[1.0, 2.0],
    )
    return demand, supply


def test_two_step_ratios_match_hand_computation(toy):
    demand, supply = toy
    r = two_step_fca(demand, supply, population_col="pop", supply_col="seats", distance_m=150)
    # R_A = 1 / (1000 + 2000), R_B = 2 / (2000 + 3000), per 1000 residents
    r_a, r_b = 1000 / 3000, 2000 / 5000
    assert r.supply["ratio"].tolist() == pytest.approx([r_a, r_b])
    assert r.supply["catchment_population"].tolist() == [3000, 5000]
    assert r.demand["access"].tolist() == pytest.approx([r_a, r_a + r_b, r_b])
    assert r.demand["facilities_in_reach"].tolist() == [1, 2, 1]
    # total supply is conserved: Σ_i A_i P_i = Σ_j S_j
    assert (r.demand["access"] * demand["pop"]).sum() / 1000 == pytest.approx(3.0)


def test_facility_with_nobody_in_reach_has_no_ratio(toy):
    demand, supply = toy
    far = supply.assign(geometry=[shapely.Point(X0 + 50, Y0), shapely.Point(X0 + 9000, Y0)])
    r = two_step_fca(demand, far, population_col="pop", distance_m=150)
    assert np.isnan(r.supply["ratio"].iloc[1])
    assert r.summary["supply_without_demand"] == 1
    assert r.summary["population_without_access"] == 3000


def test_agrees_with_pysal_access_on_random_data():
    access = pytest.importorskip("access")
    rng = np.random.default_rng(3)
    demand = frame(
        shapely.points(rng.uniform(X0, X0 + 5000, 300), rng.uniform(Y0, Y0 + 5000, 300)),
        pop=rng.integers(10, 500, 300).astype(float),
    )
    supply = frame(
        shapely.points(rng.uniform(X0, X0 + 5000, 25), rng.uniform(Y0, Y0 + 5000, 25)),
        seats=rng.integers(1, 5, 25).astype(float),
    )
    ours = two_step_fca(
        demand,
        supply,
        population_col="pop",
        supply_col="seats",
        distance_m=800,
        per_population=1,
    )
    d = np.hypot(
        *(
            demand.get_coordinates().to_numpy()[:, None, :]
            - supply.get_coordinates().to_numpy()[None]
        ).transpose(2, 0, 1)
    )
    i, j = np.nonzero(d <= 800)
    cost = pd.DataFrame({"o": i, "d": j, "c": d[i, j]})
    ref = access.Access(
        demand_df=pd.DataFrame({"pop": demand["pop"].to_numpy()}).rename_axis("id"),
        demand_value="pop",
        supply_df=pd.DataFrame({"seats": supply["seats"].to_numpy()}).rename_axis("id"),
        supply_value="seats",
        cost_df=cost,
        cost_origin="o",
        cost_dest="d",
        cost_name="c",
    ).two_stage_fca(max_cost=800)
    expected = ref.iloc[:, 0].reindex(range(300)).fillna(0.0).to_numpy()
    np.testing.assert_allclose(ours.demand["access"].to_numpy(), expected, rtol=1e-9)


def test_travel_time_catchments_follow_the_road(toy):
    demand, supply = toy
    net = build_network(frame([shapely.LineString([(X0 - 100, Y0), (X0 + 400, Y0)])]))
    # 150 m at 80 m/min is 1.875 min; 200 m is 2.5 min
    r = two_step_fca(
        demand,
        supply,
        population_col="pop",
        supply_col="seats",
        minutes=1.9,
        network=net,
    )
    assert r.demand["access"].tolist() == pytest.approx(
        [1000 / 3000, 1000 / 3000 + 2000 / 5000, 2000 / 5000]
    )


def test_minutes_need_a_network(toy):
    with pytest.raises(InvalidParameter):
        two_step_fca(*toy, population_col="pop", minutes=10)


def test_inputs_are_not_mutated(toy):
    demand, supply = toy
    before_d, before_s = demand.copy(), supply.copy()
    two_step_fca(demand, supply, population_col="pop", supply_col="seats", distance_m=150)
    assert_geodataframe_equal(demand, before_d)
    assert_geodataframe_equal(supply, before_s)
