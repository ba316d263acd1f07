"""Questionnaire definitions as data: items, licences, severity bands, response rules.

An :class:`Instrument` is pure data (frozen dataclasses, strings and numbers), so the
clinic service can persist its id and version and re-load the definition. Scoring lives
in :mod:`ketaclinic.instruments.scoring`; the scoring rule is named by
:attr:`Instrument.scoring` rather than stored as a function.

Item text is embedded only for instruments whose licence is ``"open"`` (PHQ-9, GAD-7,
PCL-5). For the others the items carry ids and response ranges; the licensee supplies
the wording (clinical-practice sheet, section 3, "Design consequence").
"""

from __future__ import annotations

import itertools
import math
import numbers
from dataclasses import dataclass
from typing import Literal

from ketaclinic.errors import InputError

__all__ = [
    "Band",
    "Instrument",
    "Item",
    "Licence",
    "LicenceKind",
    "Provenance",
    "RemissionRule",
    "ResponseRule",
    "ScoringKind",
]

#: "open": free to embed; "free-use": free for clinical use, redistribution terms unclear;
#: "restricted": the copyright holder's permission or a fee is needed, no item text shipped;
#: "unverified": nobody confirmed the terms.
LicenceKind = Literal["open", "free-use", "restricted", "unverified"]
#: "P": read in the cited publication; "S": secondary source; "UNVERIFIED": not confirmed.
Provenance = Literal["P", "S", "UNVERIFIED"]
ScoringKind = Literal["sum", "qids-sr16", "mean", "cssrs-screen"]

_PROVENANCES = ("P", "S", "UNVERIFIED")


@dataclass(frozen=True)
class Licence:
    """Who owns an instrument and what the clinic may do with it."""

    kind: LicenceKind
    holder: str
    terms: str
    source: str

    def __post_init__(self) -> None:
        if self.kind not in ("open", "free-use", "restricted", "unverified"):
            raise InputError.for_field(
                "licence.kind", self.kind, "'open', 'free-use', 'restricted' or 'unverified'"
            )

    @property
    def may_embed_text(self) -> bool:
        """True when item text may ship with ketaclinic."""
        return self.kind == "open"


@dataclass(frozen=True)
class Item:
    """One scored item: its id, allowed integer responses and (open instruments) text."""

    id: str
    min_value: int
    max_value: int
    text: str | None = None
    subscale: str | None = None

    def __post_init__(self) -> None:
        if not self.id:
            raise InputError.for_field("item.id", self.id, "a non-empty string")
        if self.max_value <= self.min_value:
            raise InputError.for_field(
                f"item {self.id} max_value", self.max_value, f"> {self.min_value}"
            )

    def check(self, value: object, instrument_id: str) -> int:
        """Return ``value`` as an int, or raise naming the item and its allowed range.

        Integers (also numpy integers) and integral floats are accepted; booleans, NaN,
        fractions and out-of-range values are refused.
        """
        if type(value) is int and self.min_value <= value <= self.max_value:
            return value  # fast path: the common case
        ok = not isinstance(value, bool) and (
            isinstance(value, numbers.Integral)
            or (isinstance(value, float) and math.isfinite(value) and value.is_integer())
        )
        if ok:
            ivalue: int = int(value)  # type: ignore[call-overload]
            if self.min_value <= ivalue <= self.max_value:
                return ivalue
        raise InputError.for_field(
            f"{instrument_id}.{self.id}",
            value,
            f"an integer from {self.min_value} to {self.max_value}",
        )


@dataclass(frozen=True)
class Band:
    """A severity band: ``low <= total <= high`` (inclusive, in the instrument's units)."""

    label: str
    low: float
    high: float

    def __post_init__(self) -> None:
        if self.high < self.low:
            raise InputError.for_field(f"band {self.label} high", self.high, f">= {self.low}")

    def contains(self, total: float) -> bool:
        return self.low <= total <= self.high


