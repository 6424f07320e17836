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
from pathlib import Path

from geoservice.errors import MapAssetsMissing
from geoservice.maps.vendor import VENDOR_DIR

INLINE = "gsvendor:"
OWN_JS = Path(__file__).resolve().parent / "gsmaps.js"
OWN_CSS = Path(__file__).resolve().parent / "gsmaps.css"

LEAFLET_JS = ("leaflet", "dist/leaflet.js")
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
        [("leaflet-measure", "dist/leaflet-measure.{measure_lang}.js")],
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
        """Return the URL (or inline placeholder) of a vendored file."""
        path = path.format(measure_lang="en" if self.lang == "en" else "cn")
        if self.base_url is None:
            return f"{INLINE}{package}/{path}"
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
    element.default_js = [(f"{name}_{i}", assets.url(*f)) for i, f in enumerate(js)]
    element.default_css = [(f"{name}_css_{i}", assets.url(*f)) for i, f in enumerate(css)]


_SCRIPT = re.compile(rf'<script src="{INLINE}([^"]+)"></script>')
_LINK = re.compile(rf'<link rel="stylesheet" href="{INLINE}([^"]+)"\s*/?>')
_CSS_URL = re.compile(r"url\((['\"]?)(?!data:|#|https?:)([^)'\"]+)\1\)")


def inline_assets(html: str, vendor_dir: Path = VENDOR_DIR) -> str:
    """Replace ``gsvendor:`` script and stylesheet links with the files' contents.

    Images a stylesheet refers to become data URIs, so the page needs nothing
    but itself. Raises :class:`MapAssetsMissing` if a file is not vendored.
    """

    def script(match: re.Match) -> str:
        source = _read(vendor_dir / match.group(1)).replace("</script", "<\\/script")
        return f"<script>{source}</script>"

    def link(match: re.Match) -> str:
        path = vendor_dir / match.group(1)
        css = _CSS_URL.sub(lambda m: _data_uri(path.parent / m.group(2)), _read(path))
        return f"<style>{css}</style>"

    html = _SCRIPT.sub(script, html)
    html = _LINK.sub(link, html)
    if INLINE in html:
        raise MapAssetsMissing(f"a {INLINE} reference was left in the page")
    return html


def own_script() -> str:
    """Return the page helpers (popups, queries, search) as an inline ``<script>``."""
    return f"<script>{OWN_JS.read_text(encoding='utf-8')}</script>"


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
