"""The OpenAPI 3 document of the JSON API, generated from the app itself with apispec.

Every rule under the documented prefixes is walked in the URL map: its path parameters
come from the rule's converters, its 401/403 answers from the view's access policy, its
summary from the view's docstring, and its query parameters and answer schema from the
``@documented`` mark next to the route.  Nothing is listed by hand, so a new route
appears (and is checked by schemathesis) as soon as it exists.  ``/ogc/openapi.json`` is
the OGC API's part of the same document, one path per collection as OGC clients read it.
"""

from __future__ import annotations

import re

from apispec import APISpec
from flask import Blueprint, current_app, jsonify, render_template, url_for

from web import i18n
from web.auth import public

bp = Blueprint("openapi", __name__)
PREFIXES = ("/api/", "/ogc/", "/point/", "/area/", "/open311/")
JSON, GEOJSON, HTML = "application/json", "application/geo+json", "text/html"
FORM = "application/x-www-form-urlencoded"

NUMBER = {"type": "number"}
SCHEMAS = {
    "Error": {
        "type": "object",
        "required": ["error"],
        "properties": {
            "error": {"type": "string"},
            "message": {"type": "string"},
            "parameter": {"type": "string"},
            "code": {"type": "integer"},
        },
    },
    "Geometry": {
        "type": "object",
        "required": ["type"],
        "properties": {"type": {"type": "string"}, "coordinates": {"type": "array"}},
        "nullable": True,
    },
    "Feature": {
        "type": "object",
        "required": ["type", "geometry", "properties"],
        "properties": {
            "type": {"type": "string", "enum": ["Feature"]},
            "id": {"oneOf": [{"type": "string"}, {"type": "integer"}]},
            "geometry": {"$ref": "#/components/schemas/Geometry"},
            "properties": {"type": "object", "nullable": True},
            "links": {"type": "array", "items": {"$ref": "#/components/schemas/Link"}},
        },
    },
    "FeatureCollection": {
        "type": "object",
        "required": ["type", "features"],
        "properties": {
            "type": {"type": "string", "enum": ["FeatureCollection"]},
            "features": {"type": "array", "items": {"$ref": "#/components/schemas/Feature"}},
            "numberMatched": {"type": "integer", "minimum": 0},
            "numberReturned": {"type": "integer", "minimum": 0},
            "timeStamp": {"type": "string", "format": "date-time"},
            "links": {"type": "array", "items": {"$ref": "#/components/schemas/Link"}},
        },
    },
    "Link": {
        "type": "object",
        "required": ["href", "rel"],
        "properties": {
            "href": {"type": "string"},
            "rel": {"type": "string"},
            "type": {"type": "string"},
            "title": {"type": "string"},
        },
    },
    "Links": {
        "type": "object",
        "required": ["links"],
        "properties": {
            "links": {"type": "array", "items": {"$ref": "#/components/schemas/Link"}},
        },
    },
    "Collection": {
        "type": "object",
        "required": ["id", "links"],
        "properties": {
            "id": {"type": "string"},
            "title": {"type": "string"},
            "itemType": {"type": "string"},
            "crs": {"type": "array", "items": {"type": "string"}},
            "extent": {"type": "object"},
            "links": {"type": "array", "items": {"$ref": "#/components/schemas/Link"}},
        },
    },
    "Collections": {
        "type": "object",
        "required": ["links", "collections"],
        "properties": {
            "links": {"type": "array", "items": {"$ref": "#/components/schemas/Link"}},
            "collections": {"type": "array", "items": {"$ref": "#/components/schemas/Collection"}},
        },
    },
    "Conformance": {
        "type": "object",
        "required": ["conformsTo"],
        "properties": {"conformsTo": {"type": "array", "items": {"type": "string"}}},
    },
    "MapItArea": {
        "type": "object",
        "required": ["id", "name", "type", "parent_area", "generation_low", "generation_high"],
        "properties": {
            "id": {"type": "integer"},
            "name": {"type": "string"},
            "parent_area": {"type": "integer", "nullable": True},
            "type": {"type": "string"},
            "type_name": {"type": "string"},
            "country": {"type": "string"},
            "country_name": {"type": "string"},
            "generation_low": {"type": "integer", "nullable": True},
            "generation_high": {"type": "integer", "nullable": True},
            "codes": {"type": "object", "additionalProperties": {"type": "string"}},
            "all_names": {"type": "object"},
        },
    },
    "MapItAreas": {
        "type": "object",
        "additionalProperties": {"$ref": "#/components/schemas/MapItArea"},
    },
    "Lookup": {
        "type": "object",
        "required": ["lon", "lat", "covered", "areas", "zones"],
        "properties": {
            "lon": NUMBER,
            "lat": NUMBER,
            "covered": {"type": "boolean"},
            "on_border": {"type": "boolean"},
            "areas": {"type": "object"},
            "zones": {"type": "object"},
            "references": {"type": "object"},
            "officer": {"type": "object", "nullable": True},
            "generation": {"type": "object"},
        },
    },
    "Object": {"type": "object"},
    # Open311 GeoReport v2's answers as its JSON shows them (the XML holds the same).
    "Open311Discovery": {
        "type": "object",
        "required": ["changeset", "contact", "key_service", "endpoints"],
        "properties": {
            "changeset": {"type": "string", "format": "date-time"},
            "contact": {"type": "string", "minLength": 1},
            "key_service": {"type": "string"},
            "endpoints": {
                "type": "array",
                "items": {
                    "type": "object",
                    "required": ["specification", "url", "changeset", "type", "formats"],
                    "properties": {
                        "specification": {"type": "string"},
                        "url": {"type": "string"},
                        "changeset": {"type": "string", "format": "date-time"},
                        "type": {"type": "string", "enum": ["production", "test"]},
                        "formats": {"type": "array", "items": {"type": "string"}},
                    },
                },
            },
        },
    },
    "Open311Services": {
        "type": "array",
        "items": {
            "type": "object",
            "required": ["service_code", "service_name", "metadata", "type"],
            "properties": {
                "service_code": {"type": "string"},
                "service_name": {"type": "string"},
                "description": {"type": "string", "nullable": True},
                "metadata": {"type": "boolean"},
                "type": {"type": "string", "enum": ["realtime", "batch", "blackbox"]},
                "keywords": {"type": "string", "nullable": True},
                "group": {"type": "string", "nullable": True},
            },
        },
    },
    "Open311ServiceDefinition": {
        "type": "object",
        "required": ["service_code", "attributes"],
        "properties": {
            "service_code": {"type": "string"},
            "attributes": {"type": "array", "items": {"type": "object"}},
        },
    },
    "Open311Created": {
        "type": "array",
        "items": {
            "type": "object",
            "required": ["service_request_id"],  # made at once: an id, never a token
            "properties": {
                "service_request_id": {"type": "string"},
                "service_notice": {"type": "string", "nullable": True},
                "account_id": {"type": "string", "nullable": True},
            },
            "additionalProperties": False,
        },
    },
    "Open311Requests": {
        "type": "array",
        "items": {
            "type": "object",
            "required": [
                "service_request_id",
                "status",
                "service_code",
                "requested_datetime",
                "lat",
                "long",
            ],
            "properties": {
                "service_request_id": {"type": "string"},
                "status": {"type": "string", "enum": ["open", "closed"]},
                "status_notes": {"type": "string", "nullable": True},
                "service_name": {"type": "string", "nullable": True},
                "service_code": {"type": "string"},
                "description": {"type": "string", "nullable": True},
                "agency_responsible": {"type": "string", "nullable": True},
                "service_notice": {"type": "string", "nullable": True},
                "requested_datetime": {"type": "string", "format": "date-time"},
                "updated_datetime": {"type": "string", "format": "date-time", "nullable": True},
                "expected_datetime": {"type": "string", "format": "date-time", "nullable": True},
                "address": {"type": "string", "nullable": True},
                "address_id": {"type": "string", "nullable": True},
                "zipcode": {"type": "string", "nullable": True},
                "lat": NUMBER,
                "long": NUMBER,
                "media_url": {"type": "string", "nullable": True},
            },
        },
    },
    "Open311Tokens": {
        "type": "array",
        "items": {
            "type": "object",
            "required": ["service_request_id", "token"],
            "properties": {"service_request_id": {"type": "string"}, "token": {"type": "string"}},
        },
    },
    "Open311Errors": {
        "type": "array",
        "items": {
            "type": "object",
            "required": ["code", "description"],
            "properties": {"code": {"type": "integer"}, "description": {"type": "string"}},
        },
    },
}


