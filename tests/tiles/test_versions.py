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
        assert versions.peek("pts") == 1  # known without asking: pushed, or no commit since
        store.write(layer, frame)
        if pushed:  # the NOTIFY updates the cache
            assert wait_until(lambda: versions.peek("pts") == 2)
        else:  # GeoPackage: the commit changed the change token, so the store is asked
            assert versions.peek("pts") is None
        assert versions.current("pts") == 2
        store.delete_layer("pts")
        assert wait_until(lambda: versions.peek("pts") is None)
    finally:
        versions.close()


def test_a_geopackage_version_stands_until_another_process_commits(tmp_path):
    import subprocess
    import sys

    from geoservice.storage.geopackage import GeoPackageStore

    layer, frame = _layer()
    store = GeoPackageStore(tmp_path / "store.gpkg")
    store.write(layer, frame)
    versions = VersionCache(store)
    assert versions.current("pts") == 1
    other_layer = "other"
    writer = (
        "import geopandas as gpd; from shapely.geometry import Point;"
        "from geoservice.catalog.infer import infer_layer;"
        "from geoservice.storage.geopackage import GeoPackageStore;"
        f"s = GeoPackageStore({str(tmp_path / 'store.gpkg')!r});"
        "f = gpd.GeoDataFrame({'name': ['b']}, geometry=[Point(110, 40)], crs='EPSG:4326');"
        f"s.write(infer_layer({other_layer!r}, f), f); s.write(infer_layer('pts', f), f)"
    )

    assert versions.peek("pts") == 1
    subprocess.run([sys.executable, "-c", writer], check=True, timeout=120)

    assert versions.peek("pts") is None
    assert versions.current("pts") == 2
    store.close()
