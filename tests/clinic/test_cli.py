"""The clinic commands: db upgrade/downgrade, demo-seed, audit verify, serve's secret check,
and the simulated chair monitor against the real app."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from sqlalchemy import inspect

from ketaclinic.cli.app import main
from ketaclinic.clinic import migrate
from ketaclinic.clinic.db import make_engine
from ketaclinic.clinic.monitor_sim import next_vitals, run_monitor
from tests.clinic.conftest import SECRET, Clinic
from tests.clinic.world import build_world


def test_db_upgrade_and_downgrade(db_url: str, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["db", "upgrade", "--database-url", db_url]) == 0
    assert f"revision {migrate.head_revision()}" in capsys.readouterr().out
    eng = make_engine(db_url)
    assert "patients" in inspect(eng).get_table_names()
    assert main(["db", "downgrade", "--database-url", db_url]) == 0
    assert "revision None" in capsys.readouterr().out
    assert "patients" not in inspect(eng).get_table_names()
    eng.dispose()


def test_demo_seed_then_verify(
    db_url: str, tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("KETACLINIC_SECRET_KEY", SECRET)
    creds = tmp_path / "demo.json"
    rc = main(["demo-seed", "--database-url", db_url, "--credentials-file", str(creds)])
    out = capsys.readouterr().out
    assert rc == 0, out
    info = json.loads(creds.read_text())
    assert oct(creds.stat().st_mode & 0o777) == "0o600"
    assert set(info["logins"]) == {"admin", "dr.ross", "nurse.kim", "desk.lee", "audit.ng"}
    for user, password in info["logins"].items():
        assert f"{user:<12} {password}" in out
    assert info["patients"] == 12
    # a second seed refuses and changes nothing
    assert main(["demo-seed", "--database-url", db_url]) == 1
    assert "already has staff" in capsys.readouterr().err
    assert main(["audit", "verify", "--database-url", db_url]) == 0
    assert "audit log OK" in capsys.readouterr().out


def test_sqlite_demo_keeps_a_generated_secret(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("KETACLINIC_SECRET_KEY", raising=False)
    url = f"sqlite:///{tmp_path / 'demo.db'}"
    assert main(["demo-seed", "--database-url", url]) == 0
    secret = tmp_path / "demo.db.secret"
    assert oct(secret.stat().st_mode & 0o777) == "0o600"
    assert len(secret.read_text()) >= 48
    assert main(["audit", "verify", "--database-url", url]) == 0


def test_serve_refuses_a_placeholder_secret(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("KETACLINIC_SECRET_KEY", "change-me")
    rc = main(["serve", "--database-url", f"sqlite:///{tmp_path / 'x.db'}"])
    assert rc == 1
    err = capsys.readouterr().err
    assert "KETACLINIC_SECRET_KEY" in err
    assert "placeholder" in err
    assert not (tmp_path / "x.db").exists()


def test_chair_monitor_posts_readings(clinic: Clinic) -> None:
    world = build_world(clinic)
    lines: list[str] = []
    stored = run_monitor(
        "http://testserver", world.session_id, world.device_token,
        interval_s=0.001, count=4, echo=lines.append, client=clinic.client, seed=1,
    )  # fmt: skip
    assert stored == 4
    assert len(lines) == 4
    rows = clinic.client.get(
        f"/api/v1/sessions/{world.session_id}/readings", headers=clinic.as_("nurse")
    ).json()
    assert len(rows) == 4
    assert len({r["device_seq"] for r in rows}) == 4
    assert all(r["source"] == "device" for r in rows)
    # a monitor on the wrong chair stops at the first refusal
    assert run_monitor(
        "http://testserver", world.session_id, world.other_device_token,
        interval_s=0.001, count=2, echo=None, client=clinic.client,
    ) == 0  # fmt: skip


def test_simulated_vitals_stay_valid() -> None:
    import random

    from ketaclinic.monitoring.vitals import VitalSigns

    rng = random.Random(3)
    v: dict[str, float] = {}
    from datetime import UTC, datetime

    for _ in range(2000):
        v = next_vitals(v, rng)
        VitalSigns(datetime.now(UTC), **v)  # raises if any value is impossible


def test_staff_create_makes_the_first_admin(
    engine: object,
    settings: object,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    url = settings.database_url  # type: ignore[attr-defined]
    monkeypatch.setenv("KETACLINIC_SECRET_KEY", SECRET)
    monkeypatch.setenv("KETACLINIC_NEW_PASSWORD", "a long admin passphrase")
    args = ["staff", "create", "--username", "root.admin", "--role", "admin",
            "--display-name", "First Admin", "--database-url", url]  # fmt: skip
    assert main(args) == 0
    assert "created admin root.admin" in capsys.readouterr().out
    assert main(args) == 1
    assert "taken" in capsys.readouterr().err
    bad_role = [a.replace("admin", "janitor") if a == "admin" else a for a in args]
    bad_role[3] = "other.user"
    assert main(bad_role) == 1
    assert "role" in capsys.readouterr().err
    monkeypatch.setenv("KETACLINIC_NEW_PASSWORD", "short")
    args[3] = "third.user"
    assert main(args) == 1
    assert "at least 12 characters" in capsys.readouterr().err


def test_demo_sessions_are_consistent(db_url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    from sqlalchemy import select
    from sqlalchemy.orm import Session

    from ketaclinic.clinic.tables import TreatmentCourse, TreatmentSession

    monkeypatch.setenv("KETACLINIC_SECRET_KEY", SECRET)
    assert main(["demo-seed", "--database-url", db_url]) == 0
    eng = make_engine(db_url)
    with Session(eng) as db:
        courses = {c.id: c for c in db.scalars(select(TreatmentCourse))}
        for s in db.scalars(select(TreatmentSession)):
            assert s.course_id in courses
            assert courses[s.course_id].patient_id == s.patient_id
            assert s.started_at is not None
            if s.status == "completed":
                assert s.ended_at is not None
                assert s.ended_at > s.started_at
    eng.dispose()
