"""Browser: the session monitor's threshold lines are the session's current rule set (the one
its alerts use), and an admin's edit of that rule set moves the line on an open monitor."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest

from tests.web.conftest import Server, expect, sign_in

pytestmark = pytest.mark.browser

#: No other browser test uses this protocol, so its rule set is this test's to edit.
PROTOCOL = "crps-iv-10day"


def _session_on_protocol(server: Server, patient_index: int) -> str:
    """A scheduled session in a new chair, in a course on PROTOCOL."""
    chair, _ = server.new_chair()
    pid = server.api("GET", "/patients?limit=50").json()["items"][patient_index]["id"]
    course = server.api(
        "POST", f"/patients/{pid}/courses", as_user="dr.ross",
        json={"indication": "chronic_pain", "protocol_id": PROTOCOL, "planned_sessions": 10,
              "endpoint": "pain NRS", "started_on": datetime.now(UTC).date().isoformat()},
    )  # fmt: skip
    course.raise_for_status()
    s = server.api(
        "POST", "/sessions", as_user="desk.lee",
        json={"patient_id": pid, "chair_id": chair, "course_id": course.json()["id"],
              "scheduled_for": datetime.now(UTC).isoformat()},
    )  # fmt: skip
    s.raise_for_status()
    return str(s.json()["id"])


def test_a_changed_limit_shows_as_a_line(page: Any, server: Server) -> None:
    sid = _session_on_protocol(server, patient_index=6)
    current = server.api("GET", f"/rule-sets/{PROTOCOL}", as_user="admin")  # seeds v1
    current.raise_for_status()
    sign_in(page, server, "nurse.kim", f"/sessions/{sid}")
    chart = page.locator("#vitals-chart")
    label = chart.locator("text.hline-label")
    expect(page.locator("#rule-set-id")).to_have_text(f"{PROTOCOL} v{current.json()['version']}")
    expect(label.filter(has_text="spo2_pct < 92")).to_have_count(1)
    # the admin moves the SpO2 limit to 94 % for this protocol; the open monitor follows
    thresholds = [
        {**t, "limit": 94, "source": "pain clinic policy (local decision)", "provenance": "clinic"}
        if (t["field"], t["direction"]) == ("spo2_pct", "below")
        else t
        for t in current.json()["thresholds"]
    ]
    edit = server.api(
        "PUT", f"/rule-sets/{PROTOCOL}", as_user="admin",
        headers={"If-Match": current.headers["ETag"]},
        json={"thresholds": thresholds, "reason": "CRPS infusions: SpO2 alert at 94 %"},
    )  # fmt: skip
    assert edit.status_code == 200, edit.text
    version = edit.json()["version"]
    # within the monitor's 15-s rule-set refresh, without a reload
    expect(page.locator("#rule-set-id")).to_have_text(f"{PROTOCOL} v{version}", timeout=25_000)
    expect(label.filter(has_text="spo2_pct < 94")).to_have_count(1)
    expect(label.filter(has_text="spo2_pct < 92")).to_have_count(0)
    # the line sits where the alerts' rule set puts it: the one the API reports for the session
    rs = server.api("GET", f"/ui/sessions/{sid}/rule-set").json()
    assert rs["rule_set"]["id"] == f"{PROTOCOL} v{version}"
    assert [t["code"] for t in rs["thresholds"] if t["field"] == "spo2_pct"] == ["spo2_pct < 94"]
    page.reload()
    expect(label.filter(has_text="spo2_pct < 94")).to_have_count(1)
