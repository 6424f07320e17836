"""A store whose every text field carries script: layers, styles, features, an indicator file.

Each payload, if it ever ran, would set ``window.__xss`` and open a dialog; the
browser tests listen for both. The shapes cover HTML text and attributes,
``<script>`` contexts, JS strings and template literals, server-side templates
and URLs that could become links.
"""

from __future__ import annotations

import json
import textwrap
from pathlib import Path

import geopandas as gpd
import yaml
from shapely.geometry import Point, box

PAYLOADS = [
    '<img src=x onerror="window.__xss=1;alert(1)">',
    '"><script>window.__xss=2;alert(2)</script>',
    "</script><script>window.__xss=3;alert(3)</script>",
    "javascript:window.__xss=4;alert(4)",
    "{{7*7}}",
    "${window.__xss=6,alert(6)}",
    "'-alert(7)-'",
    "<svg onload=alert(8)>",
    "<!--<script>window.__xss=9;alert(9)</script>-->",
    '\\"});alert(10);({"',
    "{% endraw %}{#",
]
TITLE = f"恶意{PAYLOADS[0]}"
EN_TITLE = f"Hostile {PAYLOADS[1]}"
POINTS = "hostile"
ZONES = "hostile_zones"
"""Polygons, more than the maps embed: drawn from vector tiles (exports: sliced)."""
SHARE = "hostile_share"
MINUTES = "hostile_minutes"
HUFF = "hostile_huff"
LAYERS = (POINTS, ZONES, SHARE, MINUTES, HUFF, "district")
LARGE_LAYER_FEATURES = 20
ZONE_COUNT = 30
CLASS_LABELS = [f"类{p}" for p in PAYLOADS[:3]]
ATTRIBUTION = f"署名{PAYLOADS[0]}"


def p(i: int) -> str:
    """Return payload ``i`` (cycling)."""
    return PAYLOADS[i % len(PAYLOADS)]


def _attribute(name: str, i: int, **extra) -> dict:
    return {"name": name, "type": "string", "title": {"zh": f"字段{p(i)}", "en": p(i + 1)},
            "description": p(i + 2), **extra}  # fmt: skip


def _layer(title_zh: str, kind: str, geometry: str, style: str, attributes: list[dict]) -> dict:
    return {
        "title": {"zh": title_zh, "en": EN_TITLE},
        "description": {"zh": p(2), "en": p(7)},
        "kind": kind,
        "geometry_type": geometry,
        "attributes": [
            {
                "name": "name_zh",
                "type": "string",
                "required": True,
                "title": {"zh": f"名称{p(0)}", "en": p(1)},
            },
            {"name": "name_en", "type": "string", "title": {"zh": p(5), "en": p(6)}},
            {"name": "source", "type": "string", "required": True},
            {"name": "geometry_quality", "type": "string", "required": True},
            *attributes,
        ],
        "source": {
            "description": p(3),
            "attribution": ATTRIBUTION,
            "license": p(4),
            "url": "javascript:window.__xss=11;alert(11)",
        },
        "style": style,
        "keywords": PAYLOADS[:4],
    }


def write_catalog(layers: Path, styles: Path) -> None:
    """Declare the hostile layers, their styles and an indicator file."""
    declarations = {
        POINTS: {**_layer(TITLE, "commercial", "Point", "hostile_points",
                          [_attribute("code", 3, required=True), _attribute("category", 4),
                           _attribute("note", 5), _attribute("placement", 6),
                           _attribute("placement_zh", 7)]),
                 "key": "code"},
        ZONES: _layer(f"区{p(4)}", "commercial", "Polygon", "hostile_polygons",
                      [_attribute("category", 6)]),
        SHARE: _layer(f"覆盖率{p(5)}", "analysis_result", "Polygon", "analysis_result",
                      [{"name": "area_share", "type": "number"}]),
        MINUTES: _layer(f"等时圈{p(6)}", "analysis_result", "Polygon", "analysis_result",
                        [{"name": "minutes", "type": "number"}]),
        HUFF: _layer(f"商圈{p(7)}", "analysis_result", "Point", "analysis_points",
                     [{"name": "most_likely_facility", "type": "string"},
                      {"name": "max_probability", "type": "number"}]),
    }  # fmt: skip
    for layer_id, declaration in declarations.items():
        text = yaml.safe_dump(declaration, allow_unicode=True)
        (layers / f"{layer_id}.yaml").write_text(text, encoding="utf-8")
    classes = [{"value": p(i), "color": "#e41a1c", "label": {"zh": CLASS_LABELS[i], "en": p(i)}}
               for i in range(3)]  # fmt: skip
    for style_id, geometry in (("hostile_points", "point"), ("hostile_polygons", "polygon")):
        style = {
            "title": {"zh": p(8), "en": p(9)},
            "geometry": geometry,
            "classify": {"type": "categorical", "property": "category", "classes": classes},
            "legend": {"zh": p(1), "en": p(2)},
        }
        (styles / f"{style_id}.json").write_text(json.dumps(style), encoding="utf-8")
    indicators = layers / "dongsheng" / "indicators" / "hostile.yaml"
    indicators.write_text(INDICATORS, encoding="utf-8")


