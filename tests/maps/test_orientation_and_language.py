"""Planners orient by a base map and read the interface in Chinese: in headless Chromium.

Requests leaving the machine are aborted, so the base map these tests see is the
offline one the service builds from its own layers. Screenshots go to
``tests/artifacts/``; with ``GEOSERVICE_README_SCREENSHOT=1`` also to
``docs/screenshots/`` (shown in the README).
"""

from __future__ import annotations

import math
import os
import re
from contextlib import contextmanager

import pytest

from geoservice.catalog.vocabulary import VALUES
from tests.conftest import ROOT, LiveServer
from tests.maps.browser import chromium_page, drawn_share
from tests.maps.conftest import ARTIFACTS
from tests.maps.test_browser_maps import wait_ready

pytestmark = pytest.mark.browser

SCREENSHOTS = ROOT / "docs" / "screenshots"
HANGKONG = "150602001003"  # 航空社区: an AMap point, GCJ-02 in the source
HANGKONG_GCJ02 = (109.981849, 39.832302)  # gazetteer CM-001003 source_lon/source_lat
ENGLISH_CODES = {code.split("=")[-1] for code, (zh, _en) in VALUES.items() if zh != code}
"""Stored codes (``town``, ``sourced``, ``rule:symbolic`` ...) a Chinese page must not show."""

CONTEXT = """() => ({
  paths: document.querySelectorAll('.leaflet-gsContext-pane path').length,
  labels: Array.from(document.querySelectorAll('.leaflet-gsContextLabels-pane .gs-label'))
    .map(l => l.textContent)
})"""
OPEN_EVERY_POPUP = """() => {
  const cells = [], seen = new Set();
  function visit(layer) {
    if (seen.has(layer)) return;
    seen.add(layer);
    if (layer.feature && layer.getPopup && layer.getPopup()) {
      const content = layer.getPopup()._content;
      const node = typeof content === 'function' ? content(layer) : content;
      node.querySelectorAll('td, .gs-approx, .gs-method-note').forEach(
        c => cells.push(c.textContent.trim()));
    }
    if (layer.eachLayer) layer.eachLayer(visit);
  }
  gsmap.eachLayer(visit);
  return cells;
}"""
"""The text of every embedded feature's popup (clustered ones too)."""
TABLE_CELLS = """() => Array.from(document.querySelectorAll('td:not(.id)'))
  .map(c => c.textContent.trim())"""
"""Every table cell but identifiers (a collection id ``logistics`` is a name, not a code)."""


def save(page, name: str, selector: str = ".folium-map") -> bytes:
    """Save a screenshot as a test artifact, and for the README when asked to."""
    png = page.locator(selector).screenshot()
    folders = [ARTIFACTS]
    if os.environ.get("GEOSERVICE_README_SCREENSHOT") == "1":
        folders.append(SCREENSHOTS)
    for folder in folders:
        folder.mkdir(parents=True, exist_ok=True)
        (folder / name).write_bytes(png)
    return png


def metres(a: tuple[float, float], b: tuple[float, float]) -> float:
    lat = math.radians((a[1] + b[1]) / 2)
    dx = (a[0] - b[0]) * 111_320 * math.cos(lat)
    dy = (a[1] - b[1]) * 110_540
    return math.hypot(dx, dy)


PLACEMENT_ENGLISH = re.compile(
    r"NOT A LOCATION|Direction only|Placed at|Proxy|Point from|Schematic"
)
"""The English placement-note templates, which a Chinese page must not show."""


def untranslated(cells: list[str]) -> list[str]:
    return sorted({c for c in cells if c in ENGLISH_CODES})


def english_notes(cells: list[str]) -> list[str]:
    return sorted({c for c in cells if PLACEMENT_ENGLISH.search(c)})


def test_base_map_is_drawn_offline_with_place_labels(maps_settings):
    from geoservice.app import create_app

    with LiveServer(create_app(maps_settings)) as server, chromium_page() as page:
        wait_ready(page, f"{server.url}/maps/villages")
        shown = page.evaluate(CONTEXT)
        assert shown["paths"] >= 9  # the district, its 8 neighbours, units, roads
        assert {"东胜区", "达拉特旗", "伊金霍洛旗"} <= set(shown["labels"])
        page.evaluate("() => gsmap.setView([39.82, 109.98], 12, {animate: false})")
        page.wait_for_timeout(300)
        labels = set(page.evaluate(CONTEXT)["labels"])
        assert {"交通街道", "罕台镇"} <= labels  # unit seats named from zoom 11
        assert "G109" in labels
        png = save(page, "offline-base-map.png")
        assert drawn_share(png) > 0.15  # outlines and fills, not a grey void
        assert not page.watch.problems(), page.watch.problems()


