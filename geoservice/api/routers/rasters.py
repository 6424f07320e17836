"""Raster layers (COGs under ``<data_dir>/rasters``) as PNG tiles."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Path, Request
from fastapi.responses import Response

from geoservice.api.deps import BaseUrlDep, CatalogDep, LangDep, SettingsDep
from geoservice.api.responses import JSONBytesResponse
from geoservice.api.tile_http import TileAddressDep, TilesDep, conditional_tile_response
from geoservice.ogc.links import JSON, link
from geoservice.ogc.tiles import PNG
from geoservice.tiles.raster import RasterLayer, get_raster, list_rasters

router = APIRouter(tags=["Rasters"])


def raster_layer(
    settings: SettingsDep, catalog: CatalogDep, rasterId: Annotated[str, Path()]
) -> RasterLayer:
    """Resolve a raster id to its COG, or 404."""
    return get_raster(settings.raster_dir, rasterId, dict(catalog.styles))


RasterDep = Annotated[RasterLayer, Depends(raster_layer)]


@router.get("/rasters", operation_id="getRasters", summary="Raster layers")
def rasters(settings: SettingsDep, catalog: CatalogDep, base_url: BaseUrlDep, lang: LangDep):
    """List the raster layers (COGs) served as PNG tiles."""
    found = list_rasters(settings.raster_dir, dict(catalog.styles))
    return JSONBytesResponse(
        {
            "rasters": [_summary(r, base_url, lang) for r in found.values()],
            "links": [link(f"{base_url}/rasters", "self", JSON)],
        }
    )


@router.get("/rasters/{rasterId}", operation_id="getRaster", summary="Raster layer")
def raster(raster: RasterDep, tiles: TilesDep, base_url: BaseUrlDep, lang: LangDep):
    """Describe a raster layer: bounds, zooms, style and tile URL template."""
    return JSONBytesResponse(
        {
            **_summary(raster, base_url, lang),
            **tiles.rasters.info(raster),
            "style": raster.style.model_dump(mode="json"),
        }
    )


@router.get(
    "/rasters/{rasterId}/tiles/WebMercatorQuad/tilejson.json",
    operation_id="getRasterTileJSON",
    summary="TileJSON of a raster layer",
)
def raster_tilejson(raster: RasterDep, tiles: TilesDep, base_url: BaseUrlDep, lang: LangDep):
    """Return TileJSON 3.0 for a raster layer's PNG tiles."""
    info = tiles.rasters.info(raster)
    west, south, east, north = info["bounds"]
    url = (
        f"{base_url}/rasters/{raster.id}/tiles/WebMercatorQuad/{{z}}/{{y}}/{{x}}?v={raster.version}"
    )
    return JSONBytesResponse(
        {
            "tilejson": "3.0.0",
            "name": raster.title.get(lang),
            "tiles": [url],
            "minzoom": info["minzoom"],
            "maxzoom": info["maxzoom"],
            "bounds": info["bounds"],
            "center": [(west + east) / 2, (south + north) / 2, info["minzoom"]],
        }
    )


@router.get(
    "/rasters/{rasterId}/tiles/{tileMatrixSetId}/{tileMatrix}/{tileRow}/{tileCol}",
    operation_id="getRasterTile",
    summary="PNG tile of a raster layer",
    response_class=Response,
    responses={200: {"content": {"image/png": {}}}},
)
def raster_tile(
    request: Request,
    raster: RasterDep,
    tiles: TilesDep,
    address: TileAddressDep,
    v: str | None = None,
):
    """Return a PNG tile of a raster layer, coloured by its style."""
    prepared = tiles.raster_tile(raster, address)
    return conditional_tile_response(
        request,
        prepared.etag,
        tiles.settings.tiles,
        fresh=v == raster.version,
        render=prepared.result,
    )


def _summary(raster: RasterLayer, base_url: str, lang: str) -> dict:
    base = f"{base_url}/rasters/{raster.id}"
    return {
        "id": raster.id,
        "title": raster.title.get(lang),
        "links": [
            link(base, "self", JSON),
            {
                **link(
                    f"{base}/tiles/WebMercatorQuad/{{tileMatrix}}/{{tileRow}}/{{tileCol}}",
                    "item",
                    PNG,
                    "PNG tiles",
                ),
                "templated": True,
            },
            link(f"{base}/tiles/WebMercatorQuad/tilejson.json", "describedby", JSON, "TileJSON"),
        ],
    }
