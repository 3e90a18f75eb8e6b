"""In a real browser: an admin adds a grid officer, hands over the password shown once,
and the officer signs in with it and reaches their work list (我的待办).  Screenshots go
to test-output/screenshots/."""

from __future__ import annotations

import pytest

from tests.accounts import PASSWORD, user_of
from tests.web.conftest import spot_in
from tests.web.test_browser import Page

pytestmark = pytest.mark.browser


def _sign_in(p: Page, name: str, password: str) -> None:
    p.page.goto(p.base + "/login")
    p.page.fill("#gm-name", name)
    p.page.fill("#gm-password", password)
    with p.page.expect_navigation():
        p.page.click("button[type=submit]")


def test_an_admin_adds_an_officer_who_signs_in_and_reaches_their_work_list(
    browser, live_server, web_db
):
    url = f"gpkg://{web_db}"
    admin = user_of(url, "admin")
    grid, _, _ = spot_in(url)
    p, officer = Page(browser, live_server), Page(browser, live_server)
    try:
        _sign_in(p, admin, PASSWORD.format(name=admin))
        p.page.goto(live_server + "/admin/users")
        with p.page.expect_navigation():
            p.page.click("#gm-add-user")
        p.page.get_by_label("用户名").fill("zhang-san")
        p.page.get_by_role("checkbox", name="网格员").check()
        p.page.get_by_label("负责的网格/区域编码").fill(grid)
        with p.page.expect_navigation():
            p.page.click("#gm-new-user button[type=submit]")
        password = p.page.inner_text("#gm-new-password")
        p.shot("users-password-shown-once")
        assert p.page.locator("h1").inner_text().endswith("zhang-san")

        _sign_in(officer, "zhang-san", password)
        # An officer lands on their work list.
        assert officer.page.url == live_server + "/cases/mine"
        assert officer.page.locator("h1").inner_text() == "我的待办"
        officer.shot("users-officer-work-list")

        p.page.goto(live_server + "/admin/users/account?name=zhang-san")
        p.shot("users-account")
        assert p.page.locator("#gm-history tbody tr").first.get_attribute("data-action") == (
            "sign_in"
        )
        p.page.goto(live_server + "/admin/audit?what=user.add")
        p.shot("users-audit")
        assert p.page.locator("#gm-audit tbody tr").first.locator(".gm-changes").count() == 1
        assert p.errors == [] and officer.errors == []
    finally:
        p.context.close()
        officer.context.close()
