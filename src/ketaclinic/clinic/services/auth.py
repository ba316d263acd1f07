"""Staff login, bearer tokens (staff and device), session timeouts, staff accounts."""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta

from argon2 import PasswordHasher
from sqlalchemy import func, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from ketaclinic.clinic import audit, schemas
from ketaclinic.clinic.db import READ_ONLY
from ketaclinic.clinic.security import (
    DEVICE_PREFIX,
    STAFF_PREFIX,
    hash_password,
    new_token,
    password_problem,
    token_sha256,
    verify_password,
)
from ketaclinic.clinic.services import mfa
from ketaclinic.clinic.services.authz import allowed
from ketaclinic.clinic.services.context import Ctx, Principal
from ketaclinic.clinic.services.errors import ServiceError, conflict, not_found, unauthorized
from ketaclinic.clinic.tables import AuthSession, Device, StaffUser
from ketaclinic.clinic.tables_access import BreakGlassGrant

__all__ = [
    "SessionPolicy",
    "authenticate",
    "bootstrap_staff",
    "create_staff",
    "issue_session",
    "list_staff",
    "login",
    "logout",
    "update_staff",
]

#: last_seen_at is refreshed at most this often (one write per minute, not per request).
_TOUCH_EVERY = timedelta(seconds=60)


class SessionPolicy:
    """Idle and absolute lifetimes of a staff session (ASVS 5.0.0 7.3.1 / 7.3.2)."""

    def __init__(self, idle_min: float, absolute_min: float) -> None:
        self.idle = timedelta(minutes=idle_min)
        self.absolute = timedelta(minutes=absolute_min)

    def expires_at(self, s: AuthSession) -> datetime:
        return min(s.last_seen_at + self.idle, s.created_at + self.absolute)


def login(
    db: Session,
    *,
    username: str,
    password: str,
    ph: PasswordHasher,
    policy: SessionPolicy,
    now: datetime,
    audit_key: bytes,
    node_id: str,
    ip: str | None,
    mfa_roles: frozenset[str] = frozenset(),
) -> tuple[str, StaffUser, datetime] | mfa.MfaStep:
    """Check the password; on success issue a new token (never reuse one: ASVS 7.2.4).

    The account is read, then the transaction ends before the (deliberately slow) KDF
    runs, so a login never holds the SQLite write lock. An unknown username is checked
    against a dummy hash, so its timing does not reveal which usernames exist.
    A user with MFA (or whose role is in ``mfa_roles`` but who has none) gets the second
    step (``services/mfa.py``) instead of a token; the password step is audited as
    ``auth.login.password``.
    """
    row = db.execute(
        select(StaffUser.id, StaffUser.role, StaffUser.active, StaffUser.password_hash).where(
            StaffUser.username == username
        )
    ).one_or_none()
    db.rollback()
    stored = row.password_hash if row is not None else _dummy_hash(ph)
    ok = verify_password(ph, stored, password) and row is not None and row.active
    actor = audit.Actor("user", str(row.id) if row else None, row.role if row else None)
    if not ok or row is None:
        audit.append(
            db, key=audit_key, node_id=node_id, actor=actor, action="E",
            event_type="auth.login", resource_ref=f"username:{username[:64]}", outcome=4, ip=ip,
        )  # fmt: skip
        db.commit()
        raise unauthorized("username or password is wrong, or the account is disabled")
    user = db.get(StaffUser, row.id)
    if user is None or not user.active:  # pragma: no cover - disabled between the two reads
        db.rollback()
        raise unauthorized("username or password is wrong, or the account is disabled")
    if ph.check_needs_rehash(user.password_hash):
        user.password_hash = hash_password(ph, password)
    step = mfa.issue_step(db, user, mfa_roles=mfa_roles, secret_key=audit_key, now=now)
    if step is not None:
        audit.append(
            db, key=audit_key, node_id=node_id, actor=actor, action="E",
            event_type="auth.login.password", resource_ref=f"StaffUser/{user.id};next={step.kind}",
            ip=ip,
        )  # fmt: skip
        db.commit()
        return step
    token, expires = issue_session(db, user, policy=policy, now=now)
    audit.append(
        db, key=audit_key, node_id=node_id, actor=actor, action="E",
        event_type="auth.login", resource_ref=f"StaffUser/{user.id}", ip=ip,
    )  # fmt: skip
    db.commit()
    return token, user, expires


def issue_session(
    db: Session, user: StaffUser, *, policy: SessionPolicy, now: datetime
) -> tuple[str, datetime]:
    """A new staff bearer token and its expiry (added to ``db``; the caller audits, commits)."""
    token, digest = new_token(STAFF_PREFIX)
    sess = AuthSession(token_sha256=digest, user_id=user.id, created_at=now, last_seen_at=now)
    db.add(sess)
    return token, policy.expires_at(sess)


_DUMMY: dict[tuple[int, int, int], str] = {}


def _dummy_hash(ph: PasswordHasher) -> str:
    key = (ph.time_cost, ph.memory_cost, ph.parallelism)
    if key not in _DUMMY:
        _DUMMY[key] = hash_password(ph, "not a password of anyone")
    return _DUMMY[key]


