"""Turning answers into a total, a severity band, subscales and safety flags.

Every item must be answered (no prorating): a missing or unknown item id, a boolean or an
out-of-range answer raises :class:`~ketaclinic.errors.InputError` naming the item and its
allowed range. The one exception is the C-SSRS screen's skip logic.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from ketaclinic.errors import InputError
from ketaclinic.instruments.model import Instrument

__all__ = [
    "SAFETY_SOURCES",
    "SafetyFlag",
    "Score",
    "score",
]

SAFETY_SOURCES = {
    "phq9-item9": "Kroenke 2001 J Gen Intern Med 16:606 (item 9: thoughts of being better off "
    "dead or of self-harm); Spravato boxed warning (suicidal thoughts and behaviours)",
    "cssrs-high-risk": "Posner 2011 Am J Psychiatry 168:1266; triage mapping UNVERIFIED",
}


@dataclass(frozen=True)
class SafetyFlag:
    """A finding that must reach the prescriber (``notify``) before the next step."""

    code: str
    instrument_id: str
    message: str
    source: str
    item_id: str | None = None
    value: int | None = None
    notify: str = "prescriber"


@dataclass(frozen=True)
class Score:
    """The scored result of one administration.

    ``total`` is in the instrument's own units (points; the PEG mean; the C-SSRS risk
    level 0-3). ``subscales`` and ``answers`` are ``(name, value)`` pairs in item order.
    """

    instrument_id: str
    instrument_version: str
    total: float
    band: str | None
    answers: tuple[tuple[str, int], ...]
    subscales: tuple[tuple[str, float], ...] = ()
    findings: tuple[str, ...] = ()
    flags: tuple[SafetyFlag, ...] = field(default=())

    def subscale(self, name: str) -> float:
        for key, value in self.subscales:
            if key == name:
                return value
        raise InputError.for_field(
            "subscale", name, "one of " + ", ".join(k for k, _ in self.subscales)
        )

    @property
    def has_safety_flag(self) -> bool:
        return bool(self.flags)


def _collect(
    instrument: Instrument, answers: Mapping[str, object], optional: frozenset[str]
) -> dict[str, int]:
    known = {item.id for item in instrument.items}
    for key in answers:
        if key not in known:
            raise InputError.for_field(
                f"{instrument.id} item", key, "one of " + ", ".join(sorted(known))
            )
    values: dict[str, int] = {}
    for item in instrument.items:
        if item.id not in answers:
            if item.id in optional:
                continue
            raise InputError.for_field(
                f"{instrument.id}.{item.id}",
                None,
                f"answered (an integer from {item.min_value} to {item.max_value})",
            )
        values[item.id] = item.check(answers[item.id], instrument.id)
    return values


def _cssrs(instrument: Instrument, answers: Mapping[str, object]) -> tuple[int, dict[str, int]]:
    q2_given = "q2" in answers
    q2 = instrument.item("q2").check(answers["q2"], instrument.id) if q2_given else None
    q6 = instrument.item("q6").check(answers["q6"], instrument.id) if "q6" in answers else None
    optional = {"q6_past_3_months"} if q6 == 0 else set()
    if q2 == 0:
        optional |= {"q3", "q4", "q5"}
    values = _collect(instrument, answers, frozenset(optional))
    if q2 == 0 and any(values.get(q, 0) == 1 for q in ("q3", "q4", "q5")):
        raise InputError.for_field(
            f"{instrument.id}.q3-q5", "yes", "skipped (no) when q2 is no (screen skip logic)"
        )
    if q6 == 0 and values.get("q6_past_3_months", 0) == 1:
        raise InputError.for_field(
            f"{instrument.id}.q6_past_3_months", 1, "0 or unanswered when q6 is no"
        )
    if values.get("q4") or values.get("q5") or values.get("q6_past_3_months"):
        level = 3
    elif values.get("q3") or values.get("q6"):
        level = 2
    elif values.get("q1") or values.get("q2"):
        level = 1
    else:
        level = 0
    return level, values


def _qids(values: Mapping[str, int]) -> tuple[int, list[tuple[str, float]]]:
    def item(i: int) -> int:
        return values[f"item{i}"]

    domains: list[tuple[str, float]] = [
        ("sleep", max(item(i) for i in range(1, 5))),
        ("sad mood", item(5)),
        ("appetite/weight", max(item(i) for i in range(6, 10))),
        ("concentration", item(10)),
        ("self-view", item(11)),
        ("suicidal ideation", item(12)),
        ("interest", item(13)),
        ("energy", item(14)),
        ("psychomotor", max(item(15), item(16))),
    ]
    return int(sum(v for _, v in domains)), domains


def _pcl5_findings(
    instrument: Instrument, values: Mapping[str, int]
) -> tuple[list[tuple[str, float]], list[str]]:
    totals: dict[str, int] = {}
    endorsed: dict[str, int] = {}
    for item in instrument.items:
        cluster = item.subscale or ""
        totals[cluster] = totals.get(cluster, 0) + values[item.id]
        endorsed[cluster] = endorsed.get(cluster, 0) + (values[item.id] >= 2)
    subscales: list[tuple[str, float]] = [(f"cluster {c}", float(t)) for c, t in totals.items()]
    findings: list[str] = []
    # Weathers 2013 / VA: an item rated >= 2 ("moderately") counts as endorsed.
    if endorsed["B"] >= 1 and endorsed["C"] >= 1 and endorsed["D"] >= 2 and endorsed["E"] >= 2:
        findings.append("provisional PTSD (DSM-5 symptom-cluster rule)")
    return subscales, findings


def score(instrument: Instrument, answers: Mapping[str, object]) -> Score:
    """Score one administration of ``instrument``.

    Parameters
    ----------
    instrument
        A definition from :data:`ketaclinic.instruments.INSTRUMENTS`.
    answers
        ``{item_id: integer answer}`` for every item.

    Returns
    -------
    Score
        Total, severity band label, subscales and safety flags.

    Examples
    --------
    >>> from ketaclinic.instruments import PHQ9
    >>> s = score(PHQ9, {f"item{i}": 1 for i in range(1, 10)})
    >>> (s.total, s.band, s.has_safety_flag)
    (9, 'mild', True)
    """
    subscales: list[tuple[str, float]] = []
    findings: list[str] = []
    flags: list[SafetyFlag] = []
    total: float
    if instrument.scoring == "cssrs-screen":
        level, values = _cssrs(instrument, answers)
        total = level
        if level == 3:
            flags.append(
                SafetyFlag(
                    code="cssrs-high-risk",
                    instrument_id=instrument.id,
                    message="C-SSRS screen: high risk (active ideation with intent or plan, "
                    "or suicidal behaviour in the past 3 months)",
                    source=SAFETY_SOURCES["cssrs-high-risk"],
                    value=level,
                )
            )
    else:
        values = _collect(instrument, answers, frozenset())
        if instrument.scoring == "qids-sr16":
            total, subscales = _qids(values)
        elif instrument.scoring == "mean":
            total = sum(values.values()) / len(values)
        else:
            total = sum(values.values())
    if instrument.id == "phq-9" and values["item9"] > 0:
        flags.append(
            SafetyFlag(
                code="phq9-item9",
                instrument_id=instrument.id,
                item_id="item9",
                value=values["item9"],
                message="PHQ-9 item 9 > 0: thoughts of being better off dead or of self-harm",
                source=SAFETY_SOURCES["phq9-item9"],
            )
        )
    if instrument.id == "pcl-5":
        subscales, findings = _pcl5_findings(instrument, values)
    if instrument.id == "y-bocs":
        subscales = [
            ("obsessions", float(sum(values[f"item{i}"] for i in range(1, 6)))),
            ("compulsions", float(sum(values[f"item{i}"] for i in range(6, 11)))),
        ]
    band = instrument.band_for(total)
    ordered = tuple((item.id, values[item.id]) for item in instrument.items if item.id in values)
    return Score(
        instrument_id=instrument.id,
        instrument_version=instrument.version,
        total=total,
        band=band.label if band else None,
        answers=ordered,
        subscales=tuple(subscales),
        findings=tuple(findings),
        flags=tuple(flags),
    )
