"""FHIR export calls for the audit-completeness walk (test_audit.py) and the role matrix
(test_auth.py)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from tests.clinic.conftest import Clinic
from tests.clinic.world import World

__all__ = ["AUDIT_CALLS", "ROLE_CALLS"]

P = "/api/v1"
H = dict[str, str]


def _url(w: World) -> str:
    return f"{P}/patients/{w.patient_id}/fhir"


AUDIT_CALLS: dict[tuple[str, str], tuple[Callable[..., Any], Callable[..., Any]]] = {
    ("get", "/patients/{patient_id}/fhir"): (
        lambda c, w: None,
        lambda c, w, _: c.client.get(_url(w), headers=c.as_("nurse")),
    ),
}

ROLE_CALLS: dict[str, Callable[[Clinic, World, H], Any]] = {
    "fhir.export": lambda c, w, h: c.client.get(_url(w), headers=h),
}
