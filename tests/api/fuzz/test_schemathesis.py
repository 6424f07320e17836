"""Schemathesis over the whole OpenAPI document, on both stores, as each identity.

Every operation of ``/api`` gets cases from its examples, the coverage phase
(boundaries, missing and malformed values) and random generation, sent to the app
in-process; each response is checked: never a 5xx, and status code, content type,
headers and body as the document declares them. Hypothesis is derandomized, so a
run is repeatable. ``make test`` sends a few cases per operation; ``make fuzz``
sends ``GEOSERVICE_FUZZ_EXAMPLES`` (see the Makefile).

The document is built at collection (pytest makes one test per operation from it)
the way ``/api`` builds it, from the project's catalogue; a test checks that the
app serves exactly this document.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

import pytest
import schemathesis
from hypothesis import HealthCheck, settings

from tests.api.fuzz.conftest import fuzz_examples
from tests.conftest import ROOT


def api_document() -> dict:
    """Return what ``GET /api`` answers for the project's catalogue."""
    from geoservice.app import create_app
    from geoservice.catalog import load_catalog
    from geoservice.ogc.collection_paths import with_collection_paths
    from geoservice.ogc.openapi import openapi_30
    from geoservice.settings import Settings

    layers, styles = ROOT / "layers", ROOT / "styles"
    with tempfile.TemporaryDirectory() as folder:
        data = Path(folder)
        app = create_app(Settings(layers_dir=layers, styles_dir=styles, data_dir=data))
        return openapi_30(with_collection_paths(app.openapi(), load_catalog(layers, styles)))


async def _no_app(scope, receive, send) -> None:
    """Stands for the app at collection; each case is sent to the fixture's ``fuzz_app``."""
    raise AssertionError("send cases with app=fuzz_app")


def fuzz_config():
    """Schemathesis's settings: the coverage phase (every boundary, missing and
    malformed value of every parameter: about 650 cases per identity and store) only
    when GEOSERVICE_FUZZ_COVERAGE=1 (``make fuzz``)."""
    from schemathesis.config import SchemathesisConfig

    coverage = os.environ.get("GEOSERVICE_FUZZ_COVERAGE") == "1"
    return SchemathesisConfig.from_dict({"phases": {"coverage": {"enabled": coverage}}})


DOCUMENT = api_document()
schema = schemathesis.openapi.from_dict(DOCUMENT, config=fuzz_config())
schema.app = _no_app


def test_the_fuzzed_document_is_what_the_app_serves_at_api(settings_for, catalog_dirs):
    from fastapi.testclient import TestClient

    from geoservice.app import create_app

    layers, styles = catalog_dirs
    with TestClient(create_app(settings_for(layers_dir=layers, styles_dir=styles))) as client:
        r = client.get("/api")
    assert r.status_code == 200
    assert r.json() == DOCUMENT


def excluded_checks() -> list:
    """Return the checks left out unless GEOSERVICE_FUZZ_STRICT=1: those that test
    whether the document lists every answer (4xx codes, bounds, offered values), which
    it does not yet do (issue 10, "make the spec true"). Server errors, response
    bodies, headers and content types are always checked."""
    if os.environ.get("GEOSERVICE_FUZZ_STRICT") == "1":
        return []
    from schemathesis.specs.openapi.checks import (
        negative_data_rejection,
        positive_data_acceptance,
        status_code_conformance,
        unsupported_method,
    )

    return [
        status_code_conformance,
        positive_data_acceptance,
        negative_data_rejection,
        unsupported_method,
    ]


EXCLUDED = excluded_checks()


@pytest.mark.fuzz
@schema.parametrize()
@settings(
    max_examples=fuzz_examples(),
    derandomize=True,
    database=None,
    deadline=None,
    suppress_health_check=list(HealthCheck),
)
def test_no_operation_answers_a_5xx_or_breaks_its_schema(case, fuzz_app, fuzz_headers, count_case):
    count_case()
    case.call_and_validate(headers=fuzz_headers, app=fuzz_app, excluded_checks=EXCLUDED)
