"""OGC API - Features Part 1 Core at ``/ogc/``, in GeoJSON and HTML: a collection for
each layer of the active generation, and incidents and hazards.

Feature ids are stable: an area's code (it outlives the row of each generation), an
incident's or hazard's record id.  Incidents are dated by when they were reported,
hazards by their next inspection (``datetime`` filters on these).  A staged generation's
layers are collections of their own (``grid-g2``, titled with the generation) for those
who may read it.  Anonymous callers see
only the collections in ``OGC_PUBLIC_COLLECTIONS`` (None: all of them); the people who
reported an incident, and descriptions staff wrote, only the roles that work with people
(``gridmap.access`` redacts every page and feature).
"""

from __future__ import annotations

import json
import math
from collections import Counter
from dataclasses import dataclass, replace
from datetime import datetime, timezone

import shapely
from flask import Blueprint, Response, current_app, jsonify, render_template, request, url_for
from flask_babel import gettext
from flask_babel import lazy_gettext as _l

from gridmap import access
from gridmap.errors import InvalidInput, NotFound, say
from gridmap.model import IncidentQuery, utc_text
from gridmap.services import generations as services
from web import geojson, i18n, params
from web.auth import public
from web.caller import caller, may
from web.db import get_store, simplified_layer, view
from web.openapi import build, documented, query

bp = Blueprint("ogc", __name__, url_prefix="/ogc")
CRS84 = "http://www.opengis.net/def/crs/OGC/1.3/CRS84"
# The parameters as OGC API - Features Core defines them (its OpenAPI fragments).
F = query("f", {"type": "string", "enum": ["json", "html"]}, "json (the default) or html")
FORM = {"style": "form", "explode": False}
BBOX = query(
    "bbox",
    {"type": "array", "minItems": 4, "maxItems": 6, "items": {"type": "number"}},
    "west,south,east,north in WGS 84 (or six numbers with heights)",
    **FORM,
)
LIMIT = query(
    "limit", {"type": "integer", "minimum": 1, "maximum": 10_000, "default": 10}, "", **FORM
)
OFFSET = query("offset", {"type": "integer", "minimum": 0, "maximum": 10**9}, "", **FORM)
CRS = query("crs", {"type": "string", "enum": [CRS84]}, "the CRS of the answer", **FORM)
BBOX_CRS = query("bbox-crs", {"type": "string", "enum": [CRS84]}, "the CRS of bbox", **FORM)
DATETIME = query("datetime", {"type": "string"}, "an RFC 3339 instant or interval", **FORM)

CONFORMANCE = [
    "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/core",
    "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/geojson",
    "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/html",
    "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/oas30",
    # Part 2 with CRS84 its one CRS: the parameters are understood, other CRSs refused.
    "http://www.opengis.net/spec/ogcapi-features-2/1.0/conf/crs",
]
JSON, GEOJSON, HTML = "application/json", "application/geo+json", "text/html"
OPENAPI = "application/vnd.oai.openapi+json;version=3.0"
DEFAULT_LIMIT, MAX_LIMIT = 10, 10_000
# Core requirement /req/core/query-param-unknown: any other parameter is a 400.
COMMON_PARAMS = {"f", "lang"}
ITEMS_PARAMS = COMMON_PARAMS | {"limit", "offset", "bbox", "datetime", "crs", "bbox-crs"}
AREA_PROPS = ["code", "name", "parent_code", "population", "households"]
EVENT_PROPS = {
    "incidents": ["category", "status", "reported_at", "description", "grid_code", "areas"],
    "hazards": ["name", "type", "risk_level", "next_inspection", "grid_code", "areas"],
}
EVENT_TITLES = {"incidents": _l("Incidents"), "hazards": _l("Hazards")}


@dataclass(frozen=True)
class Collection:
    id: str
    title: str
    kind: str  # "layer", "incidents" or "hazards"
    layer: str = ""  # a layer's name
    generation: int | None = None  # a staged generation's id; None: the active one


def _only(allowed: set[str]) -> None:
    unknown = sorted(set(request.args) - allowed)
    if unknown:
        raise InvalidInput(
            say(
                "parameter {unknown!r} is not one of {allowed}",
                unknown=unknown[0],
                allowed=", ".join(sorted(allowed)),
            ),
            field=unknown[0],
        )


