"""The equivalent of FixMyStreet's Open311 client, written from the GeoReport v2
specification: every call gridmap declares (discovery, services, a service definition,
POST requests, GET requests, GET a request, tokens) made over real HTTP in JSON and in
XML, each answer read the way the spec describes it (XML lists by their element names,
an empty element for a field without a value) and checked field by field against the
spec's shapes; the JSON and XML answers must say the same.  The ``georeport`` library,
another client written from the spec, reads the same calls.  And the deviations issue 25
found: ``status`` as a list, 404 for an unknown service, a post answered by its id only,
4,000-character descriptions, null for empty fields, ``charset=utf-8``, unknown paths in
the spec's error list, discovery's ``contact``, ``address_string`` alone refused."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET

import pytest
import requests
from click.testing import CliRunner
from georeport import GeoReport

from gridmap.cli import main
from gridmap.lookup import LookupIndex
from gridmap.services import cases, open311
from gridmap.settings import Settings
from gridmap.stores import open_store
from tests.conftest import TEST_CELLS
from tests.web.conftest import city_copy, serving, spot_in, take_steps
from web import create_app

pytestmark = pytest.mark.slow  # a real server (waitress), as the clients call it

API = "/open311/v2"
FORMATS = ("json", "xml")
# No connection is kept open: the server closes at the module's end with none left over.
ONCE = {"Connection": "close"}
W3C = re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(Z|[+-]\d{2}:\d{2})")

# -- the specification's shapes: each field and what it may hold -----------------------
TEXT, OPT, BOOL, NUMBER, MOMENT, OPT_MOMENT = "text", "opt", "bool", "number", "w3c", "w3c?"
DISCOVERY = {"changeset": MOMENT, "contact": TEXT, "key_service": TEXT, "endpoints": list}
ENDPOINT = {"specification": TEXT, "url": TEXT, "changeset": MOMENT, "type": TEXT}
SERVICE = {
    "service_code": TEXT,
    "service_name": TEXT,
    "description": OPT,
    "metadata": BOOL,
    "type": ("realtime", "batch", "blackbox"),
    "keywords": OPT,
    "group": OPT,
}
ATTRIBUTE = {
    "variable": BOOL,
    "code": TEXT,
    "datatype": ("string", "number", "datetime", "text", "singlevaluelist", "multivaluelist"),
    "required": BOOL,
    "datatype_description": OPT,
    "order": NUMBER,
    "description": TEXT,
}
REQUEST = {
    "service_request_id": TEXT,
    "status": ("open", "closed"),
    "status_notes": OPT,
    "service_name": OPT,
    "service_code": TEXT,
    "description": OPT,
    "agency_responsible": OPT,
    "service_notice": OPT,
    "requested_datetime": MOMENT,
    "updated_datetime": OPT_MOMENT,
    "expected_datetime": OPT_MOMENT,
    "address": OPT,
    "address_id": OPT,
    "zipcode": OPT,
    "lat": NUMBER,
    "long": NUMBER,
    "media_url": OPT,
}
CREATED = {"service_notice": OPT, "account_id": OPT}
TOKEN = {"service_request_id": TEXT, "token": TEXT}
ERROR = {"code": NUMBER, "description": TEXT}
# XML: the element of each member of a list, as the spec's examples name them.
MEMBERS = {
    "services": "service",
    "service_requests": "request",
    "errors": "error",
    "endpoints": "endpoint",
    "formats": "format",
    "attributes": "attribute",
    "values": "value",
}
NUMERIC = {"lat", "long", "code", "order"}
BOOLEAN = {"metadata", "variable", "required"}


def check(record: dict, shape: dict, what: str) -> None:
    """``record`` has every field of ``shape`` (and no other), each as the spec says."""
    assert set(record) == set(shape), (what, set(record) ^ set(shape))
    for name, kind in shape.items():
        value = record[name]
        ok = (
            {
                TEXT: isinstance(value, str) and value != "",
                OPT: value is None or (isinstance(value, str) and value != ""),
                BOOL: isinstance(value, bool),
                NUMBER: isinstance(value, int | float) and not isinstance(value, bool),
                MOMENT: isinstance(value, str) and W3C.fullmatch(value),
                OPT_MOMENT: value is None or (isinstance(value, str) and W3C.fullmatch(value)),
                list: isinstance(value, list),
            }.get(kind)
            if not isinstance(kind, tuple)
            else value in kind
        )
        assert ok, (what, name, value)


# -- the client -----------------------------------------------------------------------


def from_xml(node: ET.Element):
    """An element as the spec's XML means it: lists by their member elements, an empty
    element a field without a value, booleans and numbers by their field."""
    if node.tag in MEMBERS:
        return [from_xml(child) for child in node.findall(MEMBERS[node.tag])]
    if len(node):
        return {child.tag: from_xml(child) for child in node}
    text = node.text
    if text is None or text == "":
        return None
    if node.tag in BOOLEAN:
        assert text in ("true", "false"), (node.tag, text)
        return text == "true"
    if node.tag in NUMERIC:
        return float(text) if "." in text else int(text)
    return text


class Client:
    """A GeoReport v2 client of one format, as FixMyStreet's calls the server."""

    def __init__(self, base: str, fmt: str, api_key: str | None = None):
        self.base, self.fmt, self.api_key = base + API, fmt, api_key

    def _read(self, response: requests.Response, root: str | None):
        kind = response.headers["Content-Type"]
        if self.fmt == "json":
            assert kind == "application/json; charset=utf-8", kind
            return response.json()
        assert kind == "text/xml; charset=utf-8", kind
        assert response.content.startswith(b'<?xml version="1.0" encoding="utf-8"?>')
        node = ET.fromstring(response.content)
        if root is not None and response.ok:
            assert node.tag == root, (node.tag, root)
        return from_xml(node)

    def get(self, path: str, root: str | None, **query):
        r = requests.get(f"{self.base}/{path}.{self.fmt}", params=query, headers=ONCE)
        return r.status_code, self._read(r, root)

    def post(self, **form):
        if self.api_key is not None:
            form.setdefault("api_key", self.api_key)
        r = requests.post(f"{self.base}/requests.{self.fmt}", data=form, headers=ONCE)
        return r.status_code, self._read(r, "service_requests")

    def error(self, status: int, answer) -> list[dict]:
        """The spec's error list: ``[{code, description}]`` with the HTTP status."""
        assert isinstance(answer, list) and answer, answer
        for e in answer:
            check(e, ERROR, "error")
            assert e["code"] == status
        return answer


