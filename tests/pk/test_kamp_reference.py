"""Kamp 2020 three-compartment set against the literature sheet's reference table.

Reference: model predictions for 0.5 mg/kg over 40 min at 70 kg, table in section 2a of
the PK/PD reference sheet ([C], computed from the set transcribed by opentiva 1.1.2 /
anasim 1.7): 253.1 / 73.7 / 54.3 / 26.7 ng/mL at 40 / 80 / 110 / 230 min.
"""

import numpy as np
import pytest

from ketaclinic.pk.models import get_model
from ketaclinic.pk.patient import Patient
from ketaclinic.pk.regimen import Dose, Regimen
from ketaclinic.pk.simulate import simulate

REGIMEN = Regimen((Dose("iv-infusion", amount_mg=35.0, duration_min=40.0),))


@pytest.mark.parametrize("method", ["eigen", "expm"])
def test_depression_infusion_table(method: str) -> None:
    r = simulate(
        get_model("kamp-2020"), REGIMEN, Patient(weight_kg=70), [40, 80, 110, 230], method=method
    )
    # The table is printed to 0.1 ng/mL: the prediction must round to it.
    np.testing.assert_array_equal(np.round(r.plasma_ng_per_ml, 1), [253.1, 73.7, 54.3, 26.7])
