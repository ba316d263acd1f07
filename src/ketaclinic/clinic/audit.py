"""Append-only, hash-chained audit log (FHIR AuditEvent fields; never the PHI itself).

Each record's hash is ``HMAC-SHA256(secret_key, canonical(record) || prev_hash)`` with a
contiguous ``seq`` (Schneier & Kelsey 1999, "Secure audit logs to support computer
forensics", ACM TISSEC 2(2):159-176, doi:10.1145/317087.317089, keyed hash chain).
The record is written in the same transaction as the data it describes; writers are
serialised (SQLite ``BEGIN IMMEDIATE``; PostgreSQL row lock on ``audit_head``).
``verify`` recomputes the chain and reports every edited, deleted or reordered row,
and a truncated tail (the head row no longer matches).

Actions follow FHIR AuditEvent.action: C create, R read, U update, D delete, E execute.
Outcomes: 0 success, 4 minor failure, 8 serious failure, 12 major failure.
"""

from __future__ import annotations

import hashlib
import hmac
import json
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime
from typing import cast

from sqlalchemy import Table, bindparam, insert, select, update
from sqlalchemy.orm import Session

from ketaclinic.clinic.tables import AuditHead, AuditRecord, utcnow

__all__ = ["GENESIS_HASH", "Actor", "VerifyReport", "append", "record_hash", "verify"]

GENESIS_HASH = "0" * 64
ACTIONS = frozenset("CRUDE")
OUTCOMES = frozenset({0, 4, 8, 12})
_FIELDS = (
    "seq",
    "recorded_utc",
    "actor_kind",
    "actor_id",
    "role",
    "action",
    "event_type",
    "resource_ref",
    "patient_id",
    "outcome",
    "ip",
    "node_id",
)


@dataclass(frozen=True)
class Actor:
    """Who acted: a staff user, a chair device, or the system itself."""

    kind: str
    id: str | None
    role: str | None = None

    def __post_init__(self) -> None:
        if self.kind not in {"user", "device", "system"}:
            raise ValueError(f"actor kind must be user, device or system, got {self.kind}")


def _iso(ts: datetime) -> str:
    return ts.isoformat(timespec="microseconds")


def record_hash(key: bytes, values: dict[str, object], prev_hash: str) -> str:
    """HMAC-SHA256 of the canonical JSON of ``values`` followed by ``prev_hash``."""
    canon = {k: (_iso(v) if isinstance(v, datetime) else v) for k, v in values.items()}
    text = json.dumps(canon, sort_keys=True, separators=(",", ":"), ensure_ascii=True)
    return hmac.new(key, (text + prev_hash).encode("ascii"), hashlib.sha256).hexdigest()


def _values(rec: AuditRecord) -> dict[str, object]:
    return {name: getattr(rec, name) for name in _FIELDS}


def append(
    session: Session,
    *,
    key: bytes,
    node_id: str,
    actor: Actor,
    action: str,
    event_type: str,
    resource_ref: str | None = None,
    patient_id: str | None = None,
    outcome: int = 0,
    ip: str | None = None,
) -> AuditRecord:
    """Add one record to the chain inside the caller's transaction (not committed here)."""
    if action not in ACTIONS:
        raise ValueError(f"audit action must be one of C, R, U, D, E, got {action}")
    if outcome not in OUTCOMES:
        raise ValueError(f"audit outcome must be 0, 4, 8 or 12, got {outcome}")
    # Core statements, not the unit of work: this runs once per request that touches
    # patient data. Pending ORM changes are flushed first (callers rely on it).
    session.flush()
    seq, prev = session.execute(_HEAD_FOR_UPDATE).one()
    values: dict[str, object] = {
        "seq": seq + 1,
        "recorded_utc": utcnow(),
        "actor_kind": actor.kind,
        "actor_id": actor.id,
        "role": actor.role,
        "action": action,
        "event_type": event_type,
        "resource_ref": resource_ref,
        "patient_id": patient_id,
        "outcome": outcome,
        "ip": ip,
        "node_id": node_id,
    }
    digest = record_hash(key, values, prev)
    session.execute(_INSERT_RECORD, {**values, "prev_hash": prev, "hash": digest})
    session.execute(_UPDATE_HEAD, {"new_seq": seq + 1, "new_hash": digest})
    return AuditRecord(**values, prev_hash=prev, hash=digest)


_HEAD = cast(Table, AuditHead.__table__)
_HEAD_FOR_UPDATE = select(_HEAD.c.seq, _HEAD.c.hash).where(_HEAD.c.id == 1).with_for_update()
_INSERT_RECORD = insert(cast(Table, AuditRecord.__table__))
_UPDATE_HEAD = (
    update(_HEAD)
    .where(_HEAD.c.id == 1)
    .values(seq=bindparam("new_seq"), hash=bindparam("new_hash"))
)


@dataclass
class VerifyReport:
    """Result of ``verify``: ``ok`` only if every row and the head check out."""

    checked: int = 0
    head_seq: int = 0
    head_hash: str = GENESIS_HASH
    problems: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems


def _rows(session: Session, batch: int, up_to: int) -> Iterator[AuditRecord]:
    """Rows 1..up_to in batches, each read in its own short transaction (on SQLite every
    transaction takes the write lock, so a long verification must not hold one)."""
    last = 0
    while True:
        rows = session.scalars(
            select(AuditRecord)
            .where(AuditRecord.seq > last, AuditRecord.seq <= up_to)
            .order_by(AuditRecord.seq)
            .limit(batch)
        ).all()
        session.expunge_all()  # detached rows keep their loaded values through the rollback
        session.rollback()
        if not rows:
            return
        yield from rows
        last = rows[-1].seq


def verify(
    session: Session, *, key: bytes, max_problems: int = 50, batch: int = 5000
) -> VerifyReport:
    """Recompute the chain up to the head read at the start; report gaps, edits,
    reordering and a head that does not match. Rows appended meanwhile are not checked."""
    report = VerifyReport()
    head = session.get(AuditHead, 1)
    if head is None:
        session.rollback()
        report.problems.append("audit_head row missing")
        return report
    head_seq, head_hash = head.seq, head.hash
    session.rollback()
    report.head_seq, report.head_hash = head_seq, head_hash
    expected_seq, prev = 1, GENESIS_HASH
    for rec in _rows(session, batch, head_seq):
        report.checked += 1
        if rec.seq != expected_seq:
            report.problems.append(f"seq {expected_seq}..{rec.seq - 1} missing (deleted rows)")
        if rec.prev_hash != prev:
            report.problems.append(f"seq {rec.seq}: prev_hash does not match the previous row")
        if not hmac.compare_digest(record_hash(key, _values(rec), rec.prev_hash), rec.hash):
            report.problems.append(f"seq {rec.seq}: hash mismatch (row edited, or wrong key)")
        expected_seq, prev = rec.seq + 1, rec.hash
        if len(report.problems) >= max_problems:
            report.problems.append("too many problems; stopped")
            return report
    if head_seq != expected_seq - 1 or head_hash != prev:
        report.problems.append(
            f"head says seq {head_seq} but the log ends at seq {expected_seq - 1} "
            "(tail deleted or head edited)"
        )
    return report
