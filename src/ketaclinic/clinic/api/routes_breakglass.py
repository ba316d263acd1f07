"""Break-glass emergency access: open, review, revoke (services/breakglass.py)."""

from __future__ import annotations

import uuid
from typing import Annotated, Literal

from fastapi import APIRouter, Query

from ketaclinic.clinic.api.deps import Context, SettingsDep
from ketaclinic.clinic.api.routes_patients import PHI
from ketaclinic.clinic.schemas_access import BreakGlassOpen, BreakGlassPublic
from ketaclinic.clinic.services import breakglass

__all__ = ["router"]

router = APIRouter(tags=["break-glass"])


@router.post("/break-glass", status_code=201, response_model=BreakGlassPublic, openapi_extra=PHI)
def open_access(body: BreakGlassOpen, ctx: Context, settings: SettingsDep) -> object:
    """Open emergency read access to one patient's chart (front desk, admin), with a
    reason; it ends after ``minutes`` (default and maximum: ``break_glass_max_min``)."""
    return breakglass.open_grant(ctx, body, max_min=settings.break_glass_max_min)


@router.get("/break-glass", response_model=list[BreakGlassPublic], openapi_extra=PHI)
def review_access(
    ctx: Context,
    status: Annotated[Literal["active", "all"], Query()] = "all",
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
) -> object:
    """Grants for review (auditor, admin), newest first, with their number of accesses."""
    return breakglass.review(ctx, status=status, limit=limit)


@router.post("/break-glass/{grant_id}/revoke", response_model=BreakGlassPublic, openapi_extra=PHI)
def revoke_access(grant_id: uuid.UUID, ctx: Context) -> object:
    """End a grant early (its holder, the auditor or the admin)."""
    return breakglass.revoke(ctx, grant_id)
