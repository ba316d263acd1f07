"""Instruments scored by item id only: the licensee supplies the item text.

QIDS-SR16, MADRS, HAM-D17, BDI-II, Y-BOCS, C-SSRS screen, pain NRS and PEG-3. Each
records its licence; none ships item wording (clinical-practice sheet section 3,
"Design consequence"). Some licence holders treat the scoring method as intellectual
property too (pharmaverse/admiralmetabolic issue 13): the licence terms are recorded so a
deployment can check them.
"""

from __future__ import annotations

from ketaclinic.instruments.model import (
    Band,
    Instrument,
    Item,
    Licence,
    RemissionRule,
    ResponseRule,
)
from ketaclinic.instruments.open_instruments import RESPONSE_50, convention_response

__all__ = [
    "BDI2",
    "CSSRS_SCREEN",
    "HAMD17",
    "MADRS",
    "PAIN_NRS",
    "PEG3",
    "QIDS_SR16",
    "YBOCS",
]


def _items(n: int, lo: int, hi: int) -> tuple[Item, ...]:
    return tuple(Item(id=f"item{i}", min_value=lo, max_value=hi) for i in range(1, n + 1))


QIDS_SR16 = Instrument(
    id="qids-sr16",
    name="Quick Inventory of Depressive Symptomatology, Self-Report (16 items)",
    version="1",
    citation="Rush AJ et al. Biol Psychiatry 2003;54:573-583, doi:10.1016/S0006-3223(02)01866-8",
    licence=Licence(
        kind="free-use",
        holder="UT Southwestern / A. John Rush (ids-qids.org); holder UNVERIFIED",
        terms="Described as 'freely available'; commercial and software terms UNVERIFIED.",
        source="braincode.ca; ids-qids.org",
    ),
    recall="7 days",
    items=_items(16, 0, 3),
    scoring="qids-sr16",
    total_min=0,
    total_max=27,
    bands=(
        Band("none", 0, 5),
        Band("mild", 6, 10),
        Band("moderate", 11, 15),
        Band("severe", 16, 20),
        Band("very severe", 21, 27),
    ),
    bands_source="ids-qids.org/interpretation.html (severity table adapted from Rush 2003 "
    "and Trivedi 2004)",
    bands_provenance="S",
    response=(
        ResponseRule(
            label=RESPONSE_50.label,
            source="Rush 2006 STAR*D, Am J Psychiatry 163:1905, "
            "doi:10.1176/ajp.2006.163.11.1905 (QIDS-SR16 >= 50% reduction)",
            provenance="S",
            min_relative_drop=0.5,
        ),
    ),
    remission=RemissionRule(
        max_total=5,
        source="QIDS-SR16 <= 5 (STAR*D convention, Rush 2006); not confirmed in the "
        "reference sheet",
        provenance="UNVERIFIED",
    ),
    notes="Nine domains: max(items 1-4) sleep, item 5 sad mood, max(items 6-9) appetite/"
    "weight, 10 concentration, 11 self-view, 12 suicidal ideation, 13 interest, 14 energy, "
    "max(15, 16) psychomotor. Items 6-9 are appetite/weight decrease/increase.",
)

MADRS = Instrument(
    id="madrs",
    name="Montgomery-Asberg Depression Rating Scale",
    version="1",
    citation="Montgomery SA, Asberg M. Br J Psychiatry 1979;134:382-389, doi:10.1192/bjp.134.4.382",
    licence=Licence(
        kind="unverified",
        holder="Copyrighted (holder and licence route UNVERIFIED)",
        terms="Licence route unknown: obtain permission before clinical use in software.",
        source="clinical-practice sheet section 3 (no licence document found)",
    ),
    rater="clinician",
    items=_items(10, 0, 6),
    scoring="sum",
    total_min=0,
    total_max=60,
    bands=(
        Band("0-10", 0, 10),
        Band("11-20", 11, 20),
        Band("21-30", 21, 30),
        Band("> 30", 31, 60),
    ),
    bands_source="Secondary source (biopsychiatry.com); band names deliberately not assigned",
    bands_provenance="UNVERIFIED",
    response=(
        ResponseRule(
            label=RESPONSE_50.label,
            source="Conventional >= 50% MADRS reduction (secondary: biopsychiatry.com, "
            "listed beside Hawley 2002 remission)",
            provenance="S",
            min_relative_drop=0.5,
        ),
    ),
    remission=RemissionRule(
        max_total=9,
        source="MADRS < 10: Hawley CJ et al. Int Clin Psychopharmacol 2002, PMID 12200208 "
        "(Zimmerman 2004, PMID 15101563, also discusses <= 4)",
        provenance="S",
    ),
)

