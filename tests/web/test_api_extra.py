"""The UI's extra endpoints (/api/v1/ui), in-process on a fresh SQLite database: values,
the role checks, the one error shape, and an audit record for every patient-data route."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from ketaclinic.clinic import migrate
from ketaclinic.clinic.api import create_app
from ketaclinic.clinic.db import make_engine
from ketaclinic.clinic.security import hasher
from ketaclinic.clinic.services.demo import DemoClinic, seed_demo
from ketaclinic.clinic.settings import Settings
from ketaclinic.clinic.tables import AuditRecord, Patient
from tests.clinic.conftest import assert_error

SECRET = "web-" + "z9q" * 12 + "-abcdefghij"
P = "/api/v1"
NORMAL = {"sbp_mmhg": 128, "dbp_mmhg": 78, "hr_per_min": 74, "spo2_pct": 98, "rr_per_min": 14}


@dataclass
class World:
    client: TestClient
    demo: DemoClinic
    engine: Any
    tokens: dict[str, str]

    def h(self, user: str) -> dict[str, str]:
        if user not in self.tokens:
            r = self.client.post(
                f"{P}/auth/login", json={"username": user, "password": self.demo.logins[user]}
            )
            assert r.status_code == 200, r.text
            self.tokens[user] = r.json()["token"]
        return {"Authorization": f"Bearer {self.tokens[user]}"}

    def audit_count(self) -> int:
        with Session(self.engine) as db:
            return int(db.scalar(select(func.count()).select_from(AuditRecord)) or 0)

    def patient_id(self) -> str:
        with Session(self.engine) as db:
            return str(db.scalars(select(Patient.id).order_by(Patient.mrn)).first())


@pytest.fixture
def world(tmp_path: Any) -> Iterator[World]:
    url = f"sqlite:///{tmp_path / 'ui.db'}"
    settings = Settings(
        secret_key=SECRET,
        database_url=url,
        password_hash_profile="test-only-cheap",
        mfa_required_roles="none",
    )
    engine = make_engine(url)
    migrate.upgrade(engine)
    with Session(engine, expire_on_commit=False) as db:
        demo = seed_demo(
            db,
            ph=hasher(settings.argon2_params),
            audit_key=SECRET.encode(),
            node_id="test",
            now=datetime.now(UTC),
        )
    app = create_app(settings, engine=engine)
    with TestClient(app, raise_server_exceptions=False) as client:
        yield World(client, demo, engine, {})
    engine.dispose()


def test_every_ui_patient_data_route_writes_an_audit_record(world: World) -> None:
    sid, pid = world.demo.active_session_id, world.patient_id()
    dev = {"Authorization": f"Bearer {world.demo.device_tokens[world.demo.active_chair]}"}
    r = world.client.post(
        f"{P}/sessions/{sid}/readings",
        headers=dev,
        json={"measured_at": datetime.now(UTC).isoformat(), "device_seq": 1, **NORMAL},
    )
    assert r.status_code == 201, r.text
    today = datetime.now(UTC).date().isoformat()
    nurse, desk, doctor = world.h("nurse.kim"), world.h("desk.lee"), world.h("dr.ross")
    order = {"protocol_id": "depression-iv-40min", "weight_kg": 70}

    def get(url: str, h: dict[str, str]) -> Any:
        return lambda: world.client.get(P + url, headers=h)

    def post(url: str, body: dict[str, Any], h: dict[str, str]) -> Any:
        return lambda: world.client.post(P + url, json=body, headers=h)

    calls = {
        ("get", "/ui/dashboard"): get("/ui/dashboard", nurse),
        ("get", "/ui/schedule"): get(f"/ui/schedule?start={today}", desk),
        ("get", "/ui/outcomes/alert-rates"): get("/ui/outcomes/alert-rates", nurse),
        ("get", "/ui/patients/{patient_id}/sessions"): get(f"/ui/patients/{pid}/sessions", nurse),
        ("get", "/ui/sessions/{session_id}/overview"): get(f"/ui/sessions/{sid}/overview", nurse),
        ("post", "/ui/sessions/{session_id}/discharge-check"): post(
            f"/ui/sessions/{sid}/discharge-check", {}, nurse
        ),
        ("post", "/ui/orders/check"): post("/ui/orders/check", order, nurse),
        ("get", "/ui/patients/{patient_id}/orderable-sessions"): get(
            f"/ui/patients/{pid}/orderable-sessions", doctor
        ),
        # needs If-Match and met criteria: test_discharge_gate_refuses_then_completes
        ("post", "/ui/sessions/{session_id}/discharge"): None,
        ("get", "/ui/patients/{patient_id}/bookable-courses"): get(
            f"/ui/patients/{pid}/bookable-courses", desk
        ),
        ("get", "/ui/series/patients"): get("/ui/series/patients", desk),
        ("get", "/ui/sessions/{session_id}/rule-set"): get(f"/ui/sessions/{sid}/rule-set", nurse),
        # 201 and a new course: test_series_books_a_course_and_refuses_a_clash
        ("post", "/ui/series"): None,
    }
    spec = world.client.get("/openapi.json").json()
    marked = {
        (m, path.removeprefix(P))
        for path, ops in spec["paths"].items()
        for m, op in ops.items()
        if op.get("x-patient-data-ui")
    }
    assert marked == set(calls), "add the new UI patient-data route to calls"
    for key, call in calls.items():
        if call is None:
            continue
        before = world.audit_count()
        r = call()
        assert r.status_code == 200, (key, r.text)
        assert world.audit_count() > before, f"{key} wrote no audit record"


def test_order_check_values_and_limits(world: World) -> None:
    body = {"protocol_id": "depression-iv-40min", "weight_kg": 70}
    r = world.client.post(f"{P}/ui/orders/check", json=body, headers=world.h("nurse.kim"))
    d = r.json()
    # calculator doctest / Sanacora 2017: 0.5 mg/kg x 70 kg over 40 min at 10 mg/mL
    assert (d["status"], d["order"]["dose_mg"], d["order"]["volume_ml"]) == ("ok", 35.0, 3.5)
    assert d["order"]["pump_rate_ml_per_h"] == pytest.approx(5.25)
    soft = world.client.post(
        f"{P}/ui/orders/check", json={**body, "dose_mg_per_kg": 0.9}, headers=world.h("nurse.kim")
    ).json()
    assert soft["status"] == "needs-override"
    assert {v["field"] for v in soft["violations"]} == {"dose_mg_per_kg", "rate_mg_per_kg_per_h"}
    hard = world.client.post(
        f"{P}/ui/orders/check", json={**body, "dose_mg_per_kg": 1.2}, headers=world.h("nurse.kim")
    ).json()
    assert hard["status"] == "refused"
    assert hard["refusal"]["message"].startswith("dose_mg_per_kg must be <= 1 mg/kg")
    bad_conc = world.client.post(
        f"{P}/ui/orders/check",
        json={**body, "concentration_mg_per_ml": 7},
        headers=world.h("nurse.kim"),
    ).json()
    assert bad_conc["status"] == "refused"
    assert bad_conc["refusal"]["field"] == "concentration_mg_per_ml"


def test_order_check_roles_come_from_the_matrix(world: World) -> None:
    """The calculator answers whom ``order.read`` admits (prescriber, nurse); the others get
    403, and the refusal is audited (it was a list of its own, outside the matrix)."""
    body = {"protocol_id": "depression-iv-40min", "weight_kg": 70}
    for user in ("desk.lee", "admin"):
        headers = world.h(user)  # signing in is audited too
        before = world.audit_count()
        r = world.client.post(f"{P}/ui/orders/check", json=body, headers=headers)
        assert_error(r, 403)
        with Session(world.engine) as db:
            last = db.scalars(select(AuditRecord).order_by(AuditRecord.seq.desc())).first()
        assert world.audit_count() == before + 1
        assert last is not None
        assert (last.event_type, last.resource_ref, last.outcome) == (
            "authz.denied",
            "action:order.read",
            4,
        )
    r = world.client.post(f"{P}/ui/orders/check", json=body, headers=world.h("dr.ross"))
    assert r.status_code == 200, r.text
    # a break-glass grant opens a chart to read, not the dose calculator
    pid = world.patient_id()
    grant = {"patient_id": pid, "reason": "collapsed in the waiting room", "minutes": 10}
    desk = world.h("desk.lee")
    assert world.client.post(f"{P}/break-glass", json=grant, headers=desk).status_code == 201
    r = world.client.post(f"{P}/ui/orders/check", json={**body, "patient_id": pid}, headers=desk)
    assert_error(r, 403)


def test_orderable_sessions_soonest_first_and_who_may_list_them(world: World) -> None:
    """The stand-alone order page's sessions: scheduled or in progress, soonest first."""
    pid, doctor = world.patient_id(), world.h("dr.ross")  # DEMO-0001: the session in progress
    url = f"{P}/ui/patients/{pid}/orderable-sessions"
    listed = world.client.get(url, headers=doctor).json()
    assert [(s["id"], s["status"]) for s in listed] == [
        (world.demo.active_session_id, "in_progress")
    ]
    assert listed[0]["chair"] == world.demo.active_chair
    assert listed[0]["protocol_id"] == "depression-iv-40min"  # the course's
    chairs = world.client.get(f"{P}/chairs", headers=doctor).json()
    soon = datetime.now(UTC) + timedelta(days=1)
    booked = []
    for days, chair in ((3, chairs[1]), (1, chairs[2])):
        at = (soon + timedelta(days=days)).isoformat()
        body = {"patient_id": pid, "chair_id": chair["id"], "scheduled_for": at}
        r = world.client.post(f"{P}/sessions", json=body, headers=world.h("nurse.kim"))
        assert r.status_code == 201, r.text
        booked.append(r.json()["id"])
    listed = world.client.get(url, headers=world.h("nurse.kim")).json()
    assert [s["id"] for s in listed] == [world.demo.active_session_id, booked[1], booked[0]]
    assert [s["protocol_id"] for s in listed[1:]] == [None, None]  # booked without a course
    # cancelled sessions take no order
    r = world.client.post(
        f"{P}/sessions/{booked[0]}/cancel", headers={**world.h("nurse.kim"), "If-Match": '"1"'}
    )
    assert r.status_code == 200, r.text
    listed = world.client.get(url, headers=doctor).json()
    assert [s["id"] for s in listed] == [world.demo.active_session_id, booked[1]]
    # order.read: prescriber and nurse
    assert (
        assert_error(world.client.get(url, headers=world.h("desk.lee")), 403)["code"] == "forbidden"
    )
    assert_error(
        world.client.get(f"{P}/ui/patients/{uuid.uuid4()}/orderable-sessions", headers=doctor), 404
    )


