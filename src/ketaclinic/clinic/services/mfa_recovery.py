"""One-time recovery codes for staff MFA: a lost phone without an admin at hand.

Ten codes are issued when an enrolment is confirmed (and again on request, which voids the
old set). Each is 120 random bits from ``secrets`` (a CSPRNG), written as 24 base32
characters in groups of four; only its SHA-256 is stored, which OWASP ASVS 5.0.0 6.5.2
allows for lookup secrets of 112 bits or more (below that it asks for a salted password
hash). A code signs in once: ``used_at`` is set by a conditional UPDATE, so two requests
with the same code cannot both pass. An admin's MFA reset voids
the codes with the enrolment.
"""

from __future__ import annotations

import base64
import hashlib
import re
import secrets
import uuid
from datetime import datetime

from sqlalchemy import ColumnElement, delete, func, select, update
from sqlalchemy.orm import Session

from ketaclinic.clinic.tables_access import StaffRecoveryCode

__all__ = ["CODES", "issue", "left", "looks_like", "use", "used", "void"]

#: Codes per set (a common count; enough for years of a rare emergency).
CODES = 10
_BYTES = 15  # 120 bits -> 24 base32 characters, no padding
_SHAPE = re.compile(r"^[a-z2-7]{24}$")


def _normal(code: str) -> str:
    """Lower case without spaces or hyphens: codes are read off paper."""
    return re.sub(r"[\s-]", "", code).lower()


def looks_like(code: str) -> bool:
    """Whether ``code`` has the shape of a recovery code (24 base32 characters)."""
    return bool(_SHAPE.match(_normal(code)))


def _digest(code: str) -> str:
    return hashlib.sha256(_normal(code).encode()).hexdigest()


def _new_code() -> str:
    raw = base64.b32encode(secrets.token_bytes(_BYTES)).decode().lower()
    return "-".join(raw[i : i + 4] for i in range(0, len(raw), 4))


def issue(db: Session, user_id: uuid.UUID, *, now: datetime) -> list[str]:
    """A new set of codes for the user, voiding the old set; the plain codes are returned
    once and never stored (not committed here)."""
    void(db, user_id)
    codes = [_new_code() for _ in range(CODES)]
    db.add_all(
        StaffRecoveryCode(user_id=user_id, code_sha256=_digest(c), created_at=now) for c in codes
    )
    db.flush()
    return codes


def use(db: Session, user_id: uuid.UUID, code: str, *, now: datetime) -> int | None:
    """Spend ``code``: the number of the user's codes left, or None if it is not one of
    their unused codes (not committed here)."""
    if not looks_like(code):
        return None
    done = db.execute(
        update(StaffRecoveryCode)
        .where(
            StaffRecoveryCode.user_id == user_id,
            StaffRecoveryCode.code_sha256 == _digest(code),
            StaffRecoveryCode.used_at.is_(None),
        )
        .values(used_at=now)
        .execution_options(synchronize_session=False)
    )
    if done.rowcount != 1:  # type: ignore[attr-defined]
        return None
    return left(db, user_id)


def used(db: Session, user_id: uuid.UUID) -> int:
    """Used codes of the user's current set (part of what a sign-in challenge is bound
    to: ``services/mfa.py``)."""
    return _count(db, user_id, StaffRecoveryCode.used_at.is_not(None))


def left(db: Session, user_id: uuid.UUID) -> int:
    """Unused codes of the user."""
    return _count(db, user_id, StaffRecoveryCode.used_at.is_(None))


def _count(db: Session, user_id: uuid.UUID, state: ColumnElement[bool]) -> int:
    q = select(func.count()).where(StaffRecoveryCode.user_id == user_id, state)
    return int(db.scalar(q) or 0)


def void(db: Session, user_id: uuid.UUID) -> None:
    """Remove the user's codes, used or not (a new set, or an MFA reset)."""
    db.execute(delete(StaffRecoveryCode).where(StaffRecoveryCode.user_id == user_id))
