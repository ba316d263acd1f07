"""Audit-completeness calls for the screening/consent/plan/medication routes (issue 4).

``tests/clinic/test_audit.py`` merges :data:`CALLS` into its own table.
"""

from __future__ import annotations

import secrets
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

from tests.clinic.conftest import Clinic
from tests.clinic.world import World

P = "/api/v1"
COURSE = {
    "indication": "chronic_pain",
    "protocol_id": "depression-iv-40min",
    "planned_sessions": 6,
    "endpoint": "PEG-3 and MME/day at week 6",
    "started_on": "2026-01-05",
}


def signed_at() -> str:
    return (datetime.now(UTC) - timedelta(minutes=5)).isoformat()


def course(c: Clinic, w: World) -> str:
    r = c.client.post(
        f"{P}/patients/{w.patient_id}/courses", json=COURSE, headers=c.as_("prescriber")
    )
    assert r.status_code == 201, r.text
    return str(r.json()["id"])


def form(c: Clinic, form_id: str = "ketamine-treatment") -> int:
    r = c.client.post(
        f"{P}/consent-forms",
        json={"form_id": form_id, "title": "Ketamine treatment"},
        headers=c.as_("prescriber"),
    )
    assert r.status_code == 201, r.text
    return int(r.json()["version"])


def consent_body(c: Clinic, version: int, form_id: str = "ketamine-treatment") -> dict[str, Any]:
    return {
        "form_id": form_id,
        "form_version": version,
        "signed_at": signed_at(),
        "witnessed_by": str(c.users["nurse"]),
    }


def screening(c: Clinic, w: World, findings: list[str] | None = None) -> str:
    r = c.client.post(
        f"{P}/patients/{w.patient_id}/screenings",
        json={"findings": ["pregnancy"] if findings is None else findings},
        headers=c.as_("nurse"),
    )
    assert r.status_code == 201, r.text
    return str(r.json()["id"])


def medication(c: Clinic, w: World, **over: Any) -> str:
    body = {
        "name": "Oxycodone ER",
        "opioid_id": "oxycodone",
        "started_on": "2026-01-01",
        "daily_dose": 40.0,
        "reason": "chronic low back pain",
        **over,
    }
    r = c.client.post(
        f"{P}/patients/{w.patient_id}/medications", json=body, headers=c.as_("prescriber")
    )
    assert r.status_code == 201, r.text
    return str(r.json()["id"])


APPOINTMENT = {
    "kind": "integration",
    "scheduled_for": "2026-02-01T10:00:00Z",
    "duration_min": 50,
    "clinician": "Dr Therapist",
}


def appointment(c: Clinic, w: World) -> str:
    r = c.client.post(
        f"{P}/courses/{course(c, w)}/appointments", json=APPOINTMENT, headers=c.as_("nurse")
    )
    assert r.status_code == 201, r.text
    return str(r.json()["id"])


def goal(c: Clinic, w: World) -> str:
    r = c.client.post(
        f"{P}/courses/{course(c, w)}/goals",
        json={"domain": "sleep", "description": "7 h of sleep on 5 nights a week"},
        headers=c.as_("nurse"),
    )
    assert r.status_code == 201, r.text
    return str(r.json()["id"])


def _consent_prep(c: Clinic, w: World) -> str:
    form(c, "audit-form")
    return course(c, w)


def _none(c: Clinic, w: World) -> None:
    return None


