"""TileJSON, MapLibre styles, glyphs and a map page for the vector tiles."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Path, Query, Request
from fastapi.responses import Response

from geoservice.api.deps import BaseUrlDep, CatalogDep, LangDep, StoreDep
from geoservice.api.responses import JSONBytesResponse, render_html
from geoservice.api.security import policies_of
from geoservice.api.tile_http import CatalogLayerDep, LayersDep, TilesDep, union_bounds
from geoservice.catalog.models import LayerDef
from geoservice.catalog.vocabulary import placement_notes, value_labels
from geoservice.errors import TileNotFound
from geoservice.maps.context import context_layers
from geoservice.maps.popups import placement_lookup
from geoservice.maps.service import not_located_features
from geoservice.tiles.documents import ContextStyle, maplibre_style, tilejson
from geoservice.tiles.glyphs import glyph_range

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
        _style(catalog, tiles, [layer], source, base_url, layer.title.get(lang), lang=lang)
    )


@router.get("/style.json", operation_id="getStyle", summary="MapLibre style of collections")
def dataset_style(
    layers: LayersDep,
    catalog: CatalogDep,
    store: StoreDep,
    tiles: TilesDep,
    base_url: BaseUrlDep,
    lang: LangDep,
    basemap: Annotated[
        Literal["none", "context"],
        Query(description="'context': the offline base map (boundaries, names, roads) under"),
    ] = "none",
):
    """Return a MapLibre GL style drawing ``collections=a,b`` from one tile source."""
    ids = ",".join(layer.id for layer in layers)
    source = f"{base_url}/tiles/{WEB_MERCATOR}/tilejson.json?collections={ids}&lang={lang}"
    context = _context(catalog, store, layers, base_url, lang) if basemap == "context" else None
    return JSONBytesResponse(
        _style(catalog, tiles, layers, source, base_url, "geoservice", lang=lang, context=context)
    )


def _context(catalog, store, layers, base_url: str, lang: str) -> ContextStyle | None:
    """Return the offline base map of the first layer's study area, from its own tiles."""
    area = catalog.area_of(layers[0])
    with_data = set(store.layer_ids())
    in_area = [layer for layer in catalog if layer.area == area.id and layer.id in with_data]
    boundary = area.boundary.layer if area.boundary else None
    chosen = context_layers(in_area, boundary_id=boundary, study_filter=None)
    ids = [layer.id for layer in chosen.all()]
    if not ids:
        return None
    url = f"{base_url}/tiles/{WEB_MERCATOR}/tilejson.json?collections={','.join(ids)}&lang={lang}"
    return ContextStyle(
        url,
        chosen.boundary.id if chosen.boundary else None,
        [u.id for u in chosen.units],
        [r.id for r in chosen.roads],
    )


@router.get("/fonts/{fontstack}/{fontrange}.pbf", include_in_schema=False)
def glyphs(fontstack: str, fontrange: str) -> Response:
    """Serve glyph ranges made from a local font; CJK ranges stay empty.

    MapLibre draws CJK ideographs with the browser's fonts
    (``localIdeographFontFamily``); Latin names, route numbers and digits come
    from here (:mod:`geoservice.tiles.glyphs`), so labels need no font server or CDN.
    """
    start, _, _end = fontrange.partition("-")
    data = glyph_range(fontstack, int(start)) if start.isdigit() else b""
    cache = {"Cache-Control": "public, max-age=86400"}
    return Response(data, media_type="application/x-protobuf", headers=cache)


@router.get("/map", include_in_schema=False)
def map_page(
    request: Request,
    layers: LayersDep,
    catalog: CatalogDep,
    store: StoreDep,
    base_url: BaseUrlDep,
    lang: LangDep,
    fit: str | None = None,
):
    """Show ``collections=a,b`` on a MapLibre map served from this host.

    The view fits the data of every layer, or of the collection named by ``fit``.
    """
    ids = ",".join(layer.id for layer in layers)
    settings = request.app.state.settings
    basemap = "&basemap=context" if settings.maps.context_basemap else ""
    focus = [layer for layer in layers if layer.id == fit] or layers
    return render_html(
        request,
        "map.html",
        policy=policies_of(settings).maplibre(),
        style_url=f"{base_url}/style.json?collections={ids}&lang={lang}{basemap}",
        bounds=list(union_bounds(store, focus)),
        base_url=base_url,
        lang=lang,
        title=" + ".join(layer.title.get(lang) for layer in layers),
        planner_url=_planner_map(catalog, layers, base_url, lang),
        not_located=not_located_features(store, layers, lang),
        values=value_labels(lang),
        placement=placement_lookup(layers, base_url, lang),
        method_notes=placement_notes(lang),
        titles={layer.id: layer.title.get(lang) for layer in layers},
        attributes={
            layer.id: {a.name: a.title.get(lang) for a in layer.attributes if a.title}
            for layer in layers
        },
    )


def _planner_map(catalog, layers, base_url: str, lang: str) -> str:
    """Return the planners' map (legend, layer control, popups) of what this preview shows."""
    if len(layers) == 1:
        return f"{base_url}/maps/{layers[0].id}?lang={lang}"
    area = catalog.area_of(layers[0])
    path = "one-map" if area.id == catalog.default_area else f"{area.id}/one-map"
    return f"{base_url}/maps/{path}?lang={lang}"


def _style(
    catalog, tiles, layers, source: str, base_url: str, name: str, *, lang="zh", context=None
) -> dict:
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
        lang=lang,
        context=context,
    )
