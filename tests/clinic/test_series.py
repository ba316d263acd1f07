"""Booking a course's series into one chair (``POST /ui/series``, clinic/web/series.py) on
SQLite and PostgreSQL: two bookings of the same chair at the same moment, and who may book."""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from ketaclinic.clinic.tables import Chair, TreatmentSession
from ketaclinic.clinic.web.series import SLOT_MIN
from tests.clinic.booking_race import race
from tests.clinic.conftest import Clinic, assert_error
from tests.clinic.world import World, ok

P = "/api/v1"


def _course(c: Clinic, w: World, planned: int = 6) -> str:
    body = {"indication": "depression", "protocol_id": "depression-iv-40min",
            "planned_sessions": planned, "endpoint": "PHQ-9 response",
            "started_on": "2031-03-03"}  # fmt: skip
    url = f"{P}/patients/{w.patient_id}/courses"
    return str(ok(c.client.post(url, json=body, headers=c.as_("prescriber")), 201)["id"])


def _when(t: datetime) -> str:
    return t.strftime("%Y-%m-%d %H:%M UTC")


def _chair_sessions(c: Clinic, chair_id: str) -> list[tuple[datetime, str | None]]:
    with Session(c.engine) as db:
        rows = db.execute(
            select(TreatmentSession.scheduled_for, TreatmentSession.course_id)
            .where(TreatmentSession.chair_id == uuid.UUID(chair_id))
            .order_by(TreatmentSession.scheduled_for)
        ).all()
    return [(t, str(cid) if cid else None) for t, cid in rows]


def test_two_simultaneous_bookings_of_one_chair_exactly_one_wins(
    clinic: Clinic, world: World
) -> None:
    """Series B's first session clashes only with series A's *second* one, so a check made
    before A's second session is written would let both through (the bug this guards)."""
    app, desk = clinic.client.app, clinic.as_("front_desk")
    chair = world.other_chair_id
    with Session(clinic.engine) as db:
        label = db.get(Chair, uuid.UUID(chair)).label  # type: ignore[union-attr]
    for rnd in range(3):  # three rounds: each a fresh pair racing for the chair
        t0 = datetime.fromisoformat("2031-03-03T09:00:00+00:00") + timedelta(days=30 * rnd)
        a_first, b_first = t0, t0 + timedelta(days=2, hours=1)
        bodies = {
            "A": {"course_id": _course(clinic, world), "chair_id": chair,
                  "first_at": a_first.isoformat(), "day_offsets": [0, 2]},
            "B": {"course_id": _course(clinic, world), "chair_id": chair,
                  "first_at": b_first.isoformat(), "day_offsets": [0, 1]},
        }  # fmt: skip
        results = race(app, clinic.engine, desk, f"{P}/ui/series", bodies)
        codes = {n: r.status_code for n, r in results.items()}
        assert sorted(codes.values()) == [201, 409], {n: r.text for n, r in results.items()}
        winner = "A" if codes["A"] == 201 else "B"
        loser = "B" if winner == "A" else "A"
        err = assert_error(results[loser], 409, field="body.day_offsets")
        # the refusal names the chair, the booked time it meets and the time that clashes
        booked, clashing = (
            (a_first + timedelta(days=2), b_first)
            if winner == "A"
            else (b_first, a_first + timedelta(days=2))
        )
        assert err["message"] == (
            f"{label} is already booked at {_when(booked)}: a chair holds one session at a "
            f"time ({SLOT_MIN} min), so {_when(clashing)} clashes"
        )
        assert err["value"] == _when(clashing)
        # only the winner's sessions are in the chair, nothing of the loser's series
        got = [(t, cid) for t, cid in _chair_sessions(clinic, chair) if t >= t0]
        first = a_first if winner == "A" else b_first
        days = [0, 2] if winner == "A" else [0, 1]
        assert [(t.replace(tzinfo=first.tzinfo), cid) for t, cid in got] == [
            (first + timedelta(days=d), bodies[winner]["course_id"]) for d in days
        ]


def test_admin_books_a_series(clinic: Clinic, world: World) -> None:
    """The role matrix lets admin schedule (session.schedule), as the Schedule page does."""
    course = _course(clinic, world)
    admin = clinic.as_("admin")
    # the Schedule page's sources: patients with an active course, the chairs and calendar
    picker = ok(clinic.client.get(f"{P}/ui/series/patients", headers=admin))
    assert [p["id"] for p in picker] == [world.patient_id]
    assert set(picker[0]) == {"id", "family_name", "given_name", "mrn"}
    cal = ok(clinic.client.get(f"{P}/ui/schedule?start=2031-05-05&days=7", headers=admin))
    assert world.other_chair_id in [c["id"] for c in cal["chairs"]]
    # scheduling is not reading clinical records: the patient register stays closed to admin
    assert_error(clinic.client.get(f"{P}/patients/{world.patient_id}", headers=admin), 403)
    assert_error(clinic.client.get(f"{P}/ui/series/patients", headers=clinic.as_("auditor")), 403)
    listed = ok(clinic.client.get(f"{P}/ui/patients/{world.patient_id}/bookable-courses",
                                  headers=admin))  # fmt: skip
    assert [(c["id"], c["booked"]) for c in listed] == [(course, 0)]
    body = {"course_id": course, "chair_id": world.other_chair_id,
            "first_at": "2031-05-05T09:00:00Z", "day_offsets": [0, 2, 4]}  # fmt: skip
    rows = ok(clinic.client.post(f"{P}/ui/series", json=body, headers=admin), 201)
    assert [r["scheduled_for"][:16] for r in rows] == [
        "2031-05-05T09:00", "2031-05-07T09:00", "2031-05-09T09:00"
    ]  # fmt: skip
    # a nurse schedules single sessions but does not book series; the auditor does neither
    assert_error(clinic.client.post(f"{P}/ui/series", json=body, headers=clinic.as_("nurse")), 403)
    assert_error(
        clinic.client.post(f"{P}/ui/series", json=body, headers=clinic.as_("auditor")), 403
    )
