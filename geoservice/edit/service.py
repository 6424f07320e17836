"""Create, replace, update and delete features, each as one new version of the layer.

Optimistic locking: an edit carrying ``If-Match`` is applied only if the
feature's current tag matches, and only to the version that was checked
(``store.edit(expected_version=...)``). If another edit of the layer landed in
between, the check is simply run again on the new version: an edit of another
feature does not make this one fail.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import geopandas as gpd
import numpy as np

from geoservice.catalog.models import LayerDef
from geoservice.crs import CRS84_URI
from geoservice.edit.etag import check_if_match
from geoservice.edit.geojson_in import checked_frame, features_of
from geoservice.encoding.geojson import encode_feature
from geoservice.errors import ConflictError, InvalidParameter, PreconditionFailed
from geoservice.settings import UploadSettings
from geoservice.storage.base import FeatureStore, VersionInfo

ATTEMPTS = 5
RECORD_KINDS = frozenset({"farmland_patrols", "farmland_incidents"})
"""Layers of records that are never deleted (a warden's log, an incident's trail)."""
RECORD_FIELDS = {
    "farmland_patrols": ("patrol_id", "warden", "recorded_at", "cell_code", "unit_code"),
    "farmland_incidents": (
        "incident_id",
        "status",
        "status_history",
        "photos",
        "reported_by",
        "reported_at",
        "cell_code",
        "unit_code",
    ),
}
"""Fields of a record only its own routes write (/farmland/...): an edit of a description
or a geometry may not rewrite who did what when, or skip a status step."""


def create_features(
    store: FeatureStore,
    layer: LayerDef,
    doc: Any,
    *,
    crs: str | None,
    limits: UploadSettings,
    author: str,
) -> tuple[VersionInfo, list[int]]:
    """Insert the features of a Feature/FeatureCollection body; return the new ids."""
    frame = checked_frame(
        features_of(doc), layer, crs=crs, limits=limits, other_keys=_keys(store, layer)
    )
    frame.index = [-1] * len(frame)
    return store.edit(
        layer, upserts=frame, author=author, message=f"created {len(frame)} feature(s)"
    )


def replace_feature(store, layer, fid: int, doc: Any, *, crs, limits, author, if_match):
    """Replace feature ``fid`` with the body's feature (its ``id`` member is ignored)."""
    (feature,) = _one(features_of(doc))
    return _guarded(
        store,
        layer,
        fid,
        if_match,
        lambda version: _write(
            store, layer, fid, feature, crs, limits, author, version, "replaced"
        ),
    )


def update_feature(store, layer, fid: int, patch: Any, *, crs, limits, author, if_match):
    """Apply a JSON merge patch (RFC 7396) to feature ``fid``."""
    if not isinstance(patch, dict):
        raise InvalidParameter("a PATCH body is a JSON object (application/merge-patch+json)")
    if "id" in patch and str(patch["id"]) != str(fid):
        raise InvalidParameter("a PATCH may not change the feature's id")

    def apply(version: int):
        current = _current_feature(store, layer, fid, version)
        merged = _merge(current, patch)
        return _write(
            store,
            layer,
            fid,
            merged,
            crs if "geometry" in patch else None,
            limits,
            author,
            version,
            "updated",
        )

    return _guarded(store, layer, fid, if_match, apply)


def delete_feature(store, layer, fid: int, *, author: str, if_match: str | None):
    """Delete feature ``fid`` (refused on record layers: their records are never deleted)."""
    if layer.kind in RECORD_KINDS:
        raise ConflictError(
            f"{layer.id!r} is a record layer: its features are never deleted (close an "
            "incident instead; older versions keep every record)"
        )
    return _guarded(
        store,
        layer,
        fid,
        if_match,
        lambda version: store.edit(
            layer,
            deletes=[fid],
            author=author,
            message=f"deleted feature {fid}",
            expected_version=version,
        ),
    )


def _guarded(store, layer, fid, if_match, apply: Callable[[int], Any]):
    for _ in range(ATTEMPTS):
        version = store.current_version(layer.id).version
        check_if_match(store, layer, fid, if_match, version)
        try:
            return apply(version)
        except PreconditionFailed as exc:
            if "changed while this edit" not in exc.message:
                raise
    raise PreconditionFailed(f"{layer.id!r} is being edited by others right now; retry")


def _write(store, layer, fid, feature, crs, limits, author, version, verb):
    _keep_record_fields(store, layer, fid, feature, version)
    frame = checked_frame(
        [feature], layer, crs=crs, limits=limits, other_keys=_keys(store, layer, skip=fid)
    )
    frame.index = [fid]
    return store.edit(
        layer,
        upserts=frame,
        author=author,
        message=f"{verb} feature {fid}",
        expected_version=version,
    )


def _keep_record_fields(store, layer, fid: int, feature: Any, version: int) -> None:
    """Refuse (409) a replace or patch that changes a record's own fields."""
    fields = RECORD_FIELDS.get(layer.kind, ())
    if not fields:
        return
    current = _current_feature(store, layer, fid, version).get("properties") or {}
    new = (feature.get("properties") if isinstance(feature, dict) else None) or {}
    changed = [f for f in fields if new.get(f) != current.get(f)]
    if changed:
        raise ConflictError(
            f"{layer.id!r} feature {fid}: {changed} are written only by the /farmland/ routes "
            "(a status changes through POST /farmland/incidents/{id}/status); send them unchanged"
        )


def _current_feature(store, layer, fid: int, version: int) -> dict:
    import orjson

    rows = store.get_feature(layer, fid, crs=CRS84_URI, version=version)
    return orjson.loads(encode_feature(rows))


def _merge(target: Any, patch: Any) -> Any:
    if not isinstance(patch, dict):
        return patch
    out = dict(target) if isinstance(target, dict) else {}
    for key, value in patch.items():
        if key == "geometry":
            out[key] = value
        elif value is None:
            out.pop(key, None)
        else:
            out[key] = _merge(out.get(key), value)
    return out


def _one(features: list[dict]) -> list[dict]:
    if len(features) != 1:
        raise InvalidParameter("PUT replaces one feature: send a single GeoJSON Feature")
    return features


def _keys(store: FeatureStore, layer: LayerDef, skip: int | None = None) -> list:
    if not layer.key:
        return []
    frame: gpd.GeoDataFrame = store.read_frame(layer, columns=[layer.key])
    if skip is not None:
        frame = frame[frame.index != skip]
    return [k for k in frame[layer.key].tolist() if k is not None and k is not np.nan]
