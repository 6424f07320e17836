"""Tiles from a layer version held in memory are the tiles the per-tile read makes."""

from __future__ import annotations

import asyncio
import time

import geopandas as gpd
import mapbox_vector_tile
import pytest
from shapely.geometry import Point, box

from geoservice.catalog.infer import infer_layer
from geoservice.settings import TileSettings
from geoservice.storage.capabilities import SupportsAsyncMVT, SupportsMVT, TileQuery
from geoservice.tiles.memory_source import TileSources
from geoservice.tiles.service import LayerPart, VectorTileService
from geoservice.tiles.tms import TileAddress, tile_bounds, tms_crs
from geoservice.tiles.vector import tile_from_store
from geoservice.tiles.versions import VersionCache

ATTRIBUTES = ("code", "row", "share", "flag")


def cells_frame(offset: float = 0.0, count: int = 12) -> gpd.GeoDataFrame:
    geoms, rows = [], []
    for i in range(count):
        for j in range(count):
            size = 0.06 if (i + j) % 3 else 0.03
            x, y = 109.6 + j * 0.07 + offset, 39.6 + i * 0.07
            geoms.append(box(x, y, x + size, y + size))
            rows.append(
                {"code": f"c{i:02d}{j:02d}", "row": i, "share": j / 11, "flag": (i + j) % 2 == 0}
            )
    return gpd.GeoDataFrame(rows, geometry=geoms, crs="EPSG:4326")


def features(data: bytes) -> list:
    if not data:
        return []
    decoded = mapbox_vector_tile.decode(data)
    return sorted(
        (f["id"], sorted(f["properties"].items()), str(f["geometry"]))
        for layer in decoded.values()
        for f in layer["features"]
    )


def query(address: TileAddress, version: int, **kw) -> TileQuery:
    base = {
        "bounds": tile_bounds(address),
        "crs": tms_crs(address.tms),
        "attributes": ATTRIBUTES,
        "version": version,
    }
    return TileQuery(**{**base, **kw})


ADDRESSES = [
    TileAddress("WebMercatorQuad", 8, 96, 206),
    TileAddress("WebMercatorQuad", 9, 193, 412),
    TileAddress("WebMercatorQuad", 11, 773, 1650),
    TileAddress("WorldCRS84Quad", 8, 90, 463),
]


@pytest.mark.parametrize("address", ADDRESSES, ids=lambda a: f"{a.tms}-{a.z}")
def test_a_tile_from_memory_equals_the_tile_read_from_the_store(store, address):
    frame = cells_frame()
    layer = infer_layer("cells", frame)
    info = store.write(layer, frame)
    sources = TileSources(store, 1_000, background=False)

    for budget in (20_000, 7):  # every feature, and the budget's largest-first choice
        q = query(address, info.version, max_features=budget)
        source = sources.get(layer, q, lambda: info.feature_count)
        assert source is not None

        assert features(source.encode(layer.id, q).data) == features(
            tile_from_store(store, layer, q).data
        )


def test_a_tile_takes_only_the_attributes_it_asks_for(store):
    frame = cells_frame()
    layer = infer_layer("cells", frame)
    info = store.write(layer, frame)
    q = query(ADDRESSES[1], info.version, attributes=("code",))
    source = TileSources(store, 1_000, background=False).get(layer, q, lambda: 144)

    (feature, *_) = mapbox_vector_tile.decode(source.encode(layer.id, q).data)["cells"]["features"]

    assert set(feature["properties"]) == {"code"}


def test_a_layer_above_the_budget_is_read_per_tile(store):
    frame = cells_frame()
    layer = infer_layer("cells", frame)
    info = store.write(layer, frame)
    sources = TileSources(store, 100, background=False)

    assert sources.get(layer, query(ADDRESSES[1], info.version), lambda: 144) is None


