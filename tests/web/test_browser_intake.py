"""Browser: the patient chart's screening, consents, medications and MME/day (issue 4)."""

from __future__ import annotations

import re
import uuid
from typing import Any

import pytest

from tests.web.conftest import Server, expect, sign_in

pytestmark = pytest.mark.browser


def _patient_with_course(server: Server) -> tuple[str, dict[str, Any]]:
    for p in server.api("GET", "/patients?limit=50").json()["items"]:
        courses = server.api("GET", f"/patients/{p['id']}/courses").json()
        if courses:
            return p["id"], courses[0]
    raise AssertionError("the demo clinic has no patient with a course")


def test_record_a_consent_and_see_it_on_the_chart(page: Any, server: Server) -> None:
    pid, course = _patient_with_course(server)
    form_id = f"ketamine-consent-{uuid.uuid4().hex[:6]}"
    r = server.api(
        "POST",
        "/consent-forms",
        as_user="dr.ross",
        json={"form_id": form_id, "title": "Ketamine treatment consent"},
    )
    assert r.status_code == 201, r.text
    screening = server.api(
        "POST",
        f"/patients/{pid}/screenings",
        json={"findings": ["intracerebral-haemorrhage-history", "pregnancy"]},
    )
    assert screening.status_code == 201, screening.text
    med = server.api(
        "POST",
        f"/patients/{pid}/medications",
        as_user="dr.ross",
        json={
            "name": "Oxycodone ER",
            "opioid_id": "oxycodone",
            "started_on": "2026-01-01",
            "daily_dose": 40.0,
            "reason": "chronic pain",
        },
    )
    assert med.status_code == 201, med.text

    sign_in(page, server, "nurse.kim", f"/patients/{pid}")
    # the hard stop is shown in red, the relative finding with its override status
    expect(page.locator("#screening .hard-stop")).to_contain_text("intracerebral-haemorrhage")
    hard = page.locator("#screening .hard-stop")
    assert hard.evaluate("e => getComputedStyle(e).backgroundColor") != "rgba(0, 0, 0, 0)"
    expect(page.locator("#screening li.ci-relative.open")).to_contain_text("no override yet")
    # medications: 40 mg/day oxycodone = 60 MME/day (CDC 2022 factor 1.5)
    expect(page.locator("#medications tbody tr").first).to_contain_text("Oxycodone ER")
    expect(page.locator("#medications tbody tr").first.locator("td").nth(3)).to_have_text("60")
    expect(page.locator("#mme-chart svg").first).to_be_attached()
    expect(page.locator("#mme-source")).to_contain_text("mmwr.rr7103a1")
    # the course lacks the new form: shown as missing; record it through the form
    expect(page.locator("#consents")).to_contain_text(f"Missing: {form_id} v1")
    page.locator("#consent-course").select_option(course["id"])
    page.locator("#consent-doc").select_option(f"{form_id}|1")
    page.get_by_role("button", name="Record consent").click()
    expect(page.locator("#consent-msg")).to_have_text("Consent recorded.")
    expect(page.locator("#consents li.consent", has_text=f"{form_id} v1")).to_have_count(1)
    status = server.api("GET", f"/courses/{course['id']}/consents").json()
    signed = [c for c in status["consents"] if c["form_id"] == form_id]
    assert len(signed) == 1
    assert re.fullmatch(r"[0-9a-f-]{36}", signed[0]["witnessed_by"])
