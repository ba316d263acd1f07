"""A big clinic for the page benchmark: 10,000 patients and 1,000,000 readings, quickly.

The schema is made by the service's own migrations; staff are made by the service layer;
everything else is bulk-inserted with ``sqlite3`` ``executemany`` in the service's
storage formats (UUIDs as 32 hex digits, UTC timestamps as ``YYYY-MM-DD HH:MM:SS.ffffff``,
as SQLAlchemy writes them on SQLite), and read back through the service in the timings.
The audit log gets one hash-chained record per reading (as the service writes them) so
its size is realistic and ``ketaclinic audit verify`` passes.

Shape (seeded, reproducible): one location with 50 chairs and monitors; patients with two
measurements each; completed sessions over the last 730 days (about 55 a day), 25
readings each at 5-min intervals; 50 sessions in progress today (one per chair, started
5-100 min ago, a reading every 5 s so far) with open alerts; sessions scheduled for the
rest of today and the coming week; an alert for about 3% of past readings (all
acknowledged) and 0.5% of today's (unacknowledged: about 3 per session in progress).

``pages_benchmark`` times every page's data call on that clinic: the service functions
in-process (with the SQL statements each one runs, their times, and ``EXPLAIN QUERY PLAN``
of the slowest) and the HTTP endpoints the pages call, over loopback.
"""

from __future__ import annotations

import argparse
import json
import random
import sqlite3
import statistics
import tempfile
import time
import uuid
from collections.abc import Callable, Iterator
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

__all__ = ["BigClinic", "generate", "pages_benchmark"]

CHAIRS = 50
DAYS = 730
READINGS_PER_PAST_SESSION = 25
ALERT_FRACTION = 0.03
#: Sessions in progress: about 3 alerts each (1 per 200 readings), still unacknowledged.
ACTIVE_ALERT_FRACTION = 0.005
_GIVEN = (
    "Ada",
    "Alan",
    "Grace",
    "Edsger",
    "Barbara",
    "Donald",
    "Frances",
    "John",
    "Karen",
    "Tony",
    "Radia",
    "Niklaus",
    "Margaret",
    "Dennis",
    "Ken",
    "Lynn",
    "Sophie",
    "Leslie",
)
_FAMILY = (
    "Smith",
    "Jones",
    "Taylor",
    "Brown",
    "Williams",
    "Wilson",
    "Johnson",
    "Davies",
    "Robinson",
    "Wright",
    "Thompson",
    "Evans",
    "Walker",
    "White",
    "Roberts",
    "Green",
    "Hall",
    "Wood",
    "Jackson",
    "Clarke",
    "Hopper",
    "Lovelace",
    "Knuth",
    "Liskov",
)
_VITALS = ("sbp_mmhg", "dbp_mmhg", "hr_per_min", "spo2_pct", "rr_per_min", "temp_c")


def _ts(t: datetime) -> str:
    return t.astimezone(UTC).replace(tzinfo=None).isoformat(" ", "microseconds")


class BigClinic:
    """What the generator made: counts, and ids the timings need."""

    def __init__(self, path: Path, secret: str) -> None:
        self.path = path
        self.secret = secret
        self.counts: dict[str, int] = {}
        self.busy_patient = ""  # the patient with the most sessions
        self.active_session = ""  # a session in progress with the most readings
        self.seconds = 0.0


def save(clinic: BigClinic) -> None:
    """Keep the secret (mode 0600) and the facts next to the database, for ``load``."""
    secret = clinic.path.with_suffix(".secret")
    secret.write_text(clinic.secret)
    secret.chmod(0o600)
    facts = {
        "counts": clinic.counts,
        "busy_patient": clinic.busy_patient,
        "active_session": clinic.active_session,
        "seconds": clinic.seconds,
    }
    clinic.path.with_suffix(".json").write_text(json.dumps(facts, indent=2))


