"""Uploads: read, check and store GIS files as new layer versions (no FastAPI here)."""

from geoservice.ingest.newlayer import NewLayerSpec
from geoservice.ingest.options import IngestOptions
from geoservice.ingest.report import IngestReport
from geoservice.ingest.service import IngestOutcome, Upload, ingest

__all__ = ["IngestOptions", "IngestOutcome", "IngestReport", "NewLayerSpec", "Upload", "ingest"]
