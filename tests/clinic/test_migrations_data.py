"""Migrations on a database that holds a clinic (regression: issue 4, migration 0003's
batch rebuild of treatment_sessions failed with "FOREIGN KEY constraint failed" on SQLite
as soon as readings or alerts referenced a session)."""

from __future__ import annotations

from pathlib import Path

import pytest
from alembic.script import ScriptDirectory
from sqlalchemy import text

from ketaclinic.clinic import audit, migrate
from ketaclinic.clinic.db import make_engine, make_sessionmaker
from tests.clinic.conftest import SECRET, Clinic, patient_body
from tests.clinic.world import build_world, ok, reading

CORE_TABLES = ("patients", "treatment_sessions", "vital_readings", "alerts", "audit_log")


def _chain() -> list[str]:
    """Every shipped revision, oldest first (whatever exists at head)."""
    script = ScriptDirectory.from_config(migrate.alembic_config())
    return [rev.revision for rev in reversed(list(script.walk_revisions()))]


def _counts(c: Clinic) -> dict[str, int]:
    with c.engine.connect() as conn:
        return {
            t: conn.execute(text(f"SELECT count(*) FROM {t}")).scalar_one() for t in CORE_TABLES
        }


def _verify(c: Clinic) -> audit.VerifyReport:
    with make_sessionmaker(c.engine)() as db:
        return audit.verify(db, key=SECRET.encode())


def _seed(c: Clinic) -> None:
    world = build_world(c)
    nurse = c.as_("nurse")
    for _ in range(3):
        ok(c.client.post("/api/v1/patients", json=patient_body(), headers=nurse), 201)
    for seq, spo2 in enumerate((97, 87, 97, 86)):
        body = reading(spo2_pct=spo2, device_seq=seq + 1)
        r = c.client.post(
            f"/api/v1/sessions/{world.session_id}/readings", json=body, headers=world.device()
        )
        assert r.status_code in (200, 201), r.text


def test_down_and_up_through_every_revision_keeps_the_clinic(clinic: Clinic) -> None:
    _seed(clinic)
    before = _counts(clinic)
    assert all(n > 0 for n in before.values()), before
    assert _verify(clinic).ok
    chain = _chain()
    assert chain[-1] == migrate.head_revision()
    for rev in reversed(chain[:-1]):  # head-1 down to 0001, one step at a time
        migrate.downgrade(clinic.engine, rev)
        assert migrate.current_revision(clinic.engine) == rev
        assert _counts(clinic) == before, rev
    for rev in chain[1:]:  # back up, one step at a time (0003 rebuilds treatment_sessions)
        migrate.upgrade(clinic.engine, rev)
        assert _counts(clinic) == before, rev
    assert migrate.current_revision(clinic.engine) == migrate.head_revision()
    migrate.downgrade(clinic.engine, chain[0])
    migrate.upgrade(clinic.engine)
    assert _counts(clinic) == before
    report = _verify(clinic)
    assert report.ok, report.problems
    assert report.checked == before["audit_log"]
    with clinic.engine.connect() as conn:  # the service keeps working on the migrated file
        if conn.dialect.name == "sqlite":
            assert conn.exec_driver_sql("PRAGMA foreign_key_check").all() == []
    r = clinic.client.post("/api/v1/patients", json=patient_body(), headers=clinic.as_("nurse"))
    assert r.status_code == 201, r.text


def test_sqlite_migration_refuses_to_commit_dangling_rows(tmp_path: Path) -> None:
    """Foreign keys are off while migrating on SQLite; ``PRAGMA foreign_key_check`` before
    COMMIT refuses a result with dangling references and nothing is changed."""
    eng = make_engine(f"sqlite:///{tmp_path / 'dangling.db'}")
    try:
        chain = _chain()
        migrate.upgrade(eng, chain[-2])
        with eng.connect() as conn:
            raw = conn.connection.dbapi_connection
            assert raw is not None
            raw.execute("PRAGMA foreign_keys = OFF")
            raw.execute(
                "INSERT INTO alerts (id, session_id, code, condition, kind, priority, message, "
                "source, raised_at, created_at) VALUES ('a1', 'no-such-session', 'c', 'c', "
                "'vital', 'high', 'm', 's', '2026-01-01 00:00:00', '2026-01-01 00:00:00')"
            )
            raw.execute("PRAGMA foreign_keys = ON")
        with pytest.raises(
            migrate.MigrationIntegrityError, match="alerts rowid 1 -> treatment_sessions"
        ):
            migrate.upgrade(eng)
        assert migrate.current_revision(eng) == chain[-2]
        with eng.connect() as conn:  # enforcement is back on for the pool's connection
            assert conn.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
    finally:
        eng.dispose()
