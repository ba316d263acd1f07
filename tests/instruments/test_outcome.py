"""Response and remission per instrument, on examples at and around each cut-off."""

import pytest

from ketaclinic.errors import InputError
from ketaclinic.instruments import (
    GAD7,
    HAMD17,
    MADRS,
    PAIN_NRS,
    PCL5,
    PEG3,
    PHQ9,
    QIDS_SR16,
    YBOCS,
    Instrument,
    assess_outcome,
)


@pytest.mark.parametrize(
    ("instrument", "baseline", "current", "response", "remission"),
    [
        # PHQ-9: >= 50% drop; remission < 5 (convention, UNVERIFIED).
        (PHQ9, 20, 10, True, False),
        (PHQ9, 20, 11, False, False),
        (PHQ9, 9, 4, True, True),
        (PHQ9, 9, 5, False, False),
        # QIDS-SR16: >= 50%; remission <= 5.
        (QIDS_SR16, 16, 8, True, False),
        (QIDS_SR16, 16, 5, True, True),
        (QIDS_SR16, 11, 6, False, False),
        # MADRS: remission < 10 (Hawley 2002).
        (MADRS, 30, 9, True, True),
        (MADRS, 30, 10, True, False),
        (MADRS, 30, 16, False, False),
        # HAM-D17: remission <= 7 (Frank 1991).
        (HAMD17, 22, 7, True, True),
        (HAMD17, 22, 8, True, False),
        # Y-BOCS: response is a >= 35% drop; no remission rule in the sources.
        (YBOCS, 20, 13, True, None),
        (YBOCS, 20, 14, False, None),
    ],
)
def test_response_and_remission(
    instrument: Instrument, baseline: int, current: int, response: bool, remission: bool | None
) -> None:
    o = assess_outcome(instrument, baseline, current)
    assert (o.response, o.remission) == (response, remission)
    assert o.change == current - baseline
    assert o.percent_change == pytest.approx(100 * (current - baseline) / baseline)


def test_pcl5_uses_point_changes() -> None:
    # VA National Center for PTSD: 10 points clinically meaningful, 5 points reliable.
    o = assess_outcome(PCL5, 50, 40)
    assert o.response is True
    assert o.responses_met == (
        ">= 10-point reduction (clinically meaningful change)",
        ">= 5-point reduction (reliable change)",
    )
    o = assess_outcome(PCL5, 50, 44)
    assert o.response is False
    assert o.responses_met == (">= 5-point reduction (reliable change)",)
    assert o.remission is None


def test_pain_nrs_moderate_and_substantial() -> None:
    o = assess_outcome(PAIN_NRS, 8, 5)  # 37.5% drop: moderate, not substantial
    assert o.response is True
    assert o.responses_met == (">= 30% reduction (moderate improvement)",)
    assert len(assess_outcome(PAIN_NRS, 8, 4).responses_met) == 2


def test_instruments_without_rules_report_none() -> None:
    o = assess_outcome(PEG3, 7.0, 2.0)
    assert (o.response, o.remission) == (None, None)
    assert assess_outcome(GAD7, 12, 3).remission is None


def test_zero_baseline_cannot_respond() -> None:
    o = assess_outcome(PHQ9, 0, 0)
    assert o.response is False
    assert o.percent_change is None
    assert o.remission is True


def test_worsening_is_not_a_response() -> None:
    assert assess_outcome(PHQ9, 10, 18).response is False


@pytest.mark.parametrize(("baseline", "current"), [(28, 3), (-1, 3), (10, float("nan")), (True, 3)])
def test_totals_outside_the_range_are_refused(baseline: float, current: float) -> None:
    with pytest.raises(InputError):
        assess_outcome(PHQ9, baseline, current)
