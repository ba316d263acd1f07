"""Scoring of every shipped instrument on worked examples, band cut-offs and bad input.

Cut-offs are the published ones (each instrument's ``bands_source``): PHQ-9 5/10/15/20
(Kroenke 2001), GAD-7 5/10/15 (Spitzer 2006), QIDS-SR16 6/11/16/21 (ids-qids.org), HAM-D17
8/17/24 (Zimmerman 2013), BDI-II 14/20/29 (Beck 1996), Y-BOCS 8/16/24/32 (Goodman 1989),
MADRS 11/21/31 (secondary), PCL-5 33 (Bovin 2016).
"""

import doctest

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

import ketaclinic.instruments as inst_pkg
from ketaclinic.errors import InputError, NotFoundError
from ketaclinic.instruments import (
    BDI2,
    CSSRS_SCREEN,
    GAD7,
    HAMD17,
    INSTRUMENTS,
    MADRS,
    PCL5,
    PEG3,
    PHQ9,
    QIDS_SR16,
    YBOCS,
    Instrument,
    Item,
    Licence,
    analytics,
    batch,
    get_instrument,
    model,
    outcome,
    score,
    score_matrix,
    scoring,
)


def answers(instrument: Instrument, values: list[int]) -> dict[str, int]:
    return {item.id: v for item, v in zip(instrument.items, values, strict=True)}


def total_for(instrument: Instrument, total: int) -> dict[str, int]:
    """Fill items greedily up to ``total`` (sum-scored instruments)."""
    out, left = {}, total
    for item in instrument.items:
        v = min(item.max_value, left)
        out[item.id] = v
        left -= v
    assert left == 0
    return out


@pytest.mark.parametrize(
    ("instrument", "cuts"),
    [
        (
            PHQ9,
            [
                (4, "minimal"),
                (5, "mild"),
                (9, "mild"),
                (10, "moderate"),
                (14, "moderate"),
                (15, "moderately severe"),
                (19, "moderately severe"),
                (20, "severe"),
                (27, "severe"),
            ],
        ),
        (
            GAD7,
            [
                (4, "minimal"),
                (5, "mild"),
                (10, "moderate"),
                (14, "moderate"),
                (15, "severe"),
                (21, "severe"),
            ],
        ),
        (
            HAMD17,
            [
                (7, "normal"),
                (8, "mild"),
                (16, "mild"),
                (17, "moderate"),
                (23, "moderate"),
                (24, "severe"),
                (52, "severe"),
            ],
        ),
        (
            BDI2,
            [
                (13, "minimal"),
                (14, "mild"),
                (19, "mild"),
                (20, "moderate"),
                (28, "moderate"),
                (29, "severe"),
                (63, "severe"),
            ],
        ),
        (
            YBOCS,
            [
                (7, "subclinical"),
                (8, "mild"),
                (15, "mild"),
                (16, "moderate"),
                (24, "severe"),
                (31, "severe"),
                (32, "extreme"),
                (40, "extreme"),
            ],
        ),
        (MADRS, [(10, "0-10"), (11, "11-20"), (21, "21-30"), (30, "21-30"), (31, "> 30")]),
        (PCL5, [(32, "below provisional PTSD cut-off"), (33, "provisional PTSD (>= 33)")]),
    ],
)
def test_band_cut_offs(instrument: Instrument, cuts: list[tuple[int, str]]) -> None:
    for total, label in cuts:
        s = score(instrument, total_for(instrument, total))
        assert (s.total, s.band) == (total, label)


def test_hamd17_item_ranges_give_total_52() -> None:
    # Hamilton 1960 / Williams structure: nine items 0-4 and eight items 0-2 -> max 52.
    assert sum(i.max_value for i in HAMD17.items) == 52
    assert [i.max_value for i in HAMD17.items].count(2) == 8
    with pytest.raises(InputError, match=r"ham-d17.item4 must be an integer from 0 to 2, got 3"):
        score(HAMD17, {**total_for(HAMD17, 0), "item4": 3})


