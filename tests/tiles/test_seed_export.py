"""``geoservice tiles seed``: fills the cache and exports PMTiles / MBTiles."""

from __future__ import annotations

import gzip
import sqlite3

import mapbox_vector_tile
import pytest
from typer.testing import CliRunner

from geoservice.cli import app
from geoservice.tiles.seed import parse_zooms, pyramid

GPKG_ONLY = pytest.mark.parametrize("store_kind", ["geopackage"], indirect=True)


@pytest.fixture
def env(tiles_settings, monkeypatch):
    monkeypatch.setenv("GEOSERVICE_LAYERS_DIR", str(tiles_settings.layers_dir))
    monkeypatch.setenv("GEOSERVICE_STYLES_DIR", str(tiles_settings.styles_dir))
    monkeypatch.setenv("GEOSERVICE_DATA_DIR", str(tiles_settings.data_dir))
    monkeypatch.setenv("GEOSERVICE_GPKG_PATH", str(tiles_settings.store_path))
    return tiles_settings


@GPKG_ONLY
def test_seed_fills_the_cache_and_exports_pmtiles(env, tmp_path):
    from pmtiles.reader import MmapSource, Reader

    out = tmp_path / "farmland.pmtiles"
    result = CliRunner().invoke(
        app, ["tiles", "seed", "--layer", "farmland_grid", "--zooms", "0-11", "--export", str(out)]
    )
    assert result.exit_code == 0, result.output
    cached = list((env.tile_cache_dir / "farmland_grid").rglob("*.mvt.gz"))
    assert len(cached) == len(
        pyramid("WebMercatorQuad", (109.1352, 39.6533, 110.3835, 39.9788), range(9, 12))
    )  # the layer starts at zoom 9
    with out.open("rb") as f:
        reader = Reader(MmapSource(f))
        header = reader.header()
        assert (header["min_zoom"], header["max_zoom"]) == (9, 11)
        data = reader.get(10, 824, 388)
    layer = mapbox_vector_tile.decode(gzip.decompress(data))["farmland_grid"]
    assert layer["features"]


@GPKG_ONLY
def test_seed_exports_mbtiles_in_tms_row_order(env, tmp_path):
    out = tmp_path / "district.mbtiles"
    result = CliRunner().invoke(
        app, ["tiles", "seed", "-l", "district", "--zooms", "5-6", "--export", str(out)]
    )
    assert result.exit_code == 0, result.output
    with sqlite3.connect(out) as conn:
        meta = dict(conn.execute("SELECT name, value FROM metadata"))
        rows = conn.execute("SELECT zoom_level, tile_column, tile_row FROM tiles").fetchall()
    assert meta["format"] == "pbf" and "vector_layers" in meta["json"]
    assert (6, 51, (1 << 6) - 1 - 24) in rows  # XYZ row 24 at z6 holds Dongsheng


def test_zoom_ranges_parse():
    assert parse_zooms("0-12") == range(0, 13)
    assert parse_zooms("9") == range(9, 10)
