"""Batch upload of vital-sign readings from a chair monitor (backlog or one batch a second).

Semantics (see docs/clinic.md, "Batch upload"):

- all-or-nothing validation: a bad reading is a 422 naming its index, field and limit,
  and nothing of the batch is stored;
- idempotent per reading, keyed by (device, ``device_seq``): a stored sequence number
  returns its first id (``created=False``); the same number with a changed body is a 409;
- the device and session lookups and the validation run before the write transaction
  (on SQLite a deferred read, outside the writer lock); the lock is held only for the
  insert, the duplicate check, alerts, audit record and commit;
- the batch is inserted first with one ``INSERT ... ON CONFLICT DO NOTHING``
  (``readings_store.insert_new``; SQLite >= 3.35 and PostgreSQL) and only the numbers it
  did not insert are read back and compared (replayed, or a 409 that rolls the inserts
  back), so every acknowledged reading is stored exactly once;
- alerts are evaluated reading by reading in ``device_seq`` order (Core statements: the
  open alerts read once, one UPDATE and one INSERT);
- ONE audit record per batch: ``reading.batch`` with the first and last reading id, the
  count and a SHA-256 over all the batch's reading ids in order (the ids themselves do
  not fit ``audit_log.resource_ref``, 200 characters).
"""

from __future__ import annotations

import hashlib
import os
import uuid
from dataclasses import dataclass
from typing import cast

from pydantic import TypeAdapter
from sqlalchemy import Table, bindparam, insert, select, update

from ketaclinic.clinic.db import READ_ONLY
from ketaclinic.clinic.schemas import ReadingCreate
from ketaclinic.clinic.schemas_readings_batch import ReadingBatchCreate
from ketaclinic.clinic.services import alert_rows
from ketaclinic.clinic.services.context import Ctx
from ketaclinic.clinic.services.errors import ServiceError, conflict, forbidden
from ketaclinic.clinic.services.readings import MAX_CLOCK_AHEAD, payload_digest, vitals_of
from ketaclinic.clinic.services.readings_store import insert_new
from ketaclinic.clinic.services.rule_sets import rules_for_session
from ketaclinic.clinic.services.sessions import load_session
from ketaclinic.clinic.services.watchdog import FEED_SILENT
from ketaclinic.clinic.tables import Alert, TreatmentSession, VitalReading
from ketaclinic.clinic.vitals import VITAL_NAMES
from ketaclinic.monitoring import rules as m_rules
from ketaclinic.monitoring.vitals import VitalSigns

__all__ = ["BatchItem", "batch_audit_ref", "payload_hashes", "post_batch"]


@dataclass(frozen=True)
class BatchItem:
    """One reading of a batch: its stored id, and whether this call created it."""

    index: int
    id: uuid.UUID
    device_seq: int
    created: bool
    alerts: tuple[Alert, ...] = ()


def batch_audit_ref(ids: list[uuid.UUID]) -> str:
    """``resource_ref`` of the batch's audit record (<= 200 characters)."""
    digest = hashlib.sha256(",".join(str(i) for i in ids).encode()).hexdigest()
    return f"VitalReading/{ids[0]}..{ids[-1]};n={len(ids)};ids-sha256={digest}"


def _validate(ctx: Ctx, batch: ReadingBatchCreate) -> list[tuple[int, VitalSigns, str]]:
    """Validate every reading first (nothing is written if one fails)."""
    out: list[tuple[int, VitalSigns, str]] = []
    seen: dict[int, int] = {}
    ahead = ctx.clock() + MAX_CLOCK_AHEAD
    for i, body in enumerate(batch.readings):
        seq = body.device_seq
        if seq is None:
            raise ServiceError(
                422, "validation_error", f"readings[{i}]: device_seq is required",
                field=f"body.readings.{i}.device_seq", limit="an integer >= 0",
            )  # fmt: skip
        if body.device_seq in seen:
            raise ServiceError(
                422, "validation_error",
                f"readings[{i}]: device_seq {seq} repeats readings[{seen[seq]}]",
                field=f"body.readings.{i}.device_seq", value=body.device_seq,
                limit="unique within a batch",
            )  # fmt: skip
        seen[seq] = i
        vitals = vitals_of(body, ahead, at=f"body.readings.{i}", label=f"readings[{i}]: ")
        out.append((seq, vitals, ""))
    return [(seq, v, d) for (seq, v, _), d in zip(out, payload_hashes(batch), strict=True)]


