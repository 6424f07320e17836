"""Feature stores behind one protocol: GeoPackage (default) and PostGIS."""

from __future__ import annotations

from geoservice.settings import Settings
from geoservice.storage.base import FeatureStore


def open_store(settings: Settings) -> FeatureStore:
    """Open the store the settings select: PostGIS if a database URL is set."""
    if settings.database_url is not None:
        from geoservice.storage.postgis import PostGISStore

        return PostGISStore(
            settings.database_url.get_secret_value(),
            pool_size=settings.db_pool_size,
            pool_timeout_s=settings.db_pool_timeout_s,
            connect_timeout_s=settings.db_connect_timeout_s,
            probe_interval_s=settings.db_probe_interval_s,
        )
    from geoservice.storage.geopackage import GeoPackageStore

    return GeoPackageStore(
        settings.store_path,
        concurrent_reads=settings.gpkg_concurrent_reads,
        prebuilt_geojson=settings.gpkg_prebuilt_geojson,
        busy_timeout_s=settings.gpkg_busy_timeout_s,
    )


__all__ = ["FeatureStore", "open_store"]
