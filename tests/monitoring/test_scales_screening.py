"""MOAA/S, CADSS-6, modified Aldrete and screening."""

import doctest
from datetime import UTC, datetime

import pytest

import ketaclinic.monitoring as mon_pkg
from ketaclinic.errors import InputError, LimitError
from ketaclinic.monitoring import (
    CONTRAINDICATIONS,
    AntidepressantTrial,
    Override,
    aldrete_circulation,
    aldrete_spo2,
    alerts,
    cadss6,
    discharge,
    is_treatment_resistant,
    moaas,
    modified_aldrete,
    rules,
    scales,
    screen,
    screening,
    vitals,
)

T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


def test_moaas_levels() -> None:
    assert [moaas(s).escalate for s in range(6)] == [True, True, True, True, False, False]
    assert moaas(0).loss_of_consciousness
    assert not moaas(1).loss_of_consciousness
    assert moaas(5).description == "responds readily to name spoken in normal tone"
    assert moaas(2, escalate_at_or_below=1).escalate is False
    for bad in (6, -1, 2.5, True):
        with pytest.raises(InputError, match="moaas must be an integer from 0 to 5"):
            moaas(bad)  # type: ignore[arg-type]


def test_cadss6_by_item_id() -> None:
    s = cadss6({"cadss1": 4, "cadss2": 3, "cadss6": 0, "cadss7": 1, "cadss15": 2, "cadss22": 4})
    assert s.total == 14
    assert cadss6(dict.fromkeys(scales.CADSS6_ITEMS, 4)).total == 24
    with pytest.raises(InputError, match=r"cadss-6 item must be one of .* got cadss3"):
        cadss6({**dict.fromkeys(scales.CADSS6_ITEMS, 0), "cadss3": 1})
    with pytest.raises(InputError, match=r"cadss-6\.cadss22 must be answered"):
        cadss6(dict.fromkeys(scales.CADSS6_ITEMS[:-1], 0))
    with pytest.raises(InputError, match=r"cadss-6\.cadss1 must be an integer from 0 to 4, got 5"):
        cadss6({**dict.fromkeys(scales.CADSS6_ITEMS, 0), "cadss1": 5})


def test_modified_aldrete() -> None:
    nine = modified_aldrete(
        activity=2, respiration=2, circulation=1, consciousness=2, oxygen_saturation=2
    )
    assert (nine.total, nine.fit_for_discharge) == (9, True)
    eight = modified_aldrete(
        activity=1, respiration=2, circulation=1, consciousness=2, oxygen_saturation=2
    )
    assert (eight.total, eight.fit_for_discharge) == (8, False)
    with pytest.raises(InputError, match=r"aldrete\.consciousness must be an integer from 0 to 2"):
        modified_aldrete(
            activity=2, respiration=2, circulation=2, consciousness=3, oxygen_saturation=2
        )


@pytest.mark.parametrize(
    ("now", "pre", "points"),
    [(130, 120, 2), (140, 120, 2), (141, 120, 1), (170, 120, 1), (171, 120, 0), (65, 120, 0)],
)
def test_aldrete_circulation(now: float, pre: float, points: int) -> None:
    assert aldrete_circulation(now, pre) == points


def test_aldrete_spo2() -> None:
    assert aldrete_spo2(97, on_oxygen=False) == 2
    assert aldrete_spo2(92, on_oxygen=False) == 1  # "> 92%" on room air is needed for 2
    assert aldrete_spo2(95, on_oxygen=True) == 1
    assert aldrete_spo2(89, on_oxygen=True) == 0
    with pytest.raises(InputError, match="spo2_pct must be between 0 and 100 %"):
        aldrete_spo2(120, on_oxygen=False)


def test_absolute_contraindication_is_a_hard_stop() -> None:
    r = screen(["intracerebral-haemorrhage-history", "pregnancy"])
    assert r.status == "hard-stop"
    assert [c.id for c in r.blocking] == ["intracerebral-haemorrhage-history"]
    assert not r.may_treat
    assert "Spravato" in r.message
    over = Override("hypersensitivity", "dr.lee", "benefit outweighs risk", T0)
    with pytest.raises(LimitError, match="hypersensitivity is an absolute contraindication"):
        screen(["hypersensitivity"], [over])


def test_relative_contraindication_needs_a_documented_override() -> None:
    r = screen(["uncontrolled-cardiovascular-disease", "active-substance-abuse"])
    assert r.status == "needs-override"
    assert [c.id for c in r.blocking] == [
        "uncontrolled-cardiovascular-disease",
        "active-substance-abuse",
    ]
    assert "Cohen 2018" in r.blocking[0].source
    o1 = Override("uncontrolled-cardiovascular-disease", "dr.lee", "BP controlled on review", T0)
    r = screen(["uncontrolled-cardiovascular-disease", "active-substance-abuse"], [o1])
    assert (r.status, [c.id for c in r.blocking]) == ("needs-override", ["active-substance-abuse"])
    o2 = Override("active-substance-abuse", "dr.lee", "in remission 2 years; monitored", T0)
    r = screen(["uncontrolled-cardiovascular-disease", "active-substance-abuse"], [o1, o2])
    assert r.status == "eligible"
    assert r.may_treat
    assert r.overridden == (o1, o2)


def test_override_refusals() -> None:
    with pytest.raises(InputError, match=r"override\.reason must be a documented reason"):
        Override("pregnancy", "dr.lee", "", T0)
    with pytest.raises(InputError, match=r"override\.prescriber must be a named prescriber"):
        Override("pregnancy", "", "reason", T0)
    with pytest.raises(InputError, match="a finding present in this screening"):
        screen([], [Override("pregnancy", "dr.lee", "reason", T0)])
    with pytest.raises(InputError, match="finding must be one of"):
        screen(["broken-leg"])


def test_contraindication_table() -> None:
    kinds = {c.id: c.kind for c in CONTRAINDICATIONS.values()}
    assert [k for k, v in kinds.items() if v == "absolute"] == [
        "aneurysmal-vascular-disease",
        "intracerebral-haemorrhage-history",
        "hypersensitivity",
    ]
    assert sum(v == "relative" for v in kinds.values()) == 6
    assert screen([]).status == "eligible"


def test_treatment_resistance() -> None:
    trials = [
        AntidepressantTrial("sertraline", adequate=True, failed=True),
        AntidepressantTrial("venlafaxine", adequate=False, failed=True),
    ]
    assert not is_treatment_resistant(trials)
    trials.append(AntidepressantTrial("bupropion", adequate=True, failed=True, duration_weeks=8))
    assert is_treatment_resistant(trials)


@pytest.mark.parametrize("module", [mon_pkg, alerts, discharge, rules, scales, screening, vitals])
def test_docstring_examples(module: object) -> None:
    result = doctest.testmod(module, optionflags=doctest.ELLIPSIS)  # type: ignore[arg-type]
    assert result.failed == 0
