"""Staff MFA with TOTP (OWASP ASVS 5.0.0 6.3.3): enrolment, the login's second step, reset.

* **Enrolment.** The user (or an admin for them, or ``ketaclinic staff mfa-enroll``)
  starts it: a 160-bit secret is drawn server-side and shown once as an ``otpauth://``
  URI and as base32. It counts only after a valid code confirms it. The secret is stored
  wrapped (``secret_box.py``) under a key derived from ``KETACLINIC_SECRET_KEY``.
* **Login.** For a user with confirmed MFA the password step returns a short-lived
  *challenge* (``kcm_...``), not a bearer token; the code step exchanges it for one. A
  user whose role must use MFA (``Settings.mfa_required_roles``) but who has none gets an
  *enrolment* token (``kce_...``) that only the enrolment routes accept. Neither is
  accepted by ``services.auth.authenticate`` (it knows only ``kcs_`` and ``kcd_``).
* **Codes.** RFC 6238, +-1 step; a code at or before the last accepted step is refused
  (RFC 6238 section 5.2, no replay), enforced by a conditional UPDATE so two concurrent
  uses of one code cannot both win. Wrong codes count in the login throttle like wrong
  passwords (api/routes_mfa.py).
* **Step tokens** are stateless: ``HMAC-SHA256(k, kind.user.expiry.bind)`` with ``k``
  derived from the secret key. A challenge is bound to the user's ``last_step`` when it
  was issued, so it dies at the first successful code (single use); an enrolment token
  dies once the user has confirmed MFA.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlalchemy import delete, or_, select, update
from sqlalchemy.orm import Session

from ketaclinic.clinic import totp
from ketaclinic.clinic.secret_box import SecretBox, UnwrapError
from ketaclinic.clinic.services import mfa_recovery
from ketaclinic.clinic.services.context import Ctx
from ketaclinic.clinic.services.errors import ServiceError, conflict, not_found, unauthorized
from ketaclinic.clinic.tables import AuthSession, StaffUser
from ketaclinic.clinic.tables_access import StaffTotp

__all__ = [
    "CHALLENGE_PREFIX",
    "CHALLENGE_TTL",
    "ENROL_PREFIX",
    "ENROL_TTL",
    "Enrolment",
    "MfaStep",
    "admin_reset",
    "admin_start",
    "box_for",
    "check_code",
    "confirm",
    "enrolled_users",
    "is_enrolled",
    "issue_step",
    "reset",
    "start_enrolment",
    "step_user",
]

CHALLENGE_PREFIX = "kcm_"
ENROL_PREFIX = "kce_"
#: How long a password step stays good for its code step (a local choice).
CHALLENGE_TTL = timedelta(minutes=5)
#: How long an enrolment-only token lasts (a local choice: time to install an app).
ENROL_TTL = timedelta(minutes=15)


@dataclass(frozen=True)
class MfaStep:
    """What the password step returns instead of a session when a second step is due."""

    kind: str  # "code" | "enrol"
    token: str
    expires_at: datetime


@dataclass(frozen=True)
class Enrolment:
    """A freshly drawn secret, shown once."""

    user_id: uuid.UUID
    secret_base32: str
    otpauth_uri: str


def box_for(secret_key: bytes) -> SecretBox:
    """The wrapping of TOTP secrets under this deployment's secret key."""
    return SecretBox(hmac.new(secret_key, b"ketaclinic/totp-wrap/v1", hashlib.sha256).digest())


def _step_key(secret_key: bytes) -> bytes:
    return hmac.new(secret_key, b"ketaclinic/mfa-step-token/v1", hashlib.sha256).digest()


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).decode("ascii").rstrip("=")


def _row(db: Session, user_id: uuid.UUID) -> StaffTotp | None:
    return db.get(StaffTotp, user_id)


def is_enrolled(db: Session, user_id: uuid.UUID) -> bool:
    row = _row(db, user_id)
    return row is not None and row.confirmed_at is not None


