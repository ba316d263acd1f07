"""The silent-feed watchdog: a technical alert when an active chair's readings stop.

Alarms must not depend on a UI being open (safety-security sheet, section 4.3), so the
server checks every in-progress session periodically (``ketaclinic serve`` runs
``run_watchdog`` in a background thread). The rule is the monitoring package's
``stale_feed_alert`` with the expected interval and allowed silent intervals of the
session's own rule set: the current version of its protocol's set, the one the
physiological alerts use (``rule_sets.rules_for_session``; seeded from the configurable
defaults, 15 min x 2). A new reading clears the condition (``alerting.evaluate``).
"""

from __future__ import annotations

import logging
import threading
import uuid
from collections.abc import Callable
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from ketaclinic.clinic import audit
from ketaclinic.clinic.db import READ_ONLY
from ketaclinic.clinic.services import alert_rows
from ketaclinic.clinic.services.rule_sets import rules_for_session
from ketaclinic.clinic.tables import Alert, TreatmentSession, VitalReading
from ketaclinic.monitoring import alerts as m_alerts
from ketaclinic.monitoring.alerts import stale_feed_alert
from ketaclinic.monitoring.rules import (
    FEED_INTERVAL_SOURCE,
    RuleSet,
    is_default_interval,
)

__all__ = ["FEED_SILENT", "check_silent_feeds", "run_watchdog"]

FEED_SILENT = "feed-silent"
log = logging.getLogger("ketaclinic.clinic.watchdog")


def check_silent_feeds(
    db: Session, *, now: datetime, audit_key: bytes, node_id: str
) -> list[Alert]:
    """Raise one feed-silent alert per in-progress session whose feed went quiet, by the
    expected interval of the session's current rule set.

    The scan (the latest reading of every session in progress) runs first in a read
    transaction (on SQLite a deferred ``BEGIN``: no writer lock, so chair monitors keep
    writing meanwhile); only if a feed is silent are those sessions checked again and
    alerted in a write transaction. Before, the whole scan held the writer lock, a stall
    of every ingestion request every 30 s (docs/benchmarks.md, "Clinic service").
    """
    if not db.in_transaction():
        db.connection(execution_options=READ_ONLY)
        silent = [sess.id for sess, _, _ in _silent(db, now)]
        db.rollback()
        if not silent:
            return []
        return _raise(db, _silent(db, now, only=silent), now, audit_key, node_id)
    return _raise(db, _silent(db, now), now, audit_key, node_id)


def _silent(
    db: Session, now: datetime, *, only: list[uuid.UUID] | None = None
) -> list[tuple[TreatmentSession, RuleSet, m_alerts.Alert]]:
    """(session, rule set, alert) for each in-progress session whose feed is silent."""
    active = select(TreatmentSession.id).where(TreatmentSession.status == "in_progress")
    if only is not None:
        active = active.where(TreatmentSession.id.in_(only))
    last = (
        select(VitalReading.session_id, func.max(VitalReading.received_at).label("last"))
        .where(VitalReading.session_id.in_(active))  # not every reading of the clinic
        .group_by(VitalReading.session_id)
        .subquery()
    )
    rows = db.execute(
        select(TreatmentSession, last.c.last)
        .outerjoin(last, last.c.session_id == TreatmentSession.id)
        .where(TreatmentSession.id.in_(active))
    ).all()
    already = set(
        db.scalars(
            select(Alert.session_id).where(
                Alert.condition == FEED_SILENT, Alert.cleared_at.is_(None)
            )
        )
    )
    out = []
    for sess, last_at in rows:
        if sess.id in already:
            continue
        rules = rules_for_session(db, sess)
        a = stale_feed_alert(
            now=now,
            last_reading_at=min(last_at, now) if last_at is not None else None,
            session_started_at=min(sess.started_at or sess.scheduled_for, now),
            expected_interval_min=rules.expected_interval_min,
            silent_intervals=rules.silent_intervals,
            chair_id=str(sess.chair_id),
        )
        if a is not None:
            out.append((sess, rules, a))
    return out


def _raise(
    db: Session,
    silent: list[tuple[TreatmentSession, RuleSet, m_alerts.Alert]],
    now: datetime,
    audit_key: bytes,
    node_id: str,
) -> list[Alert]:
    raised: list[Alert] = []
    for sess, rules, a in silent:
        row = alert_rows.to_row(
            a, session_id=sess.id, reading_id=None, created_at=now,
            message=f"{a.message} (rule set {rules.id})",
            source=f"{a.source}; interval: {_interval_source(rules)}",
        )  # fmt: skip
        db.add(row)
        db.flush()
        audit.append(
            db, key=audit_key, node_id=node_id, actor=audit.Actor("system", None, None),
            action="C", event_type="alert.feed_silent", resource_ref=f"Alert/{row.id}",
            patient_id=str(sess.patient_id),
        )  # fmt: skip
        raised.append(row)
    db.commit()
    return raised


def _interval_source(rules: RuleSet) -> str:
    if is_default_interval(rules.expected_interval_min, rules.silent_intervals):
        return FEED_INTERVAL_SOURCE
    return f"clinic: local decision in rule set {rules.id}"


def run_watchdog(
    make_session: sessionmaker[Session],
    *,
    clock: Callable[[], datetime],
    audit_key: bytes,
    node_id: str,
    stop: threading.Event,
    period_s: float = 30.0,
) -> None:
    """Check every ``period_s`` seconds until ``stop`` is set; errors are logged, not fatal."""
    while not stop.wait(period_s):
        try:
            with make_session() as db:
                for a in check_silent_feeds(db, now=clock(), audit_key=audit_key, node_id=node_id):
                    log.warning("feed-silent alert %s for session %s", a.id, a.session_id)
        except Exception:  # pragma: no cover - keep the watchdog alive
            log.exception("silent-feed check failed")
