"""Vector tiles from both stores decode to the source features, within budgets."""

from __future__ import annotations

import uuid

import geopandas as gpd
import numpy as np
import pytest
import shapely
from shapely.geometry import Point, Polygon, box

from geoservice.catalog.infer import infer_layer
from geoservice.settings import TileSettings
from geoservice.storage.capabilities import SupportsMVT, TileQuery
from geoservice.tiles.service import VectorTileService
from geoservice.tiles.tms import TileAddress, tile_bounds, tms_crs
from geoservice.tiles.vector import snap_to_grid, tile_from_store
from geoservice.tiles.versions import VersionCache
from tests.tiles.conftest import decode_tile

# z9 tile holding (110.2E, 40.1N); the cells below straddle its edges.
ADDRESS = TileAddress("WebMercatorQuad", 9, 193, 412)


@pytest.fixture
def cells():
    """A 12 x 12 grid of 0.06-degree cells of varied sizes, with typed attributes."""
    geoms, rows = [], []
    for i in range(12):
        for j in range(12):
            size = 0.06 if (i + j) % 3 else 0.03
            geoms.append(
                box(
                    109.6 + j * 0.07,
                    39.6 + i * 0.07,
                    109.6 + j * 0.07 + size,
                    39.6 + i * 0.07 + size,
                )
            )
            rows.append(
                {
                    "code": f"c{i:02d}{j:02d}",
                    "row": i,
                    "share": j / 11,
                    "flag": (i + j) % 2 == 0,
                    "name_zh": f"格{i}-{j}",
                }
            )
    frame = gpd.GeoDataFrame(rows, geometry=geoms, crs="EPSG:4326")
    return infer_layer("cells", frame), frame


def _query(**kw) -> TileQuery:
    base = {
        "bounds": tile_bounds(ADDRESS),
        "crs": tms_crs(ADDRESS.tms),
        "attributes": ("code", "row", "share", "flag"),
    }
    return TileQuery(**{**base, **kw})


def _encode(store, layer, query):
    if isinstance(store, SupportsMVT):
        return store.mvt(layer, query)
    return tile_from_store(store, layer, query)


def test_tile_holds_every_source_feature_clipped_to_the_tile(store, cells):
    layer, frame = cells
    store.write(layer, frame)
    query = _query(simplify=0)
    tile = _encode(store, layer, query)
    decoded = decode_tile(tile.data, ADDRESS)["cells"]
    area = gpd.GeoSeries([box(*query.buffered_bounds)], crs=3857).to_crs(4326).iloc[0]
    expected = {i + 1 for i, g in enumerate(frame.geometry) if g.intersects(area)}
    assert set(decoded) == expected
    assert tile.features == len(expected)
    for fid, (geom, props) in decoded.items():
        source = frame.iloc[fid - 1]
        assert props == {
            "code": source.code,
            "row": source.row,
            "share": pytest.approx(source.share),
            "flag": bool(source.flag),
        }
        clipped = source.geometry.intersection(area)
        # What lies in the buffered tile is the source there (small shapes may be
        # left whole past it: renderers clip at the tile edge). Quantised to 1/4096
        # of a tile (about 19 m at z9): outlines agree to ~2 units.
        drawn = geom.intersection(area)
        assert drawn.symmetric_difference(clipped).area <= clipped.length * 0.0004


def test_feature_budget_keeps_the_largest_features(store, cells):
    layer, frame = cells
    store.write(layer, frame)
    tile = _encode(store, layer, _query(max_features=10))
    decoded = decode_tile(tile.data, ADDRESS)["cells"]
    assert len(decoded) == 10
    sizes = {fid: frame.geometry.iloc[fid - 1].area for fid in decoded}
    assert min(sizes.values()) == pytest.approx(0.06 * 0.06)


