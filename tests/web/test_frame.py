"""The frame without a browser: the city's name and mark from the settings, the landing
page of each role at ``/``, the links each role is shown, a leader's read of the queues."""

from __future__ import annotations

import re

import pytest

from gridmap.errors import InvalidInput
from gridmap.settings import Settings
from tests.accounts import signed_in
from web import create_app


def test_the_city_name_and_mark_are_settings(web_db, monkeypatch):
    monkeypatch.setenv("GRIDMAP_CITY_NAME", "大庆市")
    monkeypatch.setenv("GRIDMAP_CITY_MARK", "/static/city.png")
    app = create_app({"DATABASE_URL": f"gpkg://{web_db}", "TESTING": True})
    for path in ("/map", "/public/"):
        html = app.test_client().get(path).get_data(as_text=True)
        assert "<b>大庆市</b>" in html and 'src="/static/city.png"' in html, path
    assert Settings.from_env({}).city_mark == ""  # default: gridmap's own mark
    with pytest.raises(InvalidInput, match="GRIDMAP_CITY_MARK"):
        Settings.from_env({"GRIDMAP_CITY_MARK": "https://cdn.example.com/mark.png"})


@pytest.mark.parametrize(
    ("role", "home"),
    [
        ("officer", "/cases/mine"),
        ("dispatcher", "/cases/board"),
        ("department", "/cases/queue"),
        ("planner", "/plans"),
        ("admin", "/data/"),
        ("leader", "/cases/board"),
    ],
)
def test_each_role_starts_on_its_page(app, web_db, role, home):
    client = signed_in(app.test_client(), f"gpkg://{web_db}", role)
    r = client.get("/")
    assert r.status_code == 302 and r.headers["Location"] == home
    assert client.get("/map").status_code == 200  # the map is still one click away


def test_anonymous_callers_and_viewers_start_on_the_map(app, web_db):
    viewer = signed_in(app.test_client(), f"gpkg://{web_db}", "viewer")
    for client in (app.test_client(), viewer):
        r = client.get("/")
        assert r.status_code == 200 and "GridMap.init(" in r.get_data(as_text=True)


def test_the_header_shows_the_links_a_role_may_follow(app, web_db):
    url = f"gpkg://{web_db}"
    officer = signed_in(app.test_client(), url, "officer", areas=("230602",))
    html = officer.get("/cases/mine").get_data(as_text=True)
    assert 'id="gm-nav-mine"' in html and 'id="gm-nav-board"' not in html
    assert 'id="gm-nav-mine" href="/cases/mine" aria-current="page"' in html
    leader = signed_in(app.test_client(), url, "leader")
    html = leader.get("/cases/board").get_data(as_text=True)
    assert 'id="gm-nav-wall"' in html and 'id="gm-nav-data"' not in html
    assert 'href="/cases/queue?department=city"' in html  # the board's departments → queues
    queue = leader.get("/cases/queue?department=city")
    assert queue.status_code == 200 and 'class="gm-cases"' in queue.get_data(as_text=True)
    rows = queue.get_data(as_text=True).split('class="gm-cases"')[1]
    assert not re.search(r'href="/cases/\d', rows)  # no case's page (they name people)
    assert leader.get("/cases/1").status_code == 403  # the queue, not the cases' details
