"""Records -> FHIR R4 JSON (plain dicts, ready for ``json.dumps``).

Mapping (codes and their sources in :mod:`.codes`):

=========================  ==============================================================
clinic                      FHIR R4
=========================  ==============================================================
patient                    Patient: identifier (type MR, the clinic's MRN system), name,
                           gender, birthDate, telecom (phone)
treatment session          Encounter: status, class AMB, period
vital-signs reading        one Observation per measure, category ``vital-signs``, the R4
                           vital-signs profile in ``meta.profile``; blood pressure is one
                           panel (85354-9) with systolic/diastolic components;
                           ``effectiveDateTime`` = device time, ``issued`` = server receipt
questionnaire / scale      Observation, category ``survey``: ``valueInteger`` (a
                           non-integer total, e.g. the PEG-3 mean, as ``valueQuantity``
                           ``{score}``); the band as ``interpretation``; safety flags as
                           ``note``; C-SSRS: the risk level as ``valueCodeableConcept``
administration             Medication (``code.text``, ``batch.lotNumber``) +
                           MedicationAdministration: status, ``effectivePeriod``,
                           ``dosage.dose`` (mg given), ``dosage.rateQuantity`` (mg/h)
adverse event              AdverseEvent: actuality ``actual``, event text, date (onset),
                           seriousness, severity, outcome, ``suspectEntity.instance`` ->
                           the MedicationAdministration
=========================  ==============================================================

Every resource's ``id`` is a UUID (the clinic's key, or a UUID-5 derived from it for the
resources one record yields several of), and its bundle ``fullUrl`` is ``urn:uuid:<id>``,
so every reference resolves inside the bundle and a re-export gives the same ids.
"""

from __future__ import annotations

import re
import uuid
from datetime import UTC, datetime
from typing import Any

from ketaclinic.interop.fhir import codes as c
from ketaclinic.interop.fhir.records import (
    AdministrationRecord,
    AdverseEventRecord,
    PatientExport,
    PatientRecord,
    ScoreRecord,
    SessionRecord,
    VitalsRecord,
)
from ketaclinic.monitoring.vitals import check_utc

__all__ = [
    "Resource",
    "adverse_event",
    "bundle",
    "encounter",
    "fhir_datetime",
    "medication_administration",
    "patient",
    "score_observation",
    "urn",
    "vital_sign_observations",
]

Resource = dict[str, Any]

#: Relative tolerance when deciding whether the whole ordered dose was given.
_DOSE_RTOL = 1e-6


def urn(rid: uuid.UUID) -> str:
    """The bundle-local address of a resource: ``urn:uuid:<id>`` (RFC 4122 URN)."""
    return f"urn:uuid:{rid}"


def _ref(rid: uuid.UUID) -> dict[str, str]:
    return {"reference": urn(rid)}


def fhir_datetime(dt: datetime) -> str:
    """An aware datetime as a FHIR ``dateTime``/``instant`` in UTC (``...Z``)."""
    return dt.astimezone(UTC).isoformat().replace("+00:00", "Z")


def _num(x: float) -> int | float:
    """Integral values as JSON integers (128, not 128.0); others unchanged."""
    return int(x) if float(x).is_integer() else float(x)


def _slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-") or "unnamed"


def _quantity(value: float, unit_text: str, ucum: str) -> dict[str, Any]:
    return {"value": _num(value), "unit": unit_text, "system": c.UCUM, "code": ucum}


def _concept(system: str, code: str, text: str | None = None) -> dict[str, Any]:
    out: dict[str, Any] = {"coding": [{"system": system, "code": code}]}
    if text:
        out["text"] = text
    return out


def patient(p: PatientRecord, *, mrn_system: str) -> Resource:
    """Patient with the MRN as a typed identifier (v2-0203 ``MR``)."""
    res: Resource = {
        "resourceType": "Patient",
        "id": str(p.id),
        "identifier": [
            {
                "use": "usual",
                "type": _concept(c.V2_0203, c.MRN_TYPE, "Medical record number"),
                "system": mrn_system,
                "value": p.mrn,
            }
        ],
        "name": [{"use": "official", "family": p.family_name, "given": [p.given_name]}],
        "birthDate": p.birth_date.isoformat(),
    }
    if p.sex is not None:
        res["gender"] = p.sex
    if p.phone is not None:
        res["telecom"] = [{"system": "phone", "value": p.phone}]
    return res


def encounter(s: SessionRecord, patient_id: uuid.UUID) -> Resource:
    """Encounter for a treatment session (ambulatory; period start = start or schedule)."""
    period = {"start": fhir_datetime(s.started_at or s.scheduled_for)}
    if s.ended_at is not None:
        period["end"] = fhir_datetime(s.ended_at)
    return {
        "resourceType": "Encounter",
        "id": str(s.id),
        "status": c.ENCOUNTER_STATUS[s.status],
        "class": {"system": c.V3_ACT_CODE, "code": c.ENCOUNTER_CLASS_AMB},
        "subject": _ref(patient_id),
        "period": period,
    }