def test_a_new_version_is_tiled_from_its_own_data(store):
    layer = infer_layer("cells", cells_frame())
    sources = TileSources(store, 1_000, background=False)
    service = VectorTileService(store, TileSettings(), None, VersionCache(store), sources)
    part = LayerPart(layer, ATTRIBUTES)
    store.write(layer, cells_frame())
    before = features(service.tile([part], ADDRESSES[2], gzip_ok=False).body)
    store.write(layer, cells_frame(offset=0.035))
    service.versions.forget(layer.id)

    after = features(service.tile([part], ADDRESSES[2], gzip_ok=False).body)

    assert before and after and before != after
    if not isinstance(store, SupportsMVT):  # PostGIS makes its tiles in the database
        assert service.sources._held == 144  # the old version's source is gone


def test_the_first_tiles_are_read_while_the_source_builds_in_the_background(store):
    frame = cells_frame()
    layer = infer_layer("cells", frame)
    info = store.write(layer, frame)
    sources = TileSources(store, 1_000)
    q = query(ADDRESSES[1], info.version)

    first = sources.get(layer, q, lambda: 144)
    deadline = time.monotonic() + 30
    later = None
    while later is None and time.monotonic() < deadline:
        time.sleep(0.02)
        later = sources.get(layer, q, lambda: 144)

    assert first is None and later is not None


def mixed_shapes() -> gpd.GeoDataFrame:
    """Cells, triangles, skewed and thin quadrilaterals, holes, many-vertex rings, multi-parts:
    some take the flat path, the others the general one, in the same tiles."""
    import numpy as np
    from shapely.geometry import MultiPolygon, Polygon

    rng = np.random.default_rng(7)
    shapes = []
    for i in range(400):
        x, y = 109.6 + rng.random() * 0.8, 39.6 + rng.random() * 0.8
        d = 10 ** rng.uniform(-4.5, -1.5)
        kind = i % 6
        if kind == 0:
            shapes.append(box(x, y, x + d, y + d * rng.uniform(0.05, 2)))
        elif kind == 1:
            shapes.append(Polygon([(x, y), (x + d, y + d * 0.3), (x + d * 0.2, y + d)]))
        elif kind == 2:  # a skewed quadrilateral, sometimes a sliver
            shapes.append(
                Polygon([(x, y), (x + d, y + d * rng.uniform(-0.5, 0.5)), (x + d, y + d),
                         (x + d * rng.uniform(0, 0.02), y + d * rng.uniform(0.5, 1))])
            )  # fmt: skip
        elif kind == 3:
            shapes.append(
                box(x, y, x + d, y + d).difference(box(x + d / 4, y + d / 4, x + d / 2, y + d / 2))
            )
        elif kind == 4:
            shapes.append(Point(x, y).buffer(d, quad_segs=4))
        else:
            shapes.append(
                MultiPolygon([box(x, y, x + d, y + d), box(x + 2 * d, y, x + 3 * d, y + d)])
            )
    frame = gpd.GeoDataFrame(
        {"code": [f"s{i}" for i in range(len(shapes))], "row": list(range(len(shapes)))},
        geometry=shapes,
        crs="EPSG:4326",
    )
    return frame[frame.is_valid & ~frame.is_empty]


@pytest.mark.parametrize("z", [6, 8, 10, 12, 14])
def test_flat_and_general_paths_together_make_the_tile_the_store_read_makes(store, z):
    import morecantile

    frame = mixed_shapes()
    layer = infer_layer("shapes", frame)
    info = store.write(layer, frame)
    sources = TileSources(store, 10_000, background=False)
    tms = morecantile.tms.get("WebMercatorQuad")
    tiles = list(tms.tiles(109.6, 39.6, 110.4, 40.4, [z]))[::7][:12]

    for t in tiles:
        q = query(TileAddress("WebMercatorQuad", z, t.y, t.x), info.version, attributes=("code",))
        source = sources.get(layer, q, lambda: len(frame))

        assert features(source.encode(layer.id, q).data) == features(
            tile_from_store(store, layer, q).data
        ), (z, t)