# -- fixtures ---------------------------------------------------------------------------


@pytest.fixture(scope="module")
def s_db(sample_path, tmp_path_factory):
    return city_copy(sample_path, tmp_path_factory, "open311spec")


@pytest.fixture(scope="module")
def base(s_db):
    app = create_app({"DATABASE_URL": s_db, "TESTING": True, "OPEN311_PER_ADDRESS": (1000, 3600)})
    with serving(app) as url:
        yield url


@pytest.fixture(scope="module")
def api_key(s_db):
    result = CliRunner().invoke(main, ["--db", s_db, "open311", "key", "add", "spec-app"])
    assert result.exit_code == 0, result.output
    return result.output.split("(shown once): ")[1].strip()


@pytest.fixture(scope="module")
def spot(s_db):
    return spot_in(s_db)


# -- the calls --------------------------------------------------------------------------


def test_discovery_services_and_definitions(base):
    said = {}
    for fmt in FORMATS:
        client = Client(base, fmt)
        status, found = client.get("discovery", "discovery")
        assert status == 200
        check(found, DISCOVERY, "discovery")
        assert base in found["contact"]  # no GRIDMAP_OPEN311_CONTACT: the operators here
        (endpoint,) = found["endpoints"]
        check({k: v for k, v in endpoint.items() if k != "formats"}, ENDPOINT, "endpoint")
        assert endpoint["url"] == base + API
        assert endpoint["type"] in ("production", "test")
        assert set(endpoint["formats"]) == {"application/json", "text/xml"}

        status, services = client.get("services", "services")
        assert status == 200 and services
        for s in services:
            check(s, SERVICE, "service")
        for s in services[:3]:  # clients ask whatever metadata says
            status, definition = client.get(f"services/{s['service_code']}", "service_definition")
            assert status == 200
            assert definition["service_code"] == s["service_code"]
            for attribute in definition["attributes"] or []:
                check(attribute, ATTRIBUTE, "attribute")
        status, answer = client.get("services/X9999", "errors")
        assert status == 404 and "X9999" in client.error(404, answer)[0]["description"]
        said[fmt] = (found, services, definition)
    # The XML says what the JSON says (an empty list is an empty element there).
    json_found, json_services, json_definition = said["json"]
    xml_found, xml_services, xml_definition = said["xml"]
    assert json_found == xml_found and json_services == xml_services
    assert json_definition == {**xml_definition, "attributes": xml_definition["attributes"] or []}


