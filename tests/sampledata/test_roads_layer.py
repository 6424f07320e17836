"""The roads layer: schematic lines of the roads the plan names, routable."""

from __future__ import annotations

import numpy as np
import shapely

from geoservice.analysis.network import build_network, compute_isochrones

METRIC = "EPSG:4546"


def test_every_road_is_approximate_and_says_how_it_was_drawn(layers):
    roads = layers["roads"]
    assert set(roads["ref"]) == {"G210", "G109", "G65", "G18", ""}
    assert (roads["geometry_quality"] == "approximate").all()
    assert roads["placement"].str.contains("Not the").all()
    direction_only = roads[roads["placement_method"] == "rule:direction"]
    assert set(direction_only["ref"]) == {"G65", "G18"}


def test_the_national_roads_meet_at_the_urban_core(layers):
    roads = layers["roads"].to_crs(METRIC).set_index("ref")
    meet = roads.geometry["G210"].intersection(roads.geometry["G109"])
    core = shapely.Point(roads.geometry["G210"].coords[1])
    assert meet.distance(core) < 1e-6


def test_walking_uses_only_the_national_roads(layers):
    net = build_network(layers["roads"], profile="walk", class_col="road_class")
    assert net.summary["classes_left_out"] == {"高速公路": 2, "快速路": 1}
    used = set(layers["roads"].loc[net.edges["road"].unique(), "ref"])
    assert used == {"G210", "G109"}


def test_a_ten_minute_walk_from_the_core_reaches_800_m_each_way(layers):
    roads = layers["roads"]
    net = build_network(roads, profile="walk", class_col="road_class")
    core = roads.to_crs(METRIC).geometry.iloc[0].coords[1]
    origin = roads.to_crs(METRIC).iloc[:1].set_geometry([shapely.Point(core)])
    iso = compute_isochrones(net, origin, minutes=[10])
    # four directions (two roads, both ways) × 10 min × 80 m/min
    assert np.isclose(iso.isochrones["reached_length_m"].iloc[0], 4 * 800, rtol=1e-6)


def test_driving_connects_every_road_through_the_core(layers):
    net = build_network(
        layers["roads"],
        profile="drive",
        class_col="road_class",
        speed_col="speed_kmh",
        split_crossings=True,
    )
    times, _ = net.node_minutes(np.array([0]))
    assert np.isfinite(times).all()
