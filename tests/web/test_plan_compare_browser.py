"""Comparing two plans and publishing one, in a real headless Chromium at 1366×768: the two
maps move together, a grid under the mouse is shown on both with its areas, the moved
residents match the API, and an admin's publish shows up on the map.  Screenshots go to
test-output/screenshots/plan-compare*.png and plan-publish*.png."""

from __future__ import annotations

import time

import pytest
import shapely

from gridmap.stores.gpkg import GeoPackageStore
from tests.conftest import copy_city
from tests.web.conftest import serving
from tests.web.test_browser import Page, _signed_in
from tests.web.test_plan_compare import expected_changes, moved, neighborhoods
from web import create_app

SCREEN = {"viewport": {"width": 1366, "height": 768}}


@pytest.fixture(scope="module")
def compare_db(sample_path, tmp_path_factory):
    path = tmp_path_factory.mktemp("compare") / "city.gpkg"
    copy_city(sample_path, path)
    return path


@pytest.fixture(scope="module")
def compare_server(compare_db):
    with serving(create_app({"DATABASE_URL": f"gpkg://{compare_db}", "TESTING": True})) as base:
        yield base


def _ready(p: Page) -> None:
    deadline = time.monotonic() + 30  # polled: the CSP refuses wait_for_function's eval
    while not p.js("() => !!(window.gridmapCompare && window.gridmapCompare.ready)"):
        assert not p.js("() => window.gridmapCompare && window.gridmapCompare.error"), p.errors
        assert time.monotonic() < deadline, "the compare maps did not load within 30 s"
        p.page.wait_for_timeout(100)


def _view(p: Page, side: str) -> list[float]:
    return p.js(f"() => window.gridmapCompare.maps.center('{side}')")


def _plan(p: Page, name: str, assignment: dict) -> int:
    made = p.page.evaluate(
        """async ([name, assignment]) => {
            const r = await fetch("/api/plans", {method: "POST",
              headers: {"Content-Type": "application/json"},
              body: JSON.stringify({name, assignment})});
            return [r.status, await r.json()];
        }""",
        [name, assignment],
    )
    assert made[0] == 201, made
    return made[1]["id"]


def test_compare_two_plans_then_publish_one(browser, compare_server, compare_db):
    today, (joined_plan, pairs) = neighborhoods(compare_db), moved(compare_db)
    want = expected_changes(compare_db, pairs)
    p = _signed_in(browser, compare_server, compare_db, "planner", **SCREEN)
    try:
        before = _plan(p, "neighborhoods", today)
        after = _plan(p, "three joined", joined_plan)
        p.page.goto(f"{compare_server}/plans/{after}/compare?with={before}")
        _ready(p)
        p.shot("plan-compare")
        # Panning one map moves the other, both ways; zooming too.
        assert _view(p, "before") == _view(p, "after")
        start = _view(p, "after")
        p.js("() => void window.gridmapCompare.maps.pan('before', 150, 80)")
        assert _view(p, "after") == _view(p, "before") != start
        p.js("() => void window.gridmapCompare.maps.zoom('after', 13)")
        assert _view(p, "before")[2] == 13 and _view(p, "before") == _view(p, "after")
        # A moved grid under the mouse: its code and both areas, on either map.
        with GeoPackageStore(compare_db) as store:
            grid = store.areas("grid").set_index("code").loc[sorted(want["grids"])[0]]
        spot = shapely.point_on_surface(grid.geometry)
        p.js(f"() => void window.gridmapCompare.maps.focus('{grid.name}')")
        x, y = p.page.evaluate(
            "([lat, lng]) => window.gridmapCompare.maps.point('before', lat, lng)",
            [spot.y, spot.x],
        )
        p.page.mouse.move(x, y)
        hovered = p.page.inner_text("#gm-hover")
        assert grid.name in hovered and grid["parent_code"] in hovered, hovered
        assert "改变区域" in hovered  # a moved grid says so
        assert p.page.get_attribute("#gm-hover", "data-code") == grid.name
        p.shot("plan-compare-hover")
        # The moved residents shown are the API's.
        shown = int(p.page.get_attribute("#gm-residents-moved", "data-value"))
        api = p.page.evaluate(
            f"async () => (await (await fetch('/api/plans/{after}/compare?with={before}')).json())"
            ".residents_moved"
        )
        assert shown == api == want["residents"]
        p.page.goto(f"{compare_server}/plans/{after}/compare?lang=en")  # against today
        _ready(p)
        assert int(p.page.get_attribute("#gm-residents-moved", "data-value")) == api
        p.shot("plan-compare-today-en")
        assert p.errors == []
        assert all(u.startswith(compare_server) or u.startswith("data:") for u in p.requests)
    finally:
        p.close()

    admin = _signed_in(browser, compare_server, compare_db, "admin", **SCREEN)
    try:
        admin.page.goto(f"{compare_server}/plans/{after}/publish")
        assert admin.page.get_attribute("#gm-new-areas", "data-value") == str(len(today) - 3)
        admin.shot("plan-publish")
        admin.page.fill("#gm-gen-name", "2012")
        admin.page.check("#gm-activate")
        with admin.page.expect_navigation():
            admin.page.click("#gm-publish")
        assert admin.page.get_attribute("#gm-generation-state", "data-active") == "yes"
        admin.shot("plan-publish-done")
        with admin.page.expect_navigation():
            admin.page.click("#gm-to-map")
        admin.open("/map?lang=en")
        control = admin.page.inner_text(".leaflet-control-layers")
        assert "Community" in control, control
        admin.shot("plan-publish-map")
        assert admin.errors == []
    finally:
        admin.close()
