"""Map building without a browser: styles, popups, analysis drawings, assets, pages."""

from __future__ import annotations

import json
import re

import geopandas as gpd
import pytest
from shapely.geometry import Point, box

from geoservice.catalog.loader import load_catalog
from geoservice.maps.assets import INLINE, Assets, inline_assets
from geoservice.maps.popups import popup_fields, popup_spec
from geoservice.maps.style import feature_styles, layer_classes, legend_entries, path_options
from tests.conftest import ROOT

CATALOG = load_catalog(ROOT / "layers", ROOT / "styles")


def test_approximate_features_are_dashed_with_the_style_dash():
    style = CATALOG.styles["street_town_units"]
    classes = layer_classes(style, None)
    surveyed = path_options(style, {"unit_type": "town"}, classes)
    approximate = path_options(
        style, {"unit_type": "town", "geometry_quality": "approximate"}, classes
    )
    assert surveyed["dashArray"] is None
    assert approximate["dashArray"] == style.approximate_dash
    assert approximate["fillColor"] == "#a1d99b" and approximate["color"] == style.stroke
    assert approximate["fill"] is True


def test_categorical_classes_colour_features_as_the_tiles_do():
    from geoservice.styling import feature_colors

    style = CATALOG.styles["logistics_points"]
    classes = layer_classes(style, ["hub", "base"])
    values = ["hub", "base", "???"]
    options = feature_styles(style, classes, values, ["surveyed"] * 3)
    assert [o["fillColor"] for o in options] == feature_colors(style, values, classes)
    assert [o["fillColor"] for o in options] == ["#2171b5", "#08306b", "#999999"]
    assert options[0]["radius"] == style.radius


def test_lines_take_the_class_colour_as_stroke():
    roads = CATALOG.styles["roads"]
    [option] = feature_styles(roads, layer_classes(roads, ["国道"]), ["国道"], ["approximate"])
    assert option["color"] == "#1f78b4" and "fill" not in option
    assert option["dashArray"] == roads.approximate_dash


def test_legend_labels_follow_the_language():
    style = CATALOG.styles["street_town_units"]
    classes = layer_classes(style, None)
    assert [e.label for e in legend_entries(style, classes, "zh")] == ["街道", "镇"]
    assert legend_entries(style, classes, "en")[1].label == "Town"


def test_popups_show_names_as_title_and_explain_placement():
    layer = CATALOG.get("logistics")
    fields = popup_fields(layer, CATALOG.style_of(layer))
    assert "name_zh" not in fields and "name_en" not in fields
    assert {"code", "category", "placement_method", "placement", "geometry_quality"} <= set(fields)
    spec = popup_spec(layer, CATALOG.style_of(layer), "zh")
    assert spec["title"] == "name_zh" and spec["subtitle"] == "name_en"
    assert ["placement_method", "定位方法"] in spec["fields"]
    assert "近似" in spec["note"]
    assert popup_spec(layer, None, "en")["title"] == "name_en"


def test_popups_read_the_placement_note_in_the_page_language():
    from geoservice.maps.popups import embedded_properties

    layer = CATALOG.get("logistics")
    style = CATALOG.style_of(layer)
    assert "placement_zh" not in popup_fields(layer, style)  # one row, not two
    assert ["placement", "定位说明", "placement_zh"] in popup_spec(layer, style, "zh")["fields"]
    assert ["placement", "How it was placed"] in popup_spec(layer, style, "en")["fields"]
    assert {"placement", "placement_zh"} <= set(embedded_properties(layer, style))


def test_the_maplibre_preview_finds_the_placement_note_in_the_page_language():
    from geoservice.maps.popups import placement_lookup

    layers = [CATALOG.get(i) for i in ("logistics", "villages", "farmland_patrols")]
    zh = placement_lookup(layers, "http://h", "zh")
    assert zh["logistics"] == {"field": "placement", "twin": "placement_zh", "label": "定位说明",
                               "items": "http://h/collections/logistics/items",
                               "method": "placement_method",
                               "hide": ["placement", "placement_zh"]}  # fmt: skip
    assert "villages" not in zh  # sourced points that say nothing of placement
    # a layer with a placement method but no note of its own: the method's note
    assert zh["farmland_patrols"]["field"] is None and zh["farmland_patrols"]["items"] is None
    en = placement_lookup(layers, "http://h", "en")["logistics"]
    assert en["twin"] is None and en["label"] == "How it was placed"
    assert en["hide"] == ["placement", "placement_zh"]  # never a row of its own


