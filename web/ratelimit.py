"""Counting what callers do in a window of time: :class:`Counted` in the store, where every
worker and host counts together (photos per user: ``web.params.photos``; failed sign-ins
are counted through the same store methods by ``gridmap.services.sessions``);
:class:`Window` in this process (Open311's limits: each server process counts its own)."""

from __future__ import annotations

import threading
import time
from collections import deque

from web.db import get_store


class Counted:
    """At most ``limit`` events per key in any span of ``seconds``, counted in the store
    (``count_attempts``: windows of ``seconds``, a window and the one before it counted
    together, so a key that reached the limit waits up to twice ``seconds``; old rows are
    deleted as new ones come)."""

    def __init__(self, kind: str, limit: int, seconds: int):
        self.kind, self.limit, self.seconds = kind, limit, seconds

    def take(self, key: str, n: int = 1) -> bool:
        """Count ``n`` events for ``key`` unless that would pass the limit; whether it did."""
        return get_store().count_attempts(f"{self.kind}:{key}", self.seconds, n, self.limit)


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
