"""The public page (Chinese first, English too): report on a map and get a tracking
number, follow the report's steps and the department's reply, rate how it was handled
once closed, and the statistics per department and community.  Nothing here shows who
reported or who handled a case.  Routes parse the form and call ``gridmap.services.open311``."""

from __future__ import annotations

from flask import Blueprint, current_app, redirect, render_template, request, url_for

from gridmap import workflow
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


@bp.post("/report")
@public
def report():
    web311.check_address()  # the same per-address limit as Open311's posts
    lon, lat = params.lonlat(request.form)
    store = get_store()
    store.actor = "public:web"
    # The form's category, unlike an Open311 service_code (404), is a field: a 400.
    category = workflow.category(params.text("category", request.form, default="")).code
    description = params.text("description", request.form, default="")
    lang = i18n.language()
    contact = params.contact(request.form, lang, switch="notify")
    incident_id, number = open311.submit(
        store, lookup_index(), db.calendar(), "web", lon, lat, category, description, None, contact
    )
    return render_template("public_receipt.html", lang=lang, number=number, id=incident_id), 201


@bp.get("/track")
@public
def track():
    lang = i18n.language()
    number = params.text("number", max_length=100) or ""
    found = open311.track(get_store(), number, lang) if number else None
    return render_template(
        "public_track.html", lang=lang, number=number, found=found, ratings=_ratings(lang)
    )


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


@bp.get("/stats")
@public
def stats():
    lang = i18n.language()
    store = get_store()
    month = evaluation.month_of(params.text("month", max_length=10))  # default: the last
    rules = evaluation.Rules.of(db.settings())
    return render_template(
        "public_stats.html",
        lang=lang,
        stats=open311.statistics(store, lang),
        evaluation=evaluation.published(store, month, rules, lang),
    )


def init_app(app) -> None:
    app.register_blueprint(bp)
