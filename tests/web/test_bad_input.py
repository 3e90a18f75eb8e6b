"""The inputs a probe found answering 500, and the publish inputs it found doing the wrong
thing (docs/security.md): each now answers a clear 400 or 404 naming what was wrong (or,
for a day at the end of the calendar, the answer it means)."""

from __future__ import annotations

import io
import json
import sqlite3
import struct
import zlib

import pytest

from gridmap.stores import open_store
from gridmap.stores.geopackage import register_functions
from tests.accounts import english, logged_in
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
    # English: this module reads the messages as English says them (Chinese: the default).
    return english(logged_in(app.test_client(), f"gpkg://{city}", "admin", "planner"))


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
    assert r.status_code == 400 and f"CRS {crs!r} is not known" in page.replace("&#39;", "'")


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
    # who published (the client reads English): the user, the action named, its target
    assert '<td>admin-planner</td><td>Plan published</td><td class="gm-code">2012</td>' in page


def test_an_area_name_cannot_end_the_pages_script(client, city):
    with sqlite3.connect(city) as conn:
        register_functions(conn)  # the R-tree triggers call them on any update
        code = conn.execute("SELECT code FROM area_grid ORDER BY code LIMIT 1").fetchone()[0]
        conn.execute("UPDATE area_grid SET name = '<!--<script>' WHERE code = ?", (code,))
    page = client.get(f"/grid/{code}").get_data(as_text=True)
    assert "<!--<script>" not in page
    assert "\\u003c!--\\u003cscript\\u003e" in page


# -- the inputs of docs/security.md, round 2, finding 10 (and round 1's that remain) -------


def png_header(width: int, height: int) -> bytes:
    """A PNG of a few bytes whose header claims ``width`` × ``height`` pixels."""
    ihdr = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)

    def chunk(kind: bytes, data: bytes) -> bytes:
        return (
            struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))
        )

    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IEND", b"")


def bmp_header(width: int, height: int) -> bytes:
    """A BMP of a few bytes whose header claims ``width`` × ``height`` pixels."""
    info = struct.pack("<IiiHHIIiiII", 40, width, height, 1, 24, 0, 0, 0, 0, 0, 0)
    return b"BM" + struct.pack("<IHHI", 70, 0, 0, 54) + info + b"\0" * 16


@pytest.fixture(scope="module")
def probed(sample_path, tmp_path_factory):
    """One city for the inputs below: each is refused, so none changes it.  Its app, its
    URL, an anonymous client, a dispatcher (token), an admin and planner (session), a
    case, a hazard and a point in the city."""
    from tests.accounts import english, signed_in
    from tests.web.conftest import city_copy, spot_in

    url = city_copy(sample_path, tmp_path_factory, "probed")
    app = create_app({"DATABASE_URL": url, "TESTING": True})
    dispatcher = english(signed_in(app.test_client(), url, "dispatcher"))
    admin = english(logged_in(app.test_client(), url, "admin", "planner"))
    _, lon, lat = spot_in(url)
    made = dispatcher.post("/api/cases", json={"lon": lon, "lat": lat, "category": "E0101"})
    assert made.status_code == 201, made.get_json()
    with open_store(url) as store:
        hazard = int(store.hazards()["id"].iloc[0])
    return {
        "app": app,
        "url": url,
        "anonymous": english(app.test_client()),
        "dispatcher": dispatcher,
        "admin": admin,
        "case": made.get_json()["id"],
        "hazard": hazard,
        "lon": lon,
        "lat": lat,
    }


def _multipart(**fields) -> dict:
    return {"data": fields, "content_type": "multipart/form-data"}


DEEP = "[" * 5000 + "]" * 5000
DEEP_OBJECT = '{"a": ' * 5000 + "1" + "}" * 5000


