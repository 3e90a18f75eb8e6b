"""The case loop through the API, as each role calls it: report, dispatch, handle, check,
close; who may do what; bad input refused with its reason and nothing changed; photos."""

from __future__ import annotations

import io

import pytest
from PIL import Image

from gridmap.stores import open_store
from tests.accounts import signed_in
from tests.web.conftest import city_copy, spot_in
from web import create_app

EN = {"Accept-Language": "en"}  # an English client (Chinese is the default)


@pytest.fixture(scope="module")
def case_db(sample_path, tmp_path_factory):
    return city_copy(sample_path, tmp_path_factory, "cases")


@pytest.fixture(scope="module")
def case_app(case_db):
    return create_app({"DATABASE_URL": case_db, "TESTING": True})


@pytest.fixture(scope="module")
def spot(case_db):
    return spot_in(case_db)


def _client(app, url, role, **kw):
    return signed_in(app.test_client(), url, role, **kw)


def _png(size=(64, 48), exif=False) -> bytes:
    out = io.BytesIO()
    image = Image.new("RGB", size, (200, 30, 30))
    if exif:
        data = image.getexif()
        data[0x010F] = "PhoneMaker"  # Make
        image.save(out, "JPEG", exif=data)
    else:
        image.save(out, "PNG")
    return out.getvalue()


def test_the_whole_loop_each_role_as_itself(case_app, case_db, spot):
    grid, lon, lat = spot
    officer = _client(case_app, case_db, "officer", areas=(grid,))
    dispatcher = _client(case_app, case_db, "dispatcher")
    city = _client(case_app, case_db, "department", department="city")

    preview = officer.get(f"/api/cases/preview?lon={lon}&lat={lat}&category=E0103").json
    assert preview["department"]["code"] == "city"
    assert preview["lookup"]["areas"]["grid"]["code"] == grid

    r = officer.post("/api/cases", json={"lon": lon, "lat": lat, "category": "E0103"})
    assert r.status_code == 201, r.json
    case = r.json
    # An officer's report in their own grid is accepted at once; routed to city management.
    assert (case["status"], case["department"], case["grid_code"]) == ("accepted", "city", grid)

    def step(client, action, **body):
        r = client.post(f"/api/cases/{case['id']}/actions", json={"action": action, **body})
        assert r.status_code == 200, r.json
        return r.json

    assert step(dispatcher, "dispatch")["due"] is not None
    step(city, "start")
    assert step(city, "report_back", note="cleared away")["on_time"] is True
    step(officer, "verify", note="checked on site")
    assert step(officer, "close")["status"] == "closed"
    assert step(dispatcher, "evaluate", rating="satisfied")["status"] == "evaluated"

    events = dispatcher.get(f"/api/cases/{case['id']}").json["events"]
    assert [(e["action"], e["actor"]) for e in events] == [
        ("report", f"officer@{grid}"),
        ("accept", f"officer@{grid}"),
        ("dispatch", "dispatcher"),
        ("start", "department#city"),
        ("report_back", "department#city"),
        ("verify", f"officer@{grid}"),
        ("close", f"officer@{grid}"),
        ("evaluate", "dispatcher"),
    ]
    with open_store(case_db) as store:  # each step audited as its actor's
        rows = [a for a in store.audit_log(action="case") if a["target"] == str(case["id"])]
    assert sorted(a["action"] for a in rows) == sorted(f"case.{e['action']}" for e in events)


def test_each_role_only_its_steps_on_its_cases(case_app, case_db, spot):
    grid, lon, lat = spot
    dispatcher = _client(case_app, case_db, "dispatcher")
    case = dispatcher.post(
        "/api/cases", json={"lon": lon, "lat": lat, "category": "E0404", "reporter": "市民热线"}
    ).json  # a fire: routed to the fire station of the zone
    assert case["status"] == "reported" and case["department"] == "fire"
    assert case["reporter"] == "市民热线 (via dispatcher)"
    url = f"/api/cases/{case['id']}/actions"
    other_officer = _client(case_app, case_db, "officer", areas=("230699",))
    assert other_officer.get(f"/api/cases/{case['id']}").status_code == 403
    traffic = _client(case_app, case_db, "department", department="traffic")
    assert dispatcher.post(url, json={"action": "accept"}).status_code == 200
    assert dispatcher.post(url, json={"action": "dispatch"}).status_code == 200
    r = traffic.post(url, json={"action": "start"}, headers=EN)
    assert r.status_code == 403 and "not yours" in r.json["message"]
    r = dispatcher.post(url, json={"action": "verify"}, headers=EN)
    assert r.status_code == 400 and "only one that is handled" in r.json["message"]
    r = dispatcher.post(url, json={"action": "park", "note": "waiting for parts"})
    assert r.status_code == 400 and r.json["parameter"] == "review_on"
    r = dispatcher.post(url, json={"action": "dispatch", "expected": "accepted"})
    assert r.status_code == 409


