"""The public channel: the case loop as Open311 GeoReport v2 shows it, reports from the
public, their tracking numbers and ratings, and the statistics published for the public
to supervise (docs/public-channel.md).

The mapping: ``service_code`` is a sub-category (``E0102``), ``group`` its main class,
``service_notice`` its time limit; a request is ``open`` until the loop ends (结案, 评价 or
作废) and ``closed`` after, its ``status_notes`` the loop's own step and the department's
public reply (the note of its 反馈, or why it was rejected); ``agency_responsible`` is the
department.  Nothing here names the reporter, an officer or who took a step, and only the
public's own descriptions are shown: the public sees what the city did, not who did it.
"""

from __future__ import annotations

import secrets
from collections import Counter, defaultdict
from collections.abc import Mapping
from datetime import datetime
from typing import TYPE_CHECKING

from gridmap import access, workflow
from gridmap.accounts import token_digest
from gridmap.catalogue import CATEGORIES, MAJOR_CLASSES, OPEN_STATUSES, STATUSES, Category
from gridmap.errors import InvalidInput, NotFound, say
from gridmap.model import LOCAL_TZ, utc_text
from gridmap.services import cases, notify

if TYPE_CHECKING:
    from gridmap.stores.protocols import PublicChannel

PUBLIC_REPORTER = workflow.PUBLIC_REPORTER
CLOSED = frozenset(STATUSES) - OPEN_STATUSES
MAX_REQUESTS = 1000  # the spec's suggested ceiling per answer
STATUS_NAMES = ("open", "closed")
_ALPHABET = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"  # no 0/O, 1/I/L: read out over the phone


def _k(lang: str) -> int:
    return 0 if lang == "zh" else 1


# -- keys and tracking numbers -------------------------------------------------------------


def new_key() -> tuple[str, str]:
    """A client app's api_key and the digest the store keeps of it."""
    key = "o311_" + secrets.token_urlsafe(24)
    return key, token_digest(key)


def new_tracking_number() -> str:
    """16 characters (about 79 bits) in four groups: typed from a receipt, not guessed."""
    raw = "".join(secrets.choice(_ALPHABET) for _ in range(16))
    return "-".join(raw[i : i + 4] for i in range(0, 16, 4))


def tracking_digest(number: str) -> str:
    """The digest of a tracking number as people type it (case, spaces and dashes aside)."""
    cleaned = "".join(c for c in (number or "").upper() if c.isalnum())
    if len(cleaned) != 16 or any(c not in _ALPHABET for c in cleaned):
        raise InvalidInput(
            say(
                "tracking number {number!r}: expected 16 letters and digits such as "
                "ABCD-EFGH-JKMN-PQRS",
                number=number,
            ),
            field="token",
        )
    return token_digest("-".join(cleaned[i : i + 4] for i in range(0, 16, 4)))


# -- services -------------------------------------------------------------------------------


def services(lang: str, categories: Mapping[str, Category] = CATEGORIES) -> list[dict]:
    """Every sub-category of the catalogue (with the city's clocks and limits,
    ``Deadlines.categories``) as an Open311 service."""
    k = _k(lang)
    return [
        {
            "service_code": c.code,
            "service_name": (c.name_zh, c.name_en)[k],
            "description": f"{(c.name_zh, c.name_en)[k]} ({c.limit_text[k]})",
            "metadata": False,
            "type": "realtime",
            "keywords": f"{c.name_zh},{c.name_en}",
            "group": MAJOR_CLASSES[c.code[:3]][k],
        }
        for c in categories.values()
    ]


def service(code: str):
    """The sub-category of ``code``; an unknown one is the spec's 404 (a service that
    does not exist), whether asked for its definition, posted to or filtered on."""
    found = CATEGORIES.get(code)
    if found is None:
        raise NotFound(
            say("service_code {code!r} is no service; GET services.json lists them", code=code)
        )
    return found


def definition(code: str) -> dict:
    """A service's definition: no attributes beyond the spec's own fields (metadata is
    false for every service), answered so that clients that always ask find it."""
    return {"service_code": service(code).code, "attributes": []}


