"""The scheduler: the case loop's timed duties, run on time whether or not anyone reads a
page, by exactly one process per store each tick.

A tick (:func:`tick`) escalates the overdue cases (督办), tells of the cases that became
due soon, reminds grid officers of hazard inspections due, clears old uploads (the
``sweep`` hook an entry point passes) and sends the outbox's messages.  It runs only in
the process holding the store's lease (``leases`` row "scheduler"): the lease is taken
or renewed by one conditional upsert at the start of each tick, so of several server
processes, hosts or ``gridmap worker`` processes on one store one runs the tick and the
others skip it; when the holder dies, its lease runs out after ``settings.lease``
seconds and the next process to tick takes it over.

Correctness does not rest on the lease alone: an escalation is a compare-and-set on the
case's status, a notice is marked given by a unique row, a message is claimed before it
is sent.  The lease makes the work happen once instead of being raced for.

:class:`Scheduler` runs ticks from a daemon thread (what the web app starts in each of
its processes) or in the foreground (``gridmap worker``).
"""

from __future__ import annotations

import logging
import os
import signal
import socket
import threading
import uuid
from collections.abc import Callable
from contextlib import AbstractContextManager
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from gridmap.model import LOCAL_TZ, utc_text
from gridmap.services import cases, notify
from gridmap.settings import Settings

if TYPE_CHECKING:
    from gridmap.stores.protocols import Store

log = logging.getLogger("gridmap")

LEASE = "scheduler"


def holder_name() -> str:
    """Who holds the lease: this host and process (and a nonce: a pid is reused)."""
    return f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:6]}"


def tick(
    store: Store,
    settings: Settings,
    holder: str,
    at: datetime | None = None,
    sweep: Callable[[], object] | None = None,
) -> dict | None:
    """One run of every duty if ``holder`` has (or now takes) the lease; what was done,
    or None when another process holds it.  A duty that fails is logged and named in
    ``errors``; the others still run."""
    at = at or datetime.now(LOCAL_TZ)
    until = at + timedelta(seconds=settings.lease)
    if not store.acquire_lease(LEASE, holder, utc_text(at), utc_text(until)):
        return None
    duties = {
        "escalated": lambda: cases.escalate_overdue(store, cases.calendar(store, settings), at),
        "due_soon": lambda: notify.due_soon(store, at),
        "inspections": lambda: notify.inspections_due(store, at),
        "swept": sweep or (lambda: None),
        "messages": lambda: notify.deliver(store, settings, holder),
    }
    done: dict = {"holder": holder, "errors": []}
    for name, duty in duties.items():
        try:
            done[name] = duty()
        except Exception:  # logged; the other duties, and the next tick, still run
            log.exception("scheduler: %s failed", name)
            done["errors"].append(name)
    return done


class Scheduler:
    """Ticks every ``settings.tick_seconds``, each time with a store of its own
    (``open_store()``, closed after the tick).

    In a server, :meth:`ensure_started` starts the thread once per process (a thread does
    not survive a fork: a worker forked from a preloaded parent starts its own).  A
    ``gridmap worker`` calls :meth:`run` in the foreground."""

    def __init__(
        self,
        open_store: Callable[[], AbstractContextManager],
        settings: Settings,
        sweep: Callable[[], object] | None = None,
    ):
        self.open_store, self.settings, self.sweep = open_store, settings, sweep
        self.holder = holder_name()
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
            self.holder = holder_name()  # a forked child is not its parent
            threading.Thread(target=self._background, daemon=True, name="gridmap-scheduler").start()
            return True

    def _background(self) -> None:
        # Why: the kernel gives a process's signal to any thread that does not block it.
        # Taken by this thread, SIGTERM would only flag Python's handler, while the main
        # thread of a server worker sleeps in a lock that nothing wakes: the worker would
        # never stop.  Blocked here, stop signals go to the threads that wait for them.
        signal.pthread_sigmask(signal.SIG_BLOCK, _STOP_SIGNALS)
        self.run()

    def tick(self) -> dict | None:
        with self.open_store() as store:
            return tick(store, self.settings, self.holder, sweep=self.sweep)

    def run(self) -> None:
        """Tick until :attr:`stop` is set; then give the lease up for the next process."""
        while not self.stop.is_set():
            try:
                done = self.tick()
                if done and (done["escalated"] or done["errors"]):
                    log.info("scheduler tick: %s", _summary(done))
            except Exception:  # logged, and tried again next time: the loop must live on
                log.exception("scheduler tick failed")
            self.stop.wait(self.settings.tick_seconds)
        try:
            with self.open_store() as store:
                store.release_lease(LEASE, self.holder)
        except Exception:  # the store is gone: the lease runs out by itself
            log.exception("releasing the scheduler's lease failed")


# The signals that stop or steer a server process (granian's workers wait for these).
_STOP_SIGNALS = {signal.SIGINT, signal.SIGTERM, signal.SIGHUP, signal.SIGQUIT, signal.SIGCHLD}


def _summary(done: dict) -> dict:
    """A tick's result for the log: counts, not every id (a first tick after a pause
    escalates hundreds of cases)."""
    return {k: len(v) if isinstance(v, list) and k != "errors" else v for k, v in done.items()}
