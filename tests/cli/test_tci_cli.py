"""``ketaclinic tci``, ``design`` and ``validate``, in-process through ``app.main``."""

import json
from pathlib import Path

import pytest

from ketaclinic.cli.app import main
from ketaclinic.pk.bands import NO_ANTIDEPRESSANT_CR
from ketaclinic.pk.models import get_model
from ketaclinic.pk.patient import Patient
from ketaclinic.pk.regimen import Dose, Regimen
from ketaclinic.pk.simulate import simulate

FAST = ["--max-rate-ml-per-h", "1200", "--concentration-mg-per-ml", "10"]


def _run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    code = main(list(args))
    out, err = capsys.readouterr()
    return code, out, err


def test_tci_effect_json(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = _run(
        capsys,
        "tci",
        "--model",
        "kamp-2020",
        "--weight-kg",
        "70",
        "--target-ng-per-ml",
        "200",
        "--site",
        "effect",
        "--duration-min",
        "30",
        *FAST,
        "--json",
    )
    assert code == 0
    d = json.loads(out)
    assert d["site"] == "effect"
    assert d["update_s"] == pytest.approx(10.0)
    # First program row: 22.2 mg in 10 s at 10 mg/mL = 800 mL/h (literature sheet 4.7).
    assert d["program"][0] == {"start_min": 0.0, "rate_ml_per_h": pytest.approx(800, rel=0.01)}
    assert d["program"][1]["rate_ml_per_h"] == 0.0
    assert max(d["effect_site_ng_per_ml"]) == pytest.approx(200.0, rel=0.02)
    assert d["total_volume_ml"] == pytest.approx(d["total_dose_mg"] / 10)


def test_tci_text_with_schedule(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    sched = tmp_path / "s.json"
    sched.write_text(
        json.dumps(
            [
                {"start_min": 0, "target_ng_per_ml": 50},
                {"start_min": 30, "target_ng_per_ml": 100},
                {"start_min": 60, "target_ng_per_ml": 150},
                {"start_min": 90, "target_ng_per_ml": 200},
            ]
        )
    )
    code, out, _ = _run(capsys, "tci", "--weight-kg", "70", "--schedule", str(sched), *FAST)
    assert code == 0
    assert "plasma targeting" in out
    assert "end: plasma 200 ng/mL" in out
    assert "more rate changes (--json for all)" in out
    assert "total dose" in out
    assert " mL)" in out


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--target-ng-per-ml", "1500"], "target_ng_per_ml must be below 1200 ng/mL"),
        (["--target-ng-per-ml", "200", "--site", "brain"], "site must be one of"),
        (["--target-ng-per-ml", "200", "--update-s", "0"], "update_s must be between 1 and 60 s"),
        ([], "give exactly one of --target-ng-per-ml or --schedule"),
        (
            ["--target-ng-per-ml", "200", "--max-rate-ml-per-h", "-5"],
            "max_rate_ml_per_h must be greater than 0",
        ),
    ],
)
def test_tci_bad_input_exits_1(
    capsys: pytest.CaptureFixture[str], args: list[str], message: str
) -> None:
    code, out, err = _run(capsys, "tci", "--weight-kg", "70", *args)
    assert code == 1
    assert out == ""
    assert message in err
    assert err.count("\n") == 1


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (
            '[{"start_min": 0, "target_ng_per_ml": 50}, {"start_min": 0, "target_ng_per_ml": 80}]',
            "strictly increasing, got 0 min then 0 min",
        ),
        ('[{"start_min": -1, "target_ng_per_ml": 50}]', "start_min must be at least 0 min"),
        ('[{"start_min": 0, "target_ng_per_ml": 50},', "invalid JSON at line 1"),
    ],
)
def test_tci_bad_schedule_files(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, content: str, message: str
) -> None:
    f = tmp_path / "s.json"
    f.write_text(content)
    code, out, err = _run(capsys, "tci", "--weight-kg", "70", "--schedule", str(f))
    assert code == 1
    assert out == ""
    assert message in err


