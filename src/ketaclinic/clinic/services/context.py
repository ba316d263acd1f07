"""The per-request context every service takes: database session, caller, audit key."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.orm import Session

from ketaclinic.clinic import audit
from ketaclinic.clinic.audit_reads import ReadLog
from ketaclinic.clinic.services.authz import BREAK_GLASS_ACTIONS, allowed
from ketaclinic.clinic.services.errors import forbidden

__all__ = ["Ctx", "Principal"]


@dataclass(frozen=True)
class Principal:
    """An authenticated caller: a staff user or a chair device."""

    kind: str  # "user" | "device"
    id: uuid.UUID
    role: str  # staff role, or "device"
    name: str
    chair_id: uuid.UUID | None = None
    #: open break-glass grants: (patient id, grant id) pairs (services/breakglass.py)
    break_glass: tuple[tuple[uuid.UUID, uuid.UUID], ...] = ()

    @property
    def actor(self) -> audit.Actor:
        return audit.Actor(kind=self.kind, id=str(self.id), role=self.role)

    def grant_for(self, patient_id: object) -> uuid.UUID | None:
        """The open break-glass grant covering ``patient_id``, if any."""
        for pid, grant in self.break_glass:
            if patient_id is not None and str(pid) == str(patient_id):
                return grant
        return None


@dataclass
class Ctx:
    """Everything a service call needs; ``audit`` appends to the chain in this transaction."""

    db: Session
    principal: Principal
    audit_key: bytes
    node_id: str
    ip: str | None
    clock: Callable[[], datetime]
    #: a chart-read action allowed only through a break-glass grant, pending the patient
    break_glass_action: str | None = None
    #: repeated reads within its window are not recorded again (clinic/audit_reads.py);
    #: None records every read
    reads: ReadLog | None = None

    def require(self, action: str, *, break_glass: bool = True) -> None:
        """Refuse with 403 unless the caller's role may perform ``action``.

        A refusal is itself audited (outcome 4; OWASP ASVS 5.0.0 16.3.2), in its own
        transaction so nothing of the refused call is written.

        Break-glass: a caller with an open grant passes a chart-read action
        (``BREAK_GLASS_ACTIONS``) provisionally; ``audit`` then requires the record's
        patient to be a granted one (else 403, audited) and adds a HIGH-priority
        ``breakglass.access`` record. Every patient-data read writes an audit record with
        its patient before it returns (tests/clinic/test_audit.py), so the check cannot
        be skipped; a read without a single patient is refused. ``break_glass=False``
        refuses grant holders too (a tool that computes rather than reads the chart).
        """
        if allowed(self.principal.role, action):
            return
        if break_glass and self.principal.break_glass and action in BREAK_GLASS_ACTIONS:
            self.break_glass_action = self.break_glass_action or action
            return
        self.break_glass_action = None
        self.db.rollback()
        self.audit("E", "authz.denied", f"action:{action}", outcome=4)
        self.db.commit()
        raise forbidden(f"role {self.principal.role} may not perform {action}")

    def audit(
        self,
        action: str,
        event_type: str,
        resource_ref: str | None = None,
        patient_id: uuid.UUID | None = None,
        outcome: int = 0,
    ) -> None:
        grant = None
        if self.break_glass_action is not None:
            grant = self.principal.grant_for(patient_id)
            if grant is None:
                pending, self.break_glass_action = self.break_glass_action, None
                self.db.rollback()
                self.audit("E", "authz.denied", f"action:{pending};break-glass:not granted",
                           outcome=4)  # fmt: skip
                self.db.commit()
                raise forbidden(
                    f"role {self.principal.role} may not perform {pending}; the open "
                    "break-glass access covers one patient's chart, not this request"
                )
        if action == "R" and outcome == 0 and grant is None and self.reads is not None:
            who = self.principal
            key = (who.kind, str(who.id), self.ip, event_type, resource_ref,
                   str(patient_id) if patient_id else None)  # fmt: skip
            now = self.clock()
            if self.reads.recorded_recently(key, now):
                return
            self.reads.stage(self.db, key, now)
        audit.append(
            self.db,
            key=self.audit_key,
            node_id=self.node_id,
            actor=self.principal.actor,
            action=action,
            event_type=event_type,
            resource_ref=resource_ref,
            patient_id=str(patient_id) if patient_id else None,
            outcome=outcome,
            ip=self.ip,
        )
        if grant is not None:
            audit.append(
                self.db, key=self.audit_key, node_id=self.node_id, actor=self.principal.actor,
                action=action, event_type="breakglass.access",
                resource_ref=f"BreakGlassGrant/{grant};priority=HIGH;event={event_type}"[:200],
                patient_id=str(patient_id), outcome=outcome, ip=self.ip,
            )  # fmt: skip
