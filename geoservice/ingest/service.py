"""Ingest one uploaded file into a layer: the entry point of HTTP uploads and the CLI.

The file is already on disk (uploads are streamed there); it is unpacked and
read in a private work folder that is removed afterwards, whatever happens.
Either the whole file lands as one new version, or nothing changes and an
:class:`InvalidUpload` (422), :class:`UploadTooLarge` (413) or, when a disk
filled up on the way, :class:`InsufficientStorage` (507) says why. Messages
name the uploaded file, never a path on the server.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import gc
from dataclasses import dataclass, replace
from itertools import chain
from pathlib import Path

import numpy as np
import shapely

from geoservice.catalog.models import LayerDef
from geoservice.catalog.registry import Catalog
from geoservice.crs import reproject_geometries
from geoservice.errors import (
    GeoserviceError,
    InsufficientStorage,
    InvalidParameter,
    InvalidUpload,
    UploadTooLarge,
)
from geoservice.ingest.fieldmaps import FieldMapStore, check_field_map
from geoservice.ingest.georef import resolve_source_crs
from geoservice.ingest.newlayer import FILLED_BY_UPLOAD, NewLayerSpec, layer_from_dataset
from geoservice.ingest.offset import OffsetProbe
from geoservice.ingest.options import IngestOptions
from geoservice.ingest.pipeline import BatchPipeline, Progress
from geoservice.ingest.readers import Dataset, empty_fields, iter_frames, open_dataset
from geoservice.ingest.report import IngestReport
from geoservice.ingest.sniff import detect_source, scrub
from geoservice.ingest.workdir import disk_full, work_folder
from geoservice.settings import UploadSettings
from geoservice.storage.base import FeatureStore, VersionInfo


@dataclass(frozen=True)
class Upload:
    """An uploaded file on disk and the name it was sent with."""

    path: Path
    name: str


@dataclass(frozen=True)
class IngestOutcome:
    """The report, the layer written (or declared) and the new version (None if dry run)."""

    report: IngestReport
    layer: LayerDef
    version: VersionInfo | None


def ingest(
    upload: Upload,
    *,
    store: FeatureStore,
    catalog: Catalog,
    limits: UploadSettings,
    options: IngestOptions,
    layer: LayerDef | None = None,
    new_layer: NewLayerSpec | None = None,
    progress: Progress | None = None,
    rejected_dir: Path | None = None,
    field_maps: FieldMapStore | None = None,
    preview_dir: Path | None = None,
) -> IngestOutcome:
    """Check ``upload`` and store it as a new version of ``layer`` (or of a new layer).

    With ``options.on_error == "skip"``, the features left out are written under
    ``rejected_dir`` (see :mod:`geoservice.ingest.rejected`). ``field_maps`` holds
    the layers' saved mappings (:mod:`geoservice.ingest.fieldmaps`): an upload
    without ``field_map`` uses its layer's, and ``save_field_map`` keeps one. A dry
    run keeps its first features under ``preview_dir`` for a preview map
    (:mod:`geoservice.ingest.previews`).
    """
    if options.on_error == "skip" and rejected_dir is None:
        raise InvalidParameter("on_error=skip is not available here (no folder for rejects)")
    size = upload.path.stat().st_size
    if size > limits.max_bytes:
        raise UploadTooLarge(
            f"{upload.name}: {size:,} bytes, more than the limit of {limits.max_bytes:,}"
        )
    try:
        with work_folder(limits.work_dir, "gs-ingest-") as work:
            return _ingest(
                upload,
                work,
                store,
                catalog,
                limits,
                options,
                layer,
                new_layer,
                progress,
                rejected_dir,
                field_maps,
                preview_dir,
            )
    except Exception as exc:
        # A store reports a full disk as unavailable (503) to readers; for the upload
        # that filled it, it is a 507 saying the upload was not stored.
        if disk_full(exc):
            raise out_of_space(upload.name) from None
        if isinstance(exc, GeoserviceError):
            exc.message = scrub(exc.message, name=upload.name)
            exc.args = (exc.message,)
        raise
    finally:
        _give_back_memory()


def _give_back_memory() -> None:
    """Return the heap an upload freed to the system (glibc keeps it otherwise).

    GDAL, Arrow and shapely allocate in many small pieces; after a 1 000 000-vertex
    polygon the process stayed at ~780 MB, ~300 MB after ``malloc_trim``.
    """
    gc.collect()
    if _LIBC is not None:
        _LIBC.malloc_trim(0)


def _load_libc():
    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6")
    except OSError:
        return None
    return libc if hasattr(libc, "malloc_trim") else None


_LIBC = _load_libc()


def out_of_space(name: str) -> InsufficientStorage:
    """Return the error of an upload stopped by a full disk (507)."""
    return InsufficientStorage(
        f"{name}: the server ran out of disk space while storing this upload; nothing "
        "was stored and the layer's current version is unchanged. Try again later, or "
        "ask the administrator to free space on the server (upload work folder and "
        "database)"
    )


def _ingest(
    upload,
    work,
    store,
    catalog,
    limits,
    options,
    layer,
    new_layer,
    progress,
    rejected_dir,
    field_maps,
    preview_dir,
):
    report = IngestReport(
        file=upload.name,
        layer=layer.id if layer else new_layer.id,
        mode=options.mode,
        dry_run=options.dry_run,
        coordinate_system=options.coordinate_system,
        skip_rejected=options.on_error == "skip",
    )
    dataset, crs = _open(upload, work, limits, options, report)
    frames = iter_frames(dataset, limits.batch_features)
    first = next(frames, None)
    if first is None:
        _nothing_read(dataset, report)
    ignored, fill = [], {}
    if layer is None:
        ignored = empty_fields(dataset)
        layer = layer_from_dataset(
            dataset, new_layer, _first_geometry(first), catalog, report, ignored
        )
        filled = [a for a in FILLED_BY_UPLOAD if a in layer.attribute_names]
        fill = dict.fromkeys(filled, f"uploaded file {upload.name}")
    report.crs = crs.as_dict(layer.storage_crs)
    options = _with_field_map(options, layer, field_maps, report)
    stored = _stored_features(store, layer)  # read once: keys and positions
    pipeline = BatchPipeline(
        report,
        layer,
        options,
        limits,
        crs,
        existing_keys=_stored_keys(stored, layer, options),
        probe=_reference_probe(store, catalog, layer, stored),
        ignored_columns=ignored,
        fill=fill,
    )
    batches = pipeline.run(
        chain([first], frames),
        total=dataset.feature_count,
        progress=progress,
        expected=dataset.expected_count(),
    )
    if options.dry_run:
        for _ in batches:
            pass
        _keep_rejected(pipeline, dataset, upload, rejected_dir)
        if preview_dir is not None:
            report.preview_token = pipeline.previews.write(
                preview_dir, layer, file=upload.name, new_layer=new_layer is not None
            )
        return IngestOutcome(report, layer, None)
    info = store.write_batches(
        layer,
        batches,
        mode=options.mode,
        author=options.author,
        action="upload",
        message=f"{upload.name} ({options.mode})"
        + (f": {options.message}" if options.message else ""),
    )
    report.version = version_dict(info)
    _keep_rejected(pipeline, dataset, upload, rejected_dir)
    if options.save_field_map and field_maps is not None:
        field_maps.save(layer, options.field_map, options.author)
        report.field_map["saved"] = True
    return IngestOutcome(report, layer, info)


def _with_field_map(options: IngestOptions, layer: LayerDef, field_maps, report):
    """Return the options with the mapping to apply, and record it in the report."""
    if options.field_map:
        if options.save_field_map:
            if field_maps is None:
                raise InvalidParameter("save_field_map is not available here (no saved mappings)")
            check_field_map(layer, options.field_map)  # before anything is stored
        report.field_map = {"from": "request", "field_map": dict(options.field_map)}
        return options
    saved = field_maps.get(layer.id) if field_maps and options.use_saved_field_map else None
    if saved is None or not saved.pairs:
        return options
    report.field_map = {
        "from": "saved",
        "field_map": dict(saved.pairs),
        "saved_by": saved.author,
        "saved_at": saved.saved_at,
    }
    return replace(options, field_map=saved.pairs)


def _keep_rejected(pipeline: BatchPipeline, dataset, upload: Upload, folder: Path | None):
    if folder is None or not pipeline.report.skip_rejected:
        return
    stem = Path(upload.name).stem or "upload"
    pipeline.report.rejected_file = pipeline.rejects.write(folder, dataset.source.driver, stem)


def _open(upload: Upload, work: Path, limits, options: IngestOptions, report: IngestReport):
    """Find the dataset in the upload, describe it, and settle its CRS."""
    source = detect_source(upload.path, upload.name, work, limits, options.source_layer)
    dataset = open_dataset(
        source,
        source_layer=options.source_layer,
        encoding=options.encoding,
        work=work,
        max_vertices=limits.max_feature_coordinates,
        report=report,
    )
    _describe(report, dataset, limits)
    _measures(report, dataset, options)
    crs = resolve_source_crs(
        dataset.crs,
        options.crs,
        label=source.label,
        lonlat_columns=dataset.csv_geometry == "lonlat",
    )
    if crs.how == "assumed":
        report.warn("crs-assumed", "no CRS in the CSV: lon/lat taken as WGS84 (EPSG:4326)")
    return dataset, crs


def _describe(report: IngestReport, dataset: Dataset, limits: UploadSettings) -> None:
    report.format = dataset.source.driver
    report.source_layer = dataset.layer
    report.encoding = dataset.encoding.as_dict() if dataset.encoding else None
    expected = dataset.expected_count()
    count = expected[0] if expected else dataset.feature_count  # deleted records excluded
    report.feature_count = count
    if count > limits.max_features:
        raise UploadTooLarge(
            f"{dataset.source.label}: {count:,} features, more than the limit "
            f"of {limits.max_features:,} per upload; split the file [rule features]"
        )
    if count == 0:
        _nothing_read(dataset, report)


def _nothing_read(dataset: Dataset, report: IngestReport) -> None:
    """Refuse an upload of which no feature could be read, saying why."""
    expected = dataset.expected_count()
    if expected and expected[0]:
        report.feature_count = 0
        report.error(
            "file-truncated",
            f"none of the {expected[0]:,} {expected[1]} could be read: the file is "
            "truncated or damaged; upload the complete file again",
        )
    if not report.accepted:
        raise InvalidUpload(report.summary(), details=report.as_dict())
    raise InvalidUpload(f"{dataset.source.label}: the layer holds no features")


def _measures(report: IngestReport, dataset: Dataset, options: IngestOptions) -> None:
    if not dataset.measured:
        return
    if options.force_2d:
        report.repaired("geometry-2d", "M (measure) values dropped")
    else:
        report.error(
            "geometry-3d",
            "the layer has M (measure) values; the layer stores 2D geometries: upload "
            "again with force_2d=true to drop them",
        )


def _first_geometry(frame):
    geoms = frame.geometry.dropna()
    return geoms.iloc[0] if len(geoms) else None


def _stored_features(store: FeatureStore, layer: LayerDef):
    """Return the layer's current features (key and geometry), or None: keyless or new."""
    if not layer.key or not store.has_layer(layer.id):
        return None
    return store.read_frame(layer, columns=[layer.key])


