"""Planners' web maps: Folium pages built from the catalogue, the store and ``styles/``.

``service.py`` is the entry point (one-map, one layer, list, standalone export);
``builder.py`` composes a map from ``sources.py`` (what to draw), ``drawing.py``
and ``analysis.py`` (how it looks), ``layers.py`` (how it gets into the page),
``elements.py`` (our own controls) and ``assets.py`` / ``vendor.py`` (Leaflet
served locally or inlined, never from a CDN). Folium is imported lazily.
"""
