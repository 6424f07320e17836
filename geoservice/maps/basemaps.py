"""Online base maps a deployment may configure, and the datum their tiles are drawn in.

Only deployment facts come from settings: which base map, its key, its datum.
Tianditu (天地图) is the official national base map (CGCS2000, which matches
WGS84 to well under a metre at map scale) and needs a user's browser key; any
XYZ template or WMTS key-value template works too. A base map in GCJ-02 (AMap,
Tencent) is offset from WGS84 by some 500 m in China, so with
``basemap_datum = gcj02`` the maps shift the data into GCJ-02
(:func:`shift_to_basemap`) rather than draw every feature beside its place.
"""

from __future__ import annotations

from dataclasses import dataclass

from geoservice.coords import wgs84_to_gcj02_geometry

TIANDITU = "tianditu"
TIANDITU_TEMPLATE = (
    "https://t{s}.tianditu.gov.cn/{layer}_w/wmts?SERVICE=WMTS&REQUEST=GetTile&VERSION=1.0.0"
    "&LAYER={layer}&STYLE=default&TILEMATRIXSET=w&FORMAT=tiles"
    "&TILEMATRIX={z}&TILEROW={y}&TILECOL={x}&tk={key}"
)
TIANDITU_ATTRIBUTION = "天地图 Tianditu © 国家地理信息公共服务平台"
GCJ02 = "gcj02"


@dataclass(frozen=True)
class TileSource:
    """One raster tile layer of an online base map."""

    url: str
    attribution: str
    subdomains: str = "abc"


def tianditu_url(layer: str, key: str) -> str:
    """Return the XYZ-style template of a Tianditu WMTS layer (``vec``, ``cva``...)."""
    return TIANDITU_TEMPLATE.replace("{layer}", layer).replace("{key}", key)


def online_tiles(basemap: str, *, attribution: str, tianditu_key: str | None) -> list[TileSource]:
    """Return the tile layers of a configured online base map (none for ``none``).

    ``tiles:<id>`` (this service's own tiles) is resolved by the map builder,
    which knows the service URL.
    """
    if basemap in ("", "none") or basemap.startswith("tiles:"):
        return []
    if basemap == TIANDITU:
        if not tianditu_key:
            return []
        credit = attribution or TIANDITU_ATTRIBUTION
        return [
            TileSource(tianditu_url("vec", tianditu_key), credit, "01234567"),
            TileSource(tianditu_url("cva", tianditu_key), credit, "01234567"),
        ]
    return [TileSource(basemap, attribution or " ")]


def basemap_template(basemap: str, tianditu_key: str | None) -> str:
    """Return a template naming the base map's host (for the pages' CSP), or ``basemap``."""
    if basemap == TIANDITU:
        return tianditu_url("vec", tianditu_key or "") if tianditu_key else "none"
    return basemap


def shift_to_basemap(geometries, datum: str):
    """Return lon/lat geometries in the base map's datum (moved into GCJ-02 if it is that)."""
    return wgs84_to_gcj02_geometry(geometries) if datum == GCJ02 else geometries