def _stored_keys(stored, layer: LayerDef, options: IngestOptions) -> list:
    """An append must not repeat a stored key; a replace starts afresh."""
    if options.mode != "append" or stored is None:
        return []
    return [k for k in stored[layer.key].tolist() if k is not None]


def _reference_probe(store, catalog: Catalog, layer: LayerDef, stored):
    """Compare with the study area's reference boundaries (polygon layers) and with the
    layer's own stored features by key (any geometry), whichever exist."""
    reference = _reference_polygons(store, catalog, layer)
    centroids = _centroids_by_key(stored, layer)
    if reference is None and not centroids:
        return None
    empty = np.asarray([], dtype=object)
    return OffsetProbe(reference if reference is not None else empty, centroids)


def _reference_polygons(store, catalog: Catalog, layer: LayerDef):
    area = catalog.areas.get(layer.area or catalog.default_area or "")
    ref_id = area.reference if area is not None else None
    if ref_id is None or ref_id == layer.id or layer.geometry_type.family != "polygon":
        return None
    if ref_id not in catalog or not store.has_layer(ref_id):
        return None
    ref = catalog.get(ref_id)
    frame = store.read_frame(ref, columns=[])
    geoms = reproject_geometries(frame.geometry.to_numpy(), ref.storage_crs, "OGC:CRS84")
    return np.asarray(geoms, dtype=object)


def _centroids_by_key(stored, layer: LayerDef) -> dict:
    """Return {key: centroid (lon/lat)} of the stored features (empty if none)."""
    if stored is None or stored.empty:
        return {}
    lonlat = reproject_geometries(stored.geometry.to_numpy(), layer.storage_crs, "OGC:CRS84")
    centroids = shapely.centroid(np.asarray(lonlat, dtype=object))
    return {
        k: c
        for k, c in zip(stored[layer.key].tolist(), centroids, strict=True)
        if k is not None and c is not None and not shapely.is_empty(c)
    }


def version_dict(info: VersionInfo) -> dict:
    """Return the JSON form of a version."""
    return {
        "version": info.version,
        "created_at": info.created_at.isoformat(),
        "author": info.author,
        "action": info.action,
        "message": info.message,
        "feature_count": info.feature_count,
        "bbox": list(info.bbox) if info.bbox else None,
        "current": info.current,
    }
