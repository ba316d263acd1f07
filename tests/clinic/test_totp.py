"""HOTP and TOTP against the RFCs' own test vectors, the secret wrapping, and step matching."""

from __future__ import annotations

import pytest

from ketaclinic.clinic import totp
from ketaclinic.clinic.secret_box import SecretBox, UnwrapError

# RFC 4226 Appendix D: secret "12345678901234567890", counters 0..9, 6 digits.
RFC4226_D = ["755224", "287082", "359152", "969429", "338314",
             "254676", "287922", "162583", "399871", "520489"]  # fmt: skip

# RFC 6238 Appendix B: T0 = 0, X = 30 s, 8 digits; the seed is the ASCII digits
# "1234567890" repeated to 20 (SHA1), 32 (SHA256) and 64 (SHA512) bytes.
SEED = {
    "SHA1": b"12345678901234567890",
    "SHA256": b"12345678901234567890123456789012",
    "SHA512": b"1234567890123456789012345678901234567890123456789012345678901234",
}
RFC6238_B = [
    (59, "94287082", "46119246", "90693936"),
    (1111111109, "07081804", "68084774", "25091201"),
    (1111111111, "14050471", "67062674", "99943326"),
    (1234567890, "89005924", "91819424", "93441116"),
    (2000000000, "69279037", "90698825", "38618901"),
    (20000000000, "65353130", "77737706", "47863826"),
]


@pytest.mark.parametrize("counter", range(10))
def test_hotp_rfc4226_appendix_d(counter: int) -> None:
    assert totp.hotp(SEED["SHA1"], counter) == RFC4226_D[counter]


@pytest.mark.parametrize(("unix_s", "sha1", "sha256", "sha512"), RFC6238_B)
def test_totp_rfc6238_appendix_b(unix_s: int, sha1: str, sha256: str, sha512: str) -> None:
    for algorithm, want in (("SHA1", sha1), ("SHA256", sha256), ("SHA512", sha512)):
        got = totp.totp(SEED[algorithm], unix_s, digits=8, algorithm=algorithm)
        assert got == want, (unix_s, algorithm)


def test_rfc6238_time_steps() -> None:
    # Appendix B lists T in hex: 0x1 at 59 s, 0x23523EC at 1111111109 s, 0x27BC86AA at 20e9 s
    assert totp.time_step(59) == 0x1
    assert totp.time_step(1111111109) == 0x23523EC
    assert totp.time_step(20000000000) == 0x27BC86AA


def test_match_step_window_and_replay() -> None:
    key = SEED["SHA1"]
    t = 1111111111.0
    now = totp.time_step(t)
    for delta in (-1, 0, 1):
        code = totp.hotp(key, now + delta)
        assert totp.match_step(key, code, t) == now + delta
    assert totp.match_step(key, totp.hotp(key, now - 2), t) is None  # outside +-1 step
    assert totp.match_step(key, totp.hotp(key, now + 2), t) is None
    code = totp.hotp(key, now)
    assert totp.match_step(key, code, t, after=now) is None  # already used
    assert totp.match_step(key, totp.hotp(key, now - 1), t, after=now) is None  # older
    assert totp.match_step(key, totp.hotp(key, now + 1), t, after=now) == now + 1
    for bad in ("", "12345", "1234567", "12345a", "١٢٣٤٥٦"):
        assert totp.match_step(key, bad, t) is None


def test_secret_and_uri() -> None:
    key = totp.new_secret()
    assert len(key) == 20
    assert totp.b32_decode(totp.b32_encode(key)) == key
    uri = totp.provisioning_uri(SEED["SHA1"], "nurse.kim", "ketaclinic")
    assert uri == (
        "otpauth://totp/ketaclinic:nurse.kim?secret=GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ"
        "&issuer=ketaclinic&algorithm=SHA1&digits=6&period=30"
    )


def test_secret_box_round_trip_binding_and_tamper() -> None:
    box = SecretBox(b"m" * 32)
    key = totp.new_secret()
    wrapped = box.wrap(key, "user-1")
    assert box.unwrap(wrapped, "user-1") == key
    assert totp.b32_encode(key) not in wrapped
    assert key.hex() not in wrapped
    assert box.wrap(key, "user-1") != wrapped  # fresh nonce each time
    with pytest.raises(UnwrapError):
        box.unwrap(wrapped, "user-2")  # copied to another user's row
    with pytest.raises(UnwrapError):
        SecretBox(b"n" * 32).unwrap(wrapped, "user-1")  # another key
    v, nonce, ct = wrapped.split("$")
    assert v == "v2"
    assert len(nonce) == 16  # 96-bit GCM nonce, base64 without padding
    flipped = ct[:-2] + ("A" if ct[-2] != "A" else "B") + ct[-1]
    with pytest.raises(UnwrapError):
        box.unwrap("$".join((v, nonce, flipped)), "user-1")
    with pytest.raises(UnwrapError):
        box.unwrap("$".join(("v1", nonce, ct)), "user-1")  # unknown version
