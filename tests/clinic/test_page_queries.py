"""The Outcomes and Dashboard page queries (issue 4 speed): one aggregate query for the
alert rates with the same numbers as the original per-week Python passes, and a dashboard
that returns counts per priority plus the most urgent open alerts."""

from __future__ import annotations

import random
import uuid
from datetime import UTC, date, datetime, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from ketaclinic.clinic.services.context import Ctx, Principal
from ketaclinic.clinic.tables import Alert, Chair, Location, Patient, TreatmentSession
from ketaclinic.clinic.web import queries
from ketaclinic.instruments.analytics import wilson_interval
from tests.clinic.conftest import SECRET, Clinic

PRIORITIES = ("high", "medium", "low")


def _ctx(c: Clinic, db: Session, role: str, now: datetime) -> Ctx:
    who = Principal(kind="user", id=c.users[role], role=role, name=role)
    return Ctx(
        db=db, principal=who, audit_key=SECRET.encode(), node_id="test", ip=None, clock=lambda: now
    )


def _alert(session_id: uuid.UUID, priority: str, at: datetime, **kw: Any) -> Alert:
    return Alert(
        session_id=session_id,
        code=f"rule-{priority}",
        condition="x",
        kind="vital",
        priority=priority,
        message=f"{priority} alert",
        source="test",
        raised_at=at,
        **kw,
    )


def _seed(c: Clinic, now: datetime, rng: random.Random) -> list[uuid.UUID]:
    """Sessions over 30 weeks (some on week boundaries, in the future, not completed),
    a random third with alerts (several each, some acknowledged)."""
    with Session(c.engine) as db:
        loc = Location(name="L")
        db.add(loc)
        db.flush()
        chairs = [Chair(location_id=loc.id, label=f"C{i}") for i in range(3)]
        db.add_all(chairs)
        p = Patient(
            mrn=f"Q-{uuid.uuid4().hex[:8]}",
            given_name="A",
            family_name="B",
            birth_date=date(1980, 1, 1),
        )
        db.add(p)
        db.flush()
        monday = datetime.combine(
            now.date() - timedelta(days=now.weekday()), datetime.min.time(), tzinfo=UTC
        )
        starts = [now - timedelta(minutes=rng.uniform(0, 30 * 7 * 24 * 60)) for _ in range(300)]
        starts += [monday - timedelta(weeks=k) for k in range(12)]  # exactly on boundaries
        starts += [monday - timedelta(weeks=k, microseconds=1) for k in range(12)]
        starts += [now + timedelta(days=8), now + timedelta(days=15)]  # after the last week
        ids = []
        for i, t in enumerate(starts):
            status = "completed" if i % 10 else rng.choice(["cancelled", "in_progress"])
            s = TreatmentSession(
                patient_id=p.id,
                chair_id=chairs[i % 3].id,
                status=status,
                scheduled_for=t,
                started_at=t,
                created_by=c.users["nurse"],
            )
            db.add(s)
            db.flush()
            ids.append(s.id)
            if rng.random() < 0.35:
                for _ in range(rng.randint(1, 3)):
                    db.add(_alert(s.id, rng.choice(PRIORITIES), t))
        db.commit()
    return ids


def _reference_alert_rates(db: Session, now: datetime, weeks: int) -> dict[str, Any]:
    """The original implementation (16 Python passes over the sessions; an IN list)."""
    monday = datetime.combine(
        now.date() - timedelta(days=now.weekday()), datetime.min.time(), tzinfo=now.tzinfo
    )
    t0 = monday - timedelta(weeks=weeks - 1)
    sess = list(
        db.execute(
            select(TreatmentSession.id, TreatmentSession.started_at).where(
                TreatmentSession.status == "completed", TreatmentSession.started_at >= t0
            )
        ).all()
    )
    with_alert = set(
        db.scalars(
            select(Alert.session_id)
            .where(Alert.session_id.in_([s for s, _ in sess]))
            .group_by(Alert.session_id)
        )
    )
    rows = []
    for k in range(weeks):
        w0 = t0 + timedelta(weeks=k)
        ids = [s for s, t in sess if t is not None and w0 <= t < w0 + timedelta(weeks=1)]
        hits = sum(s in with_alert for s in ids)
        lo, hi = wilson_interval(hits, len(ids)) if ids else (None, None)
        rows.append(
            {
                "week_start": w0.date().isoformat(),
                "sessions": len(ids),
                "with_alert": hits,
                "proportion": hits / len(ids) if ids else None,
                "ci95": [lo, hi],
            }
        )
    n = len(sess)
    hits = sum(s in with_alert for s, _ in sess)
    lo, hi = wilson_interval(hits, n) if n else (None, None)
    return {
        "weeks": rows,
        "total": {
            "sessions": n,
            "with_alert": hits,
            "proportion": hits / n if n else None,
            "ci95": [lo, hi],
        },
    }