# -- reports from the public --------------------------------------------------------------


def submit(
    store: PublicChannel,
    index,
    cal,
    client: str,
    lon: float,
    lat: float,
    service_code: str,
    description: str = "",
    at: datetime | None = None,
    contact: dict | None = None,
    photos: list = (),
) -> tuple[int, str]:
    """A report from the public through ``client`` (an Open311 app or the public page):
    the case enters the loop as 采集 with the public as reporter.  Returns its id and its
    tracking number (shown once: the store keeps its digest).  ``contact``: the
    reporter's e-mail, phone and language, when they asked to be told of progress (kept
    in the store, never shown: only the notifications use it).  ``photos``: checked and
    re-encoded as staff's are (``gridmap.photos``)."""
    service(service_code)
    if contact:
        notify.check_addresses(contact.get("email", ""), contact.get("phone", ""))
    number = new_tracking_number()
    actor = workflow.Actor(workflow.PUBLIC, frozenset())
    with store.transaction():
        incident_id = cases.report(
            store,
            index,
            cal,
            actor,
            lon,
            lat,
            service_code,
            description,
            photos,
            reporter=PUBLIC_REPORTER,
            at=at,
        )
        store.add_public_report(incident_id, tracking_digest(number), client)
        if contact:
            store.add_public_contact(incident_id, **contact)
    return incident_id, number


def receipt(
    incident_id: int, code: str, lang: str, categories: Mapping[str, Category] = CATEGORIES
) -> dict:
    """What a post answers: the request's id (the case exists at once, so the spec's
    ``token``, which stands in for an id not made yet, is not sent) and the time limit in
    the city's catalogue.  No accounts are kept, so ``account_id`` is null."""
    return {
        "service_request_id": str(incident_id),
        "service_notice": categories.get(code, service(code)).limit_text[_k(lang)],
        "account_id": None,
    }


def rate(store: PublicChannel, cal, number: str, rating: str, note: str = "", at=None) -> dict:
    """The reporter's 评价 of its closed case, proven by its tracking number."""
    incident_id = store.public_report(tracking_digest(number))
    return cases.act(
        store,
        cal,
        workflow.reporter(incident_id),
        incident_id,
        "evaluate",
        note,
        rating=rating,
        at=at,
    )


def nearby(
    store: PublicChannel, lon: float, lat: float, category: str, metres: float, lang: str
) -> list[dict]:
    """Open cases of ``category`` within ``metres`` of (lon, lat), nearest first, as the
    public may see them ("已有人上报", to follow one instead of reporting again): the id,
    the category, the status in plain words, the distance and the day reported."""
    k = _k(lang)
    cat = workflow.category(category)
    return [
        {
            "id": c["id"],
            "category": (cat.name_zh, cat.name_en)[k],
            "status": PUBLIC_STATUSES[c["status"]][k],
            "metres": round(c["metres"]),
            "reported": c["reported_at"][:10],
        }
        for c in cases.nearby(store, lon, lat, category, metres)
    ]


def follow(
    store: PublicChannel,
    index,
    cal,
    client: str,
    parent_id: int,
    contact: dict | None = None,
    at: datetime | None = None,
) -> tuple[int, str]:
    """Follow open case ``parent_id`` ("已有人上报") instead of reporting it again: a
    report at its place and of its category, merged into it at once (so the city counts
    one more person concerned, and handles one case).  Returns the new report's id and
    its tracking number, whose page shows ``parent_id``'s progress and outcome."""
    parent = store.case(parent_id)
    if parent["status"] not in OPEN_STATUSES or store.case_parent(parent_id) is not None:
        raise InvalidInput(
            say(
                "incident {parent_id} is not open: report the problem instead", parent_id=parent_id
            ),
            field="follow",
        )
    with store.transaction():
        incident_id, number = submit(
            store,
            index,
            cal,
            client,
            float(parent["lon"]),
            float(parent["lat"]),
            parent["category"],
            "",
            at,
            contact,
        )
        cases.merge(store, cal, access.SYSTEM, parent_id, [incident_id], "followed", at)
    return incident_id, number


