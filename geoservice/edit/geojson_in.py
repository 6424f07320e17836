"""Turn a GeoJSON request body into checked rows of a layer, in its storage CRS.

The same checks as uploads apply (schema, types, enums, keys, geometry type,
validity, coordinates), through :class:`~geoservice.ingest.pipeline.BatchPipeline`.
Unknown properties are refused rather than dropped: an edit that loses a value
silently is a corrupted edit.
"""

from __future__ import annotations

from typing import Any

import geopandas as gpd
import numpy as np
import shapely
from shapely.geometry import shape

from geoservice.catalog.models import LayerDef
from geoservice.crs import resolve_crs, swap_axes
from geoservice.errors import InvalidParameter, InvalidUpload
from geoservice.ingest.georef import SourceCRS
from geoservice.ingest.options import IngestOptions
from geoservice.ingest.pipeline import BatchPipeline
from geoservice.ingest.report import IngestReport
from geoservice.settings import UploadSettings


def features_of(doc: Any) -> list[dict]:
    """Return the features of a Feature or FeatureCollection document."""
    if not isinstance(doc, dict):
        raise InvalidParameter("the body must be a GeoJSON Feature or FeatureCollection")
    if doc.get("type") == "Feature":
        return [doc]
    if doc.get("type") == "FeatureCollection" and isinstance(doc.get("features"), list):
        return doc["features"]
    raise InvalidParameter(f"the body is a {doc.get('type')!r}, not a GeoJSON Feature")


def checked_frame(
    features: list[dict],
    layer: LayerDef,
    *,
    crs: str | None,
    limits: UploadSettings,
    other_keys: list[Any],
) -> gpd.GeoDataFrame:
    """Return the features as rows of ``layer`` in its storage CRS, or refuse them (422)."""
    ref = resolve_crs(crs)
    rows, geoms = [], []
    for i, feature in enumerate(features):
        props = feature.get("properties") or {}
        unknown = sorted(set(props) - set(layer.attribute_names))
        if unknown:
            raise InvalidParameter(
                f"feature {i}: properties {unknown} are not attributes of {layer.id!r} "
                f"({layer.attribute_names})"
            )
        rows.append(props)
        geoms.append(_geometry(feature.get("geometry"), i))
    if ref.north_first:
        geoms = list(swap_axes(np.asarray(geoms, dtype=object)))
    frame = gpd.GeoDataFrame(rows, geometry=geoms, crs=None)
    report = IngestReport(file="request body", layer=layer.id, feature_count=len(frame))
    source = SourceCRS(ref.crs, "content-crs")
    pipeline = BatchPipeline(
        report, layer, IngestOptions(), limits, source, existing_keys=other_keys
    )
    out = pipeline.check(frame)
    if not report.accepted:
        raise InvalidUpload(report.summary(), details=report.as_dict())
    return out


def _geometry(value: Any, index: int):
    if value is None:
        return None
    try:
        return shape(value)
    except (AttributeError, KeyError, TypeError, ValueError, shapely.errors.GEOSException) as exc:
        raise InvalidParameter(
            f"feature {index}: the geometry is not valid GeoJSON ({exc})"
        ) from None
