"""One travel-time model: coverage, allocation, matrices, 2SFCA and indicators agree."""

from __future__ import annotations

import numpy as np
import pytest
import shapely
from analysis_helpers import X0, Y0, frame

from geoservice.analysis.catchment import assign_nearest
from geoservice.analysis.coverage import compute_coverage
from geoservice.analysis.network import build_network, travel_time_matrix

MINUTES = 10.0


@pytest.fixture(scope="module")
def town():
    """A 2 km town with streets every 400 m, a library off a street, and homes on a
    37 m lattice (so most homes are off the streets)."""
    ticks = np.arange(0.0, 2001.0, 400.0)
    streets = [shapely.LineString([(X0 + t, Y0), (X0 + t, Y0 + 2000)]) for t in ticks] + [
        shapely.LineString([(X0, Y0 + t), (X0 + 2000, Y0 + t)]) for t in ticks
    ]
    net = build_network(frame(streets), profile="walk", class_col=None, split_crossings=True)
    library = frame([shapely.Point(X0 + 950.0, Y0 + 1030.0)])
    xs = np.arange(10.0, 2000.0, 37.0)
    gx, gy = np.meshgrid(xs, xs)
    homes = frame(shapely.points(X0 + gx.ravel(), Y0 + gy.ravel()), pop=np.ones(gx.size))
    return net, library, homes


def test_coverage_allocation_and_matrix_give_the_same_homes_within_ten_minutes(town):
    net, library, homes = town
    covered = compute_coverage(library, homes, minutes=MINUTES, network=net)
    by_cover = covered.demand["covered_share"].to_numpy() > 0
    allocated = assign_nearest(homes, library, network=net, max_minutes=MINUTES)
    by_alloc = allocated.demand["facility"].notna().to_numpy()
    od = travel_time_matrix(net, homes, library, max_minutes=MINUTES)
    by_matrix = np.isin(homes.index.to_numpy(), od["origin"].to_numpy())
    assert 0 < by_cover.sum() < len(homes)
    np.testing.assert_array_equal(by_cover, by_alloc)
    np.testing.assert_array_equal(by_cover, by_matrix)
    np.testing.assert_allclose(
        covered.demand.loc[by_cover, "minutes"], allocated.demand.loc[by_alloc, "minutes"]
    )


def test_the_walk_to_and_from_the_street_is_timed(town):
    net, library, homes = town
    od = travel_time_matrix(net, homes, library)
    # the library is 30 m from the street at y = 1200... its nearest node is 30 m away
    _, leg, dist = net.snap_legs(library)
    assert leg[0] == pytest.approx(dist[0] / 80.0)
    home = homes.index[(homes.geometry.x == X0 + 10.0) & (homes.geometry.y == Y0 + 10.0)][0]
    minutes = od.set_index("origin").loc[home, "minutes"]
    # 10 m + 10 m off the corner's node, then along the streets to the library's node
    assert minutes > leg[0] + 2 * 10.0 / 80.0


def test_coverage_counts_more_than_a_fixed_band_and_less_than_free_snapping(town):
    net, library, homes = town
    share = compute_coverage(library, homes, minutes=MINUTES, network=net).summary["feature_share"]
    # a 10-minute walk is at most 800 m from the library: a diamond of 2 × 0.8² km²
    assert 0 < share < 2 * 0.8**2 / 4.0


def test_two_step_catchment_uses_the_same_reach(town):
    from geoservice.analysis.accessibility import two_step_fca

    net, library, homes = town
    lib = library.assign(capacity=[1.0])
    r = two_step_fca(
        homes, lib, supply_col="capacity", population_col="pop", minutes=MINUTES, network=net
    )
    covered = compute_coverage(library, homes, minutes=MINUTES, network=net)
    reached = r.demand["facilities_in_reach"].to_numpy() > 0
    np.testing.assert_array_equal(reached, covered.demand["covered_share"].to_numpy() > 0)


def test_homes_off_the_network_are_reported(town):
    net, library, _ = town
    far = frame([shapely.Point(X0 + 200.0, Y0 + 3000.0)], pop=[1.0])
    r = assign_nearest(far, library, network=net, max_minutes=60)
    assert r.demand["off_network"].tolist() == [True]
    assert r.demand["snap_m"].iloc[0] == pytest.approx(1000.0, abs=1)
    from geoservice.analysis.accessibility import two_step_fca

    fca = two_step_fca(far, library, population_col="pop", minutes=60, network=net)
    assert fca.demand["off_network"].tolist() == [True]
    assert fca.summary["off_network_features"] == 1
    cov = compute_coverage(library, far, minutes=60, network=net)
    assert cov.demand["off_network"].tolist() == [True]
    assert cov.summary["off_network_features"] == 1


def test_the_ten_minute_indicator_agrees_with_coverage_and_allocation(town):
    from geoservice.analysis.indicators import evaluate_indicators

    net, library, homes = town
    ticks = np.arange(0.0, 2001.0, 400.0)
    roads = frame(
        [shapely.LineString([(X0 + t, Y0), (X0 + t, Y0 + 2000)]) for t in ticks]
        + [shapely.LineString([(X0, Y0 + t), (X0 + 2000, Y0 + t)]) for t in ticks]
    )
    defs = {"plan": "town", "indicators": [{
        "id": "ten-minutes", "title": "homes within a 10-minute walk", "type": "coverage_share",
        "facilities": {"layer": "library"}, "demand": {"layer": "homes"},
        "minutes": MINUTES,
        "network": {"layer": "roads", "class_col": None, "split_crossings": True},
        "target": {"op": ">=", "value": 0.5},
        "source": {"doc": "test", "quote": "a hand-made town"},
    }]}  # fmt: skip
    [result] = evaluate_indicators(defs, {"library": library, "homes": homes, "roads": roads})
    allocated = assign_nearest(homes, library, network=net, max_minutes=MINUTES)
    assert result.value == pytest.approx(allocated.demand["facility"].notna().mean())