def reopen(
    store: PublicChannel, cal, number: str, note: str, days: int, at: datetime | None = None
) -> dict:
    """重办: the reporter, not satisfied, sends its closed case back to the dispatcher
    within ``days`` of its closing (a setting); the 重办 event is the rework an
    evaluation counts."""
    at = at or cases.now()
    incident_id = store.public_report(tracking_digest(number))
    case = store.case(incident_id)
    rating = store.last_events([incident_id])[incident_id].get("rating")
    if case["status"] in workflow.ACTIONS["reopen"].sources and not workflow.may_reopen(
        case, at, days, rating
    ):
        raise InvalidInput(
            say(
                "a case is reopened within {days} days of its closing, when its "
                "reporter was not satisfied; this one closed earlier, or was rated "
                "satisfied",
                days=days,
            ),
            field="reopen",
        )
    return cases.act(store, cal, workflow.reporter(incident_id), incident_id, "reopen", note, at=at)


# -- requests as Open311 shows them --------------------------------------------------------


# What the public reads of a case's status and steps: plain words, not the command
# centre's terms (采集, 立案, 派遣...).
PUBLIC_STATUSES: dict[str, tuple[str, str]] = {
    "reported": ("已收到", "Received"),
    "accepted": ("已受理", "Accepted"),
    "dispatched": ("已交给处理部门", "Passed to the department"),
    "handling": ("正在处理", "Being fixed"),
    "handled": ("已处理，待核实", "Fixed, being checked"),
    "verified": ("已核实", "Checked"),
    "closed": ("已办结", "Resolved"),
    "evaluated": ("已办结", "Resolved"),
    "rejected": ("不予受理", "Not taken up"),
    "returned": ("重新安排中", "Being reassigned"),
    "parked": ("暂缓处理", "On hold"),
    "escalated": ("已催办", "Hurried up"),
}
PUBLIC_STEPS: dict[str, tuple[str, str]] = {
    "report": ("收到上报", "Report received"),
    "accept": ("受理", "Accepted"),
    "reject": ("不予受理", "Not taken up"),
    "dispatch": ("交给处理部门", "Passed to the department"),
    "start": ("开始处理", "Work started"),
    "report_back": ("处理完毕", "Work done"),
    "return": ("重新安排", "Sent back to be reassigned"),
    "park": ("暂缓处理", "Put on hold"),
    "escalate": ("催办", "Hurried up"),
    "verify": ("现场核实", "Checked on the spot"),
    "close": ("办结", "Resolved"),
    "evaluate": ("评价", "Rated"),
    "reopen": ("申请重办", "Reopened by the reporter"),
    "merge": ("并入已有上报", "Joined an earlier report"),
}


def _w3c(text: str | None) -> str | None:
    """A stored instant (UTC text, or local ISO) as W3C date-time in local time."""
    moment = workflow.parse_utc(text) if text else None
    return moment and moment.astimezone(LOCAL_TZ).isoformat(timespec="seconds")


def status_notes(case: dict, last: dict, departments: dict, lang: str) -> str:
    k = _k(lang)
    notes = PUBLIC_STATUSES[case["status"]][k]
    if last.get("merged_into"):  # a duplicate: its outcome is the other case's
        notes = ("已并入编号 {}", "Joined number {}")[k].format(last["merged_into"])
    dept = departments.get(case.get("department"))
    if dept is not None and case["status"] not in ("reported", "rejected"):
        notes += f" · {dept.name(lang)}"
    if last.get("reply"):
        notes += f" · {last['reply']}"
    return notes


