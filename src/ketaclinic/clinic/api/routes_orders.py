"""Orders, administration record, sedation/dissociation scores, adverse events,
discharge and the predicted concentration of a session (thin: the services do the work)."""

from __future__ import annotations

import uuid
from typing import Annotated, Any

from fastapi import APIRouter, Header, Request, Response

from ketaclinic.clinic import schemas
from ketaclinic.clinic import schemas_orders as so
from ketaclinic.clinic.api.deps import Context
from ketaclinic.clinic.api.routes_patients import PHI
from ketaclinic.clinic.services import administration, discharge, orders, prediction
from ketaclinic.clinic.services import session_records as records
from ketaclinic.clinic.services.patients import etag

__all__ = ["router"]

router = APIRouter(tags=["orders and administration"])
IfMatch = Annotated[str | None, Header()]
S = "/sessions/{session_id}"


@router.post(f"{S}/orders/check", openapi_extra=PHI)
def check_order(session_id: uuid.UUID, body: so.OrderInputs, ctx: Context) -> dict[str, Any]:
    """The calculator's dose with every limit met or broken; nothing enforced or stored."""
    return orders.check(ctx, session_id, body)


@router.post(f"{S}/orders", status_code=201, response_model=so.OrderPublic, openapi_extra=PHI)
def sign_order(
    session_id: uuid.UUID, body: so.OrderCreate, ctx: Context, request: Request
) -> object:
    """Sign an order (prescriber): a hard limit refuses with 422; a soft limit needs
    ``override`` (reason + a second clinician's credentials)."""
    row = orders.sign(ctx, session_id, body, hasher=request.app.state.hasher)
    return orders.order_public(row)


@router.get(f"{S}/orders", response_model=list[so.OrderPublic], openapi_extra=PHI)
def list_orders(session_id: uuid.UUID, ctx: Context) -> object:
    return [orders.order_public(r) for r in orders.list_orders(ctx, session_id)]


@router.post(
    f"{S}/administrations",
    status_code=201,
    response_model=so.AdministrationPublic,
    openapi_extra=PHI,
)
def start_administration(
    session_id: uuid.UUID, body: so.AdministrationCreate, ctx: Context, response: Response
) -> object:
    row = administration.start(ctx, session_id, body)
    response.headers["ETag"] = etag(row.version)
    return administration.administration_public(ctx, row)


@router.get(f"{S}/administrations", response_model=list[so.AdministrationPublic], openapi_extra=PHI)
def list_administrations(session_id: uuid.UUID, ctx: Context) -> object:
    rows = administration.list_administrations(ctx, session_id)
    return [administration.administration_public(ctx, r) for r in rows]


@router.post(
    "/administrations/{admin_id}/rate",
    response_model=so.AdministrationPublic,
    openapi_extra=PHI,
)
def change_rate(
    admin_id: uuid.UUID,
    body: so.RateChange,
    ctx: Context,
    response: Response,
    if_match: IfMatch = None,
) -> object:
    """A rate change (<= the ordered rate); needs ``If-Match`` (stale -> 412)."""
    row = administration.change_rate(ctx, admin_id, body, if_match)
    response.headers["ETag"] = etag(row.version)
    return administration.administration_public(ctx, row)


@router.post(
    "/administrations/{admin_id}/stop",
    response_model=so.AdministrationPublic,
    openapi_extra=PHI,
)
def stop_administration(
    admin_id: uuid.UUID,
    body: so.StopIn,
    ctx: Context,
    response: Response,
    if_match: IfMatch = None,
) -> object:
    """Stop with the amount given (<= the ordered dose); needs ``If-Match``."""
    row = administration.stop(ctx, admin_id, body, if_match)
    response.headers["ETag"] = etag(row.version)
    return administration.administration_public(ctx, row)


@router.post(f"{S}/scores", status_code=201, response_model=so.ScorePublic, openapi_extra=PHI)
def add_score(session_id: uuid.UUID, body: so.ScoreCreate, ctx: Context) -> object:
    return records.score_public(records.add_score(ctx, session_id, body))


@router.get(f"{S}/scores", response_model=list[so.ScorePublic], openapi_extra=PHI)
def list_scores(session_id: uuid.UUID, ctx: Context) -> object:
    return [records.score_public(r) for r in records.list_scores(ctx, session_id)]


@router.post(
    f"{S}/adverse-events",
    status_code=201,
    response_model=so.AdverseEventPublic,
    openapi_extra=PHI,
)
def add_adverse_event(session_id: uuid.UUID, body: so.AdverseEventCreate, ctx: Context) -> object:
    return records.add_adverse_event(ctx, session_id, body)


@router.get(f"{S}/adverse-events", response_model=list[so.AdverseEventPublic], openapi_extra=PHI)
def list_adverse_events(session_id: uuid.UUID, ctx: Context) -> object:
    return records.list_adverse_events(ctx, session_id)


@router.post(f"{S}/discharge-check", openapi_extra=PHI)
def discharge_check(session_id: uuid.UUID, body: so.DischargeIn, ctx: Context) -> dict[str, Any]:
    """Which discharge criteria hold and which block (nothing changed)."""
    return discharge.check(ctx, session_id, body)


@router.post(f"{S}/discharge", openapi_extra=PHI)
def discharge_session(
    session_id: uuid.UUID,
    body: so.DischargeIn,
    ctx: Context,
    response: Response,
    if_match: IfMatch = None,
) -> dict[str, Any]:
    """Sign the discharge and complete the session when every criterion holds; otherwise
    409 naming the first blocking criterion. Needs ``If-Match`` on the session."""
    row, out = discharge.discharge(ctx, session_id, body, if_match)
    response.headers["ETag"] = etag(row.version)
    return {**out, "session": schemas.SessionPublic.model_validate(row).model_dump(mode="json")}


@router.get(f"{S}/prediction", openapi_extra=PHI)
def get_prediction(session_id: uuid.UUID, ctx: Context) -> dict[str, Any]:
    """Predicted plasma concentration now and at the end of administration (ng/mL)."""
    return prediction.predict(ctx, session_id)
