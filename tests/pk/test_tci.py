"""TCI: plasma, effect-site and peak-plasma-limited targeting.

Reference values: PK/PD literature sheet section 4.7 ([C], Kamp 2020 3-compartment set,
70 kg, effect-site target 200 ng/mL): with the Olofsen 2022 ke0 (t1/2 8.3 min) t_peak
8.24 min, 9.00 ng/mL per mg, dose 22.2 mg, initial Cp about 889 ng/mL; with opentiva's
constructed ke0 2.791 /min t_peak 1.00 min, 32.3 ng/mL per mg, dose 6.2 mg. Plasma bolus
C_T V1 = 5 mg; maintenance C_T CL = 0.2 mg/L x 1.4 L/min = 0.28 mg/min = 16.8 mg/h.
"""

import json

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ketaclinic.errors import InputError, LimitError
from ketaclinic.pk.models import all_models, get_model
from ketaclinic.pk.patient import Patient
from ketaclinic.pk.tci import (
    MAX_TARGET_NG_PER_ML,
    PumpLimits,
    TargetSchedule,
    TargetStep,
    effect_site_bolus,
    run_tci,
)

KAMP = get_model("kamp-2020")
P70 = Patient(weight_kg=70)
FAST = PumpLimits(max_rate_ml_per_h=1200, concentration_mg_per_ml=10)  # 200 mg/min


def test_plasma_reaches_target_within_one_update_and_holds_without_overshoot() -> None:
    r = run_tci(KAMP, P70, 200.0, duration_min=60, pump=FAST)
    assert r.plasma_ng_per_ml[0] == 0
    assert r.plasma_ng_per_ml[1] == pytest.approx(200.0, rel=1e-9)
    assert np.all(np.abs(r.plasma_ng_per_ml[1:] / 200.0 - 1) <= 0.01)
    # Between updates too: an exact fine-grid prediction of the pump program.
    fine = np.arange(1, 60 * 60 + 1) / 60.0  # every second for 60 min
    cp = r.predict(fine)[0] * 1000
    assert cp.max() <= 200.0 * 1.001
    assert np.all(cp[fine >= r.update_min] >= 200.0 * 0.99)


def test_plasma_first_interval_delivers_about_ct_v1() -> None:
    r = run_tci(KAMP, P70, 200.0, duration_min=10, pump=FAST)
    first_mg = r.rate_mg_per_min[0] * r.update_min
    # C_T V1 = 5 mg, plus what distributes and is cleared during the 10 s.
    assert 5.0 < first_mg < 5.2
    assert r.rate_mg_per_min[1] < r.rate_mg_per_min[0]


def test_maintenance_rate_converges_to_target_times_clearance() -> None:
    r = run_tci(KAMP, P70, 200.0, duration_min=24 * 60, pump=FAST)
    assert r.rate_mg_per_min[-1] == pytest.approx(0.28, rel=1e-3)
    assert r.rate_mg_per_min[-1] * 60 == pytest.approx(16.8, rel=1e-3)
    # Rates fall monotonically after the load (exponentially declining rates).
    assert np.all(np.diff(r.rate_mg_per_min[1:]) <= 1e-12)


def test_effect_site_bolus_matches_literature_sheet() -> None:
    b = effect_site_bolus(KAMP, P70, 200.0)
    assert b.t_peak_min == pytest.approx(8.24, abs=0.01)
    assert b.peak_per_mg_ng_per_ml == pytest.approx(9.00, abs=0.01)
    assert b.dose_mg == pytest.approx(22.2, abs=0.05)
    assert b.initial_plasma_ng_per_ml == pytest.approx(889, abs=1)
    o = effect_site_bolus(KAMP, P70, 200.0, effect_site="opentiva-tpeak-1min")
    assert o.t_peak_min == pytest.approx(1.00, abs=0.01)
    assert o.peak_per_mg_ng_per_ml == pytest.approx(32.3, abs=0.05)
    assert o.dose_mg == pytest.approx(6.2, abs=0.05)


