"""Duplicates and the public's reopening on every store: open cases of a category near a
point (``nearby_open``), merging duplicates into one case (``add_case_links``,
``case_parent``, ``case_children``) with their reporters told of the outcome, following a
case instead of reporting it, reopening (重办) within the set days, and contact details
kept out of every public answer."""

from __future__ import annotations

import json
import math
from datetime import timedelta

import pytest
import shapely

from gridmap.errors import Conflict, Forbidden, InvalidInput
from gridmap.lookup import LookupIndex
from gridmap.services import cases, open311
from gridmap.settings import Settings
from gridmap.workflow import SYSTEM_ACTOR, Actor
from tests.conftest import TEST_CELLS
from tests.contract.conftest import city_in
from tests.web.conftest import LOOP

DISPATCHER = Actor("d", frozenset({"dispatcher"}))
DEPARTMENT = Actor("c", frozenset({"department"}), department="city")
CATEGORY = "E0103"  # 建筑垃圾: routed to city management in the sample city


@pytest.fixture(scope="module", params=["gpkg", "postgis"])
def town(request, sample_path, tmp_path_factory):
    with city_in(request.param, request, tmp_path_factory, "dups") as s:
        yield s


@pytest.fixture(scope="module")
def index(town):
    return LookupIndex.from_store(town, max_cells=TEST_CELLS)


@pytest.fixture(scope="module")
def cal(town):
    return cases.calendar(town, Settings())


def _spot(town, k: int) -> tuple[str, float, float]:
    grid = town.areas("grid").iloc[k]
    p = shapely.point_on_surface(grid.geometry)
    return grid["code"], p.x, p.y


def _east(x: float, y: float, metres: float) -> float:
    return x + metres / (111_320.0 * math.cos(math.radians(y)))


def _report(town, index, cal, x, y, email="", category=CATEGORY):
    contact = {"email": email, "phone": "", "lang": "zh"} if email else None
    return open311.submit(town, index, cal, "web", x, y, category, "一堆渣土", None, contact)


def _handle(town, cal, incident_id: int, grid: str) -> None:
    officer = Actor("o", frozenset({"officer"}), areas=(grid,))
    for action in LOOP:
        actor = {"accept": DISPATCHER, "dispatch": DISPATCHER, "verify": officer}.get(
            action, officer if action == "close" else DEPARTMENT
        )
        cases.act(town, cal, actor, incident_id, action, note="已清运")


def test_open_cases_nearby_nearest_first(town, index, cal):
    _, x, y = _spot(town, 110)
    near, _ = _report(town, index, cal, _east(x, y, 10), y)
    nearer, _ = _report(town, index, cal, _east(x, y, 3), y)
    far, _ = _report(town, index, cal, _east(x, y, 400), y)
    other, _ = _report(town, index, cal, x, y, category="E0102")
    found = town.nearby_open(x, y, CATEGORY, 50)
    ids = [c["id"] for c in found]
    assert nearer in ids and near in ids and ids.index(nearer) < ids.index(near)
    assert far not in ids and other not in ids
    by_id = {c["id"]: c for c in found}
    assert 1 < by_id[nearer]["metres"] < 5 and 8 < by_id[near]["metres"] < 12
    assert all(c["category"] == CATEGORY and c["status"] == "reported" for c in found)
    assert [c["id"] for c in town.nearby_open(x, y, CATEGORY, 50, limit=1)] == ids[:1]
    # A case merged into another is not offered: its parent is the one to follow.
    cases.merge(town, cal, DISPATCHER, nearer, [near])
    assert near not in [c["id"] for c in town.nearby_open(x, y, CATEGORY, 50)]


def test_links_of_merged_cases(town, index, cal):
    _, x, y = _spot(town, 120)
    a, _ = _report(town, index, cal, x, y)
    b, _ = _report(town, index, cal, x, y)
    c, _ = _report(town, index, cal, x, y)
    assert town.case_parent(a) is None and town.case_children([a]) == {}
    town.add_case_links(a, [b, c])
    assert town.case_parent(b) == a and town.case_parent(c) == a
    assert town.case_children([a, b]) == {a: [b, c]}
    with pytest.raises(Conflict):
        town.add_case_links(c, [b])  # one parent per child


def test_staff_merge_two_cases_and_both_reporters_see_the_outcome(town, index, cal):
    grid, x, y = _spot(town, 130)
    parent, parent_number = _report(town, index, cal, x, y, email="first@example.cn")
    child, child_number = _report(town, index, cal, _east(x, y, 5), y, email="second@example.cn")
    officer = Actor("o", frozenset({"officer"}), areas=(grid,))
    with pytest.raises(Forbidden):
        cases.merge(town, cal, officer, parent, [child])
    with pytest.raises(InvalidInput):
        cases.merge(town, cal, DISPATCHER, parent, [parent])
    assert cases.merge(town, cal, DISPATCHER, parent, [child], "同一堆渣土") == [child]
    merged = town.case(child)
    assert merged["status"] == "closed" and town.case_parent(child) == parent
    event = town.case_events(child)[-1]
    assert event["action"] == "merge" and event["detail"] == {"parent": parent}
    told = [m for m in town.messages(child) if m["kind"] == "merge"]
    assert [m["address"] for m in told] == ["second@example.cn"]
    assert str(parent) in told[0]["body"]
    with pytest.raises((Conflict, InvalidInput)):
        cases.merge(town, cal, DISPATCHER, parent, [child])  # merged already
    (listed,) = open311.find(town, "zh", ids=[child])  # Open311 says so too
    assert listed["status"] == "closed" and listed["status_notes"].startswith(
        f"已并入编号 {parent}"
    )
    seen = open311.track(town, child_number, "zh")
    assert seen["merged_into"] == parent and seen["status"] == "reported"
    assert not seen["may_rate"] and not seen["may_reopen"]

    _handle(town, cal, parent, grid)
    for number in (parent_number, child_number):
        seen = open311.track(town, number, "en")
        assert seen["status"] == "closed" and seen["status_name"] == "Resolved"
        assert "已清运" in [s["reply"] for s in seen["steps"]]
    closing = {
        (m["incident_id"], m["address"])
        for m in town.messages()
        if m["kind"] == "close" and m["recipient"] == "public"
    }
    assert {(parent, "first@example.cn"), (child, "second@example.cn")} <= closing
    assert open311.track(town, parent_number, "zh")["may_rate"]


