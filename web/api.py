"""The JSON API. Coordinates are always lon, lat; GeoJSON for geometries."""

from __future__ import annotations

from datetime import datetime, timezone

import orjson
import shapely
from flask import Blueprint, Response, jsonify

from gridmap import access
from gridmap.catalogue import CATEGORIES, OPEN_STATUSES, STATUSES
from gridmap.coords import gcj02_to_wgs84
from gridmap.errors import say
from gridmap.model import IncidentQuery, utc_text
from gridmap.services import cases
from web import clusters, geojson, i18n, params
from web.auth import public
from web.caller import caller
from web.db import get_store, lookup_at, readable, simplified_layer
from web.openapi import GEOJSON, documented, query

DATUM = query("datum", {"type": "string", "enum": ["wgs84", "gcj02"]}, "gcj02: AMap's lon/lat")
GENERATION = query("generation", {"type": "string"}, "a generation's name or id")
BBOX = query("bbox", {"type": "string"}, "west,south,east,north")

bp = Blueprint("api", __name__, url_prefix="/api")

AREA_PROPS = ["id", "code", "name", "parent_code", "population", "households"]
INCIDENT_PROPS = ["id", "category", "status", "reported_at", "description", "grid_code", "areas"]
HAZARD_PROPS = ["id", "name", "type", "risk_level", "next_inspection", "grid_code"]


@bp.get("/lookup")
@public
@documented(
    query("lon", {"type": "number"}, "longitude", required=True),
    query("lat", {"type": "number"}, "latitude", required=True),
    DATUM,
    GENERATION,
    query("date", {"type": "string", "format": "date"}, "the generation in force that day"),
    answer="Lookup",
)
def lookup():
    lon, lat = params.lonlat()
    if params.datum() == "gcj02":  # a point clicked on AMap tiles: back to WGS-84 first
        lon, lat = gcj02_to_wgs84(lon, lat)
    gen, index = lookup_at(params.text("generation"), params.day("date"))
    answer = index.point(lon, lat)
    answer["generation"] = _generation_json(gen)
    access.hide_officers(caller(), answer)  # names and phones: for those who work with people
    # orjson: the busiest route's answer encoded in C (Flask's encoder took a tenth of it).
    return Response(orjson.dumps(answer), mimetype="application/json")


@bp.get("/layers")
@public
@documented(GENERATION)
def layers():
    store = get_store()
    gen = readable(params.text("generation"))  # a staged one: who may read it
    lang = i18n.language()
    found = [_layer_json(store, layer, gen.id, lang) for layer in store.layers()]
    return jsonify({"generation": _generation_json(gen), "layers": found})


def _layer_json(store, layer, generation_id: int, lang: str) -> dict:
    return {
        "name": layer.name,
        "title": i18n.layer_title(layer, lang),
        "kind": layer.kind,
        "parent": layer.parent,
        "department": layer.department,
        "count": store.count_areas(layer.name, generation_id),
    }


@bp.get("/layers/<layer>")
@public
@documented(
    BBOX,
    query("zoom", {"type": "integer", "minimum": 0, "maximum": 22}),
    DATUM,
    GENERATION,
    answer="FeatureCollection",
    media=GEOJSON,
)
def layer_features(layer: str):
    get_store().layer(layer)  # 404 for an unknown layer
    box = params.bbox()
    zoom = params.integer("zoom", 16, 0, 22)
    frame = simplified_layer(layer, params.text("generation"), zoom)
    if box is not None:
        frame = frame[shapely.intersects(frame.geometry.values, shapely.box(*box))]
    return geojson.features(
        frame.geometry.values,
        geojson.records(frame, AREA_PROPS),
        params.datum(),
        ids=list(frame["code"]),  # an area's code, as in exports and the OGC items
    )


@bp.get("/layers/<layer>/labels")
@public
@documented(BBOX, DATUM, GENERATION, answer="FeatureCollection", media=GEOJSON)
def layer_labels(layer: str):
    """Where a map writes each area's name: a point on the area's surface (a centroid can
    fall outside a crescent-shaped street), with its code and name."""
    get_store().layer(layer)  # 404 for an unknown layer
    box = params.bbox()
    frame = simplified_layer(layer, params.text("generation"), 16)
    if box is not None:
        frame = frame[shapely.intersects(frame.geometry.values, shapely.box(*box))]
    return geojson.features(
        shapely.point_on_surface(frame.geometry.values),
        geojson.records(frame, ["code", "name"]),
        params.datum(),
        ids=list(frame["code"]),
    )


