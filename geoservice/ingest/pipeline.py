"""Check and convert an upload batch by batch, on its way into the store.

The pipeline is a generator the store consumes inside its write transaction:
each batch is checked (attributes, keys, geometries), moved to the storage CRS
and handed over. Once a problem is found, batches are still read and checked,
so the report lists everything, but no longer written; at the end, a report
with errors raises :class:`InvalidUpload` inside the transaction, which rolls
the new version back. The previous version is never touched.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Iterator, Mapping
from contextlib import contextmanager
from typing import Any

import geopandas as gpd
import numpy as np
import shapely

from geoservice.catalog.models import LayerDef
from geoservice.crs import reproject_geometries, same_crs
from geoservice.errors import InvalidUpload, UploadTooLarge
from geoservice.ingest.areacheck import check_antimeridian, check_area_of_use
from geoservice.ingest.attrcheck import check_attributes, check_keys, report_schema
from geoservice.ingest.geomcheck import FIX_HINT, Batch, GeometryPolicy, check_geometries
from geoservice.ingest.georef import SourceCRS, to_storage
from geoservice.ingest.keyindex import KeyIndex
from geoservice.ingest.offset import OffsetProbe
from geoservice.ingest.options import IngestOptions
from geoservice.ingest.previews import PreviewRows, preview_json
from geoservice.ingest.records import RowProblem, check_count
from geoservice.ingest.rejected import RejectedRows
from geoservice.ingest.report import IngestReport
from geoservice.settings import UploadSettings

Progress = Callable[[int, int], None]
PREVIEW_FEATURES = 20


class BatchPipeline:
    """Checks batches of one upload against one layer and converts them for storage."""

    def __init__(
        self,
        report: IngestReport,
        layer: LayerDef,
        options: IngestOptions,
        limits: UploadSettings,
        source: SourceCRS,
        *,
        existing_keys: Iterable[Any] = (),
        probe: OffsetProbe | None = None,
        ignored_columns: Iterable[str] = (),
        fill: Mapping[str, Any] | None = None,
    ) -> None:
        """``ignored_columns`` are left out silently (already reported); ``fill`` gives
        values of attributes the file has no column for (a new layer's ``source``)."""
        self.report, self.layer, self.options = report, layer, options
        self.ignored = frozenset(ignored_columns)
        self.fill = dict(fill or {})
        self.limits, self.source, self.probe = limits, source, probe
        self.policy = GeometryPolicy(
            family=layer.geometry_type.family,
            repair=options.repair or layer.upload.allow_repair,
            force_2d=options.force_2d,
            max_feature_coordinates=limits.max_feature_coordinates,
        )
        self.seen = KeyIndex(existing_keys)
        self.mapping: dict[str, str] | None = None
        self.outside = 0
        self.bounds: list[float] | None = None
        self.rejects = RejectedRows()
        self.previews = PreviewRows()  # a dry run's features for its preview map

    def run(
        self,
        frames: Iterable[gpd.GeoDataFrame],
        *,
        total: int,
        progress: Progress | None = None,
        expected: tuple[int, str] | None = None,
    ) -> Iterator[gpd.GeoDataFrame]:
        """Yield checked batches while the upload is acceptable; raise at the end if not.

        ``expected`` is how many features the file holds (its own structure says,
        e.g. its lines or its header) and what they are: reading fewer means the
        file is truncated. The report's feature count is the count read, so a
        stored version always holds the count the report gives.
        """
        done = 0
        with self._unreadable():
            for frame in frames:
                out = self.check(frame)
                if self.options.dry_run:
                    self._keep_preview(out)
                done += len(frame)
                self._check_feature_count(done)
                if progress is not None:
                    progress(done, max(total, done))
                if self.report.accepted:
                    yield out
        self.report.feature_count = done
        if expected is not None:
            check_count(self.report, read=done, expected=expected[0], what=expected[1])
        self.finish()
        if not self.report.accepted and not self.options.dry_run:
            raise InvalidUpload(self.report.summary(), details=self.report.as_dict())

    def _keep_preview(self, out: gpd.GeoDataFrame) -> None:
        """A dry run shows its first features as they would be stored (GeoJSON, CRS84)."""
        if out.empty or not self.report.accepted:
            return
        self.previews.add(out)
        room = PREVIEW_FEATURES - len(self.report.preview["features"])
        if room <= 0:
            return
        head = out.head(room)
        if not same_crs(self.layer.storage_crs, "OGC:CRS84"):
            head = head.to_crs("OGC:CRS84")
        doc = json.loads(preview_json(head))
        self.report.preview["features"].extend(doc["features"])

    @contextmanager
    def _unreadable(self) -> Iterator[None]:
        """When GDAL gives up on a file, refuse it with what was found before, too."""
        try:
            yield
        except UploadTooLarge:
            raise
        except InvalidUpload as exc:
            if self.report.accepted:
                raise
            self.report.error("file-unreadable", exc.message)
            raise InvalidUpload(self.report.summary(), details=self.report.as_dict()) from None

    def _check_feature_count(self, done: int) -> None:
        if done > self.limits.max_features:
            raise UploadTooLarge(
                f"{self.report.file}: more than {self.limits.max_features:,} features, the "
                "limit per upload; split the file [rule features]"
            )

    def check(self, frame: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
        """Check one batch; return it with the layer's columns in the storage CRS."""
        report = self.report
        columns = [str(c) for c in frame.columns if c != frame.geometry.name]
        if self.mapping is None:
            field_map = dict(self.options.field_map)
            self.mapping = report_schema(self.layer, columns, report, field_map, self.ignored)
            self.fill = {a: v for a, v in self.fill.items() if a not in self.mapping.values()}
        attrs = check_attributes(frame[columns], self.layer, self.mapping, report)
        for name, value in self.fill.items():
            attrs[name] = value
        positions = frame.index.to_numpy()
        keys = attrs[self.layer.key].tolist() if self.layer.key else [None] * len(frame)
        if self.layer.key:
            check_keys(keys, positions, self.seen, report, self.layer.key)
        geoms = frame.geometry.to_numpy()
        reported = self._reader_problems(frame.attrs.get("problems", ()), positions, keys)
        geoms = check_geometries(
            Batch(geoms, positions, keys, reported), report, self.policy, self.source
        )
        self._check_total_coordinates()
        if report.accepted and report.skip_rejected:
            return self._without_rejected(frame, attrs, geoms, positions, keys)
        if report.accepted:
            geoms = self._to_storage(geoms, Batch(geoms, positions, keys))
        return gpd.GeoDataFrame(attrs, geometry=geoms, crs=self.layer.storage_crs)

    def _without_rejected(self, frame, attrs, geoms, positions, keys) -> gpd.GeoDataFrame:
        """on_error=skip: set the batch's rejected rows aside, convert the others."""
        rejected = self.report.rejected
        keep = np.fromiter((int(p) not in rejected for p in positions), bool, len(positions))
        kept = np.flatnonzero(keep)
        kept_keys = [keys[i] for i in kept]
        stored = geoms[kept]
        if len(kept):
            stored = self._to_storage(stored, Batch(stored, positions[kept], kept_keys))
        # moving to the storage CRS can reject a few more
        still = np.fromiter((int(p) not in rejected for p in positions[kept]), bool, len(kept))
        keep[kept[~still]] = False
        self.rejects.add(frame[~keep], self.report)
        return gpd.GeoDataFrame(attrs[keep], geometry=stored[still], crs=self.layer.storage_crs)

    def _reader_problems(
        self, problems: Iterable[RowProblem], positions: np.ndarray, keys: list
    ) -> np.ndarray:
        """Report what the reader could not take as it is; mark the rows concerned."""
        reported = np.zeros(len(positions), dtype=bool)
        start = int(positions[0]) if len(positions) else 0
        for p in problems:
            row = p.position - start
            key = keys[row] if 0 <= row < len(keys) else None
            if p.repairable and self.policy.repair:
                self.report.repaired(p.rule, f"repaired: {p.message}", p.position, key)
                continue
            hint = f"; {FIX_HINT}" if p.repairable else ""
            self.report.error(p.rule, p.message + hint, p.position, key)
            if 0 <= row < len(reported) and p.rule != "encoding":
                reported[row] = True
        return reported

    def _check_total_coordinates(self) -> None:
        total = self.report.counts[("info", "coordinates")]
        if total > self.limits.max_coordinates:
            raise UploadTooLarge(
                f"{self.report.file}: more than {self.limits.max_coordinates:,} vertices in "
                "one upload; split the file [rule coordinates]"
            )

    def _to_storage(self, geoms: np.ndarray, batch: Batch) -> np.ndarray:
        stored = to_storage(
            geoms, self.source, self.layer.storage_crs, self.options.coordinate_system
        )
        coords, index = shapely.get_coordinates(stored, return_index=True)
        bad = np.unique(index[~np.isfinite(coords).all(axis=1)])
        for i in bad:
            self.report.error(
                "coordinates-transform",
                f"cannot be moved from {self.source.code} to {self.layer.storage_crs}; its "
                "coordinates do not fit the CRS: check the crs option",
                *batch.at(i),
            )
        if not len(bad):
            self._extent(stored, batch)
        return stored

    def _extent(self, stored: np.ndarray, batch: Batch) -> None:
        lonlat = stored
        if not same_crs(self.layer.storage_crs, "OGC:CRS84"):
            lonlat = reproject_geometries(stored, self.layer.storage_crs, "OGC:CRS84")
        check_area_of_use(lonlat, batch, self.report, self.source)
        check_antimeridian(lonlat, batch, self.report)
        box = shapely.total_bounds(lonlat)
        if np.isfinite(box).all():
            old = self.bounds or list(box)
            self.bounds = [
                min(old[0], box[0]),
                min(old[1], box[1]),
                max(old[2], box[2]),
                max(old[3], box[3]),
            ]
        if self.probe is not None:
            self.probe.add(lonlat, batch.keys if self.layer.key else None)
        expected = self.layer.upload.expected_bbox
        if expected is None:
            return
        outside = ~shapely.intersects(lonlat, shapely.box(*expected))
        self.outside += int(outside.sum())
        for i in np.flatnonzero(outside):
            self.report.warn(
                "extent",
                f"lies outside the layer's expected extent {list(expected)}; wrong CRS?",
                *batch.at(i),
            )

    def finish(self) -> None:
        """Run the checks that need the whole upload (extent, offset)."""
        report = self.report
        report.bounds = self.bounds
        if (
            report.skip_rejected
            and report.feature_count
            and (len(report.rejected) >= report.feature_count)
        ):
            report.skip_rejected = False  # nothing would be stored: it is the file's problem
            for finding in list(report.rejected.values())[:20]:
                report.add(finding)
            report.error(
                "all-rejected",
                f"every one of the {report.feature_count} features was rejected (see the "
                "errors): the CRS, encoding or column names are probably wrong",
            )
        if self.outside and self.outside == report.feature_count:
            report.error(
                "extent",
                f"every feature lies outside the layer's expected extent "
                f"{list(self.layer.upload.expected_bbox or ())}; the CRS (or GCJ-02/BD-09 "
                "option) is probably wrong",
            )
        if self.probe is not None and report.accepted:
            self.probe.report(report, self.options.coordinate_system)
