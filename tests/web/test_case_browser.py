"""The case loop in a real browser, each person signed in as themselves: the grid officer
on a phone (360×740, touch, the browser's position, a photo) reports from the map, the
dispatcher dispatches, the department handles and reports back, the officer checks and
closes.  Screenshots go to test-output/screenshots/."""

from __future__ import annotations

import re

import pytest
import shapely
from PIL import Image

from gridmap.stores import open_store
from tests.conftest import copy_city
from tests.web.conftest import serving
from tests.web.test_browser import Page, _signed_in
from web import create_app

PHONE = {
    "viewport": {"width": 360, "height": 740},
    "is_mobile": True,
    "has_touch": True,
    "device_scale_factor": 2,
    "permissions": ["geolocation"],
}


@pytest.fixture(scope="module")
def loop_db(sample_path, tmp_path_factory):
    path = tmp_path_factory.mktemp("loop") / "city.gpkg"
    copy_city(sample_path, path)
    return path


@pytest.fixture(scope="module")
def loop_server(loop_db):
    with serving(create_app({"DATABASE_URL": f"gpkg://{loop_db}", "TESTING": True})) as base:
        yield base


def _photo(tmp_path) -> str:
    path = tmp_path / "waste.jpg"
    Image.new("RGB", (800, 600), (120, 110, 90)).save(path, "JPEG")
    return str(path)


def _step(p: Page, action: str, note: str | None = None) -> None:
    form = p.page.locator(f"form.gm-action[data-action={action}]")
    if note is not None:
        form.locator("input[name=note]").fill(note)
    with p.page.expect_navigation():
        form.locator("button[type=submit]").click()


def _status(p: Page) -> str:
    return p.page.inner_text("#gm-case-status")


def test_the_loop_in_the_browser(browser, loop_server, loop_db, tmp_path):
    with open_store(f"gpkg://{loop_db}") as store:
        grid = store.areas("grid").iloc[100]
    point = shapely.point_on_surface(grid.geometry)
    code = grid["code"]
    where = {"geolocation": {"longitude": point.x, "latitude": point.y}}
    officer = _signed_in(browser, loop_server, loop_db, "officer", areas=(code,), **PHONE, **where)
    try:
        # On the map: "who is responsible here", then "report a case here".
        officer.open("/")
        officer.shot("case-phone-map")
        officer.js(
            f"() => {{ GridMap.map.setView([{point.y}, {point.x}], 15, {{animate: false}}); }}"
        )
        officer.idle()
        officer.page.mouse.click(180, 200)  # the map's centre: above the panel
        officer.page.wait_for_selector("#gm-report-here", timeout=15000)
        officer.page.click("#gm-report-here")
        officer.page.wait_for_selector("#gm-report-form")
        # "Here": the browser's position replaces the clicked point.
        clicked = float(officer.page.input_value("#gm-lon"))
        officer.page.tap("#gm-here")
        for _ in range(100):  # the position arrives asynchronously
            if abs(float(officer.page.input_value("#gm-lon") or 0) - point.x) < 1e-6:
                break
            officer.page.wait_for_timeout(100)
        assert abs(float(officer.page.input_value("#gm-lon")) - point.x) < 1e-6
        assert abs(float(officer.page.input_value("#gm-lat")) - point.y) < 1e-6
        assert abs(clicked - point.x) < 0.01  # the map click was near there, not exactly
        officer.page.select_option("#gm-category-pick", "E0103")
        officer.page.wait_for_selector("#gm-preview-department")
        assert "城市管理" in officer.page.inner_text("#gm-preview-department")
        assert officer.page.inner_text("#gm-preview").count(code) == 1
        officer.page.fill("textarea[name=description]", "路边倾倒建筑垃圾")
        officer.page.set_input_files("input[name=photos]", _photo(tmp_path))
        officer.shot("case-phone-report")
        width = officer.page.evaluate("() => document.documentElement.scrollWidth")
        assert width <= 360, f"the report form is {width} px wide on a 360 px phone"
        with officer.page.expect_navigation():
            officer.page.click("#gm-submit")
        case_url = officer.page.url
        case_id = int(re.search(r"/cases/(\d+)$", case_url).group(1))
        assert _status(officer) == "立案"  # accepted at once: the officer's own grid
        assert officer.page.locator("#gm-timeline img.gm-thumb").count() == 1
        officer.shot("case-phone-accepted")
    finally:
        officer.close()

    dispatcher = _signed_in(browser, loop_server, loop_db, "dispatcher")
    try:
        dispatcher.page.goto(case_url)
        _step(dispatcher, "dispatch")
        assert _status(dispatcher) == "派遣"
        assert dispatcher.page.inner_text("#gm-due")
        dispatcher.shot("case-dispatched")
    finally:
        dispatcher.close()

    city = _signed_in(browser, loop_server, loop_db, "department", department="city")
    try:
        city.page.goto(loop_server + "/cases/queue?status=dispatched")  # the new ones
        city.page.click(f"#gm-cases tr[data-id='{case_id}'] a")
        _step(city, "start")
        assert _status(city) == "处置"
        _step(city, "report_back", note="已清运")
        assert _status(city) == "反馈"
    finally:
        city.close()

    officer = _signed_in(browser, loop_server, loop_db, "officer", areas=(code,), **PHONE)
    try:
        officer.page.goto(loop_server + "/cases/mine")
        officer.shot("case-phone-list")
        officer.page.tap(f"#gm-cases tr[data-id='{case_id}'] a")
        officer.page.wait_for_selector("#gm-case-status")
        _step(officer, "verify", note="现场已核实")
        _step(officer, "close")
        assert _status(officer) == "结案"
        steps = officer.page.locator("#gm-timeline li")
        got = [
            (
                steps.nth(i).get_attribute("data-action"),
                steps.nth(i).locator(".gm-actor").inner_text(),
            )
            for i in range(steps.count())
        ]
        officer_name = f"officer@{code}"
        assert got == [
            ("report", officer_name),
            ("accept", officer_name),
            ("dispatch", "dispatcher"),
            ("start", "department#city"),
            ("report_back", "department#city"),
            ("verify", officer_name),
            ("close", officer_name),
        ]
        officer.shot("case-phone-closed")
        assert officer.errors == []
    finally:
        officer.close()


def test_the_board_links_to_the_filtered_map(browser, loop_server, loop_db):
    p = _signed_in(browser, loop_server, loop_db, "dispatcher")
    try:
        p.page.goto(loop_server + "/cases/board")
        p.shot("case-board")
        overdue = int(p.page.inner_text("#gm-overdue-total b"))
        assert overdue > 0
        first = p.page.locator("#gm-overdue-departments a.gm-list[href*=overdue]").first
        department = first.get_attribute("data-department")
        count = int(first.inner_text())
        with p.page.expect_navigation():  # the count opens the list; beside it, the map
            p.page.click(f"#gm-overdue-departments a.gm-map[data-department='{department}']")
        p.idle()
        assert p.page.input_value("#gm-department") == department
        assert p.page.is_checked("#gm-overdue")
        asked = [u for u in p.requests if "/api/incidents?" in u]
        assert asked and f"department={department}" in asked[-1] and "overdue=1" in asked[-1]
        total = p.js("() => window.gridmapState.incidentTotal")
        assert 0 < total <= count  # the overdue cases of that department in view
        p.shot("case-board-map")
        assert p.errors == []
    finally:
        p.close()
