"""Uploads: replace or append a layer from a file, create a layer from a file, delete one."""

from __future__ import annotations

import copy
from typing import Annotated

from fastapi import APIRouter, Header, Request
from fastapi import Path as PathParam
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import FileResponse, Response
from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from geoservice.api.auth import AdminDep, EditorDep, check_layer_scope
from geoservice.api.deps import (
    BaseUrlDep,
    CatalogDep,
    LiveCatalogDep,
    ManagerDep,
    SettingsDep,
    StoreDep,
)
from geoservice.api.errors import status_of_code
from geoservice.api.multipart import UploadForm, receive_upload
from geoservice.api.responses import JSONBytesResponse
from geoservice.errors import ConflictError, InvalidParameter, NotFoundError
from geoservice.ingest import IngestOptions, NewLayerSpec, Upload, ingest
from geoservice.ingest.fieldmaps import FieldMapStore, SavedFieldMap
from geoservice.ingest.multilayer import (
    choose_layers,
    ingest_layers,
    layer_ids,
    layers_in_upload,
    wants_several,
)
from geoservice.ingest.options import parse_bool, parse_field_map
from geoservice.ingest.rejected import media_type, rejected_path
from geoservice.ingest.service import IngestOutcome
from geoservice.ingest.workdir import held_folder
from geoservice.ogc import processes as job_docs
from geoservice.ogc.links import JSON, link
from geoservice.processes.upload_jobs import submit_upload

router = APIRouter(tags=["Uploads"])

UPLOAD_FORM_DOC = {
    "requestBody": {
        "required": True,
        "content": {
            "multipart/form-data": {
                "schema": {
                    "type": "object",
                    "required": ["file"],
                    "properties": {
                        "file": {"type": "string", "format": "binary"},
                        "mode": {"type": "string", "enum": ["replace", "append"]},
                        "crs": {"type": "string", "example": "EPSG:4546"},
                        "source_layer": {
                            "type": "string",
                            "description": "the layer of a GeoPackage/KML, or the dataset "
                            "of a zip, to read. New layers (POST /collections): * or several "
                            "names (comma-separated or repeated) make one layer each, named "
                            "<id>_<source layer>",
                        },
                        "coordinate_system": {"type": "string", "enum": ["wgs84", "gcj02", "bd09"]},
                        "encoding": {"type": "string", "example": "GBK"},
                        "dry_run": {"type": "boolean"},
                        "repair": {"type": "boolean"},
                        "force_2d": {"type": "boolean"},
                        "message": {"type": "string"},
                        "field_map": {
                            "type": "string",
                            "example": "名称=name_zh,代码=code",
                            "description": "file column=layer attribute pairs; the report's "
                            "suggested_field_map proposes one",
                        },
                        "save_field_map": {
                            "type": "boolean",
                            "description": "once stored, keep field_map as the layer's "
                            "mapping: later uploads without field_map use it",
                        },
                        "use_saved_field_map": {
                            "type": "boolean",
                            "description": "false: ignore the layer's saved mapping",
                        },
                        "on_error": {
                            "type": "string",
                            "enum": ["reject", "skip"],
                            "description": "skip: store the valid features; the others "
                            "come back as a file (report.rejected_file)",
                        },
                    },
                }
            }
        },
    }
}
NEW_LAYER_FIELDS = (
    "id",
    "title_zh",
    "title_en",
    "kind",
    "style",
    "key",
    "storage_crs",
    "area",
    "field_types",
)
NEW_LAYER_FORM_DOC = copy.deepcopy(UPLOAD_FORM_DOC)
_form_schema = NEW_LAYER_FORM_DOC["requestBody"]["content"]["multipart/form-data"]["schema"]
_form_schema["required"] = ["file", "id"]
_form_schema["properties"].update(
    {name: {"type": "string"} for name in NEW_LAYER_FIELDS}
    | {"field_types": {"type": "string", "example": "val=integer,code=string"}}
)
UPLOAD_FIELDS = tuple(
    name
    for name in UPLOAD_FORM_DOC["requestBody"]["content"]["multipart/form-data"]["schema"][
        "properties"
    ]
    if name != "file"
)


ASYNC_DOC = {
    202: {
        "description": "The upload runs as a job (Prefer: respond-async, or a file above "
        "the server's uploads.async_above_bytes): follow Location to /jobs/{jobId}; its "
        "results are the upload's report"
    }
}


