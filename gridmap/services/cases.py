"""Working cases: report one, take a step, escalate what is overdue, re-home open cases
into a new generation, and read the work lists and the board.  What the web app and the
CLI call; the rules live in ``workflow`` (steps and clock), ``routing`` (departments)
and ``workcal`` (working time), the records in the store (``stores/cases.py``).
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Mapping
from datetime import date, datetime, time, timedelta, timezone
from typing import TYPE_CHECKING

import geopandas as gpd
import shapely

from gridmap import access, routing, workflow
from gridmap.catalogue import OPEN_STATUSES
from gridmap.errors import Conflict, InvalidInput, NotFound
from gridmap.model import CRS, LOCAL_TZ, utc_text
from gridmap.photos import Photo
from gridmap.services import notify
from gridmap.services.idempotency import once
from gridmap.settings import Settings
from gridmap.workcal import WorkCalendar, parse_hours
from gridmap.workflow import Actor, Clock, ClockRule, Deadlines

if TYPE_CHECKING:
    from gridmap.stores.protocols import CasesAndAreas, CaseStore, RoutingStore, Store

# Before dispatch the department may still change (the route is recomputed when the areas
# change); once dispatched only its zone follows the new areas.
_REROUTED = frozenset({"reported", "accepted", "returned", "parked"})
_BATCH = 200  # escalations per transaction
# The longest report description: Open311 GeoReport v2's own limit, so that what a client app
# may send is what every door (the API, the public page, the officers' form) takes.
DESCRIPTION_CHARS = 4000


def calendar(store: RoutingStore, settings: Settings) -> Deadlines:
    """What deadlines count by: the working calendar (the hours setting, China's
    holidays, the store's local days), the catalogue with the city's clocks and limits,
    and the share of a limit after which a case is due soon (a setting)."""
    cal = WorkCalendar(parse_hours(settings.work_hours), store.calendar_days())
    categories = workflow.with_rules(store.clock_rules())
    return Deadlines(cal, categories, settings.warn_share)


def set_clock(
    store: RoutingStore, code: str, clock: str | None, limit=None, unit: str = "h"
) -> ClockRule | None:
    """Category ``code``'s limit counts ``limit`` ``unit`` (h or d) of ``clock`` (work or
    natural) for cases dispatched from now on; ``clock`` None: the catalogue's again.
    Audited by the store."""
    workflow.category(code)  # InvalidInput names an unknown one
    rule = None if clock is None else ClockRule.checked(code, clock, limit, unit)
    store.set_clock_rule(code, rule)
    return rule


def now() -> datetime:
    return datetime.now(LOCAL_TZ)


def _codes(record: dict) -> dict[str, str]:
    return {name: e["code"] for name, e in {**record["areas"], **record["zones"]}.items()}


def _covered(index, lon: float, lat: float) -> dict:
    record = index.lookup(lon, lat).record(0)
    if not record["covered"]:
        raise InvalidInput(
            f"({lon:.6f}, {lat:.6f}) is outside every area of the city: no grid handles it",
            field="lon",
        )
    return record


def preview(
    store: CasesAndAreas, index, lon: float, lat: float, category: str | None = None
) -> dict:
    """What a report at (lon, lat) would get before it is saved: its areas and zones,
    the grid officer, and (for a category) the department, its zone and duty officer."""
    record = _covered(index, lon, lat)
    out = {"lookup": record, "department": None, "zone": None, "duty_officer": None}
    if category:
        workflow.category(category)
        found = routing.route(store.rules(), store.departments(), category, _codes(record))
        if found.department is not None:
            d = found.department
            out["department"] = {"code": d.code, "name_zh": d.name_zh, "name_en": d.name_en}
            out["zone"] = found.zone_code
            if d.layer and found.zone_code:
                duty = store.officers_for(d.layer, [found.zone_code]).get(found.zone_code)
                out["duty_officer"] = duty and {"name": duty.name, "phone": duty.phone}
        out["rule"] = found.rule and found.rule.id
    return out


def report(
    store: CaseStore,
    index,
    cal: Deadlines,
    actor: Actor,
    lon: float,
    lat: float,
    category: str,
    description: str = "",
    photos: list[Photo] = (),
    reporter: str | None = None,
    at: datetime | None = None,
    hazard_id: int | None = None,
    key: str | None = None,
) -> int:
    """A new case (采集) at (lon, lat), from hazard ``hazard_id`` if given (the case keeps
    the link); an officer's report in their own grid is accepted (立案) at once when its
    category allows.  Returns the incident's id.  With an idempotency ``key``, a report
    sent again (a phone that lost the answer) gives the case the first one made."""
    if key is not None:
        where = dict(lon=lon, lat=lat, category=category, description=description)
        more = dict(photos=photos, reporter=reporter, at=at, hazard_id=hazard_id)
        return once(
            store, actor, "case", key, lambda: report(store, index, cal, actor, **where, **more)
        )
    at = at or now()
    if hazard_id is not None:
        store.hazard(hazard_id)  # NotFound names it
    cat = workflow.category(category)
    description = (description or "").strip()
    if len(description) > DESCRIPTION_CHARS:
        raise InvalidInput(
            f"description: at most {DESCRIPTION_CHARS:,} characters", field="description"
        )
    record = _covered(index, lon, lat)
    codes = _codes(record)
    grid = codes.get(index.grid_layer) if index.grid_layer else None
    found = routing.route(store.rules(), store.departments(), category, codes)
    frame = gpd.GeoDataFrame(
        {
            "category": [cat.code],
            "status": ["reported"],
            "reported_at": [at.astimezone(LOCAL_TZ).isoformat(timespec="seconds")],
            "description": [description],
            "reporter": [reporter or actor.name],
            "generation": [index.generation],
            "grid_code": [grid],
            "areas": [json.dumps(codes, ensure_ascii=False)],
        },
        geometry=[shapely.Point(lon, lat)],
        crs=CRS,
    )
    with store.transaction():
        (incident_id,) = store.add_incidents(frame)
        store.set_case(
            incident_id,
            department=found.department and found.department.code,
            zone_code=found.zone_code,
            hazard_id=hazard_id,
        )
        event = store.add_event(incident_id, "report", None, "reported", description, {}, at)
        for p in photos:
            store.add_photo(p.data, p.thumb, p.content_type, incident_id=incident_id, event=event)
        store.record(
            "case.report",
            incident_id,
            after={
                "category": cat.code,
                "grid": grid,
                "department": found.department and found.department.code,
            },
        )
        case = store.case(incident_id)
        step = workflow.own_grid_accept(actor, case, at, cal)
        if step is not None:
            store.apply_step(incident_id, "reported", step, at)
    return incident_id


def act(
    store: Store,
    cal: Deadlines,
    actor: Actor,
    incident_id: int,
    action: str,
    note: str = "",
    photos: list[Photo] = (),
    department: str | None = None,
    review_on: date | None = None,
    rating: str | None = None,
    expected: str | None = None,
    at: datetime | None = None,
) -> dict:
    """Take one step on a case (checked by ``workflow``) and write the messages telling
    the people concerned of it (``notify``), in one transaction; returns the case after it.
    ``expected``: the status the caller saw (a step on a case moved meanwhile is refused)."""
    at = at or now()
    case = store.case(incident_id)
    if expected and expected != case["status"]:
        raise Conflict(f"incident {incident_id} is {case['status']} now, not {expected}: reload it")
    if department is not None and department not in store.departments():
        raise InvalidInput(f"unknown department {department!r}", field="department")
    step = workflow.step(actor, action, case, at, cal, note, department, review_on, rating)
    with store.transaction():
        if step.action.name == "dispatch" and step.detail["department"] != case["department"]:
            store.set_case(incident_id, zone_code=_zone(store, case, step.detail["department"]))
        event = store.apply_step(incident_id, case["status"], step, at)
        for p in photos:
            store.add_photo(p.data, p.thumb, p.content_type, incident_id=incident_id, event=event)
        after = store.case(incident_id)
        notify.step(store, step.action.name, after, actor.name, step.note)
    return after


def nearby(store: CaseStore, lon: float, lat: float, category: str, metres: float) -> list[dict]:
    """Open cases of ``category`` within ``metres`` of (lon, lat), nearest first: what a
    report there may repeat ("已有人上报")."""
    workflow.category(category)  # InvalidInput names an unknown one
    return store.nearby_open(lon, lat, category, metres)


def merge(
    store: Store,
    cal: Deadlines,
    actor: Actor,
    parent_id: int,
    child_ids,
    note: str = "",
    at: datetime | None = None,
) -> list[int]:
    """Merge duplicates into case ``parent_id`` (Signalen's child and parent signals):
    each child, open, is closed (合并) with a link to the parent, its reporter told which
    case it now follows; from then on the parent's steps are told to the children's
    public reporters too, and their tracking pages show the parent's outcome.  The tree
    stays one level deep: a parent is no child, a child has no children.  All or
    nothing; returns the children's ids."""
    at = at or now()
    children = sorted({int(i) for i in child_ids})
    if not children:
        raise InvalidInput("children: name at least one case to merge", field="children")
    if parent_id in children:
        raise InvalidInput(f"incident {parent_id} cannot be merged into itself", field="children")
    parent = store.case(parent_id)
    access.require(actor, access.CASE_MERGE, parent)
    if parent["status"] == "rejected":
        raise InvalidInput(f"incident {parent_id} was rejected: merge into a case handled")
    above = store.case_parent(parent_id)
    if above is not None:
        raise InvalidInput(
            f"incident {parent_id} is itself merged into {above}: merge into {above}",
            field="parent",
        )
    found = {c["id"]: c for c in store.cases_by_id(children)}
    missing = [i for i in children if i not in found]
    if missing:
        raise NotFound(f"no incident {missing[0]}")
    has = store.case_children(children)
    if has:
        first = next(iter(has))
        raise InvalidInput(
            f"incident {first} has duplicates of its own: merge into it instead",
            field="children",
        )
    steps = []
    for i in children:
        access.require(actor, access.CASE_MERGE, found[i])
        steps.append(
            (i, found[i]["status"], workflow.merge_step(found[i], parent_id, at, cal, note))
        )
    with store.transaction():
        moved = store.apply_steps(steps, at)
        if len(moved) != len(steps):
            late = sorted(set(children) - set(moved))[0]
            raise Conflict(f"incident {late} moved meanwhile: reload it")
        store.add_case_links(parent_id, moved)
        store.record("case.merge", parent_id, after={"children": moved, "note": note})
        notify.merged(store, parent, moved)
    return moved


def _zone(store: RoutingStore, case: dict, department: str) -> str | None:
    d = store.departments()[department]
    areas = case["areas"] if isinstance(case["areas"], dict) else json.loads(case["areas"] or "{}")
    return areas.get(d.layer) if d.layer else None


def escalate_overdue(store: Store, cal: Deadlines, at: datetime | None = None) -> list[int]:
    """督办 every case overdue at ``at`` that has not been escalated for it yet, each step
    with its messages.  Runs may overlap (two processes, or cron and the web app): a case
    another run escalated, or a person moved, since the list was read is skipped, so each
    is escalated once.

    Why in batches of ``_BATCH`` per transaction, written in bulk: a commit costs a disk
    flush (tens of milliseconds in a busy GeoPackage) and a statement a round trip and a
    plan; a refused compare-and-set writes nothing, so a skipped case needs no rollback
    of the others."""
    at = at or now()
    done: list[int] = []
    ids = store.overdue_ids(utc_text(at))
    audience = notify.Audience.of(store) if ids else None
    for start in range(0, len(ids), _BATCH):
        with store.transaction():
            steps, notes = [], {}
            for case in store.cases_by_id(ids[start : start + _BATCH]):
                if case["status"] not in workflow.ACTIONS["escalate"].sources:
                    continue  # moved meanwhile
                due = workflow.parse_utc(case["due_utc"])
                note = f"overdue since {due.astimezone(LOCAL_TZ):%Y-%m-%d %H:%M}"
                step = workflow.step(workflow.SYSTEM_ACTOR, "escalate", case, at, cal, note)
                steps.append((case["id"], case["status"], step))
                notes[case["id"]] = note
            moved = store.apply_steps(steps, at)  # compare-and-set: a moved case is left out
            notify.many(store, "escalate", store.cases_by_id(moved), None, notes, audience)
            done += moved
    return done


def route_unrouted(store: CaseStore) -> int:
    """Route the open cases that have no department (cases of a store made before
    routing rules existed); returns how many got one."""
    rules, departments = store.rules(), store.departments()
    rows = []
    for case in store.cases(limit=1 << 62):
        if case["department"]:
            continue
        areas = case["areas"] if isinstance(case["areas"], dict) else json.loads(case["areas"])
        found = routing.route(rules, departments, case["category"], areas)
        if found.department is not None:
            rows.append(
                {
                    "_id": case["id"],
                    "department": found.department.code,
                    "zone_code": found.zone_code,
                }
            )
    with store.transaction():
        store.set_cases(rows)
        store.record("case.route", "", after={"routed": len(rows)})
    return len(rows)


def route_imported(store: CaseStore, ids: list[int], resolved: gpd.GeoDataFrame) -> int:
    """Route incidents just imported (``resolved`` into their areas, ``ids`` as stored):
    a case not yet dispatched gets the department and zone a new report there gets, by
    the same rules (:func:`rehomed`, in bulk); returns how many got a department."""
    frame = resolved.assign(id=ids)
    if "status" not in frame:
        frame["status"] = "reported"  # what the store writes for a row without one
    homes = rehomed(store, frame) if len(ids) else None
    if homes is None:
        return 0
    rows = [
        {"_id": int(i), "department": d, "zone_code": z}
        for i, (d, z) in zip(ids, homes, strict=True)
        if d is not None
    ]
    store.set_cases(rows)
    return len(rows)


def rehomed(store: CaseStore, resolved: gpd.GeoDataFrame) -> list[tuple] | None:
    """(department, zone) of each open case just resolved into a new generation's areas
    (None: no departments, nothing changes): routes of the ones not yet dispatched are
    recomputed, the others keep their department and take its zone in the new areas
    (``generations.move_events`` writes them with the areas, in the activation's
    transaction).  Deadlines are time already counted: they stay.

    Why in bulk: an activation may move hundreds of thousands of cases.  Their departments
    are read in one query, and a route is computed once per (category, areas) pair:
    cases in the same grid and zones share their answer.
    """
    rules, departments = store.rules(), store.departments()
    if not departments or not len(resolved):
        return None
    ids = [int(i) for i in resolved["id"]]
    kept = store.case_departments(ids)
    answers: dict[tuple, tuple] = {}

    def answer(status: str, category: str, dept: str | None, areas) -> tuple:
        key = (status in _REROUTED, category if status in _REROUTED else dept, _text(areas))
        if key not in answers:
            codes = areas if isinstance(areas, dict) else json.loads(areas)
            if key[0]:
                found = routing.route(rules, departments, category, codes)
                answers[key] = (found.department and found.department.code, found.zone_code)
            else:
                d = departments.get(dept)
                answers[key] = (dept, codes.get(d.layer) if d is not None and d.layer else None)
        return answers[key]

    return [
        answer(status, category, kept.get(i), areas)
        for i, status, category, areas in zip(
            ids, resolved["status"], resolved["category"], resolved["areas"], strict=True
        )
    ]


def _text(areas) -> str:
    return areas if isinstance(areas, str) else json.dumps(areas, sort_keys=True)


# -- reading -----------------------------------------------------------------------------


def remaining(case: dict, cal: Deadlines, at: datetime | None = None) -> float | None:
    """Seconds left on a case's clock, of its kind of time (negative: overdue; None:
    not dispatched yet, or its clock has stopped)."""
    if case["status"] not in OPEN_STATUSES:
        return None
    return Clock.of(case).remaining(at or now(), cal.cal)


def deadline(case: Mapping, at: datetime | None = None) -> str | None:
    """Where a running clock stands: "overdue" once its limit is used, "due_soon" (预警)
    once its warning share is (the store's board counts the same: warn_utc <= now <=
    due_utc), else None (also when the clock is stopped)."""
    at = at or now()
    due = _instant(case.get("due_utc"))
    if due is not None and due < at:
        return "overdue"
    warn = _instant(case.get("warn_utc"))
    return "due_soon" if warn is not None and warn <= at else None


def _instant(value) -> datetime | None:
    return workflow.parse_utc(value) if isinstance(value, str) else None  # NaN from pandas


def overdue(case: Mapping, at: datetime | None = None) -> bool:
    return deadline(case, at) == "overdue"


def due_soon(case: Mapping, at: datetime | None = None) -> bool:
    return deadline(case, at) == "due_soon"


def board(store: CasesAndAreas, at: datetime | None = None, days: int = 30) -> dict:
    """The dispatcher's board: counts per status, overdue per department and community,
    due soon per department,
    the on-time rate, reports and closures per day for the last ``days`` days."""
    at = at or now()
    first = at.astimezone(LOCAL_TZ).date() - timedelta(days=days - 1)
    since = datetime.combine(first, time(), LOCAL_TZ)
    raw = store.board(utc_text(at), utc_text(since))
    layers = {x.name: x for x in store.layers()}
    grid_layer = layers.get("grid")
    parent_layer = grid_layer.parent if grid_layer else None
    parents = store.area_names("grid") if grid_layer else {}
    names = store.area_names(parent_layer) if parent_layer else {}
    by_department = Counter(raw["overdue_by_department"])
    soon = Counter(raw["due_soon_by_department"])
    by_community: Counter = Counter()
    for grid, count in raw["overdue_by_grid"].items():
        by_community[parents.get(grid, (None, None))[1] or ""] += count
    per_day = {first + timedelta(days=k): [0, 0] for k in range(days)}
    for i, key in enumerate(("reports", "closures")):
        for hour, count in raw[key].items():
            moment = datetime.fromisoformat(hour + ":00:00").replace(tzinfo=timezone.utc)
            day = moment.astimezone(LOCAL_TZ).date()
            if day in per_day:
                per_day[day][i] += count
    handled = sum(raw["on_time"].values())
    return {
        "by_status": raw["by_status"],
        "open": sum(v for k, v in raw["by_status"].items() if k in OPEN_STATUSES),
        "overdue": sum(by_department.values()),
        "overdue_by_department": dict(by_department.most_common()),
        "due_soon": sum(soon.values()),
        "due_soon_by_department": dict(soon.most_common()),
        "overdue_by_community": [
            (code, names.get(code, (code, None))[0], n) for code, n in by_community.most_common()
        ],
        "community_layer": parent_layer,
        "on_time_rate": raw["on_time"].get(True, 0) / handled if handled else None,
        "handled": handled,
        "per_day": [(d, r, c) for d, (r, c) in sorted(per_day.items())],
    }