def _source(layer_id: str, frame: gpd.GeoDataFrame):
    from geoservice.catalog.infer import infer_layer
    from geoservice.maps.sources import LayerSource

    style_id = "coverage_points" if frame.geom_type.iloc[0] == "Point" else "analysis_result"
    layer = infer_layer(layer_id, frame, style=style_id)
    style = CATALOG.styles[style_id]
    return LayerSource(layer, style, len(frame), 1, tuple(frame.total_bounds), frame)


def _two_points(**columns) -> gpd.GeoDataFrame:
    """Two points 0.1° apart in Dongsheng, with ``columns``."""
    return gpd.GeoDataFrame(
        columns, geometry=[Point(110, 39.8), Point(110.1, 39.8)], crs="EPSG:4326"
    )


def test_coverage_share_per_unit_becomes_a_classed_choropleth_with_a_colour_bar():
    from geoservice.maps.analysis import analysis_drawing

    shares = [0.0, 0.05, 0.1, 0.4, 0.45, 0.8, 0.9, 1.0]
    frame = gpd.GeoDataFrame(
        {"code": [str(i) for i in range(8)], "area_share": shares},
        geometry=[box(i, 0, i + 1, 1) for i in range(8)],
        crs="EPSG:4326",
    )
    drawing = analysis_drawing(_source("cover", frame), "zh")
    assert 2 <= len(drawing.legend) <= 5  # natural-breaks classes
    fills = [s["fillColor"] for s in drawing.styles]
    assert fills[0] != fills[-1] and re.fullmatch(r"#[0-9a-f]{6}", fills[0])
    assert "<svg" in drawing.legend_extra  # branca colour bar
    assert drawing.extra_properties["_share_pct"][-1] == "100.0%"


def test_uncovered_villages_are_highlighted():
    from geoservice.maps.analysis import UNCOVERED, analysis_drawing

    frame = _two_points(name_zh=["甲村", "乙村"], covered_share=[0.0, 1.0])
    drawing = analysis_drawing(_source("villages_cover", frame), "zh")
    uncovered, covered = drawing.styles
    assert uncovered["color"] == UNCOVERED["color"] and uncovered["radius"] > covered["radius"]
    assert drawing.legend[-1].label == "未覆盖 (1)"


def test_points_off_the_network_are_drawn_apart_from_the_uncovered():
    from geoservice.maps.analysis import OFF_NETWORK, analysis_drawing

    frame = _two_points(
        name_zh=["甲村", "乙村"],
        covered_share=[0.0, 0.0],
        off_network=[True, False],
        snap_m=[552.0, 40.0],
    )
    drawing = analysis_drawing(_source("villages_cover", frame), "zh")
    off, uncovered = drawing.styles
    assert off["color"] == OFF_NETWORK["color"] and off["dashArray"] == OFF_NETWORK["dashArray"]
    assert uncovered["color"] != OFF_NETWORK["color"]
    assert [e.label for e in drawing.legend[-2:]] == ["未覆盖 (1)", "不在路网上（距道路过远） (1)"]


def test_an_export_inlines_every_asset_and_keeps_no_placeholder(tmp_path):
    (tmp_path / "pkg" / "img").mkdir(parents=True)
    (tmp_path / "pkg" / "a.js").write_text("var a = '</script>';")
    (tmp_path / "pkg" / "a.css").write_text(".x{background:url(img/i.png)}")
    (tmp_path / "pkg" / "img" / "i.png").write_bytes(b"\x89PNG")
    html = (
        f'<script src="{INLINE}pkg/a.js"></script><link rel="stylesheet" href="{INLINE}pkg/a.css"/>'
    )
    out = inline_assets(html, tmp_path)
    assert INLINE not in out and "<\\/script" in out
    assert 'url("data:image/png;base64,' in out


def test_served_pages_link_vendored_files_under_static():
    assets = Assets(base_url="http://host", lang="en")
    assert assets.url("leaflet-minimap", "dist/Control.MiniMap.min.js") == (
        "http://host/static/vendor/leaflet-minimap/dist/Control.MiniMap.min.js"
    )
    # the measure control is served made CSP-safe (no lodash Function() templates)
    assert assets.url("leaflet-measure", "dist/leaflet-measure.{measure_lang}.js") == (
        "http://host/maps/assets/leaflet-measure.en.js"
    )


