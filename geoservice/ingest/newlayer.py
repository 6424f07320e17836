"""Declare a new layer from an uploaded dataset (``POST /collections``, CLI ingest).

The schema comes from the file's declared field types, not from guessing
values. Column names that cannot be database columns (Chinese names, spaces)
get a safe name and keep the original as the attribute's title, so the next
upload of the same file matches them again.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import shapely
from pydantic import ValidationError

from geoservice.catalog.loader import STANDARD_ATTRIBUTES, layer_problems
from geoservice.catalog.models import (
    ATTRIBUTE_NAME_PATTERN,
    RESERVED_ATTRIBUTES,
    AttributeDef,
    AttributeType,
    GeometryType,
    LayerDef,
    LayerKind,
    SourceDef,
    Text,
    layer_id_problem,
)
from geoservice.catalog.registry import Catalog
from geoservice.crs import resolve_crs
from geoservice.errors import InvalidParameter
from geoservice.ingest.readers import Dataset
from geoservice.ingest.report import IngestReport

DTYPES = {
    "int8": AttributeType.integer,
    "int16": AttributeType.integer,
    "int32": AttributeType.integer,
    "int64": AttributeType.integer,
    "float32": AttributeType.number,
    "float64": AttributeType.number,
    "bool": AttributeType.boolean,
    "datetime64[D]": AttributeType.date,
    "datetime64[ms]": AttributeType.datetime,
}
FILLED_BY_UPLOAD = ("source",)
"""Standard attributes an upload fills when the file has no column for them: the
file a feature came from is known, what it is called and how good it is are not."""
MULTI = {
    "Polygon": "MultiPolygon",
    "LineString": "MultiLineString",
    "MultiPolygon": "MultiPolygon",
    "MultiLineString": "MultiLineString",
    "Point": "Point",
    "MultiPoint": "MultiPoint",
}


@dataclass(frozen=True)
class NewLayerSpec:
    """What the uploader says about a layer to create."""

    id: str
    title_zh: str | None = None
    title_en: str | None = None
    kind: str = LayerKind.admin_units.value
    style: str | None = None
    key: str | None = None
    storage_crs: str = "EPSG:4326"
    area: str | None = None
    field_types: str | None = None  # "val=integer,code=string": overrides the file's types

    def __post_init__(self) -> None:
        problem = layer_id_problem(self.id)
        if problem:  # before the file is read: the id would name database tables
            raise InvalidParameter(problem)
        self.type_overrides()

    def type_overrides(self) -> dict[str, AttributeType]:
        """Return {column: type} from ``field_types``, or refuse it naming the part."""
        out: dict[str, AttributeType] = {}
        allowed = [t.value for t in AttributeType]
        for part in filter(None, (p.strip() for p in (self.field_types or "").split(","))):
            column, sep, kind = (x.strip() for x in part.partition("="))
            if not sep or not column or kind not in allowed:
                raise InvalidParameter(
                    f"field_types: {part[:80]!r} must read column=type with type one of "
                    f"{allowed} (e.g. field_types=val=integer,code=string)"
                )
            out[column] = AttributeType(kind)
        return out


def layer_from_dataset(
    dataset: Dataset,
    spec: NewLayerSpec,
    first: shapely.Geometry | None,
    catalog: Catalog,
    report: IngestReport,
    empty: Sequence[str] = (),
) -> LayerDef:
    """Return the declaration of a new layer holding ``dataset``'s features.

    Columns in ``empty`` (no feature has a value) are left out unless
    ``field_types`` names them. A planning layer also carries the standard
    attributes; ``source``, when the file has none, is filled by the upload
    (see :data:`FILLED_BY_UPLOAD`).
    """
    attributes = _attributes(dataset, spec.type_overrides(), report, set(empty))
    names = {a.name.lower() for a in attributes}
    if spec.kind != LayerKind.analysis_result.value:
        missing = [n for n in STANDARD_ATTRIBUTES if n not in names]
        attributes += [AttributeDef(name=n) for n in missing]
        blank = [n for n in missing if n not in FILLED_BY_UPLOAD]
        if missing:
            filled = [n for n in missing if n in FILLED_BY_UPLOAD]
            report.warn(
                "attribute-standard",
                f"planning layers carry {list(STANDARD_ATTRIBUTES)} (what a feature is "
                "called and how far to trust it); the file has no column for "
                f"{missing}: "
                + (f"{filled} says which file each feature came from; " if filled else "")
                + (f"{blank} start empty: fill them with a later upload or edits" if blank else "")
                + " (kind=analysis_result layers need none)",
            )
    geometry = _geometry_type(dataset.geometry_type, first)
    declared = _base_type(dataset.geometry_type) or (first.geom_type if first else geometry)
    if declared != geometry:
        report.warn(
            "geometry-multi",
            f"the file's {declared} features are stored as one-part {geometry} features, "
            "so that the layer can hold single- and multi-part features alike",
        )
    layer = _declare(spec, attributes, geometry, dataset)
    problems = layer_problems(layer, catalog.styles)
    if problems:
        raise InvalidParameter("; ".join(problems))
    return layer


def _declare(spec: NewLayerSpec, attributes, geometry, dataset: Dataset) -> LayerDef:
    if spec.kind not in {k.value for k in LayerKind}:
        raise InvalidParameter(
            f"kind={spec.kind[:80]!r} is not a layer kind; allowed: "
            f"{sorted(k.value for k in LayerKind)}"
        )
    storage = resolve_crs(spec.storage_crs)
    key = _key_name(spec.key, attributes)
    family = GeometryType(geometry).family
    style = spec.style or ("admin_boundary" if family == "polygon" else "analysis_result")
    title = Text(zh=spec.title_zh or spec.id, en=spec.title_en or spec.title_zh or spec.id)
    try:
        return LayerDef(
            id=spec.id,
            area=spec.area,
            title=title,
            kind=LayerKind(spec.kind),
            geometry_type=GeometryType(geometry),
            storage_crs=f"EPSG:{storage.epsg}" if storage.epsg else "EPSG:4326",
            key=key,
            attributes=attributes,
            source=SourceDef(description=f"uploaded file {dataset.source.label}"),
            style=style,
        )
    except ValidationError as exc:
        problems = "; ".join(
            f"{'.'.join(str(p) for p in err['loc']) or 'layer'}: {err['msg']}"
            for err in exc.errors(include_url=False)
        )
        raise InvalidParameter(f"cannot declare layer {spec.id!r}: {problems}") from None
    except ValueError as exc:
        raise InvalidParameter(f"cannot declare layer {spec.id!r}: {exc}") from None


def _attributes(
    dataset: Dataset,
    overrides: dict[str, AttributeType],
    report: IngestReport,
    empty: set[str],
) -> list[AttributeDef]:
    out: list[AttributeDef] = []
    used: set[str] = set()
    unknown = sorted(set(overrides) - set(dataset.fields))
    if unknown:
        raise InvalidParameter(
            f"field_types names {unknown}, which are not columns of the file: {dataset.fields}"
        )
    left_out = [f for f in dataset.fields if f in empty and f not in overrides]
    if left_out:
        report.warn(
            "attribute-empty",
            f"column(s) {left_out} hold no value in any feature and are left out of the "
            "new layer; to keep one, name it in field_types (e.g. field_types="
            f"{left_out[0]}=string)",
        )
    for i, (field, dtype) in enumerate(zip(dataset.fields, dataset.dtypes, strict=True)):
        if field in left_out:
            continue
        # A file's NAME_EN is the planning attribute name_en: database column names
        # ignore case, so two of them would collide.
        standard = field.strip().lower()
        if standard in STANDARD_ATTRIBUTES and standard not in used:
            name = standard
        else:
            name = _safe_name(field, i, used)
        used.add(name.lower())
        title = None if name == field else Text(zh=field, en=field)
        kind = overrides.get(field, DTYPES.get(dtype, AttributeType.string))
        out.append(AttributeDef(name=name, type=kind, title=title))
    if dataset.inferred_types:
        typed = {a.name: a.type.value for a in out if a.type != AttributeType.string}
        report.warn(
            "attribute-types",
            f"a CSV has no types: columns read as {typed or 'text only'} from their values "
            "(codes with leading zeros stay text); override with field_types=column=type",
        )
    return out


def _safe_name(field: str, index: int, used: set[str]) -> str:
    name = field.strip()
    if not ATTRIBUTE_NAME_PATTERN.match(name) or name.lower() in RESERVED_ATTRIBUTES:
        name = f"{name}_1" if ATTRIBUTE_NAME_PATTERN.match(name) else f"attr_{index + 1}"
    while name.lower() in used:
        name = f"{name}_{index + 1}"
    return name


def _base_type(declared: str) -> str | None:
    base = declared.replace(" ZM", "").replace(" Z", "").replace(" M", "").strip()
    return base if base in MULTI else None


def _geometry_type(declared: str, first: shapely.Geometry | None) -> str:
    base = _base_type(declared)
    if base:
        return MULTI[base]
    if first is not None and first.geom_type in MULTI:
        return MULTI[first.geom_type]
    raise InvalidParameter(
        f"the file declares geometry type {declared!r} and its first feature has none "
        "usable; upload points, lines or polygons"
    )


def _key_name(key: str | None, attributes: list[AttributeDef]) -> str | None:
    if key is None:
        return None
    for attr in attributes:
        if key in (attr.name, attr.title.zh if attr.title else None):
            return attr.name
    raise InvalidParameter(
        f"key={key!r} is not a column of the file: {[a.name for a in attributes]}"
    )
