"""The dosing CLI, in process through ketaclinic.cli.app.main (exit codes 0 / 1 / 2)."""

import json

import pytest

from ketaclinic.cli.app import main


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out = capsys.readouterr()
    return code, out.out, out.err


def test_protocols_text(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "protocols")
    assert code == 0
    assert "depression-iv-40min v1" in out
    assert "esketamine-nasal-trd v1" in out
    assert "[local-default]" in out


def test_protocols_json(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "protocols", "--json")
    assert code == 0
    rows = json.loads(out)
    ids = {r["id"] for r in rows}
    assert "crps-iv-10day" in ids
    assert "im-depression" in ids
    dep = next(r for r in rows if r["id"] == "depression-iv-40min")
    assert dep["limits"]["dose_mg_per_kg"]["hard_max"]["value"] == 1.0


def test_dose_worked_example(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run(
        capsys,
        "dose",
        "--protocol",
        "depression-iv-40min",
        "--weight-kg",
        "70",
        "--dose-mg-per-kg",
        "0.5",
        "--concentration-mg-per-ml",
        "10",
    )
    assert code == 0, err
    assert "dose: 35 mg (0.5 mg/kg)" in out
    assert "volume: 3.5 mL at 10 mg/mL" in out
    assert "pump 5.25 mL/h over 40 min" in out


def test_dose_json(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(
        capsys, "dose", "--protocol", "depression-iv-40min", "--weight-kg", "70", "--json"
    )
    assert code == 0
    d = json.loads(out)
    assert (d["dose_mg"], d["volume_ml"], d["pump_rate_ml_per_h"]) == (35.0, 3.5, 5.25)


def test_refused_dose_exits_1_with_the_refusal_line(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run(
        capsys,
        "dose",
        "--protocol",
        "depression-iv-40min",
        "--weight-kg",
        "70",
        "--dose-mg-per-kg",
        "5",
    )
    assert code == 1
    assert out == ""
    assert err.startswith(
        "error: dose_mg_per_kg must be <= 1 mg/kg for protocol depression-iv-40min v1 "
        "(hard limit), got 5 mg/kg"
    )
    assert err.count("\n") == 1


def test_override_with_second_clinician(capsys: pytest.CaptureFixture[str]) -> None:
    args = [
        "dose",
        "--protocol",
        "depression-iv-40min",
        "--weight-kg",
        "70",
        "--dose-mg-per-kg",
        "1",
        "--ordered-by",
        "Dr A",
    ]
    code, _, err = run(capsys, *args)
    assert code == 1
    assert "override needs a reason and a second clinician" in err
    code, _, err = run(capsys, *args, "--override-reason", "partial responder")
    assert code == 1
    assert "needs a second clinician" in err
    code, _, err = run(capsys, *args, "--second-clinician", "Dr B")
    assert code == 1
    assert "needs an override reason" in err
    code, _, err = run(
        capsys, *args, "--override-reason", "partial responder", "--second-clinician", "Dr A"
    )
    assert code == 1
    assert "different from the ordering clinician" in err
    code, out, err = run(
        capsys,
        *args,
        "--override-reason",
        "partial responder",
        "--second-clinician",
        "Dr B",
        "--json",
    )
    assert code == 0, err
    d = json.loads(out)
    assert d["override"] == {
        "reason": "partial responder",
        "second_clinician": "Dr B",
        "ordering_clinician": "Dr A",
    }
    assert {v["field"] for v in d["overridden"]} == {"dose_mg_per_kg", "rate_mg_per_kg_per_h"}


def test_unknown_protocol_exits_1(capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = run(capsys, "dose", "--protocol", "ketamine", "--weight-kg", "70")
    assert code == 1
    assert "protocol 'ketamine' not found; known protocols:" in err


def test_concentration_not_in_list_exits_1(capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = run(
        capsys,
        "dose",
        "--protocol",
        "depression-iv-40min",
        "--weight-kg",
        "70",
        "--concentration-mg-per-ml",
        "100",
    )
    assert code == 1
    assert "concentration_mg_per_ml must be one of 10, 5 mg/mL" in err


def test_esketamine_devices_and_times(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(
        capsys,
        "dose",
        "--protocol",
        "esketamine-nasal-trd",
        "--weight-kg",
        "70",
        "--dose-mg",
        "84",
        "--session",
        "2",
        "--start",
        "2026-01-05T09:00",
    )
    assert code == 0
    assert "device 3: 28 mg at 10 min" in out
    assert "monitor until at least: 130 min (2026-01-05T11:10)" in out


def test_bad_start_time_exits_1(capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = run(
        capsys,
        "dose",
        "--protocol",
        "esketamine-nasal-trd",
        "--weight-kg",
        "70",
        "--start",
        "tomorrow",
    )
    assert code == 1
    assert "start must be an ISO 8601 date-time" in err


def test_usage_error_exits_2(capsys: pytest.CaptureFixture[str]) -> None:
    code, _, _ = run(capsys, "dose", "--weight-kg", "70")
    assert code == 2
    code, _, _ = run(capsys, "dose", "--protocol", "x", "--weight-kg", "seventy")
    assert code == 2