def test_the_public_follows_a_case_instead_of_reporting_it(town, index, cal):
    _, x, y = _spot(town, 140)
    parent, _ = _report(town, index, cal, x, y)
    mine, number = open311.follow(
        town, index, cal, "web", parent, {"email": "f@example.cn", "phone": "", "lang": "en"}
    )
    assert town.case_parent(mine) == parent and town.case(mine)["status"] == "closed"
    seen = open311.track(town, number, "en")
    assert seen["merged_into"] == parent and seen["case_id"] == parent
    with pytest.raises(InvalidInput):
        open311.follow(town, index, cal, "web", mine, None)  # a duplicate is not followed


def test_an_unsatisfied_reporter_reopens_and_the_dispatcher_has_it_again(town, index, cal):
    grid, x, y = _spot(town, 150)
    incident_id, number = _report(town, index, cal, x, y)
    _handle(town, cal, incident_id, grid)
    open311.rate(town, cal, number, "unsatisfied")
    seen = open311.track(town, number, "zh", reopen_days=7)
    assert seen["may_reopen"]
    with pytest.raises(InvalidInput):
        open311.reopen(town, cal, number, "", 7)  # a reason is needed
    case = open311.reopen(town, cal, number, "渣土还在", 7)
    assert case["status"] == "returned" and case["clock_limit"] is None
    assert town.case_events(incident_id)[-1]["action"] == "reopen"
    assert incident_id in [c["id"] for c in town.cases(statuses=["returned"], limit=100_000)]
    # Back to the dispatcher: dispatched again with a full time limit.
    again = cases.act(town, cal, DISPATCHER, incident_id, "dispatch")
    assert again["status"] == "dispatched" and again["clock_used"] == 0.0
    assert again["due_utc"] is not None


def test_reopening_only_within_the_set_days(town, index, cal):
    grid, x, y = _spot(town, 160)
    incident_id, number = _report(town, index, cal, x, y)
    _handle(town, cal, incident_id, grid)
    assert open311.track(town, number, "zh", reopen_days=7)["may_reopen"]  # not rated yet
    late = cases.now() + timedelta(days=8)
    assert not open311.track(town, number, "zh", reopen_days=7, at=late)["may_reopen"]
    with pytest.raises(InvalidInput):
        open311.reopen(town, cal, number, "还没修", 7, at=late)
    assert town.case(incident_id)["status"] == "closed"


def test_a_satisfied_reporter_has_nothing_to_reopen(town, index, cal):
    grid, x, y = _spot(town, 165)
    incident_id, number = _report(town, index, cal, x, y)
    _handle(town, cal, incident_id, grid)
    open311.rate(town, cal, number, "satisfied")
    assert not open311.track(town, number, "zh", reopen_days=7)["may_reopen"]
    with pytest.raises(InvalidInput):
        open311.reopen(town, cal, number, "其实还行", 7)
    assert town.case(incident_id)["status"] == "evaluated"


def test_statistics_show_satisfaction_only_from_the_minimum(town):
    few = {r["code"]: r for r in open311.statistics(town, "zh", 10**6)["department"]}
    assert all(r["satisfaction"] is None for r in few.values())
    some = {r["code"]: r for r in open311.statistics(town, "zh", 1)["department"]}
    assert some["city"]["rated"] >= 1 and some["city"]["satisfaction"] is not None


def test_contact_details_never_in_public_answers(town, index, cal):
    _, x, y = _spot(town, 170)
    email, phone = "secret.person@example.cn", "13912345678"
    contact = {"email": email, "phone": phone, "lang": "zh"}
    incident_id, number = open311.submit(
        town, index, cal, "web", x, y, CATEGORY, "门口", None, contact
    )
    answers = [
        open311.track(town, number, "zh"),
        open311.find(town, "en", ids=[incident_id]),
        open311.find(town, "zh", bbox=(x - 1e-3, y - 1e-3, x + 1e-3, y + 1e-3)),
        open311.statistics(town, "zh"),
        town.nearby_open(x, y, CATEGORY, 50),
    ]
    text = json.dumps(answers, default=str, ensure_ascii=False)
    assert email not in text and phone not in text
    assert town.public_contact(incident_id)["email"] == email  # kept, for the updates only


def test_a_duplicate_of_a_resolved_case_is_told_its_outcome_at_once(town, index, cal):
    grid, x, y = _spot(town, 190)
    parent, _ = _report(town, index, cal, x, y)
    _handle(town, cal, parent, grid)
    child, number = _report(town, index, cal, x, y, email="late@example.cn")
    cases.merge(town, cal, DISPATCHER, parent, [child])
    assert {m["kind"] for m in town.messages(child)} == {"merge", "close"}
    assert open311.track(town, number, "zh")["status_name"] == "已办结"


def test_the_command_line_merges_through_the_same_service(town, index, cal):
    _, x, y = _spot(town, 180)
    a, _ = _report(town, index, cal, x, y)
    b, _ = _report(town, index, cal, x, y)
    assert cases.merge(town, cal, SYSTEM_ACTOR, a, [b]) == [b]
    assert town.case_parent(b) == a
