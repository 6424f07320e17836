"""PNG map tiles drawn from vector tiles, for clients that cannot draw MVT.

A PNG tile is rendered from the layer's own MVT tile (same budget, clipping and
cache), so the picture and the vector tile always agree. Fills, outlines and
point symbols are burnt with ``rasterio.features.rasterize`` in tile units and
composited (alpha over) in numpy; colours come from ``geoservice.styling``.
"""

from __future__ import annotations

import io
import json
from collections.abc import Sequence

import mapbox_vector_tile
import numpy as np
import shapely
from affine import Affine
from PIL import Image
from shapely.geometry import shape

from geoservice.catalog.models import ClassBreak, StyleDef
from geoservice.styling import base_color, feature_colors, hex_rgba

TILE_PX = 256


def render_png(
    mvt: bytes,
    layer_name: str,
    style: StyleDef,
    classes: Sequence[ClassBreak],
    *,
    extent: int = 4096,
    size: int = TILE_PX,
) -> bytes:
    """Render one layer of an (uncompressed) MVT as a ``size`` x ``size`` RGBA PNG."""
    geoms, props = _decode(mvt, layer_name)
    canvas = np.zeros((size, size, 4), dtype="float64")
    if geoms:
        scale = extent / size
        transform = Affine(scale, 0, 0, 0, scale, 0)
        prop = style.classify.property if style.classify else None
        values = [p.get(prop) for p in props] if prop else None
        colors = (
            feature_colors(style, values, classes) if values else [base_color(style)] * len(geoms)
        )
        _draw(canvas, geoms, colors, style, transform, scale)
    return encode_png(canvas)


def encode_png(canvas: np.ndarray) -> bytes:
    """Encode a float RGBA canvas (0-1, premultiplied=False) as PNG."""
    rgba = np.clip(canvas * 255 + 0.5, 0, 255).astype("uint8")
    out = io.BytesIO()
    Image.fromarray(rgba, "RGBA").save(out, format="PNG", compress_level=6)
    return out.getvalue()


def _decode(mvt: bytes, name: str) -> tuple[list[dict], list[dict]]:
    """Return the GeoJSON geometries (tile units) and properties of one MVT layer.

    The geometries stay dicts: ``rasterize`` reads them as they are, ten times
    faster than through shapely's ``__geo_interface__``.
    """
    if not mvt:
        return [], []
    layer = mapbox_vector_tile.decode(mvt, default_options={"y_coord_down": True}).get(name)
    if layer is None:
        return [], []
    return [f["geometry"] for f in layer["features"]], [f["properties"] for f in layer["features"]]


def _draw(canvas, geoms: list[dict], colors, style: StyleDef, transform, scale: float) -> None:
    shape_hw = canvas.shape[:2]
    if style.geometry == "point":
        geoms = _geojson(shapely.buffer(_shapes(geoms), style.radius * scale))
    if style.geometry in ("polygon", "point"):
        palette = np.asarray([hex_rgba(c, style.fill_opacity) for c in colors], dtype="float64")
        index = _burn(geoms, shape_hw, transform, all_touched=False)
        _over(canvas, index, palette / 255.0)
        outlines = [_rings(g) for g in geoms]
        stroke = [style.stroke] * len(geoms)
    else:
        outlines, stroke = geoms, colors
    if style.stroke_width > 0:
        if style.stroke_width > 1:
            outlines = _geojson(shapely.buffer(_shapes(outlines), style.stroke_width * scale / 2))
        palette = np.asarray([hex_rgba(c, style.stroke_opacity) for c in stroke], dtype="float64")
        index = _burn(outlines, shape_hw, transform, all_touched=True)
        _over(canvas, index, palette / 255.0)


def _rings(geometry: dict) -> dict:
    """Return the outline of a GeoJSON (multi)polygon as a MultiLineString.

    Other geometries (points or lines drawn with a polygon style) are their own
    outline.
    """
    if geometry["type"] == "Polygon":
        return {"type": "MultiLineString", "coordinates": geometry["coordinates"]}
    if geometry["type"] == "MultiPolygon":
        rings = [ring for polygon in geometry["coordinates"] for ring in polygon]
        return {"type": "MultiLineString", "coordinates": rings}
    return geometry


def _shapes(geoms: list[dict]) -> np.ndarray:
    return np.asarray([shape(g) for g in geoms], dtype=object)


def _geojson(geoms: np.ndarray) -> list[dict]:
    return [json.loads(text) for text in shapely.to_geojson(geoms)]


def _burn(geoms: list[dict], shape_hw, transform: Affine, *, all_touched: bool) -> np.ndarray:
    from rasterio.features import rasterize  # GDAL's second copy loads on first PNG (17 MB)

    pairs = [(g, i + 1) for i, g in enumerate(geoms) if g and g.get("coordinates")]
    if not pairs:
        return np.zeros(shape_hw, dtype="uint32")
    return rasterize(
        pairs,
        out_shape=shape_hw,
        transform=transform,
        fill=0,
        all_touched=all_touched,
        dtype="uint32",
    )


def _over(canvas: np.ndarray, index: np.ndarray, palette: np.ndarray) -> None:
    mask = index > 0
    if not mask.any():
        return
    src = palette[index[mask] - 1]
    dst = canvas[mask]
    alpha = src[:, 3:4]
    out_alpha = alpha + dst[:, 3:4] * (1 - alpha)
    safe = np.where(out_alpha > 0, out_alpha, 1)
    rgb = (src[:, :3] * alpha + dst[:, :3] * dst[:, 3:4] * (1 - alpha)) / safe
    canvas[mask] = np.concatenate([rgb, out_alpha], axis=1)