def query(name: str, schema: dict, description: str = "", **more) -> dict:
    """A query parameter of a ``@documented`` route."""
    return {
        "name": name,
        "in": "query",
        "required": False,
        "schema": schema,
        "description": description,
        **more,
    }


def body(properties: dict, required: tuple[str, ...] = (), media: str = JSON) -> dict:
    """The request body of a ``@documented`` route: an object with ``properties``."""
    schema: dict = {"type": "object", "properties": properties}
    if required:
        schema["required"] = list(required)
    return {"required": True, "content": {media: {"schema": schema}}}


def documented(
    *parameters: dict,
    answer: str = "Object",
    media: str | tuple[str, ...] = JSON,
    html=False,
    request_body: dict | None = None,
    status: str = "200",
    errors: str = "Error",
    more: tuple[str, ...] = (),
):
    """What the URL map cannot tell about a route: its query parameters, its request
    body (``body(...)``), the status, schema and media types of its answer (and whether
    ``f=html`` answers a page too), the schema of its errors and the error statuses it
    may answer besides 400, 404 and those of its access policy (``more``)."""

    def mark(view):
        view.openapi = {
            "parameters": list(parameters),
            "answer": answer,
            "media": (media,) if isinstance(media, str) else media,
            "html": html,
            "body": request_body,
            "status": status,
            "errors": errors,
            "more": more,
        }
        return view

    return mark


