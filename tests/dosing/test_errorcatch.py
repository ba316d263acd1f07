"""The error-catch matrix (safety reference sheet goal G3): every generated error of x10
or more is refused by a hard limit; the docs quote the generated report verbatim."""

from pathlib import Path

import pytest

from ketaclinic.dosing.errorcatch import (
    ERROR_CLASSES,
    REFERENCE_PATIENTS,
    main,
    markdown_report,
    run_matrix,
    summarize,
)
from ketaclinic.dosing.library import default_library

CASES = run_matrix()
DOCS = Path(__file__).resolve().parents[2] / "docs" / "dosing.md"


def test_matrix_covers_every_protocol_patient_and_error() -> None:
    assert {c.protocol for c in CASES} == {p.ref for p in default_library()}
    assert {c.patient for c in CASES} == {p.label for p in REFERENCE_PATIENTS}
    assert {c.error for c in CASES} == {e.key for e in ERROR_CLASSES}
    assert [p.weight_kg for p in REFERENCE_PATIENTS] == [50, 70, 120]


@pytest.mark.parametrize("proto", sorted({c.protocol for c in CASES}))
def test_every_tenfold_or_larger_error_is_a_hard_refusal(proto: str) -> None:
    big = [c for c in CASES if c.protocol == proto and c.multiplier >= 10]
    assert big, proto
    not_hard = [c for c in big if c.outcome != "hard"]
    assert not_hard == []


def test_unit_errors_are_all_hard() -> None:
    for key in ("x10", "x16.67", "x60", "x1000"):
        mine = [c for c in CASES if c.error == key]
        assert mine, key
        assert all(c.outcome == "hard" for c in mine), key


def test_rate_variant_exists_for_infusions_only() -> None:
    infusions = {p.ref for p in default_library() if p.is_infusion}
    rate_protocols = {c.protocol for c in CASES if c.variant == "rate"}
    assert rate_protocols == infusions


def test_concentration_swaps_below_tenfold_are_the_known_gap() -> None:
    # A bag of a standard concentration programmed as another standard concentration
    # passes every limit (the order itself is right); the library rule keeps it < x10.
    conc = [c for c in CASES if c.error == "conc"]
    missed = [c for c in conc if c.outcome == "missed"]
    assert missed
    assert all(c.multiplier < 10 for c in missed)
    assert all(c.outcome == "hard" for c in conc if c.multiplier >= 10)


def test_summary_counts_add_up() -> None:
    s = summarize(CASES)
    assert sum(r["n"] for r in s.values()) == len(CASES)
    for r in s.values():
        assert r["n"] == r["hard"] + r["soft"] + r["missed"] + r["absorbed"]


def test_docs_quote_the_generated_report() -> None:
    report = markdown_report(CASES)
    assert report in DOCS.read_text(), (
        "docs/dosing.md is stale: regenerate with `python -m ketaclinic.dosing.errorcatch`"
    )


def test_main_prints_the_report(capsys: pytest.CaptureFixture[str]) -> None:
    assert main([]) == 0
    assert capsys.readouterr().out.strip() == markdown_report(CASES).strip()
