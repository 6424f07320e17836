"""Each sample frame matches its layers/<id>.yaml, carries provenance, is stable."""

from __future__ import annotations

import datetime

import pandas as pd
import pytest
import shapely
from geopandas.testing import assert_geodataframe_equal

from geoservice.catalog.loader import STANDARD_ATTRIBUTES
from geoservice.quality import GEOMETRY_QUALITIES
from geoservice.sampledata import LAYER_IDS, build_sample_layers

PYTHON_TYPES = {
    "string": (str,),
    "integer": (int,),
    "number": (int, float),
    "boolean": (bool,),
    "date": (str, datetime.date),
}


def test_every_sample_layer_has_a_declaration(catalog, layers):
    assert list(layers) == list(LAYER_IDS)
    assert set(LAYER_IDS) <= set(catalog.layers)


@pytest.mark.parametrize("layer_id", LAYER_IDS)
def test_frame_columns_and_crs_match_the_yaml(catalog, layers, layer_id):
    layer, frame = catalog.get(layer_id), layers[layer_id]
    assert list(frame.columns) == [*layer.attribute_names, "geometry"]
    assert frame.crs == layer.storage_crs
    assert set(frame.geom_type) <= {layer.geometry_type.value}  # idle_assets ships empty


@pytest.mark.parametrize("layer_id", LAYER_IDS)
def test_values_respect_declared_types_enums_and_required(catalog, layers, layer_id):
    layer, frame = catalog.get(layer_id), layers[layer_id]
    for attribute in layer.attributes:
        values = frame[attribute.name]
        present = values[values.notna()]
        if attribute.required:
            assert len(present) == len(frame), f"{attribute.name} has nulls"
        kinds = PYTHON_TYPES[attribute.type.value]
        for value in present.tolist():
            assert isinstance(value, kinds), (attribute.name, value)
            assert not (attribute.type.value == "integer" and isinstance(value, bool))
        if attribute.enum is not None:
            assert set(present) <= set(attribute.enum), attribute.name


@pytest.mark.parametrize("layer_id", LAYER_IDS)
def test_every_feature_has_names_source_and_quality(layers, layer_id):
    frame = layers[layer_id]
    for name in STANDARD_ATTRIBUTES:
        assert frame[name].notna().all()
        assert (frame[name].astype(str).str.strip() != "").all(), name
    assert set(frame["geometry_quality"]) <= set(GEOMETRY_QUALITIES)
    points = frame.geom_type.str.endswith("Point")
    assert "official_boundary" not in set(frame.loc[points, "geometry_quality"])
    assert "sourced_point" not in set(frame.loc[~points, "geometry_quality"])


@pytest.mark.parametrize("layer_id", LAYER_IDS)
def test_geometries_are_valid_and_not_empty(layers, layer_id):
    geometry = layers[layer_id].geometry.values
    assert not shapely.is_empty(geometry).any()
    assert shapely.is_valid(geometry).all()


PLACED_LAYERS = [
    "logistics",
    "tourism_clusters",
    "commercial_districts",
    "industrial_parks",
    "enterprises",
    "tourist_stops",
]


@pytest.mark.parametrize("layer_id", PLACED_LAYERS)
def test_only_sourced_placements_claim_a_sourced_point_and_symbolic_ones_say_so(layers, layer_id):
    frame = layers[layer_id]
    sourced = frame["geometry_quality"] == "sourced_point"
    assert (frame.loc[sourced, "placement_method"] == "sourced").all()
    assert (frame.loc[~sourced, "placement_method"] != "sourced").all()
    symbolic = frame["placement_method"] == "rule:symbolic"
    assert (frame.loc[symbolic, "geometry_quality"] == "symbolic").all()
    assert (frame.loc[~symbolic, "geometry_quality"] != "symbolic").all()


@pytest.mark.parametrize("layer_id", PLACED_LAYERS)
def test_symbolic_placements_say_they_are_not_locations(layers, layer_id):
    frame = layers[layer_id]
    symbolic = frame[frame["placement_method"] == "rule:symbolic"]
    assert symbolic["placement"].str.contains("NOT A LOCATION").all()


def test_every_plan_feature_cites_a_seed_line(layers):
    for layer_id in [*PLACED_LAYERS, "logistics_zones", "tourist_routes"]:
        assert layers[layer_id]["source"].str.contains(r"seed 00[03] .*l\.\d+").all()


def test_logistics_covers_the_named_zones_parks_hubs_and_stations(layers):
    names = set(layers["logistics"]["name_zh"]) | set(layers["logistics_zones"]["name_zh"])
    for expected in [
        "城东生活必需品仓储配送功能区",
        "城西农畜产品食品功能区",
        "城南建材百货功能区",
        "城北快递电商功能区",
        "铜川汽车工矿综合功能区",
        "铜川综合物流园",
        "东胜东站物流枢纽",
        "敖包沟集装站",
        "李家壕集装站",
        "韩家村集装站",
    ]:
        assert expected in names
    assert any(name.startswith("东胜综合物流基地") for name in names)
    assert any(name.startswith("呼铁物流园") for name in names)


