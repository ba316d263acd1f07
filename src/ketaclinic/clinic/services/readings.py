"""Vital-sign readings: idempotent ingestion (device or staff), validation, alerts.

Idempotency: a device reading is keyed by (device_id, device_seq), a staff reading by
(session_id, Idempotency-Key), each with a UNIQUE index. A retry with the same body
returns the stored reading (``created=False``); the same key with a different body is a
409. Concurrent duplicates: the loser's INSERT fails on the index, its transaction is
rolled back and it returns the winner's row. The 201 is sent only after COMMIT.
"""

from __future__ import annotations

import hashlib
import json
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from ketaclinic.clinic import schemas
from ketaclinic.clinic.services import alerting
from ketaclinic.clinic.services.context import Ctx
from ketaclinic.clinic.services.errors import ServiceError, conflict, forbidden
from ketaclinic.clinic.services.sessions import load_session
from ketaclinic.clinic.tables import Alert, TreatmentSession, VitalReading
from ketaclinic.clinic.vitals import VITAL_NAMES
from ketaclinic.errors import InputError
from ketaclinic.monitoring.vitals import VitalSigns

__all__ = [
    "MAX_CLOCK_AHEAD",
    "Ingested",
    "list_alerts",
    "list_readings",
    "payload_digest",
    "post_reading",
    "vitals_of",
]

#: A device clock may run ahead of the server by at most this much (clock skew).
MAX_CLOCK_AHEAD = timedelta(minutes=5)
KEY_PATTERN_MAX = 64


@dataclass(frozen=True)
class Ingested:
    reading: VitalReading
    alerts: list[Alert]
    created: bool


