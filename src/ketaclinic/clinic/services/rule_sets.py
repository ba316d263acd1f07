"""Versioned per-protocol monitoring rule sets (the thresholds of ketaclinic.monitoring.rules).

Every protocol of the dosing library has a rule set; until an admin edits it, it is the
seed: :data:`ketaclinic.monitoring.rules.DEFAULT_RULES` (configurable defaults, not
standards, each threshold with its source). Seeding writes version 1 for each library
protocol (``seed``); an edit writes the next version (If-Match on the current version,
audited). When a reading arrives, ``services/alerting.py`` asks :func:`rules_for_session`:
the current set of the session's protocol (course protocol, else its latest signed order),
or the default when the session has no protocol.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import Select, func, select
from sqlalchemy.orm import Session

from ketaclinic.clinic.schemas_checklist import RuleSetEdit
from ketaclinic.clinic.services.context import Ctx
from ketaclinic.clinic.services.errors import ServiceError, not_found
from ketaclinic.clinic.services.patients import check_if_match
from ketaclinic.clinic.tables import TreatmentCourse, TreatmentSession
from ketaclinic.clinic.tables_checklist import MonitoringRuleSetRow
from ketaclinic.clinic.tables_orders import DoseOrder
from ketaclinic.dosing.library import default_library
from ketaclinic.errors import InputError
from ketaclinic.monitoring import rules as m_rules

__all__ = [
    "edit",
    "get_current",
    "interval_source",
    "list_current",
    "rule_set_public",
    "rules_for_session",
    "seed",
    "session_protocol",
    "to_domain",
]

_SEED_REASON = "seeded from ketaclinic.monitoring.rules.DEFAULT_RULES v{v} (configurable defaults)"


def _threshold_json(t: m_rules.Threshold) -> dict[str, Any]:
    return {
        "field": t.field, "direction": t.direction, "limit": t.limit, "priority": t.priority,
        "source": t.source, "provenance": t.provenance, "inclusive": t.inclusive,
    }  # fmt: skip


def _current_q(protocol_id: str) -> Select[MonitoringRuleSetRow]:
    return (
        select(MonitoringRuleSetRow)
        .where(MonitoringRuleSetRow.protocol_id == protocol_id)
        .order_by(MonitoringRuleSetRow.version.desc())
        .limit(1)
    )


def seed(db: Session) -> int:
    """Write version 1 (the domain defaults) for each library protocol without a set."""
    have = set(db.scalars(select(MonitoringRuleSetRow.protocol_id).distinct()))
    d = m_rules.DEFAULT_RULES
    n = 0
    for pid in default_library().ids():
        if pid in have:
            continue
        db.add(
            MonitoringRuleSetRow(
                protocol_id=pid, version=1,
                thresholds=[_threshold_json(t) for t in d.thresholds],
                expected_interval_min=d.expected_interval_min,
                silent_intervals=d.silent_intervals, note=d.note,
                change_reason=_SEED_REASON.format(v=d.version), created_by=None,
            )
        )  # fmt: skip
        n += 1
    if n:
        db.flush()
    return n


def to_domain(row: MonitoringRuleSetRow) -> m_rules.RuleSet:
    """The domain rule set of a row (id ``<protocol> v<version>``, shown in alert messages)."""
    return m_rules.RuleSet(
        id=f"{row.protocol_id} v{row.version}",
        thresholds=tuple(m_rules.Threshold(**t) for t in row.thresholds),
        expected_interval_min=row.expected_interval_min,
        silent_intervals=row.silent_intervals,
        note=row.note,
        version=str(row.version),
    )


def session_protocol(db: Session, s: TreatmentSession) -> str | None:
    """The session's protocol: its course's, else its latest signed order's, else None."""
    if s.course_id is not None:
        course = db.get(TreatmentCourse, s.course_id)
        if course is not None:
            return course.protocol_id
    return db.scalar(
        select(DoseOrder.protocol_id)
        .where(DoseOrder.session_id == s.id)
        .order_by(DoseOrder.signed_at.desc())
        .limit(1)
    )


