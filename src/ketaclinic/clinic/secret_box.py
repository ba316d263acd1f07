"""Wrapping of small secrets (TOTP keys) at rest: AES-256-GCM from ``cryptography``.

* key: ``k = HMAC-SHA256(master, "ketaclinic/secret-box/aes-gcm/v2")``, a 256-bit AES key
  separated by its label from every other use of the master key (the audit chain uses the
  same ``KETACLINIC_SECRET_KEY``);
* encryption: AES-256-GCM (NIST SP 800-38D) with a fresh random 96-bit nonce per wrap, as
  ``cryptography``'s ``AESGCM`` provides it (OpenSSL underneath): a reviewed
  implementation, not a construction of our own;
* binding: the additional authenticated data is ``"v2" || 0 || context``, with ``context``
  the owner's id, so a wrapped secret copied to another user's row does not unwrap.

Limits: this protects against a database dump or a backup leaking alone; anyone holding
``KETACLINIC_SECRET_KEY`` as well can unwrap every secret, and rotating that key makes
every enrolment unreadable (users re-enrol).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

__all__ = ["SecretBox", "UnwrapError"]

_VERSION = "v2"


class UnwrapError(ValueError):
    """The wrapped value was altered, belongs to someone else, or the key changed."""


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).decode("ascii").rstrip("=")


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def _aad(context: str) -> bytes:
    return _VERSION.encode() + b"\x00" + context.encode("utf-8")


class SecretBox:
    """Wrap and unwrap secrets of up to 256 bytes under a master key."""

    def __init__(self, master: bytes) -> None:
        key = hmac.new(master, b"ketaclinic/secret-box/aes-gcm/v2", hashlib.sha256).digest()
        self._aead = AESGCM(key)

    def wrap(self, secret: bytes, context: str) -> str:
        """``v2$nonce$ciphertext-and-tag`` (URL-safe base64 parts), bound to ``context``."""
        if not 1 <= len(secret) <= 256:
            raise ValueError(f"secret must be 1..256 bytes, got {len(secret)}")
        nonce = secrets.token_bytes(12)
        ct = self._aead.encrypt(nonce, secret, _aad(context))
        return "$".join((_VERSION, _b64(nonce), _b64(ct)))

    def unwrap(self, wrapped: str, context: str) -> bytes:
        """The secret, or ``UnwrapError``."""
        parts = wrapped.split("$")
        if len(parts) != 3 or parts[0] != _VERSION:
            raise UnwrapError(f"not a {_VERSION} wrapped secret")
        try:
            nonce, ct = (_unb64(p) for p in parts[1:])
        except ValueError:
            raise UnwrapError("wrapped secret is not valid base64") from None
        if len(nonce) != 12:
            raise UnwrapError("wrapped secret has a malformed nonce")
        try:
            return self._aead.decrypt(nonce, ct, _aad(context))
        except InvalidTag:
            raise UnwrapError(
                "wrapped secret fails its integrity check (or the key changed)"
            ) from None
