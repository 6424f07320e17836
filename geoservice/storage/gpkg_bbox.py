"""Features of a GeoPackage table intersecting boxes: R-tree, then an exact test.

The R-tree gives candidates and their (float32, outward-rounded) envelopes. A
candidate whose envelope lies inside a box certainly intersects it; only features
straddling a box edge need the exact test. A bbox-only page (:func:`bbox_page`)
decodes and tests those all at once with shapely, rather than one Python call per
row; a bbox combined with other filters becomes a WHERE fragment
(:func:`bbox_fragment`) whose exact test is a registered SQL function.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Sequence
from dataclasses import dataclass

import shapely

from geoservice.features import BBox
from geoservice.storage import gpkg_blob
from geoservice.storage.cql import Fragment
from geoservice.storage.gpkg_sql import rtree_name
from geoservice.storage.schema import GEOMETRY_COLUMN

OVERLAP = "(r.maxx >= ? AND r.minx <= ? AND r.maxy >= ? AND r.miny <= ?)"
INSIDE = "(r.minx >= ? AND r.maxx <= ? AND r.miny >= ? AND r.maxy <= ?)"


def bbox_fragment(table: str, boxes: Sequence[BBox], *, points: bool) -> Fragment | None:
    """Return the WHERE fragment of features of ``table`` intersecting any box."""
    if not boxes:
        return None
    rtree = rtree_name(table)
    params = _box_params(boxes)
    overlap = " OR ".join([OVERLAP] * len(boxes))
    candidates = Fragment(f'fid IN (SELECT r.id FROM "{rtree}" r WHERE {overlap})', params)
    if points:  # a point's envelope is the point: overlapping is intersecting
        return candidates
    inside = " OR ".join([INSIDE] * len(boxes))
    contained = Fragment(f'fid IN (SELECT r.id FROM "{rtree}" r WHERE {inside})', params)
    area = shapely.union_all([shapely.box(*b) for b in boxes])
    exact = Fragment(f"gs_s_intersects({GEOMETRY_COLUMN}, ?)", (shapely.to_wkb(area),))
    return candidates + Fragment(" AND (") + contained + Fragment(" OR ") + exact + Fragment(")")


def bbox_page(
    conn: sqlite3.Connection,
    table: str,
    boxes: Sequence[BBox],
    *,
    columns: str,
    limit: int | None,
    offset: int,
) -> tuple[list[tuple], int]:
    """Return one page of rows (``columns``, ordered by id) and how many match."""
    match = _match(conn, table, boxes)
    rows = conn.execute(
        f'SELECT {columns} FROM "{table}" JOIN ({match.page_ids}) p ON fid = p.id ORDER BY fid',
        match.page_params(limit, offset),
    ).fetchall()
    return rows, match.count


def bbox_page_text(
    conn: sqlite3.Connection,
    table: str,
    texts: str,
    boxes: Sequence[BBox],
    *,
    limit: int | None,
    offset: int,
) -> tuple[bytes, int, int]:
    """Return one page of stored feature texts (table ``texts``: fid, feature) joined by
    commas, how many it holds and how many match.

    SQLite joins them: one row comes back instead of one per feature, and each row
    fetched is a GIL hand-off between the threads serving requests.
    """
    match = _match(conn, table, boxes)
    returned, joined = conn.execute(
        f"SELECT count(*), group_concat(feature, ',') FROM (SELECT feature FROM \"{texts}\" "
        f"JOIN ({match.page_ids}) p ON fid = p.id ORDER BY fid)",
        match.page_params(limit, offset),
    ).fetchone()
    return (joined or "").encode(), returned, match.count  # group_concat gives text


@dataclass(frozen=True)
class _Match:
    """The features of a table intersecting boxes: those inside (left in SQLite) and
    those on an edge that passed the exact test."""

    page_ids: str
    inside_params: tuple
    hits: list[int]
    count: int

    def page_params(self, limit: int | None, offset: int) -> tuple:
        return (*self.inside_params, json.dumps(self.hits), -1 if limit is None else limit, offset)


def _match(conn: sqlite3.Connection, table: str, boxes: Sequence[BBox]) -> _Match:
    rtree = rtree_name(table)
    params = _box_params(boxes)
    overlap = " OR ".join([OVERLAP] * len(boxes))
    inside = " OR ".join([INSIDE] * len(boxes))
    edge = conn.execute(
        f'SELECT t.fid, t.{GEOMETRY_COLUMN} FROM "{rtree}" r JOIN "{table}" t ON t.fid = r.id '
        f"WHERE ({overlap}) AND NOT ({inside})",
        params + params,
    ).fetchall()
    hits: list[int] = []
    if edge:
        area = shapely.union_all([shapely.box(*b) for b in boxes])
        found = shapely.intersects(gpkg_blob.decode([r[1] for r in edge]), area)
        hits = [r[0] for r, hit in zip(edge, found, strict=True) if hit]
    (inner,) = conn.execute(f'SELECT count(*) FROM "{rtree}" r WHERE {inside}', params).fetchone()
    page_ids = (
        f'SELECT r.id FROM "{rtree}" r WHERE {inside} '
        "UNION ALL SELECT value FROM json_each(?) ORDER BY 1 LIMIT ? OFFSET ?"
    )
    return _Match(page_ids, params, hits, inner + len(hits))


def _box_params(boxes: Sequence[BBox]) -> tuple:
    """Return the parameters of OVERLAP or INSIDE, once per box."""
    return tuple(v for (x0, y0, x1, y1) in boxes for v in (x0, x1, y0, y1))
