"""Duplicates and reopening in a real browser: a member of the public reporting near an
open case of the same category is offered that case and follows it; the dispatcher, on a
case page with its map, grid, areas and officer, merges a duplicate into it, and both
reporters see the outcome; the reporter, not satisfied, reopens the case and it is the
dispatcher's again.  Screenshots go to test-output/screenshots/."""

from __future__ import annotations

import time

import pytest

from gridmap.lookup import LookupIndex
from gridmap.services import cases, open311
from gridmap.settings import Settings
from gridmap.stores import open_store
from tests.conftest import TEST_CELLS
from tests.web.conftest import city_copy, serving, spot_in, take_steps
from tests.web.test_browser import Page, _signed_in
from web import create_app

CATEGORY = "E0103"


@pytest.fixture(scope="module")
def dup_db(sample_path, tmp_path_factory):
    return city_copy(sample_path, tmp_path_factory, "duplicates-browser")


@pytest.fixture(scope="module")
def dup_server(dup_db):
    with serving(create_app({"DATABASE_URL": dup_db, "TESTING": True})) as base:
        yield base


def _submit(url: str, x: float, y: float, email: str) -> tuple[int, str]:
    with open_store(url) as store:
        index = LookupIndex.from_store(store, max_cells=TEST_CELLS)
        cal = cases.calendar(store, Settings())
        contact = {"email": email, "phone": "", "lang": "zh"}
        return open311.submit(store, index, cal, "web", x, y, CATEGORY, "路口渣土", None, contact)


def _ready(p: Page) -> None:
    deadline = time.monotonic() + 30
    while not p.js("() => !!(window.gridmapPublic && window.gridmapPublic.ready)"):
        assert time.monotonic() < deadline, "the public map did not load"
        p.page.wait_for_timeout(50)


def test_a_report_near_an_open_one_is_offered_it_and_follows_it(browser, dup_server, dup_db):
    code, x, y = spot_in(dup_db)
    parent, _ = _submit(dup_db, x, y, "first@example.cn")
    p = Page(browser, dup_server)
    try:
        p.page.goto(dup_server + "/public/")
        _ready(p)
        p.js(f"() => gridmapPublic.map.setView([{y}, {x}], 18, {{animate: false}})")
        p.page.wait_for_timeout(300)
        box = p.page.locator("#gm-public-map").bounding_box()
        p.page.mouse.click(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
        p.page.select_option("#gm-category-pick", CATEGORY)
        offered = p.page.locator(f"#gm-nearby li[data-case='{parent}']")
        offered.wait_for(timeout=15000)
        assert "已有人上报" in p.page.inner_text("#gm-nearby")
        p.shot("public-already-reported")
        p.page.check("input[name=notify]")
        p.page.fill("input[name=email]", "second@example.cn")
        with p.page.expect_navigation():
            offered.locator("button").click()
        assert str(parent) in p.page.inner_text("#gm-followed")
        with p.page.expect_navigation():
            p.page.click("#gm-follow")
        assert str(parent) in p.page.inner_text("#gm-merged")
        assert p.page.inner_text("#gm-case-status") == "已收到"
        body = p.page.inner_text("main")
        assert "second@example.cn" not in body and "first@example.cn" not in body
        p.shot("public-following")
        assert p.errors == []
    finally:
        p.close()
    with open_store(dup_db) as store:
        child = max(store.case_children([parent])[parent])
        assert store.case(child)["status"] == "closed"


def test_staff_merge_both_see_the_outcome_and_the_reporter_reopens(browser, dup_server, dup_db):
    with open_store(dup_db) as store:
        grid = store.areas("grid").iloc[140]
    import shapely

    point = shapely.point_on_surface(grid.geometry)
    code, x, y = grid["code"], point.x, point.y
    parent, parent_number = _submit(dup_db, x, y, "p@example.cn")
    child, child_number = _submit(dup_db, x + 0.00005, y, "c@example.cn")

    dispatcher = _signed_in(browser, dup_server, dup_db.removeprefix("gpkg://"), "dispatcher")
    try:
        dispatcher.page.goto(f"{dup_server}/cases/{parent}")
        # The case page people can act on: its map, areas by name and code, the officer.
        dispatcher.page.wait_for_selector("#gm-case-map .leaflet-interactive")
        assert code in dispatcher.page.inner_text("#gm-case-areas")
        tel = dispatcher.page.locator("#gm-case-officer a[href^='tel:']")
        assert tel.count() == 1
        dispatcher.shot("case-page-map")
        dispatcher.page.check(f"#gm-merge input[name=children][value='{child}']")
        with dispatcher.page.expect_navigation():
            dispatcher.page.click("#gm-merge-submit")
        assert str(child) in dispatcher.page.inner_text("#gm-children")
        dispatcher.page.goto(f"{dup_server}/cases/{child}")
        assert dispatcher.page.inner_text("#gm-case-status") == "结案"
        assert dispatcher.page.inner_text("#gm-parent") == f"#{parent}"
    finally:
        dispatcher.close()

    take_steps(dup_db, parent, code, notes={"report_back": "渣土已清运"})
    p = Page(browser, dup_server)
    try:
        for number in (parent_number, child_number):
            p.page.goto(f"{dup_server}/public/track?number={number}")
            assert p.page.inner_text("#gm-case-status") == "已办结"
            assert "渣土已清运" in p.page.inner_text("#gm-timeline")
            assert "派遣" not in p.page.inner_text("main")  # no staff jargon
        p.shot("public-merged-outcome")
        # Not satisfied: the parent's reporter reopens it.
        p.page.goto(f"{dup_server}/public/track?number={parent_number}")
        p.page.fill("#gm-reopen input[name=note]", "渣土又倒回来了")
        with p.page.expect_navigation():
            p.page.click("#gm-reopen-submit")
        assert p.page.inner_text("#gm-case-status") == "重新安排中"
        p.shot("public-reopened")
        # A mistyped number: an answer in the page's language, with the way back.
        p.page.goto(f"{dup_server}/public/track?number=ABC&lang=en")
        assert "tracking number is not right" in p.page.inner_text("#gm-mistake")
        assert p.page.locator("#gm-back").get_attribute("href") == "/public/"
        assert p.errors == [] or all("400" in e for e in p.errors)
    finally:
        p.close()

    dispatcher = _signed_in(browser, dup_server, dup_db.removeprefix("gpkg://"), "dispatcher")
    try:
        dispatcher.page.goto(f"{dup_server}/cases/{parent}")
        assert dispatcher.page.inner_text("#gm-case-status") == "退回"
        assert "渣土又倒回来了" in dispatcher.page.inner_text("#gm-timeline")
        assert dispatcher.page.locator("form.gm-action[data-action=dispatch]").count() == 1
    finally:
        dispatcher.close()
    with open_store(dup_db) as store:
        assert any(
            m["kind"] == "close" and m["address"] == "c@example.cn" for m in store.messages(child)
        )
