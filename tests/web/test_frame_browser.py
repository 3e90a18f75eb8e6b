"""The frame in a real browser (issue 23 part 2): each role lands on its own page after
signing in, the header folds behind a menu button on a phone and opens by keyboard, the
map's panel folds, and the board's wall screen refreshes its numbers by itself."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from tests.accounts import signed_in
from tests.web.conftest import spot_in
from tests.web.test_accessibility_browser import SIZES, account
from tests.web.test_browser import _signed_in

# role → (where it lands, its page's heading)
LANDS = {
    "officer": ("/cases/mine", "我的待办"),
    "dispatcher": ("/cases/board", "指挥调度台"),
    "department": ("/cases/queue", "城市管理待办"),
    "planner": ("/plans", "规划方案"),
    "admin": ("/data/", "数据导入导出"),
    "leader": ("/cases/board", "指挥调度台"),
}


@pytest.mark.parametrize("role", [*LANDS, "viewer"])
def test_each_role_lands_on_its_page(browser, live_server, web_db, role):
    url = f"gpkg://{web_db}"
    p = _signed_in(browser, live_server, web_db, role, **account(url, role), **SIZES["desk"])
    try:
        if role == "viewer":  # no page of its own: the map, under the same header
            assert p.page.url == live_server + "/"
            p.page.locator("#gm-panel .gm-title").wait_for()
        else:
            path, heading = LANDS[role]
            assert p.page.url == live_server + path
            assert p.page.locator("h1").first.inner_text().startswith(heading)
            current = p.page.locator(".gm-nav a[aria-current=page]")
            assert current.get_attribute("href") == path  # the header says where one is
        p.shot(f"frame-lands-{role}")
        assert p.page.locator("#gm-user").inner_text()
        assert p.errors == []
    finally:
        p.close()


def test_an_officers_list_links_to_their_grids(browser, live_server, web_db):
    url = f"gpkg://{web_db}"
    p = _signed_in(browser, live_server, web_db, "officer", **account(url, "officer"))
    try:
        grid = account(url, "officer")["areas"][0]
        link = p.page.locator(f"#gm-my-grids a[href='/grid/{grid}']")
        with p.page.expect_navigation():
            link.click()
        p.page.locator("#gm-grid").wait_for()
        assert grid in p.page.locator("#gm-grid h3").inner_text()
        assert p.page.locator(".gm-top #gm-nav-mine").count() == 1  # the frame over the map
    finally:
        p.close()


def test_the_phone_menu_and_the_map_panel_work_by_keyboard(browser, live_server, web_db):
    p = _signed_in(browser, live_server, web_db, "dispatcher", **SIZES["phone"])
    try:
        nav = p.page.locator(".gm-nav")
        assert not nav.is_visible()  # folded behind the menu button
        p.page.locator(".gm-menu-button").focus()
        p.page.keyboard.press("Enter")
        expect(nav).to_be_visible()
        p.page.keyboard.press("Tab")
        focused = p.page.evaluate(
            "() => [document.activeElement.id,"
            " getComputedStyle(document.activeElement).outlineStyle]"
        )
        assert focused[0] == "gm-nav-map" and focused[1] != "none"  # a visible focus
        p.shot("frame-phone-menu")
        with p.page.expect_navigation():
            p.page.keyboard.press("Enter")
        p.idle()
        panel = p.page.locator("#gm-panel")
        assert panel.get_attribute("open") is None  # on a phone the map comes first
        p.page.locator("#gm-panel > summary").focus()
        p.page.keyboard.press("Enter")
        expect(p.page.locator("#gm-search-q")).to_be_visible()
        p.shot("frame-phone-map-panel")
    finally:
        p.close()


def test_the_wall_screen_refreshes_itself(browser, app, live_server, web_db):
    url = f"gpkg://{web_db}"
    p = _signed_in(browser, live_server, web_db, "leader", viewport={"width": 1920, "height": 1080})
    try:
        p.page.goto(live_server + "/board/wall?seconds=2")
        shown = p.page.locator("#gm-wall-open")
        before = int(shown.inner_text())
        loads = len([u for u in p.requests if "/board/wall" in u])
        _, lon, lat = spot_in(url)
        dispatcher = signed_in(app.test_client(), url, "dispatcher")
        r = dispatcher.post(
            "/api/cases", json={"lon": lon, "lat": lat, "category": "E0103", "description": "大屏"}
        )
        assert r.status_code == 201, r.get_json()
        expect(shown).to_have_text(str(before + 1), timeout=30_000)  # polled by Playwright
        assert len([u for u in p.requests if "/board/wall" in u]) == loads  # no reload
        assert any("/api/board" in u for u in p.requests)
        p.shot("frame-wall")
        assert p.errors == []
    finally:
        p.close()


FOCUS = """() => {
    const e = document.activeElement;
    if (!e || e === document.body) return null;
    const s = getComputedStyle(e);
    return [e.tagName + (e.id ? '#' + e.id : ''), s.outlineStyle, s.outlineWidth];
}"""


@pytest.mark.parametrize("role", [*LANDS, "viewer"])
def test_every_control_of_a_landing_page_shows_its_keyboard_focus(
    browser, live_server, web_db, role
):
    """Tab through the first controls of each role's landing page: each one focused
    shows a visible outline (the frame's focus ring)."""
    url = f"gpkg://{web_db}"
    p = _signed_in(browser, live_server, web_db, role, **account(url, role), **SIZES["desk"])
    try:
        seen = []
        for _ in range(25):
            p.page.keyboard.press("Tab")
            focused = p.page.evaluate(FOCUS)
            if focused is None:
                continue
            seen.append(focused[0])
            assert focused[1] not in ("none", "") and focused[2] != "0px", (role, focused)
        assert len(set(seen)) >= 5, seen  # the header's links at least
    finally:
        p.close()
