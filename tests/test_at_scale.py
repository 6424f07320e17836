"""A 100 000-cell farmland grid in each store: pages, exports and tiles stay right at scale.

Marked slow (``make test-slow``): building and storing the grid takes a minute.
Nothing here measures time (``bench/`` does); these check that what the
benchmarks time is also correct on a layer of benchmark size.
"""

from __future__ import annotations

import json

import numpy as np
import pytest
import shapely

from geoservice.analysis.farmland import generate_farmland_grid
from geoservice.catalog.loader import load_catalog
from geoservice.sampledata import build_sample_layers
from geoservice.settings import TileSettings
from geoservice.storage.base import FeatureQuery
from geoservice.storage.capabilities import TileQuery
from geoservice.tiles.service import VectorTileService
from geoservice.tiles.tms import TileAddress, tile_bounds, tms_crs
from geoservice.tiles.versions import VersionCache
from tests.conftest import ROOT
from tests.tiles.conftest import decode_tile

pytestmark = pytest.mark.slow

CELLS = 100_000
BOXES = [
    (109.70, 39.78, 109.82, 39.81),
    (109.95, 39.80, 110.08, 39.84),
    (110.20, 39.70, 110.33, 39.73),
]


@pytest.fixture(scope="module")
def grid():
    units = build_sample_layers()["farmland_grid_units"]
    units = units[units["level"] == 2] if "level" in units.columns else units
    cell_m = float(np.sqrt(units.to_crs("EPSG:4546").area.sum() / CELLS))
    return generate_farmland_grid(units, cell_m=cell_m)


@pytest.fixture
def stored(store, grid):
    layer = load_catalog(ROOT / "layers", ROOT / "styles").get("farmland_grid")
    store.write(layer, grid.to_crs(layer.storage_crs))
    return store, layer, grid.to_crs("OGC:CRS84")


def test_bbox_pages_count_and_hold_exactly_the_cells_that_intersect(stored):
    store, layer, lonlat = stored
    assert len(lonlat) > 0.9 * CELLS
    for bbox in BOXES:
        expected = np.flatnonzero(shapely.intersects(lonlat.geometry.values, shapely.box(*bbox)))
        page = store.query_geojson(layer, FeatureQuery(bbox=bbox, limit=None))
        features = json.loads(b"[" + page.features + b"]")
        assert page.number_matched == page.number_returned == len(expected) > 0
        assert sorted(f["properties"]["code"] for f in features) == sorted(
            lonlat["code"].iloc[expected]
        )
        first = store.query_geojson(layer, FeatureQuery(bbox=bbox, limit=100, offset=50))
        assert first.number_returned == min(100, max(0, len(expected) - 50))


def test_the_whole_layer_downloads_every_cell_once(stored):
    store, layer, lonlat = stored
    text = b"".join(store.iter_geojson(layer, FeatureQuery(limit=None)))
    features = json.loads(b"[" + text + b"]")
    assert len(features) == len(lonlat)
    assert len({f["id"] for f in features}) == len(lonlat)


def test_low_zoom_tiles_keep_to_the_budget_and_decode(stored):
    store, layer, _ = stored
    settings = TileSettings()
    versions = VersionCache(store)
    service = VectorTileService(store, settings, None, versions)
    try:
        for address in (
            TileAddress("WebMercatorQuad", 9, 193, 412),
            TileAddress("WebMercatorQuad", 8, 96, 206),
        ):
            query = TileQuery(
                bounds=tile_bounds(address), crs=tms_crs(address.tms), attributes=("code",)
            )
            tile = service.produce(layer, query)
            assert 0 < len(tile.data) <= settings.max_tile_bytes
            decoded = decode_tile(tile.data, address)
            assert len(decoded[layer.id]) == tile.features > 0
    finally:
        versions.close()
