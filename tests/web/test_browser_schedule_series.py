"""Browser: the front desk books a course's six infusions into a chair from the Schedule page,
sees them on the calendar, and a clashing series is refused naming the chair and the time."""

from __future__ import annotations

from typing import Any

import pytest

from tests.web.conftest import Server, expect, sign_in

pytestmark = pytest.mark.browser


def _course(server: Server, patient_id: str) -> str:
    r = server.api(
        "POST",
        f"/patients/{patient_id}/courses",
        as_user="dr.ross",
        json={"indication": "depression", "protocol_id": "depression-iv-40min",
              "planned_sessions": 6, "endpoint": "PHQ-9 response", "started_on": "2031-03-03"},
    )  # fmt: skip
    r.raise_for_status()
    return str(r.json()["id"])


def _fill(page: Any, patient_id: str, course_id: str, chair_id: str, first: str) -> None:
    page.get_by_label("Patient").select_option(patient_id)
    expect(page.locator(f"#series-course option[value='{course_id}']")).to_have_count(1)
    page.get_by_label("Active course").select_option(course_id)
    page.get_by_label("Chair", exact=True).select_option(chair_id)
    page.get_by_label("First session (UTC)").fill(first)


def test_book_a_series_see_it_on_the_calendar_and_a_clash_refused(
    page: Any, server: Server
) -> None:
    chair_id, _ = server.new_chair()
    patients = server.api("GET", "/patients?limit=50").json()["items"]
    first_pid, second_pid = patients[3]["id"], patients[4]["id"]
    course = _course(server, first_pid)
    sign_in(page, server, "desk.lee", "/schedule")
    _fill(page, first_pid, course, chair_id, "2031-03-03T09:00")
    expect(page.get_by_label("Days from the first")).to_have_value("0, 2, 4, 7, 9, 11")
    label = page.locator("#series-chair option:checked").inner_text()
    page.get_by_role("button", name="Book series").click()
    expect(page.locator("#series-msg")).to_have_text(f"Booked 6 sessions in {label}.")
    # the calendar moved to the week from 3 March 2031: days 0, 2 and 4 of the series
    expect(page.locator("#start")).to_have_value("2031-03-03")
    row = page.locator("#calendar tbody tr", has=page.locator("th", has_text=label))
    expect(row.locator("td div")).to_have_count(3)
    expect(row.locator("td").nth(0)).to_contain_text(patients[3]["family_name"])
    expect(row.locator("td").nth(1)).to_have_text("")
    expect(row.locator("td").nth(2)).to_contain_text(patients[3]["family_name"])
    # the course now shows six of six booked
    expect(page.locator(f"#series-course option[value='{course}']")).to_contain_text(
        "6 of 6 booked"
    )
    # another patient's series in the same chair an hour after day 2's session: refused
    other = _course(server, second_pid)
    _fill(page, second_pid, other, chair_id, "2031-03-05T10:00")
    page.get_by_role("button", name="Book series").click()
    expect(page.locator("#series-msg")).to_contain_text(
        f"{label} is already booked at 2031-03-05 09:00 UTC"
    )
    booked = server.api("GET", f"/ui/patients/{second_pid}/bookable-courses", as_user="desk.lee")
    assert [c["booked"] for c in booked.json() if c["id"] == other] == [0]
    expect(row.locator("td div")).to_have_count(3)


def test_admin_books_a_series(page: Any, server: Server) -> None:
    """Admin schedules (role matrix session.schedule) from the same form as the front desk."""
    chair_id, _ = server.new_chair()
    pid = server.api("GET", "/patients?limit=50").json()["items"][7]["id"]
    course = _course(server, pid)
    sign_in(page, server, "admin", "/schedule")
    _fill(page, pid, course, chair_id, "2031-06-02T08:00")
    page.get_by_label("Days from the first").fill("0, 7")
    label = page.locator("#series-chair option:checked").inner_text()
    page.get_by_role("button", name="Book series").click()
    expect(page.locator("#series-msg")).to_have_text(f"Booked 2 sessions in {label}.")
    expect(page.locator(f"#series-course option[value='{course}']")).to_contain_text(
        "2 of 6 booked"
    )
    row = page.locator("#calendar tbody tr", has=page.locator("th", has_text=label))
    expect(row.locator("td div")).to_have_count(1)  # the week from 2 June 2031: day 0
    booked = server.api("GET", f"/ui/patients/{pid}/bookable-courses", as_user="desk.lee")
    assert [c["booked"] for c in booked.json() if c["id"] == course] == [2]
