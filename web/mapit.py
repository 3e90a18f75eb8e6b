"""MapIt-compatible answers: ``/point/4326/<lon>,<lat>`` and ``/area/<id>`` in the JSON
shape of mySociety's MapIt, so MapIt clients work unchanged.

MapIt has one integer id per area (version) across all its types; gridmap keeps each
layer's areas in their own table with their own row ids.  A MapIt id joins the two:
``layer key * 10**7 + row id``, the layer key a hash of the layer's name (so ids stay the
same when layers are added) kept within 1..999,999 (ids below 2**53, exact in JSON).

As MapIt answers: any site's page may read them (``Access-Control-Allow-Origin: *``),
caches may keep them a few minutes (privately when the caller is signed in: a staged
generation is theirs to see), and a ``generation`` that is none is a 400, as a malformed
one is.
"""

from __future__ import annotations

import zlib

import pandas as pd
from flask import Blueprint, Response, jsonify
from flask_login import current_user

from gridmap.errors import GridmapError, InvalidInput, NotFound, say
from web import i18n, params
from web.auth import public
from web.db import get_store, lookup_at
from web.errors import status_of
from web.openapi import documented, query

bp = Blueprint("mapit", __name__)
ROWS = 10**7  # row ids per layer
CACHE_SECONDS = 300  # areas change only when a generation is activated


@bp.after_request
def as_mapit_answers(response: Response) -> Response:
    response.headers["Access-Control-Allow-Origin"] = "*"
    if response.status_code != 200:
        response.headers["Cache-Control"] = "no-store"
    else:
        who = "private" if current_user.is_authenticated else "public"
        response.headers["Cache-Control"] = f"{who}, max-age={CACHE_SECONDS}"
        response.vary.update(("Authorization", "Cookie"))
    return response


@bp.errorhandler(GridmapError)
def _error(exc: GridmapError):
    """MapIt's error shape: ``{"error": message, "code": status}``."""
    status = status_of(exc)
    return jsonify({"error": i18n.error_message(exc), "code": status}), status


def layer_keys(names) -> dict[str, int]:
    """Each layer's key; a clash (rare) moves the later name, in name order, along."""
    keys: dict[str, int] = {}
    for name in sorted(names):
        key = zlib.crc32(name.encode()) % 999_999 + 1
        while key in keys.values():
            key = key % 999_999 + 1
        keys[name] = key
    return keys


def mapit_id(keys: dict[str, int], layer: str, row_id: int) -> int:
    return keys[layer] * ROWS + int(row_id)


def _parse_id(keys: dict[str, int], raw: str) -> tuple[str, int]:
    key, row = divmod(params.to_id("area_id", raw, "area"), ROWS)
    layer = next((name for name, k in keys.items() if k == key), None)
    if layer is None or row == 0:
        raise NotFound(say("no area with id {raw}", raw=raw))
    return layer, row


def _coordinates(srid: int, raw: str) -> tuple[float, float]:
    if srid != 4326:
        raise InvalidInput(
            say("SRID {srid}: only 4326 (WGS 84 lon,lat) is served", srid=srid), field="srid"
        )
    return params.point("point", raw.removesuffix(".json"))


class Areas:
    """What a MapIt area needs from the store: layers, their keys, the newest generation."""

    def __init__(self, store):
        self.store = store
        self.layers = {layer.name: layer for layer in store.layers()}
        self.keys = layer_keys(self.layers)
        self.newest = max((g.id for g in store.generations()), default=None)
        self.lang = i18n.language()

    def as_dict(self, layer: str, row_id, code, name, parent_code, gen_low, gen_high, parent_id):
        info = self.layers[layer]
        return {
            "id": mapit_id(self.keys, layer, row_id),
            "name": name,
            "parent_area": parent_id,
            "type": layer,
            "type_name": i18n.layer_title(info, self.lang),
            "country": "",  # MapIt's value when an instance keeps no countries
            "country_name": "-",
            "generation_low": gen_low,
            # MapIt's current areas end at the newest generation, not at "none".
            "generation_high": gen_high if gen_high is not None else self.newest,
            "codes": {"gridmap": code},
            "all_names": {},
        }

    def by_id(self, layer: str, row_id: int) -> dict:
        """Area ``row_id`` of ``layer`` as MapIt shows one."""
        row = self.store.area_by_id(layer, row_id)
        gen_low = int(row["gen_from"])
        gen_high = None if pd.isna(row["gen_to"]) else int(row["gen_to"])
        parent_id = self.parent_id(layer, row["parent_code"], gen_low)
        return self.as_dict(
            layer,
            row_id,
            row["code"],
            row["name"],
            row["parent_code"],
            gen_low,
            gen_high,
            parent_id,
        )

    def parent_id(self, layer: str, parent_code, generation) -> int | None:
        parent = self.layers[layer].parent
        if parent is None or parent_code is None:
            return None
        try:
            row = self.store.area(parent, parent_code, generation)
        except NotFound:
            return None
        return mapit_id(self.keys, parent, row["id"])


def _types() -> set[str] | None:
    """MapIt's ``type`` filter: layer names, comma-separated."""
    raw = params.text("type")
    return {t.strip() for t in raw.split(",") if t.strip()} if raw else None


@bp.get("/point/<int:srid>/<path:point>")
@public
@documented(
    query("type", {"type": "string"}, "layer names, comma-separated"),
    query("generation", {"type": "string"}, "a generation's name or id"),
    query("date", {"type": "string", "format": "date"}, "the generation in force that day"),
    answer="MapItAreas",
)
def point(srid: int, point: str):
    lon, lat = _coordinates(srid, point)
    store = get_store()
    record = _index().point(lon, lat)
    return jsonify(point_areas(Areas(store), record, _types()))


def _index():
    """The lookup index of the generation asked for; one that is none is MapIt's 400."""
    generation, day = params.text("generation"), params.day("date")
    try:
        return lookup_at(generation, day)[1]
    except NotFound as exc:
        if generation is None and day is None:
            raise  # no active generation: nothing was asked wrong
        raise InvalidInput(str(exc), field="generation" if generation else "date") from None


def point_areas(areas: Areas, record: dict, types: set[str] | None) -> dict[str, dict]:
    """A lookup's areas and zones as MapIt answers a point: ``{id: area}``."""
    found = {**record["areas"], **record["zones"], **record["references"]}
    out = {}
    for layer, entry in found.items():
        if types is not None and layer not in types:
            continue
        parent = areas.layers[layer].parent
        above = found.get(parent) if parent else None
        if above is not None and above["code"] == entry["parent"]:
            parent_id = mapit_id(areas.keys, parent, above["id"])
        else:
            parent_id = areas.parent_id(layer, entry["parent"], record["generation"])
        area = areas.as_dict(
            layer,
            entry["id"],
            entry["code"],
            entry["name"],
            entry["parent"],
            entry["generation_low"],
            entry["generation_high"],
            parent_id,
        )
        out[str(area["id"])] = area
    return out


@bp.get("/area/<area_id>")
@public
@documented(answer="MapItArea")
def area(area_id: str):
    areas = Areas(get_store())
    layer, row_id = _parse_id(areas.keys, area_id.removesuffix(".json"))
    return jsonify(areas.by_id(layer, row_id))
