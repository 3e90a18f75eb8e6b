"""The planner's JSON API: plans from assignments, automatic runs as jobs, edits,
comparisons, publishing; bad requests get a 400 naming the field."""

from __future__ import annotations

import time

import pytest

from gridmap.stores.gpkg import GeoPackageStore
from tests.accounts import english, logged_in
from tests.conftest import copy_city
from web import create_app


@pytest.fixture()
def planner(sample_path, tmp_path):
    copy_city(sample_path, tmp_path / "city.gpkg")
    url = f"gpkg://{tmp_path / 'city.gpkg'}"
    app = create_app({"DATABASE_URL": url, "TESTING": True})
    client = english(logged_in(app.test_client(), url, "planner", "admin"))  # English messages
    return client, tmp_path / "city.gpkg"


def _streets(path) -> dict[str, str]:
    """Today's streets as a plan: each neighborhood in its street's area."""
    with GeoPackageStore(path) as store:
        frame = store.areas("neighborhood")
    return dict(zip(frame["code"], frame["parent_code"], strict=True))


def _wait(client, job_id, seconds=60, until=("done", "stopped", "failed", "interrupted")):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        job = client.get(f"/api/jobs/{job_id}").get_json()
        if job["state"] in until:
            return job
        time.sleep(0.2)
    raise AssertionError(f"job {job_id} is still {job['state']}")


def test_create_show_and_list(planner):
    client, path = planner
    r = client.post(
        "/api/plans", json={"name": "streets", "assignment": _streets(path), "split_into": "none"}
    )
    assert r.status_code == 201, r.get_json()
    body = r.get_json()
    assert body["districts"] == 29
    # Every rule is listed; one without its bound passes, saying so.
    assert {x["rule"]: x["passes"] for x in body["rules"]} == {
        "contiguous": True,
        "population": True,
        "nested": True,
        "districts": True,
    }
    shown = client.get(f"/api/plans/{body['id']}?k=30").get_json()
    assert shown["assignment"] == _streets(path)
    assert shown["spec"]["split_into"] is None
    verdict = {x["rule"]: x for x in shown["rules"]}["districts"]
    assert verdict == {
        "rule": "districts",
        "passes": False,
        "reason": "the plan has 29 districts; expected 30",
        # what a page says in its language: the code and its values
        "said": {"code": "rule.districts", "values": {"count": 29, "k": 30}},
    }
    assert [p["name"] for p in client.get("/api/plans").get_json()["plans"]] == ["streets"]


def test_bad_requests_name_the_field(planner):
    client, path = planner
    assignment = _streets(path)
    r = client.post("/api/plans", json={"assignment": assignment})
    assert r.status_code == 400 and r.get_json()["parameter"] == "name"
    bad = dict(assignment, **{"230699999999": "x"})
    r = client.post("/api/plans", json={"name": "x", "assignment": bad, "split_into": "none"})
    assert r.status_code == 400
    assert r.get_json()["message"] == (
        "assignment unit '230699999999': unit 230699999999 is not a neighborhood of generation 1"
    )
    missing = dict(list(assignment.items())[1:])
    r = client.post("/api/plans", json={"name": "x", "assignment": missing, "split_into": "none"})
    assert r.status_code == 400 and "is in no district" in r.get_json()["message"]
    r = client.post("/api/plans/auto", json={"k": "seventy"})
    assert r.status_code == 400 and r.get_json()["parameter"] == "k"
    assert client.get("/api/plans/999").status_code == 404
    assert client.get("/api/jobs/nope").status_code == 404


def test_reassign_a_grid_splits_its_neighborhood(planner):
    client, path = planner
    plan_id = client.post(
        "/api/plans", json={"name": "streets", "assignment": _streets(path)}
    ).get_json()["id"]
    with GeoPackageStore(path) as store:
        grids = store.areas("grid")
    grid = grids.iloc[0]
    neighborhood = grid["parent_code"]
    r = client.post(f"/api/plans/{plan_id}/reassign", json={"changes": {grid["code"]: "new"}})
    assert r.status_code == 200, r.get_json()
    body = r.get_json()
    assert body["districts"] == 30
    assert body["groups_split"] == 1
    assignment = client.get(f"/api/plans/{plan_id}").get_json()["assignment"]
    assert assignment[grid["code"]] == "new"
    assert neighborhood not in assignment  # now listed grid by grid
    siblings = grids[grids["parent_code"] == neighborhood]["code"]
    assert {assignment[c] for c in siblings if c != grid["code"]} == {neighborhood[:9]}


