"""The session's current rule set drives the monitor's threshold lines (``/ui`` overview and
``/ui/sessions/{id}/rule-set``) and the silent-feed watchdog, as it drives the alerts
(services/rule_sets.py), on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from ketaclinic.clinic.services.watchdog import check_silent_feeds
from ketaclinic.clinic.tables import Alert, AuditRecord
from ketaclinic.monitoring.rules import DEFAULT_RULES, FEED_INTERVAL_SOURCE
from tests.clinic.calls_checklist import rule_edit
from tests.clinic.conftest import SECRET, Clinic, assert_error
from tests.clinic.orders_world import PROTOCOL, measure, sign
from tests.clinic.world import World, now_iso, ok

P = "/api/v1"


def _lines(out: dict[str, Any]) -> list[tuple[str, float, str]]:
    return [(t["code"], t["limit"], t["priority"]) for t in out["thresholds"]]


def _overview(c: Clinic, sid: str) -> dict[str, Any]:
    out: dict[str, Any] = ok(
        c.client.get(f"{P}/ui/sessions/{sid}/overview", headers=c.as_("nurse"))
    )
    return out


def _edit(c: Clinic, **over: Any) -> dict[str, Any]:
    """Admin writes the next version of the protocol's rule set."""
    url, admin = f"{P}/rule-sets/{PROTOCOL}", c.as_("admin")
    etag = c.client.get(url, headers=admin).headers["etag"]
    out: dict[str, Any] = ok(
        c.client.put(url, json=rule_edit(**over), headers={**admin, "If-Match": etag})
    )
    return out


def _reading(c: Clinic, sid: str, key: str, **values: Any) -> dict[str, Any]:
    h = {**c.as_("nurse"), "Idempotency-Key": key}
    body = {"measured_at": now_iso(), **values}
    out: dict[str, Any] = ok(
        c.client.post(f"{P}/sessions/{sid}/readings", json=body, headers=h), 201
    )
    return out


def test_monitor_lines_are_the_rule_set_the_alerts_use(clinic: Clinic, world: World) -> None:
    sid = world.session_id
    default = [(t.code, t.limit, t.priority) for t in DEFAULT_RULES.thresholds]
    # no protocol yet (no course, no signed order): the domain defaults
    ov = _overview(clinic, sid)
    assert (ov["rule_set"]["id"], _lines(ov)) == ("default", default)
    # a signed order gives the session its protocol; the seeded version 1 holds the defaults
    measure(clinic, world)
    ok(sign(clinic, world), 201)
    _edit(clinic, reason="tighter SpO2 and SBP limits")
    # the admin's edit (SpO2 < 94 high, SBP > 170 medium) is what the monitor draws now ...
    ov = _overview(clinic, sid)
    assert ov["rule_set"]["id"] == f"{PROTOCOL} v2"
    assert _lines(ov) == [("spo2_pct < 94", 94, "high"), ("sbp_mmhg > 170", 170, "medium")]
    assert ov["thresholds"][0]["source"] == "clinic policy 2026-11 (local decision)"
    # ... and what the light endpoint the monitor polls returns (audited as a read)
    rs = ok(clinic.client.get(f"{P}/ui/sessions/{sid}/rule-set", headers=clinic.as_("nurse")))
    assert (rs["rule_set"], rs["thresholds"]) == (ov["rule_set"], ov["thresholds"])
    with Session(clinic.engine) as db:
        events = list(db.scalars(select(AuditRecord.event_type)))
    assert "session.rule_set" in events
    # ... and what raises the alerts: SpO2 93 and SBP 175 breach exactly the drawn lines
    alerts = _reading(clinic, sid, "r1", sbp_mmhg=175, dbp_mmhg=80, spo2_pct=93)["alerts"]
    lines = {code: limit for code, limit, _ in _lines(ov)}
    assert sorted((a["code"], a["limit_value"]) for a in alerts) == [
        ("sbp_mmhg > 170", 170), ("spo2_pct < 94", 94)
    ]  # fmt: skip
    assert all(lines[a["code"]] == a["limit_value"] for a in alerts)
    assert all(f"rule set {PROTOCOL} v2" in a["message"] for a in alerts)
    # a later edit moves the lines again, and the alerts follow: SpO2 93 no longer breaches
    third = rule_edit()
    third["thresholds"][0]["limit"] = 90
    _edit(clinic, thresholds=third["thresholds"], reason="SpO2 back to 90 %")
    rs = ok(clinic.client.get(f"{P}/ui/sessions/{sid}/rule-set", headers=clinic.as_("nurse")))
    assert rs["rule_set"]["id"] == f"{PROTOCOL} v3"
    assert _lines(rs)[0] == ("spo2_pct < 90", 90, "high")
    alerts = _reading(clinic, sid, "r2", sbp_mmhg=120, dbp_mmhg=80, spo2_pct=93)["alerts"]
    assert alerts == []
    # the same roles as the overview; an unknown session is 404 in the one error shape
    assert_error(
        clinic.client.get(f"{P}/ui/sessions/{sid}/rule-set", headers=clinic.as_("auditor")), 403
    )
    unknown = "00000000-0000-4000-8000-000000000000"
    assert_error(
        clinic.client.get(f"{P}/ui/sessions/{unknown}/rule-set", headers=clinic.as_("nurse")), 404
    )


