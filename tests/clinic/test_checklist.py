"""Pre-session checklist (services/checklist.py) and versioned per-protocol monitoring rule
sets (services/rule_sets.py), on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from ketaclinic.clinic.services.checklist import FASTING_FOOD_H, FASTING_LIQUID_H
from ketaclinic.clinic.tables import AuditRecord
from ketaclinic.clinic.tables_checklist import MonitoringRuleSetRow, SessionChecklistEntry
from ketaclinic.dosing.library import default_library
from ketaclinic.monitoring.rules import DEFAULT_RULES
from tests.clinic.calls_checklist import ESCORT, rule_edit
from tests.clinic.calls_screening import consent_body, form
from tests.clinic.conftest import Clinic, assert_error
from tests.clinic.orders_world import measure, sign, start_body
from tests.clinic.world import World, ok

P = "/api/v1"


def _ago(c: Clinic, hours: float) -> str:
    return (datetime.now(UTC) + c.clock.offset - timedelta(hours=hours)).isoformat()


def _fasting(c: Clinic, food_h: float, liquid_h: float) -> dict[str, Any]:
    return {"item": "fasting", "last_food_at": _ago(c, food_h), "last_liquid_at": _ago(c, liquid_h)}


def _get(c: Clinic, sid: str, role: str = "nurse") -> dict[str, Any]:
    out: dict[str, Any] = ok(c.client.get(f"{P}/sessions/{sid}/checklist", headers=c.as_(role)))
    return out


def _state(out: dict[str, Any]) -> dict[str, str]:
    return {i["item"]: i["state"] for i in out["items"]}


def _post(c: Clinic, sid: str, body: dict[str, Any], role: str = "nurse") -> Any:
    return c.client.post(f"{P}/sessions/{sid}/checklist", json=body, headers=c.as_(role))


def _reading(c: Clinic, sid: str, key: str, **values: Any) -> None:
    body = {"measured_at": (datetime.now(UTC) + c.clock.offset).isoformat(), **values}
    h = {**c.as_("nurse"), "Idempotency-Key": key}
    ok(c.client.post(f"{P}/sessions/{sid}/readings", json=body, headers=h), 201)


def _phq9(c: Clinic, w: World) -> None:
    body = {"instrument_id": "phq-9", "answers": {f"item{i}": 1 for i in range(1, 10)},
            "administered_at": (datetime.now(UTC) + c.clock.offset).isoformat()}  # fmt: skip
    r = c.client.post(
        f"{P}/patients/{w.patient_id}/questionnaires", json=body, headers=c.as_("nurse")
    )
    ok(r, 201)


def _audit_events(c: Clinic) -> list[str]:
    with Session(c.engine) as db:
        return list(db.scalars(select(AuditRecord.event_type).order_by(AuditRecord.seq)))


def test_checklist_gates_the_administration(clinic: Clinic, world: World) -> None:
    sid = world.session_id
    measure(clinic, world)
    oid = ok(sign(clinic, world), 201)["id"]
    out = _get(clinic, sid)
    assert out["protocol_id"] == "depression-iv-40min"
    assert out["esketamine"] is False
    assert _state(out) == {
        "fasting": "unmet", "escort": "unmet", "baseline_vitals": "unmet",
        "questionnaire": "unmet", "consent": "not_applicable", "rems": "not_applicable",
    }  # fmt: skip
    assert all(i["source"] for i in out["items"])
    assert "UNVERIFIED" in out["items"][0]["source"]  # the fasting default is marked
    assert (out["fasting_food_h"], out["fasting_liquid_h"]) == (2.0, 0.5)
    url = f"{P}/sessions/{sid}/administrations"
    err = assert_error(
        clinic.client.post(url, json=start_body(oid), headers=clinic.as_("nurse")),
        409,
        field="checklist",
    )
    assert err["code"] == "checklist_incomplete"
    assert err["value"] == "fasting, escort, baseline_vitals, questionnaire"
    for item in ("fasting (", "escort (", "baseline_vitals (", "questionnaire ("):
        assert item in err["message"]
    # fasting: too recent food -> unmet, with the hours since
    out = ok(_post(clinic, sid, _fasting(clinic, 1.0, 1.0)), 201)
    fasting = out["items"][0]
    assert fasting["state"] == "unmet"
    assert fasting["detail"].startswith("1.0 h since food (>= 2 h)")
    # the latest record wins: 2 h 5 min and 35 min -> met
    out = ok(_post(clinic, sid, _fasting(clinic, FASTING_FOOD_H + 5 / 60, 35 / 60)), 201)
    assert _state(out)["fasting"] == "met"
    out = ok(_post(clinic, sid, _fasting(clinic, 3.0, FASTING_LIQUID_H - 0.1)), 201)
    assert _state(out)["fasting"] == "unmet"  # liquids 24 min ago
    ok(_post(clinic, sid, _fasting(clinic, 3.0, 1.0)), 201)
    out = ok(_post(clinic, sid, ESCORT), 201)
    assert _state(out)["escort"] == "met"
    assert out["items"][1]["data"] == {
        "escort_name": "Charles Babbage",
        "escort_phone": "+44 20 7946 0000",
    }
    assert out["items"][1]["recorded_by"] == "Test nurse"
    _reading(clinic, sid, "base-1", sbp_mmhg=122, dbp_mmhg=80, hr_per_min=70, spo2_pct=98)
    _phq9(clinic, world)
    out = _get(clinic, sid)
    assert out["complete"] is True, out
    assert out["unmet"] == []
    r = clinic.client.post(url, json=start_body(oid), headers=clinic.as_("nurse"))
    ok(r, 201)
    events = _audit_events(clinic)
    assert events.count("checklist.record") == 5
    # Two identical reads by one nurse within the audit read window: one record
    # (clinic/audit_reads.py); test_audit_reads.py covers the window itself.
    assert events.count("checklist.read") == 1
    assert "administration.start" in events


def test_overrides(clinic: Clinic, world: World) -> None:
    sid = world.session_id
    url = f"{P}/sessions/{sid}/checklist/overrides"
    body = {"item": "baseline_vitals", "reason": "monitor fault; manual BP at the bedside"}
    # a nurse may not override
    assert_error(clinic.client.post(url, json=body, headers=clinic.as_("nurse")), 403)
    out = ok(clinic.client.post(url, json=body, headers=clinic.as_("prescriber")), 201)
    item = out["items"][2]
    assert item["state"] == "overridden"
    assert item["override"]["reason"] == body["reason"]
    assert item["override"]["by"] == "Test prescriber"
    # consent and REMS are never overridden
    for it in ("consent", "rems"):
        r = clinic.client.post(
            url, json={"item": it, "reason": "no time today"}, headers=clinic.as_("prescriber")
        )
        err = assert_error(r, 422, field="body.item")
        assert err["code"] == "not_overridable"
    # a reason is required (>= 5 characters)
    r = clinic.client.post(
        url, json={"item": "fasting", "reason": "ok"}, headers=clinic.as_("prescriber")
    )
    assert_error(r, 422)
    # nothing half-written: only the one override is stored
    with Session(clinic.engine) as db:
        rows = list(db.scalars(select(SessionChecklistEntry)))
    assert [(r.item, r.kind, r.reason) for r in rows] == [
        ("baseline_vitals", "override", body["reason"])
    ]
    # an overridden item met later stays met
    _reading(clinic, sid, "base-2", spo2_pct=97)
    assert _state(_get(clinic, sid))["baseline_vitals"] == "met"


def test_record_errors(clinic: Clinic, world: World) -> None:
    sid = world.session_id
    # a missing field of the item is named
    r = _post(clinic, sid, {"item": "escort", "escort_name": "C. Babbage"})
    assert_error(r, 422, field="body.escort_phone")
    # a field of another item is refused
    r = _post(clinic, sid, {**ESCORT, "rems_patient_id": "R-123"})
    assert_error(r, 422, field="body.rems_patient_id")
    # times in the future, naive times, unknown items, unknown keys
    future = (datetime.now(UTC) + timedelta(hours=1)).isoformat()
    r = _post(clinic, sid, {"item": "fasting", "last_food_at": future, "last_liquid_at": future})
    assert_error(r, 422, field="body.last_food_at")
    r = _post(clinic, sid, {"item": "fasting", "last_food_at": "2026-01-01T08:00:00",
                            "last_liquid_at": _ago(clinic, 1)})  # fmt: skip
    assert_error(r, 422)
    assert_error(_post(clinic, sid, {"item": "consent"}), 422)
    assert_error(_post(clinic, sid, {**ESCORT, "colour": "red"}), 422)
    assert_error(_post(clinic, sid, {"item": "rems", "rems_patient_id": 12345,
                                     "rems_enrolled_on": "2026-01-02"}), 422)  # fmt: skip
    tomorrow = (date.today() + timedelta(days=2)).isoformat()
    r = _post(clinic, sid, {"item": "rems", "rems_patient_id": "R-1", "rems_enrolled_on": tomorrow})
    assert_error(r, 422, field="body.rems_enrolled_on")
    # roles: the prescriber does not record, the auditor reads, front desk does not
    assert_error(_post(clinic, sid, ESCORT, role="prescriber"), 403)
    assert _get(clinic, sid, role="auditor")["unmet"]
    assert_error(
        clinic.client.get(f"{P}/sessions/{sid}/checklist", headers=clinic.as_("front_desk")), 403
    )
    assert_error(
        clinic.client.get(
            f"{P}/sessions/00000000-0000-4000-8000-000000000000/checklist",
            headers=clinic.as_("nurse"),
        ),
        404,
    )
    with Session(clinic.engine) as db:
        assert list(db.scalars(select(SessionChecklistEntry))) == []


def test_esketamine_needs_rems_and_valid_consent(clinic: Clinic, world: World) -> None:
    pres, nurse = clinic.as_("prescriber"), clinic.as_("nurse")
    course = {"indication": "depression", "protocol_id": "esketamine-nasal-trd",
              "planned_sessions": 8, "endpoint": "MADRS response at week 4",
              "started_on": "2026-01-05"}  # fmt: skip
    cid = ok(clinic.client.post(f"{P}/patients/{world.patient_id}/courses", json=course,
                                headers=pres), 201)["id"]  # fmt: skip
    v = form(clinic)
    ok(clinic.client.post(f"{P}/courses/{cid}/consents", json=consent_body(clinic, v),
                          headers=nurse), 201)  # fmt: skip
    body = {"patient_id": world.patient_id, "chair_id": world.other_chair_id,
            "scheduled_for": datetime.now(UTC).isoformat(), "course_id": cid}  # fmt: skip
    sid = ok(clinic.client.post(f"{P}/sessions", json=body, headers=nurse), 201)["id"]
    ok(clinic.client.post(f"{P}/sessions/{sid}/start", headers={**nurse, "If-Match": '"1"'}))
    out = _get(clinic, sid)
    assert out["esketamine"] is True
    assert _state(out)["consent"] == "met"
    assert _state(out)["rems"] == "unmet"
    assert "spravatorems.com" in out["items"][5]["source"]
    # a new version of the form invalidates the consent
    form(clinic)
    out = _get(clinic, sid)
    consent = out["items"][4]
    assert consent["state"] == "unmet"
    assert "ketamine-treatment v2" in consent["detail"]
    measure(clinic, world)
    oid = ok(clinic.client.post(f"{P}/sessions/{sid}/orders", json={}, headers=pres), 201)["id"]
    for item in ("fasting", "escort", "baseline_vitals", "questionnaire"):
        ok(clinic.client.post(f"{P}/sessions/{sid}/checklist/overrides",
                              json={"item": item, "reason": "tested in another test"},
                              headers=pres), 201)  # fmt: skip
    adm = {"order_id": oid, "lot_number": "ESK-1", "started_at": datetime.now(UTC).isoformat()}
    url = f"{P}/sessions/{sid}/administrations"
    err = assert_error(clinic.client.post(url, json=adm, headers=nurse), 409, field="checklist")
    assert err["value"] == "consent, rems"
    rems = {"item": "rems", "rems_patient_id": "PT-0042", "rems_enrolled_on": "2026-01-05"}
    out = ok(_post(clinic, sid, rems), 201)
    assert out["items"][5]["detail"] == "REMS enrolment PT-0042 on 2026-01-05"
    err = assert_error(clinic.client.post(url, json=adm, headers=nurse), 409, field="checklist")
    assert err["value"] == "consent"
    ok(clinic.client.post(f"{P}/courses/{cid}/consents", json=consent_body(clinic, 2),
                          headers=nurse), 201)  # fmt: skip
    adm["started_at"] = datetime.now(UTC).isoformat()
    ok(clinic.client.post(url, json=adm, headers=nurse), 201)


# -- monitoring rule sets ----------------------------------------------------------------------


def test_rule_sets_are_seeded_from_the_domain_defaults(clinic: Clinic) -> None:
    sets = ok(clinic.client.get(f"{P}/rule-sets", headers=clinic.as_("auditor")))
    assert [s["protocol_id"] for s in sets] == list(default_library().ids())
    for s in sets:
        assert s["version"] == 1
        assert s["seeded"] is True
        assert s["expected_interval_min"] == DEFAULT_RULES.expected_interval_min
        assert [(t["field"], t["direction"], t["limit"], t["priority"], t["source"])
                for t in s["thresholds"]] == [
            (t.field, t.direction, t.limit, t.priority, t.source) for t in DEFAULT_RULES.thresholds
        ]  # fmt: skip
    # seeding is idempotent
    ok(clinic.client.get(f"{P}/rule-sets", headers=clinic.as_("admin")))
    with Session(clinic.engine) as db:
        assert len(list(db.scalars(select(MonitoringRuleSetRow)))) == len(sets)
    assert_error(clinic.client.get(f"{P}/rule-sets", headers=clinic.as_("front_desk")), 403)
    assert_error(clinic.client.get(f"{P}/rule-sets/nope", headers=clinic.as_("admin")), 404)


def test_rule_set_edit_is_versioned_and_used_for_alerts(clinic: Clinic, world: World) -> None:
    admin = clinic.as_("admin")
    url = f"{P}/rule-sets/depression-iv-40min"
    r = clinic.client.get(url, headers=admin)
    assert r.headers["etag"] == '"1"'
    # a session on this protocol (signed order): SpO2 93 % raises nothing with the default
    measure(clinic, world)
    ok(sign(clinic, world), 201)
    sid = world.session_id
    _reading(clinic, sid, "a", spo2_pct=93)
    alerts = ok(clinic.client.get(f"{P}/sessions/{sid}/alerts", headers=clinic.as_("nurse")))
    assert alerts == []
    # edits: If-Match required, stale refused, invalid refused; nothing written
    assert_error(clinic.client.put(url, json=rule_edit(), headers=admin), 428)
    assert_error(
        clinic.client.put(url, json=rule_edit(), headers={**admin, "If-Match": '"7"'}), 412
    )
    bad = rule_edit()
    bad["thresholds"][0]["limit"] = 150  # SpO2 > 100 %
    r = clinic.client.put(url, json=bad, headers={**admin, "If-Match": '"1"'})
    err = assert_error(r, 422, field="body.thresholds")
    assert "spo2_pct" in err["message"]
    bad = rule_edit()
    bad["thresholds"][0]["limit"] = True  # a boolean is not a number
    assert_error(clinic.client.put(url, json=bad, headers={**admin, "If-Match": '"1"'}), 422)
    nurse = {**clinic.as_("nurse"), "If-Match": '"1"'}
    assert_error(clinic.client.put(url, json=rule_edit(), headers=nurse), 403)
    assert ok(clinic.client.get(url, headers=admin))["version"] == 1
    # a valid edit: version 2, audited, with its reason and editor
    r = clinic.client.put(url, json=rule_edit(), headers={**admin, "If-Match": '"1"'})
    out = ok(r)
    assert r.headers["etag"] == '"2"'
    assert (out["version"], out["seeded"]) == (2, False)
    assert out["change_reason"] == "tighter SpO2 limit for this protocol"
    assert "rule_set.edit" in _audit_events(clinic)
    # another protocol is untouched
    other = ok(clinic.client.get(f"{P}/rule-sets/pain-iv-lowdose", headers=admin))
    assert other["version"] == 1
    # the next reading uses version 2: SpO2 93 < 94 -> high
    _reading(clinic, sid, "b", spo2_pct=93)
    alerts = ok(clinic.client.get(f"{P}/sessions/{sid}/alerts", headers=clinic.as_("nurse")))
    assert [(a["code"], a["priority"]) for a in alerts] == [("spo2_pct < 94", "high")]
    assert "depression-iv-40min v2" in alerts[0]["message"]
    assert "clinic policy 2026-11" in alerts[0]["source"]
