"""No page runs script planted in a layer, its style, its features or a process result.

A GIS upload can carry any text: layer titles, descriptions, keywords,
attribution, licence and source URL, attribute titles, class labels, every
attribute value; a process copies names into its results. Every HTML page is
opened in Chromium (through a live server, and an export from disk) while
listening for dialogs, page errors, console errors and Content-Security-Policy
violations; the map's layer menu, search tips, popups (embedded and asked of
the items API), legends, attribution and indicator panel are opened. Each
payload would set ``window.__xss`` and open a dialog if it ran; the planted
text must still be shown, as text.
"""

from __future__ import annotations

from urllib.parse import quote

import pytest
from fastapi.testclient import TestClient

from geoservice.app import create_app
from tests.conftest import LiveServer, create_key
from tests.maps import hostile
from tests.maps.browser import chromium_page
from tests.maps.test_orientation_and_language import PLACEMENT_DONE, click_preview

pytestmark = pytest.mark.browser

WATCH_CSP = """
window.__csp = [];
document.addEventListener('securitypolicyviolation',
  (e) => window.__csp.push(e.violatedDirective + ' ' + e.blockedURI + ' ' + e.sample));
"""
PLAIN_PAGES = [
    "/?f=html",
    "/conformance?f=html",
    "/areas?f=html",
    "/areas/dongsheng?f=html",
    "/collections?f=html",
    "/collections?area=dongsheng&f=html",
    *(
        path
        for layer in hostile.LAYERS
        for path in (
            f"/collections/{layer}?f=html",
            f"/collections/{layer}/items?f=html",
            f"/collections/{layer}/items/1?f=html",
        )
    ),
    "/maps",
    "/maps?lang=en",
]
ERROR_PAGES = [
    *(f"/collections/{quote(p)}?f=html" for p in hostile.PAYLOADS),
    *(f"/maps/{quote(p)}" for p in hostile.PAYLOADS[:3]),
    f"/collections/{hostile.POINTS}/items/{quote(hostile.PAYLOADS[1])}?f=html",
    f"/areas/{quote(hostile.PAYLOADS[0])}?f=html",
    f"/{quote(hostile.PAYLOADS[2])}",
    f"/collections?f={quote(hostile.PAYLOADS[0])}",
    f"/maps/one-map?lang={quote(hostile.PAYLOADS[1])}",
]
MAP_PAGES = [
    "/maps/one-map",
    "/maps/one-map?lang=en",
    "/maps/dongsheng/one-map",
    "/maps/industry",
    "/maps/tourism",
    *(f"/maps/{layer}" for layer in hostile.LAYERS),
]


@pytest.fixture
def hostile_settings(catalog_dirs, settings_for):
    return hostile.hostile_settings(catalog_dirs, settings_for)


@pytest.fixture
def huff_result(hostile_settings) -> str:
    """Run the Huff process: demand names and facility ids (planted) reach its result."""
    editor = {"Authorization": f"Bearer {create_key(hostile_settings, 'editor', 'e')}"}
    facilities = [
        {"type": "Feature", "id": payload, "properties": {"name_zh": payload},
         "geometry": {"type": "Point", "coordinates": [109.9 + i * 0.02, 39.79]}}
        for i, payload in enumerate(hostile.PAYLOADS)
    ]  # fmt: skip
    inputs = {"demand": {"collection": hostile.POINTS}, "attractiveness_value": 1,
              "facilities": {"type": "FeatureCollection", "features": facilities}}  # fmt: skip
    with TestClient(create_app(hostile_settings)) as client:
        r = client.post("/processes/huff/execution", json={"inputs": inputs}, headers=editor)
        assert r.status_code == 200, r.text
        result = r.json()["demand"]["collection"]
        facilities = client.get(f"/collections/{result}/items", params={"f": "json"}).json()
    names = {f["properties"]["most_likely_facility"] for f in facilities["features"]}
    assert names & set(hostile.PAYLOADS), names  # the planted names did reach the result
    return result


