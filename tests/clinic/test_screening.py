"""Screening, consent, course plan and medications through the API (issue 4), both engines."""

from __future__ import annotations

from typing import Any

import pytest

from tests.clinic.calls_screening import (
    P,
    consent_body,
    course,
    form,
    medication,
    screening,
)
from tests.clinic.conftest import Clinic, assert_error
from tests.clinic.world import World, now_iso


def _session_on(c: Clinic, w: World, cid: str) -> tuple[str, str]:
    body = {
        "patient_id": w.patient_id,
        "chair_id": w.other_chair_id,
        "scheduled_for": now_iso(),
        "course_id": cid,
    }
    r = c.client.post(f"{P}/sessions", json=body, headers=c.as_("nurse"))
    assert r.status_code == 201, r.text
    return r.json()["id"], r.headers["ETag"]


def _start(c: Clinic, sid: str, etag: str) -> Any:
    return c.client.post(f"{P}/sessions/{sid}/start", headers={**c.as_("nurse"), "If-Match": etag})


# --- screening -------------------------------------------------------------------------


def test_absolute_contraindication_is_a_hard_stop_no_override(clinic: Clinic, world: World) -> None:
    sid = screening(clinic, world, ["intracerebral-haemorrhage-history", "pregnancy"])
    got = clinic.client.get(
        f"{P}/patients/{world.patient_id}/screenings", headers=clinic.as_("nurse")
    ).json()[0]
    assert got["status"] == "hard-stop"
    assert [b["id"] for b in got["blocking"]] == ["intracerebral-haemorrhage-history"]
    assert got["blocking"][0]["kind"] == "absolute"
    assert "Spravato" in got["blocking"][0]["source"]
    r = clinic.client.post(
        f"{P}/screenings/{sid}/overrides",
        json={"contraindication_id": "intracerebral-haemorrhage-history", "reason": "x"},
        headers={**clinic.as_("prescriber"), "If-Match": '"1"'},
    )
    err = assert_error(r, 422, field="body.contraindication_id")
    assert "cannot be overridden" in err["message"]


def test_relative_contraindication_needs_prescriber_override(clinic: Clinic, world: World) -> None:
    sid = screening(clinic, world, ["pregnancy", "active-psychosis"])
    body = {"contraindication_id": "pregnancy", "reason": "obstetric team agrees"}
    url = f"{P}/screenings/{sid}/overrides"
    # a nurse may record a screening but not override it
    r = clinic.client.post(url, json=body, headers={**clinic.as_("nurse"), "If-Match": '"1"'})
    assert_error(r, 403)
    r = clinic.client.post(url, json=body, headers=clinic.as_("prescriber"))
    assert_error(r, 428, field="If-Match")
    h = {**clinic.as_("prescriber"), "If-Match": '"1"'}
    r = clinic.client.post(url, json=body, headers=h)
    assert r.status_code == 201, r.text
    out = r.json()
    assert out["status"] == "needs-override"  # active-psychosis is still open
    assert [b["id"] for b in out["blocking"]] == ["active-psychosis"]
    (ov,) = out["overrides"]
    assert ov["prescriber_id"] == str(clinic.users["prescriber"])
    assert ov["reason"] == "obstetric team agrees"
    assert r.headers["ETag"] == '"2"'
    # stale If-Match
    r = clinic.client.post(
        url, json={"contraindication_id": "active-psychosis", "reason": "r"}, headers=h
    )
    assert_error(r, 412, field="If-Match")
    r = clinic.client.post(
        url,
        json={"contraindication_id": "active-psychosis", "reason": "psychiatry review: remitted"},
        headers={**h, "If-Match": '"2"'},
    )
    assert r.status_code == 201, r.text
    assert r.json()["status"] == "eligible"
    assert r.json()["blocking"] == []
    # an override for a finding that is not present
    r = clinic.client.post(
        url,
        json={"contraindication_id": "hepatic-disease", "reason": "r"},
        headers={**h, "If-Match": '"3"'},
    )
    assert_error(r, 422, field="body.contraindication_id")