def authenticate(db: Session, token: str, *, policy: SessionPolicy, now: datetime) -> Principal:
    """The caller behind a bearer token, or 401."""
    digest = token_sha256(token)
    if token.startswith(DEVICE_PREFIX):
        # a read: on SQLite outside the writer lock, ended before the service writes
        if not db.in_transaction():
            db.connection(execution_options=READ_ONLY)
        dev = db.execute(
            select(Device.active, Device.id, Device.name, Device.chair_id).where(
                Device.token_sha256 == digest
            )
        ).one_or_none()
        db.rollback()
        if dev is None or not dev.active:
            raise unauthorized("unknown or disabled device token")
        return Principal("device", dev.id, "device", dev.name, chair_id=dev.chair_id)
    if not token.startswith(STAFF_PREFIX):
        raise unauthorized("malformed bearer token")
    row = db.execute(
        select(AuthSession, StaffUser)
        .join(StaffUser, StaffUser.id == AuthSession.user_id)
        .where(AuthSession.token_sha256 == digest)
    ).one_or_none()
    if row is None:
        raise unauthorized("unknown token")
    sess, user = row
    if sess.revoked_at is not None or not user.active:
        raise unauthorized("session ended")
    if now >= policy.expires_at(sess):
        raise unauthorized("session expired")
    grants: tuple[tuple[uuid.UUID, uuid.UUID], ...] = ()
    if allowed(user.role, "breakglass.open"):
        grants = tuple(
            (r.patient_id, r.id)
            for r in db.execute(
                select(BreakGlassGrant.patient_id, BreakGlassGrant.id).where(
                    BreakGlassGrant.user_id == user.id,
                    BreakGlassGrant.revoked_at.is_(None),
                    BreakGlassGrant.expires_at > now,
                )
            )
        )
    if now - sess.last_seen_at >= _TOUCH_EVERY:
        sess.last_seen_at = now
        db.commit()
    else:
        db.rollback()
    return Principal("user", user.id, user.role, user.username, break_glass=grants)


def logout(ctx: Ctx, token: str) -> None:
    """Revoke the caller's own session."""
    ctx.db.execute(
        update(AuthSession)
        .where(AuthSession.token_sha256 == token_sha256(token), AuthSession.revoked_at.is_(None))
        .values(revoked_at=ctx.clock())
    )
    ctx.audit("E", "auth.logout", f"StaffUser/{ctx.principal.id}")
    ctx.db.commit()


def _insert_staff(db: Session, body: schemas.StaffCreate, ph: PasswordHasher, at: str) -> StaffUser:
    """Check the password policy and insert the account (flushed, not committed); ``at``
    prefixes the field names of a refusal (``body.`` for the API, empty for the CLI)."""
    problem = password_problem(body.password, body.username)
    if problem:
        raise ServiceError(
            422, "validation_error", f"password must be {problem}",
            field=f"{at}password", limit=problem,
        )  # fmt: skip
    user = StaffUser(
        username=body.username,
        display_name=body.display_name,
        role=body.role,
        password_hash=hash_password(ph, body.password),
    )
    db.add(user)
    try:
        db.flush()
    except IntegrityError:
        db.rollback()
        raise conflict(
            f"username {body.username} is taken", field=f"{at}username", value=body.username
        ) from None
    return user


def create_staff(ctx: Ctx, body: schemas.StaffCreate, ph: PasswordHasher) -> StaffUser:
    ctx.require("staff.manage")
    user = _insert_staff(ctx.db, body, ph, "body.")
    ctx.audit("C", "staff.create", f"StaffUser/{user.id}")
    ctx.db.commit()
    return user


def list_staff(ctx: Ctx) -> list[StaffUser]:
    ctx.require("staff.read")
    return list(ctx.db.scalars(select(StaffUser).order_by(StaffUser.username)))


def update_staff(ctx: Ctx, user_id: uuid.UUID, body: schemas.StaffUpdate) -> StaffUser:
    """Change name, role or active flag; disabling or changing the role ends all sessions."""
    ctx.require("staff.manage")
    user = ctx.db.get(StaffUser, user_id)
    if user is None:
        raise not_found("staff user", user_id)
    changes = body.model_dump(exclude_unset=True)
    for name, value in changes.items():
        if value is None:
            raise ServiceError(
                422, "validation_error", f"{name} may not be null", field=f"body.{name}"
            )
    loses_admin = (
        user.role == "admin"
        and user.active
        and (changes.get("role", "admin") != "admin" or changes.get("active", True) is False)
    )
    if loses_admin:
        others = ctx.db.scalar(
            select(func.count())
            .select_from(StaffUser)
            .where(StaffUser.role == "admin", StaffUser.active.is_(True), StaffUser.id != user.id)
        )
        if not others:
            raise conflict(
                "this is the last active admin; make another admin first",
                field="body.role" if "role" in changes else "body.active",
            )
    for name, value in changes.items():
        setattr(user, name, value)
    if "active" in changes or "role" in changes:
        ctx.db.execute(
            update(AuthSession)
            .where(AuthSession.user_id == user.id, AuthSession.revoked_at.is_(None))
            .values(revoked_at=ctx.clock())
        )
    user.version += 1
    ctx.audit("U", "staff.update", f"StaffUser/{user.id}")
    ctx.db.commit()
    return user


def bootstrap_staff(
    db: Session,
    *,
    username: str,
    display_name: str,
    role: str,
    password: str,
    ph: PasswordHasher,
    audit_key: bytes,
    node_id: str,
) -> StaffUser:
    """Create a staff account from the command line (the system is the actor; audited).

    There is no default account (ASVS 5.0.0 6.3.2): the first admin is made this way.
    """
    body = schemas.StaffCreate(
        username=username,
        display_name=display_name,
        role=role,  # type: ignore[arg-type]
        password=password,
    )
    user = _insert_staff(db, body, ph, "")
    audit.append(
        db, key=audit_key, node_id=node_id, actor=audit.Actor("system", None, None),
        action="C", event_type="staff.create", resource_ref=f"StaffUser/{user.id}",
    )  # fmt: skip
    db.commit()
    return user
