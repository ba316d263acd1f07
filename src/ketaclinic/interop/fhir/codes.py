"""Every code system, code and unit the FHIR R4 export writes, each with its source.

Sources (addresses as consulted):

- [VS]   FHIR R4 vital-signs profiles, hl7.org/fhir/R4/observation-vitalsigns.html and the
         derived profiles bp.html, heartrate.html, oxygensat.html, resprate.html,
         bodytemp.html (canonical URLs ``http://hl7.org/fhir/StructureDefinition/<name>``).
- [CPS]  clinical-practice reference sheet (shared/reference/clinical-practice.md), section 4.2
         "Codes and units" (LOINC and UCUM of the vital signs, [S37]) and section 3 (LOINC of
         the questionnaire totals: PHQ-9 44261-6, GAD-7 70274-6, C-SSRS risk level 93374-7).
- [LOINC] LOINC, https://loinc.org (system URI ``http://loinc.org``, FHIR R4
         terminologies-systems.html).
- [UCUM] The Unified Code for Units of Measure, https://ucum.org/ucum (system URI
         ``http://unitsofmeasure.org``); ``{score}`` is a UCUM annotation, which the UCUM
         specification (section 2.1, "curly braces") defines as the unit 1.
- [OBSCAT] hl7.org/fhir/R4/codesystem-observation-category.html
         (``http://terminology.hl7.org/CodeSystem/observation-category``: vital-signs, survey).
- [AE]   hl7.org/fhir/R4/codesystem-adverse-event-seriousness.html (non-serious, serious),
         valueset-adverse-event-severity.html (mild, moderate, severe),
         codesystem-adverse-event-outcome.html (resolved, recovering, ongoing,
         resolvedWithSequelae, fatal, unknown).
- [V2]   HL7 v2 table 0203 "Identifier type" as bound in FHIR R4,
         hl7.org/fhir/R4/valueset-identifier-type.html
         (``http://terminology.hl7.org/CodeSystem/v2-0203``, code ``MR`` medical record number).
- [ACT]  HL7 v3 ActCode, value set ActEncounterCode bound to R4 Encounter.class
         (hl7.org/fhir/R4/v3/ActEncounterCode/vs.html; terminology.hl7.org ValueSet
         v3-ActAmbulatoryEncounterCode): ``http://terminology.hl7.org/CodeSystem/v3-ActCode``,
         code ``AMB`` (ambulatory).

Displays are not written: the LOINC display names could not be checked offline, so each
CodeableConcept carries its human label in ``text`` instead.

**Local codes.** Where no source confirmed a standard code (the licensed instruments'
totals, MOAA/S, CADSS-6, score bands, the C-SSRS risk level answer, the drug), the code
lives in a *local* code system under :data:`LOCAL_BASE`, a placeholder on the reserved
``.invalid`` domain (RFC 6761) that a deployment replaces with a URL it controls. No local
code pretends to be LOINC, SNOMED CT or RxNorm.

**Not coded (UNVERIFIED on the sheet).** The RxNorm ingredient code of ketamine (the sheet
marks "RxCUI 6130" UNVERIFIED) and of esketamine, and which RxCUI is which ketamine
strength: the medication is exported with ``code.text`` only until they are checked
against RxNav.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final

from ketaclinic.instruments.registry import INSTRUMENTS

__all__ = [
    "ADMINISTRATION_ROUTES",
    "AE_OUTCOME",
    "AE_OUTCOME_CODES",
    "AE_SERIOUSNESS",
    "AE_SEVERITY",
    "AE_SEVERITY_CODES",
    "ENCOUNTER_CLASS_AMB",
    "ENCOUNTER_STATUS",
    "LOCAL_BASE",
    "LOINC",
    "MRN_TYPE",
    "OBSERVATION_CATEGORY",
    "SCORE_LOINC",
    "UCUM",
    "V2_0203",
    "V3_ACT_CODE",
    "VITAL_SIGNS",
    "VitalCode",
    "local_system",
]

LOINC: Final = "http://loinc.org"  # [LOINC]
UCUM: Final = "http://unitsofmeasure.org"  # [UCUM]
OBSERVATION_CATEGORY: Final = "http://terminology.hl7.org/CodeSystem/observation-category"
AE_SERIOUSNESS: Final = "http://terminology.hl7.org/CodeSystem/adverse-event-seriousness"
AE_SEVERITY: Final = "http://terminology.hl7.org/CodeSystem/adverse-event-severity"
AE_OUTCOME: Final = "http://terminology.hl7.org/CodeSystem/adverse-event-outcome"
V2_0203: Final = "http://terminology.hl7.org/CodeSystem/v2-0203"  # [V2]
V3_ACT_CODE: Final = "http://terminology.hl7.org/CodeSystem/v3-ActCode"  # [ACT]
MRN_TYPE: Final = "MR"  # [V2] table 0203: "Medical record number"
ENCOUNTER_CLASS_AMB: Final = "AMB"  # [ACT] "ambulatory"

#: Placeholder base of the local code systems and of the MRN identifier system (see the
#: module docstring); ``.invalid`` can never resolve, so it cannot collide with a real one.
LOCAL_BASE: Final = "https://ketaclinic.invalid/fhir"


def local_system(name: str, base: str = LOCAL_BASE) -> str:
    """The URI of the local code system ``name`` (``<base>/CodeSystem/<name>``)."""
    return f"{base}/CodeSystem/{name}"


@dataclass(frozen=True)
class VitalCode:
    """The FHIR R4 coding of one vital sign: LOINC codes (first = the profile's fixed code),
    UCUM unit code, the unit text, and the profile's canonical URL."""

    loinc: tuple[str, ...]
    ucum: str
    unit_text: str
    profile: str
    label: str


_SD = "http://hl7.org/fhir/StructureDefinition/"

#: Vital signs: LOINC and UCUM from [CPS] 4.2; profiles and fixed codes from [VS].
#: SpO2: the R4 oxygensat profile fixes LOINC 2708-6 ("a fixed Observation.code.coding.code
#: = '2708-6'; other additional Codings are allowed") and the sheet gives 59408-5 (by pulse
#: oximetry, the chair monitors' method) with 2708-6: both codings are written.
#: Temperature 8310-5 / Cel is UNVERIFIED on the sheet; confirmed by the R4 bodytemp profile
#: ("Observation.code.coding.code = '8310-5'"; "valueQuantity.code = 'Cel', or '[degF]'").
VITAL_SIGNS: Final[dict[str, VitalCode]] = {
    "bp": VitalCode(("85354-9",), "mm[Hg]", "mmHg", _SD + "bp", "Blood pressure"),
    "sbp_mmhg": VitalCode(("8480-6",), "mm[Hg]", "mmHg", _SD + "bp", "Systolic blood pressure"),
    "dbp_mmhg": VitalCode(("8462-4",), "mm[Hg]", "mmHg", _SD + "bp", "Diastolic blood pressure"),
    "hr_per_min": VitalCode(("8867-4",), "/min", "beats/minute", _SD + "heartrate", "Heart rate"),
    "spo2_pct": VitalCode(
        ("2708-6", "59408-5"), "%", "%", _SD + "oxygensat", "Oxygen saturation (pulse oximetry)"
    ),
    "rr_per_min": VitalCode(
        ("9279-1",), "/min", "breaths/minute", _SD + "resprate", "Respiratory rate"
    ),
    "temp_c": VitalCode(("8310-5",), "Cel", "C", _SD + "bodytemp", "Body temperature"),
}

#: LOINC codes of questionnaire totals, taken from the instrument definitions
#: (ketaclinic.instruments, which cite [CPS] section 3), not copied: PHQ-9 44261-6,
#: GAD-7 70274-6, C-SSRS screen 93374-7. C-SSRS 93374-7 is the *risk level*, a coded
#: answer, so its value is a CodeableConcept.
SCORE_LOINC: Final[dict[str, str]] = {
    i.id: i.loinc_total for i in INSTRUMENTS.values() if i.loinc_total is not None
}

#: Clinic severity (CTCAE v5 grade words) -> FHIR R4 AdverseEvent.severity [AE]. R4 has
#: three codes only: grades 4 and 5 map to ``severe`` and keep their word in ``text``.
AE_SEVERITY_CODES: Final[dict[str, str]] = {
    "mild": "mild",
    "moderate": "moderate",
    "severe": "severe",
    "life_threatening": "severe",
    "death": "severe",
}

#: Clinic outcome -> FHIR R4 AdverseEvent.outcome [AE].
AE_OUTCOME_CODES: Final[dict[str, str]] = {
    "resolved": "resolved",
    "resolving": "recovering",
    "not_resolved": "ongoing",
    "resolved_with_sequelae": "resolvedWithSequelae",
    "fatal": "fatal",
}

#: Session status -> FHIR R4 Encounter.status (hl7.org/fhir/R4/valueset-encounter-status.html).
ENCOUNTER_STATUS: Final[dict[str, str]] = {
    "scheduled": "planned",
    "in_progress": "in-progress",
    "completed": "finished",
    "cancelled": "cancelled",
}

#: Dosing-library routes (ketaclinic.dosing.protocol.ROUTES) -> route text. Not coded:
#: no source here confirmed the SNOMED CT route codes.
ADMINISTRATION_ROUTES: Final[dict[str, str]] = {
    "iv-infusion": "intravenous infusion",
    "im": "intramuscular",
    "sublingual": "sublingual",
    "oral": "oral",
    "intranasal": "intranasal",
}
