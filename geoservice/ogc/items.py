"""The ``/items`` request: query parameters to a :class:`FeatureQuery`, page to JSON.

Every parameter is checked here and a bad one raises :class:`InvalidParameter`
naming the parameter and what would be accepted, so a client never sees a 500.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import orjson

from geoservice.catalog.models import AttributeType, LayerDef
from geoservice.crs import CRS84_URI, axis_order_problem, resolve_crs
from geoservice.errors import InvalidParameter
from geoservice.features import INT64_MAX
from geoservice.ogc.links import GEOJSON, HTML, link, with_query
from geoservice.ogc.negotiation import negotiate_features
from geoservice.settings import ApiSettings
from geoservice.storage.base import FeatureQuery, GeoJSONPage, SortKey
from geoservice.storage.cql import parse_filter

ITEMS_PARAMETERS = frozenset(
    {
        "f",
        "bbox",
        "bbox-crs",
        "crs",
        "limit",
        "offset",
        "filter",
        "filter-lang",
        "filter-crs",
        "sortby",
        "properties",
        "datetime",
        "version",
    }
)
DOWNLOAD_FORMATS = ("gpkg", "fgb")


@dataclass(frozen=True)
class ItemsRequest:
    """A parsed items request: the query, the output format and the CRS URI."""

    query: FeatureQuery
    format: str
    crs_uri: str
    params: dict[str, str]


def parse_items_request(
    layer: LayerDef, params: Mapping[str, str], api: ApiSettings, *, accept: str = ""
) -> ItemsRequest:
    """Turn query parameters into an :class:`ItemsRequest`."""
    unknown = [k for k in params if k not in ITEMS_PARAMETERS and k not in layer.attribute_names]
    if unknown:
        raise InvalidParameter(
            f"unknown query parameter(s) {unknown}; accepted: {sorted(ITEMS_PARAMETERS)} "
            f"and the layer's properties {layer.attribute_names}"
        )
    crs = resolve_crs(params.get("crs"))
    bbox_crs = resolve_crs(params.get("bbox-crs"))
    fmt = output_format(params.get("f"), accept)
    default_limit = api.default_limit_html if fmt == "html" else api.default_limit
    bbox = _bbox(params.get("bbox"), north_first=bbox_crs.north_first)
    swapped = bbox and axis_order_problem(bbox_crs, bbox)
    if swapped:
        raise InvalidParameter(swapped)
    query = FeatureQuery(
        bbox=bbox,
        bbox_crs=bbox_crs.uri,
        cql=_filter(params, api),
        filter_crs=resolve_crs(params.get("filter-crs")).uri,
        equals=_equals(layer, params),
        properties=_properties(layer, params.get("properties")),
        sortby=_sortby(layer, params.get("sortby")),
        limit=min(_int(params, "limit", default_limit, minimum=1), api.max_limit),
        offset=_int(params, "offset", 0, minimum=0),
        crs=crs.uri,
        count_cap=api.count_cap,
        version=_optional_int(params, "version"),
    )
    return ItemsRequest(query, fmt, crs.uri, dict(params))


def output_format(f: str | None, accept: str) -> str:
    """Return ``json``, ``html``, ``gpkg`` or ``fgb`` from ``f`` or the Accept header
    (406 when the client accepts none of them)."""
    if f:
        value = f.lower()
        aliases = {
            "geojson": "json",
            "application/geo+json": "json",
            "flatgeobuf": "fgb",
            "geopackage": "gpkg",
            "text/html": "html",
        }
        value = aliases.get(value, value)
        if value not in ("json", "html", *DOWNLOAD_FORMATS):
            raise InvalidParameter(f"f={f!r} is not offered; use json (GeoJSON), html, gpkg or fgb")
        return value
    return negotiate_features(accept)


_NUMBER = re.compile(r"\s*[-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?\s*")


def _bbox(text: str | None, *, north_first: bool) -> tuple | None:
    if text is None:
        return None
    parts = text.split(",")
    if len(text) > 1_000 or not all(_NUMBER.fullmatch(v) for v in parts):
        raise InvalidParameter(f"bbox={text[:100]!r} is not 4 or 6 comma-separated numbers")
    values = [float(v) for v in parts]
    if not all(math.isfinite(v) for v in values):
        raise InvalidParameter(f"bbox={text!r}: numbers out of range (not finite)")
    if len(values) == 6:
        values = [values[0], values[1], values[3], values[4]]
    if len(values) != 4:
        raise InvalidParameter(f"bbox={text!r} needs 4 (or 6 with heights) numbers")
    if north_first:
        values = [values[1], values[0], values[3], values[2]]
    if values[1] > values[3]:
        raise InvalidParameter(
            f"bbox={text!r}: the lower bound of the second axis exceeds its upper bound"
        )
    # minx > maxx is allowed: a box crossing the antimeridian (OGC API Features §7.15.3).
    return tuple(values)


def _filter(params: Mapping[str, str], api: ApiSettings) -> Any:
    text = params.get("filter")
    if text is None:
        if "filter-lang" in params or "filter-crs" in params:
            raise InvalidParameter("filter-lang/filter-crs given without a filter")
        return None
    return parse_filter(text, params.get("filter-lang"), api.filters)


def _equals(layer: LayerDef, params: Mapping[str, str]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for name in layer.attribute_names:
        if name in params and name not in ITEMS_PARAMETERS:
            out[name] = typed_value(layer, name, params[name])
    return out


def typed_value(layer: LayerDef, name: str, text: str) -> Any:
    """Convert a query-string value to the attribute's type."""
    attr = layer.attribute(name)
    kind = attr.type if attr else AttributeType.string
    try:
        if kind == AttributeType.integer:
            return int(text)
        if kind == AttributeType.number:
            return float(text)
    except ValueError:
        raise InvalidParameter(f"{name}={text!r} is not a {kind.value}") from None
    if kind == AttributeType.boolean:
        if text.lower() not in ("true", "false"):
            raise InvalidParameter(f"{name}={text!r} is not true or false")
        return text.lower() == "true"
    return text