def test_no_page_runs_script_planted_in_layers_styles_features_or_results(
    hostile_settings, huff_result
):
    pages = [*PLAIN_PAGES, *ERROR_PAGES, f"/collections/{huff_result}?f=html"]
    maps = [*MAP_PAGES, f"/maps/{huff_result}"]
    shown: dict[str, list[str]] = {}
    with LiveServer(create_app(hostile_settings)) as server, chromium_page() as page:
        dialogs = _watch(page)
        for path in pages:
            response = page.goto(server.url + path, wait_until="load")
            _check_clean(page, dialogs, path, status=response.status)
            assert response.status < 500, path
        for path in maps:
            page.goto(server.url + path, wait_until="load")
            page.wait_for_function("() => window.gsmapsReady === true", timeout=60_000)
            shown[path] = _exercise_map(page)
            _check_clean(page, dialogs, path)
        item = page.goto(f"{server.url}/collections/{hostile.POINTS}/items/1?f=html")
        assert item.ok and hostile.TITLE in page.inner_text("h1")  # shown as text
    one_map = shown["/maps/one-map"]
    assert hostile.TITLE in one_map["layers"]
    assert f"区{hostile.PAYLOADS[4]}" in one_map["layers"]  # {{7*7}}: not evaluated
    assert any(p in one_map["tips"] for p in hostile.PAYLOADS), one_map["tips"]
    assert any(p in one_map["popups"] for p in hostile.PAYLOADS), one_map["popups"]
    assert hostile.CLASS_LABELS[0] in one_map["legend"]
    assert hostile.PAYLOADS[0] in one_map["panels"]  # the indicator panel's title
    zones = shown[f"/maps/{hostile.ZONES}"]
    assert hostile.ATTRIBUTION in zones["attribution"]  # a tiled layer's credit
    assert any(p in zones["popups"] for p in hostile.PAYLOADS)  # asked of the items API
    assert any(p in shown[f"/maps/{hostile.HUFF}"]["legend"] for p in hostile.PAYLOADS)
    assert any(p in shown[f"/maps/{huff_result}"]["legend"] for p in hostile.PAYLOADS)


def test_the_maplibre_page_runs_no_planted_script(hostile_settings):
    layers = ",".join(hostile.LAYERS)
    with (
        LiveServer(create_app(hostile_settings)) as server,
        chromium_page(webgl=True) as page,
    ):
        dialogs = _watch(page)
        page.goto(f"{server.url}/map?collections={layers}", wait_until="load")
        page.wait_for_function("() => window.__idle === true", timeout=60_000)
        assert page.evaluate("() => window.__errors") == []
        attribution = page.inner_text(".maplibregl-ctrl-attrib")
        popup = click_preview(page, 109.9, 39.8)  # the first planted point
        page.wait_for_function(PLACEMENT_DONE)
        shown = popup.inner_text()
        _check_clean(page, dialogs, "/map")
        assert hostile.ATTRIBUTION in attribution and hostile.TITLE in page.title()
    assert f"定位{hostile.PAYLOADS[2]}" in shown  # the placement note, as text


def test_an_exported_map_runs_no_planted_script(hostile_settings, huff_result, tmp_path):
    from typer.testing import CliRunner

    from geoservice.cli import app

    out = tmp_path / "hostile.html"
    env = {
        "GEOSERVICE_LAYERS_DIR": str(hostile_settings.layers_dir),
        "GEOSERVICE_STYLES_DIR": str(hostile_settings.styles_dir),
        "GEOSERVICE_DATA_DIR": str(hostile_settings.data_dir),
        "GEOSERVICE_GPKG_PATH": str(hostile_settings.store_path),
        "GEOSERVICE_MAPS__LARGE_LAYER_FEATURES": str(hostile.LARGE_LAYER_FEATURES),
    }
    layers = ",".join([*hostile.LAYERS, huff_result])
    result = CliRunner().invoke(app, ["map", "--out", str(out), "--layers", layers], env=env)
    assert result.exit_code == 0, result.output
    with chromium_page() as page:
        dialogs = _watch(page)
        page.goto(out.as_uri(), wait_until="load")
        page.wait_for_function("() => window.gsmapsReady === true", timeout=60_000)
        shown = _exercise_map(page)
        _check_clean(page, dialogs, out.name)
    assert hostile.TITLE in shown["layers"]
    assert any(p in shown["popups"] for p in hostile.PAYLOADS), shown["popups"]


