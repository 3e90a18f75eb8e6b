"""Open311 GeoReport v2 at ``/open311/v2/``: services, service definitions, posting a
request (with a client app's api_key; limited per key and per address), reading requests
by ids, service codes, status, dates and the ``bbox`` extension, one request, and a
tracking token's request id; JSON or XML by the path's extension, errors in the spec's
own shape.  Routes parse the request and call ``gridmap.services.open311``.

To the letter of the spec (docs/public-channel.md): JSON in UTF-8 saying so, fields
without a value null (an empty element in XML), ``status`` a list, an unknown service
404, a post answered with the request's id (made at once) and no token, descriptions up
to 4,000 characters, any path under the prefix that is no call answered in the spec's
error list.  Requests are placed by ``lat``/``long``: ``address_string`` (or
``address_id``) alone is refused with a 400 naming ``lat`` (no address register to look
it up in); sent with a position it is accepted and the position places the request.

Posting needs the api_key, never a session: the request acts as the public with the
key's authority only, so other sites' pages may post too (``security`` lets this prefix
through its cross-origin check, and answers carry ``Access-Control-Allow-Origin: *``).
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from datetime import timedelta

from flask import Blueprint, Response, current_app, jsonify, request
from flask_babel import gettext
from flask_babel import lazy_gettext as _l
from werkzeug.exceptions import HTTPException

from gridmap.accounts import token_digest
from gridmap.errors import Busy, Forbidden, GridmapError, InvalidInput, say
from gridmap.model import LOCAL_TZ
from gridmap.services import cases, open311
from gridmap.services.cases import DESCRIPTION_CHARS
from web import db, i18n, params
from web.auth import public
from web.db import get_store, lookup_index
from web.errors import status_of
from web.openapi import OPEN311_POST, documented, query
from web.ratelimit import Window

PREFIX = "/open311/v2"
bp = Blueprint("open311", __name__, url_prefix=PREFIX)
FMT = "<any(json, xml):fmt>"
# The XML element of each member of a list, as the spec's examples name them.
_ITEMS = {
    "services": "service",
    "attributes": "attribute",
    "values": "value",
    "service_requests": "request",
    "errors": "error",
    "endpoints": "endpoint",
    "formats": "format",
}
# What the OpenAPI document says of every answer: JSON or XML, errors in the spec's shape.
ANSWERS = {"media": ("application/json", "text/xml"), "errors": "Open311Errors"}
DEFAULT_DAYS = 90  # requests without dates or ids: the last 90 days, as the spec suggests


# What XML 1.0 does not allow in a document (its ``Char`` production): C0 controls but tab,
# newline and carriage return, lone surrogates, U+FFFE and U+FFFF.
NOT_XML = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")


def printable(value):
    """``value`` (text, or lists and objects of it) without the characters XML 1.0 does
    not allow: an old row stored with a control character (the parsers refuse them now)
    keeps every answer parseable, and the JSON answer says the same as the XML one."""
    if isinstance(value, str):
        return NOT_XML.sub("", value)
    if isinstance(value, list):
        return [printable(v) for v in value]
    if isinstance(value, dict):
        return {k: printable(v) for k, v in value.items()}
    return value


def _xml(parent: ET.Element, name: str, value) -> None:
    node = ET.SubElement(parent, name)
    if isinstance(value, list):
        for item in value:
            _xml(node, _ITEMS.get(name, "item"), item)
    elif isinstance(value, dict):
        for k, v in value.items():
            _xml(node, k, v)
    elif isinstance(value, bool):
        node.text = "true" if value else "false"
    elif value is not None:
        node.text = str(value)


def answer(root: str, items, fmt: str, status: int = 200) -> Response:
    """``items`` as JSON (a bare list or object, as the spec shows) or XML under ``root``."""
    items = printable(items)  # the one place both formats' text passes through
    if fmt == "xml":
        holder = ET.Element("x")
        _xml(holder, root, items)
        body = ET.tostring(holder[0], encoding="unicode")
        out = Response(
            '<?xml version="1.0" encoding="utf-8"?>\n' + body,
            status=status,
            mimetype="text/xml",
        )
    else:
        out = jsonify(items)
        out.status_code = status
        out.content_type = "application/json; charset=utf-8"  # the spec's UTF-8, said
    return out


@bp.after_request
def other_sites_may_call(response: Response) -> Response:
    """Every answer, errors and browsers' preflight (OPTIONS) included, may be read by
    other sites' pages: nothing here depends on a session."""
    response.headers["Access-Control-Allow-Origin"] = "*"
    response.headers["Access-Control-Allow-Headers"] = "Content-Type"
    return response