def _vital_base(r: VitalsRecord, key: str, patient_id: uuid.UUID) -> Resource:
    vc = c.VITAL_SIGNS[key]
    res: Resource = {
        "resourceType": "Observation",
        "id": str(uuid.uuid5(r.id, key)),
        "meta": {"profile": [vc.profile]},
        "status": "final",
        "category": [_concept(c.OBSERVATION_CATEGORY, "vital-signs", "Vital Signs")],
        "code": {
            "coding": [{"system": c.LOINC, "code": code} for code in vc.loinc],
            "text": vc.label,
        },
        "subject": _ref(patient_id),
        "effectiveDateTime": fhir_datetime(r.vitals.measured_at),
    }
    if r.session_id is not None:
        res["encounter"] = _ref(r.session_id)
    if r.vitals.received_at is not None:
        res["issued"] = fhir_datetime(r.vitals.received_at)
    return res


def vital_sign_observations(r: VitalsRecord, patient_id: uuid.UUID) -> list[Resource]:
    """One Observation per measure present; blood pressure as the 85354-9 panel."""
    out: list[Resource] = []
    values = r.vitals.values()
    if "sbp_mmhg" in values and "dbp_mmhg" in values:
        bp = _vital_base(r, "bp", patient_id)
        bp["component"] = [
            {
                "code": {
                    "coding": [{"system": c.LOINC, "code": c.VITAL_SIGNS[k].loinc[0]}],
                    "text": c.VITAL_SIGNS[k].label,
                },
                "valueQuantity": _quantity(
                    values[k], c.VITAL_SIGNS[k].unit_text, c.VITAL_SIGNS[k].ucum
                ),
            }
            for k in ("sbp_mmhg", "dbp_mmhg")
        ]
        out.append(bp)
    for key in ("hr_per_min", "spo2_pct", "rr_per_min", "temp_c"):
        if key in values:
            obs = _vital_base(r, key, patient_id)
            vc = c.VITAL_SIGNS[key]
            obs["valueQuantity"] = _quantity(values[key], vc.unit_text, vc.ucum)
            out.append(obs)
    return out


def score_observation(s: ScoreRecord, patient_id: uuid.UUID, *, local_base: str) -> Resource:
    """A questionnaire/scale total as a ``survey`` Observation (LOINC where the sheet gives
    one, else the local ``instrument-total`` code system)."""
    loinc = c.SCORE_LOINC.get(s.instrument_id)
    if loinc is not None:
        code = {"coding": [{"system": c.LOINC, "code": loinc}], "text": f"{s.name} total"}
    else:
        code = _concept(
            c.local_system("instrument-total", local_base), s.instrument_id, f"{s.name} total"
        )
    res: Resource = {
        "resourceType": "Observation",
        "id": str(s.id),
        "status": "final",
        "category": [_concept(c.OBSERVATION_CATEGORY, "survey", "Survey")],
        "code": code,
        "subject": _ref(patient_id),
        "effectiveDateTime": fhir_datetime(s.administered_at),
    }
    if s.session_id is not None:
        res["encounter"] = _ref(s.session_id)
    if s.instrument_id == "c-ssrs-screen":
        # 93374-7 is the risk *level* (a coded answer); its LOINC answer codes are not on
        # the sheet, so the level is coded locally with its label as text.
        label = s.band or str(_num(s.total))
        res["valueCodeableConcept"] = _concept(
            c.local_system("c-ssrs-risk-level", local_base), _slug(label), label
        )
    elif float(s.total).is_integer():
        res["valueInteger"] = int(s.total)
    else:
        res["valueQuantity"] = {
            "value": s.total,
            "unit": "score",
            "system": c.UCUM,
            "code": "{score}",
        }
    if s.band is not None and s.instrument_id != "c-ssrs-screen":
        res["interpretation"] = [
            _concept(c.local_system("score-band", local_base), _slug(s.band), s.band)
        ]
    if s.flags:
        res["note"] = [{"text": "safety flag: " + ", ".join(s.flags)}]
    return res


def _rate_text(a: AdministrationRecord) -> str:
    steps = "; ".join(f"{_num(r.rate_mg_per_h)} mg/h from {fhir_datetime(r.at)}" for r in a.rates)
    return f"{c.ADMINISTRATION_ROUTES.get(a.route, a.route)}; rates: {steps}"