def test_signed_orders_are_stored_on_a_session_with_every_refusal_shaped(world: World) -> None:
    """The stand-alone page signs into a listed session through the session order service;
    the old audit-only ``/ui/orders/sign`` is gone."""
    sid, doctor = world.demo.active_session_id, world.h("dr.ross")
    url = f"{P}/sessions/{sid}/orders"
    body = {"protocol_id": "depression-iv-40min", "dose_mg_per_kg": 0.9}
    e = assert_error(world.client.post(url, json=body, headers=world.h("nurse.kim")), 403)
    e = assert_error(world.client.post(url, json=body, headers=doctor), 422)
    assert e["field"] == "dose_mg_per_kg"
    assert "needs a reason and a second clinician" in e["message"]
    wrong = {
        **body,
        "override": {
            "reason": "x",
            "second_username": "nurse.kim",
            "second_password": "wrong password",
        },
    }
    e = assert_error(world.client.post(url, json=wrong, headers=doctor), 422)
    assert e["field"] == "body.override.second_username"
    desk = {
        **body,
        "override": {
            "reason": "x",
            "second_username": "desk.lee",
            "second_password": world.demo.logins["desk.lee"],
        },
    }
    e = assert_error(world.client.post(url, json=desk, headers=doctor), 422)
    assert "prescriber or nurse" in e["message"]
    hard = {**body, "dose_mg_per_kg": 1.2}
    e = assert_error(world.client.post(url, json=hard, headers=doctor), 422)
    assert e["field"] == "dose_mg_per_kg"
    assert "hard limit" in e["message"]
    assert world.client.get(url, headers=doctor).json() == []  # nothing stored by a refusal
    ok = {
        **body,
        "override": {
            "reason": "partial response",
            "second_username": "nurse.kim",
            "second_password": world.demo.logins["nurse.kim"],
        },
    }
    r = world.client.post(url, json=ok, headers=doctor)
    assert r.status_code == 201, r.text
    o = r.json()
    assert o["dose_mg"] == pytest.approx(0.9 * o["weight_kg"])  # the record's weight
    assert o["result"]["override"] == {
        "reason": "partial response",
        "second_clinician": "nurse.kim",
        "ordering_clinician": "dr.ross",
    }
    assert [x["id"] for x in world.client.get(url, headers=doctor).json()] == [o["id"]]
    gone = {"protocol_id": "depression-iv-40min", "weight_kg": 70, "dose_mg_per_kg": 0.5}
    r = world.client.post(f"{P}/ui/orders/sign", json=gone, headers=doctor)
    assert r.status_code in {404, 405}
    e = assert_error(
        world.client.post(
            f"{P}/ui/orders/check",
            json={"protocol_id": "nope", "weight_kg": 70},
            headers=world.h("dr.ross"),
        ),
        404,
    )
    e = assert_error(world.client.get(f"{P}/ui/dashboard"), 401)
    e = assert_error(
        world.client.post(
            f"{P}/ui/orders/check",
            json={"protocol_id": "depression-iv-40min", "weight_kg": True},
            headers=world.h("dr.ross"),
        ),
        422,
    )
    assert e["field"] == "body.weight_kg"


