"""Chairside scales: sedation (MOAA/S), dissociation (CADSS-6) and the modified Aldrete score.

* MOAA/S: Chernik DA et al. J Clin Psychopharmacol 1990;10:244-251 (0-5; the Spravato label
  reports sedation with it). The "MOAA/S <= 3 -> escalate" rule is UNVERIFIED (an EHR-guide
  convention) and is a configurable default.
* CADSS-6: items 1, 2, 6, 7, 15 and 22 of the Clinician-Administered Dissociative States
  Scale (Bremner JD et al. J Trauma Stress 1998;11:125-136), each 0-4, total 0-24; Rodrigues
  NB et al. J Affect Disord 2021 (correlation 0.91-0.95 with the full scale; retrospective,
  not validated). Items are recorded by id only: the CADSS text is not shipped (copyright
  status UNVERIFIED). No standard alarm threshold exists.
* Modified Aldrete: Aldrete JA. J Clin Anesth 1995;7:89-91,
  doi:10.1016/0952-8180(94)00001-K. Five criteria scored 0-2; >= 9 to leave phase-1
  recovery.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass

from ketaclinic.errors import InputError

__all__ = [
    "ALDRETE_DISCHARGE_MIN",
    "CADSS6_ITEMS",
    "MOAAS_ESCALATE_AT_OR_BELOW",
    "MOAAS_LEVELS",
    "AldreteScore",
    "Cadss6Score",
    "MoaasScore",
    "aldrete_circulation",
    "aldrete_spo2",
    "cadss6",
    "moaas",
    "modified_aldrete",
]

MOAAS_LEVELS: dict[int, str] = {
    5: "responds readily to name spoken in normal tone",
    4: "lethargic response to name spoken in normal tone",
    3: "responds only after name is called loudly and/or repeatedly",
    2: "responds only after mild prodding or shaking",
    1: "responds only after painful trapezius squeeze",
    0: "no response after painful trapezius squeeze",
}
#: Escalate at MOAA/S <= 3: configurable default, UNVERIFIED (EHR-guide convention).
MOAAS_ESCALATE_AT_OR_BELOW = 3

#: CADSS item numbers that make up the CADSS-6 (Rodrigues 2021).
CADSS6_ITEMS: tuple[str, ...] = ("cadss1", "cadss2", "cadss6", "cadss7", "cadss15", "cadss22")

#: Modified Aldrete total required to leave phase-1 recovery (Aldrete 1995).
ALDRETE_DISCHARGE_MIN = 9


def _int_in(field: str, value: object, lo: int, hi: int) -> int:
    requirement = f"an integer from {lo} to {hi}"
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise InputError.for_field(field, value, requirement)
    if isinstance(value, float) and not (math.isfinite(value) and value.is_integer()):
        raise InputError.for_field(field, value, requirement)
    if not lo <= int(value) <= hi:
        raise InputError.for_field(field, value, requirement)
    return int(value)


@dataclass(frozen=True)
class MoaasScore:
    """A MOAA/S observation."""

    score: int
    description: str
    escalate: bool
    loss_of_consciousness: bool


def moaas(score: int, *, escalate_at_or_below: int = MOAAS_ESCALATE_AT_OR_BELOW) -> MoaasScore:
    """Validate and describe a MOAA/S score (0 = no response to a painful stimulus).

    Examples
    --------
    >>> m = moaas(3)
    >>> (m.escalate, m.loss_of_consciousness)
    (True, False)
    """
    s = _int_in("moaas", score, 0, 5)
    limit = _int_in("escalate_at_or_below", escalate_at_or_below, 0, 5)
    return MoaasScore(s, MOAAS_LEVELS[s], s <= limit, s == 0)


@dataclass(frozen=True)
class Cadss6Score:
    """CADSS-6 total (0-24) with the item answers in item order."""

    total: int
    items: tuple[tuple[str, int], ...]


def cadss6(items: Mapping[str, object]) -> Cadss6Score:
    """Sum the six CADSS-6 items (``cadss1``, ``cadss2``, ``cadss6``, ``cadss7``,
    ``cadss15``, ``cadss22``; 0-4 each). Every item is required; unknown ids are refused.

    Examples
    --------
    >>> cadss6(dict.fromkeys(CADSS6_ITEMS, 2)).total
    12
    """
    for key in items:
        if key not in CADSS6_ITEMS:
            raise InputError.for_field("cadss-6 item", key, "one of " + ", ".join(CADSS6_ITEMS))
    values = []
    for item_id in CADSS6_ITEMS:
        if item_id not in items:
            raise InputError.for_field(f"cadss-6.{item_id}", None, "answered (0-4)")
        values.append((item_id, _int_in(f"cadss-6.{item_id}", items[item_id], 0, 4)))
    return Cadss6Score(sum(v for _, v in values), tuple(values))


@dataclass(frozen=True)
class AldreteScore:
    """Modified Aldrete: five criteria 0-2, total 0-10, ``fit_for_discharge`` at >= 9."""

    activity: int
    respiration: int
    circulation: int
    consciousness: int
    oxygen_saturation: int

    def __post_init__(self) -> None:
        for name in (
            "activity",
            "respiration",
            "circulation",
            "consciousness",
            "oxygen_saturation",
        ):
            _int_in(f"aldrete.{name}", getattr(self, name), 0, 2)

    @property
    def total(self) -> int:
        return (
            self.activity
            + self.respiration
            + self.circulation
            + self.consciousness
            + self.oxygen_saturation
        )

    @property
    def fit_for_discharge(self) -> bool:
        return self.total >= ALDRETE_DISCHARGE_MIN


def modified_aldrete(
    *, activity: int, respiration: int, circulation: int, consciousness: int, oxygen_saturation: int
) -> AldreteScore:
    """Build a validated modified Aldrete score.

    Criteria (Aldrete 1995): activity (2 moves 4 limbs, 1 two, 0 none); respiration (2 deep
    breath and cough, 1 dyspnoea/limited, 0 apnoeic); circulation (see
    :func:`aldrete_circulation`); consciousness (2 fully awake, 1 arousable on calling,
    0 not responding); SpO2 (see :func:`aldrete_spo2`).

    Examples
    --------
    >>> modified_aldrete(activity=2, respiration=2, circulation=1, consciousness=2,
    ...                  oxygen_saturation=2).total
    9
    """
    return AldreteScore(activity, respiration, circulation, consciousness, oxygen_saturation)


def aldrete_circulation(sbp_mmhg: float, pre_sbp_mmhg: float) -> int:
    """Circulation criterion from the systolic pressure against its pre-treatment level.

    2 when within +/- 20 mmHg, 1 when 20-50 mmHg away, 0 when more than 50 mmHg away
    (modified Aldrete as tabulated by Wikipedia "Aldrete's scoring system" and wjgnet.com;
    some versions use +/- 20% / 20-49% / >= 50% of the pre-level instead: UNVERIFIED which
    the clinic uses, so this helper is optional).
    """
    for name, v in (("sbp_mmhg", sbp_mmhg), ("pre_sbp_mmhg", pre_sbp_mmhg)):
        if isinstance(v, bool) or not (isinstance(v, int | float) and math.isfinite(v) and v > 0):
            raise InputError.for_field(name, v, "> 0 mmHg", unit="mmHg")
    diff = abs(sbp_mmhg - pre_sbp_mmhg)
    if diff <= 20:
        return 2
    if diff <= 50:
        return 1
    return 0


def aldrete_spo2(spo2_pct: float, *, on_oxygen: bool) -> int:
    """SpO2 criterion (Aldrete 1995): 2 when > 92% on room air; 1 when supplemental
    oxygen is needed to keep it > 90%; 0 when < 90% even with oxygen."""
    if isinstance(spo2_pct, bool) or not (
        isinstance(spo2_pct, int | float) and math.isfinite(spo2_pct) and 0 <= spo2_pct <= 100
    ):
        raise InputError.for_field("spo2_pct", spo2_pct, "between 0 and 100 %", unit="%")
    if not on_oxygen and spo2_pct > 92:
        return 2
    if spo2_pct > 90:
        return 1
    return 0
