"""Audit completeness (every patient-data route writes a record) and tamper detection."""

from __future__ import annotations

import itertools
from collections.abc import Callable
from typing import Any

import pytest
from sqlalchemy import Engine, func, select, text
from sqlalchemy.orm import Session

from ketaclinic.cli.app import main
from ketaclinic.clinic.tables import AuditRecord
from tests.clinic.calls_breakglass import AUDIT_CALLS as BREAKGLASS_CALLS
from tests.clinic.calls_checklist import AUDIT_CALLS as CHECKLIST_CALLS
from tests.clinic.calls_fhir import AUDIT_CALLS as FHIR_CALLS
from tests.clinic.calls_screening import CALLS as SCREENING_CALLS
from tests.clinic.conftest import SECRET, Clinic, patient_body
from tests.clinic.orders_world import ORDER_AUDIT_CALLS
from tests.clinic.world import World, build_world, next_slot, now_iso, reading

Call = Callable[[Clinic, World], Any]
P = "/api/v1"


def _nurse(c: Clinic) -> dict[str, str]:
    return c.as_("nurse")


def _alert(c: Clinic, w: World) -> str:
    r = c.client.post(
        f"/api/v1/sessions/{w.session_id}/readings",
        json=reading(spo2_pct=84),
        headers={**_nurse(c), "Idempotency-Key": "alert-" + now_iso()},
    )
    return str(r.json()["alerts"][0]["id"])


COURSE = {
    "indication": "depression",
    "protocol_id": "depression-iv-40min",
    "planned_sessions": 6,
    "endpoint": "PHQ-9 response at week 3",
    "started_on": "2026-01-05",
}


def _course(c: Clinic, w: World) -> str:
    r = c.client.post(
        f"{P}/patients/{w.patient_id}/courses", json=COURSE, headers=c.as_("prescriber")
    )
    return str(r.json()["id"])


def _new_session(c: Clinic, w: World) -> str:
    body = {"patient_id": w.patient_id, "chair_id": w.other_chair_id, "scheduled_for": next_slot()}
    return str(c.client.post("/api/v1/sessions", json=body, headers=_nurse(c)).json()["id"])


def _phq9(c: Clinic, w: World) -> Any:
    body = {"instrument_id": "phq-9", "answers": {f"item{i}": 1 for i in range(1, 10)},
            "administered_at": now_iso()}  # fmt: skip
    return c.client.post(
        f"{P}/patients/{w.patient_id}/questionnaires", json=body, headers=_nurse(c)
    )


