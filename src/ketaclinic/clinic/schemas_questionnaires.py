"""API models for questionnaires, outcomes, safety notifications and outcome analytics.

Answers are keyed by item id and must be integers (a boolean, a float or a string is
refused by the strict model; the range of each item is checked by
``ketaclinic.instruments.score``).
"""

from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import Annotated, Any

from pydantic import Field, StrictInt

from ketaclinic.clinic.schemas import JsonUUID, UtcDatetime, _In, _Out

__all__ = [
    "AnalyticsPublic",
    "InstrumentPublic",
    "NotificationPublic",
    "OutcomeSeries",
    "QuestionnaireCreate",
    "QuestionnairePublic",
]

ItemId = Annotated[str, Field(min_length=1, max_length=40)]


class QuestionnaireCreate(_In):
    instrument_id: Annotated[str, Field(min_length=1, max_length=40)]
    answers: Annotated[dict[ItemId, StrictInt], Field(min_length=1, max_length=60)]
    administered_at: UtcDatetime
    course_id: JsonUUID | None = None
    session_id: JsonUUID | None = None


class NotificationPublic(_Out):
    id: uuid.UUID
    patient_id: uuid.UUID
    response_id: uuid.UUID
    recipient_id: uuid.UUID
    code: str
    priority: str
    message: str
    source: str
    item_id: str | None
    value: int | None
    created_at: datetime
    acknowledged_by: uuid.UUID | None
    acknowledged_at: datetime | None


class QuestionnairePublic(_Out):
    id: uuid.UUID
    patient_id: uuid.UUID
    course_id: uuid.UUID | None
    session_id: uuid.UUID | None
    instrument_id: str
    instrument_version: str
    administered_at: datetime
    answers: dict[str, int]
    total: float
    band: str | None
    subscales: dict[str, float]
    findings: list[str]
    flag_codes: list[str]
    loinc_total: str | None
    recorded_by: uuid.UUID
    created_at: datetime
    notifications: list[NotificationPublic] = Field(default_factory=list)


class InstrumentPublic(_Out):
    id: str
    name: str
    version: str
    citation: str
    licence_kind: str
    licence_holder: str
    may_embed_text: bool
    recall: str
    rater: str
    total_min: float
    total_max: float
    loinc_panel: str | None
    loinc_total: str | None
    response_labels: list[str]
    items: list[dict[str, Any]]
    bands: list[dict[str, Any]]
    bands_source: str
    response_rule: dict[str, Any] | None
    remission_rule: dict[str, Any] | None


class OutcomeSeries(_Out):
    """One instrument within one course (or outside any course) of a patient."""

    instrument_id: str
    course_id: uuid.UUID | None
    loinc_total: str | None
    baseline_total: float
    baseline_at: datetime
    response_threshold: float | None
    remission_threshold: float | None
    points: list[dict[str, Any]]
    latest: dict[str, Any] | None


class AnalyticsPublic(_Out):
    instrument_id: str
    method: str
    confidence: float
    at: str
    baseline_definition: str
    groups: list[dict[str, Any]]
    adverse_events: list[dict[str, Any]] | None
    adverse_events_note: str
    since: date | None = None
