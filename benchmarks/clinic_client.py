"""The clinic load benchmark's client: one keep-alive HTTP/1.1 connection per simulated
chair monitor, open-loop (fixed schedule, latency counted from when a request was due) and
closed-loop phases, deliberate resends, and the "HTTP floor" (requests refused before any
database work). See ``benchmarks.clinic_load``."""

from __future__ import annotations

import asyncio
import json
import random
from collections import Counter
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from benchmarks.clinic_server import API, Chair, Server, load_avg

__all__ = ["Conn", "LoadResult", "http_floor", "run_load"]

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