# HAM-D17: items 4-6 (insomnia), 12-14 (somatic GI, general somatic, genital), 16 (weight
# loss) and 17 (insight) are scored 0-2; the other nine items 0-4 (total 0-52).
_HAMD_0_2 = frozenset({4, 5, 6, 12, 13, 14, 16, 17})

HAMD17 = Instrument(
    id="ham-d17",
    name="Hamilton Rating Scale for Depression (17 items)",
    version="1",
    citation="Hamilton M. J Neurol Neurosurg Psychiatry 1960;23:56-62, doi:10.1136/jnnp.23.1.56",
    licence=Licence(
        kind="unverified",
        holder="Often treated as public domain (UNVERIFIED)",
        terms="Public-domain status UNVERIFIED; item text not shipped.",
        source="clinical-practice sheet section 3",
    ),
    rater="clinician",
    items=tuple(
        Item(id=f"item{i}", min_value=0, max_value=2 if i in _HAMD_0_2 else 4) for i in range(1, 18)
    ),
    scoring="sum",
    total_min=0,
    total_max=52,
    bands=(
        Band("normal", 0, 7),
        Band("mild", 8, 16),
        Band("moderate", 17, 23),
        Band("severe", 24, 52),
    ),
    bands_source="Zimmerman M et al. J Affect Disord 2013;150:384-388, "
    "doi:10.1016/j.jad.2013.04.028",
    bands_provenance="S",
    response=(
        ResponseRule(
            label=RESPONSE_50.label,
            source="Conventional >= 50% HAM-D reduction (secondary: hiboop.com HAM-D page, "
            "listed beside the Frank 1991 remission criterion)",
            provenance="S",
            min_relative_drop=0.5,
        ),
    ),
    remission=RemissionRule(
        max_total=7,
        source="Frank E et al. Arch Gen Psychiatry 1991;48:851, "
        "doi:10.1001/archpsyc.1991.01810330075011",
        provenance="S",
    ),
    notes="Older bands (8-13 / 14-18 / 19-22 / >= 23) are not used.",
)

BDI2 = Instrument(
    id="bdi-ii",
    name="Beck Depression Inventory-II",
    version="1",
    citation="Beck AT, Steer RA, Brown GK. Manual for the Beck Depression Inventory-II. "
    "San Antonio: Psychological Corporation; 1996",
    licence=Licence(
        kind="restricted",
        holder="Pearson (Q-global)",
        terms="Licence needed for each administration; item text not shipped.",
        source="platform.self-management.eu ('Licence needed: Yes', Pearson Q-global)",
    ),
    recall="2 weeks",
    items=_items(21, 0, 3),
    scoring="sum",
    total_min=0,
    total_max=63,
    bands=(
        Band("minimal", 0, 13),
        Band("mild", 14, 19),
        Band("moderate", 20, 28),
        Band("severe", 29, 63),
    ),
    bands_source="Beck 1996 BDI-II manual (as reproduced by secondary sites)",
    bands_provenance="S",
    response=(convention_response("BDI-II"),),
    remission=None,
    notes="Items 16 and 18 have options 1a/1b etc.; record the numeric 0-3 score only.",
)

YBOCS = Instrument(
    id="y-bocs",
    name="Yale-Brown Obsessive Compulsive Scale",
    version="1",
    citation="Goodman WK et al. Arch Gen Psychiatry 1989;46:1006-1011, "
    "doi:10.1001/archpsyc.1989.01810110048007",
    licence=Licence(
        kind="restricted",
        holder="W. K. Goodman et al.",
        terms="Copyrighted; contact the developer for permission.",
        source="pbpsychiatricservices.com/ybocs; Y-BOCS-II (c) Goodman, Rasmussen, Price, "
        "Storch 2011",
    ),
    rater="clinician",
    items=tuple(
        Item(
            id=f"item{i}",
            min_value=0,
            max_value=4,
            subscale="obsessions" if i <= 5 else "compulsions",
        )
        for i in range(1, 11)
    ),
    scoring="sum",
    total_min=0,
    total_max=40,
    bands=(
        Band("subclinical", 0, 7),
        Band("mild", 8, 15),
        Band("moderate", 16, 23),
        Band("severe", 24, 31),
        Band("extreme", 32, 40),
    ),
    bands_source="Goodman 1989 severity ranges as reproduced by pbpsychiatricservices.com",
    bands_provenance="S",
    response=(
        ResponseRule(
            label=">= 35% reduction from baseline",
            source="Y-BOCS >= 35% reduction (secondary source droracle.ai)",
            provenance="S",
            min_relative_drop=0.35,
        ),
    ),
    remission=None,
    notes="Obsessions (items 1-5) and compulsions (items 6-10) subtotals 0-20 each. "
    "Y-BOCS-II (0-5 per item) is a different instrument.",
)