def test_auto_job_then_compare_and_publish(planner):
    client, path = planner
    r = client.post(
        "/api/plans/auto", json={"name": "auto", "k": 70, "min": 20000, "max": 40000, "steps": 3000}
    )
    assert r.status_code == 202
    job = _wait(client, r.get_json()["id"])
    assert job["state"] == "done", job
    assert any("max deviation" in m for m in job["messages"])
    # Anytime: the job said when the first plan within every rule existed.
    assert any("first plan within every rule" in m for m in job["messages"]), job["messages"]
    plan_id = job["plan_id"]
    shown = client.get(f"/api/plans/{plan_id}?k=70&min=20000&max=40000").get_json()
    assert all(x["passes"] for x in shown["rules"]), shown["rules"]
    diff = client.get(f"/api/plans/{plan_id}/compare").get_json()
    assert diff["residents_moved"] > 0 and diff["crosswalk"]
    r = client.post(f"/api/plans/{plan_id}/publish", json={"name": "2012", "activate": True})
    assert r.status_code == 201, r.get_json()
    assert r.get_json()["generation"] == {"id": 2, "name": "2012", "active": True}
    answer = client.get("/api/lookup?lon=125.10&lat=46.59").get_json()
    assert "community" in answer["areas"]
    old = client.get("/api/lookup?lon=125.10&lat=46.59&generation=2011").get_json()
    assert "neighborhood" in old["areas"]


def test_a_stopped_job_keeps_the_best_plan_so_far(planner):
    client, _ = planner
    # Steps that do not end the search: it runs until it settles, or is stopped.
    r = client.post("/api/plans/auto", json={"k": 70, "min": 20000, "max": 40000, "steps": 10**6})
    job_id = r.get_json()["id"]
    _wait(client, job_id, until=("running",))
    assert client.delete(f"/api/jobs/{job_id}").status_code == 202
    job = _wait(client, job_id, 30)
    assert job["state"] == "stopped"
    assert job["seconds"] < 60
    shown = client.get(f"/api/plans/{job['plan_id']}").get_json()
    assert shown["districts"] == 70
    assert {x["rule"]: x["passes"] for x in shown["rules"]}["contiguous"]


def test_create_from_an_uploaded_plan_file(planner):
    import io

    client, path = planner
    rows = "unit,district\n" + "".join(f"{u},{d}\n" for u, d in _streets(path).items())
    r = client.post(
        "/api/plans",
        data={
            "name": "from QGIS",
            "split_into": "none",
            "file": (io.BytesIO(rows.encode()), "streets.csv"),
        },
        content_type="multipart/form-data",
    )
    assert r.status_code == 201, r.get_json()
    assert r.get_json()["districts"] == 29
    bad = rows.replace(next(iter(_streets(path))), "230699999999", 1)
    r = client.post(
        "/api/plans",
        data={"name": "x", "split_into": "none", "file": (io.BytesIO(bad.encode()), "bad.csv")},
        content_type="multipart/form-data",
    )
    assert r.status_code == 400
    assert r.get_json()["message"].startswith("bad.csv row 1: unit 230699999999 is not a")


def test_an_infeasible_automatic_plan_is_422_with_the_reasons_before_any_job(planner):
    client, _ = planner
    r = client.post(
        "/api/plans/auto", json={"name": "x", "k": 5000, "split_into": "none", "seconds": 600}
    )
    assert r.status_code == 422
    body = r.get_json()
    assert body["error"] == "Infeasible"
    reasons = {x["check"]: x for x in body["reasons"]}
    assert reasons["k"]["message"] == (
        "5000 districts from 200 units: each district needs at least one unit"
    )
    assert reasons["k"]["units"] == 200
    assert client.get("/api/plans").get_json()["plans"] == []