def test_gcj02_base_map_draws_a_known_point_on_its_base_map_position(maps_settings, sample_frames):
    """航空社区's WGS84 point, drawn over a GCJ-02 base map, lands on its AMap position."""
    from geoservice.app import create_app

    # The service's own PNG tiles stand in for an online GCJ-02 base map (offline test).
    settings = maps_settings.model_copy(
        update={"maps": maps_settings.maps.model_copy(
            update={"basemap": "tiles:district", "basemap_datum": "gcj02"})}
    )  # fmt: skip
    row = sample_frames["villages"].set_index("code").loc[HANGKONG]
    wgs84 = (row.geometry.x, row.geometry.y)
    assert metres(wgs84, HANGKONG_GCJ02) > 300  # the offset the shift must undo
    with LiveServer(create_app(settings)) as server, chromium_page() as page:
        wait_ready(page, f"{server.url}/maps/villages")
        drawn = page.evaluate(
            """(code) => {
              let at = null;
              gsmap.eachLayer(l => {
                if (l.feature && l.feature.properties.code === code && l.getLatLng) {
                  at = l.getLatLng();
                }
              });
              return at && [at.lng, at.lat];
            }""",
            HANGKONG,
        )
        assert drawn is not None
        assert metres(tuple(drawn), HANGKONG_GCJ02) < 10
        context = page.evaluate(CONTEXT)
        assert context["paths"] > 0  # the offline base map is shifted with the data
        assert "GCJ-02" in page.locator(".gs-datum").inner_text()
        # For the screenshot: AMap's own (GCJ-02) position as a red ring, the unshifted
        # WGS84 position as a grey one; the village is drawn inside the red ring.
        page.evaluate(
            """([gcj, wgs]) => {
              const tip = {permanent: true, direction: 'right', offset: [14, 0]};
              L.circleMarker([gcj[1], gcj[0]], {radius: 14, color: '#d7191c', weight: 3,
                fill: false}).bindTooltip('AMap GCJ-02', tip).addTo(gsmap);
              L.circleMarker([wgs[1], wgs[0]], {radius: 14, color: '#666', weight: 2,
                dashArray: '4 3', fill: false}).bindTooltip('WGS84', tip)
                .addTo(gsmap);
              gsmap.fitBounds([[gcj[1], gcj[0]], [wgs[1], wgs[0]]], {padding: [160, 160],
                animate: false});
            }""",
            [HANGKONG_GCJ02, wgs84],
        )
        page.wait_for_timeout(500)
        save(page, "gcj02-alignment.png")
        # tiles of the stand-in base map cancelled by the view change are not problems
        assert not page.watch.errors and not page.watch.blocked, page.watch.problems()


def test_chinese_pages_show_no_untranslated_enum_value_for_an_english_browser(maps_settings):
    """An en-US browser still gets Chinese; no stored code shows where a person reads."""
    from geoservice.app import create_app

    pages = [
        "/collections/streets_towns/items?f=html&limit=20",
        "/collections/villages/items?f=html&limit=20",
        "/collections/logistics/items?f=html&limit=20",
        "/collections/roads/items?f=html",
        "/collections/streets_towns?f=html",
        "/collections?f=html",
    ]
    with LiveServer(create_app(maps_settings)) as server, chromium_page(locale="en-US") as page:
        for path in pages:
            page.goto(server.url + path)
            assert page.locator("html").get_attribute("lang") == "zh-CN", path
            assert page.locator("a.lang-switch").inner_text() == "English", path
            cells = page.evaluate(TABLE_CELLS)
            assert cells, path
            assert not untranslated(cells), (path, untranslated(cells))
            assert not english_notes(cells), (path, english_notes(cells))
        page.goto(server.url + "/collections/logistics/items?f=html")
        page.locator("td a").first.click()  # one feature's page
        page.wait_for_load_state()
        assert page.locator("a.lang-switch").inner_text() == "English"
        assert not untranslated(page.evaluate(TABLE_CELLS))
        page.goto(server.url + "/collections/logistics/items?f=html&limit=20")
        save(page, "items-zh.png", "main")
        wait_ready(page, f"{server.url}/maps/one-map")
        cells = page.evaluate(OPEN_EVERY_POPUP)
        assert len(cells) > 100
        assert not untranslated(cells), untranslated(cells)
        assert any("仅知方位" in c for c in cells)  # rule:sector explained in Chinese
        # the feature's own placement note (not only its method's), in Chinese
        assert any(c.startswith("东胜东站确实存在") and "向东5公里处" in c for c in cells)
        assert not english_notes(cells), english_notes(cells)
        assert page.locator(".gs-lang a").inner_text() == "English"
        assert not page.watch.problems(), page.watch.problems()