def test_alert_rates_match_the_original_implementation(clinic: Clinic) -> None:
    now = datetime.now(UTC)
    _seed(clinic, now, random.Random(4))
    with Session(clinic.engine) as db:
        for weeks in (1, 4, 16, 26, 40):
            expected = _reference_alert_rates(db, now, weeks)
            got = queries.alert_rates(_ctx(clinic, db, "prescriber", now), weeks=weeks)
            assert got == expected, weeks
            assert len(got["weeks"]) == weeks
        assert expected["total"]["sessions"] > 200
        assert 0 < expected["total"]["with_alert"] < expected["total"]["sessions"]
        # the sessions started after the last week count in the total only
        assert expected["total"]["sessions"] == sum(w["sessions"] for w in got["weeks"]) + 2


def test_dashboard_counts_open_alerts_and_lists_the_most_urgent(clinic: Clinic) -> None:
    now = datetime.now(UTC)
    n_top = queries.DASHBOARD_TOP_ALERTS
    with Session(clinic.engine) as db:
        loc = Location(name="L")
        db.add(loc)
        db.flush()
        chairs = [Chair(location_id=loc.id, label=f"C{i}") for i in range(4)]
        db.add_all(chairs)
        db.flush()
        expected: dict[str, dict[str, int]] = {}
        for i, chair in enumerate(chairs):
            p = Patient(
                mrn=f"D-{uuid.uuid4().hex[:8]}",
                given_name=f"G{i}",
                family_name="F",
                birth_date=date(1970, 1, 1),
            )
            db.add(p)
            db.flush()
            s = TreatmentSession(
                patient_id=p.id,
                chair_id=chair.id,
                status="in_progress",
                scheduled_for=now - timedelta(days=2),  # started days ago
                started_at=now - timedelta(minutes=50),
                created_by=clinic.users["nurse"],
            )
            db.add(s)
            db.flush()
            counts = dict.fromkeys(PRIORITIES, 0)
            for j in range(30 + 7 * i):
                prio = PRIORITIES[(i + j) % 3]
                acked = j % 5 == 0
                db.add(
                    _alert(
                        s.id,
                        prio,
                        now - timedelta(seconds=j * 37 + i),
                        acknowledged_at=now if acked else None,
                    )
                )
                counts[prio] += not acked
            expected[str(s.id)] = counts
        old = TreatmentSession(
            patient_id=p.id,
            chair_id=chairs[0].id,
            status="completed",
            scheduled_for=now - timedelta(days=3),
            started_at=now - timedelta(days=3),
            created_by=clinic.users["nurse"],
        )
        db.add(old)
        db.flush()
        db.add(_alert(old.id, "high", now))  # not on today's dashboard
        db.commit()
        out = queries.dashboard(_ctx(clinic, db, "nurse", now))
        assert {s["id"]: s["open_alerts"] for s in out["sessions"]} == expected
        assert out["alert_counts"] == {k: sum(c[k] for c in expected.values()) for k in PRIORITIES}
        top = out["alerts"]
        assert len(top) == n_top < sum(out["alert_counts"].values())
        all_open = list(
            db.scalars(
                select(Alert).where(Alert.session_id != old.id, Alert.acknowledged_at.is_(None))
            )
        )
        all_open.sort(key=lambda a: (PRIORITIES.index(a.priority), -a.raised_at.timestamp()))
        assert [a["id"] for a in top] == [str(a.id) for a in all_open[:n_top]]
        assert {s["live_status"] for s in out["sessions"]} == {"monitoring"}
        desk = queries.dashboard(_ctx(clinic, db, "front_desk", now))
        assert desk["alerts"] is None
        assert desk["alert_counts"] is None
        assert len(desk["sessions"]) == len(chairs)
