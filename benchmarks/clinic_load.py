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

Modules: ``clinic_server`` (the server subprocess, staff, chairs), ``clinic_client`` (the
chairs' HTTP client and the phases), ``clinic_report`` (the proof and the figures); this
module runs them and prints the table.

The pages: see ``benchmarks.clinic_data`` (the 10,000-patient, 1,000,000-reading clinic,
its dashboard with 50 sessions in progress, and every page's query timed through the
service functions and over HTTP).

The machine is shared with other jobs: every figure is printed with the load average.
"""

from __future__ import annotations

import argparse
import gc
import json
import sqlite3
import sys
import tempfile
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from benchmarks.clinic_client import LoadResult, http_floor, run_load
from benchmarks.clinic_report import describe, print_table, verify_exactly_once
from benchmarks.clinic_server import (
    API,
    Chair,
    Server,
    bench_secret,
    bootstrap,
    internal_serve,
    load_avg,
    login,
    make_chairs,
)
from benchmarks.run import machine

__all__ = [
    "API",
    "Chair",
    "LoadResult",
    "Server",
    "bench_secret",
    "bootstrap",
    "load_avg",
    "login",
    "make_chairs",
    "run_load",
    "verify_exactly_once",
]


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
        # The generator's own start-up objects (httpx, SQLAlchemy, the app's modules) out of
        # its cyclic collector: a full collection of them paused all 30 chairs for ~100 ms
        # and was counted as server latency (the same is done in `ketaclinic serve`).
        gc.collect()
        gc.freeze()
        young, middle, _ = gc.get_threshold()
        gc.set_threshold(young, middle, 100)
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
            f"({proof['audit_checked']:,} records; single readings "
            f"{proof['audit_create']:,} + {proof['audit_replay']:,} replayed; batches "
            f"{proof['audit_batch']:,} + {proof['audit_batch_replay']:,} replayed)",
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
