"""Population design (design_population.py): order-statistic dose, monotone, reproducible."""

from __future__ import annotations

import math

import pytest

from ketaclinic.errors import InputError
from ketaclinic.pk.bands import NO_ANTIDEPRESSANT_CR
from ketaclinic.pk.design import ExposureTarget, design_infusion
from ketaclinic.pk.design_population import PopulationDesignResult, design_infusion_population
from ketaclinic.pk.models import get_model
from ketaclinic.pk.patient import Patient

TARGET = ExposureTarget("end-of-infusion", 400.0)


def _pop(model: str, p: float, **kw: object) -> PopulationDesignResult:
    args: dict[str, object] = {
        "duration_min": 40.0,
        "max_dissociation_fraction": 0.5,
        "max_probability": p,
        "n": 100,
        "seed": 3,
    }
    args.update(kw)
    return design_infusion_population(get_model(model), TARGET, **args)


def test_fixed_patient_equals_typical_design() -> None:
    m = get_model("kamp-2020")
    typ = design_infusion(m, Patient(weight_kg=70), TARGET, max_dissociation_fraction=0.5)
    r = design_infusion_population(
        m,
        TARGET,
        duration_min=typ.duration_min,
        max_dissociation_fraction=0.5,
        max_probability=0.1,
        n=100,
        seed=1,
        covariates=Patient(weight_kg=70),
    )
    assert r.dose_mg == pytest.approx(typ.dose_mg, rel=1e-5)
    assert r.probability_exceed == 0.0


def test_variability_lowers_dose_and_monotone() -> None:
    m = get_model("herd-2007")
    typ = design_infusion(m, Patient(weight_kg=70), TARGET, max_dissociation_fraction=0.5)
    lo = _pop("herd-2007", 0.1, duration_min=typ.duration_min, covariates=Patient(weight_kg=70))
    hi = _pop("herd-2007", 0.4, duration_min=typ.duration_min, covariates=Patient(weight_kg=70))
    assert lo.dose_mg < typ.dose_mg
    assert lo.dose_mg <= hi.dose_mg
    assert lo.probability_exceed <= 0.1
    p = lo.probability_reach_target
    assert lo.probability_reach_target_se == pytest.approx(math.sqrt(p * (1 - p) / 100))
    d = lo.to_dict()
    assert d["statement"] == NO_ANTIDEPRESSANT_CR
    assert "10." in d["citation"]
    assert d["pd_source"].startswith("olofsen-2022")


def test_reproducible() -> None:
    a = _pop("herd-2007", 0.1)
    b = _pop("herd-2007", 0.1)
    c = _pop("herd-2007", 0.1, seed=4)
    assert a == b
    assert a.dose_mg != c.dose_mg


@pytest.mark.parametrize(
    ("kw", "field"),
    [
        ({"max_probability": 0.0}, "max_probability"),
        ({"max_probability": 1.0}, "max_probability"),
        ({"n": 99}, "n"),
    ],
)
def test_bad_input(kw: dict[str, object], field: str) -> None:
    args: dict[str, object] = {"p": 0.1}
    if "max_probability" in kw:
        args["p"] = kw.pop("max_probability")
    with pytest.raises(InputError, match=field):
        _pop("herd-2007", args["p"], **kw)  # type: ignore[arg-type]


def test_pd_without_effect_site_refused() -> None:
    from ketaclinic.pk.effect import SIMONS_2022_DRUG_HIGH

    with pytest.raises(InputError, match="effect site"):
        _pop("herd-2007", 0.1, dissociation=SIMONS_2022_DRUG_HIGH)


def test_exceedance_monotone_in_probability() -> None:
    """A larger allowed probability never gives a smaller dose (monotone order statistic),
    and the reported exceedance never passes the allowed probability."""
    doses = []
    for p in (0.05, 0.1, 0.2, 0.5, 0.9):
        r = _pop("perez-ruixo-2021", p, max_dissociation_fraction=0.3)
        assert r.probability_exceed <= p
        doses.append(r.dose_mg)
    assert doses == sorted(doses)
