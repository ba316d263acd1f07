"""A single booking (``POST /sessions``) refuses a clash with the chair's other bookings, as a
series does (services/chair_booking.py), on SQLite and PostgreSQL: the 409 names the chair
and both times, nothing is written, and two simultaneous bookings of one chair cannot both
win."""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from ketaclinic.clinic.services.chair_booking import SLOT_MIN
from ketaclinic.clinic.tables import AuditRecord, TreatmentSession
from tests.clinic.booking_race import race
from tests.clinic.conftest import Clinic, assert_error, patient_body
from tests.clinic.world import World, ok

P = "/api/v1"
T0 = datetime.fromisoformat("2031-06-02T09:00:00+00:00")
COURSE = {
    "indication": "depression",
    "protocol_id": "depression-iv-40min",
    "planned_sessions": 6,
    "endpoint": "PHQ-9 response",
    "started_on": "2031-06-01",
}


def _when(t: datetime) -> str:
    return t.strftime("%Y-%m-%d %H:%M UTC")


def _book(c: Clinic, patient: str, chair: str, at: datetime, **extra: Any) -> Any:
    body = {"patient_id": patient, "chair_id": chair, "scheduled_for": at.isoformat(), **extra}
    return c.client.post(f"{P}/sessions", json=body, headers=c.as_("nurse"))


def _counts(c: Clinic) -> tuple[int, int]:
    """(sessions, audit records) in the database."""
    with Session(c.engine) as db:
        n = db.scalar(select(func.count()).select_from(TreatmentSession))
        a = db.scalar(select(func.count()).select_from(AuditRecord))
    return int(n or 0), int(a or 0)


def _clash_message(label: str, booked: datetime, wanted: datetime) -> str:
    return (
        f"{label} is already booked at {_when(booked)}: a chair holds one session at a "
        f"time ({SLOT_MIN} min), so {_when(wanted)} clashes"
    )


def test_a_single_booking_that_clashes_is_refused_and_nothing_is_written(
    clinic: Clinic, world: World
) -> None:
    other = ok(
        clinic.client.post(f"{P}/patients", json=patient_body(), headers=clinic.as_("nurse")), 201
    )["id"]
    first = ok(_book(clinic, world.patient_id, world.other_chair_id, T0), 201)
    before = _counts(clinic)
    # another patient 90 min later in the same chair: 409 naming the chair and both times
    wanted = T0 + timedelta(minutes=90)
    err = assert_error(_book(clinic, other, world.other_chair_id, wanted), 409)
    assert err["code"] == "conflict"
    assert err["field"] == "body.scheduled_for"
    assert err["message"] == _clash_message("C2", T0, wanted)
    assert err["value"] == _when(wanted)
    assert err["limit"] == f"{SLOT_MIN} min from every other session in the chair"
    # earlier but overlapping is refused too, and so is the very same time
    for minutes in (-(SLOT_MIN - 1), 0):
        at = T0 + timedelta(minutes=minutes)
        err = assert_error(_book(clinic, world.patient_id, world.other_chair_id, at), 409)
        assert err["message"] == _clash_message("C2", T0, at)
    assert _counts(clinic) == before  # no session, no audit record
    # the slot's edges are free: SLOT_MIN before and after
    for minutes in (-SLOT_MIN, SLOT_MIN):
        ok(_book(clinic, other, world.other_chair_id, T0 + timedelta(minutes=minutes)), 201)
    # the same time in another chair is free
    ok(_book(clinic, other, world.chair_id, wanted), 201)
    # a cancelled booking frees its slot
    nurse = {**clinic.as_("nurse"), "If-Match": '"1"'}
    ok(clinic.client.post(f"{P}/sessions/{first['id']}/cancel", headers=nurse))
    ok(_book(clinic, other, world.other_chair_id, T0), 201)


def test_a_session_in_progress_holds_its_chair(clinic: Clinic, world: World) -> None:
    """build_world's session runs in C1 since it was booked for now."""
    running = ok(clinic.client.get(f"{P}/sessions/{world.session_id}", headers=clinic.as_("nurse")))
    booked = datetime.fromisoformat(running["scheduled_for"])
    wanted = booked + timedelta(minutes=60)
    err = assert_error(_book(clinic, world.patient_id, world.chair_id, wanted), 409)
    assert err["message"] == _clash_message("C1", booked, wanted)


