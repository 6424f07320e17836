"""Attribute checks of one batch: the layer's schema, types, enums, required values, keys.

Columns are matched to the layer's attributes by name, ignoring case, by the
10-character names shapefiles truncate to, and by the attribute's Chinese or
English title (so a column "名称" fills the attribute titled 名称). Columns the
layer does not declare are reported and left out; values that cannot become the
declared type are errors naming the feature and the value.
"""

from __future__ import annotations

import math
from datetime import date, datetime
from functools import partial
from typing import Any

import numpy as np
import pandas as pd

from geoservice.catalog.models import AttributeDef, AttributeType, LayerDef
from geoservice.errors import InvalidParameter
from geoservice.ingest.keyindex import KeyIndex
from geoservice.ingest.report import IngestReport
from geoservice.quality import QUALITY, normalise_quality

TRUE_WORDS = {"true", "t", "yes", "y", "1", "是", "真"}
FALSE_WORDS = {"false", "f", "no", "n", "0", "否", "假"}


def match_columns(layer: LayerDef, columns: list[str]) -> dict[str, str]:
    """Return {file column: layer attribute} for the columns that match one."""
    mapping: dict[str, str] = {}
    for attr in layer.attributes:
        for col in columns:
            if col not in mapping and _matches(attr, col):
                mapping[col] = attr.name
                break
    return mapping


def _matches(attr: AttributeDef, column: str) -> bool:
    name, col = attr.name.lower(), column.strip().lower()
    if col == name or (len(col) == 10 and name.startswith(col)):
        return True
    titles = [attr.title.zh, attr.title.en] if attr.title else []
    return any(t and t.strip().lower() == col for t in titles)


# Column names GIS staff use for the planning attributes (exports of AMap, Excel
# sheets, county GIS): suggested, never applied without the uploader's field_map.
SYNONYMS = {
    "name_zh": ("名称", "名字", "中文名", "中文名称", "mc", "mingcheng", "name", "name_cn"),
    "name_en": ("英文名", "英文名称", "ywmc", "name_eng", "english_name"),
    "code": ("代码", "编码", "区划代码", "行政区划代码", "dm", "bm", "adcode", "xzqdm"),
    "source": ("来源", "数据来源", "ly", "sjly"),
    "kind": ("类型", "类别", "lx", "lb", "type", "category"),
    "pop": ("人口", "人口数", "rk", "population"),
    "parent_code": ("上级代码", "所属代码", "sjdm"),
}


def apply_field_map(
    layer: LayerDef, columns: list[str], field_map: dict[str, str]
) -> dict[str, str]:
    """Return {file column: attribute} from the uploader's map, refusing what cannot be."""
    names = set(layer.attribute_names)
    missing = [c for c in field_map if c not in columns]
    unknown = [a for a in field_map.values() if a not in names]
    if missing or unknown:
        parts = []
        if missing:
            parts.append(f"the file has no column(s) {missing} (columns: {columns})")
        if unknown:
            parts.append(
                f"{unknown} are not attributes of layer {layer.id!r} (attributes: "
                f"{layer.attribute_names})"
            )
        raise InvalidParameter("field_map: " + "; ".join(parts))
    return dict(field_map)


def suggest_field_map(
    layer: LayerDef, unknown: list[str], mapping: dict[str, str]
) -> dict[str, str]:
    """Suggest {column: attribute} for unmatched columns that name an unfilled attribute."""
    free = [a for a in layer.attribute_names if a not in mapping.values()]
    out: dict[str, str] = {}
    for column in unknown:
        text = column.strip().lower()
        for attr in free:
            if attr in out.values():
                continue
            squeezed = text.replace("_", "").replace(" ", "")
            if squeezed == attr.replace("_", "") or text in SYNONYMS.get(attr, ()):
                out[column] = attr
                break
    return out


def report_schema(
    layer: LayerDef,
    columns: list[str],
    report: IngestReport,
    field_map: dict[str, str] | None = None,
    ignored: frozenset[str] = frozenset(),
) -> dict[str, str]:
    """Record unknown columns and missing required attributes; return the mapping.

    ``field_map`` ({file column: attribute}) comes first; the other columns are
    matched by name, shapefile truncation or title (:func:`match_columns`).
    ``ignored`` columns were already reported (empty columns a new layer left out).
    """
    explicit = apply_field_map(layer, columns, field_map or {})
    rest = [c for c in columns if c not in explicit and c not in ignored]
    taken = set(explicit.values())
    matched = {c: a for c, a in match_columns(layer, rest).items() if a not in taken}
    mapping = {**explicit, **matched}
    unknown = [c for c in columns if c not in mapping and c not in ignored]
    if unknown:
        report.warn(
            "attribute-unknown",
            f"column(s) {unknown} are not attributes of layer {layer.id!r} and are left out; "
            f"its attributes: {layer.attribute_names}",
        )
        suggested = suggest_field_map(layer, unknown, mapping)
        if suggested:
            report.suggested_field_map = suggested
            text = ",".join(f"{c}={a}" for c, a in suggested.items())
            report.warn(
                "attribute-suggested",
                f"these columns look like attributes of the layer: {suggested}; to use them "
                f"upload again with field_map={text}",
            )
    renamed = {c: a for c, a in mapping.items() if c != a}
    if renamed:
        report.warn("attribute-renamed", f"columns read as attributes: {renamed}")
    found = set(mapping.values())
    for attr in layer.attributes:
        if attr.required and attr.name not in found:
            report.error(
                "attribute-required",
                f"the file has no column for the required attribute {attr.name!r}"
                f"{_title(attr)}; add it (columns found: {columns})",
            )
    return mapping