Call = Callable[[Clinic, World], Any]
CALLS: dict[tuple[str, str], tuple[Call, Callable[[Clinic, World, Any], Any]]] = {
    ("post", "/patients/{patient_id}/screenings"): (
        _none,
        lambda c, w, _: screening(c, w),
    ),
    ("get", "/patients/{patient_id}/screenings"): (
        _none,
        lambda c, w, _: c.client.get(
            f"{P}/patients/{w.patient_id}/screenings", headers=c.as_("nurse")
        ),
    ),
    ("post", "/screenings/{screening_id}/overrides"): (
        screening,
        lambda c, w, sid: c.client.post(
            f"{P}/screenings/{sid}/overrides",
            json={"contraindication_id": "pregnancy", "reason": "obstetric team agrees"},
            headers={**c.as_("prescriber"), "If-Match": '"1"'},
        ),
    ),
    ("post", "/patients/{patient_id}/antidepressant-trials"): (
        _none,
        lambda c, w, _: c.client.post(
            f"{P}/patients/{w.patient_id}/antidepressant-trials",
            json={
                "drug": "sertraline",
                "dose_mg_per_day": 150.0,
                "duration_weeks": 8.0,
                "adequate": True,
                "outcome": "no_response",
            },
            headers=c.as_("nurse"),
        ),
    ),
    ("get", "/patients/{patient_id}/antidepressant-trials"): (
        _none,
        lambda c, w, _: c.client.get(
            f"{P}/patients/{w.patient_id}/antidepressant-trials", headers=c.as_("nurse")
        ),
    ),
    ("post", "/courses/{course_id}/consents"): (
        _consent_prep,
        lambda c, w, cid: c.client.post(
            f"{P}/courses/{cid}/consents",
            json=consent_body(c, 1, "audit-form"),
            headers=c.as_("front_desk"),
        ),
    ),
    ("get", "/courses/{course_id}/consents"): (
        course,
        lambda c, w, cid: c.client.get(f"{P}/courses/{cid}/consents", headers=c.as_("nurse")),
    ),
    ("post", "/courses/{course_id}/appointments"): (
        course,
        lambda c, w, cid: c.client.post(
            f"{P}/courses/{cid}/appointments",
            json={
                "kind": "integration",
                "scheduled_for": "2026-02-01T10:00:00Z",
                "duration_min": 50,
                "clinician": "Dr Therapist",
            },
            headers=c.as_("nurse"),
        ),
    ),
    ("get", "/courses/{course_id}/appointments"): (
        course,
        lambda c, w, cid: c.client.get(f"{P}/courses/{cid}/appointments", headers=c.as_("nurse")),
    ),
    ("post", "/courses/{course_id}/goals"): (
        course,
        lambda c, w, cid: c.client.post(
            f"{P}/courses/{cid}/goals",
            json={"domain": "sleep", "description": "7 h of sleep on 5 nights a week"},
            headers=c.as_("nurse"),
        ),
    ),
    ("get", "/courses/{course_id}/goals"): (
        course,
        lambda c, w, cid: c.client.get(f"{P}/courses/{cid}/goals", headers=c.as_("nurse")),
    ),
    ("patch", "/appointments/{appointment_id}"): (
        appointment,
        lambda c, w, aid: c.client.patch(
            f"{P}/appointments/{aid}",
            json={"status": "attended"},
            headers={**c.as_("nurse"), "If-Match": '"1"'},
        ),
    ),
    ("patch", "/goals/{goal_id}"): (
        goal,
        lambda c, w, gid: c.client.patch(
            f"{P}/goals/{gid}",
            json={"status": "achieved"},
            headers={**c.as_("nurse"), "If-Match": '"1"'},
        ),
    ),
    ("post", "/patients/{patient_id}/medications"): (
        _none,
        lambda c, w, _: medication(c, w),
    ),
    ("get", "/patients/{patient_id}/medications"): (
        _none,
        lambda c, w, _: c.client.get(
            f"{P}/patients/{w.patient_id}/medications", headers=c.as_("nurse")
        ),
    ),
    ("post", "/medications/{medication_id}/changes"): (
        medication,
        lambda c, w, mid: c.client.post(
            f"{P}/medications/{mid}/changes",
            json={"kind": "stop", "effective_on": "2026-02-01", "reason": "pain resolved"},
            headers={**c.as_("prescriber"), "If-Match": '"1"'},
        ),
    ),
    ("get", "/patients/{patient_id}/mme"): (
        _none,
        lambda c, w, _: c.client.get(f"{P}/patients/{w.patient_id}/mme", headers=c.as_("nurse")),
    ),
}


def _fresh_consent(c: Clinic, w: World, h: dict[str, str]) -> Any:
    form_id = "role-" + secrets.token_hex(4)
    form(c, form_id)
    return c.client.post(
        f"{P}/courses/{course(c, w)}/consents", json=consent_body(c, 1, form_id), headers=h
    )


#: role x action matrix calls (``tests/clinic/test_auth.py`` merges them): (clinic, world, headers)
ROLE_CALLS: dict[str, Callable[[Clinic, World, dict[str, str]], Any]] = {
    "screening.read": lambda c, w, h: c.client.get(
        f"{P}/patients/{w.patient_id}/screenings", headers=h
    ),
    "screening.write": lambda c, w, h: c.client.post(
        f"{P}/patients/{w.patient_id}/screenings", json={"findings": []}, headers=h
    ),
    "screening.override": lambda c, w, h: c.client.post(
        f"{P}/screenings/{screening(c, w)}/overrides",
        json={"contraindication_id": "pregnancy", "reason": "obstetric team agrees"},
        headers={**h, "If-Match": '"1"'},
    ),
    "consent.read": lambda c, w, h: c.client.get(f"{P}/courses/{course(c, w)}/consents", headers=h),
    "consent.record": _fresh_consent,
    "consent.form": lambda c, w, h: c.client.post(
        f"{P}/consent-forms",
        json={"form_id": "f-" + secrets.token_hex(4), "title": "Off-label use"},
        headers=h,
    ),
    "plan.read": lambda c, w, h: c.client.get(f"{P}/courses/{course(c, w)}/goals", headers=h),
    "plan.write": lambda c, w, h: c.client.post(
        f"{P}/courses/{course(c, w)}/appointments", json=APPOINTMENT, headers=h
    ),
    "medication.read": lambda c, w, h: c.client.get(f"{P}/patients/{w.patient_id}/mme", headers=h),
    "medication.write": lambda c, w, h: c.client.post(
        f"{P}/patients/{w.patient_id}/medications",
        json={
            "name": "Morphine SR",
            "opioid_id": "morphine",
            "started_on": "2026-01-01",
            "daily_dose": 30.0,
            "reason": "pain",
        },
        headers=h,
    ),
}
