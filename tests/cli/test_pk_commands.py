"""``ketaclinic simulate`` and ``ketaclinic demo``, in-process through ``app.main``.

Reference values: Kamp 2020 3-compartment set, 0.5 mg/kg over 40 min at 70 kg, from the
PK/PD literature sheet, section 2a ([C]): 253.1 / 73.7 / 54.3 / 26.7 ng/mL at
40 / 80 / 110 / 230 min.
"""

import json
from pathlib import Path

import pytest

from ketaclinic.cli.app import main
from ketaclinic.pk.bands import NO_ANTIDEPRESSANT_CR
from ketaclinic.pk.models import all_models

KAMP_TABLE = {40.0: 253.1, 80.0: 73.7, 110.0: 54.3, 230.0: 26.7}
SHORTHAND = ["--weight-kg", "70", "--iv-infusion-mg-per-kg", "0.5", "--over-min", "40"]
REGIMEN = {
    "patient": {"weight_kg": 70, "age_years": 45, "sex": "female"},
    "doses": [
        {"route": "iv-infusion", "amount_mg": 35, "start_min": 0, "duration_min": 40},
        {"route": "iv-bolus", "amount_mg": 10, "start_min": 120},
    ],
}


def _run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    code = main(list(args))
    out, err = capsys.readouterr()
    return code, out, err


def _flat(text: str) -> str:
    """Usage errors come in a rich box that wraps at the terminal width: drop the box."""
    for ch in "│╭╮╰╯─":
        text = text.replace(ch, " ")
    return " ".join(text.split())


def _write(tmp_path: Path, obj: object, name: str = "regimen.json") -> Path:
    path = tmp_path / name
    path.write_text(obj if isinstance(obj, str) else json.dumps(obj), encoding="utf-8")
    return path


def _one_line_error(code: int, out: str, err: str, expected_code: int = 1) -> str:
    assert code == expected_code
    assert out == ""
    assert "Traceback" not in err
    lines = err.strip().splitlines()
    assert len(lines) == 1, err
    assert lines[0].startswith("error: ")
    return lines[0]


# ------------------------------------------------------------------ simulate: success


def test_simulate_json_shorthand_matches_the_reference_table(
    capsys: pytest.CaptureFixture[str],
) -> None:
    code, out, err = _run(
        capsys, "simulate", "--model", "kamp-2020", *SHORTHAND, "--times", "0:280:10", "--json"
    )
    assert code == 0, err
    obj = json.loads(out)  # exactly one JSON object on stdout
    assert set(obj) >= {
        "model",
        "time_min",
        "plasma_ng_per_ml",
        "effect_site_ng_per_ml",
        "metabolites",
        "summary",
        "warnings",
    }
    assert obj["model"] == "kamp-2020"
    assert obj["time_min"] == [10.0 * k for k in range(29)]
    plasma = dict(zip(obj["time_min"], obj["plasma_ng_per_ml"], strict=True))
    for t, ref in KAMP_TABLE.items():
        assert round(plasma[t], 1) == ref  # the table is printed to 0.1 ng/mL
    assert obj["summary"]["cmax_ng_per_ml"] == pytest.approx(253.1, rel=1e-3)
    assert obj["summary"]["tmax_min"] == 40.0
    # The default effect site is the measured Olofsen 2022 one.
    assert obj["effect_site"].startswith("olofsen-2022")
    assert len(obj["effect_site_ng_per_ml"]) == 29
    assert obj["metabolites"] == {}
    assert obj["warnings"] == []


