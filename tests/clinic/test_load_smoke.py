"""Functional smoke of the load tool (benchmarks/clinic_load.py) against a real server.

3 chairs x 20 readings, with retries after the acknowledgement, duplicates raced on a
second connection and dropped replies, through ``ketaclinic serve`` in a subprocess.
Asserts what the benchmark proves, never how fast: every acknowledged reading is stored
exactly once under the id it was acknowledged with, every replay returned that id, and
the audit chain verifies. SQLite only (the benchmark's subject).
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from pathlib import Path

import pytest
from benchmarks.clinic_load import (
    Server,
    bench_secret,
    bootstrap,
    make_chairs,
    run_load,
    verify_exactly_once,
)

CHAIRS = 3
READINGS = 20


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    """One server for the module (started once: it is the slow part); each test stops it
    before counting rows and starts it again if it is down."""
    db = tmp_path_factory.mktemp("load") / "clinic.db"
    secret = bench_secret()
    bootstrap(f"sqlite:///{db}", secret, {"bench.admin": "admin", "bench.nurse": "nurse"})
    srv = Server(f"sqlite:///{db}", secret, db.with_suffix(".log"))
    yield srv
    srv.stop()


def _db(server: Server) -> Path:
    return Path(server.database_url.removeprefix("sqlite:///"))


def test_every_acknowledged_reading_is_stored_exactly_once(server: Server) -> None:
    server.start()
    chairs = make_chairs(server.url, CHAIRS)
    seqs = {c.index: 0 for c in chairs}
    # closed loop (each chair sends its next reading when the last one is answered), bounded
    # by count, not time: no timing assumption about a shared machine
    res = run_load(
        chairs,
        server,
        "smoke",
        rate=None,
        duration_s=300.0,
        count=READINGS,
        seqs=seqs,
        retry=0.2,
        race=0.1,
        lost=0.1,
        seed=3,
    )
    server.stop()
    assert res.transport_errors == 0
    assert set(res.statuses) <= {200, 201}, res.statuses
    assert res.backlog == 0
    assert res.readings_acked == CHAIRS * READINGS == len(res.acked)
    assert res.requests > res.readings_acked  # the deliberate retries were sent
    assert res.statuses[200] == res.replays_ok > 0
    assert res.replays_bad == 0
    proof = verify_exactly_once(_db(server), chairs, res.acked, server.secret)
    assert proof["exactly_once"], proof
    assert proof["rows"] == proof["acknowledged"] == CHAIRS * READINGS
    assert proof["missing"] == proof["duplicated"] == proof["wrong_id"] == 0
    assert proof["stored_unacked"] == 0
    assert proof["audit_create"] == CHAIRS * READINGS
    # a dropped request may reach the server after its retry: then the server replays it
    # (audited) to a client that is gone
    assert res.dropped > 0
    assert res.replays_ok <= proof["audit_replay"] <= res.replays_ok + res.dropped
    assert proof["audit_ok"]


def test_the_proof_catches_a_missing_and_a_forged_reading(server: Server) -> None:
    """The counter is not blind: delete one stored reading, forge an acknowledgement for a
    reading never sent, and it reports both."""
    server.start()
    chairs = make_chairs(server.url, 1)
    res = run_load(
        chairs,
        server,
        "smoke",
        rate=None,
        duration_s=300.0,
        count=5,
        seqs={0: 0},
        retry=0.0,
        race=0.0,
        lost=0.0,
        seed=4,
    )
    server.stop()
    db = _db(server)
    acked = dict(res.acked)
    (_first, rid), *_ = acked.items()
    con = sqlite3.connect(db)
    con.execute("PRAGMA foreign_keys = OFF")
    con.execute("DELETE FROM alerts WHERE reading_id = ?", (rid.replace("-", ""),))
    con.execute("DELETE FROM vital_readings WHERE id = ?", (rid.replace("-", ""),))
    con.commit()
    con.close()
    acked[(0, 10_000)] = "00000000-0000-4000-8000-000000000000"
    proof = verify_exactly_once(db, chairs, acked, server.secret)
    assert not proof["exactly_once"]
    assert proof["missing"] == 2
