"""Patients: CRUD, ETag / If-Match, weight and height history with physiological limits."""

from __future__ import annotations

from tests.clinic.conftest import Clinic, assert_error, patient_body
from tests.clinic.world import now_iso

URL = "/api/v1/patients"


def test_create_read_update_with_etag(clinic: Clinic) -> None:
    h = clinic.as_("front_desk")
    r = clinic.client.post(URL, json=patient_body(given_name="Ada"), headers=h)
    assert r.status_code == 201
    assert r.headers["etag"] == '"1"'
    pid = r.json()["id"]
    assert r.headers["location"] == f"{URL}/{pid}"
    got = clinic.client.get(f"{URL}/{pid}", headers=h)
    assert got.json()["escort_name"] == "Charles Babbage"
    etag = got.headers["etag"]
    r = clinic.client.patch(
        f"{URL}/{pid}", json={"escort_phone": "+1 555 0100"}, headers={**h, "If-Match": etag}
    )
    assert r.status_code == 200
    assert r.json()["escort_phone"] == "+1 555 0100"
    assert r.json()["version"] == 2
    assert r.headers["etag"] == '"2"'
    # the first ETag is now stale: a second editor holding it gets 412 and nothing changes
    r = clinic.client.patch(
        f"{URL}/{pid}", json={"escort_phone": "+1 555 0199"}, headers={**h, "If-Match": etag}
    )
    assert_error(r, 412, field="If-Match")
    assert clinic.client.get(f"{URL}/{pid}", headers=h).json()["escort_phone"] == "+1 555 0100"


def test_required_fields_cannot_be_nulled(clinic: Clinic) -> None:
    h = clinic.as_("nurse")
    pid = clinic.client.post(URL, json=patient_body(), headers=h).json()["id"]
    r = clinic.client.patch(
        f"{URL}/{pid}", json={"family_name": None}, headers={**h, "If-Match": '"1"'}
    )
    assert_error(r, 422, field="body.family_name")


def test_list_and_search(clinic: Clinic) -> None:
    h = clinic.as_("nurse")
    for family in ("Curie", "Meitner", "Franklin"):
        clinic.client.post(URL, json=patient_body(family_name=family), headers=h)
    page = clinic.client.get(URL, params={"q": "Mei"}, headers=h).json()
    assert [p["family_name"] for p in page["items"]] == ["Meitner"]
    assert page["total"] == 1
    page = clinic.client.get(URL, params={"limit": 2}, headers=h).json()
    assert page["total"] == 3
    assert [p["family_name"] for p in page["items"]] == ["Curie", "Franklin"]
    # LIKE wildcards in the query are literal
    assert clinic.client.get(URL, params={"q": "%"}, headers=h).json()["total"] == 0
    assert_error(clinic.client.get(URL, params={"limit": 201}, headers=h), 422, field="query.limit")


def test_measurement_history_and_limits(clinic: Clinic) -> None:
    h = clinic.as_("nurse")
    pid = clinic.client.post(URL, json=patient_body(), headers=h).json()["id"]
    m = f"{URL}/{pid}/measurements"
    assert (
        clinic.client.post(
            m, json={"measured_at": now_iso(), "weight_kg": 72.4}, headers=h
        ).status_code
        == 201
    )
    r = clinic.client.post(m, json={"measured_at": now_iso(), "height_cm": 171}, headers=h)
    assert r.status_code == 201
    hist = clinic.client.get(m, headers=h).json()
    assert [(x["weight_kg"], x["height_cm"]) for x in hist] == [(72.4, None), (None, 171.0)]
    # impossible weight: 422 naming the field and the limit (pk.patient.PHYSIOLOGY, 350 kg)
    err = assert_error(
        clinic.client.post(m, json={"measured_at": now_iso(), "weight_kg": 720}, headers=h),
        422,
        field="body.weight_kg",
    )
    assert err["limit"] == "<= 350.0"
    assert err["value"] == 720


def test_strict_types(clinic: Clinic) -> None:
    h = clinic.as_("nurse")
    pid = clinic.client.post(URL, json=patient_body(), headers=h).json()["id"]
    m = f"{URL}/{pid}/measurements"
    for bad in (True, "72", None):
        body = {"measured_at": now_iso(), "weight_kg": bad}
        r = clinic.client.post(m, json=body, headers=h)
        assert_error(r, 422)
    for token in (b"NaN", b"Infinity", b"-Infinity"):
        raw = b'{"measured_at": "2026-01-01T09:00:00Z", "weight_kg": ' + token + b"}"
        r = clinic.client.post(m, content=raw, headers={**h, "content-type": "application/json"})
        err = assert_error(r, 422, field="body.weight_kg")
        assert err["value"] in {"NaN", "infinity", "-infinity"}
    # a naive timestamp is refused: UTC offsets are required
    r = clinic.client.post(
        m, json={"measured_at": "2026-01-01T09:00:00", "weight_kg": 70}, headers=h
    )
    assert_error(r, 422, field="body.measured_at")
    # nothing was written by any of the refused calls
    assert clinic.client.get(m, headers=h).json() == []
