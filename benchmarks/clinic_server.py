"""The clinic load benchmark's server side: the real service in a subprocess, staff
accounts made through the service layer, and the chairs (monitor, token, patient and a
session in progress each) made through the API. Used by ``benchmarks.clinic_load`` and
``benchmarks.clinic_data``."""

from __future__ import annotations

import gc
import os
import secrets
import socket
import subprocess
import sys
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx

__all__ = [
    "API",
    "PASSWORD",
    "Chair",
    "Server",
    "bench_secret",
    "bootstrap",
    "free_port",
    "internal_serve",
    "load_avg",
    "login",
    "make_chairs",
]

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
PASSWORD = "bench horse battery staple 42"
API = "/api/v1"


def load_avg() -> str:
    one, five, fifteen = os.getloadavg()
    return f"{one:.2f}/{five:.2f}/{fifteen:.2f}"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def bench_secret() -> str:
    return secrets.token_urlsafe(48)


# ---------------------------------------------------------------------------- the server


@dataclass
class Server:
    """The real service in a subprocess (``ketaclinic serve`` unless ``mode`` says else).

    ``mode``: ``cli`` runs ``ketaclinic serve`` exactly as a user does (uvicorn with its
    access log); ``quiet`` runs the same app through ``python -m benchmarks.clinic_load
    --internal-serve`` with the access log off (to measure what the log costs).
    """

    database_url: str
    secret: str
    log_path: Path
    mode: str = "cli"
    synchronous: str = "FULL"
    port: int = field(default_factory=free_port)
    proc: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self, timeout_s: float = 60.0) -> None:
        env = {
            **os.environ,
            "KETACLINIC_SECRET_KEY": self.secret,
            "KETACLINIC_SQLITE_SYNCHRONOUS": self.synchronous,
            "KETACLINIC_MFA_REQUIRED_ROLES": "none",  # the load clients sign in with passwords
        }
        if self.mode == "cli":
            cmd = [
                str(BIN / "ketaclinic"),
                "serve",
                "--database-url",
                self.database_url,
                "--port",
                str(self.port),
            ]
        else:
            cmd = [
                sys.executable,
                "-m",
                "benchmarks.clinic_load",
                "--internal-serve",
                self.database_url,
                str(self.port),
            ]
        log = self.log_path.open("ab")
        self.proc = subprocess.Popen(cmd, stdout=log, stderr=subprocess.STDOUT, env=env, cwd=ROOT)
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"server exited {self.proc.returncode}; see {self.log_path}")
            try:
                if httpx.get(self.url + "/openapi.json", timeout=2.0).status_code == 200:
                    return
            except httpx.TransportError:
                pass
            time.sleep(0.2)
        self.stop()
        raise RuntimeError(f"server did not answer within {timeout_s} s; see {self.log_path}")

    def stop(self) -> None:
        if self.proc is None or self.proc.poll() is not None:
            return
        self.proc.send_signal(2)  # SIGINT: uvicorn shuts down cleanly
        try:
            self.proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()

    def cpu_s(self) -> float:
        """User + system CPU seconds used so far by the server process."""
        if self.proc is None:
            return 0.0
        fields = Path(f"/proc/{self.proc.pid}/stat").read_text().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def internal_serve(database_url: str, port: int) -> None:
    """The service without the per-request access log (``--server quiet``)."""
    import uvicorn

    from ketaclinic.clinic import migrate
    from ketaclinic.clinic.api import create_app
    from ketaclinic.clinic.db import make_engine
    from ketaclinic.clinic.settings import Settings

    settings = Settings(database_url=database_url)  # the secret comes from the environment
    engine = make_engine(database_url, sqlite_synchronous=settings.sqlite_synchronous)
    migrate.upgrade(engine)
    app = create_app(settings, engine=engine)
    gc.collect()  # as `ketaclinic serve`: start-up objects out of the cyclic collector,
    gc.freeze()  # and fewer full collections
    young, middle, _ = gc.get_threshold()
    gc.set_threshold(young, middle, 100)
    uvicorn.run(app, host="127.0.0.1", port=port, log_level="warning", access_log=False)


def bootstrap(database_url: str, secret: str, users: dict[str, str]) -> None:
    """Migrate and create staff accounts through the service layer (no default accounts)."""
    from sqlalchemy.orm import Session

    from ketaclinic.clinic import migrate
    from ketaclinic.clinic.db import make_engine
    from ketaclinic.clinic.security import hasher
    from ketaclinic.clinic.services.auth import bootstrap_staff
    from ketaclinic.clinic.settings import ARGON2_PROFILES

    engine = make_engine(database_url)
    migrate.upgrade(engine)
    ph = hasher(ARGON2_PROFILES["standard"])
    with Session(engine, expire_on_commit=False) as db:
        for username, role in users.items():
            bootstrap_staff(
                db,
                username=username,
                display_name=f"Bench {role}",
                role=role,
                password=PASSWORD,
                ph=ph,
                audit_key=secret.encode(),
                node_id="bench",
            )
    engine.dispose()


def login(http: httpx.Client, username: str) -> dict[str, str]:
    r = http.post(API + "/auth/login", json={"username": username, "password": PASSWORD})
    r.raise_for_status()
    return {"Authorization": f"Bearer {r.json()['token']}"}


# ---------------------------------------------------------------------------- the chairs


@dataclass
class Chair:
    index: int
    chair_id: str
    device_id: str
    token: str
    session_id: str


def _ok(r: httpx.Response, status: int = 200) -> Any:
    if r.status_code != status:
        raise RuntimeError(f"{r.request.method} {r.request.url} -> {r.status_code}: {r.text}")
    return r.json()


def make_chairs(base_url: str, n: int) -> list[Chair]:
    """Through the API: a location, ``n`` chairs with monitors, patients, sessions started."""
    with httpx.Client(base_url=base_url, timeout=30.0) as http:
        admin, nurse = login(http, "bench.admin"), login(http, "bench.nurse")
        site = {"name": f"Bench site {secrets.token_hex(3)}"}
        loc = _ok(http.post(API + "/locations", json=site, headers=admin), 201)
        tag = site["name"][-6:]
        chairs = []
        for i in range(n):
            ch = _ok(
                http.post(
                    f"{API}/locations/{loc['id']}/chairs",
                    json={"label": f"B{i + 1:02d}"},
                    headers=admin,
                ),
                201,
            )
            dev = _ok(
                http.post(
                    f"{API}/chairs/{ch['id']}/devices",
                    json={"name": f"bench-monitor-{i + 1}"},
                    headers=admin,
                ),
                201,
            )
            pat = _ok(
                http.post(
                    API + "/patients",
                    headers=nurse,
                    json={
                        "mrn": f"BENCH-{tag}-{i + 1:04d}",
                        "given_name": "Chair",
                        "family_name": f"Load{i + 1}",
                        "birth_date": "1980-01-01",
                        "sex": "female",
                    },
                ),
                201,
            )
            now = datetime.now(UTC).isoformat()
            sess = _ok(
                http.post(
                    API + "/sessions",
                    headers=nurse,
                    json={"patient_id": pat["id"], "chair_id": ch["id"], "scheduled_for": now},
                ),
                201,
            )
            _ok(
                http.post(
                    f"{API}/sessions/{sess['id']}/start", headers={**nurse, "If-Match": '"1"'}
                )
            )
            chairs.append(Chair(i, ch["id"], dev["id"], dev["token"], sess["id"]))
    return chairs
