"""Role x action matrix (function-level authorisation, OWASP API5).

Least privilege: the admin manages accounts and the site but does not read clinical
records; the auditor reads and verifies the audit log and reads the compliance records
(screening, consent, plan, medications, checklist, rule sets), but no readings, scores,
orders or adverse events; chair devices may only post
readings for their own chair (checked again per object in services/readings.py).
"""

from __future__ import annotations

__all__ = ["ACTIONS", "BREAK_GLASS_ACTIONS", "PERMISSIONS", "allowed"]

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
    # admin books series too (the Schedule page, web/series.py); single sessions the same way
    "session.schedule": FRONT | {"admin"},
    "session.run": CLINICAL,
    "reading.read": CLINICAL,
    "reading.create": CLINICAL | {"device"},
    "alert.read": CLINICAL,
    "alert.ack": CLINICAL,
    # issue 4 intake (services/screening, consents, course_plan, medications): the auditor
    # reads these compliance records but never writes; only a prescriber overrides.
    "screening.read": CLINICAL | {"auditor"},
    "screening.write": CLINICAL,
    "screening.override": frozenset({"prescriber"}),
    "consent.read": FRONT | {"auditor"},
    "consent.record": FRONT,
    "consent.form": frozenset({"admin", "prescriber"}),
    "plan.read": CLINICAL | {"auditor"},
    "plan.write": CLINICAL,
    "medication.read": CLINICAL | {"auditor"},
    "medication.write": CLINICAL,
    "order.read": CLINICAL,
    "order.sign": frozenset({"prescriber"}),
    "administration.write": frozenset({"nurse"}),
    "score.read": CLINICAL,
    "score.write": CLINICAL,
    "adverse_event.read": CLINICAL,
    "adverse_event.write": CLINICAL,
    "discharge.check": CLINICAL,
    "discharge.sign": CLINICAL,
    "audit.read": frozenset({"auditor"}),
    # questionnaires, safety notifications, outcome analytics (services/questionnaires.py)
    "instrument.read": ALL_STAFF,
    "questionnaire.read": CLINICAL,
    "questionnaire.write": CLINICAL,
    "notification.read": CLINICAL,
    "notification.ack": CLINICAL,
    "analytics.read": CLINICAL,
    "audit.verify": frozenset({"auditor", "admin"}),
    # pre-session checklist and monitoring rule sets (services/checklist.py, rule_sets.py)
    "checklist.read": CLINICAL | {"auditor"},
    "checklist.record": frozenset({"nurse"}),
    "checklist.override": frozenset({"prescriber"}),
    "ruleset.read": CLINICAL | {"admin", "auditor"},
    "ruleset.write": frozenset({"admin"}),
    # FHIR R4 export of one patient's record (services/fhir_export.py explains the choice)
    "fhir.export": CLINICAL,
    # break-glass emergency access (services/breakglass.py explains who and why): the roles
    # that cannot read charts open it; the auditor (and admin) review and revoke it.
    "breakglass.open": frozenset({"front_desk", "admin"}),
    "breakglass.review": frozenset({"auditor", "admin"}),
}
ACTIONS = tuple(PERMISSIONS)

#: What an open break-glass grant adds, for its one patient only: reading the chart.
#: No writes, no FHIR bulk export, no cross-patient lists (a list has no single patient,
#: so the audit hook in services/context.py refuses it).
BREAK_GLASS_ACTIONS = frozenset(
    {
        "patient.read", "course.read", "session.read", "reading.read", "alert.read",
        "order.read", "score.read", "adverse_event.read", "questionnaire.read",
        "medication.read", "screening.read", "consent.read", "plan.read", "checklist.read",
    }
)  # fmt: skip


def allowed(role: str, action: str) -> bool:
    """True if ``role`` may perform ``action``; unknown actions are refused (fail closed)."""
    return role in PERMISSIONS.get(action, frozenset())
