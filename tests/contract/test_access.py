"""The access policy as a table, on every store: each caller (anonymous, each role, a
public reporter with its tracking number) × each kind of object (case, hazard, photo,
grid page, queue, job, generation, export, plan, audit, users) × each action, against
records read from the store; then the same answers through the web app, and the fields
each caller reads (reporters and staff-written descriptions).

This table is the specification of ``gridmap.access``; ../shared/DESIGN.md "People and
permissions" and docs/roles.md say it in words.
"""

from __future__ import annotations

import csv
import io

import pytest

from gridmap import access
from gridmap.access import Caller
from tests.accounts import signed_in
from web import create_app

AREA = "230602"  # the officer's area: a district of the sample city
OFFICER_NAME = f"officer@{AREA}"  # as tests.accounts names the officer's account


def _callers(case_in: int) -> dict[str, Caller]:
    def c(name, role, **kw):
        return Caller(name, frozenset({role}), **kw)

    return {
        "anonymous": access.ANONYMOUS,
        "admin": c("admin", "admin"),
        "planner": c("planner", "planner"),
        "dispatcher": c("dispatcher", "dispatcher"),
        "department": c("department#city", "department", department="city"),
        "officer": c(OFFICER_NAME, "officer", areas=(AREA,)),
        "leader": c("leader", "leader"),
        "viewer": c("viewer", "viewer"),
        "reporter": access.reporter(case_in),  # holds case_in's tracking number
    }


ALL = {"anonymous", "admin", "planner", "dispatcher", "department", "officer", "leader"}
ALL |= {"viewer", "reporter"}
CITY_STAFF = {"admin", "dispatcher", "department"}

# (object, action) → who may.  Objects: see ``objects`` below.
TABLE = {
    # cases: officers their grids' and what they reported; a department its routed ones
    ("case_in", access.CASE_READ): CITY_STAFF | {"officer", "reporter"},
    ("case_out", access.CASE_READ): CITY_STAFF,
    ("case_out_reported_by_officer", access.CASE_READ): CITY_STAFF | {"officer"},
    ("case_other_department", access.CASE_READ): {"admin", "dispatcher"},
    ("case_in", access.CASE_ACT): CITY_STAFF | {"officer", "reporter"},
    ("case_out", access.CASE_ACT): CITY_STAFF,
    # following a case one reported is not working on it
    ("case_out_reported_by_officer", access.CASE_ACT): CITY_STAFF,
    ("case_other_department", access.CASE_ACT): {"admin", "dispatcher"},
    (None, access.CASE_REPORT): {"officer", "dispatcher", "department"},
    (None, access.CASE_FOR_CALLER): {"dispatcher"},
    # Merging duplicates: the command centre, on any case of the city.
    (None, access.CASE_MERGE): {"admin", "dispatcher"},
    ("case_out", access.CASE_MERGE): {"admin", "dispatcher"},
    (None, access.CASE_PREVIEW): CITY_STAFF | {"officer"},
    # hazards: officers their grids'; the city's staff all
    ("hazard_in", access.HAZARD_READ): CITY_STAFF | {"officer"},
    ("hazard_out", access.HAZARD_READ): CITY_STAFF,
    ("hazard_in", access.HAZARD_INSPECT): {"dispatcher", "department", "officer"},
    ("hazard_out", access.HAZARD_INSPECT): {"dispatcher", "department"},
    # photos: whoever sees what they belong to (staff only)
    ("photo_of_case_in", access.PHOTO_READ): CITY_STAFF | {"officer"},
    ("photo_of_case_out", access.PHOTO_READ): CITY_STAFF,
    ("photo_of_hazard_in", access.PHOTO_READ): CITY_STAFF | {"officer"},
    ("photo_of_hazard_out", access.PHOTO_READ): CITY_STAFF,
    # grid pages and work lists
    ("grid_in", access.GRID_READ): CITY_STAFF | {"officer"},
    ("grid_out", access.GRID_READ): CITY_STAFF,
    (None, access.CASES_MINE): {"officer"},
    # the case lists: each desk's own (who sees which rows is the scope's, tested apart)
    (None, access.CASES_LIST): CITY_STAFF | {"officer", "leader"},
    # (a leader reads every queue: rows without people, no case pages)
    ("queue_city", access.CASES_QUEUE): {"dispatcher", "department", "leader"},
    ("queue_police", access.CASES_QUEUE): {"dispatcher", "leader"},
    (None, access.BOARD_READ): {"admin", "dispatcher", "leader"},
    # people and exports
    (None, access.MAP_PEOPLE): CITY_STAFF | {"officer"},
    (None, access.DATA_EXPORT): {"admin", "planner", "dispatcher"},
    (None, access.DATA_IMPORT): {"admin"},
    (None, access.LAYER_WRITE): {"admin"},
    # plans (the planners' shared drafts), jobs (their owner's), generations
    (None, access.PLAN_READ): {"planner", "admin"},
    (None, access.PLAN_WRITE): {"planner"},
    (None, access.PLAN_PUBLISH): {"admin"},
    (None, access.JOB_RUN): {"planner"},
    ("job_of_planner", access.JOB_READ): {"planner", "admin"},
    ("job_of_planner", access.JOB_STOP): {"planner", "admin"},
    ("job_of_another", access.JOB_READ): {"admin"},
    ("job_of_another", access.JOB_STOP): {"admin"},
    ("active_generation", access.GENERATION_READ): ALL,
    ("staged_generation", access.GENERATION_READ): {"planner", "admin"},
    # the rest of the city's settings
    (None, access.AUDIT_READ): {"admin"},
    (None, access.USERS_MANAGE): {"admin"},
    (None, access.NOTIFY_SELF): {"dispatcher", "department", "officer", "admin", "planner"},
    (None, access.PLAN_SUBMIT): {"planner"},
    # the monthly evaluation: departments' and communities' rows to all who read it; an
    # officer's to those who manage or judge officers, and to the officer themselves
    ("evaluation_department", access.EVALUATION_READ): CITY_STAFF | {"officer", "leader"},
    ("evaluation_community", access.EVALUATION_READ): CITY_STAFF | {"officer", "leader"},
    ("evaluation_officer_in", access.EVALUATION_READ): {"admin", "dispatcher", "leader", "officer"},
    ("evaluation_officer_out", access.EVALUATION_READ): {"admin", "dispatcher", "leader"},
    (None, access.HOTSPOT_READ): CITY_STAFF | {"officer", "leader", "planner"},
    (None, access.ROUTING_READ): {"admin", "dispatcher"},
    (None, access.ROUTING_WRITE): {"admin"},
    (None, access.SIGNED_IN): ALL - {"anonymous", "reporter"},
}
# Who reads a staff-written description and the reporter of a case.
SEES_INTERNAL = CITY_STAFF | {"officer"}


