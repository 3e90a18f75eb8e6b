"""Cases on every store: the worked deadline example on the board and its escalation,
the board's counts against a brute count, routing rules, re-homing on activation."""

from __future__ import annotations

import json
from collections import Counter
from datetime import datetime

import pytest
import shapely

from gridmap.catalogue import OPEN_STATUSES, STATUSES
from gridmap.errors import InvalidInput
from gridmap.lookup import LookupIndex
from gridmap.model import LOCAL_TZ, utc_text
from gridmap.routing import Rule
from gridmap.services import cases
from gridmap.stores.gpkg import GeoPackageStore
from gridmap.workflow import Actor, Deadlines
from tests.conftest import TEST_CELLS
from tests.contract.conftest import city_in

DISPATCHER = Actor("d", frozenset({"dispatcher"}))


@pytest.fixture(scope="module", params=["gpkg", "postgis"])
def town(request, sample_path, tmp_path_factory):
    """A copy of the sample city these tests add cases to."""
    with city_in(request.param, request, tmp_path_factory, "cases") as s:
        yield s


@pytest.fixture(scope="module")
def index(town):
    return LookupIndex.from_store(town, max_cells=TEST_CELLS)


def _point(town, n=200):
    grid = town.areas("grid").iloc[n]
    p = shapely.point_on_surface(grid.geometry)
    return grid["code"], p.x, p.y


def at(*args) -> datetime:
    return datetime(*args, tzinfo=LOCAL_TZ)


def test_the_copy_carries_every_case(town, sample_path):
    with GeoPackageStore(sample_path) as src:
        mine = {r["id"]: r["status"] for r in src.cases(statuses=list(STATUSES), limit=10**9)}
        steps = len(src.case_rows("case_events"))
    assert sorted(Counter(mine.values()).items()) == sorted(
        Counter(r["status"] for r in town.cases(statuses=list(STATUSES), limit=10**9)).items()
    )
    assert len(town.case_rows("case_events")) >= steps > len(mine)


def test_construction_waste_before_national_day_on_the_board(town, index):
    cal = Deadlines()
    _, lon, lat = _point(town)
    reported = at(2025, 9, 30, 14)
    case_id = cases.report(town, index, cal, DISPATCHER, lon, lat, "E0103", at=reported)
    cases.act(town, cal, DISPATCHER, case_id, "accept", at=at(2025, 9, 30, 14, 30))
    case = cases.act(town, cal, DISPATCHER, case_id, "dispatch", at=at(2025, 9, 30, 15))
    assert case["due_utc"] == "2025-10-10T07:00:00Z"  # Friday 10 October, 15:00 in Daqing
    before = cases.board(town, at(2025, 10, 10, 14, 59))
    after = cases.board(town, at(2025, 10, 10, 15, 1))
    assert before["overdue"] == 0  # (the sample's own cases come a month later)
    assert after["overdue"] == 1 and after["overdue_by_department"] == {"city": 1}
    grid_parent = town.area_names("grid")[case["grid_code"]][1]
    assert [c for c, _, n in after["overdue_by_community"]] == [grid_parent]
    # Escalated automatically, once.
    assert cases.escalate_overdue(town, cal, at(2025, 10, 10, 14, 59)) == []
    assert cases.escalate_overdue(town, cal, at(2025, 10, 10, 15, 1)) == [case_id]
    assert town.case(case_id)["status"] == "escalated"
    events = town.case_events(case_id)
    assert events[-1]["action"] == "escalate" and events[-1]["actor"] == "system"
    assert "overdue since 2025-10-10 15:00" in events[-1]["note"]
    cases.act(town, cal, Actor("c", frozenset({"department"}), department="city"), case_id, "start")
    assert cases.escalate_overdue(town, cal, at(2025, 10, 13, 9)) == []


