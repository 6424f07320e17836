"""Plan-target indicators: declarative targets evaluated against current layers.

An indicator file (YAML) names a plan and lists targets; each target has a
``type``, the layers it reads (by id), a comparison and the seed passage it comes
from. Example files for the Dongsheng plan live in the top-level ``indicators/``
folder. Shares are fractions (0.9, not 90).

Types
-----
count
    Number of features in a layer (optionally filtered) compared with a target;
    the counted features are reported.
coverage_share
    Share of demand (``features``, ``area`` or ``population``) within
    ``distance_m`` or ``minutes`` (over a road ``network``) of the facilities; the
    demand features not (fully) covered are reported.
attribute_sum
    Sum of a column; the contributing features are reported.
attribute_ratio
    ``scale × Σ numerator.column / Σ denominator.column`` (e.g. beds per 1000
    elderly); the numerator features are reported.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Annotated, Any, Literal

import geopandas as gpd
import numpy as np
import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from geoservice import quality
from geoservice.analysis import _common as c
from geoservice.errors import CatalogError, InvalidParameter, LayerNotFound, MissingDataError

Scalar = str | int | float | bool


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class SeedRef(_Model):
    """Where in the plan texts a target comes from."""

    doc: str = Field(description="Seed tag, e.g. '000'")
    line: int | None = Field(default=None, description="Line in the seed file")
    quote: str = Field(description="The passage, in the original language")


class Target(_Model):
    """``value op target``, e.g. ``>= 0.9``."""

    op: Literal[">=", ">", "<=", "<", "=="]
    value: float


class LayerRef(_Model):
    """A layer by id, optionally filtered by column values."""

    layer: str
    where: dict[str, Scalar | list[Scalar]] | None = None
    id_column: str | None = Field(default=None, description="Feature ids; index if unset")


class ColumnRef(LayerRef):
    """A numeric column of a layer."""

    column: str


class NetworkRef(_Model):
    """A road layer to route over."""

    layer: str
    profile: Literal["walk", "drive"] = "walk"
    class_col: str | None = "highway"
    speed_col: str | None = None
    split_crossings: bool = False


class _Indicator(_Model):
    id: str = Field(pattern=r"^[a-z0-9_\-]+$")
    title: str
    title_zh: str | None = None
    source: SeedRef
    target: Target
    year: int | None = Field(default=None, description="Target year")
    assumptions: list[str] = Field(
        default_factory=list,
        description="Thresholds the plan does not give, chosen by the planner",
    )
    counted_items: Literal["planned", "built"] | None = Field(
        default=None,
        description="What the features read are: items the plan names (planned, not known "
        "to be built) or built ones; None when the layer does not say",
    )


class CountIndicator(_Indicator):
    """Count of features in a layer."""

    type: Literal["count"]
    features: LayerRef


class CoverageShareIndicator(_Indicator):
    """Share of demand within reach of facilities."""

    type: Literal["coverage_share"]
    facilities: LayerRef
    demand: LayerRef
    measure: Literal["features", "area", "population"] = "features"
    population_column: str | None = None
    distance_m: float | None = Field(default=None, ge=0)
    minutes: float | None = Field(default=None, gt=0)
    network: NetworkRef | None = None

    @model_validator(mode="after")
    def _reach(self) -> CoverageShareIndicator:
        if (self.distance_m is None) == (self.minutes is None):
            raise ValueError("give exactly one of distance_m and minutes")
        if self.minutes is not None and self.network is None:
            raise ValueError("minutes needs a network")
        if self.measure == "population" and not self.population_column:
            raise ValueError("measure 'population' needs population_column")
        return self


class AttributeSumIndicator(_Indicator):
    """Sum of a column."""

    type: Literal["attribute_sum"]
    features: ColumnRef


class AttributeRatioIndicator(_Indicator):
    """Scaled ratio of two column sums."""

    type: Literal["attribute_ratio"]
    numerator: ColumnRef
    denominator: ColumnRef
    scale: float = Field(default=1.0, gt=0)


Indicator = Annotated[
    CountIndicator | CoverageShareIndicator | AttributeSumIndicator | AttributeRatioIndicator,
    Field(discriminator="type"),
]


class IndicatorFile(_Model):
    """A plan's targets."""

    plan: str
    plan_zh: str | None = None
    description: str | None = None
    indicators: list[Indicator]

    @model_validator(mode="after")
    def _unique_ids(self) -> IndicatorFile:
        ids = [i.id for i in self.indicators]
        dupes = sorted({i for i in ids if ids.count(i) > 1})
        if dupes:
            raise ValueError(f"indicator ids repeat: {dupes}")
        return self


