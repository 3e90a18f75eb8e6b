"""One table from domain errors to HTTP statuses; every error body is JSON for the API."""

from __future__ import annotations

from flask import Flask, jsonify, request
from werkzeug.exceptions import HTTPException

from gridmap.errors import Busy, GridmapError, InvalidInput, NotFound, StoreError

STATUS = {
    InvalidInput: 400,
    NotFound: 404,
    Busy: 429,
    StoreError: 500,
    GridmapError: 500,
}


def status_of(exc: GridmapError) -> int:
    for cls in type(exc).__mro__:
        if cls in STATUS:
            return STATUS[cls]
    return 500


def init_app(app: Flask) -> None:
    @app.errorhandler(GridmapError)
    def domain_error(exc: GridmapError):
        body = {"error": type(exc).__name__, "message": str(exc)}
        if isinstance(exc, InvalidInput) and exc.field:
            body["parameter"] = exc.field
        return jsonify(body), status_of(exc)

    @app.errorhandler(HTTPException)
    def http_error(exc: HTTPException):
        if request.path.startswith("/api/"):
            return jsonify({"error": exc.name, "message": exc.description}), exc.code
        return exc
