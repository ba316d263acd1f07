"""Browser tests: headless Chromium (Debian's package) driven by Playwright against the real
server (``ketaclinic serve``) on 127.0.0.1 with a fresh SQLite database.

Without a browser every browser test is skipped with the reason (``pytest -ra`` prints it).
"""

from __future__ import annotations

import contextlib
import json
import os
import secrets
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest

CHROMIUM = os.environ.get("KETACLINIC_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
#: The tablet beside the chair.
TABLET = {"width": 768, "height": 1024}


def browser_missing() -> str | None:
    """Why browser tests cannot run here, or None."""
    if not Path(CHROMIUM).exists():
        return (
            f"browser tests skipped: no Chromium at {CHROMIUM} "
            "(apt-get install chromium chromium-driver; .ci/run does it)"
        )
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        return "browser tests skipped: the playwright package is missing (pip install -e '.[dev]')"
    return None


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _cli() -> list[str]:
    exe = Path(sys.executable).with_name("ketaclinic")
    return [str(exe)] if exe.exists() else [sys.executable, "-m", "ketaclinic.cli"]


@dataclass
class Server:
    """A running ``ketaclinic serve`` with the demo clinic and its generated logins."""

    url: str
    logins: dict[str, str]
    device_tokens: dict[str, str]
    active_session_id: str
    tokens: dict[str, str] = field(default_factory=dict)

    def token(self, username: str) -> str:
        if username not in self.tokens:
            r = httpx.post(
                f"{self.url}/api/v1/auth/login",
                json={"username": username, "password": self.logins[username]},
            )
            r.raise_for_status()
            self.tokens[username] = r.json()["token"]
        return self.tokens[username]

    def api(
        self,
        method: str,
        path: str,
        *,
        as_user: str = "nurse.kim",
        token: str | None = None,
        **kw: Any,
    ) -> httpx.Response:
        headers = kw.pop("headers", {})
        headers["Authorization"] = f"Bearer {token or self.token(as_user)}"
        return httpx.request(method, f"{self.url}/api/v1{path}", headers=headers, timeout=30, **kw)

    def new_chair(self) -> tuple[str, str]:
        """A new chair with its own monitor: (chair id, device token)."""
        loc = self.api("GET", "/locations", as_user="admin").json()[0]["id"]
        label = f"Chair T{uuid.uuid4().hex[:4]}"
        chair = self.api("POST", f"/locations/{loc}/chairs", as_user="admin", json={"label": label})
        chair.raise_for_status()
        cid = chair.json()["id"]
        dev = self.api("POST", f"/chairs/{cid}/devices", as_user="admin", json={"name": label})
        dev.raise_for_status()
        return cid, dev.json()["token"]

    def running_session(self, patient_index: int = 1) -> tuple[str, str]:
        """A session in progress on a new chair: (session id, device token)."""
        chair, device = self.new_chair()
        patients = self.api("GET", "/patients?limit=50").json()["items"]
        pid = patients[patient_index]["id"]
        when = datetime.now(UTC).isoformat()
        s = self.api(
            "POST", "/sessions", json={"patient_id": pid, "chair_id": chair, "scheduled_for": when}
        )
        s.raise_for_status()
        sid = s.json()["id"]
        r = self.api("POST", f"/sessions/{sid}/start", headers={"If-Match": s.headers["ETag"]})
        r.raise_for_status()
        return sid, device

    def post_reading(self, session_id: str, device_token: str, seq: int, **vitals: float) -> Any:
        body = {"measured_at": datetime.now(UTC).isoformat(), "device_seq": seq, **vitals}
        r = self.api("POST", f"/sessions/{session_id}/readings", token=device_token, json=body)
        r.raise_for_status()
        return r.json()


@contextlib.contextmanager
def serve_demo(tmp: Path, mfa_required_roles: str = "none") -> Iterator[Server]:
    """``ketaclinic demo-seed`` then ``ketaclinic serve`` on a free port (a subprocess),
    SQLite in ``tmp``; MFA required for ``mfa_required_roles`` (comma-separated or none)."""
    url = f"sqlite:///{tmp / 'clinic.db'}"
    env = {
        **os.environ,
        "KETACLINIC_SECRET_KEY": secrets.token_urlsafe(48),
        "KETACLINIC_PASSWORD_HASH_PROFILE": "test-only-cheap",
        "KETACLINIC_SQLITE_SYNCHRONOUS": "NORMAL",
        "KETACLINIC_MFA_REQUIRED_ROLES": mfa_required_roles,
    }
    creds = tmp / "creds.json"
    subprocess.run(
        [*_cli(), "demo-seed", "--database-url", url, "--credentials-file", str(creds)],
        env=env,
        check=True,
        capture_output=True,
        timeout=120,
    )
    info = json.loads(creds.read_text())
    port = _free_port()
    log = (tmp / "server.log").open("w")
    proc = subprocess.Popen(
        [*_cli(), "serve", "--database-url", url, "--port", str(port)],
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while True:
        try:
            if httpx.get(f"{base}/login", timeout=2).status_code == 200:
                break
        except httpx.HTTPError:
            pass
        if proc.poll() is not None or time.monotonic() > deadline:
            proc.kill()
            raise RuntimeError(f"server did not start: {(tmp / 'server.log').read_text()}")
        time.sleep(0.2)
    try:
        yield Server(base, info["logins"], info["device_tokens"], info["active_session_id"])
    finally:
        proc.terminate()
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            proc.kill()
        log.close()


@pytest.fixture(scope="session")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    """The shared demo server; test logins use passwords (MFA off; see test_browser_mfa)."""
    with serve_demo(tmp_path_factory.mktemp("clinic")) as srv:
        yield srv


@pytest.fixture(scope="session")
def browser() -> Iterator[Any]:
    reason = browser_missing()
    if reason:
        pytest.skip(reason)
    from playwright.sync_api import expect as pw_expect
    from playwright.sync_api import sync_playwright

    # 2 shared cores: give auto-waiting assertions room (the 2 s live-data limit is explicit)
    pw_expect.set_options(timeout=15_000)
    with sync_playwright() as pw:
        b = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
        yield b
        b.close()


@pytest.fixture
def page(browser: Any, server: Server) -> Iterator[Any]:
    """A tablet-sized page (768 x 1024) that fails the test on any JavaScript error."""
    ctx = browser.new_context(viewport=TABLET, base_url=server.url)
    pg = ctx.new_page()
    errors: list[str] = []
    pg.on("pageerror", lambda e: errors.append(str(e)))
    pg.set_default_timeout(10_000)
    yield pg
    ctx.close()
    assert not errors, f"JavaScript errors: {errors}"


def sign_in(page: Any, server: Server, username: str = "nurse.kim", next_path: str = "") -> None:
    """Sign in through the form (as a person would)."""
    page.goto("/login" + (f"?next={next_path}" if next_path else ""))
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(server.logins[username])
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(f"**{next_path or '/dashboard'}")
    page.wait_for_load_state("load")


def minutes_ago(n: float) -> str:
    return (datetime.now(UTC) - timedelta(minutes=n)).isoformat()


def expect(target: Any) -> Any:
    """Playwright's auto-waiting assertions (imported lazily: the module must import
    without playwright, so that the tests are skipped rather than erroring)."""
    from playwright.sync_api import expect as _expect

    return _expect(target)
