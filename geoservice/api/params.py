"""Integer path and query parameters with declared bounds.

Every integer a request may carry is bounded here, so a huge value is a 400 in the
error body (``api/errors.py`` maps validation errors) and the OpenAPI document
states the range, never an overflow in a store.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import Path, Query

from geoservice.features import INT64_MAX

MAX_ZOOM = 30
"""Deepest tile matrix a tile URL may name (beyond any tile matrix set served)."""

MAX_TILE_INDEX = 2**MAX_ZOOM - 1
"""Largest row or column of the deepest tile matrix.

Tile numbers within these magnitudes but outside a tile matrix (a negative row,
zoom 25 of a set that stops at 24) stay 404 "no such tile"; only absurd ones are
refused as bad parameters.
"""

FeatureIdPath = Annotated[int, Path(description="feature id", ge=-INT64_MAX, le=INT64_MAX)]
VersionQuery = Annotated[
    int | None, Query(description="a past version of the layer (see /versions)", ge=1, le=INT64_MAX)
]
VersionPath = Annotated[
    int, Path(description="version number (1 is the first)", ge=1, le=INT64_MAX)
]
OffsetQuery = Annotated[int, Query(description="entries to skip", ge=0, le=INT64_MAX)]
TileMatrixPath = Annotated[int, Path(description="zoom level", ge=-MAX_ZOOM, le=MAX_ZOOM)]
TileRowPath = Annotated[int, Path(description="tile row", ge=-MAX_TILE_INDEX, le=MAX_TILE_INDEX)]
TileColPath = Annotated[int, Path(description="tile column", ge=-MAX_TILE_INDEX, le=MAX_TILE_INDEX)]
