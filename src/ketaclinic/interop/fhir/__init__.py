"""FHIR R4 export of a patient's record: plain records in, FHIR R4 JSON dicts out.

No web, database or CLI code here (STYLE.md "arrows point inward"): the clinic service
builds :class:`PatientExport` from its tables and calls :func:`bundle`.

- :mod:`.codes`: every code system, code and unit written, with its source;
- :mod:`.records`: the validated input records;
- :mod:`.resources`: the mapping (Patient, Encounter, Observation, Medication,
  MedicationAdministration, AdverseEvent, Bundle);
- :mod:`.check`: structural R4 checks that need no network.

Examples
--------
>>> import uuid
>>> from datetime import UTC, date, datetime
>>> from ketaclinic.monitoring.vitals import VitalSigns
>>> p = PatientRecord(uuid.UUID(int=1), "MRN-1", "Ada", "Lovelace", date(1980, 12, 10), "female")
>>> t = datetime(2026, 1, 1, 9, 0, tzinfo=UTC)
>>> v = VitalsRecord(uuid.UUID(int=2), VitalSigns(t, sbp_mmhg=128, dbp_mmhg=82, hr_per_min=71))
>>> b = bundle(PatientExport(p, vitals=(v,)), timestamp=t)
>>> [e["resource"]["resourceType"] for e in b["entry"]]
['Patient', 'Observation', 'Observation']
>>> problems(b)
[]
"""

from __future__ import annotations

from ketaclinic.interop.fhir.check import problems
from ketaclinic.interop.fhir.records import (
    AdministrationRecord,
    AdverseEventRecord,
    PatientExport,
    PatientRecord,
    RateSegment,
    ScoreRecord,
    SessionRecord,
    VitalsRecord,
)
from ketaclinic.interop.fhir.resources import bundle, fhir_datetime, urn

__all__ = [
    "AdministrationRecord",
    "AdverseEventRecord",
    "PatientExport",
    "PatientRecord",
    "RateSegment",
    "ScoreRecord",
    "SessionRecord",
    "VitalsRecord",
    "bundle",
    "fhir_datetime",
    "problems",
    "urn",
]
