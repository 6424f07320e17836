"""Raster layers (Cloud-Optimised GeoTIFFs) and their PNG tiles (rio-tiler).

A raster layer is a file ``<data_dir>/rasters/<id>.tif`` with an optional sidecar
``<id>.json``: ``{"title": {"zh": ..., "en": ...}, "style": "<style id>"}`` or an
inline ``"raster": {"colormap": ..., "rescale": [min, max]}``. Analysis results
(accessibility, coverage) are written there as COGs by :func:`write_cog`'s
callers; uploads of GeoTIFFs land there too. The file's modification time and
size act as its version in cache keys.
"""

from __future__ import annotations

import json
import threading
from dataclasses import dataclass
from pathlib import Path

from pydantic import ValidationError

from geoservice.catalog.models import RasterStyle, StyleDef, Text
from geoservice.errors import CatalogError, NotFoundError
from geoservice.tiles.tms import TileAddress, get_tms

RASTER_SUFFIX = ".tif"


class RasterNotFound(NotFoundError):
    """No raster layer with this id."""

    code = "RasterNotFound"


@dataclass(frozen=True)
class RasterLayer:
    """A COG served as PNG tiles."""

    id: str
    path: Path
    title: Text
    style: RasterStyle

    @property
    def version(self) -> str:
        """Return a token that changes whenever the file is replaced."""
        stat = self.path.stat()
        return f"{stat.st_mtime_ns:x}-{stat.st_size:x}"


def list_rasters(folder: Path, styles: dict[str, StyleDef]) -> dict[str, RasterLayer]:
    """Return the raster layers found in ``folder`` (none if it does not exist)."""
    if not folder.is_dir():
        return {}
    return {p.stem: _load(p, styles) for p in sorted(folder.glob(f"*{RASTER_SUFFIX}"))}


def get_raster(folder: Path, raster_id: str, styles: dict[str, StyleDef]) -> RasterLayer:
    """Return one raster layer or raise :class:`RasterNotFound`."""
    path = folder / f"{raster_id}{RASTER_SUFFIX}"
    if "/" in raster_id or not path.is_file():
        raise RasterNotFound(f"raster {raster_id!r} not found; see /rasters")
    return _load(path, styles)


def _load(path: Path, styles: dict[str, StyleDef]) -> RasterLayer:
    sidecar = path.with_suffix(".json")
    meta = json.loads(sidecar.read_text(encoding="utf-8")) if sidecar.is_file() else {}
    try:
        title = Text.model_validate(meta.get("title") or {"zh": path.stem, "en": path.stem})
        if "style" in meta:
            style = styles[meta["style"]].raster or RasterStyle()
        else:
            style = RasterStyle.model_validate(meta.get("raster") or {})
    except (ValidationError, KeyError) as exc:
        raise CatalogError(f"{sidecar.name}: {exc}") from None
    return RasterLayer(path.stem, path, title, style)


class RasterRenderer:
    """Renders PNG tiles of COGs, keeping one open reader per file and thread."""

    def __init__(self) -> None:
        self._local = threading.local()

    def render(self, raster: RasterLayer, address: TileAddress, size: int = 256) -> bytes:
        """Return a PNG tile, or ``b""`` when the tile holds no data of the raster."""
        from rio_tiler.colormap import cmap
        from rio_tiler.errors import TileOutsideBounds

        reader = self._reader(raster, address.tms)
        try:
            image = reader.tile(address.col, address.row, address.z, tilesize=size)
        except TileOutsideBounds:
            return b""
        if not image.mask.any():
            return b""
        style = raster.style
        if style.rescale is not None:
            image.rescale(in_range=[tuple(style.rescale)] * image.count)
        colormap = cmap.get(style.colormap) if image.count == 1 else None
        return image.render(img_format="PNG", colormap=colormap, add_mask=True)

    def info(self, raster: RasterLayer) -> dict:
        """Return bounds (lon/lat), zoom range and band statistics of a raster."""
        reader = self._reader(raster, "WebMercatorQuad")
        return {
            "bounds": list(reader.get_geographic_bounds(reader.tms.rasterio_geographic_crs)),
            "minzoom": reader.minzoom,
            "maxzoom": reader.maxzoom,
            "count": reader.dataset.count,
            "dtype": reader.dataset.dtypes[0],
        }

    def _reader(self, raster: RasterLayer, tms_id: str):
        from rio_tiler.io import Reader

        readers = self._local.__dict__.setdefault("readers", {})
        key = (str(raster.path), raster.version, tms_id)
        reader = readers.get(key)
        if reader is None:
            for old in [k for k in readers if k[0] == key[0]]:
                readers.pop(old).close()
            reader = Reader(str(raster.path), tms=get_tms(tms_id))
            readers[key] = reader
        return reader


def write_cog(array, *, transform, crs: str, path: Path, nodata: float | None = None) -> Path:
    """Write a 2-D (or bands x rows x cols) array as a COG, atomically.

    For analysis surfaces: write to ``<data_dir>/rasters/<id>.tif`` and the
    raster is served at ``/rasters/<id>/tiles/...`` with no other step.
    """
    import numpy as np
    import rasterio

    data = np.asarray(array)
    if data.ndim == 2:
        data = data[np.newaxis]
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.stem}.tmp.tif")
    profile = {
        "driver": "COG",
        "count": data.shape[0],
        "height": data.shape[1],
        "width": data.shape[2],
        "dtype": data.dtype.name,
        "crs": crs,
        "transform": transform,
        "nodata": nodata,
        "compress": "deflate",
    }
    with rasterio.open(tmp, "w", **profile) as dst:
        dst.write(data)
    tmp.replace(path)
    return path