def _html() -> bool:
    """``f=html`` or ``f=json``; without ``f``, what the caller's Accept prefers."""
    f = params.choice("f", ("json", "html"))
    if f is not None:
        return f == "html"
    accept = request.accept_mimetypes
    return accept.quality(HTML) > max(accept.quality(JSON), accept.quality(GEOJSON))


def _url(endpoint: str, f: str | None = None, *, keep: bool = False, **values) -> str:
    """An absolute link in format ``f``; ``keep``: with this request's parameters (paging
    links keep the bbox, datetime and limit they page through)."""
    args = {k: v for k, v in request.args.items() if k != "f"} if keep else {}
    args.update(values)
    if f:
        args["f"] = f
    return url_for(endpoint, _external=True, **args)


def _link(href: str, rel: str, media: str, title: str | None = None) -> dict:
    link = {"href": href, "rel": rel, "type": media}
    if title:
        link["title"] = title
    return link


def _self(endpoint: str, media: str, **values) -> list[dict]:
    """The self link in the format answered and an alternate in the other one."""
    html = _html()
    here = _link(
        _url(endpoint, "html" if html else "json", **values), "self", HTML if html else media
    )
    other = _link(
        _url(endpoint, "json" if html else "html", **values), "alternate", media if html else HTML
    )
    return [here, other]


def _answer(body: dict, template: str, media: str = JSON, **page):
    if _html():
        lang = i18n.language()
        return render_template(template, lang=lang, doc=body, **page)
    # allow_nan=False: NaN is not JSON, and strict clients fail on it; better a loud error.
    return Response(
        json.dumps(body, ensure_ascii=False, default=str, allow_nan=False), mimetype=media
    )


def collections() -> list[Collection]:
    """The collections this caller may read: the layers of the active generation that
    hold areas, the events, and the layers of each staged generation the caller may
    read (``{layer}-g{id}``, titled with the generation); every title is unique."""
    lang = i18n.language()
    store = get_store()
    gens = store.generations()
    shown = [g for g in gens if g.active]
    shown += [g for g in services.staged(store) if may(access.GENERATION_READ, view(g, gens))]
    found = []
    for gen in shown:
        for x in store.layers():
            if not store.count_areas(x.name, gen.id):
                continue  # a layer of another generation only: nothing to serve here
            if gen.active:
                found.append(Collection(x.name, i18n.layer_title(x, lang), "layer", x.name))
                continue
            title = gettext(
                "%(title)s (staged %(generation)s)",
                title=i18n.layer_title(x, lang),
                generation=gen.name,
            )
            found.append(Collection(f"{x.name}-g{gen.id}", title, "layer", x.name, gen.id))
    found += [Collection(k, str(EVENT_TITLES[k]), k) for k in EVENT_TITLES]
    public_ids = current_app.config.get("OGC_PUBLIC_COLLECTIONS")
    if not access.holds(caller(), access.SIGNED_IN) and public_ids is not None:
        found = [c for c in found if c.id in public_ids]
    return _unique_titles(found)


def _unique_titles(found: list[Collection]) -> list[Collection]:
    """Two layers titled alike (an imported 社区 beside the sample's) told apart by id."""
    titles = Counter(c.title for c in found)
    return [replace(c, title=f"{c.title} ({c.id})") if titles[c.title] > 1 else c for c in found]


def collection(collection_id: str) -> Collection:
    found = next((c for c in collections() if c.id == collection_id), None)
    if found is None:
        raise NotFound(say("no collection {collection_id!r}", collection_id=collection_id))
    return found


def _extent(c: Collection) -> dict | None:
    """The collection's extent; None for an empty one (it has none: no NaN, no globe)."""
    store = get_store()
    if c.kind == "layer":
        frame = simplified_layer(c.layer, c.generation, 16)
    else:
        frame = store.hazards() if c.kind == "hazards" else store.incidents()
    bounds = [float(v) for v in frame.total_bounds] if len(frame) else []
    if not bounds or not all(math.isfinite(v) for v in bounds):
        return None
    extent = {"spatial": {"bbox": [bounds], "crs": CRS84}}
    if c.kind != "layer":
        extent["temporal"] = {
            "interval": [[None, None]],
            "trs": "http://www.opengis.net/def/uom/ISO-8601/0/Gregorian",
        }
    return extent


