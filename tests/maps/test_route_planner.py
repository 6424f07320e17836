"""Routes between tourist stops over roads, on a hand-made network with known answers."""

from __future__ import annotations

import geopandas as gpd
import pytest
from shapely import LineString, Point

from geoservice.maps.route_planner import ACCESS_KMH, stop_routes

X0, Y0 = 500_000.0, 4_400_000.0


def test_routes_follow_the_roads_time_the_access_legs_and_skip_symbolic_stops():
    # An L-shaped road: 6 km east, then 4 km north, at 60 km/h.
    roads = gpd.GeoDataFrame(
        {"road_class": ["国道"], "speed_kmh": [60.0]},
        geometry=[LineString([(X0, Y0), (X0 + 6_000, Y0), (X0 + 6_000, Y0 + 4_000)])],
        crs=4546,
    ).to_crs(4326)
    stops = gpd.GeoDataFrame(
        {
            "code": ["A", "B", "S", "FAR"],
            "name_zh": ["甲", "乙", "示意", "远"],
            "name_en": ["A", "B", "S", "Far"],
            "placement_method": ["sourced", "proxy", "rule:symbolic", "sourced"],
        },
        geometry=[
            Point(X0, Y0 - 300),  # 300 m south of the road's start
            Point(X0 + 6_000, Y0 + 4_000),  # at its end
            Point(X0 + 3_000, Y0),
            Point(X0 + 50_000, Y0),  # 40+ km from any road
        ],
        crs=4546,
    ).to_crs(4326)
    routes = stop_routes(stops, roads, crs="EPSG:4546")
    assert [s["code"] for s in routes["stops"]] == ["A", "B", "FAR"]  # the symbolic stop is out
    assert [s["on_network"] for s in routes["stops"]] == [True, True, False]
    assert set(routes["paths"]) == {"A|B"}
    path = routes["paths"]["A|B"]
    access_minutes = 0.3 / ACCESS_KMH * 60
    assert path["minutes"] == pytest.approx(10.0 + access_minutes, abs=0.1)  # 10 km at 60 km/h
    assert path["road_km"] == pytest.approx(10.0, abs=0.05)
    assert path["access_km"] == pytest.approx(0.3, abs=0.01)
    lats = [lat for lat, _ in path["coords"]]
    assert len(path["coords"]) >= 3  # it turns the corner instead of cutting across
    assert lats[0] < lats[-1]
