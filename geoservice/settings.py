"""Deployment settings, read once from the environment (``GEOSERVICE_`` prefix).

Only deployment facts live here (paths, URLs, limits). What a layer *is* lives in
``layers/`` and ``styles/``. Nothing in the package instantiates :class:`Settings`
at import time: ``create_app(settings)`` and the CLI do, so tests can build as many
differently configured apps as they like.
"""

from __future__ import annotations

from pathlib import Path

from pydantic import BaseModel, Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict

PROJECT_ROOT = Path(__file__).resolve().parent.parent


class ApiSettings(BaseModel):
    """HTTP behaviour shared by every router."""

    title: str = "geoservice"
    default_limit: int = 10
    max_limit: int = 10_000
    count_cap: int = Field(
        100_000,
        description="numberMatched is only reported when counting stops below this "
        "many features, so a count never dominates a page request.",
    )
    cors_origins: list[str] = ["*"]
    gzip_min_bytes: int = 1024
    read_requires_key: bool = False


class UploadSettings(BaseModel):
    """Limits that protect the server from hostile or accidental uploads."""

    max_bytes: int = 512 * 1024 * 1024
    max_features: int = 2_000_000
    max_coordinates: int = 50_000_000
    max_unzipped_bytes: int = 2 * 1024 * 1024 * 1024
    max_zip_ratio: int = 200
    work_dir: Path | None = None


class TileSettings(BaseModel):
    """Vector and raster tile options."""

    max_tile_bytes: int = Field(
        500 * 1024, description="Size budget of one layer of a vector tile (uncompressed)."
    )
    max_features_per_tile: int = 20_000
    extent: int = 4096
    buffer: int = Field(64, description="Margin around a vector tile, in tile units.")
    simplify_units: float = Field(
        1.0, description="Simplification tolerance in tile units (0 disables)."
    )
    cache: bool = True
    cache_dir: Path | None = Field(None, description="Defaults to <data_dir>/cache/tiles.")
    cache_max_bytes: int = 1024 * 1024 * 1024
    memory_cache_bytes: int = 64 * 1024 * 1024
    max_age_s: int = Field(
        60, description="Cache-Control max-age of a tile URL without a version (?v=)."
    )
    versioned_max_age_s: int = Field(
        86_400, description="Cache-Control max-age of a tile URL naming the current version."
    )
    version_ttl_s: float = Field(
        0.0,
        description="Stores without version notifications (GeoPackage): seconds a layer's "
        "current version is trusted before asking the store again (0: every request asks).",
    )
    version_backstop_s: float = Field(
        30.0,
        description="Stores that push version changes (PostGIS): seconds a version is "
        "trusted without a notification, in case one is lost.",
    )


class Settings(BaseSettings):
    """Root settings tree; sub-sections are set with ``GEOSERVICE_<SECTION>__<KEY>``."""

    model_config = SettingsConfigDict(
        env_prefix="GEOSERVICE_",
        env_nested_delimiter="__",
        env_file=".env",
        extra="ignore",
    )

    host: str = "127.0.0.1"
    port: int = 8000
    base_url: str | None = Field(
        None,
        description="Public URL prefix for links; derived from the request if unset.",
    )
    layers_dir: Path = PROJECT_ROOT / "layers"
    styles_dir: Path = PROJECT_ROOT / "styles"
    data_dir: Path = PROJECT_ROOT / "data"
    gpkg_path: Path | None = Field(
        None, description="Embedded store file; defaults to <data_dir>/geoservice.gpkg."
    )
    database_url: SecretStr | None = Field(
        None,
        description="postgresql://... selects the PostGIS store instead of GeoPackage.",
    )
    db_pool_size: int = 16
    dask_scheduler: str | None = Field(
        None, description="dask.distributed scheduler address; a LocalCluster if unset."
    )
    api: ApiSettings = ApiSettings()
    uploads: UploadSettings = UploadSettings()
    tiles: TileSettings = TileSettings()

    @property
    def store_path(self) -> Path:
        """Return the GeoPackage file of the embedded store."""
        return self.gpkg_path or self.data_dir / "geoservice.gpkg"

    @property
    def tile_cache_dir(self) -> Path:
        """Return the folder of the disk tile cache."""
        return self.tiles.cache_dir or self.data_dir / "cache" / "tiles"

    @property
    def raster_dir(self) -> Path:
        """Return the folder of raster layers (``<id>.tif`` COGs)."""
        return self.data_dir / "rasters"
