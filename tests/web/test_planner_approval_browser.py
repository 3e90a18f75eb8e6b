"""A plan's way to publication in a real browser at 1366×768: a planner, who is offered
提交审批 and never 发布, names a new area and submits the plan with a note; the admin
finds it waiting on the plans page, opens it with the planner's names filled in and
publishes it; the new generation carries the chosen name, and the planner's list says
已发布.  The painting page says its rules in Chinese.  Screenshots go to
test-output/screenshots/approval-*.png."""

from __future__ import annotations

import re

import pytest

from gridmap.services import approvals
from gridmap.stores import open_store
from tests.conftest import copy_city
from tests.web.conftest import serving
from tests.web.test_browser import _signed_in
from tests.web.test_planner_browser import _poll
from web import create_app

SCREEN = {"viewport": {"width": 1366, "height": 768}}


@pytest.fixture()
def city_server(sample_path, tmp_path):
    db = copy_city(sample_path, tmp_path / "city.gpkg")
    with serving(create_app({"DATABASE_URL": f"gpkg://{db}", "TESTING": True})) as base:
        yield base, db


def test_a_planner_submits_a_named_plan_and_the_admin_publishes_it(browser, city_server):
    base, db = city_server
    planner = _signed_in(browser, base, db, "planner", **SCREEN)
    admin = _signed_in(browser, base, db, "admin", **SCREEN)
    try:
        p = planner.page
        p.goto(base + "/plans")
        with open_store(f"gpkg://{db}") as store:  # today's neighborhoods, one area each
            codes = list(store.areas("neighborhood")["code"])
        made = p.evaluate(
            "async (codes) => await gridmapApi('POST', '/api/plans', {name: '每个社区一个',"
            " assignment: Object.fromEntries(codes.map((c) => [c, c]))})",
            codes,
        )
        plan_id = made["id"]
        # The painting page says its rules in Chinese (from the codes the API sends).
        p.goto(f"{base}/plans/{plan_id}")
        _poll(planner, "() => window.gridmapPlanner && gridmapPlanner.ready")
        said = p.locator("#gm-rules").inner_text()
        assert "连通：每个区域都连成一片" in said
        assert not re.search(r"[a-z]{4,}", said), said  # no English words
        p.goto(base + "/plans")
        row = p.locator(f"#gm-plans tr[data-plan='{plan_id}']")
        assert row.locator(".gm-publish-link").count() == 0  # publishing is not offered
        assert row.locator(".gm-state").get_attribute("data-state") == "draft"
        with p.expect_navigation():
            row.locator(".gm-submit-link").click()
        assert p.locator("#gm-review-state").inner_text() == "草稿"
        first = p.locator("input.gm-area-name").first
        code = first.get_attribute("name").removeprefix("area_name.")
        first.fill("东湖社区")
        p.fill("#gm-submit-note", "每个社区一个区域，请审批")
        planner.shot("approval-submit")
        with p.expect_navigation():
            p.click("#gm-submit")
        assert p.locator("#gm-done").is_visible()
        assert row.locator(".gm-state").inner_text() == "待审批"
        assert row.locator(".gm-submit-link").count() == 0  # waiting: nothing to submit

        a = admin.page
        a.goto(base + "/plans")
        waiting = a.locator(f"#gm-waiting tr[data-plan='{plan_id}']")
        assert "每个社区一个区域，请审批" in waiting.inner_text()
        admin.shot("approval-waiting")
        with a.expect_navigation():
            waiting.locator(".gm-review-link").click()
        assert a.locator("#gm-submitted-note").inner_text() == "每个社区一个区域，请审批"
        assert a.locator(f"input[name='area_name.{code}']").input_value() == "东湖社区"
        a.fill("#gm-gen-name", "2027")
        admin.shot("approval-publish")
        with a.expect_navigation():
            a.click("#gm-publish")
        assert f"/plans/{plan_id}/published/" in a.url

        with open_store(f"gpkg://{db}") as store:
            named = dict(store.areas("community", "2027")[["code", "name"]].values)
            assert named[code] == "东湖社区"
            assert approvals.review(store, plan_id).state == approvals.PUBLISHED
        p.goto(base + "/plans")
        assert row.locator(".gm-state").inner_text() == "已发布"
        planner.shot("approval-published")
        assert planner.errors == [] and admin.errors == []
    finally:
        planner.close()
        admin.close()