def test_effect_mode_olofsen_first_dose_and_peak_at_target() -> None:
    r = run_tci(KAMP, P70, 200.0, site="effect", duration_min=60, pump=FAST)
    assert r.effect_site is not None
    assert r.effect_site.id == "olofsen-2022"
    assert r.first_dose_mg() == pytest.approx(22.2, rel=0.01)
    fine = np.arange(0, 30 * 60 + 1) / 60.0
    ce = r.predict(fine)[-1] * 1000
    k = int(np.argmax(ce[: 15 * 60]))
    assert ce[k] == pytest.approx(200.0, rel=0.02)
    assert fine[k] == pytest.approx(8.24 + r.update_min / 2, abs=0.2)
    # The pump pauses after the load until Ce reaches the target.
    assert r.rate_mg_per_min[1] == 0
    ce_b = r.effect_site_ng_per_ml
    assert ce_b is not None
    assert ce_b.max() <= 200.0 * (1 + 1e-6)
    assert ce_b[-1] == pytest.approx(200.0, rel=0.01)
    # Plasma overshoots (about 889 ng/mL after an instant bolus).
    assert r.plasma_ng_per_ml.max() > 800


def test_effect_mode_opentiva_ke0_dose() -> None:
    r = run_tci(
        KAMP,
        P70,
        200.0,
        site="effect",
        effect_site="opentiva-tpeak-1min",
        duration_min=30,
        pump=FAST,
    )
    assert r.first_dose_mg() == pytest.approx(6.2, rel=0.01)
    assert any("CONSTRUCTED" in w for w in r.warnings)


def test_van_poucke_limits_plasma_peak_and_reaches_target() -> None:
    r = run_tci(
        KAMP,
        P70,
        200.0,
        site="effect-cp-limited",
        cp_limit_fraction=0.5,
        duration_min=60,
        pump=FAST,
    )
    assert r.plasma_ng_per_ml.max() <= 300.0 * (1 + 1e-9)
    assert r.plasma_ng_per_ml.max() == pytest.approx(300.0, rel=1e-6)
    ce = r.effect_site_ng_per_ml
    assert ce is not None
    assert ce.max() == pytest.approx(200.0, rel=0.02)
    assert ce.max() <= 200.0 * (1 + 1e-6)
    plain = run_tci(KAMP, P70, 200.0, site="effect", duration_min=60, pump=FAST)
    ce_plain = plain.effect_site_ng_per_ml
    assert ce_plain is not None
    # Limiting Cp slows the effect-site rise.
    t_lim = r.time_min[int(np.argmax(ce >= 199.0))]
    t_plain = plain.time_min[int(np.argmax(ce_plain >= 199.0))]
    assert t_lim > t_plain


def test_schedule_steps_reached_one_update_after_each_change() -> None:
    sched = TargetSchedule.of([(0, 50), (30, 100), (60, 150), (90, 200)])
    r = run_tci(KAMP, P70, sched, duration_min=120, pump=FAST)
    for start, target in [(0, 50), (30, 100), (60, 150), (90, 200)]:
        k = round(start / r.update_min)
        assert r.plasma_ng_per_ml[k + 1] == pytest.approx(target, rel=1e-9)
    assert r.total_dose_mg == pytest.approx(float(np.sum(r.rate_mg_per_min)) * r.update_min)
    assert r.total_volume_ml == pytest.approx(r.total_dose_mg / 10)


@pytest.mark.parametrize("site", ["plasma", "effect"])
def test_target_decrease_pauses_the_pump(site: str) -> None:
    sched = TargetSchedule.of([(0, 200), (60, 100)])
    r = run_tci(KAMP, P70, sched, site=site, duration_min=180, pump=FAST)  # type: ignore[arg-type]
    k0 = round(60 / r.update_min)
    conc = r.plasma_ng_per_ml if site == "plasma" else r.effect_site_ng_per_ml
    assert conc is not None
    assert r.rate_mg_per_min[k0] == 0
    # Paused until the concentration has fallen to the new target, then resumed.
    resumed = k0 + int(np.argmax(r.rate_mg_per_min[k0:] > 0))
    assert resumed > k0 + 1
    assert np.all(r.rate_mg_per_min[k0:resumed] == 0)
    assert conc[resumed] <= 100.0 * 1.01
    assert conc[-1] == pytest.approx(100.0, rel=0.01)


def test_pump_limit_slows_loading_but_caps_the_rate() -> None:
    slow = PumpLimits(max_rate_ml_per_h=100, concentration_mg_per_ml=1)  # 1.67 mg/min
    r = run_tci(KAMP, P70, 200.0, duration_min=120, pump=slow)
    assert r.rate_ml_per_h.max() <= 100.0 * (1 + 1e-12)
    assert r.rate_ml_per_h[0] == pytest.approx(100.0)
    assert r.plasma_ng_per_ml[1] < 200.0
    assert r.plasma_ng_per_ml[-1] == pytest.approx(200.0, rel=1e-6)


