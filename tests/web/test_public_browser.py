"""The public page in a real browser, as a member of the public (not signed in): report
on the map, keep the tracking number, follow it while the city handles the case, rate it
once closed, and read the statistics.  Screenshots go to test-output/screenshots/."""

from __future__ import annotations

import time

import pytest

from tests.web.conftest import city_copy, serving, spot_in, take_steps
from tests.web.test_browser import Page
from web import create_app


@pytest.fixture(scope="module")
def pub_db(sample_path, tmp_path_factory):
    return city_copy(sample_path, tmp_path_factory, "public-browser")


@pytest.fixture(scope="module")
def pub_server(pub_db):
    with serving(create_app({"DATABASE_URL": pub_db, "TESTING": True})) as base:
        yield base


def _ready(p: Page) -> None:
    deadline = time.monotonic() + 30
    while not p.js("() => !!(window.gridmapPublic && window.gridmapPublic.ready)"):
        assert time.monotonic() < deadline, "the public map did not load"
        p.page.wait_for_timeout(50)


def _named_base(p: Page, url: str, layer: str) -> None:
    """The base names ``layer``'s areas (waiting for the view's base to be drawn)."""
    from gridmap.stores import open_store

    deadline = time.monotonic() + 30
    while p.js("() => gridmapPublic.base.labelled") != layer:
        assert time.monotonic() < deadline, f"the base did not name the {layer} areas"
        p.page.wait_for_timeout(50)
    shown = p.js(
        "() => Array.from(document.querySelectorAll('.gm-base-label')).map(x => x.textContent)"
    )
    with open_store(url) as store:
        names = {name for name, _ in store.area_names(layer).values()}
    assert shown and set(shown) <= names


def test_the_public_reports_follows_and_rates(browser, pub_server, pub_db):
    code, x, y = spot_in(pub_db)
    p = Page(browser, pub_server)
    try:
        p.page.goto(pub_server + "/public/")
        _ready(p)
        assert p.page.inner_text("h1") == "市民上报"
        # Every script and style from the app itself (offline first).
        assert all(u.startswith(pub_server) for u in p.requests), p.requests
        # No tiles configured: the city's own areas and their names are the base, coarse
        # (districts) when the whole city shows, finer as one zooms in; no flag.
        _named_base(p, pub_db, "district")
        assert "Leaflet" in p.page.inner_text(".leaflet-control-attribution")
        assert p.page.locator(".leaflet-control-attribution svg").count() == 0
        p.js(f"() => gridmapPublic.map.setView([{y}, {x}], 17, {{animate: false}})")
        p.page.wait_for_timeout(300)
        _named_base(p, pub_db, "neighborhood")
        box = p.page.locator("#gm-public-map").bounding_box()
        p.page.mouse.click(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
        assert abs(float(p.page.input_value("#gm-lon")) - x) < 1e-4
        assert abs(float(p.page.input_value("#gm-lat")) - y) < 1e-4
        p.page.select_option("#gm-category-pick", "E0103")
        p.page.fill("textarea[name=description]", "小区门口有一堆建筑垃圾")
        p.shot("public-report")
        with p.page.expect_navigation():
            p.page.click("#gm-submit")
        number = p.page.inner_text("#gm-tracking")
        assert len(number) == 19 and number.count("-") == 3
        incident_id = int(p.page.inner_text("#gm-report-id"))
        p.shot("public-receipt")
        with p.page.expect_navigation():
            p.page.click("#gm-follow")
        assert p.page.inner_text("#gm-case-status") == "已收到"  # plain words, no 采集
        p.shot("public-track-reported")

        take_steps(pub_db, incident_id, code, notes={"report_back": "已于当日清运"})
        p.page.reload()
        assert p.page.inner_text("#gm-case-status") == "已办结"
        assert "已于当日清运" in p.page.inner_text("#gm-timeline")
        body = p.page.inner_text("main")
        for private in ("王五", "officer", "dispatcher", "department#"):
            assert private not in body, private
        p.shot("public-track-closed")
        p.page.check("#gm-rate input[value=satisfied]")
        with p.page.expect_navigation():
            p.page.click("#gm-rate-submit")
        assert p.page.inner_text("#gm-case-status") == "已办结"
        assert "满意" in p.page.inner_text("#gm-rated")
        p.shot("public-track-rated")

        p.page.goto(pub_server + "/public/stats?lang=en")
        assert p.page.inner_text("h1") == "Public statistics"
        row = p.page.locator("#gm-stats-department tr[data-code=city]")
        assert "City management" in row.inner_text() or row.count() == 1
        assert p.page.locator("#gm-stats-community tbody tr").count() > 1
        p.shot("public-stats")
        assert p.errors == []
    finally:
        p.close()


def test_the_public_page_fits_a_phone_and_knows_here(browser, pub_server, pub_db):
    _, x, y = spot_in(pub_db)
    p = Page(
        browser,
        pub_server,
        viewport={"width": 360, "height": 740},
        is_mobile=True,
        has_touch=True,
        device_scale_factor=2,
        permissions=["geolocation"],
        geolocation={"longitude": x, "latitude": y},
    )
    try:
        for path in ("/public/", "/public/track", "/public/stats"):
            p.page.goto(pub_server + path)
            width = p.page.evaluate("() => document.documentElement.scrollWidth")
            assert width <= 360, f"{path} is {width} px wide on a 360 px phone"
        p.page.goto(pub_server + "/public/")
        _ready(p)
        p.page.tap("#gm-here")
        for _ in range(100):  # the position arrives asynchronously
            if p.page.input_value("#gm-lon"):
                break
            p.page.wait_for_timeout(100)
        assert abs(float(p.page.input_value("#gm-lon")) - x) < 1e-6
        assert abs(float(p.page.input_value("#gm-lat")) - y) < 1e-6
        p.shot("public-phone-report")
        assert p.errors == []
    finally:
        p.close()
