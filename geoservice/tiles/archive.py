"""Offline tile archives: PMTiles (``pmtiles`` writer) and MBTiles (SQLite).

Both take gzip-compressed MVT tiles addressed by WebMercatorQuad ``(z, x, y)``
(x = column, y = row from the north) plus a TileJSON-like metadata dict.

An archive is written as it is seeded, into a temporary file beside it
(``.<name>.<pid>.tmp``), and renamed to its name only once complete: a run that
fails or is killed (even with ``kill -9``) never leaves a half-written archive
under the archive's name, and an archive of an earlier run stays as it was. The
next run removes the temporary files of writers that are no longer running.
Tiles held in memory used to be the whole archive; now they are written on.
"""

from __future__ import annotations

import contextlib
import json
import os
import sqlite3
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import BinaryIO

from geoservice.tiles.cache import process_running
from geoservice.tiles.tms import WORLD_BOUNDS, TileAddress

TileItem = tuple[int, int, int, bytes]  # z, x (column), y (row from the north), gzip MVT
SUFFIXES = (".pmtiles", ".mbtiles")


class ArchiveSink:
    """Where tiles go while an archive is written; :meth:`add` them, in any order."""

    count = 0

    def add(self, z: int, x: int, y: int, data: bytes) -> None:
        """Write one tile (empty tiles are skipped)."""
        raise NotImplementedError

    def finish(self, metadata: dict) -> None:
        """Write the directories and metadata; the file is then complete."""
        raise NotImplementedError

    def abort(self) -> None:
        """Release the file without completing it."""
        raise NotImplementedError


@contextmanager
def open_archive(path: Path, metadata: dict) -> Iterator[ArchiveSink]:
    """Yield a sink whose tiles appear at ``path`` as a whole archive on a clean exit.

    On an exception nothing appears at ``path`` (an older archive stays) and the
    temporary file is removed; a killed process leaves only the temporary file,
    which :func:`remove_stale_temp` (called here first) deletes on the next run.
    """
    check_suffix(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    remove_stale_temp(path)
    tmp = temp_path(path)
    sink: ArchiveSink = PMTilesSink(tmp) if path.suffix.lower() == ".pmtiles" else MBTilesSink(tmp)
    try:
        yield sink
        sink.finish(metadata)
    except BaseException:
        sink.abort()
        _remove(tmp)
        raise
    tmp.replace(path)


def write_archive(path: Path, tiles: Iterable[TileItem], metadata: dict) -> int:
    """Write ``tiles`` to ``path`` (.pmtiles or .mbtiles); return the tile count."""
    with open_archive(path, metadata) as sink:
        for z, x, y, data in tiles:
            sink.add(z, x, y, data)
    return sink.count


def archive_order(addresses: Sequence[TileAddress]) -> list[TileAddress]:
    """Return WebMercatorQuad addresses in PMTiles tile-id order (a clustered archive)."""
    from pmtiles.tile import zxy_to_tileid

    return sorted(addresses, key=lambda a: zxy_to_tileid(a.z, a.col, a.row))


def check_suffix(path: Path) -> None:
    """Raise ValueError unless ``path`` names a .pmtiles or .mbtiles file."""
    if path.suffix.lower() not in SUFFIXES:
        raise ValueError(f"{path.name}: use a .pmtiles or .mbtiles file name")


def temp_path(path: Path) -> Path:
    """Return the temporary file this process writes ``path`` into."""
    return path.with_name(f".{path.name}.{os.getpid()}.tmp")


def remove_stale_temp(path: Path) -> list[Path]:
    """Delete temporary files of ``path`` left by writers that are gone; return them.

    A temporary file names its writer's process id; one whose process still runs
    (another seed writing the same archive) is left alone.
    """
    removed = []
    for candidate in path.parent.glob(f".{path.name}.*tmp*"):
        pid = candidate.name.removeprefix(f".{path.name}.").split(".", 1)[0]
        if pid.isdigit() and _running(int(pid)):
            continue
        _remove(candidate)
        removed.append(candidate)
    return removed


def _running(pid: int) -> bool:
    # This process's own name is free: it has not started writing yet.
    return pid != os.getpid() and process_running(pid)


def _remove(path: Path) -> None:
    with contextlib.suppress(FileNotFoundError):
        path.unlink()
    for extra in ("-journal", "-wal", "-shm"):
        with contextlib.suppress(FileNotFoundError):
            path.with_name(path.name + extra).unlink()


class PMTilesSink(ArchiveSink):
    """A PMTiles v3 archive (gzip MVT); clustered when tiles come in tile-id order."""

    def __init__(self, tmp: Path) -> None:
        from pmtiles.writer import Writer

        self._file: BinaryIO = tmp.open("wb")
        self._writer = Writer(self._file)  # tile bodies wait in an anonymous temp file
        self.count = 0

    def add(self, z: int, x: int, y: int, data: bytes) -> None:
        """Write one tile."""
        from pmtiles.tile import zxy_to_tileid

        if data:
            self._writer.write_tile(zxy_to_tileid(z, x, y), data)
            self.count += 1

    def finish(self, metadata: dict) -> None:
        """Write header, directories and metadata, and flush to disk."""
        from pmtiles.tile import Compression, TileType

        west, south, east, north = metadata.get("bounds", WORLD_BOUNDS)
        center = metadata.get("center", ((west + east) / 2, (south + north) / 2, 0))
        header = {
            "tile_type": TileType.MVT,
            "tile_compression": Compression.GZIP,
            "min_lon_e7": int(west * 1e7),
            "min_lat_e7": int(south * 1e7),
            "max_lon_e7": int(east * 1e7),
            "max_lat_e7": int(north * 1e7),
            "center_zoom": int(center[2]),
            "center_lon_e7": int(center[0] * 1e7),
            "center_lat_e7": int(center[1] * 1e7),
        }
        with self._file:
            self._writer.finalize(header, metadata)
            self._file.flush()
            os.fsync(self._file.fileno())

    def abort(self) -> None:
        """Close the file."""
        self._writer.tile_f.close()
        self._file.close()


class MBTilesSink(ArchiveSink):
    """An MBTiles 1.3 file (TMS row order, gzip MVT, metadata with vector_layers)."""

    def __init__(self, tmp: Path) -> None:
        _remove(tmp)
        self._conn = sqlite3.connect(tmp)
        self._conn.executescript(
            "CREATE TABLE metadata (name text, value text);"
            "CREATE TABLE tiles (zoom_level integer, tile_column integer, tile_row integer, "
            "tile_data blob);"
            "CREATE UNIQUE INDEX tile_index ON tiles (zoom_level, tile_column, tile_row);"
        )
        self.count = 0

    def add(self, z: int, x: int, y: int, data: bytes) -> None:
        """Insert one tile (committed with the metadata at the end)."""
        if data:
            self._conn.execute(
                "INSERT INTO tiles VALUES (?, ?, ?, ?)", (z, x, (1 << z) - 1 - y, data)
            )
            self.count += 1

    def finish(self, metadata: dict) -> None:
        """Write the metadata and commit."""
        with contextlib.closing(self._conn):
            self._conn.executemany(
                "INSERT INTO metadata VALUES (?, ?)", _mbtiles_metadata(metadata)
            )
            self._conn.commit()

    def abort(self) -> None:
        """Close without committing."""
        self._conn.close()


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
