"""Open311 GeoReport v2 as a client app calls it: services (JSON and XML), a definition,
posting with its api_key (and the refusals: no key, a bad key, bad coordinates, an
unknown service, too many posts), the request followed through the loop to closed, and
read back by id, ids, status, dates and bbox; nobody's personal data in any answer."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from datetime import datetime, timedelta

import pytest
from click.testing import CliRunner

from gridmap import workflow
from gridmap.cli import main
from gridmap.model import LOCAL_TZ
from gridmap.services import cases, open311
from gridmap.settings import Settings
from gridmap.stores import open_store
from tests.accounts import signed_in
from tests.conftest import copy_city
from tests.web.conftest import city_copy, spot_in, take_steps
from web import create_app

API = "/open311/v2"


@pytest.fixture(scope="module")
def o_db(sample_path, tmp_path_factory):
    return city_copy(sample_path, tmp_path_factory, "open311")


@pytest.fixture(scope="module")
def o_app(o_db):
    return create_app({"DATABASE_URL": o_db, "TESTING": True, "OPEN311_PER_ADDRESS": (1000, 3600)})


@pytest.fixture(scope="module")
def key(o_db):
    """A client app's key, made as an operator makes it."""
    result = CliRunner().invoke(main, ["--db", o_db, "open311", "key", "add", "city-app"])
    assert result.exit_code == 0, result.output
    return result.output.split("(shown once): ")[1].strip()


@pytest.fixture(scope="module")
def spot(o_db):
    return spot_in(o_db)


def _post(client, key, lon, lat, code="E0102", fmt="json", **extra):
    data = {"service_code": code, "lat": str(lat), "long": str(lon), **extra}
    if key is not None:
        data["api_key"] = key
    return client.post(f"{API}/requests.{fmt}", data=data)


def test_services_in_json_and_xml(o_app):
    client = o_app.test_client()
    r = client.get(f"{API}/services.json")
    assert r.status_code == 200 and r.headers["Access-Control-Allow-Origin"] == "*"
    services = {s["service_code"]: s for s in r.json}
    assert services["E0102"]["service_name"] == "暴露垃圾"  # Chinese first
    assert services["E0102"]["group"] == "市容环境"
    assert services["E0102"]["metadata"] is False and services["E0102"]["type"] == "realtime"
    en = client.get(f"{API}/services.json?lang=en").json
    assert {s["service_code"]: s["service_name"] for s in en}["E0102"] == "Exposed garbage"
    preflight = client.options(
        f"{API}/requests.json",
        headers={"Origin": "https://app.example.org", "Access-Control-Request-Method": "POST"},
    )
    assert preflight.status_code == 200 and "POST" in preflight.headers["Allow"]
    assert preflight.headers["Access-Control-Allow-Origin"] == "*"
    r = client.get(f"{API}/services.xml")
    assert r.mimetype == "text/xml" and r.data.startswith(b'<?xml version="1.0" encoding="utf-8"?>')
    root = ET.fromstring(r.data)
    assert root.tag == "services"
    first = root.find("service")
    assert first.findtext("service_code") == next(iter(services))
    assert first.findtext("metadata") == "false"
    assert len(root.findall("service")) == len(services)


def test_a_service_definition(o_app):
    client = o_app.test_client()
    assert client.get(f"{API}/services/E0102.json").json == {
        "service_code": "E0102",
        "attributes": [],
    }
    root = ET.fromstring(client.get(f"{API}/services/E0102.xml").data)
    assert root.tag == "service_definition" and root.findtext("service_code") == "E0102"
    r = client.get(f"{API}/services/X9999.json")
    assert r.status_code == 404  # the spec's "service_code provided was not found"
    assert r.json == [{"code": 404, "description": r.json[0]["description"]}]
    assert "service_code 'X9999'" in r.json[0]["description"]


def test_bad_posts_are_refused_in_open311_errors_and_change_nothing(o_app, o_db, key, spot):
    _, lon, lat = spot
    client = o_app.test_client()
    with open_store(o_db) as store:
        before = store.count_incidents()
    cases_ = [
        (None, {}, 403, "api_key is missing"),
        ("o311_wrong", {}, 403, "api_key is not valid"),
        (key, {"lat": "north"}, 400, "parameter 'lat' is 'north'"),
        (key, {"long": "200"}, 400, "parameter 'long' is '200'"),
        (key, {"lat": ""}, 400, "parameter 'lat' is missing"),
        (key, {"code": "E9999"}, 404, "service_code 'E9999'"),
        (key, {"lat": "10", "long": "10"}, 400, "outside every area"),
        (key, {"description": "x" * 4001}, 400, "description"),
    ]
    for k, change, status, words in cases_:
        args = {"lon": lon, "lat": lat, "code": "E0102", **change}
        if "long" in change:
            args["lon"] = change["long"]
            del args["long"]
        r = _post(client, k, args.pop("lon"), args.pop("lat"), args.pop("code"), **args)
        assert r.status_code == status, (change, r.json)
        assert r.json[0]["code"] == status and words in r.json[0]["description"], r.json
    r = _post(client, None, lon, lat, fmt="xml")  # and the XML shape of an error
    error = ET.fromstring(r.data)
    assert error.tag == "errors" and error.find("error").findtext("code") == "403"
    with open_store(o_db) as store:
        assert store.count_incidents() == before


