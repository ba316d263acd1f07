"""Browser: the two-step sign-in page (password, then a TOTP code; or enrolment first).

A server of its own, with MFA required for the front desk only (``desk.lee``); the shared
demo server of conftest.py runs with MFA off.
"""

from __future__ import annotations

import re
import time
from collections.abc import Iterator
from typing import Any

import pytest

from ketaclinic.clinic import totp
from tests.web.conftest import TABLET, Server, expect, serve_demo

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def mfa_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    with serve_demo(tmp_path_factory.mktemp("mfa-clinic"), mfa_required_roles="front_desk") as srv:
        yield srv


@pytest.fixture
def mfa_page(browser: Any, mfa_server: Server) -> Iterator[Any]:
    ctx = browser.new_context(viewport=TABLET, base_url=mfa_server.url)
    pg = ctx.new_page()
    errors: list[str] = []
    pg.on("pageerror", lambda e: errors.append(str(e)))
    pg.set_default_timeout(10_000)
    yield pg
    ctx.close()
    assert not errors, f"JavaScript errors: {errors}"


def _password(page: Any, server: Server, username: str) -> None:
    page.goto("/login")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(server.logins[username])
    page.get_by_role("button", name="Sign in").click()


def test_enrol_then_sign_in_with_a_code(mfa_page: Any, mfa_server: Server, browser: Any) -> None:
    page, server = mfa_page, mfa_server
    # 1. the front desk must use MFA: after the password the page enrols (key shown once)
    _password(page, server, "desk.lee")
    expect(page.locator("#mfa-form")).to_be_visible()
    expect(page.locator("#login-form")).to_be_hidden()
    expect(page.locator("#mfa-enrol")).to_be_visible()
    secret = page.locator("#mfa-secret")
    expect(secret).to_have_text(re.compile(r"^[A-Z2-7]{32}$"))
    uri = page.locator("#mfa-uri").get_attribute("href")
    assert uri is not None
    assert uri.startswith("otpauth://totp/ketaclinic:desk.lee?secret=")
    # the password step left no usable token in the tab
    assert page.evaluate("sessionStorage.getItem('ketaclinic.token')") is None
    key = totp.b32_decode(secret.inner_text())
    code = page.get_by_label("Code", exact=True)
    code.fill(f"{(int(totp.totp(key, time.time())) + 1) % 10**6:06d}")
    page.get_by_role("button", name="Verify").click()
    expect(page.locator("#mfa-error")).to_contain_text("wrong")
    code.fill(totp.totp(key, time.time()))
    page.get_by_role("button", name="Verify").click()
    # the recovery codes, shown once, before the app opens
    codes = page.locator("#mfa-code-list li")
    expect(codes).to_have_count(10)
    recovery = codes.all_inner_texts()
    assert all(re.fullmatch(r"[a-z2-7]{4}(-[a-z2-7]{4}){5}", c) for c in recovery), recovery
    assert page.evaluate("sessionStorage.getItem('ketaclinic.token')") is None
    page.get_by_role("button", name="I have stored these codes").click()
    page.wait_for_url("**/dashboard")
    assert page.evaluate("sessionStorage.getItem('ketaclinic.token')").startswith("kcs_")

    # 2. a new tab: password, then the code step (no enrolment panel)
    ctx = browser.new_context(viewport=TABLET, base_url=server.url)
    try:
        pg = ctx.new_page()
        _password(pg, server, "desk.lee")
        expect(pg.locator("#mfa-form")).to_be_visible()
        expect(pg.locator("#mfa-enrol")).to_be_hidden()
        assert pg.evaluate("sessionStorage.getItem('ketaclinic.token')") is None
        # the enrolment's code is spent; the next step's code is inside the +-1 window
        pg.get_by_label("Code", exact=True).fill(totp.totp(key, time.time() + totp.STEP_S))
        pg.get_by_role("button", name="Verify").click()
        pg.wait_for_url("**/dashboard")
        expect(pg.locator("h1")).to_be_visible()
    finally:
        ctx.close()

    # 3. no phone at hand: a recovery code, typed as read off paper, signs in once
    for attempt in ("first", "again"):
        ctx = browser.new_context(viewport=TABLET, base_url=server.url)
        try:
            pg = ctx.new_page()
            _password(pg, server, "desk.lee")
            pg.get_by_label("Code", exact=True).fill(recovery[4].replace("-", " ").upper())
            pg.get_by_role("button", name="Verify").click()
            if attempt == "first":
                pg.wait_for_url("**/dashboard")
            else:  # refused, and the code step stays open for another code
                expect(pg.locator("#mfa-error")).to_contain_text("already used")
                expect(pg.locator("#mfa-form")).to_be_visible()
                pg.get_by_label("Code", exact=True).fill(recovery[5])
                pg.get_by_role("button", name="Verify").click()
                pg.wait_for_url("**/dashboard")
        finally:
            ctx.close()


def test_roles_without_mfa_sign_in_with_the_password(mfa_page: Any, mfa_server: Server) -> None:
    _password(mfa_page, mfa_server, "nurse.kim")
    mfa_page.wait_for_url("**/dashboard")
    expect(mfa_page.locator("#mfa-form")).to_be_hidden()


def test_account_page_makes_new_recovery_codes(mfa_page: Any, mfa_server: Server) -> None:
    """A prescriber (MFA optional on this server) enrols through the API, then makes a new
    set on the Account page with a current code; the old set stops working."""
    page, server = mfa_page, mfa_server
    _password(page, server, "dr.ross")
    page.wait_for_url("**/dashboard")
    page.get_by_role("link", name="Account").click()
    expect(page.locator("#mfa-state")).to_contain_text("password only")
    expect(page.locator("#codes-form")).to_be_hidden()
    e = server.api("POST", "/auth/mfa/enrol", token=server.token("dr.ross"))
    key = totp.b32_decode(e.json()["secret_base32"])
    body = {"code": totp.totp(key, time.time())}
    old = server.api("POST", "/auth/mfa/confirm", token=server.token("dr.ross"), json=body)
    assert old.status_code == 200, old.text
    page.reload()
    expect(page.locator("#mfa-state")).to_contain_text("Recovery codes left: 10 of 10")
    page.get_by_label("Code from your authenticator app").fill(
        totp.totp(key, time.time() + totp.STEP_S)  # the next step: the last one is spent
    )
    page.get_by_role("button", name="Make new recovery codes").click()
    expect(page.locator("#codes-list li")).to_have_count(10)
    new = page.locator("#codes-list li").all_inner_texts()
    assert not set(new) & set(old.json()["recovery_codes"])
    expect(page.locator("#codes-msg")).to_contain_text("the old ones no longer work")
    expect(page.locator("#mfa-state")).to_contain_text("Recovery codes left: 10 of 10")