def _properties(layer: LayerDef, text: str | None) -> list[str] | None:
    if text is None:
        return None
    names = [n.strip() for n in text.split(",") if n.strip()]
    unknown = [n for n in names if n not in layer.attribute_names]
    if unknown:
        raise InvalidParameter(
            f"properties: unknown {unknown}; the layer has {layer.attribute_names}"
        )
    return names


def _sortby(layer: LayerDef, text: str | None) -> list[SortKey]:
    if not text:
        return []
    keys = []
    for raw in text.split(","):
        term = raw.strip()
        ascending = not term.startswith("-")
        name = term.lstrip("+-").strip()
        name, _, direction = name.partition(" ")
        if direction.upper() == "DESC":
            ascending = False
        if name not in (*layer.attribute_names, "id"):
            raise InvalidParameter(
                f"sortby: unknown property {name!r}; sortable are {[*layer.attribute_names, 'id']}"
            )
        keys.append(SortKey(name, ascending))
    return keys


def _int(params: Mapping[str, str], name: str, default: int, *, minimum: int) -> int:
    text = params.get(name)
    if text is None:
        return default
    try:
        value = int(text)
    except ValueError:
        raise InvalidParameter(f"{name}={text!r} is not an integer") from None
    if not minimum <= value <= INT64_MAX:
        raise InvalidParameter(f"{name}={text} must be between {minimum} and {INT64_MAX}")
    return value


def _optional_int(params: Mapping[str, str], name: str) -> int | None:
    return None if params.get(name) is None else _int(params, name, 0, minimum=1)


def items_document(
    page: GeoJSONPage,
    request: ItemsRequest,
    *,
    items_url: str,
    collection_url: str,
) -> bytes:
    """Return the FeatureCollection JSON of a page, with paging links."""
    query = request.query
    params = {k: v for k, v in request.params.items() if k != "f"}
    links = [
        link(with_query(items_url, {**params, "f": "json"}), "self", GEOJSON),
        link(with_query(items_url, {**params, "f": "html"}), "alternate", HTML),
        link(collection_url, "collection", "application/json"),
    ]
    limit = query.limit or 0
    more = page.number_returned == limit and (
        page.number_matched is None or query.offset + limit < page.number_matched
    )
    if more:
        nxt = {**params, "offset": query.offset + limit, "limit": limit}
        links.append(link(with_query(items_url, nxt), "next", GEOJSON, "next page"))
    if query.offset > 0:
        prev = {**params, "offset": max(0, query.offset - limit), "limit": limit}
        links.append(link(with_query(items_url, prev), "prev", GEOJSON, "previous page"))
    tail: dict[str, Any] = {
        "numberReturned": page.number_returned,
        "timeStamp": datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "links": links,
    }
    if page.number_matched is not None:
        tail["numberMatched"] = page.number_matched
    if request.crs_uri != CRS84_URI:
        tail["crs"] = request.crs_uri
    return (
        b'{"type":"FeatureCollection","features":[' + page.features + b"]," + orjson.dumps(tail)[1:]
    )
