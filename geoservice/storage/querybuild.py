"""WHERE and ORDER BY clauses shared by both stores, from a :class:`FeatureQuery`."""

from __future__ import annotations

import math
from functools import partial
from typing import Any

import shapely
from pyproj.exceptions import ProjError

from geoservice.catalog.models import AttributeType, LayerDef
from geoservice.crs import reproject_bbox, reproject_geometries
from geoservice.errors import InvalidParameter
from geoservice.features import BBox
from geoservice.storage.base import FeatureQuery
from geoservice.storage.cql import Dialect, FilterCompiler, Fragment
from geoservice.storage.gpkg_sql import SqliteDialect
from geoservice.storage.schema import GEOMETRY_COLUMN, ID_COLUMN


def queryable_columns(layer: LayerDef) -> dict[str, str]:
    """Return queryable name → column (attributes, plus ``id`` for the feature id)."""
    return {**{name: name for name in layer.attribute_names}, "id": ID_COLUMN}


def queryable_types(layer: LayerDef) -> dict[str, AttributeType]:
    """Return queryable name → attribute type (``id`` is an integer)."""
    return {**{a.name: a.type for a in layer.attributes}, "id": AttributeType.integer}


def build_where(
    layer: LayerDef,
    query: FeatureQuery,
    dialect: Dialect,
    bbox_fragment: Fragment | None,
) -> Fragment:
    """Return the WHERE fragment (``1=1`` when nothing filters)."""
    parts: list[Fragment] = []
    if bbox_fragment is not None:
        parts.append(bbox_fragment)
    for name, value in query.equals.items():
        if name not in layer.attribute_names:
            raise InvalidParameter(
                f"unknown property {name!r}; filterable properties are {layer.attribute_names}"
            )
        parts.append(Fragment(f"{dialect.ident(name)} = {dialect.placeholder}", (value,)))
    if query.cql is not None:
        compiler = FilterCompiler(
            dialect=dialect,
            columns=queryable_columns(layer),
            geometry_column=GEOMETRY_COLUMN,
            to_storage=partial(_to_storage, src=query.filter_crs, dst=layer.storage_crs),
            types=queryable_types(layer),
        )
        parts.append(compiler.compile(query.cql))
    if not parts:
        return Fragment("1=1")
    return Fragment(
        " AND ".join(f"({p.sql})" for p in parts),
        tuple(x for p in parts for x in p.params),
    )


def check_filter(layer: LayerDef, cql: Any, filter_crs: str = "OGC:CRS84") -> None:
    """Compile a parsed filter against a layer without running it (a job's inputs).

    Raises
    ------
    InvalidFilter
        For what the stores would refuse: unknown properties, types, literals.
    """
    FilterCompiler(
        dialect=SqliteDialect("check"),  # either dialect checks alike
        columns=queryable_columns(layer),
        geometry_column=GEOMETRY_COLUMN,
        to_storage=partial(_to_storage, src=filter_crs, dst=layer.storage_crs),
        types=queryable_types(layer),
    ).compile(cql)


def _to_storage(geometry: shapely.Geometry, *, src: str, dst: str) -> shapely.Geometry:
    return reproject_geometries(geometry, src, dst)


def order_by(query: FeatureQuery, dialect: Dialect) -> str:
    """Return the ORDER BY clause; the feature id breaks ties so paging is stable."""
    terms = [
        f"{dialect.ident(k.name if k.name != 'id' else ID_COLUMN)} "
        f"{'ASC' if k.ascending else 'DESC'}"
        for k in query.sortby
    ]
    if not any(k.name in ("id", ID_COLUMN) for k in query.sortby):
        terms.append(f"{ID_COLUMN} ASC")
    return "ORDER BY " + ", ".join(terms)


def storage_boxes(query: FeatureQuery, storage_crs: str) -> list[BBox]:
    """Return the query bbox in storage CRS, split in two if it crosses the antimeridian."""
    if query.bbox is None:
        return []
    minx, miny, maxx, maxy = query.bbox
    boxes = [(minx, miny, maxx, maxy)]
    if minx > maxx:
        boxes = [(minx, miny, 180.0, maxy), (-180.0, miny, maxx, maxy)]
    try:
        stored = [reproject_bbox(b, query.bbox_crs, storage_crs) for b in boxes]
    except ProjError as exc:
        raise InvalidParameter(f"bbox {query.bbox} cannot be converted: {exc}") from None
    if not all(math.isfinite(v) for b in stored for v in b):
        raise InvalidParameter(
            f"bbox {query.bbox} lies outside the area where bbox-crs can be converted "
            "to the layer's CRS"
        )
    return stored


def counted_page_ctes(
    table: str, where: Fragment, query: FeatureQuery, dialect: Dialect, *, cap: int
) -> Fragment:
    """Return CTEs ``matched`` (ids of at most ``cap + 1`` matches) and ``page``.

    ``page`` holds (fid, ord) of the requested page, taken from ``matched``, so one
    statement both finds the page and counts the matches. When more than ``cap``
    rows match, ``matched`` is a truncated set: the caller must then discard the
    page and fetch it without counting (``numberMatched`` is omitted).
    """
    ph = dialect.placeholder
    order = order_by(query, dialect)
    # Ordered by id alone, the page comes from the matched ids; other sort keys
    # need the table's columns (one primary-key lookup per match).
    source = "matched" if not query.sortby else f"matched JOIN {table} USING (fid)"
    sql = (
        f"WITH matched AS MATERIALIZED (SELECT fid FROM {table} WHERE {where.sql} LIMIT {ph}), "
        f"page AS (SELECT fid, row_number() OVER ({order}) AS ord FROM {source} "
        f"{order} LIMIT {ph} OFFSET {ph}) "
    )
    limit = -1 if query.limit is None else query.limit
    return Fragment(sql, (*where.params, cap + 1, limit, query.offset))