def _title(attr: AttributeDef) -> str:
    return f" ({attr.title.zh} / {attr.title.en})" if attr.title else ""


def check_attributes(
    frame: pd.DataFrame, layer: LayerDef, mapping: dict[str, str], report: IngestReport
) -> pd.DataFrame:
    """Return the batch's attributes under the layer's names, converted to its types."""
    positions = frame.index.to_numpy()
    by_attr = {a: c for c, a in mapping.items()}
    out = {}
    for attr in layer.attributes:
        column = by_attr.get(attr.name)
        if column is None:
            out[attr.name] = [None] * len(frame)
            continue
        series = frame[column]
        if attr.name == QUALITY:  # files written before the current vocabulary say 'surveyed'
            series = series.map(partial(normalise_quality, geometry_type=str(layer.geometry_type)))
        out[attr.name] = _convert_column(series, attr, positions, report)
    return pd.DataFrame(out, index=frame.index)


def _convert_column(series: pd.Series, attr: AttributeDef, positions, report) -> list[Any]:
    fast = _fast_column(series, attr)
    if fast is not None:
        if attr.required:
            for i in np.flatnonzero(pd.isna(np.asarray(fast, dtype=object))):
                report.error(
                    "attribute-required",
                    f"has no value for required {attr.name!r}",
                    int(positions[i]),
                )
        return fast
    convert = CONVERTERS[attr.type]
    values = []
    for position, raw in zip(positions, series.tolist(), strict=True):
        if _missing(raw):
            if attr.required:
                report.error(
                    "attribute-required", f"has no value for required {attr.name!r}", int(position)
                )
            values.append(None)
            continue
        try:
            value = convert(raw)
        except (TypeError, ValueError, OverflowError):
            report.error(
                "attribute-type",
                f"{attr.name!r} must be {attr.type.value}, got {raw!r}",
                int(position),
            )
            values.append(None)
            continue
        if attr.enum is not None and value not in attr.enum:
            report.error(
                "attribute-enum",
                f"{attr.name!r} is {value!r}, not one of {attr.enum}",
                int(position),
            )
        values.append(value)
    return values


def _fast_column(series: pd.Series, attr: AttributeDef) -> list[Any] | None:
    """Return the values without a per-value check when the column's dtype already fits."""
    if attr.enum is not None:
        return None
    kind = series.dtype.kind
    if attr.type == AttributeType.integer and kind in "iu":
        return series.tolist()
    if attr.type == AttributeType.number and kind in "iuf":
        values = series.to_numpy(dtype=float)
        if not np.isfinite(values[~np.isnan(values)]).all():
            return None
        return [None if np.isnan(v) else v for v in values.tolist()]
    if attr.type == AttributeType.string and kind == "O":
        if pd.api.types.infer_dtype(series, skipna=True) not in ("string", "empty"):
            return None
        blank = series.isna() | (series.str.strip() == "")
        return series.mask(blank, None).tolist()
    return None


def check_keys(
    keys: list[Any], positions: np.ndarray, seen: KeyIndex, report: IngestReport, name: str
) -> None:
    """Record key values already used (in this file, or in the layer when appending)."""
    for row, first in seen.add(keys, positions):
        where = "the stored layer" if first < 0 else report.place(first)
        report.error(
            "key-duplicate",
            f"key {name}={keys[row]!r} is already used by {where}; keys must be unique",
            int(positions[row]),
            keys[row],
        )


def _missing(value: Any) -> bool:
    if value is None or value is pd.NaT:
        return True
    if isinstance(value, float) and math.isnan(value):
        return True
    return isinstance(value, str) and not value.strip()


def _to_string(value: Any) -> str:
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, (datetime, date)):
        return value.isoformat()
    return str(value).strip()


def _to_integer(value: Any) -> int:
    if isinstance(value, bool):
        return int(value)
    if isinstance(value, (int, np.integer)):
        return int(value)
    number = float(str(value).strip()) if isinstance(value, str) else float(value)
    if not number.is_integer():
        raise ValueError("not an integer")
    return int(number)


def _to_number(value: Any) -> float:
    number = float(value.strip()) if isinstance(value, str) else float(value)
    if not math.isfinite(number):
        raise ValueError("not finite")
    return number


def _to_boolean(value: Any) -> bool:
    if isinstance(value, (bool, np.bool_)):
        return bool(value)
    text = str(value).strip().lower()
    if isinstance(value, (int, float, np.number)):
        text = str(int(value)) if float(value) in (0.0, 1.0) else text
    if text in TRUE_WORDS:
        return True
    if text in FALSE_WORDS:
        return False
    raise ValueError("not a boolean")


def _to_date(value: Any) -> date:
    return pd.Timestamp(value).date()


def _to_datetime(value: Any) -> datetime:
    return pd.Timestamp(value).to_pydatetime()


CONVERTERS = {
    AttributeType.string: _to_string,
    AttributeType.integer: _to_integer,
    AttributeType.number: _to_number,
    AttributeType.boolean: _to_boolean,
    AttributeType.date: _to_date,
    AttributeType.datetime: _to_datetime,
}
