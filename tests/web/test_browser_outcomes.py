"""Browser: enter a PHQ-9 on the patient chart, see the trajectory with its response and
remission lines, the safety flag on the dashboard, and the rates on the Outcomes page."""

from __future__ import annotations

import re
from typing import Any

import pytest

from tests.web.conftest import Server, expect, sign_in

pytestmark = pytest.mark.browser


def _patient_id(server: Server, family: str) -> str:
    r = server.api("GET", f"/patients?q={family}&limit=5")
    r.raise_for_status()
    return str(next(p["id"] for p in r.json()["items"] if p["family_name"] == family))


def test_enter_phq9_see_trajectory_flag_and_rates(page: Any, server: Server) -> None:
    pid = _patient_id(server, "Hopper")
    sign_in(page, server, "dr.ross", f"/patients/{pid}")
    phq = page.locator('#outcome-charts [data-instrument="phq-9"]')
    expect(phq.locator("svg circle").first).to_be_attached()
    before = int(phq.get_attribute("data-points") or "0")
    assert before >= 6  # the demo's series: baseline + one per infusion + a week after
    # response line (50% below the course baseline) and remission line (PHQ-9 <= 4)
    expect(phq.locator("svg .hline-label.response")).to_contain_text("response")
    expect(phq.locator("svg .hline-label.remission")).to_contain_text("remission (≤ 4)")
    assert phq.locator("svg line.vline.session").count() >= 6  # the infusion dates
    # enter a PHQ-9 through the form: item 1 = 2, item 2 = 1, item 9 = 1 (safety flag)
    page.get_by_text("Enter a questionnaire").click()
    page.get_by_label("Instrument").select_option("phq-9")
    page.locator("#q-item1").select_option("2")
    page.locator("#q-item2").select_option("1")
    page.locator("#q-item9").select_option("1")
    page.get_by_role("button", name="Score and save").click()
    expect(page.locator("#q-result")).to_contain_text("total 4 (minimal)")
    expect(page.locator("#q-result")).to_contain_text("prescriber has been notified")
    expect(phq).to_have_attribute("data-points", str(before + 1))
    # the safety flag is on the dashboard until a named user acknowledges it
    page.get_by_role("link", name="Dashboard").click()
    flag = page.locator("#safety-list li", has_text="PHQ-9").filter(
        has=page.locator(f'a[href="/patients/{pid}"]')
    )
    expect(flag).to_have_count(1)
    flag.get_by_role("button", name="Acknowledge").click()
    expect(flag).to_have_count(0)
    acked = server.api("GET", "/notifications?include_acknowledged=true", as_user="dr.ross")
    mine = [n for n in acked.json() if n["patient_id"] == pid and n["acknowledged_at"]]
    assert mine
    assert (
        mine[0]["acknowledged_by"] == server.api("GET", "/auth/me", as_user="dr.ross").json()["id"]
    )
    # the Outcomes page: response and remission rates with 95% CIs by indication/protocol
    page.get_by_role("link", name="Outcomes").click()
    row = page.locator('#rates-table tr[data-group="depression/depression-iv-40min"]')
    expect(row.locator('[data-testid="response-rate"]')).to_contain_text(
        re.compile(r"\d+ % \(\d+/12; \d+–\d+ %\)")
    )
    expect(row.locator('[data-testid="remission-rate"]')).to_contain_text(re.compile(r"/12; "))
    expect(page.locator("#rates-chart svg circle").first).to_be_attached()
    expect(page.locator("#rates-note")).to_contain_text("95% confidence intervals")
