"""Role-matrix calls for the questionnaire / notification / analytics actions
(merged into tests/clinic/test_auth.py's CALLS)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from tests.clinic.conftest import Clinic
from tests.clinic.world import World, now_iso

__all__ = ["ROLE_CALLS"]

P = "/api/v1"


def _body(item9: int = 0) -> dict[str, Any]:
    answers = {f"item{i}": 1 for i in range(1, 9)} | {"item9": item9}
    return {"instrument_id": "phq-9", "answers": answers, "administered_at": now_iso()}


def _flagged_notification(c: Clinic, w: World) -> str:
    r = c.client.post(
        f"{P}/patients/{w.patient_id}/questionnaires", json=_body(1), headers=c.as_("nurse")
    )
    assert r.status_code == 201, r.text
    return str(r.json()["notifications"][0]["id"])


ROLE_CALLS: dict[str, Callable[[Clinic, World, dict[str, str]], Any]] = {
    "instrument.read": lambda c, w, h: c.client.get(f"{P}/instruments", headers=h),
    "questionnaire.read": lambda c, w, h: c.client.get(
        f"{P}/patients/{w.patient_id}/outcomes", headers=h
    ),
    "questionnaire.write": lambda c, w, h: c.client.post(
        f"{P}/patients/{w.patient_id}/questionnaires", json=_body(), headers=h
    ),
    "notification.read": lambda c, w, h: c.client.get(f"{P}/notifications", headers=h),
    "notification.ack": lambda c, w, h: c.client.post(
        f"{P}/notifications/{_flagged_notification(c, w)}/ack", headers=h
    ),
    "analytics.read": lambda c, w, h: c.client.get(f"{P}/analytics/outcomes", headers=h),
}