@bp.get("/incidents")
@public
@documented(
    BBOX,
    query("status", {"type": "string"}, "statuses, comma-separated, or open"),
    query("category", {"type": "string"}, "a category code or its prefix"),
    query("since", {"type": "string", "format": "date"}),
    query("until", {"type": "string", "format": "date"}),
    query("grid", {"type": "string"}),
    query("area", {"type": "string"}, "a community: its grids"),
    query("department", {"type": "string"}),
    query("overdue", {"type": "string", "enum": ["0", "1", "true", "false"]}),
    query("limit", {"type": "integer", "minimum": 1, "maximum": 50_000}),
    query("zoom", {"type": "integer", "minimum": 0, "maximum": 22}),
    DATUM,
    answer="FeatureCollection",
    media=GEOJSON,
)
def incidents():
    store = get_store()
    query = _incident_query(store)
    limit = params.integer("limit", 5000, 1, 50_000)
    zoom = params.integer("zoom", 22, 0, 22)
    datum = params.datum()
    if zoom < 22:  # more than ``limit`` incidents: clusters instead
        lonlat = clusters.coordinates(store, query)
        if len(lonlat) > limit:
            return _clusters(lonlat, zoom, datum)
    frame, total = store.incidents_in(query, limit=limit, deadlines=True)
    frame = access.redact_frame(caller(), frame)  # staff-written descriptions are internal
    records = _incident_records(frame)
    extra = {"clustered": False, "total": total}
    return geojson.features(frame.geometry.values, records, datum, extra=extra)


def _incident_records(frame) -> list[dict]:
    """The map's properties of each incident, with its due time and where its clock
    stands (``deadline``: overdue, due_soon or null), which the popup and the marker's
    ring show."""
    at = cases.now()
    records = geojson.records(frame, [*INCIDENT_PROPS, "due_utc", "warn_utc"])
    for r in records:
        r["deadline"] = cases.deadline(r, at)
        del r["warn_utc"]
    return records


def _incident_query(store) -> IncidentQuery:
    return IncidentQuery(
        bbox=params.bbox(),
        statuses=_statuses(),
        category=_category(),
        since=params.day("since"),
        until=params.day("until"),
        grid_code=params.text("grid"),
        department=params.choice("department", list(store.departments())),
        overdue_at=utc_text(datetime.now(timezone.utc)) if params.flag("overdue") else None,
        grid_codes=_grids_of(params.text("area")),
    )


def _clusters(points, zoom: int, datum: str):
    """Counted cells, each with its count per status (the map draws them as a ring)."""
    codes = list(STATUSES)
    centres, counts, split = clusters.cluster_by_status(points, zoom, len(codes))
    return geojson.features(
        shapely.points(centres),
        [
            {
                "cluster": True,
                "count": int(c),
                "statuses": {codes[i]: int(n) for i, n in enumerate(row) if n},
            }
            for c, row in zip(counts, split, strict=True)
        ],
        datum,
        extra={"clustered": True, "total": int(len(points))},
    )


@bp.get("/incidents/<int:incident_id>")
@public
@documented()
def incident(incident_id: int):
    row = get_store().incident(incident_id)
    (record,) = geojson.records(access.redact_frame(caller(), row.to_frame().T), INCIDENT_PROPS)
    record["lon"], record["lat"] = float(row["lon"]), float(row["lat"])
    return jsonify(record)


@bp.get("/hazards")
@public
@documented(BBOX, DATUM, answer="FeatureCollection", media=GEOJSON)
def hazards():
    frame = get_store().hazards(bbox=params.bbox())
    return geojson.features(
        frame.geometry.values, geojson.records(frame, HAZARD_PROPS), params.datum()
    )


@bp.get("/search")
@public
@documented(query("q", {"type": "string"}), GENERATION)
def search():
    q = params.text("q", max_length=200)
    if not q:
        return jsonify({"results": []})
    gen = readable(params.text("generation"))
    return jsonify({"results": get_store().find_areas(q, gen.id)})


def _statuses() -> list[str]:
    """``status``: statuses, or ``open`` for every open one (the board's links)."""
    if params.text("status") == "open":
        return sorted(OPEN_STATUSES)
    return params.choices("status", list(STATUSES))


def _grids_of(area: str | None) -> list[str] | None:
    """The grids of the community (the grids' parent area) ``area``."""
    if area is None:
        return None
    grids = get_store().area_names("grid")
    return [code for code, (_, parent) in grids.items() if parent == area or code == area]


def _category() -> str | None:
    value = params.text("category")
    if value and not any(code.startswith(value) for code in CATEGORIES):
        raise params.bad(
            "category", value, say("a category code or its prefix, such as E01 or E0102")
        )
    return value


def _generation_json(gen) -> dict:
    return {
        "id": gen.id,
        "name": gen.name,
        "active": gen.active,
        "effective_from": gen.effective_from and gen.effective_from.isoformat(),
        "effective_to": gen.effective_to and gen.effective_to.isoformat(),
    }
