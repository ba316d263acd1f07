"""The faster ingestion and dashboard paths (issue 4 speed) keep their semantics: alerts
raised and cleared inside one batch and across batches, the dashboard's latest reading
per session, and the SQLite WAL checkpointer that runs with the app."""

from __future__ import annotations

import json
import threading
import time
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from ketaclinic.clinic.tables import Alert, VitalReading
from tests.clinic.conftest import Clinic
from tests.clinic.world import World

T0 = datetime.now(UTC) - timedelta(minutes=30)


def _reading(seq: int, **values: Any) -> dict[str, Any]:
    body = {
        "measured_at": (T0 + timedelta(seconds=seq)).isoformat(),
        "device_seq": seq,
        "sbp_mmhg": 120,
        "dbp_mmhg": 80,
        "spo2_pct": 97,
    }
    body.update(values)
    return body


def _post(clinic: Clinic, world: World, readings: list[dict[str, Any]]) -> dict[str, Any]:
    url = f"/api/v1/sessions/{world.session_id}/readings/batch"
    r = clinic.client.post(url, json={"readings": readings}, headers=world.device())
    assert r.status_code in (200, 201), r.text
    out: dict[str, Any] = r.json()
    return out


def _alerts(clinic: Clinic) -> list[Alert]:
    with Session(clinic.engine) as db:
        return list(db.scalars(select(Alert).order_by(Alert.raised_at)))


def test_alert_raised_and_cleared_inside_one_batch(clinic: Clinic, world: World) -> None:
    out = _post(clinic, world, [_reading(1, spo2_pct=84), _reading(2), _reading(3)])
    assert [len(it["alerts"]) for it in out["items"]] == [1, 0, 0]
    raised = out["items"][0]["alerts"][0]
    assert (raised["priority"], raised["field"], raised["value"]) == ("high", "spo2_pct", 84)
    (row,) = _alerts(clinic)
    assert str(row.reading_id) == out["items"][0]["id"]
    assert row.cleared_at is not None  # ended by seq 2 of the same batch, and so replied
    assert datetime.fromisoformat(raised["cleared_at"]) == row.cleared_at


def test_alert_open_across_batches_is_cleared_by_a_later_batch(
    clinic: Clinic, world: World
) -> None:
    first = _post(clinic, world, [_reading(1), _reading(2, hr_per_min=130)])
    assert [len(it["alerts"]) for it in first["items"]] == [0, 1]
    (row,) = _alerts(clinic)
    assert row.cleared_at is None  # still open after its batch
    _post(clinic, world, [_reading(3, hr_per_min=131), _reading(4, spo2_pct=96)])
    (row,) = _alerts(clinic)
    assert row.cleared_at is None  # HR not re-measured within limits yet
    _post(clinic, world, [_reading(5, hr_per_min=80)])
    (row,) = _alerts(clinic)
    assert row.cleared_at is not None
    # escalation inside a batch: the low HR alert ends, the medium one is raised
    out = _post(clinic, world, [_reading(6, hr_per_min=112), _reading(7, hr_per_min=125)])
    assert [[a["priority"] for a in it["alerts"]] for it in out["items"]] == [["low"], ["medium"]]
    rows = {(a.priority, a.cleared_at is None) for a in _alerts(clinic)[1:]}
    assert rows == {("low", False), ("medium", True)}


def test_dashboard_shows_the_latest_reading_per_session(clinic: Clinic, world: World) -> None:
    def dashboard() -> dict[str, Any]:
        r = clinic.client.get("/api/v1/ui/dashboard", headers=clinic.as_("nurse"))
        assert r.status_code == 200, r.text
        assert r.headers["content-type"] == "application/json"
        return {s["id"]: s for s in r.json()["sessions"]}

    assert dashboard()[world.session_id]["last_reading_at"] is None
    _post(clinic, world, [_reading(5), _reading(2), _reading(9)])  # not in time order
    with Session(clinic.engine) as db:
        latest = max(db.scalars(select(VitalReading.measured_at)))
    got = datetime.fromisoformat(dashboard()[world.session_id]["last_reading_at"])
    assert got == latest == T0 + timedelta(seconds=9)


def test_wal_checkpointer_runs_with_the_app_on_sqlite(clinic: Clinic, world: World) -> None:
    checkpointer = clinic.client.app.state.wal_checkpointer  # type: ignore[attr-defined]
    if clinic.engine.dialect.name != "sqlite":
        assert checkpointer.path is None  # nothing to checkpoint on PostgreSQL
        return
    assert checkpointer.path is not None
    _post(clinic, world, [_reading(seq) for seq in range(1, 51)])
    before = checkpointer.checkpoints
    deadline = time.monotonic() + 30
    while checkpointer.checkpoints <= before and time.monotonic() < deadline:
        time.sleep(0.05)
    assert checkpointer.checkpoints > before


def test_batch_payload_hashes_equal_the_single_reading_hash() -> None:
    """One pydantic dump for the batch gives the digest ``readings._payload_hash`` stores
    for a single reading (else a retry across the two endpoints would be a 409)."""
    from ketaclinic.clinic.schemas_readings_batch import ReadingBatchCreate
    from ketaclinic.clinic.services.readings import _payload_hash
    from ketaclinic.clinic.services.readings_batch import payload_hashes

    odd = [0.1 + 0.2, 1e-05, 100, 99.99999999999999, 36.6, 0, 12.5]
    readings = [
        {
            "measured_at": (T0 + timedelta(seconds=k, microseconds=k * 7)).isoformat(),
            "device_seq": 2**40 + k,
            "spo2_pct": odd[k % len(odd)],
            **({"sbp_mmhg": 120.5, "dbp_mmhg": 80} if k % 2 else {"temp_c": 36.6}),
        }
        for k in range(20)
    ]
    batch = ReadingBatchCreate.model_validate_json(json.dumps({"readings": readings}))
    assert payload_hashes(batch) == [_payload_hash(r) for r in batch.readings]


def test_silent_feed_scan_does_not_take_the_writer_lock(clinic: Clinic, world: World) -> None:
    """The watchdog's scan reads (SQLite: a deferred transaction); while another
    connection holds the writer lock, a scan that finds nothing silent returns at once.
    Before, the scan was a write transaction: it queued behind the lock (and, in the
    server, every chair's batch queued behind the scan)."""
    from ketaclinic.clinic.services.watchdog import check_silent_feeds
    from tests.clinic.conftest import SECRET

    if clinic.engine.dialect.name != "sqlite":
        pytest.skip("the writer lock is SQLite's")
    _post(clinic, world, [_reading(1)])
    holding, done = threading.Event(), threading.Event()

    def holder() -> None:
        with Session(clinic.engine) as db:
            db.execute(select(VitalReading.id).limit(1))  # BEGIN IMMEDIATE: the writer lock
            holding.set()
            done.wait(timeout=60)
            db.rollback()

    thread = threading.Thread(target=holder)
    thread.start()
    try:
        assert holding.wait(timeout=60)
        with Session(clinic.engine) as db:
            now = datetime.now(UTC)
            raised = check_silent_feeds(db, now=now, audit_key=SECRET.encode(), node_id="t")
        still_held = not done.is_set() and thread.is_alive()
    finally:
        done.set()
        thread.join()
    assert raised == []
    assert still_held
