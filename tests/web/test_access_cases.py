"""What users met before the access policy was one (issue 22, ../shared/SECURITY.md round
2, findings 4, 5, 6, 13, 16), each as a test: the officer follows a report made outside
their grid; an officer outside a hazard's grid neither inspects it nor reads its page or
photos; staff-written descriptions and reporters stay with the staff; a planner's export
has no personal columns; a planner does not stop another's job; an officer does not
return a case the department holds; a department's grid page lists only its own cases."""

from __future__ import annotations

import csv
import io
from datetime import date, timedelta

import pytest
from PIL import Image

from gridmap.stores import open_store
from tests.accounts import signed_in
from tests.web.conftest import city_copy, spot_in
from web import create_app

EN = {"Accept-Language": "en"}  # an English client (Chinese is the default)


@pytest.fixture(scope="module")
def db(sample_path, tmp_path_factory):
    return city_copy(sample_path, tmp_path_factory, "access")


@pytest.fixture(scope="module")
def app(db):
    return create_app({"DATABASE_URL": db, "TESTING": True})


@pytest.fixture(scope="module")
def spot(db):
    return spot_in(db)


def _as(app, db, role, **kw):
    return signed_in(app.test_client(), db, role, **kw)


def _other_grid(db, grid: str) -> str:
    with open_store(db) as store:
        return next(c for c in store.areas("grid")["code"] if c[:6] != grid[:6])


def test_an_officer_follows_a_case_they_reported_outside_their_grid(app, db, spot):
    grid, lon, lat = spot
    officer = _as(app, db, "officer", areas=(_other_grid(db, grid),))
    r = officer.post("/api/cases", json={"lon": lon, "lat": lat, "category": "E0103"})
    assert r.status_code == 201, r.json
    case = r.json
    assert case["status"] == "reported"  # not their grid: the command centre accepts it
    assert officer.get(f"/api/cases/{case['id']}").status_code == 200
    page = officer.get(f"/cases/{case['id']}", headers={"Accept": "text/html"})
    assert page.status_code == 200
    # Following is not working on it: no step is theirs there.
    assert officer.get(f"/api/cases/{case['id']}").json["actions"] == []
    r = officer.post(f"/api/cases/{case['id']}/actions", json={"action": "accept"})
    assert r.status_code == 403
    # Another officer of that same other grid does not see it.
    stranger = _as(app, db, "officer", areas=(_other_grid(db, grid)[:9],))
    assert stranger.get(f"/api/cases/{case['id']}").status_code == 403


def test_an_officer_cannot_return_a_case_the_department_holds(app, db, spot):
    grid, lon, lat = spot
    officer = _as(app, db, "officer", areas=(grid,))
    dispatcher = _as(app, db, "dispatcher")
    case = officer.post("/api/cases", json={"lon": lon, "lat": lat, "category": "E0103"}).json
    assert case["status"] == "accepted"  # their own grid: accepted at once, by the system
    r = dispatcher.post(f"/api/cases/{case['id']}/actions", json={"action": "dispatch"})
    assert r.status_code == 200, r.json
    r = officer.post(
        f"/api/cases/{case['id']}/actions",
        json={"action": "return", "note": "not done"},
        headers=EN,
    )
    assert r.status_code == 403 and "only a case that is handled" in r.json["message"]
    with open_store(db) as store:
        assert store.case(case["id"])["status"] == "dispatched"  # the clock runs on
        events = store.case_events(case["id"])
    accept = next(e for e in events if e["action"] == "accept")
    assert accept["note"] == "officer's own grid"


def _png() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (60, 40), (0, 90, 0)).save(out, "PNG")
    return out.getvalue()


def test_an_officer_outside_a_hazards_grid_neither_inspects_nor_reads_it(app, db):
    with open_store(db) as store:
        hazard = store.hazard(int(store.hazards()["id"].iloc[0]))
    grid = hazard["grid_code"]
    inside = _as(app, db, "officer", areas=(grid,))
    outside = _as(app, db, "officer", areas=(_other_grid(db, grid),))
    day = (date.today() - timedelta(days=1)).isoformat()
    form = {"day": day, "result": "pending", "note": "checked"}
    before = hazard["next_inspection"]

    r = outside.post(f"/hazards/{hazard['id']}/inspect", data=form)
    assert r.status_code == 403, r.get_data(as_text=True)[:300]
    with open_store(db) as store:
        assert store.hazard(hazard["id"])["next_inspection"] == before  # nothing changed
    assert outside.get(f"/hazards/{hazard['id']}").status_code == 403

    photo = {**form, "photos": (io.BytesIO(_png()), "valve.png")}
    r = inside.post(f"/hazards/{hazard['id']}/inspect", data=photo)
    assert r.status_code == 302, r.get_data(as_text=True)[:300]
    assert inside.get(f"/hazards/{hazard['id']}").status_code == 200
    with open_store(db) as store:
        photo_id = store._run(  # the photo just stored with the inspection
            "SELECT max(id) FROM photos WHERE hazard_id = :h", {"h": hazard["id"]}
        ).scalar()
    assert photo_id is not None
    assert inside.get(f"/photos/{photo_id}").status_code == 200
    assert outside.get(f"/photos/{photo_id}").status_code == 403
    assert _as(app, db, "dispatcher").get(f"/photos/{photo_id}").status_code == 200


