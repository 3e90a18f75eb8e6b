"""The request parsers: every value a request carries (query string, form, JSON body,
path, uploaded file) is read here, and each failure is an :class:`InvalidInput` naming
the parameter and what was expected, in one style::

    parameter 'lon' is 'x'; expected a number from -180 to 180

(``web/errors.py`` answers it as a 400 with ``"parameter": "lon"``).  Each parser reads
one name from ``source``: any mapping (``request.args``, the default; ``request.form``,
``request.values`` or a JSON object), so a GET, a form post and a JSON post share it.
An absent or empty value is "not given": the parser answers its default, or says that
the parameter is missing when it is required.

What no parser lets through: numbers that are NaN or infinite, digits that are not ASCII
('¹' passes ``str.isdigit()``), ids beyond any row's key, dates whose year is outside
1900–2200 (they overflow once shifted to UTC; a bound of a filter is clamped to that
range, a value to store is refused), a list or an object where a text is expected, lone
surrogates and control characters in a text, JSON nested deeper than :data:`MAX_DEPTH`.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Mapping
from datetime import date, datetime, time, timezone, tzinfo
from typing import Any

from flask import current_app, request
from werkzeug.exceptions import NotFound as NoRoute
from werkzeug.routing import IntegerConverter

from gridmap.errors import Busy, InvalidInput, NotFound
from gridmap.photos import MAX_REQUEST_BYTES, PER_HOUR, check_photos
from gridmap.validation import check_lonlat
from web.caller import caller
from web.ratelimit import Counted

__all__ = ["InvalidInput", "check_lonlat"]

MAX_ID = (1 << 63) - 1  # the largest key of a row in either store
MIN_YEAR, MAX_YEAR = 1900, 2200
FIRST_MOMENT = datetime(MIN_YEAR, 1, 1, tzinfo=timezone.utc)
LAST_MOMENT = datetime(MAX_YEAR, 12, 31, 23, 59, 59, 999999, tzinfo=timezone.utc)
MAX_DEPTH = 32  # of a JSON body: objects and lists within each other
MAX_TEXT = 10_000  # characters of a text parameter unless the caller says otherwise

_NUMBER = re.compile(r"[+-]?(?:[0-9]+\.?[0-9]*|\.[0-9]+)(?:[eE][+-]?[0-9]{1,3})?")
_WHOLE = re.compile(r"[+-]?[0-9]{1,40}")
_DIGITS = re.compile(r"[0-9]{1,40}")
_TOKEN = re.compile(r"[0-9A-Za-z]{1,128}")
_DAY = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")
_MOMENT = re.compile(
    r"[0-9]{4}-[0-9]{2}-[0-9]{2}"
    r"(?:[Tt ][0-9]{2}:[0-9]{2}(?::[0-9]{2}(?:\.[0-9]{1,6})?)?([Zz]|[+-][0-9]{2}:?[0-9]{2})?)?"
)
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


def _shown(value: Any) -> str:
    """A value as a message quotes it: its repr (non-printables escaped), cut short."""
    text = repr(value)
    return text if len(text) <= 80 else text[:77] + "..."


def bad(name: str, value: Any, expected: str) -> InvalidInput:
    """The error of parameter ``name`` given ``value`` (None: it is missing)."""
    given = "is missing" if value is None else f"is {_shown(value)}"
    return InvalidInput(f"parameter {name!r} {given}; expected {expected}", field=name)


def _source(source: Mapping | None) -> Mapping:
    return request.args if source is None else source


def given(name: str, source: Mapping | None = None) -> Any:
    """The raw value of ``name`` (texts stripped), or None when absent or empty."""
    value = _source(source).get(name)
    if isinstance(value, str):
        value = value.strip()
    return None if value is None or value == "" else value


def _read(name: str, source, convert, expected: str, default=None, required=False):
    """``convert(value)`` of ``name``'s value; ``default`` when it is not given (or, when
    ``required``, an error saying it is missing and what was ``expected``)."""
    value = given(name, source)
    if value is None:
        if required:
            raise bad(name, None, expected)
        return default
    return convert(value)


def _within(name: str, value: Any, found, low, high, expected: str):
    """``found`` (``value`` read) when it is from ``low`` to ``high``."""
    if (low is not None and found < low) or (high is not None and found > high):
        raise bad(name, value, expected)
    return found


def _range(low, high) -> str:
    if low is not None and high is not None:
        return f" from {low} to {high}"
    if low is not None:
        return f" of at least {low}"
    return "" if high is None else f" of at most {high}"


def _an(what: str) -> str:
    return ("an " if what[:1] in "aeiou" else "a ") + what


# -- numbers ------------------------------------------------------------------------------


def to_number(name: str, value: Any, low: float | None = None, high: float | None = None) -> float:
    """``value`` (a JSON number or a text of ASCII digits) as a finite float in range."""
    expected = "a number" + _range(low, high)
    plain = isinstance(value, int | float) and not isinstance(value, bool)
    if not plain and not (isinstance(value, str) and _NUMBER.fullmatch(value.strip())):
        raise bad(name, value, expected)
    number = float(value)
    if not math.isfinite(number):
        raise bad(name, value, expected)
    return _within(name, value, number, low, high, expected)


def _ranged(name: str, default, low, high, source, required: bool, convert, kind: str):
    expected = kind + _range(low, high)
    return _read(name, source, lambda v: convert(name, v, low, high), expected, default, required)


def number(name: str, default=None, low=None, high=None, source=None, *, required=False):
    """A finite number from ``low`` to ``high``; ``default`` when not given."""
    return _ranged(name, default, low, high, source, required, to_number, "a number")


def to_integer(name: str, value: Any, low: int | None = None, high: int | None = None) -> int:
    """``value`` (a JSON integer or a text of ASCII digits) as an int in range."""
    expected = "a whole number" + _range(low, high)
    plain = isinstance(value, int) and not isinstance(value, bool)
    if not plain and not (isinstance(value, str) and _WHOLE.fullmatch(value.strip())):
        raise bad(name, value, expected)
    return _within(name, value, int(value), low, high, expected)


def integer(name: str, default=None, low=None, high=None, source=None, *, required=False):
    """A whole number from ``low`` to ``high``; ``default`` when not given."""
    return _ranged(name, default, low, high, source, required, to_integer, "a whole number")


def to_id(name: str, value: Any, what: str = "record") -> int:
    """A record's id: ASCII digits (or a JSON integer); one beyond any row's key is a
    NotFound naming it, as an unknown id is."""
    if isinstance(value, int) and not isinstance(value, bool):
        digits = str(value)
    elif isinstance(value, str) and _DIGITS.fullmatch(value.strip()):
        digits = value.strip()
    else:
        raise bad(name, value, f"{_an(what)} id (a whole number)")
    key = int(digits)
    if not 0 < key <= MAX_ID:
        raise NotFound(f"no {what} {digits}")
    return key


def record_id(
    name: str, source: Mapping | None = None, *, what: str = "record", required: bool = False
) -> int | None:
    expected = f"{_an(what)} id (a whole number)"
    return _read(name, source, lambda v: to_id(name, v, what), expected, required=required)


def ids(name: str, source: Mapping | None = None, *, what: str = "record") -> list[int] | None:
    """Ids separated by commas; None when not given."""
    value = text(name, source)
    if value is None:
        return None
    parts = [p.strip() for p in value.split(",") if p.strip()]
    if not parts or len(parts) > 1000 or not all(_DIGITS.fullmatch(p) for p in parts):
        raise bad(name, value, f"{what} ids (whole numbers) separated by commas")
    # An id beyond any row's key cannot be sent to the database: 0, no row's key either.
    return [int(p) if int(p) <= MAX_ID else 0 for p in parts]


# -- places -------------------------------------------------------------------------------


def lonlat(
    source: Mapping | None = None, names: tuple[str, str] = ("lon", "lat")
) -> tuple[float, float]:
    """A WGS 84 point: longitude from -180 to 180, latitude from -90 to 90, both required."""
    lon = to_number(names[0], given(names[0], source), -180, 180)
    lat = to_number(names[1], given(names[1], source), -90, 90)
    return lon, lat


def point(name: str, value: str) -> tuple[float, float]:
    """``lon,lat`` in one text (MapIt's paths)."""
    parts = value.split(",")
    expected = "lon,lat such as 125.10,46.59 (from -180 to 180, -90 to 90)"
    if len(parts) != 2:
        raise bad(name, value, expected)
    try:
        return to_number(name, parts[0], -180, 180), to_number(name, parts[1], -90, 90)
    except InvalidInput:
        raise bad(name, value, expected) from None


def bbox(
    required: bool = False, heights: bool = False, source: Mapping | None = None
) -> tuple[float, float, float, float] | None:
    """``bbox`` west,south,east,north; with ``heights`` also OGC API's six numbers
    west,south,min height,east,north,max height (the heights are not used: areas are flat)."""
    raw = text("bbox", source)
    expected = "four numbers west,south,east,north"
    if raw is None:
        if required:
            raise bad("bbox", None, expected)
        return None
    values = raw.split(",")
    if heights and len(values) == 6:
        values = [values[0], values[1], values[3], values[4]]
    if len(values) != 4 or not all(_NUMBER.fullmatch(v.strip()) for v in values):
        raise bad("bbox", raw, expected)
    x0, y0, x1, y1 = (float(v) for v in values)
    if not (-180 <= x0 <= x1 <= 180 and -90 <= y0 <= y1 <= 90):
        raise bad("bbox", raw, "west <= east and south <= north, within -180..180 and -90..90")
    return x0, y0, x1, y1


# -- days and moments ---------------------------------------------------------------------


def _years(name: str, raw: str, year: int, clamp: bool) -> int:
    """-1, 0 or 1: before, within or after the years served; refused unless ``clamp``."""
    if MIN_YEAR <= year <= MAX_YEAR:
        return 0
    if not clamp:
        raise bad(name, raw, f"a day from {MIN_YEAR} to {MAX_YEAR}")
    return -1 if year < MIN_YEAR else 1


def to_day(name: str, value: Any, *, clamp: bool = True) -> date:
    """A day YYYY-MM-DD; outside 1900–2200 the first or last day of that range (a
    filter's bound: "since year 1" means no bound) or, without ``clamp``, refused."""
    expected = "a date YYYY-MM-DD"
    if not isinstance(value, str) or not _DAY.fullmatch(value.strip()):
        raise bad(name, value, expected)
    try:
        day = date.fromisoformat(value.strip())
    except ValueError:
        raise bad(name, value, expected) from None
    side = _years(name, value, day.year, clamp)
    if side:
        return date(MIN_YEAR, 1, 1) if side < 0 else date(MAX_YEAR, 12, 31)
    return day


def day(
    name: str, source: Mapping | None = None, *, clamp: bool = True, required: bool = False
) -> date | None:
    def read(value):
        return to_day(name, value, clamp=clamp)

    return _read(name, source, read, "a date YYYY-MM-DD", required=required)


def to_moment(
    name: str, value: Any, *, naive: tzinfo | None = None, end: bool = False, clamp: bool = True
) -> datetime:
    """An RFC 3339 / W3C date-time, in UTC.  Without an offset it is in ``naive`` (or
    refused when None); a bare day is its first instant (its last with ``end``); a year
    outside 1900–2200 is clamped (or refused without ``clamp``)."""
    expected = "a date-time such as 2026-11-01T08:30:00+08:00" + (
        "" if naive else " (with its offset)"
    )
    text_ = value.strip() if isinstance(value, str) else None
    found = _MOMENT.fullmatch(text_) if text_ else None
    if found is None:
        raise bad(name, value, expected + " or a date")
    try:
        if len(text_) == 10:
            moment = datetime.combine(
                date.fromisoformat(text_), time.max if end else time.min, naive or timezone.utc
            )
        else:
            moment = datetime.fromisoformat(text_.upper().replace("Z", "+00:00"))
    except ValueError:
        raise bad(name, value, expected) from None
    if moment.tzinfo is None:
        if naive is None:
            raise bad(name, value, expected)
        moment = moment.replace(tzinfo=naive)
    side = _years(name, value, moment.year, clamp)
    if side:
        return FIRST_MOMENT if side < 0 else LAST_MOMENT
    return moment.astimezone(timezone.utc)


def moment(
    name: str, source: Mapping | None = None, *, naive: tzinfo | None = None, end: bool = False
) -> datetime | None:
    def read(value):
        return to_moment(name, value, naive=naive, end=end)

    return _read(name, source, read, "a date-time")


def interval(
    name: str = "datetime", source: Mapping | None = None
) -> tuple[datetime | None, datetime | None]:
    """An instant or an interval ``start/end`` (either end ``..`` or empty: open) of
    RFC 3339 date-times with their offsets, or dates (a day is every instant of it)."""
    raw = text(name, source)
    if raw is None:
        return None, None
    parts = raw.split("/")
    if len(parts) > 2 or all(p in ("", "..") for p in parts):
        raise bad(
            name,
            raw,
            "an RFC 3339 instant or interval such as "
            "2026-11-01T00:00:00Z/2026-11-30T23:59:59Z or 2026-11-01/..",
        )
    if len(parts) == 1:
        start, end = to_moment(name, raw), to_moment(name, raw, end=True)
    else:
        start, end = (
            None if p in ("", "..") else to_moment(name, p, end=k == 1) for k, p in enumerate(parts)
        )
    if start and end and start > end:
        raise bad(name, raw, "an interval that ends after it starts")
    return start, end


# -- texts and choices --------------------------------------------------------------------


def to_text(name: str, value: Any, *, max_length: int = MAX_TEXT, strip: bool = True) -> str:
    """A text: not a number, list or object; no lone surrogate, no control character
    but tab and line breaks; at most ``max_length`` characters."""
    if not isinstance(value, str):
        raise bad(name, value, "a text")
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        raise bad(name, value, "a text without lone surrogates") from None
    if _CONTROL.search(value):
        raise bad(name, value, "a text without control characters")
    if strip:
        value = value.strip()
    if len(value) > max_length:
        raise InvalidInput(
            f"parameter {name!r} has {len(value)} characters; expected at most {max_length}",
            field=name,
        )
    return value


def text(
    name: str,
    source: Mapping | None = None,
    *,
    default: str | None = None,
    required: bool = False,
    max_length: int = MAX_TEXT,
) -> str | None:
    def read(value):
        return to_text(name, value, max_length=max_length)

    return _read(name, source, read, "a text", default, required)


def choice(
    name: str,
    allowed,
    source: Mapping | None = None,
    *,
    default: str | None = None,
    required: bool = False,
    any_case: bool = False,
) -> str | None:
    """One of ``allowed`` (``any_case``: in capitals or not)."""
    expected = "one of " + ", ".join(map(str, allowed))

    def read(value):
        found = value.lower() if any_case and isinstance(value, str) else value
        if not isinstance(found, str) or found not in allowed:
            raise bad(name, value, expected)
        return found

    return _read(name, source, read, expected, default, required)


def choices(
    name: str, allowed, source: Mapping | None = None, *, any_case: bool = False
) -> list[str]:
    """Some of ``allowed``, separated by commas (``any_case``: in capitals or not)."""
    raw = text(name, source)
    if raw is None:
        return []
    values = [v.strip() for v in raw.split(",") if v.strip()]
    if any_case:
        values = [v.lower() for v in values]
    for v in values:
        if v not in allowed:
            raise bad(name, v, "one or more of " + ", ".join(allowed))
    return values


def every(name: str, source: Mapping | None = None, *, max_length: int = MAX_TEXT) -> list[str]:
    """Every value a repeated field carries (checkboxes of one name), empty ones left out."""
    found_in = _source(source)
    values = found_in.getlist(name) if hasattr(found_in, "getlist") else []
    found = [to_text(name, v, max_length=max_length) for v in values]
    return [v for v in found if v]


def words(name: str, source: Mapping | None = None) -> list[str]:
    """A list typed into one box, separated by commas, 、 or spaces (area codes)."""
    raw = text(name, source, default="")
    return [w for w in re.split(r"[\s,，、;；]+", raw) if w]


def datum(source: Mapping | None = None) -> str:
    return choice("datum", ("wgs84", "gcj02"), source, default="wgs84")


def flag(name: str, source: Mapping | None = None, *, default: bool = False) -> bool:
    """A yes/no parameter: 1, true, yes, on, or 0, false, no, off (a JSON true or false)."""
    value = given(name, source)
    if value is None:
        return default
    if isinstance(value, bool):
        return value
    lowered = value.lower() if isinstance(value, str) else None
    if lowered in ("1", "true", "yes", "on"):
        return True
    if lowered in ("0", "false", "no", "off"):
        return False
    raise bad(name, value, "1 or 0 (true or false)")


def contact(source: Mapping | None, lang: str, switch: str | None = None) -> dict | None:
    """A public reporter's addresses for updates on their report (``email``, ``phone``):
    None unless one is given and, with ``switch``, that box is ticked.  Their form is
    the notification service's to check."""
    if switch is not None and not flag(switch, source):
        return None
    email = text("email", source, default="", max_length=254)
    phone = text("phone", source, default="", max_length=32)
    return {"email": email, "phone": phone, "lang": lang} if email or phone else None


# -- bodies and files ---------------------------------------------------------------------


def _check_tree(data: Any, max_depth: int) -> None:
    """No deeper than ``max_depth``; no text (key or value) with a lone surrogate."""
    stack = [(data, 1, "body")]
    while stack:
        node, depth, where = stack.pop()
        if isinstance(node, dict | list):
            if depth > max_depth:
                raise InvalidInput(
                    f"the JSON body is nested too deeply (more than {max_depth} levels)",
                    field="body",
                )
            items = node.items() if isinstance(node, dict) else enumerate(node)
            for key, value in items:
                at = key if depth == 1 and isinstance(key, str) else where
                if isinstance(key, str):
                    to_text(at, key, max_length=MAX_TEXT * 100, strip=False)
                stack.append((value, depth + 1, at))
        elif isinstance(node, str):
            try:
                node.encode("utf-8")
            except UnicodeEncodeError:
                raise bad(where, node, "a text without lone surrogates") from None


def json_body(max_depth: int = MAX_DEPTH) -> dict:
    """The request's JSON object (Content-Type application/json), nested at most
    ``max_depth`` deep."""
    expected = "expected a JSON object in the request body (Content-Type: application/json)"
    if not request.is_json:
        raise InvalidInput(expected, field="body")
    try:
        data = json.loads(request.get_data(cache=True))
    except RecursionError:
        raise InvalidInput("the JSON body is nested too deeply", field="body") from None
    except ValueError as exc:  # not JSON, or not UTF-8
        raise InvalidInput(f"the body is not JSON ({exc}); {expected}", field="body") from None
    if not isinstance(data, dict):
        raise InvalidInput(expected, field="body")
    _check_tree(data, max_depth)
    return data


def json_or_form() -> tuple[Mapping, bool]:
    """The body's values: a JSON object, or the form's fields; and whether it was JSON."""
    if request.is_json:
        return json_body(), True
    return request.form, False


def files(name: str) -> list[tuple[str, bytes]]:
    """The files uploaded as ``name``: (file name, content) pairs."""
    return [(f.filename or "", f.read()) for f in request.files.getlist(name)]


def upload(name: str):
    """The one file uploaded as ``name`` (a werkzeug FileStorage), required."""
    found = request.files.get(name)
    if found is None or not found.filename:
        raise bad(name, None, "a file")
    return found


def token(name: str, source: Mapping | None = None) -> str:
    """A token this server made (ASCII letters and digits), required."""
    value = given(name, source)
    if not isinstance(value, str) or not _TOKEN.fullmatch(value):
        raise bad(name, value, "a token this server gave (letters and digits)")
    return value


def idempotency_key(source: Mapping | None = None) -> str | None:
    """The request's idempotency key: the ``Idempotency-Key`` header (as the IETF draft
    names it), else the ``idempotency_key`` field (the forms' hidden one); None when
    absent.  Its form is checked by the use case (``gridmap.services.idempotency``)."""
    header = request.headers.get("Idempotency-Key")
    if header is not None:
        return to_text("Idempotency-Key", header, max_length=100) or None
    return text("idempotency_key", source, max_length=100)


def photos(max_bytes: int, name: str = "photos", who: str | None = None) -> list:
    """The photos uploaded as ``name``, checked and re-encoded (``gridmap.photos``): the
    request's bounds first (400), then the caller's photos of the last hour (429), and
    only then decoded.

    The hourly count is kept in the store (``web.ratelimit.Counted``): every worker and
    host counts together, so the limit is the limit whatever the number of workers.  It
    counts photos that reach decoding (a request refused by its bounds counts nothing)."""
    window = current_app.extensions["gridmap_photo_window"]
    user = who or caller().name  # the public is counted per address (``who``)

    def count(n: int) -> None:
        if not window.take(user, n):
            raise Busy(f"photos: at most {window.limit} an hour for each user; try again later")

    return check_photos(
        files(name),
        max_bytes,
        current_app.config.get("PHOTO_REQUEST_BYTES", MAX_REQUEST_BYTES),
        before_decoding=count,
    )


# -- path ids -----------------------------------------------------------------------------


class IdConverter(IntegerConverter):
    """Flask's ``<int:...>``: ASCII digits; a number beyond any row's key is a 404 naming
    it rather than a query the database cannot run."""

    def to_python(self, value: str) -> int:
        key = super().to_python(value)
        if key > MAX_ID:
            raise NoRoute(f"no record {value}")
        return key


def init_app(app) -> None:
    app.url_map.converters["int"] = IdConverter
    # The hourly count of photos per user (PHOTOS_PER_HOUR in the app's config).
    app.extensions["gridmap_photo_window"] = Counted(
        "photos", app.config.get("PHOTOS_PER_HOUR", PER_HOUR), 3600
    )