def medication_administration(
    a: AdministrationRecord, patient_id: uuid.UUID
) -> tuple[Resource, Resource]:
    """The Medication (drug, lot number) and the MedicationAdministration that uses it.

    Status: ``in-progress`` until stopped; ``completed`` when the whole ordered dose was
    given, ``stopped`` when less was. ``dosage.rateQuantity`` is the last rate in force;
    with several rates every step is listed in ``dosage.text``.
    """
    med_id = uuid.uuid5(a.id, "medication")
    medication: Resource = {
        "resourceType": "Medication",
        "id": str(med_id),
        "code": {"text": a.drug},
        "batch": {"lotNumber": a.lot_number},
    }
    if a.stopped_at is None:
        status = "in-progress"
    elif a.amount_given_mg is not None and a.amount_given_mg >= a.ordered_dose_mg * (
        1 - _DOSE_RTOL
    ):
        status = "completed"
    else:
        status = "stopped"
    period = {"start": fhir_datetime(a.started_at)}
    if a.stopped_at is not None:
        period["end"] = fhir_datetime(a.stopped_at)
    res: Resource = {
        "resourceType": "MedicationAdministration",
        "id": str(a.id),
        "status": status,
        "medicationReference": _ref(med_id),
        "subject": _ref(patient_id),
        "effectivePeriod": period,
    }
    if a.session_id is not None:
        res["context"] = _ref(a.session_id)
    dosage: dict[str, Any] = {}
    if a.amount_given_mg is not None:
        dosage["dose"] = _quantity(a.amount_given_mg, "mg", "mg")
    if a.rates:
        dosage["rateQuantity"] = _quantity(a.rates[-1].rate_mg_per_h, "mg/h", "mg/h")
    if dosage:  # mad-1: a dosage needs a dose or a rate
        route = c.ADMINISTRATION_ROUTES.get(a.route, a.route)
        dosage["text"] = _rate_text(a) if len(a.rates) > 1 else route
        dosage["route"] = {"text": route}
        res["dosage"] = dosage
    return medication, res


def adverse_event(e: AdverseEventRecord, patient_id: uuid.UUID) -> Resource:
    """AdverseEvent with R4 seriousness, severity and outcome codes."""
    ctcae = e.severity.replace("_", "-")
    res: Resource = {
        "resourceType": "AdverseEvent",
        "id": str(e.id),
        "actuality": "actual",
        "event": {"text": e.event_type},
        "subject": _ref(patient_id),
        "date": fhir_datetime(e.onset_at),
        "seriousness": _concept(c.AE_SERIOUSNESS, "serious" if e.serious else "non-serious"),
        "severity": _concept(c.AE_SEVERITY, c.AE_SEVERITY_CODES[e.severity], f"CTCAE {ctcae}"),
        "outcome": _concept(c.AE_OUTCOME, c.AE_OUTCOME_CODES[e.outcome]),
    }
    if e.session_id is not None:
        res["encounter"] = _ref(e.session_id)
    if e.recorded_at is not None:
        res["recordedDate"] = fhir_datetime(e.recorded_at)
    if e.administration_id is not None:
        res["suspectEntity"] = [{"instance": _ref(e.administration_id)}]
    return res


def bundle(
    export: PatientExport,
    *,
    timestamp: datetime,
    bundle_id: uuid.UUID | None = None,
    local_base: str = c.LOCAL_BASE,
    mrn_system: str | None = None,
) -> Resource:
    """The patient's record as a FHIR R4 Bundle of type ``collection``.

    Parameters
    ----------
    export : PatientExport
        The validated records.
    timestamp : datetime
        When the bundle was assembled (aware; ``Bundle.timestamp``).
    bundle_id : uuid.UUID, optional
        ``Bundle.id``; a random UUID when not given.
    local_base : str
        Base URL of the local code systems (a deployment sets one it controls).
    mrn_system : str, optional
        ``Patient.identifier.system`` of the MRN; default ``<local_base>/identifier/mrn``.

    Examples
    --------
    >>> import uuid
    >>> from datetime import UTC, date, datetime
    >>> p = PatientRecord(uuid.UUID(int=1), "MRN-1", "Ada", "Lovelace", date(1980, 12, 10))
    >>> b = bundle(PatientExport(p), timestamp=datetime(2026, 1, 1, tzinfo=UTC))
    >>> b["type"], b["entry"][0]["fullUrl"]
    ('collection', 'urn:uuid:00000000-0000-0000-0000-000000000001')
    """
    check_utc("timestamp", timestamp)
    pid = export.patient.id
    resources: list[Resource] = [
        patient(export.patient, mrn_system=mrn_system or f"{local_base}/identifier/mrn")
    ]
    resources += [encounter(s, pid) for s in export.sessions]
    for a in export.administrations:
        resources += list(medication_administration(a, pid))
    for r in sorted(export.vitals, key=lambda v: v.vitals.measured_at):
        resources += vital_sign_observations(r, pid)
    resources += [
        score_observation(s, pid, local_base=local_base)
        for s in sorted(export.scores, key=lambda s: s.administered_at)
    ]
    resources += [adverse_event(e, pid) for e in export.adverse_events]
    return {
        "resourceType": "Bundle",
        "id": str(bundle_id or uuid.uuid4()),
        "type": "collection",
        "timestamp": fhir_datetime(timestamp),
        "entry": [{"fullUrl": urn(uuid.UUID(r["id"])), "resource": r} for r in resources],
    }