def test_a_callers_name_typed_by_a_dispatcher_stays_with_the_staff(app, db, spot):
    grid, lon, lat = spot
    dispatcher = _as(app, db, "dispatcher")
    secret = "来电人张先生 13900000000"
    case = dispatcher.post(
        "/api/cases",
        json={"lon": lon, "lat": lat, "category": "E0103", "description": secret,
              "reporter": "张先生 13900000000"},
    ).json  # fmt: skip
    assert case["reporter"].startswith("张先生")
    anonymous, viewer = app.test_client(), _as(app, db, "viewer")
    planner, leader = _as(app, db, "planner"), _as(app, db, "leader")
    for client in (anonymous, viewer, planner, leader):
        one = client.get(f"/api/incidents/{case['id']}").get_json()
        assert one["description"] == "" and "reporter" not in one
        item = client.get(f"/ogc/collections/incidents/items/{case['id']}").get_json()
        assert item["properties"]["description"] == ""
        assert "reporter" not in item["properties"]
        assert secret not in client.get("/api/incidents?limit=50000").get_data(as_text=True)
        body = client.get("/ogc/collections/incidents/items?limit=10000").get_data(as_text=True)
        assert secret not in body and "13900000000" not in body
    # The staff read it.
    assert dispatcher.get(f"/api/incidents/{case['id']}").get_json()["description"] == secret
    officer = _as(app, db, "officer", areas=(grid,))
    item = officer.get(f"/ogc/collections/incidents/items/{case['id']}").get_json()
    assert item["properties"]["description"] == secret
    assert item["properties"]["reporter"].startswith("张先生")


def test_a_planners_export_has_no_personal_columns(app, db, spot):
    grid, lon, lat = spot
    dispatcher = _as(app, db, "dispatcher")
    dispatcher.post(
        "/api/cases",
        json={"lon": lon, "lat": lat, "category": "E0103", "description": "李女士 13800000000",
              "reporter": "李女士 13800000000"},
    )  # fmt: skip
    planner = _as(app, db, "planner")
    for fmt in ("csv", "geojson"):
        r = planner.get(f"/data/export/incidents.{fmt}")
        assert r.status_code == 200
        body = r.get_data(as_text=True)
        assert "13800000000" not in body and "李女士" not in body
    rows = list(
        csv.DictReader(
            io.StringIO(planner.get("/data/export/incidents.csv").data.decode("utf-8-sig"))
        )
    )
    assert "reporter" not in rows[0]
    everything = dispatcher.get("/data/export/incidents.csv").get_data(as_text=True)
    assert "reporter" in everything.splitlines()[0] and "13800000000" in everything


def test_a_planner_cannot_stop_another_planners_job(app, db):
    from web.jobs import worker

    with open_store(db) as store:
        store.add_job("accessjob001", "someone else", "auto_plan", {}, worker())
    planner = _as(app, db, "planner")
    assert planner.get("/api/jobs/accessjob001").status_code == 403
    r = planner.delete("/api/jobs/accessjob001")
    assert r.status_code == 403 and "only its owner" in r.json["message"]
    with open_store(db) as store:
        assert not store.job("accessjob001")["stop"]
        store.add_job("accessjob002", "planner", "auto_plan", {}, worker())
    assert planner.get("/api/jobs/accessjob002").status_code == 200
    assert planner.delete("/api/jobs/accessjob002").status_code == 202  # its owner
    assert _as(app, db, "admin").delete("/api/jobs/accessjob001").status_code == 202
    with open_store(db) as store:
        assert store.job("accessjob001")["stop"] and store.job("accessjob002")["stop"]


def test_a_department_lists_on_a_grid_page_only_the_cases_it_may_open(app, db, spot):
    grid, _, _ = spot
    police = _as(app, db, "department", department="police")
    page = police.get(f"/grid/{grid}", headers={"Accept": "text/html"})
    assert page.status_code == 200
    with open_store(db) as store:
        cases = store.cases(grids=[grid], limit=10_000)
    for case in cases:
        shown = f'data-id="{case["id"]}"' in page.get_data(as_text=True)
        opens = police.get(f"/api/cases/{case['id']}").status_code == 200
        assert opens == (case["department"] == "police")
        assert not shown or opens, case["id"]
