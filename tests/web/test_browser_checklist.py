"""Browser: the pre-session checklist panel of the session monitor is completed by the nurse,
then the administration starts (issue 4 sessions); the admin's rule-set editor."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest

from tests.web.conftest import Server, expect, sign_in

pytestmark = pytest.mark.browser


def test_checklist_then_administration(page: Any, server: Server) -> None:
    sid, device = server.running_session(patient_index=5)
    r = server.api(
        "POST", f"/sessions/{sid}/orders", as_user="dr.ross",
        json={"protocol_id": "depression-iv-40min"},
    )  # fmt: skip
    assert r.status_code == 201, r.text
    sign_in(page, server, "nurse.kim", f"/sessions/{sid}")
    expect(page.locator("#med-order")).to_contain_text("Signed order")
    items = page.locator("#ck-items")
    expect(items.locator('[data-item="fasting"]')).to_contain_text("Fasting: not met")
    expect(items.locator('[data-item="rems"]')).to_contain_text("not applicable")
    # starting now is refused, naming the unmet items
    page.get_by_label("Lot number").fill("LOT-CK-1")
    page.get_by_role("button", name="Start administration").click()
    expect(page.locator("#adm-msg")).to_contain_text("pre-session checklist")
    expect(page.locator("#adm-msg")).to_contain_text("escort")
    # the nurse completes the checklist: fasting, escort, a baseline reading, a PHQ-9
    page.get_by_label("Hours since food").fill("3")
    page.get_by_label("Hours since liquids").fill("1")
    page.get_by_role("button", name="Record fasting").click()
    expect(items.locator('[data-item="fasting"]')).to_contain_text("Fasting: met")
    expect(items.locator('[data-item="fasting"]')).to_contain_text("3.0 h since food")
    page.get_by_label("Escort name").fill("Grace Hopper")
    page.get_by_label("Escort phone").fill("+1 555 0100")
    page.get_by_role("button", name="Confirm escort").click()
    expect(items.locator('[data-item="escort"]')).to_contain_text("Grace Hopper, +1 555 0100")
    server.post_reading(sid, device, 1, sbp_mmhg=124, dbp_mmhg=78, hr_per_min=72, spo2_pct=98)
    pid = server.api("GET", f"/sessions/{sid}").json()["patient_id"]
    body = {"instrument_id": "phq-9", "answers": {f"item{i}": 1 for i in range(1, 10)},
            "administered_at": datetime.now(UTC).isoformat()}  # fmt: skip
    r = server.api("POST", f"/patients/{pid}/questionnaires", json=body)
    assert r.status_code == 201, r.text
    page.reload()
    expect(page.locator("#ck-summary")).to_have_text("complete")
    page.get_by_label("Lot number").fill("LOT-CK-1")
    page.get_by_role("button", name="Start administration").click()
    expect(page.locator("#adm-log")).to_contain_text("lot LOT-CK-1")
    adms = server.api("GET", f"/sessions/{sid}/administrations").json()
    assert [a["lot_number"] for a in adms] == ["LOT-CK-1"]


def test_admin_edits_a_rule_set(page: Any, server: Server) -> None:
    sign_in(page, server, "admin", "/admin")
    page.locator("#rs-protocol option").first.wait_for(state="attached")
    # the first rule set has loaded: choosing another cannot be overtaken by that first load
    expect(page.locator("#rs-meta")).to_contain_text("version")
    page.get_by_label("Protocol", exact=True).select_option("pain-iv-lowdose")
    expect(page.locator("#rs-meta")).to_contain_text("pain-iv-lowdose: version 1 (seeded defaults)")
    page.get_by_label("Limit spo2_pct below").fill("94")
    page.get_by_label("Reason for the change").fill("pain clinic: SpO2 alert at 94 %")
    page.get_by_role("button", name="Save new version").click()
    expect(page.locator("#rs-meta")).to_contain_text("pain-iv-lowdose: version 2")
    rs = server.api("GET", "/rule-sets/pain-iv-lowdose", as_user="admin").json()
    spo2 = [t for t in rs["thresholds"] if t["field"] == "spo2_pct"]
    assert [(t["limit"], t["provenance"]) for t in spo2] == [(94, "clinic")]
    assert rs["change_reason"] == "pain clinic: SpO2 alert at 94 %"
