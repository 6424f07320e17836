import networkx as nx
import numpy as np
import pytest
import shapely
from analysis_helpers import X0, Y0, frame

from geoservice.analysis.network import (
    DRIVE_SPEEDS_KMH,
    build_network,
    compute_isochrones,
    travel_time_matrix,
)
from geoservice.errors import InvalidParameter


def line(*xy):
    return shapely.LineString([(X0 + x, Y0 + y) for x, y in xy])


def point(x, y):
    return frame([shapely.Point(X0 + x, Y0 + y)])


def test_walking_a_kilometre_takes_twelve_and_a_half_minutes():
    net = build_network(frame([line((0, 0), (1000, 0))]), profile="walk")
    od = travel_time_matrix(net, point(0, 0), point(1000, 0))
    assert od["minutes"].iloc[0] == pytest.approx(12.5)


def test_isochrone_stops_where_the_time_runs_out():
    net = build_network(frame([line((0, 0), (500, 0), (1000, 0))]), profile="walk")
    iso = compute_isochrones(net, point(0, 0), minutes=[5], edge_buffer_m=10)
    row = iso.isochrones.iloc[0]
    assert row["reached_length_m"] == pytest.approx(400)
    xmin, _, xmax, _ = row.geometry.bounds
    assert xmin == pytest.approx(X0 - 10) and xmax == pytest.approx(X0 + 410)
    # a band, not a hull: 400 m × 20 m plus two round caps
    assert row["area_m2"] == pytest.approx(400 * 20 + np.pi * 10**2, rel=0.03)


def test_isochrones_do_not_fill_the_gap_between_two_roads():
    roads = frame([line((0, 0), (0, 1000)), line((0, 0), (1000, 0))])
    iso = compute_isochrones(build_network(roads), point(0, 0), minutes=[10], edge_buffer_m=25)
    geom = iso.isochrones.geometry.iloc[0]
    assert not geom.contains(shapely.Point(X0 + 300, Y0 + 300))
    assert geom.area < 2 * 800 * 50 + 50 * 50 + 1


def test_lines_sharing_an_inner_vertex_are_connected():
    roads = frame([line((0, 0), (500, 0), (1000, 0)), line((500, 0), (500, 800))])
    net = build_network(roads, max_segment_m=None)
    assert net.summary["nodes"] == 4
    od = travel_time_matrix(net, point(0, 0), point(500, 800))
    assert od["minutes"].iloc[0] == pytest.approx(1300 / 80)


def test_crossing_lines_connect_only_when_asked():
    roads = frame([line((0, 0), (1000, 0)), line((500, -500), (500, 500))])
    plain = build_network(roads, max_segment_m=None)
    assert travel_time_matrix(plain, point(0, 0), point(500, 500)).empty
    split = build_network(roads, split_crossings=True, max_segment_m=None)
    od = travel_time_matrix(split, point(0, 0), point(500, 500))
    assert od["minutes"].iloc[0] == pytest.approx(1000 / 80)


def test_one_way_roads_are_driven_only_along_the_line():
    roads = frame(
        # a->b one way; c->b drawn but travelled only b->c ("-1"); a-c two way
        [
            line((0, 0), (1000, 0)),
            line((1000, 1000), (1000, 0)),
            line((0, 0), (1000, 1000)),
        ],
        highway=["residential", "residential", "primary"],
        oneway=["yes", "-1", None],
    )
    net = build_network(roads, profile="drive", oneway_col="oneway")
    a, b = point(0, 0), point(1000, 0)
    speed = DRIVE_SPEEDS_KMH["residential"] * 1000 / 60
    assert travel_time_matrix(net, a, b)["minutes"].iloc[0] == pytest.approx(1000 / speed)
    # b -> a against the one-way: b -> c, then the primary diagonal
    back = travel_time_matrix(net, b, a)["minutes"].iloc[0]
    diag = np.hypot(1000, 1000) / (DRIVE_SPEEDS_KMH["primary"] * 1000 / 60)
    assert back == pytest.approx(1000 / speed + diag)


def test_driving_leaves_out_footways_and_unknown_classes():
    roads = frame(
        [line((0, 0), (10, 0)), line((10, 0), (20, 0)), line((20, 0), (30, 0))],
        highway=["footway", "mystery", "县道"],
    )
    net = build_network(roads, profile="drive")
    assert net.summary["roads_used"] == 1
    assert net.summary["classes_left_out"] == {"footway": 1, "mystery": 1}


def test_walking_avoids_expressways():
    roads = frame([line((0, 0), (10, 0))], highway=["motorway"])
    with pytest.raises(InvalidParameter):
        build_network(roads, profile="walk")


def test_long_roads_are_densified_so_features_snap_nearby():
    net = build_network(frame([line((0, 0), (1000, 0))]), max_segment_m=100)
    assert net.summary["nodes"] == 11
    od = travel_time_matrix(net, point(300, 20), point(700, -20))
    # 20 m walked onto the road, 400 m along it, 20 m off it (reach model)
    assert od["minutes"].iloc[0] == pytest.approx((20 + 400 + 20) / 80)


def test_far_facilities_reach_nothing():
    net = build_network(frame([line((0, 0), (100, 0))]))
    iso = compute_isochrones(net, point(0, 5000), minutes=[10], max_snap_m=500)
    assert iso.facilities["node"].iloc[0] == -1
    assert iso.isochrones["reached_length_m"].iloc[0] == 0


def test_per_facility_isochrones_are_one_per_facility_and_cutoff():
    net = build_network(frame([line((0, 0), (3000, 0))]))
    fac = frame([shapely.Point(X0, Y0), shapely.Point(X0 + 3000, Y0)], name=["a", "b"])
    iso = compute_isochrones(net, fac, minutes=[5, 10], per_facility=True).isochrones
    assert iso[["facility", "minutes"]].values.tolist() == [
        [0, 5],
        [0, 10],
        [1, 5],
        [1, 10],
    ]
    assert iso["reached_length_m"].tolist() == pytest.approx([400, 800, 400, 800])


def test_graph_exports_to_networkx_with_the_same_shortest_paths():
    roads = frame([line((0, 0), (500, 0), (1000, 0)), line((500, 0), (500, 800))])
    net = build_network(roads)
    g = net.to_networkx()
    lengths = nx.single_source_dijkstra_path_length(g, 0, weight="minutes")
    assert max(lengths.values()) == pytest.approx(1300 / 80)