def _probes(p: dict) -> dict:
    """name: (who, method, url, request arguments, status, the parameter named)."""
    case, point = p["case"], {"lon": p["lon"], "lat": p["lat"], "category": "E0101"}

    def photo(raw: bytes, name: str) -> dict:
        return _multipart(**point, photos=(io.BytesIO(raw), name))

    def plan_file(raw: bytes) -> dict:
        return _multipart(name="p", file=(io.BytesIO(raw), "plan.geojson"))

    actions = f"/api/cases/{case}/actions"
    return {
        "mapit-superscript-id": ("anonymous", "get", "/area/00¹", {}, 400, None),
        "ogc-superscript-feature": (
            "anonymous",
            "get",
            "/ogc/collections/incidents/items/¹",
            {},
            404,
            None,
        ),
        "open311-superscript-id": (
            "anonymous",
            "get",
            "/open311/v2/requests.json?service_request_id=¹",
            {},
            400,
            None,
        ),
        "case-photo-png-bomb": (
            "dispatcher",
            "post",
            "/cases/new",
            photo(png_header(20000, 20000), "a.png"),
            400,
            "photos",
        ),
        "case-photo-bmp-bomb": (
            "dispatcher",
            "post",
            "/cases/new",
            photo(bmp_header(20000, 20000), "a.bmp"),
            400,
            "photos",
        ),
        "api-case-photo-png-bomb": (
            "dispatcher",
            "post",
            "/api/cases",
            photo(png_header(20000, 20000), "a.png"),
            400,
            "photos",
        ),
        "inspection-photo-png-bomb": (
            "dispatcher",
            "post",
            f"/hazards/{p['hazard']}/inspect",
            _multipart(
                day="2026-11-01",
                result="pending",
                photos=(io.BytesIO(png_header(20000, 20000)), "a.png"),
            ),
            400,
            "photos",
        ),
        "inspection-photo-bmp-bomb": (
            "dispatcher",
            "post",
            f"/hazards/{p['hazard']}/inspect",
            _multipart(
                day="2026-11-01",
                result="pending",
                photos=(io.BytesIO(bmp_header(20000, 20000)), "a.bmp"),
            ),
            400,
            "photos",
        ),
        "report-nested-5000": (
            "dispatcher",
            "post",
            "/api/cases",
            {"data": DEEP, "content_type": "application/json"},
            400,
            "body",
        ),
        "report-object-nested-5000": (
            "dispatcher",
            "post",
            "/api/cases",
            {"data": DEEP_OBJECT, "content_type": "application/json"},
            400,
            "body",
        ),
        "action-nested-5000": (
            "dispatcher",
            "post",
            actions,
            {"data": DEEP, "content_type": "application/json"},
            400,
            "body",
        ),
        "department-a-list": (
            "dispatcher",
            "post",
            actions,
            {"json": {"action": "dispatch", "department": ["city"]}},
            400,
            "department",
        ),
        "department-an-object": (
            "dispatcher",
            "post",
            actions,
            {"json": {"action": "dispatch", "department": {"a": 1}}},
            400,
            "department",
        ),
        "rating-a-list": (
            "dispatcher",
            "post",
            actions,
            {"json": {"action": "close", "rating": ["satisfied"]}},
            400,
            "rating",
        ),
        "description-lone-surrogate": (
            "dispatcher",
            "post",
            "/api/cases",
            {
                "data": json.dumps({**point, "description": "?"}).replace("?", "a\\ud800b"),
                "content_type": "application/json",
            },
            400,
            "description",
        ),
        "description-nul": (
            "dispatcher",
            "post",
            "/api/cases",
            {"json": {**point, "description": "a\x00b"}},
            400,
            "description",
        ),
        "hazard-superscript-get": ("dispatcher", "get", "/cases/new?hazard=¹", {}, 400, "hazard"),
        "hazard-superscript-post": (
            "dispatcher",
            "post",
            "/cases/new",
            {"data": {**point, "hazard": "¹"}},
            400,
            "hazard",
        ),
        "compare-with-superscript": (
            "admin",
            "get",
            "/api/plans/1/compare?with=¹",
            {},
            400,
            "with",
        ),
        "compare-page-with-superscript": (
            "admin",
            "get",
            "/plans/1/compare?with=¹",
            {},
            400,
            "with",
        ),
        "plan-file-without-features": (
            "admin",
            "post",
            "/api/plans",
            plan_file(b'{"type":"FeatureCollection"}'),
            400,
            "file",
        ),
        "plan-file-feature-a-number": (
            "admin",
            "post",
            "/api/plans",
            plan_file(b'{"type":"FeatureCollection","features":[1]}'),
            400,
            "file",
        ),
        "route-position-huge": (
            "admin",
            "post",
            "/admin/routes",
            {"data": {"position": "9" * 23, "category": "E01", "department": "city"}},
            400,
            "position",
        ),
        "huge-case-id": ("dispatcher", "get", "/api/cases/" + "9" * 23, {}, 404, None),
        "huge-hazard-id": ("dispatcher", "get", "/hazards/" + "9" * 23, {}, 404, None),
        "huge-open311-id": (
            "anonymous",
            "get",
            "/open311/v2/requests/" + "9" * 23 + ".json",
            {},
            404,
            None,
        ),
    }


PROBES = list(_probes({"case": 0, "hazard": 0, "lon": 0, "lat": 0}))


@pytest.mark.parametrize("name", PROBES)
def test_what_answered_500_is_refused_naming_the_parameter(probed, name):
    who, method, url, kwargs, status, parameter = _probes(probed)[name]
    with open_store(probed["url"]) as store:
        before = store.count_incidents()
    r = getattr(probed[who], method)(url, **kwargs)
    assert r.status_code == status, r.get_data(as_text=True)[:300]
    body = r.get_json()
    if parameter is not None:
        # A file is named by its name (and a plan file's feature by its number).
        named = {"photos": "photo a.", "file": "plan.geojson"}.get(parameter, parameter)
        assert body["parameter"] == parameter and named in body["message"], body
        assert body["error"] == "BadRequest"
    with open_store(probed["url"]) as store:
        assert store.count_incidents() == before


@pytest.mark.parametrize(
    "url",
    [
        "/ogc/collections/incidents/items?datetime=../9999-12-31T23:59:59-12:00",
        "/ogc/collections/incidents/items?datetime=0001-01-01T00:00:00%2B14:00/..",
        "/open311/v2/requests.json?start_date=0001-01-01T00:00:00",
        "/open311/v2/requests.json?end_date=9999-12-31T23:59:59-12:00",
    ],
)
def test_moments_at_the_ends_of_the_calendar_mean_no_bound(probed, url):
    """A year outside 1900-2200 is clamped to that range (it overflowed once shifted to
    UTC): as a bound of a filter it keeps nothing out."""
    everything = url.split("?")[0] + ("?limit=1" if "ogc" in url else "?start_date=1900-01-01")
    r = probed["anonymous"].get(url + ("&limit=1" if "ogc" in url else ""))
    assert r.status_code == 200, r.get_data(as_text=True)
    whole = probed["anonymous"].get(everything)
    if "ogc" in url:
        assert r.get_json()["numberMatched"] == whole.get_json()["numberMatched"]
    else:
        assert len(r.get_json()) == len(whole.get_json())