INDICATORS = textwrap.dedent(
    f"""\
    plan: {json.dumps(EN_TITLE)}
    plan_zh: {json.dumps(TITLE)}
    description: {json.dumps(p(2))}
    indicators:
      - id: hostile-count
        title: {json.dumps(p(3))}
        title_zh: {json.dumps(p(0))}
        type: count
        features: {{layer: {POINTS}}}
        target: {{op: ">=", value: 3}}
        source: {{doc: {json.dumps(p(4))}, line: 1, quote: {json.dumps(p(1))}}}
    """
)


def _meta(n: int, offset: int = 0, **extra) -> dict:
    return {
        "name_zh": [f"点{p(i + offset)}" for i in range(n)],
        "name_en": [p(i + offset + 1) for i in range(n)],
        "source": [p(i + offset + 2) for i in range(n)],
        "geometry_quality": ["approximate" if i % 2 else "surveyed" for i in range(n)],
        **extra,
    }


def frames() -> dict[str, gpd.GeoDataFrame]:
    """Return the hostile layers' features (around central Dongsheng)."""
    n = len(PAYLOADS)
    points = [Point(109.9 + i * 0.01, 39.8) for i in range(n)]
    corners = [(109.9 + (i % 6) * 0.02, 39.75 + (i // 6) * 0.02) for i in range(ZONE_COUNT)]
    cells = [box(x, y, x + 0.015, y + 0.015) for x, y in corners]
    rings = [Point(109.95, 39.8).buffer(0.01 * (i + 1)) for i in range(3)]
    return {
        POINTS: gpd.GeoDataFrame(
            _meta(n, code=list(PAYLOADS), category=[p(i % 3) for i in range(n)],
                  note=list(reversed(PAYLOADS)), placement=[p(i + 1) for i in range(n)],
                  placement_zh=[f"定位{p(i + 2)}" for i in range(n)]),
            geometry=points, crs=4326,
        ),
        ZONES: gpd.GeoDataFrame(
            _meta(ZONE_COUNT, 3, category=[p(i % 3) for i in range(ZONE_COUNT)]),
            geometry=cells, crs=4326,
        ),
        SHARE: gpd.GeoDataFrame(
            _meta(6, 4, area_share=[i / 5 for i in range(6)]), geometry=cells[:6], crs=4326
        ),
        MINUTES: gpd.GeoDataFrame(
            _meta(3, 5, minutes=[5.0, 10.0, 15.0]), geometry=rings[::-1], crs=4326
        ),
        HUFF: gpd.GeoDataFrame(
            _meta(n, 6, most_likely_facility=list(PAYLOADS),
                  max_probability=[(i + 1) / n for i in range(n)]),
            geometry=[Point(109.9 + i * 0.01, 39.81) for i in range(n)], crs=4326,
        ),
        "district": gpd.GeoDataFrame(
            {"code": ["150602000000"], "adcode": ["150602"], "name_zh": [p(0)],
             "name_en": [p(1)], "is_study_area": [True], "source": [p(2)],
             "geometry_quality": ["approximate"]},
            geometry=[box(109.8, 39.7, 110.1, 39.9)], crs=4326,
        ),
    }  # fmt: skip


def hostile_settings(catalog_dirs, settings_for):
    """Return settings over a GeoPackage store holding only the hostile layers."""
    from geoservice.settings import MapSettings
    from tests.conftest import fill_store

    layers, styles = catalog_dirs
    write_catalog(layers, styles)
    settings = settings_for(
        "geopackage",
        layers_dir=layers,
        styles_dir=styles,
        maps=MapSettings(large_layer_features=LARGE_LAYER_FEATURES),
    )
    fill_store(settings, frames())
    return settings