def test_pump_program_merges_equal_rates_and_json_round_trips() -> None:
    r = run_tci(KAMP, P70, 200.0, site="effect", duration_min=20, pump=FAST)
    prog = r.pump_program()
    assert prog[0][0] == 0
    assert prog[1] == (pytest.approx(r.update_min), 0.0)
    d = json.loads(json.dumps(r.to_dict()))
    assert d["total_dose_mg"] == pytest.approx(r.total_dose_mg)
    assert d["program"][0]["rate_ml_per_h"] == pytest.approx(prog[0][1])


def test_effect_mode_program_has_no_roundoff_steps() -> None:
    """Regression: once the bolus has Ce on its way, "target - free response" is roundoff
    (about 1e-14 mg/min) and showed as program steps of 0.000000000002 mL/h. The pump is
    off from the end of the bolus until maintenance starts: one step, not dozens."""
    r = run_tci(KAMP, P70, 200.0, site="effect", duration_min=20)  # default 1 mg/mL pump
    rates = r.rate_ml_per_h
    assert not np.any((rates > 0) & (rates < 1e-3)), rates[(rates > 0) & (rates < 1e-3)]
    prog = r.pump_program()
    off = [i for i, (_, rate) in enumerate(prog) if rate == 0.0]
    assert off == [2]  # bolus at the pump maximum, its tail, then off until maintenance
    # the pump restarts once Ce has reached the target (within 0.5%) and plasma, falling
    # from its overshoot, has come down to it (Shafer & Gregg's switch to maintenance)
    k = round(prog[3][0] / r.update_min)
    assert r.effect_site_ng_per_ml is not None
    assert r.effect_site_ng_per_ml[k] >= 0.995 * 200.0
    assert r.plasma_ng_per_ml[k] <= 200.0 < r.plasma_ng_per_ml[k - 1]


@settings(max_examples=25, deadline=None)
@given(
    targets=st.lists(st.floats(0, 1000), min_size=1, max_size=4),
    gap=st.floats(2, 30),
    max_rate=st.floats(1, 1200),
    conc=st.sampled_from([1.0, 10.0, 50.0]),
    update_s=st.floats(1, 60),
    site=st.sampled_from(["plasma", "effect", "effect-cp-limited"]),
)
def test_rates_never_negative_nor_above_pump_maximum(
    targets: list[float], gap: float, max_rate: float, conc: float, update_s: float, site: str
) -> None:
    sched = TargetSchedule.of([(i * gap, c) for i, c in enumerate(targets)])
    pump = PumpLimits(max_rate, conc)
    r = run_tci(
        KAMP,
        P70,
        sched,
        site=site,
        duration_min=sched.last_change_min + 20,  # type: ignore[arg-type]
        update_s=update_s,
        pump=pump,
    )
    assert np.all(r.rate_mg_per_min >= 0)
    assert np.all(r.rate_ml_per_h <= max_rate * (1 + 1e-12))
    assert np.all(np.isfinite(r.plasma_mg_per_l))
    assert np.all(r.plasma_mg_per_l >= -1e-15)
    top = max(targets)
    if site == "plasma":
        assert r.plasma_ng_per_ml.max() <= top * (1 + 1e-9) + 1e-9
    else:
        ce = r.effect_site_ng_per_ml
        assert ce is not None
        assert ce.max() <= top * (1 + 1e-6) + 1e-9


@settings(max_examples=15, deadline=None)
@given(target=st.floats(10, 1000), update_s=st.floats(1, 30))
def test_plasma_mode_hits_any_target_after_one_update(target: float, update_s: float) -> None:
    r = run_tci(KAMP, P70, target, duration_min=15, update_s=update_s, pump=FAST)
    err = np.abs(r.plasma_ng_per_ml / target - 1)
    reached = int(np.argmax(err <= 1e-9))
    assert reached >= 1
    assert err[reached] <= 1e-9
    if r.rate_mg_per_min[0] < FAST.max_rate_mg_per_min:
        assert reached == 1  # within one update when the pump is fast enough
    else:  # pump-limited: full speed until the target is reached
        assert np.all(r.rate_mg_per_min[: reached - 1] == FAST.max_rate_mg_per_min)
    assert np.all(err[reached:] <= 0.01)


