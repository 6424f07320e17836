"""A study area declared purely as files: no Python, and everything works for it.

A synthetic third area, "testland" (around 100.3°E, 25.6°N, so in the CGCS2000
Gauss-Krüger zone CM 99E, EPSG:4542, not Dongsheng's CM 111E), is declared in a
temporary copy of the layers folder: its area.yaml (a boundary, no CRS given),
two layers and one indicator file. The service then lists it, runs a process in
its own metric CRS, evaluates its indicator, serves its tiles and draws its
one-map in Chromium.
"""

from __future__ import annotations

import textwrap

import geopandas as gpd
import mapbox_vector_tile
import morecantile
import pytest
from fastapi.testclient import TestClient
from shapely.geometry import Point, box

from geoservice.app import create_app
from tests.conftest import LiveServer, create_key, fill_store

AREA = "testland"
TESTLAND_CRS = "EPSG:4542"  # CGCS2000 / 3-degree Gauss-Kruger CM 99E
STANDARD = """\
  - {name: name_zh, type: string, required: true}
  - {name: name_en, type: string}
  - {name: source, type: string, required: true}
  - {name: geometry_quality, type: string, required: true}
"""
FILES = {
    "area.yaml": """\
        title: {zh: 测试区, en: Testland}
        description: {zh: 只由文件声明的合成研究区, en: A synthetic area declared only as files}
        boundary: {layer: testland_boundary, filter: "kind = 'area'"}
        one_map:
          title: {zh: 测试区一张图, en: "Testland: one map"}
        """,
    "testland_boundary.yaml": """\
        title: {zh: 测试区边界, en: Testland boundary}
        kind: admin_units
        geometry_type: Polygon
        key: code
        attributes:
          - {name: code, type: string, required: true}
          - {name: kind, type: string}
        %s
        source: {description: synthetic test data}
        style: admin_boundary
        """,
    "testland_sites.yaml": """\
        title: {zh: 服务站点, en: Service sites}
        kind: logistics
        geometry_type: Point
        attributes:
          - {name: code, type: string}
        %s
        source: {description: synthetic test data}
        style: analysis_points
        """,
    "testland_homes.yaml": """\
        title: {zh: 居民点, en: Homes}
        kind: admin_units
        geometry_type: Point
        attributes:
          - {name: code, type: string}
        %s
        source: {description: synthetic test data}
        style: analysis_points
        """,
    "indicators/targets.yaml": """\
        plan: Testland service plan
        plan_zh: 测试区服务规划
        indicators:
          - id: sites
            title: Service sites
            title_zh: 服务站点数
            type: count
            features: {layer: testland_sites}
            target: {op: ">=", value: 3}
            source: {doc: "test", line: 1, quote: "建设3个服务站点"}
        """,
}


@pytest.fixture
def testland_settings(catalog_dirs, settings_for, store_kind):
    layers, styles = catalog_dirs
    folder = layers / AREA
    for name, text in FILES.items():
        path = folder / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(text).replace("%s\n", STANDARD), encoding="utf-8")
    settings = settings_for(store_kind, layers_dir=layers, styles_dir=styles)
    fill_store(settings, testland_frames())
    return settings


def _meta(n: int, **extra) -> dict:
    return {
        "name_zh": [f"点{i}" for i in range(n)],
        "source": ["synthetic"] * n,
        "geometry_quality": ["approximate"] * n,
        **extra,
    }


def testland_frames() -> dict[str, gpd.GeoDataFrame]:
    """The area's boundary, 3 sites and 5 homes (2 of them farther than 1 km from any site)."""
    area = box(100.2, 25.5, 100.4, 25.7)
    sites = [Point(100.25, 25.55), Point(100.3, 25.6), Point(100.35, 25.65)]
    homes = [Point(100.251, 25.551), Point(100.301, 25.6), Point(100.35, 25.652),
             Point(100.39, 25.51), Point(100.21, 25.69)]  # fmt: skip
    return {
        "testland_boundary": gpd.GeoDataFrame(
            _meta(1, code=["T1"], kind=["area"]), geometry=[area], crs=4326
        ),
        "testland_sites": gpd.GeoDataFrame(
            _meta(3, code=[f"S{i}" for i in range(3)]), geometry=sites, crs=4326
        ),
        "testland_homes": gpd.GeoDataFrame(
            _meta(5, code=[f"H{i}" for i in range(5)]), geometry=homes, crs=4326
        ),
    }


@pytest.fixture
def testland(testland_settings):
    with TestClient(create_app(testland_settings)) as client:
        yield client


