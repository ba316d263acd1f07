"""Clinic outcome analytics as pure functions over plain records.

* Response and remission rates with 95% confidence intervals (Wilson score interval,
  Wilson 1927, J Am Stat Assoc 22:209, doi:10.1080/01621459.1927.10502953; or the exact
  Clopper-Pearson interval, Biometrika 1934;26:404, doi:10.1093/biomet/26.4.404), by
  indication and/or protocol (Newcombe 1998, Stat Med 17:857 compares both).
* Time to response and durability (time from response to relapse or booster), as
  censored times with a Kaplan-Meier estimate (Kaplan & Meier 1958, J Am Stat Assoc
  53:457, doi:10.1080/01621459.1958.10501452).
* Adverse events per session with an exact Poisson (Garwood 1936, Biometrika 28:437)
  interval, and the share of sessions with at least one event (Wilson).

Definitions (project conventions, documented in docs/instruments.md): response and
remission use each course's instrument rules at the last follow-up (``at="last"``) or at
any follow-up (``at="any"``). Relapse is the first follow-up after a response at which
the primary response rule no longer holds; a booster session also ends durability.
Times are in days from the course start.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Literal

import numpy as np
from scipy import stats

from ketaclinic.errors import InputError
from ketaclinic.instruments.model import Instrument
from ketaclinic.instruments.registry import get_instrument

__all__ = [
    "AdverseEventRate",
    "AdverseEventRecord",
    "Assessment",
    "CourseRecord",
    "GroupBy",
    "GroupRate",
    "KaplanMeier",
    "Proportion",
    "SessionRecord",
    "TimeToEvent",
    "adverse_event_rates",
    "clopper_pearson_interval",
    "durability",
    "kaplan_meier",
    "poisson_interval",
    "proportion",
    "response_rates",
    "time_to_response",
    "wilson_interval",
]

GroupBy = Literal["indication", "protocol_id"]
IntervalMethod = Literal["wilson", "clopper-pearson"]


def _check_confidence(confidence: float) -> float:
    if not (isinstance(confidence, float | int) and 0 < confidence < 1):
        raise InputError.for_field("confidence", confidence, "strictly between 0 and 1")
    return float(confidence)


def _check_counts(successes: int, n: int) -> None:
    for name, v in (("successes", successes), ("n", n)):
        if isinstance(v, bool) or not isinstance(v, int | np.integer) or v < 0:
            raise InputError.for_field(name, v, "a non-negative integer")
    if n == 0:
        raise InputError.for_field("n", n, ">= 1 (no interval for an empty group)")
    if successes > n:
        raise InputError.for_field("successes", successes, f"<= n ({n})")


def wilson_interval(successes: int, n: int, confidence: float = 0.95) -> tuple[float, float]:
    """Wilson score interval for a binomial proportion.

    Examples
    --------
    >>> [round(x, 4) for x in wilson_interval(0, 20)]
    [0.0, 0.1611]
    """
    _check_counts(successes, n)
    z = float(stats.norm.ppf(0.5 + _check_confidence(confidence) / 2))
    p = successes / n
    denom = 1 + z * z / n
    centre = (p + z * z / (2 * n)) / denom
    half = z / denom * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n))
    # At k = 0 (k = n) the bound is exactly 0 (1); rounding would leave ~1e-17.
    low = 0.0 if successes == 0 else max(0.0, centre - half)
    high = 1.0 if successes == n else min(1.0, centre + half)
    return low, high


def clopper_pearson_interval(
    successes: int, n: int, confidence: float = 0.95
) -> tuple[float, float]:
    """Exact (Clopper-Pearson) interval from beta quantiles.

    Examples
    --------
    >>> [round(x, 4) for x in clopper_pearson_interval(0, 20)]
    [0.0, 0.1684]
    """
    _check_counts(successes, n)
    alpha = 1 - _check_confidence(confidence)
    k = successes
    low = 0.0 if k == 0 else float(stats.beta.ppf(alpha / 2, k, n - k + 1))
    high = 1.0 if k == n else float(stats.beta.ppf(1 - alpha / 2, k + 1, n - k))
    return low, high


def poisson_interval(events: int, exposure: float, confidence: float = 0.95) -> tuple[float, float]:
    """Exact (Garwood) interval for a Poisson rate ``events / exposure``."""
    if isinstance(events, bool) or not isinstance(events, int | np.integer) or events < 0:
        raise InputError.for_field("events", events, "a non-negative integer")
    if not (isinstance(exposure, int | float) and math.isfinite(exposure) and exposure > 0):
        raise InputError.for_field("exposure", exposure, "> 0")
    alpha = 1 - _check_confidence(confidence)
    low = 0.0 if events == 0 else float(stats.chi2.ppf(alpha / 2, 2 * events)) / 2
    high = float(stats.chi2.ppf(1 - alpha / 2, 2 * events + 2)) / 2
    return low / exposure, high / exposure


@dataclass(frozen=True)
class Proportion:
    """``successes`` of ``n`` with a confidence interval."""

    successes: int
    n: int
    estimate: float
    low: float
    high: float
    method: IntervalMethod
    confidence: float = 0.95


def proportion(
    successes: int, n: int, method: IntervalMethod = "wilson", confidence: float = 0.95
) -> Proportion:
    """A proportion with its interval (``method`` "wilson" or "clopper-pearson")."""
    if method == "wilson":
        low, high = wilson_interval(successes, n, confidence)
    elif method == "clopper-pearson":
        low, high = clopper_pearson_interval(successes, n, confidence)
    else:
        raise InputError.for_field("method", method, "'wilson' or 'clopper-pearson'")
    return Proportion(successes, n, successes / n, low, high, method, confidence)


@dataclass(frozen=True)
class Assessment:
    """One follow-up total on the course's instrument, ``day`` days after course start."""

    day: float
    total: float

    def __post_init__(self) -> None:
        if not (math.isfinite(self.day) and self.day >= 0):
            raise InputError.for_field("assessment.day", self.day, ">= 0", unit="days")
        if not math.isfinite(self.total):
            raise InputError.for_field("assessment.total", self.total, "finite")