def _watch(page) -> list[str]:
    """Record dialogs (returned) and CSP violations (``window.__csp``) of every page."""
    dialogs: list[str] = []
    page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
    page.context.add_init_script(WATCH_CSP)
    return dialogs


def _check_clean(page, dialogs: list[str], where: str, *, status: int = 200) -> None:
    page.wait_for_timeout(200)  # an onerror fires after the image fails
    assert page.evaluate("() => window.__xss") is None, where
    assert dialogs == [], (where, dialogs)
    assert page.evaluate("() => window.__csp") == [], where
    expected = f"the server responded with a status of {status}"
    problems = [e for e in page.watch.problems() if status == 200 or expected not in e]
    assert problems == [], (where, problems)
    page.watch.errors.clear()


def _exercise_map(page) -> dict[str, str]:
    """Show every layer; open search tips, popups, legends; return the texts shown."""
    for box in page.locator(".leaflet-control-layers-overlays input[type=checkbox]").all():
        if not box.is_checked():
            box.check(force=True)
    texts = {
        "layers": _texts(page, ".leaflet-control-layers-overlays label"),
        "tips": _search(page),
        "popups": _click_features(page),
    }
    page.eval_on_selector_all("details", "ds => ds.forEach(d => { d.open = true; })")
    texts["legend"] = _texts(page, ".gs-legend-layer")
    texts["panels"] = _texts(page, ".gs-indicators")
    texts["attribution"] = _texts(page, ".leaflet-control-attribution")
    return texts


def _texts(page, selector: str) -> str:
    return "\n".join(page.eval_on_selector_all(selector, "ns => ns.map(n => n.textContent)"))


def _search(page) -> str:
    search = page.locator(".leaflet-control-search .search-button")
    if not search.count():
        return ""
    search.first.click()
    box = page.locator(".leaflet-control-search input.search-input").first
    box.press_sequentially("点")  # inserted as text: no key event of its own
    box.dispatch_event("keyup")  # what an input method's end sends: the tips appear
    page.wait_for_timeout(500)
    tips = _texts(page, ".search-tip")
    if page.locator(".search-tip").count():
        page.locator(".search-tip").first.click()  # moves there and opens its popup
        page.wait_for_timeout(300)
    return tips


def _click_features(page) -> str:
    """Click drawn features, then the first zone (tiled: asked of the items API)."""
    seen = []
    features = page.locator(".leaflet-marker-pane .leaflet-marker-icon, .leaflet-overlay-pane path")
    for i in range(min(features.count(), 12)):
        try:
            features.nth(i).click(timeout=1000, force=True)
        except Exception:  # hidden or covered shapes are skipped
            continue
        page.wait_for_timeout(150)
        seen.append(_texts(page, ".leaflet-popup-content"))
    zone = hostile.frames()[hostile.ZONES].geometry.iloc[0].centroid
    page.evaluate(f"() => gsmap.setView([{zone.y}, {zone.x}], 15, {{animate: false}})")
    page.wait_for_timeout(500)
    box = page.locator(".folium-map").bounding_box()
    page.mouse.click(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
    page.wait_for_timeout(800)
    seen.append(_texts(page, ".leaflet-popup-content"))
    return "\n".join(seen)