def issue_step(
    db: Session, user: StaffUser, *, mfa_roles: frozenset[str], secret_key: bytes, now: datetime
) -> MfaStep | None:
    """After a correct password: the second step due, or None (issue a session now)."""
    row = _row(db, user.id)
    if row is not None and row.confirmed_at is not None:
        return _make(secret_key, "code", user.id, now + CHALLENGE_TTL, _bind(db, row))
    if user.role in mfa_roles:
        return _make(secret_key, "enrol", user.id, now + ENROL_TTL, "enrol")
    return None


def _bind(db: Session, row: StaffTotp) -> str:
    """What a challenge is bound to: the last accepted TOTP step and the number of used
    recovery codes. Either moves when a code signs in, which spends the challenge. (A new
    set of recovery codes resets the count, but needs a TOTP code, which moves the step.)"""
    step = row.last_step if row.last_step is not None else -1
    return f"{step}-{mfa_recovery.used(db, row.user_id)}"


def _make(secret_key: bytes, kind: str, user_id: uuid.UUID, exp: datetime, bind: str) -> MfaStep:
    payload = f"{kind}.{user_id}.{int(exp.timestamp())}.{bind}"
    mac = hmac.new(_step_key(secret_key), payload.encode(), hashlib.sha256).digest()
    prefix = CHALLENGE_PREFIX if kind == "code" else ENROL_PREFIX
    token = prefix + _b64(payload.encode()) + "." + _b64(mac)
    return MfaStep(kind, token, exp.replace(microsecond=0))


def step_user(db: Session, token: str, *, kind: str, secret_key: bytes, now: datetime) -> StaffUser:
    """The active user a valid, unexpired, still-bound step token was issued to, or 401."""
    prefix = CHALLENGE_PREFIX if kind == "code" else ENROL_PREFIX
    bad = unauthorized(
        "the sign-in step has expired or is not valid; sign in again with your password"
    )
    if not token.startswith(prefix) or token.count(".") != 1:
        raise bad
    body, mac = token[len(prefix) :].split(".")
    try:
        payload = base64.urlsafe_b64decode(body + "=" * (-len(body) % 4)).decode()
        got = base64.urlsafe_b64decode(mac + "=" * (-len(mac) % 4))
    except ValueError:
        raise bad from None
    want = hmac.new(_step_key(secret_key), payload.encode(), hashlib.sha256).digest()
    if not hmac.compare_digest(want, got):
        raise bad
    t_kind, t_user, t_exp, bind = payload.split(".")
    if t_kind != kind or now >= datetime.fromtimestamp(int(t_exp), UTC):
        raise bad
    user = db.get(StaffUser, uuid.UUID(t_user))
    if user is None or not user.active:
        raise bad
    # For the code step the row is locked (PostgreSQL; SQLite already serialises writers)
    # until the request commits, so that two sign-ins with one challenge and two different
    # recovery codes cannot both see it unspent.
    row = (
        db.get(StaffTotp, user.id, with_for_update=True, populate_existing=True)
        if kind == "code"
        else _row(db, user.id)
    )
    if kind == "code":
        if row is None or row.confirmed_at is None:
            raise bad
        if bind != _bind(db, row):
            raise bad  # a code was accepted since: the challenge is spent
    elif row is not None and row.confirmed_at is not None:
        raise bad  # enrolled meanwhile: sign in with password and code
    return user


def start_enrolment(
    db: Session,
    user: StaffUser,
    *,
    by: uuid.UUID | None,
    box: SecretBox,
    issuer: str,
    now: datetime,
) -> Enrolment:
    """Draw a secret (replacing an unconfirmed one); 409 if MFA is already confirmed.

    Not committed here: the caller audits and commits.
    """
    row = _row(db, user.id)
    if row is not None and row.confirmed_at is not None:
        raise conflict(
            f"{user.username} already uses MFA; an admin resets it first",
            field="user_id",
            value=str(user.id),
        )
    key = totp.new_secret()
    wrapped = box.wrap(key, str(user.id))
    if row is None:
        db.add(StaffTotp(user_id=user.id, secret_wrapped=wrapped, created_at=now, created_by=by))
    else:
        row.secret_wrapped, row.created_at, row.created_by, row.last_step = wrapped, now, by, None
    db.flush()
    uri = totp.provisioning_uri(key, user.username, issuer)
    return Enrolment(user.id, totp.b32_encode(key), uri)


