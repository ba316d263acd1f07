"""Settings, engine, migrations (up and down on both engines), app factory, error shape."""

from __future__ import annotations

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from fastapi import APIRouter
from pydantic import ValidationError
from sqlalchemy import Engine, inspect, text

from ketaclinic.clinic import migrate
from ketaclinic.clinic.db import make_engine
from ketaclinic.clinic.settings import Settings
from ketaclinic.clinic.tables import Base
from tests.clinic.conftest import SECRET, Clinic, assert_error, patient_body


@pytest.mark.parametrize(
    "secret",
    ["change-me", "changeme-changeme-changeme-changeme", "secret", "x" * 40, "short-key-1"],
)
def test_settings_refuse_placeholder_or_weak_secrets(secret: str) -> None:
    with pytest.raises(ValidationError, match="secret_key"):
        Settings(secret_key=secret)


def test_settings_from_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("KETACLINIC_SECRET_KEY", SECRET)
    monkeypatch.setenv("KETACLINIC_DATABASE_URL", "sqlite:///elsewhere.db")
    monkeypatch.setenv("KETACLINIC_SESSION_IDLE_MIN", "15")
    s = Settings()  # type: ignore[call-arg]
    assert s.database_url == "sqlite:///elsewhere.db"
    assert s.session_idle_min == 15.0
    # the standard profile is the ASVS 5.0.0 Appendix C minimum t=2, m=19 MiB, p=1
    assert s.argon2_params == (2, 19 * 1024, 1)


def test_sqlite_pragmas(tmp_path: object) -> None:
    eng = make_engine(f"sqlite:///{tmp_path}/p.db", busy_timeout_ms=1234)
    with eng.connect() as conn:
        assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
        assert conn.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
        assert conn.exec_driver_sql("PRAGMA busy_timeout").scalar() == 1234
        assert conn.exec_driver_sql("PRAGMA synchronous").scalar() == 2  # FULL
    eng.dispose()


def test_nothing_created_at_import_or_engine_creation(tmp_path: object) -> None:
    eng = make_engine(f"sqlite:///{tmp_path}/empty.db")
    assert inspect(eng).get_table_names() == []
    eng.dispose()


def test_migration_matches_tables_and_goes_down_and_up(db_url: str) -> None:
    eng = make_engine(db_url)
    try:
        assert migrate.current_revision(eng) is None
        migrate.upgrade(eng)
        assert migrate.current_revision(eng) == migrate.head_revision()
        with eng.connect() as conn:
            diffs = compare_metadata(MigrationContext.configure(conn), Base.metadata)
        assert diffs == []
        migrate.downgrade(eng, "base")
        assert set(inspect(eng).get_table_names()) <= {"alembic_version"}
        migrate.upgrade(eng)
        assert set(Base.metadata.tables) <= set(inspect(eng).get_table_names())
        with eng.connect() as conn:
            assert conn.execute(text("SELECT seq FROM audit_head")).scalar() == 0
    finally:
        eng.dispose()


def test_foreign_keys_enforced(engine: Engine) -> None:
    import uuid

    from sqlalchemy.exc import IntegrityError
    from sqlalchemy.orm import Session

    from ketaclinic.clinic.tables import Chair

    with Session(engine) as db:
        db.add(Chair(location_id=uuid.uuid4(), label="orphan"))
        with pytest.raises(IntegrityError):
            db.commit()


def test_openapi_at_docs(clinic: Clinic) -> None:
    assert clinic.client.get("/docs").status_code == 200
    spec = clinic.client.get("/openapi.json").json()
    assert all(p.startswith("/api/v1/") for p in spec["paths"])


# -- one JSON error shape on every error path ---------------------------------------------


def test_error_404_unknown_route_and_unknown_record(clinic: Clinic) -> None:
    assert_error(clinic.client.get("/api/v1/nope"), 404)
    r = clinic.client.get(
        "/api/v1/patients/00000000-0000-4000-8000-000000000000", headers=clinic.as_("nurse")
    )
    err = assert_error(r, 404, field="id")
    assert "does not exist" in err["message"]