_READINGS: TypeAdapter[list[ReadingCreate]] = TypeAdapter(list[ReadingCreate])


def payload_hashes(batch: ReadingBatchCreate) -> list[str]:
    """``readings._payload_hash`` of every reading, with one pydantic dump for the batch
    (the same canonical JSON, so a number first sent alone and retried in a batch, or the
    reverse, replays instead of conflicting)."""
    return [payload_digest(d) for d in _READINGS.dump_python(batch.readings, mode="json")]


def _new_ids(n: int) -> list[uuid.UUID]:
    """``n`` random (version 4) UUIDs as ``tables.new_id`` makes them, from one read of
    the OS's random source instead of one per id."""
    raw = os.urandom(16 * n)
    return [uuid.UUID(bytes=raw[k : k + 16], version=4) for k in range(0, 16 * n, 16)]


def _stored(ctx: Ctx, seqs: list[int]) -> dict[int, tuple[uuid.UUID, str, uuid.UUID]]:
    """(id, payload hash, session id) of this device's readings with these numbers."""
    rows = ctx.db.execute(
        select(
            VitalReading.device_seq,
            VitalReading.id,
            VitalReading.payload_sha256,
            VitalReading.session_id,
        ).where(VitalReading.device_id == ctx.principal.id, VitalReading.device_seq.in_(seqs))
    )
    return {int(r[0] or 0): (r[1], r[2], r[3]) for r in rows}


def _check_same(
    ctx: Ctx, stored: dict[int, tuple[uuid.UUID, str, uuid.UUID]], index_of: dict[int, int],
    digests: dict[int, str], session_id: uuid.UUID,
) -> None:  # fmt: skip
    for seq, (_, digest, sid) in stored.items():
        if digest != digests[seq] or sid != session_id:
            ctx.db.rollback()
            i = index_of[seq]
            raise conflict(
                f"readings[{i}]: device_seq {seq} was already used with a different reading",
                field=f"body.readings.{i}.device_seq", value=seq,
            )  # fmt: skip


def _rows(
    ctx: Ctx, session_id: uuid.UUID, batch: ReadingBatchCreate,
    checked: list[tuple[int, VitalSigns, str]], index_of: dict[int, int],
) -> list[dict[str, object]]:  # fmt: skip
    """The ``vital_readings`` rows of the batch (the same keys in every row)."""
    now, device_id = ctx.clock(), ctx.principal.id
    rows: list[dict[str, object]] = []
    for (seq, vitals, digest), rid in zip(checked, _new_ids(len(checked)), strict=True):
        body = batch.readings[index_of[seq]]
        row: dict[str, object] = dict.fromkeys(VITAL_NAMES)
        row.update({str(k): v for k, v in vitals.values().items()})
        row.update({
            "id": rid, "session_id": session_id, "source": "device", "device_id": device_id,
            "device_seq": seq, "client_key": None, "recorded_by": None,
            "measured_at": body.measured_at, "received_at": now, "payload_sha256": digest,
        })  # fmt: skip
        rows.append(row)
    return rows


_ALERTS = cast(Table, Alert.__table__)
_OPEN_ALERTS = select(_ALERTS).where(
    _ALERTS.c.session_id == bindparam("sid"), _ALERTS.c.cleared_at.is_(None)
)
_CLEAR_ALERTS = (
    update(_ALERTS).where(_ALERTS.c.id == bindparam("aid")).values(cleared_at=bindparam("at"))
)
_ALERT_COLUMNS = [c.name for c in _ALERTS.columns]


