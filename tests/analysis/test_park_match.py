"""match_parks on hand-made shipments with known answers (EPSG:4546, metres)."""

from __future__ import annotations

import geopandas as gpd
import pytest
from shapely import LineString, Point

from geoservice.analysis.network import build_network
from geoservice.analysis.park_match import DONGSHENG_FUNCTIONS, match_parks
from geoservice.errors import InvalidParameter

X0, Y0 = 500_000.0, 4_400_000.0


@pytest.fixture
def parks():
    """West zone 10 km west, east zone 10 km east, south zone 10 km south of the city."""
    return gpd.GeoDataFrame(
        {"code": ["LZ-W", "LZ-E", "LZ-S"], "name_zh": ["城西", "城东", "城南"]},
        geometry=[Point(X0 - 10_000, Y0), Point(X0 + 10_000, Y0), Point(X0, Y0 - 10_000)],
        crs=4546,
    )


def shipments(*rows):
    goods, tons, xy = zip(*rows, strict=True)
    return gpd.GeoDataFrame(
        {"goods": list(goods), "tonnage": list(tons)},
        geometry=[Point(X0 + x, Y0 + y) for x, y in xy],
        crs=4546,
    )


FUNCTIONS = {"agri_food": ["LZ-W"], "daily_necessities": ["LZ-E"], "building_materials": ["LZ-S"]}


def test_goods_go_to_the_park_the_plan_assigns_even_when_another_is_nearer(parks):
    ships = shipments(("agri_food", 30.0, (8_000, 0)), ("building_materials", 5.0, (0, 0)))
    result = match_parks(ships, parks, functions=FUNCTIONS)
    out = result.shipments
    assert out["park"].tolist() == ["LZ-W", "LZ-S"]
    assert out["function_match"].tolist() == [True, True]
    assert out["distance_m"].tolist() == [18_000.0, 10_000.0]
    assert "城西 (LZ-W) handles them" in out.loc[0, "reason"]
    assert result.summary["tonnage_by_park"] == {"LZ-S": 5.0, "LZ-W": 30.0}
    assert len(result.links) == 2


def test_goods_no_park_handles_go_to_the_nearest_park_and_say_so(parks):
    ships = shipments(("coal", 100.0, (9_000, 500)))
    out = match_parks(ships, parks, functions=FUNCTIONS).shipments
    assert out.loc[0, "park"] == "LZ-E"
    assert not out.loc[0, "function_match"]
    assert "no park is assigned these goods" in out.loc[0, "reason"]


def test_the_quickest_by_road_wins_among_parks_handling_the_goods(parks):
    # Both west and east handle agri_food; only the east is on the road: it wins
    # although the west is nearer in a straight line.
    roads = gpd.GeoDataFrame(
        {"road_class": ["国道"], "speed_kmh": [60.0]},
        geometry=[LineString([(X0 - 2_000, Y0), (X0 + 10_000, Y0)])],
        crs=4546,
    )
    network = build_network(roads, profile="drive", class_col="road_class", speed_col="speed_kmh")
    ships = shipments(("agri_food", 1.0, (-2_000, 0)))
    out = match_parks(
        ships, parks, functions={"agri_food": ["LZ-W", "LZ-E"]}, network=network
    ).shipments
    assert out.loc[0, "park"] == "LZ-E"
    assert out.loc[0, "minutes"] == pytest.approx(12.0)  # 12 km at 60 km/h
    assert "min by road" in out.loc[0, "reason"]


def test_functions_naming_unknown_parks_are_refused(parks):
    ships = shipments(("agri_food", 1.0, (0, 0)))
    with pytest.raises(InvalidParameter, match="LZ-N"):
        match_parks(ships, parks, functions=DONGSHENG_FUNCTIONS)