@dataclass(frozen=True)
class ResponseRule:
    """Response = a drop from baseline of at least a fraction and/or a number of points.

    ``min_relative_drop`` 0.5 means the score fell by >= 50% of the baseline;
    ``min_absolute_drop`` 10 means it fell by >= 10 points.
    """

    label: str
    source: str
    provenance: Provenance
    min_relative_drop: float | None = None
    min_absolute_drop: float | None = None

    def __post_init__(self) -> None:
        if self.min_relative_drop is None and self.min_absolute_drop is None:
            raise InputError.for_field(
                f"response rule {self.label}", None, "a relative or an absolute drop"
            )
        if self.min_relative_drop is not None and not 0 < self.min_relative_drop <= 1:
            raise InputError.for_field(
                "min_relative_drop", self.min_relative_drop, "in (0, 1] (a fraction)"
            )
        if self.min_absolute_drop is not None and not self.min_absolute_drop > 0:
            raise InputError.for_field("min_absolute_drop", self.min_absolute_drop, "> 0")
        if self.provenance not in _PROVENANCES:
            raise InputError.for_field("provenance", self.provenance, "'P', 'S' or 'UNVERIFIED'")

    def met(self, baseline: float, current: float) -> bool:
        """True when ``current`` is a response relative to ``baseline``."""
        drop = baseline - current
        # A zero baseline cannot drop by a fraction: no response is possible.
        if self.min_relative_drop is not None and (
            baseline <= 0 or drop < self.min_relative_drop * baseline - 1e-9
        ):
            return False
        return not (self.min_absolute_drop is not None and drop < self.min_absolute_drop - 1e-9)


@dataclass(frozen=True)
class RemissionRule:
    """Remission = total <= ``max_total`` (``"<= 7"``; a "< 5" rule is stored as <= 4)."""

    max_total: float
    source: str
    provenance: Provenance

    def __post_init__(self) -> None:
        if self.provenance not in _PROVENANCES:
            raise InputError.for_field("provenance", self.provenance, "'P', 'S' or 'UNVERIFIED'")

    def met(self, total: float) -> bool:
        return total <= self.max_total


@dataclass(frozen=True)
class Instrument:
    """One questionnaire or rating scale.

    Attributes
    ----------
    id, name, version
        ``id`` is the stable key (``"phq-9"``); ``version`` changes when this definition does.
    recall
        The period the items ask about (``"2 weeks"``), or ``""``.
    items
        Scored items in order.
    scoring
        Which rule turns answers into a total (see :func:`ketaclinic.instruments.score`).
    total_min, total_max
        Range of the total.
    bands, bands_source, bands_provenance
        Severity bands covering ``[total_min, total_max]`` without gaps (in whole points),
        with their source.
    response, remission
        Response rules (the first is the primary one) and the remission rule, or none
        when the sources give none.
    loinc_panel, loinc_total
        LOINC codes, None when no source confirmed one.
    """

    id: str
    name: str
    version: str
    citation: str
    licence: Licence
    items: tuple[Item, ...]
    scoring: ScoringKind
    total_min: float
    total_max: float
    bands: tuple[Band, ...]
    bands_source: str
    bands_provenance: Provenance
    response: tuple[ResponseRule, ...] = ()
    remission: RemissionRule | None = None
    recall: str = ""
    response_labels: tuple[str, ...] = ()
    loinc_panel: str | None = None
    loinc_total: str | None = None
    rater: Literal["self", "clinician"] = "self"
    notes: str = ""

    def __post_init__(self) -> None:
        ids = [item.id for item in self.items]
        if len(set(ids)) != len(ids):
            raise InputError.for_field(f"{self.id}.items", ids, "unique item ids")
        if not self.licence.may_embed_text and any(item.text for item in self.items):
            raise InputError.for_field(
                f"{self.id}.items",
                self.licence.kind,
                "without text: the licence does not allow embedding item text",
            )
        if self.bands:
            ordered = sorted(self.bands, key=lambda b: b.low)
            if ordered[0].low != self.total_min or ordered[-1].high != self.total_max:
                raise InputError.for_field(
                    f"{self.id}.bands",
                    f"{ordered[0].low}-{ordered[-1].high}",
                    f"to cover {self.total_min}-{self.total_max}",
                )
            for lower, upper in itertools.pairwise(ordered):
                if upper.low <= lower.high or upper.low - lower.high > 1:
                    raise InputError.for_field(
                        f"{self.id}.bands", upper.label, "contiguous, non-overlapping bands"
                    )

    def item(self, item_id: str) -> Item:
        """The item with this id (raises InputError naming the valid ids)."""
        for item in self.items:
            if item.id == item_id:
                return item
        raise InputError.for_field(
            f"{self.id} item", item_id, "one of " + ", ".join(i.id for i in self.items)
        )

    def band_for(self, total: float) -> Band | None:
        """The band containing ``total`` (None when there are no bands)."""
        for band in self.bands:
            if band.contains(total):
                return band
        # Non-integer totals (PEG mean) between two whole-point bands go to the upper one.
        for band in sorted(self.bands, key=lambda b: b.low):
            if total < band.low:
                return band
        return None
