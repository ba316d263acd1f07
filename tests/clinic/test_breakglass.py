"""Break-glass emergency access: grant, scope, expiry, HIGH audit records, review, revoke."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from ketaclinic.clinic import audit
from ketaclinic.clinic.tables import AuditRecord
from tests.clinic.calls_breakglass import REASON, open_grant
from tests.clinic.conftest import SECRET, Clinic, assert_error, patient_body
from tests.clinic.world import World

P = "/api/v1"


def _records(c: Clinic, after: int = 0) -> list[AuditRecord]:
    with Session(c.engine) as db:
        return list(
            db.scalars(select(AuditRecord).where(AuditRecord.seq > after).order_by(AuditRecord.seq))
        )


def _head(c: Clinic) -> int:
    recs = _records(c)
    return recs[-1].seq if recs else 0


def _chart(c: Clinic, w: World, h: dict[str, str], patient_id: str | None = None) -> Any:
    return c.client.get(f"{P}/patients/{patient_id or w.patient_id}/courses", headers=h)


def test_break_glass_creates_high_audit_event(clinic: Clinic, world: World) -> None:
    """safety-security.md G14 / HIPAA 164.312(a)(2)(ii): opening and every access are
    audited with a HIGH-priority marker, inside the keyed hash chain."""
    c, w, desk = clinic, world, clinic.as_("front_desk")
    assert_error(_chart(c, w, desk), 403)  # the front desk cannot read the chart
    before = _head(c)
    r = open_grant(c, w, desk)
    assert r.status_code == 201, r.text
    grant = r.json()
    opened = datetime.fromisoformat(grant["opened_at"])
    assert datetime.fromisoformat(grant["expires_at"]) - opened == timedelta(minutes=60)
    assert grant["status"] == "active"
    assert grant["reason"] == REASON
    (rec,) = _records(c, before)
    assert rec.event_type == "breakglass.open"
    assert rec.resource_ref == f"BreakGlassGrant/{grant['id']};priority=HIGH;min=60"
    assert rec.patient_id == w.patient_id
    assert rec.actor_id == str(c.users["front_desk"])
    assert REASON not in str(rec.resource_ref)  # the reason stays in the grant row
    # access during the grant: the read's own record plus a HIGH break-glass record
    before = _head(c)
    assert _chart(c, w, desk).status_code == 200
    own, high = _records(c, before)
    assert own.event_type.startswith("course")
    assert high.event_type == "breakglass.access"
    assert high.resource_ref == (
        f"BreakGlassGrant/{grant['id']};priority=HIGH;event={own.event_type}"
    )
    assert high.patient_id == own.patient_id == w.patient_id
    assert high.action == own.action == "R"
    # the front desk's own permissions are not marked
    before = _head(c)
    assert c.client.get(f"{P}/patients/{w.patient_id}", headers=desk).status_code == 200
    assert [r.event_type for r in _records(c, before)] == ["patient.read"]
    assert audit.verify(Session(c.engine), key=SECRET.encode()).ok


def test_grant_covers_one_patient_read_only(clinic: Clinic, world: World) -> None:
    c, w, admin = clinic, world, clinic.as_("admin")
    other = c.client.post(f"{P}/patients", json=patient_body(), headers=c.as_("nurse")).json()
    assert open_grant(c, w, admin).status_code == 201
    assert c.client.get(f"{P}/patients/{w.patient_id}", headers=admin).status_code == 200
    assert _chart(c, w, admin).status_code == 200
    r = c.client.get(f"{P}/sessions/{w.session_id}/readings", headers=admin)
    assert r.status_code == 200, r.text
    # another patient, a list across patients, and any write stay refused (and audited)
    before = _head(c)
    assert_error(_chart(c, w, admin, other["id"]), 403)
    assert_error(c.client.get(f"{P}/patients", headers=admin), 403)
    body = {"measured_at": datetime.now().astimezone().isoformat(), "weight_kg": 70.0}
    r = c.client.post(f"{P}/patients/{w.patient_id}/measurements", json=body, headers=admin)
    assert_error(r, 403)
    denied = [r for r in _records(c, before) if r.event_type == "authz.denied"]
    assert len(denied) == 3
    assert all(r.outcome == 4 for r in denied)
    assert "break-glass:not granted" in str(denied[0].resource_ref)
    # nothing of the refused reads was recorded as an access
    assert not [r for r in _records(c, before) if r.event_type == "breakglass.access"]


def test_grant_expires(clinic: Clinic, world: World) -> None:
    c, w, desk = clinic, world, clinic.as_("front_desk")
    r = open_grant(c, w, desk, minutes=5)
    assert r.status_code == 201
    assert _chart(c, w, desk).status_code == 200
    c.clock.offset += timedelta(minutes=4, seconds=59)
    assert _chart(c, w, desk).status_code == 200
    c.clock.offset += timedelta(seconds=2)
    assert_error(_chart(c, w, desk), 403)
    listed = c.client.get(f"{P}/break-glass", headers=c.as_("auditor")).json()
    assert [g["status"] for g in listed] == ["expired"]
    assert listed[0]["accesses"] == 2
    assert c.client.get(f"{P}/break-glass?status=active", headers=c.as_("auditor")).json() == []


def test_reason_and_duration_are_checked(clinic: Clinic, world: World) -> None:
    c, w, desk = clinic, world, clinic.as_("front_desk")
    r = c.client.post(f"{P}/break-glass", json={"patient_id": w.patient_id}, headers=desk)
    assert_error(r, 422, field="body.reason")
    assert_error(open_grant(c, w, desk, reason="urgent"), 422, field="body.reason")
    err = assert_error(open_grant(c, w, desk, minutes=61), 422, field="body.minutes")
    assert err["limit"] == "<= 60"
    assert err["unit"] == "min"
    r = c.client.post(
        f"{P}/break-glass",
        json={"patient_id": "00000000-0000-4000-8000-000000000000", "reason": REASON},
        headers=desk,
    )
    assert_error(r, 404)
    # clinicians read every chart already; the auditor must not grant itself access
    for role in ("prescriber", "nurse", "auditor"):
        assert_error(open_grant(c, w, c.as_(role)), 403)


def test_review_and_revoke(clinic: Clinic, world: World) -> None:
    c, w, desk, auditor = clinic, world, clinic.as_("front_desk"), clinic.as_("auditor")
    gid = open_grant(c, w, desk).json()["id"]
    assert _chart(c, w, desk).status_code == 200
    assert_error(c.client.get(f"{P}/break-glass", headers=c.as_("nurse")), 403)
    assert_error(c.client.get(f"{P}/break-glass", headers=desk), 403)
    (listed,) = c.client.get(f"{P}/break-glass?status=active", headers=auditor).json()
    assert listed["id"] == gid
    assert listed["user_id"] == str(c.users["front_desk"])
    assert listed["accesses"] == 1
    # a nurse cannot revoke someone's grant; the auditor can
    assert_error(c.client.post(f"{P}/break-glass/{gid}/revoke", headers=c.as_("nurse")), 403)
    r = c.client.post(f"{P}/break-glass/{gid}/revoke", headers=auditor)
    assert r.status_code == 200, r.text
    assert r.json()["status"] == "revoked"
    assert r.json()["revoked_by"] == str(c.users["auditor"])
    assert_error(_chart(c, w, desk), 403)
    assert_error(c.client.post(f"{P}/break-glass/{gid}/revoke", headers=auditor), 409)
    # the holder ends their own grant early
    gid2 = open_grant(c, w, desk).json()["id"]
    assert c.client.post(f"{P}/break-glass/{gid2}/revoke", headers=desk).status_code == 200
    assert_error(_chart(c, w, desk), 403)
    revokes = [r for r in _records(c) if r.event_type == "breakglass.revoke"]
    assert [r.resource_ref for r in revokes] == [
        f"BreakGlassGrant/{gid};priority=HIGH",
        f"BreakGlassGrant/{gid2};priority=HIGH",
    ]
    reviews = [r for r in _records(c) if r.event_type == "breakglass.review"]
    assert [r.actor_id for r in reviews] == [str(c.users["auditor"])]


def test_every_read_a_grant_opens_is_marked_high(clinic: Clinic, world: World) -> None:
    """Differential walk over every GET route: whatever the admin can read only with a
    grant must leave a HIGH ``breakglass.access`` record for the granted patient."""
    c, w, admin = clinic, world, clinic.as_("admin")
    course = c.client.post(
        f"{P}/patients/{w.patient_id}/courses",
        json={"indication": "depression", "protocol_id": "depression-iv-40min",
              "planned_sessions": 6, "endpoint": "response", "started_on": "2026-01-05"},
        headers=c.as_("prescriber"),
    ).json()["id"]  # fmt: skip
    ids = {"patient_id": w.patient_id, "session_id": w.session_id, "course_id": course}
    spec = c.client.get("/openapi.json").json()
    urls = []
    for path, ops in spec["paths"].items():
        names = [seg[1:-1] for seg in path.split("/") if seg.startswith("{")]
        if "get" in ops and path.startswith(P) and all(n in ids for n in names):
            urls.append(path.format(**ids))
    without = {u: c.client.get(u, headers=admin).status_code for u in urls}
    assert open_grant(c, w, admin).status_code == 201
    opened = []
    for u in urls:
        before = _head(c)
        r = c.client.get(u, headers=admin)
        if r.status_code == 200 and without[u] != 200:
            assert without[u] == 403, (u, without[u])
            opened.append(u)
            high = [x for x in _records(c, before) if x.event_type == "breakglass.access"]
            assert high, f"{u} was read through the grant without a HIGH record"
            assert {x.patient_id for x in high} == {w.patient_id}
    assert f"{P}/patients/{w.patient_id}" in opened
    assert f"{P}/sessions/{w.session_id}/readings" in opened
    assert len(opened) >= 10, opened


def test_me_lists_the_callers_open_grants(clinic: Clinic, world: World) -> None:
    """The chart page shows an open grant from GET /auth/me (web/static/js/
    patient_breakglass.js): open, then revoked."""
    c, w, desk = clinic, world, clinic.as_("front_desk")
    assert c.client.get(f"{P}/auth/me", headers=desk).json()["break_glass"] == []
    grant = open_grant(c, w, desk).json()
    me = c.client.get(f"{P}/auth/me", headers=desk).json()
    assert me["break_glass"] == [{"grant_id": grant["id"], "patient_id": w.patient_id}]
    r = c.client.post(f"{P}/break-glass/{grant['id']}/revoke", headers=c.as_("auditor"))
    assert r.status_code == 200, r.text
    assert c.client.get(f"{P}/auth/me", headers=desk).json()["break_glass"] == []