def test_unknown_finding_refused(clinic: Clinic, world: World) -> None:
    r = clinic.client.post(
        f"{P}/patients/{world.patient_id}/screenings",
        json={"findings": ["hangnail"]},
        headers=clinic.as_("nurse"),
    )
    err = assert_error(r, 422, field="body.findings")
    assert "pregnancy" in err["limit"]


def test_trd_history(clinic: Clinic, world: World) -> None:
    url = f"{P}/patients/{world.patient_id}/antidepressant-trials"
    h = clinic.as_("nurse")
    trials = [
        ("sertraline", 200.0, 8.0, True, "no_response"),
        ("venlafaxine", 225.0, 6.0, False, "no_response"),  # not adequate
        ("bupropion", 300.0, 8.0, True, "response"),
    ]
    for drug, dose, weeks, adequate, outcome in trials:
        body = {
            "drug": drug,
            "dose_mg_per_day": dose,
            "duration_weeks": weeks,
            "adequate": adequate,
            "outcome": outcome,
        }
        assert clinic.client.post(url, json=body, headers=h).status_code == 201
    got = clinic.client.get(url, headers=h).json()
    assert got["failed_adequate_trials"] == 1
    assert got["treatment_resistant"] is False
    body = {
        "drug": "mirtazapine",
        "dose_mg_per_day": 45.0,
        "duration_weeks": 6.0,
        "adequate": True,
        "outcome": "partial_response",
    }
    assert clinic.client.post(url, json=body, headers=h).status_code == 201
    got = clinic.client.get(url, headers=h).json()
    assert [t["drug"] for t in got["trials"]] == [
        "sertraline",
        "venlafaxine",
        "bupropion",
        "mirtazapine",
    ]
    # a partial response is a failed trial: non-response = < 50% symptom reduction
    # (Canadian expert consensus 2021, doi:10.1002/da.23135, Table 3)
    assert got["failed_adequate_trials"] == 2
    assert got["treatment_resistant"] is True
    assert "doi:10.1002/da.23135" in got["definition"]
    # strict types: a boolean is not a dose, a string is not a boolean, NaN refused
    for bad in ({"dose_mg_per_day": True}, {"adequate": "yes"}, {"duration_weeks": -1.0}):
        r = clinic.client.post(url, json={**body, **bad}, headers=h)
        assert_error(r, 422)
    r = clinic.client.post(
        url,
        content=b'{"drug":"x","dose_mg_per_day":NaN,"duration_weeks":6,"adequate":true,'
        b'"outcome":"response"}',
        headers={**h, "Content-Type": "application/json"},
    )
    assert_error(r, 422)


# --- consent ---------------------------------------------------------------------------


def test_session_cannot_start_without_consent(clinic: Clinic, world: World) -> None:
    cid = course(clinic, world)
    sid, etag = _session_on(clinic, world, cid)
    err = assert_error(_start(clinic, sid, etag), 409, field="consent")
    assert err["code"] == "consent_required"
    assert "no consent form is published" in err["message"]
    v = form(clinic)
    err = assert_error(_start(clinic, sid, etag), 409, field="consent")
    assert "ketamine-treatment v1" in err["message"]
    r = clinic.client.post(
        f"{P}/courses/{cid}/consents",
        json=consent_body(clinic, v),
        headers=clinic.as_("front_desk"),
    )
    assert r.status_code == 201, r.text
    assert r.json()["witnessed_by"] == str(clinic.users["nurse"])
    r = _start(clinic, sid, etag)
    assert r.status_code == 200, r.text
    assert r.json()["status"] == "in_progress"


