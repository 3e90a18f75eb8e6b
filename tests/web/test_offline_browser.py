"""The officer's phone without signal, in a real headless Chromium (issue 27 part 5).

The officer opens the report form and a hazard's page once with a connection (the service
worker keeps them), loses the signal, makes three reports (one with a photo) and one
inspection, sees "waiting to send (4)", gets the signal back: each arrives once (counted in
the store), even when the answer to one is lost on the way back (the phone sends it again
with its key) and when a report is sent again through the API with the same key.  Then the
session ends while the phone is offline: the draft stays, the page asks for a new sign-in,
and the report arrives once after it.  No sleeps: every wait is on a selector or an event.
"""

from __future__ import annotations

import sqlite3

import pytest
import shapely
from PIL import Image

from gridmap.stores import open_store
from tests.accounts import PASSWORD
from tests.conftest import copy_city
from tests.web.conftest import serving
from tests.web.test_browser import Page, _signed_in
from tests.web.test_case_browser import PHONE
from web import create_app

WAITING = '#gm-drafts[data-waiting="{n}"]'


@pytest.fixture(scope="module")
def phone_db(sample_path, tmp_path_factory):
    path = tmp_path_factory.mktemp("offline") / "city.gpkg"
    copy_city(sample_path, path)
    return path


@pytest.fixture(scope="module")
def phone_server(phone_db):
    with serving(create_app({"DATABASE_URL": f"gpkg://{phone_db}", "TESTING": True})) as base:
        yield base


@pytest.fixture(scope="module")
def beat(phone_db):
    """A hazard of the sample city, the grid it lies in and a point inside that grid."""
    with open_store(f"gpkg://{phone_db}") as store:
        hazards = store.hazards()
        hazard = next(
            store.hazard(int(i)) for i in hazards["id"] if store.hazard(int(i))["grid_code"]
        )
        grids = store.areas("grid")
        grid = grids[grids["code"] == hazard["grid_code"]].iloc[0]
    point = shapely.point_on_surface(grid.geometry)
    return hazard["id"], hazard["grid_code"], point.x, point.y


def _counts(db) -> tuple[int, int, int]:
    """Cases, inspections and photos in the store."""
    with open_store(f"gpkg://{db}") as store:
        return (
            store.count_incidents(),
            len(store.case_rows("inspections")),
            len(store.case_rows("photos")),
        )


def _keys(db) -> dict[str, tuple[str, int]]:
    with sqlite3.connect(db) as conn:
        rows = conn.execute("SELECT key, kind, record_id FROM submissions").fetchall()
    return {key: (kind, record) for key, kind, record in rows}


def _photo(tmp_path) -> str:
    path = tmp_path / "manhole.jpg"
    Image.new("RGB", (640, 480), (90, 90, 100)).save(path, "JPEG")
    return str(path)


def _officer(browser, server, db, grid: str, lon: float, lat: float) -> Page:
    where = {"geolocation": {"longitude": lon, "latitude": lat}}
    return _signed_in(browser, server, db, "officer", areas=(grid,), **PHONE, **where)


def _controlled(p: Page, path: str) -> None:
    """Open ``path`` and wait until the service worker controls it (it claims the pages
    open when it first activates)."""
    p.page.goto(p.base + path)
    p.page.evaluate(
        """() => new Promise((done) => {
            if (navigator.serviceWorker.controller) { done(true); return; }
            navigator.serviceWorker.addEventListener('controllerchange', () => done(true));
        })"""
    )


def _report(p: Page, lon: float, lat: float, text: str, photo: str | None = None) -> None:
    p.page.fill("#gm-lon", f"{lon:.7f}")
    p.page.fill("#gm-lat", f"{lat:.7f}")
    p.page.select_option("#gm-category-pick", "E0103")
    p.page.fill("textarea[name=description]", text)
    if photo:
        p.page.set_input_files("input[name=photos]", photo)
    p.page.click("#gm-submit")


