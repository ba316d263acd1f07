"""Browser: a session's order with a soft-limit override, the administration record, a
MOAA/S score and an adverse event on the session monitor (issue 4 orders and records)."""

from __future__ import annotations

from typing import Any

import pytest

from tests.web.conftest import Server, expect, sign_in

pytestmark = pytest.mark.browser


def test_session_order_override_administration_score_and_adverse_event(
    page: Any, server: Server
) -> None:
    sid, _device = server.running_session(patient_index=3)
    sign_in(page, server, "dr.ross", f"/orders?session={sid}")
    page.locator("#order-form[data-ready=true]").wait_for()
    # the session's patient is shown, and fixed; the weight comes from the record
    pid = server.api("GET", f"/sessions/{sid}").json()["patient_id"]
    expect(page.get_by_label("Patient")).to_have_value(pid)
    expect(page.get_by_label("Patient")).to_be_disabled()
    expect(page.get_by_label("Weight, kg")).to_be_disabled()
    page.get_by_label("Protocol").select_option("depression-iv-40min")
    page.get_by_label("Or another dose").fill("0.9")  # soft max 0.75 mg/kg (Andrade 2017)
    page.get_by_role("button", name="Calculate").click()
    form = page.locator("#override-form")
    form.wait_for()
    assert "dose_mg_per_kg must be <= 0.75 mg/kg" in form.text_content()
    page.get_by_label("Reason").fill("partial response at 0.75 mg/kg")
    page.get_by_label("Second clinician (username)").fill("nurse.kim")
    page.get_by_label("Second clinician's password").fill(server.logins["nurse.kim"])
    page.get_by_role("button", name="Sign with override").click()
    msg = page.locator("#sign-msg")
    expect(msg).to_contain_text("Order signed and stored for this session")
    expect(msg).to_contain_text("second clinician nurse.kim")
    orders = server.api("GET", f"/sessions/{sid}/orders").json()
    assert len(orders) == 1
    assert orders[0]["override_reason"] == "partial response at 0.75 mg/kg"
    assert orders[0]["override_confirmed_by"] is not None
    assert orders[0]["result"]["dose_mg_per_kg"] == pytest.approx(0.9)

    # the nurse records the administration, a MOAA/S score and an adverse event
    for item in ("fasting", "escort", "baseline_vitals", "questionnaire"):  # checklist: own test
        body = {"item": item, "reason": "checklist tested in test_browser_checklist.py"}
        r = server.api("POST", f"/sessions/{sid}/checklist/overrides", as_user="dr.ross", json=body)
        assert r.status_code == 201, r.text
    page.get_by_role("button", name="Sign out").click()
    page.wait_for_url("**/login")
    sign_in(page, server, "nurse.kim", f"/sessions/{sid}")
    expect(page.locator("#med-order")).to_contain_text("Signed order")
    expect(page.locator("#med-order")).to_contain_text("override: partial response")
    # before the start only the start form shows (regression: .inline-form's display beat
    # the hidden attribute, so the rate-change and stop forms showed with nothing running)
    expect(page.locator("#adm-stop-form")).to_be_hidden()
    expect(page.locator("#adm-change-form")).to_be_hidden()
    page.get_by_label("Lot number").fill("LOT-42")
    page.get_by_role("button", name="Start administration").click()
    expect(page.locator("#adm-log")).to_contain_text("lot LOT-42")
    expect(page.locator("#adm-start-form")).to_be_hidden()
    expect(page.locator("#adm-stop-form")).to_be_visible()
    expect(page.locator("#med-prediction")).to_contain_text("from the administration record")
    expect(page.locator("#med-prediction")).to_contain_text("kamp-2020")
    adms = server.api("GET", f"/sessions/{sid}/administrations").json()
    assert len(adms) == 1
    assert adms[0]["rates"][0]["rate_mg_per_h"] == pytest.approx(orders[0]["rate_mg_per_h"])

    page.get_by_label("MOAA/S (0–5)", exact=True).select_option("4")
    page.get_by_role("button", name="Record MOAA/S").click()
    expect(page.locator("#scores-log")).to_contain_text("MOAA/S 4")

    page.get_by_label("Event", exact=True).fill("nausea")
    page.get_by_label("Severity", exact=True).select_option("moderate")
    page.get_by_label("Action taken", exact=True).select_option("rate_reduced")
    page.get_by_role("button", name="Record adverse event").click()
    expect(page.locator("#ae-log")).to_contain_text("nausea: moderate")
    aes = server.api("GET", f"/sessions/{sid}/adverse-events").json()
    assert [(a["event_type"], a["administration_id"]) for a in aes] == [("nausea", adms[0]["id"])]
    scores = server.api("GET", f"/sessions/{sid}/scores").json()
    assert [(s["scale"], s["total"]) for s in scores] == [("moaas", 4)]