def test_discharge_gate_refuses_then_completes(world: World) -> None:
    sid = world.demo.active_session_id
    nurse = world.h("nurse.kim")
    e = assert_error(
        world.client.post(
            f"{P}/ui/sessions/{sid}/discharge",
            json={"sign": True},
            headers={**nurse, "If-Match": '"2"'},
        ),
        409,
    )
    assert e["code"] == "discharge_blocked"
    assert e["field"] == "vitals-within-limits"
    dev = {"Authorization": f"Bearer {world.demo.device_tokens[world.demo.active_chair]}"}
    world.client.post(
        f"{P}/sessions/{sid}/readings",
        headers=dev,
        json={"measured_at": datetime.now(UTC).isoformat(), "device_seq": 7, **NORMAL},
    )
    body = {
        "sign": True,
        "escort_confirmed": True,
        "aldrete": {
            "activity": 2,
            "respiration": 2,
            "circulation": 2,
            "consciousness": 2,
            "oxygen_saturation": 1,
        },
    }
    chk = world.client.post(f"{P}/ui/sessions/{sid}/discharge-check", json=body, headers=nurse)
    assert chk.json()["allowed"] is True
    assert chk.json()["aldrete_total"] == 9
    low = {**body, "aldrete": {**body["aldrete"], "oxygen_saturation": 0}}  # 8 < 9 (Aldrete 1995)
    e = assert_error(
        world.client.post(
            f"{P}/ui/sessions/{sid}/discharge", json=low, headers={**nurse, "If-Match": '"2"'}
        ),
        409,
    )
    assert e["field"] == "modified-aldrete"
    version = world.client.get(f"{P}/sessions/{sid}", headers=nurse).headers["ETag"]
    assert_error(
        world.client.post(
            f"{P}/ui/sessions/{sid}/discharge", json=body, headers={**nurse, "If-Match": '"999"'}
        ),
        412,
    )
    r = world.client.post(
        f"{P}/ui/sessions/{sid}/discharge", json=body, headers={**nurse, "If-Match": version}
    )
    assert r.status_code == 200, r.text
    assert r.json()["session"]["status"] == "completed"
    assert_error(world.client.get(f"{P}/ui/sessions/{uuid.uuid4()}/overview", headers=nurse), 404)


