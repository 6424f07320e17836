"""``geoservice data build --if-missing`` (``make data``) rebuilds an area whose stored
sample layers lack a column the layer files now declare, e.g. a new Chinese twin."""

from __future__ import annotations

from geoservice.cli.data import outdated_layers
from geoservice.storage.geopackage import GeoPackageStore

TWINS = ["partition_zh", "seat_source_zh"]


def test_a_store_built_before_the_chinese_twins_is_rebuilt(tmp_path, layers, catalog):
    streets_towns = catalog.get("streets_towns")
    before = streets_towns.model_copy(
        update={"attributes": [a for a in streets_towns.attributes if a.name not in TWINS]}
    )
    store = GeoPackageStore(tmp_path / "store.gpkg")
    try:
        assert outdated_layers(store, [streets_towns]) == ["streets_towns: no data"]
        store.write(before, layers["streets_towns"].drop(columns=TWINS))
        assert outdated_layers(store, [streets_towns]) == [
            "streets_towns: no seat_source_zh, partition_zh"
        ]
        store.write(streets_towns, layers["streets_towns"])
        assert outdated_layers(store, [streets_towns]) == []
    finally:
        store.close()
