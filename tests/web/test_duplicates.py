"""Duplicates through the web app: the staff's "already reported" answer, merging through
the API (refused to those who may not, a bad list a 400 naming it), the case page with its
map, areas, officer and links, and the public's answers without contact details."""

from __future__ import annotations

import io
import re

import pytest
import shapely
from PIL import Image

from gridmap.stores import open_store
from tests.accounts import signed_in
from tests.web.conftest import city_copy
from web import create_app


@pytest.fixture(scope="module")
def d_db(sample_path, tmp_path_factory):
    return city_copy(sample_path, tmp_path_factory, "duplicates-web")


@pytest.fixture(scope="module")
def d_app(d_db):
    return create_app({"DATABASE_URL": d_db, "TESTING": True})


def _spot(url: str, k: int):
    with open_store(url) as store:
        grid = store.areas("grid").iloc[k]
    p = shapely.point_on_surface(grid.geometry)
    return grid["code"], p.x, p.y


def _report(client, x, y, email=""):
    data = {"lon": x, "lat": y, "category": "E0103", "description": "渣土"}
    if email:
        data.update({"notify": "1", "email": email})
    r = client.post("/public/report", data=data)
    assert r.status_code == 201, r.get_data(as_text=True)
    page = r.get_data(as_text=True)
    number = re.search(r'id="gm-tracking"[^>]*>([A-Z0-9-]+)<', page).group(1)
    return int(re.search(r'id="gm-report-id">(\d+)<', page).group(1)), number


def test_staff_see_what_is_reported_nearby_and_merge_it(d_app, d_db):
    code, x, y = _spot(d_db, 90)
    public = d_app.test_client()
    first, _ = _report(public, x, y, email="hidden@example.cn")
    second, number = _report(public, x, y, email="other@example.cn")
    dispatcher = signed_in(d_app.test_client(), d_db, "dispatcher")
    r = dispatcher.get(f"/api/cases/nearby?lon={x}&lat={y}&category=E0103")
    assert r.status_code == 200
    assert {first, second} <= {c["id"] for c in r.json["cases"]}
    r = dispatcher.get(f"/api/cases/nearby?lon={x}&lat={y}&category=nope")
    assert r.status_code == 400 and r.json["parameter"] == "category"
    # Public answers never carry the contact details.
    body = public.get(f"/public/nearby?lon={x}&lat={y}&category=E0103").get_data(as_text=True)
    track = public.get(f"/public/track?number={number}").get_data(as_text=True)
    for text in (body, track):
        assert "hidden@example.cn" not in text and "other@example.cn" not in text
    assert str(first) in body

    officer = signed_in(d_app.test_client(), d_db, "officer", areas=(code,))
    r = officer.post(f"/api/cases/{first}/merge", json={"children": [second]})
    assert r.status_code == 403
    r = dispatcher.post(f"/api/cases/{first}/merge", json={"children": "x"})
    assert r.status_code == 400 and r.json["parameter"] == "children"
    r = dispatcher.post(f"/api/cases/{first}/merge", json={"children": [second], "note": "同一处"})
    assert r.status_code == 200 and r.json == {"parent": first, "merged": [second]}
    r = dispatcher.post(f"/api/cases/{first}/merge", json={"children": [second]})
    assert r.status_code in (400, 409)
    track = public.get(f"/public/track?number={number}").get_data(as_text=True)
    assert 'id="gm-merged"' in track and str(first) in track

    page = dispatcher.get(f"/cases/{first}", headers={"Accept": "text/html"})
    html = page.get_data(as_text=True)
    assert page.status_code == 200, html[-2000:]
    assert 'id="gm-case-map"' in html and "Polygon" in html  # the grid's outline
    assert code in html and 'href="tel:' in html and 'id="gm-children"' in html
    child = dispatcher.get(f"/cases/{second}").get_data(as_text=True)
    assert 'id="gm-parent"' in child
    assert dispatcher.get(f"/api/cases/{second}").json["merged_into"] == first
    assert dispatcher.get(f"/api/cases/{first}").json["duplicates"] == [second]


def _jpeg(size=(1200, 900), colour=(90, 90, 90)) -> bytes:
    out = io.BytesIO()
    image = Image.new("RGB", size, colour)
    exif = image.getexif()
    exif[0x010F] = "PhoneMaker"  # Make: what a phone writes, with the place it was taken
    image.save(out, "JPEG", exif=exif)
    return out.getvalue()


def test_public_photos_and_the_repair_photo_once_resolved(d_app, d_db):
    code, x, y = _spot(d_db, 95)
    public = d_app.test_client()
    data = {"lon": x, "lat": y, "category": "E0103", "description": "渣土"}
    data["photos"] = [(io.BytesIO(_jpeg()), "phone.jpg")]
    r = public.post("/public/report", data=data, content_type="multipart/form-data")
    assert r.status_code == 201
    page = r.get_data(as_text=True)
    number = re.search(r'id="gm-tracking"[^>]*>([A-Z0-9-]+)<', page).group(1)
    incident_id = int(re.search(r'id="gm-report-id">(\d+)<', page).group(1))
    with open_store(d_db) as store:
        (mine,) = store.case_events(incident_id)[0]["photos"]
    got = public.get(f"/public/photos/{mine}?number={number}")
    assert got.status_code == 200 and not Image.open(io.BytesIO(got.data)).getexif()
    assert public.get(f"/public/photos/{mine}?number=ZZZZ-ZZZZ-ZZZZ-ZZZZ").status_code == 404
    assert public.get(f"/photos/{mine}").status_code in (401, 403)  # staff's route

    # The department's repair photo: on the tracking page once the case is resolved.
    from gridmap.photos import check_photo
    from gridmap.services import cases
    from gridmap.settings import Settings
    from gridmap.workflow import Actor

    dispatcher = Actor("d", frozenset({"dispatcher"}))
    city = Actor("c", frozenset({"department"}), department="city")
    officer = Actor("o", frozenset({"officer"}), areas=(code,))
    with open_store(d_db) as store:
        cal = cases.calendar(store, Settings())
        for actor, action in ((dispatcher, "accept"), (dispatcher, "dispatch"), (city, "start")):
            cases.act(store, cal, actor, incident_id, action)
        repaired = check_photo(_jpeg(colour=(20, 160, 20)), "after.jpg", 8_000_000)
        cases.act(store, cal, city, incident_id, "report_back", "已清运", photos=[repaired])
        repair = store.case_events(incident_id)[-1]["photos"][0]
    track = public.get(f"/public/track?number={number}").get_data(as_text=True)
    assert f"/public/photos/{repair}" not in track  # not resolved yet: checked first
    assert public.get(f"/public/photos/{repair}?number={number}").status_code == 404
    with open_store(d_db) as store:
        cases.act(store, cal, officer, incident_id, "verify", "看过")
        cases.act(store, cal, officer, incident_id, "close")
    track = public.get(f"/public/track?number={number}").get_data(as_text=True)
    assert f"/public/photos/{repair}" in track and f"/public/photos/{mine}" in track
    assert public.get(f"/public/photos/{repair}?number={number}&size=thumb").status_code == 200
