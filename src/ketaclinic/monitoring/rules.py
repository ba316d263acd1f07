"""Per-protocol vital-sign threshold rules, evaluated when a reading arrives.

**The default thresholds are configurable defaults, not standards.** They come from a
vendor-neutral EHR guide's *example* alert table (ketaminesoftware.com, "IV therapy EHR
requirements"; repository Phillymcdee/ketamine-software-directory) and, where marked
UNVERIFIED, from hold points attributed to the APA consensus (Sanacora 2017, JAMA
Psychiatry 74:399, doi:10.1001/jamapsychiatry.2017.0080) that no source confirmed. Each
clinic and protocol sets its own :class:`RuleSet`; the priorities are the clinic's
IEC 60601-1-8 Table 1 assignments (see docs/monitoring.md).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from datetime import datetime
from typing import Literal

from ketaclinic.errors import InputError
from ketaclinic.monitoring.alerts import (
    IEC_60601_1_8,
    PRIORITY_RANK,
    Alert,
    Priority,
    acknowledge,
)
from ketaclinic.monitoring.vitals import (
    LABELS,
    PHYSIOLOGICAL_RANGES,
    VITAL_FIELDS,
    VitalField,
    VitalSigns,
    unit_of,
)

__all__ = [
    "CONFIGURABLE_DEFAULT",
    "DEFAULT_RULES",
    "FEED_INTERVAL_SOURCE",
    "AlarmState",
    "RuleSet",
    "Threshold",
    "breaches",
    "evaluate",
    "ingest",
    "is_default_interval",
]

CONFIGURABLE_DEFAULT = (
    "Configurable default, not a standard: example thresholds; each clinic and protocol "
    "sets its own limits."
)

_EHR_GUIDE = (
    "ketaminesoftware.com 'IV therapy EHR requirements' guide, example alert thresholds "
    "(Phillymcdee/ketamine-software-directory, iv-therapy-ehr-requirements.astro)"
)
_SANACORA = "Sanacora 2017 JAMA Psychiatry 74:399, doi:10.1001/jamapsychiatry.2017.0080"

#: Where the default feed interval (15 min) and the 2 allowed silent intervals come from;
#: both are configurable local defaults that each protocol's rule set may change.
FEED_INTERVAL_SOURCE = (
    "expected_interval_min 15: IV series practice of BP every 10-15 min during and every "
    "15 min after the infusion (J Affect Disord 2018, PMID 29525051); silent_intervals 2: "
    "safety-security sheet's IEC 60601-1-8 example mapping (feed silent > 2 intervals -> "
    "technical MEDIUM). Configurable local defaults, not standards."
)


@dataclass(frozen=True)
class Threshold:
    """Alert when ``field`` goes ``above`` (> limit) or ``below`` (< limit) ``limit``.

    ``inclusive`` turns > into >= (and < into <=). ``provenance`` is "S" (read in a source),
    "UNVERIFIED" (attributed, not confirmed) or "clinic" (a local decision).
    """

    field: VitalField
    direction: Literal["above", "below"]
    limit: float
    priority: Priority
    source: str
    provenance: Literal["S", "UNVERIFIED", "clinic"] = "clinic"
    inclusive: bool = False

    def __post_init__(self) -> None:
        if self.field not in VITAL_FIELDS:
            raise InputError.for_field(
                "threshold.field", self.field, "one of " + ", ".join(VITAL_FIELDS)
            )
        if self.direction not in ("above", "below"):
            raise InputError.for_field("threshold.direction", self.direction, "'above' or 'below'")
        if self.priority not in PRIORITY_RANK:
            raise InputError.for_field(
                "threshold.priority", self.priority, "'high', 'medium' or 'low'"
            )
        lo, hi = PHYSIOLOGICAL_RANGES[self.field]
        unit = unit_of(self.field)
        if isinstance(self.limit, bool) or not (
            isinstance(self.limit, int | float)
            and math.isfinite(self.limit)
            and lo <= self.limit <= hi
        ):
            raise InputError.for_field(
                f"threshold {self.field} limit",
                self.limit,
                f"between {lo:g} and {hi:g} {unit}",
                unit=unit,
            )

    @property
    def condition(self) -> str:
        return f"{self.field}:{self.direction}"

    @property
    def code(self) -> str:
        sign = (
            (">=" if self.inclusive else ">")
            if self.direction == "above"
            else ("<=" if self.inclusive else "<")
        )
        return f"{self.field} {sign} {self.limit:g}"

    def breached(self, value: float) -> bool:
        if self.direction == "above":
            return value >= self.limit if self.inclusive else value > self.limit
        return value <= self.limit if self.inclusive else value < self.limit


@dataclass(frozen=True)
class RuleSet:
    """The thresholds of one protocol, and how often readings are expected.

    ``expected_interval_min`` drives the silent-feed alert (see
    :func:`ketaclinic.monitoring.stale_feed_alert`): default 15 min, the usual BP/HR
    interval during and after IV infusion (Emory series, J Affect Disord 2018, PMID
    29525051: every 10-15 min) -- a configurable default.
    """

    id: str
    thresholds: tuple[Threshold, ...]
    expected_interval_min: float = 15.0
    silent_intervals: float = 2.0
    note: str = CONFIGURABLE_DEFAULT
    version: str = "1"

    def __post_init__(self) -> None:
        if not self.id:
            raise InputError.for_field("rule_set.id", self.id, "a non-empty string")
        for name in ("expected_interval_min", "silent_intervals"):
            v = getattr(self, name)
            if isinstance(v, bool) or not (
                isinstance(v, int | float) and math.isfinite(v) and v > 0
            ):
                raise InputError.for_field(
                    name, v, "> 0", unit="min" if name.endswith("min") else None
                )
        keys = [(t.field, t.direction, t.limit) for t in self.thresholds]
        if len(set(keys)) != len(keys):
            raise InputError.for_field("rule_set.thresholds", self.id, "no duplicate limits")
        # Within one condition a stricter limit must not carry a lower priority.
        for a in self.thresholds:
            for b in self.thresholds:
                if a.condition == b.condition and a is not b:
                    stricter = a.limit > b.limit if a.direction == "above" else a.limit < b.limit
                    if stricter and PRIORITY_RANK[a.priority] < PRIORITY_RANK[b.priority]:
                        raise InputError.for_field(
                            f"threshold {a.code} priority",
                            a.priority,
                            f"at least {b.priority} (the milder limit {b.code} is {b.priority})",
                        )


DEFAULT_RULES = RuleSet(
    id="default",
    thresholds=(
        Threshold("sbp_mmhg", "above", 180, "medium", _EHR_GUIDE, "S"),
        Threshold("sbp_mmhg", "below", 90, "medium", _EHR_GUIDE, "S"),
        Threshold(
            "dbp_mmhg",
            "above",
            100,
            "medium",
            _SANACORA + " (>= 180/100 hold point)",
            "UNVERIFIED",
            inclusive=True,
        ),
        Threshold(
            "hr_per_min",
            "above",
            110,
            "low",
            _SANACORA + " (HR >= 110 hold point)",
            "UNVERIFIED",
            inclusive=True,
        ),
        Threshold("hr_per_min", "above", 120, "medium", _EHR_GUIDE, "S"),
        Threshold("hr_per_min", "below", 50, "medium", _EHR_GUIDE, "S"),
        Threshold(
            "spo2_pct",
            "below",
            92,
            "high",
            _EHR_GUIDE + "; Spravato REMS (pulse oximetry, respiratory depression)",
            "S",
        ),
        Threshold(
            "rr_per_min",
            "below",
            10,
            "high",
            _EHR_GUIDE + "; Spravato REMS (respiratory depression)",
            "S",
        ),
        Threshold("rr_per_min", "above", 25, "low", _EHR_GUIDE, "S"),
    ),
)


def is_default_interval(expected_interval_min: float, silent_intervals: int) -> bool:
    """Whether a silent-feed setting is the sourced default of :data:`DEFAULT_RULES`
    (:data:`FEED_INTERVAL_SOURCE`) rather than a clinic's own choice."""
    return (expected_interval_min, silent_intervals) == (
        DEFAULT_RULES.expected_interval_min,
        DEFAULT_RULES.silent_intervals,
    )


