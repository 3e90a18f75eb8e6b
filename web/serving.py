"""``gridmap serve``: the app in worker processes behind granian's HTTP server.

Why processes: one Python process answers one request at a time whatever its threads
(the GIL), so 16 clients on two cores queued behind each other.  Why granian (a server
written in Rust) rather than gunicorn: on this app's cheapest route gunicorn's own
Python (parsing, keep-alive, its thread pool) cost more than the route itself; granian
answered the same app's "hello" 2.2× as fast, with a third of gunicorn's p99.

Before the workers start, the server builds the active generation's lookup index if the
store's cache file has none (a second for the sample city), saying so; each worker builds
its own app and, before it takes requests, loads that index from the file (a worker that
still finds none builds it while the others wait on its lock).  "serving on" is printed
once a lookup is answered, not when the port opens: a user who opens the map then gets
it at once.  The index's arrays are mapped from that file, so the
workers share their pages through the page cache.  With ``preload`` the parent builds
the app and loads the index once and the workers fork from it.  Measured with
``benchmarks/serve_bench.py`` (2 workers, sample city): PSS 419 MB in all per worker
against 443 MB preloaded, p99 at 16 clients 12-17 ms against 14-38 ms, cold starts
alike; so each worker loads its own by default.
"""

from __future__ import annotations

import contextlib
import functools
import gc
import http.client
import logging
import multiprocessing
import os
import secrets
import time
from collections.abc import Callable

from gridmap.errors import NotFound


def default_workers() -> int:
    return max(os.cpu_count() or 1, 1)


def serve(
    database_url: str,
    host: str,
    port: int,
    workers: int,
    threads: int,
    preload: bool = False,
    *,
    cells: int,
    building: Callable[[], None] = lambda: None,
    ready: Callable[[], None] = lambda: None,
) -> None:
    """Serve until stopped; ``building()`` is called before the lookup index is built (if
    it is), ``ready()`` once the server answers a lookup."""
    from granian import Granian
    from granian.constants import Interfaces

    _log_to_stderr()
    # Every worker must sign sessions with the same key, or a sign-in made on one worker
    # is refused by the next: one random key per start, set before the workers start.
    os.environ.setdefault("GRIDMAP_SECRET_KEY", secrets.token_hex(32))
    build_index(database_url, cells, building)
    loader = functools.partial(_worker_app, database_url)
    if preload:
        from web.db import before_fork

        app = _worker_app(database_url)
        before_fork(app)
        loader = functools.partial(_preloaded, app)
    server = Granian(
        "web:create_app",  # (granian's name for the app; the loader below makes it)
        address=host,
        port=port,
        interface=Interfaces.WSGI,
        workers=workers,
        blocking_threads=threads,
        websockets=False,
        log_level="warning",
        respawn_failed_workers=True,
        # A worker loading a large index must not be taken for a hung one.
        workers_kill_timeout=120,
    )
    scheduler = _scheduling(database_url)
    _when_answering(host, port, ready)
    try:
        server.serve(target_loader=loader, wrap_loader=False)
    finally:
        if scheduler is not None:
            scheduler.terminate()  # it gives its lease up for the next server
            scheduler.join(30)


def _scheduling(database_url: str):
    """The scheduler of this server (``services.scheduler``: escalation, warnings,
    reminders, notifications), in a process of its own beside the workers; None when the
    settings leave it to a ``gridmap worker``.

    A process, not a thread in each worker: a granian worker with a thread of ours
    running sometimes never stopped on SIGTERM (its main thread waits in a lock that the
    signal, taken by another thread, did not wake), and one process is all it needs."""
    from web import scheduler_for

    if scheduler_for(database_url) is None:
        return None
    child = multiprocessing.get_context("fork").Process(
        target=_schedule, args=(database_url,), name="gridmap-scheduler"
    )
    child.start()
    return child


def _schedule(database_url: str) -> None:
    import signal

    from web import scheduler_for

    # Told to stop by the server (terminate), by Ctrl+C, or by the kernel when the server
    # dies without a word: a scheduler never outlives its server.
    _worker_signals()
    scheduler = scheduler_for(database_url)
    for sig in (signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, lambda *_: scheduler.stop.set())
    _log_to_stderr()
    scheduler.run()