def test_simulate_regimen_file_writes_csv_and_svg(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    regimen = _write(tmp_path, REGIMEN)
    csv, svg = tmp_path / "out.csv", tmp_path / "out.svg"
    code, out, err = _run(
        capsys,
        "simulate",
        "--model",
        "kamp-2020",
        "--regimen",
        str(regimen),
        "--times",
        "0:240:1",
        "--csv",
        str(csv),
        "--plot",
        str(svg),
        "--effect-site",
        "none",
    )
    assert code == 0, err
    lines = csv.read_text().splitlines()
    assert lines[0] == "time_min,plasma_ng_per_ml"
    assert len(lines) == 1 + 241
    row40 = lines[1 + 40].split(",")
    assert float(row40[0]) == 40.0
    assert float(row40[1]) == pytest.approx(253.1, rel=1e-3)
    assert b"<svg" in svg.read_bytes()[:500]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out.csv", "out.svg", "regimen.json"]
    # The readable table names the model, citation, version, patient and regimen.
    assert "kamp-2020 (version 1)" in out
    assert "doi:10.1097/ALN.0000000000003577" in out
    assert "70 kg, 45 years, female" in out
    assert "10 mg IV bolus at 120 min" in out
    assert "Effect site: none" in out
    assert "not a certified medical device" in out.lower()
    assert f"wrote {csv}" in out


def test_simulate_table_marks_a_constructed_effect_site(
    capsys: pytest.CaptureFixture[str],
) -> None:
    code, out, err = _run(
        capsys,
        "simulate",
        "--model",
        "kamp-2020",
        *SHORTHAND,
        "--effect-site",
        "opentiva-tpeak-1min",
    )
    assert code == 0, err
    assert "(CONSTRUCTED, not measured)" in out
    assert "WARNING: effect site opentiva-tpeak-1min uses a CONSTRUCTED ke0" in out
    # The default grid (every minute to 280 min) is thinned for reading.
    assert "(showing" in out
    assert "of 281 output times" in out


def test_simulate_records_extrapolation_warnings_in_json(
    capsys: pytest.CaptureFixture[str],
) -> None:
    code, out, _ = _run(
        capsys,
        "simulate",
        "--model",
        "kamp-2020",
        "--weight-kg",
        "200",
        "--iv-infusion-mg-per-kg",
        "0.5",
        "--over-min",
        "40",
        "--age-years",
        "95",
        "--sex",
        "male",
        "--times",
        "0:60:30",
        "--json",
    )
    assert code == 0
    warnings = json.loads(out)["warnings"]
    assert any(w.startswith("weight_kg 200 kg is outside the 40-150 kg") for w in warnings)
    assert any(w.startswith("age_years 95 years is outside the 18-90 years") for w in warnings)


# ------------------------------------------------------------------ simulate: errors


def test_malformed_json_names_line_and_column(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    regimen = _write(tmp_path, '{"patient": {"weight_kg": 70},\n  "doses": [,]}')
    line = _one_line_error(
        *_run(capsys, "simulate", "--model", "kamp-2020", "--regimen", str(regimen))
    )
    assert line == (f"error: {regimen} is not valid JSON: Expecting value at line 2, column 13")


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (
            {"amount_mg": -5},
            "error: doses[1].amount_mg must be greater than 0 mg, got -5 mg",
        ),
        ({"amount_mg": float("nan")}, "error: doses[1].amount_mg must be a finite number in mg"),
        ({"start_min": "two hours"}, "error: doses[1].start_min must be a number in min"),
        ({"dose_mg": 10}, "error: doses[1].dose_mg is not a known key; allowed keys are route"),
    ],
)
def test_bad_values_name_the_json_path(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, change: dict[str, object], message: str
) -> None:
    obj = json.loads(json.dumps(REGIMEN))
    obj["doses"][1].update(change)
    regimen = _write(tmp_path, json.dumps(obj))  # json.dumps writes NaN as the literal NaN
    line = _one_line_error(
        *_run(capsys, "simulate", "--model", "kamp-2020", "--regimen", str(regimen))
    )
    assert line.startswith(message), line


@pytest.mark.parametrize(
    ("times", "message"),
    [
        ("0:280:0", "error: --times STEP must be greater than 0 min (times must increase), got 0"),
        ("0:280:-1", "error: --times STEP must be greater than 0 min (times must increase)"),
        ("280:0:1", "error: --times STOP must be at least START (280 min)"),
        ("-5:10:1", "error: --times START must be at least 0 min, got -5 min"),
        ("0:nan:1", "error: --times STOP must be a finite number of min, got NaN"),
        ("0:100000000:1", "error: --times must be at most 2,000,000"),
    ],
)
def test_times_that_do_not_increase_are_refused(
    capsys: pytest.CaptureFixture[str], times: str, message: str
) -> None:
    line = _one_line_error(
        *_run(capsys, "simulate", "--model", "kamp-2020", *SHORTHAND, "--times", times)
    )
    assert line.startswith(message), line


@pytest.mark.parametrize("times", ["0:280", "a:b:c", "0:280:1:2"])
def test_malformed_times_are_a_usage_error(capsys: pytest.CaptureFixture[str], times: str) -> None:
    code, out, err = _run(capsys, "simulate", "--model", "kamp-2020", *SHORTHAND, "--times", times)
    assert code == 2
    assert out == ""
    assert "expected START:STOP:STEP in minutes" in _flat(err)


def test_unknown_model_lists_the_ids(capsys: pytest.CaptureFixture[str]) -> None:
    line = _one_line_error(*_run(capsys, "simulate", "--model", "kamp-2002", *SHORTHAND))
    assert line.startswith("error: model must be one of ")
    assert line.endswith("got 'kamp-2002'")
    for m in all_models():
        assert m.id in line


