"""What a running process may reach: layers as frames, the catalogue, progress.

A process never touches FastAPI: the job manager (for HTTP) and the CLI build a
:class:`ProcessContext` over the store, a :class:`LayerRegistry` (how new result
collections are announced) and a progress reporter.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import Any, Protocol

import geopandas as gpd

from geoservice.catalog.areas import AreaDef
from geoservice.catalog.models import LayerDef
from geoservice.catalog.registry import Catalog
from geoservice.errors import GeoserviceError, InvalidParameter, NotFoundError
from geoservice.processes.inputs import CollectionInput, InlineFeatures, ProcessInputs
from geoservice.quality import combine, split_symbolic
from geoservice.settings import FilterLimits, ScaleSettings
from geoservice.storage.base import FeatureQuery, FeatureStore
from geoservice.storage.cql import DEFAULT_LIMITS, parse_filter
from geoservice.storage.querybuild import check_filter

WORKING_CRS = "EPSG:4326"
"""Every layer input is handed to the analysis in lon/lat; analyses project to metres."""


class JobDismissed(GeoserviceError):
    """The job was dismissed while it ran; its work stops at the next progress report."""

    code = "JobDismissed"


class LayerRegistry(Protocol):
    """How processes see the catalogue and announce the collections they create."""

    def catalog(self) -> Catalog:
        """Return the current catalogue."""
        ...

    def publish(self, layer: LayerDef) -> None:
        """Add or replace a layer declaration (the data are already stored)."""
        ...

    def unpublish(self, layer_id: str) -> None:
        """Remove a layer declaration."""
        ...


Reporter = Callable[[int, str], None]
"""Called with (percent 0–100, message); raises :class:`JobDismissed` to stop the job."""


@dataclass
class ProcessContext:
    """One run of a process."""

    store: FeatureStore
    layers: LayerRegistry
    raster_dir: Path
    job_id: str
    process_id: str
    author: str = "processes"
    reporter: Reporter | None = None
    max_inline_features: int = 100_000
    filter_limits: FilterLimits = DEFAULT_LIMITS
    area: AreaDef | None = None
    written: list[dict[str, Any]] = field(default_factory=list)
    on_write: Callable[[list[dict[str, Any]]], None] | None = None
    authorise: Callable[[str, bool], None] | None = None
    """Called with (result collection id, whether it exists) before a job writes it;
    raises :class:`~geoservice.errors.Forbidden` when the caller may not."""
    cluster: Any = None
    """The :class:`~geoservice.scale.cluster.DaskCluster` of engine ``dask`` (None: none)."""
    scale: ScaleSettings = field(default_factory=ScaleSettings)
    scale_dir: Path | None = None
    """Where this service exchanges GeoParquet partitions with Dask workers."""
    include_symbolic: bool = False
    """Measure from symbolic positions too (input ``include_symbolic``); by default they
    are left out of every layer input, since they are not locations."""
    input_quality: dict[str, dict[str, Any]] = field(default_factory=dict)
    """Counts by trust class of each layer input read (see :mod:`geoservice.quality`)."""

    def data_quality(self) -> dict[str, Any]:
        """Return the ``data_quality`` of this run's results: its inputs' counts by class."""
        return combine(self.input_quality, include_symbolic=self.include_symbolic)

    def dask_client(self) -> Any:
        """Return the Dask client (a local cluster starts on first use)."""
        if self.cluster is None:
            raise InvalidParameter("input 'engine': no Dask cluster is configured here")
        return self.cluster.client()

    @property
    def work_dir(self) -> Path:
        """Return this job's folder of GeoParquet partitions."""
        base = self.scale_dir if self.scale_dir is not None else self.raster_dir.parent / "scale"
        return base / self.job_id

    def wrote(self, kind: str, item_id: str, version: int | None = None) -> None:
        """Record a collection or raster the job wrote (so a dismissal can remove it)."""
        self.written.append({"kind": kind, "id": item_id, "version": version})
        if self.on_write is not None:
            self.on_write(self.written)

    @cached_property
    def metric_crs(self) -> Any:
        """Return the CRS this run measures in: its study area's (None: the inputs' own).

        An area that declares neither a CRS nor bounds takes the Gauss-Krüger zone
        of its boundary's extent; with no boundary stored the analyses choose the
        zone of their inputs (``analysis.crs.metric_crs_of``).
        """
        if self.area is None:
            return None
        return self.area.metric_crs_for(self._boundary_bounds())

    @property
    def indicators_dir(self) -> Path | None:
        """Return the folder of the study area's indicator files (None if it has none)."""
        if self.area is None:
            return None
        return self.layers.catalog().indicator_folder(self.area.id)

    def _boundary_bounds(self) -> tuple[float, float, float, float] | None:
        if self.area is None or self.area.metric_crs or self.area.bounds:
            return None
        boundary = self.area.boundary
        catalog = self.layers.catalog()
        if boundary is None or boundary.layer not in catalog:
            return None
        try:
            return self.store.bounds(catalog.get(boundary.layer))
        except NotFoundError:
            return None

    def report(self, percent: float, message: str) -> None:
        """Report progress (clipped to 0–99; 100 is reported when results are stored)."""
        if self.reporter is not None:
            self.reporter(int(max(0, min(99, percent))), message)

    def stage(self, start: float, end: float, message: str) -> Callable[[float], None]:
        """Return a progress callback mapping an analysis's 0–1 onto ``start``–``end`` %."""
        self.report(start, message)
        return lambda fraction: self.report(start + (end - start) * float(fraction), message)

    def features(
        self, name: str, value: Any, *, keep_symbolic: bool = False
    ) -> gpd.GeoDataFrame | None:
        """Return the features of a layer input in lon/lat (None when not given).

        Symbolic positions (``placement_method = rule:symbolic``) are left out
        unless the run includes them or ``keep_symbolic`` (an analysis that
        counts features rather than measuring from them); either way the
        input's counts by trust class are recorded for the result's
        ``data_quality``.
        """
        if value is None:
            return None
        if isinstance(value, InlineFeatures):
            frame = _inline_frame(name, value, self.max_inline_features)
        else:
            frame = self._collection_frame(name, value)
        if frame.empty:
            raise InvalidParameter(f"input '{name}' holds no features")
        frame, counts = split_symbolic(frame, include=self.include_symbolic or keep_symbolic)
        source = {"collection": value.layer_id} if isinstance(value, CollectionInput) else {}
        self.input_quality[name] = {**source, **counts}
        if frame.empty:
            raise InvalidParameter(
                f"input '{name}': all {counts['features']} features are symbolic positions "
                "(placement_method rule:symbolic: not locations); give located features, "
                "or include_symbolic=true to measure from the reference point anyway"
            )
        return frame

    def _collection_frame(self, name: str, ref: CollectionInput) -> gpd.GeoDataFrame:
        layer = layer_of(self.layers.catalog(), name, ref)
        query = FeatureQuery(
            cql=_filter(name, ref, self.filter_limits),
            limit=None,
            crs=layer.storage_crs,
            count_cap=0,
            version=ref.version,
        )
        try:
            frame = self.store.query(layer, query).rows.to_frame()
        except (InvalidParameter, NotFoundError) as exc:
            raise InvalidParameter(f"input '{name}': {exc.message}") from None
        return frame.to_crs(WORKING_CRS) if frame.crs != WORKING_CRS else frame


