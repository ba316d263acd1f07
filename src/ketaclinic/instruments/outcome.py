"""Response and remission of one patient on one instrument.

Response compares a follow-up total with the baseline total using the instrument's
rules (:attr:`Instrument.response`, the first is the primary rule); remission compares the
follow-up total with the instrument's remission cut-off. Instruments without a published
rule report ``None`` rather than a guess.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from ketaclinic.errors import InputError
from ketaclinic.instruments.model import Instrument

__all__ = ["Outcome", "assess_outcome"]


@dataclass(frozen=True)
class Outcome:
    """Change from baseline on one instrument.

    ``percent_change`` is negative for improvement; None when the baseline is 0.
    ``response`` is the primary rule's verdict (None: the instrument has no rule);
    ``responses_met`` lists the labels of every rule met.
    """

    instrument_id: str
    baseline: float
    current: float
    change: float
    percent_change: float | None
    response: bool | None
    responses_met: tuple[str, ...]
    remission: bool | None
    response_source: str | None
    remission_source: str | None


def _check_total(instrument: Instrument, name: str, value: float) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        raise InputError.for_field(name, value, f"a finite {instrument.id} total")
    if not instrument.total_min <= value <= instrument.total_max:
        raise InputError.for_field(
            name,
            value,
            f"between {instrument.total_min:g} and {instrument.total_max:g} ({instrument.id})",
            unit="points",
        )
    return float(value)


def assess_outcome(instrument: Instrument, baseline: float, current: float) -> Outcome:
    """Response and remission of ``current`` against ``baseline``.

    Examples
    --------
    >>> from ketaclinic.instruments import PHQ9
    >>> o = assess_outcome(PHQ9, 20, 4)
    >>> (o.response, o.remission, o.percent_change)
    (True, True, -80.0)
    """
    b = _check_total(instrument, "baseline", baseline)
    c = _check_total(instrument, "current", current)
    met = tuple(rule.label for rule in instrument.response if rule.met(b, c))
    primary = instrument.response[0] if instrument.response else None
    rem = instrument.remission
    return Outcome(
        instrument_id=instrument.id,
        baseline=b,
        current=c,
        change=c - b,
        percent_change=None if b == 0 else 100.0 * (c - b) / b,
        response=None if primary is None else primary.met(b, c),
        responses_met=met,
        remission=None if rem is None else rem.met(c),
        response_source=None if primary is None else primary.source,
        remission_source=None if rem is None else rem.source,
    )
