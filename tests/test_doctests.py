"""The examples in the domain packages' docstrings are tests too: they must run as shown.

Every ``>>>`` example in ketaclinic.pk, .dosing, .instruments, .monitoring, .interop,
.units and .errors is executed (158 examples when this test was written), so that an
example a reader copies cannot silently drift from what the code returns.
"""

from __future__ import annotations

import doctest
import importlib
import pkgutil
from types import ModuleType

import pytest

PACKAGES = (
    "ketaclinic.pk",
    "ketaclinic.dosing",
    "ketaclinic.instruments",
    "ketaclinic.monitoring",
    "ketaclinic.interop",
    "ketaclinic.units",
    "ketaclinic.errors",
)


def _modules() -> list[str]:
    names: list[str] = []
    for pkg in PACKAGES:
        mod = importlib.import_module(pkg)
        names.append(pkg)
        if hasattr(mod, "__path__"):
            names += [m.name for m in pkgutil.walk_packages(mod.__path__, pkg + ".")]
    return names


MODULES = _modules()


def test_the_examples_cover_the_engine() -> None:
    """Guards the discovery itself: the exact solver and the calculator carry examples."""
    assert {"ketaclinic.pk.linear", "ketaclinic.pk.simulate", "ketaclinic.dosing"} <= set(MODULES)
    attempted = sum(
        doctest.DocTestFinder().find(importlib.import_module(name)).__len__() for name in MODULES
    )
    assert attempted > 50


@pytest.mark.parametrize("name", MODULES)
def test_docstring_examples_run_as_shown(name: str) -> None:
    module: ModuleType = importlib.import_module(name)
    result = doctest.testmod(
        module, optionflags=doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE, verbose=False
    )
    assert result.failed == 0, f"{result.failed} of {result.attempted} examples in {name} failed"
