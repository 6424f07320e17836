"""Version bookkeeping shared by both stores.

``gs_versions`` holds one row per version (which immutable table holds its data,
who made it, when, why); ``gs_layers`` says which version is current.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from geoservice.errors import LayerNotFound, PreconditionFailed
from geoservice.storage.base import VersionInfo

VERSION_COLUMNS = (
    "v.layer, v.version, v.table_name, v.created_at, v.author, v.action, v.message, "
    "v.feature_count, v.minx, v.miny, v.maxx, v.maxy"
)


def version_from_row(row: tuple[Any, ...]) -> VersionInfo:
    """Build a :class:`VersionInfo` from ``SELECT VERSION_COLUMNS, is_current``."""
    layer, version, table, created, author, action, message, count, *rest = row
    minx, miny, maxx, maxy, current = rest
    if isinstance(created, str):
        created = datetime.fromisoformat(created.replace("Z", "+00:00"))
    bbox = None if minx is None else (minx, miny, maxx, maxy)
    return VersionInfo(
        layer=layer,
        version=version,
        created_at=created,
        author=author,
        action=action,
        message=message,
        feature_count=count,
        bbox=bbox,
        table=table,
        current=bool(current),
    )


def no_data(layer_id: str) -> LayerNotFound:
    """Return the error of a layer that has no version yet."""
    return LayerNotFound(
        f"collection {layer_id!r} has no data yet: build the sample store "
        "(geoservice data build) or upload a file"
    )


def next_table_name(conn: Any, layer_id: str, placeholder: str) -> tuple[str, int]:
    """Return the table name and number of the next version of a layer."""
    cursor = conn.execute(
        f"SELECT coalesce(max(version), 0) + 1 FROM gs_versions WHERE layer = {placeholder}",
        (layer_id,),
    )
    (version,) = cursor.fetchone()
    return f"{layer_id}__v{version}", version


def check_expected_version(
    conn: Any,
    layer_id: str,
    expected: int | None,
    placeholder: str,
    table: str = "gs_layers",
) -> None:
    """Refuse an edit based on a version that is no longer current (inside its transaction)."""
    if expected is None:
        return
    (current,) = conn.execute(
        f"SELECT current_version FROM {table} WHERE layer = {placeholder}", (layer_id,)
    ).fetchone()
    if current != expected:
        raise PreconditionFailed(
            f"collection {layer_id!r} is at version {current}, not {expected}: "
            "it changed while this edit was prepared; fetch it again and retry"
        )
