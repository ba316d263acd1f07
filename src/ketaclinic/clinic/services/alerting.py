"""Alerts from the monitoring rules (ketaclinic.monitoring), persisted per session.

The session's alarm state is the set of its alerts not yet cleared; each new reading goes
through ``monitoring.rules.ingest`` which says which conditions start or escalate (new
rows) and which end (rows get ``cleared_at``). Rule set: the session protocol's current
versioned rule set (services/rule_sets.py; seeded from ``DEFAULT_RULES``).
"""

from __future__ import annotations

import uuid

from sqlalchemy import select

from ketaclinic.clinic.services import alert_rows
from ketaclinic.clinic.services.context import Ctx
from ketaclinic.clinic.services.errors import conflict, not_found
from ketaclinic.clinic.services.rule_sets import rules_for_session
from ketaclinic.clinic.services.watchdog import FEED_SILENT
from ketaclinic.clinic.tables import Alert, TreatmentSession, VitalReading
from ketaclinic.monitoring import rules as m_rules
from ketaclinic.monitoring.vitals import VitalSigns

__all__ = ["acknowledge", "evaluate"]


def evaluate(
    ctx: Ctx, sess: TreatmentSession, reading: VitalReading, vitals: VitalSigns
) -> list[Alert]:
    """Raise and clear alerts for ``reading``; returns the rows raised."""
    active = list(
        ctx.db.scalars(select(Alert).where(Alert.session_id == sess.id, Alert.cleared_at.is_(None)))
    )
    now = ctx.clock()
    for row in active:  # a reading ends a silent-feed condition
        if row.condition == FEED_SILENT:
            row.cleared_at = now
    active = [r for r in active if r.condition != FEED_SILENT]
    state = m_rules.AlarmState(tuple(alert_rows.to_domain(r) for r in active))
    rule_set = rules_for_session(ctx.db, sess)  # the session protocol's current rule set
    new_state, raised = m_rules.ingest(rule_set, state, vitals, chair_id=str(sess.chair_id))
    keep = {(a.condition, a.code, a.raised_at) for a in new_state.active}
    for row in active:
        if (row.condition, row.code, row.raised_at) not in keep:
            row.cleared_at = now
    rows = [
        alert_rows.to_row(a, session_id=sess.id, reading_id=reading.id, created_at=now)
        for a in raised
    ]
    ctx.db.add_all(rows)
    ctx.db.flush()
    return rows


def acknowledge(ctx: Ctx, alert_id: uuid.UUID) -> Alert:
    """Record who acknowledged an alert (does not clear the condition)."""
    ctx.require("alert.ack")
    row = ctx.db.get(Alert, alert_id)
    if row is None:
        raise not_found("alert", alert_id)
    if row.acknowledged_at is not None:
        raise conflict(f"alert {alert_id} was already acknowledged", field="acknowledged_at")
    row.acknowledged_by = ctx.principal.id
    row.acknowledged_at = ctx.clock()
    sess = ctx.db.get(TreatmentSession, row.session_id)
    ctx.audit("U", "alert.ack", f"Alert/{row.id}", sess.patient_id if sess else None)
    ctx.db.commit()
    return row
