"""One-time MFA recovery codes (services/mfa_recovery.py): issued at enrolment, one
sign-in each, a new set voids the old, an admin reset voids them, only hashes stored,
wrong codes throttled like wrong TOTP codes."""

from __future__ import annotations

import re
from datetime import timedelta

from sqlalchemy import select, text
from sqlalchemy.orm import Session

from ketaclinic.clinic import totp
from ketaclinic.clinic.tables import AuditRecord
from ketaclinic.clinic.tables_access import StaffRecoveryCode
from tests.clinic.conftest import Clinic, MfaClinic, assert_error

P = "/api/v1"
SHAPE = re.compile(r"^[a-z2-7]{4}(-[a-z2-7]{4}){5}$")


def _enrol(c: MfaClinic, role: str) -> list[str]:
    """Enrol ``role`` through the login's enrolment step; its recovery codes."""
    step = c.password_step(role)
    auth = {"Authorization": f"Bearer {step['mfa_token']}"}
    e = c.client.post(f"{P}/auth/mfa/enrol", headers=auth)
    c.keys[role] = totp.b32_decode(e.json()["secret_base32"])
    r = c.client.post(f"{P}/auth/mfa/confirm", json={"code": c.code(role)}, headers=auth)
    assert r.status_code == 200, r.text
    assert r.headers["Cache-Control"] == "no-store"
    return list(r.json()["recovery_codes"])


def _sign_in(c: MfaClinic, role: str, code: str) -> object:
    step = c.password_step(role)
    return c.client.post(f"{P}/auth/login/mfa", json={"mfa_token": step["mfa_token"], "code": code})


def _refs(c: Clinic, event: str) -> list[str]:
    with Session(c.engine) as db:
        q = select(AuditRecord.resource_ref).where(AuditRecord.event_type == event)
        return [str(r) for r in db.scalars(q.order_by(AuditRecord.seq))]


def test_enrolment_gives_ten_distinct_codes(mfa_clinic: MfaClinic) -> None:
    c = mfa_clinic
    codes = _enrol(c, "nurse")
    assert len(codes) == 10
    assert len(set(codes)) == 10
    assert all(SHAPE.match(x) for x in codes), codes
    assert _refs(c, "staff.mfa_recovery_codes") == [f"StaffUser/{c.users['nurse']};n=10"]


def test_a_recovery_code_signs_in_once(mfa_clinic: MfaClinic) -> None:
    c = mfa_clinic
    codes = _enrol(c, "nurse")
    typed = codes[3].replace("-", " ").upper()  # read off paper: any case, spaces
    r = _sign_in(c, "nurse", typed)
    assert r.status_code == 200, r.text
    assert r.json()["token"].startswith("kcs_")
    assert _refs(c, "auth.login")[-1] == f"StaffUser/{c.users['nurse']};mfa=recovery;left=9"
    err = assert_error(_sign_in(c, "nurse", codes[3]), 401)
    assert "already used" in err["message"]
    assert _sign_in(c, "nurse", codes[0]).status_code == 200
    assert _refs(c, "auth.login")[-1].endswith(";mfa=recovery;left=8")
    # the authenticator app still works beside them
    c.clock.offset += timedelta(seconds=totp.STEP_S)
    assert _sign_in(c, "nurse", c.code("nurse")).status_code == 200


def test_a_recovery_sign_in_spends_its_challenge(mfa_clinic: MfaClinic) -> None:
    """Regression: the password step's challenge is bound to the last TOTP step, which a
    recovery code did not move, so one password check gave a session per recovery code
    for 5 minutes."""
    c = mfa_clinic
    codes = _enrol(c, "nurse")
    step = c.password_step("nurse")
    body = {"mfa_token": step["mfa_token"], "code": codes[0]}
    assert c.client.post(f"{P}/auth/login/mfa", json=body).status_code == 200
    again = c.client.post(f"{P}/auth/login/mfa", json={**body, "code": codes[1]})
    assert "expired or is not valid" in assert_error(again, 401)["message"]
    # codes[1] was not spent by that refusal; a new challenge takes it
    assert _sign_in(c, "nurse", codes[1]).status_code == 200


