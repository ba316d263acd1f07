"""Screening: contraindications, prescriber overrides and the TRD history.

* Absolute contraindications (Spravato prescribing information, section 4): aneurysmal
  vascular disease or arteriovenous malformation, history of intracerebral haemorrhage,
  hypersensitivity to esketamine, ketamine or an excipient. A hard stop: no override.
* Relative contraindications (Cohen SP et al., ASRA/AAPM/ASA consensus, Reg Anesth Pain
  Med 2018;43:521-546, doi:10.1097/AAP.0000000000000808; active psychosis and active
  substance misuse also in the APA consensus, Sanacora 2017 JAMA Psychiatry 74:399,
  UNVERIFIED detail): treatment needs a prescriber's documented override with a reason.
* Treatment-resistant depression: failure of >= 2 adequate antidepressant trials (the
  common eligibility convention; secondary sources).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from types import MappingProxyType
from typing import Literal

from ketaclinic.errors import InputError, LimitError
from ketaclinic.monitoring.vitals import check_utc

__all__ = [
    "CONTRAINDICATIONS",
    "TRD_MIN_FAILED_TRIALS",
    "AntidepressantTrial",
    "Contraindication",
    "Override",
    "ScreeningResult",
    "is_treatment_resistant",
    "screen",
]

_LABEL = "Spravato (esketamine) prescribing information, section 4 Contraindications"
_COHEN = "Cohen 2018 Reg Anesth Pain Med 43:521, doi:10.1097/AAP.0000000000000808"


@dataclass(frozen=True)
class Contraindication:
    """A screening finding: ``absolute`` ones stop treatment; ``relative`` ones need an override."""

    id: str
    label: str
    kind: Literal["absolute", "relative"]
    source: str


CONTRAINDICATIONS: MappingProxyType[str, Contraindication] = MappingProxyType(
    {
        c.id: c
        for c in (
            Contraindication(
                "aneurysmal-vascular-disease",
                "Aneurysmal vascular disease (thoracic/abdominal aorta, intracranial, "
                "peripheral arterial) or arteriovenous malformation",
                "absolute",
                _LABEL,
            ),
            Contraindication(
                "intracerebral-haemorrhage-history",
                "History of intracerebral haemorrhage",
                "absolute",
                _LABEL,
            ),
            Contraindication(
                "hypersensitivity",
                "Hypersensitivity to esketamine, ketamine or any excipient",
                "absolute",
                _LABEL,
            ),
            Contraindication(
                "uncontrolled-cardiovascular-disease",
                "Poorly controlled cardiovascular disease or hypertension",
                "relative",
                _COHEN,
            ),
            Contraindication("pregnancy", "Pregnancy", "relative", _COHEN),
            Contraindication(
                "active-psychosis",
                "Active psychosis",
                "relative",
                _COHEN + "; Sanacora 2017 (UNVERIFIED detail); Spravato label caution",
            ),
            Contraindication(
                "hepatic-disease",
                "Severe (avoid) or moderate (caution) hepatic disease",
                "relative",
                _COHEN,
            ),
            Contraindication(
                "raised-icp-iop",
                "Raised intracranial or intraocular pressure",
                "relative",
                _COHEN,
            ),
            Contraindication(
                "active-substance-abuse",
                "Active substance abuse",
                "relative",
                _COHEN + "; Sanacora 2017 (UNVERIFIED detail)",
            ),
        )
    }
)


@dataclass(frozen=True)
class Override:
    """A prescriber's documented decision to treat despite a relative contraindication."""

    contraindication_id: str
    prescriber: str
    reason: str
    at: datetime

    def __post_init__(self) -> None:
        if not isinstance(self.prescriber, str) or not self.prescriber.strip():
            raise InputError.for_field("override.prescriber", self.prescriber, "a named prescriber")
        if not isinstance(self.reason, str) or not self.reason.strip():
            raise InputError.for_field("override.reason", self.reason, "a documented reason")
        check_utc("override.at", self.at)


@dataclass(frozen=True)
class ScreeningResult:
    """The screening verdict.

    ``status``: "hard-stop" (an absolute contraindication), "needs-override" (a relative one
    without an override) or "eligible". ``blocking`` lists the contraindications that stop
    treatment now; ``overridden`` the relative ones a prescriber accepted.
    """

    status: Literal["eligible", "needs-override", "hard-stop"]
    blocking: tuple[Contraindication, ...]
    overridden: tuple[Override, ...]
    findings: tuple[str, ...]

    @property
    def may_treat(self) -> bool:
        return self.status == "eligible"

    @property
    def message(self) -> str:
        if not self.blocking:
            return "no blocking contraindication"
        what = (
            "absolute contraindication (hard stop)"
            if self.status == "hard-stop"
            else ("relative contraindication needing a prescriber's documented override")
        )
        return f"{what}: " + "; ".join(f"{c.id} ({c.source})" for c in self.blocking)


def _known(cid: str, field: str) -> Contraindication:
    try:
        return CONTRAINDICATIONS[cid]
    except KeyError:
        raise InputError.for_field(field, cid, "one of " + ", ".join(CONTRAINDICATIONS)) from None


def screen(findings: Iterable[str], overrides: Iterable[Override] = ()) -> ScreeningResult:
    """Screen a patient's findings (contraindication ids present).

    Raises
    ------
    InputError
        An unknown id, or an override for a finding that is not present.
    LimitError
        An override of an absolute contraindication (never allowed).

    Examples
    --------
    >>> screen(["pregnancy"]).status
    'needs-override'
    >>> screen(["intracerebral-haemorrhage-history"]).message.startswith("absolute")
    True
    """
    present = tuple(dict.fromkeys(findings))
    items = [_known(cid, "finding") for cid in present]
    by_id: dict[str, Override] = {}
    for o in overrides:
        c = _known(o.contraindication_id, "override.contraindication_id")
        if c.kind == "absolute":
            raise LimitError(
                f"override.contraindication_id {c.id} is an absolute contraindication "
                f"({c.source}): it cannot be overridden",
                field="override.contraindication_id",
                value=c.id,
                limit="relative contraindications only",
            )
        if c.id not in present:
            raise InputError.for_field(
                "override.contraindication_id", c.id, "a finding present in this screening"
            )
        by_id[c.id] = o
    absolute = tuple(c for c in items if c.kind == "absolute")
    if absolute:
        return ScreeningResult("hard-stop", absolute, tuple(by_id.values()), present)
    pending = tuple(c for c in items if c.kind == "relative" and c.id not in by_id)
    status: Literal["eligible", "needs-override"] = "needs-override" if pending else "eligible"
    return ScreeningResult(status, pending, tuple(by_id.values()), present)


#: TRD = failure of >= 2 adequate antidepressant trials (eligibility convention; secondary
#: sources: ketaminesoftware.com compliance checklist, intake.icu).
TRD_MIN_FAILED_TRIALS = 2


@dataclass(frozen=True)
class AntidepressantTrial:
    """One antidepressant trial in the history (``adequate``: dose and duration adequate)."""

    drug: str
    adequate: bool
    failed: bool
    duration_weeks: float | None = None


def is_treatment_resistant(trials: Iterable[AntidepressantTrial]) -> bool:
    """True when >= 2 adequate trials failed (TRD convention).

    Examples
    --------
    >>> is_treatment_resistant([AntidepressantTrial("sertraline", True, True),
    ...                         AntidepressantTrial("bupropion", True, True)])
    True
    """
    return sum(1 for t in trials if t.adequate and t.failed) >= TRD_MIN_FAILED_TRIALS
