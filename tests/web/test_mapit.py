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
    ]:
        r = anonymous.get(url)
        body = r.get_json()
        assert r.status_code == status and body["code"] == status, url
        assert words in body["error"], url
