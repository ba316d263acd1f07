"""Build a small clinic through the API: a location, two chairs with monitors, a patient,
a session in progress in chair 1."""

from __future__ import annotations

import itertools
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from tests.clinic.conftest import Clinic, patient_body


@dataclass
class World:
    location_id: str
    chair_id: str
    other_chair_id: str
    device_token: str
    other_device_token: str
    patient_id: str
    session_id: str

    def device(self, other: bool = False) -> dict[str, str]:
        token = self.other_device_token if other else self.device_token
        return {"Authorization": f"Bearer {token}"}


def ok(r: Any, status: int = 200) -> Any:
    assert r.status_code == status, r.text
    return r.json()


def build_world(c: Clinic) -> World:
    admin, nurse = c.as_("admin"), c.as_("nurse")
    post = c.client.post
    loc = ok(post("/api/v1/locations", json={"name": "Main street"}, headers=admin), 201)["id"]
    chairs = [
        ok(post(f"/api/v1/locations/{loc}/chairs", json={"label": lab}, headers=admin), 201)["id"]
        for lab in ("C1", "C2")
    ]
    tokens = [
        ok(post(f"/api/v1/chairs/{ch}/devices", json={"name": f"mon-{i}"}, headers=admin), 201)[
            "token"
        ]
        for i, ch in enumerate(chairs)
    ]
    pid = ok(post("/api/v1/patients", json=patient_body(), headers=nurse), 201)["id"]
    sess = ok(
        post(
            "/api/v1/sessions",
            json={"patient_id": pid, "chair_id": chairs[0], "scheduled_for": now_iso()},
            headers=nurse,
        ),
        201,
    )
    ok(post(f"/api/v1/sessions/{sess['id']}/start", headers={**nurse, "If-Match": '"1"'}))
    return World(loc, chairs[0], chairs[1], tokens[0], tokens[1], pid, sess["id"])


def now_iso() -> str:
    return datetime.now(UTC).isoformat()


_SLOTS = itertools.count(1)


def next_slot() -> str:
    """A booking time no other call returns: 3 h after the previous one (a chair holds one
    session per 120 min, services/chair_booking.py), starting 3 h from now, so sessions
    booked with it never clash with each other or with a session booked now."""
    return (datetime.now(UTC) + timedelta(hours=3 * next(_SLOTS))).isoformat()


def reading(**values: Any) -> dict[str, Any]:
    body: dict[str, Any] = {"measured_at": now_iso(), "sbp_mmhg": 120, "dbp_mmhg": 80}
    body.update(values)
    return body
