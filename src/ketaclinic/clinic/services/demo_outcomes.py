"""Demo questionnaire series (PHQ-9 and GAD-7) for the demo clinic's patients.

Each course gets a baseline the day before its first infusion and a score before every
other infusion and a week after the last, following an exponential improvement towards a
patient-specific floor: two of every three demo patients respond (>= 50% drop), the
others improve a little (synthetic demo data, not a clinical estimate). One patient
reports item 9 = 1 on the latest PHQ-9 so the dashboard shows a safety flag to
acknowledge. Scores go through
``ketaclinic.instruments.score`` exactly as an entered questionnaire does.
"""

from __future__ import annotations

import math
import random
import uuid
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from ketaclinic.clinic.tables import TreatmentCourse, TreatmentSession
from ketaclinic.clinic.tables_questionnaires import ClinicalNotification, QuestionnaireResponse
from ketaclinic.instruments import GAD7, PHQ9, Instrument, score

__all__ = ["seed_outcomes"]


def _answers(inst: Instrument, total: int, rng: random.Random, item9: int = 0) -> dict[str, int]:
    """Item answers summing to ``total`` (item 9 of PHQ-9 fixed at ``item9``)."""
    ids = [i.id for i in inst.items]
    fixed = {"item9": item9} if inst is PHQ9 else {}
    free = [i for i in ids if i not in fixed]
    left = max(0, min(total - sum(fixed.values()), 3 * len(free)))
    out = dict.fromkeys(free, 0)
    while left > 0:
        k = rng.choice([i for i in free if out[i] < 3])
        out[k] += 1
        left -= 1
    return {**out, **fixed}


def seed_outcomes(
    db: Session,
    course: TreatmentCourse,
    recorded_by: uuid.UUID,
    prescriber_id: uuid.UUID,
    index: int,
    now: datetime,
) -> None:
    """Add the PHQ-9 and GAD-7 series of one demo course (deterministic per ``index``)."""
    rng = random.Random(1000 + index)
    starts = [
        s.started_at
        for s in db.scalars(
            select(TreatmentSession)
            .where(TreatmentSession.course_id == course.id, TreatmentSession.status == "completed")
            .order_by(TreatmentSession.started_at)
        )
        if s.started_at is not None
    ]
    if not starts:
        return
    times = [starts[0] - timedelta(days=1)] + [t - timedelta(hours=1) for t in starts[1:]]
    times.append(min(starts[-1] + timedelta(days=7), now - timedelta(hours=2)))
    responder = index % 3 != 2
    floor = rng.uniform(0.15, 0.4) if responder else rng.uniform(0.7, 0.9)
    for inst, base in ((PHQ9, rng.randint(15, 23)), (GAD7, rng.randint(10, 17))):
        for k, t in enumerate(times):
            frac = floor + (1 - floor) * math.exp(-0.45 * k)
            total = max(0, min(round(base * frac + rng.choice((-1, 0, 0, 1))), int(inst.total_max)))
            flag_item9 = 1 if (inst is PHQ9 and index == 1 and k == len(times) - 1) else 0
            result = score(inst, _answers(inst, max(total, flag_item9), rng, flag_item9))
            row = QuestionnaireResponse(
                patient_id=course.patient_id, course_id=course.id, session_id=None,
                instrument_id=inst.id, instrument_version=inst.version, administered_at=t,
                answers=dict(result.answers), total=float(result.total), band=result.band,
                subscales=dict(result.subscales), findings=list(result.findings),
                flag_codes=[f.code for f in result.flags], loinc_total=inst.loinc_total,
                recorded_by=recorded_by, created_at=t,
            )  # fmt: skip
            db.add(row)
            db.flush()
            for flag in result.flags:
                db.add(
                    ClinicalNotification(
                        patient_id=course.patient_id, response_id=row.id,
                        recipient_id=prescriber_id, code=flag.code, priority="high",
                        message=flag.message, source=flag.source, item_id=flag.item_id,
                        value=flag.value, created_at=t,
                    )
                )  # fmt: skip
