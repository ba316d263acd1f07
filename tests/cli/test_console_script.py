"""The installed console script (``.venv/bin/ketaclinic``) as a user runs it: exit codes,
one JSON object on stdout, one error line on stderr and no traceback."""

import json
import subprocess
import sys
from pathlib import Path

import pytest

SCRIPT = Path(sys.executable).parent / "ketaclinic"

pytestmark = pytest.mark.skipif(not SCRIPT.exists(), reason="console script not installed")


def _run(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(SCRIPT), *args], capture_output=True, text=True, timeout=120, cwd=cwd, check=False
    )


def test_simulate_json_and_csv(tmp_path: Path) -> None:
    proc = _run(
        "simulate",
        "--model",
        "kamp-2020",
        "--weight-kg",
        "70",
        "--iv-infusion-mg-per-kg",
        "0.5",
        "--over-min",
        "40",
        "--times",
        "0:230:10",
        "--json",
        "--csv",
        "out.csv",
        cwd=tmp_path,
    )
    assert proc.returncode == 0, proc.stderr
    assert proc.stderr == ""
    obj = json.loads(proc.stdout)
    plasma = dict(zip(obj["time_min"], obj["plasma_ng_per_ml"], strict=True))
    # Literature sheet, section 2a: Kamp 253.1 / 73.7 / 54.3 / 26.7 ng/mL.
    assert [round(plasma[t], 1) for t in (40.0, 80.0, 110.0, 230.0)] == [253.1, 73.7, 54.3, 26.7]
    assert (tmp_path / "out.csv").read_text().splitlines()[0].startswith("time_min,plasma")


def test_domain_error_is_one_line_with_exit_1(tmp_path: Path) -> None:
    (tmp_path / "r.json").write_text('{"patient": {"weight_kg": 70},\n"doses": [{"route": }]}')
    proc = _run(
        "simulate", "--model", "kamp-2020", "--regimen", "r.json", "--plot", "p.png", cwd=tmp_path
    )
    assert proc.returncode == 1
    assert proc.stdout == ""
    assert proc.stderr == (
        "error: r.json is not valid JSON: Expecting value at line 2, column 21\n"
    )
    assert sorted(p.name for p in tmp_path.iterdir()) == ["r.json"]


def test_negative_amount_names_the_json_path(tmp_path: Path) -> None:
    obj = {
        "patient": {"weight_kg": 70},
        "doses": [
            {"route": "iv-infusion", "amount_mg": 35, "duration_min": 40},
            {"route": "iv-bolus", "amount_mg": -5, "start_min": 120},
        ],
    }
    (tmp_path / "r.json").write_text(json.dumps(obj))
    proc = _run("simulate", "--model", "kamp-2020", "--regimen", "r.json", cwd=tmp_path)
    assert proc.returncode == 1
    assert proc.stderr == "error: doses[1].amount_mg must be greater than 0 mg, got -5 mg\n"


def test_usage_error_exits_2(tmp_path: Path) -> None:
    proc = _run(
        "simulate",
        "--model",
        "kamp-2020",
        "--regimen",
        "missing.json",
        cwd=tmp_path,
    )
    assert proc.returncode == 2
    assert proc.stdout == ""
    assert "Traceback" not in proc.stderr


def test_demo_writes_the_plot(tmp_path: Path) -> None:
    proc = _run("demo", "--plot", "demo-depression-infusion.png", cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    assert (tmp_path / "demo-depression-infusion.png").read_bytes()[:4] == b"\x89PNG"
    assert "Standard depression protocol" in proc.stdout
