"""FHIR R4 export of a patient's record (thin: services/fhir_export.py does the work)."""

from __future__ import annotations

import json
import uuid

from fastapi import APIRouter, Response

from ketaclinic.clinic.api.deps import Context
from ketaclinic.clinic.api.routes_patients import PHI
from ketaclinic.clinic.services import fhir_export

__all__ = ["FHIR_JSON", "router"]

#: The FHIR JSON media type (hl7.org/fhir/R4/http.html#mime-type).
FHIR_JSON = "application/fhir+json"

router = APIRouter(tags=["interoperability"])


@router.get(
    "/patients/{patient_id}/fhir",
    openapi_extra=PHI,
    response_class=Response,
    responses={200: {"content": {FHIR_JSON: {}}, "description": "FHIR R4 Bundle"}},
)
def export_patient(patient_id: uuid.UUID, ctx: Context) -> Response:
    """The patient's record as a FHIR R4 Bundle (type ``collection``): Patient, Encounter,
    vital-sign and questionnaire Observations, Medication, MedicationAdministration and
    AdverseEvent, with ``urn:uuid`` references resolving inside the bundle."""
    bundle = fhir_export.patient_bundle(ctx, patient_id)
    body = json.dumps(bundle, ensure_ascii=False, allow_nan=False, separators=(",", ":"))
    # a whole record of patient data: never kept by a browser or proxy cache
    return Response(
        content=body,
        media_type=f"{FHIR_JSON}; charset=utf-8",
        headers={"Cache-Control": "no-store"},
    )
