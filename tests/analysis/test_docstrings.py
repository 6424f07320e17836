"""The Examples in the analysis docstrings run and give what they show."""

import doctest
import importlib

import pytest

MODULES = [
    "crs",
    "coverage",
    "network",
    "catchment",
    "accessibility",
    "siting",
    "indicators",
    "scaleout",
    "farmland.grid",
    "farmland.nesting",
    "farmland.versions",
]


@pytest.mark.parametrize("name", MODULES)
def test_docstring_examples(name):
    module = importlib.import_module(f"geoservice.analysis.{name}")
    result = doctest.testmod(module, optionflags=doctest.ELLIPSIS)
    assert result.attempted > 0, f"{name} has no Examples to run"
    assert result.failed == 0
