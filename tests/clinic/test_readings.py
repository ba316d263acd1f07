"""Vital-sign readings: device tokens bound to a chair, idempotency, validation, alerts."""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from ketaclinic.clinic.tables import Alert, VitalReading
from tests.clinic.conftest import SECRET, Clinic, assert_error
from tests.clinic.world import World, reading


def _url(w: World) -> str:
    return f"/api/v1/sessions/{w.session_id}/readings"


def _count(clinic: Clinic) -> int:
    with Session(clinic.engine) as db:
        return db.scalar(select(func.count()).select_from(VitalReading)) or 0


def test_device_reading_is_idempotent(clinic: Clinic, world: World) -> None:
    body = reading(device_seq=1001, hr_per_min=72)
    first = clinic.client.post(_url(world), json=body, headers=world.device())
    assert first.status_code == 201
    assert first.json()["source"] == "device"
    again = clinic.client.post(_url(world), json=body, headers=world.device())
    assert again.status_code == 200
    assert again.json()["id"] == first.json()["id"]
    assert again.json()["received_at"] == first.json()["received_at"]
    # same sequence number, different values: refused, the first reading stays
    changed = {**body, "hr_per_min": 99}
    assert_error(
        clinic.client.post(_url(world), json=changed, headers=world.device()),
        409,
        field="device_seq",
    )
    assert _count(clinic) == 1


def test_device_may_only_post_for_its_chair(clinic: Clinic, world: World) -> None:
    r = clinic.client.post(
        _url(world), json=reading(device_seq=1), headers=world.device(other=True)
    )
    assert_error(r, 403)
    assert "another chair" in r.json()["error"]["message"]
    # and may do nothing else
    assert_error(
        clinic.client.get(f"/api/v1/patients/{world.patient_id}", headers=world.device()), 403
    )
    assert_error(clinic.client.get(_url(world), headers=world.device()), 403)
    assert _count(clinic) == 0


def test_staff_reading_needs_an_idempotency_key(clinic: Clinic, world: World) -> None:
    h = clinic.as_("nurse")
    r = clinic.client.post(_url(world), json=reading(), headers=h)
    assert_error(r, 422, field="Idempotency-Key")
    h = {**h, "Idempotency-Key": "manual-1"}
    first = clinic.client.post(_url(world), json=reading(temp_c=36.9), headers=h)
    assert first.status_code == 201
    assert first.json()["source"] == "manual"
    body = {**reading(temp_c=36.9), "measured_at": first.json()["measured_at"]}
    again = clinic.client.post(_url(world), json=body, headers=h)
    assert again.status_code == 200
    assert again.json()["id"] == first.json()["id"]
    assert _count(clinic) == 1


@pytest.mark.parametrize(
    ("values", "field", "limit"),
    [
        ({"spo2_pct": 101}, "body.spo2_pct", "<= 100.0"),
        ({"sbp_mmhg": 400, "dbp_mmhg": 80}, "body.sbp_mmhg", "<= 300.0"),
        ({"hr_per_min": -5}, "body.hr_per_min", ">= 20.0"),
        ({"temp_c": 98.6}, "body.temp_c", "<= 45.0"),  # Fahrenheit sent as Celsius
        ({"rr_per_min": True}, "body.rr_per_min", None),
        ({"hr_per_min": "80"}, "body.hr_per_min", None),
        (
            {"sbp_mmhg": 80, "dbp_mmhg": 90},
            "body.dbp_mmhg",
            "below the systolic pressure (80 mmHg)",
        ),
        ({"sbp_mmhg": 120, "dbp_mmhg": None}, "body.dbp_mmhg", None),
    ],
)
def test_impossible_values_are_refused(
    clinic: Clinic, world: World, values: dict[str, Any], field: str, limit: str | None
) -> None:
    body = {"measured_at": datetime.now(UTC).isoformat(), "device_seq": 7, **values}
    err = assert_error(
        clinic.client.post(_url(world), json=body, headers=world.device()), 422, field=field
    )
    if limit is not None:
        assert err["limit"] == limit
    assert _count(clinic) == 0


def test_nan_and_future_device_clock_refused(clinic: Clinic, world: World) -> None:
    raw = b'{"measured_at": "2026-01-01T09:00:00Z", "device_seq": 3, "spo2_pct": NaN}'
    r = clinic.client.post(
        _url(world), content=raw, headers={**world.device(), "content-type": "application/json"}
    )
    err = assert_error(r, 422, field="body.spo2_pct")
    assert err["value"] == "NaN"
    future = (datetime.now(UTC) + timedelta(minutes=30)).isoformat()
    r = clinic.client.post(
        _url(world), json=reading(device_seq=4, measured_at=future), headers=world.device()
    )
    assert_error(r, 422, field="body.measured_at")
    assert _count(clinic) == 0


def test_readings_need_a_session_in_progress(clinic: Clinic, world: World) -> None:
    h = clinic.as_("nurse")
    r = clinic.client.post(
        f"/api/v1/sessions/{world.session_id}/complete", headers={**h, "If-Match": '"2"'}
    )
    assert r.status_code == 200
    r = clinic.client.post(_url(world), json=reading(device_seq=9), headers=world.device())
    assert_error(r, 409, field="status")


