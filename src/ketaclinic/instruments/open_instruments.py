"""Open instruments shipped with their item text: PHQ-9, GAD-7 and PCL-5.

Licences (clinical-practice sheet section 3): Pfizer made the PHQ and GAD-7 available
"without copyright restriction and at no charge" (2010 announcement); the PCL-5 was
developed by the VA National Center for PTSD and is "not copyrighted".
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

__all__ = ["GAD7", "PCL5", "PHQ9", "RESPONSE_50"]

#: The 50% reduction convention used across depression trials; issue 4 adopts it for
#: every instrument that has no rule of its own.
RESPONSE_50 = ResponseRule(
    label=">= 50% reduction from baseline",
    source="Conventional in antidepressant trials (e.g. Rush 2006 STAR*D, Am J Psychiatry "
    "163:1905, doi:10.1176/ajp.2006.163.11.1905); clinical-practice sheet section 3",
    provenance="S",
    min_relative_drop=0.5,
)


def convention_response(instrument: str) -> ResponseRule:
    """The >= 50% convention applied to an instrument the sources give no response rule
    for: shown, and marked UNVERIFIED."""
    return ResponseRule(
        label=RESPONSE_50.label,
        source=f"Issue 4 convention applied to {instrument}; no {instrument}-specific "
        "response rule in the sources",
        provenance="UNVERIFIED",
        min_relative_drop=0.5,
    )


_PFIZER = Licence(
    kind="open",
    holder="Pfizer Inc. (developed by Spitzer, Williams, Kroenke et al.)",
    terms="Available without copyright restriction and at no charge; no permission "
    "needed to reproduce, translate, display or distribute.",
    source="Pfizer announcement 2010 (news-medical.net 2010-07-23); phqscreeners.com",
)

_FREQUENCY = ("Not at all", "Several days", "More than half the days", "Nearly every day")

_PHQ9_TEXT = (
    "Little interest or pleasure in doing things",
    "Feeling down, depressed, or hopeless",
    "Trouble falling or staying asleep, or sleeping too much",
    "Feeling tired or having little energy",
    "Poor appetite or overeating",
    "Feeling bad about yourself - or that you are a failure or have let yourself or "
    "your family down",
    "Trouble concentrating on things, such as reading the newspaper or watching television",
    "Moving or speaking so slowly that other people could have noticed? Or the opposite - "
    "being so fidgety or restless that you have been moving around a lot more than usual",
    "Thoughts that you would be better off dead or of hurting yourself in some way",
)

PHQ9 = Instrument(
    id="phq-9",
    name="Patient Health Questionnaire-9",
    version="1",
    citation="Kroenke K, Spitzer RL, Williams JBW. The PHQ-9. J Gen Intern Med "
    "2001;16:606-613, doi:10.1046/j.1525-1497.2001.016009606.x",
    licence=_PFIZER,
    recall="2 weeks",
    items=tuple(
        Item(id=f"item{i}", min_value=0, max_value=3, text=text)
        for i, text in enumerate(_PHQ9_TEXT, start=1)
    ),
    response_labels=_FREQUENCY,
    scoring="sum",
    total_min=0,
    total_max=27,
    bands=(
        Band("minimal", 0, 4),
        Band("mild", 5, 9),
        Band("moderate", 10, 14),
        Band("moderately severe", 15, 19),
        Band("severe", 20, 27),
    ),
    bands_source="Kroenke 2001 J Gen Intern Med 16:606 (cut-points 5, 10, 15, 20)",
    bands_provenance="P",
    response=(RESPONSE_50,),
    remission=RemissionRule(
        max_total=4,
        source="Remission PHQ-9 < 5: a convention; no primary source confirmed it "
        "(clinical-practice sheet section 3)",
        provenance="UNVERIFIED",
    ),
    loinc_panel="44249-1",
    loinc_total="44261-6",
    notes="Item 9 > 0 raises a safety flag for the prescriber. The functional-difficulty "
    "question is not scored and not stored here.",
)

_GAD7_TEXT = (
    "Feeling nervous, anxious, or on edge",
    "Not being able to stop or control worrying",
    "Worrying too much about different things",
    "Trouble relaxing",
    "Being so restless that it is hard to sit still",
    "Becoming easily annoyed or irritable",
    "Feeling afraid, as if something awful might happen",
)

GAD7 = Instrument(
    id="gad-7",
    name="Generalized Anxiety Disorder-7",
    version="1",
    citation="Spitzer RL, Kroenke K, Williams JBW, Lowe B. A brief measure for assessing "
    "generalized anxiety disorder: the GAD-7. Arch Intern Med 2006;166:1092-1097, "
    "doi:10.1001/archinte.166.10.1092",
    licence=_PFIZER,
    recall="2 weeks",
    items=tuple(
        Item(id=f"item{i}", min_value=0, max_value=3, text=text)
        for i, text in enumerate(_GAD7_TEXT, start=1)
    ),
    response_labels=_FREQUENCY,
    scoring="sum",
    total_min=0,
    total_max=21,
    bands=(
        Band("minimal", 0, 4),
        Band("mild", 5, 9),
        Band("moderate", 10, 14),
        Band("severe", 15, 21),
    ),
    bands_source="Spitzer 2006 Arch Intern Med 166:1092 (cut-points 5, 10, 15; >= 10 "
    "positive screen, sensitivity 89%, specificity 82%)",
    bands_provenance="P",
    response=(convention_response("GAD-7"),),
    remission=None,
    loinc_panel="69737-5",
    loinc_total="70274-6",
)

_PCL5_TEXT = (
    "Repeated, disturbing, and unwanted memories of the stressful experience?",
    "Repeated, disturbing dreams of the stressful experience?",
    "Suddenly feeling or acting as if the stressful experience were actually happening "
    "again (as if you were actually back there reliving it)?",
    "Feeling very upset when something reminded you of the stressful experience?",
    "Having strong physical reactions when something reminded you of the stressful "
    "experience (for example, heart pounding, trouble breathing, sweating)?",
    "Avoiding memories, thoughts, or feelings related to the stressful experience?",
    "Avoiding external reminders of the stressful experience (for example, people, places, "
    "conversations, activities, objects, or situations)?",
    "Trouble remembering important parts of the stressful experience?",
    "Having strong negative beliefs about yourself, other people, or the world (for "
    "example, having thoughts such as: I am bad, there is something seriously wrong with "
    "me, no one can be trusted, the world is completely dangerous)?",
    "Blaming yourself or someone else for the stressful experience or what happened after it?",
    "Having strong negative feelings such as fear, horror, anger, guilt, or shame?",
    "Loss of interest in activities that you used to enjoy?",
    "Feeling distant or cut off from other people?",
    "Trouble experiencing positive feelings (for example, being unable to feel happiness or "
    "have loving feelings for people close to you)?",
    "Irritable behavior, angry outbursts, or acting aggressively?",
    "Taking too many risks or doing things that could cause you harm?",
    'Being "superalert" or watchful or on guard?',
    "Feeling jumpy or easily startled?",
    "Having difficulty concentrating?",
    "Trouble falling or staying asleep?",
)


def _pcl5_cluster(item_number: int) -> str:
    # DSM-5 clusters: B items 1-5, C 6-7, D 8-14, E 15-20.
    if item_number <= 5:
        return "B"
    if item_number <= 7:
        return "C"
    if item_number <= 14:
        return "D"
    return "E"


#: Provisional PTSD cut-off; Bovin 2016 suggests 31-33, the VA uses 31-33 too.
PCL5_CUTOFF = 33

PCL5 = Instrument(
    id="pcl-5",
    name="PTSD Checklist for DSM-5",
    version="1",
    citation="Weathers FW et al. The PTSD Checklist for DSM-5 (PCL-5). National Center for "
    "PTSD, 2013; Blevins CA et al. J Trauma Stress 2015;28:489-498, doi:10.1002/jts.22059",
    licence=Licence(
        kind="open",
        holder="US Department of Veterans Affairs, National Center for PTSD",
        terms="Developed by the VA National Center for PTSD; not copyrighted.",
        source="VA National Center for PTSD (calculate.qxmd.com PCL-5 page)",
    ),
    recall="past month",
    items=tuple(
        Item(id=f"item{i}", min_value=0, max_value=4, text=text, subscale=_pcl5_cluster(i))
        for i, text in enumerate(_PCL5_TEXT, start=1)
    ),
    response_labels=("Not at all", "A little bit", "Moderately", "Quite a bit", "Extremely"),
    scoring="sum",
    total_min=0,
    total_max=80,
    bands=(
        Band("below provisional PTSD cut-off", 0, PCL5_CUTOFF - 1),
        Band("provisional PTSD (>= 33)", PCL5_CUTOFF, 80),
    ),
    bands_source="Bovin MJ et al. Psychol Assess 2016;28:1379-1391, "
    "doi:10.1037/pas0000254 (cut-off 31-33; 33 used here)",
    bands_provenance="S",
    response=(
        ResponseRule(
            label=">= 10-point reduction (clinically meaningful change)",
            source="VA National Center for PTSD: 5 points = reliable change, 10 points = "
            "clinically meaningful change (calculate.qxmd.com PCL-5)",
            provenance="S",
            min_absolute_drop=10,
        ),
        ResponseRule(
            label=">= 5-point reduction (reliable change)",
            source="VA National Center for PTSD (calculate.qxmd.com PCL-5)",
            provenance="S",
            min_absolute_drop=5,
        ),
    ),
    remission=None,
    notes="Cluster totals B (items 1-5), C (6-7), D (8-14), E (15-20) and the DSM-5 "
    "provisional diagnosis rule (an item >= 2 is endorsed; >= 1 B, >= 1 C, >= 2 D, >= 2 E) "
    "are reported alongside the total. A screen, not a diagnosis.",
)
