"""Coordinate reference systems offered by the service (OGC API Features Part 2).

Internally every coordinate is kept in "GIS order" (x = easting/longitude, y =
northing/latitude), as shapely and GeoPandas expect. Axis order is honoured only
at the edges: when a client names ``EPSG:4326`` (latitude first by definition) in
``crs`` or ``bbox-crs``, coordinates are swapped on the way out or in.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from functools import cache, cached_property

import numpy as np
import shapely
from pyproj import CRS, Transformer

from geoservice.errors import UnsupportedCRS

CRS84_URI = "http://www.opengis.net/def/crs/OGC/1.3/CRS84"
EPSG_URI = "http://www.opengis.net/def/crs/EPSG/0/{code}"

# CGCS2000 (4490) and its 3-degree Gauss-Krueger zones with a "CM" axis (4534-4554),
# the CRSs Chinese survey data arrive in, plus WGS84 and Web Mercator.
OFFERED_EPSG = (4326, 3857, 4490, *range(4534, 4555))


@dataclass(frozen=True)
class CrsRef:
    """A CRS as the API names it, with what is needed to transform into it."""

    uri: str
    crs: CRS
    north_first: bool

    @cached_property  # to_epsg() is a pyproj lookup (~25 µs); stores ask per request
    def epsg(self) -> int | None:
        """Return the EPSG code, or None for CRS84."""
        return None if self.uri == CRS84_URI else self.crs.to_epsg()

    @property
    def srid(self) -> int:
        """Return the SRID used by the stores (CRS84 is stored as 4326, lon/lat)."""
        return self.epsg or 4326


def offered_crs_uris() -> list[str]:
    """Return the URIs listed as ``crs`` of every collection."""
    return [CRS84_URI, *(EPSG_URI.format(code=code) for code in OFFERED_EPSG)]


def resolve_crs(value: str | None) -> CrsRef:
    """Parse a CRS given as an OGC URI, ``EPSG:n``, ``OGC:CRS84`` or a bare code.

    Raises
    ------
    UnsupportedCRS
        For anything outside :data:`OFFERED_EPSG` and CRS84.
    """
    if value is None or value.strip() in ("", CRS84_URI, "OGC:CRS84", "CRS84"):
        return _crs84()
    text = value.strip().strip("[]")
    code = _epsg_code(text)
    if code not in OFFERED_EPSG:
        shown = value if len(value) <= 100 else value[:97] + "..."
        raise UnsupportedCRS(
            f"CRS {shown!r} is not offered; use one of: CRS84, "
            + ", ".join(f"EPSG:{c}" for c in OFFERED_EPSG)
        )
    return _offered(code)


@cache
def _crs84() -> CrsRef:
    return CrsRef(CRS84_URI, CRS.from_user_input("OGC:CRS84"), north_first=False)


@cache  # keyed by the EPSG code, not the client's spelling: the cache stays small
def _offered(code: int) -> CrsRef:
    crs = CRS.from_epsg(code)
    north = crs.axis_info[0].direction in ("north", "south")
    return CrsRef(EPSG_URI.format(code=code), crs, north_first=north)


def _epsg_code(text: str) -> int | None:
    lowered = text.lower()
    for prefix in (
        "http://www.opengis.net/def/crs/epsg/0/",
        "https://www.opengis.net/def/crs/epsg/0/",
        "epsg:",
        "urn:ogc:def:crs:epsg::",
    ):
        if lowered.startswith(prefix):
            text = text[len(prefix) :]
            break
    return int(text) if text.isascii() and text.isdigit() else None


@cache
def transformer(src: str, dst: str) -> Transformer:
    """Return a cached always-xy transformer between two CRS strings/URIs."""
    return Transformer.from_crs(_pyproj(src), _pyproj(dst), always_xy=True)


def _pyproj(value: str) -> CRS:
    if value.startswith("http"):
        return resolve_crs(value).crs
    return CRS.from_user_input(value)


def reproject_geometries(geoms: np.ndarray, src: str, dst: str) -> np.ndarray:
    """Transform shapely geometries between CRSs (GIS axis order in and out)."""
    if same_crs(src, dst):
        return geoms
    tr = transformer(src, dst)
    return shapely.transform(geoms, _xy_func(tr), interleaved=False)


def _xy_func(tr: Transformer) -> Callable[[np.ndarray, np.ndarray], tuple]:
    def func(x: np.ndarray, y: np.ndarray) -> tuple:
        return tr.transform(x, y)

    return func


def swap_axes(geoms: np.ndarray) -> np.ndarray:
    """Swap x and y of every coordinate (for north-first output CRSs)."""
    return shapely.transform(geoms, lambda xy: xy[:, ::-1])


def union_boxes(
    boxes: Iterable[tuple[float, float, float, float] | None],
) -> tuple[float, float, float, float] | None:
    """Return the box covering ``boxes`` (missing ones ignored), or None if none is given."""
    present = [b for b in boxes if b is not None]
    if not present:
        return None
    return (
        min(b[0] for b in present),
        min(b[1] for b in present),
        max(b[2] for b in present),
        max(b[3] for b in present),
    )


def reproject_bbox(
    bbox: tuple[float, float, float, float], src: str, dst: str
) -> tuple[float, float, float, float]:
    """Transform a bbox, densifying its edges so curved edges are covered."""
    if same_crs(src, dst):
        return bbox
    return tuple(transformer(src, dst).transform_bounds(*bbox, densify_pts=21))


@cache
def same_crs(a: str, b: str) -> bool:
    """Tell whether two CRS strings denote the same coordinates in GIS order."""
    if a == b:
        return True
    ca, cb = _pyproj(a), _pyproj(b)
    geographic_wgs84 = {4326, None}
    if ca.to_epsg() in geographic_wgs84 and cb.to_epsg() in geographic_wgs84:
        return ca.is_geographic and cb.is_geographic and ca.datum == cb.datum
    return ca == cb


GK3_FIRST_EPSG, GK3_FIRST_CM = 4534, 75
"""EPSG:4534 is CGCS2000 / 3-degree Gauss-Kruger CM 75E; codes run east in 3° steps to 135E."""


def gauss_kruger_crs(lon: float) -> str:
    """Return the CGCS2000 3-degree Gauss-Krüger zone (CM axis, EPSG:4534-4554) for a longitude.

    Chinese survey data and planning measurements use the zone whose central
    meridian is nearest; outside China's 73.5-136.5°E the nearest zone of the
    range is still returned, and distances there carry that zone's scale error.

    Examples
    --------
    >>> gauss_kruger_crs(109.98)  # Dongsheng
    'EPSG:4546'
    >>> gauss_kruger_crs(107.7)  # Chongqing's centre
    'EPSG:4545'
    """
    zone = math.floor((lon - GK3_FIRST_CM) / 3 + 0.5)
    return f"EPSG:{GK3_FIRST_EPSG + min(max(zone, 0), 20)}"


def axis_order_problem(ref: CrsRef, gis_box: tuple[float, float, float, float]) -> str | None:
    """Say why a ``bbox`` given in a northing-first CRS looks given easting-first.

    ``gis_box`` is the box after the axis swap (x, y order). A box outside the CRS's
    area of use that fits once swapped back was written in the other order: it would
    silently match nothing, so the client is told the order the CRS defines.
    """
    if not ref.north_first:
        return None
    area = _area_in_gis_order(ref.epsg or 4326)
    if area is None:
        return None
    minx, miny, maxx, maxy = gis_box
    if _overlaps((minx, miny, maxx, maxy), area) or not _overlaps((miny, minx, maxy, maxx), area):
        return None
    first, second = (ref.crs.axis_info[0].name, ref.crs.axis_info[1].name)
    return (
        f"bbox-crs {ref.uri} lists {first.lower()} first, then {second.lower()}; these "
        f"values fit its area only the other way round: give bbox={minx:.10g},{miny:.10g},"
        f"{maxx:.10g},{maxy:.10g} (or drop bbox-crs and give longitude, latitude in CRS84)"
    )


@cache
def _area_in_gis_order(code: int) -> tuple[float, float, float, float] | None:
    """Return the CRS's area of use in its own units, x/y order (widened by half for a
    projected CRS, whose data often reach past the official zone)."""
    crs = CRS.from_epsg(code)
    area = crs.area_of_use
    if area is None:
        return None
    to_crs = Transformer.from_crs("OGC:CRS84", crs, always_xy=True)
    minx, miny, maxx, maxy = to_crs.transform_bounds(area.west, area.south, area.east, area.north)
    if not all(math.isfinite(v) for v in (minx, miny, maxx, maxy)):
        return None
    if crs.is_geographic:  # degrees: the range itself is the limit
        return (max(minx, -180.0), max(miny, -90.0), min(maxx, 180.0), min(maxy, 90.0))
    dx, dy = (maxx - minx) / 2, (maxy - miny) / 2
    return (minx - dx, miny - dy, maxx + dx, maxy + dy)


def _overlaps(a: tuple[float, ...], b: tuple[float, ...]) -> bool:
    return a[0] <= b[2] and b[0] <= a[2] and a[1] <= b[3] and b[1] <= a[3]
