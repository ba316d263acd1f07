"""MFA routes: the login's code step, enrolment (self and by an admin), reset by an admin.

The enrolment routes accept a staff session (``kcs_``) or the enrolment-only token
(``kce_``) that the password step hands a user who must enrol; nothing else accepts a
``kce_`` token. Wrong codes count in the login throttle like wrong passwords.
"""

from __future__ import annotations

import uuid
from datetime import datetime

from fastapi import APIRouter, Request, Response

from ketaclinic.clinic import audit, schemas
from ketaclinic.clinic.api.deps import DB, Context, SettingsDep, Token, caller_for
from ketaclinic.clinic.api.routes_auth import check_throttle
from ketaclinic.clinic.schemas_access import (
    MfaCodeLogin,
    MfaConfirm,
    MfaConfirmed,
    MfaEnrolment,
    MfaRecoveryCodes,
    MfaStatus,
)
from ketaclinic.clinic.services import auth, mfa, mfa_recovery
from ketaclinic.clinic.services.errors import ServiceError, forbidden, unauthorized
from ketaclinic.clinic.settings import Settings
from ketaclinic.clinic.tables import StaffUser

__all__ = ["router"]

router = APIRouter(tags=["auth"])
_NO_STORE = {"Cache-Control": "no-store"}


def _key(settings: Settings) -> bytes:
    return settings.secret_key.get_secret_value().encode()


def _ip(request: Request) -> str | None:
    return request.client.host if request.client else None


def _audit(db: DB, settings: Settings, request: Request, user: StaffUser, event: str,
           ref: str, *, action: str = "E", outcome: int = 0) -> None:  # fmt: skip
    audit.append(
        db, key=_key(settings), node_id=settings.node_id,
        actor=audit.Actor("user", str(user.id), user.role), action=action, event_type=event,
        resource_ref=ref, outcome=outcome, ip=_ip(request),
    )  # fmt: skip


def _session(db: DB, request: Request, user: StaffUser, now: datetime) -> schemas.LoginResponse:
    token, expires = auth.issue_session(db, user, policy=request.app.state.session_policy, now=now)
    return schemas.LoginResponse(token=token, user_id=user.id, role=user.role, expires_at=expires)  # type: ignore[arg-type]


@router.post("/auth/login/mfa", response_model=schemas.LoginResponse)
def login_code(body: MfaCodeLogin, request: Request, db: DB, settings: SettingsDep) -> object:
    """The second step: the ``mfa_token`` of the password step and a TOTP code, or one of
    the user's one-time recovery codes (services/mfa_recovery.py).

    A wrong, expired or already used code gets 401 and counts as a failed login.
    """
    now = request.app.state.clock()
    user = mfa.step_user(db, body.mfa_token, kind="code", secret_key=_key(settings), now=now)
    check_throttle(request, user.username, now)
    throttle, address = request.app.state.login_throttle, _ip(request) or "?"
    code = body.code.strip()
    if mfa_recovery.looks_like(code):
        codes_left = mfa_recovery.use(db, user.id, code, now=now)
        ok, how = codes_left is not None, f"recovery;left={codes_left}"
    else:
        ok = mfa.check_code(db, user.id, code, box=mfa.box_for(_key(settings)), now=now)
        how = "totp"
    if not ok:
        db.rollback()
        _audit(db, settings, request, user, "auth.mfa", f"StaffUser/{user.id}", outcome=4)
        db.commit()
        throttle.failed(user.username, address, now)
        raise unauthorized("the code is wrong, expired or already used")
    reply = _session(db, request, user, now)
    _audit(db, settings, request, user, "auth.login", f"StaffUser/{user.id};mfa={how}")
    db.commit()
    throttle.succeeded(user.username, address)
    return reply


def _enrollee(request: Request, db: DB, token: str, settings: Settings) -> tuple[StaffUser, bool]:
    """The user behind an enrolment token (True) or a staff session (False)."""
    if token.startswith(mfa.ENROL_PREFIX):
        now = request.app.state.clock()
        return mfa.step_user(db, token, kind="enrol", secret_key=_key(settings), now=now), True
    principal = caller_for(request, db, token)
    if principal.kind != "user":
        raise forbidden("only staff users enrol in MFA")
    user = db.get(StaffUser, principal.id)
    if user is None:  # pragma: no cover - deleted between the two reads
        raise unauthorized("unknown user")
    return user, False


@router.post("/auth/mfa/enrol", response_model=MfaEnrolment, status_code=201)
def enrol_self(request: Request, response: Response, db: DB, token: Token,
               settings: SettingsDep) -> object:  # fmt: skip
    """Start (or restart) your own enrolment: the secret is shown once, in this reply."""
    user, _ = _enrollee(request, db, token, settings)
    enrolment = mfa.start_enrolment(
        db, user, by=user.id, box=mfa.box_for(_key(settings)), issuer=settings.node_id,
        now=request.app.state.clock(),
    )  # fmt: skip
    _audit(db, settings, request, user, "staff.mfa_enrol_start", f"StaffUser/{user.id}",
           action="C")  # fmt: skip
    db.commit()
    response.headers.update(_NO_STORE)
    return enrolment


