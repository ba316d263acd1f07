"""Treatment sessions, vital-sign readings (staff or chair monitor), alerts."""

from __future__ import annotations

import uuid
from typing import Annotated, Literal

from fastapi import APIRouter, Header, Request, Response

from ketaclinic.clinic import schemas
from ketaclinic.clinic import schemas_readings_batch as batch_schemas
from ketaclinic.clinic.api.deps import Context, context_for
from ketaclinic.clinic.api.routes_patients import PHI
from ketaclinic.clinic.api.writer import WriterCaller, run_on_writer
from ketaclinic.clinic.services import alerting, readings, readings_batch, sessions
from ketaclinic.clinic.services.context import Principal
from ketaclinic.clinic.services.patients import etag

__all__ = ["router"]

router = APIRouter(tags=["sessions"])


@router.post("/sessions", status_code=201, response_model=schemas.SessionPublic, openapi_extra=PHI)
def create_session(body: schemas.SessionCreate, ctx: Context, response: Response) -> object:
    row = sessions.create_session(ctx, body)
    response.headers["ETag"] = etag(row.version)
    return row


@router.get("/sessions/{session_id}", response_model=schemas.SessionPublic, openapi_extra=PHI)
def get_session(session_id: uuid.UUID, ctx: Context, response: Response) -> object:
    row = sessions.get_session(ctx, session_id)
    response.headers["ETag"] = etag(row.version)
    return row


@router.post(
    "/sessions/{session_id}/readings",
    status_code=201,
    response_model=schemas.ReadingPublic,
    openapi_extra=PHI,
    responses={200: {"description": "a retry: the reading stored the first time"}},
)
def post_reading(
    session_id: uuid.UUID,
    body: schemas.ReadingCreate,
    ctx: Context,
    response: Response,
    idempotency_key: Annotated[str | None, Header()] = None,
) -> object:
    """Store one reading exactly once (device: ``device_seq``; staff: ``Idempotency-Key``)."""
    result = readings.post_reading(ctx, session_id, body, idempotency_key)
    if not result.created:
        response.status_code = 200
    out = schemas.ReadingPublic.model_validate(result.reading)
    return out.model_copy(
        update={"alerts": [schemas.AlertPublic.model_validate(a) for a in result.alerts]}
    )


@router.post(
    "/sessions/{session_id}/readings/batch",
    status_code=201,
    response_model=batch_schemas.ReadingBatchPublic,
    openapi_extra=PHI,
    responses={200: {"description": "a retry: every reading was stored before"}},
)
async def post_reading_batch(
    session_id: uuid.UUID,
    caller: WriterCaller,
    body: batch_schemas.ReadingBatchCreate,
    request: Request,
) -> Response:
    """Store a chair monitor's batch (<= 200 readings), exactly once per ``device_seq``.

    The hot ingestion path: the token check (a dependency, so an unknown token is a 401
    before the body is validated, as on every route) and then the service call with the
    reply's JSON run on the app's writer thread (``api.writer``), not one thread-pool
    call per dependency; the reply is serialised once from ``ReadingBatchPublic``.
    """
    return await run_on_writer(request.app, _post_batch, request, caller, session_id, body)


def _post_batch(
    request: Request,
    caller: Principal,
    session_id: uuid.UUID,
    body: batch_schemas.ReadingBatchCreate,
) -> Response:
    with request.app.state.sessionmaker() as db:
        items = readings_batch.post_batch(context_for(request, db, caller), session_id, body)
    created = sum(1 for it in items if it.created)
    out = batch_schemas.ReadingBatchPublic.model_validate(
        {"session_id": session_id, "created": created, "replayed": len(items) - created,
         "items": items},
        from_attributes=True,
    )  # fmt: skip
    return Response(
        out.model_dump_json(), status_code=201 if created else 200, media_type="application/json"
    )


@router.get(
    "/sessions/{session_id}/readings",
    response_model=list[schemas.ReadingPublic],
    openapi_extra=PHI,
)
def list_readings(session_id: uuid.UUID, ctx: Context) -> object:
    return readings.list_readings(ctx, session_id)


@router.get(
    "/sessions/{session_id}/alerts", response_model=list[schemas.AlertPublic], openapi_extra=PHI
)
def list_alerts(session_id: uuid.UUID, ctx: Context) -> object:
    return readings.list_alerts(ctx, session_id)


@router.post("/alerts/{alert_id}/ack", response_model=schemas.AlertPublic, openapi_extra=PHI)
def ack_alert(alert_id: uuid.UUID, ctx: Context) -> object:
    """Acknowledge an alert as the calling user (the condition is not cleared)."""
    return alerting.acknowledge(ctx, alert_id)


@router.post(
    "/sessions/{session_id}/reschedule",
    response_model=schemas.SessionPublic,
    openapi_extra=PHI,
)
def reschedule_session(
    session_id: uuid.UUID,
    body: schemas.SessionReschedule,
    ctx: Context,
    response: Response,
    if_match: Annotated[str | None, Header()] = None,
) -> object:
    """Move a scheduled session to a new time (and optionally chair); needs ``If-Match``.
    The new slot must be free (409 naming the chair and both times)."""
    row = sessions.reschedule(ctx, session_id, body, if_match)
    response.headers["ETag"] = etag(row.version)
    return row


# Last: the catch-all step path must not shadow /readings (routes match in order).
@router.post(
    "/sessions/{session_id}/{step}", response_model=schemas.SessionPublic, openapi_extra=PHI
)
def step_session(
    session_id: uuid.UUID,
    step: Literal["start", "complete", "cancel"],
    ctx: Context,
    response: Response,
    if_match: Annotated[str | None, Header()] = None,
) -> object:
    """Start, complete or cancel a session; needs ``If-Match`` (stale -> 412)."""
    status = {"start": "in_progress", "complete": "completed", "cancel": "cancelled"}[step]
    row = sessions.transition(ctx, session_id, status, if_match)
    response.headers["ETag"] = etag(row.version)
    return row
