"""Structural checks of a FHIR R4 Bundle that need no network and no terminology server.

:func:`problems` returns every violation found (an empty list means none), each naming
the entry and the element. What is checked, with its rule in the R4 specification
(hl7.org/fhir/R4):

- JSON representation (json.html): no ``null``, no empty string, array or object; every
  resource has a ``resourceType`` and an ``id`` matching ``[A-Za-z0-9\\-\\.]{1,64}``
  (datatypes.html#id).
- Bundle (bundle.html): ``type`` present; bdl-1/bdl-2/bdl-3 (no ``total``, ``search`` or
  ``request`` in a collection); bdl-7 (``fullUrl`` unique); every ``fullUrl`` is
  ``urn:uuid:`` + the resource's id; every ``reference`` resolves to a ``fullUrl`` of the
  bundle.
- Primitive formats (datatypes.html): ``dateTime``/``instant`` with a time carry a
  timezone; ``date`` is ``YYYY-MM-DD``; ``code`` has no leading/trailing whitespace.
- Coding (datatypes.html#Coding): ``system`` is an absolute URI and ``code`` is present.
- Quantity: a ``value`` and, with a ``code``, the UCUM ``system``.
- Required elements (1..1) and required bindings of each resource written here:
  Observation ``status``, ``code``; MedicationAdministration ``status``, ``medication[x]``,
  ``subject``, ``effective[x]`` and mad-1; AdverseEvent ``actuality``, ``subject``;
  Encounter ``status``, ``class``; Patient ``gender`` in the administrative-gender codes.
- Vital-signs profile (observation-vitalsigns.html): category ``vital-signs``, subject,
  effective[x], vs-2 (a value, a dataAbsentReason or components), vs-3 (component values),
  and the LOINC code / UCUM unit pairs of :data:`codes.VITAL_SIGNS` exactly.
- AdverseEvent codes are the R4 seriousness, severity and outcome codes.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Iterator
from typing import Any

from ketaclinic.interop.fhir import codes as c

__all__ = ["problems"]

_ID = re.compile(r"^[A-Za-z0-9\-.]{1,64}$")
# datatypes.html#dateTime; a time part requires a timezone (Z or +hh:mm / -hh:mm)
_DATETIME = re.compile(r"^\d{4}(-\d{2}(-\d{2}(T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2}))?)?)?$")
_INSTANT = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$")
_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_URI = re.compile(r"^(https?://\S+|urn:(uuid|oid):\S+)$")
_DATETIME_KEYS = {"effectiveDateTime", "start", "end", "date", "recordedDate", "timestamp"}
_INSTANT_KEYS = {"issued"}
_DATE_KEYS = {"birthDate"}
_CODE_KEYS = {"code", "status", "gender", "actuality", "type", "use", "resourceType"}

_REQUIRED: dict[str, tuple[tuple[str, ...], ...]] = {
    "Observation": (("status",), ("code",)),
    "MedicationAdministration": (
        ("status",),
        ("medicationCodeableConcept", "medicationReference"),
        ("subject",),
        ("effectiveDateTime", "effectivePeriod"),
    ),
    "AdverseEvent": (("actuality",), ("subject",)),
    "Encounter": (("status",), ("class",)),
    "Medication": (),
    "Patient": (),
}
_STATUS: dict[str, set[str]] = {
    # observation-status, medication-admin-status, encounter-status (R4 value sets)
    "Observation": {
        "registered", "preliminary", "final", "amended", "corrected", "cancelled",
        "entered-in-error", "unknown",
    },
    "MedicationAdministration": {
        "in-progress", "not-done", "on-hold", "completed", "entered-in-error", "stopped",
        "unknown",
    },
    "Encounter": {
        "planned", "arrived", "triaged", "in-progress", "onleave", "finished", "cancelled",
        "entered-in-error", "unknown",
    },
}  # fmt: skip
_GENDER = {"male", "female", "other", "unknown"}
_CONTACT_SYSTEMS = {"phone", "fax", "email", "pager", "url", "sms", "other"}
_AE_CODES = {
    "seriousness": (c.AE_SERIOUSNESS, {"non-serious", "serious"}),
    "severity": (c.AE_SEVERITY, {"mild", "moderate", "severe"}),
    "outcome": (
        c.AE_OUTCOME,
        {"resolved", "recovering", "ongoing", "resolvedWithSequelae", "fatal", "unknown"},
    ),
}
#: LOINC code -> UCUM unit of the vital signs written here (codes.VITAL_SIGNS).
_VITAL_UNIT = {code: vc.ucum for vc in c.VITAL_SIGNS.values() for code in vc.loinc}


def _walk(node: Any, path: str) -> Iterator[tuple[str, str, Any]]:
    """Every (path, key, value) below ``node``; list items get ``[i]`` in the path."""
    if isinstance(node, dict):
        for key, value in node.items():
            yield path, key, value
            yield from _walk(value, f"{path}.{key}")
    elif isinstance(node, list):
        for i, value in enumerate(node):
            yield from _walk(value, f"{path}[{i}]")


def _json_problems(resource: dict[str, Any], where: str) -> list[str]:
    out: list[str] = []
    for path, key, value in _walk(resource, where):
        at = f"{path}.{key}"
        if value is None or value in ("", [], {}):
            out.append(f"{at}: empty or null (json.html: not allowed)")
        elif isinstance(value, str):
            if key in _DATETIME_KEYS and not _DATETIME.match(value):
                out.append(f"{at}: {value!r} is not a dateTime with a timezone")
            if key in _INSTANT_KEYS and not _INSTANT.match(value):
                out.append(f"{at}: {value!r} is not an instant")
            if key in _DATE_KEYS and not _DATE.match(value):
                out.append(f"{at}: {value!r} is not a date")
            if key in _CODE_KEYS and value != value.strip():
                out.append(f"{at}: code {value!r} has surrounding whitespace")
            if key == "system" and ".telecom[" in path:  # ContactPoint.system is a code
                if value not in _CONTACT_SYSTEMS:
                    out.append(f"{at}: {value!r} is not a contact-point-system code")
            elif key == "system" and not _URI.match(value):
                out.append(f"{at}: system {value!r} is not an absolute URI")
        elif isinstance(value, dict):
            if "coding" in value:
                for i, coding in enumerate(value["coding"]):
                    if not coding.get("system") or not coding.get("code"):
                        out.append(f"{at}.coding[{i}]: a coding needs system and code")
            if (key.startswith("value") and key.endswith("Quantity")) or key in {
                "dose",
                "rateQuantity",
            }:
                if "value" not in value:
                    out.append(f"{at}: a Quantity needs a value")
                if "code" in value and value.get("system") != c.UCUM:
                    out.append(f"{at}: a coded Quantity needs the UCUM system")
    return out


def _codes(concept: Any, system: str) -> list[str]:
    if not isinstance(concept, dict):
        return []
    return [k["code"] for k in concept.get("coding", []) if k.get("system") == system]


def _vital_problems(obs: dict[str, Any], where: str) -> list[str]:
    out: list[str] = []
    cats = [code for cat in obs.get("category", []) for code in _codes(cat, c.OBSERVATION_CATEGORY)]
    if "vital-signs" not in cats:
        return out
    for name in ("subject", "effectiveDateTime"):
        if name not in obs:
            out.append(f"{where}: vital-signs profile needs {name}")
    has_value = any(k.startswith("value") for k in obs) or "dataAbsentReason" in obs
    if not has_value and "component" not in obs:
        out.append(f"{where}: vs-2: a value, a dataAbsentReason or components")
    parts = [(where, obs)] + [
        (f"{where}.component[{i}]", comp) for i, comp in enumerate(obs.get("component", []))
    ]
    for at, part in parts:
        loinc = _codes(part.get("code"), c.LOINC)
        if not loinc:
            out.append(f"{at}: a vital sign needs a LOINC code")
        if part is not obs and "valueQuantity" not in part and "dataAbsentReason" not in part:
            out.append(f"{at}: vs-3: a component value or dataAbsentReason")
        q = part.get("valueQuantity")
        if q is not None:
            units = {_VITAL_UNIT[code] for code in loinc if code in _VITAL_UNIT}
            if units and q.get("code") not in units:
                out.append(f"{at}: unit {q.get('code')!r} is not {sorted(units)} for {loinc}")
    return out


def _resource_problems(res: dict[str, Any], where: str) -> list[str]:
    out: list[str] = []
    kind = res.get("resourceType")
    if not isinstance(kind, str):
        return [f"{where}: no resourceType"]
    if not _ID.match(str(res.get("id", ""))):
        out.append(f"{where}: id {res.get('id')!r} is not a FHIR id")
    for alternatives in _REQUIRED.get(kind, ()):
        if not any(name in res for name in alternatives):
            out.append(f"{where}: {kind}.{'|'.join(alternatives)} is required (1..1)")
    if kind in _STATUS and res.get("status") not in _STATUS[kind]:
        out.append(f"{where}: {kind}.status {res.get('status')!r} is not an R4 status code")
    if kind == "Patient" and "gender" in res and res["gender"] not in _GENDER:
        out.append(f"{where}: Patient.gender {res['gender']!r} is not administrative-gender")
    if kind == "Observation":
        out += _vital_problems(res, where)
    if kind == "MedicationAdministration" and "dosage" in res:
        dosage = res["dosage"]
        if "dose" not in dosage and not any(k.startswith("rate") for k in dosage):
            out.append(f"{where}: mad-1: dosage needs a dose or a rate")
    if kind == "AdverseEvent":
        if res.get("actuality") not in {"actual", "potential"}:
            out.append(f"{where}: AdverseEvent.actuality {res.get('actuality')!r}")
        for name, (system, allowed) in _AE_CODES.items():
            if name in res:
                found = _codes(res[name], system)
                if not found or not set(found) <= allowed:
                    out.append(f"{where}: AdverseEvent.{name} {found} not in {sorted(allowed)}")
    return out


def problems(bundle: dict[str, Any]) -> list[str]:
    """Every structural R4 problem of ``bundle`` (see the module docstring); [] if none."""
    out: list[str] = []
    if bundle.get("resourceType") != "Bundle":
        return ["not a Bundle"]
    if "type" not in bundle:
        out.append("Bundle.type is required")
    btype = bundle.get("type")
    if "total" in bundle and btype not in {"searchset", "history"}:
        out.append("bdl-1: total only in a search or history")
    entries = bundle.get("entry", [])
    full_urls: list[str] = []
    for i, entry in enumerate(entries):
        where = f"entry[{i}]"
        if "search" in entry and btype != "searchset":
            out.append(f"{where}: bdl-2: search only in a searchset")
        if "request" in entry and btype not in {"batch", "transaction", "history"}:
            out.append(f"{where}: bdl-3: request only in a batch, transaction or history")
        full_url = entry.get("fullUrl", "")
        full_urls.append(full_url)
        res = entry.get("resource")
        if not isinstance(res, dict):
            out.append(f"{where}: no resource")
            continue
        try:
            ok = full_url == f"urn:uuid:{uuid.UUID(str(res.get('id')))}"
        except ValueError:
            ok = False
        if not ok:
            out.append(f"{where}: fullUrl {full_url!r} is not urn:uuid:<resource id>")
        out += _resource_problems(res, f"{where}({res.get('resourceType')})")
    if len(set(full_urls)) != len(full_urls):
        out.append("bdl-7: fullUrl values are not unique")
    out += _json_problems(bundle, "Bundle")
    known = set(full_urls)
    for path, key, value in _walk(bundle, "Bundle"):
        if key == "reference" and value not in known:
            out.append(f"{path}.reference: {value!r} does not resolve inside the bundle")
    return out
