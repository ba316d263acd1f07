"""NONMEM-style datasets (clinical-practice reference, section 4.3): round trip and
refusal of malformed files with the line and column."""

from pathlib import Path

import pytest

from ketaclinic.errors import InputError
from ketaclinic.interop.nonmem import (
    NonmemDataset,
    NonmemFormatError,
    Observation,
    Subject,
    parse_nonmem,
    plot_predicted_vs_observed,
    read_nonmem,
    to_nonmem_text,
    write_nonmem,
)
from ketaclinic.pk.regimen import Dose, Regimen

# The sheet's example: 70 kg, 0.5 mg/kg over 40 min = 35 mg at 52.5 mg/h into CMT 2.
GOOD = """# ketamine study
ID,TIME,AMT,RATE,CMT,EVID,DV,MDV,WT,AGE,SEX
1,0,35,52.5,2,1,.,1,70,45,female
1,0.6667,0,0,2,0,253,0,70,45,female
1,2,.,.,2,0,60.5,0,70,45,female
2,0,10,0,2,1,.,1,80,.,male
2,0.5,0,0,2,0,120,0,80,.,male
"""


def test_parse_the_sheet_example() -> None:
    ds = parse_nonmem(GOOD)
    assert [s.id for s in ds.subjects] == ["1", "2"]
    s1 = ds.subjects[0]
    d = s1.regimen.doses[0]
    assert d.route == "iv-infusion"
    assert d.amount_mg == 35
    assert d.infusion_duration_min == pytest.approx(40.0)
    assert s1.dose_cmt == (2,)
    assert [o.time_min for o in s1.observations] == pytest.approx([40.002, 120.0])
    assert s1.observations[0].conc_mg_per_l == pytest.approx(0.253)
    p = s1.patient()
    assert (p.weight_kg, p.age_years, p.sex) == (70.0, 45.0, "female")
    s2 = ds.subjects[1]
    assert s2.regimen.doses[0].route == "iv-bolus"
    assert s2.patient().age_years is None


def test_whitespace_separated_and_mg_per_l() -> None:
    text = "ID TIME AMT RATE CMT EVID DV MDV WT\n1 0 35 0 1 1 . 1 70\n1 1 0 0 1 0 0.2 0 70\n"
    ds = parse_nonmem(text, dv_unit="mg/L")
    assert ds.subjects[0].observations[0].conc_mg_per_l == pytest.approx(0.2)


def test_round_trip(tmp_path: Path) -> None:
    ds = parse_nonmem(GOOD)
    path = tmp_path / "data.csv"
    write_nonmem(path, ds)
    again = read_nonmem(path)
    assert again.subjects == ds.subjects
    assert to_nonmem_text(again) == path.read_text()


