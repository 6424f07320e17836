"""The deployment files a fresh clone relies on.

No image can be built here (no Docker daemon), so the Dockerfile and the compose file
are read and checked against what they must match: the lock `make serve` installs,
the folders the settings point at, the package data the code reads.
"""

from __future__ import annotations

import fnmatch
import re
import shlex
import shutil
import subprocess
import tomllib
from pathlib import Path, PurePosixPath

import pytest
import yaml

from geoservice.settings import PROJECT_ROOT, Settings
from tests.conftest import ROOT

PYPROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
COMPOSE = yaml.safe_load((ROOT / "docker-compose.yml").read_text(encoding="utf-8"))
PIP_LOCK = re.compile(r"pip install\b[^&;]*--require-hashes\s+-r\s+(requirements/\S+\.txt)")


def instructions(text: str) -> list[tuple[str, str]]:
    """Return a Dockerfile's (INSTRUCTION, arguments), continuation lines joined."""
    found, pending = [], ""
    for raw in text.splitlines():
        line = raw.strip()
        if not pending and (not line or line.startswith("#")):
            continue
        if line.startswith("#"):
            continue  # a comment inside a continued instruction
        pending += line
        if pending.endswith("\\"):
            pending = pending[:-1] + " "
            continue
        keyword, _, rest = pending.partition(" ")
        found.append((keyword.upper(), rest.strip()))
        pending = ""
    return found


def final_stage() -> list[tuple[str, str]]:
    """Return the instructions of the Dockerfile's last stage (the image)."""
    steps = instructions((ROOT / "Dockerfile").read_text(encoding="utf-8"))
    last_from = max(i for i, (keyword, _) in enumerate(steps) if keyword == "FROM")
    return steps[last_from:]


def image_env() -> dict[str, str]:
    """Return the ENV the image sets (``KEY=value`` pairs)."""
    env = {}
    for keyword, args in final_stage():
        if keyword == "ENV":
            env.update(pair.split("=", 1) for pair in shlex.split(args))
    return env


def copies() -> list[tuple[list[str], PurePosixPath]]:
    """Return the image's COPY instructions from the build context: (sources, dest)."""
    workdir, found = PurePosixPath("/"), []
    for keyword, args in final_stage():
        if keyword == "WORKDIR":
            workdir = workdir / args
        elif keyword == "COPY" and "--from=" not in args:
            *sources, dest = shlex.split(args)
            found.append((sources, workdir / dest))
    return found


def runs() -> str:
    return "\n".join(args for keyword, args in final_stage() if keyword == "RUN")


def make_rule(target: str) -> str:
    """Return the recipe of one Makefile rule."""
    text = (ROOT / "Makefile").read_text(encoding="utf-8")
    match = re.search(rf"^{re.escape(target)}:.*\n((?:\t.*\n)+)", text, flags=re.MULTILINE)
    assert match, f"no rule {target} in the Makefile"
    return match.group(1)


def test_image_installs_the_lock_make_serve_installs():
    (image_lock,) = PIP_LOCK.findall(runs())
    (serve_lock,) = PIP_LOCK.findall(make_rule("$(STAMP)"))
    assert image_lock == serve_lock == "requirements/serve.txt"
    header = (ROOT / image_lock).read_text(encoding="utf-8").splitlines()[0]
    assert header == "# extras: serve"
    assert "serve" in PYPROJECT["project"]["optional-dependencies"]


def test_image_installs_the_project_without_other_dependencies():
    pip_installs = [line for line in runs().split("&&") if "pip install" in line]
    for command in pip_installs:
        assert "--require-hashes" in command or "--no-deps" in command, command
        assert ".[" not in command, f"extras bypass the lock: {command}"
    assert any("--no-deps ." in command for command in pip_installs)


def path_settings() -> dict[str, Path]:
    """Return the settings whose default is a folder of this checkout."""
    defaults = Settings.model_fields
    return {
        name: field.default
        for name, field in defaults.items()
        if isinstance(field.default, Path) and field.default.is_relative_to(PROJECT_ROOT)
    }


def test_path_settings_are_the_ones_this_test_knows():
    assert set(path_settings()) == {"layers_dir", "styles_dir", "data_dir"}


@pytest.mark.parametrize("setting", ["layers_dir", "styles_dir"])
def test_image_copies_every_folder_the_settings_read(setting):
    source = path_settings()[setting].relative_to(PROJECT_ROOT).as_posix()
    target = image_env().get(f"GEOSERVICE_{setting.upper()}")
    assert target, f"the image does not set GEOSERVICE_{setting.upper()}"
    assert ([source], PurePosixPath(target)) in copies(), f"{source}/ is not copied to {target}"


def test_study_area_files_and_indicators_are_inside_the_copied_layers_folder():
    areas = sorted(p.parent.name for p in (ROOT / "layers").glob("*/area.yaml"))
    assert areas, "no study areas under layers/"
    assert any((ROOT / "layers" / area / "indicators").is_dir() for area in areas)
    assert not (ROOT / "indicators").exists(), "a top-level indicators/ would need a COPY"


def test_data_folder_is_writable_by_the_app_user_and_a_compose_volume():
    data = image_env()["GEOSERVICE_DATA_DIR"]
    assert re.search(rf"chown -R \S+ {re.escape(data)}\b", runs()), f"{data} not given to the user"
    mounts = [v.split(":")[1] for v in COMPOSE["services"]["app"]["volumes"]]
    assert data in mounts


