"""Login, logout, whoami."""

from __future__ import annotations

from datetime import datetime

from fastapi import APIRouter, Request

from ketaclinic.clinic import schemas
from ketaclinic.clinic.api.deps import DB, Context, SettingsDep, Token
from ketaclinic.clinic.schemas_access import MfaChallenge
from ketaclinic.clinic.services import auth, mfa
from ketaclinic.clinic.services.errors import ServiceError
from ketaclinic.clinic.tables import StaffUser

__all__ = ["check_throttle", "router"]

router = APIRouter(tags=["auth"])


@router.post("/auth/login", response_model=schemas.LoginResponse | MfaChallenge)
def login(body: schemas.LoginRequest, request: Request, db: DB, settings: SettingsDep) -> object:
    """Exchange a username and password for a bearer token (a new one at every login).

    For a user with MFA, or whose role must use it, the reply is an ``MfaChallenge``
    instead: no bearer token until the code step (``/auth/login/mfa``) or enrolment.
    Repeated failures from one address for one username get 429 (``Retry-After``).
    """
    throttle = request.app.state.login_throttle
    address = request.client.host if request.client else "?"
    now = request.app.state.clock()
    check_throttle(request, body.username, now)
    try:
        result = _login(body, request, db, settings, now)
    except ServiceError:
        throttle.failed(body.username, address, now)
        raise
    if isinstance(result, mfa.MfaStep):
        # not a success yet: the failure count stays, so codes are throttled with passwords
        return MfaChallenge(mfa=result.kind, mfa_token=result.token, expires_at=result.expires_at)  # type: ignore[arg-type]
    token, user, expires = result
    throttle.succeeded(body.username, address)
    return schemas.LoginResponse(token=token, user_id=user.id, role=user.role, expires_at=expires)  # type: ignore[arg-type]


def check_throttle(request: Request, username: str, now: datetime) -> None:
    """429 with ``Retry-After`` while ``username`` has too many failures from this address
    (wrong passwords and wrong MFA codes count together)."""
    throttle = request.app.state.login_throttle
    address = request.client.host if request.client else "?"
    wait = throttle.retry_after_s(username, address, now)
    if wait:
        raise ServiceError(
            429, "too_many_requests",
            f"too many failed sign-in attempts for {username} from this address; "
            f"retry in {wait} s",
            field="body.username", limit=f"{throttle.per_pair} failures per "
            f"{int(throttle.window.total_seconds() // 60)} min", headers={"Retry-After": str(wait)},
        )  # fmt: skip


def _login(
    body: schemas.LoginRequest, request: Request, db: DB, settings: SettingsDep, now: datetime
) -> tuple[str, StaffUser, datetime] | mfa.MfaStep:
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
        mfa_roles=settings.mfa_roles,
    )


@router.post("/auth/logout", status_code=204)
def logout(ctx: Context, token: Token) -> None:
    """End the caller's session."""
    auth.logout(ctx, token)


@router.get("/auth/me")
def me(ctx: Context) -> dict[str, object]:
    """Who the token belongs to, with the caller's open break-glass grants (grant and
    patient ids: the patient chart shows an open grant from here, not from a copy kept in
    the browser that a revoke or an expiry would leave stale)."""
    p = ctx.principal
    grants = [{"grant_id": str(g), "patient_id": str(pid)} for pid, g in p.break_glass]
    return {"id": str(p.id), "kind": p.kind, "role": p.role, "name": p.name,
            "break_glass": grants}  # fmt: skip
