"""Writing a batch of vital-sign readings: one ``INSERT ... ON CONFLICT DO NOTHING``.

``insert_new(db, rows)`` stores every row whose (device, ``device_seq``) is not stored
yet and returns ``{device_seq: id}`` of the rows it inserted; the others are left for the
caller to replay (idempotency, services/readings_batch.py).

SQLite (the speed target, docs/benchmarks.md "Clinic service"): the statement is compiled
once and the rows go to the driver's ``executemany`` already converted by the columns'
own bind processors (the service's storage formats), with no ``RETURNING``: if the driver
reports as many rows changed as were sent, all were inserted; otherwise the ids are read
back and a row counts as inserted when the stored id is the one this call generated.
Measured: 0.8 ms against 1.2 ms per 67 readings with SQLAlchemy's "insertmanyvalues"
(``RETURNING``, a type conversion per value through the statement machinery).
PostgreSQL: the Core statement with ``RETURNING``, executed with the rows as parameter
sets.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from typing import Any, cast

from sqlalchemy import Connection, Table, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Dialect
from sqlalchemy.orm import Session

from ketaclinic.clinic.tables import VitalReading

__all__ = ["insert_new"]

_TABLE = cast(Table, VitalReading.__table__)
_KEY = ["device_id", "device_seq"]
_RETURNING = (
    postgresql.insert(_TABLE)
    .on_conflict_do_nothing(index_elements=_KEY)
    .returning(_TABLE.c.device_seq, _TABLE.c.id)
)
_PLAIN: dict[tuple[object, ...], tuple[str, list[tuple[str, Callable[[Any], Any] | None]]]] = {}


def _plain(dialect: Dialect) -> tuple[str, list[tuple[str, Callable[[Any], Any] | None]]]:
    """SQL text and (column, bind processor) in parameter order, once per dialect."""
    # what the SQL text and the processors depend on (not the dialect object: one per engine)
    key = (type(dialect), dialect.paramstyle, getattr(dialect, "native_datetime", None))
    if key not in _PLAIN:
        stmt = sqlite.insert(_TABLE).on_conflict_do_nothing(index_elements=_KEY)
        compiled = stmt.compile(dialect=dialect)
        order = list(compiled.positiontup or [])
        procs = [(name, _TABLE.c[name].type.bind_processor(dialect)) for name in order]
        _PLAIN[key] = (str(compiled), procs)  # type: ignore[assignment]
    return _PLAIN[key]


def _insert_sqlite(conn: Connection, rows: list[dict[str, Any]]) -> dict[int, uuid.UUID]:
    sql, procs = _plain(conn.dialect)
    params = [tuple(p(r[n]) if p else r[n] for n, p in procs) for r in rows]
    changed = conn.exec_driver_sql(sql, params).rowcount
    mine = {int(r["device_seq"]): r["id"] for r in rows}
    if changed == len(rows):
        return mine
    device_id = rows[0]["device_id"]
    stored = conn.execute(
        select(_TABLE.c.device_seq, _TABLE.c.id).where(
            _TABLE.c.device_id == device_id, _TABLE.c.device_seq.in_(list(mine))
        )
    )
    return {int(seq): rid for seq, rid in stored if mine.get(int(seq)) == rid}


def insert_new(db: Session, rows: list[dict[str, Any]]) -> dict[int, uuid.UUID]:
    """Insert the rows not stored yet (all of one device); ``{device_seq: id}`` inserted."""
    conn = db.connection()
    if conn.dialect.name == "sqlite":
        return _insert_sqlite(conn, rows)
    return {int(r[0]): r[1] for r in conn.execute(_RETURNING, rows)}
