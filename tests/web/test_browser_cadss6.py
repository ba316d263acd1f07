"""Browser: a CADSS-6 entered by item id on the session monitor is scored by the API."""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from ketaclinic.monitoring.scales import CADSS6_ITEMS
from tests.web.conftest import Server, expect, sign_in

pytestmark = pytest.mark.browser


def test_cadss6_entered_by_item_id_is_scored_and_stored(page: Any, server: Server) -> None:
    sid, _device = server.running_session(patient_index=5)
    sign_in(page, server, "nurse.kim", f"/sessions/{sid}")
    answers = dict(zip(CADSS6_ITEMS, (0, 1, 2, 3, 4, 2), strict=True))
    form = page.locator("#cadss6-form")
    for item, value in answers.items():
        form.get_by_label(item, exact=True).select_option(str(value))
    # items are shown by id only: no licensed item text on the page
    expect(form.locator("label")).to_have_text(list(CADSS6_ITEMS))
    page.get_by_role("button", name="Record CADSS-6").click()
    expect(page.locator("#cadss6-msg")).to_have_text("CADSS-6 total 12 of 24 recorded.")
    scores = server.api("GET", f"/sessions/{sid}/scores").json()
    assert [(s["scale"], s["total"], s["items"]) for s in scores] == [("cadss6", 12, answers)]
    expect(form.get_by_label("cadss1", exact=True)).to_have_value("")  # the form is cleared


def _monitor_with_a_moaas(page: Any, server: Server, patient_index: int) -> tuple[str, Any]:
    """A running session's monitor, under Playwright's clock, with one MOAA/S in its score
    log (drawn by the first refresh at load): (session id, the log's items)."""
    sid, _device = server.running_session(patient_index=patient_index)
    sign_in(page, server, "nurse.kim", f"/sessions/{sid}")
    server.api("POST", f"/sessions/{sid}/scores", json={
        "scale": "moaas", "measured_at": datetime.now(UTC).isoformat(), "moaas": 4})  # fmt: skip
    page.clock.install()
    page.reload()
    log = page.locator("#scores-log li")
    expect(log).to_have_count(1)
    return sid, log


def _record_cadss6_all_ones(page: Any) -> None:
    form = page.locator("#cadss6-form")
    for item in CADSS6_ITEMS:
        form.get_by_label(item, exact=True).select_option("1")
    page.get_by_role("button", name="Record CADSS-6").click()


def test_cadss6_appears_in_the_score_log_at_once(page: Any, server: Server) -> None:
    """The score log shows a new CADSS-6 right after the entry, not at its 15-s refresh: the
    page's timers are frozen (Playwright's clock), so only the entry itself can redraw it."""
    _sid, log = _monitor_with_a_moaas(page, server, patient_index=5)
    page.clock.pause_at(datetime.now(UTC) + timedelta(minutes=1))  # no interval fires now
    _record_cadss6_all_ones(page)
    expect(page.locator("#cadss6-msg")).to_have_text("CADSS-6 total 6 of 24 recorded.")
    expect(log).to_have_count(2)
    expect(log.first).to_contain_text("CADSS-6 6")
    expect(log.nth(1)).to_contain_text("MOAA/S 4")


def test_a_late_older_refresh_does_not_hide_a_new_score(page: Any, server: Server) -> None:
    """Regression (the flake of test_cadss6_appears_in_the_score_log_at_once under load):
    the 15-s refresh, started before a CADSS-6 was recorded, answered after the refresh the
    entry triggered, and redrew the older score list; the new score vanished until the next
    refresh. Hold that refresh's scores answer, record, then let it arrive stale."""
    sid, log = _monitor_with_a_moaas(page, server, patient_index=6)
    stale = server.api("GET", f"/sessions/{sid}/scores").json()  # the MOAA/S alone
    held: list[Any] = []

    def hold_first_get(route: Any) -> None:
        if route.request.method == "GET" and not held:
            held.append(route)
        else:
            route.continue_()

    page.route(re.compile(rf"/api/v1/sessions/{sid}/scores$"), hold_first_get)
    page.clock.pause_at(datetime.now(UTC) + timedelta(minutes=1))  # the 15-s refresh fires
    for _ in range(200):
        if held:
            break
        page.wait_for_timeout(25)
    assert len(held) == 1
    _record_cadss6_all_ones(page)
    expect(log).to_have_count(2)
    held[0].fulfill(status=200, content_type="application/json", body=json.dumps(stale))
    page.wait_for_timeout(300)  # the stale answer arrives (real time: only timers are frozen)
    expect(log).to_have_count(2)
    expect(log.first).to_contain_text("CADSS-6 6")
