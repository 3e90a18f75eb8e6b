"""The public page (Chinese first, English too): report on a map (with photos) and get a
tracking number, or follow a case already reported nearby; follow the report's steps in
plain words, the department's reply and repair photos; rate how it was handled once
closed, or reopen it when not satisfied; the statistics per department and community.
Nothing here shows who reported or who handled a case, nor a reporter's contact details.
Routes parse the form and call ``gridmap.services.open311``."""

from __future__ import annotations

from flask import (
    Blueprint,
    Response,
    current_app,
    jsonify,
    redirect,
    render_template,
    request,
    url_for,
)

from gridmap import workflow
from gridmap.errors import InvalidInput, NotFound
from gridmap.model import hierarchy_top
from gridmap.services import evaluation, open311
from web import db, i18n, maps, params
from web import open311 as web311
from web.auth import public
from web.basemaps import basemap
from web.cases import category_groups
from web.db import get_store, lookup_index

bp = Blueprint("public", __name__, url_prefix="/public")


def _ratings(lang: str) -> list[tuple[str, str]]:
    return [(k, v[0 if lang == "zh" else 1]) for k, v in workflow.RATINGS.items()]


def _map() -> dict:
    """What the report map draws under the citizen's point: the configured tiles where they
    are in WGS 84 (the form sends the clicked position as it is), else the city's own
    districts, streets and communities with their names (``basemap.js``)."""
    store = get_store()
    gen = store.generation()
    layers = store.layers()
    counts = {x.name: store.count_areas(x.name, gen.id) for x in layers}
    bounds = list(store.bounds(hierarchy_top(layers), gen.id))
    lang = i18n.language()
    tiles = basemap(current_app.config["BASEMAP"], current_app.config["TIANDITU_KEY"])
    if tiles is not None and tiles.datum == "wgs84":
        base = {"tiles": list(tiles.tiles), "attribution": tiles.attribution}
        base["subdomains"] = tiles.subdomains
    else:
        base = maps.city_base(layers, counts, bounds, lambda x: i18n.layer_title(x, lang))
        base |= {"api": request.script_root + "/api", "generation": gen.id, "outlines": True}
    return {"bounds": bounds, "base": base}


@bp.get("/")
@public
def report_page():
    lang = i18n.language()
    return render_template(
        "public_report.html", lang=lang, groups=category_groups(lang), map=_map()
    )


@bp.get("/nearby")
@public
def nearby():
    """Open cases of a category near a point ("已有人上报"): what the form offers to
    follow.  Public fields only: the plain status, the category, the distance."""
    lon, lat = params.lonlat()
    category = params.text("category", required=True)
    metres = db.settings().duplicate_metres
    found = open311.nearby(get_store(), lon, lat, category, metres, i18n.language())
    return jsonify({"metres": metres, "cases": found})


def _receipt(incident_id: int, number: str, followed: int | None = None):
    lang = i18n.language()
    page = render_template(
        "public_receipt.html", lang=lang, number=number, id=incident_id, followed=followed
    )
    return page, 201


@bp.post("/report")
@public
def report():
    web311.check_address()  # the same per-address limit as Open311's posts
    store = get_store()
    store.actor = "public:web"
    values = _report_values(request.form)
    photos = params.photos(
        db.settings().photo_mb * 1_000_000, who=f"public:{request.remote_addr or ''}"
    )
    incident_id, number = open311.submit(
        store, lookup_index(), db.calendar(), "web", **values, photos=photos
    )
    return _receipt(incident_id, number)


def _report_values(form) -> dict:
    """The report form's place, category, description and contact (when asked for)."""
    lon, lat = params.lonlat(form)
    return {
        "lon": lon,
        "lat": lat,
        # The form's category, unlike an Open311 service_code (404), is a field: a 400.
        "service_code": workflow.category(params.text("category", form, default="")).code,
        "description": params.text("description", form, default=""),
        "contact": params.contact(form, i18n.language(), switch="notify"),
    }


@bp.post("/follow")
@public
def follow():
    """Follow a case reported nearby instead of reporting it again."""
    web311.check_address()
    parent = params.record_id("follow", request.form, what="case", required=True)
    store = get_store()
    store.actor = "public:web"
    contact = params.contact(request.form, i18n.language(), switch="notify")
    incident_id, number = open311.follow(
        store, lookup_index(), db.calendar(), "web", parent, contact
    )
    return _receipt(incident_id, number, followed=parent)


def _track_page(number: str, found=None, mistake: str | None = None, status: int = 200):
    lang = i18n.language()
    return render_template(
        "public_track.html",
        lang=lang,
        number=number,
        found=found,
        ratings=_ratings(lang),
        mistake=i18n.public_mistake(status, mistake) if mistake else None,
    ), status


@bp.get("/track")
@public
def track():
    number = params.text("number", max_length=100) or ""
    if not number:
        return _track_page(number)
    try:
        found = open311.track(get_store(), number, i18n.language(), db.settings().reopen_days)
    except InvalidInput:
        return _track_page(number, mistake="token", status=400)
    except NotFound:
        return _track_page(number, mistake="number", status=404)
    return _track_page(number, found)


@bp.post("/rate")
@public
def rate():
    form = request.form
    number = params.text("number", form, required=True, max_length=100)
    store = get_store()
    store.actor = "public:web"
    note = params.text("note", form, default="")
    open311.rate(store, db.calendar(), number, params.text("rating", form, default=""), note)
    return redirect(url_for("public.track", number=number))


@bp.post("/reopen")
@public
def reopen():
    """重办: the reporter is not satisfied; back to the dispatcher."""
    form = request.form
    number = params.text("number", form, required=True, max_length=100)
    store = get_store()
    store.actor = "public:web"
    note = params.text("note", form, default="")
    try:
        open311.reopen(store, db.calendar(), number, note, db.settings().reopen_days)
    except InvalidInput as exc:
        if exc.field not in ("reopen", "note"):
            raise
        found = open311.track(store, number, i18n.language(), db.settings().reopen_days)
        return _track_page(number, found, mistake=exc.field, status=400)
    return redirect(url_for("public.track", number=number))


@bp.get("/photos/<int:photo_id>")
@public
def photo(photo_id: int):
    """A photo of the reporter's tracking page (its own, or the repair's once resolved),
    proven by the tracking number."""
    number = params.text("number", required=True, max_length=100)
    found = open311.public_photo(
        get_store(), number, photo_id, thumb=request.args.get("size") == "thumb"
    )
    response = Response(bytes(found["data"]), mimetype=found["content_type"])
    response.headers["Cache-Control"] = "private, max-age=86400"
    response.headers["X-Content-Type-Options"] = "nosniff"
    return response


@bp.get("/stats")
@public
def stats():
    lang = i18n.language()
    store = get_store()
    minimum = db.settings().min_ratings
    month = evaluation.month_of(params.text("month", max_length=10))  # default: the last
    return render_template(
        "public_stats.html",
        lang=lang,
        stats=open311.statistics(store, lang, minimum),
        min_ratings=minimum,
        evaluation=evaluation.published(store, month, evaluation.Rules.of(db.settings()), lang),
    )


def init_app(app) -> None:
    app.register_blueprint(bp)