@dataclass(frozen=True)
class IndicatorResult:
    """One evaluated target.

    ``feature_ids`` are the features responsible for the value: uncovered demand
    for coverage shares (largest uncovered population first), counted features
    for counts, contributing features for sums and ratios. ``status`` is
    ``met``, ``not_met`` or ``not_evaluable`` (a layer, column or value the
    indicator needs is missing: ``value`` is None and ``missing`` says what).
    """

    id: str
    title: str
    type: str
    value: float | None
    target: float
    op: str
    met: bool
    comparison: str
    feature_role: str
    feature_ids: list[Any]
    source: dict[str, Any]
    details: dict[str, Any] = field(default_factory=dict)
    status: str = "not_met"
    missing: dict[str, Any] = field(default_factory=dict)
    method: dict[str, Any] = field(default_factory=dict)
    """How the value is computed: ``type`` and the layers, filters, reach and measure read."""
    data_quality: dict[str, Any] = field(default_factory=dict)
    """Per layer role (features, facilities, demand, …): counts by how the features
    were located (:func:`geoservice.quality.summarise`)."""
    counted_items: str | None = None
    """``planned`` when the counted features are items the plan names, not built ones."""


def load_indicators(path: str | Path) -> IndicatorFile:
    """Read and validate an indicator YAML file.

    Raises
    ------
    CatalogError
        If the file is not valid YAML or does not match the format.
    """
    path = Path(path)
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
        return IndicatorFile.model_validate(data)
    except (yaml.YAMLError, ValidationError) as exc:
        raise CatalogError(f"indicator file {path.name} is invalid: {exc}") from exc


def required_layers(defs: IndicatorFile | Sequence[Any]) -> set[str]:
    """Ids of every layer the indicators read."""
    items = defs.indicators if isinstance(defs, IndicatorFile) else defs
    names: set[str] = set()
    for ind in items:
        for attr in (
            "features",
            "facilities",
            "demand",
            "numerator",
            "denominator",
            "network",
        ):
            ref = getattr(ind, attr, None)
            if ref is not None:
                names.add(ref.layer)
    return names


def evaluate_indicators(
    defs: IndicatorFile | Sequence[Any] | Mapping[str, Any],
    layers: Mapping[str, gpd.GeoDataFrame],
    *,
    crs: Any = None,
    progress: c.Progress = None,
    on_missing: Literal["raise", "report"] = "raise",
    include_symbolic: bool = False,
) -> list[IndicatorResult]:
    """Evaluate indicator targets against layers.

    Parameters
    ----------
    defs : IndicatorFile, list of indicators, or the parsed YAML mapping
    layers : mapping of layer id to GeoDataFrame
        Every layer the indicators name (see :func:`required_layers`).
    crs : optional
        Metric CRS for distances (each layer's GK zone, ``analysis.crs.metric_crs_of``, if None).
    progress : callable, optional
    on_missing : {"raise", "report"}, default "raise"
        With "report", an indicator whose layers, columns or values are missing
        is returned as ``not_evaluable`` (never given a value) and the others
        are evaluated.
    include_symbolic : bool, default False
        Measure coverage from symbolic positions too (``placement_method =
        rule:symbolic``); by default they are left out of distance measures (a
        count still counts them) and each result's ``data_quality`` says how many.

    Returns
    -------
    list of IndicatorResult
        In file order.

    Raises
    ------
    LayerNotFound
        If a layer named by an indicator is not in ``layers`` (``on_missing="raise"``).

    Examples
    --------
    >>> import geopandas as gpd
    >>> from shapely import Point
    >>> parks = gpd.GeoDataFrame(geometry=[Point(0, 0)] * 7, crs=4546)
    >>> defs = {"plan": "demo", "indicators": [{
    ...     "id": "parks", "title": "7 logistics parks", "type": "count",
    ...     "features": {"layer": "parks"}, "target": {"op": ">=", "value": 7},
    ...     "source": {"doc": "000", "line": 232, "quote": "7个大型物流园区"}}]}
    >>> evaluate_indicators(defs, {"parks": parks})[0].met
    True
    """
    if isinstance(defs, Mapping):
        try:
            defs = IndicatorFile.model_validate(defs)
        except ValidationError as exc:
            raise InvalidParameter(f"invalid indicator definitions: {exc}") from exc
    items = defs.indicators if isinstance(defs, IndicatorFile) else list(defs)
    missing = sorted(required_layers(items) - set(layers))
    if missing and on_missing == "raise":
        raise LayerNotFound(f"indicators need layer(s) {missing}", details={"missing": missing})
    networks: dict[NetworkRef, Any] = {}
    results = []
    for k, ind in enumerate(items):
        results.append(_evaluate_one(ind, layers, networks, crs, on_missing, include_symbolic))
        c.report(progress, (k + 1) / len(items))
    return results