def load(path: Path) -> BigClinic:
    """A clinic made earlier by ``generate`` and ``save`` (``--big-db PATH``)."""
    clinic = BigClinic(path, path.with_suffix(".secret").read_text())
    facts = json.loads(path.with_suffix(".json").read_text())
    clinic.counts, clinic.seconds = facts["counts"], facts["seconds"]
    clinic.busy_patient, clinic.active_session = facts["busy_patient"], facts["active_session"]
    return clinic


def _ids(rng: random.Random) -> Iterator[str]:
    while True:
        yield uuid.UUID(int=rng.getrandbits(128), version=4).hex


def _chunks(rows: Iterator[tuple[Any, ...]], size: int = 50_000) -> Iterator[list[Any]]:
    buf: list[Any] = []
    for r in rows:
        buf.append(r)
        if len(buf) >= size:
            yield buf
            buf = []
    if buf:
        yield buf


def generate(
    path: Path,
    secret: str,
    *,
    patients: int = 10_000,
    readings: int = 1_000_000,
    seed: int = 2026,
    now: datetime | None = None,
) -> BigClinic:
    """Create the clinic in a new SQLite file at ``path`` (migrated by the service)."""
    from benchmarks.clinic_load import bootstrap

    t_start = time.perf_counter()
    now = now or datetime.now(UTC)
    rng = random.Random(seed)
    ids = _ids(rng)
    bootstrap(
        f"sqlite:///{path}",
        secret,
        {"bench.admin": "admin", "bench.nurse": "nurse", "bench.auditor": "auditor"},
    )
    out = BigClinic(path, secret)
    con = sqlite3.connect(path, isolation_level=None)
    con.execute("PRAGMA cache_size = -262144")
    con.execute("PRAGMA synchronous = OFF")
    staff = con.execute("SELECT id FROM staff_users WHERE username = 'bench.nurse'").fetchone()[0]
    con.execute("BEGIN")
    created = _ts(now - timedelta(days=DAYS + 1))
    loc = next(ids)
    con.execute(
        "INSERT INTO locations (id, name, created_at) VALUES (?, 'Main site', ?)", (loc, created)
    )
    chairs = [next(ids) for _ in range(CHAIRS)]
    devices = [next(ids) for _ in range(CHAIRS)]
    con.executemany(
        "INSERT INTO chairs (id, location_id, label, created_at) VALUES (?,?,?,?)",
        [(c, loc, f"C{i + 1:02d}", created) for i, c in enumerate(chairs)],
    )
    con.executemany(
        "INSERT INTO devices (id, chair_id, name, token_sha256, active, created_at) "
        "VALUES (?,?,?,?,1,?)",
        [
            (d, c, f"monitor-{i + 1}", f"{rng.getrandbits(256):064x}", created)
            for i, (d, c) in enumerate(zip(devices, chairs, strict=True))
        ],
    )
    pids = [next(ids) for _ in range(patients)]
    con.executemany(
        "INSERT INTO patients (id, mrn, given_name, family_name, birth_date, sex, phone, "
        "escort_name, escort_phone, created_at, updated_at, version) "
        "VALUES (?,?,?,?,?,?,?,?,?,?,?,1)",
        [
            (
                p,
                f"MRN-{k:06d}",
                rng.choice(_GIVEN),
                rng.choice(_FAMILY),
                date(
                    1940 + rng.randrange(60), 1 + rng.randrange(12), 1 + rng.randrange(28)
                ).isoformat(),
                rng.choice(("female", "male")),
                "+44 20 7946 0000",
                "Escort Person",
                "+44 20 7946 0001",
                created,
                created,
            )
            for k, p in enumerate(pids)
        ],
    )
    con.executemany(
        "INSERT INTO patient_measurements (id, patient_id, measured_at, weight_kg, height_cm, "
        "recorded_by, created_at) VALUES (?,?,?,?,?,?,?)",
        [
            (
                next(ids),
                p,
                _ts(now - timedelta(days=DAYS - j * 300)),
                round(rng.gauss(78, 14), 1),
                round(rng.gauss(170, 9), 1),
                staff,
                created,
            )
            for p in pids
            for j in range(2)
        ],
    )
    # sessions: 50 in progress now (one per chair), the rest completed over DAYS days
    active_n = min(CHAIRS, patients)
    active_min = [5 + 95 * k / max(active_n - 1, 1) for k in range(active_n)]
    active_readings = sum(int(m * 12) for m in active_min)
    past_n = max((readings - active_readings) // READINGS_PER_PAST_SESSION, 0)
    day0 = datetime.combine(now.date(), datetime.min.time(), tzinfo=UTC)
    sessions: list[tuple[str, str, int, str, datetime, datetime | None, datetime | None]] = []
    for _ in range(past_n):
        start = day0 - timedelta(days=1 + rng.randrange(DAYS), minutes=480 + rng.randrange(540))
        sessions.append(
            (
                next(ids),
                rng.choice(pids),
                rng.randrange(CHAIRS),
                "completed",
                start - timedelta(minutes=10),
                start,
                start + timedelta(minutes=150),
            )
        )
    active_pids = rng.sample(pids, active_n)
    for k in range(active_n):
        start = now - timedelta(minutes=active_min[k])
        sessions.append((next(ids), active_pids[k], k, "in_progress", start, start, None))
    for k in range(10 * 8):  # the rest of today and the coming week
        when = day0 + timedelta(days=k // 10, hours=17 + (k % 10) // 5, minutes=(k % 5) * 10)
        sessions.append(
            (next(ids), rng.choice(pids), rng.randrange(CHAIRS), "scheduled", when, None, None)
        )
    con.executemany(
        "INSERT INTO treatment_sessions (id, patient_id, chair_id, status, scheduled_for, "
        "started_at, ended_at, created_by, created_at, version) VALUES (?,?,?,?,?,?,?,?,?,?)",
        [
            (
                s,
                p,
                chairs[c],
                st,
                _ts(sf),
                _ts(a) if a else None,
                _ts(e) if e else None,
                staff,
                _ts(sf - timedelta(days=7)),
                2 if a else 1,
            )
            for s, p, c, st, sf, a, e in sessions
        ],
    )
    # readings (and alerts and audit records) in chunks
    seq = [0] * CHAIRS

    def reading_rows() -> Iterator[tuple[Any, ...]]:
        for s, _p, c, st, _sf, a, _e in sessions:
            if a is None:
                continue
            if st == "completed":
                times = [a + timedelta(minutes=5 * j) for j in range(READINGS_PER_PAST_SESSION)]
            else:
                times = [a + timedelta(seconds=5 * j) for j in range(int((now - a).seconds / 5))]
            for t in times:
                seq[c] += 1
                sbp = round(rng.gauss(128, 12), 1)
                yield (
                    next(ids),
                    s,
                    devices[c],
                    seq[c],
                    _ts(t),
                    _ts(t + timedelta(seconds=1)),
                    sbp,
                    round(min(sbp - 15, rng.gauss(80, 8)), 1),
                    round(rng.gauss(78, 9), 1),
                    round(min(100.0, rng.gauss(97, 1.2)), 1),
                    round(rng.gauss(14, 2), 1),
                    round(rng.gauss(36.8, 0.3), 1),
                    f"{rng.getrandbits(256):064x}",
                    st,
                    t,
                )

    n_read = n_alert = 0
    for chunk in _chunks(reading_rows()):
        con.executemany(
            "INSERT INTO vital_readings (id, session_id, source, device_id, device_seq, "
            "measured_at, received_at, sbp_mmhg, dbp_mmhg, hr_per_min, spo2_pct, rr_per_min, "
            "temp_c, payload_sha256) VALUES (?,?,'device',?,?,?,?,?,?,?,?,?,?,?)",
            [r[:13] for r in chunk],
        )
        alerts = [
            r
            for r in chunk
            if rng.random() < (ACTIVE_ALERT_FRACTION if r[13] == "in_progress" else ALERT_FRACTION)
        ]
        con.executemany(
            "INSERT INTO alerts (id, session_id, reading_id, code, condition, kind, priority, "
            "message, source, field, value, unit, limit_value, raised_at, created_at, "
            "cleared_at, acknowledged_by, acknowledged_at) "
            "VALUES (?,?,?,'hr-high','hr_per_min>limit','physiological',?,"
            "'heart rate above the limit','bench','hr_per_min',?,'1/min',110,?,?,?,?,?)",
            [
                (
                    next(ids),
                    r[1],
                    r[0],
                    rng.choice(("high", "medium", "low")),
                    r[9],
                    r[4],
                    r[4],
                    None if r[13] == "in_progress" else _ts(r[14] + timedelta(minutes=5)),
                    None if r[13] == "in_progress" else staff,
                    None if r[13] == "in_progress" else _ts(r[14] + timedelta(minutes=1)),
                )
                for r in alerts
            ],
        )
        n_read += len(chunk)
        n_alert += len(alerts)
    con.execute("COMMIT")
    n_audit = _audit_chain(con, secret, sessions_by_reading=n_read)
    counts = {
        name: con.execute(f"SELECT count(*) FROM {name}").fetchone()[0]
        for name in (
            "patients",
            "treatment_sessions",
            "vital_readings",
            "alerts",
            "audit_log",
            "patient_measurements",
        )
    }
    out.busy_patient = con.execute(
        "SELECT patient_id FROM treatment_sessions GROUP BY patient_id "
        "ORDER BY count(*) DESC LIMIT 1"
    ).fetchone()[0]
    out.active_session = sessions[past_n + active_n - 1][0]
    # no ANALYZE: the service never runs it, and its statistics change SQLite's plans
    con.close()
    out.counts = {**counts, "audit_appended": n_audit, "alerts_made": n_alert}
    out.seconds = time.perf_counter() - t_start
    return out


def _audit_chain(con: sqlite3.Connection, secret: str, *, sessions_by_reading: int) -> int:
    """One ``reading.create`` record per reading, chained as ``audit.append`` does."""
    from ketaclinic.clinic.audit import record_hash

    key = secret.encode()
    seq, prev = con.execute("SELECT seq, hash FROM audit_head WHERE id = 1").fetchone()
    rows = con.execute(
        "SELECT r.id, r.device_id, s.patient_id, r.received_at FROM "
        "vital_readings r JOIN treatment_sessions s ON s.id = r.session_id "
        "ORDER BY r.received_at"
    )
    n = 0
    con.execute("BEGIN")
    while batch := rows.fetchmany(50_000):
        out = []
        for rid, dev, pid, received in batch:
            seq += 1
            when = datetime.fromisoformat(received).replace(tzinfo=UTC)
            actor = str(uuid.UUID(dev))
            patient = str(uuid.UUID(pid))
            ref = f"VitalReading/{uuid.UUID(rid)}"
            values = {
                "seq": seq,
                "recorded_utc": when,
                "actor_kind": "device",
                "actor_id": actor,
                "role": "device",
                "action": "C",
                "event_type": "reading.create",
                "resource_ref": ref,
                "patient_id": patient,
                "outcome": 0,
                "ip": "127.0.0.1",
                "node_id": "ketaclinic",
            }
            h = record_hash(key, values, prev)
            out.append((seq, received, actor, ref, patient, prev, h))
            prev = h
        con.executemany(
            "INSERT INTO audit_log (seq, recorded_utc, actor_kind, actor_id, role, action, "
            "event_type, resource_ref, patient_id, outcome, ip, node_id, prev_hash, hash) "
            "VALUES (?,?,'device',?,'device','C','reading.create',?,?,0,'127.0.0.1',"
            "'ketaclinic',?,?)",
            out,
        )
        n += len(out)
    con.execute("UPDATE audit_head SET seq = ?, hash = ? WHERE id = 1", (seq, prev))
    con.execute("COMMIT")
    assert n == sessions_by_reading
    return n


# ---------------------------------------------------------------------------- the pages


class _Statements:
    """Times every SQL statement an engine runs (for the per-page breakdown)."""

    def __init__(self, engine: Any) -> None:
        from sqlalchemy import event

        self.log: list[tuple[float, str, Any]] = []
        self.on = False

        @event.listens_for(engine, "before_cursor_execute")
        def _before(conn: Any, cursor: Any, stmt: str, params: Any, ctx: Any, many: bool) -> None:
            conn.info["kc_t0"] = time.perf_counter()

        @event.listens_for(engine, "after_cursor_execute")
        def _after(conn: Any, cursor: Any, stmt: str, params: Any, ctx: Any, many: bool) -> None:
            if self.on:
                self.log.append((time.perf_counter() - conn.info["kc_t0"], stmt, params))


def _service_calls(clinic: BigClinic, today: date) -> list[tuple[str, str, Callable[..., Any]]]:
    """(page, call, function(ctx)) for every page's data."""
    from fastapi import Response

    from ketaclinic.clinic.api.routes_admin import list_audit
    from ketaclinic.clinic.services import auth, patients, readings, sessions, sites
    from ketaclinic.clinic.web import queries
    from ketaclinic.clinic.web.api_extra import session_overview

    pid = uuid.UUID(clinic.busy_patient)
    sid = uuid.UUID(clinic.active_session)
    monday = today - timedelta(days=today.weekday())
    return [
        ("dashboard", "queries.dashboard (50 in progress)", queries.dashboard),
        ("schedule", "queries.schedule (7 days)", lambda c: queries.schedule(c, monday, 7)),
        (
            "patients",
            "patients.list_patients (first 200)",
            lambda c: patients.list_patients(c, q=None, limit=200, offset=0),
        ),
        (
            "patients",
            "patients.list_patients (q=Smi)",
            lambda c: patients.list_patients(c, q="Smi", limit=200, offset=0),
        ),
        (
            "patients",
            "patients.list_patients (last page)",
            lambda c: patients.list_patients(c, q=None, limit=200, offset=9800),
        ),
        ("patient chart", "patients.get_patient", lambda c: patients.get_patient(c, pid)),
        (
            "patient chart",
            "patients.list_measurements",
            lambda c: patients.list_measurements(c, pid),
        ),
        ("patient chart", "queries.patient_sessions", lambda c: queries.patient_sessions(c, pid)),
        ("session monitor", "sessions.get_session", lambda c: sessions.get_session(c, sid)),
        (
            "session monitor",
            "readings.list_readings (500 of the busiest session)",
            lambda c: readings.list_readings(c, sid),
        ),
        ("session monitor", "readings.list_alerts", lambda c: readings.list_alerts(c, sid)),
        (
            "session monitor",
            "ui session_overview (incl. PK simulation)",
            lambda c: session_overview(sid, c, Response(), "depression-iv-40min"),
        ),
        ("outcomes", "queries.alert_rates (16 weeks)", lambda c: queries.alert_rates(c, weeks=16)),
        ("admin", "auth.list_staff", auth.list_staff),
        ("admin", "sites.list_chairs", sites.list_chairs),
        (
            "audit",
            "audit list (first 100)",
            lambda c: list_audit(c, patient_id=None, after_seq=0, limit=100),
        ),
        (
            "audit",
            "audit list (one patient)",
            lambda c: list_audit(c, patient_id=pid, after_seq=0, limit=100),
        ),
    ]


_ROLE_FOR = {"admin": "bench.admin", "audit": "bench.auditor"}


def time_service(clinic: BigClinic, repeats: int) -> list[dict[str, Any]]:
    """Each page's service call in-process: median and p95 wall ms, and its slowest SQL."""
    from sqlalchemy import select

    from ketaclinic.clinic.db import make_engine, make_sessionmaker
    from ketaclinic.clinic.services.context import Ctx, Principal
    from ketaclinic.clinic.tables import StaffUser, utcnow

    engine = make_engine(f"sqlite:///{clinic.path}")
    stmts = _Statements(engine)
    sm = make_sessionmaker(engine)
    with sm() as db:
        users = {u.username: u for u in db.scalars(select(StaffUser))}
    results = []
    for page, name, fn in _service_calls(clinic, datetime.now(UTC).date()):
        user = users[_ROLE_FOR.get(page, "bench.nurse")]
        principal = Principal("user", user.id, user.role, user.username)
        times: list[float] = []
        worst: list[tuple[float, str, Any]] = []
        for k in range(repeats + 1):
            stmts.log.clear()
            stmts.on = True
            with sm() as db:
                ctx = Ctx(
                    db=db,
                    principal=principal,
                    audit_key=clinic.secret.encode(),
                    node_id="bench",
                    ip="127.0.0.1",
                    clock=utcnow,
                )
                t0 = time.perf_counter()
                fn(ctx)
                dt = time.perf_counter() - t0
            stmts.on = False
            if k:  # the first call warms the caches
                times.append(dt * 1000)
                worst = max(worst, sorted(stmts.log, key=lambda s: -s[0])[:1], key=_first_s)
        sql_ms = statistics.median(times) if times else 0.0
        results.append(
            {
                "page": page,
                "call": name,
                "median_ms": sql_ms,
                "p95_ms": _pct(times, 95),
                "max_ms": max(times),
                "slowest_sql_ms": worst[0][0] * 1000 if worst else None,
                "slowest_sql": worst[0][1] if worst else None,
                "slowest_params": worst[0][2] if worst else None,
            }
        )
    engine.dispose()
    return results


def _first_s(x: list[tuple[float, str, Any]]) -> float:
    return x[0][0] if x else 0.0


def _pct(values: list[float], q: float) -> float:
    s = sorted(values)
    return s[min(len(s) - 1, max(0, round(q / 100 * len(s) + 0.5) - 1))] if s else float("nan")


def explain(path: Path, sql: str, params: Any) -> list[str]:
    """``EXPLAIN QUERY PLAN`` of one statement, one line per plan step."""
    con = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    try:
        rows = con.execute("EXPLAIN QUERY PLAN " + sql, params or ()).fetchall()
    finally:
        con.close()
    return [str(r[-1]) for r in rows]


def time_http(clinic: BigClinic, repeats: int) -> list[dict[str, Any]]:
    """The endpoints each page calls, over loopback against the real server."""
    import httpx

    from benchmarks.clinic_load import API, Server, login

    server = Server(f"sqlite:///{clinic.path}", clinic.secret, clinic.path.with_suffix(".log"))
    server.start()
    today = datetime.now(UTC).date()
    monday = today - timedelta(days=today.weekday())
    pid, sid = clinic.busy_patient, clinic.active_session
    pid = str(uuid.UUID(pid))
    sid = str(uuid.UUID(sid))
    gets = [
        ("dashboard", "nurse", "/ui/dashboard"),
        ("schedule", "nurse", f"/ui/schedule?start={monday}&days=7"),
        ("patients", "nurse", "/patients?limit=200"),
        ("patients", "nurse", "/patients?limit=200&q=Smi"),
        ("patient chart", "nurse", f"/patients/{pid}"),
        ("patient chart", "nurse", f"/patients/{pid}/measurements"),
        ("patient chart", "nurse", f"/ui/patients/{pid}/sessions"),
        ("session monitor", "nurse", f"/sessions/{sid}"),
        ("session monitor", "nurse", f"/sessions/{sid}/readings"),
        ("session monitor", "nurse", f"/sessions/{sid}/alerts"),
        ("session monitor", "nurse", f"/ui/sessions/{sid}/overview"),
        ("outcomes", "nurse", "/ui/outcomes/alert-rates?weeks=16"),
        ("admin", "admin", "/staff"),
        ("admin", "admin", "/ui/catalog"),
        ("audit", "auditor", "/audit?limit=100"),
    ]
    out = []
    try:
        with httpx.Client(base_url=server.url, timeout=60.0) as http:
            heads = {r: login(http, f"bench.{r}") for r in ("nurse", "admin", "auditor")}
            for page, role, path in gets:
                times = []
                for k in range(repeats + 1):
                    t0 = time.perf_counter()
                    r = http.get(API + path, headers=heads[role])
                    dt = (time.perf_counter() - t0) * 1000
                    if r.status_code != 200:
                        raise RuntimeError(f"GET {path} -> {r.status_code}: {r.text[:300]}")
                    if k:
                        times.append(dt)
                out.append(
                    {
                        "page": page,
                        "endpoint": f"GET {API}{path}",
                        "bytes": len(r.content),
                        "median_ms": statistics.median(times),
                        "p95_ms": _pct(times, 95),
                        "max_ms": max(times),
                    }
                )
    finally:
        server.stop()
    return out


def pages_benchmark(args: argparse.Namespace, rows: list[tuple[str, str, str]]) -> dict[str, Any]:
    """Generate the big clinic, time its pages, add the figures to ``rows``."""
    from benchmarks.clinic_load import bench_secret, load_avg

    if args.big_db is not None and args.big_db.exists():
        clinic = load(args.big_db)
        tmp = args.big_db.parent
    else:
        tmp = args.big_db.parent if args.big_db else Path(tempfile.mkdtemp(prefix="kc-bigclinic-"))
        tmp.mkdir(parents=True, exist_ok=True)
        clinic = generate(
            args.big_db or tmp / "big.db",
            bench_secret(),
            patients=args.patients,
            readings=args.readings,
        )
        save(clinic)
    c = clinic.counts
    size_mb = clinic.path.stat().st_size / 2**20
    rows.append(
        (
            f"generate the clinic ({c['patients']:,} patients, {c['vital_readings']:,} "
            f"readings, {c['treatment_sessions']:,} sessions, {c['alerts']:,} alerts, "
            f"{c['audit_log']:,} audit records)",
            f"{clinic.seconds:.1f} s; {size_mb:,.0f} MiB",
            load_avg(),
        )
    )
    service = time_service(clinic, args.repeats)
    for s in service:
        target = 50.0 if s["page"] == "dashboard" else 100.0
        mark = "meets" if s["p95_ms"] <= target else "MISSES"
        rows.append(
            (
                f"page {s['page']}: service `{s['call']}`",
                f"median {s['median_ms']:.1f} ms, p95 {s['p95_ms']:.1f} ms ({mark} "
                f"<= {target:g} ms); slowest SQL {s['slowest_sql_ms'] or 0:.1f} ms",
                load_avg(),
            )
        )
        if s["slowest_sql"] and (s["slowest_sql_ms"] or 0) > 5.0:
            s["plan"] = explain(clinic.path, s["slowest_sql"], s["slowest_params"])
    http = time_http(clinic, args.repeats)
    for h in http:
        target = 50.0 if h["page"] == "dashboard" else 100.0
        mark = "meets" if h["p95_ms"] <= target else "MISSES"
        rows.append(
            (
                f"page {h['page']}: HTTP `{h['endpoint']}`",
                f"median {h['median_ms']:.1f} ms, p95 {h['p95_ms']:.1f} ms ({mark} "
                f"<= {target:g} ms); {h['bytes']:,} bytes",
                load_avg(),
            )
        )
    print("\nSlow statements (> 5 ms) and their query plans:")
    for s in service:
        if "plan" in s:
            sql = " ".join(s["slowest_sql"].split())
            print(f"- {s['call']}: {s['slowest_sql_ms']:.1f} ms: {sql[:400]}")
            for step in s["plan"]:
                print(f"    {step}")
    if not args.keep and args.big_db is None:
        for p in tmp.iterdir():
            p.unlink()
        tmp.rmdir()
    else:
        print(f"big clinic kept at {clinic.path}")
    return {"counts": c, "seconds": clinic.seconds, "service": service, "http": http}