STRING, INTEGER, BOOLEAN = {"type": "string"}, {"type": "integer"}, {"type": "boolean"}
DAY = {"type": "string", "format": "date"}
UNIT_OPTIONS = {
    "generation": STRING,
    "layer": STRING,
    "split_into": STRING,
    "parent": STRING,
    "months": {"type": "integer", "minimum": 1, "maximum": 1200},
}
PLAN_BOUNDS = {"k": INTEGER, "min": NUMBER, "max": NUMBER, "epsilon": NUMBER}
# The request bodies the JSON API takes (the views parse them with ``web.params``).
CASE_REPORT = body(
    {
        "lon": {"type": "number", "minimum": -180, "maximum": 180},
        "lat": {"type": "number", "minimum": -90, "maximum": 90},
        "category": STRING,
        "description": STRING,
        "reporter": STRING,
        "hazard": INTEGER,
        "idempotency_key": STRING,  # or the Idempotency-Key header
    },
    ("lon", "lat", "category"),
)
HAZARD_INSPECTION = body(
    {"day": DAY, "result": STRING, "note": STRING, "idempotency_key": STRING},
    ("day", "result"),
)
# A request sent again with the key of one already done gets the first one's answer.
IDEMPOTENCY_KEY = {
    "name": "Idempotency-Key",
    "in": "header",
    "required": False,
    "schema": STRING,
    "description": "a UUID the client made for this request: sent again, the same answer",
}
CASE_ACTION = body(
    {
        "action": STRING,
        "note": STRING,
        "department": STRING,
        "review_on": DAY,
        "rating": STRING,
        "expected": STRING,
    },
    ("action",),
)
CASE_MERGE = body(
    {"children": {"type": "array", "items": {"type": "integer"}}, "note": STRING},
    ("children",),
)
PLAN_NEW = body(
    {
        "name": STRING,
        "assignment": {"type": "object", "additionalProperties": STRING},
        "from_layer": STRING,
        **UNIT_OPTIONS,
        **PLAN_BOUNDS,
    },
    ("name",),
)
PLAN_CHANGES = body(
    {
        "changes": {"type": "object", "additionalProperties": STRING},
        "version": STRING,
        **PLAN_BOUNDS,
    },
    ("changes",),
)
PLAN_PUBLISH = body(
    {
        "name": STRING,
        "activate": BOOLEAN,
        "description": STRING,
        "layer": STRING,
        "effective": DAY,
        # the new areas' names, by code, instead of those proposed
        "names": {"type": "object", "additionalProperties": STRING},
    },
    ("name",),
)
PLAN_AUTO = body(
    {
        "name": STRING,
        "balance": {"type": "string", "enum": ["population", "households", "workload"]},
        "seconds": {"type": "number", "minimum": 0, "maximum": 600},
        **UNIT_OPTIONS,
        **PLAN_BOUNDS,
    },
)
# POST requests as the spec lists its fields.  Requests are placed by lat/long only:
# address_string and address_id are accepted beside them (the position places the
# request; the text is not kept), alone they are a 400.  Who reports is not kept either.
OPEN311_POST = body(
    {
        "api_key": STRING,
        "service_code": STRING,
        "lat": {"type": "number", "minimum": -90, "maximum": 90},
        "long": {"type": "number", "minimum": -180, "maximum": 180},
        "description": {"type": "string", "maxLength": 4000},
        "address_string": {"type": "string", "description": "accepted beside lat/long only"},
        "address_id": {"type": "string", "description": "accepted beside lat/long only"},
        # GeoReport v2's email and phone: where the reporter is told of progress (kept
        # for that alone).
        "email": STRING,
        "device_id": STRING,
        "account_id": STRING,
        "first_name": STRING,
        "last_name": STRING,
        "phone": STRING,
        "media_url": STRING,
    },
    ("api_key", "service_code", "lat", "long"),
    media=FORM,
)