def _case(store, inside: bool, department: str | None = None) -> dict:
    for case in store.cases(limit=10_000):
        if (case["grid_code"] or "").startswith(AREA) != inside:
            continue
        if department is None or case["department"] == department:
            return case
    raise AssertionError("the sample city has no such case")


def _hazard(store, inside: bool) -> dict:
    frame = store.hazards()
    inside_ = frame["grid_code"].fillna("").str.startswith(AREA)
    return store.hazard(int(frame[inside_ == inside]["id"].iloc[0]))


@pytest.fixture()
def objects(city) -> dict:
    case_in = _case(city, True, "city")
    case_out = _case(city, False, "city")
    hazard_in, hazard_out = _hazard(city, True), _hazard(city, False)
    grids = list(city.areas("grid")["code"])
    return {
        None: None,
        "case_in": case_in,
        "case_out": case_out,
        "case_out_reported_by_officer": {**case_out, "reporter": OFFICER_NAME},
        "case_other_department": _case(city, False, "police"),
        "hazard_in": hazard_in,
        "hazard_out": hazard_out,
        "photo_of_case_in": {"case": case_in},
        "photo_of_case_out": {"case": case_out},
        "photo_of_hazard_in": {"hazard": hazard_in},
        "photo_of_hazard_out": {"hazard": hazard_out},
        "grid_in": next(g for g in grids if g.startswith(AREA)),
        "grid_out": next(g for g in grids if not g.startswith(AREA)),
        "queue_city": "city",
        "queue_police": "police",
        "job_of_planner": {"key": "j1", "owner": "planner"},
        "job_of_another": {"key": "j2", "owner": "another planner"},
        "evaluation_department": {"by": "department", "grids": []},
        "evaluation_community": {"by": "community", "grids": ["x"]},
        "evaluation_officer_in": {
            "by": "officer",
            "grids": [next(g for g in grids if g.startswith(AREA))],
        },
        "evaluation_officer_out": {
            "by": "officer",
            "grids": [next(g for g in grids if not g.startswith(AREA))],
        },
        "active_generation": False,  # staged?
        "staged_generation": True,
    }


def test_the_table_covers_every_permission():
    assert {p for _, p in TABLE} == set(access.PERMISSIONS)


def test_each_caller_on_each_object_and_action(city, objects):
    callers = _callers(objects["case_in"]["id"])
    wrong = []
    for (name, permission), expected in TABLE.items():
        for who, caller in callers.items():
            allowed = access.may(caller, permission, objects[name])
            if allowed != (who in expected):
                wrong.append((who, permission, name, allowed))
            if not allowed:
                with pytest.raises(access.Forbidden):
                    access.require(caller, permission, objects[name])
    assert wrong == []


