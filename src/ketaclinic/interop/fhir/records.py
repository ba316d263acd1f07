"""What the FHIR export takes: plain, validated, frozen records (no database rows).

The clinic service (or any caller) builds these from its own storage; the mapping in
:mod:`.resources` turns them into FHIR R4 JSON. Keys are UUIDs; every time is
timezone-aware (``ketaclinic.monitoring.vitals.check_utc``); doses are mg and rates mg/h
(STYLE.md canonical units).
"""

from __future__ import annotations

import math
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Literal

from ketaclinic.errors import InputError
from ketaclinic.monitoring.vitals import VitalSigns, check_utc

__all__ = [
    "AdministrationRecord",
    "AdverseEventRecord",
    "PatientExport",
    "PatientRecord",
    "RateSegment",
    "ScoreRecord",
    "SessionRecord",
    "VitalsRecord",
]

Drug = Literal["ketamine", "esketamine"]
SessionStatus = Literal["scheduled", "in_progress", "completed", "cancelled"]
Severity = Literal["mild", "moderate", "severe", "life_threatening", "death"]
Outcome = Literal["resolved", "resolving", "not_resolved", "resolved_with_sequelae", "fatal"]


def _text(name: str, value: object) -> None:
    if not isinstance(value, str) or not value.strip():
        raise InputError.for_field(name, value, "a non-empty string")


def _uuid(name: str, value: object) -> None:
    if not isinstance(value, uuid.UUID):
        raise InputError.for_field(name, value, "a UUID")


def _one_of(name: str, value: object, allowed: Sequence[str]) -> None:
    if value not in allowed:
        raise InputError.for_field(name, value, "one of " + ", ".join(allowed))


def _positive(name: str, value: float | None, unit: str, *, zero: bool = False) -> None:
    if value is None:
        return
    ok = isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value)
    if not ok or value < 0 or (value == 0 and not zero):
        raise InputError.for_field(name, value, ">= 0" if zero else "> 0", unit=unit)


@dataclass(frozen=True)
class PatientRecord:
    """Demographics. ``sex`` is exported as FHIR ``Patient.gender`` (administrative gender):
    the clinic records female/male only; an unknown sex leaves ``gender`` out."""

    id: uuid.UUID
    mrn: str
    given_name: str
    family_name: str
    birth_date: date
    sex: Literal["female", "male"] | None = None
    phone: str | None = None

    def __post_init__(self) -> None:
        _uuid("patient.id", self.id)
        for name in ("mrn", "given_name", "family_name"):
            _text(f"patient.{name}", getattr(self, name))
        if not isinstance(self.birth_date, date) or isinstance(self.birth_date, datetime):
            raise InputError.for_field("patient.birth_date", self.birth_date, "a date")
        if self.sex is not None:
            _one_of("patient.sex", self.sex, ("female", "male"))
        if self.phone is not None:
            _text("patient.phone", self.phone)


@dataclass(frozen=True)
class SessionRecord:
    """A treatment session (FHIR Encounter): status and start/end times."""

    id: uuid.UUID
    status: SessionStatus
    scheduled_for: datetime
    started_at: datetime | None = None
    ended_at: datetime | None = None

    def __post_init__(self) -> None:
        _uuid("session.id", self.id)
        statuses = ("scheduled", "in_progress", "completed", "cancelled")
        _one_of("session.status", self.status, statuses)
        check_utc("session.scheduled_for", self.scheduled_for)
        for name in ("started_at", "ended_at"):
            if getattr(self, name) is not None:
                check_utc(f"session.{name}", getattr(self, name))
        if self.started_at and self.ended_at and self.ended_at < self.started_at:
            raise InputError.for_field(
                "session.ended_at", self.ended_at.isoformat(), "not before started_at"
            )


@dataclass(frozen=True)
class VitalsRecord:
    """One vital-signs reading (``vitals.measured_at`` is the device time)."""

    id: uuid.UUID
    vitals: VitalSigns
    session_id: uuid.UUID | None = None

    def __post_init__(self) -> None:
        _uuid("reading.id", self.id)
        if not isinstance(self.vitals, VitalSigns):
            raise InputError.for_field("reading.vitals", self.vitals, "a VitalSigns")


@dataclass(frozen=True)
class ScoreRecord:
    """A questionnaire or chairside scale total (``instrument_id`` as in the clinic:
    ``phq-9``, ``gad-7``, ``c-ssrs-screen``, ``moaas``, ``cadss6``, ...)."""

    id: uuid.UUID
    instrument_id: str
    name: str
    administered_at: datetime
    total: float
    band: str | None = None
    instrument_version: str | None = None
    flags: tuple[str, ...] = ()
    session_id: uuid.UUID | None = None

    def __post_init__(self) -> None:
        _uuid("score.id", self.id)
        _text("score.instrument_id", self.instrument_id)
        _text("score.name", self.name)
        check_utc("score.administered_at", self.administered_at)
        _positive("score.total", self.total, "points", zero=True)
        if self.band is not None:
            _text("score.band", self.band)


