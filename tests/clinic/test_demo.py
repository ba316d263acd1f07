"""The demo clinic (issue 4): its courses carry a signed consent to the clinic's published
form, so a session on a demo course starts (regression: it got 409 consent_required), and
`ketaclinic serve --demo` twice on one database neither duplicates nor crashes."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select, text
from sqlalchemy.orm import Session

from ketaclinic.cli.app import main
from ketaclinic.clinic.api import create_app
from ketaclinic.clinic.db import make_engine
from ketaclinic.clinic.services.demo import DEMO_CONSENT_FORM
from ketaclinic.clinic.settings import Settings
from ketaclinic.clinic.tables import Chair, TreatmentCourse, TreatmentSession
from ketaclinic.clinic.tables_screening import ConsentForm, ConsentRecord
from tests.clinic.conftest import SECRET

COUNTED = (
    "staff_users",
    "patients",
    "treatment_courses",
    "treatment_sessions",
    "vital_readings",
    "consent_forms",
    "consents",
    "audit_log",
)


def _counts(db_url: str) -> dict[str, int]:
    eng = make_engine(db_url)
    try:
        with eng.connect() as conn:
            return {
                t: conn.execute(text(f"SELECT count(*) FROM {t}")).scalar_one() for t in COUNTED
            }
    finally:
        eng.dispose()


def test_demo_courses_have_consent_and_a_new_session_starts(
    db_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("KETACLINIC_SECRET_KEY", SECRET)
    creds = tmp_path / "demo.json"
    assert main(["demo-seed", "--database-url", db_url, "--credentials-file", str(creds)]) == 0
    logins = json.loads(creds.read_text())["logins"]
    eng = make_engine(db_url)
    with Session(eng) as db:
        forms = list(db.scalars(select(ConsentForm)))
        form_id, title = DEMO_CONSENT_FORM
        assert [(f.form_id, f.version, f.title) for f in forms] == [(form_id, 1, title)]
        courses = list(db.scalars(select(TreatmentCourse)))
        assert len(courses) == 12
        records = list(db.scalars(select(ConsentRecord)))
        assert sorted(r.course_id for r in records) == sorted(c.id for c in courses)
        assert all(r.form_version == 1 for r in records)
        busy = set(
            db.scalars(
                select(TreatmentSession.chair_id).where(TreatmentSession.status == "in_progress")
            )
        )
        free = next(c for c in db.scalars(select(Chair).order_by(Chair.label)) if c.id not in busy)
        course = next(c for c in courses)
        patient_id, course_id, chair_id = course.patient_id, course.id, free.id
    settings = Settings(
        secret_key=SECRET,
        database_url=db_url,
        password_hash_profile="test-only-cheap",
        mfa_required_roles="none",
    )
    app = create_app(settings, engine=eng)
    with TestClient(app, raise_server_exceptions=False) as client:
        r = client.post(
            "/api/v1/auth/login", json={"username": "nurse.kim", "password": logins["nurse.kim"]}
        )
        assert r.status_code == 200, r.text
        nurse = {"Authorization": f"Bearer {r.json()['token']}"}
        r = client.post(
            "/api/v1/sessions",
            json={
                "patient_id": str(patient_id),
                "chair_id": str(chair_id),
                "course_id": str(course_id),
                "scheduled_for": datetime.now(UTC).isoformat(),
            },
            headers=nurse,
        )
        assert r.status_code == 201, r.text
        r = client.post(
            f"/api/v1/sessions/{r.json()['id']}/start", headers={**nurse, "If-Match": '"1"'}
        )
        assert r.status_code == 200, r.text
        assert r.json()["status"] == "in_progress"
    eng.dispose()
    assert main(["audit", "verify", "--database-url", db_url]) == 0


def test_serve_demo_twice_on_one_database(
    db_url: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    import uvicorn

    from ketaclinic.clinic import monitor_sim

    monkeypatch.setenv("KETACLINIC_SECRET_KEY", SECRET)
    served: list[str] = []
    monkeypatch.setattr(uvicorn, "run", lambda app, **kw: served.append(kw["host"]))
    monkeypatch.setattr(monitor_sim, "run_monitor", lambda *a, **kw: None)
    assert main(["serve", "--demo", "--database-url", db_url, "--port", "8765"]) == 0
    first = capsys.readouterr().out
    assert "demo logins" in first
    once = _counts(db_url)
    assert once["patients"] == 12
    assert once["consents"] == 12
    assert main(["serve", "--demo", "--database-url", db_url, "--port", "8765"]) == 0
    second = capsys.readouterr().out
    assert "database already has a clinic: not seeding" in second
    assert "demo logins" not in second
    assert _counts(db_url) == once
    assert served == ["127.0.0.1", "127.0.0.1"]
    assert main(["audit", "verify", "--database-url", db_url]) == 0
    eng = make_engine(db_url)
    with Session(eng) as db:
        assert db.scalar(select(func.count()).select_from(ConsentForm)) == 1
    eng.dispose()
