"""What changed between two versions of a layer: added, removed and changed features.

Features are matched on the layer's ``key`` attribute (stable across uploads,
e.g. a division code), or on the feature id when the layer has no key (stable
across edits, not across replacing uploads).
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
import shapely

from geoservice.catalog.models import LayerDef
from geoservice.storage.base import FeatureDiff, FeatureStore


def diff_versions(store: FeatureStore, layer: LayerDef, old: int, new: int) -> FeatureDiff:
    """Compare version ``old`` with version ``new`` of ``layer``.

    ``changed`` lists ``{"key", "properties": [names], "geometry": bool}`` for
    features present in both whose attributes or geometry differ.
    """
    before = _keyed(store.read_frame(layer, version=old), layer)
    after = _keyed(store.read_frame(layer, version=new), layer)
    common = before.index.intersection(after.index)
    added = [_plain(k) for k in after.index.difference(before.index)]
    removed = [_plain(k) for k in before.index.difference(after.index)]
    changed = _changed(before.loc[common], after.loc[common], layer)
    return FeatureDiff(added=added, removed=removed, changed=changed, key=layer.key or "id")


def _keyed(frame: pd.DataFrame, layer: LayerDef) -> pd.DataFrame:
    if layer.key:
        frame = frame.set_index(layer.key, drop=False)
    return frame[~frame.index.duplicated(keep="last")].sort_index()


def _changed(before: pd.DataFrame, after: pd.DataFrame, layer: LayerDef) -> list[dict]:
    # normalize: a shapefile round trip reorders rings and their start vertex
    geom_changed = ~shapely.equals_exact(
        shapely.normalize(before.geometry.to_numpy()),
        shapely.normalize(after.geometry.to_numpy()),
        tolerance=0.0,
    )
    props = {}
    for name in layer.attribute_names:
        props[name] = ~_same(before[name].to_numpy(), after[name].to_numpy())
    out = []
    for i, key in enumerate(before.index):
        fields = [n for n, diff in props.items() if diff[i]]
        if fields or geom_changed[i]:
            out.append(
                {"key": _plain(key), "properties": fields, "geometry": bool(geom_changed[i])}
            )
    return out


def _same(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    return np.array([_equal(x, y) for x, y in zip(a, b, strict=True)], dtype=bool)


def _equal(x: Any, y: Any) -> bool:
    missing_x, missing_y = _missing(x), _missing(y)
    if missing_x or missing_y:
        return missing_x and missing_y
    return bool(x == y)


def _missing(value: Any) -> bool:
    return value is None or (isinstance(value, float) and np.isnan(value))


def _plain(value: Any) -> Any:
    return value.item() if isinstance(value, np.generic) else value