def test_alerts_raise_persist_clear_and_acknowledge(clinic: Clinic, world: World) -> None:
    def post(seq: int, **values: Any) -> Any:
        body = reading(device_seq=seq, **values)
        return clinic.client.post(_url(world), json=body, headers=world.device())

    first_body = reading(device_seq=1, spo2_pct=88)
    low = clinic.client.post(_url(world), json=first_body, headers=world.device()).json()
    assert [(a["code"], a["priority"]) for a in low["alerts"]] == [("spo2_pct < 92", "high")]
    assert post(2, spo2_pct=87).json()["alerts"] == []  # the same condition: not raised twice
    assert post(3, spo2_pct=97).json()["alerts"] == []
    alerts = clinic.client.get(
        f"/api/v1/sessions/{world.session_id}/alerts", headers=clinic.as_("nurse")
    ).json()
    assert len(alerts) == 1
    assert alerts[0]["cleared_at"] is not None
    assert alerts[0]["limit_value"] == 92
    assert alerts[0]["value"] == 88
    aid = alerts[0]["id"]
    ack = clinic.client.post(f"/api/v1/alerts/{aid}/ack", headers=clinic.as_("nurse"))
    assert ack.status_code == 200
    assert ack.json()["acknowledged_by"] == str(clinic.users["nurse"])
    assert_error(clinic.client.post(f"/api/v1/alerts/{aid}/ack", headers=clinic.as_("nurse")), 409)
    # a retried reading returns its alert, and no second alert row appears
    again = clinic.client.post(_url(world), json=first_body, headers=world.device())
    assert again.status_code == 200
    assert [a["id"] for a in again.json()["alerts"]] == [aid]
    with Session(clinic.engine) as db:
        assert db.scalar(select(func.count()).select_from(Alert)) == 1


def test_concurrent_duplicates_stored_exactly_once(clinic: Clinic, world: World) -> None:
    n = 6
    body = reading(device_seq=424242, hr_per_min=81)
    barrier = threading.Barrier(n)
    results: list[Any] = [None] * n
    app = clinic.client.app

    def worker(i: int) -> None:
        client = TestClient(app, raise_server_exceptions=False)
        barrier.wait()
        results[i] = client.post(_url(world), json=body, headers=world.device())

    threads = [threading.Thread(target=worker, args=(i,)) for i in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    codes = sorted(r.status_code for r in results)
    assert codes == [200] * (n - 1) + [201], [r.text for r in results]
    assert len({r.json()["id"] for r in results}) == 1
    assert _count(clinic) == 1


def test_silent_feed_raises_a_technical_alert_and_a_reading_clears_it(
    clinic: Clinic, world: World
) -> None:
    from ketaclinic.clinic.services.watchdog import check_silent_feeds
    from ketaclinic.monitoring.rules import DEFAULT_RULES

    def check(offset_min: float) -> list[Alert]:
        now = datetime.now(UTC) + timedelta(minutes=offset_min)
        with Session(clinic.engine, expire_on_commit=False) as db:
            return check_silent_feeds(db, now=now, audit_key=SECRET.encode(), node_id="t")

    assert (
        clinic.client.post(
            _url(world), json=reading(device_seq=1), headers=world.device()
        ).status_code
        == 201
    )
    limit_min = DEFAULT_RULES.expected_interval_min * DEFAULT_RULES.silent_intervals
    assert check(limit_min - 1) == []
    raised = check(limit_min + 1)
    assert [(a.code, a.kind, a.priority) for a in raised] == [
        ("feed-silent", "technical", "medium")
    ]
    assert raised[0].limit_value == limit_min
    assert check(limit_min + 5) == []  # raised once, not every check
    assert (
        clinic.client.post(
            _url(world), json=reading(device_seq=2), headers=world.device()
        ).status_code
        == 201
    )
    with Session(clinic.engine) as db:
        row = db.get(Alert, raised[0].id)
        assert row is not None
        assert row.cleared_at is not None


def test_a_long_session_lists_its_newest_readings_oldest_first(
    clinic: Clinic, world: World
) -> None:
    """Past the list's limit the monitor must still see the latest reading (it once got the
    first 500 and froze after 42 minutes of 5-s readings)."""
    import uuid

    from ketaclinic.clinic.services import readings as readings_service
    from ketaclinic.clinic.services.context import Ctx, Principal

    t0 = datetime.now(UTC) - timedelta(minutes=10)
    for k in range(6):
        at = (t0 + timedelta(minutes=k)).isoformat()
        body = reading(device_seq=k + 1, measured_at=at, hr_per_min=60 + k)
        assert clinic.client.post(_url(world), json=body, headers=world.device()).status_code == 201
    who = Principal(kind="user", id=clinic.users["nurse"], role="nurse", name="nurse")
    with Session(clinic.engine) as db:
        ctx = Ctx(db=db, principal=who, audit_key=SECRET.encode(), node_id="test", ip=None,
                  clock=lambda: datetime.now(UTC))  # fmt: skip
        rows = readings_service.list_readings(ctx, uuid.UUID(world.session_id), limit=4)
        assert [r.hr_per_min for r in rows] == [62, 63, 64, 65]
    listed = clinic.client.get(_url(world), headers=clinic.as_("nurse")).json()
    assert [r["hr_per_min"] for r in listed] == [60, 61, 62, 63, 64, 65]
