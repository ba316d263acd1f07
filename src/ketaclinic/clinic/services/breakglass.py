"""Break-glass emergency access (HIPAA 45 CFR 164.312(a)(2)(ii), "emergency access procedure").

Who. In this role model prescribers and nurses already read every chart (there are no
care teams), so emergency access would add nothing for them. The roles that cannot read a
chart are the front desk (demographics and bookings only), the admin and the auditor.
``breakglass.open`` is given to the front desk and the admin: the front desk is who is
at hand when a patient collapses in the waiting room and the clinicians are busy (the
paramedics ask for the medication list, the allergies, the last vital signs), and a small
clinic's admin is often the only one on site out of hours. The auditor is left out on
purpose: the reviewer of emergency access must not be able to grant it to themselves.

What. A grant covers one patient's chart, read-only (``authz.BREAK_GLASS_ACTIONS``), for at
most ``Settings.break_glass_max_min`` minutes (60 by default; a local default, HIPAA sets
no duration), and needs a written reason (10-500 characters, kept in the grant row, not
in the audit log, which holds references only). The grant is checked at every request
(``services/auth.authenticate`` loads the open grants; ``Ctx.audit`` checks the patient);
nothing is cached past expiry.

Audit. Opening (``breakglass.open``), every access (``breakglass.access``, next to the
access's own record) and revoking (``breakglass.revoke``) are written with
``priority=HIGH`` in ``resource_ref``, inside the keyed hash chain. ``GET /break-glass``
lists grants with their number of accesses for review (auditor, admin); the grantee,
the auditor or the admin can revoke one early.
"""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import func, select

from ketaclinic.clinic.schemas_access import BreakGlassOpen
from ketaclinic.clinic.services.authz import allowed
from ketaclinic.clinic.services.context import Ctx
from ketaclinic.clinic.services.errors import ServiceError, conflict, not_found
from ketaclinic.clinic.tables import AuditRecord, Patient
from ketaclinic.clinic.tables_access import BreakGlassGrant

__all__ = ["HIGH", "open_grant", "review", "revoke", "status_of"]

#: The marker written into every break-glass audit record's ``resource_ref``.
HIGH = "priority=HIGH"


def status_of(grant: BreakGlassGrant, now: datetime) -> str:
    if grant.revoked_at is not None:
        return "revoked"
    return "active" if now < grant.expires_at else "expired"


def _ref(grant_id: uuid.UUID, extra: str = "") -> str:
    return f"BreakGlassGrant/{grant_id};{HIGH}" + (f";{extra}" if extra else "")


def _public(grant: BreakGlassGrant, now: datetime, accesses: int = 0) -> dict[str, Any]:
    return {
        "id": grant.id, "user_id": grant.user_id, "patient_id": grant.patient_id,
        "reason": grant.reason, "opened_at": grant.opened_at, "expires_at": grant.expires_at,
        "revoked_at": grant.revoked_at, "revoked_by": grant.revoked_by,
        "status": status_of(grant, now), "accesses": accesses,
    }  # fmt: skip


def open_grant(ctx: Ctx, body: BreakGlassOpen, *, max_min: float) -> dict[str, Any]:
    """Open emergency read access to one patient's chart (audited HIGH)."""
    ctx.require("breakglass.open")
    if body.minutes is not None and body.minutes > max_min:
        raise ServiceError(
            422, "validation_error",
            f"minutes must be <= {max_min:g} min (the configured break-glass maximum), "
            f"got {body.minutes:g} min",
            field="body.minutes", value=body.minutes, unit="min", limit=f"<= {max_min:g}",
        )  # fmt: skip
    if ctx.db.get(Patient, body.patient_id) is None:
        raise not_found("patient", body.patient_id)
    now = ctx.clock()
    minutes = body.minutes if body.minutes is not None else max_min
    grant = BreakGlassGrant(
        user_id=ctx.principal.id, patient_id=body.patient_id, reason=body.reason.strip(),
        opened_at=now, expires_at=now + timedelta(minutes=minutes),
    )  # fmt: skip
    ctx.db.add(grant)
    ctx.db.flush()
    ctx.audit("E", "breakglass.open", _ref(grant.id, f"min={minutes:g}"), body.patient_id)
    ctx.db.commit()
    return _public(grant, now)


def revoke(ctx: Ctx, grant_id: uuid.UUID) -> dict[str, Any]:
    """End a grant early: its holder, the auditor or the admin (audited HIGH)."""
    grant = ctx.db.get(BreakGlassGrant, grant_id)
    if grant is None or (
        grant.user_id != ctx.principal.id and not allowed(ctx.principal.role, "breakglass.review")
    ):
        if grant is not None:
            ctx.require("breakglass.review")  # audits the refusal, raises 403
        raise not_found("break-glass grant", grant_id)
    now = ctx.clock()
    if grant.revoked_at is not None:
        raise conflict(f"break-glass grant {grant_id} is already revoked", field="id")
    grant.revoked_at, grant.revoked_by = now, ctx.principal.id
    ctx.audit("E", "breakglass.revoke", _ref(grant.id), grant.patient_id)
    ctx.db.commit()
    return _public(grant, now)


def review(ctx: Ctx, *, status: str | None = None, limit: int = 100) -> list[dict[str, Any]]:
    """Grants, newest first, each with its number of audited accesses (audited read)."""
    ctx.require("breakglass.review")
    now = ctx.clock()
    q = select(BreakGlassGrant).order_by(BreakGlassGrant.opened_at.desc()).limit(limit)
    if status == "active":
        q = q.where(BreakGlassGrant.revoked_at.is_(None), BreakGlassGrant.expires_at > now)
    grants = list(ctx.db.scalars(q))
    counts: dict[str, int] = {}
    if grants:
        prefix = func.substr(AuditRecord.resource_ref, 1, len("BreakGlassGrant/") + 36)
        rows = ctx.db.execute(
            select(prefix, func.count())
            .where(
                AuditRecord.event_type == "breakglass.access",
                prefix.in_([f"BreakGlassGrant/{g.id}" for g in grants]),
            )
            .group_by(prefix)
        )
        counts = {str(ref): int(n) for ref, n in rows}
    out = [_public(g, now, counts.get(f"BreakGlassGrant/{g.id}", 0)) for g in grants]
    ctx.audit("R", "breakglass.review", f"BreakGlassGrant?status={status or 'all'}&n={len(out)}")
    ctx.db.commit()
    return out
