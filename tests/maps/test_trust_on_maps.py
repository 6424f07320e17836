"""Maps say how much to trust a position: symbolic ones apart, results' data quality,
approximate areas, and the basis of every indicator."""

from __future__ import annotations

import json

import pytest

from geoservice.catalog.loader import load_catalog

SYMBOLIC_LOGISTICS = 8


@pytest.fixture
def store_and_catalog(maps_settings):
    from geoservice.storage import open_store

    store = open_store(maps_settings)
    yield store, load_catalog(maps_settings.layers_dir, maps_settings.styles_dir)
    store.close()


def logistics_map(store, catalog, lang: str = "zh") -> str:
    from geoservice.maps import service
    from geoservice.settings import MapSettings

    options = service.map_options(MapSettings(), lang=lang, service_url="http://h")
    return service.layer_map_html(catalog, store, "logistics", options)


def embedded_collections(html: str) -> list[dict]:
    """Return the GeoJSON FeatureCollections a page embeds (Folium's GeoJson data)."""
    found, decoder, at = [], json.JSONDecoder(), 0
    while (at := html.find("_add({", at)) >= 0:
        value, end = decoder.raw_decode(html, at + len("_add("))
        if value.get("type") == "FeatureCollection":
            found.append(value)
        at = end
    return found


def test_symbolic_positions_are_not_drawn_among_the_located_logistics_but_apart_and_listed(
    store_and_catalog, sample_frames
):
    store, catalog = store_and_catalog
    html = logistics_map(store, catalog)
    collections = embedded_collections(html)
    methods = [
        [f["properties"].get("geometry_quality") for f in fc["features"]] for fc in collections
    ]
    located = [m for m in methods if "symbolic" not in m]
    apart = [m for m in methods if "symbolic" in m]
    frame = sample_frames["logistics"]
    assert sum(map(len, located)) == len(frame) - SYMBOLIC_LOGISTICS
    assert apart == [["symbolic"] * SYMBOLIC_LOGISTICS]  # one layer of its own, only them
    assert json.dumps("物流设施（未定位，示意）")[1:-1] in html or "未定位" in html
    assert '"fillOpacity": 0.0' in html and '"dashArray": "3 3"' in html  # hollow, dashed
    symbolic_names = frame.loc[frame["placement_method"] == "rule:symbolic", "name_zh"]
    panel = html[html.index("gs-not-located") :]
    for name in symbolic_names:
        assert name in panel


def test_the_not_located_layer_and_list_follow_the_language(store_and_catalog):
    store, catalog = store_and_catalog
    html = logistics_map(store, catalog, lang="en")
    assert "Not located" in html and "(not located)" in html
    assert "These have no known position and are not drawn" in html


def test_a_result_map_shows_the_data_quality_of_its_inputs(tmp_path, store_and_catalog):
    from geoservice.maps.builder import MapOptions, build_map, render_page
    from geoservice.maps.sources import read_sources

    store, catalog = store_and_catalog
    layer = catalog.get("coverage_by_unit").model_copy(update={"data_quality": DATA_QUALITY})
    catalog = catalog.with_layer(layer)
    sources = read_sources(catalog, store, ["coverage_by_unit"], embed_limit=None)
    page = render_page(build_map(sources, MapOptions(lang="zh"), title="t"), MapOptions())
    html = page.html("n")
    assert "数据质量" in html and "示意位置 8" in html and "使用 5/13" in html
    assert "8 个示意位置（非实际位置）未计入距离分析" in html
    assert "15 个输入面为近似范围" in html
    english = build_map(sources, MapOptions(lang="en"), title="t")
    html = render_page(english, MapOptions(lang="en")).html("n")
    assert "8 symbolic" in html and "5 of 13 used" in html


DATA_QUALITY = {
    "inputs": {
        "facilities": {"collection": "logistics", "features": 13, "used": 5, "sourced": 0,
                       "proxy": 3, "rule_placed": 2, "symbolic": 8, "unknown": 0,
                       "excluded_symbolic": 8},
        "demand": {"collection": "villages", "features": 20, "used": 20, "sourced": 20,
                   "proxy": 0, "rule_placed": 0, "symbolic": 0, "unknown": 0,
                   "excluded_symbolic": 0},
    },
    "totals": {"excluded_symbolic": 8, "symbolic": 8, "approximate_outlines": 15},
    "include_symbolic": False,
    "note": "",
}  # fmt: skip