UNDOCUMENTED = documented()(lambda: None).openapi
REASONS = {
    "400": "A parameter is wrong: the answer names it",
    "403": "Not allowed",
    "404": "No such thing",
    "409": "Changed meanwhile",
    "422": "Well-formed, but it cannot be satisfied",
    "429": "Too many at once: try again later",
}


def _path(rule: str) -> tuple[str, list[dict]]:
    """``/a/<int:x>/<y>`` as ``/a/{x}/{y}`` with the parameters' schemas."""
    out = []

    def fill(m):
        converter, name = m.group(1) or "string", m.group(3)
        if converter == "int":
            schema = {"type": "integer", "minimum": 0}
        elif converter == "any":  # <any(json, xml):fmt>
            schema = {"type": "string", "enum": re.findall(r"\w+", m.group(2))}
        elif converter == "path":
            schema = {"type": "string", "minLength": 1}
        else:  # a default segment: no slash
            schema = {"type": "string", "minLength": 1, "pattern": "^[^/]+$"}
        out.append({"name": name, "in": "path", "required": True, "schema": schema})
        return "{" + name + "}"

    return re.sub(r"<(?:(\w+)(?:\(([^)]*)\))?:)?(\w+)>", fill, rule), out


def _error(description: str, schema: str, media: tuple[str, ...]) -> dict:
    ref = {"schema": {"$ref": f"#/components/schemas/{schema}"}}
    return {"description": description, "content": {m: ref for m in media}}


def _operation(view, path_params: list[dict]) -> dict:
    info = getattr(view, "openapi", UNDOCUMENTED)
    answer = {"schema": {"$ref": f"#/components/schemas/{info['answer']}"}}
    content = {m: answer for m in info["media"]}
    if info["html"]:
        content[HTML] = {"schema": {"type": "string"}}
    media = tuple(m for m in info["media"] if m != GEOJSON) or (JSON,)

    def error(reason: str) -> dict:
        return _error(reason, info["errors"], media)

    responses = {info["status"]: {"description": "OK", "content": content}}
    for code in ("400", "404", *info["more"]):
        responses[code] = error(REASONS[code])
    kind = getattr(view, "gridmap_policy", ("roles", ()))[0]
    if kind == "public":  # public unless the city closes the map
        responses["401"] = error("The map is not public: sign in first")
    elif kind != "always":
        responses["401"] = error("Sign in first (or send a bearer token)")
        responses["403"] = error("This needs another role")
    summary = (view.__doc__ or view.__name__.replace("_", " ")).strip().splitlines()[0]
    operation = {
        "summary": summary,
        "operationId": view.__name__,
        "parameters": path_params + info["parameters"],
        "responses": responses,
    }
    if info["body"]:
        operation["requestBody"] = info["body"]
    return operation


def build(app, base: str = "/", prefix: str = "", expand: dict | None = None) -> dict:
    """The document of the rules under ``PREFIXES`` (only those under ``prefix``, with it
    taken off the paths, when given); ``expand`` lists values that replace a path
    parameter (OGC clients read one path per collection)."""
    spec = APISpec(title="gridmap", version="1", openapi_version="3.0.3", servers=[{"url": base}])
    for name, schema in SCHEMAS.items():
        spec.components.schema(name, schema)
    for rule in sorted(app.url_map.iter_rules(), key=lambda r: r.rule):
        if not rule.rule.startswith(PREFIXES) or not rule.rule.startswith(prefix or "/"):
            continue
        view = app.view_functions[rule.endpoint]
        path, path_params = _path(rule.rule[len(prefix) :] if prefix else rule.rule)
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            for concrete, params in _expanded(path, path_params, expand or {}):
                operation = _operation(view, params)
                if concrete != path:
                    operation["operationId"] += "_" + re.sub(r"\W", "_", concrete)
                spec.path(path=concrete, operations={method.lower(): operation})
    return spec.to_dict()


def _expanded(path: str, params: list[dict], expand: dict):
    name = next((p["name"] for p in params if p["name"] in expand), None)
    if name is None:
        yield path, params
        return
    rest = [p for p in params if p["name"] != name]
    for value in expand[name]:
        yield path.replace("{" + name + "}", value), rest


@bp.get("/openapi.json")
@public
def document():
    """The OpenAPI 3 document of the JSON API"""
    return jsonify(build(current_app, url_for("pages.index", _external=True).rstrip("/")))


@bp.get("/openapi")
@public
def page():
    """The OpenAPI document as a page to browse"""
    return render_template("openapi.html", lang=i18n.language())