@router.post(
    "/collections/{collectionId}/uploads",
    operation_id="uploadToCollection",
    summary="Upload a file into a layer",
    status_code=201,
    openapi_extra=UPLOAD_FORM_DOC,
    responses=ASYNC_DOC,
)
async def upload(
    request: Request,
    principal: EditorDep,
    catalog: CatalogDep,
    store: StoreDep,
    settings: SettingsDep,
    manager: ManagerDep,
    base_url: BaseUrlDep,
    collectionId: Annotated[str, PathParam(description="collection (layer) id")],
    prefer: Annotated[str | None, Header()] = None,
):
    """Check a file and store it as a new version of the layer (or only report: dry_run).

    ``Prefer: respond-async`` (and any file above ``uploads.async_above_bytes``)
    runs it as a job: 202 with the job's Location, progress in its status,
    cancelled by ``DELETE /jobs/{id}``, the report as its results.
    """
    layer = catalog.get(collectionId)
    check_layer_scope(principal, layer.id)
    folder = held_folder(settings.uploads.work_dir, "gs-upload-")
    handed_over = False
    try:
        form = await receive_upload(request, folder.path, settings.uploads.max_bytes, UPLOAD_FIELDS)
        if wants_several(form.fields.get("source_layer")):
            raise InvalidParameter(
                f"source_layer={form.fields['source_layer'][:200]!r}: a layer takes one source "
                "layer per upload; to make a new layer of each, POST the file to /collections "
                "with source_layer=* (or the names)"
            )
        options = _options(form, principal.label)
        run = _ingest_call(form, store, catalog, settings, options, layer=layer)
        response, handed_over = await _run_upload(
            request, manager, settings, principal, form, folder, layer.id, run, base_url, prefer
        )
    finally:
        if not handed_over:
            folder.release()
    return response


@router.post(
    "/collections",
    operation_id="createCollection",
    summary="Create a layer from a file",
    status_code=201,
    openapi_extra=NEW_LAYER_FORM_DOC,
    responses=ASYNC_DOC,
)
async def create_collection(
    request: Request,
    principal: AdminDep,
    catalog: CatalogDep,
    live: LiveCatalogDep,
    store: StoreDep,
    settings: SettingsDep,
    manager: ManagerDep,
    base_url: BaseUrlDep,
    prefer: Annotated[str | None, Header()] = None,
):
    """Declare a new layer from an uploaded file (form field ``id``; ``area``, the study
    area it joins, defaults to the service's default area) and store its features.

    Runs as a job like an upload to a layer (``Prefer: respond-async``, large files).
    """
    folder = held_folder(settings.uploads.work_dir, "gs-upload-")
    handed_over = False
    try:
        fields = (*UPLOAD_FIELDS, *NEW_LAYER_FIELDS)
        form = await receive_upload(request, folder.path, settings.uploads.max_bytes, fields)
        spec = _new_layer(form, catalog)
        if wants_several(form.fields.get("source_layer")):
            return await run_in_threadpool(
                _create_several, form, spec, principal, catalog, live, store, settings, base_url
            )
        if spec.id in catalog or store.has_layer(spec.id):
            raise ConflictError(
                f"collection {spec.id!r} exists; upload to /collections/{spec.id}/uploads"
            )
        options = _options(form, principal.label)
        ingest_file = _ingest_call(form, store, catalog, settings, options, new_layer=spec)

        def run(progress):
            outcome = ingest_file(progress)
            if outcome.version is not None:
                live.publish(outcome.layer)
            return outcome

        response, handed_over = await _run_upload(
            request,
            manager,
            settings,
            principal,
            form,
            folder,
            spec.id,
            run,
            base_url,
            prefer,
            declare=True,
        )
    finally:
        if not handed_over:
            folder.release()
    return response


@router.delete(
    "/collections/{collectionId}",
    operation_id="deleteCollection",
    summary="Delete a layer",
    status_code=204,
)
def delete_collection(
    request: Request,
    principal: AdminDep,
    catalog: CatalogDep,
    live: LiveCatalogDep,
    store: StoreDep,
    settings: SettingsDep,
    collectionId: Annotated[str, PathParam(description="collection (layer) id")],
):
    """Delete a layer created at run time: its declaration and every stored version.

    Layers declared in the repository (curated) are retired by removing their file.
    """
    layer = catalog.get(collectionId)
    if live.is_curated(layer.id):
        raise ConflictError(
            f"layer {layer.id!r} is declared in the repository's layers folder; "
            "remove its file there to retire it"
        )
    store.delete_layer(layer.id)
    live.unpublish(layer.id)
    FieldMapStore(settings.field_maps_dir).delete(layer.id)  # a new layer of that id starts afresh
    return Response(status_code=204)


