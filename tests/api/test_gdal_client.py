"""GDAL's OGC API Features driver, a real client, reads the service."""

from __future__ import annotations

import shutil
import subprocess

import pytest

from geoservice.app import create_app
from tests.api.conftest import PLACES
from tests.conftest import LiveServer

pytestmark = [
    pytest.mark.usefixtures("store_kind"),
    pytest.mark.skipif(shutil.which("ogrinfo") is None, reason="gdal-bin not installed"),
]


def ogrinfo(*args: str) -> str:
    result = subprocess.run(
        ["ogrinfo", "-ro", *args],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    return result.stdout


def test_ogrinfo_lists_collections_and_reads_features(api_settings):
    with LiveServer(create_app(api_settings)) as server:
        listing = ogrinfo(f"OAPIF:{server.url}")
        assert PLACES in listing and "ne_110m_admin_0_countries" in listing
        summary = ogrinfo("-so", f"OAPIF:{server.url}", PLACES)
        assert "Feature Count: 243" in summary
        features = ogrinfo(f"OAPIF:{server.url}", PLACES, "-where", "name = 'Tokyo'")
        assert "Tokyo" in features and "POINT (139.7" in features