def test_reports_and_an_inspection_made_offline_arrive_once_each(
    browser, phone_server, phone_db, beat, tmp_path
):
    hazard_id, grid, lon, lat = beat
    officer = _officer(browser, phone_server, phone_db, grid, lon, lat)
    page = officer.page
    try:
        # With a connection: the two pages the officer will need, kept by the worker.
        _controlled(officer, f"/hazards/{hazard_id}")
        page.goto(f"{phone_server}/cases/new")
        before = _counts(phone_db)

        officer.context.set_offline(True)
        page.reload()  # from the phone's copy: the network is off
        page.wait_for_selector("#gm-report-form")
        for n, text in enumerate(["井盖缺失一", "井盖缺失二", "井盖缺失三"], start=1):
            _report(officer, lon, lat, text, _photo(tmp_path) if n == 1 else None)
            page.wait_for_selector(WAITING.format(n=n), state="attached")
        assert "待发送（3）" in page.inner_text("#gm-drafts-waiting")
        assert "没有网络" in page.inner_text("#gm-drafts")
        assert page.input_value("textarea[name=description]") == ""  # free for the next one
        officer.shot("offline-three-waiting")

        page.goto(f"{phone_server}/hazards/{hazard_id}")  # from the copy too
        page.wait_for_selector(WAITING.format(n=3), state="attached")
        page.select_option("#gm-inspect select[name=result]", "pending")
        page.fill("#gm-inspect input[name=note]", "阀门锈蚀，已告知业主")
        page.set_input_files("#gm-inspect input[name=photos]", _photo(tmp_path))
        page.click("#gm-inspect button[type=submit]")
        page.wait_for_selector(WAITING.format(n=4), state="attached")
        assert "待发送（4）" in page.inner_text("#gm-drafts-waiting")
        listed = page.locator("#gm-drafts-list li").all_inner_texts()
        assert [x.split(" · ")[0] for x in listed] == ["事件"] * 3 + ["检查"]
        assert "井盖缺失一" in listed[0] and "阀门锈蚀" in listed[3]
        assert _counts(phone_db) == before  # nothing left the phone
        officer.shot("offline-four-waiting")

        # The signal returns, and the answer to the inspection is lost on its way back:
        # the server made it, the phone does not know.
        lost = []

        def lose_the_answer(route):
            route.fetch()  # the server handles it ...
            lost.append(route.request.headers["idempotency-key"])
            route.abort("internetdisconnected")  # ... the phone hears nothing

        page.route("**/api/hazards/*/inspections", lose_the_answer, times=1)
        officer.context.set_offline(False)
        page.wait_for_selector(WAITING.format(n=1), state="attached")  # the three went
        assert lost and _counts(phone_db)[:2] == (before[0] + 3, before[1] + 1)

        page.reload()  # the next load sends what waits: the same key, the same inspection
        page.wait_for_selector(WAITING.format(n=0), state="attached")
        after = _counts(phone_db)
        assert after == (before[0] + 3, before[1] + 1, before[2] + 2), (before, after)
        assert _keys(phone_db)[lost[0]][0] == "inspection"
        assert page.locator("#gm-inspections li").count() >= 1
        assert "阀门锈蚀" in page.inner_text("#gm-inspections")

        # Each report once, in the order made, with its photo and position.
        with open_store(f"gpkg://{phone_db}") as store:
            mine = store.cases(grids=[grid])
        made = sorted((c["id"], c["description"]) for c in mine if "井盖缺失" in c["description"])
        assert [d for _, d in made] == ["井盖缺失一", "井盖缺失二", "井盖缺失三"]

        # A report sent again through the API with its key: the same case, no second one.
        case_keys = [k for k, (kind, _) in _keys(phone_db).items() if kind == "case"]
        key = case_keys[0]
        again = page.evaluate(
            """async ([key, lon, lat]) => {
                const r = await fetch('/api/cases', {method: 'POST',
                  headers: {'Content-Type': 'application/json', 'Idempotency-Key': key},
                  body: JSON.stringify({lon, lat, category: 'E0103', description: 'again'})});
                return [r.status, (await r.json()).id];
            }""",
            [key, lon, lat],
        )
        assert again == [201, _keys(phone_db)[key][1]]
        assert _counts(phone_db) == after
        # The console tells of every request that found no network, and of nothing else.
        unexpected = [e for e in officer.errors if "ERR_INTERNET_DISCONNECTED" not in e]
        assert not unexpected, unexpected
    finally:
        officer.close()


def test_a_session_that_ended_offline_keeps_the_draft_until_the_officer_signs_in(
    browser, phone_server, phone_db, beat
):
    hazard_id, grid, lon, lat = beat
    officer = _officer(browser, phone_server, phone_db, grid, lon, lat)
    page = officer.page
    try:
        _controlled(officer, "/cases/new")
        before = _counts(phone_db)
        officer.context.set_offline(True)
        _report(officer, lon, lat, "路灯不亮")
        page.wait_for_selector(WAITING.format(n=1), state="attached")

        # Meanwhile the session ends (an idle timeout, a sign-out elsewhere).
        name = page.text_content("#gm-user").strip()  # (folded in the phone menu)
        with open_store(f"gpkg://{phone_db}") as store:
            assert store.end_sessions(name, "test") >= 1
        officer.context.set_offline(False)
        page.wait_for_selector("#gm-drafts-signin")
        assert "登录已过期" in page.inner_text("#gm-drafts-signin")
        assert page.get_attribute("#gm-drafts", "data-waiting") == "1"  # kept
        assert _counts(phone_db) == before
        officer.shot("offline-sign-in-again")

        with page.expect_navigation():
            page.click("#gm-drafts-signin a")
        page.fill("#gm-name", name)
        page.fill("#gm-password", PASSWORD.format(name=name))
        with page.expect_navigation():
            page.click("#gm-login button[type=submit]")
        # Back on the form, whose load sends the draft.
        page.wait_for_selector("#gm-drafts-sent a")
        assert page.get_attribute("#gm-drafts", "data-waiting") == "0"
        assert _counts(phone_db)[0] == before[0] + 1
    finally:
        officer.close()


def test_a_report_the_server_refuses_while_the_officer_waits_keeps_the_form(
    browser, phone_server, phone_db, beat
):
    """Online, a report outside every area: the server's reason is shown, the form keeps
    what was typed, and nothing waits on the phone (it would never be accepted)."""
    _, grid, lon, lat = beat
    officer = _officer(browser, phone_server, phone_db, grid, lon, lat)
    page = officer.page
    try:
        _controlled(officer, "/cases/new")
        before = _counts(phone_db)
        _report(officer, 100.0, 20.0, "不在本市")
        page.wait_for_selector("#gm-drafts-error")
        assert "未被接受" in page.inner_text("#gm-drafts-error")
        assert page.get_attribute("#gm-drafts", "data-waiting") == "0"
        assert page.input_value("textarea[name=description]") == "不在本市"
        assert _counts(phone_db) == before
        officer.shot("offline-refused")
    finally:
        officer.close()
