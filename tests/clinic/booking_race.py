"""Two bookings of one chair at the same moment (tests/clinic/test_series.py for series,
test_session_booking.py for single sessions), on SQLite and PostgreSQL."""

from __future__ import annotations

import threading
import time
from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import Engine, select, text

from ketaclinic.clinic.tables import AuditHead

__all__ = ["race"]

#: PostgreSQL backends waiting, directly or through one other waiter, on ``pg_backend_pid()``.
_WAITING_ON_ME = text(
    """
    WITH direct AS (
        SELECT pid FROM pg_stat_activity WHERE pg_backend_pid() = ANY(pg_blocking_pids(pid))
    )
    SELECT count(*) FROM pg_stat_activity
    WHERE pid IN (SELECT pid FROM direct)
       OR pg_blocking_pids(pid) && ARRAY(SELECT pid FROM direct)
    """
)


def race(
    app: Any,
    engine: Engine,
    headers: dict[str, str],
    url: str | dict[str, str],
    bodies: dict[str, Any],
) -> dict[str, Any]:
    """POST every body to ``url`` (one for all, or one per body's name) at the same moment,
    one thread (and client) each.

    On PostgreSQL the test also holds the audit chain's head row (every booking writes an
    audit record before it commits) until both bookings wait behind it, so both are inside
    the service at once: without the chair lock both would pass the clash check first.
    """
    barrier = threading.Barrier(len(bodies) + 1)
    results: dict[str, Any] = {}

    def book(name: str) -> None:
        client = TestClient(app, raise_server_exceptions=False)
        barrier.wait()
        where = url if isinstance(url, str) else url[name]
        results[name] = client.post(where, json=bodies[name], headers=headers)

    threads = [threading.Thread(target=book, args=(n,)) for n in bodies]
    with engine.connect() as hold:
        if engine.dialect.name == "postgresql":
            hold.execute(select(AuditHead).where(AuditHead.id == 1).with_for_update())
        for t in threads:
            t.start()
        barrier.wait()
        if engine.dialect.name == "postgresql":
            deadline = time.monotonic() + 20
            while hold.execute(_WAITING_ON_ME).scalar_one() < len(bodies):
                hold.execute(text("SELECT pg_stat_clear_snapshot()"))  # else cached per xact
                assert time.monotonic() < deadline, "the bookings never met at the locks"
                time.sleep(0.05)
        hold.rollback()
    for t in threads:
        t.join()
    return results
