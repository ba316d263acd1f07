"""Read models the web pages need, built from the service's tables (one query each where
possible). Every function takes the service context, checks the role and writes the audit
record, like the service's own functions."""

from __future__ import annotations

import uuid
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import case, exists, func, select, union

from ketaclinic.clinic.services.authz import allowed
from ketaclinic.clinic.services.context import Ctx
from ketaclinic.clinic.services.orders import latest_measurement
from ketaclinic.clinic.tables import (
    Alert,
    Chair,
    Patient,
    TreatmentSession,
    VitalReading,
)

__all__ = [
    "DASHBOARD_TOP_ALERTS",
    "INFUSION_STATUS_MIN",
    "alert_rates",
    "dashboard",
    "latest_measurement",
    "patient_sessions",
    "schedule",
]

#: Until a signed order is stored, "infusing" means the first 40 min of a session
#: (the default protocol's duration, Sanacora 2017); after that, "monitoring".
INFUSION_STATUS_MIN = 40.0
_PRIORITY = {"high": 0, "medium": 1, "low": 2}
#: How many open alerts the dashboard lists (the most urgent); the rest are counted.
DASHBOARD_TOP_ALERTS = 20


def _name(p: Patient) -> str:
    return f"{p.family_name}, {p.given_name}"


def _live_status(s: TreatmentSession, now: datetime, open_alerts: int) -> str:
    if s.status == "scheduled":
        return "pre-check"
    if s.status != "in_progress" or s.started_at is None:
        return s.status
    elapsed = (now - s.started_at) / timedelta(minutes=1)
    if elapsed < INFUSION_STATUS_MIN:
        return "infusing"
    return "monitoring" if open_alerts else "ready for discharge check"


def dashboard(ctx: Ctx) -> dict[str, Any]:
    """Today's chairs and sessions with live status, and open alerts by priority.

    Open alerts come as counts per priority (``alert_counts``, and per session) plus the
    ``DASHBOARD_TOP_ALERTS`` most urgent ones (``alerts``: highest priority first, newest
    first within a priority), so the page's cost does not grow with the open alerts.
    """
    ctx.require("session.read")
    now = ctx.clock()
    day0 = datetime.combine(now.date(), datetime.min.time(), tzinfo=now.tzinfo)
    # "in progress OR scheduled today" as a UNION of two index range scans: with an OR,
    # SQLite picks a full scan once ANALYZE statistics exist (benchmarks/clinic_data.py);
    # each branch alone can only use its index (status, started_at) / (scheduled_for).
    today = union(
        select(TreatmentSession.id).where(TreatmentSession.status == "in_progress"),
        select(TreatmentSession.id).where(
            TreatmentSession.scheduled_for >= day0,
            TreatmentSession.scheduled_for < day0 + timedelta(days=1),
        ),
    ).subquery()
    rows = ctx.db.execute(
        select(TreatmentSession, Patient, Chair)
        .join(today, today.c.id == TreatmentSession.id)
        .join(Patient, Patient.id == TreatmentSession.patient_id)
        .join(Chair, Chair.id == TreatmentSession.chair_id)
        .order_by(TreatmentSession.scheduled_for, TreatmentSession.id)
    ).all()
    ids = [s.id for s, _, _ in rows]
    see_alerts = allowed(ctx.principal.role, "alert.read")
    counts: dict[uuid.UUID, dict[str, int]] = {}
    alerts: list[Alert] = []
    last: dict[uuid.UUID, datetime] = {}
    if ids and see_alerts:
        open_ = (Alert.session_id.in_(ids), Alert.acknowledged_at.is_(None))
        for sid, prio, n in ctx.db.execute(
            select(Alert.session_id, Alert.priority, func.count())
            .where(*open_)
            .group_by(Alert.session_id, Alert.priority)
        ):
            counts.setdefault(sid, dict.fromkeys(_PRIORITY, 0))[prio] = n
        rank = case(_PRIORITY, value=Alert.priority, else_=len(_PRIORITY))
        alerts = list(
            ctx.db.scalars(
                select(Alert)
                .where(*open_)
                .order_by(rank, Alert.raised_at.desc(), Alert.id)
                .limit(DASHBOARD_TOP_ALERTS)
            )
        )
        # One index seek per session (SQLite's min/max optimisation on the correlated
        # subquery); a GROUP BY over ``session_id IN (...)`` read every reading of every
        # session in progress (31,476 index entries, 6-12 ms on the 10,000-patient clinic).
        latest = (
            select(func.max(VitalReading.measured_at))
            .where(VitalReading.session_id == TreatmentSession.id)
            .scalar_subquery()
        )
        last = {
            sid: at
            for sid, at in ctx.db.execute(
                select(TreatmentSession.id, latest).where(TreatmentSession.id.in_(ids))
            )
            if at is not None
        }
    none = dict.fromkeys(_PRIORITY, 0)
    sessions = []
    info: dict[uuid.UUID, tuple[Patient, Chair]] = {}
    for s, p, c in rows:
        info[s.id] = (p, c)
        open_by = counts.get(s.id, none)
        open_n = sum(open_by.values())
        sessions.append(
            {
                "id": str(s.id),
                "status": s.status,
                "live_status": _live_status(s, now, open_n),
                "patient": _name(p),
                "patient_id": str(p.id),
                "mrn": p.mrn,
                "chair": c.label,
                "chair_id": str(c.id),
                "scheduled_for": s.scheduled_for.isoformat(),
                "started_at": s.started_at.isoformat() if s.started_at else None,
                "elapsed_min": None
                if s.started_at is None
                else round((now - s.started_at) / timedelta(minutes=1), 1),
                "last_reading_at": last[s.id].isoformat() if s.id in last else None,
                "open_alerts": dict(open_by),
            }
        )
    chairs = []
    busy = {x["chair_id"]: x for x in sessions if x["status"] == "in_progress"}
    for c in ctx.db.scalars(select(Chair).order_by(Chair.label)):
        chairs.append({"id": str(c.id), "label": c.label, "session": busy.get(str(c.id))})
    alert_out = [
        {
            "id": str(a.id),
            "session_id": str(a.session_id),
            "priority": a.priority,
            "message": a.message,
            "code": a.code,
            "raised_at": a.raised_at.isoformat(),
            "cleared": a.cleared_at is not None,
            "patient": _name(info[a.session_id][0]),
            "chair": info[a.session_id][1].label,
        }
        for a in alerts
    ]
    ctx.audit("R", "dashboard.read", f"TreatmentSession?day={day0.date()}&n={len(sessions)}")
    ctx.db.commit()
    return {
        "server_now": now.isoformat(),
        "chairs": chairs,
        "sessions": sessions,
        "alerts": alert_out if see_alerts else None,
        "alert_counts": {k: sum(c[k] for c in counts.values()) for k in _PRIORITY}
        if see_alerts
        else None,
        "infusion_status_min": INFUSION_STATUS_MIN,
    }