def test_a_file_declared_area_is_listed_with_its_own_metric_crs(testland):
    areas = {a["id"]: a for a in testland.get("/areas").json()["areas"]}
    assert {"dongsheng", AREA} <= set(areas)  # with the project's other areas
    assert areas["dongsheng"]["default"] and not areas[AREA]["default"]
    doc = testland.get(f"/areas/{AREA}").json()
    assert doc["metricCrs"] == TESTLAND_CRS  # derived from its boundary's longitude
    assert doc["title"] == "测试区"
    assert set(doc["collections"]) == {"testland_boundary", "testland_sites", "testland_homes"}
    assert testland.get(f"/areas/{AREA}", params={"f": "html"}).status_code == 200
    assert testland.get("/areas/nowhere").status_code == 404


def test_its_collections_are_listed_by_area_and_old_urls_keep_working(testland):
    ids = {
        c["id"] for c in testland.get("/collections", params={"area": AREA}).json()["collections"]
    }
    assert ids == {"testland_boundary", "testland_sites", "testland_homes"}
    everything = testland.get("/collections").json()["collections"]
    assert {c["id"] for c in everything} == ids  # Dongsheng's layers hold no data here
    assert testland.get("/collections/testland_sites").json()["geoservice:area"] == AREA
    assert testland.get("/collections", params={"area": "nowhere"}).status_code == 404


def test_a_process_runs_in_the_areas_metric_crs_and_its_result_joins_the_area(
    testland, testland_settings
):
    editor = {"Authorization": f"Bearer {create_key(testland_settings, 'editor', 'ed')}"}
    inputs = {
        "facilities": {"collection": "testland_sites"},
        "demand": {"collection": "testland_homes"},
        "distance_m": 1000,
        "out_layer": "testland_cover",
    }
    r = testland.post("/processes/coverage/execution", json={"inputs": inputs}, headers=editor)
    assert r.status_code == 200, r.text
    summary = r.json()["summary"]
    assert summary["crs"] == TESTLAND_CRS
    assert (summary["covered_features"], summary["features"]) == (3, 5)
    assert testland.get("/collections/testland_cover").json()["geoservice:area"] == AREA
    declared = testland_settings.runtime_layers_dir / AREA / "testland_cover.yaml"
    assert declared.is_file()


def test_its_indicator_file_is_evaluated_in_the_area(testland, testland_settings):
    editor = {"Authorization": f"Bearer {create_key(testland_settings, 'editor', 'ed')}"}
    body = {"inputs": {"file": "targets", "area": AREA}}
    r = testland.post("/processes/indicators/execution", json=body, headers=editor)
    assert r.status_code == 200, r.text
    (row,) = r.json()["indicators"]
    assert (row["id"], row["value"], row["status"]) == ("sites", 3, "met")
    other = testland.post(
        "/processes/indicators/execution", json={"inputs": {"file": "targets"}}, headers=editor
    )
    assert other.status_code == 400 and "dongsheng" in other.json()["description"]


def test_its_layers_are_served_as_vector_tiles(testland):
    tile = morecantile.tms.get("WebMercatorQuad").tile(100.3, 25.6, 10)
    r = testland.get(f"/collections/testland_sites/tiles/WebMercatorQuad/10/{tile.y}/{tile.x}")
    assert r.status_code == 200
    tile = mapbox_vector_tile.decode(r.content)
    assert len(tile["testland_sites"]["features"]) == 3


@pytest.mark.browser
@pytest.mark.parametrize("store_kind", ["geopackage"], indirect=True)
def test_its_one_map_draws_its_layers_in_chromium(testland_settings):
    from tests.maps.browser import chromium_page

    app = create_app(testland_settings)
    with LiveServer(app) as server, chromium_page() as page:
        page.goto(f"{server.url}/maps/{AREA}/one-map", wait_until="load")
        page.wait_for_function("() => window.gsmapsReady === true", timeout=60_000)
        assert page.title().startswith("测试区一张图")
        labels = page.eval_on_selector_all(
            ".leaflet-control-layers-overlays label", "ls => ls.map(l => l.textContent.trim())"
        )
        assert {"服务站点", "居民点", "测试区边界"} <= set(labels)
        drawn = page.evaluate(
            "() => document.querySelectorAll('.leaflet-overlay-pane path,"
            " .leaflet-marker-pane .leaflet-marker-icon').length"
        )
        assert drawn >= 1 + 3 + 5
        centre = page.evaluate("() => [gsmap.getCenter().lng, gsmap.getCenter().lat]")
        assert 100.2 < centre[0] < 100.4 and 25.5 < centre[1] < 25.7
        assert page.watch.problems() == []
