"""The features an ``on_error=skip`` upload left out, as a file GIS staff can fix.

Each rejected feature is kept as it was read (its own columns and geometry, in
the file's CRS) plus ``error_rule``, ``error_message`` and ``error_place`` (the
line, record or feature a person finds it at), and written in the format the
upload came in where GDAL can write it (GeoJSON otherwise), so staff open it in
the tool they used, fix it and upload it again. Files live under the data
directory for a week, named by an unguessable token.
"""

from __future__ import annotations

import zipfile
from dataclasses import dataclass, field
from pathlib import Path

import geopandas as gpd
import pandas as pd

from geoservice.ingest.kept import forget_older, is_token, new_token
from geoservice.ingest.report import IngestReport

KEEP_SECONDS = 7 * 24 * 3600
# GDAL driver of the upload -> (driver to write, file suffix)
WRITERS = {
    "GPKG": ("GPKG", ".gpkg"),
    "GeoJSON": ("GeoJSON", ".geojson"),
    "GeoJSONSeq": ("GeoJSONSeq", ".geojsonl"),
    "FlatGeobuf": ("FlatGeobuf", ".fgb"),
    "CSV": ("CSV", ".csv"),
    "ESRI Shapefile": ("ESRI Shapefile", ".shp"),
    "KML": ("KML", ".kml"),
}
MEDIA_TYPES = {
    ".gpkg": "application/geopackage+sqlite3",
    ".geojson": "application/geo+json",
    ".geojsonl": "application/geo+json-seq",
    ".fgb": "application/flatgeobuf",
    ".csv": "text/csv; charset=utf-8",
    ".zip": "application/zip",
    ".kml": "application/vnd.google-earth.kml+xml",
}


@dataclass
class RejectedRows:
    """Collects rejected rows batch by batch; writes them once at the end."""

    frames: list[gpd.GeoDataFrame] = field(default_factory=list)
    crs: object | None = None

    def add(self, frame: gpd.GeoDataFrame, report: IngestReport) -> None:
        """Keep ``frame``'s rows (indexed by file position) with the problem of each."""
        if frame.empty:
            return
        found = [report.rejected[int(p)] for p in frame.index]
        out = frame.copy()
        out["error_rule"] = [f.rule for f in found]
        out["error_message"] = [f.message for f in found]
        out["error_place"] = [report.place(int(p)) for p in frame.index]
        self.crs = self.crs or frame.crs
        self.frames.append(out)

    def write(self, folder: Path, driver: str, stem: str) -> dict | None:
        """Write the rows under ``folder/<token>/``; return {token, name, count}."""
        if not self.frames:
            return None
        forget_older(folder, KEEP_SECONDS)
        rows = gpd.GeoDataFrame(pd.concat(self.frames), crs=self.crs)
        token = new_token()
        target = folder / token
        target.mkdir(parents=True)
        write_driver, suffix = WRITERS.get(driver, ("GeoJSON", ".geojson"))
        path = target / f"{stem}_rejected{suffix}"
        options = {"GEOMETRY": "AS_WKT"} if write_driver == "CSV" else {}
        rows.to_file(path, driver=write_driver, **options)
        if write_driver == "ESRI Shapefile":
            path = _zip_shapefile(path)
        return {"token": token, "name": path.name, "count": len(rows)}


def rejected_path(folder: Path, token: str) -> Path | None:
    """Return the rejected-features file of ``token`` (None if unknown or expired)."""
    if not is_token(token):
        return None
    files = sorted((folder / token).glob("*")) if (folder / token).is_dir() else []
    return files[0] if files else None


def media_type(path: Path) -> str:
    """Return the media type a rejected-features file is served with."""
    return MEDIA_TYPES.get(path.suffix, "application/octet-stream")


def _zip_shapefile(shp: Path) -> Path:
    target = shp.with_suffix(".zip")
    with zipfile.ZipFile(target, "w", zipfile.ZIP_DEFLATED) as z:
        for part in sorted(shp.parent.glob(shp.stem + ".*")):
            if part != target:
                z.write(part, part.name)
                part.unlink()
    return target
