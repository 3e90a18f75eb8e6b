"""Domain errors.

Each error names what was wrong and what was expected.  The web layer maps these
classes to HTTP statuses in one table (``web/errors.py``); the CLI prints the message.

A message is written with ``say``: an English template with named placeholders and the
values to fill them, ``say("no layer {layer}", layer=name)``.  It is a ``str`` (the
English text: what the CLI and the logs show, what ``str(exc)`` gives) that also keeps
its template and values, so that a page translates the template through the message
catalogue and fills in the same values (``web.i18n.localized``).  ``say`` marks the
template for ``pybabel extract`` (``-k say``, as ``_l`` in the web layer): the domain
imports no Flask and no catalogue.  Values may be messages themselves, names that are
data in both languages (``Named``), or lists of either (``Listed``): each is localized.
"""

from __future__ import annotations

from typing import Any


class Message(str):
    """English text that remembers the template and values it was made of."""

    template: str
    values: dict[str, Any]

    def __new__(cls, template: str, /, **values: Any) -> Message:
        text = super().__new__(cls, template.format(**values) if values else template)
        text.template = template
        text.values = values
        return text

    def __reduce__(self):  # copies and pickles (asdict, job results) keep the template
        return (_message, (self.template, self.values))

    def to_json(self) -> dict:
        """The template and values, for a message kept as JSON and translated later."""
        return {"template": self.template, "values": {k: _plain(v) for k, v in self.values.items()}}

    @classmethod
    def from_json(cls, data) -> str:
        """A message kept by ``to_json`` (any other value: as text)."""
        if isinstance(data, dict) and "template" in data:
            values = {k: cls.from_json(v) for k, v in data.get("values", {}).items()}
            return cls(data["template"], **values)
        return data if isinstance(data, str | int | float) else str(data)


def _message(template: str, values: dict) -> Message:
    return Message(template, **values)


def _plain(value):
    if isinstance(value, Message):
        return value.to_json()
    if isinstance(value, str | int | float | bool) or value is None:
        return value if type(value) in (str, int, float, bool) or value is None else str(value)
    return str(value)


def say(template: str, /, **values: Any) -> Message:
    """A message: ``template`` (English, ``{name}`` placeholders, extracted into the
    catalogue) filled with ``values``."""
    return Message(template, **values)


class Named(str):
    """A name that is data, in both languages (a status, an action): English as a
    ``str``, Chinese in ``zh``; a page picks its language's."""

    zh: str

    def __new__(cls, zh: str, en: str) -> Named:
        text = super().__new__(cls, en)
        text.zh = zh
        return text

    def __reduce__(self):
        return (Named, (self.zh, str(self)))


class Titled(str):
    """A code (its ``str``: what the command line and the logs show, as before) that a page
    shows by its ``title`` (a message) instead: a role, say."""

    title: str

    def __new__(cls, code: str, title: str) -> Titled:
        text = super().__new__(cls, code)
        text.title = title
        return text

    def __reduce__(self):
        return (Titled, (str(self), self.title))


class Listed(str):
    """Names or messages in a list: joined with ``sep`` in English, in a page's language
    with its own separator (、 for a comma), each item localized."""

    items: tuple
    sep: str

    def __new__(cls, items, sep: str = ", ") -> Listed:
        items = tuple(items)
        text = super().__new__(cls, sep.join(map(str, items)))
        text.items = items
        text.sep = sep
        return text

    def __reduce__(self):
        return (Listed, (self.items, self.sep))


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
