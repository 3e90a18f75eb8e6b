"""The web app serves the same answers from either store."""

from __future__ import annotations

from tests.accounts import signed_in
from web import create_app


def test_api_answers_from_every_store(city, sample_index):
    app = create_app({"DATABASE_URL": city.url, "TESTING": True})
    client = signed_in(app.test_client(), city.url, "dispatcher")
    body = client.get("/api/lookup?lon=125.10&lat=46.59").get_json()
    expected = sample_index.lookup(125.10, 46.59).record(0)
    assert {k: v["code"] for k, v in body["areas"].items()} == {
        k: v["code"] for k, v in expected["areas"].items()
    }
    assert body["officer"]["name"] == expected["officer"]["name"]
    grids = client.get("/api/layers/grid?bbox=125.08,46.57,125.12,46.61&zoom=14").get_json()
    assert len(grids["features"]) > 5
    closed = client.get("/api/incidents?status=closed&limit=50000").get_json()
    assert closed["total"] == (city.incidents()["status"] == "closed").sum()
    # Unfiltered, the map's clusters come from the positions the app keeps.
    counted = client.get("/api/incidents?zoom=9&limit=1").get_json()
    assert counted["clustered"] and counted["total"] == len(city.incidents())
    assert sum(f["properties"]["count"] for f in counted["features"]) == counted["total"]
    assert client.get("/map").status_code == 200
    code = expected["areas"]["grid"]["code"]
    assert client.get(f"/grid/{code}").status_code == 200


def test_standards_endpoints_answer_from_every_store(city):
    client = create_app({"DATABASE_URL": city.url, "TESTING": True}).test_client()
    areas = client.get("/point/4326/125.10,46.59").get_json()
    grid = next(a for a in areas.values() if a["type"] == "grid")
    assert client.get(f"/area/{grid['id']}").get_json() == grid
    url = "/ogc/collections/incidents/items?limit=5&datetime=2026-01-01T00:00:00Z/.."
    page = client.get(url).get_json()
    assert page["numberReturned"] == 5
    assert all(f["properties"]["reported_at"] >= "2026-01-01" for f in page["features"])
    one = page["features"][0]["id"]
    assert client.get(f"/ogc/collections/incidents/items/{one}").get_json()["id"] == one
    code = grid["codes"]["gridmap"]
    assert client.get(f"/ogc/collections/grid/items/{code}").get_json()["id"] == code
