"""Browser: sign-in, the dashboard, and the chairside session monitor fed by a chair monitor."""

from __future__ import annotations

import re
from typing import Any

import pytest

from tests.web.conftest import Server, expect, sign_in

pytestmark = pytest.mark.browser

#: New readings must appear within two seconds without reloading (issue 5).
LIVE_MS = 2000
NORMAL = {"sbp_mmhg": 128, "dbp_mmhg": 78, "hr_per_min": 74, "spo2_pct": 98, "rr_per_min": 14}


def test_sign_in_refuses_a_wrong_password_then_shows_the_dashboard(
    page: Any, server: Server
) -> None:
    page.goto("/dashboard")
    page.wait_for_url("**/login?next=%2Fdashboard")  # no token: sent to sign in
    page.get_by_label("Username").fill("nurse.kim")
    page.get_by_label("Password").fill("not the password")
    page.get_by_role("button", name="Sign in").click()
    expect(page.locator("#login-error")).to_contain_text("username or password is wrong")
    page.get_by_label("Password").fill(server.logins["nurse.kim"])
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url("**/dashboard")
    expect(page.locator("#who")).to_contain_text("nurse.kim (nurse)")
    # the demo clinic's session in progress is in Chair 1
    chair1 = page.locator("#chairs li", has_text="Chair 1")
    expect(chair1).to_contain_text("Lovelace, Ada")
    expect(page.locator("#sessions tbody tr").first).to_be_visible()
    assert page.get_by_role("navigation", name="Main").is_visible()
    # signing out ends the token on the server
    page.get_by_role("button", name="Sign out").click()
    page.wait_for_url("**/login")


def test_readings_from_the_chair_monitor_appear_within_two_seconds(
    page: Any, server: Server
) -> None:
    sid, device = server.running_session(patient_index=2)
    sign_in(page, server, "nurse.kim", f"/sessions/{sid}")
    expect(page.locator("#latest")).to_contain_text("Waiting for the chair monitor")
    rows = page.locator("#readings tbody tr")
    expect(rows).to_have_count(0)
    server.post_reading(sid, device, 1, **NORMAL)
    expect(rows).to_have_count(1, timeout=LIVE_MS)
    expect(page.locator("#latest")).to_contain_text("128/78")
    server.post_reading(sid, device, 2, **{**NORMAL, "hr_per_min": 81})
    expect(rows).to_have_count(2, timeout=LIVE_MS)
    expect(rows.first).to_contain_text("81")  # newest first
    # the chart has a point per reading for each vital
    expect(page.locator("#vitals-chart circle.s-hr")).to_have_count(2)
    # threshold lines are drawn (SpO2 < 92 high priority, Spravato REMS / EHR guide defaults)
    expect(page.locator("#vitals-chart text.hline-label", has_text="spo2_pct < 92")).to_have_count(
        1
    )
    # the predicted concentration with a "now" marker
    expect(page.locator("#pk-chart line.vline")).to_have_count(1)
    expect(page.locator("#pk-caption")).to_contain_text(re.compile(r"Now \(\d+ min\): predicted"))
    expect(page.locator("#t-elapsed")).to_contain_text("of 40 min")


def test_out_of_range_reading_raises_an_alert_to_acknowledge(page: Any, server: Server) -> None:
    sid, device = server.running_session(patient_index=3)
    server.post_reading(sid, device, 1, **NORMAL)
    sign_in(page, server, "nurse.kim", f"/sessions/{sid}")
    expect(page.locator("#readings tbody tr")).to_have_count(1)
    expect(page.locator("#no-alerts")).to_be_visible()
    out = server.post_reading(sid, device, 2, **{**NORMAL, "spo2_pct": 88})
    assert [a["priority"] for a in out["alerts"]] == ["high"]
    alert = page.locator("#alerts li.high")
    expect(alert).to_have_count(1, timeout=LIVE_MS)
    expect(alert).to_contain_text("SpO2 88 % is below the limit 92 %")
    expect(page.locator("#alerts-live")).to_contain_text("New high priority alert")
    expect(page.locator("#latest div.out")).to_contain_text("88")
    expect(page.locator("#readings td.out")).to_have_count(1)
    # the dashboard lists it, highest priority first
    page.goto("/dashboard")
    expect(page.locator("#alerts li").first).to_contain_text("SpO2 88 %")
    page.locator("#alerts li", has_text="SpO2 88 %").get_by_role(
        "link", name="Open session"
    ).click()
    page.wait_for_url(f"**/sessions/{sid}")
    alert.get_by_role("button", name=re.compile("Acknowledge high priority alert")).click()
    expect(alert).to_contain_text("acknowledged")
    assert server.api("GET", f"/sessions/{sid}/alerts").json()[0]["acknowledged_by"] is not None


def test_discharge_shows_what_blocks_and_completes_when_all_criteria_hold(
    page: Any, server: Server
) -> None:
    sid, device = server.running_session(patient_index=4)
    server.post_reading(sid, device, 1, **NORMAL)
    sign_in(page, server, "nurse.kim", f"/sessions/{sid}")
    crit = page.locator("#criteria")
    expect(crit.locator("li.blocks")).to_have_count(3)  # Aldrete, escort, signature
    expect(crit.locator('li[data-criterion="modified-aldrete"]')).to_contain_text("not recorded")
    expect(crit.locator('li[data-criterion="vitals-within-limits"]')).to_have_class("met")
    page.get_by_role("button", name=re.compile("Complete discharge")).click()
    expect(page.locator("#discharge-msg")).to_contain_text("discharge needs the clinician")
    for name in ("Activity", "Respiration", "Circulation", "Consciousness"):
        page.get_by_label(name, exact=True).select_option("2")
    page.get_by_label("Oxygen saturation").select_option("1")  # total 9: the minimum
    page.get_by_label("Escort / ride home confirmed").check()
    expect(crit.locator("li.blocks")).to_have_count(1)  # only the signature still blocks
    expect(crit.locator("li.blocks")).to_have_attribute("data-criterion", "clinician-signature")
    page.get_by_label(re.compile("I judge the patient clinically stable")).check()
    expect(crit.locator("li.blocks")).to_have_count(0)
    page.get_by_role("button", name="Complete discharge").click()
    expect(page.locator("#discharge-msg")).to_contain_text("Discharged at")
    expect(page.locator("#status")).to_have_text("completed")
    assert server.api("GET", f"/sessions/{sid}").json()["status"] == "completed"
