"""Staff accounts, locations, chairs, devices, and the audit log."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Query, Request

from ketaclinic.clinic import audit, schemas
from ketaclinic.clinic.api.deps import Context
from ketaclinic.clinic.services import auth, sites

__all__ = ["router"]

router = APIRouter()


@router.post("/staff", status_code=201, response_model=schemas.StaffPublic, tags=["staff"])
def create_staff(body: schemas.StaffCreate, ctx: Context, request: Request) -> object:
    return auth.create_staff(ctx, body, request.app.state.hasher)


@router.get("/staff", response_model=list[schemas.StaffPublic], tags=["staff"])
def list_staff(ctx: Context) -> object:
    return auth.list_staff(ctx)


@router.patch("/staff/{user_id}", response_model=schemas.StaffPublic, tags=["staff"])
def update_staff(user_id: uuid.UUID, body: schemas.StaffUpdate, ctx: Context) -> object:
    """Rename, change role, or disable; a role change or disabling ends the user's sessions."""
    return auth.update_staff(ctx, user_id, body)


@router.post("/locations", status_code=201, response_model=schemas.LocationPublic, tags=["sites"])
def create_location(body: schemas.LocationCreate, ctx: Context) -> object:
    return sites.create_location(ctx, body)


@router.get("/locations", response_model=list[schemas.LocationPublic], tags=["sites"])
def list_locations(ctx: Context) -> object:
    return sites.list_locations(ctx)


@router.post(
    "/locations/{location_id}/chairs",
    status_code=201,
    response_model=schemas.ChairPublic,
    tags=["sites"],
)
def create_chair(location_id: uuid.UUID, body: schemas.ChairCreate, ctx: Context) -> object:
    return sites.create_chair(ctx, location_id, body)


@router.get("/chairs", response_model=list[schemas.ChairPublic], tags=["sites"])
def list_chairs(ctx: Context) -> object:
    return sites.list_chairs(ctx)


@router.post(
    "/chairs/{chair_id}/devices",
    status_code=201,
    response_model=schemas.DevicePublic,
    tags=["sites"],
)
def create_device(chair_id: uuid.UUID, body: schemas.DeviceCreate, ctx: Context) -> object:
    """Register a chair monitor; the response carries its token, shown only this once."""
    dev, token = sites.create_device(ctx, chair_id, body)
    out = schemas.DevicePublic.model_validate(dev)
    return out.model_copy(update={"token": token})


@router.get("/audit/verify", tags=["audit"])
def verify_audit(ctx: Context) -> dict[str, object]:
    """Recompute the audit hash chain; ``ok`` is false if any row was edited or deleted."""
    ctx.require("audit.verify")
    report = audit.verify(ctx.db, key=ctx.audit_key)
    ctx.audit(
        "E", "audit.verify", f"audit_log?checked={report.checked}", outcome=0 if report.ok else 8
    )
    ctx.db.commit()
    return {
        "ok": report.ok,
        "checked": report.checked,
        "head_seq": report.head_seq,
        "head_hash": report.head_hash,
        "problems": report.problems,
    }


@router.get("/audit", tags=["audit"])
def list_audit(
    ctx: Context,
    patient_id: uuid.UUID | None = None,
    after_seq: Annotated[int, Query(ge=0)] = 0,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
) -> list[dict[str, object]]:
    """Audit records in order (optionally for one patient): who did what, when, to which record."""
    from sqlalchemy import select

    from ketaclinic.clinic.tables import AuditRecord

    ctx.require("audit.read")
    stmt = select(AuditRecord).where(AuditRecord.seq > after_seq)
    if patient_id is not None:
        stmt = stmt.where(AuditRecord.patient_id == str(patient_id))
    rows = list(ctx.db.scalars(stmt.order_by(AuditRecord.seq).limit(limit)))
    out = [
        {c: (getattr(r, c).isoformat() if c == "recorded_utc" else getattr(r, c))
         for c in ("seq", "recorded_utc", "actor_kind", "actor_id", "role", "action",
                   "event_type", "resource_ref", "patient_id", "outcome", "ip", "hash")}
        for r in rows
    ]  # fmt: skip
    ctx.audit("R", "audit.read", f"audit_log?after={after_seq}&n={len(rows)}")
    ctx.db.commit()
    return out
