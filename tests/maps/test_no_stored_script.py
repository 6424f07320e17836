"""No page runs script planted in a layer's declaration or its features (stored XSS).

A GIS upload can carry any text: a layer title, description, keywords,
attribution, attribute values. Every page that shows them is opened in Chromium
with a listener for dialogs and a flag the payloads would set; the map's layer
menu, search box, popups and legends are exercised too.
"""

from __future__ import annotations

from urllib.parse import quote

import geopandas as gpd
import pytest
import yaml
from shapely.geometry import Point, box

from geoservice.app import create_app
from tests.conftest import LiveServer, fill_store
from tests.maps.browser import chromium_page

pytestmark = pytest.mark.browser

PAYLOADS = [
    '<img src=x onerror="window.__xss=1;alert(1)">',
    '"><script>window.__xss=2;alert(2)</script>',
    "</script><script>window.__xss=3;alert(3)</script>",
    "'-alert(4)-'",
    "{{7*7}}${alert(5)}",
    "<svg onload=alert(6)>",
]
LAYER = "hostile"
TITLE = f"恶意{PAYLOADS[0]}"


@pytest.fixture
def hostile_settings(catalog_dirs, settings_for):
    layers, styles = catalog_dirs
    declaration = {
        "title": {"zh": TITLE, "en": PAYLOADS[1]},
        "description": {"zh": PAYLOADS[2], "en": PAYLOADS[5]},
        "kind": "commercial",
        "geometry_type": "Point",
        "attributes": [
            {"name": "name_zh", "type": "string", "required": True},
            {"name": "name_en", "type": "string"},
            {"name": "source", "type": "string", "required": True},
            {"name": "geometry_quality", "type": "string", "required": True},
            {"name": "note", "type": "string"},
        ],
        "source": {"description": PAYLOADS[3], "attribution": PAYLOADS[0]},
        "style": "analysis_points",
        "keywords": PAYLOADS[:3],
    }
    (layers / f"{LAYER}.yaml").write_text(yaml.safe_dump(declaration, allow_unicode=True))
    n = len(PAYLOADS)
    points = gpd.GeoDataFrame(
        {
            "name_zh": [f"点{p}" for p in PAYLOADS],
            "name_en": PAYLOADS,
            "source": PAYLOADS,
            "geometry_quality": ["approximate"] * n,
            "note": list(reversed(PAYLOADS)),
        },
        geometry=[Point(109.9 + i * 0.01, 39.8) for i in range(n)],
        crs="EPSG:4326",
    )
    district = gpd.GeoDataFrame(
        {"code": ["150602000000"], "adcode": ["150602"], "name_zh": [PAYLOADS[0]],
         "name_en": [PAYLOADS[1]], "is_study_area": [True], "source": [PAYLOADS[2]],
         "geometry_quality": ["approximate"]},
        geometry=[box(109.8, 39.7, 110.1, 39.9)], crs="EPSG:4326",
    )  # fmt: skip
    settings = settings_for("geopackage", layers_dir=layers, styles_dir=styles)
    fill_store(settings, {LAYER: points, "district": district})
    return settings


PAGES = [
    "/?f=html",
    "/areas?f=html",
    "/areas/dongsheng?f=html",
    "/collections?f=html",
    f"/collections/{LAYER}?f=html",
    f"/collections/{LAYER}/items?f=html",
    f"/collections/{LAYER}/items/1?f=html",
    f"/collections/{LAYER}/queryables?f=html",
    "/maps",
    "/maps?lang=en",
    "/maps/one-map",
    "/maps/one-map?lang=en",
    f"/maps/{LAYER}",
    f"/map?collections={LAYER},district",
    f"/collections/{quote(PAYLOADS[0])}?f=html",
    f"/maps/{quote(PAYLOADS[1])}",
]


def test_no_page_runs_script_planted_in_a_layer(hostile_settings):
    with LiveServer(create_app(hostile_settings)) as server, chromium_page() as page:
        dialogs: list[str] = []
        page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
        for path in PAGES:
            page.goto(server.url + path, wait_until="load")
            page.wait_for_timeout(300)
            if path.startswith("/maps/one-map") or path == f"/maps/{LAYER}":
                page.wait_for_function("() => window.gsmapsReady === true", timeout=60_000)
                _exercise_map(page)
            assert page.evaluate("() => window.__xss") is None, path
            assert dialogs == [], (path, dialogs)
        # the planted text is shown as text where it is shown at all
        page.goto(server.url + "/maps/one-map", wait_until="load")
        page.wait_for_function("() => window.gsmapsReady === true", timeout=60_000)
        labels = page.eval_on_selector_all(
            ".leaflet-control-layers-overlays label", "ls => ls.map(l => l.textContent.trim())"
        )
        assert TITLE in labels


def _exercise_map(page) -> None:
    """Open the search tips, popups and legends, where names and values are shown."""
    search = page.locator(".leaflet-control-search .search-button")
    if search.count():
        search.first.click()
        box = page.locator(".leaflet-control-search input.search-input").first
        box.press_sequentially("点")  # inserted as text: no key event of its own
        box.dispatch_event("keyup")  # what an input method's end sends: the tips appear
        if "lang=en" not in page.url:  # the English map searches name_en
            page.wait_for_selector(".search-tip", timeout=5000)
    markers = page.locator(".leaflet-marker-pane .leaflet-marker-icon, .leaflet-overlay-pane path")
    for i in range(min(markers.count(), 8)):
        try:
            markers.nth(i).click(timeout=1000, force=True)
            page.wait_for_timeout(150)
        except Exception:  # hidden or covered shapes are skipped
            continue
    for summary in page.locator("details summary").all()[:10]:
        try:
            summary.click(timeout=500)
        except Exception:  # a collapsed or hidden legend
            continue
