"""Login, logout, whoami."""

from __future__ import annotations

from datetime import datetime

from fastapi import APIRouter, Request

from ketaclinic.clinic import schemas
from ketaclinic.clinic.api.deps import DB, Context, SettingsDep, Token
from ketaclinic.clinic.services import auth
from ketaclinic.clinic.services.errors import ServiceError
from ketaclinic.clinic.tables import StaffUser

__all__ = ["router"]

router = APIRouter(tags=["auth"])


@router.post("/auth/login", response_model=schemas.LoginResponse)
def login(body: schemas.LoginRequest, request: Request, db: DB, settings: SettingsDep) -> object:
    """Exchange a username and password for a bearer token (a new one at every login).

    Repeated failures from one address for one username get 429 (``Retry-After``).
    """
    throttle = request.app.state.login_throttle
    address = request.client.host if request.client else "?"
    now = request.app.state.clock()
    wait = throttle.retry_after_s(body.username, address, now)
    if wait:
        raise ServiceError(
            429, "too_many_requests",
            f"too many failed logins for {body.username} from this address; retry in {wait} s",
            field="body.username", limit=f"{throttle.per_pair} failures per "
            f"{int(throttle.window.total_seconds() // 60)} min", headers={"Retry-After": str(wait)},
        )  # fmt: skip
    try:
        token, user, expires = _login(body, request, db, settings, now)
    except ServiceError:
        throttle.failed(body.username, address, now)
        raise
    throttle.succeeded(body.username, address)
    return schemas.LoginResponse(token=token, user_id=user.id, role=user.role, expires_at=expires)  # type: ignore[arg-type]


def _login(
    body: schemas.LoginRequest, request: Request, db: DB, settings: SettingsDep, now: datetime
) -> tuple[str, StaffUser, datetime]:
    return auth.login(
        db,
        username=body.username,
        password=body.password,
        ph=request.app.state.hasher,
        policy=request.app.state.session_policy,
        now=now,
        audit_key=settings.secret_key.get_secret_value().encode(),
        node_id=settings.node_id,
        ip=request.client.host if request.client else None,
    )


@router.post("/auth/logout", status_code=204)
def logout(ctx: Context, token: Token) -> None:
    """End the caller's session."""
    auth.logout(ctx, token)


@router.get("/auth/me")
def me(ctx: Context) -> dict[str, str]:
    """Who the token belongs to."""
    p = ctx.principal
    return {"id": str(p.id), "kind": p.kind, "role": p.role, "name": p.name}
