"""TileJSON, MapLibre styles, glyphs and a map page for the vector tiles."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Request
from fastapi.responses import Response

from geoservice.api.deps import BaseUrlDep, CatalogDep, LangDep, StoreDep
from geoservice.api.responses import JSONBytesResponse, render_html
from geoservice.api.security import policies_of
from geoservice.api.tile_http import CatalogLayerDep, LayersDep, TilesDep, union_bounds
from geoservice.catalog.models import LayerDef
from geoservice.errors import TileNotFound
from geoservice.tiles.documents import maplibre_style, tilejson

router = APIRouter(tags=["Maps"])

WEB_MERCATOR = "WebMercatorQuad"
TEMPLATE = "{z}/{y}/{x}"


def _only_web_mercator(tms_id: str) -> None:
    if tms_id != WEB_MERCATOR:
        raise TileNotFound("TileJSON describes WebMercatorQuad tiles only")


def _versions(tiles, layers: list[LayerDef]) -> str:
    return ".".join(str(tiles.vector.versions.current(layer.id)) for layer in layers)


@router.get(
    "/collections/{collectionId}/tiles/{tileMatrixSetId}/tilejson.json",
    operation_id="getCollectionTileJSON",
    summary="TileJSON of a collection",
)
def collection_tilejson(
    layer: CatalogLayerDep,
    store: StoreDep,
    tiles: TilesDep,
    tileMatrixSetId: Annotated[str, Path()],
    base_url: BaseUrlDep,
    lang: LangDep,
):
    """Return TileJSON 3.0 for a collection's vector tiles."""
    _only_web_mercator(tileMatrixSetId)
    version = _versions(tiles, [layer])
    url = f"{base_url}/collections/{layer.id}/tiles/{WEB_MERCATOR}/{TEMPLATE}?v={version}"
    bbox = union_bounds(store, [layer])
    doc = tilejson(name=layer.title.get(lang), tiles_url=url, layers=[layer], bbox=bbox, lang=lang)
    return JSONBytesResponse(doc)


@router.get(
    "/tiles/{tileMatrixSetId}/tilejson.json",
    operation_id="getDatasetTileJSON",
    summary="TileJSON of several collections",
)
def dataset_tilejson(
    request: Request,
    layers: LayersDep,
    store: StoreDep,
    tiles: TilesDep,
    tileMatrixSetId: Annotated[str, Path()],
    base_url: BaseUrlDep,
    lang: LangDep,
):
    """Return TileJSON 3.0 for the multi-layer tiles of ``collections=a,b``."""
    _only_web_mercator(tileMatrixSetId)
    ids = ",".join(layer.id for layer in layers)
    url = (
        f"{base_url}/tiles/{WEB_MERCATOR}/{TEMPLATE}?collections={ids}&v={_versions(tiles, layers)}"
    )
    bbox = union_bounds(store, layers)
    return JSONBytesResponse(
        tilejson(name="geoservice", tiles_url=url, layers=layers, bbox=bbox, lang=lang)
    )


@router.get(
    "/collections/{collectionId}/style.json",
    operation_id="getCollectionStyle",
    summary="MapLibre style of a collection",
)
def collection_style(
    layer: CatalogLayerDep,
    catalog: CatalogDep,
    tiles: TilesDep,
    base_url: BaseUrlDep,
    lang: LangDep,
):
    """Return a MapLibre GL style drawing the collection with its style file."""
    source = f"{base_url}/collections/{layer.id}/tiles/{WEB_MERCATOR}/tilejson.json?lang={lang}"
    return JSONBytesResponse(
        _style(catalog, tiles, [layer], source, base_url, layer.title.get(lang))
    )


@router.get("/style.json", operation_id="getStyle", summary="MapLibre style of collections")
def dataset_style(
    layers: LayersDep, catalog: CatalogDep, tiles: TilesDep, base_url: BaseUrlDep, lang: LangDep
):
    """Return a MapLibre GL style drawing ``collections=a,b`` from one tile source."""
    ids = ",".join(layer.id for layer in layers)
    source = f"{base_url}/tiles/{WEB_MERCATOR}/tilejson.json?collections={ids}&lang={lang}"
    return JSONBytesResponse(_style(catalog, tiles, layers, source, base_url, "geoservice"))


@router.get("/fonts/{fontstack}/{fontrange}.pbf", include_in_schema=False)
def glyphs(fontstack: str, fontrange: str) -> Response:
    """Serve empty glyph ranges: CJK labels are drawn with the browser's own fonts.

    MapLibre draws CJK ideographs locally (``localIdeographFontFamily``); other
    ranges come back empty, so labels need no font server or CDN.
    """
    return Response(
        b"", media_type="application/x-protobuf", headers={"Cache-Control": "public, max-age=86400"}
    )


@router.get("/map", include_in_schema=False)
def map_page(
    request: Request,
    layers: LayersDep,
    store: StoreDep,
    base_url: BaseUrlDep,
    lang: LangDep,
    fit: str | None = None,
):
    """Show ``collections=a,b`` on a MapLibre map served from this host.

    The view fits the data of every layer, or of the collection named by ``fit``.
    """
    ids = ",".join(layer.id for layer in layers)
    focus = [layer for layer in layers if layer.id == fit] or layers
    return render_html(
        request,
        "map.html",
        policy=policies_of(request.app.state.settings).maplibre(),
        style_url=f"{base_url}/style.json?collections={ids}&lang={lang}",
        bounds=list(union_bounds(store, focus)),
        base_url=base_url,
        lang=lang,
        title=" + ".join(layer.title.get(lang) for layer in layers),
    )


def _style(catalog, tiles, layers, source: str, base_url: str, name: str) -> dict:
    styles = {layer.id: catalog.style_of(layer) for layer in layers}
    classes = {
        layer.id: tiles.classes.classes(
            layer, styles[layer.id], tiles.vector.versions.current(layer.id)
        )
        for layer in layers
    }
    return maplibre_style(
        name=name,
        tilejson_url=source,
        layers=layers,
        styles=styles,
        classes=classes,
        glyphs_url=f"{base_url}/fonts/{{fontstack}}/{{range}}.pbf",
    )
