"""The public page through the test client: a report from the page gets a tracking
number, the track page shows the steps and the department's reply but nobody's name,
the reporter rates it once closed (and only then, and only with its number), and the
statistics count it.  (The same in a real browser: test_public_browser.py.)"""

from __future__ import annotations

import re

import pytest

from gridmap.stores import open_store
from tests.accounts import signed_in
from tests.web.conftest import city_copy, spot_in, take_steps
from web import create_app


@pytest.fixture(scope="module")
def p_db(sample_path, tmp_path_factory):
    return city_copy(sample_path, tmp_path_factory, "public")


@pytest.fixture(scope="module")
def p_app(p_db):
    return create_app({"DATABASE_URL": p_db, "TESTING": True})


@pytest.fixture(scope="module")
def spot(p_db):
    return spot_in(p_db)


def test_report_follow_rate_and_count(p_app, p_db, spot):
    grid, lon, lat = spot
    client = p_app.test_client()
    page = client.get("/public/").get_data(as_text=True)
    assert "市民上报" in page and "vendor/leaflet/leaflet.js" in page
    assert "http://" not in page.split("<main>")[1] and "https://" not in page.split("<main>")[1]
    r = client.post(
        "/public/report", data={"lon": lon, "lat": lat, "category": "E0103", "description": "渣土"}
    )
    assert r.status_code == 201
    number = re.search(r'id="gm-tracking"[^>]*>([A-Z0-9-]+)<', r.get_data(as_text=True)).group(1)
    incident_id = int(re.search(r'id="gm-report-id">(\d+)<', r.get_data(as_text=True)).group(1))
    with open_store(p_db) as store:
        assert store.case(incident_id)["reporter"] == "公众"

    track = client.get(f"/public/track?number={number}").get_data(as_text=True)
    assert "已收到" in track and 'id="gm-rate"' not in track
    assert "采集" not in track  # plain words for citizens, no staff jargon
    # Not yet closed: rating is refused, with the reason.
    r = client.post("/public/rate", data={"number": number, "rating": "satisfied"})
    assert r.status_code == 400 and "closed" in r.get_data(as_text=True)
    take_steps(p_db, incident_id, grid, notes={"report_back": "已清运完毕"})
    track = client.get(f"/public/track?number={number}&lang=en").get_data(as_text=True)
    assert "Resolved" in track and "已清运完毕" in track and 'id="gm-rate"' in track
    for private in ("王五", "officer", "dispatcher", "department#"):
        assert private not in track, private
    # The command centre does not rate a public report for the public (nor is offered to).
    dispatcher = signed_in(p_app.test_client(), p_db, "dispatcher")
    staff = dispatcher.get(f"/api/cases/{incident_id}").json
    assert staff["reporter"] == "公众" and "evaluate" not in {a["name"] for a in staff["actions"]}
    r = dispatcher.post(
        f"/api/cases/{incident_id}/actions", json={"action": "evaluate", "rating": "satisfied"}
    )
    assert r.status_code == 403 and "rated by its reporter" in r.json["message"]
    r = client.post("/public/rate", data={"number": "ZZZZ-ZZZZ-ZZZZ-ZZZZ", "rating": "fair"})
    assert r.status_code == 404
    r = client.post("/public/rate", data={"number": number, "rating": "great"})
    assert r.status_code == 400 and "rating" in r.get_data(as_text=True)
    r = client.post("/public/rate", data={"number": number, "rating": "satisfied"})
    assert r.status_code == 302
    # The English chosen above sticks (a cookie) until the reporter switches back.
    track = client.get(f"/public/track?number={number}").get_data(as_text=True)
    assert "Your rating: Satisfied" in track
    track = client.get(f"/public/track?number={number}&lang=zh").get_data(as_text=True)
    assert "已办结" in track and 'id="gm-rated"' in track and "满意" in track
    r = client.post("/public/rate", data={"number": number, "rating": "unsatisfied"})
    assert r.status_code == 400  # once

    stats = client.get("/public/stats").get_data(as_text=True)
    city = re.search(r'<tr data-code="city">(.*?)</tr>', stats, re.S).group(1)
    # One rating is below the minimum a rate is shown from (GRIDMAP_MIN_RATINGS, 5).
    assert "城市管理" in city and "–" in city.split('gm-satisfaction">')[1]
    assert 'id="gm-min-ratings"' in stats
    assert "gm-stats-community" in stats


def test_bad_public_reports_change_nothing(p_app, p_db, spot):
    _, lon, lat = spot
    client = p_app.test_client()
    with open_store(p_db) as store:
        before = store.count_incidents()
    for data, field in (
        ({"lon": "x", "lat": lat, "category": "E0102"}, "lon"),
        ({"lon": lon, "lat": lat, "category": "nope"}, "nope"),
        ({"lon": 10, "lat": 10, "category": "E0102"}, "outside"),
    ):
        r = client.post("/public/report", data=data, headers={"Accept": "text/html"})
        assert r.status_code == 400 and field in r.get_data(as_text=True), data
    # The page's form, unlike Open311, is refused when another site's page posts it.
    r = client.post(
        "/public/report",
        data={"lon": lon, "lat": lat, "category": "E0102"},
        headers={"Sec-Fetch-Site": "cross-site", "Origin": "https://evil.example"},
    )
    assert r.status_code == 403 and "another origin" in r.get_data(as_text=True)
    # A mistyped tracking number: told in the page's language, with the way back.
    r = client.get("/public/track?number=abc")
    page = r.get_data(as_text=True)
    assert r.status_code == 400 and "查询码不正确" in page and 'href="/public/"' in page
    r = client.get("/public/track?number=abc&lang=en")
    assert r.status_code == 400 and "tracking number is not right" in r.get_data(as_text=True)
    r = client.get("/public/track?number=ZZZZ-ZZZZ-ZZZZ-ZZZZ&lang=zh")
    assert r.status_code == 404 and "没有找到" in r.get_data(as_text=True)
    with open_store(p_db) as store:
        assert store.count_incidents() == before
