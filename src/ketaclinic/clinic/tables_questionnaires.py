"""Questionnaire responses and the clinical notifications their safety flags raise.

A response stores the answers by item id (never item text: licensed instruments are
scored from ids only) and the score computed by ``ketaclinic.instruments`` at entry time,
with the instrument version and the LOINC code of the total (FHIR Observation.code).
A safety flag (PHQ-9 item 9 > 0, C-SSRS high risk) creates one high-priority
notification per prescriber of the patient, acknowledged by a named user.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import JSON, CheckConstraint, Float, ForeignKey, Index, Integer, String, Text, Uuid
from sqlalchemy.orm import Mapped, mapped_column

from ketaclinic.clinic.tables import Base, UTCDateTime, new_id, utcnow

__all__ = ["ClinicalNotification", "QuestionnaireResponse"]


class QuestionnaireResponse(Base):
    __tablename__ = "questionnaire_responses"
    __table_args__ = (
        Index(
            "ix_questionnaire_responses_patient_time",
            "patient_id",
            "instrument_id",
            "administered_at",
        ),
    )

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=new_id)
    patient_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("patients.id"))
    course_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("treatment_courses.id"), nullable=True, index=True
    )
    session_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("treatment_sessions.id"), nullable=True
    )
    instrument_id: Mapped[str] = mapped_column(String(40))
    instrument_version: Mapped[str] = mapped_column(String(20))
    administered_at: Mapped[datetime] = mapped_column(UTCDateTime)
    answers: Mapped[dict[str, Any]] = mapped_column(JSON)
    total: Mapped[float] = mapped_column(Float)
    band: Mapped[str | None] = mapped_column(String(60), nullable=True)
    subscales: Mapped[dict[str, Any]] = mapped_column(JSON)
    findings: Mapped[list[Any]] = mapped_column(JSON)
    flag_codes: Mapped[list[Any]] = mapped_column(JSON)
    loinc_total: Mapped[str | None] = mapped_column(String(20), nullable=True)
    recorded_by: Mapped[uuid.UUID] = mapped_column(ForeignKey("staff_users.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class ClinicalNotification(Base):
    """A safety finding addressed to one prescriber; open until a named user acknowledges."""

    __tablename__ = "clinical_notifications"
    __table_args__ = (
        CheckConstraint("priority IN ('high', 'medium', 'low')", name="priority"),
        Index("ix_clinical_notifications_open", "acknowledged_at", "priority"),
    )

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=new_id)
    patient_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("patients.id"), index=True)
    response_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("questionnaire_responses.id"))
    recipient_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("staff_users.id"))
    code: Mapped[str] = mapped_column(String(40))
    priority: Mapped[str] = mapped_column(String(10))
    message: Mapped[str] = mapped_column(Text)
    source: Mapped[str] = mapped_column(Text)
    item_id: Mapped[str | None] = mapped_column(String(40), nullable=True)
    value: Mapped[int | None] = mapped_column(Integer, nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    acknowledged_by: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("staff_users.id"), nullable=True
    )
    acknowledged_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
