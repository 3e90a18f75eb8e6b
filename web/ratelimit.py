"""Counting what callers do in a sliding window, in this process (each server process
counts its own: behind several workers the limits are per worker)."""

from __future__ import annotations

import threading
import time
from collections import deque


class Window:
    """At most ``limit`` events per key in the last ``seconds``."""

    def __init__(self, limit: int, seconds: float):
        self.limit, self.seconds = limit, seconds
        self._lock = threading.Lock()
        self._seen: dict[object, deque] = {}

    def _recent(self, key) -> deque:
        q = self._seen.setdefault(key, deque())
        while q and time.monotonic() - q[0] > self.seconds:
            q.popleft()
        return q

    def blocked(self, key) -> bool:
        with self._lock:
            return len(self._recent(key)) >= self.limit

    def add(self, key) -> None:
        with self._lock:
            self._recent(key).append(time.monotonic())

    def take(self, key, n: int = 1) -> bool:
        """Count ``n`` events for ``key`` unless that would pass the limit; whether it did."""
        with self._lock:
            q = self._recent(key)
            if len(q) + n > self.limit:
                return False
            q.extend([time.monotonic()] * n)
            return True
