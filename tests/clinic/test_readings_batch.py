"""Batch upload of chair-monitor readings: idempotency per reading, all-or-nothing, audit."""

from __future__ import annotations

import hashlib
import threading
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from ketaclinic.clinic.schemas_readings_batch import MAX_BATCH_READINGS
from ketaclinic.clinic.tables import Alert, AuditRecord, VitalReading
from tests.clinic.conftest import Clinic, assert_error
from tests.clinic.world import World


def _url(w: World) -> str:
    return f"/api/v1/sessions/{w.session_id}/readings/batch"


def _count(clinic: Clinic) -> int:
    with Session(clinic.engine) as db:
        return db.scalar(select(func.count()).select_from(VitalReading)) or 0


#: One fixed start, so a batch built twice carries the same bodies (same measured_at).
T0 = datetime.now(UTC) - timedelta(minutes=10)


def _batch(seqs: range | list[int], **values: Any) -> dict[str, Any]:
    t0 = T0
    readings = [
        {
            "measured_at": (t0 + timedelta(seconds=seq)).isoformat(),
            "device_seq": seq,
            "sbp_mmhg": 120,
            "dbp_mmhg": 80,
            "hr_per_min": 60 + seq % 20,
            **values,
        }
        for seq in seqs
    ]
    return {"readings": readings}


def _audit(clinic: Clinic, event_type: str) -> list[AuditRecord]:
    with Session(clinic.engine) as db:
        stmt = select(AuditRecord).where(AuditRecord.event_type == event_type)
        return list(db.scalars(stmt.order_by(AuditRecord.seq)))


def test_batch_is_stored_with_one_audit_record(clinic: Clinic, world: World) -> None:
    r = clinic.client.post(_url(world), json=_batch(range(1, 51)), headers=world.device())
    assert r.status_code == 201, r.text
    out = r.json()
    assert (out["created"], out["replayed"]) == (50, 0)
    assert [it["device_seq"] for it in out["items"]] == list(range(1, 51))
    assert [it["index"] for it in out["items"]] == list(range(50))
    assert _count(clinic) == 50
    with Session(clinic.engine) as db:
        stored = {
            r.device_seq: (r.id, r.hr_per_min, r.source) for r in db.scalars(select(VitalReading))
        }
    for it in out["items"]:
        rid, hr, source = stored[it["device_seq"]]
        assert str(rid) == it["id"]
        assert hr == 60 + it["device_seq"] % 20
        assert source == "device"
    records = _audit(clinic, "reading.batch")
    assert len(records) == 1
    ids = ",".join(it["id"] for it in out["items"])
    ref = records[0].resource_ref or ""
    assert ref.startswith(f"VitalReading/{out['items'][0]['id']}..{out['items'][-1]['id']}")
    assert ref.endswith(f";n=50;ids-sha256={hashlib.sha256(ids.encode()).hexdigest()}")
    assert records[0].action == "C"
    assert records[0].patient_id == str(world.patient_id)


def test_retry_returns_the_first_ids(clinic: Clinic, world: World) -> None:
    body = _batch(range(10, 20))
    first = clinic.client.post(_url(world), json=body, headers=world.device())
    again = clinic.client.post(_url(world), json=body, headers=world.device())
    assert first.status_code == 201
    assert again.status_code == 200
    assert again.json()["created"] == 0
    assert [it["id"] for it in again.json()["items"]] == [it["id"] for it in first.json()["items"]]
    assert not any(it["created"] for it in again.json()["items"])
    assert _count(clinic) == 10
    assert len(_audit(clinic, "reading.batch.replay")) == 1


def test_partial_overlap_stores_only_the_new_numbers(clinic: Clinic, world: World) -> None:
    first = clinic.client.post(_url(world), json=_batch(range(1, 6)), headers=world.device())
    old = {it["device_seq"]: it["id"] for it in first.json()["items"]}
    r = clinic.client.post(_url(world), json=_batch(range(3, 9)), headers=world.device())
    assert r.status_code == 201
    items = r.json()["items"]
    assert [it["created"] for it in items] == [False, False, False, True, True, True]
    for it in items[:3]:
        assert it["id"] == old[it["device_seq"]]
    assert (r.json()["created"], r.json()["replayed"]) == (3, 3)
    assert _count(clinic) == 8


def test_changed_body_for_a_stored_number_is_409_and_nothing_stored(
    clinic: Clinic, world: World
) -> None:
    clinic.client.post(_url(world), json=_batch(range(1, 4)), headers=world.device())
    body = _batch(range(1, 7))
    body["readings"][2]["hr_per_min"] = 99  # seq 3 was stored with 63
    assert_error(
        clinic.client.post(_url(world), json=body, headers=world.device()),
        409,
        field="body.readings.2.device_seq",
    )
    assert _count(clinic) == 3


