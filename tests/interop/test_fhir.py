"""FHIR R4 export (ketaclinic.interop.fhir): reference codes, structure, references.

Every produced bundle is checked twice: by the project's own structural R4 checks
(``fhir.check.problems``, rules named there) and by the ``fhir.resources`` models
(dev dependency; FHIR R4B 4.3.0 classes, whose Patient, Encounter, Observation,
Medication, MedicationAdministration, AdverseEvent and Bundle elements are those of R4
4.0.1). Expected codes come from the clinical-practice sheet, section 4.2 / section 3, and
the R4 vital-signs profiles (hl7.org/fhir/R4/observation-vitalsigns.html).
"""

from __future__ import annotations

import copy
import json
import uuid
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
from fhir.resources.R4B import get_fhir_model_class

from ketaclinic.errors import InputError
from ketaclinic.interop.fhir import (
    AdministrationRecord,
    AdverseEventRecord,
    PatientExport,
    PatientRecord,
    RateSegment,
    ScoreRecord,
    SessionRecord,
    VitalsRecord,
    bundle,
    problems,
)
from ketaclinic.interop.fhir.codes import SCORE_LOINC
from ketaclinic.monitoring.vitals import VitalSigns

T0 = datetime(2026, 11, 2, 9, 0, tzinfo=UTC)
LOINC = "http://loinc.org"
UCUM = "http://unitsofmeasure.org"


def _id(n: int) -> uuid.UUID:
    return uuid.UUID(int=n)


def full_export() -> PatientExport:
    pat = PatientRecord(_id(1), "MRN-0001", "Ada", "Lovelace", date(1980, 12, 10), "female",
                        "+44 20 7946 0000")  # fmt: skip
    sess = SessionRecord(_id(2), "completed", T0, T0, T0 + timedelta(hours=2))
    live = SessionRecord(_id(3), "in_progress", T0 + timedelta(days=3), T0 + timedelta(days=3))
    vitals = VitalsRecord(
        _id(10),
        VitalSigns(
            T0 + timedelta(minutes=5),
            sbp_mmhg=128,
            dbp_mmhg=82,
            hr_per_min=71,
            spo2_pct=97.5,
            rr_per_min=14,
            temp_c=36.8,
            source="device",
            received_at=T0 + timedelta(minutes=5, seconds=2),
        ),
        session_id=sess.id,
    )
    hr_only = VitalsRecord(_id(11), VitalSigns(T0 + timedelta(days=3), hr_per_min=90), live.id)
    admin = AdministrationRecord(
        _id(20), "ketamine", "iv-infusion", "LOT-2026-001", T0 + timedelta(minutes=10), 35.0,
        stopped_at=T0 + timedelta(minutes=50), amount_given_mg=35.0,
        rates=(RateSegment(T0 + timedelta(minutes=10), 52.5),
               RateSegment(T0 + timedelta(minutes=30), 50.0)),
        session_id=sess.id,
    )  # fmt: skip
    running = AdministrationRecord(
        _id(21), "ketamine", "iv-infusion", "LOT-2026-002", T0 + timedelta(days=3), 35.0,
        rates=(RateSegment(T0 + timedelta(days=3), 52.5),), session_id=live.id,
    )  # fmt: skip
    scores = (
        ScoreRecord(
            _id(30), "phq-9", "PHQ-9", T0 - timedelta(days=1), 12, "moderate", "1", ("phq9_item9",)
        ),
        ScoreRecord(_id(31), "gad-7", "GAD-7", T0 - timedelta(days=1), 6, "mild", "1"),
        ScoreRecord(_id(32), "peg-3", "PEG-3", T0, 4 + 1 / 3, None, "1"),
        ScoreRecord(_id(33), "c-ssrs-screen", "C-SSRS screen", T0, 1, "low", "1"),
        ScoreRecord(_id(34), "moaas", "MOAA/S", T0 + timedelta(minutes=20), 4, session_id=sess.id),
    )
    ae = AdverseEventRecord(
        _id(40), "hypertension", "life_threatening", True, "resolving", T0 + timedelta(minutes=25),
        recorded_at=T0 + timedelta(minutes=27), administration_id=admin.id, session_id=sess.id,
    )  # fmt: skip
    return PatientExport(pat, (sess, live), (vitals, hr_only), scores, (admin, running), (ae,))


