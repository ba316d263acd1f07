"""Clinic service speed benchmark (issue 4, "Speed"): readings from 30 chairs over loopback.

Usage (from the repository root)::

    python -m benchmarks.clinic_load                    # everything (make bench-clinic)
    python -m benchmarks.clinic_load --skip-pages       # ingestion only
    python -m benchmarks.clinic_load --skip-ingest      # the 10,000-patient clinic only

Ingestion: a fresh SQLite database is migrated, an admin and a nurse are made through the
service layer, then the real server is started as a subprocess (``ketaclinic serve``, on
127.0.0.1 and a free port). Through the API the benchmark creates a location, one chair
per simulated chair monitor with its device token, a patient and a session in progress
per chair. This process then drives the chairs over loopback with a minimal asyncio
HTTP/1.1 client (one keep-alive connection per chair, so the load generator costs little
CPU next to the server): each chair posts readings with increasing ``device_seq`` on a
fixed schedule (open loop: the latency of a late request counts from when it was due, so
a slow server cannot hide its queue), and a fraction of readings is deliberately sent
again: after the acknowledgement (a retry), concurrently on a second connection (a
duplicate race) or after dropping the connection before the reply (a lost
acknowledgement). A closed-loop phase (every chair posts as fast as it is answered)
measures the capacity. After the server stops, the rows are counted in the database:
every acknowledged reading must be stored exactly once, under the id it was acknowledged
with, and the audit chain must verify.

The pages: see ``benchmarks.clinic_data`` (the 10,000-patient, 1,000,000-reading clinic,
its dashboard with 50 sessions in progress, and every page's query timed through the
service functions and over HTTP).

The machine is shared with other jobs: every figure is printed with the load average.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import secrets
import socket
import sqlite3
import subprocess
import sys
import tempfile
import time
from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx

from benchmarks.run import machine

__all__ = ["Chair", "LoadResult", "Server", "make_chairs", "run_load", "verify_exactly_once"]

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
PASSWORD = "bench horse battery staple 42"
API = "/api/v1"


def load_avg() -> str:
    one, five, fifteen = os.getloadavg()
    return f"{one:.2f}/{five:.2f}/{fifteen:.2f}"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def bench_secret() -> str:
    return secrets.token_urlsafe(48)


# ---------------------------------------------------------------------------- the server


@dataclass
class Server:
    """The real service in a subprocess (``ketaclinic serve`` unless ``mode`` says else).

    ``mode``: ``cli`` runs ``ketaclinic serve`` exactly as a user does (uvicorn with its
    access log); ``quiet`` runs the same app through ``python -m benchmarks.clinic_load
    --internal-serve`` with the access log off (to measure what the log costs).
    """

    database_url: str
    secret: str
    log_path: Path
    mode: str = "cli"
    synchronous: str = "FULL"
    port: int = field(default_factory=free_port)
    proc: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self, timeout_s: float = 60.0) -> None:
        env = {
            **os.environ,
            "KETACLINIC_SECRET_KEY": self.secret,
            "KETACLINIC_SQLITE_SYNCHRONOUS": self.synchronous,
        }
        if self.mode == "cli":
            cmd = [
                str(BIN / "ketaclinic"),
                "serve",
                "--database-url",
                self.database_url,
                "--port",
                str(self.port),
            ]
        else:
            cmd = [
                sys.executable,
                "-m",
                "benchmarks.clinic_load",
                "--internal-serve",
                self.database_url,
                str(self.port),
            ]
        log = self.log_path.open("ab")
        self.proc = subprocess.Popen(cmd, stdout=log, stderr=subprocess.STDOUT, env=env, cwd=ROOT)
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"server exited {self.proc.returncode}; see {self.log_path}")
            try:
                if httpx.get(self.url + "/openapi.json", timeout=2.0).status_code == 200:
                    return
            except httpx.TransportError:
                pass
            time.sleep(0.2)
        self.stop()
        raise RuntimeError(f"server did not answer within {timeout_s} s; see {self.log_path}")

    def stop(self) -> None:
        if self.proc is None or self.proc.poll() is not None:
            return
        self.proc.send_signal(2)  # SIGINT: uvicorn shuts down cleanly
        try:
            self.proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()

    def cpu_s(self) -> float:
        """User + system CPU seconds used so far by the server process."""
        if self.proc is None:
            return 0.0
        fields = Path(f"/proc/{self.proc.pid}/stat").read_text().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def internal_serve(database_url: str, port: int) -> None:
    """The service without the per-request access log (``--server quiet``)."""
    import uvicorn

    from ketaclinic.clinic import migrate
    from ketaclinic.clinic.api import create_app
    from ketaclinic.clinic.db import make_engine
    from ketaclinic.clinic.settings import Settings

    settings = Settings(database_url=database_url)  # the secret comes from the environment
    engine = make_engine(database_url, sqlite_synchronous=settings.sqlite_synchronous)
    migrate.upgrade(engine)
    app = create_app(settings, engine=engine)
    uvicorn.run(app, host="127.0.0.1", port=port, log_level="warning", access_log=False)


def bootstrap(database_url: str, secret: str, users: dict[str, str]) -> None:
    """Migrate and create staff accounts through the service layer (no default accounts)."""
    from sqlalchemy.orm import Session

    from ketaclinic.clinic import migrate
    from ketaclinic.clinic.db import make_engine
    from ketaclinic.clinic.security import hasher
    from ketaclinic.clinic.services.auth import bootstrap_staff
    from ketaclinic.clinic.settings import ARGON2_PROFILES

    engine = make_engine(database_url)
    migrate.upgrade(engine)
    ph = hasher(ARGON2_PROFILES["standard"])
    with Session(engine, expire_on_commit=False) as db:
        for username, role in users.items():
            bootstrap_staff(
                db,
                username=username,
                display_name=f"Bench {role}",
                role=role,
                password=PASSWORD,
                ph=ph,
                audit_key=secret.encode(),
                node_id="bench",
            )
    engine.dispose()


def login(http: httpx.Client, username: str) -> dict[str, str]:
    r = http.post(API + "/auth/login", json={"username": username, "password": PASSWORD})
    r.raise_for_status()
    return {"Authorization": f"Bearer {r.json()['token']}"}


# ---------------------------------------------------------------------------- the chairs


@dataclass
class Chair:
    index: int
    chair_id: str
    device_id: str
    token: str
    session_id: str


def _ok(r: httpx.Response, status: int = 200) -> Any:
    if r.status_code != status:
        raise RuntimeError(f"{r.request.method} {r.request.url} -> {r.status_code}: {r.text}")
    return r.json()


def make_chairs(base_url: str, n: int) -> list[Chair]:
    """Through the API: a location, ``n`` chairs with monitors, patients, sessions started."""
    with httpx.Client(base_url=base_url, timeout=30.0) as http:
        admin, nurse = login(http, "bench.admin"), login(http, "bench.nurse")
        site = {"name": f"Bench site {secrets.token_hex(3)}"}
        loc = _ok(http.post(API + "/locations", json=site, headers=admin), 201)
        tag = site["name"][-6:]
        chairs = []
        for i in range(n):
            ch = _ok(
                http.post(
                    f"{API}/locations/{loc['id']}/chairs",
                    json={"label": f"B{i + 1:02d}"},
                    headers=admin,
                ),
                201,
            )
            dev = _ok(
                http.post(
                    f"{API}/chairs/{ch['id']}/devices",
                    json={"name": f"bench-monitor-{i + 1}"},
                    headers=admin,
                ),
                201,
            )
            pat = _ok(
                http.post(
                    API + "/patients",
                    headers=nurse,
                    json={
                        "mrn": f"BENCH-{tag}-{i + 1:04d}",
                        "given_name": "Chair",
                        "family_name": f"Load{i + 1}",
                        "birth_date": "1980-01-01",
                        "sex": "female",
                    },
                ),
                201,
            )
            now = datetime.now(UTC).isoformat()
            sess = _ok(
                http.post(
                    API + "/sessions",
                    headers=nurse,
                    json={"patient_id": pat["id"], "chair_id": ch["id"], "scheduled_for": now},
                ),
                201,
            )
            _ok(
                http.post(
                    f"{API}/sessions/{sess['id']}/start", headers={**nurse, "If-Match": '"1"'}
                )
            )
            chairs.append(Chair(i, ch["id"], dev["id"], dev["token"], sess["id"]))
    return chairs


# ---------------------------------------------------------------------------- the client


class Conn:
    """One keep-alive HTTP/1.1 connection; enough HTTP for JSON POSTs to uvicorn."""

    def __init__(self, port: int) -> None:
        self.port = port
        self.reader: asyncio.StreamReader | None = None
        self.writer: asyncio.StreamWriter | None = None

    async def open(self) -> None:
        self.reader, self.writer = await asyncio.open_connection("127.0.0.1", self.port)

    def close(self) -> None:
        if self.writer is not None:
            self.writer.close()
        self.reader = self.writer = None

    def request(self, path: str, token: str, body: bytes) -> bytes:
        return (
            f"POST {path} HTTP/1.1\r\nHost: 127.0.0.1:{self.port}\r\n"
            f"Authorization: Bearer {token}\r\nContent-Type: application/json\r\n"
            f"Content-Length: {len(body)}\r\n\r\n"
        ).encode() + body

    async def send(self, raw: bytes) -> None:
        if self.writer is None:
            await self.open()
        assert self.writer is not None
        self.writer.write(raw)
        await self.writer.drain()

    async def receive(self) -> tuple[int, dict[str, Any]]:
        assert self.reader is not None
        head = await self.reader.readuntil(b"\r\n\r\n")
        lines = head.decode("latin-1").split("\r\n")
        status = int(lines[0].split(" ", 2)[1])
        length, close = 0, False
        for line in lines[1:]:
            name, _, value = line.partition(":")
            if name.lower() == "content-length":
                length = int(value)
            elif name.lower() == "connection" and value.strip().lower() == "close":
                close = True
        payload = await self.reader.readexactly(length) if length else b"{}"
        if close:
            self.close()
        return status, json.loads(payload)

    async def post(self, raw: bytes) -> tuple[int, dict[str, Any]]:
        """Send and read the reply; a kept-alive connection the server has closed (idle
        timeout) is reopened once and the same bytes sent again (an idempotent retry)."""
        for attempt in (0, 1):
            reused = self.writer is not None
            try:
                await self.send(raw)
                return await self.receive()
            except asyncio.IncompleteReadError as exc:
                self.close()
                if attempt or not reused or exc.partial:
                    raise
            except (OSError, asyncio.LimitOverrunError):
                self.close()
                raise
        raise AssertionError("unreachable")


@dataclass
class LoadResult:
    phase: str
    seconds: float
    readings_acked: int
    requests: int
    latencies_ms: list[float]
    service_ms: list[float]
    statuses: Counter[int]
    transport_errors: int
    replays_ok: int
    replays_bad: int
    acked: dict[tuple[int, int], str]
    server_cpu_s: float = 0.0
    load: str = ""
    backlog: int = 0
    dropped: int = 0  # requests whose reply was deliberately not read

    @property
    def rate(self) -> float:
        return self.readings_acked / self.seconds


def _reading(chair: Chair, seq: int, vitals: dict[str, float]) -> bytes:
    body = {"measured_at": datetime.now(UTC).isoformat(), "device_seq": seq, **vitals}
    return json.dumps(body).encode()


async def _chair_loop(
    chair: Chair,
    port: int,
    *,
    rate_per_s: float | None,
    duration_s: float,
    seq0: int,
    retry: float,
    race: float,
    lost: float,
    seed: int,
    out: LoadResult,
    t0: float,
    count: int | None,
    batch: int = 0,
) -> int:
    from ketaclinic.clinic.monitor_sim import next_vitals

    rng = random.Random(seed)
    path = f"{API}/sessions/{chair.session_id}/readings" + ("/batch" if batch else "")
    per_request = batch or 1
    if rate_per_s:  # requests per second: a batch carries ``batch`` readings
        rate_per_s = rate_per_s / per_request
    main, spare = Conn(port), Conn(port)
    vitals = next_vitals({}, rng)
    seq, k = seq0, 0
    start = t0 + (rng.random() / rate_per_s if rate_per_s else 0.0)
    loop = asyncio.get_running_loop()

    def record(
        status: int, body: dict[str, Any], due: float, sent: float, key: tuple[int, int]
    ) -> None:
        done = loop.time()
        out.requests += 1
        out.statuses[status] += 1
        out.latencies_ms.append((done - due) * 1000)
        out.service_ms.append((done - sent) * 1000)
        if status in (200, 201):
            # a reading is acknowledged by its first 2xx: a 201, or a 200 when the first
            # reply was lost after the server had stored it
            items = body["items"] if batch else [{**body, "created": status == 201}]
            for item in items:
                ikey = (key[0], item["device_seq"]) if batch else key
                out.readings_acked += ikey not in out.acked
                first = out.acked.setdefault(ikey, item["id"])
                if not item["created"] or first != item["id"]:
                    out.replays_ok += first == item["id"]
                    out.replays_bad += first != item["id"]

    while True:
        due = start + k / rate_per_s if rate_per_s else loop.time()
        if count is not None and k >= count:
            break
        if due - t0 >= duration_s or loop.time() - t0 >= duration_s:
            if rate_per_s:  # readings that were due but never sent: the server fell behind
                due_n = int((duration_s - (start - t0)) * rate_per_s) - k
                out.backlog += max(0, due_n) * per_request
            break
        delay = due - loop.time()
        if delay > 0:
            await asyncio.sleep(delay)
        if batch:
            items: list[bytes] = []
            for _ in range(batch):
                seq += 1
                items.append(_reading(chair, seq, vitals))
                vitals = next_vitals(vitals, rng)
            payload = b'{"readings":[' + b",".join(items) + b"]}"
        else:
            seq += 1
            payload = _reading(chair, seq, vitals)
            vitals = next_vitals(vitals, rng)
        key = (chair.index, seq)
        raw = main.request(path, chair.token, payload)
        k += 1
        dice = rng.random()
        sent = loop.time()
        try:
            if dice < lost:  # the reply never arrives: drop the connection, send again
                await main.send(raw)
                main.close()
                out.dropped += 1
                sent = loop.time()
                record(*await main.post(raw), due, sent, key)
            elif dice < lost + race:  # a duplicate on a second connection at the same time
                both = await asyncio.gather(main.post(raw), spare.post(raw), return_exceptions=True)
                for reply in both:
                    if isinstance(reply, BaseException):
                        out.transport_errors += 1
                    else:
                        record(*reply, due, sent, key)
            else:
                record(*await main.post(raw), due, sent, key)
                if rng.random() < retry:  # the acknowledgement was lost: retry it
                    sent = loop.time()
                    record(*await main.post(raw), sent, sent, key)
        except (OSError, asyncio.IncompleteReadError, asyncio.LimitOverrunError):
            out.transport_errors += 1
    main.close()
    spare.close()
    return seq


async def _drive(
    chairs: list[Chair],
    port: int,
    phase: str,
    rate: float | None,
    duration_s: float,
    seqs: dict[int, int],
    retry: float,
    race: float,
    lost: float,
    seed: int,
    count: int | None,
    batch: int = 0,
) -> LoadResult:
    out = LoadResult(phase, 0.0, 0, 0, [], [], Counter(), 0, 0, 0, {})
    loop = asyncio.get_running_loop()
    t0 = loop.time() + 0.2
    per_chair = rate / len(chairs) if rate else None
    tasks = [
        _chair_loop(
            c,
            port,
            rate_per_s=per_chair,
            duration_s=duration_s,
            seq0=seqs[c.index],
            retry=retry,
            race=race,
            lost=lost,
            seed=seed * 1000 + c.index,
            out=out,
            t0=t0,
            count=count,
            batch=batch,
        )
        for c in chairs
    ]
    ends = await asyncio.gather(*tasks)
    out.seconds = max(loop.time() - t0, 1e-9)
    for c, end in zip(chairs, ends, strict=True):
        seqs[c.index] = end
    return out


def run_load(
    chairs: list[Chair],
    server: Server,
    phase: str,
    *,
    rate: float | None,
    duration_s: float,
    seqs: dict[int, int],
    retry: float,
    race: float,
    lost: float,
    seed: int,
    count: int | None = None,
    batch: int = 0,
) -> LoadResult:
    """One phase: open loop at ``rate`` readings/s in total, or closed loop (``None``);
    it ends after ``duration_s`` or, if given, after ``count`` requests per chair.
    ``batch`` > 0: each request is a batch of that many readings (``.../readings/batch``)."""
    cpu0 = server.cpu_s()
    res = asyncio.run(
        _drive(
            chairs,
            server.port,
            phase,
            rate,
            duration_s,
            seqs,
            retry,
            race,
            lost,
            seed,
            count,
            batch,
        )
    )
    res.server_cpu_s = server.cpu_s() - cpu0
    res.load = load_avg()
    return res


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


async def _floor(port: int, conns: int, seconds: float, chair: Chair) -> int:
    """Requests refused before any database work (a malformed bearer token: 401)."""
    path = f"{API}/sessions/{chair.session_id}/readings"
    loop = asyncio.get_running_loop()
    end = loop.time() + seconds

    async def one() -> int:
        c, n = Conn(port), 0
        raw = c.request(path, "not-a-token", b"{}")
        while loop.time() < end:
            status, _ = await c.post(raw)
            n += status == 401
        c.close()
        return n

    return sum(await asyncio.gather(*(one() for _ in range(conns))))


def http_floor(server: Server, chair: Chair, conns: int, seconds: float) -> dict[str, float]:
    """What the HTTP stack alone costs: uvicorn + FastAPI routing, dependencies and the
    JSON error body, no database. The ceiling of any endpoint on this machine."""
    cpu0 = server.cpu_s()
    n = asyncio.run(_floor(server.port, conns, seconds, chair))
    cpu = server.cpu_s() - cpu0
    return {"requests_per_s": n / seconds, "server_cpu_ms_per_request": 1000 * cpu / max(n, 1)}


def ingest(args: argparse.Namespace, rows: list[tuple[str, str, str]]) -> dict[str, Any]:
    tmp = Path(tempfile.mkdtemp(prefix="kc-bench-"))
    db_path = tmp / "clinic.db"
    url = f"sqlite:///{db_path}"
    secret = bench_secret()
    bootstrap(url, secret, {"bench.admin": "admin", "bench.nurse": "nurse"})
    server = Server(url, secret, tmp / "server.log", mode=args.server, synchronous=args.synchronous)
    server.start()
    out: dict[str, Any] = {
        "database": str(db_path),
        "server": args.server,
        "synchronous": args.synchronous,
        "phases": [],
    }
    try:
        chairs = make_chairs(server.url, args.chairs)
        seqs = {c.index: 0 for c in chairs}
        acked: dict[tuple[int, int], str] = {}
        floor = http_floor(server, chairs[0], args.chairs, 5.0)
        out["http_floor"] = floor
        rows.append(
            (
                f"HTTP floor: 401 before any database work, {args.chairs} connections, "
                f"server {args.server}",
                f"{floor['requests_per_s']:,.0f} requests/s; server CPU "
                f"{floor['server_cpu_ms_per_request']:.2f} ms/request",
                load_avg(),
            )
        )
        # one batch per chair per second at the target rate (--batch 0: one reading a request)
        batch = args.batch if args.batch >= 0 else max(1, round(args.rate / args.chairs))
        out["batch"] = batch
        phases = [("warm-up", args.rate / 4, 3.0), ("open loop", args.rate, args.duration_s)]
        if args.closed_s > 0:
            phases.append(("closed loop", None, args.closed_s))
        for k, (name, rate, dur) in enumerate(phases):
            res = run_load(
                chairs,
                server,
                name,
                rate=rate,
                duration_s=dur,
                seqs=seqs,
                retry=args.retry,
                race=args.race,
                lost=args.lost,
                seed=k + 1,
                batch=batch,
            )
            acked.update(res.acked)
            d = describe(res)
            out["phases"].append(d)
            if name != "warm-up":
                target = f" (target {args.rate:,.0f}/s)" if rate else " (capacity)"
                rows.append(
                    (
                        f"ingest {name}, {args.chairs} chairs{target}, "
                        f"{f'batches of {batch}' if batch else 'one reading a request'}, "
                        f"server {args.server}, "
                        f"synchronous={args.synchronous}",
                        f"{d['readings_per_s']:,.0f} readings/s ({d['requests_per_s']:,.0f} req/s "
                        f"incl. retries); latency p50 {d['p50_ms']:.1f} / p95 {d['p95_ms']:.1f} / "
                        f"p99 {d['p99_ms']:.1f} ms "
                        f"(service time p99 {d['service_p99_ms']:.1f} ms); "
                        f"{d['due_but_not_sent']:,} due but never sent; "
                        f"errors {d['errors'] or 0}, transport {d['transport_errors']}; server CPU "
                        f"{d['server_cpu_ms_per_request']:.2f} ms/request",
                        d["load"],
                    )
                )
    finally:
        server.stop()
    proof = verify_exactly_once(db_path, chairs, acked, secret)
    out["proof"] = proof
    rows.append(
        (
            "ingest: every acknowledged reading stored exactly once",
            f"{'yes' if proof['exactly_once'] else 'NO'}: {proof['acknowledged']:,} acknowledged, "
            f"{proof['rows']:,} rows, missing {proof['missing']}, "
            f"duplicated {proof['duplicated']}, "
            f"other id {proof['wrong_id']}, stored but not acknowledged {proof['stored_unacked']}; "
            f"audit chain {'verifies' if proof['audit_ok'] else 'BROKEN'} "
            f"({proof['audit_checked']:,} records, {proof['audit_replay']:,} replays)",
            load_avg(),
        )
    )
    if not args.keep:
        for p in tmp.iterdir():
            p.unlink()
        tmp.rmdir()
    return out


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(
        prog="python -m benchmarks.clinic_load",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    ap.add_argument("--chairs", type=int, default=30)
    ap.add_argument("--rate", type=float, default=2000.0, help="target readings/s in total")
    ap.add_argument("--duration-s", type=float, default=20.0, help="open-loop phase length")
    ap.add_argument("--closed-s", type=float, default=10.0, help="closed-loop phase (0: skip)")
    ap.add_argument("--retry", type=float, default=0.03, help="fraction retried after the ack")
    ap.add_argument("--race", type=float, default=0.01, help="fraction sent twice at once")
    ap.add_argument("--lost", type=float, default=0.01, help="fraction whose reply is dropped")
    ap.add_argument(
        "--batch",
        type=int,
        default=-1,
        help="readings per request on .../readings/batch (default: rate/chairs, one batch "
        "per chair per second; 0: the single-reading endpoint)",
    )
    ap.add_argument("--server", choices=("cli", "quiet"), default="cli")
    ap.add_argument("--synchronous", choices=("FULL", "NORMAL"), default="FULL")
    ap.add_argument("--skip-ingest", action="store_true")
    ap.add_argument("--skip-pages", action="store_true")
    ap.add_argument("--patients", type=int, default=10_000)
    ap.add_argument("--readings", type=int, default=1_000_000)
    ap.add_argument("--repeats", type=int, default=20, help="timings per page query")
    ap.add_argument(
        "--big-db",
        type=Path,
        help="the 10,000-patient clinic: reuse this file if it exists (made earlier with "
        "this option), else generate it there and keep it",
    )
    ap.add_argument("--keep", action="store_true", help="keep the databases (paths printed)")
    ap.add_argument("--json", type=Path, help="also write every figure here")
    ap.add_argument("--internal-serve", nargs=2, metavar=("URL", "PORT"), help=argparse.SUPPRESS)
    args = ap.parse_args(argv)
    if args.internal_serve:
        internal_serve(args.internal_serve[0], int(args.internal_serve[1]))
        return 0
    m = machine()
    started = datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
    print(
        f"Run {started}: {m['nproc']} CPUs ({m['cpu']}), {m['memory']} RAM, Python "
        f"{m['python']}, SQLite {sqlite3.sqlite_version}; load average {load_avg()} "
        "(the machine is shared with other agents' jobs)."
    )
    rows: list[tuple[str, str, str]] = []
    report: dict[str, Any] = {"machine": m, "started": started}
    if not args.skip_ingest:
        report["ingest"] = ingest(args, rows)
    if not args.skip_pages:
        from benchmarks.clinic_data import pages_benchmark

        report["pages"] = pages_benchmark(args, rows)
    print_table(rows)
    if args.json:
        args.json.write_text(json.dumps(report, indent=2, default=str))
    ok = all(p.get("exactly_once", True) for p in [report.get("ingest", {}).get("proof", {})])
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
