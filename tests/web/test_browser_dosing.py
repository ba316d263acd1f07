"""Browser: the simulation workbench and dose ordering (soft and hard limits)."""

from __future__ import annotations

import re
from typing import Any

import pytest

from ketaclinic.pk.bands import NO_ANTIDEPRESSANT_CR
from tests.web.conftest import Server, expect, sign_in

pytestmark = pytest.mark.browser


def test_workbench_draws_curve_bands_and_window_report(page: Any, server: Server) -> None:
    sign_in(page, server, "dr.ross", "/workbench")
    chart = page.locator("#sim-chart")
    expect(page.locator("#page-error")).to_be_hidden()
    chart.locator("svg").wait_for(
        timeout=30_000
    )  # the first simulation imports and warms the engine
    # 0.5 mg/kg over 40 min for 70 kg = 35 mg (Sanacora 2017); Kamp 2020 typical Cp at 40 min
    # is 253.1 ng/mL (the simulate() doctest), so the peak shown is about 253 ng/mL.
    caption = page.locator("#sim-caption")
    expect(caption).to_contain_text("iv-infusion 35 mg over 40 min")
    report = page.locator("#window")
    assert re.search(r"Peak plasma 25[0-9] ng/mL at 40 min", report.text_content())
    assert page.locator("#window table tbody tr").count() == 4  # the four literature bands
    assert NO_ANTIDEPRESSANT_CR in page.locator("#statement").text_content()
    # plasma and effect site; Kamp 2020 publishes no BSV, so no population band, and it says so
    assert chart.locator("polyline.s-plasma").count() == 1
    assert chart.locator("polyline.s-effect").count() == 1
    assert chart.locator("polygon.area").count() == 0
    assert "publishes no between-subject variability" in caption.text_content()
    assert "analgesia" in page.locator("#sim-chart .legend").text_content()
    # esketamine: Perez-Ruixo 2021 has published BSV -> a 5th-95th percentile band
    page.get_by_label("Protocol", exact=True).select_option("esketamine-nasal-trd")
    page.get_by_role("button", name="Simulate").click()
    expect(caption).to_contain_text("perez-ruixo-2021; intranasal 56 mg")
    expect(chart.locator("polygon.area")).to_have_count(1)
    # a regimen instead of a protocol
    page.get_by_label("A regimen").check()
    page.get_by_label("Route").select_option("iv-bolus")
    page.get_by_label("Amount, mg").fill("70")
    page.get_by_label(re.compile("Population band")).uncheck()
    page.get_by_role("button", name="Simulate").click()
    expect(caption).to_contain_text("iv-bolus 70 mg")
    expect(chart.locator("polygon.area")).to_have_count(0)


def _order(page: Any, dose: str) -> None:
    page.get_by_label("Protocol").select_option("depression-iv-40min")
    page.get_by_label("Weight, kg").fill("70")
    page.get_by_label("Or another dose").fill(dose)
    page.get_by_role("button", name="Calculate").click()


def test_order_without_a_patient_is_a_calculation_only(page: Any, server: Server) -> None:
    """Weight by hand, no patient: the calculator's values and limits, labelled as a
    calculation; nothing to sign (a signed order is stored on a session:
    test_browser_order_sessions.py)."""
    sign_in(page, server, "dr.ross", "/orders")
    page.locator("#order-form[data-ready=true]").wait_for()
    expect(page.locator("#target-note")).to_contain_text("Calculation only")
    _order(page, "0.5")
    values = page.locator("#order-values")
    values.wait_for()
    text = values.text_content()
    # calculator doctest: 35 mg, 3.5 mL at 10 mg/mL, 5.25 mL/h over 40 min
    assert "35 mg" in text
    assert "3.5 mL" in text
    assert "5.25 mL/h" in text
    assert page.locator("#limits tbody tr").count() >= 5
    expect(page.locator("#no-sign")).to_contain_text("Calculation only. Not an order")
    assert page.locator("#sign-card").is_hidden()


def test_soft_limit_without_a_patient_is_named_but_not_signable(page: Any, server: Server) -> None:
    sign_in(page, server, "dr.ross", "/orders")
    page.locator("#order-form[data-ready=true]").wait_for()
    _order(page, "0.9")  # soft max 0.75 mg/kg (Andrade 2017), hard max 1.0
    calc = page.locator("#no-sign")
    calc.wait_for()
    assert "dose_mg_per_kg must be <= 0.75 mg/kg" in calc.text_content()
    assert page.locator("#limits td.breach.soft").count() >= 1
    expect(page.locator("#order-values")).to_contain_text("63 mg")  # 0.9 mg/kg x 70 kg
    assert page.locator("#override-form").is_hidden()
    assert page.locator("#sign-card").is_hidden()


def test_hard_limit_refuses_and_says_why(page: Any, server: Server) -> None:
    sign_in(page, server, "dr.ross", "/orders")
    page.locator("#order-form[data-ready=true]").wait_for()
    _order(page, "1.2")
    refusal = page.locator("#refusal")
    refusal.wait_for()
    assert "dose_mg_per_kg must be <= 1 mg/kg" in refusal.text_content()
    assert "hard limit" in refusal.text_content()
    assert page.locator("#sign-card").is_hidden()
    assert page.locator("#override-form").is_hidden()
    # the server refuses too, whatever the page shows: signing is a session's order
    sid, _device = server.running_session(patient_index=6)
    r = server.api(
        "POST",
        f"/sessions/{sid}/orders",
        as_user="dr.ross",
        json={"protocol_id": "depression-iv-40min", "dose_mg_per_kg": 1.2},
    )
    assert r.status_code == 422
    err = r.json()["error"]
    assert (err["field"], err["unit"]) == ("dose_mg_per_kg", "mg/kg")
    assert err["message"].startswith("dose_mg_per_kg must be <= 1 mg/kg")
    assert server.api("GET", f"/sessions/{sid}/orders").json() == []


def test_enter_before_the_page_is_ready_neither_navigates_nor_orders(
    page: Any, server: Server
) -> None:
    """CI once saw Enter submit the order form natively while the page was still loading
    its patient list (protocols listed, the script's submit handler not yet attached):
    the page navigated to ?protocol_id=<first option> and calculated nothing. Hold the
    patient list back and press Enter: the page stays, says it is loading, then works."""
    held: list[Any] = []
    page.route(re.compile(r"/api/v1/patients\?limit=200$"), lambda route: held.append(route))
    sign_in(page, server, "dr.ross", "/orders")
    page.locator("#protocol option").first.wait_for(state="attached")
    page.get_by_label("Weight, kg").fill("70")
    page.get_by_label("Weight, kg").press("Enter")
    expect(page.locator("#page-error")).to_contain_text("still loading")
    assert page.url.endswith("/orders")
    assert len(held) == 1
    held[0].continue_()
    page.locator("#order-form[data-ready=true]").wait_for()
    assert page.get_by_label("Protocol").input_value() == "depression-iv-40min"
    page.get_by_role("button", name="Calculate").click()
    expect(page.locator("#order-values")).to_contain_text("35 mg")