def test_design_json_carries_the_statement(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = _run(
        capsys,
        "design",
        "--weight-kg",
        "70",
        "--end-of-infusion-ng-per-ml",
        "250",
        "--max-dissociation",
        "0.5",
        "--json",
    )
    assert code == 0
    d = json.loads(out)
    assert d["design"]["duration_min"] == 40.0
    assert d["design"]["end_of_infusion_ng_per_ml"] == pytest.approx(250.0)
    assert d["design"]["statement"] == NO_ANTIDEPRESSANT_CR
    assert d["window"]["statement"] == NO_ANTIDEPRESSANT_CR
    assert d["window"]["peak_plasma_ng_per_ml"] == pytest.approx(250.0, rel=1e-3)


def test_design_text_and_refusal(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = _run(
        capsys,
        "design",
        "--weight-kg",
        "70",
        "--auc-ng-h-per-ml",
        "500",
        "--max-dissociation",
        "0.4",
    )
    assert code == 0
    assert out.startswith("infuse 42 mg over ")
    assert NO_ANTIDEPRESSANT_CR in out
    code, out, err = _run(
        capsys,
        "design",
        "--weight-kg",
        "70",
        "--end-of-infusion-ng-per-ml",
        "250",
        "--max-dissociation",
        "0.3",
    )
    assert code == 1
    assert "cannot be kept" in err


DATA = """ID,TIME,AMT,RATE,CMT,EVID,DV,MDV,WT
1,0,35,52.5,1,1,.,1,70
1,0.6667,0,0,1,0,280,0,70
1,2,0,0,1,0,50,0,70
2,0,35,52.5,1,1,.,1,70
2,0.6667,0,0,1,0,230,0,70
2,2,0,0,1,0,60,0,70
"""


def test_validate_reports_metrics_and_plot(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    data = tmp_path / "d.csv"
    data.write_text(DATA)
    png = tmp_path / "pvo.png"
    code, out, _ = _run(
        capsys,
        "validate",
        "--model",
        "kamp-2020",
        "--data",
        str(data),
        "--plot",
        str(png),
        "--json",
    )
    assert code == 0
    d = json.loads(out)
    assert d["population_statistic"] == "median of individual values"
    assert len(d["subjects"]) == 2
    # Predictions from the engine (Kamp 2020: 253.1 ng/mL at 40 min, sheet section 2a).
    sim = simulate(
        get_model("kamp-2020"),
        Regimen((Dose("iv-infusion", 35, rate_mg_per_h=52.5),)),
        Patient(weight_kg=70),
        [0.6667 * 60, 120.0],
        effect_site=False,
    )
    pred = sim.plasma_ng_per_ml
    assert pred[0] == pytest.approx(253.1, abs=0.2)  # 40.002 min, just after the peak
    s1 = d["subjects"][0]
    pe = [(280 - pred[0]) / pred[0] * 100, (50 - pred[1]) / pred[1] * 100]
    assert s1["n"] == 2
    assert s1["mdpe_pct"] == pytest.approx((pe[0] + pe[1]) / 2, rel=1e-6)
    assert s1["mdape_pct"] == pytest.approx((abs(pe[0]) + abs(pe[1])) / 2, rel=1e-6)
    assert s1["divergence_pct_per_h"] == pytest.approx(
        (abs(pe[1]) - abs(pe[0])) / (2 - 0.6667), rel=1e-6
    )
    assert png.read_bytes()[:4] == b"\x89PNG"


def test_validate_malformed_file_names_line_and_column_and_writes_nothing(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    data = tmp_path / "d.csv"
    data.write_text(DATA.replace("1,2,0,0,1,0,50,0,70", "1,2,0,0,1,0,fifty,0,70"))
    png = tmp_path / "pvo.png"
    code, out, err = _run(capsys, "validate", "--data", str(data), "--plot", str(png))
    assert code == 1
    assert out == ""
    assert "line 4, column 7 (DV): must be a number, got 'fifty'" in err
    assert not png.exists()


def test_design_with_population(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = _run(
        capsys,
        "design",
        "--weight-kg",
        "70",
        "--end-of-infusion-ng-per-ml",
        "200",
        "--max-dissociation",
        "0.5",
        "--population-n",
        "200",
        "--seed",
        "2",
        "--json",
    )
    assert code == 0
    d = json.loads(out)
    pop = {p["band"]: p for p in d["window"]["population"]}
    assert pop["anaesthetic"]["probability_of_reaching"] == 0.0
    assert all(p["n"] == 200 for p in pop.values())
    assert any("no published IIV" in w for w in d["window"]["warnings"])


def test_design_population_probability(capsys: pytest.CaptureFixture[str]) -> None:
    args = (
        "design",
        "--model",
        "herd-2007",
        "--weight-kg",
        "70",
        "--end-of-infusion-ng-per-ml",
        "400",
        "--max-dissociation",
        "0.5",
        "--population-n",
        "100",
        "--seed",
        "3",
        "--max-probability",
        "0.1",
    )
    code, out, _ = _run(capsys, *args, "--json")
    assert code == 0
    d = json.loads(out)
    pd = d["population_design"]
    assert pd["statement"] == NO_ANTIDEPRESSANT_CR
    assert pd["model"] == "herd-2007"
    assert pd["inputs"]["seed"] == 3
    assert pd["probability_exceed"] <= 0.1
    assert pd["dose_mg"] < d["design"]["dose_mg"]
    p = pd["probability_reach_target"]
    assert pd["probability_reach_target_se"] == pytest.approx((p * (1 - p) / 100) ** 0.5)
    code, out, _ = _run(capsys, *args)
    assert code == 0
    assert "population (n 100, seed 3): infuse " in out
    code, _, err = _run(capsys, *args[:-1], "1.5")
    assert code == 1
    assert "max_probability" in err
    code, _, err = _run(capsys, *args[:9], "--max-probability", "0.1")
    assert code == 1
    assert "population-n" in err
