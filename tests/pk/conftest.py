"""Test configuration of the PK engine tests.

Hypothesis runs deterministically (``derandomize``: the same examples on every run and
every machine, so a failure reproduces) with modest example counts so that the suite
stays fast on a shared 2-core machine; no deadline, since timing is not what these
tests measure (performance is printed by ``benchmarks/single_patient.py``).
Set ``HYPOTHESIS_PROFILE=thorough`` for a longer local search.
"""

from __future__ import annotations

import os

from hypothesis import HealthCheck, settings

settings.register_profile(
    "ketaclinic",
    derandomize=True,
    max_examples=25,
    deadline=None,
    print_blob=True,
    suppress_health_check=[HealthCheck.too_slow],
)
settings.register_profile(
    "thorough",
    derandomize=False,
    max_examples=500,
    deadline=None,
    print_blob=True,
    suppress_health_check=[HealthCheck.too_slow],
)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ketaclinic"))
