"""Alerts in the IEC 60601-1-8 vocabulary, their acknowledgement and the silent-feed alert.

Priorities follow IEC 60601-1-8 Table 1 as *design language* (the standard strictly applies
to medical electrical equipment): HIGH when failing to respond promptly may cause death or
irreversible injury, MEDIUM for reversible injury with prompt onset, LOW for minor injury or
delayed onset. The standard does not say which conditions alarm or at what priority: that
mapping is the clinic's decision, documented in docs/monitoring.md.

Acknowledgement does not clear the condition and does not silence later, different alerts
(IEC 60601-1-8 6.8.1): acknowledging returns a new :class:`Alert` with the user and time.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from typing import Literal

from ketaclinic.errors import InputError, LimitError
from ketaclinic.monitoring.vitals import VitalField, check_utc

__all__ = [
    "IEC_60601_1_8",
    "PRIORITY_RANK",
    "Acknowledgement",
    "Alert",
    "AlertKind",
    "Priority",
    "acknowledge",
    "stale_feed_alert",
]

Priority = Literal["high", "medium", "low"]
AlertKind = Literal["physiological", "technical"]
PRIORITY_RANK: dict[Priority, int] = {"low": 1, "medium": 2, "high": 3}

IEC_60601_1_8 = (
    "IEC 60601-1-8:2006+A1:2012, Table 1 (alarm priority from the potential result of "
    "failure to respond and its onset); used as design language"
)


@dataclass(frozen=True)
class Acknowledgement:
    """Who acknowledged an alert, and when (UTC)."""

    user: str
    at: datetime
    note: str = ""

    def __post_init__(self) -> None:
        if not isinstance(self.user, str) or not self.user.strip():
            raise InputError.for_field("user", self.user, "a named user (non-empty)")
        check_utc("acknowledged_at", self.at)


@dataclass(frozen=True)
class Alert:
    """One alarm condition raised at ``raised_at``.

    ``condition`` identifies the condition (``"sbp_mmhg:above"``, ``"feed-silent"``) so a
    persisting condition is not raised twice; ``code`` also names the limit that fired.
    ``field``/``value``/``unit``/``limit`` are the triggering measurement and the limit in
    force (IEC 60601-1-8 6.12.2 alarm-log content); ``source`` is the rule's source.
    """

    code: str
    condition: str
    kind: AlertKind
    priority: Priority
    message: str
    raised_at: datetime
    source: str
    field: VitalField | None = None
    value: float | None = None
    unit: str | None = None
    limit: float | None = None
    chair_id: str | None = None
    acknowledgement: Acknowledgement | None = None

    def __post_init__(self) -> None:
        if self.priority not in PRIORITY_RANK:
            raise InputError.for_field("priority", self.priority, "'high', 'medium' or 'low'")
        if self.kind not in ("physiological", "technical"):
            raise InputError.for_field("kind", self.kind, "'physiological' or 'technical'")
        check_utc("raised_at", self.raised_at)

    @property
    def acknowledged(self) -> bool:
        return self.acknowledgement is not None


def acknowledge(alert: Alert, *, user: str, at: datetime, note: str = "") -> Alert:
    """Return ``alert`` acknowledged by ``user`` at ``at``.

    Raises
    ------
    InputError
        Empty user, naive datetime, or ``at`` before the alert was raised.
    LimitError
        The alert was already acknowledged (the first acknowledgement stands).
    """
    ack = Acknowledgement(user=user, at=at, note=note)
    if at < alert.raised_at:
        raise InputError.for_field(
            "acknowledged_at",
            at.isoformat(),
            f"at or after raised_at ({alert.raised_at.isoformat()})",
        )
    if alert.acknowledgement is not None:
        first = alert.acknowledgement
        raise LimitError(
            f"alert {alert.code} was already acknowledged by {first.user} at "
            f"{first.at.isoformat()}",
            field="acknowledgement",
            value=user,
            limit="one acknowledgement per alert",
        )
    return replace(alert, acknowledgement=ack)


def stale_feed_alert(
    *,
    now: datetime,
    last_reading_at: datetime | None,
    session_started_at: datetime,
    expected_interval_min: float,
    silent_intervals: float = 2.0,
    chair_id: str | None = None,
    priority: Priority = "medium",
) -> Alert | None:
    """Technical alert when an active chair's readings stop arriving.

    The feed is silent when no reading arrived for more than ``silent_intervals`` x
    ``expected_interval_min`` (counted from the session start when there was none yet).
    Default MEDIUM after 2 missed intervals: the safety-security sheet's example mapping for
    IEC 60601-1-8 ("chair/vitals feed silent > 2 intervals -> technical alarm MEDIUM"), a
    configurable default.

    Examples
    --------
    >>> from datetime import datetime, UTC
    >>> t0 = datetime(2026, 1, 1, 9, 0, tzinfo=UTC)
    >>> a = stale_feed_alert(now=t0 + timedelta(minutes=31), last_reading_at=t0,
    ...                      session_started_at=t0, expected_interval_min=15)
    >>> (a.kind, a.priority, a.value)
    ('technical', 'medium', 31.0)
    """
    check_utc("now", now)
    check_utc("session_started_at", session_started_at)
    if last_reading_at is not None:
        check_utc("last_reading_at", last_reading_at)
        if last_reading_at > now:
            raise InputError.for_field(
                "last_reading_at", last_reading_at.isoformat(), f"not after now ({now.isoformat()})"
            )
    for name, v in (
        ("expected_interval_min", expected_interval_min),
        ("silent_intervals", silent_intervals),
    ):
        if isinstance(v, bool) or not isinstance(v, int | float) or not v > 0:
            raise InputError.for_field(name, v, "> 0")
    since = last_reading_at or session_started_at
    silent_min = (now - since) / timedelta(minutes=1)
    limit_min = silent_intervals * expected_interval_min
    if silent_min <= limit_min:
        return None
    what = "no reading since" if last_reading_at else "no reading since session start at"
    return Alert(
        code="feed-silent",
        condition="feed-silent",
        kind="technical",
        priority=priority,
        message=f"vital-sign feed silent for {silent_min:.0f} min ({what} "
        f"{since.isoformat()}); limit {limit_min:g} min",
        raised_at=now,
        source=IEC_60601_1_8 + "; 2 missed intervals -> MEDIUM (configurable default)",
        value=silent_min,
        unit="min",
        limit=limit_min,
        chair_id=chair_id,
    )
