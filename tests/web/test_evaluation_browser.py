"""The monthly evaluation and the hotspots in a real browser: the dispatcher reads
October's evaluation by department, switches to communities through the labelled form,
and turns on the map's layer of places where problems come back."""

from __future__ import annotations

from datetime import date

import pytest

from gridmap import access
from gridmap.services import evaluation
from gridmap.stores import open_store
from tests.conftest import copy_city
from tests.web.conftest import serving
from tests.web.test_browser import _signed_in
from web import create_app

ROWS = "#gm-evaluation tbody tr[data-code]"
MONTH = date(2026, 10, 1)


@pytest.fixture(scope="module")
def ev_db(sample_path, tmp_path_factory):
    path = tmp_path_factory.mktemp("evaluation_browser") / "city.gpkg"
    copy_city(sample_path, path)
    return path


@pytest.fixture(scope="module")
def ev_server(ev_db):
    # Two years back, 300 m, three cases: the sample city's year holds such places.
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("GRIDMAP_HOTSPOT_MONTHS", "24")
        mp.setenv("GRIDMAP_HOTSPOT_RADIUS_M", "300")
        mp.setenv("GRIDMAP_HOTSPOT_CASES", "3")
        app = create_app({"DATABASE_URL": f"gpkg://{ev_db}", "TESTING": True})
    with serving(app) as base:
        yield base


def test_the_dispatcher_reads_the_evaluation_and_the_hotspots(browser, ev_server, ev_db):
    p = _signed_in(browser, ev_server, ev_db, "dispatcher")
    try:
        p.page.goto(ev_server + "/evaluation?month=2026-10")
        with open_store(f"gpkg://{ev_db}") as store:  # the departments with cases then
            departments = len(evaluation.evaluate(store, access.SYSTEM, MONTH)["rows"])
        assert p.page.locator(ROWS).count() == departments
        assert p.page.locator("#gm-evaluation-trend circle").count() == 6
        p.page.get_by_label("考核对象").select_option("community")
        with p.page.expect_navigation():
            p.page.get_by_role("button", name="查看").click()
        assert "by=community" in p.page.url
        assert p.page.locator(ROWS).count() > departments
        assert p.page.locator("#gm-evaluation caption").inner_text().startswith("按社区")
        p.page.goto(ev_server + "/hotspots")
        places = p.page.locator("#gm-hotspots tbody tr[data-category]").count()
        assert places > 0
        with p.page.expect_navigation():
            p.page.click("#gm-hotspots-map")
        p.idle()  # the layer's answer drawn (a load counts as pending until then)
        drawn = p.js(
            "() => { let n = 0; GridMap.map.eachLayer(l => {"
            " if (l.options && l.options.className === 'gm-hotspot') { n += 1; } }); return n; }"
        )
        assert drawn == places  # circles on the canvas, one per listed place
        assert p.errors == []
    finally:
        p.close()
