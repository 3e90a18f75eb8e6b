"""Idempotency keys over HTTP: the API's report and inspection, and the forms' hidden
field, answer a request sent again with its key with the first one's record (the rule
itself, on both stores: tests/contract/test_submissions.py)."""

from __future__ import annotations

import io
import uuid

import pytest
from PIL import Image

from gridmap.stores import open_store
from tests.accounts import signed_in
from tests.web.conftest import city_copy, spot_in
from web import create_app


@pytest.fixture(scope="module")
def key_db(sample_path, tmp_path_factory):
    return city_copy(sample_path, tmp_path_factory, "keys")


@pytest.fixture(scope="module")
def key_app(key_db):
    return create_app({"DATABASE_URL": key_db, "TESTING": True})


@pytest.fixture(scope="module")
def spot(key_db):
    return spot_in(key_db)


def _client(app, url, role="dispatcher"):
    return signed_in(app.test_client(), url, role)


def _png() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (64, 48), (20, 30, 200)).save(out, "PNG")
    return out.getvalue()


def _count(url: str) -> tuple[int, int]:
    with open_store(url) as store:
        return store.count_incidents(), len(store.case_rows("inspections"))


def test_the_api_report_sent_again_answers_the_same_case(key_app, key_db, spot):
    _, lon, lat = spot
    client = _client(key_app, key_db)
    key = str(uuid.uuid4())
    before = _count(key_db)
    body = {"lon": lon, "lat": lat, "category": "E0103", "description": "井盖缺失"}
    first = client.post("/api/cases", json=body, headers={"Idempotency-Key": key})
    again = client.post("/api/cases", json=body, headers={"Idempotency-Key": key})
    assert first.status_code == again.status_code == 201, first.get_json()
    assert again.get_json()["id"] == first.get_json()["id"]
    assert _count(key_db)[0] == before[0] + 1
    # Another caller's key is not theirs to replay.
    other = _client(key_app, key_db, "officer")
    stolen = other.post("/api/cases", json=body, headers={"Idempotency-Key": key})
    assert stolen.status_code == 409 and "idempotency_key" in stolen.get_json()["message"]
    assert _count(key_db)[0] == before[0] + 1


def test_the_phone_s_multipart_report_with_a_photo_and_its_key_in_the_body(key_app, key_db, spot):
    _, lon, lat = spot
    client = _client(key_app, key_db)
    key = uuid.uuid4().hex
    before = _count(key_db)

    def send():
        data = {
            "lon": str(lon), "lat": str(lat), "category": "E0103", "idempotency_key": key,
            "photos": (io.BytesIO(_png()), "p.png", "image/png"),
        }  # fmt: skip
        return client.post("/api/cases", data=data, content_type="multipart/form-data")

    first, again = send(), send()
    assert first.status_code == again.status_code == 201, first.get_json()
    assert again.get_json()["id"] == first.get_json()["id"]
    assert _count(key_db)[0] == before[0] + 1


def test_the_form_sent_twice_makes_one_case(key_app, key_db, spot):
    _, lon, lat = spot
    client = _client(key_app, key_db)
    key = str(uuid.uuid4())
    before = _count(key_db)
    form = {"lon": lon, "lat": lat, "category": "E0103", "idempotency_key": key}
    first = client.post("/cases/new", data=form)
    again = client.post("/cases/new", data=form)
    assert first.status_code == again.status_code == 302
    assert first.headers["Location"] == again.headers["Location"]
    assert _count(key_db)[0] == before[0] + 1


def test_the_api_inspection_sent_again_answers_the_same_inspection(key_app, key_db):
    client = _client(key_app, key_db)
    with open_store(key_db) as store:
        hazard_id = int(store.hazards().iloc[0]["id"])
    key = str(uuid.uuid4())
    before = _count(key_db)
    body = {"day": "2026-11-20", "result": "pending", "note": "阀门锈蚀"}
    url = f"/api/hazards/{hazard_id}/inspections"
    first = client.post(url, json=body, headers={"Idempotency-Key": key})
    again = client.post(url, json=body, headers={"Idempotency-Key": key})
    assert first.status_code == again.status_code == 201, first.get_json()
    assert first.get_json() == again.get_json()
    assert first.get_json()["result"] == "pending" and first.get_json()["day"] == "2026-11-20"
    assert _count(key_db)[1] == before[1] + 1


@pytest.mark.parametrize("key", ["short", "with spaces in the key", "x" * 101])
def test_a_key_that_cannot_be_one_is_a_400_naming_it(key_app, key_db, spot, key):
    _, lon, lat = spot
    client = _client(key_app, key_db)
    before = _count(key_db)
    body = {"lon": lon, "lat": lat, "category": "E0103", "idempotency_key": key}
    r = client.post("/api/cases", json=body)
    assert r.status_code == 400
    assert r.get_json()["parameter"] in ("idempotency_key", "Idempotency-Key")
    assert _count(key_db) == before


@pytest.mark.parametrize(
    ("lang", "text"), [("zh", "待发送（{n}）"), ("en", "Waiting to send ({n})")]
)
def test_the_forms_carry_a_key_field_and_the_offline_script_in_the_page_s_language(
    key_app, key_db, lang, text
):
    client = _client(key_app, key_db)  # (an officer sees only their grids' hazards)
    with open_store(key_db) as store:
        hazard_id = int(store.hazards().iloc[0]["id"])
    html = {"Accept": "text/html"}
    for path in ("/cases/new", f"/hazards/{hazard_id}"):
        page = client.get(f"{path}?lang={lang}", headers=html).get_data(as_text=True)
        assert 'name="idempotency_key"' in page and "offline.js" in page, path
        assert text in page  # the script's texts, as data-texts


def test_the_worker_may_control_the_whole_site_and_nothing_else_says_so(key_app):
    client = key_app.test_client()
    with client.get("/static/offline-sw.js") as worker:
        assert worker.status_code == 200
        assert worker.headers["Service-Worker-Allowed"] == "/"
    with client.get("/static/offline.js") as script:
        assert "Service-Worker-Allowed" not in script.headers