def test_size_budget_shrinks_a_tile_below_the_limit(store, cells):
    layer, frame = cells
    store.write(layer, frame)
    settings = TileSettings(max_tile_bytes=1500)
    versions = VersionCache(store)
    service = VectorTileService(store, settings, None, versions)
    full = _encode(store, layer, _query())
    small = service.produce(layer, _query())
    versions.close()
    assert len(full.data) > 1500 >= len(small.data)
    assert 0 < small.features < full.features


def test_empty_area_gives_an_empty_tile(store, cells):
    layer, frame = cells
    store.write(layer, frame)
    far = TileAddress("WebMercatorQuad", 9, 100, 100)
    tile = _encode(store, layer, _query(bounds=tile_bounds(far)))
    assert tile.data == b"" and tile.features == 0


def test_points_and_tile_crs84(store):
    frame = gpd.GeoDataFrame(
        {"name": ["a", "b"]}, geometry=[Point(110.1, 40.1), Point(1, 1)], crs="EPSG:4326"
    )
    layer = infer_layer("pts", frame)
    store.write(layer, frame)
    address = TileAddress("WorldCRS84Quad", 6, 17, 103)
    assert tile_bounds(address)[0] <= 110.1 <= tile_bounds(address)[2]
    query = TileQuery(bounds=tile_bounds(address), crs="OGC:CRS84", attributes=("name",))
    decoded = decode_tile(_encode(store, layer, query).data, address)["pts"]
    ((geom, props),) = decoded.values()
    assert props == {"name": "a"}
    assert geom.distance(Point(110.1, 40.1)) < 0.001


@pytest.mark.postgis
def test_postgis_and_in_process_encoders_agree(tmp_path, postgis_url, cells):
    from geoservice.storage.geopackage import GeoPackageStore
    from geoservice.storage.postgis import PostGISStore

    layer, frame = cells
    gpkg = GeoPackageStore(tmp_path / "a.gpkg")
    pg = PostGISStore(postgis_url, pool_size=2, schema=f"t_{uuid.uuid4().hex[:8]}")
    try:
        gpkg.write(layer, frame)
        pg.write(layer, frame)
        cases = [(20_000, False), (7, False), (20_000, True), (7, True)]
        for max_features, tile_table in cases:
            if tile_table:  # the 3857 tile table PostGIS builds per version
                assert pg.prepare_tiles(layer).endswith("__t3857")
            query = _query(max_features=max_features)
            a = decode_tile(tile_from_store(gpkg, layer, query).data, ADDRESS)["cells"]
            b = decode_tile(pg.mvt(layer, query).data, ADDRESS)["cells"]
            assert set(a) == set(b)
            # PostGIS clips every feature to the buffered tile; in process, small
            # shapes may be left whole past it: the same is drawn within it.
            area = gpd.GeoSeries([box(*query.buffered_bounds)], crs=3857).to_crs(4326).iloc[0]
            for fid in a:
                assert a[fid][1] == b[fid][1]
                ga, gb = a[fid][0].intersection(area), b[fid][0].intersection(area)
                assert ga.symmetric_difference(gb).area <= max(ga.length, 1e-9) * 0.0004
                assert np.isclose(ga.area, gb.area, rtol=0.02)
    finally:
        gpkg.close()
        pg.close()


def test_snapping_to_the_tile_grid_repairs_what_rounding_breaks():
    kept = box(10.2, 10.2, 50.7, 40.9)
    sliver = Polygon([(0, 0), (100, 0.3), (200, 0.1), (0, 0)])  # rounds to a flat line
    bow = Polygon([(0, 0), (10, 0.3), (20, 0), (20, 10), (10, 0.45), (0, 10)])  # pinches
    snapped = snap_to_grid(np.array([kept, sliver, bow, None], dtype=object))
    assert snapped[0].equals(box(10, 10, 51, 41))
    assert snapped[1].is_empty
    assert snapped[2].is_valid and snapped[2].area == pytest.approx(bow.area, abs=10)
    assert snapped[3] is None
    assert (
        shapely.get_coordinates(snapped).tolist()
        == np.round(shapely.get_coordinates(snapped)).tolist()
    )
