"""The model library as a whole: metadata complete, routes, effect sites, docs, and
mass balance for every model (AUC0-inf x CL = dose after an IV bolus)."""

from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ketaclinic.errors import RouteError
from ketaclinic.pk.dosing_inputs import expand_regimen
from ketaclinic.pk.models import all_models, get_model, models_by_route
from ketaclinic.pk.models._build import clearance_l_per_min
from ketaclinic.pk.patient import Patient
from ketaclinic.pk.regimen import ROUTES, Dose, Regimen
from ketaclinic.pk.simulate import exact_auc, simulate

DOCS = Path(__file__).resolve().parents[2] / "docs" / "models.md"

EXPECTED_IDS = {
    "kamp-2020",
    "domino-1982",
    "hijazi-2003",
    "clements-1981",
    "herd-2007",
    "hornik-2018",
    "elkomy-2015",
    "sherwin-2015",
    "flint-2017",
    "perez-ruixo-2021",
}


def test_registry_holds_every_model() -> None:
    assert {m.id for m in all_models()} == EXPECTED_IDS


@pytest.mark.parametrize("model_id", sorted(EXPECTED_IDS))
def test_metadata_complete(model_id: str) -> None:
    m = get_model(model_id)
    c = m.citation
    assert c.authors
    assert c.title
    assert c.journal
    assert 1950 < c.year < 2030
    assert c.doi or c.pmid
    for text in (m.population, m.sampling_site, m.structure, m.covariates):
        assert text.strip()
    (wlo, whi), (alo, ahi) = m.validity.weight_kg, m.validity.age_years
    assert 0 < wlo < whi
    assert 0 <= alo < ahi
    assert m.parameters
    for p in m.parameters:
        assert p.provenance in ("P", "S", "C", "UNVERIFIED")
        assert p.source.strip()
        assert p.unit.strip()
    for route in m.routes:
        assert route in ROUTES
        if route not in ("iv-bolus", "iv-infusion"):
            assert route in m.route_notes
    # The builder takes every declared route and no other.
    ind = m.individual(Patient(weight_kg=sum(m.validity.weight_kg) / 2))
    assert set(ind.routes) == set(m.routes)


@pytest.mark.parametrize("model_id", ["kamp-2020", "domino-1982"])
def test_racemic_route_addons_are_labelled(model_id: str) -> None:
    m = get_model(model_id)
    for route in ("im", "intranasal", "sublingual", "oral"):
        assert route in m.routes
        assert "ROUTE ADD-ON" in m.route_notes[route]
    tags = {p.name: p.provenance for p in m.parameters}
    assert tags["F_im"] == "UNVERIFIED"
    assert all(tags[f"t_half_abs_{r}"] == "UNVERIFIED" for r in ("im", "intranasal", "oral"))


def test_clements_not_for_tci() -> None:
    m = get_model("clements-1981")
    assert m.suitable_for_tci is False
    assert any("NOT SUITABLE FOR TCI" in n for n in m.notes)
    assert all(get_model(i).suitable_for_tci for i in EXPECTED_IDS - {"clements-1981"})


def test_effect_sites_measured_apart_from_constructed() -> None:
    measured = {"olofsen-2022": 8.3, "kamp-2021-cardiac-output": 2.28}
    for m in all_models():
        for site in m.effect_sites:
            if site.kind == "measured":
                assert site.half_life_min == pytest.approx(measured[site.id])
            else:
                assert "CONSTRUCTED" in site.label
    constructed = {
        "domino-1982": 0.652,
        "hijazi-2003": 4.773,
        "clements-1981": 5.2,
        "hornik-2018": 4.212,
        "kamp-2020": 2.791,
    }
    for model_id, ke0 in constructed.items():
        site = get_model(model_id).effect_site("opentiva-tpeak-1min")
        assert site is not None
        assert (site.kind, site.ke0_per_min) == ("constructed", ke0)
    # The default is the measured site, never a constructed one, when both exist.
    default = get_model("domino-1982").effect_site()
    assert default is not None
    assert default.kind == "measured"


def test_constructed_effect_site_warns() -> None:
    r = simulate(
        get_model("hornik-2018"),
        Regimen((Dose("iv-bolus", 20.0),)),
        Patient(weight_kg=20, age_years=6),
        [0.0, 1.0, 5.0],
    )
    assert any("CONSTRUCTED" in w for w in r.warnings)


@pytest.mark.parametrize(
    ("model_id", "route"),
    [("herd-2007", "intranasal"), ("hijazi-2003", "oral"), ("flint-2017", "im")],
)
def test_route_the_model_cannot_take(model_id: str, route: str) -> None:
    with pytest.raises(RouteError) as err:
        simulate(
            get_model(model_id),
            Regimen((Dose(route, 28.0),)),  # type: ignore[arg-type]
            Patient(weight_kg=30),
            [0.0, 10.0],
        )
    message = str(err.value)
    assert model_id in message
    assert route in message
    for able in models_by_route()[route].split(", "):
        assert able in message
    assert "kamp-2020" in message


@pytest.mark.parametrize("model_id", sorted(EXPECTED_IDS))
def test_documented(model_id: str) -> None:
    text = DOCS.read_text(encoding="utf-8")
    assert f"## {model_id}" in text
    section = text.split(f"## {model_id}", 1)[1].split("\n## ", 1)[0]
    m = get_model(model_id)
    assert (m.citation.doi or m.citation.pmid or "") in section
    for p in m.parameters:
        assert f"`{p.name}`" in section, p.name


@settings(max_examples=25, deadline=None)
@given(
    model_id=st.sampled_from(sorted(EXPECTED_IDS)),
    frac=st.floats(0.0, 1.0),
    dose=st.floats(1.0, 200.0),
)
def test_mass_balance_iv_bolus(model_id: str, frac: float, dose: float) -> None:
    """AUC0-inf x CL = dose (plasma), for every model and weight in its range."""
    m = get_model(model_id)
    lo, hi = m.validity.weight_kg
    patient = Patient(weight_kg=lo + frac * (hi - lo))
    ind = m.individual(patient)
    inputs = expand_regimen(ind, Regimen((Dose("iv-bolus", dose),)), m.id)
    auc = exact_auc(ind.system, inputs, 0.0, 365 * 24 * 60.0)
    assert auc * clearance_l_per_min(ind.system) == pytest.approx(dose, rel=1e-6)
    r = simulate(m, Regimen((Dose("iv-bolus", dose),)), patient, np.linspace(0, 600, 61))
    assert np.all(r.plasma_mg_per_l >= 0)
