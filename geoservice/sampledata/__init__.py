"""Sample planning layers of the study areas, as GeoDataFrames.

A study area names its builder in ``area.yaml`` (``sample_data: dongsheng``);
:data:`BUILDERS` maps those names to functions returning layer id → frame.
Dongsheng has its own Python builder; the other areas are declared as data
(``areas/<name>.yaml`` and its tables, built by :mod:`.declared`).
``data/README.md`` says, layer by layer, what is real and what is approximate,
and credits every source.
"""

from collections.abc import Callable

import geopandas as gpd

from geoservice.sampledata.build import LAYER_IDS, build_sample_layers
from geoservice.sampledata.declared import declared_builders

SampleBuilder = Callable[..., dict[str, gpd.GeoDataFrame]]
"""Builds an area's sample layers (keyword options such as ``farmland_cell_m``)."""

BUILDERS: dict[str, SampleBuilder] = {"dongsheng": build_sample_layers, **declared_builders()}
"""Sample-data builders by the name an ``area.yaml`` gives in ``sample_data``."""

__all__ = ["BUILDERS", "LAYER_IDS", "SampleBuilder", "build_sample_layers"]
