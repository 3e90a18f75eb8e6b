"""Notifications on the web: a signed-in officer chooses channels on their settings page
(audited, checked, a clear 400 naming the field); a public reporter who asks to be told
of progress leaves an address with the report and is told of dispatch and closure, and
nothing internal."""

from __future__ import annotations

import re

import pytest

from gridmap.stores import open_store
from tests.accounts import signed_in
from tests.web.conftest import city_copy, spot_in, take_steps
from web import create_app


@pytest.fixture(scope="module")
def n_db(sample_path, tmp_path_factory):
    return city_copy(sample_path, tmp_path_factory, "notify")


@pytest.fixture(scope="module")
def n_app(n_db):
    return create_app({"DATABASE_URL": n_db, "TESTING": True})


def test_an_officer_chooses_channels_on_the_settings_page(n_app, n_db):
    officer = signed_in(n_app.test_client(), n_db, "officer")
    page = officer.get("/me/notifications").get_data(as_text=True)
    assert "通知设置" in page and 'name="by_sms"' in page
    r = officer.post("/me/notifications", data={"by_sms": "1", "email": "li@example.cn"})
    assert r.status_code == 400 and "phone" in r.get_data(as_text=True)  # SMS needs a number
    r = officer.post(
        "/me/notifications",
        data={"by_sms": "1", "phone": "13800138000", "lang": "en"},
        headers={"Accept": "text/html"},
    )
    assert r.status_code == 302
    page = officer.get(r.headers["Location"] + "&lang=en").get_data(as_text=True)
    assert 'id="gm-saved"' in page and 'value="13800138000"' in page
    with open_store(n_db) as store:
        name = next(u.name for u in store.users() if "officer" in u.roles)
        assert store.contacts([name])[name]["channels"] == ["sms"]
        assert store.audit_log(action="contact.set")[0]["target"] == name
    viewer = signed_in(n_app.test_client(), n_db, "viewer")
    assert viewer.get("/me/notifications").status_code == 403
    assert n_app.test_client().get("/me/notifications").status_code in (302, 401)


def test_a_public_reporter_who_asked_is_told_of_dispatch_and_closure(n_app, n_db):
    grid, lon, lat = spot_in(n_db)
    client = n_app.test_client()
    form = {"lon": lon, "lat": lat, "category": "E0103", "description": "渣土"}
    r = client.post("/public/report", data={**form, "notify": "1", "email": "not-an-address"})
    assert r.status_code == 400 and "email" in r.get_data(as_text=True)
    r = client.post("/public/report", data={**form, "email": "wang@example.cn"})  # not asked
    quiet = int(re.search(r'id="gm-report-id">(\d+)<', r.get_data(as_text=True)).group(1))
    r = client.post("/public/report", data={**form, "notify": "1", "email": "wang@example.cn"})
    assert r.status_code == 201
    asked = int(re.search(r'id="gm-report-id">(\d+)<', r.get_data(as_text=True)).group(1))
    for incident_id in (quiet, asked):
        take_steps(n_db, incident_id, grid, notes={"report_back": "王五已清运"})
    with open_store(n_db) as store:
        assert store.public_contact(quiet) is None
        told = [m for m in store.messages(asked) if m["recipient"] == "public"]
        assert [m["kind"] for m in told] == ["dispatch", "close"]
        assert {m["address"] for m in told} == {"wang@example.cn"}
        assert all("王五" not in m["body"] and "城市管理" not in m["body"] for m in told)
        assert not [m for m in store.messages(quiet) if m["recipient"] == "public"]
