"""Preview maps of dry runs: the checked features, kept a day for a map link.

A dry run tells staff what an upload would do; the map shows where it would
land over what the layer holds now, before anything is written. The first
:data:`MAP_FEATURES` checked features are kept as GeoJSON (CRS84) with the
layer they were checked against, under the data directory in a folder named by
an unguessable token: the token is the link's only key (a map link opened in a
browser carries no API key), and it expires after :data:`KEEP_SECONDS`.
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass, field
from datetime import date, datetime
from datetime import time as dt_time
from pathlib import Path

import geopandas as gpd
import pandas as pd

from geoservice.catalog.models import LayerDef
from geoservice.crs import same_crs
from geoservice.ingest.kept import forget_older, is_token, new_token

MAP_FEATURES = 5_000
KEEP_SECONDS = 24 * 3600
FEATURES_FILE = "features.geojson"
META_FILE = "meta.json"


@dataclass
class PreviewRows:
    """Collects the first checked features of a dry run, batch by batch."""

    frames: list[gpd.GeoDataFrame] = field(default_factory=list)
    count: int = 0

    def add(self, frame: gpd.GeoDataFrame) -> None:
        """Keep ``frame``'s rows up to :data:`MAP_FEATURES` in all."""
        room = MAP_FEATURES - self.count
        if room <= 0 or frame.empty:
            return
        head = frame.head(room)
        self.frames.append(head)
        self.count += len(head)

    def write(self, folder: Path, layer: LayerDef, *, file: str, new_layer: bool) -> str | None:
        """Write the kept features and what they were checked against; return the token."""
        if not self.frames:
            return None
        forget_older(folder, KEEP_SECONDS)
        rows = gpd.GeoDataFrame(pd.concat(self.frames), crs=self.frames[0].crs)
        if not same_crs(layer.storage_crs, "OGC:CRS84"):
            rows = rows.to_crs("OGC:CRS84")
        token = new_token()
        target = folder / token
        target.mkdir(parents=True)
        (target / FEATURES_FILE).write_text(preview_json(rows), encoding="utf-8")
        meta = {
            "file": file,
            "new_layer": new_layer,
            "shown": len(rows),
            "layer": layer.model_dump(mode="json"),
            "created_at": time.time(),
        }
        (target / META_FILE).write_text(json.dumps(meta, ensure_ascii=False), encoding="utf-8")
        return token


def preview_json(frame: gpd.GeoDataFrame) -> str:
    """Return features as GeoJSON text; dates and times as ISO 8601 (json cannot)."""
    return frame.to_json(drop_id=True, na="null", to_wgs84=False, default=_plain)


def _plain(value: object) -> object:
    if isinstance(value, date | datetime | dt_time):
        return value.isoformat()
    if isinstance(value, bytes):
        return value.hex()
    return str(value)


@dataclass(frozen=True)
class Preview:
    """A kept dry run: the layer it was checked against and its first features."""

    layer: LayerDef
    file: str
    new_layer: bool
    features: gpd.GeoDataFrame


def read_preview(folder: Path, token: str) -> Preview | None:
    """Return the preview of ``token``, or None if unknown or expired."""
    if not is_token(token):
        return None
    target = folder / token
    try:
        meta = json.loads((target / META_FILE).read_text(encoding="utf-8"))
        if time.time() - float(meta["created_at"]) > KEEP_SECONDS:
            return None
        frame = gpd.read_file(target / FEATURES_FILE)
    except (OSError, ValueError, KeyError):
        return None
    if frame.crs is None:
        frame = frame.set_crs("OGC:CRS84")
    return Preview(LayerDef.model_validate(meta["layer"]), meta["file"], meta["new_layer"], frame)
