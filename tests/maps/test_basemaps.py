"""Online base maps by configuration, the offline context map, and coded values as read."""

from __future__ import annotations

import geopandas as gpd
from shapely.geometry import LineString, Point, box

from geoservice.catalog.loader import load_catalog
from tests.conftest import ROOT

CATALOG = load_catalog(ROOT / "layers", ROOT / "styles")


def test_tianditu_needs_a_key_and_gives_its_map_and_its_chinese_annotation():
    from geoservice.maps.basemaps import online_tiles

    assert online_tiles("tianditu", attribution="", tianditu_key=None) == []
    vec, cva = online_tiles("tianditu", attribution="", tianditu_key="k123")
    assert "LAYER=vec" in vec.url and "tk=k123" in vec.url and vec.subdomains == "01234567"
    assert "LAYER=cva" in cva.url and "TILEMATRIX={z}&TILEROW={y}&TILECOL={x}" in cva.url
    assert "天地图" in vec.attribution
    wmts = "https://wmts.example.org/?TILEMATRIX={z}&TILEROW={y}&TILECOL={x}"
    assert online_tiles(wmts, attribution="x", tianditu_key=None)[0].url == wmts
    assert online_tiles("none", attribution="", tianditu_key="k") == []


def test_the_pages_may_load_tianditu_tiles_only_when_it_is_configured():
    from geoservice.api.security import policies_of
    from geoservice.settings import MapSettings, Settings

    on = Settings(maps=MapSettings(basemap="tianditu", tianditu_key="k123"))
    assert "https://*.tianditu.gov.cn" in policies_of(on).leaflet("n")
    off = Settings(maps=MapSettings(basemap="none"))
    assert "tianditu" not in policies_of(off).leaflet("n")


def test_a_gcj02_base_map_moves_geometries_by_the_gcj02_offset():
    from geoservice.coords import wgs84_to_gcj02
    from geoservice.maps.basemaps import shift_to_basemap

    point = Point(109.976177, 39.831303)
    assert shift_to_basemap(point, "wgs84") is point
    moved = shift_to_basemap(point, "gcj02")
    lon, lat = wgs84_to_gcj02(point.x, point.y)
    assert (moved.x, moved.y) == (lon, lat)
    assert abs(moved.x - 109.981849) < 1e-4 and abs(moved.y - 39.832302) < 1e-4  # AMap's


def test_the_context_map_names_counties_seats_and_roads_in_the_chosen_language():
    from geoservice.maps.context import context_layers, context_map

    layers = [CATALOG.get(i) for i in ("district", "streets_towns", "roads", "villages")]
    chosen = context_layers(layers, boundary_id="district", study_filter=None)
    assert [u.id for u in chosen.units] == ["streets_towns"]
    assert [r.id for r in chosen.roads] == ["roads"]
    frames = {
        "district": gpd.GeoDataFrame(
            {"code": ["1"], "name_zh": ["东胜区"], "name_en": ["Dongsheng District"]},
            geometry=[box(109.5, 39.6, 110.3, 40.0)], crs="EPSG:4326",
        ),
        "streets_towns": gpd.GeoDataFrame(
            {"name_zh": ["罕台镇"], "name_en": [None], "seat_lon": [109.8], "seat_lat": [39.75]},
            geometry=[box(109.7, 39.7, 109.9, 39.8)], crs="EPSG:4326",
        ),
        "roads": gpd.GeoDataFrame(
            {"ref": ["G109"], "name_zh": ["109国道"], "name_en": ["G109"]},
            geometry=[LineString([(109.6, 39.8), (110.2, 39.8)])], crs="EPSG:4326",
        ),
    }  # fmt: skip
    context = context_map(chosen, lambda layer: frames.get(layer.id), lang="en")
    labels = {(label["kind"], label["text"]) for label in context.labels}
    assert labels == {("county", "Dongsheng District"), ("unit", "罕台镇"), ("road", "G109")}
    seat = next(label for label in context.labels if label["kind"] == "unit")
    assert (seat["lon"], seat["lat"]) == (109.8, 39.75)  # at the recorded seat
    assert len(context.areas["features"]) == 1 and len(context.units["features"]) == 1
    assert "cnmaps" in " ".join(context.sources)


def test_coded_values_read_in_both_languages_and_unknown_ones_stay_as_stored():
    from geoservice.catalog.vocabulary import placement_note, value_label

    assert value_label("town", "zh") == "镇" and value_label("town", "en") == "town"
    assert value_label("rule:symbolic", "zh").startswith("规则：示意")
    assert value_label("N", "zh", "sector") == "北" and value_label("N", "zh") == "N"
    assert value_label("something_new", "zh") == "something_new"
    assert value_label(True, "zh") == "是" and value_label(False, "en") == "no"
    assert value_label(3, "zh") == 3
    assert "不是位置" in placement_note("rule:symbolic", "zh")
    assert placement_note("rule:unknown", "en") is None


def test_the_offline_base_map_is_in_every_map_unless_switched_off(maps_settings):
    from geoservice.maps import service
    from geoservice.settings import MapSettings
    from geoservice.storage import open_store

    store = open_store(maps_settings)
    catalog = load_catalog(maps_settings.layers_dir, maps_settings.styles_dir)
    try:
        for setting, expected in ((True, True), (False, False)):
            settings = MapSettings(large_layer_features=1_000, context_basemap=setting)
            options = service.map_options(settings, lang="zh", service_url="http://h")
            page = service.layer_map(catalog, store, "villages", options).html("n")
            assert ("gsmaps.context(" in page) is expected
            assert ("达拉特旗" in page) is expected  # a neighbouring banner, named
    finally:
        store.close()
