"""Offline tile archives: PMTiles (``pmtiles`` writer) and MBTiles (SQLite).

Both take gzip-compressed MVT tiles addressed by WebMercatorQuad ``(z, x, y)``
(x = column, y = row from the north) plus a TileJSON-like metadata dict.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterable
from pathlib import Path

from geoservice.tiles.tms import WORLD_BOUNDS

TileItem = tuple[int, int, int, bytes]  # z, x (column), y (row from the north), gzip MVT


def write_archive(path: Path, tiles: Iterable[TileItem], metadata: dict) -> int:
    """Write ``tiles`` to ``path`` (.pmtiles or .mbtiles); return the tile count."""
    suffix = path.suffix.lower()
    if suffix == ".pmtiles":
        return write_pmtiles(path, tiles, metadata)
    if suffix == ".mbtiles":
        return write_mbtiles(path, tiles, metadata)
    raise ValueError(f"{path.name}: use a .pmtiles or .mbtiles file name")


def write_pmtiles(path: Path, tiles: Iterable[TileItem], metadata: dict) -> int:
    """Write a PMTiles v3 archive (gzip MVT, tiles clustered by tile id)."""
    from pmtiles.tile import Compression, TileType, zxy_to_tileid
    from pmtiles.writer import Writer

    items = sorted(((zxy_to_tileid(z, x, y), data) for z, x, y, data in tiles if data))
    west, south, east, north = metadata.get("bounds", WORLD_BOUNDS)
    center = metadata.get("center", ((west + east) / 2, (south + north) / 2, 0))
    tmp = path.with_name(f".{path.name}.tmp")
    with tmp.open("wb") as f:
        writer = Writer(f)
        for tile_id, data in items:
            writer.write_tile(tile_id, data)
        writer.finalize(
            {
                "tile_type": TileType.MVT,
                "tile_compression": Compression.GZIP,
                "min_lon_e7": int(west * 1e7),
                "min_lat_e7": int(south * 1e7),
                "max_lon_e7": int(east * 1e7),
                "max_lat_e7": int(north * 1e7),
                "center_zoom": int(center[2]),
                "center_lon_e7": int(center[0] * 1e7),
                "center_lat_e7": int(center[1] * 1e7),
            },
            metadata,
        )
    tmp.replace(path)
    return len(items)


def write_mbtiles(path: Path, tiles: Iterable[TileItem], metadata: dict) -> int:
    """Write an MBTiles 1.3 file (TMS row order, gzip MVT, metadata with vector_layers)."""
    tmp = path.with_name(f".{path.name}.tmp")
    tmp.unlink(missing_ok=True)
    conn = sqlite3.connect(tmp)
    count = 0
    try:
        conn.executescript(
            "CREATE TABLE metadata (name text, value text);"
            "CREATE TABLE tiles (zoom_level integer, tile_column integer, tile_row integer, "
            "tile_data blob);"
            "CREATE UNIQUE INDEX tile_index ON tiles (zoom_level, tile_column, tile_row);"
        )
        for z, x, y, data in tiles:
            if data:
                conn.execute(
                    "INSERT INTO tiles VALUES (?, ?, ?, ?)", (z, x, (1 << z) - 1 - y, data)
                )
                count += 1
        conn.executemany("INSERT INTO metadata VALUES (?, ?)", _mbtiles_metadata(metadata))
        conn.commit()
    finally:
        conn.close()
    tmp.replace(path)
    return count


def _mbtiles_metadata(meta: dict) -> list[tuple[str, str]]:
    west, south, east, north = meta.get("bounds", WORLD_BOUNDS)
    lon, lat, zoom = meta.get("center", ((west + east) / 2, (south + north) / 2, 0))
    return [
        ("name", meta.get("name", "geoservice")),
        ("format", "pbf"),
        ("type", "overlay"),
        ("version", "1"),
        ("minzoom", str(meta.get("minzoom", 0))),
        ("maxzoom", str(meta.get("maxzoom", 14))),
        ("bounds", f"{west},{south},{east},{north}"),
        ("center", f"{lon},{lat},{zoom}"),
        ("attribution", meta.get("attribution", "")),
        ("json", json.dumps({"vector_layers": meta.get("vector_layers", [])}, ensure_ascii=False)),
    ]