def _evaluate_in_order(
    ctx: Ctx, sess: TreatmentSession, new: list[tuple[int, uuid.UUID, VitalSigns]]
) -> dict[int, tuple[Alert, ...]]:
    """``alerting.evaluate`` for each new reading in ``device_seq`` order (same rules, same
    outcome), with the open alerts read once and the changes written once: one UPDATE
    (executemany) of the alerts that end, one INSERT (executemany) of those raised, with
    their final ``cleared_at`` when a later reading of the batch already ends them.
    Core statements; the raised alerts are returned as transient ``Alert`` objects."""
    db = ctx.db
    now = ctx.clock()
    old = list(db.execute(_OPEN_ALERTS, {"sid": sess.id}))
    cleared = [r.id for r in old if r.condition == FEED_SILENT]  # a reading ends it
    live = {r.id: r for r in old if r.condition != FEED_SILENT}
    state = m_rules.AlarmState(tuple(alert_rows.to_domain(r) for r in live.values()))  # type: ignore[arg-type]
    key_of: dict[tuple[object, ...], list[uuid.UUID]] = {}
    for aid, r in live.items():
        key_of.setdefault((r.condition, r.code, r.raised_at), []).append(aid)
    rule_set = rules_for_session(db, sess)  # as alerting.evaluate: once per batch
    made: dict[uuid.UUID, Alert] = {}
    out: dict[int, tuple[Alert, ...]] = {}
    for seq, reading_id, vitals in new:
        state, raised = m_rules.ingest(rule_set, state, vitals, chair_id=str(sess.chair_id))
        keep = {(a.condition, a.code, a.raised_at) for a in state.active}
        for key in [k for k in key_of if k not in keep]:
            for aid in key_of.pop(key):
                if aid in made:
                    made[aid].cleared_at = now
                else:
                    cleared.append(aid)
        rows = tuple(
            alert_rows.to_row(a, session_id=sess.id, reading_id=reading_id, created_at=now)
            for a in raised
        )
        for row in rows:
            made[row.id] = row
            key_of.setdefault((row.condition, row.code, row.raised_at), []).append(row.id)
        out[seq] = rows
    if cleared:
        db.execute(_CLEAR_ALERTS, [{"aid": aid, "at": now} for aid in cleared])
    if made:
        db.execute(
            insert(_ALERTS),
            [{c: getattr(row, c) for c in _ALERT_COLUMNS} for row in made.values()],
        )
    return out


def post_batch(ctx: Ctx, session_id: uuid.UUID, batch: ReadingBatchCreate) -> list[BatchItem]:
    """Store a chair monitor's batch exactly once per reading; items in request order."""
    ctx.require("reading.create")
    p = ctx.principal
    # Lookup and validation read only: on SQLite they run in a deferred transaction,
    # outside the writer lock, which is taken at the first statement after the rollback
    # below and held for the duplicate check, insert, alerts, audit and commit only.
    if not ctx.db.in_transaction():
        ctx.db.connection(execution_options=READ_ONLY)
    sess = load_session(ctx, session_id)
    if p.kind != "device" or sess.chair_id != p.chair_id:
        ctx.db.rollback()
        ctx.audit("E", "authz.denied", f"TreatmentSession/{sess.id}", sess.patient_id, outcome=4)
        ctx.db.commit()
        if p.kind != "device":
            raise forbidden("the batch endpoint is for chair monitors (device tokens)")
        raise forbidden(f"device {p.name} is bound to another chair than session {sess.id}")
    checked = _validate(ctx, batch)
    ctx.db.rollback()  # end the read; ``sess`` reloads (status included) under the lock
    index_of = {seq: i for i, (seq, _, _) in enumerate(checked)}
    digests = {seq: d for seq, _, d in checked}
    created: set[int] = set()
    if sess.status == "in_progress":
        # Insert first, look up only what was already there: a new batch (the usual case)
        # costs no duplicate check; a stored number with another body is a 409 and the
        # rollback takes this batch's inserts with it (nothing half-written).
        inserted = insert_new(ctx.db, _rows(ctx, sess.id, batch, checked, index_of))
        created = set(inserted)
        known = [seq for seq, _, _ in checked if seq not in inserted]
        stored = _stored(ctx, known) if known else {}
        _check_same(ctx, stored, index_of, digests, sess.id)
        ids = {**{seq: v[0] for seq, v in stored.items()}, **inserted}
    else:
        stored = _stored(ctx, list(index_of))
        _check_same(ctx, stored, index_of, digests, sess.id)
        if len(stored) < len(checked):
            raise conflict(
                f"session is {sess.status}; readings need a session in progress",
                field="status", value=sess.status,
            )  # fmt: skip
        ids = {seq: v[0] for seq, v in stored.items()}
    new = [
        (seq, ids[seq], v) for seq, v, _ in sorted(checked, key=lambda c: c[0]) if seq in created
    ]
    alerts = _evaluate_in_order(ctx, sess, new) if new else {}
    ordered = [ids[seq] for seq, _, _ in checked]
    action = "C" if created else "R"
    event = "reading.batch" if created else "reading.batch.replay"
    ctx.audit(action, event, batch_audit_ref(ordered), sess.patient_id)
    ctx.db.commit()
    return [
        BatchItem(i, ids[seq], seq, seq in created, alerts.get(seq, ()))
        for i, (seq, _, _) in enumerate(checked)
    ]