def test_a_request_followed_from_post_to_closed(o_app, o_db, key, spot):
    grid, lon, lat = spot
    client = o_app.test_client()
    # A foreign page may post (it acts with the key it carries only); what the reporter
    # says of themselves is not kept.
    r = client.post(
        f"{API}/requests.json",
        data={
            "api_key": key,
            "service_code": "E0103",
            "lat": str(lat),
            "long": str(lon),
            "description": "路边建筑垃圾",
            "email": "zhang.san@example.cn",
            "first_name": "张",
            "last_name": "三",
            "phone": "13800000000",
        },
        headers={"Origin": "https://app.example.org", "Sec-Fetch-Site": "cross-site"},
    )
    assert r.status_code == 201, r.json
    (made,) = r.json
    assert made == {
        "service_request_id": made["service_request_id"],
        "service_notice": "2个工作日",
        "account_id": None,
    }
    # Made at once: its id, no token (tokens: tests/web/test_open311_spec.py).
    incident_id = int(made["service_request_id"])

    def read():
        (one,) = client.get(f"{API}/requests/{incident_id}.json").json
        return one

    first = read()
    assert (first["status"], first["service_code"], first["agency_responsible"]) == (
        "open",
        "E0103",
        "城市管理",
    )
    assert first["status_notes"] == "已收到" and first["description"] == "路边建筑垃圾"
    assert abs(first["lat"] - lat) < 1e-5 and abs(first["long"] - lon) < 1e-5
    with open_store(o_db) as store:
        case = store.case(incident_id)
        assert case["status"] == "reported" and case["reporter"] == open311.PUBLIC_REPORTER
        assert store.audit_log(action="case.report")[0]["actor"] == "open311:city-app"
    # The command centre accepts and dispatches it through its own API, as any case.
    dispatcher = signed_in(o_app.test_client(), o_db, "dispatcher")
    for action in ("accept", "dispatch"):
        r = dispatcher.post(f"/api/cases/{incident_id}/actions", json={"action": action})
        assert r.status_code == 200, r.json
    assert read()["expected_datetime"] is not None
    take_steps(o_db, incident_id, grid, ["start", "report_back"], {"report_back": "已清运完毕"})
    assert read()["status_notes"] == "已处理，待核实 · 城市管理 · 已清运完毕"
    take_steps(o_db, incident_id, grid, ["verify", "close"], {"verify": "李网格员现场核实"})
    closed = read()
    assert closed["status"] == "closed" and closed["status_notes"].startswith("已办结")
    text = client.get(f"{API}/requests/{incident_id}.xml").get_data(as_text=True)
    root = ET.fromstring(text)
    assert root.tag == "service_requests"
    assert root.find("request").findtext("status") == "closed"
    # No personal data: not the reporter's, not the officers' (names, notes), not who acted.
    for body in (str(closed), text):
        for private in ("张", "zhang", "13800000000", "officer", "李网格员", "dispatcher"):
            assert private not in body, private

    # Only its reporter rates it, with a tracking number (the public page's; rating it
    # there: tests/web/test_public.py); nobody else can.
    with open_store(o_db) as store:
        cal = cases.calendar(store, Settings())
        dispatcher = workflow.Actor("dispatcher", frozenset({"dispatcher"}))
        with pytest.raises(Exception, match="rated by its reporter"):
            cases.act(store, cal, dispatcher, incident_id, "evaluate", rating="satisfied")
        with pytest.raises(Exception, match="tracking number"):
            open311.rate(store, cal, "nonsense", "satisfied")
        stranger = workflow.reporter(incident_id + 1)
        with pytest.raises(Exception, match="not yours"):
            workflow.check(stranger, "evaluate", "closed", grid, "city", incident_id)

    # Read back: by ids, status, dates, service code and bbox.
    bbox = f"{lon - 0.001},{lat - 0.001},{lon + 0.001},{lat + 0.001}"
    found = client.get(f"{API}/requests.json?bbox={bbox}").json
    assert str(incident_id) in [x["service_request_id"] for x in found]
    assert all(abs(x["long"] - lon) <= 0.001 and abs(x["lat"] - lat) <= 0.001 for x in found)
    far = f"{lon + 1},{lat + 1},{lon + 1.1},{lat + 1.1}"
    assert client.get(f"{API}/requests.json?bbox={far}").json == []
    ids = client.get(f"{API}/requests.json?service_request_id={incident_id},1").json
    assert {x["service_request_id"] for x in ids} == {str(incident_id), "1"}
    closed_ones = client.get(f"{API}/requests.json?status=closed&bbox={bbox}").json
    assert str(incident_id) in [x["service_request_id"] for x in closed_ones]
    assert all(x["status"] == "closed" for x in closed_ones)
    open_ones = client.get(f"{API}/requests.json?status=open&bbox={bbox}").json
    assert str(incident_id) not in [x["service_request_id"] for x in open_ones]
    assert all(x["status"] == "open" for x in open_ones)
    now = datetime.now(LOCAL_TZ)
    start = (now - timedelta(hours=1)).isoformat(timespec="seconds")
    end = (now + timedelta(hours=1)).isoformat(timespec="seconds")
    dated = client.get(
        f"{API}/requests.json", query_string={"start_date": start, "end_date": end}
    ).json
    assert str(incident_id) in {x["service_request_id"] for x in dated}
    earlier = client.get(
        f"{API}/requests.json", query_string={"end_date": start, "service_code": "E0103"}
    ).json
    assert str(incident_id) not in {x["service_request_id"] for x in earlier}
    assert all(x["service_code"] == "E0103" for x in earlier)
    r = _post(client, key, lon, lat, "E0104", fmt="xml")
    assert r.status_code == 201 and r.mimetype == "text/xml"
    made_xml = ET.fromstring(r.data).find("request")
    assert made_xml.findtext("service_request_id").isdigit() and made_xml.find("token") is None
    assert made_xml.findtext("service_notice") == "4个工作小时"
    r = client.get(f"{API}/requests.json?status=done")
    assert r.status_code == 400 and "parameter 'status' is 'done'" in r.json[0]["description"]
    r = client.get(f"{API}/requests.json?start_date=yesterday")
    assert r.status_code == 400 and "start_date" in r.json[0]["description"]
    r = client.get(f"{API}/requests.json?bbox=1,2,3")
    assert r.status_code == 400 and "bbox" in r.json[0]["description"]
    assert client.get(f"{API}/requests/99999999.json").status_code == 404