def test_popups_show_the_area_of_an_approximate_outline_as_approximate():
    from geoservice.maps.popups import popup_spec

    catalog = load_catalog(__import__("tests.conftest").conftest.ROOT / "layers",
                           __import__("tests.conftest").conftest.ROOT / "styles")  # fmt: skip
    layer = catalog.get("streets_towns")
    spec = popup_spec(layer, catalog.style_of(layer), "zh")
    assert "area_m2" in spec["areas"]
    assert spec["approx_area"] == "≈{v} km²（近似范围）"
    assert popup_spec(layer, catalog.style_of(layer), "en")["approx_area"] == (
        "≈{v} km² (approximate outline)"
    )


def test_each_indicator_row_shows_its_method_assumptions_data_quality_and_planned_counts(
    store_and_catalog,
):
    from geoservice.maps.indicators import indicators_html
    from geoservice.maps.service import indicator_results

    store, catalog = store_and_catalog
    plans = indicator_results(catalog.area("dongsheng"), store, catalog, jobs=None)
    rows = {r["id"]: r for plan in plans for r in plan.rows}
    parks = rows["large-logistics-parks"]
    assert parks["method"] == {
        "type": "count",
        "features": {"layer": "logistics", "where": {"category": "park"}},
    }
    assert parks["counted_items"] == "planned"
    counts = parks["data_quality"]["features"]
    assert counts["features"] == parks["value"]
    clusters = rows["culture-tourism-clusters"]
    assert clusters["counted_items"] == "planned"
    html = indicators_html(plans, "zh")
    assert "9 (规划项（非建成）)" in html
    # layers by their titles in the page's language, a where by attribute title and label
    assert "方法: 计数：东胜区物流基地、园区与枢纽 [类别=园区]" in html
    assert "计数：logistics" not in html and "category=park" not in html
    assert "数据质量" in html and "(计数要素): " in html and "假设:" in html
    english = indicators_html(plans, "en")
    assert "9 (planned, not built)" in english
    assert "count of Logistics base, parks and hubs of Dongsheng [Category=park]" in english
    assert "count of tourism_clusters" not in english
    # a layer the catalogue lacks (needed, not held) keeps its id
    assert "cultural_venues" in html


def test_planned_counts_are_marked_planned_on_every_row_that_counts_them(store_and_catalog):
    from geoservice.maps.indicators import indicators_html
    from geoservice.maps.service import indicator_results

    store, catalog = store_and_catalog
    plans = indicator_results(catalog.area("dongsheng"), store, catalog, jobs=None)
    html = str(indicators_html(plans, "zh"))
    rows = {r["id"]: r for plan in plans for r in plan.rows}
    planned = [r for r in rows.values() if r.get("counted_items") == "planned"]
    assert len(planned) >= 4
    for row in planned:
        title = next(p.titles_zh[row["id"]] for p in plans if row["id"] in p.titles_zh)
        cells = html.split(title, 1)[1].split("</tr>", 1)[0]
        value_cell = cells.split('class="gs-ind-value">', 1)[1].split("</td>", 1)[0]
        assert value_cell.endswith("(规划项（非建成）)"), (row["id"], value_cell)


def test_item_pages_show_the_area_of_an_approximate_outline_as_approximate(maps_settings):
    from fastapi.testclient import TestClient

    from geoservice.app import create_app

    with TestClient(create_app(maps_settings)) as client:
        listed = client.get("/collections/streets_towns/items", params={"f": "html"}).text
        first = client.get("/collections/streets_towns/items", params={"limit": 1}).json()
        fid = first["features"][0]["id"]
        one = client.get(f"/collections/streets_towns/items/{fid}", params={"f": "html"}).text
        english = client.get(
            "/collections/streets_towns/items", params={"f": "html", "lang": "en"}
        ).text

    assert "km²（近似范围）" in listed and "≈" in listed
    assert "km²（近似范围）" in one
    assert "(approximate outline)" in english


