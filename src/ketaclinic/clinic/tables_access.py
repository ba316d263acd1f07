"""Staff TOTP enrolments (MFA) and emergency-access ("break-glass") grants.

``staff_totp`` holds one row per enrolled or enrolling user. The TOTP secret is stored
wrapped (``services/mfa_crypto.py``) under a key derived from ``KETACLINIC_SECRET_KEY``,
which never lives in the database, so a database dump alone does not reveal it.
``last_step`` is the last accepted RFC 6238 time step: a code at or before it is refused
(no replay). ``confirmed_at`` is NULL while enrolment waits for its first valid code.

``staff_recovery_codes``: one-time MFA recovery codes (``services/mfa_recovery.py``), 120
random bits each, stored as SHA-256 only (OWASP ASVS 5.0.0 6.5.2 allows a plain hash at
112 bits or more); ``used_at`` is set once, by a conditional UPDATE.

``break_glass_grants``: a user who may not normally read a patient's chart opens access to
that one patient, with a reason, until ``expires_at`` (or until revoked).
"""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import BigInteger, ForeignKey, Index, String, Uuid
from sqlalchemy.orm import Mapped, mapped_column

from ketaclinic.clinic.tables import Base, UTCDateTime, new_id, utcnow

__all__ = ["BreakGlassGrant", "StaffRecoveryCode", "StaffTotp"]


class StaffTotp(Base):
    __tablename__ = "staff_totp"

    user_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("staff_users.id"), primary_key=True)
    secret_wrapped: Mapped[str] = mapped_column(String(200))
    confirmed_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    last_step: Mapped[int | None] = mapped_column(BigInteger, nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    created_by: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("staff_users.id"), nullable=True
    )


class StaffRecoveryCode(Base):
    __tablename__ = "staff_recovery_codes"

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=new_id)
    user_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("staff_users.id"), index=True)
    code_sha256: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    used_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)


class BreakGlassGrant(Base):
    __tablename__ = "break_glass_grants"
    __table_args__ = (Index("ix_break_glass_grants_user_expires", "user_id", "expires_at"),)

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=new_id)
    user_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("staff_users.id"))
    patient_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("patients.id"), index=True)
    reason: Mapped[str] = mapped_column(String(500))
    opened_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    revoked_by: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("staff_users.id"), nullable=True
    )
