"""In a real browser: the admin edits the responsibility list (权责清单) on the 派遣规则
page (a row to another department, a bad area refused beside its field, a row moved up)
and the next case of that category goes to the department the edited row names.
Screenshots go to test-output/screenshots/."""

from __future__ import annotations

import pytest

from gridmap.services import cases
from gridmap.settings import Settings
from gridmap.stores import open_store
from gridmap.workflow import Actor
from tests.accounts import PASSWORD, user_of
from tests.web.conftest import city_copy, serving
from tests.web.test_browser import Page
from web import create_app

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def own_db(sample_path, tmp_path_factory):
    """A copy of the sample city for this module alone: its rules are changed here."""
    return city_copy(sample_path, tmp_path_factory, "responsibilities-browser")


@pytest.fixture(scope="module")
def own_server(own_db):
    with serving(create_app({"DATABASE_URL": own_db, "TESTING": True})) as base:
        yield base


def _row(p: Page, category: str):
    return p.page.locator("#gm-rules tr", has=p.page.locator(f"text={category}")).first


def test_an_admin_edits_a_row_and_the_next_case_follows_it(browser, own_server, own_db):
    from gridmap.lookup import LookupIndex

    admin = user_of(own_db, "admin")
    p = Page(browser, own_server)
    try:
        p.page.goto(own_server + "/login")
        p.page.fill("#gm-name", admin)
        p.page.fill("#gm-password", PASSWORD.format(name=admin))
        with p.page.expect_navigation():
            p.page.click("button[type=submit]")
        p.page.goto(own_server + "/admin/routes")
        assert p.page.locator("h1").inner_text() == "权责清单（派遣规则）"
        row = _row(p, "E0403")
        assert row.locator("[data-department]").inner_text() == "供排水公司"
        place = row.locator("td").first.inner_text()
        with p.page.expect_navigation():
            row.get_by_role("link", name="修改").click()

        # a bad area: refused beside its field, in the page's language
        p.page.select_option("#gm-edit-rule select[name=layer]", "district")
        p.page.fill("#gm-edit-rule input[name=area_code]", "999999")
        with p.page.expect_navigation():
            p.page.click("#gm-edit-rule button[type=submit]")
        assert p.page.locator("#gm-error-area_code").inner_text() == (
            "图层“district”中没有区域“999999”"
        )
        p.shot("responsibilities-bad-area")

        # flooding in the Sartu district: its government's (a zone override)
        p.page.fill("#gm-edit-rule input[name=area_code]", "230602")
        p.page.select_option("#gm-edit-rule select[name=department]", label="萨尔图区人民政府")
        with p.page.expect_navigation():
            p.page.click("#gm-edit-rule button[type=submit]")
        row = _row(p, "E0403")
        assert row.locator("[data-department]").inner_text() == "萨尔图区人民政府"
        assert row.locator("td").first.inner_text() == place
        with p.page.expect_navigation():
            row.get_by_role("button", name="上移").click()
        assert int(_row(p, "E0403").locator("td").first.inner_text()) < int(place)
        p.shot("responsibilities-edited")
        # the one refused form (answered 400 on purpose), nothing else
        assert len(p.errors) == 1 and "status of 400" in p.errors[0]
    finally:
        p.context.close()

    with open_store(own_db) as store:
        index = LookupIndex.near(store, 125.10, 46.59)
        assert index.lookup(125.10, 46.59).codes_per_point()[0]["district"] == "230602"
        cal = cases.calendar(store, Settings())
        dispatcher = Actor("dispatcher", frozenset({"dispatcher"}))
        case_id = cases.report(store, index, cal, dispatcher, 125.10, 46.59, "E0403")
        assert store.case(case_id)["department"] == "sartu"
        changed = store.audit_log(action="route.change")[0]
        assert changed["actor"].endswith(admin)
