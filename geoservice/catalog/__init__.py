"""Catalogue of layers and styles, declared as one small file each."""

from geoservice.catalog.loader import load_catalog
from geoservice.catalog.models import LayerDef, LayerKind, StyleDef
from geoservice.catalog.registry import Catalog

__all__ = ["Catalog", "LayerDef", "LayerKind", "StyleDef", "load_catalog"]
