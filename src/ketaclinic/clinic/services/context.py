"""The per-request context every service takes: database session, caller, audit key."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.orm import Session

from ketaclinic.clinic import audit
from ketaclinic.clinic.services.authz import allowed
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

    @property
    def actor(self) -> audit.Actor:
        return audit.Actor(kind=self.kind, id=str(self.id), role=self.role)


@dataclass
class Ctx:
    """Everything a service call needs; ``audit`` appends to the chain in this transaction."""

    db: Session
    principal: Principal
    audit_key: bytes
    node_id: str
    ip: str | None
    clock: Callable[[], datetime]

    def require(self, action: str) -> None:
        """Refuse with 403 unless the caller's role may perform ``action``.

        A refusal is itself audited (outcome 4; OWASP ASVS 5.0.0 16.3.2), in its own
        transaction so nothing of the refused call is written.
        """
        if not allowed(self.principal.role, action):
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