def test_qids_sr16_domain_rule_worked_example() -> None:
    # Worked by hand from the Rush 2003 rule: sleep max(1,3,0,2)=3; mood 2; appetite/weight
    # max(0,2,1,0)=2; items 10-14 = 1+2+1+2+3 = 9; psychomotor max(1,2)=2 -> 18 ("severe").
    v = [1, 3, 0, 2, 2, 0, 2, 1, 0, 1, 2, 1, 2, 3, 1, 2]
    s = score(QIDS_SR16, answers(QIDS_SR16, v))
    assert s.total == 18
    assert s.band == "severe"
    assert s.subscale("sleep") == 3
    assert s.subscale("appetite/weight") == 2
    assert s.subscale("psychomotor") == 2
    # A plain sum would have given 23: the domain maxima matter.
    assert sum(v) == 23
    # All items at 3 -> 27 (the 0-27 range), all 0 -> 0.
    assert score(QIDS_SR16, answers(QIDS_SR16, [3] * 16)).total == 27
    assert score(QIDS_SR16, answers(QIDS_SR16, [0] * 16)).band == "none"


@given(st.lists(st.integers(0, 3), min_size=16, max_size=16))
def test_qids_scalar_and_vectorised_agree(v: list[int]) -> None:
    s = score(QIDS_SR16, answers(QIDS_SR16, v))
    expected = max(v[0:4]) + v[4] + max(v[5:9]) + sum(v[9:14]) + max(v[14:16])
    assert s.total == expected
    t = score_matrix(QIDS_SR16, np.array([v]))
    assert t.totals[0] == expected
    assert t.bands[0] == s.band


def test_peg3_is_the_mean() -> None:
    # Krebs 2009: PEG score = mean of the three items.
    s = score(PEG3, {"pain": 6, "enjoyment": 7, "activity": 5})
    assert s.total == pytest.approx(6.0)
    assert score(PEG3, {"pain": 10, "enjoyment": 0, "activity": 1}).total == pytest.approx(11 / 3)
    assert s.band is None


def test_ybocs_subscales() -> None:
    s = score(YBOCS, answers(YBOCS, [4, 3, 3, 2, 2, 1, 1, 0, 0, 1]))
    assert (s.total, s.subscale("obsessions"), s.subscale("compulsions")) == (17, 14, 3)
    assert s.band == "moderate"


def test_pcl5_clusters_and_dsm_rule() -> None:
    # Endorsed (>= 2): B item 1, C item 6, D items 8 and 9, E items 15 and 16 -> rule met.
    v = [0] * 20
    for i in (1, 6, 8, 9, 15, 16):
        v[i - 1] = 2
    s = score(PCL5, answers(PCL5, v))
    assert s.total == 12
    assert [(k, s.subscale(k)) for k in ("cluster B", "cluster C", "cluster D", "cluster E")] == [
        ("cluster B", 2),
        ("cluster C", 2),
        ("cluster D", 4),
        ("cluster E", 4),
    ]
    assert s.findings == ("provisional PTSD (DSM-5 symptom-cluster rule)",)
    # One D item short of the rule: not met, even with a higher total of 1s elsewhere.
    v[8] = 1
    v[1:5] = [1, 1, 1, 1]
    assert score(PCL5, answers(PCL5, v)).findings == ()


def test_phq9_item9_flag_reaches_the_prescriber() -> None:
    s = score(PHQ9, answers(PHQ9, [0] * 8 + [1]))
    (flag,) = s.flags
    assert (flag.code, flag.item_id, flag.value, flag.notify) == (
        "phq9-item9",
        "item9",
        1,
        "prescriber",
    )
    assert s.band == "minimal"  # a low total does not hide the flag
    assert score(PHQ9, answers(PHQ9, [3] * 8 + [0])).flags == ()