def test_simulate_window_report_and_statement(world: World) -> None:
    body = {"patient": {"weight_kg": 70}, "protocol_id": "depression-iv-40min", "population": False}
    r = world.client.post(f"{P}/ui/simulate", json=body, headers=world.h("dr.ross"))
    d = r.json()
    # Kamp 2020 typical patient, 35 mg over 40 min: Cp(40 min) = 253.1 ng/mL (simulate doctest)
    assert d["window"]["peak_plasma_time_min"] == pytest.approx(40.0)
    assert d["window"]["peak_plasma_ng_per_ml"] == pytest.approx(253.1, abs=0.1)
    assert d["statement"].startswith("No plasma concentration-response relationship")
    assert [b["id"] for b in d["bands"]] == [
        "analgesic",
        "psychotomimetic",
        "awakening",
        "anaesthetic",
    ]


def test_series_books_a_course_and_refuses_a_clash(world: World) -> None:
    pid, desk, doctor = world.patient_id(), world.h("desk.lee"), world.h("dr.ross")
    course = world.client.post(
        f"{P}/patients/{pid}/courses",
        headers=doctor,
        json={"indication": "depression", "protocol_id": "depression-iv-40min",
              "planned_sessions": 6, "endpoint": "PHQ-9 response", "started_on": "2031-03-03"},
    )  # fmt: skip
    assert course.status_code == 201, course.text
    listed = world.client.get(f"{P}/ui/patients/{pid}/bookable-courses", headers=desk).json()
    mine = [c for c in listed if c["id"] == course.json()["id"]]
    assert [(c["planned_sessions"], c["booked"]) for c in mine] == [(6, 0)]
    chairs = world.client.get(f"{P}/ui/schedule?start=2031-03-03&days=1", headers=desk).json()
    chair = chairs["chairs"][0]
    body = {"course_id": course.json()["id"], "chair_id": chair["id"],
            "first_at": "2031-03-03T09:00:00Z", "day_offsets": [0, 2, 4, 7, 9, 11]}  # fmt: skip
    # a nurse may schedule single sessions but not book a series
    assert (
        world.client.post(f"{P}/ui/series", json=body, headers=world.h("nurse.kim")).status_code
        == 403
    )
    before = world.audit_count()
    r = world.client.post(f"{P}/ui/series", json=body, headers=desk)
    assert r.status_code == 201, r.text
    got = [s["scheduled_for"][:16] for s in r.json()]
    assert got == ["2031-03-03T09:00", "2031-03-05T09:00", "2031-03-07T09:00",
                   "2031-03-10T09:00", "2031-03-12T09:00", "2031-03-14T09:00"]  # fmt: skip
    assert world.audit_count() >= before + 6  # one session.create record each
    # the plan is full: six planned, six booked
    full = assert_error(
        world.client.post(f"{P}/ui/series", json={**body, "day_offsets": [20]}, headers=desk), 409
    )
    assert "at most 0" in full["message"]
    # another course in the same chair 90 min after day 7's session clashes; nothing is written
    other = world.client.post(
        f"{P}/patients/{pid}/courses",
        headers=doctor,
        json={"indication": "depression", "protocol_id": "depression-iv-40min",
              "planned_sessions": 6, "endpoint": "PHQ-9 response", "started_on": "2031-03-03"},
    )  # fmt: skip
    clash = {**body, "course_id": other.json()["id"], "first_at": "2031-03-10T10:30:00Z",
             "day_offsets": [0, 1]}  # fmt: skip
    before = world.audit_count()
    err = assert_error(world.client.post(f"{P}/ui/series", json=clash, headers=desk), 409)
    assert err["message"].startswith(f"{chair['label']} is already booked at 2031-03-10 09:00 UTC")
    assert world.audit_count() == before
    # 120 min after it is free
    ok = world.client.post(
        f"{P}/ui/series", json={**clash, "first_at": "2031-03-10T11:00:00Z"}, headers=desk
    )
    assert ok.status_code == 201, ok.text
