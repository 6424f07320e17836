"""Layer versions behind tile cache keys: pushed by PostGIS, asked of GeoPackage."""

from __future__ import annotations

import geopandas as gpd
from shapely.geometry import Point

from geoservice.catalog.infer import infer_layer
from geoservice.storage.postgis_notify import wait_until
from geoservice.tiles.versions import VersionCache


def _layer():
    frame = gpd.GeoDataFrame({"name": ["a"]}, geometry=[Point(110, 40)], crs="EPSG:4326")
    return infer_layer("pts", frame), frame


def test_a_new_version_is_seen_without_asking_the_store_again(store):
    layer, frame = _layer()
    store.write(layer, frame)
    versions = VersionCache(store)
    try:
        pushed = store.kind == "postgis"
        # PostGIS listens for the trigger's NOTIFY; a dead listener would quietly
        # fall back to asking the store, so it must be up here.
        assert wait_until(lambda: versions.pushed, timeout=10) if pushed else not versions.pushed
        assert versions.current("pts") == 1
        store.write(layer, frame)
        if pushed:  # the NOTIFY updates the cache
            assert wait_until(lambda: versions.peek("pts") == 2)
        else:  # GeoPackage: nothing is remembered, the store is asked each time
            assert versions.peek("pts") is None
        assert versions.current("pts") == 2
        store.delete_layer("pts")
        assert wait_until(lambda: versions.peek("pts") is None)
    finally:
        versions.close()
