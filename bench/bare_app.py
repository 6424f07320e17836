"""The bare endpoint of the tile benchmark: FastAPI returning 20 KB, nothing else."""

from __future__ import annotations

import os

from fastapi import FastAPI
from fastapi.responses import Response

BODY = os.urandom(20_000)
app = FastAPI()


@app.get("/bare/{i}")
async def bare(i: int) -> Response:
    """Return 20 KB of bytes."""
    return Response(BODY, media_type="application/vnd.mapbox-vector-tile")