def test_posting_and_reading_requests(base, api_key, s_db, spot):
    grid, lon, lat = spot
    made = {}
    for fmt in FORMATS:
        client = Client(base, fmt, api_key)
        long_words = "路面坑洼，" * 800  # the spec's 4,000 characters, in Chinese
        assert len(long_words) == 4000
        status, answer = client.post(
            service_code="E0102",
            lat=str(lat),
            long=str(lon),
            description=long_words,
            address_string="中山路12号",  # with a position: accepted, the position places it
            first_name="张",
            email="zhang@example.cn",
        )
        assert status == 201, answer
        (receipt,) = answer
        # Made at once: the id, never the token that stands in for an id not made yet.
        assert "token" not in receipt
        check({k: v for k, v in receipt.items() if k != "service_request_id"}, CREATED, fmt)
        assert receipt["service_request_id"].isdigit()
        made[fmt] = receipt["service_request_id"]

        status, (one,) = client.get(f"requests/{made[fmt]}", "service_requests")
        assert status == 200
        check(one, REQUEST, "request")
        assert one["description"] == long_words and one["status"] == "open"
        assert one["address"] is None and one["media_url"] is None  # null, not ""
        assert abs(one["lat"] - lat) < 1e-5 and abs(one["long"] - lon) < 1e-5

    # One closed, one open: status as a list finds both, each alone finds its own.
    take_steps(s_db, int(made["xml"]), grid)
    box = f"{lon - 0.001},{lat - 0.001},{lon + 0.001},{lat + 0.001}"
    seen = {}
    for fmt in FORMATS:
        client = Client(base, fmt)
        for status_filter in ("open", "closed", "open,closed", "closed,open", None):
            query = {"bbox": box, "service_code": "E0102"}
            if status_filter:
                query["status"] = status_filter
            status, found = client.get("requests", "service_requests", **query)
            assert status == 200
            for r in found:
                check(r, REQUEST, "request")
                assert status_filter is None or r["status"] in status_filter.split(",")
            seen[fmt, status_filter] = {r["service_request_id"]: r["status"] for r in found}
        assert seen[fmt, "open"][made["json"]] == "open" and made["xml"] not in seen[fmt, "open"]
        assert seen[fmt, "closed"][made["xml"]] == "closed"
        assert seen[fmt, "open,closed"] == seen[fmt, "closed,open"] == seen[fmt, None]
        assert seen[fmt, "open,closed"] == {**seen[fmt, "open"], **seen[fmt, "closed"]}
        ids = f"{made['json']},{made['xml']}"
        status, found = client.get("requests", "service_requests", service_request_id=ids)
        assert {r["service_request_id"] for r in found} == set(made.values())
    assert seen["json", "open,closed"] == seen["xml", "open,closed"]
    status, json_one = Client(base, "json").get(f"requests/{made['xml']}", None)
    status, xml_one = Client(base, "xml").get(f"requests/{made['xml']}", None)
    assert json_one == xml_one