def test_watchdog_uses_the_protocol_rule_set_interval(clinic: Clinic, world: World) -> None:
    """Protocol rule set: readings every 5 min, silent after 2 (10 min); a session without a
    protocol keeps the sourced default (15 min x 2 = 30 min). Clock injected as ``now``."""
    measure(clinic, world)
    ok(sign(clinic, world), 201)
    edited = _edit(clinic, expected_interval_min=5.0, silent_intervals=2.0, reason="5-min BP")
    assert edited["interval_source"].startswith("clinic: local decision, rule set version 2")
    seeded = ok(clinic.client.get(f"{P}/rule-sets/pain-iv-lowdose", headers=clinic.as_("admin")))
    assert seeded["interval_source"] == FEED_INTERVAL_SOURCE
    _reading(clinic, world.session_id, "w1", spo2_pct=98)
    nurse = clinic.as_("nurse")
    plain = ok(
        clinic.client.post(
            f"{P}/sessions",
            json={"patient_id": world.patient_id, "chair_id": world.other_chair_id,
                  "scheduled_for": now_iso()},
            headers=nurse,
        ),
        201,
    )  # fmt: skip
    ok(clinic.client.post(f"{P}/sessions/{plain['id']}/start",
                          headers={**nurse, "If-Match": '"1"'}))  # fmt: skip

    def check(offset_min: float) -> list[tuple[str, str, float | None, str]]:
        now = datetime.now(UTC) + timedelta(minutes=offset_min)
        with Session(clinic.engine, expire_on_commit=False) as db:
            raised = check_silent_feeds(db, now=now, audit_key=SECRET.encode(), node_id="t")
        return [(str(a.session_id), a.code, a.limit_value, a.message) for a in raised]

    assert check(9) == []  # 9 min < 2 x 5 min
    [(sid, code, limit, message)] = check(11)  # the protocol's session only
    assert (sid, code, limit) == (world.session_id, "feed-silent", 10.0)
    assert message.endswith(f"(rule set {PROTOCOL} v2)")
    with Session(clinic.engine) as db:
        row = db.scalars(select(Alert).where(Alert.code == "feed-silent")).one()
        assert "clinic: local decision in rule set" in row.source
    assert check(29) == []  # the default session: 29 min < 2 x 15 min; the first raised once
    limit_default = DEFAULT_RULES.expected_interval_min * DEFAULT_RULES.silent_intervals
    [(sid, code, limit, message)] = check(limit_default + 1)
    assert (sid, code, limit) == (plain["id"], "feed-silent", limit_default)
    assert message.endswith("(rule set default)")
