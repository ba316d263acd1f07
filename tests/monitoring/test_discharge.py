"""The discharge gate: every refusal names its blocking criterion."""

import re
from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest

from ketaclinic.errors import InputError, LimitError
from ketaclinic.monitoring import (
    DischargePolicy,
    DischargeRequest,
    VitalSigns,
    evaluate_discharge,
    modified_aldrete,
    policy_for,
    require_discharge,
)

T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
GOOD_VITALS = VitalSigns(
    T0 + timedelta(minutes=115),
    sbp_mmhg=134,
    dbp_mmhg=84,
    hr_per_min=78,
    spo2_pct=97,
    rr_per_min=14,
)
ALDRETE_10 = modified_aldrete(
    activity=2, respiration=2, circulation=2, consciousness=2, oxygen_saturation=2
)


def esketamine(**changes: object) -> DischargeRequest:
    base = DischargeRequest(
        drug="esketamine",
        route="intranasal",
        monitoring_started_at=T0,
        now=T0 + timedelta(minutes=121),
        latest_vitals=GOOD_VITALS,
        escort_confirmed=True,
        clinician_signature="dr.lee",
        latest_moaas=5,
    )
    return replace(base, **changes)  # type: ignore[arg-type]


def iv(**changes: object) -> DischargeRequest:
    base = DischargeRequest(
        drug="ketamine",
        route="iv-infusion",
        monitoring_started_at=T0,
        now=T0 + timedelta(minutes=90),
        latest_vitals=replace(GOOD_VITALS, measured_at=T0 + timedelta(minutes=85)),
        escort_confirmed=True,
        clinician_signature="nurse.kim",
        aldrete=ALDRETE_10,
    )
    return replace(base, **changes)  # type: ignore[arg-type]


def blockers(req: DischargeRequest) -> list[str]:
    return [b.criterion for b in evaluate_discharge(req).blocking]


def test_all_criteria_met_allows_discharge() -> None:
    d = require_discharge(esketamine())
    assert d.allowed
    assert d.blocking == ()
    assert d.met == (
        "minimum-monitoring-time",
        "vitals-within-limits",
        "sedation-resolved",
        "escort-confirmed",
        "clinician-signature",
    )
    assert d.earliest_at == T0 + timedelta(minutes=120)
    d = require_discharge(iv())
    assert d.allowed
    assert "modified-aldrete" in d.met
    assert d.earliest_at is None


def test_esketamine_before_two_hours_is_refused() -> None:
    req = esketamine(now=T0 + timedelta(minutes=119))
    assert blockers(req) == ["minimum-monitoring-time"]
    with pytest.raises(LimitError) as err:
        require_discharge(req)
    assert err.value.field == "minimum-monitoring-time"
    assert "monitored 119 min of the required 120 min" in str(err.value)
    assert "Spravato" in (err.value.limit or "")
    assert blockers(esketamine(now=T0 + timedelta(minutes=120))) == []


@pytest.mark.parametrize(
    ("vitals", "detail"),
    [
        (
            VitalSigns(T0 + timedelta(minutes=115), sbp_mmhg=186, dbp_mmhg=96),
            "sbp_mmhg > 180 (value 186)",
        ),
        (
            VitalSigns(T0 + timedelta(minutes=115), sbp_mmhg=130, dbp_mmhg=80, spo2_pct=90),
            "spo2_pct < 92",
        ),
        (VitalSigns(T0 + timedelta(minutes=115), hr_per_min=80), "no blood pressure"),
        (None, "no blood pressure"),
        (
            VitalSigns(T0 - timedelta(minutes=5), sbp_mmhg=130, dbp_mmhg=80),
            "outside the monitoring period",
        ),
    ],
)
def test_vitals_not_within_limits_block(vitals: VitalSigns | None, detail: str) -> None:
    req = esketamine(latest_vitals=vitals)
    assert blockers(req) == ["vitals-within-limits"]
    with pytest.raises(LimitError, match=re.escape(detail)) as err:
        require_discharge(req)
    assert err.value.field == "vitals-within-limits"


def test_aldrete_below_nine_after_iv_blocks() -> None:
    eight = modified_aldrete(
        activity=1, respiration=2, circulation=1, consciousness=2, oxygen_saturation=2
    )
    with pytest.raises(
        LimitError, match=r"modified-aldrete: modified Aldrete 8; >= 9 required after iv-infusion"
    ) as err:
        require_discharge(iv(aldrete=eight))
    assert err.value.field == "modified-aldrete"
    assert blockers(iv(aldrete=None)) == ["modified-aldrete"]
    assert blockers(iv(route="im", aldrete=None)) == ["modified-aldrete"]
    # Not required after sublingual dosing (no IV/IM).
    assert blockers(iv(route="sublingual", aldrete=None)) == []


def test_escort_and_signature_block() -> None:
    assert blockers(esketamine(escort_confirmed=False)) == ["escort-confirmed"]
    assert blockers(esketamine(clinician_signature=None)) == ["clinician-signature"]
    assert blockers(esketamine(clinician_signature="  ")) == ["clinician-signature"]


def test_sedation_must_have_resolved_after_esketamine() -> None:
    assert blockers(esketamine(latest_moaas=4)) == ["sedation-resolved"]


def test_every_blocker_is_reported_at_once() -> None:
    req = esketamine(
        now=T0 + timedelta(minutes=60),
        latest_vitals=None,
        escort_confirmed=False,
        clinician_signature=None,
        latest_moaas=3,
    )
    assert blockers(req) == [
        "minimum-monitoring-time",
        "vitals-within-limits",
        "sedation-resolved",
        "escort-confirmed",
        "clinician-signature",
    ]
    with pytest.raises(LimitError) as err:
        require_discharge(req)
    assert err.value.field == "minimum-monitoring-time"
    assert str(err.value).count(": ") >= 5


def test_policies() -> None:
    assert policy_for("esketamine", "intranasal").min_monitoring_min == 120
    assert policy_for("ketamine", "iv-infusion").min_monitoring_min is None
    assert policy_for("ketamine", "oral").aldrete_required is False
    clinic = DischargePolicy(
        min_monitoring_min=60,
        min_monitoring_source="clinic protocol P-7",
        aldrete_required=True,
        require_sedation_resolved=False,
    )
    req = iv(
        policy=clinic,
        now=T0 + timedelta(minutes=45),
        latest_vitals=replace(GOOD_VITALS, measured_at=T0 + timedelta(minutes=40)),
    )
    assert blockers(req) == ["minimum-monitoring-time"]
    with pytest.raises(InputError, match="route must be one of"):
        policy_for("ketamine", "rectal")
    with pytest.raises(InputError, match="min_monitoring_min must be >= 0 min"):
        DischargePolicy(-1, "x", False, False)


def test_request_validation() -> None:
    with pytest.raises(InputError, match="now must be at or after monitoring_started_at"):
        esketamine(now=T0 - timedelta(minutes=1))
    with pytest.raises(InputError, match="latest_moaas must be an integer from 0 to 5"):
        esketamine(latest_moaas=7)
    with pytest.raises(InputError, match="escort_confirmed must be true or false"):
        esketamine(escort_confirmed="yes")


def test_regression_replace_with_new_route_recomputes_default_policy() -> None:
    # Bug: the default policy was stored on the request in __post_init__, so
    # dataclasses.replace(route=...) kept the old route's policy (Aldrete after sublingual).
    req = replace(iv(), route="sublingual", aldrete=None)
    assert req.policy is None
    assert req.effective_policy == policy_for("ketamine", "sublingual")
    assert blockers(req) == []
