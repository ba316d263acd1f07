"""Typed settings of the clinic service, read from ``KETACLINIC_*`` environment variables.

Nothing here has a usable default secret: the service refuses to start with a missing,
short or placeholder ``secret_key`` (OWASP ASVS 5.0.0 6.3.2: no default credentials).
Password hashing uses argon2id at or above the ASVS 5.0.0 Appendix C minimum
(t=2, m=19 MiB, p=1); a cheap profile exists for tests only and says so in its name.
"""

from __future__ import annotations

from typing import Literal

from pydantic import Field, SecretStr, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

__all__ = ["ARGON2_PROFILES", "PLACEHOLDER_SECRETS", "STAFF_ROLES", "Argon2Params", "Settings"]

#: Every staff role (tables.ROLES; repeated here so settings import no database code).
STAFF_ROLES = ("admin", "prescriber", "nurse", "front_desk", "auditor")

#: Secrets that are obviously copied from an example and must never run a clinic.
PLACEHOLDER_SECRETS = frozenset(
    {"changeme", "change-me", "change_me", "secret", "password", "placeholder", "example", "test"}
)
_PLACEHOLDER_MARKERS = ("change-me", "changeme", "change_me", "placeholder", "example", "xxxx")

Argon2Params = tuple[int, int, int]
#: (time_cost, memory_cost_kib, parallelism). "standard" is the ASVS 5.0.0 Appendix C
#: minimum "t=2, m>=19 MiB, p=1"; "test-only-cheap" exists so tests stay fast.
ARGON2_PROFILES: dict[str, Argon2Params] = {
    "standard": (2, 19 * 1024, 1),
    "test-only-cheap": (1, 8, 1),
}


class Settings(BaseSettings):
    """Service configuration (environment variables ``KETACLINIC_<FIELD>``).

    Attributes
    ----------
    database_url : str
        SQLAlchemy URL. ``sqlite:///path.db`` (default ``ketaclinic.db`` in the working
        directory) or ``postgresql://user@host:port/db`` (driven by psycopg 3).
    secret_key : SecretStr
        Key of the HMAC that chains the audit log; >= 32 characters, not a placeholder.
    session_idle_min, session_absolute_min : float
        Staff session inactivity timeout and absolute lifetime, min (ASVS 7.3.1/7.3.2).
    password_hash_profile : {"standard", "test-only-cheap"}
        argon2id parameters; see ``ARGON2_PROFILES``.
    sqlite_synchronous : {"FULL", "NORMAL"}
        SQLite durability: FULL fsyncs every commit (survives power loss if the disk honours
        fsync); NORMAL survives an application crash only.
    busy_timeout_ms : int
        How long a SQLite writer waits for the lock before failing, ms.
    node_id : str
        Name of this server in audit records (FHIR AuditEvent ``source.observer``).
    mfa_required_roles : str
        Comma-separated staff roles that must sign in with a TOTP second factor, or
        ``none``. Default: every staff role (OWASP ASVS 5.0.0 6.3.3). A user of such a role
        without MFA can only enrol. The demo server and the test fixtures set ``none``.
    break_glass_max_min : float
        Longest emergency ("break-glass") access a user can open, min. 60 is a local
        default, not a figure from HIPAA 45 CFR 164.312(a)(2)(ii), which sets no duration.
    audit_read_window_s : float
        A read repeating one recorded less than this many seconds ago (same user, address,
        event and resource) is not recorded again: the monitor's once-a-second polls write
        one record per 5 min, not 7,200 an hour. 0 records every read. 300 is a local
        default; HIPAA 45 CFR 164.312(b) sets no granularity (clinic/audit_reads.py).
    """

    model_config = SettingsConfigDict(env_prefix="KETACLINIC_", frozen=True, extra="ignore")

    database_url: str = "sqlite:///ketaclinic.db"
    secret_key: SecretStr
    session_idle_min: float = Field(default=30.0, gt=0, le=24 * 60)
    session_absolute_min: float = Field(default=12 * 60.0, gt=0, le=7 * 24 * 60)
    password_hash_profile: Literal["standard", "test-only-cheap"] = "standard"
    sqlite_synchronous: Literal["FULL", "NORMAL"] = "FULL"
    busy_timeout_ms: int = Field(default=5000, ge=0, le=600_000)
    node_id: str = Field(default="ketaclinic", min_length=1, max_length=64)
    mfa_required_roles: str = ",".join(STAFF_ROLES)
    break_glass_max_min: float = Field(default=60.0, ge=5, le=24 * 60)
    audit_read_window_s: float = Field(default=300.0, ge=0, le=3600)

    @field_validator("mfa_required_roles")
    @classmethod
    def _known_roles(cls, value: str) -> str:
        text = value.strip().lower()
        if text == "none":
            return "none"
        roles = [r.strip() for r in text.split(",") if r.strip()]
        if not roles:
            raise ValueError("list staff roles separated by commas, or write none")
        unknown = sorted(set(roles) - set(STAFF_ROLES))
        if unknown:
            raise ValueError(f"unknown roles {unknown}; staff roles are {list(STAFF_ROLES)}")
        return ",".join(r for r in STAFF_ROLES if r in roles)

    @property
    def mfa_roles(self) -> frozenset[str]:
        """The roles that must use MFA (empty when ``mfa_required_roles`` is ``none``)."""
        if self.mfa_required_roles == "none":
            return frozenset()
        return frozenset(self.mfa_required_roles.split(","))

    @field_validator("secret_key")
    @classmethod
    def _refuse_placeholder(cls, value: SecretStr) -> SecretStr:
        raw = value.get_secret_value()
        low = raw.strip().lower()
        if low in PLACEHOLDER_SECRETS or any(m in low for m in _PLACEHOLDER_MARKERS):
            raise ValueError(
                "secret_key is a placeholder; generate one with "
                "`python -c 'import secrets; print(secrets.token_urlsafe(48))'`"
            )
        if len(raw) < 32:
            raise ValueError(f"secret_key must be at least 32 characters, got {len(raw)}")
        if len(set(raw)) < 8:
            raise ValueError("secret_key has fewer than 8 distinct characters")
        return value

    @property
    def argon2_params(self) -> Argon2Params:
        """(time_cost, memory_cost_kib, parallelism) of the chosen profile."""
        return ARGON2_PROFILES[self.password_hash_profile]
