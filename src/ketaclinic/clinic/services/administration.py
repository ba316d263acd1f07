"""The administration record of a signed order (by a nurse): start with the lot number
and the starting rate, rate changes (mg/h and mL/h), stop with the amount given.

Everything stays inside the signed order: the rate never exceeds the ordered rate
(mg/h), the amount given never exceeds the ordered dose (mg), and nothing happens
before the order was signed. Rate changes and stop are edits (If-Match on the
administration's ETag; a stale version gets 412).
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import select

from ketaclinic.clinic.schemas_orders import AdministrationCreate, RateChange, StopIn
from ketaclinic.clinic.services.checklist import require_complete
from ketaclinic.clinic.services.context import Ctx
from ketaclinic.clinic.services.errors import ServiceError, conflict, not_found
from ketaclinic.clinic.services.orders import load_order
from ketaclinic.clinic.services.patients import check_if_match
from ketaclinic.clinic.services.sessions import load_session
from ketaclinic.clinic.tables_orders import AdministrationRate, DoseAdministration, DoseOrder
from ketaclinic.units import format_quantity

__all__ = [
    "administration_public",
    "change_rate",
    "list_administrations",
    "load_administration",
    "rates_of",
    "start",
    "stop",
]

_INFUSION = "iv-infusion"


def _limit_error(
    field: str, value: float, unit: str, limit: float, order: DoseOrder
) -> ServiceError:
    ref = f"{order.protocol_id} v{order.protocol_version}"
    return ServiceError(
        422,
        "limit_exceeded",
        f"{field} must be <= {format_quantity(limit, unit)} (the signed order {order.id}, "
        f"protocol {ref}), got {format_quantity(value, unit)}",
        field=f"body.{field}",
        value=value,
        unit=unit,
        limit=f"<= {format_quantity(limit, unit)} (signed order, {ref})",
    )


def _check_rate(order: DoseOrder, rate_mg_per_h: float | None) -> None:
    if order.route != _INFUSION:
        if rate_mg_per_h is not None:
            raise ServiceError(
                422,
                "validation_error",
                f"rate_mg_per_h applies to infusions only; the order's route is {order.route}",
                field="body.rate_mg_per_h",
                value=rate_mg_per_h,
                unit="mg/h",
                limit="absent (not an infusion)",
            )
        return
    if rate_mg_per_h is None:
        raise ServiceError(
            422,
            "validation_error",
            "rate_mg_per_h is required for an infusion",
            field="body.rate_mg_per_h",
            unit="mg/h",
            limit=f"0..{order.rate_mg_per_h:g} mg/h",
        )
    assert order.rate_mg_per_h is not None
    if rate_mg_per_h > order.rate_mg_per_h * (1 + 1e-9):
        raise _limit_error("rate_mg_per_h", rate_mg_per_h, "mg/h", order.rate_mg_per_h, order)


def _check_time(field: str, at: datetime, not_before: datetime, what: str) -> None:
    if at < not_before:
        raise ServiceError(
            422,
            "validation_error",
            f"{field} must not be before {what} ({not_before.isoformat()}), got {at.isoformat()}",
            field=f"body.{field}",
            value=at.isoformat(),
            limit=f">= {not_before.isoformat()}",
        )


def rates_of(ctx: Ctx, admin_id: uuid.UUID) -> list[AdministrationRate]:
    return list(
        ctx.db.scalars(
            select(AdministrationRate)
            .where(AdministrationRate.administration_id == admin_id)
            .order_by(AdministrationRate.at, AdministrationRate.created_at)
        )
    )


def administration_public(ctx: Ctx, row: DoseAdministration) -> dict[str, Any]:
    cols = "id session_id order_id lot_number started_at stopped_at amount_given_mg"
    out = {c: getattr(row, c) for c in (cols + " recorded_by version").split()}
    out["rates"] = [
        {"at": r.at, "rate_mg_per_h": r.rate_mg_per_h, "rate_ml_per_h": r.rate_ml_per_h}
        for r in rates_of(ctx, row.id)
    ]
    return out


def start(ctx: Ctx, session_id: uuid.UUID, body: AdministrationCreate) -> DoseAdministration:
    """Start administering a signed order of this session."""
    ctx.require("administration.write")
    s = load_session(ctx, session_id)
    order = load_order(ctx, body.order_id)
    if order.session_id != s.id:
        raise ServiceError(
            422,
            "validation_error",
            f"order {order.id} belongs to another session",
            field="body.order_id",
            value=str(order.id),
            limit=f"a signed order of session {s.id}",
        )
    if s.status != "in_progress":
        raise conflict(
            f"session {s.id} is {s.status}: administration needs a started session",
            field="status",
            value=s.status,
        )
    existing = ctx.db.scalar(
        select(DoseAdministration.id).where(DoseAdministration.order_id == order.id)
    )
    if existing is not None:
        raise conflict(
            f"order {order.id} already has administration {existing}",
            field="body.order_id",
            value=str(order.id),
        )
    _check_time("started_at", body.started_at, order.signed_at, "the order's signature")
    _check_rate(order, body.rate_mg_per_h)
    require_complete(ctx, s)  # issue 4: the pre-session checklist (409 naming unmet items)
    row = DoseAdministration(
        session_id=s.id,
        order_id=order.id,
        lot_number=body.lot_number,
        started_at=body.started_at,
        recorded_by=ctx.principal.id,
    )
    ctx.db.add(row)
    ctx.db.flush()
    if body.rate_mg_per_h is not None:
        ctx.db.add(
            AdministrationRate(
                administration_id=row.id,
                at=body.started_at,
                rate_mg_per_h=body.rate_mg_per_h,
                rate_ml_per_h=body.rate_ml_per_h,
                recorded_by=ctx.principal.id,
            )
        )
    ctx.audit("C", "administration.start", f"DoseAdministration/{row.id}", s.patient_id)
    ctx.db.commit()
    return row


def load_administration(ctx: Ctx, admin_id: uuid.UUID) -> DoseAdministration:
    row = ctx.db.get(DoseAdministration, admin_id)
    if row is None:
        raise not_found("administration", admin_id)
    return row


def _editable(
    ctx: Ctx, admin_id: uuid.UUID, if_match: str | None
) -> tuple[DoseAdministration, DoseOrder]:
    ctx.require("administration.write")
    row = load_administration(ctx, admin_id)
    check_if_match(if_match, row.version)
    if row.stopped_at is not None:
        raise conflict(
            f"administration {row.id} was stopped at {row.stopped_at.isoformat()}",
            field="stopped_at",
            value=row.stopped_at.isoformat(),
        )
    return row, load_order(ctx, row.order_id)


def change_rate(
    ctx: Ctx, admin_id: uuid.UUID, body: RateChange, if_match: str | None
) -> DoseAdministration:
    """A new infusion rate from ``body.at`` on (<= the ordered rate)."""
    row, order = _editable(ctx, admin_id, if_match)
    _check_rate(order, body.rate_mg_per_h)  # not an infusion, or above the order: raises
    last = rates_of(ctx, row.id)
    _check_time("at", body.at, last[-1].at if last else row.started_at, "the previous rate")
    ctx.db.add(
        AdministrationRate(
            administration_id=row.id,
            at=body.at,
            rate_mg_per_h=body.rate_mg_per_h,
            rate_ml_per_h=body.rate_ml_per_h,
            recorded_by=ctx.principal.id,
        )
    )
    row.version += 1
    s = load_session(ctx, row.session_id)
    ctx.audit("U", "administration.rate", f"DoseAdministration/{row.id}", s.patient_id)
    ctx.db.commit()
    return row


def stop(ctx: Ctx, admin_id: uuid.UUID, body: StopIn, if_match: str | None) -> DoseAdministration:
    """Stop with the amount given (<= the ordered dose)."""
    row, order = _editable(ctx, admin_id, if_match)
    _check_time("stopped_at", body.stopped_at, row.started_at, "the start")
    if body.amount_given_mg > order.dose_mg * (1 + 1e-9):
        raise _limit_error("amount_given_mg", body.amount_given_mg, "mg", order.dose_mg, order)
    row.stopped_at = body.stopped_at
    row.amount_given_mg = body.amount_given_mg
    row.version += 1
    s = load_session(ctx, row.session_id)
    ctx.audit("U", "administration.stop", f"DoseAdministration/{row.id}", s.patient_id)
    ctx.db.commit()
    return row


def list_administrations(ctx: Ctx, session_id: uuid.UUID) -> list[DoseAdministration]:
    ctx.require("order.read")
    s = load_session(ctx, session_id)
    rows = list(
        ctx.db.scalars(
            select(DoseAdministration)
            .where(DoseAdministration.session_id == s.id)
            .order_by(DoseAdministration.started_at)
        )
    )
    ctx.audit("R", "administration.list", f"TreatmentSession/{s.id}", s.patient_id)
    ctx.db.commit()
    return rows
