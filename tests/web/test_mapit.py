"""MapIt-compatible answers: the point and area JSON a MapIt client reads, ids that
round-trip from a point answer to /area, and MapIt's error shape."""

from __future__ import annotations

# The keys of MapIt's Area.as_dict (mapit/models.py): what its clients read.
MAPIT_KEYS = {
    "id",
    "name",
    "parent_area",
    "type",
    "type_name",
    "country",
    "country_name",
    "generation_low",
    "generation_high",
    "codes",
    "all_names",
}


def test_point_answers_every_covering_area_keyed_by_id(anonymous):
    body = anonymous.get("/point/4326/125.10,46.59").get_json()
    lookup = anonymous.get("/api/lookup?lon=125.10&lat=46.59").get_json()
    expected = {**lookup["areas"], **lookup["zones"]}
    assert {a["type"]: a["codes"]["gridmap"] for a in body.values()} == {
        layer: e["code"] for layer, e in expected.items()
    }
    for key, area in body.items():
        assert set(area) == MAPIT_KEYS and key == str(area["id"]) and type(area["id"]) is int
    by_type = {a["type"]: a for a in body.values()}
    assert by_type["grid"]["parent_area"] == by_type["neighborhood"]["id"]
    assert by_type["neighborhood"]["parent_area"] == by_type["street"]["id"]
    assert by_type["district"]["parent_area"] is None


def test_area_ids_round_trip(anonymous):
    body = anonymous.get("/point/4326/125.10,46.59").get_json()
    for key, area in body.items():
        assert anonymous.get(f"/area/{key}").get_json() == area
        assert anonymous.get(f"/area/{key}.json").get_json() == area


def test_type_filter_and_a_point_outside_the_city(anonymous):
    body = anonymous.get("/point/4326/125.10,46.59?type=grid,street").get_json()
    assert sorted(a["type"] for a in body.values()) == ["grid", "street"]
    assert anonymous.get("/point/4326/10.0,10.0").get_json() == {}


def test_bad_input_answers_in_mapits_error_shape(anonymous):
    for url, status, words in [
        ("/point/4326/abc", 400, "expected lon,lat"),
        ("/point/4326/125.1,nan", 400, "from -180 to 180, -90 to 90"),
        ("/point/4326/200,1", 400, "from -180 to 180, -90 to 90"),
        ("/point/27700/1,2", 400, "only 4326"),
        ("/area/abc", 400, "whole number"),
        ("/area/5", 404, "no area"),
        ("/area/99999999999999999999", 404, "no area"),
        # MapIt: a generation that is none is a bad request, not a missing area
        ("/point/4326/125.10,46.59?generation=9999", 400, "unknown generation '9999'"),
        ("/point/4326/125.10,46.59?generation=nonesuch", 400, "unknown generation"),
        ("/point/4326/125.10,46.59?date=1900-01-01", 400, "1900-01-01"),
    ]:
        r = anonymous.get(url, headers={"Accept-Language": "en"})  # the words in English
        body = r.get_json()
        assert r.status_code == status and body["code"] == status, url
        assert words in body["error"], url


def test_any_site_may_read_and_caches_may_keep_answers(anonymous, client):
    """As MapIt serves them: CORS for every page, a few minutes in any cache (a signed-in
    caller's only in its own: a staged generation may be theirs alone), errors in none."""
    for url in ("/point/4326/125.10,46.59", "/point/4326/125.10,46.59.json"):
        r = anonymous.get(url, headers={"Origin": "https://maps.example.org"})
        assert r.status_code == 200 and r.headers["Access-Control-Allow-Origin"] == "*"
        assert r.headers["Cache-Control"] == "public, max-age=300"
        assert {"Authorization", "Cookie"} <= set(r.vary)
    area_id = next(iter(r.get_json()))
    r = anonymous.get(f"/area/{area_id}")
    assert r.headers["Cache-Control"] == "public, max-age=300"
    assert r.headers["Access-Control-Allow-Origin"] == "*"
    signed = client.get("/point/4326/125.10,46.59")
    assert signed.headers["Cache-Control"] == "private, max-age=300"
    for url in ("/area/5", "/point/4326/abc", "/point/4326/125.10,46.59?generation=9999"):
        r = anonymous.get(url)
        assert r.status_code >= 400 and r.headers["Cache-Control"] == "no-store", url
        assert r.headers["Access-Control-Allow-Origin"] == "*"