def by_id(b: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {e["resource"]["id"]: e["resource"] for e in b["entry"]}


def r4_model_errors(b: dict[str, Any]) -> list[str]:
    """Validate the bundle and each resource with the fhir.resources models."""
    errors = []
    for res in [b] + [e["resource"] for e in b["entry"]]:
        try:
            get_fhir_model_class(res["resourceType"]).model_validate(res)
        except Exception as exc:  # pydantic ValidationError
            errors.append(f"{res['resourceType']}/{res.get('id')}: {exc}")
    return errors


@pytest.fixture(scope="module")
def b() -> dict[str, Any]:
    return bundle(full_export(), timestamp=T0 + timedelta(days=4), bundle_id=_id(99))


def test_bundle_passes_both_validators(b: dict[str, Any]) -> None:
    assert problems(b) == []
    assert r4_model_errors(b) == []
    json.dumps(b, allow_nan=False)  # plain JSON, no NaN


def test_bundle_shape_and_references(b: dict[str, Any]) -> None:
    assert b["resourceType"] == "Bundle"
    assert b["type"] == "collection"
    assert b["id"] == str(_id(99))
    assert b["timestamp"] == "2026-11-06T09:00:00Z"
    kinds = [e["resource"]["resourceType"] for e in b["entry"]]
    # 1 patient, 2 encounters, 2 x (Medication + MA), 5 + 1 vital Observations
    # (BP panel, HR, SpO2, RR, temperature; HR), 5 scores, 1 adverse event
    assert kinds.count("Patient") == 1
    assert kinds.count("Encounter") == 2
    assert kinds.count("Medication") == 2
    assert kinds.count("MedicationAdministration") == 2
    assert kinds.count("Observation") == 11
    assert kinds.count("AdverseEvent") == 1
    urls = [e["fullUrl"] for e in b["entry"]]
    assert len(set(urls)) == len(urls)
    assert all(
        u == f"urn:uuid:{e['resource']['id']}" for u, e in zip(urls, b["entry"], strict=True)
    )
    refs = set(_references(b))
    assert refs <= set(urls)
    assert f"urn:uuid:{_id(1)}" in refs


def _references(node: Any) -> list[str]:
    if isinstance(node, dict):
        own = [node["reference"]] if "reference" in node else []
        return own + [r for v in node.values() for r in _references(v)]
    if isinstance(node, list):
        return [r for v in node for r in _references(v)]
    return []


def test_patient(b: dict[str, Any]) -> None:
    p = by_id(b)[str(_id(1))]
    assert p["identifier"] == [
        {
            "use": "usual",
            "type": {
                "coding": [
                    {"system": "http://terminology.hl7.org/CodeSystem/v2-0203", "code": "MR"}
                ],
                "text": "Medical record number",
            },
            "system": "https://ketaclinic.invalid/fhir/identifier/mrn",
            "value": "MRN-0001",
        }
    ]
    assert p["name"] == [{"use": "official", "family": "Lovelace", "given": ["Ada"]}]
    assert p["gender"] == "female"
    assert p["birthDate"] == "1980-12-10"
    assert p["telecom"] == [{"system": "phone", "value": "+44 20 7946 0000"}]


def _vital(b: dict[str, Any], key: str) -> dict[str, Any]:
    return by_id(b)[str(uuid.uuid5(_id(10), key))]


def test_vital_sign_codes_and_units_exactly(b: dict[str, Any]) -> None:
    """Sheet 4.2 LOINC/UCUM; R4 profiles bp, heartrate, oxygensat, resprate, bodytemp."""
    sd = "http://hl7.org/fhir/StructureDefinition/"
    expected = {
        "hr_per_min": (["8867-4"], 71, "/min", "heartrate"),
        "spo2_pct": (["2708-6", "59408-5"], 97.5, "%", "oxygensat"),
        "rr_per_min": (["9279-1"], 14, "/min", "resprate"),
        "temp_c": (["8310-5"], 36.8, "Cel", "bodytemp"),
    }
    for key, (loinc, value, unit, profile) in expected.items():
        obs = _vital(b, key)
        assert obs["meta"]["profile"] == [sd + profile]
        assert obs["status"] == "final"
        assert obs["category"][0]["coding"] == [
            {"system": "http://terminology.hl7.org/CodeSystem/observation-category",
             "code": "vital-signs"}
        ]  # fmt: skip
        assert [c["code"] for c in obs["code"]["coding"]] == loinc
        assert {c["system"] for c in obs["code"]["coding"]} == {LOINC}
        assert obs["valueQuantity"]["value"] == value
        assert obs["valueQuantity"]["system"] == UCUM
        assert obs["valueQuantity"]["code"] == unit
        assert obs["effectiveDateTime"] == "2026-11-02T09:05:00Z"  # device time
        assert obs["issued"] == "2026-11-02T09:05:02Z"  # server receipt
        assert obs["subject"] == {"reference": f"urn:uuid:{_id(1)}"}
        assert obs["encounter"] == {"reference": f"urn:uuid:{_id(2)}"}
    bp = _vital(b, "bp")
    assert bp["meta"]["profile"] == [sd + "bp"]
    assert bp["code"]["coding"] == [{"system": LOINC, "code": "85354-9"}]
    assert "valueQuantity" not in bp
    comps = {c["code"]["coding"][0]["code"]: c["valueQuantity"] for c in bp["component"]}
    assert comps == {
        "8480-6": {"value": 128, "unit": "mmHg", "system": UCUM, "code": "mm[Hg]"},
        "8462-4": {"value": 82, "unit": "mmHg", "system": UCUM, "code": "mm[Hg]"},
    }


def test_reading_with_one_measure_gives_one_observation(b: dict[str, Any]) -> None:
    assert str(uuid.uuid5(_id(11), "hr_per_min")) in by_id(b)
    assert str(uuid.uuid5(_id(11), "bp")) not in by_id(b)


def test_questionnaire_observations(b: dict[str, Any]) -> None:
    res = by_id(b)
    survey = [{"system": "http://terminology.hl7.org/CodeSystem/observation-category",
               "code": "survey"}]  # fmt: skip
    phq = res[str(_id(30))]
    assert phq["category"][0]["coding"] == survey
    assert phq["code"]["coding"] == [{"system": LOINC, "code": "44261-6"}]
    assert phq["valueInteger"] == 12
    assert phq["interpretation"][0]["text"] == "moderate"
    assert phq["note"] == [{"text": "safety flag: phq9_item9"}]
    assert phq["effectiveDateTime"] == "2026-11-01T09:00:00Z"
    gad = res[str(_id(31))]
    assert gad["code"]["coding"] == [{"system": LOINC, "code": "70274-6"}]
    assert gad["valueInteger"] == 6
    assert gad["interpretation"][0]["text"] == "mild"
    peg = res[str(_id(32))]  # no LOINC on the sheet: local code system, clearly marked
    assert peg["code"]["coding"] == [
        {"system": "https://ketaclinic.invalid/fhir/CodeSystem/instrument-total", "code": "peg-3"}
    ]
    assert peg["valueQuantity"] == {
        "value": pytest.approx(4 + 1 / 3),
        "unit": "score",
        "system": UCUM,
        "code": "{score}",
    }
    cssrs = res[str(_id(33))]
    assert cssrs["code"]["coding"] == [{"system": LOINC, "code": "93374-7"}]
    assert cssrs["valueCodeableConcept"]["text"] == "low"
    assert "valueInteger" not in cssrs
    moaas = res[str(_id(34))]
    assert moaas["code"]["coding"][0]["code"] == "moaas"
    assert moaas["valueInteger"] == 4


def test_score_loinc_codes_are_the_reference_sheets() -> None:
    """[CPS] section 3 (clinical-practice.md): the totals with a LOINC code."""
    assert SCORE_LOINC == {"phq-9": "44261-6", "gad-7": "70274-6", "c-ssrs-screen": "93374-7"}


def test_medication_administration(b: dict[str, Any]) -> None:
    res = by_id(b)
    ma = res[str(_id(20))]
    assert ma["status"] == "completed"
    assert ma["effectivePeriod"] == {"start": "2026-11-02T09:10:00Z", "end": "2026-11-02T09:50:00Z"}
    assert ma["dosage"]["dose"] == {"value": 35, "unit": "mg", "system": UCUM, "code": "mg"}
    assert ma["dosage"]["rateQuantity"] == {"value": 50, "unit": "mg/h", "system": UCUM,
                                            "code": "mg/h"}  # fmt: skip
    assert "52.5 mg/h from 2026-11-02T09:10:00Z" in ma["dosage"]["text"]
    assert ma["context"] == {"reference": f"urn:uuid:{_id(2)}"}
    med = res[ma["medicationReference"]["reference"].removeprefix("urn:uuid:")]
    assert med["resourceType"] == "Medication"
    assert med["batch"] == {"lotNumber": "LOT-2026-001"}
    assert med["code"] == {"text": "ketamine"}
    running = res[str(_id(21))]
    assert running["status"] == "in-progress"
    assert running["effectivePeriod"] == {"start": "2026-11-05T09:00:00Z"}
    assert "dose" not in running["dosage"]
    assert running["dosage"]["rateQuantity"]["value"] == 52.5


def test_stopped_early_is_stopped_and_intranasal_without_amount_has_no_dosage() -> None:
    pat = PatientRecord(_id(1), "M", "A", "B", date(1990, 1, 1))
    short = AdministrationRecord(_id(5), "ketamine", "iv-infusion", "L1", T0, 35.0,
                                 stopped_at=T0 + timedelta(minutes=20), amount_given_mg=17.5,
                                 rates=(RateSegment(T0, 52.5),))  # fmt: skip
    nasal = AdministrationRecord(_id(6), "esketamine", "intranasal", "L2", T0, 56.0)
    b = bundle(PatientExport(pat, administrations=(short, nasal)), timestamp=T0)
    res = by_id(b)
    assert res[str(_id(5))]["status"] == "stopped"
    assert res[str(_id(5))]["dosage"]["dose"]["value"] == 17.5
    assert "dosage" not in res[str(_id(6))]  # mad-1: no dose, no rate -> no dosage
    assert problems(b) == []
    assert r4_model_errors(b) == []


def test_adverse_event(b: dict[str, Any]) -> None:
    ae = by_id(b)[str(_id(40))]
    assert ae["actuality"] == "actual"
    assert ae["event"] == {"text": "hypertension"}
    assert ae["date"] == "2026-11-02T09:25:00Z"
    assert ae["recordedDate"] == "2026-11-02T09:27:00Z"
    assert ae["seriousness"]["coding"] == [
        {"system": "http://terminology.hl7.org/CodeSystem/adverse-event-seriousness",
         "code": "serious"}
    ]  # fmt: skip
    # R4 severity has mild/moderate/severe only: CTCAE life-threatening -> severe + text
    assert ae["severity"] == {
        "coding": [{"system": "http://terminology.hl7.org/CodeSystem/adverse-event-severity",
                    "code": "severe"}],
        "text": "CTCAE life-threatening",
    }  # fmt: skip
    assert ae["outcome"]["coding"] == [
        {"system": "http://terminology.hl7.org/CodeSystem/adverse-event-outcome",
         "code": "recovering"}
    ]  # fmt: skip
    assert ae["suspectEntity"] == [{"instance": {"reference": f"urn:uuid:{_id(20)}"}}]


def test_re_export_gives_the_same_resources() -> None:
    one = bundle(full_export(), timestamp=T0, bundle_id=_id(98))
    two = bundle(full_export(), timestamp=T0 + timedelta(hours=1))
    assert one["entry"] == two["entry"]
    assert one["id"] != two["id"]


@pytest.mark.parametrize(
    ("mutate", "expected"),
    [
        (lambda b: b["entry"][1]["resource"].update(subject={"reference": "urn:uuid:nope"}),
         "does not resolve"),
        (lambda b: b["entry"][0]["resource"].update(name=[]), "empty or null"),
        (lambda b: b["entry"][0]["resource"].update(birthDate=""), "empty or null"),
        (lambda b: _find(b, "Observation").update(effectiveDateTime="2026-11-02T09:05:00"),
         "not a dateTime with a timezone"),
        (lambda b: _find(b, "Observation").pop("status"), "Observation.status is required"),
        (lambda b: _find(b, "Observation", "9279-1")["valueQuantity"].update(code="/s"),
         "unit '/s'"),
        (lambda b: _find(b, "AdverseEvent")["outcome"]["coding"][0].update(code="resolving"),
         "AdverseEvent.outcome"),
        (lambda b: _find(b, "MedicationAdministration").update(status="done"),
         "not an R4 status code"),
        (lambda b: b["entry"].append(copy.deepcopy(b["entry"][0])), "bdl-7"),
        (lambda b: b["entry"][0].update(fullUrl="Patient/1"), "is not urn:uuid"),
        (lambda b: _find(b, "Observation")["code"]["coding"][0].pop("system"),
         "needs system and code"),
        (lambda b: b["entry"][0].update(search={"mode": "match"}), "bdl-2"),
        (lambda b: b.update(total=3), "bdl-1"),
        (lambda b: _find(b, "MedicationAdministration").update(dosage={"text": "iv"}), "mad-1"),
        (lambda b: _find(b, "Observation", "85354-9")["component"][0].pop("valueQuantity"),
         "vs-3"),
        (lambda b: _find(b, "Observation", "8867-4").pop("valueQuantity"), "vs-2"),
        (lambda b: _find(b, "Observation", "8867-4").update(issued="2026-11-02"),
         "not an instant"),
        (lambda b: b["entry"][0]["resource"].update(gender="F"), "administrative-gender"),
        (lambda b: b["entry"][0]["resource"]["telecom"][0].update(system="mobile"),
         "contact-point-system"),
        (lambda b: _find(b, "AdverseEvent").update(actuality="maybe"), "actuality"),
        (lambda b: _find(b, "Observation", "8867-4")["valueQuantity"].update(system="http://x.org"),
         "UCUM system"),
    ],
)  # fmt: skip
def test_structural_checks_catch_each_violation(mutate: Any, expected: str) -> None:
    b = bundle(full_export(), timestamp=T0)
    mutate(b)
    found = problems(b)
    assert any(expected in p for p in found), found


def _find(b: dict[str, Any], kind: str, loinc: str | None = None) -> dict[str, Any]:
    for e in b["entry"]:
        res = e["resource"]
        codes = [c.get("code") for c in res.get("code", {}).get("coding", [])]
        if res["resourceType"] == kind and (loinc is None or loinc in codes):
            return res  # type: ignore[no-any-return]
    raise LookupError(kind)


def test_records_refuse_bad_input() -> None:
    pat = PatientRecord(_id(1), "M", "A", "B", date(1990, 1, 1))
    naive = datetime(2026, 1, 1, 9, 0)
    with pytest.raises(InputError, match="timezone-aware"):
        ScoreRecord(_id(2), "phq-9", "PHQ-9", naive, 3)
    with pytest.raises(InputError, match=r"patient\.mrn"):
        PatientRecord(_id(1), " ", "A", "B", date(1990, 1, 1))
    with pytest.raises(InputError, match="amount_given_mg"):
        AdministrationRecord(_id(3), "ketamine", "im", "L", T0, 35.0, amount_given_mg=-1.0)
    orphan = AdverseEventRecord(_id(4), "nausea", "mild", False, "resolved", T0,
                                administration_id=_id(77))  # fmt: skip
    with pytest.raises(InputError, match="administration_id"):
        PatientExport(pat, adverse_events=(orphan,))
    stray = VitalsRecord(_id(5), VitalSigns(T0, hr_per_min=70), session_id=_id(88))
    with pytest.raises(InputError, match="session_id"):
        PatientExport(pat, vitals=(stray,))
    with pytest.raises(InputError, match="timestamp"):
        bundle(PatientExport(pat), timestamp=naive)


@pytest.mark.parametrize("name", ["ketaclinic.interop.fhir", "ketaclinic.interop.fhir.resources"])
def test_doctests(name: str) -> None:
    import doctest
    import importlib

    result = doctest.testmod(importlib.import_module(name))
    assert result.attempted > 0
    assert result.failed == 0
