"""Questionnaires and rating scales: definitions as data, scoring, outcomes, analytics.

Plain Python (no database, no web). Every object is a frozen dataclass or a pure function,
so the clinic service can persist inputs and results.

Public API
----------
Definitions
    :class:`Instrument` (with :class:`Item`, :class:`Band`, :class:`Licence`,
    :class:`ResponseRule`, :class:`RemissionRule`); :data:`INSTRUMENTS` and
    :func:`get_instrument`; the constants ``PHQ9``, ``GAD7``, ``PCL5`` (item text included:
    open licences) and ``QIDS_SR16``, ``MADRS``, ``HAMD17``, ``BDI2``, ``YBOCS``,
    ``CSSRS_SCREEN``, ``PAIN_NRS``, ``PEG3`` (item ids only: the licensee supplies text).
Scoring
    :func:`score` -> :class:`Score` (total, band, subscales, :class:`SafetyFlag` for
    PHQ-9 item 9 > 0 and C-SSRS high risk); :func:`score_matrix` -> :class:`ScoreTable`
    (vectorised, many administrations at once).
Outcomes
    :func:`assess_outcome` -> :class:`Outcome` (response, remission, change).
Analytics (:mod:`ketaclinic.instruments.analytics`)
    :func:`response_rates`, :func:`time_to_response`, :func:`durability`,
    :func:`kaplan_meier`, :func:`adverse_event_rates`, :func:`wilson_interval`,
    :func:`clopper_pearson_interval`, :func:`poisson_interval`, :func:`proportion`, over
    :class:`CourseRecord`, :class:`Assessment`, :class:`SessionRecord`,
    :class:`AdverseEventRecord`.

Examples
--------
>>> from ketaclinic.instruments import PHQ9, score, assess_outcome
>>> s = score(PHQ9, {f"item{i}": 2 for i in range(1, 10)})
>>> (s.total, s.band, [f.code for f in s.flags])
(18, 'moderately severe', ['phq9-item9'])
>>> assess_outcome(PHQ9, 18, 8).response
True
"""

from ketaclinic.instruments.analytics import (
    AdverseEventRate,
    AdverseEventRecord,
    Assessment,
    CourseRecord,
    GroupRate,
    KaplanMeier,
    Proportion,
    SessionRecord,
    TimeToEvent,
    adverse_event_rates,
    clopper_pearson_interval,
    durability,
    kaplan_meier,
    poisson_interval,
    proportion,
    response_rates,
    time_to_response,
    wilson_interval,
)
from ketaclinic.instruments.batch import ScoreTable, score_matrix
from ketaclinic.instruments.licensed_instruments import (
    BDI2,
    CSSRS_SCREEN,
    HAMD17,
    MADRS,
    PAIN_NRS,
    PEG3,
    QIDS_SR16,
    YBOCS,
)
from ketaclinic.instruments.model import (
    Band,
    Instrument,
    Item,
    Licence,
    RemissionRule,
    ResponseRule,
)
from ketaclinic.instruments.open_instruments import GAD7, PCL5, PHQ9
from ketaclinic.instruments.outcome import Outcome, assess_outcome
from ketaclinic.instruments.registry import INSTRUMENTS, get_instrument
from ketaclinic.instruments.scoring import SafetyFlag, Score, score

__all__ = [
    "BDI2",
    "CSSRS_SCREEN",
    "GAD7",
    "HAMD17",
    "INSTRUMENTS",
    "MADRS",
    "PAIN_NRS",
    "PCL5",
    "PEG3",
    "PHQ9",
    "QIDS_SR16",
    "YBOCS",
    "AdverseEventRate",
    "AdverseEventRecord",
    "Assessment",
    "Band",
    "CourseRecord",
    "GroupRate",
    "Instrument",
    "Item",
    "KaplanMeier",
    "Licence",
    "Outcome",
    "Proportion",
    "RemissionRule",
    "ResponseRule",
    "SafetyFlag",
    "Score",
    "ScoreTable",
    "SessionRecord",
    "TimeToEvent",
    "adverse_event_rates",
    "assess_outcome",
    "clopper_pearson_interval",
    "durability",
    "get_instrument",
    "kaplan_meier",
    "poisson_interval",
    "proportion",
    "response_rates",
    "score",
    "score_matrix",
    "time_to_response",
    "wilson_interval",
]
