"""The benchmark work, shared by the runner and its subprocesses."""

from __future__ import annotations

import numpy as np

from ketaclinic.pk.covariates import HERD_2007_CHILDREN
from ketaclinic.pk.models import get_model
from ketaclinic.pk.population import PopulationResult, simulate_population
from ketaclinic.pk.regimen import Dose, Regimen

__all__ = [
    "POP_MODEL",
    "POP_REGIMEN",
    "POP_TIMES",
    "SINGLE_MODEL",
    "SINGLE_REGIMEN",
    "SINGLE_TIMES",
    "population",
]

#: (a) one patient: kamp-2020, 70 kg, 0.5 mg/kg (35 mg) over 40 min, every second to 280 min.
SINGLE_MODEL = "kamp-2020"
SINGLE_REGIMEN = Regimen((Dose("iv-infusion", 35.0, duration_min=40.0),))
SINGLE_TIMES = np.arange(16801) / 60.0
#: (b) population: herd-2007 (published IIV on V1, V2, CL, Q) in the Herd 2007 children,
#: 15 mg (about 0.5 mg/kg at the mean 32.5 kg) over 40 min, every minute for 24 h.
POP_MODEL = "herd-2007"
POP_REGIMEN = Regimen((Dose("iv-infusion", 15.0, duration_min=40.0),))
POP_TIMES = np.arange(1441.0)


def population(n: int, seed: int = 2026) -> PopulationResult:
    return simulate_population(
        get_model(POP_MODEL),
        POP_REGIMEN,
        POP_TIMES,
        n=n,
        seed=seed,
        covariates=HERD_2007_CHILDREN,
        percentiles=(5, 50, 95),
    )