def request_view(
    case: dict,
    last: dict,
    departments: dict,
    lang: str,
    categories: Mapping[str, Category] = CATEGORIES,
) -> dict:
    """One case as an Open311 service request (public fields only)."""
    k = _k(lang)
    cat = categories.get(case["category"])
    dept = departments.get(case.get("department"))
    return {
        "service_request_id": str(case["id"]),
        "status": "closed" if case["status"] in CLOSED else "open",
        "status_notes": status_notes(case, last, departments, lang),
        "service_name": (cat.name_zh, cat.name_en)[k] if cat else case["category"],
        "service_code": case["category"],
        # The public's own words are public (the form says so); what staff wrote may name
        # people or places of someone, so it stays inside.
        "description": access.redact(access.ANONYMOUS, case)["description"] or None,
        "agency_responsible": dept.name(lang) if dept else None,
        "service_notice": cat.limit_text[k] if cat else None,
        "requested_datetime": _w3c(case["reported_at"]),
        "updated_datetime": _w3c(last.get("updated")) or _w3c(case["reported_at"]),
        "expected_datetime": _w3c(case.get("due_utc")),
        # Nothing is known of these (requests are placed by position, photos stay
        # inside): null, as the spec's JSON shows a field without a value.
        "address": None,
        "address_id": None,
        "zipcode": None,
        "lat": round(float(case["lat"]), 6),
        "long": round(float(case["lon"]), 6),
        "media_url": None,
    }


def find(
    store: PublicChannel,
    lang: str,
    ids: list[int] | None = None,
    codes: list[str] | None = None,
    status: str | list[str] | None = None,
    start: datetime | None = None,
    end: datetime | None = None,
    bbox=None,
    limit: int = MAX_REQUESTS,
) -> list[dict]:
    """Requests by ids (the other filters then ignored, as the spec allows) or by
    service codes, status (``open``, ``closed`` or a list of them: any of them),
    reported ``start``..``end`` and bbox."""
    if ids:
        rows = store.requests(ids=ids, limit=limit)
    else:
        wanted = {status} if isinstance(status, str) else set(status or ())
        if wanted - set(STATUS_NAMES):
            raise InvalidInput(
                say("status {wanted!r}: expected open, closed or both", wanted=sorted(wanted)),
                field="status",
            )
        statuses = None  # none asked for, or both: every status
        if len(wanted) == 1:
            statuses = OPEN_STATUSES if "open" in wanted else CLOSED
        for code in codes or ():
            service(code)
        rows = store.requests(
            categories=codes,
            statuses=statuses,
            since_utc=start and utc_text(start),
            until_utc=end and utc_text(end),
            bbox=bbox,
            limit=limit,
        )
    last = store.last_events([r["id"] for r in rows])
    departments = store.departments()
    categories = workflow.with_rules(store.clock_rules())
    return [request_view(r, last[r["id"]], departments, lang, categories) for r in rows]


def track(store: PublicChannel, number: str, lang: str, reopen_days: int = 7, at=None) -> dict:
    """What the reporter sees with its tracking number: the request, the public steps of
    its timeline in plain words (no one named), the department's repair photos once it
    is resolved, and whether it may rate or reopen it now.  A report merged into another
    (a duplicate, or one that followed a case) shows that case's progress and outcome
    (``merged_into``); rating and reopening stay with that case's own reporter."""
    at = at or cases.now()
    incident_id = store.public_report(tracking_digest(number))
    own = {**store.case(incident_id), "from_public": True}
    reporter = workflow.reporter(incident_id)  # the tracking number proves it
    access.require(reporter, access.CASE_READ, own)
    parent_id = store.case_parent(incident_id)
    # A duplicate's outcome is its parent's, which Open311 publishes to anyone anyway.
    case = store.case(parent_id) if parent_id is not None else own
    departments = store.departments()
    k = _k(lang)
    steps = []
    for e in store.case_events(case["id"]):
        steps.append(
            {
                "action": e["action"],
                "name": PUBLIC_STEPS.get(e["action"], PUBLIC_STEPS["report"])[k],
                "at": _w3c(e["at"])[:16].replace("T", " "),
                "reply": e["note"] if e["action"] in ("report_back", "reject") else "",
                "rating": (e["detail"] or {}).get("rating"),
            }
        )
    last = store.last_events([case["id"]])[case["id"]]
    mine = parent_id is None
    return {
        "id": incident_id,
        "case_id": case["id"],
        "merged_into": parent_id,
        "request": request_view(
            case, last, departments, lang, workflow.with_rules(store.clock_rules())
        ),
        "status": case["status"],
        "status_name": PUBLIC_STATUSES[case["status"]][k],
        "steps": steps,
        "photos": public_photos(store, incident_id, case),
        "may_rate": mine
        and any(
            a.name == "evaluate"
            for a in workflow.actions_for(
                reporter, case["status"], case["grid_code"], case["department"], True, incident_id
            )
        ),
        "may_reopen": mine and workflow.may_reopen(case, at, reopen_days, last.get("rating")),
        "reopen_days": reopen_days,
        "rating": last.get("rating"),
    }


