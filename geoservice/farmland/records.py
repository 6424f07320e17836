"""Record patrols and incidents, and move incidents through their statuses.

Every record and every status change is one new version of its layer
(``store.edit``), so the layer's version list is the audit trail; nothing is
ever deleted. The grid cell of a record is found from its position (or checked
against the cell the warden names), and a warden key may record only in its
own cells (:meth:`~geoservice.auth.keys.Principal.covers_cell`).
"""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any

import geopandas as gpd
import shapely
from shapely.geometry import shape

from geoservice.auth.keys import Principal
from geoservice.catalog.models import LayerDef
from geoservice.catalog.registry import Catalog
from geoservice.edit.geojson_in import checked_frame
from geoservice.errors import ConflictError, Forbidden, InvalidParameter, NotFoundError
from geoservice.farmland.scheme import (
    CATEGORIES,
    CELLS_LAYER,
    INCIDENTS_LAYER,
    NEXT_STATUS,
    PATROLS_LAYER,
    RECORD_LAYER_KINDS,
    STATUSES,
)
from geoservice.quality import APPROXIMATE, FIELD_SURVEY
from geoservice.settings import UploadSettings
from geoservice.storage.base import FeatureQuery, FeatureStore

PATROL_GEOMETRIES = ("Point", "MultiPoint", "LineString", "MultiLineString")
INCIDENT_GEOMETRIES = ("Point", "Polygon", "MultiPolygon")
PLACEMENTS = ("device_gps", "map_click", "surveyed", "sketched")
SOURCE = "recorded in geoservice (东政办发〔2023〕61号 patrol duty)"
MAX_TEXT = 4000


@dataclass(frozen=True)
class Recorded:
    """What a record call stored: the feature id and key, the version it made."""

    fid: int
    key: str
    version: int
    cell_code: str


def now_utc() -> str:
    """Return the current UTC time as ISO 8601 seconds (what records carry)."""
    return datetime.now(UTC).isoformat(timespec="seconds")


def record_patrol(
    store: FeatureStore,
    catalog: Catalog,
    body: Any,
    *,
    principal: Principal,
    limits: UploadSettings,
    at: str | None = None,
) -> Recorded:
    """Store one patrol (date, cell, route or points, findings) as a new version."""
    body = _object(body)
    geometry = _geometry(body, PATROL_GEOMETRIES)
    cell = locate_cell(store, catalog, geometry, body.get("cell_code"))
    _check_scope(principal, cell)
    patrol_date = _date(body.get("patrol_date"), "patrol_date")
    at = at or now_utc()
    patrol_id = f"P{uuid.uuid4().hex[:12]}"
    props = {
        "patrol_id": patrol_id,
        "patrol_date": patrol_date,
        "cell_code": cell[0],
        "unit_code": cell[1],
        "warden": principal.label,
        "findings": _text(body.get("findings"), "findings"),
        "recorded_at": at,
        "name_zh": f"巡田 {patrol_date} {cell[0]}",
        "name_en": f"Patrol {patrol_date} {cell[0]}",
        **_provenance(body),
    }
    layer = catalog.get(PATROLS_LAYER)
    fid, version = _append(store, layer, props, geometry, limits, principal, "patrol")
    return Recorded(fid, patrol_id, version, cell[0])


def report_incident(
    store: FeatureStore,
    catalog: Catalog,
    body: Any,
    *,
    principal: Principal,
    limits: UploadSettings,
    at: str | None = None,
) -> Recorded:
    """Store one incident, status ``reported``, as a new version."""
    body = _object(body)
    geometry = _geometry(body, INCIDENT_GEOMETRIES)
    category = body.get("category")
    if category not in CATEGORIES:
        raise InvalidParameter(f"category {category!r}: use one of {list(CATEGORIES)}")
    cell = locate_cell(store, catalog, geometry, body.get("cell_code"))
    _check_scope(principal, cell)
    at = at or now_utc()
    incident_id = f"I{uuid.uuid4().hex[:12]}"
    history = [{"status": "reported", "by": principal.label, "at": at, "note": ""}]
    props = {
        "incident_id": incident_id,
        "category": category,
        "status": "reported",
        "cell_code": cell[0],
        "unit_code": cell[1],
        "description": _text(body.get("description"), "description"),
        "reported_by": principal.label,
        "reported_at": at,
        "status_history": json.dumps(history, ensure_ascii=False),
        "photos": "[]",
        "name_zh": f"{category} {cell[0]}",
        "name_en": f"{CATEGORIES[category]} {cell[0]}",
        **_provenance(body),
    }
    layer = catalog.get(INCIDENTS_LAYER)
    fid, version = _append(store, layer, props, geometry, limits, principal, "incident")
    return Recorded(fid, incident_id, version, cell[0])


