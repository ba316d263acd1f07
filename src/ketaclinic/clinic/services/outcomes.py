"""Outcome trajectories per patient and clinic-level outcome analytics.

Baseline (documented choice): the first score of the course on that instrument, i.e. the
earliest ``administered_at`` among the course's responses to it; every later response is
a follow-up. Responses entered without a course form their own series whose baseline is
the patient's first score on that instrument outside any course. Response (>= 50% drop
from baseline for PHQ-9/GAD-7) and remission (PHQ-9 <= 4, GAD-7 <= 4, ...) are the
instrument's own rules (``ketaclinic.instruments.outcome``, sources carried there).

Analytics use ``ketaclinic.instruments.analytics``: one :class:`CourseRecord` per course
with a baseline on the requested instrument; days are counted from the baseline
administration. Boosters are not yet recorded by the service, so durability is the time
from first response to relapse (a follow-up no longer meeting the response rule).
Adverse-event rates: events per completed session of a course (Poisson 95% CI) and the
proportion of sessions with at least one event (Wilson 95% CI), by indication and
protocol.
"""

from __future__ import annotations

import uuid
from collections import defaultdict
from datetime import datetime
from typing import Any, Literal

from sqlalchemy import select

from ketaclinic.clinic.services.context import Ctx
from ketaclinic.clinic.services.patients import load_patient
from ketaclinic.clinic.services.questionnaires import lookup_instrument
from ketaclinic.clinic.tables import TreatmentCourse, TreatmentSession
from ketaclinic.clinic.tables_orders import AdverseEvent
from ketaclinic.clinic.tables_questionnaires import QuestionnaireResponse
from ketaclinic.instruments import (
    AdverseEventRecord,
    Assessment,
    CourseRecord,
    Instrument,
    SessionRecord,
    adverse_event_rates,
    assess_outcome,
    durability,
    kaplan_meier,
    response_rates,
    time_to_response,
)

__all__ = ["BASELINE_DEFINITION", "clinic_outcomes", "patient_outcomes"]

BASELINE_DEFINITION = (
    "baseline = the first score of the course on the instrument (earliest administered_at); "
    "later scores of the course are follow-ups; days are counted from the baseline"
)
DAY_S = 86400.0


def _thresholds(inst: Instrument, baseline: float) -> tuple[float | None, float | None]:
    rule = inst.response[0] if inst.response else None
    response: float | None = None
    if rule is not None:
        cands = []
        if rule.min_relative_drop is not None:
            cands.append(baseline * (1 - rule.min_relative_drop))
        if rule.min_absolute_drop is not None:
            cands.append(baseline - rule.min_absolute_drop)
        response = min(cands)
    remission = inst.remission.max_total if inst.remission is not None else None
    return response, remission


def _series(rows: list[QuestionnaireResponse]) -> dict[tuple[str, uuid.UUID | None], list[Any]]:
    groups: dict[tuple[str, uuid.UUID | None], list[QuestionnaireResponse]] = defaultdict(list)
    for r in sorted(rows, key=lambda r: (r.administered_at, r.id)):
        groups[(r.instrument_id, r.course_id)].append(r)
    return dict(groups)


def patient_outcomes(ctx: Ctx, patient_id: uuid.UUID) -> dict[str, Any]:
    """Each instrument's series per course with response/remission and the session dates."""
    ctx.require("questionnaire.read")
    patient = load_patient(ctx, patient_id)
    rows = list(
        ctx.db.scalars(
            select(QuestionnaireResponse).where(QuestionnaireResponse.patient_id == patient.id)
        )
    )
    series = []
    for (instrument_id, course_id), items in sorted(
        _series(rows).items(), key=lambda kv: (kv[0][0], str(kv[0][1]))
    ):
        inst = lookup_instrument(instrument_id)
        base = items[0]
        resp_line, rem_line = _thresholds(inst, base.total)
        points = []
        for r in items:
            o = assess_outcome(inst, base.total, r.total)
            points.append(
                {
                    "response_id": str(r.id),
                    "administered_at": r.administered_at.isoformat(),
                    "total": r.total,
                    "band": r.band,
                    "baseline": r is base,
                    "percent_change": o.percent_change,
                    "response": None if r is base else o.response,
                    "remission": o.remission,
                    "flag_codes": list(r.flag_codes),
                }
            )
        series.append(
            {
                "instrument_id": inst.id,
                "instrument_name": inst.name,
                "course_id": str(course_id) if course_id else None,
                "loinc_total": inst.loinc_total,
                "total_min": inst.total_min,
                "total_max": inst.total_max,
                "baseline_total": base.total,
                "baseline_at": base.administered_at.isoformat(),
                "response_threshold": resp_line,
                "remission_threshold": rem_line,
                "points": points,
                "latest": points[-1] if len(points) > 1 else None,
            }
        )
    sessions = ctx.db.scalars(
        select(TreatmentSession)
        .where(TreatmentSession.patient_id == patient.id, TreatmentSession.status != "cancelled")
        .order_by(TreatmentSession.scheduled_for)
    )
    marks = [
        {
            "session_id": str(s.id),
            "course_id": str(s.course_id) if s.course_id else None,
            "at": (s.started_at or s.scheduled_for).isoformat(),
            "status": s.status,
        }
        for s in sessions
    ]
    ctx.audit("R", "outcome.read", f"Patient/{patient.id}/outcomes", patient.id)
    ctx.db.commit()
    return {
        "patient_id": str(patient.id),
        "baseline_definition": BASELINE_DEFINITION,
        "series": series,
        "sessions": marks,
    }