def check_code(
    db: Session, user_id: uuid.UUID, code: str, *, box: SecretBox, now: datetime
) -> bool:
    """True if ``code`` is valid now and newer than the last accepted one; records its step.

    The step is recorded with a conditional UPDATE (``last_step < step``), so of two
    concurrent requests with the same code only one succeeds. Not committed here.
    """
    row = _row(db, user_id)
    if row is None:
        return False
    try:
        key = box.unwrap(row.secret_wrapped, str(user_id))
    except UnwrapError:
        return False
    step = totp.match_step(key, code, now.timestamp(), after=row.last_step)
    if step is None:
        return False
    done = db.execute(
        update(StaffTotp)
        .where(
            StaffTotp.user_id == user_id,
            or_(StaffTotp.last_step.is_(None), StaffTotp.last_step < step),
        )
        .values(last_step=step)
        .execution_options(synchronize_session=False)
    )
    db.expire(row)
    return bool(done.rowcount == 1)  # type: ignore[attr-defined]


def confirm(db: Session, user: StaffUser, code: str, *, box: SecretBox, now: datetime) -> bool:
    """Confirm a pending enrolment with a valid code (not committed here)."""
    row = _row(db, user.id)
    if row is None:
        raise ServiceError(
            409, "conflict", "no MFA enrolment is in progress; start one first", field="code"
        )
    if row.confirmed_at is not None:
        raise conflict("MFA is already confirmed", field="code")
    if not check_code(db, user.id, code, box=box, now=now):
        return False
    db.execute(
        update(StaffTotp)
        .where(StaffTotp.user_id == user.id)
        .values(confirmed_at=now)
        .execution_options(synchronize_session=False)
    )
    return True


def reset(db: Session, user_id: uuid.UUID, *, now: datetime) -> bool:
    """Remove the user's MFA and end their sessions; True if there was any (no commit)."""
    gone = db.execute(delete(StaffTotp).where(StaffTotp.user_id == user_id))
    mfa_recovery.void(db, user_id)  # the codes belong to the enrolment
    db.execute(
        update(AuthSession)
        .where(AuthSession.user_id == user_id, AuthSession.revoked_at.is_(None))
        .values(revoked_at=now)
    )
    return bool(gone.rowcount)  # type: ignore[attr-defined]


def enrolled_users(db: Session) -> set[uuid.UUID]:
    """Ids of users with confirmed MFA (for staff listings)."""
    return set(db.scalars(select(StaffTotp.user_id).where(StaffTotp.confirmed_at.is_not(None))))


def admin_start(ctx: Ctx, user_id: uuid.UUID, *, box: SecretBox, issuer: str) -> Enrolment:
    """An admin starts enrolment for a user (``staff.manage``; audited)."""
    ctx.require("staff.manage")
    user = ctx.db.get(StaffUser, user_id)
    if user is None:
        raise not_found("staff user", user_id)
    enrolment = start_enrolment(ctx.db, user, by=ctx.principal.id, box=box, issuer=issuer,
                                now=ctx.clock())  # fmt: skip
    ctx.audit("C", "staff.mfa_enrol_start", f"StaffUser/{user.id}")
    ctx.db.commit()
    return enrolment


def admin_reset(ctx: Ctx, user_id: uuid.UUID) -> None:
    """An admin removes a user's MFA (lost phone) and ends their sessions (audited)."""
    ctx.require("staff.manage")
    if ctx.db.get(StaffUser, user_id) is None:
        raise not_found("staff user", user_id)
    had = reset(ctx.db, user_id, now=ctx.clock())
    ctx.audit("D", "staff.mfa_reset", f"StaffUser/{user_id};had_mfa={str(had).lower()}")
    ctx.db.commit()