def test_each_caller_reads_the_fields_it_may(city, objects):
    callers = _callers(objects["case_in"]["id"])
    staff_written = {**objects["case_out"], "description": "caller Zhang, 139 0000 0000"}
    from_public = {**staff_written, "reporter": access.PUBLIC_REPORTER}
    for who, caller in callers.items():
        seen = access.redact(caller, staff_written)
        internal = who in SEES_INTERNAL
        assert (seen["description"] != "") == internal, who
        assert ("reporter" in seen) == internal, who
        assert access.redact(caller, from_public)["description"] == staff_written["description"]
        frame = access.redact_frame(caller, city.incidents().head(20))
        assert ("reporter" in frame.columns) == internal, who
        if not internal:  # the sample's reports come from the hotline, cameras, officers
            assert set(frame["description"]) == {""}, who


# -- the same answers through the web app, on each store ---------------------------------


@pytest.fixture()
def app(city):
    return create_app({"DATABASE_URL": city.url, "TESTING": True})


ROLE_ACCOUNTS = {
    "officer": {"areas": (AREA,)},
    "department": {"department": "city"},
}


def _client(app, city, who: str):
    client = app.test_client()
    if who != "anonymous":
        signed_in(client, city.url, who, **ROLE_ACCOUNTS.get(who, {}))
    return client


WEB = [
    ("/cases/{case_in}", "case_in", access.CASE_READ),
    ("/api/cases/{case_out}", "case_out", access.CASE_READ),
    ("/api/cases/{case_other_department}", "case_other_department", access.CASE_READ),
    ("/hazards/{hazard_in}", "hazard_in", access.HAZARD_READ),
    ("/hazards/{hazard_out}", "hazard_out", access.HAZARD_READ),
    ("/grid/{grid_in}", "grid_in", access.GRID_READ),
    ("/grid/{grid_out}", "grid_out", access.GRID_READ),
    ("/api/board", None, access.BOARD_READ),
]


@pytest.mark.parametrize("who", sorted(ALL - {"reporter"}))
def test_the_routes_answer_as_the_table_says(app, city, objects, who):
    client = _client(app, city, who)
    ids = {
        k: (v["id"] if isinstance(v, dict) and "id" in v else v)
        for k, v in objects.items()
        if k is not None
    }
    for template, name, permission in WEB:
        url = template.format(**ids)
        r = client.get(url)
        refused = r.status_code in (401, 403) or (
            r.status_code == 302 and r.headers["Location"].startswith("/login")
        )
        assert refused != (who in TABLE[(name, permission)]), (who, url, r.status_code)


def _shown(city, incident_id, internal: bool) -> str:
    """The description ``incident_id`` shows: staff-written text only to those who read
    internal text, the public's own words to anyone."""
    case = city.case(int(incident_id))
    return case["description"] if internal or access.public_text(case) else ""


@pytest.mark.parametrize("who", ["anonymous", "viewer", "planner", "leader", "dispatcher"])
def test_answers_carry_no_reporter_nor_staff_text_for_those_who_do_not_work_cases(
    app, city, objects, who
):
    client = _client(app, city, who)
    case = objects["case_out"]  # reported by the hotline, a camera or an officer
    internal = who in SEES_INTERNAL
    one = client.get(f"/api/incidents/{case['id']}").get_json()
    assert (one["description"] == case["description"] != "") == internal, who
    assert "reporter" not in one
    listed = client.get("/api/incidents?limit=50").get_json()["features"]
    assert listed
    for f in listed:
        props = f["properties"]
        assert props["description"] == _shown(city, props["id"], internal), (who, props)
    item = client.get(f"/ogc/collections/incidents/items/{case['id']}").get_json()
    assert (item["properties"]["description"] == case["description"]) == internal, who
    assert ("reporter" in item["properties"]) == internal, who
    items = client.get("/ogc/collections/incidents/items?limit=20").get_json()["features"]
    for f in items:
        assert ("reporter" in f["properties"]) == internal, who
        assert f["properties"]["description"] == _shown(city, f["id"], internal), who


@pytest.mark.parametrize("who", ["planner", "dispatcher"])
def test_exports_carry_what_the_caller_may_read(app, city, who):
    client = _client(app, city, who)
    r = client.get("/data/export/incidents.csv")
    assert r.status_code == 200, r.get_data(as_text=True)[:300]
    rows = list(csv.DictReader(io.StringIO(r.get_data().decode("utf-8-sig"))))
    internal = who in SEES_INTERNAL
    assert ("reporter" in rows[0]) == internal, who
    for row in rows[:200]:
        assert row["description"] == _shown(city, row["id"], internal), (who, row["id"])