def collection_json(c: Collection) -> dict:
    body = {"id": c.id, "title": c.title, "itemType": "feature", "crs": [CRS84]}
    body["storageCrs"] = CRS84
    extent = _extent(c)
    if extent is not None:
        body["extent"] = extent
    body["links"] = [
        *_self("ogc.one_collection", JSON, collection_id=c.id),
        _link(_url("ogc.items", "json", collection_id=c.id), "items", GEOJSON, c.title),
        _link(_url("ogc.items", "html", collection_id=c.id), "items", HTML, c.title),
    ]
    return body


def _crs(*names: str) -> None:
    """``crs`` and ``bbox-crs`` (Part 2): CRS84 is the one CRS served."""
    for name in names:
        value = params.text(name)
        if value is not None and value.strip("<>") != CRS84:
            raise params.bad(name, value, say("{crs}, the only CRS served", crs=CRS84))


def _geojson_answer(answer: Response, heading: str):
    """GeoJSON with its Content-Crs (Part 2), or the same features as a page."""
    if _html():
        return _answer(json.loads(answer.get_data()), "ogc.html", heading=heading)
    answer.headers["Content-Crs"] = f"<{CRS84}>"
    return answer


def _interval() -> tuple[str | None, str | None]:
    """``datetime``: an instant or an interval, as inclusive UTC texts."""
    return tuple(None if t is None else utc_text(t) for t in params.interval("datetime"))


def page(c: Collection, box, limit: int, offset: int, interval) -> tuple:
    """(frame, how many match) of one page of ``c``'s features."""
    store = get_store()
    if c.kind == "incidents":
        query = IncidentQuery(bbox=box, reported_from=interval[0], reported_to=interval[1])
        frame, matched = store.incidents_in(query, limit=limit, offset=offset, oldest_first=True)
        return access.redact_frame(caller(), frame), matched
    if c.kind == "hazards":
        frame = store.hazards(bbox=box)
        if interval != (None, None):  # days: a hazard is due for inspection on a day
            when = frame["next_inspection"].astype(str)
            keep = frame["next_inspection"].notna()
            if interval[0]:
                keep &= when >= interval[0][:10]
            if interval[1]:
                keep &= when <= interval[1][:10]
            frame = frame[keep]
    else:  # zoom 16: the layer as stored, cached across requests
        frame = simplified_layer(c.layer, c.generation, 16)
        if box is not None:
            frame = frame[shapely.intersects(frame.geometry.values, shapely.box(*box))]
    return frame.iloc[offset : offset + limit], len(frame)


def properties(c: Collection) -> list[str]:
    if c.kind == "layer":
        return AREA_PROPS
    extra = access.fields(caller(), ["reporter"]) if c.kind == "incidents" else []
    return [*EVENT_PROPS[c.kind], "generation", *extra]


def feature_ids(c: Collection, frame) -> list:
    column = "code" if c.kind == "layer" else "id"
    return [v if c.kind == "layer" else int(v) for v in frame[column]]


def _paging(c: Collection, offset: int, limit: int, returned: int, matched: int) -> list[dict]:
    links = [
        *_self("ogc.items", GEOJSON, collection_id=c.id, keep=True),
        _link(_url("ogc.one_collection", "json", collection_id=c.id), "collection", JSON, c.title),
    ]
    if offset + returned < matched:
        nxt = _url("ogc.items", "json", collection_id=c.id, keep=True, offset=offset + limit)
        links.append(_link(nxt, "next", GEOJSON))
    if offset > 0:
        prev = _url(
            "ogc.items", "json", collection_id=c.id, keep=True, offset=max(offset - limit, 0)
        )
        links.append(_link(prev, "prev", GEOJSON))
    return links


def _feature_key(c: Collection, feature_id: str) -> int:
    """An incident's or hazard's id; anything else names no feature."""
    try:
        return params.to_id("feature_id", feature_id)
    except (InvalidInput, NotFound):
        raise NotFound(
            say("no feature {feature_id!r} in {c}", feature_id=feature_id, c=c.id)
        ) from None


def one_feature(c: Collection, feature_id: str):
    """(geometry, properties) of feature ``feature_id``; NotFound when there is none."""
    store = get_store()
    if c.kind == "layer":
        row = store.area(c.layer, feature_id, c.generation)
    elif c.kind == "incidents":
        row = store.incident(_feature_key(c, feature_id)).to_frame().T
        row = access.redact_frame(caller(), row).iloc[0]
    else:
        frame = store.hazards()
        frame = frame[frame["id"] == _feature_key(c, feature_id)]
        if frame.empty:
            raise NotFound(say("no hazard {feature_id}", feature_id=feature_id))
        row = frame.iloc[0]
    (props,) = geojson.records(row.to_frame().T, properties(c))
    return row.geometry, props