#: (method, path template) -> (prepare, call). prepare runs first (its records don't count).
CALLS: dict[tuple[str, str], tuple[Call, Callable[[Clinic, World, Any], Any]]] = {
    ("post", "/patients"): (
        lambda c, w: None,
        lambda c, w, _: c.client.post(f"{P}/patients", json=patient_body(), headers=_nurse(c)),
    ),
    ("get", "/patients"): (
        lambda c, w: None,
        lambda c, w, _: c.client.get(f"{P}/patients", headers=_nurse(c)),
    ),
    ("get", "/patients/{patient_id}"): (
        lambda c, w: None,
        lambda c, w, _: c.client.get(f"{P}/patients/{w.patient_id}", headers=_nurse(c)),
    ),
    ("patch", "/patients/{patient_id}"): (
        lambda c, w: None,
        lambda c, w, _: c.client.patch(
            f"{P}/patients/{w.patient_id}",
            json={"given_name": "Augusta"},
            headers={**_nurse(c), "If-Match": "*"},
        ),
    ),
    ("post", "/patients/{patient_id}/measurements"): (
        lambda c, w: None,
        lambda c, w, _: c.client.post(
            f"{P}/patients/{w.patient_id}/measurements",
            json={"measured_at": now_iso(), "weight_kg": 70},
            headers=_nurse(c),
        ),
    ),
    ("get", "/patients/{patient_id}/measurements"): (
        lambda c, w: None,
        lambda c, w, _: c.client.get(
            f"{P}/patients/{w.patient_id}/measurements", headers=_nurse(c)
        ),
    ),
    ("post", "/patients/{patient_id}/courses"): (
        lambda c, w: None,
        lambda c, w, _: c.client.post(
            f"{P}/patients/{w.patient_id}/courses", json=COURSE, headers=c.as_("prescriber")
        ),
    ),
    ("get", "/patients/{patient_id}/courses"): (
        _course,
        lambda c, w, _: c.client.get(f"{P}/patients/{w.patient_id}/courses", headers=_nurse(c)),
    ),
    ("get", "/courses/{course_id}"): (
        _course,
        lambda c, w, cid: c.client.get(f"{P}/courses/{cid}", headers=_nurse(c)),
    ),
    ("patch", "/courses/{course_id}"): (
        _course,
        lambda c, w, cid: c.client.patch(
            f"{P}/courses/{cid}",
            json={"phase": "maintenance"},
            headers={**c.as_("prescriber"), "If-Match": '"1"'},
        ),
    ),
    ("post", "/sessions"): (
        lambda c, w: None,
        lambda c, w, _: _new_session(c, w),
    ),
    ("get", "/sessions/{session_id}"): (
        lambda c, w: None,
        lambda c, w, _: c.client.get(f"{P}/sessions/{w.session_id}", headers=_nurse(c)),
    ),
    ("post", "/sessions/{session_id}/reschedule"): (
        _new_session,
        lambda c, w, sid: c.client.post(
            f"{P}/sessions/{sid}/reschedule",
            json={"scheduled_for": next_slot()},
            headers={**_nurse(c), "If-Match": '"1"'},
        ),
    ),
    ("post", "/sessions/{session_id}/{step}"): (
        _new_session,
        lambda c, w, sid: c.client.post(
            f"{P}/sessions/{sid}/cancel", headers={**_nurse(c), "If-Match": '"1"'}
        ),
    ),
    ("post", "/sessions/{session_id}/readings"): (
        lambda c, w: None,
        lambda c, w, _: c.client.post(
            f"{P}/sessions/{w.session_id}/readings", json=reading(device_seq=5), headers=w.device()
        ),
    ),
    ("post", "/sessions/{session_id}/readings/batch"): (
        lambda c, w: None,
        lambda c, w, _: c.client.post(
            f"{P}/sessions/{w.session_id}/readings/batch",
            json={"readings": [reading(device_seq=6)]},
            headers=w.device(),
        ),
    ),
    ("get", "/sessions/{session_id}/readings"): (
        lambda c, w: None,
        lambda c, w, _: c.client.get(f"{P}/sessions/{w.session_id}/readings", headers=_nurse(c)),
    ),
    ("get", "/sessions/{session_id}/alerts"): (
        lambda c, w: None,
        lambda c, w, _: c.client.get(f"{P}/sessions/{w.session_id}/alerts", headers=_nurse(c)),
    ),
    ("post", "/alerts/{alert_id}/ack"): (
        _alert,
        lambda c, w, aid: c.client.post(f"{P}/alerts/{aid}/ack", headers=_nurse(c)),
    ),
    # questionnaires / outcomes / safety notifications (tests/clinic/test_questionnaires.py)
    ("post", "/patients/{patient_id}/questionnaires"): (
        lambda c, w: None,
        lambda c, w, _: _phq9(c, w),
    ),
    ("get", "/patients/{patient_id}/questionnaires"): (
        lambda c, w: None,
        lambda c, w, _: c.client.get(
            f"{P}/patients/{w.patient_id}/questionnaires", headers=_nurse(c)
        ),
    ),
    ("get", "/patients/{patient_id}/outcomes"): (
        lambda c, w: None,
        lambda c, w, _: c.client.get(f"{P}/patients/{w.patient_id}/outcomes", headers=_nurse(c)),
    ),
    ("get", "/notifications"): (
        lambda c, w: None,
        lambda c, w, _: c.client.get(f"{P}/notifications", headers=_nurse(c)),
    ),
    ("post", "/notifications/{notification_id}/ack"): (
        lambda c, w: _phq9(c, w).json()["notifications"][0]["id"],
        lambda c, w, nid: c.client.post(f"{P}/notifications/{nid}/ack", headers=_nurse(c)),
    ),
}
CALLS.update(SCREENING_CALLS)  # issue 4 screening/consent/plan/medications


CALLS.update(ORDER_AUDIT_CALLS)  # orders, administration, scores, AEs, discharge
CALLS.update(CHECKLIST_CALLS)  # pre-session checklist
CALLS.update(FHIR_CALLS)  # FHIR R4 export
CALLS.update(BREAKGLASS_CALLS)  # break-glass emergency access


def _phi_routes(c: Clinic) -> set[tuple[str, str]]:
    spec = c.client.get("/openapi.json").json()
    return {
        (method, path.removeprefix(P))
        for path, ops in spec["paths"].items()
        for method, op in ops.items()
        if op.get("x-patient-data")
    }


def _records(engine: Engine) -> list[AuditRecord]:
    with Session(engine) as db:
        return list(db.scalars(select(AuditRecord).order_by(AuditRecord.seq)))


def test_every_patient_data_route_writes_an_audit_record(clinic: Clinic) -> None:
    assert _phi_routes(clinic) == set(CALLS), "add the new patient-data route to CALLS"
    world = build_world(clinic)
    for (method, path), (prepare, call) in CALLS.items():
        arg = prepare(clinic, world)
        before = len(_records(clinic.engine))
        r = call(clinic, world, arg)
        if hasattr(r, "status_code"):
            assert r.status_code in {200, 201}, (method, path, r.text)
        new = _records(clinic.engine)[before:]
        assert new, f"{method.upper()} {path} wrote no audit record"
        rec = new[-1]
        assert rec.outcome == 0
        assert rec.actor_kind in {"user", "device"}
        assert rec.actor_id is not None
        if "{" in path or method == "post":
            assert rec.patient_id is not None, (method, path, rec.event_type)


