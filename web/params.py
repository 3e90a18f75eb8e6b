"""Parsing query parameters; each failure names the parameter and what was expected."""

from __future__ import annotations

from datetime import date

from flask import request

from gridmap.errors import InvalidInput
from gridmap.validation import check_lonlat


def number(name: str) -> float:
    raw = request.args.get(name)
    if raw is None or raw == "":
        raise InvalidInput(f"parameter {name!r} is missing; expected a number", field=name)
    try:
        return float(raw)
    except ValueError:
        raise InvalidInput(
            f"parameter {name!r} is {raw!r}; expected a number", field=name
        ) from None


def lonlat() -> tuple[float, float]:
    lon, lat = number("lon"), number("lat")
    try:
        check_lonlat(lon, lat)
    except InvalidInput as exc:
        field = "lon" if exc.field == "lon" else "lat"
        message = str(exc).split(": ", 1)[-1]
        raise InvalidInput(f"parameter {field!r}: {message}", field=field) from None
    return lon, lat


def bbox(required: bool = False, heights: bool = False) -> tuple[float, float, float, float] | None:
    """``bbox`` west,south,east,north; with ``heights`` also OGC API's six numbers
    west,south,min height,east,north,max height (the heights are not used: areas are flat)."""
    raw = request.args.get("bbox")
    if not raw:
        if required:
            raise InvalidInput(
                "parameter 'bbox' is missing; expected west,south,east,north", field="bbox"
            )
        return None
    values = raw.split(",")
    if heights and len(values) == 6:
        values = [values[0], values[1], values[3], values[4]]
    try:
        x0, y0, x1, y1 = (float(v) for v in values)
    except ValueError:
        raise InvalidInput(
            f"parameter 'bbox' is {raw!r}; expected four numbers west,south,east,north",
            field="bbox",
        ) from None
    if not (-180 <= x0 <= x1 <= 180 and -90 <= y0 <= y1 <= 90):
        raise InvalidInput(
            f"parameter 'bbox' is {raw!r}; expected west <= east and south <= "
            "north, within -180..180 and -90..90",
            field="bbox",
        )
    return x0, y0, x1, y1


def integer(name: str, default: int, low: int, high: int) -> int:
    raw = request.args.get(name)
    if raw is None or raw == "":
        return default
    try:
        value = int(raw)
    except ValueError:
        raise InvalidInput(
            f"parameter {name!r} is {raw!r}; expected a whole number", field=name
        ) from None
    if not low <= value <= high:
        raise InvalidInput(f"parameter {name!r} is {value}; expected {low}..{high}", field=name)
    return value


def day(name: str) -> date | None:
    raw = request.args.get(name)
    if not raw:
        return None
    try:
        return date.fromisoformat(raw)
    except ValueError:
        raise InvalidInput(
            f"parameter {name!r} is {raw!r}; expected a date YYYY-MM-DD", field=name
        ) from None


def choices(name: str, allowed) -> list[str]:
    raw = request.args.get(name)
    if not raw:
        return []
    values = [v.strip() for v in raw.split(",") if v.strip()]
    for v in values:
        if v not in allowed:
            raise InvalidInput(
                f"parameter {name!r} has {v!r}; expected one of {', '.join(allowed)}", field=name
            )
    return values


def datum() -> str:
    value = request.args.get("datum", "wgs84")
    if value not in ("wgs84", "gcj02"):
        raise InvalidInput(
            f"parameter 'datum' is {value!r}; expected wgs84 or gcj02", field="datum"
        )
    return value


def flag(name: str) -> bool:
    """A yes/no parameter: 1, true, yes, on (or absent, 0, false, no, off)."""
    raw = (request.args.get(name) or "").strip().lower()
    if raw in ("", "0", "false", "no", "off"):
        return False
    if raw in ("1", "true", "yes", "on"):
        return True
    raise InvalidInput(f"parameter {name!r} is {raw!r}; expected 1 or 0", field=name)