CSSRS_SCREEN = Instrument(
    id="c-ssrs-screen",
    name="Columbia-Suicide Severity Rating Scale, Screen Version (recent)",
    version="1",
    citation="Posner K et al. Am J Psychiatry 2011;168:1266-1277, "
    "doi:10.1176/appi.ajp.2011.10111704",
    licence=Licence(
        kind="restricted",
        holder="Research Foundation for Mental Hygiene (c) 2008 / K. Posner",
        terms="HL7 examples carry 'Used with permission'; commercial and electronic terms "
        "UNVERIFIED; item text not shipped.",
        source="HL7 US behavioral-health profiles C-SSRS example; FHIR Questionnaire 93373-9",
    ),
    rater="clinician",
    items=(
        Item(id="q1", min_value=0, max_value=1),  # wish to be dead
        Item(id="q2", min_value=0, max_value=1),  # non-specific active suicidal thoughts
        Item(id="q3", min_value=0, max_value=1),  # ideation with method, no intent
        Item(id="q4", min_value=0, max_value=1),  # ideation with some intent
        Item(id="q5", min_value=0, max_value=1),  # ideation with plan and intent
        Item(id="q6", min_value=0, max_value=1),  # suicidal behaviour, lifetime
        Item(id="q6_past_3_months", min_value=0, max_value=1),
    ),
    response_labels=("No", "Yes"),
    scoring="cssrs-screen",
    total_min=0,
    total_max=3,
    bands=(
        Band("no risk identified", 0, 0),
        Band("low", 1, 1),
        Band("moderate", 2, 2),
        Band("high", 3, 3),
    ),
    bands_source="Triage: Q1-2 low; Q3 moderate; Q4, Q5 or behaviour within 3 months "
    "high; lifetime behaviour only moderate. Exact mapping UNVERIFIED against the "
    "Columbia triage card",
    bands_provenance="UNVERIFIED",
    loinc_panel="93373-9",
    loinc_total="93374-7",
    notes="Answers are 0 = no, 1 = yes. Q3-Q5 are skipped when Q2 is no; "
    "q6_past_3_months is asked only when Q6 is yes. The 'total' is the risk level "
    "(0 none, 1 low, 2 moderate, 3 high), LOINC 93374-7.",
)

PAIN_NRS = Instrument(
    id="pain-nrs",
    name="Pain Numeric Rating Scale (0-10)",
    version="1",
    citation="Generic 11-point numeric rating scale; change thresholds: Dworkin RH et al. "
    "(IMMPACT) J Pain 2008;9:105-121, doi:10.1016/j.jpain.2007.09.005",
    licence=Licence(
        kind="open",
        holder="Generic (no holder)",
        terms="Generic scale; the clinic supplies its own anchor wording.",
        source="clinical-practice sheet section 3",
    ),
    items=(Item(id="item1", min_value=0, max_value=10),),
    scoring="sum",
    total_min=0,
    total_max=10,
    bands=(),
    bands_source="No bands used",
    bands_provenance="UNVERIFIED",
    response=(
        ResponseRule(
            label=">= 30% reduction (moderate improvement)",
            source="IMMPACT, Dworkin 2008 J Pain 9:105 (UNVERIFIED here)",
            provenance="UNVERIFIED",
            min_relative_drop=0.3,
        ),
        ResponseRule(
            label=">= 50% reduction (substantial improvement)",
            source="IMMPACT, Dworkin 2008 J Pain 9:105 (UNVERIFIED here)",
            provenance="UNVERIFIED",
            min_relative_drop=0.5,
        ),
    ),
)

PEG3 = Instrument(
    id="peg-3",
    name="PEG: Pain intensity, Enjoyment of life, General activity",
    version="1",
    citation="Krebs EE et al. J Gen Intern Med 2009;24:733-738, doi:10.1007/s11606-009-0981-1",
    licence=Licence(
        kind="unverified",
        holder="Derived from the Brief Pain Inventory (c) C. Cleeland",
        terms="'Free to use' per a secondary site only; confirm with the authors.",
        source="achawaqat.com (secondary)",
    ),
    recall="past week",
    items=(
        Item(id="pain", min_value=0, max_value=10),
        Item(id="enjoyment", min_value=0, max_value=10),
        Item(id="activity", min_value=0, max_value=10),
    ),
    scoring="mean",
    total_min=0,
    total_max=10,
    bands=(),
    bands_source="No bands: track change (Krebs 2009)",
    bands_provenance="S",
    response=(),
    notes="Score = mean of the three items (0-10).",
)