def test_single_bookings_and_series_see_each_other(clinic: Clinic, world: World) -> None:
    prescriber, desk = clinic.as_("prescriber"), clinic.as_("front_desk")
    url = f"{P}/patients/{world.patient_id}/courses"
    cid = ok(clinic.client.post(url, json=COURSE, headers=prescriber), 201)["id"]
    series = {"course_id": cid, "chair_id": world.other_chair_id,
              "first_at": T0.isoformat(), "day_offsets": [0, 2]}  # fmt: skip
    ok(clinic.client.post(f"{P}/ui/series", json=series, headers=desk), 201)
    # a single session (on the same course) an hour after the series' second session
    day2 = T0 + timedelta(days=2)
    wanted = day2 + timedelta(hours=1)
    err = assert_error(
        _book(clinic, world.patient_id, world.other_chair_id, wanted, course_id=cid), 409
    )
    assert err["message"] == _clash_message("C2", day2, wanted)
    # and a series that meets a single booking is refused as a whole
    single = T0 + timedelta(days=10, hours=1)
    ok(_book(clinic, world.patient_id, world.other_chair_id, single), 201)
    before = _counts(clinic)
    clash = {**series, "first_at": (T0 + timedelta(days=9)).isoformat(), "day_offsets": [0, 1]}
    err = assert_error(clinic.client.post(f"{P}/ui/series", json=clash, headers=desk), 409)
    assert err["field"] == "body.day_offsets"
    assert err["message"] == _clash_message("C2", single, T0 + timedelta(days=10))
    assert _counts(clinic) == before


def _exactly_one_won(
    c: Clinic, chair: str, results: dict[str, Any], times: dict[str, datetime]
) -> None:
    """Of two racing bookings (or a booking and a move) into ``chair`` at ``times``: one
    succeeded, the other got the 409 naming the winner's time, and in the chair between the
    two times only the winner's session is stored (its id and its time)."""
    codes = {n: r.status_code for n, r in results.items()}
    won = [n for n, code in codes.items() if code in (200, 201)]
    assert len(won) == 1, {n: r.text for n, r in results.items()}
    (winner,) = won
    (loser,) = set(results) - {winner}
    err = assert_error(results[loser], 409, field="body.scheduled_for")
    assert err["message"] == _clash_message("C2", times[winner], times[loser])
    lo, hi = min(times.values()), max(times.values())
    with Session(c.engine) as db:
        got = db.execute(
            select(TreatmentSession.id, TreatmentSession.scheduled_for).where(
                TreatmentSession.chair_id == uuid.UUID(chair),
                TreatmentSession.scheduled_for >= lo,
                TreatmentSession.scheduled_for <= hi,
            )
        ).all()
    assert [str(sid) for sid, _ in got] == [results[winner].json()["id"]]
    assert [at.replace(tzinfo=lo.tzinfo) for _, at in got] == [times[winner]]


def test_two_simultaneous_single_bookings_of_one_chair_exactly_one_wins(
    clinic: Clinic, world: World
) -> None:
    """A with its course (locks course, then chair), B without (chair only), an hour apart.
    Without the chair lock both would pass the clash check before either is written."""
    url = f"{P}/patients/{world.patient_id}/courses"
    cid = ok(clinic.client.post(url, json=COURSE, headers=clinic.as_("prescriber")), 201)["id"]
    chair = world.other_chair_id
    for rnd in range(3):  # three rounds: each a fresh pair racing for the chair
        a_at = T0 + timedelta(days=7 * rnd)
        b_at = a_at + timedelta(hours=1)
        bodies = {
            "A": {"patient_id": world.patient_id, "chair_id": chair,
                  "scheduled_for": a_at.isoformat(), "course_id": cid},
            "B": {"patient_id": world.patient_id, "chair_id": chair,
                  "scheduled_for": b_at.isoformat()},
        }  # fmt: skip
        results = race(clinic.client.app, clinic.engine, clinic.as_("nurse"), f"{P}/sessions",
                       bodies)  # fmt: skip
        _exactly_one_won(clinic, chair, results, {"A": a_at, "B": b_at})


def _move(c: Clinic, sid: str, at: datetime, version: int | None = 1, **extra: Any) -> Any:
    headers = dict(c.as_("nurse"))
    if version is not None:
        headers["If-Match"] = f'"{version}"'
    body = {"scheduled_for": at.isoformat(), **extra}
    return c.client.post(f"{P}/sessions/{sid}/reschedule", json=body, headers=headers)


def _audit(c: Clinic, event_type: str) -> list[AuditRecord]:
    with Session(c.engine) as db:
        q = select(AuditRecord).where(AuditRecord.event_type == event_type)
        return list(db.scalars(q.order_by(AuditRecord.seq)))


def test_a_scheduled_session_moves_to_a_free_slot_and_frees_its_old_one(
    clinic: Clinic, world: World
) -> None:
    s = ok(_book(clinic, world.patient_id, world.other_chair_id, T0), 201)
    assert s["version"] == 1
    # within its own slot, in its own chair: it does not clash with itself
    r = _move(clinic, s["id"], T0 + timedelta(minutes=30))
    moved = ok(r)
    assert (moved["version"], r.headers["ETag"]) == (2, '"2"')
    # a day later, in the other chair
    tomorrow = T0 + timedelta(days=1)
    moved = ok(_move(clinic, s["id"], tomorrow, version=2, chair_id=world.chair_id))
    assert datetime.fromisoformat(moved["scheduled_for"]) == tomorrow
    assert (moved["chair_id"], moved["status"], moved["version"]) == (
        world.chair_id,
        "scheduled",
        3,
    )
    rec = _audit(clinic, "session.reschedule")[-1]
    assert (rec.action, rec.patient_id, rec.outcome) == ("U", world.patient_id, 0)
    assert rec.resource_ref == (
        f"TreatmentSession/{s['id']};from=2031-06-02T09:30:00Z@Chair/{world.other_chair_id};"
        f"to=2031-06-03T09:00:00Z@Chair/{world.chair_id}"
    )
    # its old slot is free for another booking
    ok(_book(clinic, world.patient_id, world.other_chair_id, T0), 201)


