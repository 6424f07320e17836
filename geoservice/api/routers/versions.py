"""Versions of a layer: list, describe, diff, and roll back."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query

from geoservice.api.auth import EditorDep, check_layer_scope
from geoservice.api.deps import BaseUrlDep, LayerDep, StoreDep
from geoservice.api.params import VersionPath
from geoservice.api.responses import JSONBytesResponse
from geoservice.features import INT64_MAX
from geoservice.history import diff_versions
from geoservice.ingest.service import version_dict
from geoservice.ogc.links import GEOJSON, JSON, link

router = APIRouter(tags=["Versions"])


@router.get(
    "/collections/{collectionId}/versions",
    operation_id="getVersions",
    summary="Versions of a layer",
)
def versions(layer: LayerDep, store: StoreDep, base_url: BaseUrlDep):
    """List every version: who made it, when, how, and how many features it holds."""
    url = f"{base_url}/collections/{layer.id}"
    docs = [_version_doc(url, v) for v in store.versions(layer.id)]
    return JSONBytesResponse(
        {
            "collection": layer.id,
            "current": store.current_version(layer.id).version,
            "versions": docs,
            "links": [link(f"{url}/versions", "self", JSON), link(url, "collection", JSON)],
        }
    )


@router.get(
    "/collections/{collectionId}/versions/{version}",
    operation_id="getVersion",
    summary="One version of a layer",
)
def version(layer: LayerDep, store: StoreDep, base_url: BaseUrlDep, version: VersionPath):
    """Describe one version, with links to its items and to the diff with its predecessor."""
    info = _find(store, layer.id, version)
    return JSONBytesResponse(_version_doc(f"{base_url}/collections/{layer.id}", info))


@router.get(
    "/collections/{collectionId}/versions/{version}/diff",
    operation_id="diffVersions",
    summary="Differences between two versions",
)
def diff(
    layer: LayerDep,
    store: StoreDep,
    version: VersionPath,
    to: Annotated[
        int | None,
        Query(description="version to compare with (default: current)", ge=1, le=INT64_MAX),
    ] = None,
    limit: Annotated[int, Query(ge=0, le=100_000)] = 1000,
):
    """List the features added, removed and changed from ``version`` to ``to``."""
    target = to or store.current_version(layer.id).version
    _find(store, layer.id, version)
    _find(store, layer.id, target)
    result = diff_versions(store, layer, version, target)
    return JSONBytesResponse(
        {
            "collection": layer.id,
            "from": version,
            "to": target,
            "key": result.key,
            "counts": {
                "added": len(result.added),
                "removed": len(result.removed),
                "changed": len(result.changed),
            },
            "added": result.added[:limit],
            "removed": result.removed[:limit],
            "changed": result.changed[:limit],
        }
    )


@router.post(
    "/collections/{collectionId}/versions/{version}/rollback",
    operation_id="rollbackToVersion",
    summary="Roll back to a version",
    status_code=201,
)
def rollback(
    principal: EditorDep,
    layer: LayerDep,
    store: StoreDep,
    base_url: BaseUrlDep,
    version: VersionPath,
):
    """Make a new current version whose content is that of ``version`` (nothing is deleted)."""
    check_layer_scope(principal, layer.id)
    _find(store, layer.id, version)
    info = store.rollback(layer, version, author=principal.label)
    url = f"{base_url}/collections/{layer.id}"
    return JSONBytesResponse(
        _version_doc(url, info),
        status_code=201,
        headers={"Location": f"{url}/versions/{info.version}"},
    )


def _find(store, layer_id: str, number: int):
    for info in store.versions(layer_id):
        if info.version == number:
            return info
    from geoservice.errors import VersionNotFound

    raise VersionNotFound(f"collection {layer_id!r} has no version {number}")


def _version_doc(url: str, info) -> dict:
    doc = version_dict(info)
    doc["links"] = [
        link(f"{url}/versions/{info.version}", "self", JSON),
        link(f"{url}/items?version={info.version}", "items", GEOJSON),
    ]
    if info.version > 1:
        doc["links"].append(
            link(f"{url}/versions/{info.version - 1}/diff?to={info.version}", "diff", JSON)
        )
    return doc
