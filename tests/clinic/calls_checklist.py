"""Checklist and rule-set calls for the audit-completeness walk (test_audit.py) and the
role matrix (test_auth.py)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from tests.clinic.conftest import Clinic
from tests.clinic.world import World

__all__ = ["AUDIT_CALLS", "ROLE_CALLS", "rule_edit"]

P = "/api/v1"
H = dict[str, str]


def _url(w: World) -> str:
    return f"{P}/sessions/{w.session_id}/checklist"


ESCORT = {"item": "escort", "escort_name": "Charles Babbage", "escort_phone": "+44 20 7946 0000"}
OVERRIDE = {"item": "questionnaire", "reason": "patient declined the PHQ-9 today"}


def rule_edit(**over: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "thresholds": [
            {"field": "spo2_pct", "direction": "below", "limit": 94, "priority": "high",
             "source": "clinic policy 2026-11 (local decision)", "provenance": "clinic"},
            {"field": "sbp_mmhg", "direction": "above", "limit": 170, "priority": "medium",
             "source": "clinic policy 2026-11 (local decision)", "provenance": "clinic"},
        ],
        "reason": "tighter SpO2 limit for this protocol",
    }  # fmt: skip
    body.update(over)
    return body


def _none(c: Clinic, w: World) -> None:
    return None


AUDIT_CALLS: dict[tuple[str, str], tuple[Callable[..., Any], Callable[..., Any]]] = {
    ("get", "/sessions/{session_id}/checklist"): (
        _none,
        lambda c, w, _: c.client.get(_url(w), headers=c.as_("nurse")),
    ),
    ("post", "/sessions/{session_id}/checklist"): (
        _none,
        lambda c, w, _: c.client.post(_url(w), json=ESCORT, headers=c.as_("nurse")),
    ),
    ("post", "/sessions/{session_id}/checklist/overrides"): (
        _none,
        lambda c, w, _: c.client.post(
            _url(w) + "/overrides", json=OVERRIDE, headers=c.as_("prescriber")
        ),
    ),
}

ROLE_CALLS: dict[str, Callable[[Clinic, World, H], Any]] = {
    "checklist.read": lambda c, w, h: c.client.get(_url(w), headers=h),
    "checklist.record": lambda c, w, h: c.client.post(_url(w), json=ESCORT, headers=h),
    "checklist.override": lambda c, w, h: c.client.post(
        _url(w) + "/overrides", json=OVERRIDE, headers=h
    ),
    "ruleset.read": lambda c, w, h: c.client.get(f"{P}/rule-sets", headers=h),
    "ruleset.write": lambda c, w, h: c.client.put(
        f"{P}/rule-sets/depression-iv-40min", json=rule_edit(), headers={**h, "If-Match": "*"}
    ),
}