def test_new_form_version_requires_reconsent(clinic: Clinic, world: World) -> None:
    cid = course(clinic, world)
    form(clinic)
    url = f"{P}/courses/{cid}/consents"
    h = clinic.as_("nurse")
    assert clinic.client.post(url, json=consent_body(clinic, 1), headers=h).status_code == 201
    assert clinic.client.get(url, headers=h).json()["valid"] is True
    # the same version twice
    assert_error(
        clinic.client.post(url, json=consent_body(clinic, 1), headers=h),
        409,
        field="body.form_version",
    )
    assert form(clinic) == 2
    status = clinic.client.get(url, headers=h).json()
    assert status["valid"] is False
    assert status["missing"] == ["ketamine-treatment v2"]
    assert [c["current"] for c in status["consents"]] == [False]
    sid, etag = _session_on(clinic, world, cid)
    err = assert_error(_start(clinic, sid, etag), 409, field="consent")
    assert "ketamine-treatment v2" in err["message"]
    # signing the superseded version is refused; the current one is accepted
    assert_error(
        clinic.client.post(url, json=consent_body(clinic, 1), headers=h),
        409,
        field="body.form_version",
    )
    assert clinic.client.post(url, json=consent_body(clinic, 2), headers=h).status_code == 201
    assert clinic.client.get(url, headers=h).json()["valid"] is True
    assert _start(clinic, sid, etag).status_code == 200


def test_consent_bad_input(clinic: Clinic, world: World) -> None:
    cid = course(clinic, world)
    form(clinic)
    url = f"{P}/courses/{cid}/consents"
    h = clinic.as_("nurse")
    r = clinic.client.post(url, json=consent_body(clinic, 1, "unknown-form"), headers=h)
    assert_error(r, 422, field="body.form_id")
    r = clinic.client.post(
        url, json={**consent_body(clinic, 1), "signed_at": "2026-01-01T09:00:00"}, headers=h
    )
    assert_error(r, 422)
    r = clinic.client.post(
        url, json={**consent_body(clinic, 1), "signed_at": "2999-01-01T09:00:00Z"}, headers=h
    )
    assert_error(r, 422, field="body.signed_at")
    r = clinic.client.post(
        url, json={**consent_body(clinic, 1), "witnessed_by": world.patient_id}, headers=h
    )
    assert_error(r, 422, field="body.witnessed_by")
    assert clinic.client.get(url, headers=h).json()["consents"] == []


@pytest.mark.parametrize(
    ("role", "status"),
    [("front_desk", 201), ("nurse", 201), ("prescriber", 201), ("auditor", 403), ("admin", 403)],
)
def test_consent_roles(clinic: Clinic, world: World, role: str, status: int) -> None:
    cid = course(clinic, world)
    form(clinic)
    r = clinic.client.post(
        f"{P}/courses/{cid}/consents", json=consent_body(clinic, 1), headers=clinic.as_(role)
    )
    assert r.status_code == status, r.text
    r = clinic.client.get(f"{P}/courses/{cid}/consents", headers=clinic.as_(role))
    assert r.status_code == (403 if role == "admin" else 200), r.text


def test_auditor_reads_but_never_writes(clinic: Clinic, world: World) -> None:
    h = clinic.as_("auditor")
    pid = world.patient_id
    for path in ("screenings", "antidepressant-trials", "medications", "mme"):
        assert clinic.client.get(f"{P}/patients/{pid}/{path}", headers=h).status_code == 200
    r = clinic.client.post(f"{P}/patients/{pid}/screenings", json={"findings": []}, headers=h)
    assert_error(r, 403)
    r = clinic.client.post(
        f"{P}/consent-forms", json={"form_id": "x", "title": "x"}, headers=clinic.as_("nurse")
    )
    assert_error(r, 403)
    r = clinic.client.get(f"{P}/patients/{pid}/medications", headers=clinic.as_("front_desk"))
    assert_error(r, 403)


# --- course plan -----------------------------------------------------------------------


