"""Browser: a CADSS-6 entered by item id on the session monitor is scored by the API."""

from __future__ import annotations

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