def _create_several(form, spec, principal, catalog, live, store, settings, base_url):
    """Create one new layer per source layer of the file (checked all, then written all)."""
    name = form.filename or "upload"
    available = layers_in_upload(form.file, name, settings.uploads)
    chosen = layer_ids(spec.id, choose_layers(form.fields["source_layer"], available, name))
    taken = [i for i in chosen.values() if i in catalog or store.has_layer(i)]
    if taken:
        raise ConflictError(
            f"collection(s) {taken} exist; choose another id prefix than {spec.id!r}"
        )

    def run(options, one_spec):
        outcome = _ingest_call(form, store, catalog, settings, options, new_layer=one_spec)(None)
        if outcome.version is not None:
            live.publish(outcome.layer)
        return outcome

    outcomes = ingest_layers(chosen, spec, _options(form, principal.label), run)
    stored = any(o.version is not None for o in outcomes)
    body = {
        "file": name,
        "layers": [
            {"source_layer": source, **_body(outcome, base_url, declare=True)}
            for source, outcome in zip(chosen, outcomes, strict=True)
        ],
    }
    return JSONBytesResponse(body, status_code=201 if stored else 200)


def _ingest_call(form: UploadForm, store, catalog, settings, options, **target):
    """Return ``ingest`` of the received file as a call taking a progress callback;
    ``target`` is ``layer=`` or ``new_layer=``. Run it in a thread or as a job."""

    def run(progress) -> IngestOutcome:
        return ingest(
            Upload(form.file, form.filename),
            store=store,
            catalog=catalog,
            limits=settings.uploads,
            options=options,
            progress=progress,
            rejected_dir=settings.rejected_dir,
            field_maps=FieldMapStore(settings.field_maps_dir),
            preview_dir=settings.previews_dir,
            **target,
        )

    return run


async def _run_upload(
    request,
    manager,
    settings,
    principal,
    form,
    folder,
    collection,
    run,
    base_url,
    prefer,
    *,
    declare: bool = False,
) -> tuple[Response, bool]:
    """Run the received upload now, or hand it to a job; return the answer and whether
    the job took ``folder`` (it then releases it when it ends)."""
    if not _runs_as_job(prefer, form, settings):
        outcome = await run_in_threadpool(run, None)
        return _response(outcome, base_url, declare), False
    submitted = submit_upload(
        manager,
        folder=folder,
        collection=collection,
        file=form.filename or "upload",
        run_ingest=run,
        results=lambda outcome: _body(outcome, "", declare),
        author=principal.label,
        owner_key=principal.key_id,
    )
    return _accepted(request, submitted, base_url, prefer), True


def _runs_as_job(prefer: str | None, form: UploadForm, settings) -> bool:
    """Tell whether the client asked for a job, or the file is too large to wait for."""
    if "respond-async" in (prefer or "").lower():
        return True
    return form.file.stat().st_size > settings.uploads.async_above_bytes


def _accepted(request: Request, submitted, base_url: str, prefer: str | None):
    record = submitted.record
    request.state.audit_job = record.job_id  # for the audit record
    headers = {"Location": f"{base_url}/jobs/{record.job_id}"}
    if "respond-async" in (prefer or "").lower():
        headers["Preference-Applied"] = "respond-async"
    body = job_docs.status_info(record, base_url, status_of_code)
    return JSONBytesResponse(body, status_code=202, headers=headers)


def _options(form: UploadForm, author: str) -> IngestOptions:
    f = form.fields
    return IngestOptions(
        mode=f.get("mode") or "replace",
        crs=f.get("crs") or None,
        source_layer=f.get("source_layer") or None,
        coordinate_system=(f.get("coordinate_system") or "wgs84").lower(),
        dry_run=parse_bool(f.get("dry_run"), "dry_run"),
        repair=parse_bool(f.get("repair"), "repair"),
        force_2d=parse_bool(f.get("force_2d"), "force_2d"),
        encoding=f.get("encoding") or None,
        author=author,
        message=f.get("message", ""),
        on_error=(f.get("on_error") or "reject").lower(),
        field_map=parse_field_map(f.get("field_map")),
        save_field_map=parse_bool(f.get("save_field_map"), "save_field_map"),
        use_saved_field_map=parse_bool(
            f.get("use_saved_field_map") or "true", "use_saved_field_map"
        ),
    )


def _new_layer(form: UploadForm, catalog) -> NewLayerSpec:
    values = {k: form.fields[k] for k in NEW_LAYER_FIELDS if form.fields.get(k)}
    if "id" not in values:
        raise InvalidParameter("give the new layer's id in the form field 'id' (e.g. towns)")
    if values.get("area", catalog.default_area) not in catalog.areas:
        raise InvalidParameter(
            f"form field 'area': no study area {values['area']!r}; "
            f"use one of {sorted(catalog.areas)}"
        )
    values.setdefault("area", catalog.default_area)
    return NewLayerSpec(**values)