def _days(t: datetime, t0: datetime) -> float:
    return max((t - t0).total_seconds() / DAY_S, 0.0)


def _records(ctx: Ctx, inst: Instrument) -> list[CourseRecord]:
    rows = ctx.db.execute(
        select(QuestionnaireResponse, TreatmentCourse)
        .join(TreatmentCourse, TreatmentCourse.id == QuestionnaireResponse.course_id)
        .where(QuestionnaireResponse.instrument_id == inst.id)
    ).all()
    by_course: dict[uuid.UUID, tuple[TreatmentCourse, list[QuestionnaireResponse]]] = {}
    for resp, course in rows:
        by_course.setdefault(course.id, (course, []))[1].append(resp)
    out = []
    for cid in sorted(by_course, key=str):
        course, items = by_course[cid]
        items.sort(key=lambda r: (r.administered_at, r.id))
        t0 = items[0].administered_at
        out.append(
            CourseRecord(
                course_id=str(cid),
                indication=course.indication,
                protocol_id=course.protocol_id,
                instrument_id=inst.id,
                baseline_total=items[0].total,
                assessments=tuple(
                    Assessment(_days(r.administered_at, t0), r.total) for r in items[1:]
                ),
            )
        )
    return out


def _prop(p: Any) -> dict[str, Any] | None:
    if p is None:
        return None
    return {"successes": p.successes, "n": p.n, "estimate": p.estimate, "low": p.low,
            "high": p.high}  # fmt: skip


def _km(events: list[Any]) -> dict[str, Any]:
    obs = [e for e in events if e is not None]
    if not obs:
        return {"n": 0, "events": 0, "median_days": None}
    km = kaplan_meier(obs)
    return {"n": len(obs), "events": sum(e.event for e in obs), "median_days": km.median_days}


def _ae_rates(ctx: Ctx) -> list[dict[str, Any]]:
    sessions = ctx.db.execute(
        select(TreatmentSession.id, TreatmentCourse.indication, TreatmentCourse.protocol_id)
        .join(TreatmentCourse, TreatmentCourse.id == TreatmentSession.course_id)
        .where(TreatmentSession.status == "completed")
    ).all()
    records = [SessionRecord(str(sid), ind, proto) for sid, ind, proto in sessions]
    known = {r.session_id for r in records}
    rows = ctx.db.execute(
        select(
            AdverseEvent.session_id,
            AdverseEvent.event_type,
            AdverseEvent.severity,
            AdverseEvent.serious,
        )
    )
    events = [
        AdverseEventRecord(str(sid), etype, sev, bool(ser))
        for sid, etype, sev, ser in rows
        if str(sid) in known
    ]
    return [
        {
            "indication": r.group[0],
            "protocol_id": r.group[1],
            "sessions": r.sessions,
            "events": r.events,
            "events_per_session": r.events_per_session,
            "low": r.low,
            "high": r.high,
            "sessions_with_event": _prop(r.sessions_with_event),
        }
        for r in adverse_event_rates(records, events)
    ]


def clinic_outcomes(
    ctx: Ctx,
    *,
    instrument_id: str = "phq-9",
    method: Literal["wilson", "clopper-pearson"] = "wilson",
    at: Literal["last", "any"] = "last",
) -> dict[str, Any]:
    """Response/remission rates (95% CI) by indication and protocol, time to response and
    durability (Kaplan-Meier medians, days), and adverse-event rates when recorded."""
    ctx.require("analytics.read")
    inst = lookup_instrument(instrument_id, "instrument_id")
    records = _records(ctx, inst)
    rates = response_rates(records, by=("indication", "protocol_id"), at=at, method=method)
    groups = []
    for g in rates:
        members = [c for c in records if (c.indication, c.protocol_id) == g.group]
        groups.append(
            {
                "indication": g.group[0],
                "protocol_id": g.group[1],
                "courses": g.courses,
                "response": _prop(g.response),
                "remission": _prop(g.remission),
                "time_to_response": _km([time_to_response(c) for c in members]),
                "durability": _km([durability(c) for c in members]),
            }
        )
    ae = _ae_rates(ctx)
    ctx.audit("R", "analytics.outcomes", f"Analytics/outcomes/{inst.id}")
    ctx.db.commit()
    return {
        "instrument_id": inst.id,
        "method": method,
        "confidence": 0.95,
        "at": at,
        "baseline_definition": BASELINE_DEFINITION,
        "groups": groups,
        "adverse_events": ae,
        "adverse_events_note": (
            "events per completed course session (Poisson 95% CI); sessions with >= 1 event "
            "(Wilson 95% CI)"
        ),
    }