def breaches(rule_set: RuleSet, vitals: VitalSigns) -> tuple[Threshold, ...]:
    """Every threshold the reading breaches, in rule-set order."""
    values = vitals.values()
    return tuple(
        t for t in rule_set.thresholds if t.field in values and t.breached(values[t.field])
    )


def _alert(t: Threshold, vitals: VitalSigns, rule_set: RuleSet, chair_id: str | None) -> Alert:
    value = vitals.values()[t.field]
    unit = unit_of(t.field)
    return Alert(
        code=t.code,
        condition=t.condition,
        kind="physiological",
        priority=t.priority,
        message=f"{LABELS[t.field]} {value:g} {unit} is {t.direction} the limit "
        f"{t.limit:g} {unit} (rule set {rule_set.id})",
        raised_at=vitals.measured_at,
        source=f"{t.source} [{t.provenance}]; priority: {IEC_60601_1_8}",
        field=t.field,
        value=value,
        unit=unit,
        limit=t.limit,
        chair_id=chair_id,
    )


def evaluate(
    rule_set: RuleSet, vitals: VitalSigns, *, chair_id: str | None = None
) -> tuple[Alert, ...]:
    """Alerts for one reading: per condition, the highest-priority breached limit.

    Examples
    --------
    >>> from datetime import datetime, UTC
    >>> v = VitalSigns(datetime(2026, 1, 1, 9, tzinfo=UTC), spo2_pct=88, hr_per_min=125)
    >>> [(a.code, a.priority) for a in evaluate(DEFAULT_RULES, v)]
    [('hr_per_min > 120', 'medium'), ('spo2_pct < 92', 'high')]
    """
    best: dict[str, Threshold] = {}
    for t in breaches(rule_set, vitals):
        current = best.get(t.condition)
        if current is None or (PRIORITY_RANK[t.priority], _severity(t)) > (
            PRIORITY_RANK[current.priority],
            _severity(current),
        ):
            best[t.condition] = t
    return tuple(_alert(t, vitals, rule_set, chair_id) for t in best.values())


