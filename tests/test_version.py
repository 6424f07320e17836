"""The version and the git commit a running geoservice reports (CLI and landing page)."""

from __future__ import annotations

import subprocess
import tomllib

import pytest
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from geoservice import version as build
from geoservice.app import create_app
from geoservice.cli import app as cli
from geoservice.settings import Settings
from tests.conftest import ROOT

COMMIT = "0123456789abcdef0123456789abcdef01234567"


@pytest.fixture
def declared_commit(monkeypatch):
    """The commit a Docker build declares, and a fresh reading of it."""
    monkeypatch.setenv(build.COMMIT_ENV, COMMIT)
    build.build_info.cache_clear()
    yield COMMIT
    build.build_info.cache_clear()


def git(repo, *args: str) -> str:
    command = ["git", "-C", str(repo), "-c", "user.name=t", "-c", "user.email=t@example.org"]
    return subprocess.run(
        [*command, *args], capture_output=True, text=True, check=True
    ).stdout.strip()


def test_version_is_the_one_in_pyproject():
    pyproject = tomllib.loads((ROOT / "pyproject.toml").read_text())
    assert build.package_version() == pyproject["project"]["version"]


def test_a_declared_commit_wins_over_the_checkout(tmp_path):
    git(tmp_path, "init", "-q")
    assert build.git_commit({build.COMMIT_ENV: COMMIT}, tmp_path) == COMMIT


def test_a_checkout_reports_its_head_commit(tmp_path):
    git(tmp_path, "init", "-q")
    (tmp_path / "f.txt").write_text("x")
    git(tmp_path, "add", "f.txt")
    git(tmp_path, "commit", "-q", "-m", "one")
    head = git(tmp_path, "rev-parse", "HEAD")
    assert build.git_commit({}, tmp_path) == head
    assert build.git_commit({build.COMMIT_ENV: ""}, tmp_path) == head


def test_no_declared_commit_and_no_checkout_is_unknown(tmp_path):
    assert build.git_commit({}, tmp_path) == "unknown"
    assert build.git_commit({build.COMMIT_ENV: "unknown"}, tmp_path) == "unknown"


def test_a_checkout_without_git_installed_is_unknown(tmp_path, monkeypatch):
    git(tmp_path, "init", "-q")
    monkeypatch.setenv("PATH", str(tmp_path / "empty"))
    assert build.git_commit({}, tmp_path) == "unknown"


def test_a_checkout_with_no_commit_yet_is_unknown(tmp_path):
    git(tmp_path, "init", "-q")
    assert build.git_commit({}, tmp_path) == "unknown"


def test_cli_version_prints_version_and_commit(declared_commit):
    result = CliRunner().invoke(cli, ["--version"])
    assert result.exit_code == 0, result.output
    assert result.output.strip() == f"geoservice {build.package_version()} (commit {COMMIT})"


@pytest.fixture
def landing_client(tmp_path, declared_commit):
    """An app with no study areas over an empty GeoPackage store."""
    (tmp_path / "layers").mkdir()
    settings = Settings(
        layers_dir=tmp_path / "layers", styles_dir=ROOT / "styles", data_dir=tmp_path / "data"
    )
    with TestClient(create_app(settings)) as client:
        yield client


def test_landing_page_reports_version_and_commit(landing_client):
    doc = landing_client.get("/").json()
    assert doc["version"] == build.package_version()
    assert doc["commit"] == COMMIT


def test_landing_page_html_shows_version_and_commit(landing_client):
    page = landing_client.get("/?f=html").text
    assert f"geoservice {build.package_version()}" in page
    assert COMMIT[:12] in page