def _evaluate_one(ind, layers, networks, crs, on_missing, include_symbolic) -> IndicatorResult:
    lacking = sorted(required_layers([ind]) - set(layers))
    if lacking:
        return _not_evaluable(ind, f"layer(s) {lacking} not available", {"layers": lacking})
    try:
        if ind.type == "coverage_share":
            return _coverage(ind, layers, networks, crs, include_symbolic)
        return _EVALUATORS[ind.type](ind, layers, networks, crs)
    except MissingDataError as exc:
        if on_missing == "raise":
            raise
        return _not_evaluable(ind, exc.message, {"data": exc.message})


def _not_evaluable(ind, reason: str, missing: dict[str, Any]) -> IndicatorResult:
    """An indicator that cannot be measured: no value is given, and why."""
    return IndicatorResult(
        id=ind.id,
        title=ind.title,
        type=ind.type,
        value=None,
        target=ind.target.value,
        op=ind.target.op,
        met=False,
        comparison=f"not evaluable: {reason}",
        feature_role="none",
        feature_ids=[],
        source=ind.source.model_dump(),
        details={"assumptions": list(ind.assumptions), "year": ind.year},
        status="not_evaluable",
        missing=missing,
        method=method_of(ind),
        counted_items=ind.counted_items,
    )


def method_of(ind) -> dict[str, Any]:
    """Return how an indicator's value is computed, as data a panel can phrase in any language."""
    method: dict[str, Any] = {"type": ind.type}
    for role in ("features", "facilities", "demand", "numerator", "denominator"):
        ref = getattr(ind, role, None)
        if ref is not None:
            method[role] = {"layer": ref.layer, **({"where": ref.where} if ref.where else {})}
            if getattr(ref, "column", None):
                method[role]["column"] = ref.column
    for name in ("measure", "distance_m", "minutes", "scale"):
        value = getattr(ind, name, None)
        if value is not None:
            method[name] = value
    if getattr(ind, "network", None) is not None:
        method["network"] = {"layer": ind.network.layer, "profile": ind.network.profile}
    return method


def _select(ref: LayerRef, layers: Mapping[str, gpd.GeoDataFrame]) -> gpd.GeoDataFrame:
    gdf = layers[ref.layer]
    for column, wanted in (ref.where or {}).items():
        c.require_columns(gdf, ref.layer, column)
        values = wanted if isinstance(wanted, list) else [wanted]
        gdf = gdf[gdf[column].isin(values)]
    return gdf


def _ids(ref: LayerRef, gdf: gpd.GeoDataFrame) -> list[Any]:
    return [
        v.item() if isinstance(v, np.generic) else v for v in c.index_values(gdf, ref.id_column)
    ]


def _result(ind, value, role, ids, details, data_quality=None) -> IndicatorResult:
    target = ind.target
    met = value is not None and _compare(value, target.op, target.value)
    shown = "n/a" if value is None else f"{value:.6g}"
    return IndicatorResult(
        id=ind.id,
        title=ind.title,
        type=ind.type,
        value=value,
        target=target.value,
        op=target.op,
        met=bool(met),
        comparison=f"{shown} {target.op} {target.value:g}",
        feature_role=role,
        feature_ids=ids,
        source=ind.source.model_dump(),
        details={"assumptions": list(ind.assumptions), "year": ind.year, **details},
        status="met" if met else "not_met",
        method=method_of(ind),
        data_quality=data_quality or {},
        counted_items=ind.counted_items,
    )