def test_error_405(clinic: Clinic) -> None:
    r = clinic.client.delete("/api/v1/patients", headers=clinic.as_("nurse"))
    assert_error(r, 405)
    assert "DELETE" not in r.headers["allow"]


def test_error_422_names_field_and_limit(clinic: Clinic) -> None:
    r = clinic.client.post(
        "/api/v1/patients", json=patient_body(mrn="bad mrn!"), headers=clinic.as_("nurse")
    )
    err = assert_error(r, 422, field="body.mrn")
    assert "^[A-Za-z0-9-]+$" in err["limit"]


def test_error_422_malformed_json(clinic: Clinic) -> None:
    r = clinic.client.post(
        "/api/v1/patients",
        content=b'{"mrn": ',
        headers={**clinic.as_("nurse"), "content-type": "application/json"},
    )
    err = assert_error(r, 422)
    assert "malformed JSON" in err["message"]


def test_error_422_extra_field_refused(clinic: Clinic) -> None:
    r = clinic.client.post(
        "/api/v1/patients", json=patient_body(version=7), headers=clinic.as_("nurse")
    )
    assert_error(r, 422, field="body.version")


def test_error_401_and_403(clinic: Clinic) -> None:
    r = clinic.client.get("/api/v1/patients")
    assert_error(r, 401)
    assert r.headers["www-authenticate"] == "Bearer"
    assert_error(
        clinic.client.get("/api/v1/patients", headers={"Authorization": "Bearer kcs_forged"}), 401
    )
    assert_error(clinic.client.get("/api/v1/patients", headers=clinic.as_("auditor")), 403)


def test_error_409_duplicate(clinic: Clinic) -> None:
    body = patient_body()
    assert (
        clinic.client.post("/api/v1/patients", json=body, headers=clinic.as_("nurse")).status_code
        == 201
    )
    r = clinic.client.post("/api/v1/patients", json=body, headers=clinic.as_("nurse"))
    assert_error(r, 409, field="body.mrn")


def test_error_412_and_428(clinic: Clinic) -> None:
    h = clinic.as_("front_desk")
    pid = clinic.client.post("/api/v1/patients", json=patient_body(), headers=h).json()["id"]
    url = f"/api/v1/patients/{pid}"
    assert_error(
        clinic.client.patch(url, json={"given_name": "B"}, headers=h), 428, field="If-Match"
    )
    r = clinic.client.patch(url, json={"given_name": "B"}, headers={**h, "If-Match": '"99"'})
    err = assert_error(r, 412, field="If-Match")
    assert err["limit"] == '"1"'


def test_error_500_is_generic(clinic: Clinic) -> None:
    router = APIRouter()

    @router.get("/api/v1/_boom")
    def boom() -> None:
        raise RuntimeError("secret internals")

    clinic.client.app.include_router(router)  # type: ignore[attr-defined]
    r = clinic.client.get("/api/v1/_boom")
    err = assert_error(r, 500)
    assert "secret internals" not in r.text
    assert err["code"] == "internal_error"


def test_sqlite_writers_queue_instead_of_failing(tmp_path: object) -> None:
    """Many threads writing at once: every commit lands, none gets "database is locked",
    and a failed transaction releases the writer for the next one."""
    import threading

    from sqlalchemy.exc import IntegrityError
    from sqlalchemy.orm import Session

    from ketaclinic.clinic.tables import Location

    eng = make_engine(f"sqlite:///{tmp_path}/w.db", busy_timeout_ms=30_000)
    migrate.upgrade(eng)
    errors: list[BaseException] = []
    barrier = threading.Barrier(8)

    def writer(k: int) -> None:
        barrier.wait()
        try:
            for i in range(15):
                with Session(eng) as db:
                    db.add(Location(name=f"site {k}-{i}"))
                    db.commit()
                with Session(eng) as db:  # a duplicate: rolled back, must not block others
                    db.add(Location(name=f"site {k}-{i}"))
                    try:
                        db.commit()
                    except IntegrityError:
                        db.rollback()
        except BaseException as exc:  # pragma: no cover - reported below
            errors.append(exc)

    threads = [threading.Thread(target=writer, args=(k,)) for k in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    with Session(eng) as db:
        assert db.query(Location).count() == 8 * 15
    eng.dispose()