def test_records_hold_references_not_phi(clinic: Clinic) -> None:
    h = clinic.as_("nurse")
    body = patient_body(given_name="Zebulon", family_name="Quixote")
    pid = clinic.client.post("/api/v1/patients", json=body, headers=h).json()["id"]
    clinic.client.get(f"/api/v1/patients/{pid}", headers=h)
    with clinic.engine.connect() as conn:
        dump = " ".join(str(row) for row in conn.execute(text("SELECT * FROM audit_log")))
    assert pid in dump
    for phi in ("Zebulon", "Quixote", body["mrn"], body["escort_phone"]):
        assert phi not in dump


def _verify(
    clinic: Clinic, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> tuple[int, str]:
    monkeypatch.setenv("KETACLINIC_SECRET_KEY", SECRET)
    rc = main(["audit", "verify", "--database-url", clinic.settings.database_url])
    return rc, capsys.readouterr().out


def _populate(clinic: Clinic) -> None:
    h = clinic.as_("nurse")
    for _ in range(3):
        pid = clinic.client.post("/api/v1/patients", json=patient_body(), headers=h).json()["id"]
        clinic.client.get(f"/api/v1/patients/{pid}", headers=h)


@pytest.mark.parametrize(
    ("tamper", "expect"),
    [
        ("UPDATE audit_log SET action = 'D' WHERE seq = 8", "seq 8: hash mismatch"),
        ("UPDATE audit_log SET recorded_utc = recorded_utc WHERE seq = 9; "
         "UPDATE audit_log SET actor_id = NULL WHERE seq = 9", "seq 9: hash mismatch"),
        ("DELETE FROM audit_log WHERE seq = 7", "seq 7..7 missing"),
        ("DELETE FROM audit_log WHERE seq = (SELECT MAX(seq) FROM audit_log)", "tail deleted"),
    ],
)  # fmt: skip
def test_audit_verify_detects_edit_and_delete(
    clinic: Clinic,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    tamper: str,
    expect: str,
) -> None:
    _populate(clinic)
    rc, out = _verify(clinic, capsys, monkeypatch)
    assert rc == 0, out
    assert "audit log OK" in out
    with clinic.engine.begin() as conn:
        for stmt in tamper.split("; "):
            conn.execute(text(stmt))
    rc, out = _verify(clinic, capsys, monkeypatch)
    assert rc == 1
    assert expect in out


def test_verify_with_the_wrong_key_fails(
    clinic: Clinic, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    _populate(clinic)
    monkeypatch.setenv("KETACLINIC_SECRET_KEY", "another-" + SECRET)
    rc = main(["audit", "verify", "--database-url", clinic.settings.database_url])
    assert rc == 1
    assert "hash mismatch" in capsys.readouterr().out


def test_chain_is_contiguous_under_the_api(clinic: Clinic) -> None:
    _populate(clinic)
    recs = _records(clinic.engine)
    assert [r.seq for r in recs] == list(range(1, len(recs) + 1))
    assert all(b.prev_hash == a.hash for a, b in itertools.pairwise(recs))
    with Session(clinic.engine) as db:
        assert db.scalar(select(func.count()).select_from(AuditRecord)) == len(recs)


def test_refusals_are_audited(clinic: Clinic) -> None:
    world = build_world(clinic)
    before = len(_records(clinic.engine))
    r = clinic.client.get(f"{P}/patients/{world.patient_id}", headers=clinic.as_("auditor"))
    assert r.status_code == 403
    r = clinic.client.post(
        f"{P}/sessions/{world.session_id}/readings",
        json=reading(device_seq=1),
        headers=world.device(other=True),
    )
    assert r.status_code == 403
    new = [r for r in _records(clinic.engine)[before:] if r.event_type == "authz.denied"]
    assert [(r.role, r.outcome, r.resource_ref) for r in new] == [
        ("auditor", 4, "action:patient.read"),
        ("device", 4, f"TreatmentSession/{world.session_id}"),
    ]
    assert new[1].patient_id == world.patient_id


def test_verify_in_small_batches_and_with_a_deleted_middle_batch(clinic: Clinic) -> None:
    from ketaclinic.clinic import audit

    _populate(clinic)
    n = len(_records(clinic.engine))
    with Session(clinic.engine) as db:
        report = audit.verify(db, key=SECRET.encode(), batch=2)
    assert report.ok, report.problems
    assert report.checked == n
    assert report.head_seq == n
    with clinic.engine.begin() as conn:
        conn.execute(text("DELETE FROM audit_log WHERE seq IN (3, 4)"))
    with Session(clinic.engine) as db:
        report = audit.verify(db, key=SECRET.encode(), batch=2)
    assert not report.ok
    assert report.problems[:2] == [
        "seq 3..4 missing (deleted rows)",
        "seq 5: prev_hash does not match the previous row",
    ]
