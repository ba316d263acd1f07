"""Repeated reads are recorded once per window (clinic/audit_reads.py); nothing else is."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from ketaclinic.clinic import audit
from ketaclinic.clinic.audit_reads import ReadLog
from ketaclinic.clinic.db import make_sessionmaker
from ketaclinic.clinic.settings import Settings
from ketaclinic.clinic.tables import AuditRecord
from tests.clinic.calls_breakglass import open_grant
from tests.clinic.conftest import SECRET, Clinic, running_clinic
from tests.clinic.world import World, build_world

P = "/api/v1"


def _events(c: Clinic, event_type: str) -> list[AuditRecord]:
    with Session(c.engine) as db:
        q = select(AuditRecord).where(AuditRecord.event_type == event_type)
        return list(db.scalars(q.order_by(AuditRecord.seq)))


def _poll(c: Clinic, w: World, role: str, times: int) -> None:
    for _ in range(times):
        for what in ("readings", "alerts"):
            r = c.client.get(f"{P}/sessions/{w.session_id}/{what}", headers=c.as_(role))
            assert r.status_code == 200, r.text


def test_a_polling_monitor_writes_one_record_per_window(clinic: Clinic, world: World) -> None:
    """The monitor's once-a-second polls: 30 polls, one record each of readings and alerts;
    the first poll after the 300-s window writes again, as does another user."""
    c, w = clinic, world
    assert c.settings.audit_read_window_s == 300.0
    _poll(c, w, "nurse", 30)
    assert len(_events(c, "reading.list")) == 1
    assert len(_events(c, "alert.list")) == 1
    c.clock.offset += timedelta(seconds=299)
    _poll(c, w, "nurse", 1)
    assert len(_events(c, "reading.list")) == 1
    c.clock.offset += timedelta(seconds=2)  # 301 s after the first record
    _poll(c, w, "nurse", 3)
    assert len(_events(c, "reading.list")) == 2
    _poll(c, w, "prescriber", 2)  # another user is another record
    recs = _events(c, "reading.list")
    assert [r.role for r in recs] == ["nurse", "nurse", "prescriber"]
    assert all(r.patient_id == w.patient_id and r.outcome == 0 for r in recs)
    assert audit.verify(Session(c.engine), key=SECRET.encode()).ok


def test_writes_are_never_coalesced(clinic: Clinic, world: World) -> None:
    c, w = clinic, world
    body = {"measured_at": datetime.now(UTC).isoformat(), "weight_kg": 70.0}
    url = f"{P}/patients/{w.patient_id}/measurements"
    before = len(_events(c, "patient.measurement.create"))
    for _ in range(3):
        r = c.client.post(url, json=body, headers=c.as_("nurse"))
        assert r.status_code == 201, r.text
    assert len(_events(c, "patient.measurement.create")) == before + 3


def test_every_break_glass_read_is_recorded(clinic: Clinic, world: World) -> None:
    """Emergency access is reviewed access by access (docs/clinic.md, Break-glass)."""
    c, w, desk = clinic, world, clinic.as_("front_desk")
    assert open_grant(c, w, desk).status_code == 201
    url = f"{P}/sessions/{w.session_id}/readings"
    for _ in range(4):
        assert c.client.get(url, headers=desk).status_code == 200
    high = [r for r in _events(c, "breakglass.access") if "event=reading.list" in r.resource_ref]
    assert len(high) == 4
    own = [r for r in _events(c, "reading.list") if r.role == "front_desk"]
    assert len(own) == 4


@pytest.fixture
def every_read(settings: Settings, engine: Engine) -> Iterator[Clinic]:
    """A clinic with KETACLINIC_AUDIT_READ_WINDOW_S=0: every read recorded."""
    with running_clinic(settings.model_copy(update={"audit_read_window_s": 0.0}), engine) as c:
        assert c.client.app.state.audit_reads is None
        yield c


def test_window_zero_records_every_read(every_read: Clinic) -> None:
    c = every_read
    w = build_world(c)
    _poll(c, w, "nurse", 5)
    assert len(_events(c, "reading.list")) == 5


def test_a_rolled_back_read_does_not_hold_back_the_next(engine: Engine) -> None:
    log = ReadLog(300)
    factory = make_sessionmaker(engine)
    log.install(factory)
    key = ("user", "u1", "10.0.0.1", "reading.list", "TreatmentSession/s1/readings", "p1")
    now = datetime(2026, 11, 28, 12, 0, tzinfo=UTC)
    with factory() as db:
        log.stage(db, key, now)
        db.rollback()
    assert not log.recorded_recently(key, now + timedelta(seconds=1))
    with factory() as db:
        log.stage(db, key, now)
        db.commit()
    assert log.recorded_recently(key, now + timedelta(seconds=299.9))
    assert not log.recorded_recently(key, now + timedelta(seconds=300))
    assert not log.recorded_recently(key, now - timedelta(seconds=1))  # clock went back
    other = (*key[:2], "10.0.0.2", *key[3:])  # the same user from another address
    assert not log.recorded_recently(other, now + timedelta(seconds=1))


def test_memory_stays_bounded(engine: Engine) -> None:
    log = ReadLog(60, max_keys=100)
    factory = make_sessionmaker(engine)
    log.install(factory)
    t0 = datetime(2026, 11, 28, 12, 0, tzinfo=UTC)
    for i in range(1000):
        with factory() as db:
            log.stage(db, ("user", str(i), None, "x.read", None, None), t0 + timedelta(seconds=i))
            db.commit()
    assert len(log._last) <= 100
    # the most recent read is still remembered
    last = ("user", "999", None, "x.read", None, None)
    assert log.recorded_recently(last, t0 + timedelta(seconds=999))


@pytest.mark.parametrize("bad", [0, -1.0, float("nan")])
def test_window_must_be_positive(bad: float) -> None:
    with pytest.raises(ValueError, match="window_s must be > 0 s"):
        ReadLog(bad)


def test_a_savepoint_release_is_not_the_commit(engine: Engine) -> None:
    """SQLAlchemy fires after_commit for a released savepoint too; only the outermost
    commit makes a read count as recorded (the outer transaction may still roll back)."""
    log = ReadLog(300)
    factory = make_sessionmaker(engine)
    log.install(factory)
    key = ("user", "u2", None, "reading.list", "TreatmentSession/s2/readings", "p2")
    now = datetime(2026, 11, 28, 12, 0, tzinfo=UTC)
    with factory() as db:
        db.begin()
        with db.begin_nested():
            log.stage(db, key, now)
        assert not log.recorded_recently(key, now)
        db.rollback()
    assert not log.recorded_recently(key, now)
    with factory() as db:
        db.begin()
        with db.begin_nested():
            log.stage(db, key, now)
        db.commit()
    assert log.recorded_recently(key, now)
