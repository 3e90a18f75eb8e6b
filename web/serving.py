"""``gridmap serve``: the app in several worker processes (gunicorn), or in one (waitress).

Why processes: one Python process answers one request at a time whatever its threads
(the GIL), so 16 clients on two cores queued behind each other.  Each worker builds its
own app (nothing is shared across ``fork`` but the code) and, before it takes requests,
loads the active generation's lookup index from the store's cache file: a tenth of a
second, cheaper than sharing one built in the parent, whose Python objects' reference
counts would touch (and copy) the shared pages anyway.  The first worker to find no
cache file builds it while the others wait on the file's lock.
"""

from __future__ import annotations

import contextlib
import logging
import os
import secrets

from gridmap.errors import NotFound


def default_workers() -> int:
    return max(os.cpu_count() or 1, 1)


def serve(database_url: str, host: str, port: int, workers: int, threads: int) -> None:
    # Index builds are worth a line in the server's log: they are its slow moments.
    handler = logging.StreamHandler()
    handler.setFormatter(logging.Formatter("gridmap: %(message)s"))
    logging.getLogger("gridmap").addHandler(handler)
    logging.getLogger("gridmap").setLevel(logging.INFO)
    if workers <= 1:
        from waitress import serve as waitress_serve

        from web import create_app

        app = create_app({"DATABASE_URL": database_url})
        warm(app)
        waitress_serve(app, host=host, port=port, threads=threads, ident="gridmap")
        return
    # Every worker must sign sessions with the same key, or a sign-in made on one worker
    # is refused by the next: one random key per start, set before the workers fork.
    os.environ.setdefault("GRIDMAP_SECRET_KEY", secrets.token_hex(32))
    _Gunicorn(database_url, host, port, workers, threads).run()


def warm(app) -> None:
    """Load the active generation's lookup index into ``app`` before the first request."""
    from web.db import lookup_index

    # An empty store has nothing to look up yet.
    with app.app_context(), contextlib.suppress(NotFound):
        lookup_index()


def _post_worker_init(worker) -> None:
    warm(worker.wsgi)


try:
    from gunicorn.app.base import BaseApplication
except ImportError:  # pragma: no cover (gunicorn is a dependency; Windows has none)
    BaseApplication = object


class _Gunicorn(BaseApplication):
    def __init__(self, database_url: str, host: str, port: int, workers: int, threads: int):
        self.database_url = database_url
        self.options = {
            "bind": f"{host}:{port}",
            "workers": workers,
            "threads": threads,
            "worker_class": "gthread",
            "post_worker_init": _post_worker_init,
            "accesslog": None,
            "errorlog": "-",
            "loglevel": "warning",
            "keepalive": 5,
            # A worker loading a large index must not be taken for a hung one.
            "timeout": 120,
        }
        super().__init__()

    def load_config(self) -> None:
        for key, value in self.options.items():
            self.cfg.set(key, value)

    def load(self):
        from web import create_app

        return create_app({"DATABASE_URL": self.database_url})
