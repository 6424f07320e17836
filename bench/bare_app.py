"""The bare endpoint of the tile benchmark: FastAPI returning stored bytes, nothing else.

The benchmark PUTs geoservice's cached tiles here once; GETs then return the same
bytes (gzipped once beforehand for clients that accept gzip), so "cached tiles
vs bare" compares serving the same bodies with and without geoservice's work.
"""

from __future__ import annotations

import gzip

from fastapi import FastAPI, Request
from fastapi.responses import Response

MEDIA = "application/vnd.mapbox-vector-tile"
TILES: dict[str, tuple[bytes, bytes]] = {}
app = FastAPI()


@app.put("/bare/{z}/{x}/{y}")
async def keep(z: int, x: int, y: int, request: Request) -> Response:
    """Keep a tile's bytes (and their gzip)."""
    body = await request.body()
    TILES[f"{z}/{x}/{y}"] = (body, gzip.compress(body, 6, mtime=0) if body else b"")
    return Response(status_code=204)


@app.get("/bare/{z}/{x}/{y}")
async def bare(z: int, x: int, y: int, request: Request) -> Response:
    """Return the kept tile in the encoding the client takes."""
    raw, zipped = TILES.get(f"{z}/{x}/{y}", (b"", b""))
    if not raw:
        return Response(status_code=204)
    if "gzip" in request.headers.get("accept-encoding", ""):
        return Response(zipped, media_type=MEDIA, headers={"Content-Encoding": "gzip"})
    return Response(raw, media_type=MEDIA)
