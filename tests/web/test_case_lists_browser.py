"""The case lists in a real browser, a desk at a time (issue 27): the dispatcher finds
case 5002 by its number, filters "due soon" in one community and opens a case from the
board's count; the fire department's list shows its escalated and new cases first, above
the overdue ones it is already handling; an officer sees a case they reported outside
their grid.  Screenshots go to test-output/screenshots/.

The sample city has 5,000 cases; this module reports three more (5001-5003): the officer's
report outside their grid, a fire dispatched 50 minutes ago (its hour counts round the
clock: due soon whatever time the test runs), and one escalated (督办)."""

from __future__ import annotations

from datetime import timedelta

import pytest
import shapely

from gridmap.lookup import LookupIndex
from gridmap.services import cases
from gridmap.settings import Settings
from gridmap.stores import open_store
from gridmap.workflow import Actor
from tests.accounts import user_of
from tests.conftest import copy_city
from tests.web.conftest import serving
from tests.web.test_browser import _signed_in
from web import create_app

DISPATCHER = Actor("dispatcher", frozenset({"dispatcher"}))


@pytest.fixture(scope="module")
def lists_db(sample_path, tmp_path_factory):
    path = tmp_path_factory.mktemp("lists") / "city.gpkg"
    copy_city(sample_path, path)
    return path


@pytest.fixture(scope="module")
def desks(lists_db) -> dict:
    """The three new cases, the officer's grid and the fire's community."""
    url = f"gpkg://{lists_db}"
    with open_store(url) as store:
        grids = store.areas("grid")
        home, away = grids.iloc[100], grids.iloc[900]
        spot = shapely.point_on_surface(away.geometry)
        index = LookupIndex.near(store, spot.x, spot.y)
        cal = cases.calendar(store, Settings())
        officer = user_of(url, "officer", areas=(home["code"],))
        li = Actor(officer, frozenset({"officer"}), areas=(home["code"],))
        out = {"home": home["code"], "away": away["code"], "community": away["parent_code"]}
        out["reported"] = cases.report(store, index, cal, li, spot.x, spot.y, "E0102")
        when = cases.now() - timedelta(minutes=50)
        out["new"] = cases.report(store, index, cal, DISPATCHER, spot.x, spot.y, "E0404", at=when)
        out["escalated"] = cases.report(store, index, cal, DISPATCHER, spot.x, spot.y, "E0404")
        for case_id, at in ((out["new"], when), (out["escalated"], None)):
            cases.act(store, cal, DISPATCHER, case_id, "accept", at=at)
            cases.act(store, cal, DISPATCHER, case_id, "dispatch", department="fire", at=at)
        cases.act(store, cal, DISPATCHER, out["escalated"], "escalate", note="督办")
    assert (out["reported"], out["new"], out["escalated"]) == (5001, 5002, 5003)
    return out


@pytest.fixture(scope="module")
def server(lists_db, desks):
    with serving(create_app({"DATABASE_URL": f"gpkg://{lists_db}", "TESTING": True})) as base:
        yield base


def _rows(p) -> list[tuple[int, str, str]]:
    """(case number, status, deadline) of each row of the list, in order."""
    return [
        (int(r.get_attribute("data-id")), r.get_attribute("data-status"),
         r.get_attribute("data-deadline"))
        for r in p.page.locator("#gm-cases tbody tr").all()
    ]  # fmt: skip


def test_the_dispatcher_finds_filters_and_opens(browser, server, lists_db, desks):
    p = _signed_in(browser, server, lists_db, "dispatcher")
    try:
        p.page.goto(server + "/cases")
        p.page.fill("#gm-q", "5002")
        with p.page.expect_navigation():
            p.page.press("#gm-q", "Enter")
        assert [r[0] for r in _rows(p)] == [5002]
        p.shot("lists-number")
        with p.page.expect_navigation():
            p.page.click("#gm-cases a[href='/cases/5002']")
        assert p.page.inner_text("#gm-case-status") == "派遣"

        p.page.goto(server + "/cases")
        p.page.select_option("#gm-f-community", desks["community"])
        p.page.check("#gm-f-due-soon")
        with p.page.expect_navigation():
            p.page.click("#gm-f-apply")
        rows = _rows(p)
        assert desks["new"] in [r[0] for r in rows]
        assert {r[2] for r in rows} == {"due_soon"}
        assert int(p.page.get_attribute("#gm-case-count", "data-total")) == len(rows)
        assert p.page.is_checked("#gm-f-due-soon")  # the form shows what it filters by
        p.shot("lists-due-soon-community")

        p.page.goto(server + "/cases/board")
        count = int(p.page.inner_text("#gm-due-soon-total b"))
        with p.page.expect_navigation():
            p.page.click("#gm-due-soon-total")
        assert int(p.page.get_attribute("#gm-case-count", "data-total")) == count
        first = _rows(p)[0][0]
        with p.page.expect_navigation():
            p.page.click(f"#gm-cases a[href='/cases/{first}']")
        assert p.page.url.endswith(f"/cases/{first}")
        assert p.page.inner_text("#gm-case-status")
        assert p.errors == []
    finally:
        p.close()


def test_the_department_sees_escalated_and_new_cases_first(browser, server, lists_db, desks):
    p = _signed_in(browser, server, lists_db, "department", department="fire")
    try:
        p.page.goto(server + "/cases/queue")
        p.shot("lists-department")
        rows = _rows(p)
        statuses = [r[1] for r in rows]
        # Escalated first, then the new (dispatched) ones, then the rest.
        k, n = statuses.count("escalated"), statuses.count("dispatched")
        assert statuses[:k] == ["escalated"] * k and statuses[k : k + n] == ["dispatched"] * n
        ids = [r[0] for r in rows]
        assert ids.index(desks["escalated"]) < k <= ids.index(desks["new"]) < k + n
        # Below them, cases already being handled that are overdue: no longer on top.
        assert any(r[2] == "overdue" for r in rows[k + n :])
        assert p.errors == []
    finally:
        p.close()


def test_the_officer_sees_what_they_reported_outside_their_grid(browser, server, lists_db, desks):
    p = _signed_in(browser, server, lists_db, "officer", areas=(desks["home"],))
    try:
        p.page.goto(server + "/cases/mine")
        ids = [r[0] for r in _rows(p)]
        assert desks["reported"] in ids
        row = p.page.locator(f"#gm-cases tr[data-id='{desks['reported']}']")
        assert desks["away"] in row.inner_text()  # its grid, named: not the officer's
        p.shot("lists-officer")
        with p.page.expect_navigation():
            row.locator("a").first.click()
        assert p.page.url.endswith(f"/cases/{desks['reported']}")
        assert p.errors == []
    finally:
        p.close()
