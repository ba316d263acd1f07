"""SQLite WAL checkpoints in the background, off the writers' commit path.

In WAL mode SQLite copies the log back into the database file (a *checkpoint*) when a
commit finds the log above ``wal_autocheckpoint`` pages (1,000 by default, about 4 MB):
that one commit then also copies the pages and, with ``synchronous=FULL``, fsyncs the
database file. Measured on the 2-core benchmark machine: a commit of 67 readings takes a
median 4 ms with FULL, but every few seconds at 2,000 readings/s one takes 20-65 ms, and
every batch queued behind it waits too (docs/benchmarks.md, "Clinic service").

:class:`WalCheckpointer` runs ``PRAGMA wal_checkpoint(PASSIVE)`` on its own connection
every ``interval_s`` seconds, so the log never reaches the automatic threshold and
commits do not checkpoint. A PASSIVE checkpoint never waits for, nor blocks, readers or
writers (https://www.sqlite.org/c3ref/wal_checkpoint_v2.html); the automatic checkpoint
stays on as the fallback (a server without the checkpointer, e.g. a test client used
without its lifespan, behaves exactly as before). Durability is unchanged: a checkpoint
only copies committed pages.
"""

from __future__ import annotations

import logging
import sqlite3
import threading

from sqlalchemy import Engine

__all__ = ["WalCheckpointer"]

log = logging.getLogger("ketaclinic.clinic")


class WalCheckpointer:
    """A daemon thread checkpointing a SQLite file database's WAL; a no-op otherwise."""

    def __init__(self, engine: Engine, *, interval_s: float = 0.5) -> None:
        url = engine.url
        database = url.database or ""
        self.path = (
            database
            if url.get_backend_name() == "sqlite" and database not in ("", ":memory:")
            else None
        )
        self.interval_s = interval_s
        self.synchronous = "FULL"
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self.checkpoints = 0  # completed PASSIVE checkpoints (for tests and the benchmark)

    def start(self, synchronous: str = "FULL") -> None:
        if self.path is None or self._thread is not None:
            return
        self.synchronous = synchronous if synchronous in ("FULL", "NORMAL") else "FULL"
        self._thread = threading.Thread(
            target=self._run, name="ketaclinic-wal-checkpoint", daemon=True
        )
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=10)
            self._thread = None

    def _run(self) -> None:
        assert self.path is not None
        con = sqlite3.connect(self.path, isolation_level=None, check_same_thread=False)
        try:
            # the checkpoint's own fsync of the database file follows the service's setting
            con.execute(f"PRAGMA synchronous = {self.synchronous}")
            while not self._stop.wait(self.interval_s):
                try:
                    con.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchall()
                    self.checkpoints += 1
                except sqlite3.OperationalError as exc:  # e.g. another checkpoint running
                    log.debug("background WAL checkpoint skipped: %s", exc)
        finally:
            con.close()
