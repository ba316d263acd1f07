"""The docstring examples of the dosing modules run and hold."""

import doctest
import importlib

import pytest

MODULES = [
    "ketaclinic.dosing.calculator",
    "ketaclinic.dosing.library",
    "ketaclinic.dosing.limits",
    "ketaclinic.dosing.protocol",
    "ketaclinic.dosing.weight",
]


@pytest.mark.parametrize("name", MODULES)
def test_doctests(name: str) -> None:
    result = doctest.testmod(importlib.import_module(name))
    assert result.attempted > 0
    assert result.failed == 0
