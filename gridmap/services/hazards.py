"""Inspecting a registered hazard (隐患巡查): what an inspection may find, when the next one
falls due, and recording it with its photos in one transaction.  The web form and any
other entry point call :func:`inspect`; the intervals per risk level come in as a value
(``Settings.inspect_days``, GRIDMAP_INSPECT_DAYS), never from the environment.

A hazard found worse (加重) is a more serious hazard from then on: its risk level goes up
one step, so this and every later interval is that level's; and the hazard page offers a
case of the category that handles its type (:data:`CASE_CATEGORY`).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, timedelta
from typing import TYPE_CHECKING

from gridmap import access
from gridmap.catalogue import OPEN_STATUSES
from gridmap.errors import InvalidInput
from gridmap.photos import Photo
from gridmap.services.idempotency import once
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

# The case category a hazard of each type becomes (the catalogue's sub-categories).
CASE_CATEGORY: dict[str, str] = {
    "gas": "C0602",  # major hazard source
    "old_building": "C0501",  # building
    "construction": "C0601",  # construction site
    "flood": "E0403",  # flooding
    "chemical": "C0602",  # major hazard source
    "crowd": "E0602",  # public-order hazard
    "electric": "C0603",  # power facility
}


def case_category(hazard_type: str) -> str | None:
    """The category of a case reported from a hazard of ``hazard_type`` (None: unknown
    type, the reporter chooses)."""
    return CASE_CATEGORY.get(hazard_type)


def risk_after(risk_level: int, result: str | None) -> int:
    """The risk level after an inspection: one step more serious when found ``worse``
    (1 major is the most serious), else unchanged.

    >>> risk_after(4, "worse"), risk_after(1, "worse"), risk_after(3, "pending")
    (3, 1, 3)
    """
    level = int(risk_level)
    return max(level - 1, 1) if result == "worse" else level


def next_due(
    risk_level: int, day: date, inspect_days: Sequence[int], result: str | None = None
) -> date:
    """The day the next inspection falls due after one on ``day`` with ``result``: the
    interval of the hazard's risk level after it (1 major ... 4 low): a worsening
    low-risk hazard is not left alone for half a year.

    >>> next_due(4, date(2026, 1, 1), (7, 30, 90, 180))
    datetime.date(2026, 6, 30)
    >>> next_due(4, date(2026, 1, 1), (7, 30, 90, 180), "worse")
    datetime.date(2026, 4, 1)
    >>> next_due(1, date(2026, 1, 1), (7, 30, 90, 180), "worse")
    datetime.date(2026, 1, 8)
    """
    return day + timedelta(days=inspect_days[risk_after(risk_level, result) - 1])


def sheet(store: HazardStore, hazard_id: int, today: date) -> dict:
    """What a hazard's page shows: the hazard, its inspections with their photos, whether
    one is overdue, the category of a case from it, and whether to offer that case (the
    last inspection found it worse and no case from it is open)."""
    hazard = store.hazard(hazard_id)
    due = hazard["next_inspection"]
    inspections = store.inspections(hazard_id)
    photos = store.hazard_photos(hazard_id)
    for i in inspections:
        i["photos"] = [p for p, inspection in photos if inspection == i["id"]]
    open_case = any(c["status"] in OPEN_STATUSES for c in hazard["cases"])
    return {
        "hazard": hazard,
        "inspections": inspections,
        "overdue": bool(due) and due < today.isoformat(),
        "case_category": case_category(hazard["type"]),
        "offer_case": bool(inspections) and inspections[0]["result"] == "worse" and not open_case,
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
    key: str | None = None,
) -> int:
    """Record ``actor``'s inspection of hazard ``hazard_id`` on ``day`` with its photos,
    and the hazard's next one due, all or nothing; returns the inspection's id.  With an
    idempotency ``key``, an inspection sent again gives the one the first made."""
    if key is not None:
        found = dict(day=day, result=result, note=note, photos=photos, today=today)
        return once(
            store,
            actor,
            "inspection",
            key,
            lambda: inspect(store, actor, hazard_id, inspect_days=inspect_days, **found),
        )
    hazard = store.hazard(hazard_id)  # NotFound names it
    access.require(actor, access.HAZARD_INSPECT, hazard)  # an officer: their own grids
    note = check(day, result, note, today or date.today())
    level = risk_after(hazard["risk_level"], result)
    due = next_due(hazard["risk_level"], day, inspect_days, result)
    with store.transaction():
        inspection = store.add_inspection(
            hazard_id, day, actor.name, result, note, due, risk_level=level
        )
        for p in photos:
            store.add_photo(p.data, p.thumb, p.content_type, hazard_id=hazard_id, event=inspection)
    return inspection