@dataclass(frozen=True)
class CourseRecord:
    """A treatment course as the analytics see it.

    ``assessments`` are the follow-ups after the baseline (any order; sorted here).
    ``booster_days`` are the days of booster/maintenance sessions started after the
    induction phase. ``last_follow_up_day`` defaults to the last assessment.
    """

    course_id: str
    indication: str
    protocol_id: str
    instrument_id: str
    baseline_total: float
    assessments: tuple[Assessment, ...] = ()
    booster_days: tuple[float, ...] = ()
    last_follow_up_day: float | None = None

    def __post_init__(self) -> None:
        object.__setattr__(self, "assessments", tuple(sorted(self.assessments, key=_day)))
        object.__setattr__(self, "booster_days", tuple(sorted(self.booster_days)))

    @property
    def end_day(self) -> float:
        if self.last_follow_up_day is not None:
            return self.last_follow_up_day
        return self.assessments[-1].day if self.assessments else 0.0


def _day(a: Assessment) -> float:
    return a.day


@dataclass(frozen=True)
class GroupRate:
    """Response and remission in one group (``group`` holds the grouping values)."""

    group: tuple[str, ...]
    courses: int
    response: Proportion | None
    remission: Proportion | None


def _instrument(course: CourseRecord, lookup: Callable[[str], Instrument] | None) -> Instrument:
    return (lookup or get_instrument)(course.instrument_id)


def _group_key(course: CourseRecord, by: Sequence[GroupBy]) -> tuple[str, ...]:
    key: list[str] = []
    for name in by:
        if name not in ("indication", "protocol_id"):
            raise InputError.for_field("by", name, "'indication' or 'protocol_id'")
        key.append(getattr(course, name))
    return tuple(key)


def response_rates(
    courses: Iterable[CourseRecord],
    *,
    by: Sequence[GroupBy] = ("indication", "protocol_id"),
    at: Literal["last", "any"] = "last",
    method: IntervalMethod = "wilson",
    confidence: float = 0.95,
    lookup: Callable[[str], Instrument] | None = None,
) -> tuple[GroupRate, ...]:
    """Response and remission rates per group, with confidence intervals.

    Courses without a follow-up are not evaluable and are left out of both rates; a
    course whose instrument has no remission rule is left out of the remission rate.
    Groups are returned sorted by their key.
    """
    if at not in ("last", "any"):
        raise InputError.for_field("at", at, "'last' or 'any'")
    tallies: dict[tuple[str, ...], list[int]] = {}
    for course in courses:
        key = _group_key(course, by)
        t = tallies.setdefault(key, [0, 0, 0, 0, 0])  # courses, resp, n_resp, rem, n_rem
        t[0] += 1
        inst = _instrument(course, lookup)
        if not course.assessments or not inst.response:
            continue
        points = course.assessments if at == "any" else course.assessments[-1:]
        rule = inst.response[0]
        t[1] += any(rule.met(course.baseline_total, a.total) for a in points)
        t[2] += 1
        if inst.remission is not None:
            rem = inst.remission
            t[3] += any(rem.met(a.total) for a in points)
            t[4] += 1
    out = []
    for key in sorted(tallies):
        n, r, nr, m, nm = tallies[key]
        out.append(
            GroupRate(
                group=key,
                courses=n,
                response=proportion(r, nr, method, confidence) if nr else None,
                remission=proportion(m, nm, method, confidence) if nm else None,
            )
        )
    return tuple(out)


@dataclass(frozen=True)
class TimeToEvent:
    """A possibly censored time in days (``event`` False: censored at ``time_days``)."""

    course_id: str
    time_days: float
    event: bool


