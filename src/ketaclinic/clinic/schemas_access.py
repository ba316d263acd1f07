"""Request and response models of MFA (TOTP) and break-glass access.

Strict like :mod:`ketaclinic.clinic.schemas`: unknown keys are refused; a code is a
string of exactly 6 digits (a number would lose leading zeros).
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated, Literal

from pydantic import Field

from ketaclinic.clinic.schemas import JsonUUID, LoginResponse, _In, _Out

__all__ = [
    "BreakGlassOpen",
    "BreakGlassPublic",
    "MfaChallenge",
    "MfaCodeLogin",
    "MfaConfirm",
    "MfaConfirmed",
    "MfaEnrolment",
    "MfaRecoveryCodes",
    "MfaStatus",
]

Code = Annotated[str, Field(min_length=6, max_length=6, pattern=r"^[0-9]{6}$")]
#: At the login's code step: a TOTP code, or a recovery code (24 base32 characters, any
#: case, spaces or hyphens between groups: services/mfa_recovery.py).
LoginCode = Annotated[
    str,
    Field(min_length=6, max_length=80, pattern=r"^\s*([0-9]{6}|[A-Za-z2-7][A-Za-z2-7\s-]+)\s*$"),
]


class MfaChallenge(_Out):
    """The password was right; a second step is due. ``mfa`` says which:
    ``code`` (send a TOTP code to ``/auth/login/mfa``) or ``enrol`` (this role must use
    MFA; the token is good only for ``/auth/mfa/enrol`` and ``/auth/mfa/confirm``)."""

    mfa: Literal["code", "enrol"]
    mfa_token: str
    expires_at: datetime


class MfaCodeLogin(_In):
    mfa_token: Annotated[str, Field(min_length=8, max_length=400)]
    code: LoginCode


class MfaEnrolment(_Out):
    """Shown once: the secret as an ``otpauth://`` URI (for a QR code) and as base32."""

    user_id: uuid.UUID
    secret_base32: str
    otpauth_uri: str
    algorithm: Literal["SHA1"] = "SHA1"
    digits: int = 6
    period_s: int = 30


class MfaConfirm(_In):
    code: Code


class MfaConfirmed(_Out):
    """Enrolment confirmed; ``session`` is a new login when confirmed with an enrolment
    token (password and code were both given), else None."""

    enrolled: bool
    session: LoginResponse | None = None
    #: one-time recovery codes, shown once (services/mfa_recovery.py)
    recovery_codes: list[str] = Field(default_factory=list)


class MfaStatus(_Out):
    """The caller's second factor."""

    enrolled: bool
    recovery_codes_left: int


class MfaRecoveryCodes(_Out):
    """A new set of one-time recovery codes, shown once; the previous set no longer works."""

    recovery_codes: list[str]


class BreakGlassOpen(_In):
    patient_id: JsonUUID
    reason: Annotated[str, Field(min_length=10, max_length=500)]
    minutes: Annotated[float, Field(gt=0, le=24 * 60)] | None = None


class BreakGlassPublic(_Out):
    id: uuid.UUID
    user_id: uuid.UUID
    patient_id: uuid.UUID
    reason: str
    opened_at: datetime
    expires_at: datetime
    revoked_at: datetime | None
    revoked_by: uuid.UUID | None
    status: Literal["active", "expired", "revoked"]
    accesses: int = 0