def test_tokens_resolve_to_their_request(base, s_db, spot):
    """The public page's tracking numbers are tokens a client resolves (a post through
    Open311 is answered with its id and needs none)."""
    _, lon, lat = spot
    with open_store(s_db) as store:
        cal = cases.calendar(store, Settings())
        index = LookupIndex.from_store(store, max_cells=TEST_CELLS)
        incident_id, number = open311.submit(store, index, cal, "public-page", lon, lat, "E0103")
    for fmt in FORMATS:
        client = Client(base, fmt)
        status, answer = client.get(f"tokens/{number}", "service_requests")
        assert status == 200
        (found,) = answer
        check(found, TOKEN, "token")
        assert found == {"service_request_id": str(incident_id), "token": number}
        status, answer = client.get("tokens/AAAA-BBBB-CCCC-DDDD", "errors")
        assert status == 404 and client.error(404, answer)


@pytest.mark.parametrize("fmt", FORMATS)
def test_the_georeport_library_reads_every_call(base, fmt, spot):
    """``georeport`` (a client from the spec, on PyPI) reads services, a definition,
    requests filtered by a status list and one request, in either format."""
    client = GeoReport(base + API, output_format=fmt)
    services = client.get_service_list()
    assert {s["service_code"] for s in services} >= {"E0102", "E0103"}
    assert client.get_service_definition("E0102")["service_code"] == "E0102"
    found = client.get_service_requests(status="open,closed", service_code="E0102")
    found = found if isinstance(found, list) else [found]
    assert found and all(r["service_code"] == "E0102" for r in found)
    one = client.get_service_request(found[0]["service_request_id"])
    assert one["service_request_id"] == found[0]["service_request_id"]
    with pytest.raises(requests.HTTPError, match="404"):
        client.get_service_definition("X9999")


def test_refusals_are_the_specs_error_list(base, api_key, spot):
    """(Last in the module: its calls close their connections, and the server sees the
    library's closed ones before it answers them, so the server stops with none open.)"""
    _, lon, lat = spot
    for fmt in FORMATS:
        client = Client(base, fmt, api_key)
        refused = [
            ({"service_code": "X9999", "lat": lat, "long": lon}, 404, "X9999"),
            ({"lat": lat, "long": lon}, 400, "service_code"),
            ({"service_code": "E0102", "address_string": "中山路12号"}, 400, "'lat'"),
            ({"service_code": "E0102", "address_id": "A-12"}, 400, "'lat'"),
            (
                {"service_code": "E0102", "lat": lat, "long": lon, "description": "x" * 4001},
                400,
                "description",
            ),
        ]
        for form, status, words in refused:
            got, answer = client.post(**form)
            assert got == status, (form, answer)
            assert words in client.error(status, answer)[0]["description"], answer
        got, answer = Client(base, fmt).post(service_code="E0102", lat=lat, long=lon)
        assert got == 403 and client.error(403, answer)
        got, answer = client.get("requests", "service_requests", status="done")
        assert got == 400 and "status" in client.error(400, answer)[0]["description"]
        got, answer = client.get("requests", "service_requests", service_code="X9999")
        assert got == 404 and client.error(404, answer)
        # A path under the prefix that is no call: the spec's error list, not a page.
        for path in ("nothing", "requests/abc", "services/E0102/more"):
            got, answer = client.get(path, "errors")
            assert got == 404 and client.error(404, answer)
        r = requests.delete(f"{base}{API}/services.{fmt}", headers=ONCE)
        assert r.status_code == 405 and client.error(405, client._read(r, "errors"))
    for path in (f"{API}/services.html", API, "/open311", "/open311/v3/services.json"):
        r = requests.get(base + path, headers=ONCE)
        assert r.status_code == 404 and r.headers["Content-Type"].startswith("application/json")
        Client(base, "json").error(404, r.json())