def _fmt() -> str:
    return "xml" if request.path.endswith(".xml") else "json"


def _error(status: int, message: str) -> Response:
    return answer("errors", [{"code": status, "description": message}], _fmt(), status)


@bp.errorhandler(GridmapError)
def domain_error(exc: GridmapError):
    message = i18n.error_message(exc)
    if isinstance(exc, InvalidInput) and exc.field and exc.field not in message:
        message = f"{exc.field}: {message}"
    return _error(status_of(exc), message)


# What a client app reads for the HTTP errors routing answers (werkzeug's own words are
# English only and speak of "the requested URL").
_ROUTING = {
    404: _l("No such call: paths end in .json or .xml; discovery.json lists the calls"),
    405: _l("This call does not take this method"),
}


@bp.errorhandler(HTTPException)
def http_error(exc: HTTPException):
    words = _ROUTING.get(exc.code) if exc.description == type(exc).description else None
    out = _error(exc.code or 500, str(words) if words else exc.description or exc.name)
    allowed = dict(exc.get_headers()).get("Allow")
    if allowed:  # a 405 names the methods the call takes (RFC 9110)
        out.headers["Allow"] = allowed
    return out


def _limits() -> tuple[Window, Window]:
    return current_app.extensions["gridmap_open311_limits"]


def check_address() -> None:
    """Posts per address: also what the public page's reports count against."""
    per_address = _limits()[1]
    if not per_address.take(request.remote_addr or ""):
        raise Busy(
            say(
                "too many reports from this address; try again in {seconds:g} s",
                seconds=per_address.seconds,
            )
        )


def _client() -> str:
    """The client app whose api_key the post carries."""
    key = params.text("api_key", request.values, max_length=200)
    if not key:
        raise Forbidden(say("api_key is missing: each client app posts with its own key"))
    client = get_store().open311_client(token_digest(key))
    if client is None:
        raise Forbidden(say("api_key is not valid (unknown or revoked)"))
    per_key = _limits()[0]
    if not per_key.take(client):
        raise Busy(
            say(
                "too many reports with this api_key; try again in {seconds:g} s",
                seconds=per_key.seconds,
            )
        )
    return client


# -- the routes ---------------------------------------------------------------------------


@bp.get(f"/discovery.{FMT}")
@public
@documented(answer="Open311Discovery", **ANSWERS)
def discovery(fmt: str):
    info = {
        "changeset": "2026-12-01T00:00:00+08:00",
        "contact": db.settings().open311_contact or _contact(),
        "key_service": "gridmap open311 key add NAME",
        "endpoints": [
            {
                "specification": "http://wiki.open311.org/GeoReport_v2",
                "url": request.host_url.rstrip("/") + PREFIX,
                "changeset": "2026-12-01T00:00:00+08:00",
                "type": "production",
                "formats": ["application/json", "text/xml"],
            }
        ],
    }
    return answer("discovery", info, fmt)


def _contact() -> str:
    """Who to ask when the operator set no GRIDMAP_OPEN311_CONTACT: this server's own
    operators, at its address."""
    return gettext("This platform's administrators: ") + request.host_url


@bp.get(f"/services.{FMT}")
@public
@documented(answer="Open311Services", **ANSWERS)
def services(fmt: str):
    return answer("services", open311.services(i18n.language(), db.calendar().categories), fmt)


@bp.get(f"/services/<code>.{FMT}")
@public
@documented(answer="Open311ServiceDefinition", **ANSWERS)
def service_definition(code: str, fmt: str):
    return answer("service_definition", open311.definition(code), fmt)