def test_a_move_into_a_booked_slot_is_refused_and_nothing_changes(
    clinic: Clinic, world: World
) -> None:
    s = ok(_book(clinic, world.patient_id, world.other_chair_id, T0), 201)
    taken = T0 + timedelta(days=3)
    ok(_book(clinic, world.patient_id, world.other_chair_id, taken), 201)
    before = _counts(clinic)
    wanted = taken + timedelta(hours=1)
    err = assert_error(_move(clinic, s["id"], wanted), 409, field="body.scheduled_for")
    assert err["message"] == _clash_message("C2", taken, wanted)
    assert _counts(clinic) == before
    still = ok(clinic.client.get(f"{P}/sessions/{s['id']}", headers=clinic.as_("nurse")))
    assert (datetime.fromisoformat(still["scheduled_for"]), still["version"]) == (T0, 1)


def test_reschedule_refusals(clinic: Clinic, world: World) -> None:
    s = ok(_book(clinic, world.patient_id, world.other_chair_id, T0), 201)
    later = T0 + timedelta(days=1)
    assert_error(_move(clinic, s["id"], later, version=None), 428, field="If-Match")
    assert_error(_move(clinic, s["id"], later, version=7), 412)
    # a session in progress keeps its times: they are the record of what happened
    running = ok(clinic.client.get(f"{P}/sessions/{world.session_id}", headers=clinic.as_("nurse")))
    r = _move(clinic, world.session_id, later, version=running["version"])
    err = assert_error(r, 409, field="status")
    assert err["message"] == (
        "a in_progress session cannot be rescheduled; only a scheduled one can"
    )
    missing = str(uuid.uuid4())
    err = assert_error(_move(clinic, s["id"], later, chair_id=missing), 422, field="body.chair_id")
    assert missing in err["message"]
    assert_error(_move(clinic, missing, later), 404)
    # the auditor may not book (session.schedule), and the refusal is audited
    h = {**clinic.as_("auditor"), "If-Match": '"1"'}
    url = f"{P}/sessions/{s['id']}/reschedule"
    assert_error(clinic.client.post(url, json={"scheduled_for": later.isoformat()}, headers=h), 403)
    assert _audit(clinic, "authz.denied")[-1].resource_ref == "action:session.schedule"
    assert_error(_move(clinic, s["id"], later, naive="x"), 422)  # unknown field
    still = ok(clinic.client.get(f"{P}/sessions/{s['id']}", headers=clinic.as_("nurse")))
    assert still["version"] == 1


def test_a_booking_and_a_move_into_one_chair_exactly_one_wins(clinic: Clinic, world: World) -> None:
    """A new booking (locks the chair) and a move of another session into the same chair an
    hour later (locks the session, then the chair) at the same moment."""
    chair = world.other_chair_id
    for rnd in range(3):
        a_at = T0 + timedelta(days=7 * rnd)
        b_at = a_at + timedelta(hours=1)
        far = a_at + timedelta(days=3)
        mover = ok(_book(clinic, world.patient_id, world.chair_id, far), 201)["id"]
        urls = {"A": f"{P}/sessions", "B": f"{P}/sessions/{mover}/reschedule"}
        bodies = {
            "A": {"patient_id": world.patient_id, "chair_id": chair,
                  "scheduled_for": a_at.isoformat()},
            "B": {"scheduled_for": b_at.isoformat(), "chair_id": chair},
        }  # fmt: skip
        headers = {**clinic.as_("nurse"), "If-Match": '"1"'}
        results = race(clinic.client.app, clinic.engine, headers, urls, bodies)
        _exactly_one_won(clinic, chair, results, {"A": a_at, "B": b_at})


def test_a_session_of_a_stopped_course_does_not_move(clinic: Clinic, world: World) -> None:
    """As a new booking: sessions need an active course (stop the course, cancel its
    sessions; moving one would book a session the course no longer has)."""
    prescriber = clinic.as_("prescriber")
    url = f"{P}/patients/{world.patient_id}/courses"
    course = ok(clinic.client.post(url, json=COURSE, headers=prescriber), 201)
    s = ok(_book(clinic, world.patient_id, world.other_chair_id, T0, course_id=course["id"]), 201)
    ok(_move(clinic, s["id"], T0 + timedelta(days=1)))  # active course: it moves
    r = clinic.client.patch(
        f"{P}/courses/{course['id']}", json={"phase": "stopped"},
        headers={**prescriber, "If-Match": f'"{course["version"]}"'},
    )  # fmt: skip
    ok(r)
    err = assert_error(_move(clinic, s["id"], T0 + timedelta(days=2), version=2), 409)
    assert err["message"] == f"course {course['id']} is stopped; sessions need an active course"
