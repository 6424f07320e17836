"""Where a map page gets Leaflet and its plugins: this service, or inlined into the file.

Folium elements list their JS/CSS as ``default_js`` / ``default_css`` (CDN URLs by
default). :func:`localize` replaces them *per element* (never on the classes,
which would change every map in the process) with the vendored copies
(``vendor.py``): under ``{base_url}/static/vendor/`` on the server, or
``gsvendor:`` placeholders that :func:`inline_assets` turns into inline
``<script>``/``<style>`` for a standalone file (CSS images as data URIs).
"""

from __future__ import annotations

import base64
import mimetypes
import re
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from markupsafe import escape

from geoservice.errors import MapAssetsMissing
from geoservice.maps.vendor import VENDOR_DIR

INLINE = "gsvendor:"
OWN_JS = Path(__file__).resolve().parent / "gsmaps.js"
OWN_CSS = Path(__file__).resolve().parent / "gsmaps.css"

LEAFLET_JS = ("leaflet", "dist/leaflet.js")
MEASURE_JS = "dist/leaflet-measure.{measure_lang}.js"
MEASURE_SCRIPTS = {
    ("leaflet-measure", MEASURE_JS.format(measure_lang="cn")): "zh",
    ("leaflet-measure", MEASURE_JS.format(measure_lang="en")): "en",
}
"""The measure control's scripts (as vendored), and the language of each."""
MEASURE_TEMPLATES = Path(__file__).resolve().parent / "measure_templates.js"
_TEMPLATE_CALL = re.compile(r"\(0,\w+\.default\)\((\w+\.\w+Template),(\w+)\)")
MEASURE_TEMPLATE_COUNT = 5
LEAFLET_CSS = ("leaflet", "dist/leaflet.css")

# Per Folium element class name: (js files, css files), as (package, path).
PLUGINS: dict[str, tuple[list[tuple[str, str]], list[tuple[str, str]]]] = {
    "MarkerCluster": (
        [("leaflet.markercluster", "dist/leaflet.markercluster.js")],
        [
            ("leaflet.markercluster", "dist/MarkerCluster.css"),
            ("leaflet.markercluster", "dist/MarkerCluster.Default.css"),
        ],
    ),
    "Fullscreen": (
        [("leaflet.fullscreen", "Control.FullScreen.js")],
        [("leaflet.fullscreen", "Control.FullScreen.css")],
    ),
    "MeasureControl": (
        [("leaflet-measure", MEASURE_JS)],
        [("leaflet-measure", "dist/leaflet-measure.css")],
    ),
    "NameSearch": (
        [("leaflet-search", "dist/leaflet-search.min.js")],
        [("leaflet-search", "dist/leaflet-search.min.css")],
    ),
    "OutlineMiniMap": (
        [("leaflet-minimap", "dist/Control.MiniMap.min.js")],
        [("leaflet-minimap", "dist/Control.MiniMap.min.css")],
    ),
    "GroupedLayerControl": (
        [("leaflet-groupedlayercontrol", "dist/leaflet.groupedlayercontrol.min.js")],
        [("leaflet-groupedlayercontrol", "dist/leaflet.groupedlayercontrol.min.css")],
    ),
    "SlicedGeoJson": ([("leaflet.vectorgrid", "dist/Leaflet.VectorGrid.bundled.min.js")], []),
    "ServedVectorTiles": (
        [("leaflet.vectorgrid", "dist/Leaflet.VectorGrid.bundled.min.js")],
        [],
    ),
}


@dataclass(frozen=True)
class Assets:
    """How a page refers to vendored files: a base URL (server) or inline (export)."""

    base_url: str | None = None
    lang: str = "zh"
    vendor_dir: Path = VENDOR_DIR

    def url(self, package: str, path: str) -> str:
        """Return the URL (or inline placeholder) of a vendored file.

        The measure control's script is served from ``/maps/assets/`` made
        CSP-safe (:func:`csp_safe_measure`), not as vendored.
        """
        path = path.format(measure_lang=_measure_lang(self.lang))
        if self.base_url is None:
            return f"{INLINE}{package}/{path}"
        if (package, path) in MEASURE_SCRIPTS:
            return f"{self.base_url}/maps/assets/{Path(path).name}"
        return f"{self.base_url}/static/vendor/{package}/{path}"

    def check(self) -> None:
        """Raise :class:`MapAssetsMissing` unless ``make web`` has vendored Leaflet."""
        if not (self.vendor_dir / LEAFLET_JS[0] / LEAFLET_JS[1]).is_file():
            raise MapAssetsMissing(
                f"Leaflet is not vendored in {self.vendor_dir}: run `make web` (npm ci)"
            )


