"""The deployment files a fresh clone relies on."""

from __future__ import annotations

import shutil
import subprocess

import pytest
import yaml

from tests.conftest import ROOT


def test_compose_file_has_the_service_and_postgis_with_a_volume():
    compose = yaml.safe_load((ROOT / "docker-compose.yml").read_text())
    assert {"app", "db"} <= set(compose["services"])
    assert compose["services"]["db"]["image"].startswith("postgis/postgis")
    assert "pgdata" in compose["volumes"]
    env = compose["services"]["app"]["environment"]
    assert env["GEOSERVICE_DATABASE_URL"].startswith("postgresql://")


@pytest.mark.skipif(shutil.which("docker-compose") is None, reason="docker-compose not installed")
def test_docker_compose_config_validates():
    result = subprocess.run(
        ["docker-compose", "-f", str(ROOT / "docker-compose.yml"), "config", "-q"],
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stderr


def test_ci_runs_make_test_and_readme_leads_with_the_two_commands():
    assert "make test" in (ROOT / ".ci" / "run").read_text()
    readme = (ROOT / "README.md").read_text()
    first_block = readme.split("```sh", 1)[1].split("```", 1)[0]
    assert "make serve" in first_block and "make test" in first_block
