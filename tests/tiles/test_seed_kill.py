"""``kill -9`` during ``geoservice tiles seed --export``: no half-written archive.

The archive is written as tiles come, into a temporary file renamed only once
complete: a killed run leaves the previous archive (or none) under the name, and
the next run removes the temporary file and finishes the job. Temporary files of
the disk tile cache whose writer died are removed when a cache next starts.
"""

from __future__ import annotations

import gzip
import os
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest

from geoservice.tiles.cache import DiskCache
from tests.conftest import ROOT

GPKG_ONLY = pytest.mark.parametrize("store_kind", ["geopackage"], indirect=True)


def seed_command(settings, out: Path, zooms: str) -> tuple[list[str], dict]:
    env = {
        **os.environ,
        "PYTHONPATH": str(ROOT),
        "GEOSERVICE_LAYERS_DIR": str(settings.layers_dir),
        "GEOSERVICE_STYLES_DIR": str(settings.styles_dir),
        "GEOSERVICE_DATA_DIR": str(settings.data_dir),
        "GEOSERVICE_GPKG_PATH": str(settings.store_path),
    }
    env.pop("GEOSERVICE_DATABASE_URL", None)
    code = "from geoservice.cli import app; app()"
    args = ["tiles", "seed", "-l", "farmland_grid", "--zooms", zooms, "--export", str(out)]
    return [sys.executable, "-c", code, *args], env


def run_seed(settings, out: Path, zooms: str) -> None:
    cmd, env = seed_command(settings, out, zooms)
    done = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stderr[-3000:]


def max_zoom(out: Path) -> int:
    if out.suffix == ".mbtiles":
        with sqlite3.connect(f"file:{out}?mode=ro", uri=True) as conn:
            return conn.execute("SELECT max(zoom_level) FROM tiles").fetchone()[0]
    from pmtiles.reader import MmapSource, Reader

    with out.open("rb") as f:
        return Reader(MmapSource(f)).header()["max_zoom"]


def kill_while_writing(settings, out: Path, zooms: str) -> int:
    """Start a seed, SIGKILL it once its temporary archive exists; return its pid."""
    cmd, env = seed_command(settings, out, zooms)
    proc = subprocess.Popen(cmd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    tmp = out.with_name(f".{out.name}.{proc.pid}.tmp")
    deadline = time.monotonic() + 300
    while not tmp.exists() and proc.poll() is None and time.monotonic() < deadline:
        time.sleep(0.05)
    time.sleep(1.0)  # some tiles into it
    assert proc.poll() is None, "the seed ended before it could be killed: seed more zooms"
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    assert tmp.exists()  # what the killed run left behind
    return proc.pid


@GPKG_ONLY
@pytest.mark.parametrize("suffix", [".mbtiles", ".pmtiles"])
def test_a_killed_seed_leaves_the_previous_archive_and_the_next_run_cleans_up(
    tiles_settings, tmp_path, suffix
):
    out = tmp_path / f"farmland{suffix}"
    run_seed(tiles_settings, out, "9-10")
    assert max_zoom(out) == 10

    killed = kill_while_writing(tiles_settings, out, "9-16")

    assert max_zoom(out) == 10  # the complete archive of the run before, untouched
    run_seed(tiles_settings, out, "9-11")
    assert max_zoom(out) == 11
    assert not list(tmp_path.glob(f".{out.name}.*"))  # the killed run's file is gone
    assert not (tmp_path / f".{out.name}.{killed}.tmp").exists()


@GPKG_ONLY
def test_a_killed_first_seed_presents_no_archive(tiles_settings, tmp_path):
    out = tmp_path / "farmland.pmtiles"
    kill_while_writing(tiles_settings, out, "9-16")
    assert not out.exists()


def test_a_cache_starting_removes_temporary_files_of_dead_writers(tmp_path):
    tile_dir = tmp_path / "cache" / "layer" / "v1" / "WebMercatorQuad" / "9"
    tile_dir.mkdir(parents=True)
    dead = subprocess.run(
        [sys.executable, "-c", "import os; print(os.getpid())"],
        text=True,
        capture_output=True,
        check=True,
    )
    dead_pid = int(dead.stdout)
    orphan = tile_dir / f".1-2.mvt.gz.{dead_pid}.0123456789ab.tmp"
    orphan.write_bytes(gzip.compress(b"half"))
    busy = tile_dir / f".1-3.mvt.gz.{os.getpid()}.0123456789ab.tmp"  # a live writer's
    busy.write_bytes(b"being written")
    tile = tile_dir / "1-1.mvt.gz"
    tile.write_bytes(gzip.compress(b"tile"))

    cache = DiskCache(tmp_path / "cache", max_bytes=10**9)
    cache.size()  # waits for nothing: walks the cache as the start-up walk does

    assert not orphan.exists()
    assert busy.exists() and tile.exists()
    assert cache.get("layer/v1/WebMercatorQuad/9/1-1.mvt.gz") == tile.read_bytes()
