"""A simulated chair monitor: a random walk of vital signs posted with a device token.

Sequence numbers are the measurement time in ms since the epoch, so a restarted monitor
never reuses one; a failed post is retried with the same body and number (idempotent).
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

import httpx

__all__ = ["next_vitals", "run_monitor"]


def next_vitals(prev: dict[str, float], rng: random.Random) -> dict[str, float]:
    """One step of a bounded random walk around a resting adult's values."""
    centre = {"sbp_mmhg": 132, "dbp_mmhg": 82, "hr_per_min": 78, "spo2_pct": 97.5,
              "rr_per_min": 14, "temp_c": 36.8}  # fmt: skip
    spread = {"sbp_mmhg": 3, "dbp_mmhg": 2, "hr_per_min": 2, "spo2_pct": 0.4,
              "rr_per_min": 0.5, "temp_c": 0.02}  # fmt: skip
    out = {}
    for name, c in centre.items():
        v = prev.get(name, c)
        v += 0.2 * (c - v) + rng.gauss(0, spread[name])
        out[name] = round(v, 1)
    out["spo2_pct"] = min(out["spo2_pct"], 100.0)
    out["dbp_mmhg"] = min(out["dbp_mmhg"], out["sbp_mmhg"] - 10)
    return out


def run_monitor(
    url: str,
    session_id: str,
    token: str,
    *,
    interval_s: float = 5.0,
    count: int = 0,
    echo: Callable[[str], Any] | None = print,
    wait_for_server_s: float = 0.0,
    seed: int | None = None,
    client: httpx.Client | None = None,
) -> int:
    """Post readings until ``count`` are stored (0: forever). Returns the number stored."""
    rng = random.Random(seed)
    endpoint = f"{url.rstrip('/')}/api/v1/sessions/{session_id}/readings"
    headers = {"Authorization": f"Bearer {token}"}
    stored, vitals = 0, next_vitals({}, rng)
    deadline = time.monotonic() + wait_for_server_s
    own = client is None
    http = client or httpx.Client(timeout=10.0)
    try:
        while count == 0 or stored < count:
            now = datetime.now(UTC)
            body = {"measured_at": now.isoformat(), "device_seq": int(now.timestamp() * 1000),
                    **vitals}  # fmt: skip
            r = _post(http, endpoint, body, headers, deadline)
            if r.status_code in (200, 201):
                stored += 1
                alerts = [a["code"] for a in r.json().get("alerts", [])]
                if echo:
                    echo(f"seq {body['device_seq']} stored ({r.status_code})"
                         + (f" alerts: {', '.join(alerts)}" if alerts else ""))  # fmt: skip
            else:
                if echo:
                    echo(f"seq {body['device_seq']} refused {r.status_code}: {r.text[:200]}")
                if r.status_code in (401, 403, 404, 409):
                    return stored
            vitals = next_vitals(vitals, rng)
            if count == 0 or stored < count:
                time.sleep(interval_s)
    finally:
        if own:
            http.close()
    return stored


def _post(
    http: httpx.Client,
    endpoint: str,
    body: dict[str, Any],
    headers: dict[str, str],
    deadline: float,
) -> httpx.Response:
    """POST, retrying the same body (same device_seq) on a transport error."""
    attempt = 0
    while True:
        try:
            return http.post(endpoint, json=body, headers=headers)
        except httpx.TransportError:
            attempt += 1
            if attempt >= 5 and time.monotonic() >= deadline:
                raise
            time.sleep(min(float(attempt), 5.0))