def test_route_the_model_cannot_take(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    route = "oral"
    able = [m.id for m in all_models() if route in m.routes]
    obj = {"patient": {"weight_kg": 70}, "doses": [{"route": route, "amount_mg": 50}]}
    model = next(m for m in all_models() if route not in m.routes)
    line = _one_line_error(
        *_run(capsys, "simulate", "--model", model.id, "--regimen", str(_write(tmp_path, obj)))
    )
    assert line.startswith(f"error: doses[0].route: model {model.id} cannot take route oral")
    assert line.endswith("models that can: " + (", ".join(able) or "none"))


def test_unknown_effect_site(capsys: pytest.CaptureFixture[str]) -> None:
    line = _one_line_error(
        *_run(capsys, "simulate", "--model", "kamp-2020", *SHORTHAND, "--effect-site", "x")
    )
    assert line.startswith("error: --effect-site must be one of olofsen-2022")
    assert line.endswith(", got x")


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--weight-kg", "-70"], "error: --weight-kg must be between 0.3 and 350 kg, got -70 kg"),
        (["--iv-infusion-mg-per-kg", "nan"], "error: --iv-infusion-mg-per-kg must be greater"),
        (["--iv-infusion-mg-per-kg", "-0.5"], "error: --iv-infusion-mg-per-kg must be greater"),
        (["--over-min", "0"], "error: --over-min must be greater than 0 min, got 0 min"),
        (["--over-min", "inf"], "error: --over-min must be a finite number in min, got infinity"),
    ],
)
def test_bad_shorthand_values(
    capsys: pytest.CaptureFixture[str], args: list[str], message: str
) -> None:
    values = dict(zip(SHORTHAND[::2], SHORTHAND[1::2], strict=True))
    values.update(dict(zip(args[::2], args[1::2], strict=True)))
    argv = [x for kv in values.items() for x in kv]
    line = _one_line_error(*_run(capsys, "simulate", "--model", "kamp-2020", *argv))
    assert line.startswith(message), line


