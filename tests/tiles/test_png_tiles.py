"""PNG tiles: vector layers drawn with their style, and COG raster layers."""

from __future__ import annotations

import io
import json

import numpy as np
import pytest
from PIL import Image
from rasterio.transform import from_bounds

from geoservice.styling import hex_rgba
from geoservice.tiles.raster import write_cog
from geoservice.tiles.tms import TileAddress

pytestmark = pytest.mark.parametrize("store_kind", ["geopackage"], indirect=True)

Z12 = TileAddress("WebMercatorQuad", 12, 1553, 3299)
Z9 = TileAddress("WebMercatorQuad", 9, 194, 412)


def _image(response) -> np.ndarray:
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == "image/png"
    image = Image.open(io.BytesIO(response.content))
    assert image.size == (256, 256)
    return np.asarray(image.convert("RGBA"))


def test_vector_layer_png_uses_the_style_classes(client):
    pixels = _image(client.get(f"/collections/farmland_grid/map/tiles/{Z12}"))
    assert (pixels[..., 3] > 0).mean() > 0.5  # the grid covers the centre of Dongsheng
    style = client.app.state.runtime.catalog.catalog().styles["farmland_cells"]
    class_rgb = {hex_rgba(c.color)[:3] for c in style.classify.classes}
    seen = {tuple(int(v) for v in p[:3]) for p in pixels.reshape(-1, 4) if p[3] > 0}
    assert seen & class_rgb  # fills coloured by parent_code
    assert hex_rgba(style.stroke)[:3] in seen  # cell outlines


def test_png_by_format_parameter_equals_the_map_tile(client):
    a = client.get(f"/collections/district/tiles/{Z9}", params={"f": "png"})
    b = client.get(f"/collections/district/map/tiles/{Z9}")
    assert a.content == b.content
    pixels = _image(a)
    assert hex_rgba("#7b3294")[:3] in {tuple(int(v) for v in p[:3]) for p in pixels.reshape(-1, 4)}


def test_png_of_an_empty_area_is_204_and_revalidates(client):
    assert client.get("/collections/district/map/tiles/WebMercatorQuad/9/0/0").status_code == 204
    first = client.get(f"/collections/district/map/tiles/{Z9}")
    again = client.get(
        f"/collections/district/map/tiles/{Z9}", headers={"If-None-Match": first.headers["etag"]}
    )
    assert again.status_code == 304


@pytest.fixture
def cog(tiles_settings):
    """A 0-100 gradient COG over Dongsheng, styled with viridis."""
    west, south, east, north = 109.1, 39.6, 110.4, 40.0
    values = np.tile(np.linspace(0, 100, 520, dtype="float32"), (160, 1))
    path = tiles_settings.raster_dir / "access.tif"
    write_cog(
        values,
        transform=from_bounds(west, south, east, north, 520, 160),
        crs="EPSG:4326",
        path=path,
        nodata=-1,
    )
    meta = {
        "title": {"zh": "可达性", "en": "Accessibility"},
        "raster": {"colormap": "viridis", "rescale": [0, 100]},
    }
    path.with_suffix(".json").write_text(json.dumps(meta), encoding="utf-8")
    return path


def test_cog_raster_is_listed_and_tiled_with_its_colormap(client, cog):
    listed = client.get("/rasters").json()["rasters"]
    assert [r["id"] for r in listed] == ["access"]
    info = client.get("/rasters/access").json()
    assert info["bounds"][0] == pytest.approx(109.1)
    pixels = _image(client.get(f"/rasters/access/tiles/{Z9}"))
    opaque = pixels[pixels[..., 3] == 255]
    assert len(opaque) > 1000
    # viridis runs from dark purple (low, west) to yellow (high, east)
    west_px, east_px = pixels[128, 5], pixels[128, 250]
    assert west_px[2] > west_px[1] and east_px[0] > east_px[2]
    assert client.get("/rasters/access/tiles/WebMercatorQuad/9/0/0").status_code == 204
    assert client.get("/rasters/nope/tiles/WebMercatorQuad/9/0/0").status_code == 404
    tilejson = client.get("/rasters/access/tiles/WebMercatorQuad/tilejson.json").json()
    assert tilejson["tiles"][0].endswith("{z}/{y}/{x}?v=" + tilejson["tiles"][0].split("v=")[1])


def test_replacing_a_cog_changes_its_tiles(client, cog, tiles_settings):
    first = client.get(f"/rasters/access/tiles/{Z9}")
    values = np.full((160, 520), 100, dtype="float32")
    write_cog(
        values,
        transform=from_bounds(109.1, 39.6, 110.4, 40.0, 520, 160),
        crs="EPSG:4326",
        path=cog,
        nodata=-1,
    )
    second = client.get(
        f"/rasters/access/tiles/{Z9}", headers={"If-None-Match": first.headers["etag"]}
    )
    assert second.status_code == 200 and second.content != first.content