def test_a_popup_shows_the_feature_source_and_its_citation(maps_settings, sample_frames):
    from geoservice.app import create_app

    row = sample_frames["villages"].set_index("code").loc[HANGKONG]
    with LiveServer(create_app(maps_settings)) as server, chromium_page() as page:
        wait_ready(page, f"{server.url}/maps/villages")
        page.evaluate(f"() => gsmap.setView([{row.geometry.y}, {row.geometry.x}], 15, "
                      "{animate: false})")  # fmt: skip
        page.evaluate(
            """(code) => gsmap.eachLayer(l => {
                 if (l.feature && l.feature.properties.code === code) l.openPopup();
               })""",
            HANGKONG,
        )
        popup = page.locator(".leaflet-popup-content")
        popup.wait_for()
        assert "数据来源" in popup.inner_text()
        assert "gazetteer CM-001003" in page.locator(".gs-source").inner_text()
        citation = page.locator(".gs-citation")
        assert "引用" in citation.inner_text() and "Vonng/adcode" in citation.inner_text()
        assert citation.locator("a").get_attribute("href") == "https://github.com/Vonng/adcode"
        save(page, "popup-source.png")


def test_lang_en_switches_every_page_and_map(maps_settings):
    from geoservice.app import create_app

    with LiveServer(create_app(maps_settings)) as server, chromium_page() as page:
        page.goto(server.url + "/collections?f=html")
        assert page.locator("h1").inner_text() == "图层"
        page.locator("a.lang-switch").click()
        page.wait_for_load_state()
        assert "lang=en" in page.url
        assert page.locator("h1").inner_text() == "Collections"
        assert "town" not in untranslated(page.evaluate(TABLE_CELLS))
        page.goto(server.url + "/collections/streets_towns/items?f=html&lang=en&limit=20")
        cells = page.evaluate(TABLE_CELLS)
        assert "town" in cells and "镇" not in cells  # English labels for the codes
        page.goto(server.url + "/maps")
        page.locator("a.lang-switch").click()
        page.wait_for_load_state()
        assert "Planning maps" in page.locator("h1").inner_text()

        wait_ready(page, f"{server.url}/maps/one-map")
        page.locator(".gs-lang a").click()
        page.wait_for_function(
            "() => window.gsmapsReady === true && location.search.includes('lang=en')"
        )
        assert page.get_by_text("Legend", exact=True).is_visible()
        cells = page.evaluate(OPEN_EVERY_POPUP)
        assert any("Direction only" in c for c in cells)  # rule:sector, in English
        assert any(c.startswith("东胜东站 exists") and "5 km east" in c for c in cells)
        assert page.locator(".gs-lang a").inner_text() == "中文"
        save(page, "one-map-en.png")
        assert not page.watch.problems(), page.watch.problems()


RESULT_RUNS = {
    "huff": {
        "demand": {"collection": "villages"},
        "facilities": {
            "collection": "commercial_districts",
            "filter": "category = 'business_circle'",
        },
        "attractiveness_value": 1.0,
    },
    "accessibility-2sfca": {
        "demand": {"collection": "streets_towns"},
        "supply": {"collection": "logistics", "filter": "placement_method <> 'rule:symbolic'"},
        "population_column": "n_points",
        "distance_m": 8000,
    },
    "siting-mclp": {
        "demand": {"collection": "villages"},
        "candidates": {"collection": "logistics", "filter": "placement_method <> 'rule:symbolic'"},
        "n_new": 2,
        "distance_m": 3000,
    },
}
LEGEND = "() => document.querySelector('.leaflet-bottom.leaflet-left .gs-box').innerText"
FILLS = """() => Array.from(new Set(Array.from(
  document.querySelectorAll('.leaflet-overlay-pane path')).map(p => p.getAttribute('fill'))))"""
