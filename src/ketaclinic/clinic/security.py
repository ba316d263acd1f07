"""Passwords (argon2id) and bearer tokens (256-bit CSPRNG, stored as SHA-256 only).

Staff tokens start with ``kcs_``, device tokens with ``kcd_`` so a leaked token's kind is
obvious in logs and secret scanners (OWASP ASVS 5.0.0 7.2.3: >= 128 bits of entropy).
"""

from __future__ import annotations

import hashlib
import secrets

from argon2 import PasswordHasher, Type
from argon2.exceptions import InvalidHashError, VerificationError

__all__ = [
    "DEVICE_PREFIX",
    "PASSWORD_MAX_CHARS",
    "PASSWORD_MIN_CHARS",
    "STAFF_PREFIX",
    "hash_password",
    "hasher",
    "new_token",
    "password_problem",
    "token_sha256",
    "verify_password",
]

STAFF_PREFIX = "kcs_"
DEVICE_PREFIX = "kcd_"
#: ASVS 5.0.0 6.2.1 (>= 8, 15 recommended) and 6.2.9 (allow >= 64): we ask for 12..256.
PASSWORD_MIN_CHARS = 12
PASSWORD_MAX_CHARS = 256
_COMMON = frozenset(
    {"password1234", "123456789012", "qwertyuiopas", "passwordpassword", "letmeinletmein"}
)


def hasher(params: tuple[int, int, int]) -> PasswordHasher:
    """An argon2id hasher with (time_cost, memory_cost_kib, parallelism)."""
    t, m, p = params
    return PasswordHasher(time_cost=t, memory_cost=m, parallelism=p, type=Type.ID)


def password_problem(password: str, username: str) -> str | None:
    """Why ``password`` is refused, or None."""
    if len(password) < PASSWORD_MIN_CHARS:
        return f"at least {PASSWORD_MIN_CHARS} characters"
    if len(password) > PASSWORD_MAX_CHARS:
        return f"at most {PASSWORD_MAX_CHARS} characters"
    if password.lower() in _COMMON or username.lower() in password.lower():
        return "not a common password and not containing the username"
    return None


def hash_password(ph: PasswordHasher, password: str) -> str:
    """The PHC string ``$argon2id$v=19$m=...,t=...,p=...$salt$hash``."""
    return ph.hash(password)


def verify_password(ph: PasswordHasher, stored: str, password: str) -> bool:
    """True if ``password`` matches ``stored``; never raises on a bad hash."""
    try:
        return ph.verify(stored, password)
    except (VerificationError, InvalidHashError):
        return False


def new_token(prefix: str) -> tuple[str, str]:
    """A fresh bearer token and its SHA-256 (the only thing stored)."""
    token = prefix + secrets.token_urlsafe(32)
    return token, token_sha256(token)


def token_sha256(token: str) -> str:
    """Hex SHA-256 of a token."""
    return hashlib.sha256(token.encode("utf-8")).hexdigest()