@pytest.mark.parametrize(
    ("given_answers", "level", "band"),
    [
        ({"q1": 0, "q2": 0, "q6": 0}, 0, "no risk identified"),
        ({"q1": 1, "q2": 0, "q6": 0}, 1, "low"),
        ({"q1": 1, "q2": 1, "q3": 0, "q4": 0, "q5": 0, "q6": 0}, 1, "low"),
        ({"q1": 1, "q2": 1, "q3": 1, "q4": 0, "q5": 0, "q6": 0}, 2, "moderate"),
        ({"q1": 0, "q2": 0, "q6": 1, "q6_past_3_months": 0}, 2, "moderate"),
        ({"q1": 1, "q2": 1, "q3": 1, "q4": 1, "q5": 0, "q6": 0}, 3, "high"),
        ({"q1": 1, "q2": 1, "q3": 1, "q4": 1, "q5": 1, "q6": 0}, 3, "high"),
        ({"q1": 0, "q2": 0, "q6": 1, "q6_past_3_months": 1}, 3, "high"),
    ],
)
def test_cssrs_screen_triage(given_answers: dict[str, int], level: int, band: str) -> None:
    s = score(CSSRS_SCREEN, given_answers)
    assert (s.total, s.band) == (level, band)
    assert [f.code for f in s.flags] == (["cssrs-high-risk"] if level == 3 else [])


def test_cssrs_skip_logic_is_enforced() -> None:
    with pytest.raises(InputError, match="q3-q5"):
        score(CSSRS_SCREEN, {"q1": 0, "q2": 0, "q3": 1, "q6": 0})
    with pytest.raises(InputError, match="q6_past_3_months"):
        score(CSSRS_SCREEN, {"q1": 0, "q2": 0, "q6": 0, "q6_past_3_months": 1})
    with pytest.raises(InputError, match=r"c-ssrs-screen.q3 must be answered"):
        score(CSSRS_SCREEN, {"q1": 1, "q2": 1, "q6": 0})
    with pytest.raises(InputError, match=r"q6_past_3_months must be answered"):
        score(CSSRS_SCREEN, {"q1": 0, "q2": 0, "q6": 1})


@pytest.mark.parametrize(
    ("bad", "message"),
    [
        ({"item1": True}, r"phq-9.item1 must be an integer from 0 to 3, got true"),
        ({"item1": 4}, r"phq-9.item1 must be an integer from 0 to 3, got 4"),
        ({"item1": -1}, r"got -1"),
        ({"item1": 1.5}, r"got 1.5"),
        ({"item1": float("nan")}, r"got NaN"),
        ({"item1": "2"}, r"got 2"),
    ],
)
def test_bad_answers_are_refused(bad: dict[str, object], message: str) -> None:
    with pytest.raises(InputError, match=message) as err:
        score(PHQ9, {**total_for(PHQ9, 0), **bad})
    assert err.value.field == "phq-9.item1"


def test_missing_and_unknown_items_are_refused() -> None:
    a = total_for(PHQ9, 3)
    del a["item9"]
    with pytest.raises(InputError, match=r"phq-9.item9 must be answered"):
        score(PHQ9, a)
    with pytest.raises(InputError, match=r"phq-9 item must be one of .* got item10"):
        score(PHQ9, {**total_for(PHQ9, 3), "item10": 0})


def test_integral_floats_and_numpy_integers_are_accepted() -> None:
    a = {k: np.int64(v) for k, v in total_for(PHQ9, 11).items()}
    assert score(PHQ9, a).total == 11
    assert score(PHQ9, {**total_for(PHQ9, 11), "item1": 3.0}).total == 11


@pytest.mark.parametrize("instrument", list(INSTRUMENTS.values()), ids=list(INSTRUMENTS))
def test_licences_control_item_text(instrument: Instrument) -> None:
    has_text = [bool(i.text) for i in instrument.items]
    if instrument.id in ("phq-9", "gad-7", "pcl-5"):
        assert instrument.licence.kind == "open"
        assert all(has_text)
    else:
        assert not any(has_text), "licensee supplies the text"
    assert instrument.licence.holder
    assert instrument.licence.terms
    assert instrument.licence.source