TICKS_APART = """() => Array.from(document.querySelectorAll('.gs-colorbar svg')).every(svg => {
  const boxes = Array.from(svg.querySelectorAll('text')).slice(1)
    .map(t => t.getBoundingClientRect()).sort((a, b) => a.left - b.left);
  return boxes.length > 1 && boxes.every((b, i) => i === 0 || boxes[i - 1].right <= b.left);
})"""


@pytest.fixture
def results(maps_settings) -> dict[str, dict]:
    """Run Huff, 2SFCA and MCLP over the sample layers; return each result's outputs."""
    from fastapi.testclient import TestClient

    from geoservice.app import create_app
    from tests.conftest import create_key

    editor = {"Authorization": f"Bearer {create_key(maps_settings, 'editor', 'e')}"}
    out = {}
    with TestClient(create_app(maps_settings)) as client:
        for process, inputs in RESULT_RUNS.items():
            r = client.post(
                f"/processes/{process}/execution", json={"inputs": inputs}, headers=editor
            )
            assert r.status_code == 200, (process, r.text)
            out[process] = r.json()
    return out


def test_result_maps_name_facilities_and_class_values_with_readable_ticks(maps_settings, results):
    from geoservice.app import create_app

    huff = results["huff"]["demand"]["collection"]
    access = results["accessibility-2sfca"]["demand"]["collection"]
    mclp = results["siting-mclp"]["demand"]["collection"]
    sites = results["siting-mclp"]["sites"]["collection"]
    with LiveServer(create_app(maps_settings)) as server, chromium_page() as page:
        wait_ready(page, f"{server.url}/maps/{huff}")
        legend = page.evaluate(LEGEND)
        assert "最可能前往: 老城综合百货购物商圈" in legend, legend
        assert "铁西" in legend
        assert len(page.evaluate(FILLS)) >= 2
        save(page, "huff-legend.png")

        wait_ready(page, f"{server.url}/maps/{access}")
        assert len(page.evaluate(FILLS)) >= 3  # classed, not one flat colour
        assert "可达性（2SFCA）" in page.evaluate(LEGEND)
        assert page.evaluate(TICKS_APART), "colour-bar labels overlap"
        save(page, "2sfca-classes.png")

        wait_ready(page, f"{server.url}/maps/{mclp}")
        legend = page.evaluate(LEGEND)
        assert "服务设施: " in legend and "未覆盖（服务范围外）" in legend, legend
        assert len(page.evaluate(FILLS)) >= 2
        save(page, "mclp-served.png")

        wait_ready(page, f"{server.url}/maps/{sites}")
        assert "新选址 (2)" in page.evaluate(LEGEND)
        assert not page.watch.problems(), page.watch.problems()


@contextmanager
def maplibre_preview(maps_settings, query: str):
    """Serve the app and open ``/map?<query>`` in Chromium with WebGL, drawn and idle."""
    from geoservice.app import create_app

    with (
        LiveServer(create_app(maps_settings)) as server,
        chromium_page(webgl=True, viewport=(1024, 700)) as page,
    ):
        page.goto(f"{server.url}/map?{query}", wait_until="load")
        page.wait_for_function("() => window.__idle === true", timeout=60_000)
        yield page


def click_preview(page, lon: float, lat: float, zoom: int = 13):
    """Centre the preview on (lon, lat) at ``zoom``, click there; return the open popup."""
    page.evaluate("([lon, lat, zoom]) => window.__map.jumpTo({center: [lon, lat], zoom})",
                  [lon, lat, zoom])  # fmt: skip
    page.wait_for_function("() => window.__map.loaded() && window.__map.areTilesLoaded()")
    point = page.evaluate(
        "([lon, lat]) => { const p = window.__map.project([lon, lat]); return [p.x, p.y]; }",
        [lon, lat],
    )
    box = page.locator("#map").bounding_box()
    page.mouse.click(box["x"] + point[0], box["y"] + point[1])
    popup = page.locator(".maplibregl-popup-content")
    popup.wait_for(timeout=10_000)
    return popup


