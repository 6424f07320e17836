"""The tile cache: memory LRU in front of a size-bounded disk cache."""

from __future__ import annotations

from geoservice.storage.postgis_notify import wait_until
from geoservice.tiles.cache import DiskCache, MemoryLRU, TileCache


def test_disk_cache_evicts_the_oldest_files_past_its_budget(tmp_path):
    disk = DiskCache(tmp_path, max_bytes=10_000)
    for i in range(30):
        disk.put(f"layer/v1/z/{i}.mvt.gz", bytes(1000))
    assert wait_until(lambda: disk.size() <= 10_000, timeout=5)
    assert disk.get("layer/v1/z/29.mvt.gz") == bytes(1000)  # the newest survive
    assert disk.get("layer/v1/z/0.mvt.gz") is None


def test_memory_lru_drops_the_least_recently_used():
    lru = MemoryLRU(max_bytes=4000)  # items up to 500 bytes are kept
    for i in range(8):
        lru.put(str(i), bytes(450))
    lru.get("0")
    lru.put("8", bytes(450))
    assert lru.get("0") is not None and lru.get("1") is None and lru.get("8") is not None


def test_empty_tiles_are_cached_as_empty_not_as_misses(tmp_path):
    cache = TileCache(tmp_path, max_bytes=10_000, memory_bytes=8_000)
    cache.put("a/v1/empty", b"")
    assert cache.get("a/v1/empty") == b""
    assert TileCache(tmp_path, 10_000, 8_000).get("a/v1/empty") == b""  # from disk
    assert cache.get("a/v1/missing") is None
