"""Pre-generate a pyramid of vector tiles into the cache (and collect them for export)."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

from geoservice.catalog.models import LayerDef
from geoservice.errors import InvalidParameter
from geoservice.features import BBox
from geoservice.tiles.service import LayerPart, VectorTileService
from geoservice.tiles.tms import TileAddress, get_tms, tile_limits


@dataclass
class SeedReport:
    """What a seed run produced."""

    produced: int = 0
    empty: int = 0
    bytes: int = 0


TileSink = Callable[[TileAddress, bytes], None]
"""Receives each non-empty gzip tile as it is made (an archive being written)."""


def parse_zooms(text: str) -> range:
    """Parse ``"0-12"`` or ``"9"`` into a zoom range."""
    try:
        low, _, high = text.partition("-")
        zooms = range(int(low), int(high or low) + 1)
    except ValueError:
        raise InvalidParameter(f"zooms {text!r}: use a range like 0-12") from None
    if not zooms or zooms.start < 0:
        raise InvalidParameter(f"zooms {text!r}: use a range like 0-12")
    return zooms


def pyramid(tms_id: str, bbox: BBox, zooms: range) -> list[TileAddress]:
    """Return every tile of ``zooms`` covering a lon/lat box, zoom by zoom."""
    get_tms(tms_id)
    out = []
    for limit in tile_limits(tms_id, bbox, zooms.start, zooms.stop - 1):
        z = int(limit["tileMatrix"])
        for row in range(limit["minTileRow"], limit["maxTileRow"] + 1):
            for col in range(limit["minTileCol"], limit["maxTileCol"] + 1):
                out.append(TileAddress(tms_id, z, row, col))
    return out


def seed(
    service: VectorTileService,
    layers: Sequence[LayerDef],
    addresses: Sequence[TileAddress],
    *,
    workers: int = 2,
    sink: TileSink | None = None,
    progress: Callable[[], None] = lambda: None,
) -> SeedReport:
    """Produce (and cache) every tile of ``addresses``, in order; hand each to ``sink``.

    Tiles are written on as they come (the cache, and an archive through ``sink``)
    rather than held: a seed of millions of tiles needs no more memory than a few.
    """
    parts = [
        LayerPart(layer, tuple(layer.tiles.attributes or layer.attribute_names)) for layer in layers
    ]
    report = SeedReport()

    def one(address: TileAddress) -> tuple[TileAddress, bytes]:
        return address, service.tile(parts, address, gzip_ok=True).body

    with ThreadPoolExecutor(max_workers=max(1, workers)) as pool:
        for address, body in pool.map(one, addresses):
            report.produced += 1
            report.empty += not body
            report.bytes += len(body)
            if sink is not None and body:
                sink(address, body)
            progress()
    return report
