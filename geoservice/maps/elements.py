"""Folium elements of our own: HTML controls, name search, outline mini map, sliced layers.

Each renders a few lines of JavaScript calling ``gsmaps.js``. JSON goes into
the page through :func:`script_json`, which escapes ``<`` so no value can close
the ``<script>`` it sits in.
"""

from __future__ import annotations

from typing import Any

import orjson
from folium.elements import JSCSSMixin, MacroElement
from folium.map import Layer
from folium.template import Template
from markupsafe import Markup, escape


def script_json(value: Any) -> Markup:
    """Return ``value`` as JSON safe inside a ``<script>`` element."""
    text = orjson.dumps(value, option=orjson.OPT_SERIALIZE_NUMPY).decode()
    return Markup(text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026"))


class HtmlControl(MacroElement):
    """A Leaflet control holding server-built HTML (a title, legend or panel).

    ``html`` must already be safe (built with markupsafe escaping).
    """

    _template = Template(
        """
        {% macro script(this, kwargs) %}
        (function () {
            var control = L.control({position: {{ this.position|tojson }}});
            control.onAdd = function () {
                var div = L.DomUtil.create("div", {{ this.css_class|tojson }});
                div.innerHTML = {{ this.html_json }};
                L.DomEvent.disableClickPropagation(div);
                L.DomEvent.disableScrollPropagation(div);
                return div;
            };
            control.addTo({{ this._parent.get_name() }});
        })();
        {% endmacro %}
        """
    )

    def __init__(self, html: Markup | str, *, position: str, css_class: str = "gs-box") -> None:
        super().__init__()
        self._name = "HtmlControl"
        self.html_json = script_json(str(html))
        self.position = position
        self.css_class = css_class


class NameSearch(JSCSSMixin, MacroElement):
    """One search box over the names of several layers (leaflet-search)."""

    _template = Template(
        """
        {% macro script(this, kwargs) %}
        gsmaps.search({{ this._parent.get_name() }},
            [{% for name in this.layer_names %}{{ name }}, {% endfor %}],
            {{ this.property|tojson }}, {{ this.texts_json }});
        {% endmacro %}
        """
    )

    def __init__(self, layers: list, *, property: str, placeholder: str, not_found: str) -> None:
        super().__init__()
        self._name = "NameSearch"
        self.layer_names = [layer.get_name() for layer in layers]
        self.property = property
        self.texts_json = script_json({"placeholder": placeholder, "notFound": not_found})


class OutlineMiniMap(JSCSSMixin, MacroElement):
    """A mini map (leaflet-minimap) of an outline, or of the base-map tiles if any."""

    _template = Template(
        """
        {% macro script(this, kwargs) %}
        (function () {
            var layer = {% if this.tiles_url %}L.tileLayer({{ this.tiles_url|tojson }}){% else %}
                L.geoJson({{ this.outline_json }}, {style: {{ this.style_json }}}){% endif %};
            new L.Control.MiniMap(layer, {{ this.options_json }})
                .addTo({{ this._parent.get_name() }});
        })();
        {% endmacro %}
        """
    )

    def __init__(self, outline: dict | None, *, tiles_url: str | None, style: dict) -> None:
        super().__init__()
        self._name = "OutlineMiniMap"
        self.tiles_url = tiles_url
        self.outline_json = script_json(outline or {"type": "FeatureCollection", "features": []})
        self.style_json = script_json(style)
        self.options_json = script_json(
            {"position": "bottomright", "width": 150, "height": 150, "zoomLevelOffset": -3,
             "toggleDisplay": True, "minimized": False}
        )  # fmt: skip


class SlicedGeoJson(JSCSSMixin, Layer):
    """Many features embedded in the page, tiled in the browser (Leaflet.VectorGrid)."""

    _template = Template(
        """
        {% macro script(this, kwargs) %}
        var {{ this.get_name() }} = gsmaps.sliced({{ this.data_json }}, {{ this.styles_json }},
            {{ this.spec_json }}, {{ this.options_json }});
        {{ this.get_name() }}.addTo({{ this._parent.get_name() }});
        {% endmacro %}
        """
    )

    def __init__(
        self,
        data: dict,
        styles: list[dict],
        spec: dict,
        *,
        name: str,
        show: bool = True,
        min_zoom: int = 0,
    ) -> None:
        super().__init__(name=name, overlay=True, control=True, show=show)
        self._name = "SlicedGeoJson"
        self.data_json = script_json(data)
        self.styles_json = script_json(styles)
        self.spec_json = script_json(spec)
        self.options_json = script_json(
            {"pane": "overlayPane", "minZoom": min_zoom, "maxNativeZoom": 14, "maxZoom": 22}
        )


class ServedVectorTiles(JSCSSMixin, Layer):
    """A large layer from this service's vector tiles (MVT), styled in the browser."""

    _template = Template(
        """
        {% macro script(this, kwargs) %}
        var {{ this.get_name() }} = gsmaps.vectorTiles({{ this.url|tojson }},
            {{ this.layer_id|tojson }}, {{ this.table_json }}, {{ this.options_json }});
        {{ this.get_name() }}.addTo({{ this._parent.get_name() }});
        {% endmacro %}
        """
    )

    def __init__(
        self, url: str, layer_id: str, table: dict, options: dict, *, name: str, show: bool
    ) -> None:
        super().__init__(name=name, overlay=True, control=True, show=show)
        self._name = "ServedVectorTiles"
        self.url = url
        self.layer_id = layer_id
        self.table_json = script_json(table)
        self.options_json = script_json(options)


class TileQuery(MacroElement):
    """On a click, ask the items API what the tile layer shows there (gsmaps.queryOnClick)."""

    _template = Template(
        """
        {% macro script(this, kwargs) %}
        gsmaps.queryOnClick({{ this.map_name }}, {{ this.layer_name }},
            {{ this.items_url|tojson }}, {{ this.spec_json }}, {{ this.geometry|tojson }});
        {% endmacro %}
        """
    )

    def __init__(self, tile_layer, *, map_name: str, items_url: str, spec: dict, geometry: str):
        super().__init__()
        self._name = "TileQuery"
        self.layer_name = tile_layer.get_name()
        self.map_name = map_name
        self.items_url = items_url
        self.spec_json = script_json(spec)
        self.geometry = geometry


class ZoomHint(MacroElement):
    """Say when a tiled layer is on but the map is zoomed out past its first zoom."""

    _template = Template(
        """
        {% macro script(this, kwargs) %}
        gsmaps.zoomHint({{ this.map_name }}, {{ this.layer_name }}, {{ this.min_zoom }},
            {{ this.hint|tojson }}, {{ this.focus|tojson }});
        {% endmacro %}
        """
    )

    def __init__(self, tile_layer, *, map_name: str, min_zoom: int, hint: str, focus: bool):
        super().__init__()
        self._name = "ZoomHint"
        self.layer_name = tile_layer.get_name()
        self.map_name = map_name
        self.min_zoom = min_zoom
        self.hint = hint
        self.focus = focus


class ClusterLink(MacroElement):
    """Tell gsmaps which marker cluster holds a GeoJson layer (search opens clustered markers)."""

    _template = Template(
        """
        {% macro script(this, kwargs) %}
        {{ this.layer_name }}._gsCluster = {{ this.cluster_name }};
        {% endmacro %}
        """
    )

    def __init__(self, layer, cluster) -> None:
        super().__init__()
        self._name = "ClusterLink"
        self.layer_name = layer.get_name()
        self.cluster_name = cluster.get_name()


class Ready(MacroElement):
    """Expose the map as ``window.gsmap`` and flag the page ready (tests wait for it)."""

    _template = Template(
        """
        {% macro script(this, kwargs) %}
        window.gsmap = {{ this._parent.get_name() }};
        window.gsmapsReadyAt = performance.now();
        window.gsmapsReady = true;
        {% endmacro %}
        """
    )

    def __init__(self) -> None:
        super().__init__()
        self._name = "Ready"


class ContextBase(Layer):
    """The offline base map: outlines under the layers, their names above (gsmaps.context)."""

    _template = Template(
        """
        {% macro script(this, kwargs) %}
        var {{ this.get_name() }} = gsmaps.context({{ this._parent.get_name() }},
            {{ this.data_json }}, {{ this.options_json }});
        {{ this.get_name() }}.addTo({{ this._parent.get_name() }});
        {% endmacro %}
        """
    )

    def __init__(self, data: dict, *, name: str, attribution: str, over_tiles: bool) -> None:
        super().__init__(name=name, overlay=True, control=True, show=True)
        self._name = "ContextBase"
        self.data_json = script_json(data)
        # Leaflet writes attributions with innerHTML; the layers' are text
        self.options_json = script_json(
            {"attribution": str(escape(attribution)), "overTiles": over_tiles}
        )


class LanguageSwitch(MacroElement):
    """A link to the same page in the other language (served pages only: it reloads)."""

    _template = Template(
        """
        {% macro script(this, kwargs) %}
        gsmaps.languageSwitch({{ this._parent.get_name() }}, {{ this.other|tojson }},
            {{ this.label|tojson }});
        {% endmacro %}
        """
    )

    def __init__(self, lang: str) -> None:
        super().__init__()
        self._name = "LanguageSwitch"
        self.other = "zh" if lang == "en" else "en"
        self.label = "中文" if lang == "en" else "English"
