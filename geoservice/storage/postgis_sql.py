"""SQL text of the PostGIS store: the CQL2 dialect and expression builders.

Pure functions returning SQL fragments; the store (``postgis.py``) runs them.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime
from typing import Any

import shapely

from geoservice.catalog.models import LayerDef
from geoservice.crs import resolve_crs, same_crs
from geoservice.storage.base import FeatureQuery
from geoservice.storage.querybuild import build_where, order_by, storage_boxes
from geoservice.storage.schema import GEOMETRY_COLUMN
from geoservice.storage.sqlfragment import Fragment, binary


class PostgresDialect:
    """CQL2 compilation target for PostGIS."""

    placeholder = "%s"

    def __init__(self, srid: int) -> None:
        self.srid = srid

    def ident(self, name: str) -> str:
        """Quote an identifier."""
        return '"' + name.replace('"', '""') + '"'

    def spatial(
        self, op: str, column: str, geometry: shapely.Geometry, *, prefilter: bool = True
    ) -> Fragment:
        """Return ``ST_<Op>(column, literal)`` (NULL for a NULL geometry); GiST serves it."""
        function = "ST_" + op.removeprefix("s_").capitalize()
        return Fragment(
            f"{function}({self.ident(column)}, ST_GeomFromWKB(%s, {self.srid}))",
            (shapely.to_wkb(geometry),),
        )

    def casei(self, expr: Fragment) -> Fragment:
        """Case-fold (PostgreSQL lower() is Unicode-aware with a UTF-8 database)."""
        return Fragment("lower(") + expr + Fragment(")")

    def accenti(self, expr: Fragment) -> Fragment:
        """Strip accents with the ``unaccent`` extension."""
        return Fragment("unaccent(") + expr + Fragment(")")

    def null(self, kind: str) -> str:
        """Return a typed NULL (``NULL + NULL`` has no operator to choose)."""
        types = {
            "string": "text",
            "number": "double precision",
            "boolean": "boolean",
            "date": "date",
            "timestamp": "timestamptz",
        }
        return f"CAST(NULL AS {types[kind]})" if kind in types else "NULL"

    def ordered(self, expr: Fragment) -> Fragment:
        """Order text by code point, as the GeoPackage store does, whatever the locale."""
        return Fragment("(") + expr + Fragment(' COLLATE "C")')

    def like(self, lhs: Fragment, pattern: str, wrappers: Sequence[str]) -> Fragment:
        """Return ``lhs LIKE pattern ESCAPE '\\'`` (case-sensitive)."""
        literal = Fragment("%s", (pattern,))
        for name in wrappers:
            literal = self.casei(literal) if name == "casei" else self.accenti(literal)
        return Fragment("(") + lhs + Fragment(" LIKE ") + literal + Fragment(" ESCAPE '\\')")

    def temporal_literal(self, value: date | datetime) -> Any:
        """Dates and timestamps travel as typed parameters."""
        return value

    def arithmetic(self, op: str, lhs: Fragment, rhs: Fragment) -> Fragment:
        """Arithmetic: power(), truncated division and numeric modulo; x / 0 is NULL."""
        if op == "^":
            return Fragment("power(") + lhs + Fragment(", ") + rhs + Fragment(")")
        divisor = Fragment("NULLIF(") + rhs + Fragment(", 0)")
        if op == "div":
            return Fragment("trunc(") + binary(lhs, "/", divisor) + Fragment(")")
        if op == "%":  # numeric: CQL2 numbers arrive as floats
            return (
                Fragment("mod((")
                + lhs
                + Fragment(")::numeric, NULLIF((")
                + rhs
                + Fragment(")::numeric, 0))")
            )
        if op == "/":
            return binary(lhs, "/", divisor)
        return binary(lhs, op, rhs)


def session_options(schema: str) -> str:
    """Return the libpq ``options`` of the store's connections.

    Requests are small indexed lookups: starting parallel workers costs far more
    (10-20 ms) than the ~1 ms of work they would share.
    """
    return f"-c search_path={schema},public -c max_parallel_workers_per_gather=0"


def property_names(layer: LayerDef, properties: Sequence[str] | None) -> list[str]:
    """Return the attribute names a query returns."""
    return layer.attribute_names if properties is None else list(properties)


def geometry_expr(layer: LayerDef, crs: str, *, north_first: bool) -> str:
    """Return the SQL of the geometry column in an output CRS and axis order."""
    expr = GEOMETRY_COLUMN
    if not same_crs(layer.storage_crs, crs):
        expr = f"ST_Transform({expr}, {resolve_crs(crs).srid})"
    if north_first:
        expr = f"ST_FlipCoordinates({expr})"
    return expr


def feature_expr(layer: LayerDef, query: FeatureQuery) -> str:
    """Return the SQL of one GeoJSON Feature as text, for a table aliased ``t``."""
    names = property_names(layer, query.properties)
    north_first = resolve_crs(query.crs).north_first
    geom = geometry_expr(layer, query.crs, north_first=north_first)
    props = ", ".join(f't."{n}"' for n in names)
    properties = f"(SELECT row_to_json(p) FROM (SELECT {props}) p)::text" if names else "'{}'"
    return (
        '\'{"type":"Feature","id":\' || t.fid || \',"geometry":\' || '
        f"coalesce(ST_AsGeoJSON({geom}, 9), 'null') || ',\"properties\":' || "
        f"{properties} || '}}'"
    )


def where_clause(layer: LayerDef, query: FeatureQuery) -> Fragment:
    """Return the WHERE fragment of a query (bbox, equality filters, CQL2)."""
    srid = resolve_crs(layer.storage_crs).srid
    boxes = storage_boxes(query, layer.storage_crs)
    bbox = None
    if boxes:
        # A feature whose bounding box lies inside the query box intersects it:
        # the cheap `@` test spares ST_Intersects for all but the edge features.
        env = f"ST_MakeEnvelope(%s, %s, %s, %s, {srid})"
        g = GEOMETRY_COLUMN
        test = f"({g} && {env} AND ({g} @ {env} OR ST_Intersects({g}, {env})))"
        bbox = Fragment(
            "(" + " OR ".join([test] * len(boxes)) + ")",
            tuple(v for b in boxes for v in b * 3),
        )
    return build_where(layer, query, PostgresDialect(srid), bbox)


def paged(select: str, where: Fragment, query: FeatureQuery) -> tuple[str, tuple]:
    """Append WHERE, ORDER BY, LIMIT and OFFSET to a SELECT."""
    text = f"{select} WHERE {where.sql} {order_by(query, PostgresDialect(0))}"
    params = where.params
    if query.limit is not None:
        text += " LIMIT %s"
        params += (query.limit,)
    if query.offset:
        text += " OFFSET %s"
        params += (query.offset,)
    return text, params
