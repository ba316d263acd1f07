"""FHIR R4 export through the API (``GET /patients/{id}/fhir``) and the CLI (``ketaclinic
fhir export``), on SQLite and PostgreSQL, with data entered through the real routes and
with the demo clinic. Each bundle passes the structural R4 checks and the fhir.resources
models (tests/interop/test_fhir.py says which)."""

from __future__ import annotations

import json
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from ketaclinic.cli.app import main
from ketaclinic.clinic.db import make_engine
from ketaclinic.clinic.tables import AuditRecord, Patient
from ketaclinic.interop.fhir import problems
from tests.clinic.conftest import SECRET, Clinic, assert_error
from tests.clinic.orders_world import signed, start_body
from tests.clinic.world import build_world, ok
from tests.interop.test_fhir import r4_model_errors

P = "/api/v1"
LOINC = "http://loinc.org"


def _iso(dt: datetime) -> str:
    return dt.isoformat()


def _resources(bundle: dict[str, Any], kind: str) -> list[dict[str, Any]]:
    return [e["resource"] for e in bundle["entry"] if e["resource"]["resourceType"] == kind]


def _by_code(bundle: dict[str, Any], code: str) -> list[dict[str, Any]]:
    return [
        r
        for r in _resources(bundle, "Observation")
        if code in [c["code"] for c in r["code"].get("coding", [])]
    ]


def test_api_export_of_a_treated_session(clinic: Clinic) -> None:
    w = build_world(clinic)
    nurse = clinic.as_("nurse")
    t0 = datetime.now(UTC).replace(microsecond=0)
    vitals = {"measured_at": _iso(t0 - timedelta(minutes=1)), "sbp_mmhg": 131, "dbp_mmhg": 84,
              "hr_per_min": 77, "spo2_pct": 97, "rr_per_min": 15, "temp_c": 36.6}  # fmt: skip
    ok(
        clinic.client.post(
            f"{P}/sessions/{w.session_id}/readings",
            json=vitals,
            headers={**nurse, "Idempotency-Key": "fhir-1"},
        ),
        201,
    )
    answers = {f"item{i}": 1 for i in range(1, 10)} | {"item9": 0}
    phq = {"instrument_id": "phq-9", "answers": answers, "administered_at": _iso(t0),
           "session_id": w.session_id}  # fmt: skip
    ok(clinic.client.post(f"{P}/patients/{w.patient_id}/questionnaires", json=phq, headers=nurse),
       201)  # fmt: skip
    oid = signed(clinic, w)
    aid = ok(
        clinic.client.post(
            f"{P}/sessions/{w.session_id}/administrations",
            json=start_body(oid, at=datetime.now(UTC)),
            headers=nurse,
        ),
        201,
    )["id"]
    ok(
        clinic.client.post(
            f"{P}/administrations/{aid}/rate",
            json={"at": _iso(datetime.now(UTC)), "rate_mg_per_h": 40.0},
            headers={**nurse, "If-Match": '"1"'},
        )
    )
    ok(
        clinic.client.post(
            f"{P}/sessions/{w.session_id}/scores",
            json={"scale": "moaas", "measured_at": _iso(datetime.now(UTC)), "moaas": 4},
            headers=nurse,
        ),
        201,
    )
    ae = {"event_type": "hypertension", "severity": "moderate", "serious": False,
          "action_taken": "rate_reduced", "outcome": "resolved",
          "onset_at": _iso(datetime.now(UTC)), "administration_id": aid,
          "notes": "BP 182/96, rate lowered"}  # fmt: skip
    ok(clinic.client.post(f"{P}/sessions/{w.session_id}/adverse-events", json=ae, headers=nurse),
       201)  # fmt: skip
    ok(
        clinic.client.post(
            f"{P}/administrations/{aid}/stop",
            json={"stopped_at": _iso(datetime.now(UTC)), "amount_given_mg": 20.0},
            headers={**nurse, "If-Match": '"2"'},
        )
    )

    r = clinic.client.get(f"{P}/patients/{w.patient_id}/fhir", headers=clinic.as_("prescriber"))
    assert r.status_code == 200, r.text
    assert r.headers["content-type"].startswith("application/fhir+json")
    assert r.headers["cache-control"] == "no-store"
    bundle = r.json()
    assert problems(bundle) == []
    assert r4_model_errors(bundle) == []
    assert bundle["type"] == "collection"

    [patient] = _resources(bundle, "Patient")
    assert patient["id"] == w.patient_id
    assert patient["birthDate"] == "1980-12-10"
    [encounter] = _resources(bundle, "Encounter")
    assert encounter["id"] == w.session_id
    assert encounter["status"] == "in-progress"
    [bp] = _by_code(bundle, "85354-9")
    parts = {c["code"]["coding"][0]["code"]: c["valueQuantity"]["value"] for c in bp["component"]}
    assert parts == {"8480-6": 131, "8462-4": 84}
    assert bp["effectiveDateTime"] == (t0 - timedelta(minutes=1)).isoformat().replace("+00:00", "Z")
    assert _by_code(bundle, "8867-4")[0]["valueQuantity"]["value"] == 77
    assert _by_code(bundle, "59408-5")[0]["valueQuantity"]["code"] == "%"
    assert _by_code(bundle, "9279-1")[0]["valueQuantity"]["value"] == 15
    assert _by_code(bundle, "8310-5")[0]["valueQuantity"] == {
        "value": 36.6, "unit": "C", "system": "http://unitsofmeasure.org", "code": "Cel"
    }  # fmt: skip
    [phq9] = _by_code(bundle, "44261-6")
    assert phq9["valueInteger"] == 8
    assert phq9["interpretation"][0]["text"] == "mild"
    assert phq9["encounter"] == {"reference": f"urn:uuid:{w.session_id}"}
    [moaas] = _by_code(bundle, "moaas")
    assert moaas["valueInteger"] == 4

    [ma] = _resources(bundle, "MedicationAdministration")
    assert ma["id"] == aid
    assert ma["status"] == "stopped"  # 20 mg of the 35 mg ordered (70 kg x 0.5 mg/kg)
    assert ma["dosage"]["dose"]["value"] == 20
    assert ma["dosage"]["rateQuantity"]["value"] == 40
    [med] = _resources(bundle, "Medication")
    assert ma["medicationReference"] == {"reference": f"urn:uuid:{med['id']}"}
    assert med["batch"] == {"lotNumber": "LOT-2026-001"}
    assert med["code"] == {"text": "ketamine"}
    [event] = _resources(bundle, "AdverseEvent")
    assert event["suspectEntity"] == [{"instance": {"reference": f"urn:uuid:{aid}"}}]
    assert event["seriousness"]["coding"][0]["code"] == "non-serious"
    assert event["severity"]["coding"][0]["code"] == "moderate"
    assert "BP 182/96" not in json.dumps(bundle)  # free-text notes are not exported

    with Session(clinic.engine) as db:
        rec = db.scalars(select(AuditRecord).order_by(AuditRecord.seq.desc())).first()
    assert rec is not None
    assert (rec.event_type, rec.action, rec.patient_id) == (
        "patient.fhir_export",
        "R",
        w.patient_id,
    )
    assert rec.resource_ref == f"Bundle/{bundle['id']}?entries={len(bundle['entry'])}"