def localize(element, assets: Assets) -> None:
    """Point a Folium element's JS/CSS at the vendored copies (instance attributes)."""
    name = type(element).__name__
    if name == "Map":
        js, css = [LEAFLET_JS], [LEAFLET_CSS]
    elif name in PLUGINS:
        js, css = PLUGINS[name]
    else:
        return
    # branca writes these into src/href attributes as they are: escape the base URL's part
    element.default_js = [(f"{name}_{i}", str(escape(assets.url(*f)))) for i, f in enumerate(js)]
    element.default_css = [
        (f"{name}_css_{i}", str(escape(assets.url(*f)))) for i, f in enumerate(css)
    ]


_SCRIPT = re.compile(rf'<script src="{INLINE}([^"]+)"></script>')
_LINK = re.compile(rf'<link rel="stylesheet" href="{INLINE}([^"]+)"\s*/?>')
_CSS_URL = re.compile(r"url\((['\"]?)(?!data:|#|https?:)([^)'\"]+)\1\)")


def inline_assets(html: str, vendor_dir: Path = VENDOR_DIR, *, nonce: str | None = None) -> str:
    """Replace ``gsvendor:`` script and stylesheet links with the files' contents.

    Images a stylesheet refers to become data URIs, so the page needs nothing
    but itself. ``html`` is the page's head as Folium wrote it (never data,
    which may hold any text); the scripts get ``nonce``. Raises
    :class:`MapAssetsMissing` if a file is not vendored.
    """
    opening = f'<script nonce="{nonce}">' if nonce else "<script>"

    def script(match: re.Match) -> str:
        path = match.group(1)
        measure = MEASURE_SCRIPTS.get(tuple(path.split("/", 1)))
        source = measure_script(measure, vendor_dir) if measure else _read(vendor_dir / path)
        source = source.replace("</script", "<\\/script")
        return f"{opening}{source}</script>"

    def link(match: re.Match) -> str:
        path = vendor_dir / match.group(1)
        css = _CSS_URL.sub(lambda m: _data_uri(path.parent / m.group(2)), _read(path))
        return f"<style>{css}</style>"

    html = _SCRIPT.sub(script, html)
    html = _LINK.sub(link, html)
    if INLINE in html:
        raise MapAssetsMissing(f"a {INLINE} reference was left in the page")
    return html


def own_script(nonce: str) -> str:
    """Return the page helpers (popups, queries, search) as an inline ``<script>``."""
    return f'<script nonce="{nonce}">{OWN_JS.read_text(encoding="utf-8")}</script>'


def nonce_scripts(head: str, nonce: str) -> str:
    """Give the inline scripts of Folium's page head ``nonce`` (the head holds no data)."""
    return head.replace("<script>", f'<script nonce="{nonce}">')


def own_style() -> str:
    """Return the page's own CSS (popups, legend, panels, fonts) as a ``<style>``."""
    return f"<style>{OWN_CSS.read_text(encoding='utf-8')}</style>"


def _read(path: Path) -> str:
    try:
        return path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise MapAssetsMissing(f"{path} is missing: run `make web` (npm ci)") from None


def _data_uri(path: Path) -> str:
    if not path.is_file():  # a missing icon must not break the page
        return "url()"
    mime = mimetypes.guess_type(path.name)[0] or "application/octet-stream"
    return f'url("data:{mime};base64,{base64.b64encode(path.read_bytes()).decode()}")'


def _measure_lang(lang: str) -> str:
    return "en" if lang == "en" else "cn"


def measure_script(lang: str, vendor_dir: Path = VENDOR_DIR) -> str:
    """Return the measure control's script for ``lang`` (zh/en), made CSP-safe."""
    path = vendor_dir / "leaflet-measure" / MEASURE_JS.format(measure_lang=_measure_lang(lang))
    try:
        return _measure_script(path, path.stat().st_mtime_ns)
    except FileNotFoundError:
        raise MapAssetsMissing(f"{path} is missing: run `make web` (npm ci)") from None


@lru_cache(maxsize=4)
def _measure_script(path: Path, mtime_ns: int) -> str:
    return csp_safe_measure(path.read_text(encoding="utf-8"))


def csp_safe_measure(bundle: str) -> str:
    """Return a leaflet-measure bundle whose templates need no ``Function()``.

    The bundle compiles its five templates with lodash.template as it loads,
    which a Content-Security-Policy without ``'unsafe-eval'`` refuses (the map
    pages' policy, ``geoservice/csp.py``), and the whole map would stop: each
    call becomes one to ``measure_templates.js``, put first in the script.
    Raises :class:`MapAssetsMissing` if the bundle does not compile exactly
    those templates (another leaflet-measure: look at the templates again).
    """
    patched, count = _TEMPLATE_CALL.subn(r"gsmapsMeasureTemplate(\1,\2)", bundle)
    if count != MEASURE_TEMPLATE_COUNT:
        raise MapAssetsMissing(
            f"leaflet-measure: expected {MEASURE_TEMPLATE_COUNT} lodash template calls, "
            f"found {count}: check geoservice/maps/measure_templates.js against this version"
        )
    return MEASURE_TEMPLATES.read_text(encoding="utf-8") + "\n" + patched