@pytest.fixture
def store_and_catalog(maps_settings):
    from geoservice.storage import open_store

    store = open_store(maps_settings)
    yield store, load_catalog(maps_settings.layers_dir, maps_settings.styles_dir)
    store.close()


def test_a_standalone_one_map_embeds_every_layer_and_loads_nothing_from_elsewhere(
    store_and_catalog,
):
    from geoservice.maps import service
    from geoservice.settings import MapSettings

    store, catalog = store_and_catalog
    Assets().check()
    options = service.map_options(MapSettings(large_layer_features=1_000), lang="zh",
                                  service_url=None)  # fmt: skip
    html = service.one_map_html(catalog, store, options, area=catalog.area())
    assert not re.findall(r"""<(?:script|link)[^>]+(?:src|href)=["']?https?://""", html)
    assert "gsmaps.sliced(" in html  # the farmland grid, tiled in the browser
    for layer_id in store.layer_ids():  # the layer control names every layer
        assert json.dumps(catalog.get(layer_id).title.zh) in html


def test_the_base_map_is_none_an_xyz_template_or_this_services_png_tiles():
    from geoservice.maps.builder import MapOptions

    assert MapOptions(basemap="none").basemap_url() is None
    xyz = "https://tiles.example.org/{z}/{x}/{y}.png"
    assert MapOptions(basemap=xyz).basemap_url() == xyz
    served = MapOptions(basemap="tiles:district", service_url="http://h")
    assert served.basemap_url() == (
        "http://h/collections/district/map/tiles/WebMercatorQuad/{z}/{y}/{x}"
    )
    assert MapOptions(basemap="tiles:district").basemap_url() is None  # no server to ask


def test_isochrones_are_coloured_by_minutes_and_huff_points_by_their_centre():
    from geoservice.maps.analysis import analysis_drawing

    reach = gpd.GeoDataFrame(
        {"minutes": [5, 10], "facility": ["a", "a"]},
        geometry=[box(0, 0, 1, 1), box(0, 0, 2, 2)],
        crs="EPSG:4326",
    )
    drawing = analysis_drawing(_source("reach", reach), "zh")
    assert [e.label for e in drawing.legend] == ["5 分钟", "10 分钟"]
    assert drawing.styles[0]["fillColor"] != drawing.styles[1]["fillColor"]
    huff = _two_points(most_likely_facility=["老城", "铁西"], max_probability=[0.9, 0.5])
    drawing = analysis_drawing(_source("huff", huff), "zh")
    first, second = drawing.styles
    assert first["fillColor"] != second["fillColor"] and first["radius"] > second["radius"]


def test_the_indicator_panel_shows_value_target_and_status_and_never_invents(
    store_and_catalog,
):
    from geoservice.maps.indicators import indicators_html
    from geoservice.maps.service import indicator_results

    store, catalog = store_and_catalog
    plans = indicator_results(catalog.area("dongsheng"), store, catalog, jobs=None)
    assert len(plans) == 2  # both indicator files, evaluated on the current layers
    rows = {r["id"]: r for plan in plans for r in plan.rows}
    assert rows["culture-tourism-clusters"]["value"] == 9
    assert rows["cultural-10min-circle"]["status"] == "not_evaluable"
    assert rows["cultural-10min-circle"]["value"] is None
    html = indicators_html(plans, "zh")
    assert "着力打造9大文旅产品集聚区" in html and "无法评估" in html and "&gt;= 9" in html


def test_titles_from_uploads_are_text_not_templates_or_html(store_and_catalog):
    from geoservice.maps import service
    from geoservice.maps.builder import build_map, render_page
    from geoservice.maps.sources import read_sources
    from geoservice.settings import MapSettings

    store, catalog = store_and_catalog
    layer = catalog.get("villages")
    evil = layer.model_copy(
        update={"title": layer.title.model_copy(update={"zh": "{{ 7*7 }}<script>x()</script>"})}
    )
    sources = read_sources(catalog.with_layer(evil), store, ["villages"], embed_limit=None)
    options = service.map_options(MapSettings(), lang="zh", service_url="http://h")

    html = render_page(build_map(sources, options, title=evil.title.zh), options).html("n")
    assert "<title>{{ 7*7 }}&lt;script&gt;x()&lt;/script&gt; · " in html  # not rendered as 49
    assert "<script>x()</script>" not in html
