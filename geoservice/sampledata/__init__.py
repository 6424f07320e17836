"""Sample planning layers of the study areas, as GeoDataFrames.

A study area names its builder in ``area.yaml`` (``sample_data: dongsheng``);
:data:`BUILDERS` maps those names to functions returning layer id → frame.
``data/README.md`` says, layer by layer, what is real and what is approximate,
and credits every source.
"""

from collections.abc import Callable

import geopandas as gpd

from geoservice.sampledata.build import LAYER_IDS, build_sample_layers

SampleBuilder = Callable[..., dict[str, gpd.GeoDataFrame]]
"""Builds an area's sample layers (keyword options such as ``farmland_cell_m``)."""

BUILDERS: dict[str, SampleBuilder] = {"dongsheng": build_sample_layers}
"""Sample-data builders by the name an ``area.yaml`` gives in ``sample_data``."""

__all__ = ["BUILDERS", "LAYER_IDS", "SampleBuilder", "build_sample_layers"]
