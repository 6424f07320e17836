"""The GeoPackage store keeps no connection of a thread that has gone.

A server's thread pool starts and retires worker threads; each used to keep its
SQLite connection (a file handle, a page cache) until shutdown, so handles and
memory only grew under load.
"""

from __future__ import annotations

import gc
import os
import threading

import geopandas as gpd
from shapely.geometry import Point

from geoservice.catalog.infer import infer_layer
from geoservice.storage.base import FeatureQuery
from geoservice.storage.geopackage import GeoPackageStore


def open_files(folder) -> int:
    """Return how many file descriptors this process has open on files in ``folder``
    (other tests' threads open and close files of their own meanwhile)."""
    count = 0
    for fd in os.listdir("/proc/self/fd"):
        try:
            target = os.readlink(f"/proc/self/fd/{fd}")
        except OSError:  # closed while listed
            continue
        count += target.startswith(str(folder))
    return count


def test_connections_of_retired_threads_are_closed(tmp_path):
    store = GeoPackageStore(tmp_path / "s.gpkg")
    frame = gpd.GeoDataFrame(
        {"name": ["a", "b"]}, geometry=[Point(1, 1), Point(2, 2)], crs="EPSG:4326"
    )
    layer = infer_layer("points", frame)
    store.write(layer, frame, author="test")

    def threads_come_and_go(rounds: int) -> None:
        for _ in range(rounds):
            workers = [
                threading.Thread(target=lambda: store.query(layer, FeatureQuery(limit=5)))
                for _ in range(5)
            ]
            for w in workers:
                w.start()
            for w in workers:
                w.join()
        gc.collect()

    # SQLite holds on to a closed connection's file descriptors while other
    # connections lock the same file (POSIX lock semantics), a few at most, and
    # reuses them: the count must stay at that few, not grow with the threads.
    threads_come_and_go(1)
    level = open_files(tmp_path)
    threads_come_and_go(40)  # 200 more threads come and go
    assert store.open_connections() == 1  # the main thread's
    assert 0 < open_files(tmp_path) <= max(level, 3) + 4  # was 3 per thread: 600+
    store.close()


def test_a_download_stream_survives_the_thread_that_started_it(tmp_path):
    store = GeoPackageStore(tmp_path / "s.gpkg")
    frame = gpd.GeoDataFrame(
        {"name": [str(i) for i in range(12_000)]},
        geometry=[Point(i / 1e4, 0) for i in range(12_000)],
        crs="EPSG:4326",
    )
    layer = infer_layer("points", frame)
    store.write(layer, frame, author="test")
    stream = store.iter_geojson(layer, FeatureQuery(limit=None, count_cap=0))
    chunks = []
    first = threading.Thread(target=lambda: chunks.append(next(stream)))
    first.start()
    first.join()
    del first
    gc.collect()
    chunks.extend(stream)  # read on with the starting thread gone
    assert sum(c.count(b'"Feature"') for c in chunks) == 12_000
    store.close()
