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
PREFIXES = ("/api/", "/ogc/", "/point/", "/area/")
JSON, GEOJSON, HTML = "application/json", "application/geo+json", "text/html"

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
            "officer": {"type": "object", "nullable": True},
            "generation": {"type": "object"},
        },
    },
    "Object": {"type": "object"},
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


def documented(*parameters: dict, answer: str = "Object", media: str = JSON, html=False):
    """What the URL map cannot tell about a route: its query parameters, the schema and
    media type of its answer (and whether ``f=html`` answers a page too)."""

    def mark(view):
        view.openapi = {
            "parameters": list(parameters),
            "answer": answer,
            "media": media,
            "html": html,
        }
        return view

    return mark


def _path(rule: str) -> tuple[str, list[dict]]:
    """``/a/<int:x>/<y>`` as ``/a/{x}/{y}`` with the parameters' schemas."""
    out = []

    def fill(m):
        converter, name = m.group(1) or "string", m.group(2)
        if converter == "int":
            schema = {"type": "integer", "minimum": 0}
        elif converter == "path":
            schema = {"type": "string", "minLength": 1}
        else:  # a default segment: no slash
            schema = {"type": "string", "minLength": 1, "pattern": "^[^/]+$"}
        out.append({"name": name, "in": "path", "required": True, "schema": schema})
        return "{" + name + "}"

    return re.sub(r"<(?:(\w+)(?:\([^)]*\))?:)?(\w+)>", fill, rule), out


def _error(description: str) -> dict:
    return {
        "description": description,
        "content": {JSON: {"schema": {"$ref": "#/components/schemas/Error"}}},
    }


def _operation(view, path_params: list[dict]) -> dict:
    info = getattr(
        view, "openapi", {"parameters": [], "answer": "Object", "media": JSON, "html": False}
    )
    content = {info["media"]: {"schema": {"$ref": f"#/components/schemas/{info['answer']}"}}}
    if info["html"]:
        content[HTML] = {"schema": {"type": "string"}}
    responses = {
        "200": {"description": "OK", "content": content},
        "400": _error("A parameter is wrong: the answer names it"),
        "404": _error("No such thing"),
    }
    kind = getattr(view, "gridmap_policy", ("roles", ()))[0]
    if kind == "public":  # public unless the city closes the map
        responses["401"] = _error("The map is not public: sign in first")
    elif kind != "always":
        responses["401"] = _error("Sign in first (or send a bearer token)")
        responses["403"] = _error("This needs another role")
    summary = (view.__doc__ or view.__name__.replace("_", " ")).strip().splitlines()[0]
    return {
        "summary": summary,
        "operationId": view.__name__,
        "parameters": path_params + info["parameters"],
        "responses": responses,
    }


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
