"""Escalating overdue cases (督办) on time, without anyone reading a page.

:class:`Escalator` is the one gate: it runs ``cases.escalate_overdue`` at most once per
``every`` seconds in a process, whoever asks.  :class:`Periodic` asks it from a daemon
thread, which is what the web app starts in each of its processes; ``gridmap case
escalate`` runs the use case once, for cron.  Runs may overlap (two workers, a worker and
cron): each escalation is a compare-and-set on the case's status, so a case is escalated
once and the runner that lost the race skips it.  One runner per store (a lease) is the
scheduler's business, not this module's.
"""

from __future__ import annotations

import logging
import os
import threading
import time
from collections.abc import Callable
from contextlib import AbstractContextManager
from datetime import datetime
from typing import TYPE_CHECKING

from gridmap.services import cases
from gridmap.settings import Settings

if TYPE_CHECKING:
    from gridmap.stores.protocols import CaseStore

log = logging.getLogger("gridmap")


class Escalator:
    """Escalate what is overdue, at most once per ``every`` seconds."""

    def __init__(self, every: float = 60.0, clock: Callable[[], float] = time.monotonic):
        self.every = every
        self._clock = clock
        self._lock = threading.Lock()
        self._last: float | None = None

    def due(self) -> bool:
        """Whether a run may start now; if so, the run is counted as started."""
        with self._lock:
            now = self._clock()
            if self._last is not None and now - self._last < self.every:
                return False
            self._last = now
            return True

    def run(
        self, store: CaseStore, settings: Settings, at: datetime | None = None
    ) -> list[int] | None:
        """The cases escalated, or None when the last run was less than ``every`` ago."""
        if not self.due():
            return None
        return cases.escalate_overdue(store, cases.calendar(store, settings), at)


class Periodic:
    """A daemon thread asking an :class:`Escalator` every ``every`` seconds, each time with
    a store of its own (``open_store()``, closed after the run).

    Started by :meth:`ensure_started` in the process that serves requests: a thread does
    not survive a fork, so a worker forked from a preloaded parent starts its own."""

    def __init__(
        self,
        open_store: Callable[[], AbstractContextManager],
        settings: Settings,
        every: float = 60.0,
    ):
        self.open_store, self.settings = open_store, settings
        self.escalator = Escalator(every)
        self.stop = threading.Event()
        self._lock = threading.Lock()
        self._pid: int | None = None

    def ensure_started(self) -> bool:
        """Start the thread in this process unless it runs already; True when started."""
        if self._pid == os.getpid():
            return False
        with self._lock:
            if self._pid == os.getpid():
                return False
            self._pid = os.getpid()
            threading.Thread(target=self._loop, daemon=True, name="gridmap-escalate").start()
            return True

    def tick(self) -> list[int] | None:
        """One run (or None when too soon after the last)."""
        with self.open_store() as store:
            return self.escalator.run(store, self.settings)

    def _loop(self) -> None:
        while not self.stop.is_set():
            try:
                done = self.tick()
                if done:
                    log.info("%d overdue case(s) escalated", len(done))
            except Exception:  # logged, and tried again next time: the thread must live on
                log.exception("escalating overdue cases failed")
            self.stop.wait(self.escalator.every)
