"""Monitored sessions: vital signs, threshold alerts, chairside scales, screening, discharge.

Plain Python (no database, no web): frozen dataclasses and pure functions, so the clinic
service can persist every input and result. Thresholds are **configurable defaults, not
standards** (docs/monitoring.md lists each with its source).

Public API
----------
Vital signs
    :class:`VitalSigns` (validated; impossible values and wrong units refused),
    :data:`PHYSIOLOGICAL_RANGES`, :data:`VITAL_UNITS`.
Rules and alerts
    :class:`Threshold`, :class:`RuleSet`, :data:`DEFAULT_RULES`; :func:`evaluate` (alerts
    for one reading), :func:`ingest` (a session's :class:`AlarmState` -> new state and the
    alerts raised), :func:`breaches`; :class:`Alert` with priority high/medium/low
    (IEC 60601-1-8 vocabulary), :func:`acknowledge` (by a named user);
    :func:`stale_feed_alert` (technical alert when a chair's readings stop).
Scales
    :func:`moaas`, :func:`cadss6`, :func:`modified_aldrete` (:class:`AldreteScore`),
    :func:`aldrete_circulation`, :func:`aldrete_spo2`.
Screening
    :data:`CONTRAINDICATIONS`, :func:`screen` (-> :class:`ScreeningResult`),
    :class:`Override`, :func:`is_treatment_resistant`.
Discharge
    :class:`DischargeRequest`, :func:`evaluate_discharge` (-> :class:`DischargeDecision`
    with the blocking criteria), :func:`require_discharge` (raises), :func:`policy_for`.

Examples
--------
>>> from datetime import datetime, timedelta, UTC
>>> from ketaclinic.monitoring import AlarmState, DEFAULT_RULES, VitalSigns, ingest
>>> t0 = datetime(2026, 1, 1, 9, tzinfo=UTC)
>>> state, raised = ingest(DEFAULT_RULES, AlarmState(), VitalSigns(t0, spo2_pct=90))
>>> [(a.code, a.priority) for a in raised]
[('spo2_pct < 92', 'high')]
"""

from ketaclinic.monitoring.alerts import (
    PRIORITY_RANK,
    Acknowledgement,
    Alert,
    Priority,
    acknowledge,
    stale_feed_alert,
)
from ketaclinic.monitoring.discharge import (
    Blocker,
    DischargeDecision,
    DischargePolicy,
    DischargeRequest,
    evaluate_discharge,
    policy_for,
    require_discharge,
)
from ketaclinic.monitoring.rules import (
    DEFAULT_RULES,
    AlarmState,
    RuleSet,
    Threshold,
    breaches,
    evaluate,
    ingest,
)
from ketaclinic.monitoring.scales import (
    AldreteScore,
    Cadss6Score,
    MoaasScore,
    aldrete_circulation,
    aldrete_spo2,
    cadss6,
    moaas,
    modified_aldrete,
)
from ketaclinic.monitoring.screening import (
    CONTRAINDICATIONS,
    AntidepressantTrial,
    Contraindication,
    Override,
    ScreeningResult,
    is_treatment_resistant,
    screen,
)
from ketaclinic.monitoring.vitals import PHYSIOLOGICAL_RANGES, VITAL_UNITS, VitalSigns

__all__ = [
    "CONTRAINDICATIONS",
    "DEFAULT_RULES",
    "PHYSIOLOGICAL_RANGES",
    "PRIORITY_RANK",
    "VITAL_UNITS",
    "Acknowledgement",
    "AlarmState",
    "AldreteScore",
    "Alert",
    "AntidepressantTrial",
    "Blocker",
    "Cadss6Score",
    "Contraindication",
    "DischargeDecision",
    "DischargePolicy",
    "DischargeRequest",
    "MoaasScore",
    "Override",
    "Priority",
    "RuleSet",
    "ScreeningResult",
    "Threshold",
    "VitalSigns",
    "acknowledge",
    "aldrete_circulation",
    "aldrete_spo2",
    "breaches",
    "cadss6",
    "evaluate",
    "evaluate_discharge",
    "ingest",
    "is_treatment_resistant",
    "moaas",
    "modified_aldrete",
    "policy_for",
    "require_discharge",
    "screen",
    "stale_feed_alert",
]
