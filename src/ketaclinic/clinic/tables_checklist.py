"""Pre-session checklist entries and the per-protocol monitoring rule sets (issue 4).

A checklist entry is append-only: a nurse *records* an item (its data: last intake time,
escort, REMS enrolment), a prescriber *overrides* one with a documented reason; the latest
entry of each kind wins. A monitoring rule set is versioned: every admin edit inserts the
next version of the protocol's set (the highest version is current), so past alerts can
be traced to the exact thresholds that raised them.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import (
    JSON,
    CheckConstraint,
    Float,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
    Uuid,
)
from sqlalchemy.orm import Mapped, mapped_column

from ketaclinic.clinic.tables import Base, UTCDateTime, new_id, utcnow

__all__ = ["MonitoringRuleSetRow", "SessionChecklistEntry"]


class SessionChecklistEntry(Base):
    __tablename__ = "session_checklist_entries"
    __table_args__ = (
        CheckConstraint("kind IN ('record', 'override')", name="kind"),
        Index("ix_session_checklist_entries_session_item", "session_id", "item"),
    )

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=new_id)
    session_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("treatment_sessions.id"))
    item: Mapped[str] = mapped_column(String(40))
    kind: Mapped[str] = mapped_column(String(10))
    data: Mapped[dict[str, Any]] = mapped_column(JSON)
    reason: Mapped[str | None] = mapped_column(Text, nullable=True)
    recorded_by: Mapped[uuid.UUID] = mapped_column(ForeignKey("staff_users.id"))
    recorded_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class MonitoringRuleSetRow(Base):
    __tablename__ = "monitoring_rule_sets"
    __table_args__ = (
        UniqueConstraint("protocol_id", "version", name="uq_monitoring_rule_sets_protocol_version"),
        CheckConstraint("version >= 1", name="version"),
    )

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=new_id)
    protocol_id: Mapped[str] = mapped_column(String(100))
    version: Mapped[int] = mapped_column(Integer)
    thresholds: Mapped[list[Any]] = mapped_column(JSON)
    expected_interval_min: Mapped[float] = mapped_column(Float)
    silent_intervals: Mapped[float] = mapped_column(Float)
    note: Mapped[str] = mapped_column(Text)
    change_reason: Mapped[str] = mapped_column(Text)
    created_by: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("staff_users.id"), nullable=True
    )
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