def public_photos(store: PublicChannel, incident_id: int, case: dict) -> list[int]:
    """The photos a reporter sees on its tracking page: its own report's, and once the
    case (or the one it was merged into, ``case``) is resolved, the department's repair
    photos (those of its 反馈 report back).  The officers' check photos stay inside."""
    out = []
    for e in store.case_events(incident_id):
        if e["action"] == "report":
            out += e["photos"]
    if case["status"] in ("closed", "evaluated"):
        for e in store.case_events(case["id"]):
            if e["action"] == "report_back":
                out += e["photos"]
    return out


def public_photo(store: PublicChannel, number: str, photo_id: int, thumb: bool = False) -> dict:
    """One photo of a reporter's tracking page (:func:`public_photos`), proven by the
    tracking number; any other is not found."""
    incident_id = store.public_report(tracking_digest(number))
    parent_id = store.case_parent(incident_id)
    case = store.case(parent_id if parent_id is not None else incident_id)
    if photo_id not in public_photos(store, incident_id, case):
        raise NotFound(say("no photo {photo_id} on this report", photo_id=photo_id))
    return store.photo(photo_id, thumb)


# -- statistics for the public --------------------------------------------------------------


def statistics(store: PublicChannel, lang: str, min_ratings: int = 1) -> dict:
    """Per department and per community (the grids' parent areas): reports, the share
    handled on time, and the public's satisfaction (satisfied and fair over all ratings),
    shown only from ``min_ratings`` ratings (a setting: one unhappy rating is no
    department's 0%)."""
    raw = store.public_counts()
    layers = {x.name: x for x in store.layers()}
    grid = layers.get("grid")
    parents = store.area_names("grid") if grid else {}
    names = store.area_names(grid.parent) if grid and grid.parent else {}
    departments = store.departments()

    def blank():
        return {"reports": 0, "on_time": 0, "late": 0, "ratings": Counter()}

    by = {"department": defaultdict(blank), "community": defaultdict(blank)}

    def keys(dept, grid_code):
        community = parents.get(grid_code, (None, None))[1] if grid_code else None
        return (("department", dept or ""), ("community", community or ""))

    for dept, grid_code, ok, count in raw["cases"]:
        for kind, key in keys(dept, grid_code):
            row = by[kind][key]
            row["reports"] += count
            if ok is not None:
                row["on_time" if ok else "late"] += count
    for dept, grid_code, rating in raw["ratings"]:
        if rating not in workflow.RATINGS:
            continue  # evaluated without a rating (cases imported from an older system)
        for kind, key in keys(dept, grid_code):
            by[kind][key]["ratings"][rating] += 1

    def finish(kind, key, row):
        handled = row["on_time"] + row["late"]
        rated = sum(row["ratings"].values())
        if kind == "department":
            d = departments.get(key)
            name = d.name(lang) if d else ("未派遣", "Not routed")[_k(lang)]
        else:
            name = names.get(key, (key or ("未知", "Unknown")[_k(lang)], None))[0]
        return {
            "code": key,
            "name": name,
            "reports": row["reports"],
            "handled": handled,
            "on_time_rate": row["on_time"] / handled if handled else None,
            "rated": rated,
            "satisfaction": workflow.satisfaction(row["ratings"]) if rated >= min_ratings else None,
            "ratings": {r: row["ratings"][r] for r in workflow.RATINGS},
        }

    return {
        kind: sorted(
            (finish(kind, key, row) for key, row in rows.items()),
            key=lambda r: (-r["reports"], r["code"]),
        )
        for kind, rows in by.items()
    }
