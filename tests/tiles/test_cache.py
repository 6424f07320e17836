"""The tile cache: memory LRU in front of a size-bounded disk cache."""

from __future__ import annotations

import gzip
import os

import pytest

from geoservice.settings import TileSettings
from geoservice.storage.postgis_notify import wait_until
from geoservice.tiles.cache import DiskCache, MemoryLRU, TileBytes, TileCache, gzip_tile


def test_disk_cache_evicts_the_oldest_files_past_its_budget(tmp_path):
    disk = DiskCache(tmp_path, max_bytes=10_000)
    for i in range(30):
        disk.put(f"layer/v1/z/{i}.mvt.gz", bytes(1000))
    assert wait_until(lambda: disk.size() <= 10_000, timeout=5)
    assert disk.get("layer/v1/z/29.mvt.gz") == bytes(1000)  # the newest survive
    assert disk.get("layer/v1/z/0.mvt.gz") is None


def test_memory_lru_drops_the_least_recently_used():
    from geoservice.tiles.cache import ENTRY_OVERHEAD

    lru = MemoryLRU(max_bytes=8 * (450 + 1 + ENTRY_OVERHEAD))  # room for eight entries
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


def test_a_tile_read_from_disk_is_decompressed_once_and_kept_in_both_encodings(tmp_path):
    import gzip

    from geoservice.tiles.cache import TileBytes

    raw = b"\x1a\x05layer" * 100
    TileCache(tmp_path, 10_000, 100_000).put_tile("a/v1/t.mvt.gz", TileBytes(raw=raw))
    cache = TileCache(tmp_path, 10_000, 100_000)  # a new process: memory empty
    tile = cache.get_tile("a/v1/t.mvt.gz")
    assert tile.identity() == raw and gzip.decompress(tile.gzipped()) == raw
    assert cache.get_tile("a/v1/t.mvt.gz") is tile  # from memory, both forms ready


def _count_gzip_work(monkeypatch) -> list[str]:
    import gzip

    calls: list[str] = []
    for name in ("compress", "decompress"):
        real = getattr(gzip, name)

        def counted(*args, _real=real, _name=name, **kwargs):
            calls.append(_name)
            return _real(*args, **kwargs)

        monkeypatch.setattr(gzip, name, counted)
    return calls


def test_hot_tiles_are_served_to_gzip_and_identity_clients_without_recompressing(
    client, monkeypatch
):
    import gzip

    url = "/collections/farmland_grid/tiles/WebMercatorQuad/12/1553/3299"
    zipped = client.get(url, headers={"Accept-Encoding": "gzip"})  # produces and caches it
    assert zipped.status_code == 200
    calls = _count_gzip_work(monkeypatch)
    for _ in range(3):
        plain = client.get(url, headers={"Accept-Encoding": "identity"})
        again = client.get(url, headers={"Accept-Encoding": "gzip"})
        assert plain.headers.get("content-encoding") is None
        assert again.headers["content-encoding"] == "gzip"
    assert calls == []
    assert plain.content == zipped.content == again.content  # httpx decodes gzip
    assert gzip.decompress(gzip.compress(plain.content)) == plain.content


@pytest.mark.parametrize("tiles_settings", [{"tiles": TileSettings(cache=False)}], indirect=True)
def test_an_uncached_tile_for_an_identity_client_is_never_zipped(client, monkeypatch):
    calls = _count_gzip_work(monkeypatch)
    r = client.get(
        "/collections/farmland_grid/tiles/WebMercatorQuad/12/1553/3299",
        headers={"Accept-Encoding": "identity"},
    )
    assert r.status_code == 200 and r.content and calls == []


def test_empty_tiles_count_towards_the_memory_budget():
    from geoservice.tiles.cache import MemoryLRU

    lru = MemoryLRU(max_bytes=100_000)
    for version in range(10_000):  # every upload makes new keys; most tiles are empty
        lru.put(f"villages/v{version}/WebMercatorQuad/12/1553/3299-abc.mvt.gz", b"")
    assert len(lru._items) < 1_000


@pytest.mark.parametrize("level", [1, 6], ids=["per request (ISA-L)", "cached (zlib)"])
def test_a_gzipped_tile_unzips_to_the_tile_and_is_the_same_bytes_each_time(level):
    raw = os.urandom(2000) + b"farmland_grid" * 5000  # some noise, much repetition
    zipped = gzip_tile(raw, level)
    assert gzip.decompress(zipped) == raw
    assert zipped == gzip_tile(raw, level)  # mtime 0: ETags and archives stay stable
    assert len(zipped) < len(raw) / 5
    assert TileBytes(raw=raw, level=level).gzipped() == zipped
