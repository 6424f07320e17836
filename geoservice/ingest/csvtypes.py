"""Column types of a CSV, inferred from every value as GDAL's ``AUTODETECT_TYPE`` does.

A CSV has no schema: every value is text. A new layer made from it would hold
only strings, so ``val > 10`` would compare text. Each column becomes the
narrowest type all its non-empty values fit: integer, number, boolean, date,
else string. Codes with leading zeros (``0477``, ``007``) stay strings, because
an integer would lose the zeros; the uploader can override any column.
"""

from __future__ import annotations

import csv
import re
from collections.abc import Iterable
from datetime import date
from pathlib import Path

INTEGER = re.compile(r"[+-]?(0|[1-9][0-9]{0,17})")
NUMBER = re.compile(r"[+-]?([0-9]+\.?[0-9]*|\.[0-9]+)([eE][+-]?[0-9]+)?")
ISO_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")
BOOLEAN_WORDS = {"true", "false", "yes", "no", "是", "否"}

# The order a column is narrowed in: each value can only widen it.
KINDS = ("integer", "number", "boolean", "date", "string")
DTYPE_OF = {
    "integer": "int64",
    "number": "float64",
    "boolean": "bool",
    "date": "datetime64[D]",
    "string": "object",
}


def infer_csv_types(path: Path, columns: Iterable[str]) -> dict[str, str]:
    """Return {column: kind} for ``columns`` of the UTF-8 CSV at ``path``.

    Columns holding no value at all stay strings.
    """
    wanted = set(columns)
    kinds: dict[str, str | None] = dict.fromkeys(wanted)
    with path.open(encoding="utf-8-sig", newline="") as f:
        for row in csv.DictReader(f):
            for column in wanted:
                value = (row.get(column) or "").strip()
                if value and kinds[column] != "string":
                    kinds[column] = _widen(kinds[column], value)
    return {column: kind or "string" for column, kind in kinds.items()}


def _widen(current: str | None, value: str) -> str:
    kind = _kind_of(value)
    if current is None or current == kind:
        return kind
    if {current, kind} == {"integer", "number"}:
        return "number"
    return "string"


def _kind_of(value: str) -> str:
    if INTEGER.fullmatch(value):
        return "integer"
    decimal = "." in value or "e" in value.lower()  # 19+ digits without: an id, not a number
    if decimal and NUMBER.fullmatch(value) and not _leading_zero(value):
        return "number"
    if value.lower() in BOOLEAN_WORDS:
        return "boolean"
    if ISO_DATE.fullmatch(value) and _is_date(value):
        return "date"
    return "string"


def _leading_zero(value: str) -> bool:
    digits = value.lstrip("+-")
    return len(digits) > 1 and digits[0] == "0" and digits[1].isdigit()


def _is_date(value: str) -> bool:
    try:
        date.fromisoformat(value)
    except ValueError:
        return False
    return True