def schedule(ctx: Ctx, start: date, days: int) -> dict[str, Any]:
    """Sessions per day and chair between ``start`` and ``start + days``, with capacity
    (for those who read sessions, and for those who book them: admin books series)."""
    can_read = allowed(ctx.principal.role, "session.read")
    ctx.require("session.read" if can_read else "session.schedule")
    t0 = datetime.combine(start, datetime.min.time(), tzinfo=ctx.clock().tzinfo)
    rows = ctx.db.execute(
        select(TreatmentSession, Patient, Chair)
        .join(Patient, Patient.id == TreatmentSession.patient_id)
        .join(Chair, Chair.id == TreatmentSession.chair_id)
        .where(
            TreatmentSession.scheduled_for >= t0,
            TreatmentSession.scheduled_for < t0 + timedelta(days=days),
        )
        .order_by(TreatmentSession.scheduled_for)
    ).all()
    chairs = [{"id": str(c.id), "label": c.label} for c in ctx.db.scalars(select(Chair))]
    items = [
        {
            "id": str(s.id),
            "status": s.status,
            "scheduled_for": s.scheduled_for.isoformat(),
            "patient": _name(p),
            "patient_id": str(p.id),
            "chair": c.label,
            "chair_id": str(c.id),
            "version": s.version,  # If-Match of a move (POST /sessions/{id}/reschedule)
        }
        for s, p, c in rows
    ]
    ctx.audit("R", "schedule.read", f"TreatmentSession?from={start}&days={days}&n={len(items)}")
    ctx.db.commit()
    return {"start": start.isoformat(), "days": days, "chairs": chairs, "sessions": items}