def test_course_plan(clinic: Clinic, world: World) -> None:
    cid = course(clinic, world)
    h = clinic.as_("nurse")
    appt = {
        "kind": "psychotherapy",
        "scheduled_for": "2026-02-01T10:00:00Z",
        "duration_min": 50,
        "clinician": "Dr Therapist",
    }
    later = {**appt, "kind": "integration", "scheduled_for": "2026-02-08T10:00:00Z"}
    for body in (later, appt):
        assert (
            clinic.client.post(f"{P}/courses/{cid}/appointments", json=body, headers=h).status_code
            == 201
        )
    got = clinic.client.get(f"{P}/courses/{cid}/appointments", headers=h).json()
    assert [a["kind"] for a in got] == ["psychotherapy", "integration"]
    assert all(a["status"] == "planned" for a in got)
    r = clinic.client.post(
        f"{P}/courses/{cid}/appointments", json={**appt, "kind": "massage"}, headers=h
    )
    assert_error(r, 422)
    r = clinic.client.post(
        f"{P}/courses/{cid}/appointments", json={**appt, "duration_min": 0}, headers=h
    )
    assert_error(r, 422)
    goal = {"domain": "exercise", "description": "walk 30 min on 5 days a week"}
    assert clinic.client.post(f"{P}/courses/{cid}/goals", json=goal, headers=h).status_code == 201
    (g,) = clinic.client.get(f"{P}/courses/{cid}/goals", headers=h).json()
    assert (g["domain"], g["status"]) == ("exercise", "active")
    r = clinic.client.get(f"{P}/courses/{world.patient_id}/goals", headers=h)
    assert_error(r, 404)
    # status edits need If-Match; a stale one gets 412; front desk may not edit the plan
    aid = got[0]["id"]
    url = f"{P}/appointments/{aid}"
    assert_error(clinic.client.patch(url, json={"status": "attended"}, headers=h), 428)
    r = clinic.client.patch(url, json={"status": "attended"}, headers={**h, "If-Match": '"1"'})
    assert r.status_code == 200, r.text
    assert (r.json()["status"], r.headers["ETag"]) == ("attended", '"2"')
    r = clinic.client.patch(url, json={"status": "missed"}, headers={**h, "If-Match": '"1"'})
    assert_error(r, 412, field="If-Match")
    r = clinic.client.patch(url, json={"status": "done"}, headers={**h, "If-Match": '"2"'})
    assert_error(r, 422)
    gurl = f"{P}/goals/{g['id']}"
    r = clinic.client.patch(
        gurl, json={"status": "achieved"}, headers={**clinic.as_("front_desk"), "If-Match": '"1"'}
    )
    assert_error(r, 403)
    r = clinic.client.patch(gurl, json={"status": "achieved"}, headers={**h, "If-Match": '"1"'})
    assert r.json()["status"] == "achieved"


# --- medications and MME -----------------------------------------------------------------