def build_index(database_url: str, cells: int, building: Callable[[], None]) -> None:
    """The active generation's lookup index in the store's cache file, built now if it is
    not there (once, here, rather than by the first worker while the port is open).

    The build runs in a child process, so that the threads it starts (Arrow's, GDAL's)
    never live in the process granian forks its workers from."""
    from gridmap.indexcache import is_cached
    from gridmap.stores import open_store

    with open_store(database_url) as store, contextlib.suppress(NotFound):
        if is_cached(store, None, cells):
            return
    building()
    child = multiprocessing.get_context("fork").Process(
        target=_build_index, args=(database_url, cells), name="gridmap-index"
    )
    child.start()
    child.join()  # (failed: the workers build it, as they would anyway)


def _build_index(database_url: str, cells: int) -> None:
    from gridmap.indexcache import cached_index
    from gridmap.stores import open_store

    with open_store(database_url) as store, contextlib.suppress(NotFound):
        cached_index(store, None, cells)


def _when_answering(host: str, port: int, then: Callable[[], None]) -> None:
    """Call ``then`` (in a process of its own) once ``/api/lookup`` is answered: a worker
    answers only after it has loaded the lookup index.

    A process, not a thread: granian forks its workers from this process, and a worker
    forked while a thread of it was asking never stopped on SIGTERM (measured)."""
    target = {"0.0.0.0": "127.0.0.1", "": "127.0.0.1", "::": "::1"}.get(host, host)
    multiprocessing.get_context("fork").Process(
        target=_poll, args=(target, port, then), name="gridmap-ready", daemon=True
    ).start()


def _poll(host: str, port: int, then: Callable[[], None]) -> None:
    server = os.getppid()
    while os.getppid() == server:  # (a server that failed to start: give up)
        conn = http.client.HTTPConnection(host, port, timeout=30)
        try:
            conn.request("GET", "/api/lookup?lon=0&lat=0")
            conn.getresponse().read()  # any answer: the app is up
        except OSError:  # not listening yet
            time.sleep(0.02)
            continue
        finally:
            conn.close()
        then()
        return


def _log_to_stderr() -> None:
    # Index builds are worth a line in the server's log: they are its slow moments.
    logger = logging.getLogger("gridmap")
    if not logger.handlers:
        handler = logging.StreamHandler()
        handler.setFormatter(logging.Formatter("gridmap: %(message)s"))
        logger.addHandler(handler)
    logger.setLevel(logging.INFO)


def _worker_app(database_url: str, *_):
    from web import create_app

    _worker_signals()
    _log_to_stderr()  # (a spawned worker starts with no logging set up)
    # The scheduler runs beside the workers (serve's own process), not in them.
    app = create_app({"DATABASE_URL": database_url, "SCHEDULER": False})
    warm(app)
    # What is loaded now lives as long as the worker: out of the garbage collector's
    # sight.  A full collection walked its 155,000 objects in 75 ms (a stall for every
    # request waiting behind it), and walking them writes to their pages, which undoes
    # the sharing of a preloaded parent's memory.
    gc.freeze()
    return app


def _preloaded(app, *_):
    _worker_signals()
    return app


def _worker_signals() -> None:
    """In a new worker, before it loads the app: SIGTERM and SIGINT stop it outright until
    granian installs its own handlers (after the app is loaded), and the worker is told
    to stop when the server dies.

    Why: a forked worker inherits the server's Python handlers, which only flag the
    server's copy of its state; a SIGTERM that came while the worker was still loading
    (a stop right after the first answer, while the second worker loads its index) was
    swallowed, and the worker then waited for a signal that had come and gone, holding
    its port (seen: workers left behind by the tests).  PR_SET_PDEATHSIG (1): a server
    killed outright leaves no worker behind."""
    import ctypes
    import signal

    for sig in (signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, signal.SIG_DFL)
    with contextlib.suppress(OSError, AttributeError):
        ctypes.CDLL(None, use_errno=True).prctl(1, signal.SIGTERM)


def warm(app) -> None:
    """Load the active generation's lookup index into ``app`` before the first request."""
    from web.db import lookup_index

    # An empty store has nothing to look up yet.
    with app.app_context(), contextlib.suppress(NotFound):
        lookup_index()