def _severity(t: Threshold) -> float:
    return t.limit if t.direction == "above" else -t.limit


@dataclass(frozen=True)
class AlarmState:
    """The alert conditions currently present in one session (persistable)."""

    active: tuple[Alert, ...] = field(default=())

    def get(self, condition: str) -> Alert | None:
        for a in self.active:
            if a.condition == condition:
                return a
        return None

    def acknowledge(
        self, condition: str, *, user: str, at: datetime, note: str = ""
    ) -> tuple[AlarmState, Alert]:
        """Acknowledge the active alert for ``condition``; returns the new state and alert."""
        old = self.get(condition)
        if old is None:
            raise InputError.for_field(
                "condition",
                condition,
                "an active alert condition: "
                + (", ".join(a.condition for a in self.active) or "none active"),
            )
        new = acknowledge(old, user=user, at=at, note=note)
        return AlarmState(tuple(new if a is old else a for a in self.active)), new


def ingest(
    rule_set: RuleSet, state: AlarmState, vitals: VitalSigns, *, chair_id: str | None = None
) -> tuple[AlarmState, tuple[Alert, ...]]:
    """Evaluate a new reading against the session's state.

    Returns the new state and the alerts *raised* by this reading: a condition that starts,
    or one that escalates to a higher priority. A condition that persists at the same or a
    lower priority raises nothing (its alert stays active, acknowledged or not); a condition
    whose vital is measured again within limits ends.
    """
    measured = set(vitals.values())
    now = {a.condition: a for a in evaluate(rule_set, vitals, chair_id=chair_id)}
    raised: list[Alert] = []
    active: list[Alert] = []
    for old in state.active:
        if old.condition in now:
            new = now.pop(old.condition)
            if PRIORITY_RANK[new.priority] > PRIORITY_RANK[old.priority]:
                raised.append(new)
                active.append(new)
            else:
                active.append(old)
        elif old.field is None or old.field not in measured:
            active.append(old)  # not re-measured (or technical): unchanged
    for new in now.values():
        raised.append(new)
        active.append(new)
    return AlarmState(tuple(active)), tuple(raised)
