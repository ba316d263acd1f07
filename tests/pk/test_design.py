"""Regimen design: exact dose for a stated exposure, duration found by root finding so
that the predicted peak dissociation (Olofsen 2022) stays below a limit.

Closed forms: AUC(0-inf) = dose / CL, so with the Kamp 2020 set at 70 kg (CL 84 L/h) an
AUC of 500 ng*h/mL needs 0.5 mg*h/L x 84 L/h = 42 mg whatever the duration.
"""

import numpy as np
import pytest

from ketaclinic.errors import InputError, LimitError
from ketaclinic.pk.bands import NO_ANTIDEPRESSANT_CR
from ketaclinic.pk.design import ExposureTarget, design_infusion
from ketaclinic.pk.effect import OLOFSEN_2022_DISSOCIATION, predict_effect
from ketaclinic.pk.models import get_model
from ketaclinic.pk.patient import Patient
from ketaclinic.pk.simulate import simulate

KAMP = get_model("kamp-2020")
P70 = Patient(weight_kg=70)


def _peak_fraction(regimen_end: float, d: object) -> float:
    t = np.arange(0.0, regimen_end + 240.0, 0.05)
    p = predict_effect(OLOFSEN_2022_DISSOCIATION, KAMP, d.regimen, P70, t)  # type: ignore[attr-defined]
    return p.peak_fraction


def test_end_of_infusion_target_at_preferred_duration() -> None:
    d = design_infusion(
        KAMP, P70, ExposureTarget("end-of-infusion", 250.0), max_dissociation_fraction=0.5
    )
    assert d.duration_min == 40.0
    sim = simulate(KAMP, d.regimen, P70, [40.0], effect_site=False)
    assert sim.plasma_ng_per_ml[0] == pytest.approx(250.0, rel=1e-9)
    assert d.end_of_infusion_ng_per_ml == pytest.approx(250.0, rel=1e-9)
    assert d.peak_dissociation_fraction <= 0.5
    assert d.peak_dissociation_fraction == pytest.approx(_peak_fraction(40.0, d), abs=1e-4)
    assert d.statement == NO_ANTIDEPRESSANT_CR
    assert d.rate_mg_per_h == pytest.approx(d.dose_mg / 40 * 60)


def test_auc_target_closed_form_and_binding_limit() -> None:
    d = design_infusion(KAMP, P70, ExposureTarget("auc", 500.0), max_dissociation_fraction=0.4)
    assert d.dose_mg == pytest.approx(42.0, rel=1e-9)
    assert d.auc_ng_h_per_ml == pytest.approx(500.0, rel=1e-9)
    # 40 min is too fast for 0.4: the shortest feasible duration, where the limit binds.
    lo, _hi = d.feasible_duration_min
    assert d.duration_min == pytest.approx(lo)
    assert lo > 40
    assert d.peak_dissociation_fraction == pytest.approx(0.4, rel=1e-4)
    assert _peak_fraction(d.duration_min, d) == pytest.approx(0.4, rel=1e-3)
    sim = simulate(KAMP, d.regimen, P70, np.arange(0, 24 * 60 * 7.0, 1.0), effect_site=False)
    assert sim.summary.auc_ng_h_per_ml == pytest.approx(500.0, rel=1e-3)


def test_infeasible_limit_refused() -> None:
    with pytest.raises(LimitError, match="cannot be kept for end-of-infusion 250 ng/mL"):
        design_infusion(
            KAMP, P70, ExposureTarget("end-of-infusion", 250.0), max_dissociation_fraction=0.3
        )


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"max_dissociation_fraction": 1.5}, "max_dissociation_fraction must be between 0 and 1"),
        (
            {"max_dissociation_fraction": 0.5, "duration_range_min": (60, 10)},
            "duration_range_min must satisfy",
        ),
        (
            {"max_dissociation_fraction": 0.5, "preferred_duration_min": 500},
            "preferred_duration_min must be within 10-240 min",
        ),
    ],
)
def test_bad_design_arguments(kwargs: dict[str, object], match: str) -> None:
    with pytest.raises(InputError, match=match):
        design_infusion(KAMP, P70, ExposureTarget("end-of-infusion", 200.0), **kwargs)  # type: ignore[arg-type]


def test_bad_exposure_targets() -> None:
    with pytest.raises(InputError, match="value must be greater than 0 ng/mL"):
        ExposureTarget("end-of-infusion", 0.0)
    with pytest.raises(InputError, match="kind must be"):
        ExposureTarget("peak", 100.0)  # type: ignore[arg-type]