def test_bad_reports_are_refused_and_change_nothing(case_app, case_db, spot):
    grid, lon, lat = spot
    officer = _client(case_app, case_db, "officer", areas=(grid,))
    with open_store(case_db) as store:
        before = store.count_incidents()
    bad = [
        ({"lon": lon, "lat": lat, "category": "E9999"}, "category"),
        ({"lon": 10.0, "lat": 10.0, "category": "E0102"}, "lon"),
        ({"lon": "east", "lat": lat, "category": "E0102"}, "lon"),
        ({"lon": lon, "lat": 95, "category": "E0102"}, "lat"),
        ({"lon": lon, "lat": lat, "category": "E0102", "description": "x" * 4001}, "description"),
    ]
    for body, field in bad:
        r = officer.post("/api/cases", json=body)
        assert r.status_code == 400 and r.json.get("parameter") == field, (body, r.json)
    files = {"lon": str(lon), "lat": str(lat), "category": "E0102"}
    r = officer.post(
        "/api/cases",
        data={**files, "photos": (io.BytesIO(b"GIF89a not a photo"), "a.jpg")},
        headers=EN,
    )
    assert r.status_code == 400 and "not a JPEG or PNG" in r.json["message"]
    six = [(io.BytesIO(_png()), f"{i}.png") for i in range(6)]
    r = officer.post("/api/cases", data={**files, "photos": six}, headers=EN)
    assert r.status_code == 400 and "at most 5" in r.json["message"]
    with open_store(case_db) as store:
        assert store.count_incidents() == before


def test_photos_are_stored_reencoded_with_thumbnails(case_app, case_db, spot):
    grid, lon, lat = spot
    officer = _client(case_app, case_db, "officer", areas=(grid,))
    data = {"lon": str(lon), "lat": str(lat), "category": "E0102", "description": "bins"}
    data["photos"] = [
        (io.BytesIO(_png((1600, 1200), exif=True)), "phone.jpg"),
        (io.BytesIO(_png()), "b.png"),
    ]
    r = officer.post("/api/cases", data=data, content_type="multipart/form-data")
    assert r.status_code == 201, r.json
    events = officer.get(f"/api/cases/{r.json['id']}").json["events"]
    photo_ids = events[0]["photos"]
    assert len(photo_ids) == 2
    full = officer.get(f"/photos/{photo_ids[0]}")
    thumb = officer.get(f"/photos/{photo_ids[0]}?size=thumb")
    assert full.mimetype == "image/jpeg" and thumb.mimetype == "image/jpeg"
    stored = Image.open(io.BytesIO(full.data))
    assert stored.size == (1600, 1200) and not stored.getexif()  # the phone's EXIF is gone
    assert max(Image.open(io.BytesIO(thumb.data)).size) <= 240
    assert officer.get(f"/photos/{photo_ids[1]}").mimetype == "image/png"
    stranger = _client(case_app, case_db, "officer", areas=("230699",))
    assert stranger.get(f"/photos/{photo_ids[0]}").status_code == 403


def test_the_map_filters_by_overdue_and_department(case_app, case_db):
    from gridmap.model import IncidentQuery, utc_text
    from gridmap.services import cases

    dispatcher = _client(case_app, case_db, "dispatcher")
    r = dispatcher.get("/api/incidents?overdue=1&department=city&zoom=22&limit=50000")
    with open_store(case_db) as store:
        expected = store.count_incidents(
            IncidentQuery(department="city", overdue_at=utc_text(cases.now()))
        )
    assert r.status_code == 200 and r.json["total"] == expected > 0
    assert dispatcher.get("/api/incidents?department=nobody").status_code == 400
    assert dispatcher.get("/api/incidents?overdue=maybe").status_code == 400
