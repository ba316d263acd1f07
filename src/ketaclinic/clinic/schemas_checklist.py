"""Request bodies of the pre-session checklist and the monitoring rule sets.

Strict like :mod:`ketaclinic.clinic.schemas`: a boolean is not a number, NaN and
infinities are refused, unknown keys are refused.
"""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import Field

from ketaclinic.clinic.schemas import JsonDate, Name, Phone, UtcDatetime, _In

__all__ = [
    "ChecklistOverride",
    "ChecklistRecord",
    "RuleSetEdit",
    "ThresholdIn",
]

Reason = Annotated[str, Field(min_length=5, max_length=2000)]


class ChecklistRecord(_In):
    """One item recorded by a nurse; the fields of that item are required (checked by the
    service, which names the missing field)."""

    item: Literal["fasting", "escort", "rems"]
    last_food_at: UtcDatetime | None = None
    last_liquid_at: UtcDatetime | None = None
    escort_name: Name | None = None
    escort_phone: Phone | None = None
    rems_patient_id: Annotated[str, Field(min_length=3, max_length=40)] | None = None
    rems_enrolled_on: JsonDate | None = None


class ChecklistOverride(_In):
    """A prescriber's documented override of one overridable item."""

    item: Literal["fasting", "escort", "baseline_vitals", "questionnaire", "consent", "rems"]
    reason: Reason


class ThresholdIn(_In):
    field: Literal["sbp_mmhg", "dbp_mmhg", "hr_per_min", "spo2_pct", "rr_per_min", "temp_c"]
    direction: Literal["above", "below"]
    limit: float
    priority: Literal["high", "medium", "low"]
    source: Annotated[str, Field(min_length=3, max_length=500)]
    provenance: Literal["S", "UNVERIFIED", "clinic"] = "clinic"
    inclusive: bool = False


class RuleSetEdit(_In):
    """The next version of a protocol's rule set (whole set), with the reason for the change."""

    thresholds: Annotated[list[ThresholdIn], Field(min_length=1, max_length=40)]
    expected_interval_min: float = 15.0
    silent_intervals: float = 2.0
    reason: Reason