def payload_digest(data: dict[str, object]) -> str:
    """SHA-256 of a reading's canonical JSON (sorted keys, no spaces): the idempotency
    fingerprint, shared with the batch path so that a retry replays across the two."""
    text = json.dumps(data, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(text.encode()).hexdigest()


def _payload_hash(body: schemas.ReadingCreate) -> str:
    return payload_digest(body.model_dump(mode="json"))


def vitals_of(
    body: schemas.ReadingCreate, latest: datetime, *, at: str = "body", label: str = ""
) -> VitalSigns:
    """The reading's vital signs, each within physiology (``VitalSigns``), measured no later
    than ``latest`` (server time + ``MAX_CLOCK_AHEAD``). A refusal names the field at
    ``at`` (``body`` or ``body.readings.<i>``) and starts its message with ``label``:
    one check for a single reading and for each reading of a batch."""
    values = {n: getattr(body, n) for n in VITAL_NAMES}
    try:
        vitals = VitalSigns(measured_at=body.measured_at, **values)
    except InputError as exc:
        raise ServiceError(
            422, "validation_error", f"{label}{exc}", field=f"{at}.{exc.field}",
            value=exc.value, unit=exc.unit, limit=exc.limit,
        ) from None  # fmt: skip
    if body.measured_at > latest:
        raise ServiceError(
            422, "validation_error",
            f"{label}measured_at is more than {MAX_CLOCK_AHEAD} ahead of the server clock",
            field=f"{at}.measured_at", value=body.measured_at.isoformat(),
            limit=f"<= server time + {MAX_CLOCK_AHEAD}",
        )  # fmt: skip
    return vitals


def _find(ctx: Ctx, session_id: uuid.UUID, key: tuple[str, object]) -> VitalReading | None:
    kind, value = key
    stmt = select(VitalReading)
    if kind == "device":
        stmt = stmt.where(
            VitalReading.device_id == ctx.principal.id, VitalReading.device_seq == value
        )
    else:
        stmt = stmt.where(VitalReading.session_id == session_id, VitalReading.client_key == value)
    return ctx.db.scalars(stmt).one_or_none()


def _replay(ctx: Ctx, existing: VitalReading, digest: str, sess: TreatmentSession) -> Ingested:
    if existing.payload_sha256 != digest or existing.session_id != sess.id:
        raise conflict(
            "this idempotency key was already used with a different reading",
            field="device_seq" if existing.source == "device" else "Idempotency-Key",
            value=existing.device_seq if existing.source == "device" else existing.client_key,
        )
    alerts = list(ctx.db.scalars(select(Alert).where(Alert.reading_id == existing.id)))
    ctx.audit("R", "reading.replay", f"VitalReading/{existing.id}", sess.patient_id)
    ctx.db.commit()
    return Ingested(existing, alerts, created=False)


def post_reading(
    ctx: Ctx, session_id: uuid.UUID, body: schemas.ReadingCreate, idempotency_key: str | None
) -> Ingested:
    """Store one reading once, evaluate the monitoring rules, return it with its alerts."""
    ctx.require("reading.create")
    p = ctx.principal
    sess = load_session(ctx, session_id)
    key: tuple[str, object]
    if p.kind == "device":
        if sess.chair_id != p.chair_id:
            ctx.db.rollback()
            ctx.audit(
                "E", "authz.denied", f"TreatmentSession/{sess.id}", sess.patient_id, outcome=4
            )
            ctx.db.commit()
            raise forbidden(f"device {p.name} is bound to another chair than session {sess.id}")
        if body.device_seq is None:
            raise ServiceError(
                422, "validation_error", "device_seq is required for a device reading",
                field="body.device_seq", limit="an integer >= 0, increasing per device",
            )  # fmt: skip
        key = ("device", body.device_seq)
    else:
        if not idempotency_key or len(idempotency_key) > KEY_PATTERN_MAX:
            raise ServiceError(
                422, "validation_error", "Idempotency-Key header (1..64 characters) is required",
                field="Idempotency-Key", value=idempotency_key, limit="1..64 characters",
            )  # fmt: skip
        if body.device_seq is not None:
            raise ServiceError(
                422, "validation_error", "device_seq is only for chair monitors",
                field="body.device_seq", value=body.device_seq,
            )  # fmt: skip
        key = ("client", idempotency_key)
    vitals = vitals_of(body, ctx.clock() + MAX_CLOCK_AHEAD)
    digest = _payload_hash(body)
    existing = _find(ctx, sess.id, key)
    if existing is not None:
        return _replay(ctx, existing, digest, sess)
    if sess.status != "in_progress":
        raise conflict(
            f"session is {sess.status}; readings need a session in progress", field="status",
            value=sess.status,
        )  # fmt: skip
    reading = VitalReading(
        session_id=sess.id,
        source=p.kind if p.kind == "device" else "manual",
        device_id=p.id if p.kind == "device" else None,
        device_seq=body.device_seq,
        client_key=idempotency_key if p.kind != "device" else None,
        recorded_by=p.id if p.kind != "device" else None,
        measured_at=body.measured_at,
        received_at=ctx.clock(),
        payload_sha256=digest,
        **vitals.values(),
    )
    try:
        ctx.db.add(reading)
        ctx.db.flush()
    except IntegrityError:
        ctx.db.rollback()
        existing = _find(ctx, sess.id, key)
        if existing is None:  # pragma: no cover - an integrity error of another kind
            raise
        return _replay(ctx, existing, digest, sess)
    alerts = alerting.evaluate(ctx, sess, reading, vitals)
    ctx.audit("C", "reading.create", f"VitalReading/{reading.id}", sess.patient_id)
    ctx.db.commit()
    return Ingested(reading, alerts, created=True)


def list_readings(ctx: Ctx, session_id: uuid.UUID, *, limit: int = 500) -> list[VitalReading]:
    """The session's newest ``limit`` readings, oldest first. The newest, not the first:
    a monitor past ``limit`` readings (42 min at one every 5 s) must still see the latest."""
    ctx.require("reading.read")
    sess = load_session(ctx, session_id)
    rows = list(
        ctx.db.scalars(
            select(VitalReading)
            .where(VitalReading.session_id == sess.id)
            .order_by(VitalReading.measured_at.desc(), VitalReading.id.desc())
            .limit(limit)
        )
    )
    rows.reverse()
    ctx.audit("R", "reading.list", f"TreatmentSession/{sess.id}/readings", sess.patient_id)
    ctx.db.commit()
    return rows


def list_alerts(ctx: Ctx, session_id: uuid.UUID) -> list[Alert]:
    ctx.require("alert.read")
    sess = load_session(ctx, session_id)
    rows = list(
        ctx.db.scalars(select(Alert).where(Alert.session_id == sess.id).order_by(Alert.created_at))
    )
    ctx.audit("R", "alert.list", f"TreatmentSession/{sess.id}/alerts", sess.patient_id)
    ctx.db.commit()
    return rows
