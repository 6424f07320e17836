"""Build shapely geometries from the WKB GDAL returns, without trusting it.

A geometry's vertices are counted from its WKB (its length bounds them, its
headers give them exactly) before shapely builds it, so one huge polygon is
refused instead of being copied a few times over in memory. WKB shapely cannot
build (a ring that is not closed, a truncated blob) becomes a problem naming
the feature instead of an exception that would stop the whole upload, and a
point GDAL made of NaN coordinates is told apart from a missing geometry.
"""

from __future__ import annotations

import math
import struct
import warnings
from collections.abc import Callable

import numpy as np
import shapely
from shapely.errors import GEOSException

from geoservice.errors import UploadTooLarge
from geoservice.ingest.records import RowProblem

WKB_HEADER = 9  # byte order, type code, one count
MIN_VERTEX_BYTES = 16  # two doubles


def decode(
    wkb: np.ndarray,
    positions: np.ndarray,
    *,
    max_vertices: int,
    place: Callable[[int], str],
) -> tuple[np.ndarray, list[RowProblem]]:
    """Return shapely geometries for ``wkb`` (None where missing) and the problems found.

    Raises
    ------
    UploadTooLarge
        When a geometry has more than ``max_vertices`` vertices (checked before it
        is built); the message names it with ``place(position)``.
    """
    _check_sizes(wkb, positions, max_vertices, place)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        geoms = shapely.from_wkb(wkb, on_invalid="ignore")
    problems: list[RowProblem] = []
    present = np.array([b is not None for b in wkb], dtype=bool)
    for i in np.flatnonzero(present & shapely.is_missing(geoms)):
        geoms[i], problem = _unreadable(wkb[i], int(positions[i]))
        problems.append(problem)
    empty_points = present & (shapely.get_type_id(geoms) == 0) & shapely.is_empty(geoms)
    for i in np.flatnonzero(empty_points):
        if _nan_point(wkb[i]):
            problems.append(
                RowProblem(
                    int(positions[i]),
                    "coordinates-finite",
                    "has a NaN (not a number) coordinate, so its point is empty; give it "
                    "real coordinates or remove it",
                )
            )
    return geoms, problems


def _check_sizes(wkb, positions, max_vertices: int, place) -> None:
    sizes = np.fromiter((len(b) if b is not None else 0 for b in wkb), np.int64, len(wkb))
    for i in np.flatnonzero((sizes - WKB_HEADER) // MIN_VERTEX_BYTES > max_vertices):
        count = wkb_vertices(bytes(wkb[i]))
        if count > max_vertices:
            raise UploadTooLarge(
                f"{place(int(positions[i]))}: {count:,} vertices, more than the limit of "
                f"{max_vertices:,} per feature; simplify it (QGIS: Vector > Geometry > "
                "Simplify) or split it [rule feature-coordinates]"
            )


def _unreadable(blob: bytes, position: int) -> tuple[object, RowProblem]:
    try:
        shapely.from_wkb(blob)
        reason = "unknown reason"
    except (GEOSException, ValueError, TypeError) as exc:
        reason = str(exc).removeprefix("IllegalArgumentException: ")
    if "closed linestring" in reason:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)
            fixed = shapely.from_wkb(blob, on_invalid="fix")
        message = "a ring is not closed (its last vertex is not its first)"
        return fixed, RowProblem(position, "ring-closed", message, repairable=True)
    message = f"its geometry cannot be read ({reason}); the file may be damaged"
    return None, RowProblem(position, "geometry-unreadable", message)


def _nan_point(blob: bytes) -> bool:
    """Tell whether a point's WKB holds NaN coordinates (shapely reads them as empty)."""
    if len(blob) < 21:
        return False
    order = "<" if blob[0] == 1 else ">"
    (code,) = struct.unpack_from(order + "I", blob, 1)
    at = 9 if code & 0x20000000 else 5
    if len(blob) < at + 16:
        return False
    x, y = struct.unpack_from(order + "dd", blob, at)
    return math.isnan(x) or math.isnan(y)


def wkb_vertices(blob: bytes) -> int:
    """Return the number of vertices of a WKB/EWKB geometry from its headers alone."""
    try:
        return _walk(blob, 0)[0]
    except (struct.error, IndexError, RecursionError):
        return max(len(blob) - WKB_HEADER, 0) // MIN_VERTEX_BYTES


def _walk(blob: bytes, at: int) -> tuple[int, int]:
    order = "<" if blob[at] == 1 else ">"
    (code,) = struct.unpack_from(order + "I", blob, at + 1)
    at += 5
    if code & 0x20000000:  # EWKB SRID
        at += 4
    iso = (code & 0x0FFFFFFF) // 1000
    dims = 2 + (bool(code & 0x80000000) or iso in (1, 3)) + (bool(code & 0x40000000) or iso >= 2)
    kind = (code & 0x0FFFFFFF) % 1000
    if kind == 1:
        return 1, at + 8 * dims
    (n,) = struct.unpack_from(order + "I", blob, at)
    at += 4
    if kind == 2:
        return n, at + 8 * dims * n
    if kind == 3:
        total = 0
        for _ in range(n):
            (points,) = struct.unpack_from(order + "I", blob, at)
            total, at = total + points, at + 4 + 8 * dims * points
        return total, at
    total = 0
    for _ in range(n):
        count, at = _walk(blob, at)
        total += count
    return total, at