def rules_for_session(db: Session, s: TreatmentSession) -> m_rules.RuleSet:
    """The rule set a new reading of ``s`` is evaluated against (read only)."""
    pid = session_protocol(db, s)
    if pid is None:
        return m_rules.DEFAULT_RULES
    row = db.scalar(_current_q(pid))
    if row is None:  # not seeded yet: the seed's values
        d = m_rules.DEFAULT_RULES
        return m_rules.RuleSet(
            id=f"{pid} default", thresholds=d.thresholds,
            expected_interval_min=d.expected_interval_min,
            silent_intervals=d.silent_intervals, note=d.note, version=d.version,
        )  # fmt: skip
    return to_domain(row)


def rule_set_public(row: MonitoringRuleSetRow) -> dict[str, Any]:
    cols = "protocol_id version thresholds expected_interval_min silent_intervals note"
    out = {c: getattr(row, c) for c in (cols + " change_reason created_by created_at").split()}
    out["seeded"] = row.created_by is None
    out["interval_source"] = interval_source(row)
    return out


def interval_source(row: MonitoringRuleSetRow) -> str:
    """Where the row's feed interval comes from: the sourced default, or the clinic's edit."""
    if m_rules.is_default_interval(row.expected_interval_min, row.silent_intervals):
        return m_rules.FEED_INTERVAL_SOURCE
    return f"clinic: local decision, rule set version {row.version} ({row.change_reason})"


def list_current(ctx: Ctx) -> list[MonitoringRuleSetRow]:
    ctx.require("ruleset.read")
    seed(ctx.db)
    latest = (
        select(
            MonitoringRuleSetRow.protocol_id,
            func.max(MonitoringRuleSetRow.version).label("v"),
        )
        .group_by(MonitoringRuleSetRow.protocol_id)
        .subquery()
    )
    rows = list(
        ctx.db.scalars(
            select(MonitoringRuleSetRow)
            .join(
                latest,
                (MonitoringRuleSetRow.protocol_id == latest.c.protocol_id)
                & (MonitoringRuleSetRow.version == latest.c.v),
            )
            .order_by(MonitoringRuleSetRow.protocol_id)
        )
    )
    ctx.audit("R", "rule_set.list", "MonitoringRuleSet")
    ctx.db.commit()
    return rows


def _load(ctx: Ctx, protocol_id: str) -> MonitoringRuleSetRow:
    seed(ctx.db)
    row = ctx.db.scalar(_current_q(protocol_id))
    if row is None:
        raise not_found("rule set of protocol", protocol_id)
    return row


def get_current(ctx: Ctx, protocol_id: str) -> MonitoringRuleSetRow:
    ctx.require("ruleset.read")
    row = _load(ctx, protocol_id)
    ctx.audit("R", "rule_set.read", f"MonitoringRuleSet/{protocol_id}/v{row.version}")
    ctx.db.commit()
    return row


def edit(
    ctx: Ctx, protocol_id: str, body: RuleSetEdit, if_match: str | None
) -> MonitoringRuleSetRow:
    """Write the next version of the protocol's rule set (admin; If-Match; audited)."""
    ctx.require("ruleset.write")
    cur = _load(ctx, protocol_id)
    check_if_match(if_match, cur.version)
    thresholds = [t.model_dump() for t in body.thresholds]
    row = MonitoringRuleSetRow(
        protocol_id=protocol_id, version=cur.version + 1, thresholds=thresholds,
        expected_interval_min=body.expected_interval_min,
        silent_intervals=body.silent_intervals, note=m_rules.CONFIGURABLE_DEFAULT,
        change_reason=body.reason, created_by=ctx.principal.id, created_at=ctx.clock(),
    )  # fmt: skip
    try:
        to_domain(row)  # the domain validates ranges, duplicates, priority order
    except InputError as exc:
        ctx.db.rollback()
        raise ServiceError(
            422, "validation_error", str(exc), field="body.thresholds",
            limit="a valid monitoring rule set (ketaclinic.monitoring.rules)",
        ) from exc  # fmt: skip
    ctx.db.add(row)
    ctx.db.flush()
    ctx.audit("U", "rule_set.edit", f"MonitoringRuleSet/{protocol_id}/v{row.version}")
    ctx.db.commit()
    return row
