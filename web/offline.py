"""The officer's phone without signal (issue 27 part 5): what the server adds for the
report and inspection forms' offline script (``static/offline.js``) and its service worker
(``static/offline-sw.js``).  The rule that makes a re-sent draft harmless is not here: it
is the use cases' (``gridmap.services.idempotency``)."""

from __future__ import annotations

from flask import Flask, request

from web import i18n

WORKER = "offline-sw.js"


def texts() -> dict[str, str]:
    """The texts the offline script shows, in the page's language."""
    return i18n.texts(i18n.language())


def init_app(app: Flask) -> None:
    app.jinja_env.globals["offline_texts"] = texts

    @app.after_request
    def worker_scope(response):
        # The worker lives with the other static files but must control /cases/new and
        # /hazards/<id>: a worker's scope may be wider than its folder only when its
        # answer says so.
        if request.endpoint == "static" and (request.view_args or {}).get("filename") == WORKER:
            response.headers["Service-Worker-Allowed"] = "/"
        return response
