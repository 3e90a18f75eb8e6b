"""Two clocks and early warnings on every store: an emergency's natural hours and a
routine case's working time as stored (clock_kind, due_utc, warn_utc) through stops and
restarts, a city's clock and limit per category as data (audited), and the board's
due-soon and overdue counts.

The cases here are of 2024, long before the sample city's own (reported in the weeks
before the session), so the board's counts at those moments are theirs alone."""

from __future__ import annotations

from collections import Counter
from datetime import date, datetime

import pytest
import shapely
import sqlalchemy as sa

from gridmap.catalogue import NATURAL, STATUSES, WORK
from gridmap.errors import InvalidInput
from gridmap.lookup import LookupIndex
from gridmap.model import LOCAL_TZ, utc_text
from gridmap.services import cases
from gridmap.settings import Settings
from gridmap.workflow import Actor
from tests.conftest import TEST_CELLS
from tests.contract.conftest import city_in

DISPATCHER = Actor("d", frozenset({"dispatcher"}))
SETTINGS = Settings()


@pytest.fixture(scope="module", params=["gpkg", "postgis"])
def town(request, sample_path, tmp_path_factory):
    with city_in(request.param, request, tmp_path_factory, "clocks") as s:
        yield s


@pytest.fixture(scope="module")
def index(town):
    return LookupIndex.from_store(town, max_cells=TEST_CELLS)


def at(*args) -> datetime:
    return datetime(*args, tzinfo=LOCAL_TZ)


def _dispatched(town, index, category, when, n=200) -> int:
    grid = town.areas("grid").iloc[n]
    p = shapely.point_on_surface(grid.geometry)
    cal = cases.calendar(town, SETTINGS)
    case_id = cases.report(town, index, cal, DISPATCHER, p.x, p.y, category, at=when)
    cases.act(town, cal, DISPATCHER, case_id, "accept", at=when)
    cases.act(town, cal, DISPATCHER, case_id, "dispatch", at=when)
    return case_id


def test_a_fire_on_sunday_is_due_an_hour_later_and_warned_before(town, index):
    sunday = at(2024, 12, 1, 15, 31)
    assert sunday.weekday() == 6
    fire = town.case(_dispatched(town, index, "E0404", sunday))
    assert fire["clock_kind"] == NATURAL
    assert fire["due_utc"] == utc_text(at(2024, 12, 1, 16, 31))
    assert fire["warn_utc"] == utc_text(at(2024, 12, 1, 16, 19))  # 80% of the hour
    # (A fortnight later, out of the board's counts below.)
    cover = town.case(_dispatched(town, index, "C0101", at(2024, 12, 15, 10), n=210))
    assert cover["due_utc"] == utc_text(at(2024, 12, 15, 18))  # 8 hours, the same Sunday
    # Due soon at 16:19 (both columns are indexed: the board reads them from indexes).
    quiet = cases.board(town, at(2024, 12, 1, 16, 18))
    assert (quiet["due_soon"], quiet["overdue"]) == (0, 0)
    soon = cases.board(town, at(2024, 12, 1, 16, 20))
    assert (soon["due_soon"], soon["overdue"]) == (1, 0)
    assert soon["due_soon_by_department"] == {"fire": 1}
    late = cases.board(town, at(2024, 12, 1, 16, 32))
    assert (late["due_soon"], late["overdue"]) == (0, 1)
    assert late["overdue_by_department"] == {"fire": 1}
    assert cases.deadline(fire, at(2024, 12, 1, 16, 20)) == "due_soon"
    assert cases.deadline(fire, at(2024, 12, 1, 16, 32)) == "overdue"
    assert cases.deadline(fire, at(2024, 12, 1, 16)) is None