def test_bad_reading_is_422_naming_index_and_limit(clinic: Clinic, world: World) -> None:
    body = _batch(range(1, 11))
    body["readings"][7]["dbp_mmhg"] = 130  # above systolic 120: a cross-field domain rule
    err = assert_error(clinic.client.post(_url(world), json=body, headers=world.device()), 422)
    assert err["field"] == "body.readings.7.dbp_mmhg", err
    assert err["limit"], err
    assert "readings[7]" in err["message"]
    body = _batch(range(1, 11))
    body["readings"][4]["hr_per_min"] = 400  # outside the physiological range
    err = assert_error(clinic.client.post(_url(world), json=body, headers=world.device()), 422)
    assert err["field"] == "body.readings.4.hr_per_min", err
    assert err["limit"] == "<= 300.0", err
    body = _batch(range(1, 4))
    del body["readings"][1]["device_seq"]
    assert_error(
        clinic.client.post(_url(world), json=body, headers=world.device()),
        422,
        field="body.readings.1.device_seq",
    )
    body = _batch([1, 2, 1])
    assert_error(
        clinic.client.post(_url(world), json=body, headers=world.device()),
        422,
        field="body.readings.2.device_seq",
    )
    body = _batch(range(1, 6))  # a device clock 10 min ahead (the limit is 5 min)
    body["readings"][3]["measured_at"] = (datetime.now(UTC) + timedelta(minutes=10)).isoformat()
    err = assert_error(clinic.client.post(_url(world), json=body, headers=world.device()), 422)
    assert err["field"] == "body.readings.3.measured_at", err
    assert err["message"].startswith("readings[3]: measured_at is more than 0:05:00 ahead"), err
    assert err["limit"] == "<= server time + 0:05:00", err
    too_many = _batch(range(MAX_BATCH_READINGS + 1))
    assert_error(clinic.client.post(_url(world), json=too_many, headers=world.device()), 422)
    assert _count(clinic) == 0


def test_wrong_chair_and_staff_are_refused(clinic: Clinic, world: World) -> None:
    r = clinic.client.post(_url(world), json=_batch(range(1, 3)), headers=world.device(other=True))
    assert_error(r, 403)
    assert "another chair" in r.json()["error"]["message"]
    r = clinic.client.post(_url(world), json=_batch(range(1, 3)), headers=clinic.as_("nurse"))
    assert_error(r, 403)
    assert _count(clinic) == 0
    assert len(_audit(clinic, "authz.denied")) == 2


def test_alerts_are_evaluated_in_order(clinic: Clinic, world: World) -> None:
    body = _batch(range(1, 4))
    body["readings"][1]["spo2_pct"] = 84  # desaturation at seq 2
    r = clinic.client.post(_url(world), json=body, headers=world.device())
    items = r.json()["items"]
    assert [len(it["alerts"]) > 0 for it in items] == [False, True, False]
    with Session(clinic.engine) as db:
        rows = list(db.scalars(select(Alert)))
    assert {str(a.reading_id) for a in rows} == {items[1]["id"]}


def test_concurrent_duplicate_batches_stored_exactly_once(clinic: Clinic, world: World) -> None:
    n = 5
    body = _batch(range(100, 140))
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
    assert sorted(r.status_code for r in results) == [200] * (n - 1) + [201], [
        r.text for r in results
    ]
    ids = {tuple(it["id"] for it in r.json()["items"]) for r in results}
    assert len(ids) == 1
    assert sum(r.json()["created"] for r in results) == 40
    assert _count(clinic) == 40


def test_lookup_and_validation_run_outside_the_writer_lock(clinic: Clinic, world: World) -> None:
    """On SQLite, token lookup, session lookup and validation need no writer lock: while
    another transaction holds it, a bad batch is still refused (422) at once; before, the
    request queued for the lock and failed with "database is locked" after the timeout."""
    if clinic.engine.dialect.name != "sqlite":
        pytest.skip("the writer lock is SQLite's")
    holding, done = threading.Event(), threading.Event()

    def holder() -> None:
        with Session(clinic.engine) as db:
            db.execute(select(func.count()).select_from(VitalReading))  # BEGIN IMMEDIATE
            holding.set()
            done.wait(timeout=60)
            db.rollback()

    thread = threading.Thread(target=holder)
    thread.start()
    try:
        assert holding.wait(timeout=60)
        bad = _batch([1, 2, 2])  # refused by the service's own validation
        r = clinic.client.post(_url(world), json=bad, headers=world.device())
        still_held = not done.is_set() and thread.is_alive()
    finally:
        done.set()
        thread.join()
    assert_error(r, 422, field="body.readings.2.device_seq")
    assert still_held
    r = clinic.client.post(_url(world), json=_batch(range(1, 4)), headers=world.device())
    assert r.status_code == 201, r.text
    assert _count(clinic) == 3