def test_unknown_patient_gets_the_error_shape(clinic: Clinic) -> None:
    missing = uuid.uuid4()
    r = clinic.client.get(f"{P}/patients/{missing}/fhir", headers=clinic.as_("nurse"))
    err = assert_error(r, 404, field="id")
    assert err["value"] == str(missing)
    assert_error(clinic.client.get(f"{P}/patients/not-a-uuid/fhir", headers=clinic.as_("nurse")),
                 422)  # fmt: skip


def test_cli_export_of_the_demo_clinic(
    db_url: str, tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("KETACLINIC_SECRET_KEY", SECRET)
    assert main(["demo-seed", "--database-url", db_url]) == 0
    capsys.readouterr()
    out = tmp_path / "export" / "demo-0001.json"
    args = ["fhir", "export", "--patient", "DEMO-0001", "--database-url", db_url]
    assert main([*args, "--out", str(out)]) == 0
    bundle = json.loads(out.read_text())
    assert f"to {out}" in capsys.readouterr().out
    assert problems(bundle) == []
    assert r4_model_errors(bundle) == []
    eng = make_engine(db_url)
    with Session(eng) as db:
        pat = db.scalars(select(Patient).where(Patient.mrn == "DEMO-0001")).one()
        rec = db.scalars(select(AuditRecord).order_by(AuditRecord.seq.desc())).first()
    eng.dispose()
    [patient] = _resources(bundle, "Patient")
    assert patient["id"] == str(pat.id)
    assert patient["identifier"][0]["value"] == "DEMO-0001"
    # demo: 6 past sessions + the one in progress; 8 readings each (BP, HR, SpO2, RR)
    assert len(_resources(bundle, "Encounter")) == 7
    assert len(_by_code(bundle, "85354-9")) == 48
    assert len(_by_code(bundle, "8867-4")) == 48
    assert _by_code(bundle, "44261-6")  # the demo PHQ-9 series
    assert _by_code(bundle, "70274-6")  # and GAD-7
    assert rec is not None
    assert (rec.event_type, rec.actor_kind, rec.patient_id) == (
        "patient.fhir_export", "system", str(pat.id)
    )  # fmt: skip
    assert rec.actor_id is not None
    assert rec.actor_id.startswith("cli:")
    # stdout: the same bundle
    assert main(args) == 0
    assert json.loads(capsys.readouterr().out)["entry"] == bundle["entry"]
    assert main(["audit", "verify", "--database-url", db_url]) == 0


def test_cli_unknown_mrn_exits_1_with_one_line(
    db_url: str, tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("KETACLINIC_SECRET_KEY", SECRET)
    assert main(["db", "upgrade", "--database-url", db_url]) == 0
    capsys.readouterr()
    out = tmp_path / "never.json"
    rc = main(["fhir", "export", "--patient", "NO-SUCH", "--database-url", db_url,
               "--out", str(out)])  # fmt: skip
    captured = capsys.readouterr()
    assert rc == 1
    assert captured.err == "error: no patient with MRN 'NO-SUCH'\n"
    assert captured.out == ""
    assert not out.exists()
