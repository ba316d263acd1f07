"""HOTP (RFC 4226) and TOTP (RFC 6238) with the standard library only.

Staff MFA uses TOTP with HMAC-SHA1, a 30-s time step from the Unix epoch and 6 digits:
the defaults of RFC 6238 section 4 and what the common authenticator apps expect
("Key Uri Format", github.com/google/google-authenticator/wiki/Key-Uri-Format). The
tests check HOTP against RFC 4226 Appendix D and TOTP against RFC 6238 Appendix B (which
uses 8 digits and SHA-1/256/512 keys of 20/32/64 bytes).

Example
-------
>>> key = b"12345678901234567890"                       # RFC 4226 Appendix D
>>> hotp(key, 0)
'755224'
>>> totp(key, 59, digits=8)                             # RFC 6238 Appendix B
'94287082'
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
import struct
from urllib.parse import quote, urlencode

__all__ = [
    "DIGITS",
    "SECRET_BYTES",
    "STEP_S",
    "WINDOW_STEPS",
    "b32_decode",
    "b32_encode",
    "hotp",
    "match_step",
    "new_secret",
    "provisioning_uri",
    "time_step",
    "totp",
]

#: RFC 6238 section 4 "X": the time step, s (the recommended default).
STEP_S = 30
#: Digits of a code (RFC 4226 section 5.3 requires at least 6).
DIGITS = 6
#: Accepted clock drift, in steps either side (RFC 6238 section 5.2 recommends at most one).
WINDOW_STEPS = 1
#: Secret length: 160 bits, the length RFC 4226 section 4 (R6) recommends for HMAC-SHA1.
SECRET_BYTES = 20

_DIGESTS = {"SHA1": hashlib.sha1, "SHA256": hashlib.sha256, "SHA512": hashlib.sha512}


def hotp(key: bytes, counter: int, *, digits: int = DIGITS, algorithm: str = "SHA1") -> str:
    """The HOTP value of ``counter`` (RFC 4226 section 5.3, dynamic truncation)."""
    if counter < 0 or counter >= 2**64:
        raise ValueError(f"counter must be in 0..2**64-1, got {counter}")
    if not 6 <= digits <= 10:
        raise ValueError(f"digits must be 6..10, got {digits}")
    mac = hmac.new(key, struct.pack(">Q", counter), _DIGESTS[algorithm]).digest()
    offset = mac[-1] & 0x0F
    code = struct.unpack(">I", mac[offset : offset + 4])[0] & 0x7FFFFFFF
    return str(code % 10**digits).zfill(digits)


def time_step(unix_s: float, *, step_s: int = STEP_S, t0: int = 0) -> int:
    """RFC 6238 ``T = floor((unix time - T0) / X)``."""
    return int((unix_s - t0) // step_s)


def totp(
    key: bytes,
    unix_s: float,
    *,
    digits: int = DIGITS,
    step_s: int = STEP_S,
    algorithm: str = "SHA1",
) -> str:
    """The TOTP value at ``unix_s`` (RFC 6238 section 4)."""
    return hotp(key, time_step(unix_s, step_s=step_s), digits=digits, algorithm=algorithm)


def match_step(
    key: bytes, code: str, unix_s: float, *, window: int = WINDOW_STEPS, after: int | None = None
) -> int | None:
    """The time step within +-``window`` of now whose code is ``code``, or None.

    Steps at or before ``after`` (the last step accepted for this key) never match: a code
    cannot be used twice (RFC 6238 section 5.2), nor can an older one after a newer one.
    Every candidate is compared in constant time.
    """
    if len(code) != DIGITS or not code.isascii() or not code.isdigit():
        return None
    now = time_step(unix_s)
    found = None
    for step in range(now - window, now + window + 1):
        hit = hmac.compare_digest(hotp(key, step), code)  # all three computed: no early exit
        if hit and found is None and (after is None or step > after):
            found = step
    return found


def new_secret() -> bytes:
    """A fresh 160-bit secret from the operating system's CSPRNG."""
    return secrets.token_bytes(SECRET_BYTES)


def b32_encode(key: bytes) -> str:
    """Base32 without padding, the form authenticator apps take."""
    return base64.b32encode(key).decode("ascii").rstrip("=")


def b32_decode(text: str) -> bytes:
    """Inverse of ``b32_encode`` (case and spaces ignored)."""
    s = text.replace(" ", "").upper()
    return base64.b32decode(s + "=" * (-len(s) % 8))


def provisioning_uri(key: bytes, account: str, issuer: str) -> str:
    """``otpauth://totp/ISSUER:ACCOUNT?secret=...&issuer=...&algorithm=SHA1&digits=6&period=30``."""
    label = quote(f"{issuer}:{account}", safe=":@")
    query = urlencode(
        {
            "secret": b32_encode(key),
            "issuer": issuer,
            "algorithm": "SHA1",
            "digits": DIGITS,
            "period": STEP_S,
        },
        quote_via=quote,
    )
    return f"otpauth://totp/{label}?{query}"
