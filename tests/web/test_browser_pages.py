"""Browser: patient chart, schedule, outcomes, admin; keyboard use and landmarks."""

from __future__ import annotations

import re
from typing import Any

import pytest

from tests.web.conftest import Server, expect, sign_in

pytestmark = pytest.mark.browser


def test_patient_chart_lists_sessions_with_summaries(page: Any, server: Server) -> None:
    sign_in(page, server, "nurse.kim", "/patients")
    page.get_by_label("Search by name or MRN").fill("Turing")
    page.get_by_role("button", name="Search").click()
    expect(page.locator("#patients tbody tr")).to_have_count(1)
    page.get_by_role("link", name="Turing, Alan").click()
    expect(page.locator("#patient-name")).to_have_text("Turing, Alan")
    # the demo gives odd-numbered patients 8 past sessions with 8 readings each
    expect(page.locator("#sess-count")).to_have_text("(8 completed of 8)")
    expect(page.locator("#sessions tbody tr").first.locator("td").nth(3)).to_have_text("8")
    # the demo records one weight per patient: stated in words, not drawn as a chart
    expect(page.locator("#weight-chart")).to_contain_text(
        re.compile(r"One measurement: \d+(\.\d)? kg")
    )


def test_outcomes_chart_and_schedule_and_admin(page: Any, server: Server) -> None:
    sign_in(page, server, "nurse.kim", "/outcomes")
    expect(
        page.locator("#outcome-chart svg polyline, #outcome-chart svg circle").first
    ).to_be_attached()
    expect(page.locator("#outcome-note")).to_contain_text(re.compile(r"of \d+ completed sessions"))
    page.get_by_role("link", name="Schedule").click()
    expect(page.locator("#calendar th[scope=row]", has_text="Chair 1")).to_be_visible()
    # this week holds at least the demo's session in progress, counted against capacity
    expect(page.locator("#calendar tbody tr").last).to_contain_text(
        re.compile(r"[1-9]\d* sessions")
    )
    page.get_by_role("link", name="Admin").click()
    expect(page.locator("#protocols details").first).to_be_visible()
    expect(page.locator("#thresholds tbody tr")).to_have_count(9)  # DEFAULT_RULES
    expect(page.locator("#staff-note")).to_contain_text("may not perform staff.read")  # a nurse


def test_keyboard_skip_link_landmarks_and_labels(page: Any, server: Server) -> None:
    sign_in(page, server, "nurse.kim", "/dashboard")
    page.locator("#chairs li").first.wait_for()
    page.keyboard.press("Tab")
    expect(page.locator("a.skip")).to_be_focused()
    page.keyboard.press("Enter")
    expect(page.locator("main")).to_be_focused()
    for role in ("banner", "main", "contentinfo"):
        expect(page.get_by_role(role)).to_have_count(1)
    # the dose order form can be filled and submitted by keyboard alone
    page.goto("/orders")
    page.locator("#order-form[data-ready=true]").wait_for()
    page.get_by_label("Weight, kg").focus()
    page.keyboard.type("70")
    page.keyboard.press("Enter")  # submits the form
    expect(page.locator("#order-values")).to_contain_text("35 mg")
    # every form control on the monitor has a label
    sid, _device = server.running_session(patient_index=5)
    page.goto(f"/sessions/{sid}")
    page.locator("#criteria li").first.wait_for()
    unlabeled = page.evaluate(
        """() => [...document.querySelectorAll('input, select, textarea')]
              .filter((e) => !(e.labels && e.labels.length) && !e.getAttribute('aria-label'))
              .map((e) => e.id || e.name)"""
    )
    assert unlabeled == []
    # no horizontal scrolling at tablet width
    assert page.evaluate("document.documentElement.scrollWidth") <= 768