def _compare(value: float, op: str, target: float) -> bool:
    tol = 1e-9 * max(1.0, abs(target))
    return {
        ">=": value >= target - tol,
        ">": value > target + tol,
        "<=": value <= target + tol,
        "<": value < target - tol,
        "==": abs(value - target) <= tol,
    }[op]


def _count(ind: CountIndicator, layers, networks, crs) -> IndicatorResult:
    gdf = _select(ind.features, layers)
    counts = {"features": quality.summarise(gdf)}
    return _result(ind, float(len(gdf)), "counted", _ids(ind.features, gdf), {}, counts)


def _sum(ind: AttributeSumIndicator, layers, networks, crs) -> IndicatorResult:
    gdf = _select(ind.features, layers)
    values = c.numeric_column(gdf, ind.features.layer, ind.features.column)
    ids = [i for i, v in zip(_ids(ind.features, gdf), values, strict=True) if v > 0]
    counts = {"features": quality.summarise(gdf)}
    return _result(ind, float(values.sum()), "contributing", ids, {"features": len(gdf)}, counts)


def _ratio(ind: AttributeRatioIndicator, layers, networks, crs) -> IndicatorResult:
    num = _select(ind.numerator, layers)
    den = _select(ind.denominator, layers)
    top = c.numeric_column(num, ind.numerator.layer, ind.numerator.column).sum()
    bottom = c.numeric_column(den, ind.denominator.layer, ind.denominator.column).sum()
    value = float(ind.scale * top / bottom) if bottom > 0 else None
    details = {
        "numerator": float(top),
        "denominator": float(bottom),
        "scale": ind.scale,
    }
    counts = {"numerator": quality.summarise(num), "denominator": quality.summarise(den)}
    return _result(ind, value, "contributing", _ids(ind.numerator, num), details, counts)


def _coverage(
    ind: CoverageShareIndicator, layers, networks, crs, include_symbolic: bool = False
) -> IndicatorResult:
    from geoservice.analysis.coverage import compute_coverage

    facilities, facility_counts = quality.split_symbolic(
        _select(ind.facilities, layers), include=include_symbolic
    )
    demand, demand_counts = quality.split_symbolic(
        _select(ind.demand, layers), include=include_symbolic
    )
    if facilities.empty and facility_counts["excluded_symbolic"]:
        raise MissingDataError(
            f"every feature of {ind.facilities.layer} is a symbolic position (not a location)",
            details={"layer": ind.facilities.layer},
        )
    network = _network(ind.network, layers, networks, crs) if ind.minutes else None
    if ind.measure == "features":  # a feature counts when its representative point is reached
        demand = demand.set_geometry(demand.representative_point())
    result = compute_coverage(
        facilities,
        demand,
        distance_m=ind.distance_m,
        minutes=ind.minutes,
        network=network,
        population_col=ind.population_column,
        crs=crs,
    )
    key = {
        "features": "feature_share",
        "area": "area_share",
        "population": "population_share",
    }
    value = result.summary.get(key[ind.measure])
    out = result.demand
    short = out["covered_share"] < 1 - 1e-9
    ids = c.object_array(_ids(ind.demand, demand))
    if ind.measure == "population":
        gap = out[ind.population_column].astype("float64") - out["covered_population"]
        order = np.argsort(-gap.to_numpy()[short.to_numpy()], kind="stable")
        responsible = ids[short.to_numpy()][order].tolist()
    else:
        responsible = ids[short.to_numpy()].tolist()
    summary = {k: v for k, v in result.summary.items() if not isinstance(v, dict)}
    return _result(
        ind,
        None if value is None else float(value),
        "not_covered",
        responsible,
        summary,
        {"facilities": facility_counts, "demand": demand_counts},
    )


def _network(ref: NetworkRef, layers, networks, crs):
    from geoservice.analysis.crs import analysis_crs
    from geoservice.analysis.network import build_network

    if ref not in networks:
        networks[ref] = build_network(
            layers[ref.layer],
            profile=ref.profile,
            class_col=ref.class_col,
            speed_col=ref.speed_col,
            split_crossings=ref.split_crossings,
            crs=analysis_crs(crs, None, layers.get(ref.layer)),
        )
    return networks[ref]


_EVALUATORS = {
    "count": _count,
    "attribute_sum": _sum,
    "attribute_ratio": _ratio,
}