@dataclass(frozen=True)
class RateSegment:
    """An infusion rate in force from ``at`` on."""

    at: datetime
    rate_mg_per_h: float

    def __post_init__(self) -> None:
        check_utc("rate.at", self.at)
        _positive("rate_mg_per_h", self.rate_mg_per_h, "mg/h", zero=True)


@dataclass(frozen=True)
class AdministrationRecord:
    """A dose given (FHIR MedicationAdministration + Medication with the lot number)."""

    id: uuid.UUID
    drug: Drug
    route: str
    lot_number: str
    started_at: datetime
    ordered_dose_mg: float
    stopped_at: datetime | None = None
    amount_given_mg: float | None = None
    rates: tuple[RateSegment, ...] = ()
    session_id: uuid.UUID | None = None

    def __post_init__(self) -> None:
        _uuid("administration.id", self.id)
        _one_of("administration.drug", self.drug, ("ketamine", "esketamine"))
        _text("administration.route", self.route)
        _text("administration.lot_number", self.lot_number)
        check_utc("administration.started_at", self.started_at)
        _positive("ordered_dose_mg", self.ordered_dose_mg, "mg")
        _positive("amount_given_mg", self.amount_given_mg, "mg", zero=True)
        if self.stopped_at is not None:
            check_utc("administration.stopped_at", self.stopped_at)
            if self.stopped_at < self.started_at:
                raise InputError.for_field(
                    "administration.stopped_at", self.stopped_at.isoformat(), "not before start"
                )
        if list(self.rates) != sorted(self.rates, key=lambda r: r.at):
            raise InputError.for_field("administration.rates", len(self.rates), "in time order")


@dataclass(frozen=True)
class AdverseEventRecord:
    """A structured adverse event (CTCAE grade word, ICH seriousness, outcome)."""

    id: uuid.UUID
    event_type: str
    severity: Severity
    serious: bool
    outcome: Outcome
    onset_at: datetime
    recorded_at: datetime | None = None
    administration_id: uuid.UUID | None = None
    session_id: uuid.UUID | None = None

    def __post_init__(self) -> None:
        _uuid("adverse_event.id", self.id)
        _text("adverse_event.event_type", self.event_type)
        _one_of(
            "adverse_event.severity",
            self.severity,
            ("mild", "moderate", "severe", "life_threatening", "death"),
        )
        if not isinstance(self.serious, bool):
            raise InputError.for_field("adverse_event.serious", self.serious, "true or false")
        _one_of(
            "adverse_event.outcome",
            self.outcome,
            ("resolved", "resolving", "not_resolved", "resolved_with_sequelae", "fatal"),
        )
        check_utc("adverse_event.onset_at", self.onset_at)
        if self.recorded_at is not None:
            check_utc("adverse_event.recorded_at", self.recorded_at)


@dataclass(frozen=True)
class PatientExport:
    """Everything exported for one patient. Links between records (a reading's session, an
    adverse event's administration) must point at records of this export."""

    patient: PatientRecord
    sessions: tuple[SessionRecord, ...] = ()
    vitals: tuple[VitalsRecord, ...] = ()
    scores: tuple[ScoreRecord, ...] = ()
    administrations: tuple[AdministrationRecord, ...] = ()
    adverse_events: tuple[AdverseEventRecord, ...] = ()

    def __post_init__(self) -> None:
        if not isinstance(self.patient, PatientRecord):
            raise InputError.for_field("patient", self.patient, "a PatientRecord")
        sessions = {s.id for s in self.sessions}
        admins = {a.id for a in self.administrations}
        linked: list[tuple[str, uuid.UUID | None, set[uuid.UUID]]] = []
        for group in (self.vitals, self.scores, self.administrations, self.adverse_events):
            linked += [(f"{type(r).__name__}.session_id", r.session_id, sessions) for r in group]
        linked += [
            ("AdverseEventRecord.administration_id", e.administration_id, admins)
            for e in self.adverse_events
        ]
        for name, ref, known in linked:
            if ref is not None and ref not in known:
                raise InputError.for_field(name, str(ref), "a record of this export")
        ids = [
            r.id
            for group in (
                self.sessions,
                self.vitals,
                self.scores,
                self.administrations,
                self.adverse_events,
            )
            for r in group
        ]
        if len(set(ids)) != len(ids) or self.patient.id in ids:
            raise InputError.for_field("export ids", len(ids), "unique across the export")
