"""Saved field mappings: the column names of a layer's usual supplier, remembered.

A bureau receives the same layer from the same office every quarter, with the
same Chinese column names (名称, 代码). Once an upload has mapped them
(``field_map=名称=name_zh``), ``save_field_map=true`` keeps that mapping for the
layer; later uploads without a ``field_map`` use it, and their report says so.
Mappings are runtime state: one small JSON file per layer under the data
directory, written atomically, shared by every server process.
"""

from __future__ import annotations

import json
import os
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from geoservice.catalog.models import LayerDef
from geoservice.errors import InvalidParameter

FieldMap = tuple[tuple[str, str], ...]  # (file column, layer attribute) pairs
MAX_PAIRS = 500


@dataclass(frozen=True)
class SavedFieldMap:
    """A layer's saved mapping, who saved it and when."""

    pairs: FieldMap
    author: str
    saved_at: str

    def as_dict(self) -> dict:
        """Return the JSON form (``field_map`` as {column: attribute})."""
        return {"field_map": dict(self.pairs), "author": self.author, "saved_at": self.saved_at}


class FieldMapStore:
    """The saved mappings of every layer, one JSON file each under ``folder``."""

    def __init__(self, folder: Path) -> None:
        self.folder = Path(folder)

    def get(self, layer_id: str) -> SavedFieldMap | None:
        """Return the layer's saved mapping, or None."""
        try:
            doc = json.loads(self._path(layer_id).read_text(encoding="utf-8"))
        except (FileNotFoundError, ValueError):
            return None
        pairs = tuple((str(c), str(a)) for c, a in doc.get("field_map", {}).items())
        return SavedFieldMap(pairs, str(doc.get("author", "")), str(doc.get("saved_at", "")))

    def save(self, layer: LayerDef, pairs: FieldMap, author: str) -> SavedFieldMap:
        """Keep ``pairs`` as the mapping of ``layer`` (checked against its attributes)."""
        check_field_map(layer, pairs)
        saved = SavedFieldMap(pairs, author, datetime.now(UTC).isoformat(timespec="seconds"))
        path = self._path(layer.id)
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_name(f".{path.name}.{os.getpid()}.{uuid.uuid4().hex[:8]}.tmp")
        tmp.write_text(json.dumps(saved.as_dict(), ensure_ascii=False), encoding="utf-8")
        tmp.replace(path)
        return saved

    def delete(self, layer_id: str) -> bool:
        """Forget the layer's mapping; return whether there was one."""
        try:
            self._path(layer_id).unlink()
        except FileNotFoundError:
            return False
        return True

    def _path(self, layer_id: str) -> Path:
        # Layer ids are checked against the catalogue's id pattern (a-z, 0-9, _)
        # before they get here, so they are safe file names.
        return self.folder / f"{layer_id}.json"


def check_field_map(layer: LayerDef, pairs: FieldMap) -> None:
    """Refuse a mapping naming attributes the layer lacks, or one attribute twice (400)."""
    if len(pairs) > MAX_PAIRS:
        raise InvalidParameter(f"field_map: at most {MAX_PAIRS} columns")
    names = set(layer.attribute_names)
    unknown = sorted({a for _, a in pairs} - names)
    if unknown:
        raise InvalidParameter(
            f"field_map: {unknown} are not attributes of layer {layer.id!r} "
            f"(attributes: {layer.attribute_names})"
        )
    targets = [a for _, a in pairs]
    if len(set(targets)) < len(targets):
        raise InvalidParameter(f"field_map maps two columns to one attribute: {targets}")
    if any(not c.strip() for c, _ in pairs):
        raise InvalidParameter("field_map: a column name is empty")