def _wrong_code(db: DB, settings: Settings, request: Request, user: StaffUser, now: datetime,
                event: str, *, action: str = "C") -> ServiceError:  # fmt: skip
    """A wrong TOTP code on an enrolled user's request: nothing of it is written but the
    failed audit record, and it counts in the login throttle; the 422 to raise."""
    db.rollback()
    _audit(db, settings, request, user, event, f"StaffUser/{user.id}", action=action, outcome=4)
    db.commit()
    request.app.state.login_throttle.failed(user.username, _ip(request) or "?", now)
    return ServiceError(
        422, "validation_error", "the code is wrong, expired or already used",
        field="body.code", limit="the current code of the app (30-s steps, +-1 step)",
    )  # fmt: skip


def _new_codes(db: DB, settings: Settings, request: Request, user: StaffUser,
               now: datetime) -> list[str]:  # fmt: skip
    """A new set of recovery codes for ``user``, audited (not committed here)."""
    codes = mfa_recovery.issue(db, user.id, now=now)
    _audit(db, settings, request, user, "staff.mfa_recovery_codes",
           f"StaffUser/{user.id};n={len(codes)}", action="C")  # fmt: skip
    return codes


@router.post("/auth/mfa/confirm", response_model=MfaConfirmed)
def confirm_self(body: MfaConfirm, request: Request, response: Response, db: DB,
                 token: Token, settings: SettingsDep) -> object:  # fmt: skip
    """Confirm your enrolment with a code from the app. The reply carries ten one-time
    recovery codes (shown once) and, with an enrolment token (after the password step),
    a new session."""
    user, via_enrol_token = _enrollee(request, db, token, settings)
    now = request.app.state.clock()
    check_throttle(request, user.username, now)
    throttle, address = request.app.state.login_throttle, _ip(request) or "?"
    if not mfa.confirm(db, user, body.code, box=mfa.box_for(_key(settings)), now=now):
        raise _wrong_code(db, settings, request, user, now, "staff.mfa_confirm", action="U")
    _audit(db, settings, request, user, "staff.mfa_confirm", f"StaffUser/{user.id}", action="U")
    codes = _new_codes(db, settings, request, user, now)
    session = None
    if via_enrol_token:
        session = _session(db, request, user, now)
        _audit(db, settings, request, user, "auth.login", f"StaffUser/{user.id};mfa=totp")
    db.commit()
    throttle.succeeded(user.username, address)
    response.headers.update(_NO_STORE)
    return MfaConfirmed(enrolled=True, session=session, recovery_codes=codes)


def _staff_user(request: Request, db: DB, token: str) -> StaffUser:
    principal = caller_for(request, db, token)
    user = db.get(StaffUser, principal.id) if principal.kind == "user" else None
    if user is None:
        raise forbidden("only staff users have MFA")
    return user


@router.get("/auth/mfa", response_model=MfaStatus)
def mfa_status(request: Request, db: DB, token: Token) -> object:
    """The caller's second factor: enrolled or not, and how many recovery codes are left
    (the Account page)."""
    user = _staff_user(request, db, token)
    left = mfa_recovery.left(db, user.id)
    db.rollback()  # a read: nothing to write
    return MfaStatus(enrolled=mfa.is_enrolled(db, user.id), recovery_codes_left=left)


@router.post("/auth/mfa/recovery-codes", response_model=MfaRecoveryCodes, status_code=201)
def new_recovery_codes(body: MfaConfirm, request: Request, response: Response, db: DB,
                       token: Token, settings: SettingsDep) -> object:  # fmt: skip
    """A new set of one-time recovery codes for the signed-in user (staff session, MFA
    enrolled), shown once; the previous set stops working. Needs a current code from the
    authenticator app: a stolen session alone must not turn into lasting MFA bypass
    codes (and must not void the user's paper ones). Wrong codes count in the login
    throttle."""
    user = _staff_user(request, db, token)
    if not mfa.is_enrolled(db, user.id):
        raise ServiceError(
            409, "conflict", "recovery codes need a confirmed MFA enrolment; enrol first",
            field="mfa", limit="a confirmed TOTP enrolment",
        )  # fmt: skip
    now = request.app.state.clock()
    check_throttle(request, user.username, now)
    throttle, address = request.app.state.login_throttle, _ip(request) or "?"
    if not mfa.check_code(db, user.id, body.code, box=mfa.box_for(_key(settings)), now=now):
        raise _wrong_code(db, settings, request, user, now, "staff.mfa_recovery_codes")
    codes = _new_codes(db, settings, request, user, now)
    db.commit()
    throttle.succeeded(user.username, address)
    response.headers.update(_NO_STORE)
    return MfaRecoveryCodes(recovery_codes=codes)


@router.post("/staff/{user_id}/mfa", response_model=MfaEnrolment, status_code=201, tags=["staff"])
def enrol_other(user_id: uuid.UUID, ctx: Context, response: Response,
                settings: SettingsDep) -> object:  # fmt: skip
    """Admin: start enrolment for a user (shown once; the user confirms with a code at
    their next sign-in). 409 if the user already uses MFA."""
    response.headers.update(_NO_STORE)
    return mfa.admin_start(ctx, user_id, box=mfa.box_for(_key(settings)), issuer=settings.node_id)


@router.delete("/staff/{user_id}/mfa", status_code=204, tags=["staff"])
def reset_other(user_id: uuid.UUID, ctx: Context) -> None:
    """Admin: remove a user's MFA (lost device) and end their sessions; audited."""
    mfa.admin_reset(ctx, user_id)