@bp.post(f"/requests.{FMT}")
@public
@documented(
    request_body=OPEN311_POST,
    status="201",
    more=("403", "429"),
    answer="Open311Created",
    **ANSWERS,
)
def post_request(fmt: str):
    check_address()
    client = _client()
    store = get_store()
    store.actor = f"open311:{client}"
    lon, lat = _position()
    code = params.text("service_code", request.values, required=True)
    description = params.text(
        "description", request.values, default="", max_length=DESCRIPTION_CHARS
    )
    contact = params.contact(request.values, i18n.language())  # GeoReport v2's email, phone
    incident_id, _ = open311.submit(
        store, lookup_index(), db.calendar(), client, lon, lat, code, description, None, contact
    )
    made = open311.receipt(incident_id, code, i18n.language(), db.calendar().categories)
    return answer("service_requests", [made], fmt, 201)


def _position() -> tuple[float, float]:
    """Where a posted request is: ``long`` and ``lat``.  An address alone cannot be
    placed (there is no address register to look it up in): refused naming ``lat``."""
    values = request.values
    address = values.get("address_string") or values.get("address_id")
    if address and not (values.get("lat") or values.get("long")):
        raise InvalidInput(
            say(
                "parameter 'lat' is missing: requests are placed by lat and long; "
                "address_string or address_id alone cannot be placed here"
            ),
            field="lat",
        )
    return params.lonlat(values, ("long", "lat"))


@bp.get(f"/requests.{FMT}")
@public
@documented(
    query("service_request_id", {"type": "string"}, "ids, comma-separated"),
    query("service_code", {"type": "string"}, "service codes, comma-separated"),
    query("start_date", {"type": "string", "format": "date-time"}),
    query("end_date", {"type": "string", "format": "date-time"}),
    query(
        "status",
        {"type": "array", "items": {"type": "string", "enum": list(open311.STATUS_NAMES)}},
        "open, closed or both, comma-separated",
        explode=False,
    ),
    query("bbox", {"type": "string"}, "west,south,east,north"),
    query("max_requests", {"type": "integer", "minimum": 1}),
    answer="Open311Requests",
    **ANSWERS,
)
def get_requests(fmt: str):
    found = open311.find(get_store(), i18n.language(), **_filters())
    return answer("service_requests", found, fmt)


def _filters() -> dict:
    """The query of ``GET requests``: ids, or codes, status, dates (without any: the last
    ``DEFAULT_DAYS`` days), bbox; and how many at most."""
    ids = params.ids("service_request_id", what="request")
    start = params.moment("start_date", naive=LOCAL_TZ)
    end = params.moment("end_date", naive=LOCAL_TZ)
    if ids is None and start is None and end is None:
        start = cases.now() - timedelta(days=DEFAULT_DAYS)
    return {
        "ids": ids,
        "codes": [c.strip() for c in (params.text("service_code") or "").split(",") if c.strip()],
        "status": params.choices("status", open311.STATUS_NAMES, any_case=True),
        "start": start,
        "end": end,
        "bbox": params.bbox(),
        "limit": params.integer("max_requests", open311.MAX_REQUESTS, 1, open311.MAX_REQUESTS),
    }


@bp.get(f"/requests/<int:incident_id>.{FMT}")
@public
@documented(answer="Open311Requests", **ANSWERS)
def get_request(incident_id: int, fmt: str):
    get_store().case(incident_id)  # NotFound names it
    return answer(
        "service_requests", open311.find(get_store(), i18n.language(), [incident_id]), fmt
    )


@bp.get(f"/tokens/<token>.{FMT}")
@public
@documented(answer="Open311Tokens", **ANSWERS)
def token(token: str, fmt: str):
    incident_id = get_store().public_report(open311.tracking_digest(token))
    return answer(
        "service_requests", [{"service_request_id": str(incident_id), "token": token}], fmt
    )


def unknown_path():
    """A path under ``/open311`` that no route matches (a format not json or xml,
    another version, the prefix alone): its 404 (or 405) in the spec's shape too."""
    exc = request.routing_exception
    ours = (request.path + "/").startswith("/open311/")
    if ours and isinstance(exc, HTTPException) and (exc.code or 0) >= 400:
        return other_sites_may_call(http_error(exc))
    return None


def init_app(app) -> None:
    app.before_request(unknown_path)
    per_key = app.config.get("OPEN311_PER_KEY", (120, 3600))
    per_address = app.config.get("OPEN311_PER_ADDRESS", (20, 3600))
    app.extensions["gridmap_open311_limits"] = (Window(*per_key), Window(*per_address))
    app.register_blueprint(bp)
