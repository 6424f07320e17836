"""Tile matrix sets (morecantile) and the checks that turn a tile address into bounds.

Two sets are offered: ``WebMercatorQuad`` (what web maps use) and
``WorldCRS84Quad`` (lon/lat, two tiles at zoom 0). A tile outside the set's
matrices, or outside a tileset's limits, raises :class:`TileNotFound` (404, as
OGC API Tiles /req/core/tc-error asks).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from functools import cache

import morecantile
from morecantile import TileMatrixSet

from geoservice.errors import TileNotFound

OFFERED = ("WebMercatorQuad", "WorldCRS84Quad")
TMS_CRS = {"WebMercatorQuad": "EPSG:3857", "WorldCRS84Quad": "OGC:CRS84"}
# What a tileset of no data claims to cover: the world as Web Mercator draws it.
WORLD_BOUNDS = (-180.0, -85.0, 180.0, 85.0)


@dataclass(frozen=True)
class TileAddress:
    """One tile: tile matrix set id, zoom (tile matrix), row and column."""

    tms: str
    z: int
    row: int
    col: int

    def __str__(self) -> str:
        return f"{self.tms}/{self.z}/{self.row}/{self.col}"


@cache
def get_tms(tms_id: str) -> TileMatrixSet:
    """Return an offered tile matrix set, or raise :class:`TileNotFound`."""
    if tms_id not in OFFERED:
        raise TileNotFound(f"tile matrix set {tms_id!r} is not offered; use one of {OFFERED}")
    return morecantile.tms.get(tms_id)


def tms_crs(tms_id: str) -> str:
    """Return the CRS of a tile matrix set as geoservice spells it."""
    get_tms(tms_id)
    return TMS_CRS[tms_id]


@cache
def _matrix_size(tms_id: str, z: int) -> tuple[int, int] | None:
    tms = get_tms(tms_id)
    if not tms.minzoom <= z <= tms.maxzoom:
        return None
    matrix = tms.matrix(z)
    return matrix.matrixWidth, matrix.matrixHeight


def check_tile(tms_id: str, z: int, row: int, col: int) -> TileAddress:
    """Return the address if the tile exists in the tile matrix set, else raise."""
    size = _matrix_size(tms_id, z)
    if size is None:
        raise TileNotFound(f"{tms_id} has no tile matrix {z}")
    width, height = size
    if not (0 <= row < height and 0 <= col < width):
        raise TileNotFound(
            f"tile {tms_id}/{z}/{row}/{col} is outside the tile matrix "
            f"(rows 0-{height - 1}, columns 0-{width - 1})"
        )
    return TileAddress(tms_id, z, row, col)


@cache
def tile_bounds(address: TileAddress) -> tuple[float, float, float, float]:
    """Return the tile's bounds in the tile matrix set's CRS (GIS axis order)."""
    tms = get_tms(address.tms)
    b = tms.xy_bounds(morecantile.Tile(address.col, address.row, address.z))
    return (b.left, b.bottom, b.right, b.top)


def tile_limits(
    tms_id: str, bbox_crs84: tuple[float, float, float, float], min_zoom: int, max_zoom: int
) -> list[dict]:
    """Return OGC ``tileMatrixSetLimits`` covering a lon/lat box for a zoom range."""
    tms = get_tms(tms_id)
    west, south, east, north = _clamp(bbox_crs84, tms)
    limits = []
    for z in range(max(min_zoom, tms.minzoom), min(max_zoom, tms.maxzoom) + 1):
        upper_left = tms.tile(west, north, z)
        lower_right = tms.tile(_inside(east, west), _inside(south, north), z)
        limits.append(
            {
                "tileMatrix": str(z),
                "minTileRow": upper_left.y,
                "maxTileRow": lower_right.y,
                "minTileCol": upper_left.x,
                "maxTileCol": lower_right.x,
            }
        )
    return limits


def within_limits(address: TileAddress, limits: list[dict]) -> bool:
    """Tell whether a tile lies inside ``tileMatrixSetLimits``."""
    for limit in limits:
        if limit["tileMatrix"] == str(address.z):
            return (
                limit["minTileRow"] <= address.row <= limit["maxTileRow"]
                and limit["minTileCol"] <= address.col <= limit["maxTileCol"]
            )
    return False


def _clamp(bbox, tms: TileMatrixSet) -> tuple[float, float, float, float]:
    west, south, east, north = bbox
    lat_limit = 85.0511287798 if tms.id == "WebMercatorQuad" else 90.0
    return (
        max(west, -180.0),
        max(south, -lat_limit),
        min(east, 180.0),
        min(north, lat_limit),
    )


def _inside(edge: float, other: float) -> float:
    # A box edge on a tile border belongs to the tile before it.
    if edge == other:
        return edge
    return math.nextafter(edge, other)
