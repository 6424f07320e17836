"""site_search on hand-made sites with known answers (EPSG:4546, metres)."""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pytest
from shapely import LineString, Point, box

from geoservice.analysis.network import build_network
from geoservice.analysis.site_search import Proximity, site_search
from geoservice.errors import InvalidParameter

X0, Y0 = 500_000.0, 4_400_000.0


def square(cx: float, cy: float, side: float):
    h = side / 2
    return box(X0 + cx - h, Y0 + cy - h, X0 + cx + h, Y0 + cy + h)


@pytest.fixture
def sites():
    """Four parcels east of a base at the origin; a logistics park 3 km east."""
    return gpd.GeoDataFrame(
        {
            "code": ["big_near", "big_far", "small_near", "big_reserved"],
            "area_ha": [8.0, 6.0, 3.0, 12.0],
            "use": ["industrial", "industrial", "industrial", "logistics"],
            "status": ["available", "available", "available", "reserved"],
        },
        geometry=[
            square(2_000, 0, 200),  # edge 1 900 m from the base, 900 m from the park
            square(0, 9_000, 200),  # 8 900 m from the base, ~9.4 km from the park
            square(3_500, 0, 100),  # next to the park, but 3 ha
            square(2_500, 500, 100),
        ],
        crs=4546,
    )


@pytest.fixture
def base():
    return gpd.GeoDataFrame({"name_zh": ["装备制造基地"]}, geometry=[Point(X0, Y0)], crs=4546)


@pytest.fixture
def park():
    return gpd.GeoDataFrame({"name_zh": ["物流园"]}, geometry=[Point(X0 + 3_000, Y0)], crs=4546)


def test_the_issue_question_ranks_the_only_site_meeting_everything_first(sites, base, park):
    result = site_search(
        sites,
        min_area_ha=5,
        statuses=["available"],
        proximity=[
            Proximity("equipment_base", base, max_distance_m=10_000),
            Proximity("logistics_park", park, max_distance_m=2_000),
        ],
    )
    ranked = result.sites.set_index("code")
    assert result.sites["code"].tolist()[0] == "big_near"
    assert ranked.loc["big_near", "meets_all"]
    assert result.summary["meeting_all"] == 1
    assert ranked.loc["big_near", "equipment_base_value"] == pytest.approx(1_900.0)
    assert ranked.loc["big_near", "equipment_base_margin"] == pytest.approx(8_100.0)
    assert ranked.loc["big_near", "logistics_park_value"] == pytest.approx(900.0)
    assert ranked.loc["big_near", "logistics_park_nearest"] == "物流园"
    assert ranked.loc["big_near", "area_margin_ha"] == pytest.approx(3.0)


def test_each_site_says_which_constraints_fail_and_by_how_much(sites, base, park):
    result = site_search(
        sites,
        min_area_ha=5,
        statuses=["available"],
        proximity=[
            Proximity("equipment_base", base, max_distance_m=10_000),
            Proximity("logistics_park", park, max_distance_m=2_000),
        ],
    ).sites.set_index("code")
    far = result.loc["big_far"]
    assert far["equipment_base_met"] and not far["logistics_park_met"]
    assert far["logistics_park_margin"] < -7_000
    assert "not met" in far["constraints"] and "too far" in far["constraints"]
    small = result.loc["small_near"]
    assert not small["area_met"] and small["area_margin_ha"] == pytest.approx(-2.0)
    assert "short by 2.00 ha" in small["constraints"]
    assert not result.loc["big_reserved", "status_met"]
    assert result["n_met"].to_dict() == {
        "big_near": 4, "big_far": 3, "small_near": 3, "big_reserved": 3
    }  # fmt: skip
    assert result.loc["big_near", "rank"] == 1
    assert set(result["rank"]) == {1, 2, 3, 4}


def test_area_falls_back_to_the_measured_polygon_and_is_unknown_for_a_bare_point(base):
    sites = gpd.GeoDataFrame(
        {"area_ha": [None, None]},
        geometry=[square(0, 0, 300), Point(X0 + 10, Y0 + 10)],
        crs=4546,
    )
    result = site_search(sites, min_area_ha=5).sites
    polygon = result[result["area_basis"] == "measured"].iloc[0]
    point = result[result["area_basis"] == "unknown"].iloc[0]
    assert polygon["area_ha"] == pytest.approx(9.0) and polygon["area_met"]
    assert np.isnan(point["area_ha"]) and not point["area_met"]
    assert "area unknown" in point["constraints"]


def test_travel_time_uses_the_road_network_and_off_network_sites_fail(park):
    roads = gpd.GeoDataFrame(
        {"road_class": ["国道"], "speed_kmh": [60.0]},
        geometry=[LineString([(X0, Y0), (X0 + 6_000, Y0)])],
        crs=4546,
    )
    network = build_network(roads, profile="drive", class_col="road_class", speed_col="speed_kmh")
    sites = gpd.GeoDataFrame(
        {"code": ["on_road", "off_road"]},
        geometry=[Point(X0, Y0), Point(X0, Y0 + 5_000)],
        crs=4546,
    )
    result = site_search(
        sites, proximity=[Proximity("park", park, max_minutes=5.0)], network=network
    ).sites.set_index("code")
    assert result.loc["on_road", "park_value"] == pytest.approx(3.0)  # 3 km at 60 km/h
    assert result.loc["on_road", "park_met"]
    assert not result.loc["off_road", "park_met"]
    assert np.isnan(result.loc["off_road", "park_value"])
    assert "unreachable" in result.loc["off_road", "constraints"]


def test_use_constraint_and_bad_constraints_are_refused_clearly(sites, base):
    result = site_search(sites, uses=["logistics"]).sites
    assert result.iloc[0]["code"] == "big_reserved"
    with pytest.raises(InvalidParameter, match="exactly one"):
        Proximity("base", base)
    with pytest.raises(InvalidParameter, match="constraint name"):
        Proximity("Bad Name", base, max_distance_m=1)
    with pytest.raises(InvalidParameter, match="road network"):
        site_search(sites, proximity=[Proximity("base", base, max_minutes=5)])
    with pytest.raises(InvalidParameter, match="min_area_ha"):
        site_search(sites, min_area_ha=10, max_area_ha=5)
