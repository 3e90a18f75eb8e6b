"""Due soon (即将超期, yellow) and overdue (已超期, red) on the officer's, the department's
and the dispatcher's pages and on the map's data, in words as well as colour.

Three fires in one grid, dispatched 70, 50 and 10 minutes ago: a fire's hour counts round
the clock, so whatever time of day the test runs the first is overdue, the second due
soon (48 of its 60 minutes used) and the third neither."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest

from gridmap.services import cases
from gridmap.settings import Settings
from gridmap.stores import open_store
from gridmap.workflow import Actor
from tests.accounts import signed_in
from tests.web.conftest import city_copy, spot_in
from web import create_app

DISPATCHER = Actor("d", frozenset({"dispatcher"}))
AGO = {"overdue": 70, "due_soon": 50, None: 10}  # minutes since dispatch -> deadline


@pytest.fixture(scope="module")
def db(sample_path, tmp_path_factory):
    return city_copy(sample_path, tmp_path_factory, "deadlines")


@pytest.fixture(scope="module")
def app(db):
    return create_app({"DATABASE_URL": db, "TESTING": True})


@pytest.fixture(scope="module")
def fires(db, app):
    """{incident id: expected deadline} and the grid they are in."""
    from gridmap.lookup import LookupIndex

    grid, lon, lat = spot_in(db)
    out = {}
    with open_store(db) as store:
        index = LookupIndex.near(store, lon, lat)
        cal = cases.calendar(store, Settings())
        for state, minutes in AGO.items():
            when = cases.now() - timedelta(minutes=minutes)
            case_id = cases.report(store, index, cal, DISPATCHER, lon, lat, "E0404", at=when)
            cases.act(store, cal, DISPATCHER, case_id, "accept", at=when)
            cases.act(store, cal, DISPATCHER, case_id, "dispatch", at=when)
            out[case_id] = state
    return out, grid


def _rows(html: str) -> dict[int, tuple[str, str]]:
    """Each list row: its data-deadline and its text."""
    found = re.findall(
        r'<tr class="[^"]*" data-id="(\d+)" data-deadline="([^"]*)"[^>]*>(.*?)</tr>', html, re.S
    )
    return {int(i): (d, text) for i, d, text in found}


def _check_list(html: str, fires: dict, overdue_word: str, soon_word: str) -> None:
    rows = _rows(html)
    for case_id, state in fires.items():
        deadline, text = rows[case_id]
        assert deadline == (state or "")
        assert (overdue_word in text) == (state == "overdue")
        assert (soon_word in text) == (state == "due_soon")
    assert 'class="gm-late-row"' in html and 'class="gm-soon-row"' in html


def test_the_officer_sees_due_soon_and_overdue_in_words(app, db, fires):
    ids, grid = fires
    officer = signed_in(app.test_client(), db, "officer", areas=(grid,))
    _check_list(
        officer.get("/cases/mine?lang=zh").get_data(as_text=True), ids, "已超期", "即将超期"
    )
    _check_list(
        officer.get("/cases/mine?lang=en").get_data(as_text=True), ids, "Overdue", "Due soon"
    )
    mine = {c["id"]: c for c in officer.get("/api/cases/mine").json["cases"]}
    assert {i: mine[i]["deadline"] for i in ids} == ids


def test_the_fire_department_queue_shows_them(app, db, fires):
    ids, _ = fires
    fire = signed_in(app.test_client(), db, "department", department="fire")
    html = fire.get("/cases/queue?lang=zh").get_data(as_text=True)
    _check_list(html, ids, "已超期", "即将超期")


def test_the_board_counts_both(app, db, fires):
    dispatcher = signed_in(app.test_client(), db, "dispatcher")
    html = dispatcher.get("/cases/board?lang=zh").get_data(as_text=True)
    soon = re.search(r'id="gm-due-soon-total"[^>]*><b>(\d+)</b>即将超期', html)
    late = re.search(r'id="gm-overdue-total"[^>]*><b>(\d+)</b>已超期', html)
    assert soon and late and int(soon[1]) >= 1 and int(late[1]) >= 1
    fire_row = re.search(
        r'<td class="gm-due-soon" data-department="fire"><a [^>]*>(\d+)</a></td>', html
    )
    assert fire_row and int(fire_row[1]) >= 1
    board = dispatcher.get("/api/board").json
    assert (
        board["due_soon_by_department"]["fire"] >= 1 and board["overdue_by_department"]["fire"] >= 1
    )
    assert board["due_soon"] == sum(board["due_soon_by_department"].values())


def test_the_case_page_says_it(app, db, fires):
    ids, _ = fires
    dispatcher = signed_in(app.test_client(), db, "dispatcher")
    for case_id, state in ids.items():
        html = dispatcher.get(f"/cases/{case_id}?lang=zh").get_data(as_text=True)
        assert ('id="gm-overdue"' in html) == (state == "overdue")
        assert ('id="gm-due-soon"' in html and "即将超期" in html) == (state == "due_soon")


def test_the_map_data_carries_each_incident_deadline(app, db, fires):
    ids, grid = fires
    for client in (app.test_client(), signed_in(app.test_client(), db, "dispatcher")):
        r = client.get(f"/api/incidents?grid={grid}&zoom=22&status=open")
        found = {f["properties"]["id"]: f["properties"] for f in r.json["features"]}
        assert {i: found[i]["deadline"] for i in ids} == ids
        assert all(found[i]["due_utc"] for i in ids)


@pytest.mark.browser
def test_the_map_rings_popup_and_legend_say_it(app, db, fires, browser):
    from tests.accounts import PASSWORD, user_of
    from tests.web.conftest import serving
    from tests.web.test_browser import Page

    ids, grid = fires
    with serving(app) as base:
        p = Page(browser, base)
        try:
            name = user_of(db, "dispatcher")
            p.page.goto(base + "/login")
            p.page.fill("#gm-name", name)
            p.page.fill("#gm-password", PASSWORD.format(name=name))
            with p.page.expect_navigation():
                p.page.click("#gm-login button[type=submit]")
            p.open(f"/grid/{grid}")
            legend = p.page.locator(".gm-legend").inner_text()
            assert "即将超期" in legend and "已超期" in legend
            from web.maps import DEADLINE_COLORS as colours

            for state, word in (("overdue", "已超期"), ("due_soon", "即将超期")):
                # The popup as it is written when opened (the three share a point, in a
                # cluster: opening one there would race the map's refresh).
                marker = (
                    "GridMap.incidents.getLayers().find(x => x.options.className"
                    f" === 'gm-incident gm-incident-{state}')"
                )
                assert p.js(f"{marker}.options.color") == colours[state]
                html = p.js(
                    f"(() => {{ const m = {marker}; return m.getPopup().getContent()(m); }})()"
                )
                assert (
                    f'gm-deadline {"gm-late" if state == "overdue" else "gm-soon"}">{word}</b>'
                    in html
                )
            p.shot("deadlines-map")
            assert p.errors == []
        finally:
            p.close()


def test_open311_tells_the_public_the_city_limit(app, db, fires):
    ids, _ = fires
    client = app.test_client()

    def notice(code: str) -> str:
        found = client.get("/open311/v2/services.json?lang=en").json
        return next(s["description"] for s in found if s["service_code"] == code)

    assert notice("E0404") == "Fire (1 hour, round the clock)"
    with open_store(db) as store:
        cases.set_clock(store, "E0404", "natural", "0.5", "h")
    try:
        assert notice("E0404") == "Fire (0.5 hours, round the clock)"
        case_id = next(iter(ids))
        with open_store(db) as store:
            from gridmap.services import open311

            (view,) = open311.find(store, "en", ids=[case_id])
        assert view["service_notice"] == "0.5 hours, round the clock"
    finally:
        with open_store(db) as store:
            cases.set_clock(store, "E0404", None)
    assert notice("E0404") == "Fire (1 hour, round the clock)"


def test_the_grid_view_lists_them_in_words(app, db, fires):
    ids, grid = fires
    officer = signed_in(app.test_client(), db, "officer", areas=(grid,))
    html = officer.get(f"/grid/{grid}?lang=zh").get_data(as_text=True)
    for case_id, state in ids.items():
        item = re.search(rf'<li data-id="{case_id}" data-deadline="([^"]*)">(.*?)</li>', html, re.S)
        assert item and item[1] == (state or "")
        assert ("已超期" in item[2]) == (state == "overdue")
        assert ("即将超期" in item[2]) == (state == "due_soon")
