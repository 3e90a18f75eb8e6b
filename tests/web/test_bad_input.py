"""The inputs a probe found answering 500, and the publish inputs it found doing the wrong
thing (docs/security.md): each now answers a clear 400 or 404 naming what was wrong (or,
for a day at the end of the calendar, the answer it means)."""

from __future__ import annotations

import io
import sqlite3

import pytest

from gridmap.stores.geopackage import register_functions
from tests.accounts import logged_in
from tests.conftest import copy_city
from web import create_app


@pytest.fixture()
def city(sample_path, tmp_path):
    db = tmp_path / "city.gpkg"
    copy_city(sample_path, db)
    return db


@pytest.fixture()
def client(city, tmp_path):
    app = create_app(
        {"DATABASE_URL": f"gpkg://{city}", "TESTING": True, "UPLOAD_DIR": str(tmp_path / "up")}
    )
    return logged_in(app.test_client(), f"gpkg://{city}", "admin", "planner")


def test_days_at_the_ends_of_the_calendar_mean_no_bound(client):
    every = client.get("/api/incidents?limit=1").get_json()["total"]
    for query in ("until=9999-12-31", "since=0001-01-01"):
        r = client.get(f"/api/incidents?limit=1&{query}")
        assert r.status_code == 200 and r.get_json()["total"] == every


@pytest.mark.parametrize(
    "url", ["/api/plans/99999999999999999999999999", "/api/incidents/99999999999999999999999"]
)
def test_ids_too_large_for_any_row_are_404(client, url):
    r = client.get(url)
    assert r.status_code == 404 and "no " in r.get_json()["message"]


def test_json_nested_thousands_deep_is_400(client):
    r = client.post("/api/plans", data="[" * 5000 + "]" * 5000, content_type="application/json")
    assert r.status_code == 400
    assert r.get_json()["parameter"] == "body" and "nested too deeply" in r.get_json()["message"]


@pytest.mark.parametrize("crs", ["EPSG:999999", "+proj=garbage"])
def test_an_unknown_crs_is_named(client, crs):
    square = (
        b'{"type": "FeatureCollection", "features": [{"type": "Feature", "properties":'
        b' {"code": "Z1"}, "geometry": {"type": "Polygon", "coordinates": [[[125, 46.5],'
        b" [125.1, 46.5], [125.1, 46.6], [125, 46.6], [125, 46.5]]]}}]}"
    )
    r = client.post(
        "/data/check",
        data={"kind": "layer", "layer": "w", "crs": crs, "file": (io.BytesIO(square), "z.geojson")},
        content_type="multipart/form-data",
    )
    page = r.get_data(as_text=True)
    assert r.status_code == 200 and f"CRS {crs!r} is not known" in page.replace("&#39;", "'")


@pytest.fixture()
def plan_id(client, city):
    with sqlite3.connect(city) as conn:
        codes = [r[0] for r in conn.execute("SELECT code FROM area_neighborhood")]
    r = client.post(
        "/api/plans",
        json={"name": "five", "assignment": {c: c[:6] for c in codes}, "split_into": "none"},
    )
    assert r.status_code == 201, r.get_json()
    return r.get_json()["id"]


@pytest.mark.parametrize(
    ("body", "parameter", "message"),
    [
        ({"name": "x", "activate": "false"}, "activate", "expected true or false"),
        ({"name": "x", "layer": "grid"}, "layer", "finer than the units"),
        ({"name": "x", "layer": "district"}, "layer", "not below"),
        ({"name": "x", "layer": "police"}, "layer", "a zone layer"),
        ({"name": "x", "effective": "soon"}, "effective", "expected a date YYYY-MM-DD"),
    ],
)
def test_publish_input_is_checked_before_anything_is_written(
    client, plan_id, body, parameter, message
):
    before = client.get("/api/layers").get_json()
    r = client.post(f"/api/plans/{plan_id}/publish", json=body)
    assert r.status_code == 400, r.get_json()
    assert r.get_json()["parameter"] == parameter and message in r.get_json()["message"]
    assert client.get("/api/layers").get_json() == before


def test_publish_with_an_effective_day(client, plan_id):
    r = client.post(
        f"/api/plans/{plan_id}/publish",
        json={"name": "2012", "activate": True, "effective": "2012-09-20"},
    )
    assert r.status_code == 201, r.get_json()
    old = client.get("/api/lookup?lon=125.1&lat=46.59&date=2012-09-19").get_json()
    new = client.get("/api/lookup?lon=125.1&lat=46.59&date=2012-09-20").get_json()
    assert old["generation"]["name"] == "2011" and new["generation"]["name"] == "2012"
    assert new["generation"]["effective_from"] == "2012-09-20"
    assert old["generation"]["effective_to"] == "2012-09-19"
    page = client.get("/admin/audit?what=publish").get_data(as_text=True)
    assert "<td>web:admin-planner</td><td>publish</td><td>2012</td>" in page  # who published


def test_an_area_name_cannot_end_the_pages_script(client, city):
    with sqlite3.connect(city) as conn:
        register_functions(conn)  # the R-tree triggers call them on any update
        code = conn.execute("SELECT code FROM area_grid ORDER BY code LIMIT 1").fetchone()[0]
        conn.execute("UPDATE area_grid SET name = '<!--<script>' WHERE code = ?", (code,))
    page = client.get(f"/grid/{code}").get_data(as_text=True)
    assert "<!--<script>" not in page
    assert "\\u003c!--\\u003cscript\\u003e" in page
