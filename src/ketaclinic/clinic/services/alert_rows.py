"""Alert rows from the monitoring rules' domain alerts, and back.

One mapping for the three places that raise alerts: a reading (``alerting.evaluate``), a
batch of readings (``readings_batch``, Core inserts, so every column is set here) and the
silent-feed watchdog.
"""

from __future__ import annotations

import uuid
from datetime import datetime

from ketaclinic.clinic.tables import Alert, new_id
from ketaclinic.monitoring import alerts as m_alerts

__all__ = ["to_domain", "to_row"]


def to_row(
    a: m_alerts.Alert,
    *,
    session_id: uuid.UUID,
    reading_id: uuid.UUID | None,
    created_at: datetime,
    message: str | None = None,
    source: str | None = None,
) -> Alert:
    """A new, open, unacknowledged row for ``a`` (``message``/``source`` replace its own)."""
    return Alert(
        id=new_id(), session_id=session_id, reading_id=reading_id, code=a.code,
        condition=a.condition, kind=a.kind, priority=a.priority,
        message=a.message if message is None else message,
        source=a.source if source is None else source,
        field=a.field, value=a.value, unit=a.unit, limit_value=a.limit,
        raised_at=a.raised_at, created_at=created_at, cleared_at=None,
        acknowledged_by=None, acknowledged_at=None,
    )  # fmt: skip


def to_domain(row: Alert) -> m_alerts.Alert:
    """The domain alert a stored row stands for (the rules' alarm state)."""
    return m_alerts.Alert(
        code=row.code,
        condition=row.condition,
        kind=row.kind,  # type: ignore[arg-type]
        priority=row.priority,  # type: ignore[arg-type]
        message=row.message,
        raised_at=row.raised_at,
        source=row.source,
        field=row.field,  # type: ignore[arg-type]
        value=row.value,
        unit=row.unit,
        limit=row.limit_value,
    )
