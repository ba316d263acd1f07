"""Coalescing of repeated reads in the audit log.

The chairside monitor polls its session's readings and alerts every second. Auditing each
poll wrote two records a second for every open monitor (7,200 an hour), each saying the
same thing, "this user, from this address, is viewing this session", and each taking the
writer lock that the chair monitors' readings wait for. So a read (action R, outcome 0)
that repeats one already recorded, with the same actor, address, event type, resource and
patient, less than ``window_s`` after it, is not written again. The log still shows who
viewed what, from where, and when, to within the window. The window is a local choice:
HIPAA 45 CFR 164.312(b) requires audit controls but sets no granularity for read records.
``KETACLINIC_AUDIT_READ_WINDOW_S=0`` records every read.

Never coalesced: writes, executes, refusals and failures (outcome != 0), and reads under
a break-glass grant, every one of which is recorded (docs/clinic.md, "Break-glass").

A read counts as recorded only once its transaction commits (``after_commit``); a read
whose transaction rolls back does not hold back the next one. The memory is per process:
with several server processes a read may be recorded once per process per window, never
less often than once per window.
"""

from __future__ import annotations

import threading
from datetime import datetime

from sqlalchemy import event
from sqlalchemy.orm import Session, sessionmaker

__all__ = ["ReadKey", "ReadLog"]

#: (actor kind, actor id, ip, event type, resource ref, patient id)
ReadKey = tuple[str, str, str | None, str, str | None, str | None]

_PENDING = "ketaclinic.audit_reads.pending"


class ReadLog:
    """When each read was last recorded (committed), per ``ReadKey``.

    Parameters
    ----------
    window_s : float
        A repeat within this many seconds of the last recorded read is not written; > 0.
    max_keys : int
        Bound on the memory: past it, entries older than the window are dropped (and if
        that is not enough, all of them, which can only add records, never lose one).
    """

    def __init__(self, window_s: float, *, max_keys: int = 50_000) -> None:
        if not window_s > 0:
            raise ValueError(f"window_s must be > 0 s, got {window_s!r}")
        self.window_s = float(window_s)
        self.max_keys = max_keys
        self._last: dict[ReadKey, datetime] = {}
        self._lock = threading.Lock()

    def recorded_recently(self, key: ReadKey, now: datetime) -> bool:
        """Whether ``key`` was recorded less than ``window_s`` before ``now``."""
        last = self._last.get(key)
        if last is None:
            return False
        age = (now - last).total_seconds()
        return 0.0 <= age < self.window_s

    def stage(self, db: Session, key: ReadKey, now: datetime) -> None:
        """Remember ``key`` as recorded at ``now`` once ``db``'s transaction commits."""
        db.info.setdefault(_PENDING, []).append((key, now))

    def install(self, factory: sessionmaker[Session]) -> None:
        """Hook the commit and rollback of every session ``factory`` makes."""
        event.listen(factory, "after_commit", self._committed)
        event.listen(factory, "after_soft_rollback", self._rolled_back)

    def _committed(self, db: Session) -> None:
        if db.in_nested_transaction():  # a savepoint released: the outer commit decides
            return
        pending = db.info.pop(_PENDING, None)
        if not pending:
            return
        with self._lock:
            for key, at in pending:
                self._last[key] = at
            if len(self._last) > self.max_keys:
                self._prune(max(at for _, at in pending))

    def _rolled_back(self, db: Session, _previous: object) -> None:
        db.info.pop(_PENDING, None)

    def _prune(self, now: datetime) -> None:
        fresh = {k: t for k, t in self._last.items() if (now - t).total_seconds() < self.window_s}
        self._last = fresh if len(fresh) <= self.max_keys else {}