def test_plans_on_any_layer_through_the_api_parent_none(planner):
    client, path = planner
    r = client.post(
        "/api/plans",
        json={
            "name": "one city",
            "assignment": _streets(path),
            "split_into": "none",
            "parent": "none",
        },
    )
    assert r.status_code == 201, r.get_json()
    body = r.get_json()
    assert {x["rule"]: x["reason"] for x in body["rules"]}["nested"] == (
        "no parent layer (--parent none): nothing to lie inside"
    )
    shown = client.get(f"/api/plans/{body['id']}").get_json()
    assert shown["spec"]["parent"] is None and shown["spec"]["split_into"] is None
    bad = client.post("/api/plans/auto", json={"k": 3, "parent": "neighborhood"})
    assert bad.status_code == 400
    assert "cannot lie inside one" in bad.get_json()["message"]


def test_painting_answers_what_changed_and_refuses_a_stale_version(planner):
    client, path = planner
    made = client.post(
        "/api/plans", json={"name": "today", "from_layer": "street", "k": 29}
    ).get_json()
    assert made["districts"] == 29
    plan_id = made["id"]
    units = client.get(f"/api/plans/{plan_id}/units").get_json()
    assert units["plan"]["bounds"] == {"k": 29, "min": None, "max": None, "epsilon": None}
    assert units["plan"]["author"] == "web:" + client.get("/api/me").get_json()["name"]
    first = units["features"][0]["properties"]
    grids = [
        f["properties"] for f in units["features"] if f["properties"]["group"] == first["group"]
    ]
    other = next(
        f["properties"]["district"]
        for f in units["features"]
        if f["properties"]["district"] != first["district"]
    )
    r = client.post(
        f"/api/plans/{plan_id}/reassign",
        json={"changes": {first["group"]: other}, "version": units["version"]},
    )
    assert r.status_code == 200, r.get_json()
    body = r.get_json()
    assert body["changed"] == {g["code"]: other for g in grids}
    assert set(body["per_district"]) == {first["district"], other}
    moved = sum(g["population"] for g in grids)
    before = units["per_district"]
    assert body["per_district"][other]["population"] == before[other]["population"] + moved
    # The answer agrees with the plan rebuilt from the store.
    shown = client.get(f"/api/plans/{plan_id}?k=29").get_json()
    assert shown["max_deviation"] == pytest.approx(body["max_deviation"])
    assert shown["cut_edges"] == body["cut_edges"]
    assert [x["passes"] for x in shown["rules"]] == [x["passes"] for x in body["rules"]]
    # Painting from the old version: someone else changed the plan since.
    stale = client.post(
        f"/api/plans/{plan_id}/reassign",
        json={"changes": {first["group"]: first["district"]}, "version": units["version"]},
    )
    assert stale.status_code == 409 and "reload" in stale.get_json()["message"]
    assert client.get(f"/api/plans/{plan_id}").get_json()["assignment"] == shown["assignment"]
    # Bad moves name the field and change nothing.
    for changes, field in (({"nope": "x"}, "unit"), ({first["code"]: ""}, "district")):
        r = client.post(f"/api/plans/{plan_id}/reassign", json={"changes": changes})
        assert r.status_code == 400 and r.get_json()["parameter"] == field
    assert client.get(f"/api/plans/{plan_id}").get_json()["assignment"] == shown["assignment"]


def test_plans_pages(planner):
    client, path = planner
    plan_id = client.post(
        "/api/plans", json={"name": "今天的街道", "from_layer": "street"}
    ).get_json()["id"]
    page = client.get("/plans")
    assert page.status_code == 200
    text = page.get_data(as_text=True)
    assert "今天的街道" in text and f'data-plan="{plan_id}"' in text
    assert client.get(f"/plans/{plan_id}").status_code == 200
    assert client.get("/plans/999").status_code == 404
    for layer in ("neighborhood", "nope", 5):
        r = client.post("/api/plans", json={"name": "x", "from_layer": layer})
        assert r.status_code == 400 and r.get_json()["parameter"] == "from_layer"
