"""One table from domain errors to HTTP statuses; every error body is JSON for the API."""

from __future__ import annotations

from flask import Flask, jsonify, render_template, request
from flask_babel import lazy_gettext as _l
from werkzeug.exceptions import HTTPException

from gridmap.errors import (
    Busy,
    Conflict,
    Forbidden,
    GridmapError,
    Infeasible,
    InvalidInput,
    NotFound,
    StoreError,
)

STATUS = {
    Infeasible: 422,  # well-formed, but no plan can satisfy it: the reasons are data
    InvalidInput: 400,
    NotFound: 404,
    Forbidden: 403,
    Conflict: 409,
    Busy: 429,
    StoreError: 500,
    GridmapError: 500,
}


def status_of(exc: GridmapError) -> int:
    for cls in type(exc).__mro__:
        if cls in STATUS:
            return STATUS[cls]
    return 500


HEADINGS = {
    400: _l("Bad request"),
    401: _l("Sign in first"),
    403: _l("Not allowed"),
    404: _l("Not found"),
    409: _l("Changed meanwhile"),
    422: _l("Cannot be satisfied"),
    413: _l("Too large"),
    429: _l("Try again later"),
}


def wants_page() -> bool:
    """A browser asking for a page (not the API, not a script's fetch)."""
    accept = request.accept_mimetypes  # a navigation prefers text/html; fetch() sends */*
    prefers = accept.quality("text/html") > accept.quality("application/json")
    return prefers and not request.path.startswith("/api/")


def error_page(status: int, message: str, field: str | None = None):
    from web import i18n

    lang = i18n.language()
    heading = str(HEADINGS.get(status, _l("Something went wrong")))
    # The public pages speak to citizens: in the page's language, with the way back to
    # the public page (not to the staff's map), the developers' text kept as a detail.
    public = request.path.startswith("/public")
    page = render_template(
        "error.html",
        lang=lang,
        status=status,
        heading=heading,
        message=i18n.public_mistake(status, field) if public else message,
        detail=message if public else None,
        public=public,
    )
    return page, status


def init_app(app: Flask) -> None:
    @app.errorhandler(GridmapError)
    def domain_error(exc: GridmapError):
        if wants_page():
            return error_page(status_of(exc), str(exc), getattr(exc, "field", None))
        name = "BadRequest" if type(exc) is InvalidInput else type(exc).__name__
        body = {"error": name, "message": str(exc)}
        if isinstance(exc, InvalidInput) and exc.field:
            body["parameter"] = exc.field
        if isinstance(exc, Infeasible):
            body["reasons"] = exc.reasons
        return jsonify(body), status_of(exc)

    @app.errorhandler(HTTPException)
    def http_error(exc: HTTPException):
        if wants_page():
            return error_page(exc.code, exc.description)
        answer = jsonify({"error": exc.name, "message": exc.description})
        for name, value in exc.get_headers():  # e.g. a 405's Allow, which RFC 9110 requires
            if name.lower() != "content-type":
                answer.headers[name] = value
        return answer, exc.code
