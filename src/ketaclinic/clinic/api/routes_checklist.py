"""Pre-session checklist of a session and the per-protocol monitoring rule sets (thin:
services/checklist.py and services/rule_sets.py do the work)."""

from __future__ import annotations

import uuid
from typing import Annotated, Any

from fastapi import APIRouter, Header, Response

from ketaclinic.clinic import schemas_checklist as sc
from ketaclinic.clinic.api.deps import Context
from ketaclinic.clinic.api.routes_patients import PHI
from ketaclinic.clinic.services import checklist, rule_sets
from ketaclinic.clinic.services.patients import etag

__all__ = ["router"]

router = APIRouter(tags=["checklist and monitoring rules"])
IfMatch = Annotated[str | None, Header()]
S = "/sessions/{session_id}/checklist"


@router.get(S, openapi_extra=PHI)
def get_checklist(session_id: uuid.UUID, ctx: Context) -> dict[str, Any]:
    """Every item with its state (met/unmet/overridden/not_applicable), detail and source."""
    return checklist.checklist(ctx, session_id)


@router.post(S, status_code=201, openapi_extra=PHI)
def record_item(session_id: uuid.UUID, body: sc.ChecklistRecord, ctx: Context) -> dict[str, Any]:
    """A nurse records fasting times, the escort, or the REMS enrolment."""
    return checklist.record(ctx, session_id, body)


@router.post(f"{S}/overrides", status_code=201, openapi_extra=PHI)
def override_item(
    session_id: uuid.UUID, body: sc.ChecklistOverride, ctx: Context
) -> dict[str, Any]:
    """A prescriber overrides an item with a documented reason (never consent or REMS)."""
    return checklist.override(ctx, session_id, body)


@router.get("/rule-sets")
def list_rule_sets(ctx: Context) -> list[dict[str, Any]]:
    """The current rule set of every protocol (seeded from the domain defaults)."""
    return [rule_sets.rule_set_public(r) for r in rule_sets.list_current(ctx)]


@router.get("/rule-sets/{protocol_id}")
def get_rule_set(protocol_id: str, ctx: Context, response: Response) -> dict[str, Any]:
    row = rule_sets.get_current(ctx, protocol_id)
    response.headers["ETag"] = etag(row.version)
    return rule_sets.rule_set_public(row)


@router.put("/rule-sets/{protocol_id}")
def edit_rule_set(
    protocol_id: str,
    body: sc.RuleSetEdit,
    ctx: Context,
    response: Response,
    if_match: IfMatch = None,
) -> dict[str, Any]:
    """The next version of the protocol's rule set (admin; If-Match; stale -> 412)."""
    row = rule_sets.edit(ctx, protocol_id, body, if_match)
    response.headers["ETag"] = etag(row.version)
    return rule_sets.rule_set_public(row)
