"""Screenshots of the main pages, taken with the same headless Chromium as the browser tests.

Starts ``ketaclinic demo-seed`` + ``ketaclinic serve`` on a fresh SQLite database in a
temporary directory, feeds the demo session in progress with chair-monitor readings (one
out of range, to show an alert), and writes PNGs to ``docs/screenshots/``.

    .venv/bin/python scripts/screenshots.py [--out docs/screenshots] [--chromium /usr/bin/chromium]
"""

from __future__ import annotations

import argparse
import json
import os
import secrets
import socket
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx

ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
TABLET = {"width": 768, "height": 1024}
DESKTOP = {"width": 1280, "height": 900}


def _port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _cli() -> list[str]:
    exe = Path(sys.executable).with_name("ketaclinic")
    return [str(exe)] if exe.exists() else [sys.executable, "-m", "ketaclinic.cli"]


def _feed(base: str, info: dict) -> None:
    """Readings for the demo session: 15 min of vitals every 90 s, one SpO2 dip."""
    sid, token = info["active_session_id"], info["device_tokens"][info["active_chair"]]
    now = datetime.now(UTC)
    for k in range(11):
        t = now - timedelta(minutes=15 - 1.5 * k)
        spo2 = 90 if k == 8 else 97 + (k % 2)
        body = {
            "measured_at": t.isoformat(),
            "device_seq": k + 1,
            "sbp_mmhg": 124 + 3 * min(k, 6),
            "dbp_mmhg": 78 + min(k, 5),
            "hr_per_min": 72 + 2 * min(k, 5),
            "spo2_pct": spo2,
            "rr_per_min": 14 + (k % 3) - 1,
        }
        r = httpx.post(
            f"{base}/api/v1/sessions/{sid}/readings",
            json=body,
            headers={"Authorization": f"Bearer {token}"},
            timeout=30,
        )
        r.raise_for_status()


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--out", type=Path, default=Path("docs/screenshots"))
    ap.add_argument("--chromium", default="/usr/bin/chromium")
    a = ap.parse_args()
    from playwright.sync_api import sync_playwright

    a.out.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp:
        url = f"sqlite:///{tmp}/clinic.db"
        env = {
            **os.environ,
            "KETACLINIC_SECRET_KEY": secrets.token_urlsafe(48),
            "KETACLINIC_PASSWORD_HASH_PROFILE": "test-only-cheap",
            # the screenshots sign in with passwords, as the demo does (MFA is off there)
            "KETACLINIC_MFA_REQUIRED_ROLES": "none",
        }
        creds = Path(tmp) / "creds.json"
        subprocess.run(
            [*_cli(), "demo-seed", "--database-url", url, "--credentials-file", str(creds)],
            env=env,
            check=True,
            capture_output=True,
        )
        info = json.loads(creds.read_text())
        port = _port()
        base = f"http://127.0.0.1:{port}"
        proc = subprocess.Popen(
            [*_cli(), "serve", "--database-url", url, "--port", str(port)],
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        try:
            for _ in range(300):
                try:
                    if httpx.get(f"{base}/login", timeout=2).status_code == 200:
                        break
                except httpx.HTTPError:
                    time.sleep(0.2)
            _feed(base, info)
            with sync_playwright() as pw:
                browser = pw.chromium.launch(executable_path=a.chromium, args=ARGS)
                _shoot(browser, base, info, a.out)
                browser.close()
        finally:
            proc.terminate()
            proc.wait(10)
    print(f"screenshots in {a.out}")


def _sign_in(page, info: dict, user: str) -> None:  # type: ignore[no-untyped-def]
    page.goto("/login")
    page.get_by_label("Username").fill(user)
    page.get_by_label("Password").fill(info["logins"][user])
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url("**/dashboard")


def _shoot(browser, base: str, info: dict, out: Path) -> None:  # type: ignore[no-untyped-def]
    sid = info["active_session_id"]
    ctx = browser.new_context(viewport=TABLET, base_url=base, device_scale_factor=1)
    page = ctx.new_page()
    page.goto("/login")
    page.get_by_label("Username").fill("nurse.kim")
    page.screenshot(path=out / "login.png")
    _sign_in(page, info, "nurse.kim")
    page.locator("#alerts li").first.wait_for()
    page.screenshot(path=out / "dashboard.png", full_page=True)
    page.goto(f"/sessions/{sid}")
    page.locator("#readings tbody tr").nth(10).wait_for()
    page.locator("#pk-chart svg").wait_for()
    page.locator("#criteria li").first.wait_for()
    page.screenshot(path=out / "session-monitor.png", full_page=True)
    page.screenshot(path=out / "session-monitor-top.png")
    page.goto("/patients")
    page.get_by_role("link", name="Turing, Alan").click()
    page.locator("#sessions tbody tr").first.wait_for()
    page.screenshot(path=out / "patient-chart.png", full_page=True)
    page.goto("/schedule")
    page.locator("#calendar tbody tr").first.wait_for()
    page.screenshot(path=out / "schedule.png", full_page=True)
    page.goto("/outcomes")
    page.locator("#outcome-chart svg").wait_for()
    page.screenshot(path=out / "outcomes.png", full_page=True)
    ctx.close()
    ctx = browser.new_context(viewport=DESKTOP, base_url=base)
    page = ctx.new_page()
    _sign_in(page, info, "dr.ross")
    page.goto("/orders")
    page.locator("#protocol option").first.wait_for(state="attached")
    page.get_by_label("Patient").select_option(label="Lovelace, Ada (DEMO-0001)")  # has a session
    page.get_by_label("Or another dose").fill("0.9")
    page.get_by_role("button", name="Calculate").click()
    page.locator("#override-form").wait_for()
    page.get_by_label("Reason").fill("partial response at 0.75 mg/kg after 3 sessions")
    page.screenshot(path=out / "dose-order-soft-limit.png", full_page=True)
    page.get_by_label("Or another dose").fill("1.2")
    page.get_by_role("button", name="Calculate").click()
    page.locator("#refusal").wait_for()
    page.screenshot(path=out / "dose-order-hard-limit.png", full_page=True)
    page.goto("/workbench")
    page.locator("#window table").wait_for(timeout=60_000)
    page.screenshot(path=out / "workbench.png", full_page=True)
    page.goto("/admin")
    page.locator("#protocols details").first.wait_for()
    page.screenshot(path=out / "admin.png", full_page=True)
    ctx.close()


if __name__ == "__main__":
    main()
