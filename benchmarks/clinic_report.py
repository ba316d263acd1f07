"""The clinic load benchmark's proof (every acknowledged reading stored exactly once, the
audit chain verifies) and its figures (percentiles, the printed table)."""

from __future__ import annotations

import sqlite3
from collections import Counter
from pathlib import Path
from typing import Any

from benchmarks.clinic_client import LoadResult
from benchmarks.clinic_server import Chair

__all__ = ["describe", "pct", "print_table", "verify_exactly_once"]

# ---------------------------------------------------------------------------- the proof


def verify_exactly_once(
    db_path: Path, chairs: list[Chair], acked: dict[tuple[int, int], str], secret: str
) -> dict[str, Any]:
    """Count the stored rows: each acknowledged reading once, with its acknowledged id."""
    from sqlalchemy.orm import Session

    from ketaclinic.clinic import audit
    from ketaclinic.clinic.db import make_engine

    by_device = {c.device_id.replace("-", ""): c.index for c in chairs}
    con = sqlite3.connect(f"file:{db_path}?mode=ro", uri=True)
    rows = con.execute(
        "SELECT device_id, device_seq, id FROM vital_readings WHERE source = 'device'"
    ).fetchall()
    events = dict(con.execute("SELECT event_type, count(*) FROM audit_log GROUP BY event_type"))
    con.close()
    stored: Counter[tuple[int, int]] = Counter()
    ids: dict[tuple[int, int], str] = {}
    rows = [r for r in rows if r[0] in by_device]  # these chairs' monitors only
    for device_id, seq, rid in rows:
        key = (by_device[device_id], int(seq))
        stored[key] += 1
        ids[key] = rid
    missing = [k for k in acked if stored[k] == 0]
    duplicated = [k for k, n in stored.items() if n > 1]
    wrong_id = [k for k, v in acked.items() if k in ids and ids[k] != v.replace("-", "")]
    unacked = [k for k in stored if k not in acked]
    engine = make_engine(f"sqlite:///{db_path}")
    with Session(engine) as db:
        report = audit.verify(db, key=secret.encode())
    engine.dispose()
    return {
        "acknowledged": len(acked),
        "rows": len(rows),
        "missing": len(missing),
        "duplicated": len(duplicated),
        "wrong_id": len(wrong_id),
        "stored_unacked": len(unacked),
        "audit_create": events.get("reading.create", 0),
        "audit_replay": events.get("reading.replay", 0),
        "audit_batch": events.get("reading.batch", 0),
        "audit_batch_replay": events.get("reading.batch.replay", 0),
        "audit_ok": report.ok,
        "audit_checked": report.checked,
        "exactly_once": not (missing or duplicated or wrong_id),
    }


# ---------------------------------------------------------------------------- reporting


def pct(values: list[float], q: float) -> float:
    if not values:
        return float("nan")
    s = sorted(values)
    return s[min(len(s) - 1, max(0, round(q / 100 * len(s) + 0.5) - 1))]


def describe(res: LoadResult) -> dict[str, Any]:
    errs = {s: n for s, n in res.statuses.items() if s not in (200, 201)}
    return {
        "phase": res.phase,
        "due_but_not_sent": res.backlog,
        "readings_per_s": res.rate,
        "requests_per_s": res.requests / res.seconds,
        "seconds": res.seconds,
        "readings": res.readings_acked,
        "requests": res.requests,
        "p50_ms": pct(res.latencies_ms, 50),
        "p95_ms": pct(res.latencies_ms, 95),
        "p99_ms": pct(res.latencies_ms, 99),
        "max_ms": max(res.latencies_ms, default=0.0),
        "service_p50_ms": pct(res.service_ms, 50),
        "service_p99_ms": pct(res.service_ms, 99),
        "errors": errs,
        "transport_errors": res.transport_errors,
        "replays_same_id": res.replays_ok,
        "replays_other_id": res.replays_bad,
        "server_cpu_ms_per_request": 1000 * res.server_cpu_s / max(res.requests, 1),
        "load": res.load,
    }


def print_table(rows: list[tuple[str, str, str]]) -> None:
    print("| Work | Figure | Load |\n| --- | --- | --- |")
    for work, fig, load in rows:
        print(f"| {work} | {fig} | {load} |")
