"""Deployment settings, read once from the environment (``GEOSERVICE_`` prefix).

Only deployment facts live here (paths, URLs, limits). What a layer *is* lives in
``layers/`` and ``styles/``. Nothing in the package instantiates :class:`Settings`
at import time: ``create_app(settings)`` and the CLI do, so tests can build as many
differently configured apps as they like.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, SecretStr, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

PROJECT_ROOT = Path(__file__).resolve().parent.parent
FRAME_SOURCE = re.compile(r"^https?://(\*\.)?[A-Za-z0-9-]+(\.[A-Za-z0-9-]+)*(:[0-9]{1,5})?$")
"""An origin a page may be framed by: scheme, host (``*.`` allowed first), port."""


class FilterLimits(BaseModel):
    """Bounds on a CQL2 filter, checked before it is parsed.

    The CQL2 parser (Rust) recurses once per nesting level and per chained
    operator: a few thousand levels overflow a thread's stack and kill the whole
    process, so a request must be measured before the parser sees it. A unit of
    depth costs the parser up to ~5.5 KB of stack and an operator ~0.3 KB: the
    defaults fit a 1 MB stack, the upper bounds a 3 MB one (Linux threads get 8 MB).
    """

    model_config = ConfigDict(frozen=True)

    max_chars: int = Field(
        256 * 1024,
        ge=1,
        description="Characters of one filter (text or JSON); room for a polygon "
        "of ~10 000 vertices.",
    )
    max_depth: int = Field(
        100,
        ge=1,
        le=400,
        description="Nesting of a filter: parentheses and brackets, plus chains of "
        "NOT, unary minus and arithmetic between two AND/OR/commas (CQL2-JSON: "
        "objects and arrays). QGIS wraps every binary operator in parentheses, so "
        "an OR of n values it sends nests n deep.",
    )
    max_operators: int = Field(
        1_000,
        ge=1,
        le=10_000,
        description="Operators in one filter (AND, OR, NOT, comparisons, arithmetic; "
        "CQL2-JSON: 'op' members). Long flat chains also cost the parser stack and "
        "SQLite's expression depth; a long list of values belongs in IN (...).",
    )


class ApiSettings(BaseModel):
    """HTTP behaviour shared by every router."""

    title: str = "geoservice"
    default_limit: int = Field(
        1_000,
        description="Features per page when a client gives no limit (GeoJSON, GeoPackage, "
        "FlatGeobuf): GDAL/QGIS page at this size, and 10 made them send a request per "
        "10 features.",
    )
    default_limit_html: int = Field(10, description="The same for HTML pages read by people.")
    max_limit: int = 10_000
    count_cap: int = Field(
        100_000,
        description="numberMatched is only reported when counting stops below this "
        "many features, so a count never dominates a page request.",
    )
    cors_origins: list[str] = ["*"]
    frame_ancestors: list[str] = Field(
        ["'self'"],
        description="Who may show the pages in a frame (CSP frame-ancestors): \"'self'\", "
        "\"'none'\", or origins such as 'https://portal.example.gov' (a bureau's portal "
        "embedding the one-map); 'self' must be listed to keep it.",
    )
    gzip_min_bytes: int = 1024
    gzip_level: int = Field(
        3,
        ge=1,
        le=9,
        description="zlib level; 9 triples the CPU for a few percent on GeoJSON.",
    )
    read_requires_key: bool = False
    catalog_check_s: float = Field(
        1.0,
        ge=0,
        description="How often a worker looks for layer files changed by another worker; "
        "an unknown layer id is looked for at once.",
    )
    filters: FilterLimits = FilterLimits()

    @field_validator("frame_ancestors")
    @classmethod
    def _frame_sources(cls, value: list[str]) -> list[str]:
        """Accept only what CSP frame-ancestors understands (the list goes into a header)."""
        if not value:
            raise ValueError("list \"'none'\" to forbid framing, \"'self'\" to allow this host")
        for source in value:
            if source not in ("'self'", "'none'") and not FRAME_SOURCE.match(source):
                raise ValueError(
                    f"{source!r}: use \"'self'\", \"'none'\" or an origin such as "
                    "https://portal.example.gov (no path)"
                )
        if "'none'" in value and len(value) > 1:
            raise ValueError("\"'none'\" cannot be combined with other sources")
        return value


class UploadSettings(BaseModel):
    """Limits that protect the server from hostile or accidental uploads."""

    max_bytes: int = 512 * 1024 * 1024
    max_features: int = 2_000_000
    max_coordinates: int = 50_000_000
    max_unzipped_bytes: int = 2 * 1024 * 1024 * 1024
    max_zip_ratio: int = 200
    max_archive_entries: int = 1_000
    max_feature_coordinates: int = Field(
        500_000,
        description="Vertices one feature may have; checked before the geometry is built. "
        "A GeoJSON polygon of 500 000 vertices peaks ~270 MB above the idle server "
        "while it is read (1 000 000: ~530 MB).",
    )
    batch_features: int = Field(
        5_000,
        description="Features read, checked and written per step of an upload. Memory "
        "grows with it (a batch is held in several forms at once: ~9 KB a feature for "
        "12-vertex polygons); above 5 000 an upload gets little faster.",
    )
    work_dir: Path | None = None
    async_above_bytes: int = Field(
        64 * 1024 * 1024,
        description="An upload of a larger file runs as a job (202, progress at /jobs/{id}) "
        "even without Prefer: respond-async: checking a 200 000-polygon shapefile takes "
        "minutes, longer than clients and proxies wait for an answer.",
    )


class EditSettings(BaseModel):
    """Feature edits (OGC API Features Part 4)."""

    require_if_match: bool = Field(
        False,
        description="Refuse (428) a PUT, PATCH or DELETE of a feature that carries no "
        "If-Match: two editors can then never overwrite each other's change unseen.",
    )


class TileSettings(BaseModel):
    """Vector and raster tile options."""

    max_tile_bytes: int = Field(
        500 * 1024, description="Size budget of one layer of a vector tile (uncompressed)."
    )
    max_features_per_tile: int = 20_000
    memory_source_features: int = Field(
        250_000,
        description="Features of recently tiled layer versions kept in memory, projected "
        "and indexed, so a tile is an index query and the encoder rather than a read "
        "(~1.7 KB a feature for small polygons: ~420 MB per server process at this "
        "default); a larger layer is read per tile (PostGIS: made by the database). "
        "0: off.",
    )
    database_tile_features: int = Field(
        1_000,
        description="PostGIS: a tile touching at most this many features is made by the "
        "database (ST_AsMVT), which costs this process less for sparse tiles; a denser "
        "tile of a layer held in memory is encoded here, faster than the database.",
    )
    inline_tile_features: int = Field(
        4_000,
        description="A tile of at most this many features from an in-memory source is "
        "made in the event loop (a few milliseconds), with no hop to a worker thread and "
        "no contention for the GIL between threads; a denser one goes to a thread so it "
        "does not hold other requests. 0: always in a thread.",
    )
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


class ProcessSettings(BaseModel):
    """OGC API Processes: the job worker pool and its limits."""

    workers: int = Field(1, ge=1, description="Jobs run at once (threads of the app).")
    sync_wait_s: float = Field(
        20.0,
        ge=0,
        description="A synchronous request waits this long; a longer job answers 201 with "
        "its status URL and goes on in the background.",
    )
    max_inline_features: int = 100_000
    jobs_path: Path | None = Field(
        None, description="SQLite file of job records; defaults to <data_dir>/jobs.sqlite."
    )


class ScaleSettings(BaseModel):
    """Region-scale analyses on ``dask.distributed`` (engine ``dask``).

    With no scheduler address (``GEOSERVICE_DASK_SCHEDULER``) the service starts a
    ``LocalCluster`` of ``local_workers`` processes the first time a job needs one.
    """

    local_workers: int = Field(2, ge=1, description="Worker processes of the local cluster.")
    threads_per_worker: int = Field(1, ge=1)
    worker_memory: str = Field("2GiB", description="Memory limit of each local worker.")
    local_processes: bool = Field(
        True, description="Local workers as processes (False: threads in the app, for tests)."
    )
    auto_features: int = Field(
        200_000, ge=1, description="engine=auto uses Dask from this many demand features."
    )
    partition_features: int = Field(
        50_000, ge=100, description="Demand features (or grid cells) per partition."
    )


class MapSettings(BaseModel):
    """Planners' web maps (Folium): base map and when a layer is too big to embed."""

    basemap: str = Field(
        "none",
        description="Online base map under the offline one: 'none' (works offline), "
        "'tianditu' (天地图, needs tianditu_key), an XYZ or WMTS (KVP) URL template "
        "('https://.../{z}/{x}/{y}.png', '...&TILEMATRIX={z}&TILEROW={y}&TILECOL={x}'), "
        "or 'tiles:<collectionId>' for this service's own PNG map tiles of a collection.",
    )
    basemap_attribution: str = ""
    basemap_datum: Literal["wgs84", "cgcs2000", "gcj02"] = Field(
        "wgs84",
        description="The online base map's datum. 'gcj02' (AMap, Tencent) makes the maps "
        "draw the data shifted from WGS84 into GCJ-02 so they sit on the base map; "
        "Tianditu is CGCS2000, which matches WGS84 at map scale.",
    )
    tianditu_key: SecretStr | None = Field(
        None, description="A Tianditu (天地图) browser key, for basemap='tianditu'."
    )
    context_basemap: bool = Field(
        True,
        description="Draw the offline base map (boundaries, seats and names, roads) built "
        "from the study area's own layers.",
    )
    large_layer_features: int = Field(
        5_000,
        ge=1,
        description="Layers with more features are not embedded as GeoJSON: the web map "
        "draws them from PNG tiles and asks the items API on a click; a standalone "
        "export tiles the embedded features in the browser (VectorGrid).",
    )
    cluster_points_at: int = Field(
        3,
        ge=2,
        description="A point layer is drawn as marker clusters when this many of its "
        "features share one position (rule-placed points) or it has over 200 points.",
    )
    max_zoom: int = 18


