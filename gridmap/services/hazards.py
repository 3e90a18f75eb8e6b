"""Inspecting a registered hazard (隐患巡查): what an inspection may find, when the next one
falls due, and recording it with its photos in one transaction.  The web form and any
other entry point call :func:`inspect`; the intervals per risk level come in as a value
(``Settings.inspect_days``, GRIDMAP_INSPECT_DAYS), never from the environment.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, timedelta
from typing import TYPE_CHECKING

from gridmap.errors import InvalidInput
from gridmap.photos import Photo
from gridmap.workflow import Actor

if TYPE_CHECKING:
    from gridmap.stores.protocols import CaseStore, HazardStore

# What an inspection finds, with its names (zh, en).
RESULTS: dict[str, tuple[str, str]] = {
    "rectified": ("已整改", "Rectified"),
    "pending": ("未整改", "Not yet rectified"),
    "worse": ("加重", "Worse"),
}
NOTE_CHARS = 2000


def next_due(
    risk_level: int, day: date, inspect_days: Sequence[int], result: str | None = None
) -> date:
    """The day the next inspection falls due after one on ``day``: the interval of the
    hazard's risk level (1 major ... 4 low).  A hazard found ``worse`` is looked at again
    within the interval of the next more serious level: a worsening low-risk hazard is not
    left alone for half a year.

    >>> next_due(4, date(2026, 1, 1), (7, 30, 90, 180))
    datetime.date(2026, 6, 30)
    >>> next_due(4, date(2026, 1, 1), (7, 30, 90, 180), "worse")
    datetime.date(2026, 4, 1)
    >>> next_due(1, date(2026, 1, 1), (7, 30, 90, 180), "worse")
    datetime.date(2026, 1, 8)
    """
    level = int(risk_level)
    if result == "worse":
        level = max(level - 1, 1)
    return day + timedelta(days=inspect_days[level - 1])


def sheet(store: HazardStore, hazard_id: int, today: date) -> dict:
    """What a hazard's page shows: the hazard, its inspections, whether one is overdue."""
    hazard = store.hazard(hazard_id)
    due = hazard["next_inspection"]
    return {
        "hazard": hazard,
        "inspections": store.inspections(hazard_id),
        "overdue": bool(due) and due < today.isoformat(),
    }


def check(day: date, result: str, note: str, today: date) -> str:
    """The inspection's fields, checked: a day not in the future, a known result, a note
    of at most 2,000 characters (returned stripped)."""
    if day > today:
        raise InvalidInput(f"day {day} is in the future", field="day")
    if result not in RESULTS:
        raise InvalidInput(f"result: expected one of {', '.join(RESULTS)}", field="result")
    note = (note or "").strip()
    if len(note) > NOTE_CHARS:
        raise InvalidInput(f"note: at most {NOTE_CHARS:,} characters", field="note")
    return note


def inspect(
    store: CaseStore,
    actor: Actor,
    hazard_id: int,
    day: date,
    result: str,
    note: str,
    inspect_days: Sequence[int],
    photos: Sequence[Photo] = (),
    today: date | None = None,
) -> int:
    """Record ``actor``'s inspection of hazard ``hazard_id`` on ``day`` with its photos,
    and the hazard's next one due, all or nothing; returns the inspection's id."""
    hazard = store.hazard(hazard_id)  # NotFound names it
    # Whether ``actor`` may inspect this hazard (an officer only in their own grids) is
    # the access policy's decision, asked here once it exists: gridmap/access.py.
    note = check(day, result, note, today or date.today())
    due = next_due(hazard["risk_level"], day, inspect_days, result)
    with store.transaction():
        inspection = store.add_inspection(hazard_id, day, actor.name, result, note, due)
        for p in photos:
            store.add_photo(p.data, p.thumb, p.content_type, hazard_id=hazard_id, event=inspection)
    return inspection
