"""The discharge gate: which criterion still blocks a patient from going home.

Criteria (each blocker names its criterion id and source):

``minimum-monitoring-time``
    Esketamine: >= 120 min from the first device at every session (Spravato prescribing
    information, section 2 / 5.1, and the Spravato REMS). Racemic ketamine has no sourced
    minimum: the protocol's :class:`DischargePolicy` sets one.
``vitals-within-limits``
    The latest vital signs (with a blood pressure, as the REMS Patient Monitoring Form asks
    for a BP before completion) breach no threshold of the protocol's rule set.
``modified-aldrete``
    After IV or IM administration, modified Aldrete >= 9 (Aldrete 1995 J Clin Anesth 7:89).
``sedation-resolved``
    Esketamine: sedation resolved (Spravato REMS goal: monitor until sedation, dissociation
    and respiratory depression resolve). Checked as the latest MOAA/S = 5 when given.
``escort-confirmed``
    A ride home is arranged (Spravato label: no driving until the next day; REMS: arrange to
    leave safely).
``clinician-signature``
    A clinician judges the patient "clinically stable and ready to leave" and signs
    (Spravato label).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Literal

from ketaclinic.errors import InputError, LimitError
from ketaclinic.monitoring.rules import DEFAULT_RULES, RuleSet, breaches
from ketaclinic.monitoring.scales import ALDRETE_DISCHARGE_MIN, AldreteScore
from ketaclinic.monitoring.vitals import VitalSigns, check_utc

__all__ = [
    "ALDRETE_ROUTES",
    "ESKETAMINE_MIN_MONITORING_MIN",
    "Blocker",
    "DischargeDecision",
    "DischargePolicy",
    "DischargeRequest",
    "evaluate_discharge",
    "policy_for",
    "require_discharge",
]

Drug = Literal["esketamine", "ketamine"]

#: Spravato: observe >= 2 h after administration at every session.
ESKETAMINE_MIN_MONITORING_MIN = 120.0
_SPRAVATO = "Spravato prescribing information (2.x, 5.1) and Spravato REMS: monitor >= 2 h"
_ALDRETE = "Aldrete JA. J Clin Anesth 1995;7:89, doi:10.1016/0952-8180(94)00001-K (>= 9)"
#: Routes after which the modified Aldrete gate applies (IV/IM, clinical-practice practice).
ALDRETE_ROUTES = frozenset({"iv-bolus", "iv-infusion", "im"})
_ROUTES = frozenset({"iv-bolus", "iv-infusion", "im", "intranasal", "sublingual", "oral"})


@dataclass(frozen=True)
class DischargePolicy:
    """What the gate checks for one protocol (a configurable record)."""

    min_monitoring_min: float | None
    min_monitoring_source: str
    aldrete_required: bool
    require_sedation_resolved: bool
    aldrete_min: int = ALDRETE_DISCHARGE_MIN

    def __post_init__(self) -> None:
        m = self.min_monitoring_min
        if m is not None and (
            isinstance(m, bool) or not (isinstance(m, int | float) and math.isfinite(m) and m >= 0)
        ):
            raise InputError.for_field("min_monitoring_min", m, ">= 0 min", unit="min")
        if not 0 <= self.aldrete_min <= 10:
            raise InputError.for_field("aldrete_min", self.aldrete_min, "from 0 to 10")


def policy_for(drug: Drug, route: str) -> DischargePolicy:
    """Default discharge policy for a drug and route (the pk package's route names).

    Examples
    --------
    >>> policy_for("esketamine", "intranasal").min_monitoring_min
    120.0
    >>> policy_for("ketamine", "iv-infusion").aldrete_required
    True
    """
    if drug not in ("esketamine", "ketamine"):
        raise InputError.for_field("drug", drug, "'esketamine' or 'ketamine'")
    if route not in _ROUTES:
        raise InputError.for_field("route", route, "one of " + ", ".join(sorted(_ROUTES)))
    if drug == "esketamine":
        return DischargePolicy(
            min_monitoring_min=ESKETAMINE_MIN_MONITORING_MIN,
            min_monitoring_source=_SPRAVATO,
            aldrete_required=route in ALDRETE_ROUTES,
            require_sedation_resolved=True,
        )
    return DischargePolicy(
        min_monitoring_min=None,
        min_monitoring_source="no sourced minimum for racemic ketamine: set per protocol",
        aldrete_required=route in ALDRETE_ROUTES,
        require_sedation_resolved=False,
    )


@dataclass(frozen=True)
class DischargeRequest:
    """Everything the gate looks at, as of ``now`` (UTC).

    ``monitoring_started_at`` is the start of administration (first device or infusion
    start). ``policy`` defaults to :func:`policy_for` ``(drug, route)``.
    """

    drug: Drug
    route: str
    monitoring_started_at: datetime
    now: datetime
    latest_vitals: VitalSigns | None
    escort_confirmed: bool
    clinician_signature: str | None
    aldrete: AldreteScore | None = None
    latest_moaas: int | None = None
    rule_set: RuleSet = DEFAULT_RULES
    policy: DischargePolicy | None = None

    def __post_init__(self) -> None:
        check_utc("monitoring_started_at", self.monitoring_started_at)
        check_utc("now", self.now)
        if self.now < self.monitoring_started_at:
            raise InputError.for_field(
                "now", self.now.isoformat(), "at or after monitoring_started_at"
            )
        if not isinstance(self.escort_confirmed, bool):
            raise InputError.for_field("escort_confirmed", self.escort_confirmed, "true or false")
        if self.latest_moaas is not None and (
            isinstance(self.latest_moaas, bool)
            or not isinstance(self.latest_moaas, int)
            or not 0 <= self.latest_moaas <= 5
        ):
            raise InputError.for_field("latest_moaas", self.latest_moaas, "an integer from 0 to 5")
        policy_for(self.drug, self.route)  # validates drug and route
        if self.policy is not None and not isinstance(self.policy, DischargePolicy):
            raise InputError.for_field("policy", self.policy, "a DischargePolicy or None")

    @property
    def effective_policy(self) -> DischargePolicy:
        """``policy``, or the default for ``(drug, route)`` (derived, never stored, so
        ``dataclasses.replace`` with a new route gets the new route's default)."""
        return self.policy or policy_for(self.drug, self.route)


@dataclass(frozen=True)
class Blocker:
    """One criterion that still blocks discharge."""

    criterion: str
    message: str
    source: str


@dataclass(frozen=True)
class DischargeDecision:
    """``allowed`` only when nothing blocks; ``earliest_at`` is when the time criterion is met."""

    allowed: bool
    blocking: tuple[Blocker, ...]
    met: tuple[str, ...]
    earliest_at: datetime | None = field(default=None)

    def blocks(self, criterion: str) -> bool:
        return any(b.criterion == criterion for b in self.blocking)


def evaluate_discharge(request: DischargeRequest) -> DischargeDecision:
    """Check every discharge criterion and report all that still block.

    Examples
    --------
    >>> from datetime import datetime, timedelta, UTC
    >>> t0 = datetime(2026, 1, 1, 9, tzinfo=UTC)
    >>> vit = VitalSigns(t0 + timedelta(minutes=95), sbp_mmhg=130, dbp_mmhg=80)
    >>> d = evaluate_discharge(DischargeRequest("esketamine", "intranasal", t0,
    ...     t0 + timedelta(minutes=100), vit, escort_confirmed=True, clinician_signature="dr-a"))
    >>> [b.criterion for b in d.blocking]
    ['minimum-monitoring-time']
    """
    policy = request.effective_policy
    blocking: list[Blocker] = []
    met: list[str] = []

    elapsed_min = (request.now - request.monitoring_started_at) / timedelta(minutes=1)
    earliest = None
    if policy.min_monitoring_min is not None:
        earliest = request.monitoring_started_at + timedelta(minutes=policy.min_monitoring_min)
        if elapsed_min < policy.min_monitoring_min:
            blocking.append(
                Blocker(
                    "minimum-monitoring-time",
                    f"monitored {elapsed_min:.0f} min of the required "
                    f"{policy.min_monitoring_min:g} min (earliest {earliest.isoformat()})",
                    policy.min_monitoring_source,
                )
            )
        else:
            met.append("minimum-monitoring-time")

    vit = request.latest_vitals
    vitals_source = f"rule set {request.rule_set.id} ({request.rule_set.note})"
    if vit is None or vit.sbp_mmhg is None:
        blocking.append(
            Blocker(
                "vitals-within-limits",
                "no blood pressure in the latest vital signs before discharge",
                "Spravato REMS Patient Monitoring Form: BP before session completion",
            )
        )
    elif vit.measured_at < request.monitoring_started_at or vit.measured_at > request.now:
        blocking.append(
            Blocker(
                "vitals-within-limits",
                f"latest vital signs at {vit.measured_at.isoformat()} are outside the "
                "monitoring period",
                vitals_source,
            )
        )
    else:
        out = breaches(request.rule_set, vit)
        if out:
            values = vit.values()
            detail = "; ".join(f"{t.code} (value {values[t.field]:g})" for t in out)
            blocking.append(
                Blocker(
                    "vitals-within-limits", f"vital signs outside limits: {detail}", vitals_source
                )
            )
        else:
            met.append("vitals-within-limits")

    if policy.aldrete_required:
        a = request.aldrete
        if a is None or a.total < policy.aldrete_min:
            got = "not recorded" if a is None else f"{a.total}"
            blocking.append(
                Blocker(
                    "modified-aldrete",
                    f"modified Aldrete {got}; >= {policy.aldrete_min} required after "
                    f"{request.route}",
                    _ALDRETE,
                )
            )
        else:
            met.append("modified-aldrete")

    if policy.require_sedation_resolved:
        m = request.latest_moaas
        if m is not None and m < 5:
            blocking.append(
                Blocker(
                    "sedation-resolved",
                    f"latest MOAA/S {m}; sedation not resolved (5 = responds readily)",
                    "Spravato REMS: monitor until sedation resolves",
                )
            )
        else:
            met.append("sedation-resolved")

    if request.escort_confirmed:
        met.append("escort-confirmed")
    else:
        blocking.append(
            Blocker(
                "escort-confirmed",
                "no escort/ride home confirmed",
                "Spravato label (no driving until the next day) and REMS (leave safely)",
            )
        )

    sig = request.clinician_signature
    if isinstance(sig, str) and sig.strip():
        met.append("clinician-signature")
    else:
        blocking.append(
            Blocker(
                "clinician-signature",
                "no clinician has signed that the patient is clinically stable and ready to leave",
                "Spravato label: clinically stable and ready to leave, as judged by an HCP",
            )
        )
    return DischargeDecision(not blocking, tuple(blocking), tuple(met), earliest)


def require_discharge(request: DischargeRequest) -> DischargeDecision:
    """Like :func:`evaluate_discharge`, but raise :class:`LimitError` when anything blocks.

    The error's ``field`` is the first blocking criterion; the message lists all of them.
    """
    decision = evaluate_discharge(request)
    if decision.blocking:
        first = decision.blocking[0]
        raise LimitError(
            "discharge refused: "
            + "; ".join(f"{b.criterion}: {b.message}" for b in decision.blocking),
            field=first.criterion,
            value=first.message,
            limit=first.source,
        )
    return decision