class FarmlandSettings(BaseModel):
    """The farmland supervision platform: photo limits and the monthly report's norms."""

    photo_max_bytes: int = Field(
        8 * 1024 * 1024, ge=1, description="Largest photo attachment accepted (bytes)."
    )
    photo_types: tuple[str, ...] = Field(
        ("image/jpeg", "image/png", "image/webp"),
        description="Photo media types accepted; the file's first bytes must agree.",
    )
    patrols_per_cell_month: int = Field(
        1,
        ge=0,
        description="Patrols expected per level-3 cell per month in the monthly report. "
        "The scheme asks for regular patrols (巡田) without a number: this is geoservice's "
        "default, to be set by the district.",
    )
    overdue_days: int = Field(
        30,
        ge=1,
        description="An incident not rectified this many days after its report is overdue "
        "(geoservice's default; the scheme sets no deadline).",
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
    layers_dir: Path = Field(
        PROJECT_ROOT / "layers",
        description="Curated declarations: one folder per study area (area.yaml, its layer "
        "files, indicators/). Read only by the service.",
    )
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
    db_pool_timeout_s: float = Field(
        5.0,
        gt=0,
        description="Longest a request waits for a pooled PostGIS connection; then a 503 "
        "with Retry-After (the pool is busy, or the database went away).",
    )
    db_connect_timeout_s: int = Field(
        3, ge=2, description="Longest one attempt to connect to PostGIS may take (libpq)."
    )
    db_probe_interval_s: float = Field(
        2.0,
        gt=0,
        description="While PostGIS is unreachable, requests get a 503 at once (Retry-After: "
        "this many seconds) and the database is tried again this often; the service "
        "recovers by itself when it answers.",
    )
    gpkg_prebuilt_geojson: bool = Field(
        True,
        description="Keep every GeoPackage version's features as CRS84 GeoJSON text too: "
        "bbox pages and downloads are joined from it (1.5-2x the pages/s, 3-4x faster "
        "downloads) at about twice the file size. Versions written without it are "
        "served the slower way.",
    )
    gpkg_busy_timeout_s: float = Field(
        30.0,
        ge=0,
        description="How long a GeoPackage statement waits for a lock another writer "
        "(an upload, another process) holds; then a 503 with Retry-After. Reads never "
        "wait for writes (WAL), only for a process that locks the whole file.",
    )
    gpkg_concurrent_reads: int = Field(
        1,
        ge=1,
        description="GeoPackage page queries run at once. SQLite runs inside this process "
        "and hands the GIL back and forth at every row, so threads reading together slow "
        "each other down (16 at once: 285 pages/s; one at a time: 660 pages/s).",
    )
    dask_scheduler: str | None = Field(
        None, description="dask.distributed scheduler address; a LocalCluster if unset."
    )
    farmland: FarmlandSettings = FarmlandSettings()
    keys_path: Path | None = Field(
        None, description="SQLite file of hashed API keys; defaults to <data_dir>/keys.sqlite."
    )
    api: ApiSettings = ApiSettings()
    uploads: UploadSettings = UploadSettings()
    edits: EditSettings = EditSettings()
    tiles: TileSettings = TileSettings()
    processes: ProcessSettings = ProcessSettings()
    dask_scheduler: str | None = Field(
        None, description="tcp://host:8786 of a Dask scheduler; unset: a local cluster."
    )
    scale: ScaleSettings = ScaleSettings()

    @field_validator("dask_scheduler")
    @classmethod
    def _blank_is_unset(cls, value: str | None) -> str | None:
        return value or None

    maps: MapSettings = MapSettings()

    @property
    def scale_dir(self) -> Path:
        """Return the folder of GeoParquet partitions exchanged with Dask workers."""
        return self.data_dir / "scale"

    @property
    def jobs_db_path(self) -> Path:
        """Return the SQLite file of process job records."""
        return self.processes.jobs_path or self.data_dir / "jobs.sqlite"

    @property
    def rejected_dir(self) -> Path:
        """Return where features left out by on_error=skip uploads are kept (a week)."""
        return self.data_dir / "uploads" / "rejected"

    @property
    def previews_dir(self) -> Path:
        """Return where dry runs keep their features for a preview map (a day)."""
        return self.data_dir / "uploads" / "previews"

    @property
    def field_maps_dir(self) -> Path:
        """Return where layers' saved upload field mappings are kept."""
        return self.data_dir / "uploads" / "field-maps"

    @property
    def runtime_layers_dir(self) -> Path:
        """Return where layers created at run time (uploads, results) are declared."""
        return self.data_dir / "layers"

    @property
    def raster_dir(self) -> Path:
        """Return the folder of raster layers (``<id>.tif`` COGs)."""
        return self.data_dir / "rasters"

    @property
    def farmland_photos_dir(self) -> Path:
        """Return where farmland incident photos are kept."""
        return self.data_dir / "farmland" / "photos"

    @property
    def api_keys_path(self) -> Path:
        """Return the SQLite file holding the hashed API keys."""
        return self.keys_path or self.data_dir / "keys.sqlite"

    @property
    def audit_log_path(self) -> Path:
        """Return the JSON-lines audit log of write requests (rotated beside it)."""
        return self.data_dir / "audit" / "writes.jsonl"

    @property
    def store_path(self) -> Path:
        """Return the GeoPackage file of the embedded store."""
        return self.gpkg_path or self.data_dir / "geoservice.gpkg"

    @property
    def tile_cache_dir(self) -> Path:
        """Return the folder of the disk tile cache."""
        return self.tiles.cache_dir or self.data_dir / "cache" / "tiles"
