"""Typed dependencies: what routes may reach, resolved from the app's runtime.

They are ``async def`` on purpose: none of them blocks (a dict lookup, at most a
scan of the layers folders once a second), and FastAPI would otherwise run each
plain ``def`` dependency through the thread pool, a hop per dependency per request.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Path, Query, Request

from geoservice.catalog.areas import AreaDef
from geoservice.catalog.live import LiveCatalog
from geoservice.catalog.models import LayerDef
from geoservice.catalog.registry import Catalog
from geoservice.errors import InvalidParameter
from geoservice.processes.manager import JobManager
from geoservice.runtime import Runtime
from geoservice.settings import Settings
from geoservice.storage.base import FeatureStore


async def get_runtime(request: Request) -> Runtime:
    """Return the runtime the lifespan opened (store, catalogue, keys, jobs, tiles)."""
    return request.app.state.runtime


async def get_settings(request: Request) -> Settings:
    """Return the settings the app was built with."""
    return request.app.state.settings


async def get_live_catalog(request: Request) -> LiveCatalog:
    """Return the live catalogue (to publish or retire run-time layers)."""
    return request.app.state.runtime.catalog


async def get_catalog(request: Request) -> Catalog:
    """Return the current catalogue (swapped, never mutated; reloaded if another worker
    changed the layer files)."""
    return request.app.state.runtime.catalog.catalog()


async def get_store(request: Request) -> FeatureStore:
    """Return the feature store opened in the lifespan."""
    return request.app.state.runtime.store


async def get_base_url(request: Request) -> str:
    """Return the public base URL used in links."""
    configured = request.app.state.settings.base_url
    return (configured or str(request.base_url)).rstrip("/")


async def get_lang(request: Request) -> str:
    """Return ``zh`` (the default, whatever the browser's Accept-Language) or ``en`` (``lang=en``).

    The planners this serves read Chinese; a browser set to English (common on
    office machines) must not switch the interface on its own. Every page links
    to the other language.
    """
    lang = request.query_params.get("lang", "zh")
    if lang not in ("zh", "en"):
        raise InvalidParameter(f"lang={lang!r}: use zh or en")
    return lang


RuntimeDep = Annotated[Runtime, Depends(get_runtime)]
SettingsDep = Annotated[Settings, Depends(get_settings)]
LiveCatalogDep = Annotated[LiveCatalog, Depends(get_live_catalog)]
CatalogDep = Annotated[Catalog, Depends(get_catalog)]
StoreDep = Annotated[FeatureStore, Depends(get_store)]
BaseUrlDep = Annotated[str, Depends(get_base_url)]
LangDep = Annotated[str, Depends(get_lang)]


async def get_layer(
    request: Request,
    catalog: CatalogDep,
    collectionId: Annotated[str, Path(description="collection (layer) id")],
) -> LayerDef:
    """Resolve a collection id to its declaration, or 404.

    An id this worker does not know makes it look at the layers folder at once
    (another worker may just have created it). Whether the layer has data is left
    to the store call the route makes anyway (it raises LayerNotFound).
    """
    if collectionId not in catalog:
        catalog = request.app.state.runtime.catalog.catalog(force=True)
    return catalog.get(collectionId)


LayerDep = Annotated[LayerDef, Depends(get_layer)]


async def get_area(
    catalog: CatalogDep, areaId: Annotated[str, Path(description="study area id", max_length=63)]
) -> AreaDef:
    """Resolve a study-area id to its declaration, or 404."""
    return catalog.area(areaId)


AreaDep = Annotated[AreaDef, Depends(get_area)]


async def get_area_filter(
    catalog: CatalogDep,
    area: Annotated[
        str | None, Query(description="Only this study area's (see /areas)", max_length=63)
    ] = None,
) -> AreaDef | None:
    """Resolve an optional ``area=`` query parameter, or 404 for an unknown area."""
    return None if area is None else catalog.area(area)


AreaFilterDep = Annotated[AreaDef | None, Depends(get_area_filter)]


async def get_manager(request: Request) -> JobManager:
    """Return the job manager opened in the lifespan."""
    return request.app.state.runtime.jobs


ManagerDep = Annotated[JobManager, Depends(get_manager)]
