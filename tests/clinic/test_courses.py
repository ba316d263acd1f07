"""Treatment courses: protocol from the dosing library, phases, If-Match."""

from __future__ import annotations

from typing import Any

from ketaclinic.dosing import default_library
from tests.clinic.conftest import Clinic, assert_error
from tests.clinic.world import build_world


def _body(**over: Any) -> dict[str, Any]:
    body = {
        "indication": "chronic_pain",
        "protocol_id": "pain-iv-lowdose",
        "planned_sessions": 4,
        "endpoint": "pain NRS -30 % and MME/day down at week 6",
        "started_on": "2026-02-01",
    }
    body.update(over)
    return body


def test_course_records_protocol_version_and_moves_forward_only(clinic: Clinic) -> None:
    w = build_world(clinic)
    h = clinic.as_("prescriber")
    r = clinic.client.post(f"/api/v1/patients/{w.patient_id}/courses", json=_body(), headers=h)
    assert r.status_code == 201, r.text
    course = r.json()
    assert course["protocol_version"] == str(default_library().get("pain-iv-lowdose").version)
    assert course["phase"] == "induction"
    url = f"/api/v1/courses/{course['id']}"
    r = clinic.client.patch(url, json={"phase": "maintenance"}, headers={**h, "If-Match": '"1"'})
    assert r.status_code == 200
    assert r.headers["etag"] == '"2"'
    assert_error(
        clinic.client.patch(url, json={"phase": "induction"}, headers={**h, "If-Match": '"2"'}),
        409,
        field="body.phase",
    )
    assert_error(
        clinic.client.patch(url, json={"planned_sessions": 8}, headers={**h, "If-Match": '"1"'}),
        412,
    )
    listed = clinic.client.get(
        f"/api/v1/patients/{w.patient_id}/courses", headers=clinic.as_("nurse")
    ).json()
    assert [(c["id"], c["phase"]) for c in listed] == [(course["id"], "maintenance")]


def test_course_refuses_unknown_protocol_and_bad_values(clinic: Clinic) -> None:
    w = build_world(clinic)
    h = clinic.as_("prescriber")
    url = f"/api/v1/patients/{w.patient_id}/courses"
    err = assert_error(
        clinic.client.post(url, json=_body(protocol_id="nope"), headers=h),
        422,
        field="body.protocol_id",
    )
    assert "pain-iv-lowdose" in err["message"]  # the known ids are listed
    assert_error(
        clinic.client.post(url, json=_body(planned_sessions=0), headers=h),
        422,
        field="body.planned_sessions",
    )
    assert_error(
        clinic.client.post(url, json=_body(planned_sessions=True), headers=h),
        422,
        field="body.planned_sessions",
    )
    assert_error(
        clinic.client.post(url, json=_body(indication="flu"), headers=h),
        422,
        field="body.indication",
    )
    assert clinic.client.get(url, headers=h).json() == []


def test_sessions_belong_to_an_active_course_of_the_same_patient(clinic: Clinic) -> None:
    from tests.clinic.conftest import patient_body
    from tests.clinic.world import now_iso

    w = build_world(clinic)
    h = clinic.as_("prescriber")
    cid = clinic.client.post(
        f"/api/v1/patients/{w.patient_id}/courses", json=_body(), headers=h
    ).json()["id"]
    body = {"patient_id": w.patient_id, "chair_id": w.other_chair_id, "scheduled_for": now_iso()}
    r = clinic.client.post("/api/v1/sessions", json={**body, "course_id": cid}, headers=h)
    assert r.status_code == 201
    assert r.json()["course_id"] == cid
    other = clinic.client.post("/api/v1/patients", json=patient_body(), headers=h).json()["id"]
    r = clinic.client.post(
        "/api/v1/sessions", json={**body, "patient_id": other, "course_id": cid}, headers=h
    )
    assert_error(r, 422, field="body.course_id")
    clinic.client.patch(
        f"/api/v1/courses/{cid}", json={"phase": "stopped"}, headers={**h, "If-Match": '"1"'}
    )
    r = clinic.client.post("/api/v1/sessions", json={**body, "course_id": cid}, headers=h)
    assert_error(r, 409, field="body.course_id")