# --- bad input ---------------------------------------------------------------


def test_target_at_or_above_anaesthetic_band_refused() -> None:
    assert MAX_TARGET_NG_PER_ML == 1200
    with pytest.raises(LimitError, match=r"target_ng_per_ml must be below 1200 ng/mL.*got 1500"):
        run_tci(KAMP, P70, 1500.0)
    with pytest.raises(LimitError, match="anaesthetic band"):
        TargetSchedule.of([(0, 100), (30, 1200)])


@pytest.mark.parametrize(
    ("pairs", "match"),
    [
        ([(0, 50), (30, 100), (30, 150)], "strictly increasing, got 30 min then 30 min"),
        ([(0, 50), (30, 100), (20, 150)], "strictly increasing, got 30 min then 20 min"),
        ([(-5, 50)], "start_min must be at least 0 min, got -5 min"),
        ([(10, 50)], r"schedule\[0\].start_min must be 0 min"),
        ([(0, -1)], "target_ng_per_ml must be at least 0 ng/mL"),
        ([], "at least one target"),
    ],
)
def test_bad_schedules_refused(pairs: list[tuple[float, float]], match: str) -> None:
    with pytest.raises(InputError, match=match):
        TargetSchedule.of(pairs)


def test_schedule_from_json_refuses_wrong_shape() -> None:
    ok = TargetSchedule.from_json([{"start_min": 0, "target_ng_per_ml": 50}])
    assert ok.steps == (TargetStep(0.0, 50.0),)
    with pytest.raises(InputError, match=r"schedule\[0\]"):
        TargetSchedule.from_json([{"start": 0, "target_ng_per_ml": 50}])
    with pytest.raises(InputError, match="JSON list"):
        TargetSchedule.from_json({"targets": []})


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"update_s": 0.5}, "update_s must be between 1 and 60 s, got 0.5 s"),
        ({"site": "brain"}, "site must be one of plasma, effect"),
        ({"duration_min": 0}, "duration_min must be longer than the last target change"),
        ({"pump": None, "duration_min": 1e7}, "duration_min must be at most"),
    ],
)
def test_bad_run_arguments_refused(kwargs: dict[str, object], match: str) -> None:
    with pytest.raises(InputError, match=match):
        run_tci(KAMP, P70, 100.0, **kwargs)  # type: ignore[arg-type]


def test_bad_pump_and_models_refused() -> None:
    with pytest.raises(InputError, match="max_rate_ml_per_h must be greater than 0"):
        PumpLimits(0, 10)
    with pytest.raises(InputError, match="concentration_mg_per_ml must be greater than 0"):
        PumpLimits(100, -1)
    with pytest.raises(InputError, match="suitable for TCI"):
        run_tci(get_model("clements-1981"), P70, 100.0)
    with pytest.raises(InputError, match="model has no effect site"):
        run_tci(get_model("herd-2007"), Patient(weight_kg=20), 100.0, site="effect")


@pytest.mark.parametrize("model_id", [m.id for m in all_models() if m.suitable_for_tci])
def test_plasma_mode_holds_target_for_every_tci_model(model_id: str) -> None:
    model = get_model(model_id)
    patient = P70 if model.validity.weight_kg[1] >= 70 else Patient(weight_kg=20)
    r = run_tci(model, patient, 200.0, duration_min=120, pump=FAST)
    err = np.abs(r.plasma_ng_per_ml / 200.0 - 1)
    reached = int(np.argmax(err <= 1e-9))
    assert reached >= 1
    assert np.all(err[reached:] <= 0.01)
    assert np.all(r.rate_mg_per_min[: reached - 1] == FAST.max_rate_mg_per_min)


def test_plasma_overshoot_into_anaesthetic_band_is_warned() -> None:
    # Domino 1982 with the Olofsen ke0: effect-site loading drives Cp above 1200 ng/mL.
    r = run_tci(get_model("domino-1982"), P70, 200.0, site="effect", duration_min=30, pump=FAST)
    assert r.plasma_ng_per_ml.max() > 1200
    assert any("reaches the anaesthetic band" in w for w in r.warnings)
    lim = run_tci(
        get_model("domino-1982"),
        P70,
        200.0,
        site="effect-cp-limited",
        duration_min=30,
        pump=FAST,
    )
    assert lim.plasma_ng_per_ml.max() <= 300.0 * (1 + 1e-9)
    assert not any("anaesthetic band" in w for w in lim.warnings)