def patient_sessions(ctx: Ctx, patient_id: uuid.UUID) -> list[dict[str, Any]]:
    """A patient's sessions with a summary each (readings, alerts, extremes)."""
    ctx.require("session.read")
    if ctx.db.get(Patient, patient_id) is None:
        from ketaclinic.clinic.services.errors import not_found

        raise not_found("patient", patient_id)
    sess = list(
        ctx.db.scalars(
            select(TreatmentSession)
            .where(TreatmentSession.patient_id == patient_id)
            .order_by(TreatmentSession.scheduled_for)
        )
    )
    ids = [s.id for s in sess]
    stats: dict[uuid.UUID, Any] = {}
    alerts: dict[uuid.UUID, int] = {}
    if ids:
        for sid, n, smax, hrmax, spmin in ctx.db.execute(
            select(
                VitalReading.session_id,
                func.count(),
                func.max(VitalReading.sbp_mmhg),
                func.max(VitalReading.hr_per_min),
                func.min(VitalReading.spo2_pct),
            )
            .where(VitalReading.session_id.in_(ids))
            .group_by(VitalReading.session_id)
        ).all():
            stats[sid] = (n, smax, hrmax, spmin)
        alerts = dict(
            ctx.db.execute(  # type: ignore[arg-type]
                select(Alert.session_id, func.count())
                .where(Alert.session_id.in_(ids))
                .group_by(Alert.session_id)
            ).all()
        )
    chairs = {c.id: c.label for c in ctx.db.scalars(select(Chair))}
    out = []
    for s in sess:
        n, smax, hrmax, spmin = stats.get(s.id, (0, None, None, None))
        out.append(
            {
                "id": str(s.id),
                "status": s.status,
                "chair": chairs.get(s.chair_id, "?"),
                "scheduled_for": s.scheduled_for.isoformat(),
                "started_at": s.started_at.isoformat() if s.started_at else None,
                "ended_at": s.ended_at.isoformat() if s.ended_at else None,
                "readings": n,
                "max_sbp_mmhg": smax,
                "max_hr_per_min": hrmax,
                "min_spo2_pct": spmin,
                "alerts": alerts.get(s.id, 0),
            }
        )
    ctx.audit("R", "session.list", f"Patient/{patient_id}/sessions", patient_id)
    ctx.db.commit()
    return out


def alert_rates(ctx: Ctx, *, weeks: int) -> dict[str, Any]:
    """Share of completed sessions with at least one alert, per week, with Wilson 95% CIs.

    Wilson 1927, J Am Stat Assoc 22:209, doi:10.1080/01621459.1927.10502953 (through
    ``ketaclinic.instruments.analytics.wilson_interval``). Alerts are monitoring-rule
    breaches, not adverse events: the service stores no adverse events yet.
    """
    from ketaclinic.instruments.analytics import wilson_interval

    ctx.require("alert.read")
    now = ctx.clock()
    monday = datetime.combine(
        now.date() - timedelta(days=now.weekday()), datetime.min.time(), tzinfo=now.tzinfo
    )
    t0 = monday - timedelta(weeks=weeks - 1)
    # one aggregate query: each session's week index (a CASE over the week boundaries, so
    # it compares timestamps exactly as stored on both engines; sessions started after the
    # last week fall in bucket ``weeks``, counted in the total only) and whether it has an
    # alert (EXISTS through the alerts' session index), grouped by week
    started = TreatmentSession.started_at
    week = case(*[(started < t0 + timedelta(weeks=k + 1), k) for k in range(weeks)], else_=weeks)
    hit = case((exists().where(Alert.session_id == TreatmentSession.id), 1), else_=0)
    per_session = (
        select(week.label("week"), hit.label("hit"))
        .where(TreatmentSession.status == "completed", started >= t0)
        .subquery()
    )
    by_week = {
        int(k): (int(n), int(h or 0))
        for k, n, h in ctx.db.execute(
            select(per_session.c.week, func.count(), func.sum(per_session.c.hit)).group_by(
                per_session.c.week
            )
        )
    }
    rows = []
    for k in range(weeks):
        w0 = t0 + timedelta(weeks=k)
        n_k, hits_k = by_week.get(k, (0, 0))
        lo, hi = wilson_interval(hits_k, n_k) if n_k else (None, None)
        rows.append(
            {
                "week_start": w0.date().isoformat(),
                "sessions": n_k,
                "with_alert": hits_k,
                "proportion": hits_k / n_k if n_k else None,
                "ci95": [lo, hi],
            }
        )
    n = sum(v[0] for v in by_week.values())
    hits = sum(v[1] for v in by_week.values())
    lo, hi = wilson_interval(hits, n) if n else (None, None)
    ctx.audit("R", "outcomes.alert_rates", f"TreatmentSession?from={t0.date()}&n={n}")
    ctx.db.commit()
    return {
        "weeks": rows,
        "total": {
            "sessions": n,
            "with_alert": hits,
            "proportion": hits / n if n else None,
            "ci95": [lo, hi],
        },
    }