def change_status(
    store: FeatureStore,
    catalog: Catalog,
    incident_id: str,
    body: Any,
    *,
    principal: Principal,
    at: str | None = None,
) -> Recorded:
    """Move an incident one step (reported → verified → rectified → closed), with who and when.

    The change is refused (409) unless it is the next step from the status of the
    version it is applied to: two wardens moving the same incident at once cannot
    both succeed, and no step is skipped or undone.
    """
    body = _object(body)
    target = body.get("status")
    if target not in STATUSES:
        raise InvalidParameter(f"status {target!r}: use one of {list(STATUSES)}")
    note = _text(body.get("note"), "note")
    layer = catalog.get(INCIDENTS_LAYER)
    version = store.current_version(layer.id).version if store.has_layer(layer.id) else None
    frame = incident_frame(store, layer, incident_id, version)
    row = frame.iloc[0]
    _check_scope(principal, (row["cell_code"], row["unit_code"]))
    current = row["status"]
    if NEXT_STATUS.get(current) != target:
        allowed = NEXT_STATUS.get(current)
        raise ConflictError(
            f"incident {incident_id} is {current!r}; the next status is {allowed!r}"
            if allowed
            else f"incident {incident_id} is closed; nothing follows"
        )
    history = json.loads(row["status_history"])
    history.append({"status": target, "by": principal.label, "at": at or now_utc(), "note": note})
    frame.loc[frame.index[0], "status"] = target
    frame.loc[frame.index[0], "status_history"] = json.dumps(history, ensure_ascii=False)
    info, _ = store.edit(
        layer,
        upserts=frame,
        author=principal.label,
        message=f"incident {incident_id}: {current} -> {target}",
        expected_version=version,
    )
    return Recorded(int(frame.index[0]), incident_id, info.version, row["cell_code"])


def add_photo_entry(
    store: FeatureStore,
    catalog: Catalog,
    incident_id: str,
    entry: dict,
    *,
    principal: Principal,
) -> Recorded:
    """Append a stored photo's description to an incident's ``photos``, as a new version."""
    layer = catalog.get(INCIDENTS_LAYER)
    version = store.current_version(layer.id).version
    frame = incident_frame(store, layer, incident_id, version)
    row = frame.iloc[0]
    photos = json.loads(row["photos"] or "[]")
    photos.append(entry)
    frame.loc[frame.index[0], "photos"] = json.dumps(photos, ensure_ascii=False)
    info, _ = store.edit(
        layer,
        upserts=frame,
        author=principal.label,
        message=f"incident {incident_id}: photo {entry['file']}",
        expected_version=version,
    )
    return Recorded(int(frame.index[0]), incident_id, info.version, row["cell_code"])


def incident_cell(store: FeatureStore, catalog: Catalog, incident_id: str) -> tuple[str, str]:
    """Return the (cell, unit) codes of an incident, or raise NotFoundError."""
    layer = catalog.get(INCIDENTS_LAYER)
    row = incident_frame(store, layer, incident_id, None).iloc[0]
    return row["cell_code"], row["unit_code"]


def check_incident_scope(
    store: FeatureStore, catalog: Catalog, incident_id: str, principal: Principal
) -> None:
    """Refuse (403) a key that may not record in the incident's cell; 404 if none."""
    _check_scope(principal, incident_cell(store, catalog, incident_id))


def incident_frame(
    store: FeatureStore, layer: LayerDef, incident_id: str, version: int | None
) -> gpd.GeoDataFrame:
    """Return the one-row frame (storage CRS, indexed by fid) of an incident."""
    if not store.has_layer(layer.id):
        raise NotFoundError(f"no incident {incident_id!r}: none has been reported yet")
    query = FeatureQuery(
        equals={"incident_id": incident_id},
        limit=2,
        crs=layer.storage_crs,
        count_cap=0,
        version=version,
    )
    frame = store.query(layer, query).rows.to_frame()
    if len(frame) != 1:
        raise NotFoundError(f"no incident {incident_id!r}")
    return frame


def locate_cell(store: FeatureStore, catalog: Catalog, geometry, cell_code: Any) -> tuple[str, str]:
    """Return the (cell, level-2 unit) codes of the level-3 cell a record lies in.

    Without ``cell_code`` the cell holding the geometry's representative point is
    taken; with one, that cell must exist and hold the point (a warden cannot file
    a record under a cell it is not in).
    """
    cells = catalog.get(CELLS_LAYER)
    point = shapely.point_on_surface(geometry)
    frame = store.read_frame(cells, bbox=point.buffer(1e-9).bounds, columns=["code", "parent_code"])
    hits = frame[frame.geometry.intersects(point)]
    if cell_code is not None:
        if not isinstance(cell_code, str):
            raise InvalidParameter("cell_code must be a string")
        named = hits[hits["code"] == cell_code]
        if named.empty:
            raise InvalidParameter(
                f"cell_code {cell_code!r}: the position ({point.x:.6f}, {point.y:.6f}) is not "
                f"in that cell (it is in {sorted(hits['code']) or 'no cell'})"
            )
        hits = named
    if hits.empty:
        raise InvalidParameter(
            f"the position ({point.x:.6f}, {point.y:.6f}) lies in no farmland grid cell"
        )
    first = hits.sort_values("code").iloc[0]
    return first["code"], first["parent_code"]