def test_the_maplibre_preview_has_the_base_map_labels_a_popup_and_links_the_planner_map(
    maps_settings,
):
    with maplibre_preview(maps_settings, "collections=villages&lang=en") as page:
        assert page.locator("#planner-map").get_attribute("href").endswith("/maps/villages?lang=en")
        assert page.locator("#preview").inner_text() == "Tile preview"
        assert page.locator("#planner-map").is_visible()
        assert page.locator("a.lang-switch").inner_text() == "中文"
        layers = page.evaluate("() => window.__map.getStyle().layers.map(l => l.id)")
        assert {"context-areas", "context-boundaries", "context-area-names"} <= set(layers)
        names = page.evaluate(
            """() => window.__map.queryRenderedFeatures({layers: ['context-area-names']})
                 .map(f => f.properties.name_en)"""
        )
        assert "Dongsheng District" in names  # labels in the chosen language
        glyphs = page.evaluate(
            """async () => (await fetch('/fonts/Noto%20Sans%20Regular/0-255.pbf'))
                 .arrayBuffer().then(b => b.byteLength)"""
        )
        assert glyphs > 10_000  # Latin glyphs served from a local font, not a CDN
        popup = click_preview(page, 109.976177, 39.831303)
        assert "Hangkong Community" in popup.inner_text()
        assert "community" in popup.inner_text()
        save(page, "maplibre-preview.png", "body")
        errors = page.evaluate("window.__errors")
        assert not page.watch.problems() and not errors, (page.watch.problems(), errors)


RENDERED_METHODS = """(id) => window.__map.queryRenderedFeatures({layers: [id]})
  .map(f => f.properties.placement_method)"""


def test_the_maplibre_preview_draws_symbolic_positions_only_when_asked_and_hollow(
    maps_settings,
):
    with maplibre_preview(maps_settings, "collections=logistics") as page:
        located = page.evaluate(RENDERED_METHODS, "logistics-circle")
        assert located and "rule:symbolic" not in located  # none drawn as a located point
        assert page.evaluate(RENDERED_METHODS, "logistics-not-located") == []
        assert page.locator("#not-located li").count() == 8  # listed beside the map
        assert "未定位要素" in page.locator("#not-located summary").inner_text()
        page.locator("#show-not-located").check()
        page.wait_for_function(
            "() => window.__map.queryRenderedFeatures({layers: ['logistics-not-located']})"
            ".length > 0"
        )
        assert set(page.evaluate(RENDERED_METHODS, "logistics-not-located")) == {"rule:symbolic"}
        save(page, "maplibre-not-located.png", "body")
        errors = page.evaluate("window.__errors")
        assert not page.watch.problems() and not errors, (page.watch.problems(), errors)


PLACEMENT_DONE = "() => document.querySelector('.gs-popup').dataset.placement === 'done'"


def test_the_maplibre_preview_popup_shows_the_placement_note_in_the_page_language(
    maps_settings, sample_frames
):
    logistics = sample_frames["logistics"].set_index("code")
    lg02 = logistics.loc["LG-02"]  # placed by direction only (rule:sector), east of the core
    assert lg02["placement_method"] == "rule:sector"
    with maplibre_preview(maps_settings, "collections=logistics") as page:  # Chinese by default
        popup = click_preview(page, lg02.geometry.x, lg02.geometry.y)
        page.wait_for_function(PLACEMENT_DONE)
        zh = popup.inner_text()
        cells = page.evaluate(  # every value is text: no element in any cell
            "() => Array.from(document.querySelectorAll('.gs-popup td'), td => td.children.length)"
        )
        in_tiles = page.evaluate(  # the tiles leave the note out: it was asked of the items API
            "() => window.__map.queryRenderedFeatures().some(f => 'placement' in f.properties)"
        )
        page.goto(page.url + "&lang=en", wait_until="load")
        page.wait_for_function("() => window.__idle === true", timeout=60_000)
        popup = click_preview(page, lg02.geometry.x, lg02.geometry.y)
        page.wait_for_function(PLACEMENT_DONE)
        en = popup.inner_text()
        errors = page.evaluate("window.__errors")
        assert not page.watch.problems() and not errors, (page.watch.problems(), errors)
    assert "定位说明" in zh and lg02["placement_zh"] in zh
    assert lg02["placement"] not in zh and "placement_zh" not in zh
    assert set(cells) == {0} and not in_tiles
    assert "How it was placed" in en and lg02["placement"] in en and lg02["placement_zh"] not in en
