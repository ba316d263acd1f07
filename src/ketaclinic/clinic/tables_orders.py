"""Tables of a session's medication: signed dose orders, the administration record and
its rate changes, sedation/dissociation scores, adverse events and the signed discharge
(migration ``0006_orders_admin_ae``)."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import Boolean, CheckConstraint, Float, ForeignKey, Integer, String, Text, Uuid
from sqlalchemy.orm import Mapped, mapped_column

from ketaclinic.clinic.tables import Base, UTCDateTime, _in, new_id, utcnow

__all__ = [
    "AE_ACTIONS",
    "AE_OUTCOMES",
    "AE_SEVERITIES",
    "SCORE_SCALES",
    "AdministrationRate",
    "AdverseEvent",
    "DoseAdministration",
    "DoseOrder",
    "SessionDischarge",
    "SessionScore",
]

SCORE_SCALES = ("moaas", "cadss6")
#: CTCAE v5 grade words (mild .. death); seriousness is the ICH E2A criterion, separate.
AE_SEVERITIES = ("mild", "moderate", "severe", "life_threatening", "death")
AE_ACTIONS = ("none", "rate_reduced", "paused", "stopped", "medication_given", "other")
AE_OUTCOMES = ("resolved", "resolving", "not_resolved", "resolved_with_sequelae", "fatal")


class DoseOrder(Base):
    """A signed dose order (the calculator's result, stored whole in ``result_json``)."""

    __tablename__ = "dose_orders"

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=new_id)
    session_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("treatment_sessions.id"), index=True)
    patient_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("patients.id"), index=True)
    protocol_id: Mapped[str] = mapped_column(String(100))
    protocol_version: Mapped[int] = mapped_column(Integer)
    route: Mapped[str] = mapped_column(String(20))
    weight_kg: Mapped[float] = mapped_column(Float)
    height_cm: Mapped[float | None] = mapped_column(Float, nullable=True)
    dose_mg: Mapped[float] = mapped_column(Float)
    duration_min: Mapped[float | None] = mapped_column(Float, nullable=True)
    rate_mg_per_h: Mapped[float | None] = mapped_column(Float, nullable=True)
    concentration_mg_per_ml: Mapped[float | None] = mapped_column(Float, nullable=True)
    result_json: Mapped[str] = mapped_column(Text)
    signed_by: Mapped[uuid.UUID] = mapped_column(ForeignKey("staff_users.id"))
    signed_at: Mapped[datetime] = mapped_column(UTCDateTime)
    override_reason: Mapped[str | None] = mapped_column(Text, nullable=True)
    override_confirmed_by: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("staff_users.id"), nullable=True
    )
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class DoseAdministration(Base):
    """A nurse's administration of a signed order: start, stop, lot, amount given."""

    __tablename__ = "dose_administrations"
    __table_args__ = (
        CheckConstraint("amount_given_mg IS NULL OR amount_given_mg >= 0", name="amount"),
    )

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=new_id)
    session_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("treatment_sessions.id"), index=True)
    order_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("dose_orders.id"), index=True)
    lot_number: Mapped[str] = mapped_column(String(64))
    started_at: Mapped[datetime] = mapped_column(UTCDateTime)
    stopped_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    amount_given_mg: Mapped[float | None] = mapped_column(Float, nullable=True)
    recorded_by: Mapped[uuid.UUID] = mapped_column(ForeignKey("staff_users.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    version: Mapped[int] = mapped_column(Integer, default=1)


class AdministrationRate(Base):
    """An infusion rate from ``at`` on (the first row is the starting rate)."""

    __tablename__ = "administration_rates"

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=new_id)
    administration_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("dose_administrations.id"), index=True
    )
    at: Mapped[datetime] = mapped_column(UTCDateTime)
    rate_mg_per_h: Mapped[float] = mapped_column(Float)
    rate_ml_per_h: Mapped[float | None] = mapped_column(Float, nullable=True)
    recorded_by: Mapped[uuid.UUID] = mapped_column(ForeignKey("staff_users.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class SessionScore(Base):
    """A MOAA/S (0-5) or CADSS-6 (items by id, total 0-24) score at one time."""

    __tablename__ = "session_scores"
    __table_args__ = (CheckConstraint(_in("scale", SCORE_SCALES), name="scale"),)

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=new_id)
    session_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("treatment_sessions.id"), index=True)
    scale: Mapped[str] = mapped_column(String(10))
    measured_at: Mapped[datetime] = mapped_column(UTCDateTime)
    total: Mapped[int] = mapped_column(Integer)
    items_json: Mapped[str | None] = mapped_column(Text, nullable=True)
    recorded_by: Mapped[uuid.UUID] = mapped_column(ForeignKey("staff_users.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class AdverseEvent(Base):
    """A structured adverse event, optionally linked to the administration."""

    __tablename__ = "adverse_events"
    __table_args__ = (
        CheckConstraint(_in("severity", AE_SEVERITIES), name="severity"),
        CheckConstraint(_in("action_taken", AE_ACTIONS), name="action"),
        CheckConstraint(_in("outcome", AE_OUTCOMES), name="outcome"),
    )

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=new_id)
    session_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("treatment_sessions.id"), index=True)
    administration_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("dose_administrations.id"), nullable=True
    )
    event_type: Mapped[str] = mapped_column(String(100))
    severity: Mapped[str] = mapped_column(String(20))
    serious: Mapped[bool] = mapped_column(Boolean)
    action_taken: Mapped[str] = mapped_column(String(20))
    outcome: Mapped[str] = mapped_column(String(30))
    onset_at: Mapped[datetime] = mapped_column(UTCDateTime)
    notes: Mapped[str | None] = mapped_column(Text, nullable=True)
    recorded_by: Mapped[uuid.UUID] = mapped_column(ForeignKey("staff_users.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class SessionDischarge(Base):
    """The signed discharge of a session (one per session) with the criteria as checked."""

    __tablename__ = "session_discharges"

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=new_id)
    session_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("treatment_sessions.id"), unique=True)
    signed_by: Mapped[uuid.UUID] = mapped_column(ForeignKey("staff_users.id"))
    signed_at: Mapped[datetime] = mapped_column(UTCDateTime)
    escort_confirmed: Mapped[bool] = mapped_column(Boolean)
    aldrete_total: Mapped[int | None] = mapped_column(Integer, nullable=True)
    criteria_json: Mapped[str] = mapped_column(Text)