def time_to_response(
    course: CourseRecord, *, lookup: Callable[[str], Instrument] | None = None
) -> TimeToEvent | None:
    """Day of the first follow-up meeting the primary response rule (else censored).

    None when the course has no follow-up or its instrument has no response rule.
    """
    inst = _instrument(course, lookup)
    if not course.assessments or not inst.response:
        return None
    rule = inst.response[0]
    for a in course.assessments:
        if rule.met(course.baseline_total, a.total):
            return TimeToEvent(course.course_id, a.day, True)
    return TimeToEvent(course.course_id, course.end_day, False)


def durability(
    course: CourseRecord, *, lookup: Callable[[str], Instrument] | None = None
) -> TimeToEvent | None:
    """Days from first response to relapse or the first booster, whichever is first.

    None when the course never responded. Censored at the last follow-up.
    """
    first = time_to_response(course, lookup=lookup)
    if first is None or not first.event:
        return None
    rule = _instrument(course, lookup).response[0]
    start = first.time_days
    ends = [d for d in course.booster_days if d > start]
    ends += [
        a.day
        for a in course.assessments
        if a.day > start and not rule.met(course.baseline_total, a.total)
    ]
    if ends:
        return TimeToEvent(course.course_id, min(ends) - start, True)
    return TimeToEvent(course.course_id, max(course.end_day - start, 0.0), False)


@dataclass(frozen=True)
class KaplanMeier:
    """Product-limit estimate: ``survival[i]`` holds just after ``times_days[i]``."""

    times_days: tuple[float, ...]
    survival: tuple[float, ...]
    at_risk: tuple[int, ...]
    events: tuple[int, ...]
    median_days: float | None


def kaplan_meier(observations: Iterable[TimeToEvent]) -> KaplanMeier:
    """Kaplan-Meier curve over the distinct event times; median = first S <= 0.5."""
    obs = sorted(observations, key=lambda o: o.time_days)
    times: list[float] = []
    surv: list[float] = []
    at_risk: list[int] = []
    events: list[int] = []
    s = 1.0
    median: float | None = None
    remaining = len(obs)
    i = 0
    while i < len(obs):
        t = obs[i].time_days
        d = c = 0
        while i < len(obs) and obs[i].time_days == t:
            d += obs[i].event
            c += not obs[i].event
            i += 1
        if d:
            s *= 1 - d / remaining
            times.append(t)
            surv.append(s)
            at_risk.append(remaining)
            events.append(d)
            if median is None and s <= 0.5:
                median = t
        remaining -= d + c
    return KaplanMeier(tuple(times), tuple(surv), tuple(at_risk), tuple(events), median)


@dataclass(frozen=True)
class SessionRecord:
    """One completed treatment session."""

    session_id: str
    indication: str
    protocol_id: str


@dataclass(frozen=True)
class AdverseEventRecord:
    """One adverse event, linked to its session."""

    session_id: str
    type: str
    severity: str = "mild"
    serious: bool = False


@dataclass(frozen=True)
class AdverseEventRate:
    """Events per session (Poisson interval) and sessions with >= 1 event (proportion)."""

    group: tuple[str, ...]
    event_type: str | None
    sessions: int
    events: int
    events_per_session: float
    low: float
    high: float
    sessions_with_event: Proportion


def adverse_event_rates(
    sessions: Iterable[SessionRecord],
    events: Iterable[AdverseEventRecord],
    *,
    by: Sequence[GroupBy] = ("indication", "protocol_id"),
    event_type: str | None = None,
    confidence: float = 0.95,
) -> tuple[AdverseEventRate, ...]:
    """Adverse-event rates per session in each group (optionally one event type).

    An event whose session is not in ``sessions`` is an input error (it would be lost).
    """
    by_session: dict[str, tuple[str, ...]] = {}
    counts: dict[tuple[str, ...], int] = {}
    for s in sessions:
        if s.session_id in by_session:
            raise InputError.for_field("session_id", s.session_id, "unique")
        key = tuple(getattr(s, name) for name in by)
        for name in by:
            if name not in ("indication", "protocol_id"):
                raise InputError.for_field("by", name, "'indication' or 'protocol_id'")
        by_session[s.session_id] = key
        counts[key] = counts.get(key, 0) + 1
    n_events: dict[tuple[str, ...], int] = dict.fromkeys(counts, 0)
    hit: dict[tuple[str, ...], set[str]] = {k: set() for k in counts}
    for e in events:
        if e.session_id not in by_session:
            raise InputError.for_field("adverse event session_id", e.session_id, "a known session")
        if event_type is not None and e.type != event_type:
            continue
        key = by_session[e.session_id]
        n_events[key] += 1
        hit[key].add(e.session_id)
    out = []
    for key in sorted(counts):
        n = counts[key]
        low, high = poisson_interval(n_events[key], n, confidence)
        out.append(
            AdverseEventRate(
                group=key,
                event_type=event_type,
                sessions=n,
                events=n_events[key],
                events_per_session=n_events[key] / n,
                low=low,
                high=high,
                sessions_with_event=proportion(len(hit[key]), n, "wilson", confidence),
            )
        )
    return tuple(out)