def test_a_tile_made_in_the_event_loop_is_the_one_the_thread_pool_makes(store):
    """``loop_tile`` decides once: a small tile of a built source is encoded in the
    loop, a dense one is left to the thread pool (None), a sparse one of PostGIS is
    awaited from the database; each is the tile the thread pool's ``tile`` makes."""
    frame = cells_frame()
    layer = infer_layer("cells", frame)
    store.write(layer, frame)
    part = LayerPart(layer, ATTRIBUTES)
    in_database = isinstance(store, SupportsAsyncMVT)

    def service(inline: int, database: int = 0) -> VectorTileService:
        settings = TileSettings(inline_tile_features=inline, database_tile_features=database)
        sources = TileSources(store, 1_000, background=False)
        return VectorTileService(store, settings, None, VersionCache(store), sources)

    def in_loop(tiles: VectorTileService):
        async def run():
            try:
                return await tiles.loop_tile([part], ADDRESSES[2], gzip_ok=False, plan=plan)
            finally:
                if in_database:
                    await store.aclose_tiles()

        return asyncio.run(run())

    small = service(1_000)
    plan = small.plan([part], ADDRESSES[2])
    unbuilt = in_loop(small)  # no source yet: the database's, else the thread pool's
    assert (unbuilt is None) != in_database
    made = small.tile([part], ADDRESSES[2], gzip_ok=False, plan=plan)  # builds the source
    inline = in_loop(small)
    assert inline is not None and inline.body == made.body and features(made.body)

    dense = service(1)  # more candidate features than allowed: left to the thread pool
    dense.tile([part], ADDRESSES[2], gzip_ok=False, plan=plan)
    assert in_loop(dense) is None

    sparse = service(1_000, database=1_000)  # PostGIS makes tiles this sparse itself
    made = sparse.tile([part], ADDRESSES[2], gzip_ok=False, plan=plan)
    in_loop_made = in_loop(sparse)
    assert in_loop_made is not None and in_loop_made.body == made.body


def test_a_grid_cell_across_the_tile_edge_is_left_whole_and_a_many_corner_shape_is_clipped(
    store,
):
    from shapely.geometry import Point

    x0, y0, x1, y1 = (-20_000.0, -20_000.0, 20_000.0, 20_000.0)  # a tile of 40 km, 3857
    unit = (x1 - x0) / 4096
    cell = box(x1 - 50 * unit, 0, x1 + 300 * unit, 400 * unit)  # sticks 300 units out
    disc = Point(x1, -5_000).buffer(300 * unit, quad_segs=16)  # 65 corners, half outside
    frame = gpd.GeoDataFrame(
        {"code": ["cell", "disc"]}, geometry=[cell, disc], crs="EPSG:3857"
    ).to_crs(4326)
    layer = infer_layer("edge", frame)
    info = store.write(layer, frame)
    q = TileQuery(
        bounds=(x0, y0, x1, y1), crs="EPSG:3857", attributes=("code",), version=info.version
    )
    sources = TileSources(store, 1_000, background=False)
    tiles = [tile_from_store(store, layer, q)]
    if not isinstance(store, SupportsMVT):
        tiles.append(sources.get(layer, q, lambda: 2).encode(layer.id, q))

    for tile in tiles:
        decoded = mapbox_vector_tile.decode(tile.data, default_options={"y_coord_down": True})
        shapes = {f["properties"]["code"]: f["geometry"] for f in decoded["edge"]["features"]}
        cell_x = [x for x, _ in shapes["cell"]["coordinates"][0]]
        disc_x = [x for ring in shapes["disc"]["coordinates"] for x, _ in ring]
        assert max(cell_x) >= 4096 + 290  # whole: past the buffer
        assert max(disc_x) <= 4096 + 64  # clipped to the buffered tile