def test_regimen_and_shorthand_are_mutually_exclusive(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    regimen = _write(tmp_path, REGIMEN)
    code, out, err = _run(
        capsys, "simulate", "--model", "kamp-2020", "--regimen", str(regimen), "--weight-kg", "70"
    )
    assert (code, out) == (2, "")
    assert "--regimen and the shorthand options (--weight-kg) are mutually exclusive" in _flat(err)


@pytest.mark.parametrize(
    ("args", "message"),
    [
        ([], "give --regimen FILE.json, or --weight-kg"),
        (["--weight-kg", "70"], "missing --iv-infusion-mg-per-kg, --over-min"),
    ],
)
def test_missing_regimen_is_a_usage_error(
    capsys: pytest.CaptureFixture[str], args: list[str], message: str
) -> None:
    code, out, err = _run(capsys, "simulate", "--model", "kamp-2020", *args)
    assert (code, out) == (2, "")
    assert message in _flat(err)


def test_missing_regimen_file_is_a_usage_error(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    code, _, err = _run(
        capsys, "simulate", "--model", "kamp-2020", "--regimen", str(tmp_path / "no.json")
    )
    assert code == 2
    assert "does not exist" in _flat(err)


@pytest.mark.parametrize(
    ("option", "name", "message"),
    [
        ("--plot", "plot.jpg", "the file name must end in .png or .svg, got 'plot.jpg'"),
        ("--plot", "missing-dir/plot.png", "does not exist"),
        ("--csv", "missing-dir/out.csv", "does not exist"),
        ("--csv", ".", "is a directory"),
    ],
)
def test_unwritable_outputs_are_refused_before_any_work(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, option: str, name: str, message: str
) -> None:
    target = tmp_path / name if name != "." else tmp_path
    code, out, err = _run(
        capsys, "simulate", "--model", "kamp-2020", *SHORTHAND, option, str(target)
    )
    assert (code, out) == (2, "")
    assert message in _flat(err)
    assert list(tmp_path.iterdir()) == []


def test_no_partial_output_on_a_domain_error(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    obj = {"patient": {"weight_kg": 70}, "doses": [{"route": "iv-bolus", "amount_mg": -1}]}
    regimen = _write(tmp_path, obj)
    csv, png = tmp_path / "a.csv", tmp_path / "a.png"
    code, out, err = _run(
        capsys,
        "simulate",
        "--model",
        "kamp-2020",
        "--regimen",
        str(regimen),
        "--csv",
        str(csv),
        "--plot",
        str(png),
        "--json",
    )
    _one_line_error(code, out, err)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["regimen.json"]


def test_an_existing_output_is_kept_on_error(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    csv = tmp_path / "keep.csv"
    csv.write_text("previous")
    code, out, err = _run(capsys, "simulate", "--model", "nope", *SHORTHAND, "--csv", str(csv))
    _one_line_error(code, out, err)
    assert csv.read_text() == "previous"


# ------------------------------------------------------------------ demo


def test_demo_prints_the_table_and_writes_the_plot(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    png = tmp_path / "demo.png"
    code, out, err = _run(capsys, "demo", "--plot", str(png))
    assert code == 0, err
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert "0.5 mg/kg IV over 40 min, 70 kg (35 mg)" in out
    assert "kamp-2020 (version 1)" in out
    assert "olofsen-2022: t1/2ke0 8.3 min" in out
    rows = {}
    for line in out.splitlines():
        cells = [c.strip() for c in line.strip("│ ").split("│")]
        if len(cells) == 4 and cells[0].replace(".", "").isdigit():
            rows[float(cells[0])] = cells
    assert sorted(rows) == [10.0 * k for k in range(29)]  # every 10 min to 280 min
    for t, ref in KAMP_TABLE.items():
        # format_number keeps 3 significant figures: 253.1 -> "253", 73.7 -> "73.7".
        assert float(rows[t][1]) == pytest.approx(ref, abs=0.51)
    assert rows[40.0][3] == "analgesic"  # 253 ng/mL: above the 100-250 band
    assert rows[20.0][3] == "analgesic + psychotomimetic"
    assert rows[230.0][3] == "below 100 ng/mL"
    flat = " ".join(out.split())
    assert " ".join(NO_ANTIDEPRESSANT_CR.split()) in flat
    assert "Not a certified medical device" in flat
    assert f"wrote {png}" in out


def test_demo_without_plot_writes_nothing(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    code, out, _ = _run(capsys, "demo")
    assert code == 0
    assert "wrote" not in out
    assert list(tmp_path.iterdir()) == []


def test_tiny_concentrations_show_the_display_floor() -> None:
    from ketaclinic.cli.render import _conc

    assert _conc(0.0) == "0"
    assert _conc(2.78e-14) == "< 0.01"
    assert _conc(0.0123) == "0.0123"
    assert _conc(253.1) == "253"


def test_write_outputs_leaves_nothing_when_one_write_fails(tmp_path: Path) -> None:
    from ketaclinic.cli.pk import write_outputs
    from ketaclinic.errors import InputError

    def good(tmp: Path) -> None:
        tmp.write_text("a")

    def failing(tmp: Path) -> None:
        raise OSError(28, "No space left on device")

    with pytest.raises(InputError, match=r"cannot write .*b\.csv: No space left on device"):
        write_outputs([(tmp_path / "a.png", good), (tmp_path / "b.csv", failing)])
    assert list(tmp_path.iterdir()) == []
    write_outputs([(tmp_path / "a.png", good)])
    assert [p.name for p in tmp_path.iterdir()] == ["a.png"]


# ------------------------------------------------------------------ simulate --window


def test_simulate_window_report_json(capsys: pytest.CaptureFixture[str]) -> None:
    """The therapeutic-window report for any regimen from the command line (issue 3):
    time in each band as the concentration curve gives it, peak as the literature sheet."""
    import numpy as np

    from ketaclinic.pk.models import get_model
    from ketaclinic.pk.patient import Patient
    from ketaclinic.pk.regimen import Dose, Regimen
    from ketaclinic.pk.simulate import simulate

    code, out, _ = _run(capsys, "simulate", "--model", "kamp-2020", *SHORTHAND, "--window",
                        "--json")  # fmt: skip
    assert code == 0
    w = json.loads(out)["window"]
    assert round(w["peak_plasma_ng_per_ml"], 1) == KAMP_TABLE[40.0]
    assert w["statement"] == NO_ANTIDEPRESSANT_CR
    fine = simulate(
        get_model("kamp-2020"),
        Regimen((Dose("iv-infusion", 35.0, duration_min=40.0),)),
        Patient(weight_kg=70.0),
        np.arange(0.0, 280.01, 0.25),
    )
    open_above = [b for b in w["bands"] if b["high_ng_per_ml"] is None]
    (analgesic,) = [b for b in open_above if b["low_ng_per_ml"] == 100.0]
    assert analgesic["minutes"] == pytest.approx(fine.time_above_ng_per_ml(100.0), abs=0.05)


def test_simulate_window_population_and_usage(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = _run(capsys, "simulate", "--model", "kamp-2020", *SHORTHAND, "--window",
                        "--window-n", "200")  # fmt: skip
    assert code == 0
    text = _flat(out)
    assert "predicted peak dissociation" in text
    assert "Monte-Carlo 95% CI" in text
    assert "200 virtual patients" in text
    code, out, err = _run(capsys, "simulate", "--model", "kamp-2020", *SHORTHAND,
                          "--window-n", "200")  # fmt: skip
    assert code == 2
    assert "needs --window" in _flat(err)
