"""A chair holds one session at a time: the clash check and the row locks of every booking.

A booked session occupies its chair for ``SLOT_MIN`` minutes from its scheduled time; a
scheduled or running session within ``SLOT_MIN`` of a new time refuses that time (409
naming the chair, the booked time and the time that clashes). Used by a single booking
(services/sessions.py) and by a series (clinic/web/series.py), in the same transaction
that writes the session.

Atomic against a simultaneous booking: a booking first locks its course (if any) and then
its chair (``SELECT ... FOR UPDATE`` on PostgreSQL, so a second booking of the same chair
waits, then sees the first one's sessions under READ COMMITTED). On SQLite every write
transaction is ``BEGIN IMMEDIATE`` (clinic/db.py), which serialises it with every other
writer. Locks are taken course first, then chair, in every booking, so two bookings cannot
deadlock; taking a lock this transaction already holds again is a no-op.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from datetime import datetime, timedelta
from typing import TypeVar

from sqlalchemy import select

from ketaclinic.clinic.services.context import Ctx
from ketaclinic.clinic.services.errors import ServiceError
from ketaclinic.clinic.tables import Chair, TreatmentCourse, TreatmentSession

__all__ = ["SLOT_MIN", "locked", "refuse_clash", "when"]

#: Minutes a booked session occupies its chair. A clinic booking setting, not a clinical
#: limit: issue 5 describes about two hours of monitoring per infusion.
SLOT_MIN = 120

T = TypeVar("T", Chair, TreatmentCourse, TreatmentSession)


def locked(ctx: Ctx, table: type[T], key: uuid.UUID) -> T | None:
    """The row, locked for this transaction on PostgreSQL (SQLite: already the one writer)."""
    return ctx.db.scalar(
        select(table)
        .where(table.id == key)
        .with_for_update()
        .execution_options(populate_existing=True)
    )


def when(t: datetime) -> str:
    return t.strftime("%Y-%m-%d %H:%M UTC")


def refuse_clash(
    ctx: Ctx,
    chair: Chair,
    times: Iterable[datetime],
    *,
    field: str,
    moving: uuid.UUID | None = None,
) -> None:
    """Raise 409 if any of ``times`` is within ``SLOT_MIN`` of a scheduled or running session
    in ``chair`` other than ``moving`` (a session being rescheduled does not clash with its
    own old time). Call with the chair locked: :func:`locked`."""
    wanted = sorted(times)
    if not wanted:
        return
    slot = timedelta(minutes=SLOT_MIN)
    taken = ctx.db.scalars(
        select(TreatmentSession.scheduled_for)
        .where(
            TreatmentSession.chair_id == chair.id,
            TreatmentSession.status.in_(("scheduled", "in_progress")),
            TreatmentSession.scheduled_for > wanted[0] - slot,
            TreatmentSession.scheduled_for < wanted[-1] + slot,
            *(() if moving is None else (TreatmentSession.id != moving,)),
        )
        .order_by(TreatmentSession.scheduled_for)
    ).all()
    for t in wanted:
        for other in taken:
            if abs(other - t) < slot:
                raise ServiceError(
                    409, "conflict",
                    f"{chair.label} is already booked at {when(other)}: a chair holds one "
                    f"session at a time ({SLOT_MIN} min), so {when(t)} clashes",
                    field=field, value=when(t),
                    limit=f"{SLOT_MIN} min from every other session in the chair",
                )  # fmt: skip
