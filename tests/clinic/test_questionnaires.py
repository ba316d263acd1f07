"""Questionnaires, the safety-flag notification, outcome trajectories and clinic analytics
(on SQLite and PostgreSQL through the real app)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from ketaclinic.clinic.tables import AuditRecord
from ketaclinic.instruments import wilson_interval
from tests.clinic.conftest import Clinic, assert_error, patient_body
from tests.clinic.world import ok

P = "/api/v1"
COURSE = {
    "indication": "depression",
    "protocol_id": "depression-iv-40min",
    "planned_sessions": 6,
    "endpoint": "PHQ-9 response at week 3",
    "started_on": "2026-01-05",
}


def phq9(*values: int) -> dict[str, int]:
    assert len(values) == 9
    return {f"item{i}": v for i, v in enumerate(values, start=1)}


def at(days_ago: float) -> str:
    return (datetime.now(UTC) - timedelta(days=days_ago)).isoformat()


def _patient(c: Clinic) -> str:
    return str(
        ok(c.client.post(f"{P}/patients", json=patient_body(), headers=c.as_("nurse")), 201)["id"]
    )


def _course(c: Clinic, pid: str, **over: Any) -> str:
    body = {**COURSE, **over}
    r = c.client.post(f"{P}/patients/{pid}/courses", json=body, headers=c.as_("prescriber"))
    return str(ok(r, 201)["id"])


def _enter(c: Clinic, pid: str, answers: dict[str, int], days_ago: float, **over: Any) -> Any:
    body = {"instrument_id": "phq-9", "answers": answers, "administered_at": at(days_ago), **over}
    return c.client.post(f"{P}/patients/{pid}/questionnaires", json=body, headers=c.as_("nurse"))


def test_instruments_serve_text_only_when_free_to_embed(clinic: Clinic) -> None:
    rows = ok(clinic.client.get(f"{P}/instruments", headers=clinic.as_("front_desk")))
    by_id = {r["id"]: r for r in rows}
    for open_id in ("phq-9", "gad-7", "pcl-5"):
        assert by_id[open_id]["may_embed_text"] is True
        assert all(i["text"] for i in by_id[open_id]["items"])
    licensed = [r for r in rows if not r["may_embed_text"]]
    assert {"madrs", "qids-sr16"} & {r["id"] for r in licensed}
    for r in licensed:
        assert all(i["text"] is None for i in r["items"]), r["id"]
        assert r["response_labels"] == []
    # LOINC codes of the totals (FHIR Observation.code): PHQ-9 44261-6, GAD-7 70274-6
    assert by_id["phq-9"]["loinc_total"] == "44261-6"
    assert by_id["gad-7"]["loinc_total"] == "70274-6"
    one = ok(clinic.client.get(f"{P}/instruments/phq-9", headers=clinic.as_("auditor")))
    assert len(one["items"]) == 9
    assert one["response_rule"]["min_relative_drop"] == 0.5
    assert_error(clinic.client.get(f"{P}/instruments/nope", headers=clinic.as_("nurse")), 404)
    assert_error(clinic.client.get(f"{P}/instruments"), 401)


def test_phq9_scored_stored_with_loinc_and_audited(clinic: Clinic) -> None:
    pid = _patient(clinic)
    r = ok(_enter(clinic, pid, phq9(3, 3, 2, 2, 2, 2, 2, 1, 0), 1), 201)
    assert r["total"] == 17.0
    assert r["band"] == "moderately severe"  # 15-19, Kroenke 2001
    assert r["loinc_total"] == "44261-6"
    assert r["flag_codes"] == []
    assert r["notifications"] == []
    assert r["answers"]["item1"] == 3
    rows = ok(
        clinic.client.get(f"{P}/patients/{pid}/questionnaires", headers=clinic.as_("prescriber"))
    )
    assert [x["id"] for x in rows] == [r["id"]]
    with Session(clinic.engine) as db:
        events = [
            a.event_type
            for a in db.scalars(select(AuditRecord).where(AuditRecord.patient_id == pid))
        ]
    assert "questionnaire.create" in events
    assert "questionnaire.list" in events


def test_gad7_and_licensed_by_item_id(clinic: Clinic) -> None:
    pid = _patient(clinic)
    body = {
        "instrument_id": "gad-7",
        "answers": {f"item{i}": 2 for i in range(1, 8)},
        "administered_at": at(0.1),
    }
    r = ok(
        clinic.client.post(
            f"{P}/patients/{pid}/questionnaires", json=body, headers=clinic.as_("nurse")
        ),
        201,
    )
    assert r["total"] == 14.0
    assert r["band"] == "moderate"  # 10-14, Spitzer 2006
    assert r["loinc_total"] == "70274-6"


@pytest.mark.parametrize(
    ("answers", "field_part"),
    [
        ({**phq9(1, 1, 1, 1, 1, 1, 1, 1, 1), "item9": 4}, "item9"),
        ({"item1": 1}, "item"),
        ({**phq9(1, 1, 1, 1, 1, 1, 1, 1, 1), "item10": 0}, "item"),
    ],
)
def test_bad_answers_refused_naming_the_item(
    clinic: Clinic, answers: dict[str, int], field_part: str
) -> None:
    pid = _patient(clinic)
    err = assert_error(_enter(clinic, pid, answers, 0.1), 422)
    assert field_part in (err["field"] or "") + err["message"]
    rows = ok(clinic.client.get(f"{P}/patients/{pid}/questionnaires", headers=clinic.as_("nurse")))
    assert rows == []  # nothing half-written


def test_strict_types_and_links(clinic: Clinic) -> None:
    pid = _patient(clinic)
    bad_bool = {**phq9(1, 1, 1, 1, 1, 1, 1, 1, 0), "item1": True}
    assert_error(_enter(clinic, pid, bad_bool, 0.1), 422)
    bad_float = {**phq9(1, 1, 1, 1, 1, 1, 1, 1, 0), "item1": 1.5}
    assert_error(_enter(clinic, pid, bad_float, 0.1), 422)
    assert_error(
        _enter(clinic, pid, phq9(*[1] * 9), 0.1, instrument_id="phq-99"),
        422,
        field="body.instrument_id",
    )
    assert_error(_enter(clinic, pid, phq9(*[1] * 9), -2), 422, field="body.administered_at")
    naive = {
        "instrument_id": "phq-9",
        "answers": phq9(*[1] * 9),
        "administered_at": "2026-01-01T09:00:00",
    }
    assert_error(
        clinic.client.post(
            f"{P}/patients/{pid}/questionnaires", json=naive, headers=clinic.as_("nurse")
        ),
        422,
    )
    other = _patient(clinic)
    cid = _course(clinic, other)
    assert_error(
        _enter(clinic, pid, phq9(*[1] * 9), 0.1, course_id=cid), 422, field="body.course_id"
    )
    missing = "00000000-0000-4000-8000-000000000000"
    assert_error(_enter(clinic, missing, phq9(*[1] * 9), 0.1), 404)


@pytest.mark.parametrize(
    ("role", "status"), [("front_desk", 403), ("admin", 403), ("auditor", 403)]
)
def test_roles_refused(clinic: Clinic, role: str, status: int) -> None:
    pid = _patient(clinic)
    body = {"instrument_id": "phq-9", "answers": phq9(*[1] * 9), "administered_at": at(0.1)}
    h = clinic.as_(role)
    assert_error(
        clinic.client.post(f"{P}/patients/{pid}/questionnaires", json=body, headers=h), status
    )
    assert_error(clinic.client.get(f"{P}/patients/{pid}/questionnaires", headers=h), status)
    assert_error(clinic.client.get(f"{P}/patients/{pid}/outcomes", headers=h), status)
    assert_error(clinic.client.get(f"{P}/notifications", headers=h), status)
    assert_error(clinic.client.get(f"{P}/analytics/outcomes", headers=h), status)


def test_safety_flag_reaches_the_prescriber_end_to_end(clinic: Clinic) -> None:
    pid = _patient(clinic)
    _course(clinic, pid)
    r = ok(_enter(clinic, pid, phq9(2, 2, 2, 2, 2, 2, 2, 2, 1), 0.1), 201)
    assert r["flag_codes"] == ["phq9-item9"]
    [note] = r["notifications"]
    assert note["priority"] == "high"
    assert note["recipient_id"] == str(clinic.users["prescriber"])
    assert note["item_id"] == "item9"
    assert note["value"] == 1
    # the prescriber sees it among their open notifications (the dashboard reads these)
    mine = ok(clinic.client.get(f"{P}/notifications?mine=true", headers=clinic.as_("prescriber")))
    assert [n["id"] for n in mine] == [note["id"]]
    assert ok(clinic.client.get(f"{P}/notifications?mine=true", headers=clinic.as_("nurse"))) == []
    # acknowledged by a named user, once
    ack = ok(
        clinic.client.post(f"{P}/notifications/{note['id']}/ack", headers=clinic.as_("prescriber"))
    )
    assert ack["acknowledged_by"] == str(clinic.users["prescriber"])
    assert ack["acknowledged_at"] is not None
    assert_error(
        clinic.client.post(f"{P}/notifications/{note['id']}/ack", headers=clinic.as_("nurse")), 409
    )
    assert ok(clinic.client.get(f"{P}/notifications", headers=clinic.as_("prescriber"))) == []
    every = ok(
        clinic.client.get(
            f"{P}/notifications?include_acknowledged=true", headers=clinic.as_("nurse")
        )
    )
    assert [n["id"] for n in every] == [note["id"]]
    assert_error(
        clinic.client.post(f"{P}/notifications/{note['id']}/ack", headers=clinic.as_("front_desk")),
        403,
    )
    missing = "00000000-0000-4000-8000-000000000000"
    assert_error(
        clinic.client.post(f"{P}/notifications/{missing}/ack", headers=clinic.as_("nurse")), 404
    )
    with Session(clinic.engine) as db:
        events = [
            a.event_type
            for a in db.scalars(select(AuditRecord).where(AuditRecord.patient_id == pid))
        ]
    assert {"notification.create", "notification.ack"} <= set(events)


def test_cssrs_high_risk_notifies_every_prescriber_without_course(clinic: Clinic) -> None:
    pid = _patient(clinic)
    inst = ok(clinic.client.get(f"{P}/instruments/c-ssrs-screen", headers=clinic.as_("nurse")))
    answers = {i["id"]: i["max_value"] for i in inst["items"]}
    body = {"instrument_id": inst["id"], "answers": answers, "administered_at": at(0.1)}
    r = ok(
        clinic.client.post(
            f"{P}/patients/{pid}/questionnaires", json=body, headers=clinic.as_("nurse")
        ),
        201,
    )
    assert "cssrs-high-risk" in r["flag_codes"]
    assert {n["recipient_id"] for n in r["notifications"]} == {str(clinic.users["prescriber"])}
    assert all(n["priority"] == "high" for n in r["notifications"])


def test_patient_outcomes_baseline_response_remission(clinic: Clinic) -> None:
    pid = _patient(clinic)
    cid = _course(clinic, pid)
    # baseline 20 (first of the course), then 12 (-40%), 9 (-55%: response), 4 (remission)
    for total, days in ((20, 21), (12, 14), (9, 7), (4, 1)):
        answers = phq9(*([3] * (total // 3) + [total % 3] + [0] * 9)[:9])
        assert sum(answers.values()) == total
        ok(_enter(clinic, pid, answers, days, course_id=cid), 201)
    out = ok(clinic.client.get(f"{P}/patients/{pid}/outcomes", headers=clinic.as_("prescriber")))
    [s] = out["series"]
    assert s["instrument_id"] == "phq-9"
    assert s["course_id"] == cid
    assert s["baseline_total"] == 20
    assert s["response_threshold"] == 10  # 50% of baseline
    assert s["remission_threshold"] == 4  # PHQ-9 < 5
    assert [p["response"] for p in s["points"]] == [None, False, True, True]
    assert [p["remission"] for p in s["points"]] == [False, False, False, True]
    assert s["points"][2]["percent_change"] == pytest.approx(-55.0)
    assert "first score of the course" in out["baseline_definition"]
    assert_error(
        clinic.client.get(
            f"{P}/patients/00000000-0000-4000-8000-000000000000/outcomes",
            headers=clinic.as_("nurse"),
        ),
        404,
    )


def test_clinic_rates_with_wilson_intervals(clinic: Clinic) -> None:
    # 3 depression courses: two responders (one remitter), one non-responder
    for follow in (8, 4, 15):
        pid = _patient(clinic)
        cid = _course(clinic, pid)
        ok(_enter(clinic, pid, phq9(3, 3, 3, 3, 2, 2, 2, 2, 0), 20, course_id=cid), 201)
        ans = phq9(*([3] * (follow // 3) + [follow % 3] + [0] * 9)[:9])
        ok(_enter(clinic, pid, ans, 2, course_id=cid), 201)
    out = ok(clinic.client.get(f"{P}/analytics/outcomes", headers=clinic.as_("prescriber")))
    [g] = out["groups"]
    assert (g["indication"], g["protocol_id"], g["courses"]) == (
        "depression",
        "depression-iv-40min",
        3,
    )
    assert (g["response"]["successes"], g["response"]["n"]) == (2, 3)
    lo, hi = wilson_interval(2, 3)
    assert g["response"]["low"] == pytest.approx(lo)
    assert g["response"]["high"] == pytest.approx(hi)
    assert (g["remission"]["successes"], g["remission"]["n"]) == (1, 3)
    assert g["time_to_response"]["events"] == 2
    assert g["time_to_response"]["n"] == 3
    assert g["time_to_response"]["median_days"] == pytest.approx(18, abs=0.01)
    cp = ok(
        clinic.client.get(
            f"{P}/analytics/outcomes?method=clopper-pearson", headers=clinic.as_("nurse")
        )
    )
    assert cp["groups"][0]["response"]["low"] < g["response"]["low"]
    assert out["adverse_events"] == []  # no adverse event was recorded in this test
    assert_error(
        clinic.client.get(
            f"{P}/analytics/outcomes?instrument_id=nope", headers=clinic.as_("nurse")
        ),
        422,
        field="instrument_id",
    )
    assert_error(
        clinic.client.get(f"{P}/analytics/outcomes?method=bayes", headers=clinic.as_("nurse")), 422
    )


def test_adverse_event_rates_per_session(clinic: Clinic) -> None:
    """4 completed course sessions, 2 events in one of them: 0.5 events per session with
    the exact Poisson interval, and 1 of 4 sessions with an event (Wilson)."""
    from sqlalchemy import insert, update

    from ketaclinic.clinic.tables import Base, TreatmentSession
    from ketaclinic.instruments import poisson_interval
    from tests.clinic.world import build_world

    w = build_world(clinic)
    cid = _course(clinic, w.patient_id)
    sids = []
    for k in range(4):  # one a day: a chair holds one session at a time
        body = {
            "patient_id": w.patient_id,
            "chair_id": w.other_chair_id,
            "scheduled_for": at(3 + k),
            "course_id": cid,
        }
        sids.append(
            ok(clinic.client.post(f"{P}/sessions", json=body, headers=clinic.as_("nurse")), 201)[
                "id"
            ]
        )
    import uuid as _uuid

    with Session(clinic.engine) as db:
        db.execute(
            update(TreatmentSession)
            .where(TreatmentSession.id.in_([_uuid.UUID(s) for s in sids]))
            .values(status="completed")
        )
        ae_table = Base.metadata.tables["adverse_events"]  # revision 0006
        for etype in ("nausea", "hypertension"):
            db.execute(
                insert(ae_table).values(
                    id=_uuid.uuid4(), session_id=_uuid.UUID(sids[0]), event_type=etype,
                    severity="mild", serious=False, action_taken="none", outcome="resolved",
                    onset_at=datetime.now(UTC), recorded_by=clinic.users["nurse"],
                    created_at=datetime.now(UTC),
                )
            )  # fmt: skip
        db.commit()
    out = ok(clinic.client.get(f"{P}/analytics/outcomes", headers=clinic.as_("prescriber")))
    [ae] = out["adverse_events"]
    assert (ae["sessions"], ae["events"]) == (4, 2)
    assert ae["events_per_session"] == pytest.approx(0.5)
    lo, hi = poisson_interval(2, 4)
    assert (ae["low"], ae["high"]) == (pytest.approx(lo), pytest.approx(hi))
    assert (ae["sessions_with_event"]["successes"], ae["sessions_with_event"]["n"]) == (1, 4)
    assert out["groups"] == []  # no questionnaire was entered: no outcome groups


def test_demo_seed_has_outcome_series(engine: Any) -> None:
    from ketaclinic.clinic.security import hasher
    from ketaclinic.clinic.services.demo import seed_demo
    from ketaclinic.clinic.tables_questionnaires import ClinicalNotification, QuestionnaireResponse
    from ketaclinic.instruments import PHQ9, assess_outcome

    with Session(engine) as db:
        seed_demo(db, ph=hasher((1, 8, 1)), audit_key=b"k" * 32, node_id="t", now=datetime.now(UTC))
        rows = list(
            db.scalars(
                select(QuestionnaireResponse).order_by(QuestionnaireResponse.administered_at)
            )
        )
        notes = list(db.scalars(select(ClinicalNotification)))
    phq = [r for r in rows if r.instrument_id == "phq-9"]
    assert {r.instrument_id for r in rows} == {"phq-9", "gad-7"}
    by_course: dict[Any, list[float]] = {}
    for r in phq:
        assert sum(r.answers.values()) == r.total
        by_course.setdefault(r.course_id, []).append(r.total)
    assert len(by_course) == 12
    responders = sum(bool(assess_outcome(PHQ9, t[0], t[-1]).response) for t in by_course.values())
    assert 4 <= responders <= 10  # a mix, so the rates are neither 0 nor 100 %
    assert [n.code for n in notes] == ["phq9-item9"]
