"""Geometry literals and LIKE patterns of a CQL2 filter, checked before any SQL.

A geometry the engines would choke on (a ``BBOX`` of three numbers, NaN
coordinates, a self-intersecting polygon GEOS answers differently in shapely
and in PostGIS) is a 400 here, as is a LIKE pattern ending in its escape
character, which PostgreSQL refuses only when a row reaches it.
"""

from __future__ import annotations

import json
import math
from typing import Any

import numpy as np
import shapely
from shapely.errors import GEOSException
from shapely.geometry import LineString, Point, box, shape

from geoservice.errors import InvalidFilter
from geoservice.storage.cql_types import check_text

MAX_PATTERN_CHARS = 10_000
"""Characters of a LIKE pattern (SQLite refuses patterns over 50 000 bytes)."""
COLLECTION_OPS = frozenset({"s_intersects", "s_disjoint"})
"""Operators both engines evaluate on a GEOMETRYCOLLECTION literal alike; PostGIS
and shapely's GEOS disagree on the others (S_TOUCHES, S_CROSSES, ...)."""


def geometry_literal(node: Any, op: str) -> shapely.Geometry:
    """Return the shapely geometry of a ``BBOX`` or GeoJSON literal, or raise a 400."""
    if isinstance(node, dict) and "bbox" in node:
        return _bbox(node["bbox"])
    if not (isinstance(node, dict) and "type" in node):
        raise InvalidFilter(f"{op.upper()} expects a geometry literal, got {_shown(node)}")
    try:
        geometry = shape(node)
    except (ValueError, TypeError, AttributeError, KeyError, IndexError, GEOSException) as exc:
        raise InvalidFilter(f"{op.upper()}: invalid geometry literal ({exc})") from None
    kind = geometry.geom_type
    if geometry.is_empty:
        raise InvalidFilter(f"{op.upper()}: the {kind} literal is empty")
    if not np.isfinite(shapely.get_coordinates(geometry)).all():
        raise InvalidFilter(f"{op.upper()}: the {kind} literal has coordinates that are not finite")
    if kind == "GeometryCollection" and op not in COLLECTION_OPS:
        raise InvalidFilter(
            f"{op.upper()} does not take a GEOMETRYCOLLECTION; use S_INTERSECTS or "
            "S_DISJOINT, or a MULTI* geometry"
        )
    if not geometry.is_valid:
        raise InvalidFilter(
            f"{op.upper()}: the {kind} literal is not valid ({shapely.is_valid_reason(geometry)}); "
            "fix it (e.g. ST_MakeValid, QGIS 'Fix geometries') or use its BBOX"
        )
    return geometry


def _bbox(values: Any) -> shapely.Geometry:
    if not isinstance(values, list) or len(values) not in (4, 6):
        raise InvalidFilter(f"BBOX takes 4 numbers (or 6 with heights), got {_shown(values)}")
    if not all(isinstance(v, int | float) and math.isfinite(v) for v in values):
        raise InvalidFilter(f"BBOX takes finite numbers, got {_shown(values)}")
    if len(values) == 6:
        values = [values[0], values[1], values[3], values[4]]
    minx, miny, maxx, maxy = (float(v) for v in values)
    if miny > maxy:
        raise InvalidFilter(
            f"BBOX({minx:g},{miny:g},{maxx:g},{maxy:g}): the lower bound of the second axis "
            "exceeds its upper bound"
        )
    if minx > maxx:  # crosses the antimeridian
        return shapely.union(_box(minx, miny, 180, maxy), _box(-180, miny, maxx, maxy))
    return _box(minx, miny, maxx, maxy)


def _box(minx: float, miny: float, maxx: float, maxy: float) -> shapely.Geometry:
    """Return the box, or the point or line it is when flat (a flat polygon is invalid,
    and GEOS in PostGIS and in shapely then disagree)."""
    if minx < maxx and miny < maxy:
        return box(minx, miny, maxx, maxy)
    if (minx, miny) == (maxx, maxy):
        return Point(minx, miny)
    return LineString([(minx, miny), (maxx, maxy)])


def like_pattern(node: Any) -> tuple[str, list[str]]:
    """Return a LIKE pattern's text and the functions wrapping it, innermost first.

    CQL2 patterns are literals, optionally in ``CASEI``/``ACCENTI``; ``%`` and ``_``
    are wildcards and ``\\`` escapes the next character.
    """
    wrappers: list[str] = []
    while isinstance(node, dict) and str(node.get("op", "")).lower() in ("casei", "accenti"):
        args = node.get("args")
        if not isinstance(args, list) or len(args) != 1:
            raise InvalidFilter(f"{node['op'].upper()} takes 1 argument")
        wrappers.append(node["op"].lower())
        node = args[0]
    if not isinstance(node, str):
        raise InvalidFilter(f"a LIKE pattern must be a text literal, got {_shown(node)}")
    check_text(node)
    if len(node) > MAX_PATTERN_CHARS:
        raise InvalidFilter(
            f"LIKE pattern is {len(node):,} characters long; at most {MAX_PATTERN_CHARS:,}"
        )
    trailing = len(node) - len(node.rstrip("\\"))
    if trailing % 2:
        raise InvalidFilter(
            "LIKE pattern ends with the escape character \\; write \\\\ for a backslash"
        )
    return node, wrappers[::-1]


def _shown(node: Any) -> str:
    text = json.dumps(node)
    return text if len(text) <= 120 else text[:117] + "..."
