"""Browser: the front desk moves a scheduled session to another day and chair from the
Schedule page, sees the calendar follow, and a move into a booked slot is refused naming
the chair and the time (POST /sessions/{id}/reschedule)."""

from __future__ import annotations

import re
from typing import Any

import pytest

from tests.web.conftest import Server, expect, sign_in

pytestmark = pytest.mark.browser


def _book(server: Server, patient_id: str, chair_id: str, at: str) -> str:
    body = {"patient_id": patient_id, "chair_id": chair_id, "scheduled_for": at}
    r = server.api("POST", "/sessions", as_user="desk.lee", json=body)
    r.raise_for_status()
    return str(r.json()["id"])


def _row(page: Any, label: str) -> Any:
    return page.locator("#calendar tbody tr", has=page.locator("th", has_text=label))


def _show_week(page: Any, server: Server, monday: str) -> dict[str, str]:
    """Sign in as the front desk, show the week from ``monday``; chair id -> its label as
    the calendar shows it."""
    sign_in(page, server, "desk.lee", "/schedule")
    expect(page.locator("#start")).not_to_have_value("")  # the page has asked for its week
    page.locator("#start").fill(monday)
    page.get_by_role("button", name="Show").click()
    sched = server.api("GET", f"/ui/schedule?start={monday}&days=1", as_user="desk.lee").json()
    return {c["id"]: c["label"] for c in sched["chairs"]}


def test_move_a_session_and_a_clash_refused(page: Any, server: Server) -> None:
    chair_a, _ = server.new_chair()
    chair_b, _ = server.new_chair()
    patients = server.api("GET", "/patients?limit=50").json()["items"]
    first = _book(server, patients[5]["id"], chair_a, "2031-09-01T09:00:00Z")
    second = _book(server, patients[6]["id"], chair_b, "2031-09-01T14:00:00Z")
    labels = _show_week(page, server, "2031-09-01")
    row_a, row_b = _row(page, labels[chair_a]), _row(page, labels[chair_b])
    expect(row_a.locator("td div")).to_have_count(1)
    name = row_a.locator("td div a").inner_text()
    row_a.get_by_role("button", name=re.compile("^Move ")).click()
    expect(page.locator("#move-which")).to_have_text(
        f"{name}, 2031-09-01 09:00 UTC in {labels[chair_a]}"
    )
    expect(page.get_by_label("New time (UTC)")).to_have_value("2031-09-01T09:00")
    page.get_by_label("New time (UTC)").fill("2031-09-02T10:00")
    page.get_by_label("Move to chair").select_option(chair_b)
    page.get_by_role("button", name="Move session").click()
    expect(page.locator("#move-msg")).to_have_text(
        f"Moved {name} to 2031-09-02 10:00 UTC in {labels[chair_b]}."
    )
    expect(page.locator("#move-form")).to_be_hidden()
    # the calendar follows: chair A is empty, chair B holds both (days 1 and 2)
    expect(row_a.locator("td div")).to_have_count(0)
    expect(row_b.locator("td div")).to_have_count(2)
    expect(row_b.locator("td").nth(1)).to_contain_text(name)
    moved = server.api("GET", f"/sessions/{first}").json()
    assert (moved["scheduled_for"], moved["chair_id"], moved["version"]) == (
        "2031-09-02T10:00:00Z",
        chair_b,
        2,
    )
    # the other session into that slot an hour later: refused, nothing moves
    row_b.locator("td").nth(0).get_by_role("button", name=re.compile("^Move ")).click()
    page.get_by_label("New time (UTC)").fill("2031-09-02T11:00")
    page.get_by_role("button", name="Move session").click()
    expect(page.locator("#move-msg")).to_contain_text(
        f"{labels[chair_b]} is already booked at 2031-09-02 10:00 UTC"
    )
    still = server.api("GET", f"/sessions/{second}").json()
    assert (still["scheduled_for"], still["version"]) == ("2031-09-01T14:00:00Z", 1)
    page.get_by_role("button", name="Keep it").click()
    expect(page.locator("#move-form")).to_be_hidden()


def test_an_older_answer_does_not_replace_the_week_asked_for_last(
    page: Any, server: Server
) -> None:
    """The page asks for this week as it opens; if that answer comes after the one for the
    week the user then asked for, the calendar kept the older week (and a move's reload
    could be overwritten the same way). Hold the first answer back until the second shows."""
    chair, _ = server.new_chair()
    pid = server.api("GET", "/patients?limit=50").json()["items"][8]["id"]
    _book(server, pid, chair, "2031-10-06T09:00:00Z")
    held: list[Any] = []

    def hold_first(route: Any) -> None:
        if "start=2031-10-06" in route.request.url:
            route.continue_()
        else:
            held.append(route)

    page.route(re.compile(r"/api/v1/ui/schedule\?start=.*&days=7$"), hold_first)
    labels = _show_week(page, server, "2031-10-06")
    row = _row(page, labels[chair])
    expect(row.locator("td div")).to_have_count(1)
    assert len(held) == 1  # the page's own first week, still unanswered
    with page.expect_response(lambda r: r.url == held[0].request.url):
        held[0].continue_()  # the late answer arrives (and must be ignored) ...
    page.evaluate("() => new Promise((done) => setTimeout(done, 0))")  # ... once handled
    expect(row.locator("td div")).to_have_count(1)
    expect(page.locator("#calendar thead th").nth(1)).to_contain_text("6 Oct")
