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
from collections.abc import Callable
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from ketaclinic.clinic import audit
from ketaclinic.clinic.services.rule_sets import rules_for_session
from ketaclinic.clinic.tables import Alert, TreatmentSession, VitalReading
from ketaclinic.monitoring.alerts import stale_feed_alert
from ketaclinic.monitoring.rules import DEFAULT_RULES, FEED_INTERVAL_SOURCE, RuleSet

__all__ = ["FEED_SILENT", "check_silent_feeds", "run_watchdog"]

FEED_SILENT = "feed-silent"
log = logging.getLogger("ketaclinic.clinic.watchdog")


def check_silent_feeds(
    db: Session, *, now: datetime, audit_key: bytes, node_id: str
) -> list[Alert]:
    """Raise one feed-silent alert per in-progress session whose feed went quiet, by the
    expected interval of the session's current rule set."""
    last = (
        select(VitalReading.session_id, func.max(VitalReading.received_at).label("last"))
        .group_by(VitalReading.session_id)
        .subquery()
    )
    rows = db.execute(
        select(TreatmentSession, last.c.last)
        .outerjoin(last, last.c.session_id == TreatmentSession.id)
        .where(TreatmentSession.status == "in_progress")
    ).all()
    already = set(
        db.scalars(
            select(Alert.session_id).where(
                Alert.condition == FEED_SILENT, Alert.cleared_at.is_(None)
            )
        )
    )
    raised: list[Alert] = []
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
        if a is None:
            continue
        row = Alert(
            session_id=sess.id, reading_id=None, code=a.code, condition=a.condition,
            kind=a.kind, priority=a.priority, message=f"{a.message} (rule set {rules.id})",
            source=f"{a.source}; interval: {_interval_source(rules)}",
            field=None, value=a.value, unit=a.unit, limit_value=a.limit,
            raised_at=a.raised_at, created_at=now,
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
    d = DEFAULT_RULES
    if (rules.expected_interval_min, rules.silent_intervals) == (
        d.expected_interval_min,
        d.silent_intervals,
    ):
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