def layer_of(catalog: Catalog, name: str, ref: CollectionInput) -> LayerDef:
    """Return the layer a collection input names, or a 400 naming the input."""
    try:
        return catalog.get(ref.layer_id)
    except NotFoundError:
        raise InvalidParameter(
            f"input '{name}': collection {ref.layer_id!r} not found; see /collections"
        ) from None


def _filter(name: str, ref: CollectionInput, limits: FilterLimits) -> Any:
    if ref.filter is None:
        return None
    try:
        return parse_filter(ref.filter, ref.filter_lang, limits)
    except InvalidParameter as exc:
        raise InvalidParameter(f"input '{name}': {exc.message}") from None


def check_references(
    inputs: ProcessInputs, catalog: Catalog, limits: FilterLimits = DEFAULT_LIMITS
) -> None:
    """Refuse, before any work, collection inputs that name no layer or whose filter
    does not parse (or exceeds ``limits``, or does not fit the layer's attributes),
    and a study area that is not declared."""
    for name, value in inputs.collection_inputs():
        layer = layer_of(catalog, name, value)
        cql = _filter(name, value, limits)
        if cql is not None:
            try:
                check_filter(layer, cql)
            except InvalidParameter as exc:
                raise InvalidParameter(f"input '{name}': {exc.message}") from None
    area_of(inputs, catalog)


def area_of(inputs: ProcessInputs, catalog: Catalog) -> AreaDef:
    """Return the study area a run belongs to: named, else its first collection's.

    Raises
    ------
    InvalidParameter
        For an area no folder declares (naming the declared ones).
    """
    if inputs.area is not None:
        if inputs.area not in catalog.areas:
            raise InvalidParameter(
                f"input 'area': no study area {inputs.area!r}; use one of {sorted(catalog.areas)}"
            )
        return catalog.area(inputs.area)
    for _, ref in inputs.collection_inputs():
        if ref.layer_id in catalog:
            return catalog.area_of(catalog.get(ref.layer_id))
    return catalog.area()


def _inline_frame(name: str, value: InlineFeatures, limit: int) -> gpd.GeoDataFrame:
    if len(value.features) > limit:
        raise InvalidParameter(
            f"input '{name}': {len(value.features)} inline features exceed {limit}; "
            "upload them as a collection"
        )
    try:
        frame = gpd.GeoDataFrame.from_features(value.features, crs=WORKING_CRS)
    except (TypeError, ValueError, KeyError, AttributeError) as exc:
        raise InvalidParameter(f"input '{name}': not valid GeoJSON features ({exc})") from None
    ids = [f.get("id") for f in value.features]
    if all(i is not None for i in ids) and len(set(map(str, ids))) == len(ids):
        frame.index = ids
    if frame.geometry.isna().any():
        raise InvalidParameter(f"input '{name}': every feature needs a geometry")
    return frame
