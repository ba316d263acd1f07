"""Break-glass calls for the audit-completeness walk (test_audit.py) and the role matrix
(test_auth.py)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from tests.clinic.conftest import Clinic
from tests.clinic.world import World

__all__ = ["AUDIT_CALLS", "REASON", "ROLE_CALLS", "open_grant"]

P = "/api/v1"
H = dict[str, str]
REASON = "patient collapsed in the waiting room; paramedics ask for medications"


def open_grant(c: Clinic, w: World, h: H, **extra: Any) -> Any:
    body = {"patient_id": w.patient_id, "reason": REASON, **extra}
    return c.client.post(f"{P}/break-glass", json=body, headers=h)


AUDIT_CALLS: dict[tuple[str, str], tuple[Callable[..., Any], Callable[..., Any]]] = {
    ("post", "/break-glass"): (
        lambda c, w: None,
        lambda c, w, _: open_grant(c, w, c.as_("front_desk")),
    ),
    ("get", "/break-glass"): (
        lambda c, w: None,
        lambda c, w, _: c.client.get(f"{P}/break-glass", headers=c.as_("auditor")),
    ),
    ("post", "/break-glass/{grant_id}/revoke"): (
        lambda c, w: open_grant(c, w, c.as_("front_desk")).json()["id"],
        lambda c, w, gid: c.client.post(f"{P}/break-glass/{gid}/revoke", headers=c.as_("auditor")),
    ),
}

ROLE_CALLS: dict[str, Callable[[Clinic, World, H], Any]] = {
    "breakglass.open": lambda c, w, h: open_grant(c, w, h),
    "breakglass.review": lambda c, w, h: c.client.get(f"{P}/break-glass", headers=h),
}
