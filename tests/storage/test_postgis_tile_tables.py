"""Tile tables dropped by another worker process never fail a tile request.

Each worker keeps the names of the web-mercator tile tables it knows are built.
When a layer gets a new version, whichever worker builds the new tile table
drops the old ones; a request another worker planned on the old version then
found its tile table gone and answered 500 (seen under ``make load`` with
uploads and two workers). It is now answered from the version table.
"""

from __future__ import annotations

import asyncio
import uuid

import geopandas as gpd
import pytest
from shapely.geometry import Point

from geoservice.catalog.infer import infer_layer
from geoservice.storage.capabilities import TileQuery
from geoservice.storage.postgis import PostGISStore

pytestmark = pytest.mark.postgis


@pytest.fixture
def dropped_behind_my_back(postgis_url):
    """(my store, layer, query): I built the tile table of version 1 and still believe
    it is there; another worker wrote version 2 and dropped that tile table."""
    frame = gpd.GeoDataFrame(
        {"name": ["a", "b"]}, geometry=[Point(0, 0), Point(1000, 1000)], crs="EPSG:3857"
    )
    layer = infer_layer("sites", frame)
    schema = f"t_{uuid.uuid4().hex[:8]}"
    mine = PostGISStore(postgis_url, pool_size=2, schema=schema)
    other = PostGISStore(postgis_url, pool_size=2, schema=schema)  # another worker
    try:
        first = mine.write(layer, frame, author="test")
        mine.prepare_tiles(layer, first.version)
        query = TileQuery(
            bounds=(-5000.0, -5000.0, 5000.0, 5000.0),
            crs="EPSG:3857",
            attributes=["name"],
            version=first.version,
        )
        assert mine.mvt(layer, query).features == 2  # from its tile table
        other.write(layer, frame.iloc[:1], author="test")
        other.prepare_tiles(layer)  # builds the new one, drops the old tile table
        yield mine, layer, query
    finally:
        mine.close()
        other.close()


def test_a_tile_of_a_version_whose_tile_table_another_worker_dropped(dropped_behind_my_back):
    mine, layer, query = dropped_behind_my_back

    assert mine.mvt(layer, query).features == 2  # the old version, from its table


def test_two_requests_finding_the_same_tile_table_gone_both_fall_back(dropped_behind_my_back):
    """The second request of one worker to find the table gone no longer raises:
    the first had already forgotten the table, so the second found no entry to
    forget and re-raised UndefinedTable (a 500 under ``make load``)."""
    mine, layer, query = dropped_behind_my_back

    async def both():
        try:
            return await asyncio.gather(mine.amvt(layer, query), mine.amvt(layer, query))
        finally:
            await mine.aclose_tiles()

    assert [t.features for t in asyncio.run(both())] == [2, 2]
    assert mine.mvt(layer, query).features == 2