def test_compass_zones_lie_on_their_side_of_the_city(layers):
    zones = layers["logistics_zones"].set_index("sector").to_crs("EPSG:4546")
    centre = zones.loc[["N", "E", "S", "W"]].geometry.union_all().envelope.centroid
    assert zones.loc["E"].geometry.centroid.x > centre.x
    assert zones.loc["W"].geometry.centroid.x < centre.x
    assert zones.loc["N"].geometry.centroid.y > centre.y
    assert zones.loc["S"].geometry.centroid.y < centre.y


def test_routes_list_all_stops_in_order_and_run_through_the_placed_ones(layers):
    routes = layers["tourist_routes"].set_index("code")
    g210 = routes.loc["G210"]
    assert g210["stops_zh"].split(" → ")[0] == "响沙湾"
    assert g210["stops_zh"].split(" → ")[-1] == "成吉思汗陵"
    assert g210["n_stops"] == 7
    g109 = routes.loc["G109"]
    assert g109["stops_zh"].split(" → ")[0] == "三台基滨水乐园"
    assert g109["n_stops"] == 8
    for route in routes.itertuples():
        assert len(route.geometry.coords) == route.n_vertices >= 3
    # North–south really runs north to south, east–west east to west.
    g210_line = routes.loc["G210", "geometry"]
    assert g210_line.coords[0][1] > g210_line.coords[-1][1]
    g109_line = routes.loc["G109", "geometry"]
    assert g109_line.coords[0][0] > g109_line.coords[-1][0]


def test_only_wanda_has_a_sourced_attractiveness(layers):
    shops = layers["commercial_districts"]
    known = shops[shops["attractiveness"].notna()]
    assert known["name_zh"].tolist() == ["万达广场"]
    assert known["attractiveness"].tolist() == [221_200.0]
    assert set(shops["category"]) == {
        "business_circle",
        "featured_street",
        "mall",
        "market",
    }
    circles = shops.loc[shops["category"] == "business_circle", "name_zh"]
    assert {name[:2] for name in circles} == {"老城", "铁西"}


def test_nine_tourism_clusters(layers):
    assert len(layers["tourism_clusters"]) == 9


def test_villages_are_sourced_points_inside_their_unit(layers):
    villages = layers["villages"]
    units = layers["streets_towns"].set_index("code")
    assert len(villages) == 20
    assert set(villages["parent_code"]) <= set(units.index)
    assert (villages["geometry_quality"] == "sourced_point").all()  # AMap centre points, 2018
    assert villages["source"].str.contains("Vonng/adcode").all()


def test_build_is_deterministic(layers):
    again = build_sample_layers()
    for layer_id in LAYER_IDS:
        assert_geodataframe_equal(again[layer_id], layers[layer_id], check_less_precise=False)


def test_frames_are_independent_copies(layers):
    again = build_sample_layers()
    again["district"].loc[0, "name_en"] = "changed"
    assert layers["district"].loc[0, "name_en"] != "changed"
    assert isinstance(again["district"], pd.DataFrame)


def test_parks_named_by_the_issue_are_placed_from_sourced_points_where_they_exist(layers):
    parks = layers["industrial_parks"].set_index("code")
    assert parks.loc["PK-01", "placement_method"] == "sourced"  # 装备制造基地, LM-16
    assert parks.loc["PK-02", "placement_method"] == "sourced"  # 铜川汽车博览园, LM-14
    assert parks.loc["PK-03", "name_zh"] == "罕台食品园区"
    assert parks.loc["PK-03", "geometry_quality"] == "approximate"
    assert parks.loc["PK-04", "name_zh"].startswith("鄂尔多斯高新技术产业开发区")


def test_lead_firms_keep_their_chain_unstated_unless_a_text_states_it(layers):
    firms = layers["enterprises"].set_index("code")
    assert set(firms["name_zh"].str[:2]) >= {"晶澳", "金龙", "中车", "奇瑞", "一道", "巨鼎"}
    unstated = firms[firms["industry_chain"] == "unstated"]
    assert set(unstated["name_zh"]) == {"晶澳", "金龙", "巨鼎"}
    assert (firms.loc[firms["industry_chain"] != "unstated", "chain_basis"].str.len() > 0).all()


def test_idle_assets_ship_as_an_empty_layer_with_their_schema(catalog, layers):
    frame = layers["idle_assets"]
    assert frame.empty
    assert list(frame.columns) == [*catalog.get("idle_assets").attribute_names, "geometry"]


def test_tourist_stops_list_both_routes_in_the_plans_order(layers):
    stops = layers["tourist_stops"]
    g210 = stops[stops["route"] == "G210"].sort_values("seq")
    assert g210["name_zh"].tolist()[0] == "响沙湾" and g210["name_zh"].tolist()[-1] == "成吉思汗陵"
    assert len(g210) == 7 and len(stops[stops["route"] == "G109"]) == 8
    assert stops["plan_says"].str.contains("规划原文").all()
