"""Shared fixtures: settings, stores (GeoPackage and PostGIS), apps and clients.

The ``store`` fixture runs every storage test on both backends, as geopandas runs
its I/O tests on each engine. The PostGIS half uses a throwaway database on the
local server; when ``GEOSERVICE_REQUIRE_POSTGIS=1`` (``make test`` sets it) an
unreachable server fails the run instead of skipping.
"""

from __future__ import annotations

import os
import shutil
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from geoservice.settings import Settings

ROOT = Path(__file__).resolve().parent.parent
DATA = Path(__file__).resolve().parent / "data"
PG_ADMIN_URL = os.environ.get(
    "GEOSERVICE_TEST_PG_ADMIN_URL", "postgresql://postgres@127.0.0.1:5432/postgres"
)
REQUIRE_POSTGIS = os.environ.get("GEOSERVICE_REQUIRE_POSTGIS") == "1"


@pytest.fixture(scope="session")
def postgis_url() -> Iterator[str]:
    """Create a throwaway PostGIS database for this test session; drop it after."""
    import psycopg

    name = f"gs_test_{uuid.uuid4().hex[:10]}"
    try:
        admin = psycopg.connect(PG_ADMIN_URL, autocommit=True, connect_timeout=5)
    except psycopg.OperationalError as exc:
        if REQUIRE_POSTGIS:
            pytest.fail(f"PostGIS is required (GEOSERVICE_REQUIRE_POSTGIS=1): {exc}")
        pytest.skip(f"no PostgreSQL at {PG_ADMIN_URL}: {exc}")
    with admin:
        admin.execute(f'CREATE DATABASE "{name}"')
    url = PG_ADMIN_URL.rsplit("/", 1)[0] + f"/{name}"
    try:
        yield url
    finally:
        with psycopg.connect(PG_ADMIN_URL, autocommit=True) as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture(params=["geopackage", pytest.param("postgis", marks=pytest.mark.postgis)])
def store_kind(request) -> str:
    """Each backend in turn."""
    return request.param


@pytest.fixture
def store(store_kind, tmp_path, request):
    """An empty store of each kind (PostGIS: a fresh schema in the session database)."""
    if store_kind == "geopackage":
        from geoservice.storage.geopackage import GeoPackageStore

        s = GeoPackageStore(tmp_path / "store.gpkg")
    else:
        from geoservice.storage.postgis import PostGISStore

        url = request.getfixturevalue("postgis_url")
        s = PostGISStore(url, pool_size=4, schema=f"t_{uuid.uuid4().hex[:8]}")
    yield s
    s.close()


@pytest.fixture
def settings_for(tmp_path, request):
    """Return a function building Settings for a store kind and catalogue folders.

    PostGIS settings point at the session database unless ``database_url`` is given.
    """

    def build(store_kind: str = "geopackage", *, layers_dir: Path, styles_dir: Path, **kw):
        extra = {}
        if store_kind == "postgis":
            url = kw.pop("database_url", None) or request.getfixturevalue("postgis_url")
            extra["database_url"] = url
        return Settings(
            layers_dir=layers_dir,
            styles_dir=styles_dir,
            data_dir=tmp_path / "data",
            gpkg_path=tmp_path / "data" / "store.gpkg",
            **extra,
            **kw,
        )

    return build


def fill_store(settings: Settings, frames: dict, *, author: str = "fixture") -> None:
    """Make ``frames`` (layer id → frame, each declared in ``settings.layers_dir``)
    the store's only layers, each at version 1.

    The PostGIS session database is shared by every test: layers an earlier test
    left there are deleted first.
    """
    from geoservice.catalog.loader import load_catalog
    from geoservice.storage import open_store

    catalog = load_catalog(settings.layers_dir, settings.styles_dir)
    store = open_store(settings)
    try:
        for layer_id in store.layer_ids():
            store.delete_layer(layer_id)
        for layer_id, frame in frames.items():
            store.write(catalog.get(layer_id), frame, author=author)
    finally:
        store.close()


def create_key(settings: Settings, role: str, name: str, layers: tuple[str, ...] = ()) -> str:
    """Create an API key in the service's key store; return the plain key."""
    from geoservice.auth.keys import KeyStore

    keys = KeyStore(settings.api_keys_path)
    try:
        return keys.create(role, name, layers)[1]
    finally:
        keys.close()


@pytest.fixture
def catalog_dirs(tmp_path) -> tuple[Path, Path]:
    """Copies of the project's layers/ and styles/ folders a test may change."""
    layers, styles = tmp_path / "layers", tmp_path / "styles"
    shutil.copytree(ROOT / "layers", layers)
    shutil.copytree(ROOT / "styles", styles)
    return layers, styles


class LiveServer:
    """A real uvicorn server on a free port, in a background thread."""

    def __init__(self, app) -> None:
        import socket
        import threading

        import uvicorn

        with socket.socket() as sock:
            sock.bind(("127.0.0.1", 0))
            self.port = sock.getsockname()[1]
        config = uvicorn.Config(app, host="127.0.0.1", port=self.port, log_level="warning")
        self.server = uvicorn.Server(config)
        self.thread = threading.Thread(target=self.server.run, daemon=True)

    @property
    def url(self) -> str:
        """Return the base URL."""
        return f"http://127.0.0.1:{self.port}"

    def __enter__(self) -> LiveServer:
        import time

        self.thread.start()
        for _ in range(200):
            if self.server.started:
                return self
            time.sleep(0.05)
        raise RuntimeError("live server did not start")

    def __exit__(self, *exc) -> None:
        self.server.should_exit = True
        self.thread.join(timeout=10)
