"""Role x action matrix (function-level authorisation, OWASP API5).

Least privilege: the admin manages accounts and the site but does not read clinical
records; the auditor reads and verifies the audit log only; chair devices may only post
readings for their own chair (checked again per object in services/readings.py).
"""

from __future__ import annotations

__all__ = ["ACTIONS", "PERMISSIONS", "allowed"]

CLINICAL = frozenset({"prescriber", "nurse"})
FRONT = frozenset({"prescriber", "nurse", "front_desk"})
ALL_STAFF = frozenset({"admin", "prescriber", "nurse", "front_desk", "auditor"})

PERMISSIONS: dict[str, frozenset[str]] = {
    "staff.manage": frozenset({"admin"}),
    "staff.read": frozenset({"admin", "auditor"}),
    "site.manage": frozenset({"admin"}),
    "site.read": ALL_STAFF,
    "patient.read": FRONT,
    "patient.write": FRONT,
    "patient.measure": CLINICAL,
    "course.read": CLINICAL,
    "course.write": frozenset({"prescriber"}),
    "session.read": FRONT,
    "session.schedule": FRONT,
    "session.run": CLINICAL,
    "reading.read": CLINICAL,
    "reading.create": CLINICAL | {"device"},
    "alert.read": CLINICAL,
    "alert.ack": CLINICAL,
    "audit.read": frozenset({"auditor"}),
    "audit.verify": frozenset({"auditor", "admin"}),
}
ACTIONS = tuple(PERMISSIONS)


def allowed(role: str, action: str) -> bool:
    """True if ``role`` may perform ``action``; unknown actions are refused (fail closed)."""
    return role in PERMISSIONS.get(action, frozenset())