def test_the_board_counts_match_a_brute_count(town):
    now = cases.now()
    board = cases.board(town, now)
    rows = town.cases(statuses=list(STATUSES), limit=10**9)
    assert board["by_status"] == dict(Counter(r["status"] for r in rows))
    overdue = [r for r in rows if r["due_utc"] and r["due_utc"] < utc_text(now)]
    assert board["overdue"] == len(overdue) > 0
    assert board["overdue_by_department"] == dict(Counter(r["department"] for r in overdue))
    parents = town.area_names("grid")
    expected = Counter(parents[r["grid_code"]][1] for r in overdue)
    assert {c: n for c, _, n in board["overdue_by_community"]} == dict(expected)
    handled = [r for r in rows if r["on_time"] is not None]
    assert board["on_time_rate"] == sum(bool(r["on_time"]) for r in handled) / len(handled)
    days = Counter(
        datetime.fromisoformat(r["reported_at"]).astimezone(LOCAL_TZ).date() for r in rows
    )
    assert [(d, n) for d, n, _ in board["per_day"]] == [
        (d, days.get(d, 0)) for d, *_ in board["per_day"]
    ]
    assert board["open"] == sum(1 for r in rows if r["status"] in OPEN_STATUSES)


def test_routing_rules_first_match_wins_and_are_checked(town, index):
    cal = Deadlines()
    grid, lon, lat = _point(town, 300)
    areas = index.lookup(lon, lat).codes_per_point()[0]
    street = areas["street"]
    first = town.add_rule(Rule(1, "E0102", "street", street, "workstation"))
    try:
        assert cases.preview(town, index, lon, lat, "E0102")["department"]["code"] == "workstation"
        assert cases.preview(town, index, lon, lat, "E0103")["department"]["code"] == "city"
        fire = cases.preview(town, index, lon, lat, "E0404")
        assert fire["department"]["code"] == "fire" and fire["zone"] == areas["fire"]
        assert fire["duty_officer"]["name"]
    finally:
        town.remove_rule(first)
    assert cases.preview(town, index, lon, lat, "E0102")["department"]["code"] == "city"
    for bad, field in [
        (Rule(1, "E77", None, None, "city"), "category"),
        (Rule(1, "E01", None, None, "nobody"), "department"),
        (Rule(1, "E01", "moon", None, "city"), "layer"),
        (Rule(1, "E01", None, "X1", "city"), "layer"),
        (Rule(1, "E01", "street", "999", "city"), "area_code"),  # input, not a missing page
    ]:
        with pytest.raises(InvalidInput) as e:
            town.add_rule(bad)
        assert e.value.field == field
    actions = [a["action"] for a in town.audit_log(action="route")]
    assert actions[:2] == ["route.remove", "route.add"]
    del cal


def test_parking_pauses_the_deadline_in_the_store(town, index):
    cal = Deadlines()
    _, lon, lat = _point(town, 400)
    case_id = cases.report(town, index, cal, DISPATCHER, lon, lat, "E0102", at=at(2025, 11, 3, 8))
    cases.act(town, cal, DISPATCHER, case_id, "accept", at=at(2025, 11, 3, 8, 30))
    cases.act(town, cal, DISPATCHER, case_id, "dispatch", at=at(2025, 11, 3, 9))
    parked = cases.act(
        town,
        cal,
        DISPATCHER,
        case_id,
        "park",
        note="needs a crane",
        review_on=at(2025, 11, 5).date(),
        at=at(2025, 11, 3, 10),
    )
    assert parked["due_utc"] is None and parked["clock_used"] == 3600
    assert str(parked["review_on"]) == "2025-11-05"
    resumed = cases.act(town, cal, DISPATCHER, case_id, "dispatch", at=at(2025, 11, 5, 9))
    assert resumed["due_utc"] == utc_text(at(2025, 11, 5, 12))
    areas = json.loads(resumed["areas"]) if isinstance(resumed["areas"], str) else resumed["areas"]
    assert resumed["zone_code"] is None and areas["grid"] == resumed["grid_code"]
