"""The real app, in-process, on a fresh database per test.

Every fixture that takes ``db_url`` runs twice: on a new SQLite file, and on PostgreSQL
when ``KETACLINIC_TEST_DATABASE_URL`` is set (each test in its own schema); without it the
PostgreSQL half is skipped with the reason shown by ``pytest -ra``.
"""

from __future__ import annotations

import os
import secrets
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, create_engine, text
from sqlalchemy.engine import make_url

from ketaclinic.clinic import migrate, totp
from ketaclinic.clinic.api import create_app
from ketaclinic.clinic.db import make_engine, normalise_url
from ketaclinic.clinic.security import hasher
from ketaclinic.clinic.services.auth import bootstrap_staff
from ketaclinic.clinic.settings import STAFF_ROLES, Settings

PG_ENV = "KETACLINIC_TEST_DATABASE_URL"
SECRET = "test-" + "k3y" * 12 + "-abcdefghij"
PASSWORD = "correct horse battery staple"
ROLES = ("admin", "prescriber", "nurse", "front_desk", "auditor")


if TYPE_CHECKING:  # pragma: no cover
    from tests.clinic.world import World


@pytest.fixture(params=["sqlite", "postgresql"])
def db_url(request: pytest.FixtureRequest, tmp_path: Any) -> Iterator[str]:
    """A URL to an empty database on each engine."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'clinic.db'}"
        return
    base = os.environ.get(PG_ENV)
    if not base:
        pytest.skip(f"PostgreSQL half skipped: set {PG_ENV} (.ci/run sets it)")
    schema = f"kc_{uuid.uuid4().hex[:12]}"
    admin = create_engine(normalise_url(base), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE SCHEMA "{schema}"'))
    url = make_url(normalise_url(base)).update_query_dict({"options": f"-csearch_path={schema}"})
    try:
        yield url.render_as_string(hide_password=False)
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()


@pytest.fixture
def engine(db_url: str) -> Iterator[Engine]:
    """A migrated database."""
    eng = make_engine(db_url)
    migrate.upgrade(eng)
    yield eng
    eng.dispose()


@pytest.fixture
def settings(db_url: str) -> Settings:
    # MFA off explicitly: the tests sign in with passwords (tests/clinic/test_mfa.py turns it on)
    return Settings(
        secret_key=SECRET,
        database_url=db_url,
        password_hash_profile="test-only-cheap",
        mfa_required_roles="none",
    )


class Clock:
    """A clock tests can move forward."""

    def __init__(self) -> None:
        self.offset = timedelta(0)

    def __call__(self) -> datetime:
        return datetime.now(UTC) + self.offset


@dataclass
class Clinic:
    """The running app plus helpers to log in as each role."""

    client: TestClient
    settings: Settings
    engine: Engine
    clock: Clock
    users: dict[str, uuid.UUID]

    def login(self, role: str) -> dict[str, str]:
        r = self.client.post("/api/v1/auth/login", json={"username": role, "password": PASSWORD})
        assert r.status_code == 200, r.text
        return {"Authorization": f"Bearer {r.json()['token']}"}

    def as_(self, role: str) -> dict[str, str]:
        if role not in self._tokens:
            self._tokens[role] = self.login(role)
        return self._tokens[role]

    def __post_init__(self) -> None:
        self._tokens: dict[str, dict[str, str]] = {}


@contextmanager
def running_clinic(settings: Settings, engine: Engine) -> Iterator[Clinic]:
    """The app on ``settings`` with one user per role (password ``PASSWORD``)."""
    clock = Clock()
    app = create_app(settings, engine=engine, clock=clock)
    ph = hasher(settings.argon2_params)
    users = {}
    with app.state.sessionmaker() as db:
        for role in ROLES:
            users[role] = bootstrap_staff(
                db, username=role, display_name=f"Test {role}", role=role, password=PASSWORD,
                ph=ph, audit_key=SECRET.encode(), node_id="test",
            ).id  # fmt: skip
    with TestClient(app, raise_server_exceptions=False) as client:
        yield Clinic(client, settings, engine, clock, users)


@pytest.fixture
def clinic(settings: Settings, engine: Engine) -> Iterator[Clinic]:
    with running_clinic(settings, engine) as c:
        yield c


def random_mrn() -> str:
    return "MRN-" + secrets.token_hex(4)


def patient_body(**over: Any) -> dict[str, Any]:
    body = {
        "mrn": random_mrn(),
        "given_name": "Ada",
        "family_name": "Lovelace",
        "birth_date": "1980-12-10",
        "sex": "female",
        "escort_name": "Charles Babbage",
        "escort_phone": "+44 20 7946 0000",
    }
    body.update(over)
    return body


def assert_error(r: Any, status: int, *, field: str | None = None) -> dict[str, Any]:
    """The one error shape: status, code, message, field, value, unit, limit, errors."""
    assert r.status_code == status, r.text
    assert r.headers["content-type"].startswith("application/json")
    body = r.json()
    assert set(body) == {"error"}
    err = body["error"]
    assert set(err) == {"status", "code", "message", "field", "value", "unit", "limit", "errors"}
    assert err["status"] == status
    assert isinstance(err["code"], str)
    assert err["code"]
    assert isinstance(err["message"], str)
    assert err["message"]
    if field is not None:
        assert err["field"] == field, err
    return err


@pytest.fixture
def world(clinic: Clinic) -> World:
    """A location, two chairs with monitors, a patient and a session in progress."""
    from tests.clinic.world import build_world  # world.py imports this module

    return build_world(clinic)


API = "/api/v1"


class MfaClinic(Clinic):
    """A clinic where every role must use MFA; ``login`` enrols on first use, then signs
    in with password and code, stepping the clock 30 s so no code is reused."""

    keys: dict[str, bytes]

    def code(self, role: str) -> str:
        return totp.totp(self.keys[role], self.clock().timestamp())

    def password_step(self, role: str) -> dict[str, Any]:
        r = self.client.post(f"{API}/auth/login", json={"username": role, "password": PASSWORD})
        assert r.status_code == 200, r.text
        return dict(r.json())

    def login(self, role: str) -> dict[str, str]:
        step = self.password_step(role)
        auth = {"Authorization": f"Bearer {step['mfa_token']}"}
        if step["mfa"] == "enrol":
            e = self.client.post(f"{API}/auth/mfa/enrol", headers=auth)
            assert e.status_code == 201, e.text
            self.keys[role] = totp.b32_decode(e.json()["secret_base32"])
            r = self.client.post(
                f"{API}/auth/mfa/confirm", json={"code": self.code(role)}, headers=auth
            )
            assert r.status_code == 200, r.text
            return {"Authorization": f"Bearer {r.json()['session']['token']}"}
        self.clock.offset += timedelta(seconds=totp.STEP_S)
        body = {"mfa_token": step["mfa_token"], "code": self.code(role)}
        r = self.client.post(f"{API}/auth/login/mfa", json=body)
        assert r.status_code == 200, r.text
        return {"Authorization": f"Bearer {r.json()['token']}"}


@pytest.fixture
def mfa_clinic(db_url: str, engine: Engine) -> Iterator[MfaClinic]:
    settings = Settings(  # the production default: MFA for every staff role
        secret_key=SECRET, database_url=db_url, password_hash_profile="test-only-cheap"
    )
    assert settings.mfa_roles == frozenset(STAFF_ROLES)
    clock = Clock()
    app = create_app(settings, engine=engine, clock=clock)
    users = {}
    with app.state.sessionmaker() as db:
        for role in ROLES:
            users[role] = bootstrap_staff(
                db, username=role, display_name=f"Test {role}", role=role, password=PASSWORD,
                ph=hasher(settings.argon2_params), audit_key=SECRET.encode(), node_id="test",
            ).id  # fmt: skip
    with TestClient(app, raise_server_exceptions=False) as client:
        c = MfaClinic(client, settings, engine, clock, users)
        c.keys = {}
        yield c
