"""``ketaclinic population``, in-process through ``app.main``.

Reference: with every virtual patient fixed to one 70-kg adult and a model without
published IIV (kamp-2020), every percentile is that patient's curve: 253.1 ng/mL at
40 min (literature sheet, section 2a), to within the percentile sketch's documented
relative error (2^-8 = 0.39%, ketaclinic.pk.quantiles).
"""

import io
import json
from pathlib import Path

import numpy as np
import pytest
from rich.console import Console

from ketaclinic.cli import render
from ketaclinic.cli.app import main

SKETCH_REL_ERROR = 2.0**-8
REGIMEN = {
    "patient": {"weight_kg": 70, "age_years": 45, "sex": "female"},
    "doses": [{"route": "iv-infusion", "amount_mg": 35, "start_min": 0, "duration_min": 40}],
}


@pytest.fixture
def regimen(tmp_path: Path) -> Path:
    path = tmp_path / "regimen.json"
    path.write_text(json.dumps(REGIMEN), encoding="utf-8")
    return path


def _run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    code = main(list(args))
    out, err = capsys.readouterr()
    return code, out, err


def test_fixed_patient_without_iiv_collapses_to_the_single_patient(
    capsys: pytest.CaptureFixture[str], regimen: Path
) -> None:
    code, out, err = _run(
        capsys,
        "population",
        "--model",
        "kamp-2020",
        "--regimen",
        str(regimen),
        "--n",
        "300",
        "--seed",
        "1",
        "--times",
        "0:280:10",
        "--threshold-ng-per-ml",
        "250",
        "--json",
    )
    assert code == 0, err
    obj = json.loads(out)
    assert obj["model"] == "kamp-2020"
    assert (obj["n"], obj["seed"]) == (300, 1)
    i40 = obj["time_min"].index(40.0)
    for q in ("p5", "p50", "p95"):
        assert obj["plasma_ng_per_ml"][q][i40] == pytest.approx(253.1, rel=SKETCH_REL_ERROR)
    # 253.1 ng/mL at 40 min is above 250 for everyone; 228 ng/mL at 30 min for no one.
    above = obj["probability_above"]["250_ng_per_ml"]
    assert above[i40] == 1.0
    assert above[obj["time_min"].index(30.0)] == 0.0
    assert any("no published IIV" in w for w in obj["warnings"])


def test_iiv_spreads_the_percentiles_and_the_seed_repeats_the_run(
    capsys: pytest.CaptureFixture[str], regimen: Path
) -> None:
    args = [
        "population",
        "--model",
        "herd-2007",
        "--regimen",
        str(regimen),
        "--n",
        "500",
        "--seed",
        "7",
        "--times",
        "0:120:5",
        "--json",
    ]
    code, first, _ = _run(capsys, *args)
    assert code == 0
    code, second, _ = _run(capsys, *args)
    assert first == second
    pct = json.loads(first)["plasma_ng_per_ml"]
    p5, p50, p95 = (np.array(pct[q][1:]) for q in ("p5", "p50", "p95"))
    assert np.all(p5 < p50)
    assert np.all(p50 < p95)
    summary = json.loads(first)["summary"]
    assert summary["cmax_ng_per_ml"]["p5"] < summary["cmax_ng_per_ml"]["p95"]


def test_table_and_plot(capsys: pytest.CaptureFixture[str], regimen: Path, tmp_path: Path) -> None:
    png = tmp_path / "pop.png"
    code, out, err = _run(
        capsys,
        "population",
        "--model",
        "herd-2007",
        "--regimen",
        str(regimen),
        "--n",
        "200",
        "--seed",
        "3",
        "--covariates",
        "herd-2007-children",
        "--times",
        "0:240:10",
        "--plot",
        str(png),
    )
    assert code == 0, err
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert "Virtual patients: 200 (seed 3" in out
    assert "Herd 2007 study population" in out
    assert "Inter-individual variability: V1, V2, CL, Q" in out
    assert "plasma P5" in out
    assert "plasma P95" in out
    assert "plasma Cmax (ng/mL)" in out
    assert "Not a certified medical device" in " ".join(out.split())
    assert f"wrote {png}" in out


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--n", "0"], "error: --n must be an integer from 1 to 100,000,000, got 0"),
        (["--n", "10", "--seed", "-1"], "error: --seed must be a non-negative integer, got -1"),
        (["--n", "10", "--times", "10:0:1"], "error: --times STOP must be at least START"),
        (["--n", "10", "--model", "nope"], "error: model must be one of kamp-2020"),
    ],
)
def test_domain_errors(
    capsys: pytest.CaptureFixture[str], regimen: Path, args: list[str], message: str
) -> None:
    argv = ["population", "--model", "kamp-2020", "--regimen", str(regimen), *args]
    code, out, err = _run(capsys, *argv)
    assert (code, out) == (1, "")
    assert len(err.strip().splitlines()) == 1
    assert err.startswith(message), err


def test_malformed_regimen_names_line_and_column(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    bad = tmp_path / "bad.json"
    bad.write_text('{"patient": {"weight_kg": 70}, "doses": [}', encoding="utf-8")
    png = tmp_path / "p.png"
    code, out, err = _run(
        capsys,
        "population",
        "--model",
        "kamp-2020",
        "--regimen",
        str(bad),
        "--n",
        "10",
        "--plot",
        str(png),
    )
    assert (code, out) == (1, "")
    assert err.strip().endswith("at line 1, column 42")
    assert not png.exists()


def test_n_must_be_an_integer(capsys: pytest.CaptureFixture[str], regimen: Path) -> None:
    code, out, _ = _run(
        capsys, "population", "--model", "kamp-2020", "--regimen", str(regimen), "--n", "many"
    )
    assert (code, out) == (2, "")


def test_progress_bar_stays_silent_for_short_runs(capsys: pytest.CaptureFixture[str]) -> None:
    with render.progress_reporter(100, delay_s=60.0) as advance:
        advance(50)
        advance(100)
    assert capsys.readouterr() == ("", "")


def test_progress_bar_appears_after_the_delay(monkeypatch: pytest.MonkeyPatch) -> None:
    buf = io.StringIO()
    fake = Console(file=buf, force_terminal=True, width=100)
    monkeypatch.setattr(render, "console", lambda **_: fake)
    with render.progress_reporter(100, description="virtual patients", delay_s=0.0) as advance:
        advance(40)
        advance(100)
    assert "virtual patients" in buf.getvalue()
