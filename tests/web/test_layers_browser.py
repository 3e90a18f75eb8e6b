"""In Chromium: an admin uploads a layer of school districts on the data page (a
reference layer, the default without a parent), and a grid officer's report in their
own grid, inside a school district, is still accepted at once and reaches 我的待办; the
map opens on the city as before."""

from __future__ import annotations

import re

import geopandas as gpd
import pytest
import shapely

from gridmap.model import CRS
from gridmap.stores import open_store
from tests.conftest import copy_city
from tests.web.conftest import serving
from tests.web.test_browser import _signed_in
from web import create_app

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def kinds_db(sample_path, tmp_path_factory):
    path = tmp_path_factory.mktemp("kinds") / "city.gpkg"
    copy_city(sample_path, path)
    return path


@pytest.fixture(scope="module")
def kinds_server(kinds_db, tmp_path_factory):
    app = create_app(
        {
            "DATABASE_URL": f"gpkg://{kinds_db}",
            "TESTING": True,
            "UPLOAD_DIR": str(tmp_path_factory.mktemp("uploads")),
        }
    )
    with serving(app) as base:
        yield base


def _bounds(page) -> list[float]:
    page.open("/map")
    b = page.js("() => GridMap.map.getBounds().toBBoxString()")
    return [round(float(v), 6) for v in b.split(",")]


def test_an_uploaded_reference_layer_leaves_the_officers_work_alone(
    browser, kinds_server, kinds_db, tmp_path
):
    with open_store(f"gpkg://{kinds_db}") as store:
        grid = store.areas("grid").iloc[100]
    point = shapely.point_on_surface(grid.geometry)
    schools = gpd.GeoDataFrame(
        {"code": ["S1", "S2", "S3"], "name": ["实验小学", "第二中学", "第三小学"]},
        geometry=[
            point.buffer(0.01),
            shapely.affinity.translate(point, 0.05).buffer(0.01),
            shapely.affinity.translate(point, 0, 0.05).buffer(0.01),
        ],
        crs=CRS,
    )
    schools.to_file(tmp_path / "schools.geojson", driver="GeoJSON")

    admin = _signed_in(browser, kinds_server, kinds_db, "admin")
    try:
        before = _bounds(admin)
        admin.page.goto(kinds_server + "/data/")
        admin.page.set_input_files("#gm-upload input[name=file]", str(tmp_path / "schools.geojson"))
        admin.page.fill("#gm-upload input[name=layer]", "school")
        admin.page.fill("#gm-upload input[name=name_field]", "name")
        admin.page.fill("#gm-upload input[name=title_zh]", "学区")
        admin.page.fill("#gm-upload input[name=title_en]", "School districts")
        with admin.page.expect_navigation():
            admin.page.click("#gm-upload button[type=submit]")
        with admin.page.expect_navigation():
            admin.page.click("#gm-confirm")
        assert "3" in admin.page.inner_text("#gm-imported")
        admin.page.goto(kinds_server + "/admin/layers")
        row = admin.page.locator('tr[data-layer="school"]')
        assert row.locator("select[name=kind]").input_value() == "reference"
        admin.shot("layers-admin")
        assert _bounds(admin) == before  # not zoomed on three schools
    finally:
        admin.close()

    officer = _signed_in(browser, kinds_server, kinds_db, "officer", areas=(grid["code"],))
    try:
        officer.page.goto(f"{kinds_server}/cases/new?lon={point.x}&lat={point.y}")
        officer.page.select_option("#gm-category-pick", "E0102")
        officer.page.fill("textarea[name=description]", "校门口暴露垃圾")
        with officer.page.expect_navigation():
            officer.page.click("#gm-submit")
        case_id = int(re.search(r"/cases/(\d+)$", officer.page.url).group(1))
        assert officer.page.inner_text("#gm-case-status") == "立案"  # own grid: accepted
        officer.page.click("nav >> text=我的待办")
        officer.page.wait_for_selector(f"a[href$='/cases/{case_id}']")
        officer.shot("layers-officer-mine")
        assert officer.errors == []
    finally:
        officer.close()
    with open_store(f"gpkg://{kinds_db}") as store:
        case = store.case(case_id)
    assert case["grid_code"] == grid["code"] and case["department"]