def test_export_from_objects_sorts_events_and_adds_dvid(tmp_path: Path) -> None:
    s = Subject(
        "7",
        Regimen((Dose("iv-infusion", 35, duration_min=40),)),
        (Observation(40.0, 0.25, dvid=1), Observation(0.0, 0.0, dvid=1)),
        {"WT": "70"},
    )
    text = to_nonmem_text([s])
    lines = text.splitlines()
    assert lines[0] == "ID,TIME,AMT,RATE,CMT,EVID,DV,MDV,DVID,WT"
    assert lines[1] == "7,0,35,52.5,1,1,.,1,.,70"
    assert lines[2] == "7,0,0,0,1,0,0,0,1,70"
    assert lines[3] == "7,0.6666666667,0,0,1,0,250,0,1,70"


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (
            GOOD.replace("1,2,.,.,2,0,60.5,0,70,45,female", "1,two,.,.,2,0,60.5,0,70,45,female"),
            "line 5, column 2 (TIME): must be a number, got 'two'",
        ),
        (
            GOOD.replace("2,0.5,0,0,2,0,120,0,80,.,male", "2,0.5,0,0,2,0,120,0,80"),
            "line 7, column 10: expected 11 columns, got 9",
        ),
        (
            GOOD.replace("1,2,.,.,2,0,60.5", "1,0.5,.,.,2,0,60.5"),
            "line 5, column 2 (TIME): times of subject 1 must not decrease, got 0.5 h after "
            "0.6667 h (line 4)",
        ),
        (GOOD.replace("2,0,10,0,2,1", "2,0,10,0,2,4"), "line 6, column 6 (EVID): must be 0"),
        (
            GOOD.replace("ID,TIME,AMT,RATE,CMT,EVID,DV,MDV", "ID,TIME,AMT,RATE,CMT,EVID,DV,XMDV"),
            "line 2 (MDV): required column MDV is missing",
        ),
        (GOOD.replace("35,52.5", "35,-1"), "line 3, column 4 (RATE): must be >= 0 mg/h"),
        (GOOD.replace("1,0,35,52.5", "1,0,0,52.5"), "line 3, column 3 (AMT): must be > 0 mg"),
        (
            GOOD.replace("1,0.6667,0,0,2,0,253,0", "1,0.6667,0,0,2,0,.,0"),
            "line 4, column 7 (DV): a value is required",
        ),
        (
            GOOD + "1,3,0,0,2,0,50,0,70,45,female\n",
            "line 8, column 1 (ID): rows of subject 1 must be contiguous",
        ),
        (
            GOOD.replace("1,0,35,52.5,2,1,.,1", "1,-1,35,52.5,2,1,.,1"),
            "line 3, column 2 (TIME): must be >= 0 h, got -1",
        ),
        (
            GOOD.replace("1,0,35,52.5,2,1,.,1", "1,0,35,52.5,2,1,.,0"),
            "line 3, column 8 (MDV): must be 1 on a dose row",
        ),
        (
            GOOD.replace("1,0,35,52.5,2,1,.,1", "1,0,9000,0,2,1,.,1"),
            "line 3, column 3 (AMT): amount_mg must be at most 5000 mg",
        ),
        ("# nothing\n", "line 1: the file has no header line"),
        ("ID,TIME,AMT,EVID,DV,MDV\n", "line 1: the file has no data rows"),
        (
            "ID,TIME,AMT,EVID,DV,MDV\n1,0,0,0,5,0\n",
            "line 2, column 4 (EVID): subject 1 has no dose",
        ),
    ],
)
def test_malformed_files_refused_with_line_and_column(text: str, message: str) -> None:
    with pytest.raises(NonmemFormatError) as exc:
        parse_nonmem(text)
    assert message in str(exc.value)


def test_addl_refused_and_numeric_sex_refused() -> None:
    text = "ID,TIME,AMT,EVID,DV,MDV,ADDL,II\n1,0,10,1,.,1,3,24\n"
    with pytest.raises(
        NonmemFormatError, match=r"line 2, column 7 \(ADDL\): ADDL is not supported"
    ):
        parse_nonmem(text)
    ds = parse_nonmem("ID,TIME,AMT,EVID,DV,MDV,WT,SEX\n1,0,10,1,.,1,70,1\n")
    with pytest.raises(InputError, match="numeric codes are ambiguous"):
        ds.subjects[0].patient()
    ds = parse_nonmem("ID,TIME,AMT,EVID,DV,MDV\n1,0,10,1,.,1\n")
    with pytest.raises(InputError, match="WT"):
        ds.subjects[0].patient()


def test_extravascular_route_by_cmt() -> None:
    ds = parse_nonmem("ID,TIME,AMT,CMT,EVID,DV,MDV\n1,0,56,1,1,.,1\n", cmt_routes={1: "intranasal"})
    assert ds.subjects[0].regimen.doses[0].route == "intranasal"


def test_invalid_export_writes_nothing(tmp_path: Path) -> None:
    bad = Subject("a b", Regimen((Dose("iv-bolus", 10),)))
    path = tmp_path / "out.csv"
    with pytest.raises(InputError, match="ID must be non-empty, without commas or spaces"):
        write_nonmem(path, NonmemDataset((bad,)))
    assert list(tmp_path.iterdir()) == []


def test_read_missing_file() -> None:
    with pytest.raises(InputError, match="data must be an existing file"):
        read_nonmem("/nonexistent/data.csv")


def test_plot_written_and_bad_extension_refused(tmp_path: Path) -> None:
    png = tmp_path / "pvo.png"
    plot_predicted_vs_observed(png, [100, 200], [110, 190], title="kamp-2020")
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    with pytest.raises(InputError, match=r"\.png or \.svg"):
        plot_predicted_vs_observed(tmp_path / "pvo.txt", [1], [1])
    assert sorted(p.name for p in tmp_path.iterdir()) == ["pvo.png"]
