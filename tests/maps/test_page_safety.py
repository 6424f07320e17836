"""Map pages treat every stored string as data: never a template, never markup, never script."""

from __future__ import annotations

import re

import pytest

from geoservice.catalog.loader import load_catalog
from geoservice.errors import MapAssetsMissing
from geoservice.maps import service
from geoservice.maps.assets import Assets, csp_safe_measure, measure_script
from geoservice.settings import MapSettings
from geoservice.storage import open_store
from tests.maps import hostile


@pytest.fixture
def hostile_store(catalog_dirs, settings_for):
    settings = hostile.hostile_settings(catalog_dirs, settings_for)
    store = open_store(settings)
    yield store, load_catalog(settings.layers_dir, settings.styles_dir)
    store.close()


def test_template_syntax_in_a_feature_is_not_run_on_the_server(hostile_store, tmp_path):
    # branca renders what each element wrote as a Jinja template again: unsandboxed,
    # a feature name could run any Python in the service
    store, catalog = hostile_store
    made, stated = tmp_path / "made-by-expression", tmp_path / "made-by-statement"
    names = [
        f"{{{{ cycler.__init__.__globals__.os.mkdir({str(made)!r}) }}}}",
        f"{{% set _ = cycler.__init__.__globals__.os.mkdir({str(stated)!r}) %}}",
        "{{7*7}}",
    ]
    frame = hostile.frames()[hostile.POINTS].iloc[:3].copy()
    frame["name_zh"] = names
    store.write(catalog.get(hostile.POINTS), frame)
    options = service.map_options(MapSettings(), lang="zh", service_url="http://h")
    html = service.layer_map_html(catalog, store, hostile.POINTS, options)
    assert not made.exists() and not stated.exists()
    for name in names:  # shown as written (JSON-escaped in the script)
        assert name.replace("'", "\\u0027") in html or name in html
    assert '"49"' not in html


def test_clean_pages_are_what_folium_would_write(maps_settings):
    # the page is assembled without branca's second templating pass: on text that
    # holds no template syntax the two must agree
    from geoservice.maps.builder import build_map, written
    from geoservice.maps.sources import read_sources

    store = open_store(maps_settings)
    try:
        catalog = load_catalog(maps_settings.layers_dir, maps_settings.styles_dir)
        options = service.map_options(MapSettings(), lang="zh", service_url="http://h")
        sources = read_sources(catalog, store, ["villages", "district"], embed_limit=None)
        m = build_map(sources, options, title="x")
    finally:
        store.close()
    root = m.get_root()
    for child in root._children.values():
        child.render()
    for part in (root.header, root.html, root.script):
        assert re.sub(r"\s+", "", written(part)) == re.sub(r"\s+", "", part.render())


def test_an_export_states_its_policy_and_only_its_own_scripts_carry_the_nonce(hostile_store):
    store, catalog = hostile_store
    options = service.map_options(MapSettings(large_layer_features=5), lang="zh", service_url=None)
    html = service.one_map_html(catalog, store, options, area=catalog.area())
    (meta,) = re.findall(r'<meta http-equiv="Content-Security-Policy" content="([^"]+)">', html)
    (nonce,) = set(re.findall(r"&#39;nonce-([^&]+)&#39;", meta))
    assert "frame-ancestors" not in meta and "'self'" not in meta.replace("&#39;", "'")
    assert html.index("Content-Security-Policy") < html.index("<script")
    tags = re.findall(r"<script[^>]*>", html)
    assert len(tags) > 5 and set(tags) == {f'<script nonce="{nonce}">'}
    assert "unsafe-eval" not in meta and "gsvendor:" not in html


def test_a_placeholder_in_the_data_does_not_break_an_export(hostile_store):
    # assets are inlined in the page head only: data may contain anything
    store, catalog = hostile_store
    frame = hostile.frames()[hostile.POINTS].iloc[:2].copy()
    frame["name_zh"] = ['<script src="gsvendor:leaflet/dist/leaflet.js"></script>', "gsvendor:x"]
    store.write(catalog.get(hostile.POINTS), frame)
    options = service.map_options(MapSettings(), lang="zh", service_url=None)
    html = service.layer_map_html(catalog, store, hostile.POINTS, options)
    assert "gsvendor:x" in html


def test_a_tiled_layers_credit_reaches_leaflet_and_tilejson_as_text(hostile_store):
    from geoservice.tiles.documents import tilejson

    store, catalog = hostile_store
    options = service.map_options(
        MapSettings(large_layer_features=hostile.LARGE_LAYER_FEATURES), lang="zh",
        service_url="http://h",
    )  # fmt: skip
    html = service.layer_map_html(catalog, store, hostile.ZONES, options)
    assert "gsmaps.vectorTiles(" in html and "<img" not in html
    assert '"attribution":"署名\\u0026lt;img src=x onerror=\\u0026#34;' in html
    doc = tilejson(name="t", tiles_url="u", layers=[catalog.get(hostile.ZONES)], bbox=(0, 0, 1, 1))
    assert doc["attribution"].startswith("署名&lt;img src=x onerror=&#34;")


def test_the_measure_control_is_served_without_function_templates(client):
    r = client.get("/maps/assets/leaflet-measure.en.js")
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/javascript")
    assert r.text.count("gsmapsMeasureTemplate(") == 5  # the five template calls
    assert client.get("/maps/assets/leaflet.js").status_code == 404
    assert "/maps/assets/leaflet-measure.cn.js" in client.get("/maps/one-map").text


def test_a_measure_bundle_of_another_shape_is_refused_not_served_half_safe():
    with pytest.raises(MapAssetsMissing, match="expected 5 lodash template calls, found 1"):
        csp_safe_measure("x=(0,i.default)(m.controlTemplate,y);")
    assert "gsmapsMeasureTemplate" in measure_script("zh", Assets().vendor_dir)


@pytest.fixture
def client(maps_settings):
    from fastapi.testclient import TestClient

    from geoservice.app import create_app

    with TestClient(create_app(maps_settings)) as client:
        yield client