def test_no_reporter_or_officer_in_any_answer(o_app, o_db):
    """The sample's cases were reported by officers and callers by name, and each step
    was taken by someone: Open311 shows none of them."""
    client = o_app.test_client()
    with open_store(o_db) as store:
        rows = store.cases(limit=50)
        names = {r["reporter"] for r in rows} | {
            e["actor"].split(":", 1)[-1] for r in rows for e in store.case_events(r["id"])
        }
    names = {n for n in names if n and n != open311.PUBLIC_REPORTER}
    assert names
    assert any(r["description"] for r in rows)
    ids = ",".join(str(r["id"]) for r in rows)
    for fmt in ("json", "xml"):
        body = client.get(f"{API}/requests.{fmt}?service_request_id={ids}").get_data(as_text=True)
        assert body.count("<request>" if fmt == "xml" else "service_request_id") == len(rows)
        leaked = [n for n in names if n in body]
        assert leaked == [], leaked
    # What staff wrote stays inside (it may name someone); the public's own words show.
    answers = client.get(f"{API}/requests.json?service_request_id={ids}").json
    assert all(a["description"] is None for a in answers)


def test_revoked_keys_and_the_rate_limits(sample_path, tmp_path, spot):
    path = tmp_path / "city.gpkg"
    copy_city(sample_path, path)
    url = f"gpkg://{path}"
    app = create_app(
        {
            "DATABASE_URL": url,
            "TESTING": True,
            "OPEN311_PER_KEY": (2, 3600),
            "OPEN311_PER_ADDRESS": (4, 3600),
        }
    )
    keys = {}
    for name in ("one", "two"):
        out = CliRunner().invoke(main, ["--db", url, "open311", "key", "add", name]).output
        keys[name] = out.split("(shown once): ")[1].strip()
    _, lon, lat = spot
    client = app.test_client()
    assert _post(client, keys["one"], lon, lat).status_code == 201
    assert _post(client, keys["one"], lon, lat).status_code == 201
    r = _post(client, keys["one"], lon, lat)  # the key's limit
    assert r.status_code == 429 and "this api_key" in r.json[0]["description"]
    assert _post(client, keys["two"], lon, lat).status_code == 201
    r = _post(client, keys["two"], lon, lat)  # the address's limit, whatever the key
    assert r.status_code == 429 and "this address" in r.json[0]["description"]
    other = app.test_client()
    other.environ_base["REMOTE_ADDR"] = "10.0.0.9"
    result = CliRunner().invoke(main, ["--db", url, "open311", "key", "revoke", "two"])
    assert result.exit_code == 0
    r = _post(other, keys["two"], lon, lat)
    assert r.status_code == 403 and "revoked" in r.json[0]["description"]
    listed = CliRunner().invoke(main, ["--db", url, "open311", "key", "list"]).output
    assert "two" in listed and "(revoked)" in listed and keys["one"] not in listed
