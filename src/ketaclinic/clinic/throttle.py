"""Login throttling against brute force, without enabling malicious lockout (ASVS 5.0.0 6.3.1).

Failures are counted per (username, client address) and per client address in a sliding
window. A pair over its limit gets 429 with ``Retry-After``; the same user from another
address is not affected, so an attacker cannot lock a victim out. In-memory, per
process (a multi-process deployment needs a shared store).
"""

from __future__ import annotations

import threading
from collections import defaultdict, deque
from datetime import datetime, timedelta

__all__ = ["LoginThrottle"]


class LoginThrottle:
    """Sliding-window failure counter.

    Parameters
    ----------
    per_pair, per_address : int
        Failures allowed in the window per (username, address) and per address.
    window : timedelta
        Window length.
    """

    def __init__(
        self, per_pair: int = 5, per_address: int = 50, window: timedelta = timedelta(minutes=15)
    ) -> None:
        self.per_pair = per_pair
        self.per_address = per_address
        self.window = window
        self._fails: dict[tuple[str, str], deque[datetime]] = defaultdict(deque)
        self._lock = threading.Lock()

    def _recent(self, key: tuple[str, str], now: datetime) -> deque[datetime]:
        q = self._fails[key]
        while q and now - q[0] >= self.window:
            q.popleft()
        return q

    def retry_after_s(self, username: str, address: str, now: datetime) -> int:
        """0 if a login attempt may proceed, else seconds until it may."""
        with self._lock:
            waits = []
            for key, limit in (
                ((username.lower(), address), self.per_pair),
                (("", address), self.per_address),
            ):
                q = self._recent(key, now)
                if len(q) >= limit:
                    waits.append((q[0] + self.window - now).total_seconds())
            return max(1, int(max(waits)) + 1) if waits else 0

    def failed(self, username: str, address: str, now: datetime) -> None:
        with self._lock:
            self._fails[(username.lower(), address)].append(now)
            self._fails[("", address)].append(now)

    def succeeded(self, username: str, address: str) -> None:
        with self._lock:
            self._fails.pop((username.lower(), address), None)