def test_medications_and_mme_series(clinic: Clinic, world: World) -> None:
    ph = clinic.as_("prescriber")
    oxy = medication(clinic, world)  # oxycodone 40 mg/day from 2026-01-01: 60 MME/day
    patch = medication(
        clinic,
        world,
        name="Fentanyl patch",
        opioid_id="fentanyl-transdermal",
        daily_dose=25.0,
        dose_unit="mcg/h",
        started_on="2026-01-10",
    )  # 25 mcg/h x 2.4 = 60 MME/day
    medication(clinic, world, name="Sertraline", opioid_id=None, daily_dose=100.0)
    r = clinic.client.post(
        f"{P}/medications/{oxy}/changes",
        json={
            "kind": "dose_change",
            "effective_on": "2026-02-01",
            "daily_dose": 20.0,
            "reason": "less pain after ketamine",
        },
        headers={**ph, "If-Match": '"1"'},
    )
    assert r.status_code == 201, r.text
    assert r.json()["mme_per_day"] == pytest.approx(30.0)
    r = clinic.client.post(
        f"{P}/medications/{patch}/changes",
        json={"kind": "dose_change", "effective_on": "2026-02-15", "daily_dose": 12.0,
              "reason": "taper"},
        headers={**ph, "If-Match": '"1"'},
    )  # fmt: skip
    assert r.status_code == 201, r.text
    assert r.json()["dose_unit"] == "mcg/h"  # kept from the start
    r = clinic.client.post(
        f"{P}/medications/{patch}/changes",
        json={"kind": "stop", "effective_on": "2026-03-01", "reason": "taper complete"},
        headers={**ph, "If-Match": '"2"'},
    )
    assert r.status_code == 201, r.text
    assert r.json()["stopped_on"] == "2026-03-01"
    assert r.json()["mme_per_day"] is None
    series = clinic.client.get(f"{P}/patients/{world.patient_id}/mme", headers=ph).json()
    got = [(p["on"], round(p["mme_per_day"], 6)) for p in series["points"]]
    assert got == [
        ("2026-01-01", 60.0),
        ("2026-01-10", 120.0),
        ("2026-02-01", 90.0),
        ("2026-02-15", 30.0 + 12.0 * 2.4),
        ("2026-03-01", 30.0),
    ]
    assert "10.15585/mmwr.rr7103a1" in series["source"]
    meds = clinic.client.get(f"{P}/patients/{world.patient_id}/medications", headers=ph).json()
    assert [m["name"] for m in meds] == ["Oxycodone ER", "Sertraline", "Fentanyl patch"]
    assert [c["kind"] for c in meds[0]["changes"]] == ["start", "dose_change"]
    # after a stop nothing more; stale If-Match; change before the last one
    stop = {"kind": "stop", "effective_on": "2026-04-01", "reason": "r"}
    assert_error(
        clinic.client.post(
            f"{P}/medications/{patch}/changes", json=stop, headers={**ph, "If-Match": '"3"'}
        ),
        409,
    )
    assert_error(
        clinic.client.post(
            f"{P}/medications/{oxy}/changes", json=stop, headers={**ph, "If-Match": '"1"'}
        ),
        412,
        field="If-Match",
    )
    r = clinic.client.post(
        f"{P}/medications/{oxy}/changes",
        json={**stop, "effective_on": "2026-01-15"},
        headers={**ph, "If-Match": '"2"'},
    )
    assert_error(r, 422, field="body.effective_on")


def test_methadone_is_flagged(clinic: Clinic, world: World) -> None:
    medication(clinic, world, name="Methadone", opioid_id="methadone", daily_dose=10.0)
    series = clinic.client.get(
        f"{P}/patients/{world.patient_id}/mme", headers=clinic.as_("nurse")
    ).json()
    (p,) = series["points"]
    assert p["mme_per_day"] == pytest.approx(47.0)
    assert p["flags"]
    assert "methadone" in p["flags"][0]


@pytest.mark.parametrize(
    ("over", "field"),
    [
        ({"opioid_id": "kratom"}, "body.opioid_id"),
        ({"opioid_id": "fentanyl-transdermal"}, "body.dose_unit"),  # mg/day for a patch
        ({"opioid_id": None, "dose_unit": "mcg/h"}, "body.dose_unit"),
        ({"daily_dose": True}, None),
        ({"daily_dose": 0.0}, None),
    ],
)
def test_medication_bad_input(
    clinic: Clinic, world: World, over: dict[str, Any], field: str | None
) -> None:
    body = {
        "name": "x",
        "opioid_id": "oxycodone",
        "started_on": "2026-01-01",
        "daily_dose": 40.0,
        "reason": "pain",
        **over,
    }
    r = clinic.client.post(
        f"{P}/patients/{world.patient_id}/medications", json=body, headers=clinic.as_("nurse")
    )
    err = assert_error(r, 422, field=field)
    if over.get("opioid_id") == "kratom":
        assert "oxycodone" in err["limit"]
        assert "kratom" in err["message"]
    meds = clinic.client.get(
        f"{P}/patients/{world.patient_id}/medications", headers=clinic.as_("nurse")
    ).json()
    assert meds == []  # nothing half-written
