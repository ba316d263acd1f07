"""Browser: the front desk opens emergency (break-glass) access from a patient's chart, the
clinical sections load under it, and the auditor reviews and revokes it from the Admin
page (services/breakglass.py; the API is tested in tests/clinic/test_breakglass.py)."""

from __future__ import annotations

from typing import Any

import pytest

from tests.web.conftest import Server, expect, sign_in

pytestmark = pytest.mark.browser

REASON = "patient collapsed in the waiting room; paramedics ask for medications"


def test_front_desk_opens_and_auditor_revokes_emergency_access(page: Any, server: Server) -> None:
    pid = server.api("GET", "/patients?limit=50").json()["items"][9]["id"]
    sign_in(page, server, "desk.lee", f"/patients/{pid}")
    card = page.locator("#bg-card")
    expect(card).to_be_visible()
    expect(page.locator("#screening")).to_have_text("Your role may not read screenings.")
    page.get_by_label("Reason (at least 10 characters)").fill("urgent")
    page.get_by_role("button", name="Open emergency access").click()
    # too short: the form's own check stops it (minlength 10, as the API's 422) and nothing opens
    assert page.eval_on_selector("#bg-reason", "e => e.validity.tooShort") is True
    expect(page.locator("#bg-open")).to_be_hidden()
    active = server.api("GET", "/break-glass?status=active", as_user="audit.ng").json()
    assert [g for g in active if g["patient_id"] == pid] == []
    page.get_by_label("Reason (at least 10 characters)").fill(REASON)
    page.get_by_label("Minutes").fill("30")
    page.get_by_role("button", name="Open emergency access").click()
    expect(page.locator("#bg-status")).to_contain_text("Emergency access is open until")
    expect(page.locator("#bg-status")).to_contain_text(REASON)
    # the chart's clinical sections now load (read-only), each read logged
    expect(page.locator("#screening")).not_to_have_text("Your role may not read screenings.")
    grants = server.api("GET", "/break-glass?status=active", as_user="audit.ng").json()
    mine = [g for g in grants if g["patient_id"] == pid]
    assert len(mine) == 1
    assert mine[0]["reason"] == REASON
    assert mine[0]["accesses"] >= 1

    # the auditor reviews it on the Admin page and ends it
    auditor = page.context.browser.new_page(base_url=server.url)
    try:
        _auditor_revokes(auditor, server)
    finally:
        auditor.close()
        for g in server.api("GET", "/break-glass?status=active", as_user="audit.ng").json():
            if g["patient_id"] == pid:  # a failure above must not leave the grant open
                server.api("POST", f"/break-glass/{g['id']}/revoke", as_user="audit.ng")
    # the front desk's tab follows the server: a reload shows the refusals and the form
    page.reload()
    expect(page.locator("#screening")).to_have_text("Your role may not read screenings.")
    expect(page.locator("#bg-form")).to_be_visible()
    expect(page.locator("#bg-open")).to_be_hidden()
    r = server.api("GET", f"/patients/{pid}/screenings", as_user="desk.lee")
    assert r.status_code == 403


def _auditor_revokes(auditor: Any, server: Server) -> None:
    sign_in(auditor, server, "audit.ng", "/admin")
    row = auditor.locator("#bgr-table tbody tr", has_text=REASON)
    expect(row).to_contain_text("Sam Lee (desk.lee)")
    expect(row).to_contain_text("active")
    row.get_by_role("button", name="Revoke").click()
    expect(auditor.locator("#bgr-msg")).to_contain_text("Revoked the grant")
    expect(row).to_contain_text("revoked")
    expect(row.get_by_role("button", name="Revoke")).to_have_count(0)


def test_the_chart_shows_a_grant_from_the_server_and_ends_it(page: Any, server: Server) -> None:
    """A grant opened elsewhere (here through the API) shows on the chart, which asks the
    server (GET /auth/me), not the tab's memory; the holder ends it from the chart."""
    pid = server.api("GET", "/patients?limit=50").json()["items"][10]["id"]
    body = {"patient_id": pid, "reason": REASON, "minutes": 15}
    grant = server.api("POST", "/break-glass", as_user="desk.lee", json=body).json()
    try:
        sign_in(page, server, "desk.lee", f"/patients/{pid}")
        expect(page.locator("#bg-status")).to_have_text("Emergency access to this patient is open.")
        page.get_by_role("button", name="End emergency access now").click()
        expect(page.locator("#bg-form")).to_be_visible()
        expect(page.locator("#screening")).to_have_text("Your role may not read screenings.")
        ended = server.api("GET", "/break-glass?status=all", as_user="audit.ng").json()
        assert [g["status"] for g in ended if g["id"] == grant["id"]] == ["revoked"]
    finally:
        server.api("POST", f"/break-glass/{grant['id']}/revoke", as_user="audit.ng")
