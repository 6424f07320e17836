"""Types of CQL2 operands, and the literal conversions both stores agree on.

PostgreSQL refuses ``text = double precision`` while SQLite quietly compares the
text with ``'150602.0'``: the same filter gave a 500 on one store and no features
on the other. So types are checked here, before SQL, against the layer's declared
attribute types, and a literal is converted to the type of what it is compared
with when the conversion is exact, as GeoServer does:

* a whole number compared with a text property becomes its digits
  (``code = 150602`` matches ``'150602'``);
* text spelling a number, compared with a numeric property, becomes the number
  (``pop > '1000'``);
* ``'true'``/``'false'`` for a boolean property;
* an ISO date or timestamp text for a date or timestamp property, a ``DATE`` for
  a timestamp property (midnight UTC), a ``TIMESTAMP`` at midnight UTC for a date
  property.

Anything else (``code = 1.5``, ``flag = 1``, ``code = pop``) is a 400 naming the
property, its type and the literal.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime, time
from enum import StrEnum
from typing import Any

from geoservice.catalog.models import AttributeType
from geoservice.errors import InvalidFilter
from geoservice.storage.sqlfragment import Fragment


class Kind(StrEnum):
    """The value types a CQL2 expression can have."""

    string = "string"
    number = "number"
    boolean = "boolean"
    date = "date"
    timestamp = "timestamp"
    geometry = "geometry"
    null = "null"


ATTRIBUTE_KINDS = {
    AttributeType.string: Kind.string,
    AttributeType.integer: Kind.number,
    AttributeType.number: Kind.number,
    AttributeType.boolean: Kind.boolean,
    AttributeType.date: Kind.date,
    AttributeType.datetime: Kind.timestamp,
}
TEMPORAL = (Kind.date, Kind.timestamp)
_NUMBER_TEXT = re.compile(r"\s*[-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?\s*")
_DATE_TEXT = re.compile(r"\d{4}-\d{2}-\d{2}")


@dataclass(frozen=True)
class Operand:
    """A compiled scalar: its SQL (None for a literal until bound), kind and label.

    ``value`` is a literal's Python value (a float, str, bool, date, datetime or
    None); ``label`` says what it is in messages (``property 'code' (string)``).
    """

    kind: Kind
    label: str
    sql: Fragment | None = None
    value: Any = None

    @property
    def literal(self) -> bool:
        """Tell whether this is a literal (which may be converted)."""
        return self.sql is None


def literal(value: Any) -> Operand:
    """Return the operand of a JSON literal (None, bool, number or string)."""
    if value is None:
        return Operand(Kind.null, "NULL")
    if isinstance(value, bool):
        return Operand(Kind.boolean, str(value).lower(), value=value)
    if isinstance(value, int | float):
        number = float(value)
        if not math.isfinite(number):
            raise InvalidFilter(f"number {value!r} in filter is not finite")
        return Operand(Kind.number, f"the number {_number_text(number)}", value=number)
    return Operand(Kind.string, f"the text {_quoted(check_text(value))}", value=value)


def temporal_literal(node: dict) -> Operand:
    """Return the operand of ``{"date": ...}`` or ``{"timestamp": ...}``."""
    kind = Kind.date if "date" in node else Kind.timestamp
    text = node.get(kind.value)
    value = parse_temporal(text, kind) if isinstance(text, str) else None
    if value is None:
        raise InvalidFilter(f"{kind.value.upper()}({text!r}) is not an ISO 8601 {kind.value}")
    return Operand(kind, f"{kind.value.upper()}('{text}')", value=value)


def parse_temporal(text: str, kind: Kind) -> date | datetime | None:
    """Return the date or UTC timestamp (to the millisecond, as stored) ``text`` spells."""
    try:
        if kind is Kind.date:
            return date.fromisoformat(text) if _DATE_TEXT.fullmatch(text) else None
        value = datetime.fromisoformat(text.replace("Z", "+00:00").replace("z", "+00:00"))
        value = value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)
    except (ValueError, OverflowError):
        return None
    return value.replace(microsecond=value.microsecond // 1000 * 1000)


def check_text(value: str) -> str:
    """Refuse text PostgreSQL cannot hold (NUL) or UTF-8 cannot encode (lone surrogates)."""
    if "\x00" in value:
        raise InvalidFilter("text in filter contains a NUL character")
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        raise InvalidFilter("text in filter is not valid Unicode (a lone surrogate)") from None
    return value


def convert(operand: Operand, kind: Kind) -> Operand | None:
    """Return a literal converted exactly to ``kind``, or None when it cannot be."""
    if operand.kind is kind:
        return operand
    if operand.kind is Kind.null:  # a typed NULL: PostgreSQL cannot guess NULL + NULL
        return replace(operand, kind=kind)
    if not operand.literal:
        return None
    value = _CONVERSIONS.get((operand.kind, kind), _impossible)(operand.value)
    return None if value is None else replace(operand, kind=kind, value=value)


def unify(operands: list[Operand], what: str) -> list[Operand]:
    """Return the operands converted to one kind: the first non-literal's, else the first's.

    Raises
    ------
    InvalidFilter
        Naming both sides when a literal cannot be converted or two expressions differ.
    """
    typed = [o for o in operands if o.kind is not Kind.null]
    if not typed:
        return operands
    target = next((o for o in typed if not o.literal), typed[0])
    out = []
    for operand in operands:
        converted = convert(operand, target.kind)
        if converted is None:
            raise InvalidFilter(mismatch(what, target, operand))
        out.append(converted)
    return out


def mismatch(what: str, target: Operand, operand: Operand) -> str:
    """Return the message of an operand that cannot be compared with ``target``."""
    hint = ""
    if target.kind is Kind.string and operand.kind is Kind.number and operand.literal:
        hint = f"; write it as text: '{_number_text(operand.value)}'"
    elif operand.kind is Kind.geometry or target.kind is Kind.geometry:
        hint = "; the geometry can only be used in spatial operators (S_INTERSECTS, ...)"
    return (
        f"{what}: cannot compare {target.label}, a {target.kind.value}, with "
        f"{operand.label}, a {operand.kind.value}{hint}"
    )


def require(operand: Operand, kinds: tuple[Kind, ...], what: str) -> Operand:
    """Return the operand converted to the first of ``kinds`` it fits, or raise a 400."""
    for kind in kinds:
        converted = convert(operand, kind)
        if converted is not None:
            return converted
    names = " or ".join(k.value for k in kinds)
    raise InvalidFilter(f"{what} needs a {names}; {operand.label} is a {operand.kind.value}")


def _number_text(value: float) -> str:
    return str(int(value)) if value.is_integer() and abs(value) < 1e16 else repr(value)


def _quoted(text: str) -> str:
    shown = text if len(text) <= 40 else text[:37] + "..."
    return "'" + shown.replace("'", "''") + "'"


def _impossible(value: Any) -> None:
    return None


def _number_to_string(value: float) -> str | None:
    return _number_text(value) if value.is_integer() else None


def _string_to_number(value: str) -> float | None:
    if not _NUMBER_TEXT.fullmatch(value):
        return None
    number = float(value)
    return number if math.isfinite(number) else None


def _string_to_boolean(value: str) -> bool | None:
    return {"true": True, "false": False}.get(value.strip().lower())


def _timestamp_to_date(value: datetime) -> date | None:
    return value.date() if value.timetz() == time(tzinfo=UTC) else None


def _string_to_date(value: str) -> date | None:
    """Return the date a text spells: a date, or a timestamp at midnight UTC."""
    if _DATE_TEXT.fullmatch(value):
        return parse_temporal(value, Kind.date)
    moment = parse_temporal(value, Kind.timestamp)
    return None if moment is None else _timestamp_to_date(moment)


def _date_to_timestamp(value: date) -> datetime:
    return datetime.combine(value, time(), tzinfo=UTC)


_CONVERSIONS = {
    (Kind.number, Kind.string): _number_to_string,
    (Kind.string, Kind.number): _string_to_number,
    (Kind.string, Kind.boolean): _string_to_boolean,
    (Kind.string, Kind.date): lambda v: _string_to_date(v.strip()),
    (Kind.string, Kind.timestamp): lambda v: parse_temporal(v.strip(), Kind.timestamp),
    (Kind.timestamp, Kind.date): _timestamp_to_date,
    (Kind.date, Kind.timestamp): _date_to_timestamp,
}