def create_empty_record_layers(store: FeatureStore, catalog: Catalog, area: str) -> list[str]:
    """Give each record layer of ``area`` without data an empty first version; return their ids.

    The register, patrols, incidents and assessment are entered, never built: a
    sample store serves them as empty collections (their schema, no features), so
    staff can add the first feature with an ordinary feature edit. A layer that has
    data is never touched.
    """
    created = []
    for layer in catalog.layers_in(area):
        if layer.kind not in RECORD_LAYER_KINDS or store.has_layer(layer.id):
            continue
        empty = gpd.GeoDataFrame(
            {name: [] for name in layer.attribute_names},
            geometry=gpd.GeoSeries([], crs=layer.storage_crs),
            crs=layer.storage_crs,
        )
        store.write(
            layer,
            empty,
            author="geoservice data build",
            action="empty-schema",
            message="record layer: entered by staff and wardens, never built",
        )
        created.append(layer.id)
    return created


def _check_scope(principal: Principal, cell: tuple[str, str]) -> None:
    if not principal.covers_cell(cell[0]):
        raise Forbidden(
            f"the key {principal.name!r} may record only in its own cells "
            f"({list(principal.cells)}), not in {cell[0]!r}"
        )


def _append(store, layer, props, geometry, limits, principal, what) -> tuple[int, int]:
    feature = {
        "type": "Feature",
        "properties": props,
        "geometry": shapely.geometry.mapping(geometry),
    }
    frame = checked_frame([feature], layer, crs=None, limits=limits, other_keys=[])
    message = f"{what} {props[layer.key]} in {props['cell_code']}"
    if not store.has_layer(layer.id):
        info = store.write(layer, frame, mode="append", author=principal.label, message=message)
        return _only_id(store, layer, props[layer.key]), info.version
    frame.index = [-1]
    info, ids = store.edit(layer, upserts=frame, author=principal.label, message=message)
    return ids[0], info.version


def _only_id(store, layer, key) -> int:
    query = FeatureQuery(equals={layer.key: key}, limit=1, crs=layer.storage_crs, count_cap=0)
    return store.query(layer, query).rows.ids[0]


def _object(body: Any) -> dict:
    if not isinstance(body, dict):
        raise InvalidParameter("the body must be a JSON object")
    return body


def _geometry(body: dict, allowed: tuple[str, ...]):
    value = body.get("geometry")
    if not isinstance(value, dict) or value.get("type") not in allowed:
        raise InvalidParameter(
            f"geometry: a GeoJSON geometry of type {' or '.join(allowed)} in lon/lat (CRS84)"
        )
    try:
        geometry = shape(value)
    except (AttributeError, KeyError, TypeError, ValueError, shapely.errors.GEOSException) as exc:
        raise InvalidParameter(f"geometry is not valid GeoJSON ({exc})") from None
    if geometry.is_empty or not geometry.is_valid:
        raise InvalidParameter("geometry is empty or invalid")
    return geometry


def _date(value: Any, name: str) -> str:
    if not isinstance(value, str):
        raise InvalidParameter(f"{name}: a date YYYY-MM-DD is required")
    try:
        return date.fromisoformat(value).isoformat()
    except ValueError:
        raise InvalidParameter(f"{name} {value!r} is not a date YYYY-MM-DD") from None


def _text(value: Any, name: str) -> str:
    if value is None:
        return ""
    if not isinstance(value, str) or len(value) > MAX_TEXT:
        raise InvalidParameter(f"{name}: text of at most {MAX_TEXT} characters")
    return value


def _provenance(body: dict) -> dict:
    placement = body.get("placement_method", "device_gps")
    if placement not in PLACEMENTS:
        raise InvalidParameter(f"placement_method {placement!r}: use one of {list(PLACEMENTS)}")
    quality = FIELD_SURVEY if placement == "surveyed" else APPROXIMATE
    return {"source": SOURCE, "geometry_quality": quality, "placement_method": placement}


def attach_photo(
    store: FeatureStore,
    catalog: Catalog,
    incident_id: str,
    media_type: str,
    data: bytes,
    *,
    photos_dir,
    limits,
    principal: Principal,
    at: str | None = None,
) -> tuple[Recorded, dict]:
    """Check, keep and list a photo of an incident; on any refusal nothing is kept.

    The key's scope and the incident are checked first, then the bytes; the file is
    written only then, and removed again if the incident's new version fails.
    """
    from geoservice.farmland.photos import check_content, remove_photo, save_photo

    check_incident_scope(store, catalog, incident_id, principal)
    check_content(media_type, data, limits)
    photo = save_photo(photos_dir, incident_id, media_type, data)
    entry = {
        "file": photo.file,
        "media_type": photo.media_type,
        "bytes": photo.bytes,
        "sha256": photo.sha256,
        "by": principal.label,
        "at": at or now_utc(),
    }
    try:
        return add_photo_entry(store, catalog, incident_id, entry, principal=principal), entry
    except BaseException:
        remove_photo(photos_dir, incident_id, photo)
        raise
