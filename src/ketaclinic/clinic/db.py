"""Engine factory: SQLite (WAL, foreign keys, busy timeout, one writer) or PostgreSQL by URL.

Nothing is created at import time. On SQLite every transaction starts with
``BEGIN IMMEDIATE`` so writers queue on the busy timeout instead of failing with
``SQLITE_BUSY`` half-way (datasette's "one writer" rule); the hash-chained audit log
relies on that serialisation. On PostgreSQL the audit head row is locked instead.
"""

from __future__ import annotations

import threading
from typing import Any

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session, sessionmaker

__all__ = ["READ_ONLY", "make_engine", "make_sessionmaker", "normalise_url"]

#: Execution options for a transaction that only reads: on SQLite it starts with a plain
#: (deferred) ``BEGIN`` and does not take the writer lock, so a read never queues behind
#: a writer (WAL readers see the last committed snapshot). Such a transaction must not
#: write; end it (rollback) before writing. PostgreSQL ignores the option.
#: Use: ``db.connection(execution_options=READ_ONLY)`` before the first query.
READ_ONLY = {"ketaclinic_read_only": True}


def normalise_url(url: str) -> str:
    """Use psycopg 3 for ``postgresql://`` URLs; leave other URLs alone."""
    parsed = make_url(url)
    if parsed.drivername in {"postgresql", "postgres"}:
        parsed = parsed.set(drivername="postgresql+psycopg")
    return parsed.render_as_string(hide_password=False)


def make_engine(
    url: str, *, busy_timeout_ms: int = 5000, sqlite_synchronous: str = "FULL"
) -> Engine:
    """Create an engine for ``url``.

    Parameters
    ----------
    url : str
        SQLAlchemy URL; ``sqlite:///file.db`` or ``postgresql://...``.
    busy_timeout_ms : int
        SQLite: how long to wait for the write lock, ms.
    sqlite_synchronous : {"FULL", "NORMAL"}
        SQLite ``PRAGMA synchronous``.
    """
    url = normalise_url(url)
    backend = make_url(url).get_backend_name()
    if backend == "sqlite":
        if sqlite_synchronous not in {"FULL", "NORMAL"}:
            raise ValueError(f"sqlite_synchronous must be FULL or NORMAL, got {sqlite_synchronous}")
        engine = create_engine(url, connect_args={"check_same_thread": False})
        _configure_sqlite(engine, busy_timeout_ms, sqlite_synchronous)
        return engine
    if backend == "postgresql":
        return create_engine(url, pool_pre_ping=True)
    raise ValueError(f"database_url must be sqlite or postgresql, got {backend}")


def _configure_sqlite(engine: Engine, busy_timeout_ms: int, synchronous: str) -> None:
    """PRAGMAs per connection, and one writer at a time.

    Every transaction is ``BEGIN IMMEDIATE`` (except one opened with ``READ_ONLY``, a
    deferred ``BEGIN`` without the lock). Before it, a process-wide lock is taken and it
    is released only after the COMMIT or ROLLBACK has returned, so in-process writers
    queue on the lock (woken at once) instead of on SQLite's busy handler (which sleeps in
    steps of up to 100 ms). If the lock is not free within the busy timeout the transaction
    starts anyway and SQLite's own locking decides (the lock is an optimisation, never the
    only guard). Other processes are still serialised by SQLite itself.
    """
    writer = threading.Lock()
    holders: set[int] = set()
    dialect = engine.dialect
    plain_commit, plain_rollback = dialect.do_commit, dialect.do_rollback

    def _release(conn: Any) -> None:
        # SQLAlchemy passes the pool's proxy here; the pool's reset passes the raw connection
        key = id(getattr(conn, "dbapi_connection", conn))
        if key in holders:
            holders.discard(key)
            writer.release()

    def do_commit(dbapi_conn: Any) -> None:
        try:
            plain_commit(dbapi_conn)
        finally:
            _release(dbapi_conn)

    def do_rollback(dbapi_conn: Any) -> None:
        try:
            plain_rollback(dbapi_conn)
        finally:
            _release(dbapi_conn)

    dialect.do_commit = do_commit  # type: ignore[method-assign,assignment]
    dialect.do_rollback = do_rollback  # type: ignore[method-assign,assignment]

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_conn: Any, _record: Any) -> None:
        dbapi_conn.isolation_level = None  # we emit BEGIN ourselves
        cur = dbapi_conn.cursor()
        cur.execute(f"PRAGMA busy_timeout = {int(busy_timeout_ms)}")
        cur.execute("PRAGMA journal_mode = WAL")
        cur.execute("PRAGMA foreign_keys = ON")
        cur.execute(f"PRAGMA synchronous = {synchronous}")
        cur.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn: Any) -> None:
        if conn.get_execution_options().get("ketaclinic_read_only"):
            conn.exec_driver_sql("BEGIN")  # deferred: a read snapshot, no writer lock
            return
        dbapi_conn = conn.connection.dbapi_connection
        if writer.acquire(timeout=busy_timeout_ms / 1000):
            holders.add(id(dbapi_conn))
        try:
            conn.exec_driver_sql("BEGIN IMMEDIATE")
        except BaseException:
            _release(dbapi_conn)
            raise


def make_sessionmaker(engine: Engine) -> sessionmaker[Session]:
    """Sessions that keep loaded values after commit (responses are built after commit)."""
    return sessionmaker(engine, expire_on_commit=False)
