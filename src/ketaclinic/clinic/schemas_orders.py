"""API models of orders, administration, scores, adverse events, discharge, prediction.

Strict like :mod:`ketaclinic.clinic.schemas`: a boolean is not a number, NaN and
infinities are refused, unknown fields are refused, datetimes carry a UTC offset.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated, Any, Literal

from pydantic import Field

from ketaclinic.clinic.schemas import JsonUUID, UtcDatetime, _In, _Out
from ketaclinic.clinic.tables_orders import AE_ACTIONS, AE_OUTCOMES, AE_SEVERITIES

__all__ = [
    "AdministrationCreate",
    "AdministrationPublic",
    "AdverseEventCreate",
    "AdverseEventPublic",
    "AldreteIn",
    "DischargeIn",
    "OrderCreate",
    "OrderInputs",
    "OrderPublic",
    "OverrideIn",
    "RateChange",
    "RatePublic",
    "ScoreCreate",
    "ScorePublic",
    "StopIn",
]

Pos = Annotated[float, Field(gt=0)]
Severity = Literal[AE_SEVERITIES]  # type: ignore[valid-type]
Action = Literal[AE_ACTIONS]  # type: ignore[valid-type]
Outcome = Literal[AE_OUTCOMES]  # type: ignore[valid-type]


class OrderInputs(_In):
    """What the prescriber may choose; weight/height come from the patient's record and
    the protocol from the session's course (``protocol_id`` only for a session without a
    course)."""

    protocol_id: Annotated[str, Field(min_length=1, max_length=64)] | None = None
    dose_mg_per_kg: Pos | None = None
    dose_mg: Pos | None = None
    duration_min: Pos | None = None
    concentration_mg_per_ml: Pos | None = None
    session_number: Annotated[int, Field(ge=1, le=1000)] = 1


class OverrideIn(_In):
    reason: Annotated[str, Field(min_length=1, max_length=500)]
    second_username: Annotated[str, Field(min_length=1, max_length=64)]
    second_password: Annotated[str, Field(min_length=1, max_length=256)]


class OrderCreate(OrderInputs):
    override: OverrideIn | None = None


class OrderPublic(_Out):
    id: uuid.UUID
    session_id: uuid.UUID
    patient_id: uuid.UUID
    protocol_id: str
    protocol_version: int
    route: str
    weight_kg: float
    height_cm: float | None
    dose_mg: float
    duration_min: float | None
    rate_mg_per_h: float | None
    concentration_mg_per_ml: float | None
    signed_by: uuid.UUID
    signed_at: datetime
    override_reason: str | None
    override_confirmed_by: uuid.UUID | None
    result: dict[str, Any] = Field(default_factory=dict)


class AdministrationCreate(_In):
    order_id: JsonUUID
    lot_number: Annotated[str, Field(min_length=1, max_length=64)]
    started_at: UtcDatetime
    rate_mg_per_h: Annotated[float, Field(ge=0, le=10000)] | None = None
    rate_ml_per_h: Annotated[float, Field(ge=0, le=10000)] | None = None


class RateChange(_In):
    at: UtcDatetime
    rate_mg_per_h: Annotated[float, Field(ge=0, le=10000)]
    rate_ml_per_h: Annotated[float, Field(ge=0, le=10000)] | None = None


class StopIn(_In):
    stopped_at: UtcDatetime
    amount_given_mg: Annotated[float, Field(ge=0, le=10000)]


class RatePublic(_Out):
    at: datetime
    rate_mg_per_h: float
    rate_ml_per_h: float | None


class AdministrationPublic(_Out):
    id: uuid.UUID
    session_id: uuid.UUID
    order_id: uuid.UUID
    lot_number: str
    started_at: datetime
    stopped_at: datetime | None
    amount_given_mg: float | None
    recorded_by: uuid.UUID
    version: int
    rates: list[RatePublic] = Field(default_factory=list)


class ScoreCreate(_In):
    """A MOAA/S score (``moaas`` 0-5) or a CADSS-6 (``items`` by item id, 0-4 each)."""

    scale: Literal["moaas", "cadss6"]
    measured_at: UtcDatetime
    moaas: int | None = None
    items: dict[str, int] | None = None


class ScorePublic(_Out):
    id: uuid.UUID
    session_id: uuid.UUID
    scale: str
    measured_at: datetime
    total: int
    items: dict[str, int] | None = None
    recorded_by: uuid.UUID


class AdverseEventCreate(_In):
    event_type: Annotated[str, Field(min_length=1, max_length=100)]
    severity: Severity
    serious: bool
    action_taken: Action
    outcome: Outcome
    onset_at: UtcDatetime
    administration_id: JsonUUID | None = None
    notes: Annotated[str, Field(max_length=2000)] | None = None


class AdverseEventPublic(_Out):
    id: uuid.UUID
    session_id: uuid.UUID
    administration_id: uuid.UUID | None
    event_type: str
    severity: str
    serious: bool
    action_taken: str
    outcome: str
    onset_at: datetime
    notes: str | None
    recorded_by: uuid.UUID
    created_at: datetime


class AldreteIn(_In):
    activity: Annotated[int, Field(ge=0, le=2)]
    respiration: Annotated[int, Field(ge=0, le=2)]
    circulation: Annotated[int, Field(ge=0, le=2)]
    consciousness: Annotated[int, Field(ge=0, le=2)]
    oxygen_saturation: Annotated[int, Field(ge=0, le=2)]


class DischargeIn(_In):
    """``protocol_id`` only when the session has neither a course nor a signed order."""

    protocol_id: Annotated[str, Field(min_length=1, max_length=64)] | None = None
    escort_confirmed: bool = False
    sign: bool = False
    aldrete: AldreteIn | None = None
    moaas: Annotated[int, Field(ge=0, le=5)] | None = None
