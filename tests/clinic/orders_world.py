"""Helpers for the orders / administration / scores / adverse-event / discharge tests and
their entries in the audit-completeness walk (tests/clinic/test_audit.py)."""

from __future__ import annotations

import secrets
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

from tests.clinic.conftest import PASSWORD, Clinic
from tests.clinic.world import World, now_iso, ok

P = "/api/v1"
PROTOCOL = "depression-iv-40min"
CADSS = {"cadss1": 1, "cadss2": 0, "cadss6": 2, "cadss7": 1, "cadss15": 0, "cadss22": 3}


def travel(c: Clinic, by: timedelta) -> None:
    """Move the app's clock; cached logins would have idled out, so log in again."""
    c.clock.offset += by
    c._tokens.clear()


def iso(dt: datetime) -> str:
    return dt.isoformat()


def measure(c: Clinic, w: World, weight_kg: float = 70.0, height_cm: float = 175.0) -> None:
    body = {"measured_at": now_iso(), "weight_kg": weight_kg, "height_cm": height_cm}
    ok(
        c.client.post(
            f"{P}/patients/{w.patient_id}/measurements", json=body, headers=c.as_("nurse")
        ),
        201,
    )


def sign(c: Clinic, w: World, **body: Any) -> Any:
    return c.client.post(
        f"{P}/sessions/{w.session_id}/orders",
        json={"protocol_id": PROTOCOL, **body},
        headers=c.as_("prescriber"),
    )


def override(reason: str = "partial responder", user: str = "nurse") -> dict[str, str]:
    return {"reason": reason, "second_username": user, "second_password": PASSWORD}


def checklist_overridden(c: Clinic, sid: str) -> None:
    """A prescriber overrides the overridable pre-session items (services/checklist.py), so
    the administration may start; the checklist itself is tested in test_checklist.py."""
    for item in ("fasting", "escort", "baseline_vitals", "questionnaire"):
        body = {"item": item, "reason": "tested elsewhere (orders tests)"}
        r = c.client.post(
            f"{P}/sessions/{sid}/checklist/overrides", json=body, headers=c.as_("prescriber")
        )
        ok(r, 201)


def signed(c: Clinic, w: World) -> str:
    measure(c, w)
    oid = str(ok(sign(c, w), 201)["id"])
    checklist_overridden(c, w.session_id)
    return oid


def start_body(order_id: str, at: datetime | None = None, rate: float = 52.5) -> dict[str, Any]:
    return {
        "order_id": order_id,
        "lot_number": "LOT-2026-001",
        "started_at": iso(at or datetime.now(UTC)),
        "rate_mg_per_h": rate,
        "rate_ml_per_h": rate / 10,
    }


def administered(c: Clinic, w: World) -> str:
    oid = signed(c, w)
    r = c.client.post(
        f"{P}/sessions/{w.session_id}/administrations",
        json=start_body(oid),
        headers=c.as_("nurse"),
    )
    return str(ok(r, 201)["id"])


def _nurse(c: Clinic) -> dict[str, str]:
    return c.as_("nurse")


def new_running_session(c: Clinic, w: World) -> str:
    """A session started now in a new chair of the world's location."""
    label = "X" + secrets.token_hex(3)
    r = c.client.post(
        f"{P}/locations/{w.location_id}/chairs", json={"label": label}, headers=c.as_("admin")
    )
    chair = ok(r, 201)["id"]
    body = {"patient_id": w.patient_id, "chair_id": chair, "scheduled_for": now_iso()}
    sid = ok(c.client.post(f"{P}/sessions", json=body, headers=_nurse(c)), 201)["id"]
    ok(c.client.post(f"{P}/sessions/{sid}/start", headers={**_nurse(c), "If-Match": '"1"'}))
    return str(sid)


def _new_admin(c: Clinic, w: World) -> str:
    """A fresh running session with a running administration, for the edit calls."""
    sid = new_running_session(c, w)
    measure(c, w)
    r = c.client.post(
        f"{P}/sessions/{sid}/orders",
        json={"protocol_id": PROTOCOL},
        headers=c.as_("prescriber"),
    )
    oid = ok(r, 201)["id"]
    checklist_overridden(c, sid)
    r = c.client.post(
        f"{P}/sessions/{sid}/administrations", json=start_body(oid), headers=_nurse(c)
    )
    return str(ok(r, 201)["id"])


def _discharge_ready(c: Clinic, w: World) -> str:
    """A running racemic-ketamine IV session with normal vitals: dischargeable (no sourced
    minimum monitoring time for racemic ketamine; Aldrete and escort in the body)."""
    sid = new_running_session(c, w)
    vitals = {
        "measured_at": iso(datetime.now(UTC) + c.clock.offset),
        "sbp_mmhg": 120,
        "dbp_mmhg": 78,
        "hr_per_min": 72,
        "spo2_pct": 98,
        "rr_per_min": 14,
    }
    r = c.client.post(
        f"{P}/sessions/{sid}/readings",
        json=vitals,
        headers={**_nurse(c), "Idempotency-Key": "dis-" + now_iso()},
    )
    ok(r, 201)
    return str(sid)


ALDRETE_OK = {
    "activity": 2,
    "respiration": 2,
    "circulation": 2,
    "consciousness": 2,
    "oxygen_saturation": 2,
}


def discharge_body(**over: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "protocol_id": PROTOCOL,
        "escort_confirmed": True,
        "sign": True,
        "aldrete": ALDRETE_OK,
        "moaas": 5,
    }
    body.update(over)
    return body


Call = Callable[[Clinic, World], Any]
AuditCall = tuple[Call, Callable[[Clinic, World, Any], Any]]


def _none(c: Clinic, w: World) -> None:
    measure(c, w)


