"""Process outputs: result collections (kind ``analysis_result``), COG rasters, JSON.

A process returns a mapping of output id → value. Frames wrapped in
:class:`LayerOutput` become new collections (immediately served as GeoJSON,
tiles and maps), arrays wrapped in :class:`RasterOutput` become Cloud-Optimized
GeoTIFFs under ``<data_dir>/rasters`` (served as PNG tiles by the tiles part),
and anything else is returned as JSON. Hrefs are written relative to the
service root; documents add the base URL when they are served.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd

from geoservice.catalog.infer import infer_layer
from geoservice.catalog.models import (
    ATTRIBUTE_NAME_PATTERN,
    RESERVED_ATTRIBUTES,
    GeometryType,
    SourceDef,
    Text,
)
from geoservice.errors import ConflictError, InvalidParameter
from geoservice.processes.context import ProcessContext
from geoservice.scale.parts import PartitionedFrame

GEOJSON = "application/geo+json"
COG = "image/tiff; application=geotiff; profile=cloud-optimized"
STYLE_BY_FAMILY = {
    "point": "analysis_points",
    "line": "analysis_lines",
    "polygon": "analysis_result",
}


@dataclass(frozen=True)
class LayerOutput:
    """A frame to store as a result collection."""

    frame: gpd.GeoDataFrame
    title: Text
    description: str
    primary: bool = False
    style: str | None = None


@dataclass(frozen=True)
class RasterOutput:
    """A 2-D surface to write as a COG (``transform`` is an affine.Affine)."""

    array: np.ndarray
    transform: Any
    crs: str
    title: Text
    description: str
    nodata: float | None = None
    colormap: str = "viridis"
    rescale: tuple[float, float] | None = None
    extra: dict = field(default_factory=dict)


@dataclass(frozen=True)
class PartitionedLayerOutput:
    """GeoParquet parts (from Dask workers) to store, part by part, as one collection."""

    parts: PartitionedFrame
    title: Text
    description: str
    primary: bool = False
    style: str | None = None


def layer_ids(outputs: dict[str, Any], base_id: str) -> dict[str, str]:
    """Return the collection id of each layer or raster output (primary: ``base_id``)."""
    ids = {}
    for name, value in outputs.items():
        if isinstance(value, LayerOutput | PartitionedLayerOutput | RasterOutput):
            primary = isinstance(value, LayerOutput | PartitionedLayerOutput) and value.primary
            ids[name] = base_id if primary else f"{base_id}_{name}"[:63]
    return ids


def write_outputs(ctx: ProcessContext, outputs: dict[str, Any], base_id: str) -> dict[str, Any]:
    """Store every output; return the results document (hrefs relative to the root)."""
    ids = layer_ids(outputs, base_id)
    results: dict[str, Any] = {}
    for name, value in outputs.items():
        if isinstance(value, LayerOutput | PartitionedLayerOutput):
            results[name] = write_layer(ctx, ids[name], value)
        elif isinstance(value, RasterOutput):
            results[name] = write_raster(ctx, ids[name], value)
        else:
            results[name] = to_json(value)
        if name in ids:
            done = list(ids).index(name) + 1
            ctx.report(90 + 9 * done / len(ids), f"stored {ids[name]}")
    return results


def check_target(ctx: ProcessContext, layer_id: str) -> None:
    """Refuse to overwrite a layer that is not an analysis result, or one the caller
    may not write (a new result collection is a new layer)."""
    existing = ctx.layers.catalog().layers.get(layer_id)
    if existing is not None and existing.kind != "analysis_result":
        raise ConflictError(
            f"out_layer {layer_id!r} is a source layer ({existing.kind}); results never "
            "replace one: choose another out_layer"
        )
    if ctx.authorise is not None:
        ctx.authorise(layer_id, existing is not None)


def write_layer(
    ctx: ProcessContext, layer_id: str, out: LayerOutput | PartitionedLayerOutput
) -> dict[str, Any]:
    """Write a frame (or GeoParquet parts, one at a time) as a new version of result
    collection ``layer_id`` and publish it."""
    check_target(ctx, layer_id)
    if isinstance(out, PartitionedLayerOutput):
        first = next(out.parts.batches(), None)
        if first is None:
            raise InvalidParameter(f"result {layer_id!r} holds no features")
        frame = storable(first)
        batches = (storable(part) for part in out.parts.batches())
    else:
        frame = storable(out.frame)
        batches = iter([frame])
    layer = infer_layer(
        layer_id,
        frame,
        title=out.title,
        style=out.style or _style(frame),
        source=SourceDef(
            description=f"{out.description} (process {ctx.process_id}, job {ctx.job_id})",
            attribution="geoservice processes",
        ),
    )
    if isinstance(out, PartitionedLayerOutput):
        layer = _multi(layer)
    if ctx.area is not None:
        layer = layer.model_copy(update={"area": ctx.area.id})
    layer = layer.model_copy(update={"data_quality": ctx.data_quality(), "made_by": ctx.process_id})
    info = ctx.store.write_batches(
        layer,
        batches,
        author=ctx.author,
        action="process",
        message=f"{ctx.process_id} job {ctx.job_id}",
    )
    ctx.wrote("collection", layer_id, info.version)
    ctx.layers.publish(layer)
    return {
        "href": f"/collections/{layer_id}/items",
        "rel": "http://www.opengis.net/def/rel/ogc/1.0/items",
        "type": GEOJSON,
        "title": out.title.en,
        "collection": layer_id,
        "version": info.version,
        "numberOfFeatures": info.feature_count,
    }


def _multi(layer):
    """Declare the Multi* type: a later part may hold a multi-part geometry the first
    does not (a farmland cell split by a unit border), and the stores promote singles."""
    single = layer.geometry_type.value
    if single in ("Point", "LineString", "Polygon"):
        return layer.model_copy(update={"geometry_type": GeometryType(f"Multi{single}")})
    return layer


def storable(frame: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """Return a frame the stores accept: lon/lat, plain columns, named ids kept."""
    out = frame.to_crs("EPSG:4326") if frame.crs is not None else frame.set_crs("EPSG:4326")
    if not isinstance(out.index, pd.RangeIndex) or out.index.name:
        out = out.reset_index(names="source_fid")
    out = out.reset_index(drop=True)
    renames = {c: _column_name(c) for c in out.columns if c != out.geometry.name}
    out = out.rename(columns=renames)
    for column in out.columns:
        if column != out.geometry.name and out[column].dtype == object:
            out[column] = out[column].map(_plain_value)
    empty = out.geometry.is_empty
    if empty.any():
        out.loc[empty, out.geometry.name] = None
    return out


def _column_name(name: Any) -> str:
    """Return an attribute name the catalogue accepts; one it cannot spell (Chinese,
    say) gets a digest of the original, the same in every process and every run."""
    text = "".join(ch if ch.isalnum() or ch == "_" else "_" for ch in str(name))
    if not text or (not text[0].isalpha() and text[0] != "_"):
        text = f"c_{text}"
    if text.lower() in RESERVED_ATTRIBUTES:
        text = f"source_{text}"
    return text[:63] if ATTRIBUTE_NAME_PATTERN.match(text[:63]) else f"c_{_digest(name)}"


def _digest(name: Any) -> str:
    return hashlib.sha1(str(name).encode()).hexdigest()[:12]


def _plain_value(value: Any) -> Any:
    if value is None or (isinstance(value, float) and np.isnan(value)):
        return None
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, str | bool | int | float):
        return str(value) if not isinstance(value, str) else value
    return json.dumps(to_json(value), ensure_ascii=False)


def _style(frame: gpd.GeoDataFrame) -> str:
    kinds = {t.removeprefix("Multi").lower() for t in frame.geometry.dropna().geom_type}
    kind = next(iter(kinds), "polygon")
    family = "line" if kind == "linestring" else kind
    if "covered_share" in frame.columns and family in ("point", "polygon"):
        return f"coverage_{family}s" if family == "point" else "coverage_share"
    return STYLE_BY_FAMILY.get(family, "analysis_result")


def write_raster(ctx: ProcessContext, raster_id: str, out: RasterOutput) -> dict[str, Any]:
    """Write a COG to ``<raster_dir>/<id>.tif`` with its title/style sidecar."""
    import rasterio

    data = np.asarray(out.array)[np.newaxis]
    ctx.raster_dir.mkdir(parents=True, exist_ok=True)
    path = ctx.raster_dir / f"{raster_id}.tif"
    tmp = path.with_name(f".{raster_id}.{ctx.job_id}.tif")
    profile = {
        "driver": "COG",
        "count": 1,
        "height": data.shape[1],
        "width": data.shape[2],
        "dtype": data.dtype.name,
        "crs": out.crs,
        "transform": out.transform,
        "nodata": out.nodata,
        "compress": "deflate",
    }
    with rasterio.open(tmp, "w", **profile) as dst:
        dst.write(data)
    tmp.replace(path)
    ctx.wrote("raster", raster_id)
    style = {"colormap": out.colormap, "rescale": list(out.rescale) if out.rescale else None}
    sidecar = {"title": out.title.model_dump(), "raster": style, "description": out.description}
    path.with_suffix(".json").write_text(json.dumps(sidecar, ensure_ascii=False), "utf-8")
    return {
        "href": f"/rasters/{raster_id}",
        "rel": "related",
        "type": COG,
        "title": out.title.en,
        "raster": raster_id,
        "width": int(data.shape[2]),
        "height": int(data.shape[1]),
        **out.extra,
    }


def to_json(value: Any) -> Any:
    """Return ``value`` as plain JSON types (frames become lists of records)."""
    if isinstance(value, gpd.GeoDataFrame):
        value = pd.DataFrame(value.drop(columns=value.geometry.name))
    if isinstance(value, pd.DataFrame):
        return [to_json(r) for r in value.to_dict(orient="records")]
    if isinstance(value, dict):
        return {str(k): to_json(v) for k, v in value.items()}
    if isinstance(value, list | tuple | set | np.ndarray | pd.Series):
        return [to_json(v) for v in (value.tolist() if hasattr(value, "tolist") else value)]
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, float) and not np.isfinite(value):
        return None
    if value is pd.NA or value is pd.NaT:
        return None
    if isinstance(value, str | int | float | bool) or value is None:
        return value
    return str(value)