def test_item_pages_show_the_placement_note_in_the_page_language(maps_settings):
    from fastapi.testclient import TestClient

    from geoservice.app import create_app

    with TestClient(create_app(maps_settings)) as client:
        found = client.get("/collections/logistics/items", params={"code": "LG-01"}).json()
        url = f"/collections/logistics/items/{found['features'][0]['id']}"  # symbolic
        zh = client.get(url, params={"f": "html"}).text
        en = client.get(url, params={"f": "html", "lang": "en"}).text
        listed = client.get("/collections/logistics/items", params={"f": "html"}).text
        listed_en = client.get("/collections/logistics/items", params={"f": "html", "lang": "en"})

    assert "不是实际位置：未找到给出其位置的来源" in zh and "NOT A LOCATION" not in zh
    assert "定位说明" in zh and "定位说明（中文）" not in zh  # one row, in the page's language
    assert "NOT A LOCATION" in en and "不是实际位置" not in en
    assert "How it was placed (Chinese)" not in en
    assert "仅知方位：放在城区参考点" in listed and "Direction only" not in listed
    assert "Direction only: placed 5 km east" in listed_en.text


def test_a_street_page_shows_its_partition_and_seat_notes_in_the_page_language(
    maps_settings, sample_frames
):
    from fastapi.testclient import TestClient
    from markupsafe import escape

    from geoservice.app import create_app

    xingsheng = sample_frames["streets_towns"].set_index("code").loc["150602012000"]
    assert xingsheng["seat_method"] == "rule:largest_gap"
    with TestClient(create_app(maps_settings)) as client:
        found = client.get("/collections/streets_towns/items", params={"code": "150602012000"})
        url = f"/collections/streets_towns/items/{found.json()['features'][0]['id']}"
        zh = client.get(url, params={"f": "html"}).text
        en = client.get(url, params={"f": "html", "lang": "en"}).text
        listed = client.get(
            "/collections/streets_towns/items", params={"f": "html", "limit": 50}
        ).text

    for note in ("partition", "seat_source"):  # escaped as any stored text
        chinese, english = str(escape(xingsheng[f"{note}_zh"])), str(escape(xingsheng[note]))
        assert chinese in zh and english not in zh
        assert chinese in listed
        assert english in en and chinese not in en
    assert "划分方法" in zh and "划分方法（中文）" not in zh  # one row, in the page's language
    assert "驻地来源" in zh and "驻地来源（中文）" not in zh
    assert "Partition method (Chinese)" not in en and "Seat source (Chinese)" not in en


def test_a_chinese_partition_note_with_markup_is_shown_as_text(store_and_catalog, maps_settings):
    from fastapi.testclient import TestClient

    from geoservice.app import create_app

    store, catalog = store_and_catalog
    layer = catalog.get("streets_towns")
    edited = store.read_frame(layer).iloc[:1].copy()
    edited["partition_zh"] = '<img src=x onerror="alert(1)">近似'
    store.edit(layer, upserts=edited)
    with TestClient(create_app(maps_settings)) as client:
        page = client.get(
            f"/collections/streets_towns/items/{edited.index[0]}", params={"f": "html"}
        )

    assert "&lt;img src=x onerror=&#34;alert(1)&#34;&gt;近似" in page.text
    assert "<img src=x" not in page.text


def test_the_maplibre_preview_keeps_symbolic_positions_apart_hidden_and_lists_them(
    maps_settings,
):
    from fastapi.testclient import TestClient

    from geoservice.app import create_app
    from geoservice.styling import SYMBOLIC

    with TestClient(create_app(maps_settings)) as client:
        style = client.get("/style.json", params={"collections": "logistics,villages"}).json()
        page = client.get("/map", params={"collections": "logistics"}).text
        villages_page = client.get("/map", params={"collections": "villages"}).text

    layers = {layer["id"]: layer for layer in style["layers"]}
    assert layers["logistics-circle"]["filter"] == ["!", SYMBOLIC]  # not drawn as located
    apart = layers["logistics-not-located"]
    assert apart["filter"] == SYMBOLIC and apart["layout"]["visibility"] == "none"
    assert apart["paint"]["circle-opacity"] == 0.0  # a hollow ring when shown
    assert "villages-not-located" not in layers  # its tiles cannot tell a symbolic one
    assert "未定位要素 (8)" in page and "东胜综合物流基地（东胜区综合物流枢纽）" in page
    assert 'id="show-not-located"' in page
    assert 'id="not-located"' not in villages_page
