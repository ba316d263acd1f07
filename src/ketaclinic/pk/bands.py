"""The literature's plasma-concentration bands for racemic ketamine, as data with sources.

These are descriptive ranges from the literature, not targets. No plasma
concentration-response relationship has been established for the antidepressant
effect (Zarate 2012, Biol Psychiatry 72:331-338; Spravato: no exposure-efficacy
relationship assessed): nothing here predicts an antidepressant response.
"""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["BANDS", "NO_ANTIDEPRESSANT_CR", "ConcentrationBand"]


@dataclass(frozen=True)
class ConcentrationBand:
    """A plasma range in ng/mL (``high_ng_per_ml`` None: open above)."""

    id: str
    label: str
    low_ng_per_ml: float
    high_ng_per_ml: float | None
    source: str


BANDS: tuple[ConcentrationBand, ...] = (
    ConcentrationBand(
        "analgesic",
        "analgesia (acute)",
        100.0,
        None,
        "Herd 2007 Paediatr Anaesth 17:622 (0.1 mg/L 'associated with analgesia'); "
        "Hornik 2018 J Clin Pharmacol 58:1092 (target > 100 ng/mL)",
    ),
    ConcentrationBand(
        "psychotomimetic",
        "psychotomimetic / dissociation",
        100.0,
        250.0,
        "Krystal 1994, as tabulated in Zanos 2018 Pharmacol Rev 70:621, Table 1 "
        "(0.42-1.1 uM during 0.5 mg/kg over 40 min)",
    ),
    ConcentrationBand(
        "awakening",
        "awakening / emergence",
        640.0,
        750.0,
        "Idvall 1979 (0.64 ug/mL); Herd 2007 and Hornik 2018 (0.75 mg/L)",
    ),
    ConcentrationBand(
        "anaesthetic",
        "hypnosis / anaesthesia",
        1200.0,
        2400.0,
        "Zanos 2018 Pharmacol Rev 70:621, Table 1 (5-10 uM after 1-2 mg/kg IV)",
    ),
)

NO_ANTIDEPRESSANT_CR = (
    "No plasma concentration-response relationship has been established for ketamine's "
    "antidepressant effect (Zarate 2012; Spravato: no exposure-efficacy relationship "
    "assessed). ketaclinic simulates exposure, not antidepressant response."
)