def test_a_new_set_voids_the_old_one(mfa_clinic: MfaClinic) -> None:
    c = mfa_clinic
    old = _enrol(c, "nurse")
    c.clock.offset += timedelta(seconds=totp.STEP_S)
    session = c.login("nurse")
    url = f"{P}/auth/mfa/recovery-codes"
    # a session alone is not enough: a current code from the app, checked and throttled
    assert_error(c.client.post(url, headers=session), 422)
    c.clock.offset += timedelta(seconds=totp.STEP_S)
    good = c.code("nurse")
    bad = f"{(int(good) + 1) % 10**6:06d}"
    err = assert_error(c.client.post(url, json={"code": bad}, headers=session), 422)
    assert err["field"] == "body.code"
    assert _refs(c, "staff.mfa_recovery_codes")[-1] == f"StaffUser/{c.users['nurse']}"
    assert_error(_sign_in(c, "nurse", "zzzz-zzzz-zzzz-zzzz-zzzz-zzzz"), 401)  # 2nd failure
    r = c.client.post(url, json={"code": good}, headers=session)
    assert r.status_code == 201, r.text
    assert r.headers["Cache-Control"] == "no-store"
    new = r.json()["recovery_codes"]
    assert len(new) == 10
    assert not set(new) & set(old)
    assert_error(_sign_in(c, "nurse", old[0]), 401)
    assert _sign_in(c, "nurse", new[0]).status_code == 200


def test_new_codes_need_an_enrolled_staff_user(clinic: Clinic) -> None:
    """The ordinary test clinic: MFA off, so the nurse has none."""
    url = f"{P}/auth/mfa/recovery-codes"
    r = clinic.client.post(url, json={"code": "123456"}, headers=clinic.as_("nurse"))
    err = assert_error(r, 409, field="mfa")
    assert err["message"] == "recovery codes need a confirmed MFA enrolment; enrol first"
    assert_error(clinic.client.post(url, json={"code": "123456"}), 401)


def test_an_admin_reset_voids_the_codes(mfa_clinic: MfaClinic) -> None:
    c = mfa_clinic
    codes = _enrol(c, "nurse")
    admin = c.login("admin")
    assert c.client.delete(f"{P}/staff/{c.users['nurse']}/mfa", headers=admin).status_code == 204
    with Session(c.engine) as db:
        q = select(StaffRecoveryCode).where(StaffRecoveryCode.user_id == c.users["nurse"])
        assert db.scalars(q).all() == []
    assert c.password_step("nurse")["mfa"] == "enrol"  # re-enrols; the old codes are gone
    _enrol(c, "nurse")
    assert_error(_sign_in(c, "nurse", codes[1]), 401)


def test_only_hashes_are_stored(mfa_clinic: MfaClinic) -> None:
    c = mfa_clinic
    codes = _enrol(c, "nurse")
    with c.engine.connect() as conn:
        dump = " ".join(str(r) for r in conn.execute(text("SELECT * FROM staff_recovery_codes")))
    for code in codes:
        assert code not in dump
        assert code.replace("-", "") not in dump
    assert len(re.findall(r"'[0-9a-f]{64}'", dump)) == 10


def test_wrong_recovery_codes_are_throttled(mfa_clinic: MfaClinic) -> None:
    c = mfa_clinic
    codes = _enrol(c, "nurse")
    step = c.password_step("nurse")
    wrong = "aaaa-bbbb-cccc-dddd-eeee-ffff"
    for _ in range(5):
        body = {"mfa_token": step["mfa_token"], "code": wrong}
        assert_error(c.client.post(f"{P}/auth/login/mfa", json=body), 401)
    body = {"mfa_token": step["mfa_token"], "code": codes[0]}
    assert_error(c.client.post(f"{P}/auth/login/mfa", json=body), 429)
    # malformed codes are refused before any lookup (422 names the field)
    for bad in ("12345", "abc!", "x" * 81):
        body = {"mfa_token": step["mfa_token"], "code": bad}
        assert_error(c.client.post(f"{P}/auth/login/mfa", json=body), 422, field="body.code")


def test_status_counts_the_codes_left(mfa_clinic: MfaClinic) -> None:
    """GET /auth/mfa, for the Account page."""
    c = mfa_clinic
    codes = _enrol(c, "nurse")
    c.clock.offset += timedelta(seconds=totp.STEP_S)
    session = c.login("nurse")
    url = f"{P}/auth/mfa"
    assert c.client.get(url, headers=session).json() == {
        "enrolled": True,
        "recovery_codes_left": 10,
    }
    assert _sign_in(c, "nurse", codes[2]).status_code == 200
    assert c.client.get(url, headers=session).json()["recovery_codes_left"] == 9
    assert_error(c.client.get(url), 401)


def test_status_of_a_user_without_mfa(clinic: Clinic) -> None:
    r = clinic.client.get(f"{P}/auth/mfa", headers=clinic.as_("nurse"))
    assert r.json() == {"enrolled": False, "recovery_codes_left": 0}