ORDER_AUDIT_CALLS: dict[tuple[str, str], AuditCall] = {
    ("post", "/sessions/{session_id}/orders/check"): (
        _none,
        lambda c, w, _: c.client.post(
            f"{P}/sessions/{w.session_id}/orders/check",
            json={"protocol_id": PROTOCOL},
            headers=_nurse(c),
        ),
    ),
    ("post", "/sessions/{session_id}/orders"): (_none, lambda c, w, _: sign(c, w)),
    ("get", "/sessions/{session_id}/orders"): (
        _none,
        lambda c, w, _: c.client.get(f"{P}/sessions/{w.session_id}/orders", headers=_nurse(c)),
    ),
    ("post", "/sessions/{session_id}/administrations"): (
        lambda c, w: signed(c, w),
        lambda c, w, oid: c.client.post(
            f"{P}/sessions/{w.session_id}/administrations",
            json=start_body(oid),
            headers=_nurse(c),
        ),
    ),
    ("get", "/sessions/{session_id}/administrations"): (
        _none,
        lambda c, w, _: c.client.get(
            f"{P}/sessions/{w.session_id}/administrations", headers=_nurse(c)
        ),
    ),
    ("post", "/administrations/{admin_id}/rate"): (
        _new_admin,
        lambda c, w, aid: c.client.post(
            f"{P}/administrations/{aid}/rate",
            json={"at": now_iso(), "rate_mg_per_h": 30.0},
            headers={**_nurse(c), "If-Match": '"1"'},
        ),
    ),
    ("post", "/administrations/{admin_id}/stop"): (
        _new_admin,
        lambda c, w, aid: c.client.post(
            f"{P}/administrations/{aid}/stop",
            json={"stopped_at": now_iso(), "amount_given_mg": 1.0},
            headers={**_nurse(c), "If-Match": '"1"'},
        ),
    ),
    ("post", "/sessions/{session_id}/scores"): (
        _none,
        lambda c, w, _: c.client.post(
            f"{P}/sessions/{w.session_id}/scores",
            json={"scale": "moaas", "measured_at": now_iso(), "moaas": 4},
            headers=_nurse(c),
        ),
    ),
    ("get", "/sessions/{session_id}/scores"): (
        _none,
        lambda c, w, _: c.client.get(f"{P}/sessions/{w.session_id}/scores", headers=_nurse(c)),
    ),
    ("post", "/sessions/{session_id}/adverse-events"): (
        _none,
        lambda c, w, _: c.client.post(
            f"{P}/sessions/{w.session_id}/adverse-events",
            json={
                "event_type": "nausea",
                "severity": "mild",
                "serious": False,
                "action_taken": "none",
                "outcome": "resolved",
                "onset_at": now_iso(),
            },
            headers=_nurse(c),
        ),
    ),
    ("get", "/sessions/{session_id}/adverse-events"): (
        _none,
        lambda c, w, _: c.client.get(
            f"{P}/sessions/{w.session_id}/adverse-events", headers=_nurse(c)
        ),
    ),
    ("post", "/sessions/{session_id}/discharge-check"): (
        _none,
        lambda c, w, _: c.client.post(
            f"{P}/sessions/{w.session_id}/discharge-check",
            json=discharge_body(),
            headers=_nurse(c),
        ),
    ),
    ("post", "/sessions/{session_id}/discharge"): (
        _discharge_ready,
        lambda c, w, sid: c.client.post(
            f"{P}/sessions/{sid}/discharge",
            json=discharge_body(),
            headers={**_nurse(c), "If-Match": '"2"'},
        ),
    ),
    ("get", "/sessions/{session_id}/prediction"): (
        lambda c, w: signed(c, w),
        lambda c, w, _: c.client.get(f"{P}/sessions/{w.session_id}/prediction", headers=_nurse(c)),
    ),
}


H = dict[str, str]
RoleCall = Callable[[Clinic, World, H], Any]


def _admin_with(c: Clinic, w: World, h: H) -> Any:
    oid = signed(c, w)
    return c.client.post(
        f"{P}/sessions/{w.session_id}/administrations", json=start_body(oid), headers=h
    )


ORDER_ROLE_CALLS: dict[str, RoleCall] = {
    "order.read": lambda c, w, h: c.client.get(f"{P}/sessions/{w.session_id}/orders", headers=h),
    "order.sign": lambda c, w, h: (
        measure(c, w),
        c.client.post(
            f"{P}/sessions/{w.session_id}/orders", json={"protocol_id": PROTOCOL}, headers=h
        ),
    )[1],
    "administration.write": _admin_with,
    "score.read": lambda c, w, h: c.client.get(f"{P}/sessions/{w.session_id}/scores", headers=h),
    "score.write": lambda c, w, h: c.client.post(
        f"{P}/sessions/{w.session_id}/scores",
        json={"scale": "cadss6", "measured_at": now_iso(), "items": CADSS},
        headers=h,
    ),
    "adverse_event.read": lambda c, w, h: c.client.get(
        f"{P}/sessions/{w.session_id}/adverse-events", headers=h
    ),
    "adverse_event.write": lambda c, w, h: c.client.post(
        f"{P}/sessions/{w.session_id}/adverse-events",
        json={
            "event_type": "dissociation",
            "severity": "moderate",
            "serious": False,
            "action_taken": "rate_reduced",
            "outcome": "resolved",
            "onset_at": now_iso(),
        },
        headers=h,
    ),
    "discharge.check": lambda c, w, h: c.client.post(
        f"{P}/sessions/{w.session_id}/discharge-check", json=discharge_body(), headers=h
    ),
    "discharge.sign": lambda c, w, h: c.client.post(
        f"{P}/sessions/{_discharge_ready(c, w)}/discharge",
        json=discharge_body(),
        headers={**h, "If-Match": '"2"'},
    ),
}
