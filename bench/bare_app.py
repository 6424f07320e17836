"""The bare endpoint of the tile benchmark: FastAPI returning stored bytes, nothing else.

The benchmark PUTs geoservice's cached tiles here once; GETs then return the same
bytes (gzipped once beforehand for clients that accept gzip), so "cached tiles
vs bare" compares serving the same bodies with and without geoservice's work.
With several workers (``--workers``) a PUT reaches one of them: the bytes are
also written under ``BARE_DIR``, where the others read them once.
"""

from __future__ import annotations

import gzip
import os
from pathlib import Path

from fastapi import FastAPI, Request
from fastapi.responses import Response

MEDIA = "application/vnd.mapbox-vector-tile"
TILES: dict[str, tuple[bytes, bytes]] = {}
SHARED = Path(os.environ["BARE_DIR"]) if os.environ.get("BARE_DIR") else None
app = FastAPI()


def _kept(key: str) -> tuple[bytes, bytes]:
    if key not in TILES and SHARED is not None:
        path = SHARED / key.replace("/", "_")
        if path.exists():
            body = path.read_bytes()
            TILES[key] = (body, gzip.compress(body, 6, mtime=0) if body else b"")
    return TILES.get(key, (b"", b""))


@app.put("/bare/{z}/{x}/{y}")
async def keep(z: int, x: int, y: int, request: Request) -> Response:
    """Keep a tile's bytes (and their gzip)."""
    body = await request.body()
    TILES[f"{z}/{x}/{y}"] = (body, gzip.compress(body, 6, mtime=0) if body else b"")
    if SHARED is not None:
        (SHARED / f"{z}_{x}_{y}").write_bytes(body)
    return Response(status_code=204)


@app.get("/bare/{z}/{x}/{y}")
async def bare(z: int, x: int, y: int, request: Request) -> Response:
    """Return the kept tile in the encoding the client takes."""
    raw, zipped = _kept(f"{z}/{x}/{y}")
    if not raw:
        return Response(status_code=204)
    if "gzip" in request.headers.get("accept-encoding", ""):
        return Response(zipped, media_type=MEDIA, headers={"Content-Encoding": "gzip"})
    return Response(raw, media_type=MEDIA)