def test_package_data_covers_every_file_the_package_reads():
    patterns = PYPROJECT["tool"]["setuptools"]["package-data"]["geoservice"]
    package = ROOT / "geoservice"
    unshipped = [
        path.relative_to(package).as_posix()
        for path in package.rglob("*")
        if path.is_file()
        and path.suffix not in (".py", ".pyc", ".md")
        and "static/vendor" not in path.as_posix()
        and not any(fnmatch.fnmatch(path.relative_to(package).as_posix(), p) for p in patterns)
        and not any(fnmatch.fnmatch(path.name, p.removeprefix("**/")) for p in patterns)
    ]
    assert not unshipped, f"not package data, so missing from the image: {unshipped}"


def test_image_ships_the_browser_libraries_before_installing_the_package():
    text = (ROOT / "Dockerfile").read_text(encoding="utf-8")
    vendor = text.index("COPY --from=web /web/vendor ./geoservice/static/vendor")
    assert vendor < text.index("pip install --no-deps .")


def test_image_runs_as_a_user_other_than_root():
    users = [args for keyword, args in final_stage() if keyword == "USER"]
    assert users, "the image runs as root"
    assert users[-1].split(":")[0] not in ("root", "0")


def test_image_has_a_healthcheck_on_the_service_probe():
    (check,) = [args for keyword, args in final_stage() if keyword == "HEALTHCHECK"]
    assert "CMD" in check
    assert re.search(r"/(healthz|readyz)\b", check)


def test_git_commit_build_argument_reaches_the_app():
    steps = final_stage()
    assert ("ARG", "GIT_COMMIT=unknown") in steps
    assert image_env()["GEOSERVICE_GIT_COMMIT"] == "${GIT_COMMIT}"
    assert COMPOSE["services"]["app"]["build"]["args"]["GIT_COMMIT"].startswith("${GIT_COMMIT")


def dockerignored(path: str) -> bool:
    """Return whether .dockerignore leaves ``path`` out (last matching rule wins)."""
    ignored = False
    for rule in (ROOT / ".dockerignore").read_text(encoding="utf-8").splitlines():
        rule = rule.strip()
        if not rule or rule.startswith("#"):
            continue
        negated = rule.startswith("!")
        pattern = rule.removeprefix("!").rstrip("/")
        parts = PurePosixPath(path).parts
        prefixes = ["/".join(parts[: i + 1]) for i in range(len(parts))]
        if any(fnmatch.fnmatch(prefix, pattern) for prefix in prefixes):
            ignored = not negated
    return ignored


def test_dockerignore_keeps_secrets_and_stores_out_but_not_what_is_copied():
    for kept_out in (".git", ".venv", ".env", "node_modules", "data/geoservice.gpkg"):
        assert dockerignored(kept_out), kept_out
    steps = instructions((ROOT / "Dockerfile").read_text(encoding="utf-8"))
    sources = [
        source
        for keyword, args in steps
        if keyword == "COPY" and "--from=" not in args
        for source in shlex.split(args)[:-1]
    ]
    assert "layers" in sources and "requirements/serve.txt" in sources
    assert not [source for source in sources if dockerignored(source)]


def test_compose_file_has_the_service_and_postgis_with_a_volume():
    assert {"app", "db"} <= set(COMPOSE["services"])
    assert COMPOSE["services"]["db"]["image"].startswith("postgis/postgis")
    assert "pgdata" in COMPOSE["volumes"]
    assert COMPOSE["services"]["app"]["build"]["context"] == "."
    env = COMPOSE["services"]["app"]["environment"]
    assert env["GEOSERVICE_DATABASE_URL"].startswith("postgresql://")


def test_compose_profile_scale_has_a_dask_scheduler_and_two_workers_on_the_data_volume():
    services = COMPOSE["services"]
    scale = {name for name, svc in services.items() if "scale" in svc.get("profiles", [])}
    assert scale == {"scheduler", "worker-1", "worker-2"}
    assert "app" not in scale and "db" not in scale  # the default stack is unchanged
    for name in ("worker-1", "worker-2"):
        assert "tcp://scheduler:8786" in services[name]["command"]
        assert "appdata:/app/data" in services[name]["volumes"]  # GeoParquet exchange
        assert services[name]["image"] == services["app"]["image"]  # same code as the app
    assert "GEOSERVICE_DASK_SCHEDULER" in services["app"]["environment"]


def compose_command() -> list[str] | None:
    """Return the Compose CLI installed here: ``docker compose`` or ``docker-compose``."""
    if shutil.which("docker"):
        probe = subprocess.run(
            ["docker", "compose", "version"], capture_output=True, text=True, check=False
        )
        if probe.returncode == 0:
            return ["docker", "compose"]
    if shutil.which("docker-compose"):
        return ["docker-compose"]
    return None


@pytest.mark.skipif(compose_command() is None, reason="neither docker compose nor docker-compose")
@pytest.mark.parametrize("profile", [[], ["--profile", "scale"]], ids=["default", "scale"])
def test_docker_compose_config_validates(profile):
    result = subprocess.run(
        [*compose_command(), "-f", str(ROOT / "docker-compose.yml"), *profile, "config", "-q"],
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