@bp.get("/")
@public
@documented(F, answer="Links", html=True)
def landing():
    _only(COMMON_PARAMS)
    body = {
        "title": "gridmap",
        "description": gettext("Layers, incidents and hazards of gridmap"),
        "links": _landing_links(),
    }
    return _answer(body, "ogc.html", heading=body["title"])


def _landing_links() -> list[dict]:
    return [
        *_self("ogc.landing", JSON),
        _link(url_for("ogc.ogc_document", _external=True), "service-desc", OPENAPI, "OpenAPI"),
        _link(url_for("openapi.page", _external=True), "service-doc", HTML, "OpenAPI"),
        _link(_url("ogc.conformance", "json"), "conformance", JSON),
        _link(
            _url("ogc.conformance", "json"),
            "http://www.opengis.net/def/rel/ogc/1.0/conformance",
            JSON,
        ),
        _link(_url("ogc.all_collections", "json"), "data", JSON),
        _link(
            _url("ogc.all_collections", "json"),
            "http://www.opengis.net/def/rel/ogc/1.0/data",
            JSON,
        ),
    ]


@bp.get("/conformance")
@public
@documented(F, answer="Conformance", html=True)
def conformance():
    _only(COMMON_PARAMS)
    body = {"conformsTo": CONFORMANCE, "links": _self("ogc.conformance", JSON)}
    return _answer(body, "ogc.html", heading="Conformance")


@bp.get("/collections")
@public
@documented(F, answer="Collections", html=True)
def all_collections():
    _only(COMMON_PARAMS)
    body = {
        "links": _self("ogc.all_collections", JSON),
        "collections": [collection_json(c) for c in collections()],
    }
    return _answer(body, "ogc.html", heading=gettext("Collections"))


@bp.get("/collections/<collection_id>")
@public
@documented(F, answer="Collection", html=True)
def one_collection(collection_id: str):
    _only(COMMON_PARAMS)
    body = collection_json(collection(collection_id))
    return _answer(body, "ogc.html", heading=body["title"])


@bp.get("/collections/<collection_id>/items")
@public
@documented(
    F,
    BBOX,
    LIMIT,
    OFFSET,
    DATETIME,
    CRS,
    BBOX_CRS,
    answer="FeatureCollection",
    media=GEOJSON,
    html=True,
)
def items(collection_id: str):
    _only(ITEMS_PARAMS)
    _crs("crs", "bbox-crs")
    c = collection(collection_id)
    limit = params.integer("limit", DEFAULT_LIMIT, 1, MAX_LIMIT)
    offset = params.integer("offset", 0, 0, 10**9)
    frame, matched = page(c, params.bbox(heights=True), limit, offset, _interval())
    return _geojson_answer(_page_answer(c, frame, int(matched), offset, limit), c.title)


def _page_answer(c: Collection, frame, matched: int, offset: int, limit: int) -> Response:
    extra = {
        "numberMatched": matched,
        "numberReturned": len(frame),
        "timeStamp": utc_text(datetime.now(timezone.utc)),
        "links": _paging(c, offset, limit, len(frame), matched),
    }
    records = geojson.records(frame, properties(c))
    return geojson.features(frame.geometry.values, records, extra=extra, ids=feature_ids(c, frame))


@bp.get("/collections/<collection_id>/items/<feature_id>")
@public
@documented(F, CRS, answer="Feature", media=GEOJSON, html=True)
def item(collection_id: str, feature_id: str):
    _only(COMMON_PARAMS | {"crs"})
    _crs("crs")
    c = collection(collection_id)
    geom, props = one_feature(c, feature_id)
    fid = feature_id if c.kind == "layer" else _feature_key(c, feature_id)
    links = [
        *_self("ogc.item", GEOJSON, collection_id=c.id, feature_id=feature_id),
        _link(_url("ogc.one_collection", "json", collection_id=c.id), "collection", JSON, c.title),
    ]
    answer = geojson.feature(geom, props, fid, {"links": links})
    return _geojson_answer(answer, f"{c.title} {fid}")


@bp.get("/openapi.json")
@public
@documented(answer="Object")
def ogc_document():
    """The OGC API part of the document, one path per collection"""
    ids = [c.id for c in collections()]
    base = url_for("ogc.landing", _external=True).rstrip("/")
    return jsonify(build(current_app, base, "/ogc", {"collection_id": ids}))
