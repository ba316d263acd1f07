"""A demo clinic: staff with random passwords, one location, chairs with monitors,
patients, past sessions with readings, and one session in progress.

No fixed demo passwords (ASVS 5.0.0 6.3.2): each run draws new ones and returns them.
"""

from __future__ import annotations

import random
import secrets
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from argon2 import PasswordHasher
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from ketaclinic.clinic import audit
from ketaclinic.clinic.schemas_screening import ConsentCreate, ConsentFormCreate
from ketaclinic.clinic.security import DEVICE_PREFIX, hash_password, new_token
from ketaclinic.clinic.services import consents
from ketaclinic.clinic.services.context import Ctx, Principal
from ketaclinic.clinic.services.demo_outcomes import seed_outcomes
from ketaclinic.clinic.services.errors import conflict
from ketaclinic.clinic.tables import (
    Chair,
    Device,
    Location,
    Patient,
    PatientMeasurement,
    StaffUser,
    TreatmentCourse,
    TreatmentSession,
    VitalReading,
)
from ketaclinic.dosing import default_library

__all__ = ["DEMO_CONSENT_FORM", "DemoClinic", "seed_demo"]

_PEOPLE = [
    ("Ada", "Lovelace", "female"), ("Alan", "Turing", "male"), ("Grace", "Hopper", "female"),
    ("Edsger", "Dijkstra", "male"), ("Barbara", "Liskov", "female"), ("Donald", "Knuth", "male"),
    ("Frances", "Allen", "female"), ("John", "Backus", "male"), ("Karen", "Sparck Jones", "female"),
    ("Tony", "Hoare", "male"), ("Radia", "Perlman", "female"), ("Niklaus", "Wirth", "male"),
]  # fmt: skip
_STAFF = [
    ("admin", "Site Administrator", "admin"),
    ("dr.ross", "Dr Ana Ross", "prescriber"),
    ("nurse.kim", "Jo Kim RN", "nurse"),
    ("desk.lee", "Sam Lee", "front_desk"),
    ("audit.ng", "Pat Ng", "auditor"),
]


@dataclass
class DemoClinic:
    logins: dict[str, str] = field(default_factory=dict)  # username -> password
    device_tokens: dict[str, str] = field(default_factory=dict)  # chair label -> token
    active_session_id: str = ""
    active_chair: str = ""
    patients: int = 0


