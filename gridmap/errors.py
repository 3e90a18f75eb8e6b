"""Domain errors.

Each error names what was wrong and what was expected.  The web layer maps these
classes to HTTP statuses in one table (``web/errors.py``); the CLI prints the message.
"""

from __future__ import annotations


class GridmapError(Exception):
    """Base class of every error gridmap raises on purpose.  ``code`` and ``values``, when
    given, let a page say the same in its own language (``web.i18n.refusal``)."""

    def __init__(self, message: str = "", *, code: str | None = None, values: dict | None = None):
        super().__init__(message)
        self.code = code
        self.values = values or {}


class InvalidInput(GridmapError, ValueError):
    """Bad input from a user: a coordinate, a file row, a parameter.

    ``field`` names the parameter or column, ``position`` the row or feature (0-based
    index into the input) when there is one; ``code`` and ``values``, when given, let a
    page say the same in its own language (``web.i18n.refusal``).
    """

    def __init__(
        self,
        message: str,
        *,
        field: str | None = None,
        position: int | None = None,
        code: str | None = None,
        values: dict | None = None,
    ):
        super().__init__(message, code=code, values=values)
        self.field = field
        self.position = position


class Infeasible(InvalidInput):
    """No plan can satisfy the request; ``reasons`` say why, each a dict with ``check``
    (unit, parent, k, contiguity, ...), ``message`` and the figures behind it."""

    def __init__(self, reasons: list[dict]):
        shown = "; ".join(r["message"] for r in reasons[:3])
        more = f" (and {len(reasons) - 3} more reasons)" if len(reasons) > 3 else ""
        super().__init__(
            f"no plan can satisfy this request: {shown}{more}",
            field="plan",
            code="plan.infeasible",
            values={"reasons": [r.get("said") or r["message"] for r in reasons]},
        )
        self.reasons = reasons


class NotFound(GridmapError, LookupError):
    """An unknown layer, generation, area, incident or officer."""


class StoreError(GridmapError):
    """The store cannot do what was asked (bad URL, wrong schema, conflicting write)."""


class Busy(GridmapError):
    """Too much work asked at once (jobs per user, sign-in attempts): try again later."""


class Forbidden(GridmapError, PermissionError):
    """The caller may not do this (a step of a case that is not theirs, a role's limit)."""


class Conflict(GridmapError):
    """The record changed since the caller read it (a case another user moved on)."""