def test_the_stored_clock_keeps_its_kind_when_parked_and_returned(town, index):
    cal = cases.calendar(town, SETTINGS)
    fire_id = _dispatched(town, index, "E0402", at(2024, 12, 7, 22), n=220)  # Saturday night
    parked = cases.act(
        town,
        cal,
        DISPATCHER,
        fire_id,
        "park",
        note="water cut off first",
        review_on=date(2024, 12, 8),
        at=at(2024, 12, 7, 23),
    )
    assert (parked["due_utc"], parked["warn_utc"], parked["clock_used"]) == (None, None, 3600)
    resumed = cases.act(town, cal, DISPATCHER, fire_id, "dispatch", at=at(2024, 12, 8, 2))
    assert resumed["due_utc"] == utc_text(at(2024, 12, 8, 3))  # the hour left, at night
    assert resumed["warn_utc"] == utc_text(at(2024, 12, 8, 2, 36))  # 1.6 of 2 hours
    # A routine case returned by its department resumes in working time.
    garbage_id = _dispatched(town, index, "E0102", at(2024, 12, 6, 16), n=230)  # Friday
    department = Actor("c", frozenset({"department"}), department="city")
    cases.act(town, cal, department, garbage_id, "return", note="not ours", at=at(2024, 12, 6, 17))
    back = cases.act(town, cal, DISPATCHER, garbage_id, "dispatch", at=at(2024, 12, 7, 10))
    assert back["clock_kind"] == WORK and back["clock_used"] == 3600
    assert back["due_utc"] == utc_text(at(2024, 12, 9, 11, 30))  # Monday: 3 h from 08:30
    assert back["warn_utc"] == utc_text(at(2024, 12, 9, 10, 42))  # 3.2 h used by then
    handled = [
        cases.act(town, cal, department, garbage_id, step, note="done", at=at(2024, 12, 9, 11))
        for step in ("start", "report_back")
    ][-1]
    assert (handled["due_utc"], handled["warn_utc"], handled["on_time"]) == (None, None, True)


def test_a_city_changes_a_category_clock_as_data(town, index):
    before = len(town.audit_log(action="category.clock"))
    rule = cases.set_clock(town, "E0102", "natural", "2", "h")
    assert town.clock_rules() == [rule]
    assert cases.calendar(town, SETTINGS).category("E0102").clock == NATURAL
    case = town.case(_dispatched(town, index, "E0102", at(2024, 12, 1, 9), n=240))  # Sunday
    assert case["clock_kind"] == NATURAL
    assert case["due_utc"] == utc_text(at(2024, 12, 1, 11))
    cases.set_clock(town, "E0102", None)
    assert town.clock_rules() == []
    assert cases.calendar(town, SETTINGS).category("E0102").clock == WORK
    # The case dispatched meanwhile keeps the clock it started with.
    assert town.case(case["id"])["clock_kind"] == NATURAL
    log = town.audit_log(action="category.clock")
    assert len(log) == before + 2
    assert log[0]["target"] == "E0102" and log[0]["after"] is None
    assert log[1]["after"] == {"code": "E0102", "clock": "natural", "limit": 2.0, "unit": "h"}
    for args, field in [
        (("E9999", "work", 1, "h"), "category"),
        (("E0102", "sundial", 1, "h"), "clock"),
        (("E0102", "work", "-1", "h"), "limit"),
    ]:
        with pytest.raises(InvalidInput) as e:
            cases.set_clock(town, *args)
        assert e.value.field == field
    assert town.clock_rules() == [] and len(town.audit_log(action="category.clock")) == before + 2


def test_due_soon_on_the_board_matches_a_brute_count(town):
    now = cases.now()
    board = cases.board(town, now)
    rows = town.cases(statuses=list(STATUSES), limit=10**9)
    text = utc_text(now)
    soon = [r for r in rows if r["warn_utc"] and r["warn_utc"] <= text <= r["due_utc"]]
    assert board["due_soon"] == len(soon)
    assert board["due_soon_by_department"] == dict(Counter(r["department"] for r in soon))
    # The invariant: both set exactly while the clock runs.
    running = [r for r in rows if r["clock_since"]]
    assert running and all(r["due_utc"] and r["warn_utc"] for r in running)
    assert not any(r["due_utc"] or r["warn_utc"] for r in rows if not r["clock_since"])
    assert all(r["warn_utc"] <= r["due_utc"] for r in running)


def test_warn_utc_is_indexed(town):
    indexes = {
        i["name"]: i["column_names"] for i in sa.inspect(town._conn).get_indexes("incidents")
    }
    assert indexes["ix_incidents_warn"][0] == "warn_utc"