def seed_demo(
    db: Session,
    *,
    ph: PasswordHasher,
    audit_key: bytes,
    node_id: str,
    now: datetime,
    rng_seed: int = 7,
) -> DemoClinic:
    """Fill an empty, migrated database with the demo clinic (refuses a non-empty one).

    The clinic's consent form is published and every demo course's consent recorded, so
    a new session on a demo course can start (no 409 ``consent_required``).
    """
    if (db.scalar(select(func.count()).select_from(StaffUser)) or 0) > 0:
        raise conflict("the database already has staff accounts; demo seed needs an empty clinic")
    rng = random.Random(rng_seed)
    out = DemoClinic()
    system = audit.Actor("system", None, None)

    def log(action: str, event: str, ref: str, patient: object = None) -> None:
        audit.append(
            db, key=audit_key, node_id=node_id, actor=system, action=action, event_type=event,
            resource_ref=ref, patient_id=str(patient) if patient else None,
        )  # fmt: skip

    users = {}
    for username, name, role in _STAFF:
        password = secrets.token_urlsafe(12)
        user = StaffUser(
            username=username, display_name=name, role=role,
            password_hash=hash_password(ph, password),
        )  # fmt: skip
        db.add(user)
        db.flush()
        users[role] = user
        out.logins[username] = password
        log("C", "staff.create", f"StaffUser/{user.id}")
    loc = Location(name="Demo clinic, 1 Main Street")
    db.add(loc)
    db.flush()
    chairs = []
    for label in ("Chair 1", "Chair 2", "Chair 3", "Chair 4"):
        chair = Chair(location_id=loc.id, label=label)
        db.add(chair)
        db.flush()
        token, digest = new_token(DEVICE_PREFIX)
        db.add(Device(chair_id=chair.id, name=f"monitor {label}", token_sha256=digest))
        chairs.append(chair)
        out.device_tokens[label] = token
    db.flush()
    nurse = users["nurse"]
    protocol_version = str(default_library().get("depression-iv-40min").version)
    device_ids = {d.chair_id: d.id for d in db.scalars(select(Device))}
    for i, (given, family, sex) in enumerate(_PEOPLE):
        p = Patient(
            mrn=f"DEMO-{i + 1:04d}", given_name=given, family_name=family, sex=sex,
            birth_date=date(1950 + 3 * i, 1 + i % 12, 1 + (7 * i) % 28),
            escort_name=f"Escort of {given}", escort_phone=f"+1 555 010 {i:04d}",
        )  # fmt: skip
        db.add(p)
        db.flush()
        log("C", "patient.create", f"Patient/{p.id}", p.id)
        db.add(
            PatientMeasurement(
                patient_id=p.id, measured_at=now - timedelta(days=30),
                weight_kg=round(rng.uniform(55, 105), 1), height_cm=round(rng.uniform(155, 190)),
                recorded_by=nurse.id,
            )
        )  # fmt: skip
        # induction: 6 sessions over 2-3 weeks; maintenance: monthly boosters
        n_past = 6 if i % 2 == 0 else 8
        course = TreatmentCourse(
            patient_id=p.id, indication="depression", protocol_id="depression-iv-40min",
            protocol_version=protocol_version,
            phase="induction" if i % 2 == 0 else "maintenance",
            planned_sessions=6, endpoint="PHQ-9 response (>= 50 % drop) after 6 infusions",
            started_on=(now - timedelta(days=3 * n_past + (0 if i % 2 == 0 else 40))).date(),
            created_by=users["prescriber"].id,
        )  # fmt: skip
        db.add(course)
        db.flush()
        for k in range(n_past):
            chair = chairs[k % len(chairs)]
            start = now - timedelta(days=3 * (n_past - k) + (0 if i % 2 == 0 else 40), hours=i)
            s = TreatmentSession(
                patient_id=p.id, chair_id=chair.id, course_id=course.id, status="completed",
                scheduled_for=start, started_at=start, ended_at=start + timedelta(minutes=120),
                created_by=nurse.id,
            )  # fmt: skip
            db.add(s)
            db.flush()
            _readings(db, s, device_ids[chair.id], start, 8, rng)
        seed_outcomes(db, course, nurse.id, users["prescriber"].id, i, now)  # PHQ-9/GAD-7
        out.patients += 1
    live = db.scalars(select(Patient).order_by(Patient.mrn)).first()
    assert live is not None
    live_course = db.scalars(
        select(TreatmentCourse).where(TreatmentCourse.patient_id == live.id)
    ).first()
    active = TreatmentSession(
        patient_id=live.id, chair_id=chairs[0].id, status="in_progress",
        course_id=live_course.id if live_course else None,
        scheduled_for=now - timedelta(minutes=20), started_at=now - timedelta(minutes=15),
        created_by=nurse.id,
    )  # fmt: skip
    db.add(active)
    db.flush()
    log("C", "session.create", f"TreatmentSession/{active.id}", live.id)
    out.active_session_id = str(active.id)
    out.active_chair = chairs[0].label
    db.commit()
    _seed_consents(db, users, audit_key=audit_key, node_id=node_id, now=now)
    return out


#: The demo clinic's one consent form (a new session on a course needs a signed consent
#: to the current version of every published form: services/consents.py).
DEMO_CONSENT_FORM = ("ketamine-treatment", "Consent to ketamine treatment (off-label use)")


def _seed_consents(
    db: Session, users: dict[str, StaffUser], *, audit_key: bytes, node_id: str, now: datetime
) -> None:
    """Publish the clinic's consent form and record every demo course's signed consent,
    through the consent service (its checks and audit records), as the demo staff."""

    def ctx(user: StaffUser) -> Ctx:
        who = Principal(kind="user", id=user.id, role=user.role, name=user.display_name)
        return Ctx(db=db, principal=who, audit_key=audit_key, node_id=node_id, ip=None,
                   clock=lambda: now)  # fmt: skip

    form_id, title = DEMO_CONSENT_FORM
    form = consents.publish_form(
        ctx(users["prescriber"]), ConsentFormCreate(form_id=form_id, title=title)
    )
    nurse = users["nurse"]
    courses = list(db.scalars(select(TreatmentCourse).order_by(TreatmentCourse.started_on)))
    for course in courses:
        signed = datetime.combine(course.started_on, datetime.min.time(), tzinfo=now.tzinfo)
        body = ConsentCreate(
            form_id=form.form_id, form_version=form.version,
            signed_at=min(signed, now), witnessed_by=nurse.id,
        )  # fmt: skip
        consents.record_consent(ctx(nurse), course.id, body)


def _readings(
    db: Session, s: TreatmentSession, device_id: object, start: datetime, n: int, rng: random.Random
) -> None:
    for j in range(n):
        t = start + timedelta(minutes=15 * j)
        db.add(
            VitalReading(
                session_id=s.id, source="device", device_id=device_id,
                device_seq=int(t.timestamp() * 1000), measured_at=t, received_at=t,
                sbp_mmhg=round(rng.gauss(128 + 10 * (1 <= j <= 3), 6)),
                dbp_mmhg=round(rng.gauss(80, 4)), hr_per_min=round(rng.gauss(76, 6)),
                spo2_pct=min(100, round(rng.gauss(97.5, 1))), rr_per_min=round(rng.gauss(14, 1.5)),
                payload_sha256="demo-history",
            )
        )  # fmt: skip