def test_text_under_a_restricted_licence_is_refused() -> None:
    with pytest.raises(InputError, match="licence does not allow embedding item text"):
        Instrument(
            id="x",
            name="x",
            version="1",
            citation="c",
            licence=Licence("restricted", "holder", "terms", "src"),
            items=(Item("item1", 0, 3, text="copyrighted words"),),
            scoring="sum",
            total_min=0,
            total_max=3,
            bands=(),
            bands_source="",
            bands_provenance="UNVERIFIED",
        )


def test_bands_must_cover_the_range_without_gaps() -> None:
    from ketaclinic.instruments import Band

    kwargs = {
        "id": "x",
        "name": "x",
        "version": "1",
        "citation": "c",
        "licence": Licence("open", "h", "t", "s"),
        "items": (Item("item1", 0, 9),),
        "scoring": "sum",
        "total_min": 0,
        "total_max": 9,
        "bands_source": "",
        "bands_provenance": "S",
    }
    with pytest.raises(InputError, match="contiguous"):
        Instrument(bands=(Band("a", 0, 4), Band("b", 6, 9)), **kwargs)  # type: ignore[arg-type]
    with pytest.raises(InputError, match="to cover 0-9"):
        Instrument(bands=(Band("a", 0, 4), Band("b", 5, 8)), **kwargs)  # type: ignore[arg-type]


def test_loinc_codes_and_registry() -> None:
    assert (PHQ9.loinc_panel, PHQ9.loinc_total) == ("44249-1", "44261-6")
    assert (GAD7.loinc_panel, GAD7.loinc_total) == ("69737-5", "70274-6")
    assert CSSRS_SCREEN.loinc_panel == "93373-9"
    assert get_instrument("madrs") is MADRS
    assert len(INSTRUMENTS) == 11
    with pytest.raises(NotFoundError, match="instrument_id must be one of"):
        get_instrument("phq-8")


@given(
    st.sampled_from(["phq-9", "gad-7", "pcl-5", "madrs", "ham-d17", "bdi-ii", "y-bocs"]), st.data()
)
def test_sum_scored_total_band_and_vectorised_agree(
    instrument_id: str, data: st.DataObject
) -> None:
    instrument = INSTRUMENTS[instrument_id]
    v = [data.draw(st.integers(i.min_value, i.max_value)) for i in instrument.items]
    s = score(instrument, answers(instrument, v))
    assert s.total == sum(v)
    assert instrument.total_min <= s.total <= instrument.total_max
    band = next(b for b in instrument.bands if b.label == s.band)
    assert band.low <= s.total <= band.high
    t = score_matrix(instrument, np.array([v]))
    assert (t.totals[0], t.bands[0]) == (s.total, s.band)


def test_score_matrix_refuses_bad_input() -> None:
    with pytest.raises(InputError, match=r"phq-9.item3 \(row 1\) must be an integer from 0 to 3"):
        score_matrix(PHQ9, np.array([[0] * 9, [0, 0, 4] + [0] * 6]))
    with pytest.raises(InputError, match="answers shape"):
        score_matrix(PHQ9, np.zeros((2, 8), dtype=int))
    with pytest.raises(InputError, match="integer array"):
        score_matrix(PHQ9, np.zeros((2, 9)))
    with pytest.raises(InputError, match="instrument"):
        score_matrix(CSSRS_SCREEN, np.zeros((1, 7), dtype=int))


@pytest.mark.parametrize("module", [inst_pkg, model, scoring, batch, outcome, analytics])
def test_docstring_examples(module: object) -> None:
    result = doctest.testmod(module, optionflags=doctest.ELLIPSIS)  # type: ignore[arg-type]
    assert result.failed == 0