def _response(outcome: IngestOutcome, base_url: str, declare: bool = False) -> JSONBytesResponse:
    body = _body(outcome, base_url, declare)
    if outcome.version is None:
        return JSONBytesResponse(body, status_code=200)
    location = f"{base_url}/collections/{outcome.layer.id}/versions/{outcome.version.version}"
    return JSONBytesResponse(body, status_code=201, headers={"Location": location})


def _body(outcome: IngestOutcome, base_url: str, declare: bool = False) -> dict:
    """Return the upload's report with links (relative to the root when ``base_url`` is
    empty: a job's results are made absolute when they are read)."""
    body = outcome.report.as_dict()
    url = f"{base_url}/collections/{outcome.layer.id}"
    rejected = body.get("rejected_file")
    if rejected:
        rejected["href"] = f"{base_url}/uploads/rejected/{rejected.pop('token')}"
    if outcome.report.preview_token:
        body["preview_map"] = f"{base_url}/maps/preview/{outcome.report.preview_token}"
    if declare:
        body["layer"] = outcome.layer.model_dump(mode="json")
    if outcome.version is not None:
        version = outcome.version.version
        body["links"] = [
            link(url, "collection", JSON),
            link(f"{url}/versions/{version}", "version", JSON),
            link(f"{url}/items?version={version}", "items", "application/geo+json"),
        ]
    return body


@router.get(
    "/uploads/rejected/{token}",
    operation_id="getRejectedFeatures",
    summary="Features an on_error=skip upload left out",
)
def rejected_features(
    principal: EditorDep,
    settings: SettingsDep,
    token: Annotated[str, PathParam(max_length=64)],
):
    """Return the file of rejected features (the upload's format, plus error columns).

    The token in the upload's report is the only way to name it; files are kept a week.
    """
    path = rejected_path(settings.rejected_dir, token)
    if path is None:
        raise NotFoundError(f"no rejected-features file {token[:64]!r} (they are kept a week)")
    return FileResponse(
        path,
        media_type=media_type(path),
        filename=path.name,
        headers={"Cache-Control": "private, no-store"},
    )


# -- saved field mappings -----------------------------------------------------


class FieldMapBody(BaseModel):
    """A layer's upload mapping: {file column: layer attribute}."""

    model_config = ConfigDict(extra="forbid")
    field_map: dict[Annotated[str, StringConstraints(max_length=200)], str] = Field(
        max_length=500, examples=[{"名称": "name_zh", "代码": "code"}]
    )


@router.get(
    "/collections/{collectionId}/field-map",
    operation_id="getSavedFieldMap",
    summary="The layer's saved upload field mapping",
)
def get_field_map(
    principal: EditorDep,
    catalog: CatalogDep,
    settings: SettingsDep,
    collectionId: Annotated[str, PathParam(description="collection (layer) id")],
):
    """Return the mapping uploads to this layer use when they give no ``field_map``."""
    layer = catalog.get(collectionId)
    saved = FieldMapStore(settings.field_maps_dir).get(layer.id)
    if saved is None:
        raise NotFoundError(
            f"layer {layer.id!r} has no saved field mapping; upload with field_map=... "
            "and save_field_map=true, or PUT one here"
        )
    return _field_map_body(layer.id, saved)


@router.put(
    "/collections/{collectionId}/field-map",
    operation_id="putSavedFieldMap",
    summary="Save the layer's upload field mapping",
)
def put_field_map(
    principal: EditorDep,
    catalog: CatalogDep,
    settings: SettingsDep,
    body: FieldMapBody,
    collectionId: Annotated[str, PathParam(description="collection (layer) id")],
):
    """Keep a mapping for later uploads to this layer (attributes are checked)."""
    layer = catalog.get(collectionId)
    check_layer_scope(principal, layer.id)
    pairs = tuple(body.field_map.items())
    saved = FieldMapStore(settings.field_maps_dir).save(layer, pairs, principal.label)
    return _field_map_body(layer.id, saved)


@router.delete(
    "/collections/{collectionId}/field-map",
    operation_id="deleteSavedFieldMap",
    summary="Forget the layer's upload field mapping",
    status_code=204,
)
def delete_field_map(
    principal: EditorDep,
    catalog: CatalogDep,
    settings: SettingsDep,
    collectionId: Annotated[str, PathParam(description="collection (layer) id")],
):
    """Forget the mapping; later uploads match columns by name again."""
    layer = catalog.get(collectionId)
    check_layer_scope(principal, layer.id)
    if not FieldMapStore(settings.field_maps_dir).delete(layer.id):
        raise NotFoundError(f"layer {layer.id!r} has no saved field mapping")
    return Response(status_code=204)


def _field_map_body(layer_id: str, saved: SavedFieldMap) -> dict:
    return {"collection": layer_id, **saved.as_dict()}
