"""Browser: the stand-alone dose-order page (``/orders`` without ``?session=``) stores every
signed order on a session of the chosen patient (scheduled or in progress, soonest first);
a patient without such a session gets a calculation and a link to the schedule."""

from __future__ import annotations

import secrets
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from tests.web.conftest import Server, expect, sign_in

pytestmark = pytest.mark.browser


def _patient(server: Server, given: str, weight_kg: float) -> str:
    """A new patient with a weight and height on record. Family name Zuse: after every demo
    patient in the register's order, so other tests' patient indexes do not move."""
    body = {"mrn": "ZUSE-" + secrets.token_hex(3), "given_name": given, "family_name": "Zuse",
            "birth_date": "1975-06-22", "sex": "male"}  # fmt: skip
    r = server.api("POST", "/patients", json=body)
    assert r.status_code == 201, r.text
    pid = str(r.json()["id"])
    m = {"measured_at": datetime.now(UTC).isoformat(), "weight_kg": weight_kg, "height_cm": 180}
    r = server.api("POST", f"/patients/{pid}/measurements", json=m)
    assert r.status_code == 201, r.text
    return pid


def _book(server: Server, pid: str, at: datetime, course_id: str | None = None) -> str:
    chair, _device = server.new_chair()
    body = {"patient_id": pid, "chair_id": chair, "scheduled_for": at.isoformat()}
    if course_id:
        body["course_id"] = course_id
    r = server.api("POST", "/sessions", json=body)
    assert r.status_code == 201, r.text
    return str(r.json()["id"])


def test_signing_on_the_stand_alone_page_stores_the_order_on_the_chosen_session(
    page: Any, server: Server
) -> None:
    pid = _patient(server, "Konrad", 80)
    course = {"indication": "depression", "protocol_id": "depression-iv-40min",
              "planned_sessions": 6, "endpoint": "PHQ-9 response",
              "started_on": datetime.now(UTC).date().isoformat()}  # fmt: skip
    r = server.api("POST", f"/patients/{pid}/courses", as_user="dr.ross", json=course)
    assert r.status_code == 201, r.text
    cid = r.json()["id"]
    now = datetime.now(UTC)
    later = _book(server, pid, now + timedelta(days=3), cid)
    sooner = _book(server, pid, now + timedelta(days=1), cid)
    sign_in(page, server, "dr.ross", "/orders")
    page.locator("#order-form[data-ready=true]").wait_for()
    expect(page.locator("#target-note")).to_contain_text("Calculation only")
    page.get_by_label("Patient").select_option(pid)
    # both sessions listed, soonest first and chosen; the course fixes the protocol
    options = page.get_by_label("Session", exact=True).locator("option")
    expect(options).to_have_count(2)
    assert [options.nth(i).get_attribute("value") for i in range(2)] == [sooner, later]
    assert page.get_by_label("Session", exact=True).input_value() == sooner
    expect(page.get_by_label("Protocol")).to_be_disabled()
    expect(page.get_by_label("Weight, kg")).to_be_disabled()  # from the record: 80 kg
    expect(page.locator("#target-note")).to_contain_text("stores the order on the chosen session")
    page.get_by_label("Session", exact=True).select_option(later)
    page.get_by_label("Or another dose").fill("0.9")  # soft max 0.75 mg/kg (Andrade 2017)
    page.get_by_role("button", name="Calculate").click()
    form = page.locator("#override-form")
    form.wait_for()
    assert "dose_mg_per_kg must be <= 0.75 mg/kg" in form.text_content()
    expect(page.locator("#order-values")).to_contain_text("72 mg")  # 0.9 mg/kg x 80 kg
    page.get_by_label("Reason").fill("partial response at 0.75 mg/kg")
    # the prescriber cannot be their own second clinician
    page.get_by_label("Second clinician (username)").fill("dr.ross")
    page.get_by_label("Second clinician's password").fill(server.logins["dr.ross"])
    page.get_by_role("button", name="Sign with override").click()
    expect(page.locator("#page-error")).to_contain_text("another person than the prescriber")
    assert server.api("GET", f"/sessions/{later}/orders").json() == []
    page.get_by_label("Second clinician (username)").fill("nurse.kim")
    page.get_by_label("Second clinician's password").fill(server.logins["nurse.kim"])
    page.get_by_role("button", name="Sign with override").click()
    msg = page.locator("#sign-msg")
    expect(msg).to_contain_text("Order signed and stored on the session of")
    expect(msg).to_contain_text("72 mg")
    expect(msg).to_contain_text("second clinician nurse.kim")
    # stored on the chosen session, not the other one
    orders = server.api("GET", f"/sessions/{later}/orders").json()
    assert [(o["dose_mg"], o["override_reason"]) for o in orders] == [
        (pytest.approx(72.0), "partial response at 0.75 mg/kg")
    ]
    assert orders[0]["override_confirmed_by"] is not None
    assert server.api("GET", f"/sessions/{sooner}/orders").json() == []
    # and the session's monitor shows it
    msg.get_by_role("link", name="Open the session").click()
    page.wait_for_url(f"**/sessions/{later}")
    expect(page.locator("#med-order")).to_contain_text("Signed order: 72 mg iv-infusion")
    expect(page.locator("#med-order")).to_contain_text("override: partial response")


def test_a_patient_without_a_booked_session_gets_a_calculation_and_a_schedule_link(
    page: Any, server: Server
) -> None:
    pid = _patient(server, "Horst", 70)
    done = _book(server, pid, datetime.now(UTC) - timedelta(days=2))
    r = server.api("POST", f"/sessions/{done}/cancel", headers={"If-Match": '"1"'})
    assert r.status_code == 200, r.text  # a cancelled session takes no order
    sign_in(page, server, "dr.ross", "/orders")
    page.locator("#order-form[data-ready=true]").wait_for()
    page.get_by_label("Patient").select_option(pid)
    note = page.locator("#target-note")
    expect(note).to_contain_text("signing needs a booked session")
    expect(note.get_by_role("link", name="Book a session on the schedule")).to_have_attribute(
        "href", "/schedule"
    )
    expect(page.locator("#session-pick")).to_be_hidden()
    page.get_by_label("Or another dose").fill("0.9")
    page.get_by_role("button", name="Calculate").click()
    # the calculation from the record (70 kg), its soft limit named, and no way to sign
    expect(page.locator("#order-values")).to_contain_text("63 mg")
    calc = page.locator("#no-sign")
    expect(calc).to_contain_text("Calculation only.")
    expect(calc).to_contain_text("signing needs a booked session of this patient")
    expect(calc).to_contain_text("dose_mg_per_kg must be <= 0.75 mg/kg")
    expect(calc.get_by_role("link", name="Book one on the schedule")).to_have_attribute(
        "href", "/schedule"
    )
    assert page.locator("#override-form").is_hidden()
    assert page.locator("#sign-card").is_hidden()
    # a hard limit still refuses and says why
    page.get_by_label("Or another dose").fill("1.2")
    page.get_by_role("button", name="Calculate").click()
    expect(page.locator("#refusal")).to_contain_text("dose_mg_per_kg must be <= 1 mg/kg")
    assert page.locator("#no-sign").is_hidden()
    # the server has no sign-without-a-session endpoint any more
    gone = {"protocol_id": "depression-iv-40min", "patient_id": pid, "dose_mg_per_kg": 0.5}
    assert server.api("POST", "/ui/orders/sign", as_user="dr.ross", json=gone).status_code in {
        404,
        405,
    }
